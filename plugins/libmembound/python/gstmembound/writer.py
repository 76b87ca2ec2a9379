"""Writing PNGs through pngtileenc: from a whole array or from row blocks,
strip by strip, so the image never needs to exist whole in memory."""
import contextlib
import os
import sys

import numpy

from . import _pipeline
from ._gst import Gst, GstMembound, GstVideo
from ._header import read_header
from .errors import Error

# Rows per strip pushed to the encoder: about this many bytes per strip.
_STRIP_BYTES = 256 * 1024
# Strips waiting in appsrc before push_buffer() blocks.
_QUEUED_STRIPS = 2
_NATIVE16 = "LE" if sys.byteorder == "little" else "BE"


def _gst_format(channels, dtype):
    """(GstVideoFormat name, channels written) for user pixels: the encoder
    has no gray + alpha and no 16-bit RGB input, so those become RGBA."""
    wide = dtype == numpy.uint16
    if channels == 1:
        return ("GRAY16_" + _NATIVE16 if wide else "GRAY8"), 1
    if channels == 3 and not wide:
        return "RGB", 3
    if channels in (2, 3, 4):
        return ("RGBA64_" + _NATIVE16 if wide else "RGBA"), 4
    raise ValueError(f"cannot write {channels} channels (1 to 4)")


def _to_encoder(block, written_channels, dtype):
    """`block` (rows, width, channels) as the encoder's channels."""
    channels = block.shape[2]
    if channels == written_channels:
        return block
    out = numpy.empty(block.shape[:2] + (4,), dtype)
    if channels == 2:
        out[..., 0:3] = block[..., 0:1]
        out[..., 3] = block[..., 1]
    else:
        out[..., 0:3] = block
        out[..., 3] = numpy.iinfo(dtype).max
    return out


def _as_block(block, width, channels, dtype):
    block = numpy.asarray(block)
    if block.ndim == 2:
        block = block[:, :, None]
    if block.ndim != 3 or block.shape[1] != width or block.shape[2] != channels:
        raise ValueError(f"a row block of shape {block.shape} does not match width {width} "
                         f"and {channels} channels")
    if block.dtype != dtype:
        raise ValueError(f"a row block of dtype {block.dtype} does not match dtype {dtype}")
    return block


