#!/usr/bin/env python3
"""A scriptable SMTP upstream (smarthost) for the relay's outbound tests (relay-security.md §6
cases 6 and 13). smtp-sink cannot speak TLS, and these cases need STARTTLS tricks.

usage: fake_upstream.py PORT CERT KEY MODEFILE LOGFILE

MODEFILE is read at every new connection (the test changes it between cases):
  normal      STARTTLS offered, TLS handshake, then an ordinary server.
  nostarttls  STARTTLS left out of the EHLO reply (a stripping man in the middle); STARTTLS, if
              sent anyway, gets 502.
  inject      STARTTLS answered with "220 ..." and, in the same segment, an extra
              "250 2.0.0 injected" (response injection, relay-security.md §1.3).
Recipients decide the RCPT reply: a local part starting with "tempfail" gets 451 4.7.1, one
starting with "reject" gets 550 5.1.1, all others 250. A message to a recipient starting with
"lose250" is taken whole, but the first time (per Message-Id) the connection is closed instead
of the "250" after the final dot (a lost reply, relay-security.md §6 case 13); it is logged with
"lost": true.

No PIPELINING is advertised, so a correct client waits for every reply. After EHLO inside TLS
the server waits 0.5 s before it answers and records "early": true when the client sent
anything in the meantime (it took some other bytes, e.g. the injected 250, as the EHLO reply).

One JSON line per session is appended to LOGFILE when the session ends:
  {"mode", "tls", "early", "starttls_offered", "clear_cmds": [...], "tls_cmds": [...],
   "messages": [{"from", "rcpts", "data"}]}
Runs until killed; every session is bounded by a 30 s socket timeout.
"""
import json
import socket
import socketserver
import ssl
import sys
import threading
import time

PORT, CERT, KEY, MODEFILE, LOGFILE = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
LOCK = threading.Lock()
LOST = set()  # Message-Ids whose first "250" after the final dot was withheld
CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
CTX.load_cert_chain(CERT, KEY)


class Session(socketserver.BaseRequestHandler):
    def setup(self):
        self.sock = self.request
        self.sock.settimeout(30)
        self.buf = b""
        self.tls = False
        try:
            self.mode = open(MODEFILE).read().strip() or "normal"
        except OSError:
            self.mode = "normal"
        self.rec = {"mode": self.mode, "tls": False, "early": False, "starttls_offered": False,
                    "clear_cmds": [], "tls_cmds": [], "messages": []}

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
            if len(self.buf) > 1 << 20:
                return None
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out.decode("latin-1")

    def send(self, text):
        self.sock.sendall(text.encode("latin-1"))

    def handle(self):
        try:
            self.session()
        except (OSError, ssl.SSLError, UnicodeError):
            pass
        finally:
            with LOCK, open(LOGFILE, "a") as f:
                f.write(json.dumps(self.rec) + "\n")

    def session(self):
        self.send("220 upstream.test ESMTP fake\r\n")
        msg = None
        while True:
            cmd = self.line()
            if cmd is None:
                return
            (self.rec["tls_cmds"] if self.tls else self.rec["clear_cmds"]).append(cmd[:80])
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                if self.tls:
                    time.sleep(0.5)
                    self.sock.settimeout(0.01)
                    try:
                        extra = self.sock.recv(4096)
                    except (socket.timeout, ssl.SSLWantReadError, ssl.SSLError):
                        extra = b""
                    self.sock.settimeout(30)
                    if self.buf or extra:
                        self.rec["early"] = True
                        self.buf += extra
                lines = ["upstream.test", "8BITMIME", "SIZE 10240000"]
                if not self.tls and self.mode != "nostarttls":
                    lines.append("STARTTLS")
                    self.rec["starttls_offered"] = True
                self.send("".join("250-%s\r\n" % l for l in lines[:-1]) + "250 %s\r\n" % lines[-1])
            elif verb == "STARTTLS" and not self.tls and self.mode != "nostarttls":
                if self.mode == "inject":
                    self.send("220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n")
                else:
                    self.send("220 2.0.0 Ready to start TLS\r\n")
                self.buf = b""  # the server side of the CVE-2011-0411 rule
                self.sock = CTX.wrap_socket(self.sock, server_side=True)
                self.tls = True
                self.rec["tls"] = True
            elif verb == "MAIL":
                msg = {"from": (cmd[10:].split() or [""])[0], "rcpts": [], "data": ""}
                self.send("250 2.1.0 Ok\r\n")
            elif verb == "RCPT" and msg is not None:
                addr = cmd[8:].strip().lstrip("<")
                if addr.lower().startswith("tempfail"):
                    self.send("451 4.7.1 try again later (fake upstream)\r\n")
                elif addr.lower().startswith("reject"):
                    self.send("550 5.1.1 no such user (fake upstream)\r\n")
                else:
                    msg["rcpts"].append(cmd[8:].strip())
                    self.send("250 2.1.5 Ok\r\n")
            elif verb == "DATA" and msg is not None and msg["rcpts"]:
                self.send("354 End data with <CR><LF>.<CR><LF>\r\n")
                data = []
                while True:
                    l = self.line()
                    if l is None:
                        return
                    if l == ".":
                        break
                    data.append(l)
                msg["data"] = "\n".join(data)[:20000]
                self.rec["messages"].append(msg)
                mid = next((l for l in data if l.lower().startswith("message-id:")), "")
                if any(r.lower().startswith("<lose250") for r in msg["rcpts"]):
                    with LOCK:
                        first = mid not in LOST
                        LOST.add(mid)
                    if first:  # the "250" to the final dot is lost: the connection just drops
                        msg["lost"] = True
                        return
                msg = None
                self.send("250 2.0.0 Ok: queued\r\n")
            elif verb == "RSET":
                msg = None
                self.send("250 2.0.0 Ok\r\n")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye\r\n")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized\r\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", int(PORT)), Session).serve_forever()
