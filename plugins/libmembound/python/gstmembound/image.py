"""Images read through pngtiledec: tiles, regions and thumbnails as NumPy
arrays, in a memory bound that does not depend on the image's size."""
import os
import sys
import weakref

import numpy

from . import _pipeline
from ._gst import GstMembound
from ._header import read_header
from ._pixels import LiveCount, Mapping, copy_native, copy_rows_into, layout_for
from .errors import Error

# Buffers the tile iterator tells the decoder it may keep: the tile being
# handed out and the one the caller's loop variable still holds.
_KEPT_TILES = 2
_THUMBNAIL_BOX = 256
# Automatic strip height: about this many bytes per strip. The decoder's own
# choice (256 KiB) suits C; handing a strip to Python costs tens of
# microseconds whatever its size, which 1 MiB strips make negligible beside
# the decode. The row limit bounds a later, wider image of the same file,
# which gets the height chosen from the first one.
_STRIP_BYTES = 1 << 20
_MAX_STRIP_ROWS = 256


class Tile:
    """One tile of a decoded image.

    `x`, `y`, `width`, `height`: where the tile sits in the image, in pixels
    (edge tiles are smaller). `column`, `row`: its place in the tile grid.
    `image_index`: which image of the file (0 for an ordinary PNG).
    `array`: the pixels, shape (height, width, channels), read-only.

    For 8-bit images `array` is a view of the decoder's buffer, no copy; the
    buffer stays valid, and out of the decoder's pool, as long as the Tile or
    any array taken from it lives. For 16-bit images `array` is a copy of the
    tile in native byte order (the decoder produces big-endian samples).
    """
    __slots__ = ("x", "y", "width", "height", "column", "row", "image_index", "array")

    def __init__(self, meta, array):
        self.x, self.y, self.width, self.height = meta.x, meta.y, meta.width, meta.height
        self.column, self.row, self.image_index = meta.column, meta.row, meta.image_index
        self.array = array

    def __repr__(self):
        return (f"<Tile image {self.image_index} ({self.column}, {self.row}) at "
                f"{self.x},{self.y} {self.width}x{self.height}>")


class _TileStream:
    """pngtiledec's output, buffer by buffer, with each buffer's tile meta and
    layout; raises Error rather than ending early."""

    def __init__(self, image, tile_width, tile_height, kept_buffers=0):
        self.image = image
        if tile_width < 0 or tile_height < 0:
            raise ValueError(f"tile size must not be negative ({tile_width}x{tile_height})")
        if tile_height == 0 and (tile_width == 0 or tile_width >= image.width):
            tile_height = image._strip_rows()
        decoder = _pipeline.make("pngtiledec", tile_width=tile_width, tile_height=tile_height)
        _pipeline.ask_for_progress(decoder, False)
        sink = _pipeline.make_appsink(kept_buffers)
        source = _pipeline.make("filesrc", location=image.path)
        self.pipeline = _pipeline.Pipeline(image.path, [source, decoder, sink])
        self._layout = None
        self._complete = False
        self.pipeline.start()

    def next(self):
        """(buffer, tile meta, layout) of the next tile, or None at the end."""
        sample = self.pipeline.pull()
        if sample is None:
            self.close()
            if not self._complete:
                raise Error(None, "the decoder stopped before the image was complete",
                            self.image.path)
            return None
        buffer = sample.get_buffer()
        meta = GstMembound.buffer_get_tile_meta(buffer)
        if meta is None:
            self.close()
            raise Error(None, "a decoded buffer has no tile meta", self.image.path)
        # later images of a stream: the decoder's channels
        channels = self.image.channels if meta.image_index == 0 else 0
        self._layout = layout_for(sample.get_caps(), self._layout, channels)
        self._complete = meta.is_last()
        return buffer, meta, self._layout

    def close(self):
        if self.pipeline is not None:
            self.pipeline.stop()
            self.pipeline = None


class TileIterator:
    """Iterator of Tile objects returned by Image.tiles().

    Leaving it (`break`, `close()`, the end of a `with` block, or dropping the
    last reference) stops the decoder at once. Errors in the file raise Error
    from `next()`; the iterator never ends early without one.
    """

    def __init__(self, image, tile_width, tile_height, progress):
        self._stream = _TileStream(image, tile_width, tile_height, kept_buffers=_KEPT_TILES)
        self._progress = progress
        self._live = LiveCount()
        image._iterators.add(self)

    def __iter__(self):
        return self

    def __next__(self):
        if self._stream.pipeline is None:
            raise StopIteration
        # An error in the file, or an exception from the progress callback
        # (KeyboardInterrupt), stops the decoder before it propagates.
        try:
            item = self._stream.next()
            if item is None:
                raise StopIteration
            buffer, meta, layout = item
            tile = Tile(meta, self._pixels(buffer, meta, layout))
            if self._progress is not None and meta.column == meta.n_columns - 1:
                self._progress((meta.y + meta.height) / meta.image_height)
        except BaseException:
            self.close()
            raise
        return tile

    def _pixels(self, buffer, meta, layout):
        # A caller holding more than a row of tiles would hold every buffer of
        # the decoder's pool; from then on it gets copies and the decoder goes on.
        if layout.big_endian or self._live.n > meta.n_columns:
            return copy_native(buffer, layout, meta.width, meta.height)
        return Mapping(buffer, layout, meta.width, meta.height, self._live).array()

    def close(self):
        """Stops decoding now; further next() calls raise StopIteration."""
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if not sys.is_finalizing():
            self.close()


