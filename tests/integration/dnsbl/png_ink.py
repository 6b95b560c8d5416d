#!/usr/bin/env python3
"""png_ink.py FILE.png MIN: exit 0 when the PNG has at least MIN non-white pixels and some
red (a listed cell) and green (a clean cell) ones. Reads 8-bit RGB/RGBA PNGs with zlib only."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise SystemExit("unsupported PNG type")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    out = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(line)
        prev = line
    return out, bpp


rows, bpp = pixels(sys.argv[1])
ink = red = green = 0
for line in rows:
    for i in range(0, len(line), bpp):
        r, g, b = line[i], line[i + 1], line[i + 2]
        if r < 240 or g < 240 or b < 240:
            ink += 1
        if r > 180 and g < 80 and b < 80:
            red += 1
        if g > 130 and r < 80 and b < 80:
            green += 1
print("non-white pixels: %d, red: %d, green: %d" % (ink, red, green))
sys.exit(0 if ink >= int(sys.argv[2]) and red > 100 and green > 100 else 1)
