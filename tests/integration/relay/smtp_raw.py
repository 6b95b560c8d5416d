#!/usr/bin/env python3
"""Byte-exact SMTP probes for the relay integration test (swaks is line-oriented).

usage: smtp_raw.py PORT CASE [USER PASSWORD-FILE]
CASE:
  smuggle          for each smuggling end-of-data candidate, one authenticated submission whose
                   body ends with the candidate followed by a second MAIL/RCPT/DATA with a forged
                   From; prints one line per candidate: "<name> <replies after DATA>".
  starttls-inject  "EHLO x\\r\\nSTARTTLS\\r\\nRSET\\r\\n" in one write; prints "inject-answered"
                   when a reply to the injected RSET arrives inside TLS, else "inject-ignored".
  auth-plain       EHLO in clear: prints "auth-advertised" or "auth-not-advertised", then the
                   reply to AUTH PLAIN in clear.
  overlong         a 5000-byte RCPT and a 1100-byte local part after AUTH: prints the replies.
  bdat             after AUTH: "chunking-advertised" or "chunking-not-advertised", then the reply
                   to BDAT after MAIL/RCPT, and whether the chunk's bytes were run as commands.
  auth-brute [N]   AUTH PLAIN over TLS with wrong passwords, unknown user first, until the
                   server closes (at most N, default 12): one line per attempt
                   "N CODE SECONDS TEXT".
  conn-flood N     opens N connections and keeps them; prints the greeting code of each last one
                   ("421" once the per-IP connection count limit is reached).
  partial-data S R after AUTH, MAIL/RCPT/DATA and half a message, prints "in-data" and waits
                   (at most 15 s) for the server to go away: "closed SECONDS", else "timeout".
  trickle          sends "EHLO x" one byte every 0.5 s; prints "cut SECONDS REPLY" when the
                   server gives up, or "not-cut" after 20 s.
  clear-session USER PWFILE SENDER RCPT
                   a client that never starts TLS (e.g. behind a STARTTLS-stripping man in the
                   middle) and tries anyway: "ehlo starttls=0|1 auth=0|1", then the reply codes
                   of AUTH PLAIN, MAIL and RCPT sent in clear ("auth CODE", "mail CODE", ...).
  inject-variants USER PWFILE SENDER RCPT
                   STARTTLS command injection, one session per variant (RSET, MAIL FROM, AUTH
                   PLAIN with the right password, EHLO written in the same segment as STARTTLS,
                   and RSET written in clear after the 220): one line per variant
                   "NAME starttls=CODE tls=ok|failed unsolicited=BYTES mail-before-ehlo=CODE
                   rcpt=CODE". Inside TLS nothing may arrive unasked (unsolicited=0), MAIL before
                   a new EHLO is refused (state reset) and RCPT is refused (no AUTH carried in).
  error-flood N    in clear, N unknown commands: one line per reply "N CODE SECONDS", then
                   "closed N" when the server hangs up.
  auth-ok USER PWFILE
                   STARTTLS, EHLO, AUTH PLAIN with the right password: prints the reply code.
Exit 0 unless the connection could not be made.
"""
import base64
import socket
import ssl
import sys

PORT = int(sys.argv[1])
CASE = sys.argv[2]
USER = sys.argv[3] if len(sys.argv) > 3 else ""
PW = open(sys.argv[4]).read().strip() if len(sys.argv) > 4 else ""