class _StripWriter:
    """Gathers rows into strips of a fixed height and pushes each, with its
    tile meta, into appsrc; appsrc blocks when the encoder is behind."""

    def __init__(self, path, width, height, channels, dtype, encoder_props, progress):
        self.width, self.height, self.channels, self.dtype = width, height, channels, dtype
        self.format, self.written = _gst_format(channels, dtype)
        self.row_bytes = width * self.written * dtype.itemsize
        self.strip_rows = max(1, min(height, _STRIP_BYTES // self.row_bytes))
        self.n_strips = (height + self.strip_rows - 1) // self.strip_rows
        self.rows_done = 0
        self.progress = progress
        caps = Gst.Caps.from_string(f"video/x-raw,format={self.format},width={width},"
                                    f"height={self.strip_rows},framerate=0/1")
        # the caps' own layout: rows padded to 4 bytes, as every element expects
        info = GstVideo.VideoInfo.new_from_caps(caps)
        self.stride, self.strip_bytes = info.stride[0], info.size
        self.src = _pipeline.make("appsrc", caps=caps, block=True, format=Gst.Format.TIME,
                                  max_bytes=_QUEUED_STRIPS * self.strip_bytes)
        encoder = _pipeline.make("pngtileenc", **encoder_props)
        sink = _pipeline.make("filesink", location=path)
        self.pipeline = _pipeline.Pipeline(path, [self.src, encoder, sink])
        self._strip = None

    def write(self, block):
        block = _to_encoder(block, self.written, self.dtype)
        done = 0
        while done < block.shape[0]:
            if self.rows_done + (block.shape[0] - done) > self.height:
                raise ValueError(f"the rows given are more than height={self.height}")
            if self._strip is None:
                self._open_strip()
            buffer, mapping, array, y0 = self._strip
            fill = self.rows_done - y0
            n = min(self.strip_rows - fill, block.shape[0] - done)
            array[fill:fill + n] = block[done:done + n]
            done += n
            self.rows_done += n
            if fill + n == self.strip_rows or self.rows_done == self.height:
                self._push_strip()

    def _open_strip(self):
        buffer = Gst.Buffer.new_allocate(None, self.strip_bytes, None)
        ok, mapping = buffer.map(Gst.MapFlags.WRITE)
        if not ok:
            raise Error(None, "could not map a strip for writing")
        rows = numpy.frombuffer(mapping.data, numpy.uint8).reshape(self.strip_rows, self.stride)
        array = rows[:, :self.row_bytes].view(self.dtype).reshape(
            self.strip_rows, self.width, self.written)
        self._strip = (buffer, mapping, array, self.rows_done)

    def _push_strip(self):
        buffer, mapping, array, y0 = self._strip
        rows = self.rows_done - y0
        array[rows:] = 0
        del array   # the last view of the mapped memory, before unmapping
        buffer.unmap(mapping)
        self._strip = None
        row = y0 // self.strip_rows
        GstMembound.buffer_add_tile_meta(buffer, 0, self.width, self.height, 0, y0,
                                         self.width, rows, 0, row, 1, self.n_strips)
        if row > 0:
            buffer.set_flags(Gst.BufferFlags.DELTA_UNIT)
        ret = self.src.push_buffer(buffer)
        self.pipeline.raise_if_failed()
        if ret != Gst.FlowReturn.OK:
            raise Error(None, f"the encoder refused a strip ({ret.value_nick})", self.pipeline.path)
        if self.progress is not None:
            self.progress(self.rows_done / self.height)

    def finish(self):
        if self.rows_done != self.height:
            raise ValueError(f"the rows given are {self.rows_done}, height={self.height}")
        self.src.end_of_stream()
        self.pipeline.wait_eos()


def _first_block(rows):
    iterator = iter(rows)
    try:
        first = numpy.asarray(next(iterator))
    except StopIteration:
        raise ValueError("no rows to write") from None
    return first, iterator


def save(path, array_or_rows, width=None, height=None, channels=None, dtype=None,
         progress=None, **encoder_props):
    """Writes a PNG to `path` through pngtileenc.

    `array_or_rows` is either a NumPy array of shape (height, width, channels)
    or (height, width), or an iterable of row blocks of shape (rows, width,
    channels) or (rows, width): then `height` is required (the PNG header
    comes first) and `width`, `channels`, `dtype` default to the first
    block's. Blocks may have any number of rows; they are gathered into
    strips of about 256 KiB, so memory stays bounded whatever the image size.

    dtype uint8 or uint16; 1 channel is written as gray, 3 as RGB, 4 as
    RGBA; 2 channels (gray + alpha) are written as RGBA, and 16-bit RGB as
    16-bit RGBA with an opaque alpha (the encoder's formats).
    `encoder_props` are pngtileenc properties (`compression_level=9`,
    `filter="none"`). `progress(fraction)` is called after each strip.
    On any failure the partial file is removed and Error (or ValueError for
    bad arguments) is raised.
    """
    path = os.fspath(path)
    if isinstance(array_or_rows, numpy.ndarray):
        array = array_or_rows if array_or_rows.ndim == 3 else array_or_rows[:, :, None]
        if array.ndim != 3:
            raise ValueError(f"cannot write an array of shape {array_or_rows.shape}")
        blocks, first = None, array
        height = array.shape[0] if height is None else height
    else:
        if height is None:
            raise ValueError("height is required when writing from row blocks")
        first, blocks = _first_block(array_or_rows)
        if first.ndim == 2:
            first = first[:, :, None]
    width = first.shape[1] if width is None else width
    channels = first.shape[2] if channels is None else channels
    dtype = numpy.dtype(first.dtype if dtype is None else dtype)
    if dtype not in (numpy.uint8, numpy.uint16):
        raise ValueError(f"cannot write dtype {dtype} (uint8 or uint16)")
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot write an empty image ({width}x{height})")
    writer = _StripWriter(path, width, height, channels, dtype, encoder_props, progress)
    with _removed_on_failure(writer.pipeline, path):
        writer.pipeline.start()
        if blocks is None:
            _write_array(writer, _as_block(first, width, channels, dtype))
        else:
            writer.write(_as_block(first, width, channels, dtype))
            for block in blocks:
                writer.write(_as_block(block, width, channels, dtype))
        writer.finish()


def _write_array(writer, array):
    for y in range(0, array.shape[0], writer.strip_rows):
        writer.write(array[y:y + writer.strip_rows])


@contextlib.contextmanager
def _removed_on_failure(pipeline, path):
    """Stops `pipeline` at the end; on any failure, first removes the
    partial file at `path`."""
    try:
        yield
    except BaseException:
        pipeline.stop()
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    pipeline.stop()


def convert(src, dst, progress=None, **encoder_props):
    """Decodes the PNG `src` and encodes it again to `dst` (pngtiledec !
    pngtileenc, all in C); `progress(fraction)` follows the decoder's rows.
    `encoder_props` are pngtileenc properties. On failure `dst` is removed."""
    src, dst = os.fspath(src), os.fspath(dst)
    read_header(src)   # a missing or non-PNG file is named before any pipeline runs
    decoder = _pipeline.make("pngtiledec")
    _pipeline.ask_for_progress(decoder, progress is not None)
    encoder = _pipeline.make("pngtileenc", **encoder_props)
    pipeline = _pipeline.Pipeline(src, [_pipeline.make("filesrc", location=src), decoder,
                                        encoder, _pipeline.make("filesink", location=dst)],
                                  progress)
    with _removed_on_failure(pipeline, dst):
        pipeline.start()
        pipeline.wait_eos()
