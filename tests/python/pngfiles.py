"""PNG files for the Python tests: made by the project's membound-mkpng, or
written here byte by byte for damaged ones, and a reference decoder in plain
Python (small images only) that gives what gstmembound promises: palettes
expanded, tRNS as alpha, low bit depths scaled to 0-255, 16-bit native."""
import os
import struct
import subprocess
import zlib

import numpy

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2)]
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# (type name for membound-mkpng, bit depth, tRNS): every colour type and depth
CASES = [("gray", d, t) for d in (1, 2, 4, 8, 16) for t in (False, True)] + \
        [("grayalpha", d, False) for d in (8, 16)] + \
        [("rgb", d, t) for d in (8, 16) for t in (False, True)] + \
        [("palette", d, t) for d in (1, 2, 4, 8) for t in (False, True)] + \
        [("rgba", d, False) for d in (8, 16)]


def mkpng(path, width, height, kind="rgb", depth=8, trns=False, interlaced=False,
          pattern="photo", seed=1):
    """Writes a PNG with the project's fixture program (adaptive filters)."""
    args = [os.environ["MEMBOUND_MKPNG"], "-t", kind, "-d", str(depth), "-p", pattern,
            "-s", str(seed)]
    if trns:
        args.append("--trns")
    if interlaced:
        args.append("-i")
    subprocess.run(args + [str(width), str(height), path], check=True)
    return path


def chunks(data):
    """[(kind, offset of the chunk, body)] of a PNG's bytes."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.append((kind, pos, data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return out


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def decode(path):
    """The reference decode of a (small) PNG file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == SIGNATURE
    plte = trns = None
    idat = b""
    for kind, _, body in chunks(data):
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            plte = numpy.frombuffer(body, numpy.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat += body
    raw = _samples(zlib.decompress(idat), width, height, depth, ctype, interlace)
    return _to_user(raw, depth, ctype, plte, trns)


def _samples(raw, width, height, depth, ctype, interlace):
    spp = _SAMPLES[ctype]
    out = numpy.zeros((height, width, spp), numpy.uint32)
    bits = spp * depth
    fbpp = max(1, bits // 8)
    pos = 0
    for x0, y0, dx, dy in (_ADAM7 if interlace else [(0, 0, 1, 1)]):
        pw, ph = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if pw <= 0 or ph <= 0:
            continue
        row_bytes = (pw * bits + 7) // 8
        prev = bytearray(row_bytes)
        for r in range(ph):
            line = bytearray(raw[pos + 1:pos + 1 + row_bytes])
            _unfilter(raw[pos], line, prev, fbpp)
            pos += 1 + row_bytes
            out[y0 + r * dy, x0::dx][:pw] = _unpack(line, pw * spp, depth).reshape(pw, spp)
            prev = line
    return out


def _unfilter(ftype, line, prev, bpp):
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ftype == 1:
            line[i] = (line[i] + a) & 255
        elif ftype == 2:
            line[i] = (line[i] + b) & 255
        elif ftype == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif ftype == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 255
        else:
            assert ftype == 0, ftype


def _unpack(line, count, depth):
    data = numpy.frombuffer(bytes(line), numpy.uint8)
    if depth == 8:
        return data[:count].astype(numpy.uint32)
    if depth == 16:
        return data.view(">u2")[:count].astype(numpy.uint32)
    bits = numpy.unpackbits(data).reshape(-1, depth)
    weights = 1 << numpy.arange(depth - 1, -1, -1)
    return (bits * weights).sum(axis=1)[:count].astype(numpy.uint32)


def _to_user(raw, depth, ctype, plte, trns):
    dtype = numpy.uint16 if depth == 16 else numpy.uint8
    top = 65535 if depth == 16 else 255
    if ctype == 3:
        rgb = plte[raw[..., 0]].astype(numpy.uint32)
        if trns is None:
            return rgb.astype(dtype)
        alpha_table = numpy.full(256, 255, numpy.uint32)
        alpha_table[:len(trns)] = numpy.frombuffer(trns, numpy.uint8)
        return numpy.dstack([rgb, alpha_table[raw[..., 0]]]).astype(dtype)
    values = raw if depth >= 8 else raw * (255 // ((1 << depth) - 1))
    if trns is not None and ctype in (0, 2):
        key = numpy.frombuffer(trns, ">u2").astype(numpy.uint32)
        opaque = numpy.any(raw != key, axis=2)
        values = numpy.dstack([values, numpy.where(opaque, top, 0)])
    return values.astype(dtype)