class Conn:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        """One complete (possibly multi-line) reply as text, or '' on EOF/timeout."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                try:
                    chunk = self.s.recv(65536)
                except (socket.timeout, ssl.SSLError, OSError):
                    return "\n".join(lines)
                if not chunk:
                    return "\n".join(lines)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("latin-1"))
            if len(line) < 4 or line[3:4] != b"-":
                return "\n".join(lines)

    def cmd(self, line):
        self.send(line.encode("latin-1") + b"\r\n")
        return self.reply()

    def starttls(self):
        r = self.cmd("STARTTLS")
        if not r.startswith("220"):
            raise SystemExit("no STARTTLS: " + r)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.s = ctx.wrap_socket(self.s, server_hostname="relay")
        self.buf = b""

    def login(self):
        self.reply()
        self.cmd("EHLO probe.company.example")
        self.starttls()
        self.cmd("EHLO probe.company.example")
        tok = base64.b64encode(b"\0" + USER.encode() + b"\0" + PW.encode()).decode()
        r = self.cmd("AUTH PLAIN " + tok)
        if not r.startswith("235"):
            raise SystemExit("AUTH failed: " + r)


SEQUENCES = [
    ("LF.LF", b"\n.\n"), ("LF.CRLF", b"\n.\r\n"), ("CRLF.LF", b"\r\n.\n"), ("CR.CR", b"\r.\r"),
    ("CR.CRLF", b"\r.\r\n"), ("CRLF.CR", b"\r\n.\r"), ("CRCRLF.CRCRLF", b"\r\r\n.\r\r\n"),
    ("CRLF-NUL.CRLF", b"\r\n\x00.\r\n"), ("CRLF.NUL-CRLF", b"\r\n.\x00\r\n"),
    ("LFLF.CRLF", b"\n\n.\r\n"),
]


def smuggle(sender, rcpt):
    for name, seq in SEQUENCES:
        c = Conn()
        c.login()
        replies = []
        replies.append(c.cmd("MAIL FROM:<%s>" % sender)[:3])
        replies.append(c.cmd("RCPT TO:<%s>" % rcpt)[:3])
        replies.append(c.cmd("DATA")[:3])
        body = (b"From: <" + sender.encode() + b">\r\nSubject: smuggle " + name.encode() +
                b"\r\n\r\nfirst message" + seq +
                b"MAIL FROM:<ceo@company.example>\r\nRCPT TO:<" + rcpt.encode() +
                b">\r\nDATA\r\nFrom: <ceo@company.example>\r\nSubject: SMUGGLED\r\n\r\nforged\r\n.\r\n")
        c.send(body)
        after = []
        for _ in range(5):
            r = c.reply()
            if not r:
                break
            after.append(r[:3])
        c.send(b"QUIT\r\n")
        print(name, " ".join(replies), "|", " ".join(after) or "-")
        c.s.close()


def starttls_inject():
    c = Conn()
    c.reply()
    c.send(b"EHLO x\r\nSTARTTLS\r\nRSET\r\n")
    first = c.reply()
    second = c.reply()
    if "220" not in second[:3]:
        # Postfix refused the pipelined STARTTLS (554 synchronization) or dropped: nothing runs.
        print("inject-ignored", repr(second[:60]))
        return
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        c.s = ctx.wrap_socket(c.s, server_hostname="relay")
    except (ssl.SSLError, OSError) as e:
        print("inject-ignored tls-failed", e)
        return
    c.buf = b""
    c.s.settimeout(2)
    r = c.reply()
    print("inject-answered" if r.startswith("250") else "inject-ignored", repr(r[:60]))


def auth_plain():
    c = Conn()
    c.reply()
    e = c.cmd("EHLO probe")
    print("auth-advertised" if "AUTH" in e.upper() else "auth-not-advertised")
    tok = base64.b64encode(b"\0" + USER.encode() + b"\0" + PW.encode()).decode()
    print(c.cmd("AUTH PLAIN " + tok)[:60])


def overlong(sender):
    c = Conn()
    c.login()
    print("mail", c.cmd("MAIL FROM:<%s>" % sender)[:3])
    print("long-command", c.cmd("RCPT TO:<" + "a" * 5000 + "@ext.example>")[:3] or "closed")
    print("long-localpart", c.cmd("RCPT TO:<" + "b" * 1100 + "@ext.example>")[:3] or "closed")
    print("long-domain", c.cmd("RCPT TO:<c@" + ("d" * 60 + ".") * 6 + "example>")[:3] or "closed")


def bdat(sender, rcpt):
    c = Conn()
    c.login()
    e = c.cmd("EHLO probe.company.example")
    print("chunking-advertised" if "CHUNKING" in e.upper() else "chunking-not-advertised")
    c.cmd("MAIL FROM:<%s>" % sender)
    c.cmd("RCPT TO:<%s>" % rcpt)
    # A chunk whose bytes look like commands: they must never be run as commands.
    chunk = b"RSET\r\nMAIL FROM:<ceo@company.example>\r\n"
    c.send(b"BDAT %d LAST\r\n" % len(chunk) + chunk)
    replies = []
    c.s.settimeout(3)
    for _ in range(3):
        r = c.reply()
        if not r:
            break
        replies.append(r[:3])
    print("bdat", " ".join(replies) or "closed")


def auth_brute():
    import time
    c = Conn()
    c.reply()
    c.cmd("EHLO probe.company.example")
    c.starttls()
    c.cmd("EHLO probe.company.example")
    c.s.settimeout(30)
    attempts = int(sys.argv[5]) if len(sys.argv) > 5 else 12
    for i in range(attempts):
        user = "nobody-here" if i == 0 else USER
        tok = base64.b64encode(b"\0" + user.encode() + b"\0wrong-password-%d" % i).decode()
        t = time.time()
        try:
            c.send(("AUTH PLAIN " + tok + "\r\n").encode())
        except OSError:
            print(i + 1, "closed", "0.0", "-")
            return
        r = c.reply()
        dt = time.time() - t
        if not r:
            print(i + 1, "closed", "%.1f" % dt, "-")
            return
        print(i + 1, r[:3], "%.1f" % dt, r[4:].strip())
        if r.startswith("421"):
            return


def conn_flood(n):
    socks, last = [], ""
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        socks.append(s)
        try:
            last = s.recv(512).decode("latin-1")[:3] or "closed"
        except OSError:
            last = "closed"
        print(last)
    for s in socks:
        s.close()


def partial_data(sender, rcpt):
    c = Conn()
    c.login()
    c.cmd("MAIL FROM:<%s>" % sender)
    c.cmd("RCPT TO:<%s>" % rcpt)
    c.cmd("DATA")
    c.send(b"From: <" + sender.encode() + b">\r\nSubject: partial\r\n\r\nhalf of a message\r\n")
    print("in-data", flush=True)
    import time
    t = time.time()
    c.s.settimeout(15)
    try:
        while c.s.recv(512):
            pass
    except socket.timeout:
        print("timeout", flush=True)
        return
    except OSError:  # a reset, or TLS cut without close_notify: closed as well
        pass
    print("closed %.0f" % (time.time() - t), flush=True)


def trickle():
    import time
    c = Conn()
    c.reply()
    c.s.settimeout(1)
    t = time.time()
    for ch in b"EHLO x" * 10:
        try:
            c.s.sendall(bytes([ch]))
        except OSError:
            print("cut %.0f closed" % (time.time() - t))
            return
        try:
            data = c.s.recv(512)
            print("cut %.0f %s" % (time.time() - t, data.decode("latin-1")[:3] or "closed"))
            return
        except socket.timeout:
            pass
        except OSError:
            print("cut %.0f closed" % (time.time() - t))
            return
        if time.time() - t > 20:
            break
        time.sleep(0.5)
    print("not-cut")


def tls_wrap(sock):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(sock, server_hostname="relay")


def clear_session(sender, rcpt):
    c = Conn()
    c.reply()
    e = c.cmd("EHLO probe.company.example").upper()
    print("ehlo starttls=%d auth=%d" % ("STARTTLS" in e, "AUTH" in e))
    tok = base64.b64encode(b"\0" + USER.encode() + b"\0" + PW.encode()).decode()
    print("auth", c.cmd("AUTH PLAIN " + tok)[:3] or "closed")
    print("mail", c.cmd("MAIL FROM:<%s>" % sender)[:3] or "closed")
    print("rcpt", c.cmd("RCPT TO:<%s>" % rcpt)[:3] or "closed")


def inject_variants(sender, rcpt):
    tok = base64.b64encode(b"\0" + USER.encode() + b"\0" + PW.encode()).decode()
    variants = [("rset", b"RSET\r\n"), ("mail", b"MAIL FROM:<%s>\r\n" % sender.encode()),
                ("auth", b"AUTH PLAIN %s\r\n" % tok.encode()), ("ehlo", b"EHLO injected\r\n"),
                ("after-220", None)]
    for name, extra in variants:
        c = Conn()
        c.reply()
        c.cmd("EHLO probe.company.example")
        if extra is None:
            r = c.cmd("STARTTLS")
            if r.startswith("220"):
                c.send(b"RSET\r\n")  # in clear, after the 220, before the handshake
        else:
            c.send(b"STARTTLS\r\n" + extra)
            r = c.reply()
        fields = ["starttls=%s" % (r[:3] or "closed")]
        if not r.startswith("220"):
            print(name, *fields, "tls=failed unsolicited=0 mail-before-ehlo=- rcpt=-")
            c.s.close()
            continue
        try:
            c.s = tls_wrap(c.s)
        except (ssl.SSLError, OSError):
            print(name, *fields, "tls=failed unsolicited=0 mail-before-ehlo=- rcpt=-")
            continue
        c.buf = b""
        c.s.settimeout(2)
        try:
            unsolicited = c.s.recv(4096)
        except (socket.timeout, ssl.SSLError, OSError):
            unsolicited = b""
        c.s.settimeout(10)
        mail = c.cmd("MAIL FROM:<%s>" % sender)[:3] or "closed"
        c.cmd("EHLO probe.company.example")
        c.cmd("MAIL FROM:<%s>" % sender)
        rc = c.cmd("RCPT TO:<%s>" % rcpt)[:3] or "closed"
        print(name, *fields, "tls=ok unsolicited=%d mail-before-ehlo=%s rcpt=%s" %
              (len(unsolicited), mail, rc))
        c.s.close()


def error_flood(n):
    import time
    c = Conn()
    c.reply()
    c.cmd("EHLO probe.company.example")
    c.s.settimeout(15)
    for i in range(n):
        t = time.time()
        try:
            c.send(b"XNOSUCH%d\r\n" % i)
        except OSError:
            print("closed", i)
            return
        r = c.reply()
        if not r:
            print("closed", i)
            return
        print(i + 1, r[:3], "%.1f" % (time.time() - t), flush=True)
        if r.startswith("421"):
            print("closed", i + 1)
            return
    print("open", n)


def auth_ok():
    c = Conn()
    try:
        c.login()
        print("235")
    except SystemExit as e:
        print(str(e).replace("AUTH failed: ", "")[:3] or "closed")


if CASE == "smuggle":
    smuggle(sys.argv[5], sys.argv[6])
elif CASE == "starttls-inject":
    starttls_inject()
elif CASE == "auth-plain":
    auth_plain()
elif CASE == "overlong":
    overlong(sys.argv[5])
elif CASE == "bdat":
    bdat(sys.argv[5], sys.argv[6])
elif CASE == "auth-brute":
    auth_brute()
elif CASE == "conn-flood":
    conn_flood(int(sys.argv[3]))
elif CASE == "partial-data":
    partial_data(sys.argv[5], sys.argv[6])
elif CASE == "trickle":
    trickle()
elif CASE == "clear-session":
    clear_session(sys.argv[5], sys.argv[6])
elif CASE == "inject-variants":
    inject_variants(sys.argv[5], sys.argv[6])
elif CASE == "error-flood":
    error_flood(int(sys.argv[3]))
elif CASE == "auth-ok":
    auth_ok()
else:
    raise SystemExit("unknown case " + CASE)
