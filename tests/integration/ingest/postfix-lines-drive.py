#!/usr/bin/env python3
"""Drives a lab Postfix (mail-lab.sh) into writing the connection-level and rejection lines
mxir must read: a non-SMTP command, VRFY of an unknown user, AUTH then a dropped connection, a
failed TLS handshake, postscreen pregreet/hangup/blocklist/pass, a before-queue filter's reject,
header-check reject and hold, and Dovecot IMAP logins that fail. Every socket is loopback-only
and every step has a timeout.
usage: postfix-lines-drive.py STEP PORT [ARGS...]"""
import base64
import imaplib
import socket
import sys
import threading
import time

TIMEOUT = 5


def connect(port, source="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT, source_address=(source, 0))
    return s


def reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            break
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            break
    return b"".join(lines)


def session(port, source, commands):
    s = connect(port, source)
    f = s.makefile("rb")
    reply(f)
    for c in commands:
        s.sendall(c)
        reply(f)
    s.close()


def main():
    step, port = sys.argv[1], int(sys.argv[2])
    if step == "non-smtp":
        session(port, "127.0.0.51", [b"GET / HTTP/1.1\r\n"])
    elif step == "vrfy":
        session(port, "127.0.0.52", [b"HELO probe.example\r\n", b"VRFY nobody@lab.example\r\n",
                                     b"QUIT\r\n"])
    elif step == "lost-after-auth":
        user = base64.b64encode(b"alice")
        s = connect(port, "127.0.0.53")
        f = s.makefile("rb")
        reply(f)
        for c in (b"EHLO ws53\r\n", b"AUTH LOGIN\r\n", user + b"\r\n"):
            s.sendall(c)
            reply(f)
        s.close()  # gone in the middle of AUTH
    elif step == "bad-tls":
        s = connect(port, "127.0.0.54")
        f = s.makefile("rb")
        reply(f)
        for c in (b"EHLO ws54\r\n", b"STARTTLS\r\n"):
            s.sendall(c)
            reply(f)
        s.sendall(b"\x16\x03\x01\x00\x05hello-not-tls\r\n" * 4)
        time.sleep(0.5)
        s.close()
    elif step == "pregreet":
        s = connect(port, "127.0.0.55")
        s.sendall(b"EHLO early.example\r\n")  # before the greeting: a bot
        time.sleep(3)
        s.close()
    elif step == "hangup":
        s = connect(port, "127.0.0.56")
        time.sleep(0.3)
        s.close()
    elif step == "blocklisted":
        s = connect(port, "127.0.0.57")
        try:
            s.recv(512)
        except OSError:
            pass
        s.close()
    elif step == "filter":
        # A before-queue content filter on `port` that refuses every message at end of data.
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", port))
        srv.listen(4)
        srv.settimeout(60)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                c, _ = srv.accept()
            except socket.timeout:
                break
            threading.Thread(target=filter_session, args=(c,), daemon=True).start()
    elif step == "dns":
        dns_server(port, sys.argv[3:])
    elif step == "imap-fail":
        user = sys.argv[3]
        m = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
        for pw in ("wrong-1", "wrong-2"):
            try:
                m.login(user, pw)
            except imaplib.IMAP4.error:
                pass
        m.shutdown()
    else:
        sys.exit("unknown step " + step)


def dns_server(port, listed):
    """A DNS blocklist on 127.0.0.1:`port` (UDP) for a private network namespace: A queries for
    REVERSED-IP.ZONE answer 127.0.0.2 when the address is one of `listed` ("IP@ZONE"), anything
    else NXDOMAIN. Runs until killed (at most 120 s)."""
    names = set()
    for item in listed:
        ip, zone = item.split("@")
        names.add(".".join(reversed(ip.split("."))) + "." + zone.lower())
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(1)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            q, peer = s.recvfrom(512)
        except socket.timeout:
            continue
        if len(q) < 17:
            continue
        labels, i = [], 12
        while i < len(q) and q[i] != 0:
            n = q[i]
            labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        question = q[12:i + 5]
        qtype = int.from_bytes(q[i + 1:i + 3], "big")
        hit = ".".join(labels).lower() in names
        flags = 0x8580 if hit else 0x8583  # response, authoritative, RD+RA; rcode 0 or NXDOMAIN
        answer = b""
        if hit and qtype == 1:
            answer = b"\xc0\x0c" + (1).to_bytes(2, "big") + (1).to_bytes(2, "big") + \
                (60).to_bytes(4, "big") + (4).to_bytes(2, "big") + bytes([127, 0, 0, 2])
        elif hit:
            flags = 0x8580  # the name exists, no record of that type
        head = q[:2] + flags.to_bytes(2, "big") + (1).to_bytes(2, "big") + \
            (1 if answer else 0).to_bytes(2, "big") + bytes(4)
        s.sendto(head + question + answer, peer)


def filter_session(c):
    c.settimeout(TIMEOUT)
    f = c.makefile("rb")
    c.sendall(b"220 filter ESMTP\r\n")
    try:
        while True:
            line = f.readline()
            if not line:
                break
            word = line[:4].upper()
            if word in (b"EHLO", b"HELO"):
                c.sendall(b"250-filter\r\n250 8BITMIME\r\n")
            elif word == b"DATA":
                c.sendall(b"354 go\r\n")
                while True:
                    body = f.readline()
                    if not body or body in (b".\r\n", b".\n"):
                        break
                c.sendall(b"554 5.7.1 Rejected by content filter\r\n")
            elif word == b"QUIT":
                c.sendall(b"221 bye\r\n")
                break
            else:
                c.sendall(b"250 ok\r\n")
    except OSError:
        pass
    c.close()


if __name__ == "__main__":
    main()
