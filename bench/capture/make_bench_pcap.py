#!/usr/bin/env python3
"""Writes an SMTP-heavy pcap for `bench/capture/run.sh`: realistic, interleaved sessions plus the
Zeek corpus traces mixed in.

Sessions (Ethernet/IPv4/TCP, handshake, MSS-sized segments, delayed ACKs, FIN): submission on 587
with AUTH LOGIN success and one to three messages (multipart bodies with a base64 attachment,
several Received headers, 1-5 recipients, PIPELINING half of the time); a password guesser on 587
(three AUTH PLAIN failures answered 535); MX deliveries on 25 without AUTH; a STARTTLS client
whose encrypted part is random bytes. Sixteen sessions are open at any time, interleaved. Every
200 sessions one classic-pcap Ethernet trace of the corpus is spliced in (timestamps shifted).

usage: make_bench_pcap.py OUT.pcap SIZE_MB [CORPUS_TRACES_DIR]
"""
import base64
import glob
import os
import random
import struct
import sys

rng = random.Random(20261123)
MSS = 1448


def csum_free_ipv4(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags,
                      64240, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + tcp + payload


class Session:
    """A generator of (delay_us, frame) for one TCP connection."""

    def __init__(self, n):
        self.n = n
        self.client = bytes([10, (n >> 16) & 0xFF, (n >> 8) & 0xFF, 1 + n % 250])
        self.server = bytes([192, 0, 2, 25])
        self.sport = 1024 + (n * 7919) % 60000

    def frames(self):
        kind = rng.random()
        if kind < 0.55:
            yield from self.run(587, self.submission())
        elif kind < 0.75:
            yield from self.run(587, self.guesser())
        elif kind < 0.95:
            yield from self.run(25, self.mx())
        else:
            yield from self.run(587, self.starttls())

    def run(self, dport, script):
        c, s = self.client, self.server
        cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
        yield 50, csum_free_ipv4(c, s, self.sport, dport, cseq, 0, 0x02, b"")
        yield 40, csum_free_ipv4(s, c, dport, self.sport, sseq, cseq + 1, 0x12, b"")
        yield 30, csum_free_ipv4(c, s, self.sport, dport, cseq + 1, sseq + 1, 0x10, b"")
        cseq += 1
        sseq += 1
        for from_client, data in script:
            src, dst, sp, dp = (c, s, self.sport, dport) if from_client else (s, c, dport, self.sport)
            seq, ack = (cseq, sseq) if from_client else (sseq, cseq)
            for i in range(0, len(data), MSS):
                part = data[i:i + MSS]
                yield rng.randint(20, 400), csum_free_ipv4(src, dst, sp, dp, seq, ack, 0x18, part)
                seq += len(part)
                if (i // MSS) % 2 == 1:  # delayed ACK every second segment
                    yield 20, csum_free_ipv4(dst, src, dp, sp, ack, seq, 0x10, b"")
            if from_client:
                cseq = seq
            else:
                sseq = seq
        yield 100, csum_free_ipv4(c, s, self.sport, dport, cseq, sseq, 0x11, b"")
        yield 40, csum_free_ipv4(s, c, dport, self.sport, sseq, cseq + 1, 0x11, b"")
        yield 30, csum_free_ipv4(c, s, self.sport, dport, cseq + 1, sseq + 1, 0x10, b"")

    def ehlo(self, host):
        return [(False, b"220 mx.example.net ESMTP Postfix\r\n"),
                (True, b"EHLO " + host + b"\r\n"),
                (False, b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
                        b"250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n"
                        b"250-8BITMIME\r\n250 SMTPUTF8\r\n")]

    def transaction(self, sender, pipelined):
        rcpts = [b"user%d@example.org" % rng.randint(1, 5000) for _ in range(rng.randint(1, 5))]
        out = []
        cmds = [b"MAIL FROM:<" + sender + b"> SIZE=%d\r\n" % rng.randint(2000, 60000)]
        cmds += [b"RCPT TO:<" + r + b">\r\n" for r in rcpts]
        replies = [b"250 2.1.0 Ok\r\n"] + [b"250 2.1.5 Ok\r\n"] * len(rcpts)
        if pipelined:
            out.append((True, b"".join(cmds) + b"DATA\r\n"))
            out.append((False, b"".join(replies) + b"354 End data with <CR><LF>.<CR><LF>\r\n"))
        else:
            for cmd, rep in zip(cmds, replies):
                out += [(True, cmd), (False, rep)]
            out += [(True, b"DATA\r\n"), (False, b"354 End data with <CR><LF>.<CR><LF>\r\n")]
        out.append((True, message(sender, rcpts)))
        out.append((False, b"250 2.0.0 Ok: queued as %X\r\n" % rng.getrandbits(40)))
        return out

    def submission(self):
        user = b"user%d@example.net" % (self.n % 3000)
        s = self.ehlo(b"laptop-%d.corp.example.net" % (self.n % 900))
        s += [(True, b"AUTH LOGIN\r\n"), (False, b"334 VXNlcm5hbWU6\r\n"),
              (True, base64.b64encode(user) + b"\r\n"), (False, b"334 UGFzc3dvcmQ6\r\n"),
              (True, base64.b64encode(b"pw-%d" % self.n) + b"\r\n"),
              (False, b"235 2.7.0 Authentication successful\r\n")]
        for _ in range(rng.randint(1, 3)):
            s += self.transaction(user, rng.random() < 0.5)
        return s + [(True, b"QUIT\r\n"), (False, b"221 2.0.0 Bye\r\n")]

    def guesser(self):
        s = self.ehlo(b"WIN-%X" % self.n)
        for i in range(3):
            secret = base64.b64encode(b"\0admin%d\0guess%d" % (self.n % 50, i))
            s += [(True, b"AUTH PLAIN " + secret + b"\r\n"),
                  (False, b"535 5.7.8 Error: authentication failed: authentication failure\r\n")]
        return s + [(True, b"QUIT\r\n"), (False, b"221 2.0.0 Bye\r\n")]

    def mx(self):
        s = self.ehlo(b"out-%d.mail.example.com" % (self.n % 400))
        for _ in range(rng.randint(1, 3)):
            s += self.transaction(b"news%d@lists.example.com" % (self.n % 70), False)
        return s + [(True, b"QUIT\r\n"), (False, b"221 2.0.0 Bye\r\n")]

    def starttls(self):
        s = self.ehlo(b"phone-%d" % self.n)
        s += [(True, b"STARTTLS\r\n"), (False, b"220 2.0.0 Ready to start TLS\r\n")]
        hello = (b"\x16\x03\x01\x00\x40\x01\x00\x00\x3c\x03\x03" + os.urandom(32) +
                 b"\x00\x00\x02\x13\x01\x01\x00\x00\x11\x00\x00\x00\x0d\x00\x0b\x00\x00\x08"
                 b"mx.local")
        s += [(True, hello), (False, os.urandom(2000)), (True, os.urandom(rng.randint(3000, 20000))),
              (False, os.urandom(600))]
        return s


ATTACHMENT = base64.encodebytes(os.urandom(120000))
SUBJECTS = [b"Invoice %d", b"Re: meeting notes %d", b"=?UTF-8?B?w4RuZGVydW5nIE5yLiAlZA==?= %d",
            b"Quarterly report %d", b"Your order %d has shipped"]


def message(sender, rcpts):
    n = rng.randint(1, 10 ** 6)
    hdr = (b"Received: from laptop (unknown [10.1.2.3])\r\n\tby mx.example.net (Postfix) with ESMTPSA"
           b" id %X\r\n\tfor <%s>; Mon, 23 Nov 2026 01:02:03 +0000 (UTC)\r\n" % (n, rcpts[0]) +
           b"Received: from [192.168.1.20] by laptop; Mon, 23 Nov 2026 01:02:02 +0000\r\n"
           b"From: Sender <" + sender + b">\r\nTo: " + b", ".join(rcpts) + b"\r\n" +
           b"Subject: " + (rng.choice(SUBJECTS).replace(b"%d", b"%d" % n)) + b"\r\n" +
           b"Date: Mon, 23 Nov 2026 01:02:03 +0000\r\nMessage-ID: <%d.%d@example.net>\r\n" % (n, n) +
           b"User-Agent: Mozilla Thunderbird 115\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % n)
    size = rng.randint(1500, 60000)
    start = rng.randint(0, len(ATTACHMENT) - size - 1)
    body = (b"--b%d\r\nContent-Type: text/plain\r\n\r\nHello,\r\n.leading dot line\r\n\r\n--b%d\r\n"
            b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" % (n, n) +
            ATTACHMENT[start:start + size].replace(b"\n", b"\r\n") + b"\r\n--b%d--\r\n" % n)
    return hdr + body.replace(b"\r\n.", b"\r\n..") + b".\r\n"


def corpus_records(directory):
    traces = []
    for path in sorted(glob.glob(os.path.join(directory, "**", "*.pcap"), recursive=True)):
        data = open(path, "rb").read()
        if len(data) < 24 or struct.unpack("<I", data[:4])[0] != 0xA1B2C3D4:
            continue
        if struct.unpack("<I", data[20:24])[0] != 1:
            continue
        recs, off = [], 24
        while off + 16 <= len(data):
            sec, usec, cap, wire = struct.unpack("<IIII", data[off:off + 16])
            recs.append((sec * 1000000 + usec, data[off + 16:off + 16 + cap], wire))
            off += 16 + cap
        if recs:
            traces.append(recs)
    return traces


def main():
    out_path, size_mb = sys.argv[1], int(sys.argv[2])
    traces = corpus_records(sys.argv[3]) if len(sys.argv) > 3 else []
    target = size_mb * 1024 * 1024
    written = 24
    now = 1795000000 * 1000000
    sessions, started = [], 0
    with open(out_path + ".tmp", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

        def put(frame, wire=None):
            nonlocal written
            f.write(struct.pack("<IIII", now // 1000000, now % 1000000, len(frame),
                                wire or len(frame)))
            f.write(frame)
            written += 16 + len(frame)

        while written < target:
            while len(sessions) < 16:
                sessions.append(Session(started).frames())
                started += 1
                if traces and started % 200 == 0:
                    recs = traces[(started // 200) % len(traces)]
                    base = recs[0][0]
                    for ts, frame, wire in recs:
                        now += max(0, min(ts - base, 1000000)) // 1000 + 1
                        base = ts
                        put(frame, wire)
            g = rng.randrange(len(sessions))
            try:
                delay, frame = next(sessions[g])
            except StopIteration:
                sessions.pop(g)
                continue
            now += delay
            put(frame)
    os.replace(out_path + ".tmp", out_path)
    print(f"wrote {out_path}: {written / 1e6:.0f} MB, {started} sessions", file=sys.stderr)


main()
