#!/usr/bin/env python3
"""Move the timestamps of a lab run onto a simulated timeline.

Sample generators drive real servers for real, but compress time: a stale device that retries
every 45 s is played as one session per real second. Each real step starts at a whole second S_k
and is recorded in a schedule file as "S_k T_k" (T_k = the simulated epoch it stands for). Every
timestamp t (log line or packet) is moved to T_k + (t - S_k), k being the last step with S_k <= t
(the first step for anything earlier), so a session keeps its real inner timing and its place on
the simulated timeline.

  retime.py --schedule FILE --year Y log IN OUT      syslog-style lines ("Nov 23 03:07:35 ...")
  retime.py --schedule FILE pcap IN OUT              classic pcap (microsecond or nanosecond)

Log timestamps are read and written in UTC (the lab runs with TZ=UTC). Exits 1 with a message on
malformed input.
"""
import argparse
import bisect
import calendar
import struct
import sys
import time

MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}


def load_schedule(path):
    steps = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                sys.exit(f"retime.py: {path}:{n}: expected 'REAL_EPOCH TARGET_EPOCH'")
            steps.append((float(parts[0]), float(parts[1])))
    if not steps:
        sys.exit(f"retime.py: {path}: empty schedule")
    steps.sort()
    for (s0, t0), (s1, t1) in zip(steps, steps[1:]):
        if t1 - t0 < s1 - s0:
            sys.exit("retime.py: the simulated gaps must not be shorter than the real ones")
    return steps


def mapper(steps):
    starts = [s for s, _ in steps]

    def move(t):
        k = max(0, bisect.bisect_right(starts, t) - 1)
        s, target = steps[k]
        return target + (t - s)
    return move


def retime_log(move, year, src, dst):
    with open(src, encoding="utf-8", errors="surrogateescape") as fin, \
            open(dst, "w", encoding="utf-8", errors="surrogateescape") as fout:
        for n, line in enumerate(fin, 1):
            mon, day, hms = line[0:3], line[4:6], line[7:15]
            if mon not in MONTHS or line[15:16] != " ":
                sys.exit(f"retime.py: {src}:{n}: no syslog timestamp at the start of the line")
            h, m, s = (int(x) for x in hms.split(":"))
            real = calendar.timegm((year, MONTHS[mon], int(day), h, m, s, 0, 0, 0))
            new = time.gmtime(int(move(real + 0.5)))
            stamp = time.strftime("%b %d %H:%M:%S", new)
            fout.write(stamp + line[15:])


def retime_pcap(move, src, dst):
    with open(src, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit(f"retime.py: {src}: too short for a pcap file")
    magic = data[:4]
    formats = {b"\xd4\xc3\xb2\xa1": ("<", 1e6), b"\xa1\xb2\xc3\xd4": (">", 1e6),
               b"\x4d\x3c\xb2\xa1": ("<", 1e9), b"\xa1\xb2\x3c\x4d": (">", 1e9)}
    if magic not in formats:
        sys.exit(f"retime.py: {src}: not a classic pcap file")
    endian, scale = formats[magic]
    out = bytearray(data[:24])
    off = 24
    hdr = struct.Struct(endian + "IIII")
    while off < len(data):
        if off + 16 > len(data):
            sys.exit(f"retime.py: {src}: truncated record header at offset {off}")
        sec, frac, incl, orig = hdr.unpack_from(data, off)
        if off + 16 + incl > len(data):
            sys.exit(f"retime.py: {src}: truncated packet at offset {off}")
        t = move(sec + frac / scale)
        nsec = int(t)
        nfrac = min(int(round((t - nsec) * scale)), int(scale) - 1)
        out += hdr.pack(nsec, nfrac, incl, orig)
        out += data[off + 16:off + 16 + incl]
        off += 16 + incl
    with open(dst, "wb") as f:
        f.write(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schedule", required=True)
    ap.add_argument("--year", type=int, default=time.gmtime().tm_year)
    ap.add_argument("kind", choices=["log", "pcap"])
    ap.add_argument("src")
    ap.add_argument("dst")
    a = ap.parse_args()
    move = mapper(load_schedule(a.schedule))
    if a.kind == "log":
        retime_log(move, a.year, a.src, a.dst)
    else:
        retime_pcap(move, a.src, a.dst)


if __name__ == "__main__":
    main()
