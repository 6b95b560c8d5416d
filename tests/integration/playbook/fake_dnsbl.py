#!/usr/bin/env python3
"""A one-zone DNS blocklist on loopback for the playbook tests (bounded in time).

  fake_dnsbl.py PORT ZONE LISTED_FILE SECONDS

Answers A queries for REVERSED-IP.ZONE with 127.0.0.2 when the IP is a line of LISTED_FILE
(read at every query, so a test can list and delist an address) or is the RFC 5782 test point
127.0.0.2; NXDOMAIN otherwise. TXT queries for a listed name get a reason. Stops after SECONDS.
"""
import socket
import struct
import sys
import time


def parse_name(pkt, off):
    labels = []
    while pkt[off]:
        n = pkt[off]
        labels.append(pkt[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels).lower(), off + 1


def main():
    port, zone, listed_file, seconds = int(sys.argv[1]), sys.argv[2].lower(), sys.argv[3], float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    end = time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            pkt, addr = s.recvfrom(4096)
        except socket.timeout:
            continue
        if len(pkt) < 12:
            continue
        qid, flags, qd = struct.unpack(">HHH", pkt[:6])
        try:
            name, off = parse_name(pkt, 12)
            qtype, qclass = struct.unpack(">HH", pkt[off:off + 4])
        except (IndexError, struct.error):
            continue
        question = pkt[12:off + 4]
        try:
            listed = {l.strip() for l in open(listed_file) if l.strip()}
        except OSError:
            listed = set()
        hit = False
        if name.endswith("." + zone):
            rev = name[:-len(zone) - 1].split(".")
            if len(rev) == 4:
                ip = ".".join(reversed(rev))
                hit = ip == "127.0.0.2" or ip in listed
        answers = b""
        count = 0
        if hit and qtype == 1:
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 2])
            count = 1
        elif hit and qtype == 16:
            txt = b"listed by the mxir test list"
            rdata = bytes([len(txt)]) + txt
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 60, len(rdata)) + rdata
            count = 1
        rcode = 0 if hit else 3
        hdr = struct.pack(">HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, count, 0, 0)
        s.sendto(hdr + question + answers, addr)


if __name__ == "__main__":
    main()
