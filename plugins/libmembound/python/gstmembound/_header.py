"""The PNG header, read in Python: IHDR and whether a tRNS chunk comes before
the image data. Nothing is decoded, so `open()` costs a few small reads
whatever the image's size."""
import struct
import zlib
from dataclasses import dataclass

import numpy

from .errors import Error, os_error

SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAY, RGB, PALETTE, GRAY_ALPHA, RGBA = 0, 2, 3, 4, 6
_DEPTHS = {GRAY: (1, 2, 4, 8, 16), RGB: (8, 16), PALETTE: (1, 2, 4, 8),
           GRAY_ALPHA: (8, 16), RGBA: (8, 16)}
# Chunks read to find tRNS: it must come before the first IDAT, and real files
# have a handful of chunks there; a file with more is still decoded, the
# decoder then finds out.
_MAX_CHUNKS_BEFORE_IDAT = 1024


@dataclass(frozen=True)
class Header:
    """What IHDR says, plus the presence of tRNS (it adds an alpha channel)."""
    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool
    has_trns: bool

    @property
    def channels(self):
        """Channels of the decoded pixels: palettes are expanded and tRNS
        becomes an alpha channel."""
        base = {GRAY: 1, GRAY_ALPHA: 2, RGB: 3, PALETTE: 3, RGBA: 4}[self.color_type]
        return base + 1 if self.has_trns and base in (1, 3) else base

    @property
    def dtype(self):
        return numpy.dtype(numpy.uint16 if self.bit_depth == 16 else numpy.uint8)


def read_header(path):
    """Reads the header of the PNG file at `path`; raises Error naming the
    file when it is missing, not a PNG or cut short before its image data."""
    try:
        with open(path, "rb") as f:
            return _parse(f, path)
    except OSError as e:
        if isinstance(e, Error):
            raise
        raise os_error(e, path) from None


def _read_exactly(f, n, path, what):
    data = f.read(n)
    if len(data) != n:
        raise Error(None, f"the file ends inside {what} (truncated PNG?)", path)
    return data


def _parse(f, path):
    if f.read(8) != SIGNATURE:
        raise Error(None, "not a PNG file (no PNG signature)", path)
    length, kind = struct.unpack(">I4s", _read_exactly(f, 8, path, "the IHDR chunk"))
    if kind != b"IHDR" or length != 13:
        raise Error(None, "the first chunk is not a valid IHDR", path)
    body = _read_exactly(f, 17, path, "the IHDR chunk")
    if zlib.crc32(kind + body[:13]) != struct.unpack(">I", body[13:])[0]:
        raise Error(None, "IHDR: CRC error", path)
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", body[:13])
    if width == 0 or height == 0 or depth not in _DEPTHS.get(color_type, ()):
        raise Error(None, f"IHDR is invalid ({width}x{height}, colour type {color_type}, "
                    f"bit depth {depth})", path)
    return Header(width, height, depth, color_type, interlace == 1, _has_trns(f, path))


def _has_trns(f, path):
    for _ in range(_MAX_CHUNKS_BEFORE_IDAT):
        length, kind = struct.unpack(">I4s", _read_exactly(f, 8, path, "a chunk header"))
        if kind == b"tRNS":
            return True
        if kind in (b"IDAT", b"IEND"):
            return False
        f.seek(length + 4, 1)
    return False