class Image:
    """A PNG file, of which only the header has been read.

    `path`, `width`, `height`, `channels` (1 gray, 2 gray + alpha, 3 RGB,
    4 RGBA; palettes are expanded and a tRNS chunk becomes an alpha channel),
    `dtype` (numpy.uint8 or numpy.uint16). Pixels are decoded only by tiles(),
    read_region() and thumbnail(), each a fresh pass over the file.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._header = read_header(self.path)
        self.width = self._header.width
        self.height = self._header.height
        self.channels = self._header.channels
        self.dtype = self._header.dtype
        self._iterators = weakref.WeakSet()

    def __repr__(self):
        return (f"<gstmembound.Image {self.path!r} {self.width}x{self.height} "
                f"{self.channels} channels {self.dtype.name}>")

    @property
    def interlaced(self):
        """True for an Adam7-interlaced PNG (decoded whole, see max-interlaced-bytes)."""
        return self._header.interlaced

    def tiles(self, tile_width=0, tile_height=0, progress=None):
        """An iterator of Tile objects, row-major, in a bounded memory.

        `tile_width` 0 is the full image width (strips, the fastest).
        `tile_height` 0 chooses from the header: strips of about 1 MiB (at
        most 256 rows), tiles of about 256 KiB (the decoder's choice).
        `progress(fraction)` is called after each row of tiles.

        Memory stays bounded (about two rows of tiles) while the caller holds
        at most one row of tiles plus one. A caller that keeps more gets
        copies from then on, each costing its own size: keeping every tile
        costs the whole decoded image (width x height x channels x bytes per
        sample). Use `tile.array.copy()` to keep pixels beyond the loop.
        """
        return TileIterator(self, tile_width, tile_height, progress)

    def read_region(self, x, y, width, height, progress=None):
        """The pixels of the rectangle at `x`, `y` of `width` x `height`, as a
        new array of shape (height, width, channels).

        Decoding stops after the region's last row: a region at the top of a
        large image costs a fraction of a full decode. `progress(fraction)`
        is called as the rows up to the region's last row are decoded.
        """
        self._check_region(x, y, width, height)
        out = numpy.empty((height, width, self.channels), self.dtype)
        stream = _TileStream(self, 0, 0)
        try:
            while True:
                item = stream.next()
                if item is None:
                    raise Error(None, "the image ended before the region", self.path)
                buffer, meta, layout = item
                top, bottom = max(y, meta.y), min(y + height, meta.y + meta.height)
                if top < bottom:
                    copy_rows_into(out, buffer, layout, meta.width, meta.height,
                                   slice(top - meta.y, bottom - meta.y), slice(x, x + width),
                                   slice(top - y, bottom - y))
                if progress is not None:
                    progress(min(1.0, (meta.y + meta.height) / (y + height)))
                if meta.y + meta.height >= y + height:
                    return out
        finally:
            stream.close()

    def _check_region(self, x, y, width, height):
        if width <= 0 or height <= 0:
            raise ValueError(f"the region must not be empty ({width}x{height})")
        if x < 0 or y < 0 or x + width > self.width or y + height > self.height:
            raise ValueError(f"the region {width}x{height} at {x},{y} is not inside the "
                             f"{self.width}x{self.height} image {self.path}")

    def thumbnail(self, width=0, height=0, progress=None):
        """A downscaled copy of the image (area averaging, `tilescale`), as a
        new array, in a memory bound that does not depend on the image.

        `width` or `height` 0 keeps the aspect ratio from the other; both 0
        fit the thumbnail in 256 x 256 (never larger than the image).
        `progress(fraction)` follows the decoder's rows.
        """
        width, height = self._thumbnail_size(width, height)
        decoder = _pipeline.make("pngtiledec")
        _pipeline.ask_for_progress(decoder, progress is not None)
        elements = [_pipeline.make("filesrc", location=self.path), decoder,
                    _pipeline.make("tilescale", width=width, height=height),
                    _pipeline.make_appsink()]
        pipeline = _pipeline.Pipeline(self.path, elements, progress)
        try:
            pipeline.start()
            sample = pipeline.pull()
            if sample is None:
                raise Error(None, "the decoder stopped before the image was complete", self.path)
            layout = layout_for(sample.get_caps(), None, self.channels)
            pixels = copy_native(sample.get_buffer(), layout, layout.width, layout.height)
        finally:
            pipeline.stop()
        if progress is not None:
            progress(1.0)   # the frame comes before the decoder's last message
        return pixels

    def _thumbnail_size(self, width, height):
        if width < 0 or height < 0:
            raise ValueError(f"thumbnail size must not be negative ({width}x{height})")
        if width == 0 and height == 0:
            box = min(_THUMBNAIL_BOX, max(self.width, self.height))
            if self.width >= self.height:
                width = box
            else:
                height = box
        return width, height

    def _strip_rows(self):
        """Rows of an automatic strip: about _STRIP_BYTES of the decoder's
        pixels (gray + alpha and 16-bit RGB come as RGBA)."""
        header = self._header
        samples = 1 if self.channels == 1 else (3 if self.channels == 3 and header.bit_depth <= 8
                                                 else 4)
        row_bytes = self.width * samples * (2 if header.bit_depth == 16 else 1)
        return max(1, min(_MAX_STRIP_ROWS, self.height, _STRIP_BYTES // row_bytes))

    def close(self):
        """Stops every tile iterator of this image still running."""
        for iterator in list(self._iterators):
            iterator.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open(path):
    """Opens the PNG file at `path`, reading only its header; returns an Image.

    Raises Error (an OSError) naming the file when it is missing, unreadable
    or not a PNG.
    """
    return Image(path)
