"""gstmembound: huge PNG images as NumPy arrays, in a memory bound that does
not depend on the image's size.

    import gstmembound

    image = gstmembound.open("big.png")          # reads only the header
    for tile in image.tiles():                   # decodes while you iterate
        total += tile.array.sum(axis=(0, 1))     # (height, width, channels)
    corner = image.read_region(0, 0, 1024, 1024) # decodes only down to row 1024
    small = image.thumbnail(width=1920)          # area-averaged, streaming
    gstmembound.save("out.png", small)

Pixels are decoded by gst-membound's `pngtiledec` GStreamer element (and
scaled by `tilescale`, written by `pngtileenc`); no GStreamer knowledge is
needed to use this package. See docs/python.md.
"""
from .errors import Error
from .image import Image, Tile, TileIterator, open
from .writer import save

__version__ = "0.1.0"
__all__ = ["Error", "Image", "Tile", "TileIterator", "open", "save"]
