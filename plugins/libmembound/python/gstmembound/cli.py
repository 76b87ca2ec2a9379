"""The gst-membound command line: info, thumbnail, convert, region.

On a terminal, long commands draw a progress bar on stderr (rate and time
left) and end with one line: wall time, peak RSS, pixels per second. Off a
terminal there is no bar, only that line. An error is one line naming the
file, and exit status 1.
"""
import argparse
import resource
import sys
import time

from . import image as _image
from .errors import Error
from .writer import convert, save

_REDRAW_S = 0.1
_BAR_WIDTH = 30


class Progress:
    """Progress bar and closing summary for `pixels` pixels of work."""

    def __init__(self, pixels, stream=sys.stderr):
        self.pixels = pixels
        self.stream = stream
        self.on_terminal = stream.isatty()
        self.start = time.monotonic()
        self._drawn = 0.0

    def __call__(self, fraction):
        now = time.monotonic()
        if not self.on_terminal or (now - self._drawn < _REDRAW_S and fraction < 1.0):
            return
        self._drawn = now
        elapsed = now - self.start
        rate = fraction * self.pixels / elapsed if elapsed > 0 else 0.0
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else 0.0
        filled = int(_BAR_WIDTH * fraction)
        self.stream.write(f"\r[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {fraction:6.1%} "
                          f"{rate / 1e6:7.1f} Mpx/s  {_clock(left)} left ")
        self.stream.flush()

    def finish(self):
        elapsed = time.monotonic() - self.start
        _clear_bar(self.stream)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rate = self.pixels / elapsed if elapsed > 0 else 0.0
        self.stream.write(f"{elapsed:.2f} s, peak RSS {peak_kib / 1024:.1f} MiB, "
                          f"{rate / 1e6:.1f} Mpx/s\n")


def _clear_bar(stream):
    """Blanks the line a bar may be drawn on, so that what follows (the
    summary, an error) starts at its beginning."""
    if stream.isatty():
        stream.write("\r" + " " * (_BAR_WIDTH + 42) + "\r")


def _clock(seconds):
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _info(args):
    image = _image.open(args.file)
    kind = {1: "gray", 2: "gray + alpha", 3: "RGB", 4: "RGBA"}[image.channels]
    print(f"{image.path}: {image.width}x{image.height}, {image.channels} channels ({kind}), "
          f"{image.dtype.name}{', interlaced' if image.interlaced else ''}")


def _thumbnail(args):
    image = _image.open(args.input)
    progress = Progress(image.width * image.height)
    small = image.thumbnail(args.width, args.height, progress=progress)
    save(args.output, small)
    progress.finish()


def _convert(args):
    image = _image.open(args.input)
    props = {}
    if args.compression_level is not None:
        props["compression_level"] = args.compression_level
    if args.threads is not None:
        if _encoder_has("threads"):
            props["threads"] = args.threads
        else:
            print("gst-membound: this pngtileenc has no threads property; encoding on one thread",
                  file=sys.stderr)
    progress = Progress(image.width * image.height)
    convert(args.input, args.output, progress=progress, **props)
    progress.finish()


def _encoder_has(prop):
    from . import _pipeline
    return _pipeline.make("pngtileenc").find_property(prop) is not None


def _region(args):
    image = _image.open(args.input)
    progress = Progress(image.width * (args.y + args.height))
    pixels = image.read_region(args.x, args.y, args.width, args.height, progress=progress)
    save(args.output, pixels)
    progress.finish()


def _parser():
    parser = argparse.ArgumentParser(prog="gst-membound",
                                     description="Huge PNG images in bounded memory.")
    commands = parser.add_subparsers(dest="command", required=True)
    info = commands.add_parser("info", help="size, channels and sample type of a PNG")
    info.add_argument("file")
    info.set_defaults(run=_info)
    thumb = commands.add_parser("thumbnail", help="an area-averaged smaller PNG")
    thumb.add_argument("input")
    thumb.add_argument("output")
    thumb.add_argument("--width", type=int, default=0, help="pixels; 0 = from --height")
    thumb.add_argument("--height", type=int, default=0, help="pixels; 0 = from --width")
    thumb.set_defaults(run=_thumbnail)
    conv = commands.add_parser("convert", help="decode and encode again (e.g. another level)")
    conv.add_argument("input")
    conv.add_argument("output")
    conv.add_argument("--compression-level", type=int, choices=range(10), metavar="0-9")
    conv.add_argument("--threads", type=int, help="encoder threads, when pngtileenc has them")
    conv.set_defaults(run=_convert)
    region = commands.add_parser("region", help="a rectangle of the image as a PNG")
    region.add_argument("input")
    region.add_argument("output")
    for name in ("x", "y", "width", "height"):
        region.add_argument(name, type=int)
    region.set_defaults(run=_region)
    return parser


def main(argv=None):
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except (Error, ValueError) as e:
        _clear_bar(sys.stderr)
        print(f"gst-membound: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _clear_bar(sys.stderr)
        print("gst-membound: interrupted", file=sys.stderr)
        return 130
    return 0
