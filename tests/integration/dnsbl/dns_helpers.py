#!/usr/bin/env python3
"""Helpers for the dnsbl integration tests (loopback only, bounded in time).

  dns_helpers.py freeport                 print a free UDP+TCP port on 127.0.0.1
  dns_helpers.py wait PORT NAME SECONDS   wait until a DNS server on 127.0.0.1:PORT answers NAME
  dns_helpers.py fake SILENT_PORT GARBAGE_PORT SECONDS
        serve two misbehaving "DNS servers" for at most SECONDS: one that never answers, one
        that answers every query with the query's id followed by garbage or a truncated reply.
"""
import random
import select
import socket
import struct
import sys
import time


def freeport():
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            u.close()
            continue
        t.close()
        u.close()
        print(port)
        return 0
    return 1


def query(name, qid=0x1234):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.strip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def wait(port, name, seconds):
    deadline = time.time() + float(seconds)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    while time.time() < deadline:
        try:
            s.sendto(query(name), ("127.0.0.1", int(port)))
            data, _ = s.recvfrom(4096)
            if len(data) >= 12:
                return 0
        except OSError:
            time.sleep(0.1)
    return 1


def fake(silent_port, garbage_port, seconds):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", int(silent_port)))
    garbage = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    garbage.bind(("127.0.0.1", int(garbage_port)))
    rng = random.Random(7)
    deadline = time.time() + float(seconds)
    n = 0
    while time.time() < deadline:
        ready, _, _ = select.select([silent, garbage], [], [], 0.5)
        for s in ready:
            data, peer = s.recvfrom(4096)
            if s is garbage and len(data) >= 12:
                n += 1
                if n % 2:
                    # A response header claiming one answer, then a truncated record.
                    reply = data[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + data[12:] + b"\xc0"
                else:
                    reply = data[:2] + b"\x81\x80" + bytes(rng.randrange(256) for _ in range(40))
                garbage.sendto(reply, peer)
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "freeport":
        sys.exit(freeport())
    if cmd == "wait":
        sys.exit(wait(*sys.argv[2:5]))
    if cmd == "fake":
        sys.exit(fake(*sys.argv[2:5]))
    sys.exit(2)
