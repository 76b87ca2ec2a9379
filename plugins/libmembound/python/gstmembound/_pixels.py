"""Decoded buffers as NumPy arrays: which format means which dtype and
channels, where the pixels of a buffer sit (stride, offset) and how a mapping
stays alive exactly as long as an array that points into it."""
import sys

import numpy

from ._gst import Gst, GstVideo
from .errors import Error

# GstVideoFormat name -> (samples per pixel, big-endian 16-bit?)
_FORMATS = {
    "GRAY8": (1, False),
    "RGB": (3, False),
    "RGBA": (4, False),
    "GRAY16_BE": (1, True),
    "RGBA64_BE": (4, True),
}
_BIG_U16 = numpy.dtype(">u2")


class Layout:
    """Where the pixels of every buffer with one caps sit, and which of the
    decoded channels the user gets (`channels`): the decoder turns gray with
    alpha into RGBA and 16-bit RGB into RGBA with an opaque alpha, and
    the arrays give back the image's own channels (R and A, or R, G and B)."""

    def __init__(self, caps, channels):
        info = GstVideo.VideoInfo.new_from_caps(caps)
        if info is None:
            raise Error(None, f"unexpected caps {caps.to_string()}")
        name = info.finfo.name
        if name not in _FORMATS:
            raise Error(None, f"unexpected pixel format {name}")
        self.caps = caps
        self.decoded_channels, self.big_endian = _FORMATS[name]
        self.sample_size = 2 if self.big_endian else 1
        self.width = info.width
        self.height = info.height
        self.stride = info.stride[0]
        self.offset = info.offset[0]
        self.channels = channels if channels else self.decoded_channels
        # the channels given start at the first decoded one, `step` apart
        decoded = self.decoded_channels
        if self.channels == decoded or (decoded, self.channels) == (4, 3):
            self.step = 1       # all, or R, G, B of RGBA
        elif (decoded, self.channels) == (4, 2):
            self.step = 3       # gray (R) and A of RGBA
        else:
            raise Error(None, f"cannot give {self.channels} channels from {name}")

    def typestr(self):
        return ">u2" if self.big_endian else "|u1"

    def shape_strides(self, width, height):
        """Shape and strides (bytes) of the top-left `width` x `height` pixels."""
        pixel = self.decoded_channels * self.sample_size
        return ((height, width, self.channels),
                (self.stride, pixel, self.step * self.sample_size))


def layout_for(caps, cached, channels):
    """`cached` if it describes `caps`, else a new Layout."""
    if cached is not None and caps.is_equal(cached.caps):
        return cached
    return Layout(caps, channels)


class LiveCount:
    """How many mapped buffers the application still holds."""
    __slots__ = ("n",)

    def __init__(self):
        self.n = 0


class Mapping:
    """A buffer mapped for reading, exposed to NumPy as an array interface.

    NumPy keeps the object that provides the interface as the base of every
    array made from it (and of their views), so the buffer stays mapped, and
    out of the decoder's pool, until the last such array is gone.
    """

    def __init__(self, buffer, layout, width, height, live=None):
        ok, info = buffer.map(Gst.MapFlags.READ)
        if not ok:
            raise Error(None, "could not map a decoded buffer")
        self._buffer, self._info, self._live = buffer, info, live
        address = numpy.frombuffer(info.data, numpy.uint8).ctypes.data
        shape, strides = layout.shape_strides(width, height)
        self.__array_interface__ = {
            "version": 3, "shape": shape, "strides": strides, "typestr": layout.typestr(),
            "data": (address + layout.offset, True),
        }
        if live is not None:
            live.n += 1

    def array(self):
        return numpy.asarray(self)

    def release(self):
        # A tile still alive when the interpreter exits is freed while the
        # introspection bindings are being torn down: unmapping then would
        # crash, and the process is ending anyway.
        if self._buffer is not None and not sys.is_finalizing():
            self._buffer.unmap(self._info)
            self._buffer = self._info = None
            if self._live is not None:
                self._live.n -= 1

    def __del__(self):
        self.release()


def copy_native(buffer, layout, width, height):
    """An owned array of the top-left pixels, in native byte order: 16-bit
    samples come big-endian from the decoder, and this is their one copy."""
    mapping = Mapping(buffer, layout, width, height)
    try:
        return numpy.array(mapping.array(), dtype=numpy.uint16 if layout.big_endian
                           else numpy.uint8, order="C")
    finally:
        mapping.release()


def copy_rows_into(out, buffer, layout, width, height, src_rows, src_cols, dst_rows):
    """Copies buffer pixels [src_rows, src_cols] into out[dst_rows] (converting
    16-bit samples to native order on the way), without keeping the mapping."""
    mapping = Mapping(buffer, layout, width, height)
    try:
        out[dst_rows] = mapping.array()[src_rows, src_cols]
    finally:
        mapping.release()
