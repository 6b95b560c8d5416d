#!/usr/bin/env python3
"""A STARTTLS-stripping man in the middle for the relay's inbound test (relay-security.md §6
case 6, §1.3): it sits between a client and the relay's submission port and deletes the STARTTLS
line from every EHLO reply, so the client believes the relay has no TLS.

usage: starttls_mitm.py LISTEN_PORT TARGET_PORT LOGFILE

One JSON line per session is appended to LOGFILE when it ends:
  {"stripped": N (STARTTLS lines removed), "replies": [first 3 chars of every server reply],
   "client_cmds": [client command lines, AUTH arguments replaced by "***"]}
Runs until killed; every session is bounded by a 30 s socket timeout.
"""
import json
import socket
import socketserver
import sys
import threading

LISTEN, TARGET, LOGFILE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
LOCK = threading.Lock()


class Session(socketserver.BaseRequestHandler):
    def handle(self):
        client = self.request
        client.settimeout(30)
        server = socket.create_connection(("127.0.0.1", TARGET), timeout=30)
        rec = {"stripped": 0, "replies": [], "client_cmds": []}

        def client_to_server():
            buf = b""
            try:
                while True:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    server.sendall(chunk)
                    buf += chunk
                    while b"\r\n" in buf:
                        l, buf = buf.split(b"\r\n", 1)
                        t = l.decode("latin-1")
                        if t.upper().startswith("AUTH"):
                            t = " ".join(t.split(" ")[:2]) + " ***"
                        rec["client_cmds"].append(t[:80])
            except OSError:
                pass
            try:
                server.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        t = threading.Thread(target=client_to_server, daemon=True)
        t.start()
        buf, reply = b"", []
        try:
            while True:
                chunk = server.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while b"\r\n" in buf:
                    l, buf = buf.split(b"\r\n", 1)
                    reply.append(l)
                    if len(l) >= 4 and l[3:4] == b"-":
                        continue  # a multi-line reply: forward it whole
                    kept = [x for x in reply if x[4:].strip().upper() != b"STARTTLS"]
                    rec["stripped"] += len(reply) - len(kept)
                    if not kept:
                        kept = [reply[-1][:3] + b" "]
                    kept = [x[:3] + b"-" + x[4:] for x in kept[:-1]] + [kept[-1][:3] + b" " + kept[-1][4:]]
                    rec["replies"].append(reply[-1][:3].decode("latin-1"))
                    client.sendall(b"".join(x + b"\r\n" for x in kept))
                    reply = []
        except OSError:
            pass
        try:
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        t.join(5)
        server.close()
        with LOCK, open(LOGFILE, "a") as f:
            f.write(json.dumps(rec) + "\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", LISTEN), Session).serve_forever()
