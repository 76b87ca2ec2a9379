"""Running one pipeline from Python: build it, pull what it produces, turn
bus errors into Error, report progress, and tear it down.

Everything runs on the caller's thread: the bus is polled between samples, no
GLib main loop and no Python callback on a streaming thread (except the
appsink's answer to the allocation query), so leaving an iterator can always stop the pipeline
at once with set_state(NULL), which also wakes a decoder waiting for a tile.
"""
import atexit
import errno
import sys
import weakref

from gi.repository import GObject

from ._gst import Gst, GstApp
from .errors import Error, NotFoundError

# How long one wait for a sample or a bus message lasts before the bus is
# looked at again; only an error with no following EOS waits this long.
_POLL_NS = 100 * Gst.MSECOND
# Progress messages are asked for every this many rows, and no more often
# than this (for decoders that rate-limit their messages).
PROGRESS_ROWS = 256
PROGRESS_INTERVAL_NS = 100 * Gst.MSECOND
_BUS_TYPES = Gst.MessageType.ERROR | Gst.MessageType.EOS | Gst.MessageType.ELEMENT


def make(factory, **props):
    """An element with its properties set (Python names: `tile_width` sets
    `tile-width`). Raises Error when the element is not installed, and
    ValueError for a property it does not have."""
    element = Gst.ElementFactory.make(factory, None)
    if element is None:
        raise Error(None, f"the GStreamer element {factory} is not installed "
                    "(is GST_PLUGIN_PATH set, or gst-membound installed?)")
    for name, value in props.items():
        prop = name.replace("_", "-")
        if element.find_property(prop) is None:
            raise ValueError(f"{factory} has no property {prop!r}")
        element.set_property(prop, value)
    return element


def ask_for_progress(decoder, wanted):
    """Progress messages from pngtiledec only when someone shows them: an
    unread bus keeps every message."""
    decoder.set_property("progress-rows", PROGRESS_ROWS if wanted else 0)
    # message-interval only where this build of the decoder has it
    if wanted and decoder.find_property("message-interval") is not None:
        decoder.set_property("message-interval", PROGRESS_INTERVAL_NS)


class _AppSink(GstApp.AppSink):
    """appsink that tells upstream how many buffers the application keeps.

    Answering the ALLOCATION query with a pool entry of no pool and a minimum
    of `kept_buffers` makes pngtiledec's bounded pool that many buffers
    larger, so a caller still holding the previous tile never stalls the
    decoder. Runs on the streaming thread, once per negotiation.
    """
    kept_buffers = 0

    def do_propose_allocation(self, query):
        if self.kept_buffers:
            query.add_allocation_pool(None, 0, self.kept_buffers, 0)
        return True


GObject.type_register(_AppSink)


def make_appsink(kept_buffers=0):
    """An appsink for pulling from Python: no clock, no last-sample copy (it
    would keep one more buffer out of the pool), `kept_buffers` announced."""
    sink = _AppSink()
    sink.kept_buffers = kept_buffers
    sink.set_property("sync", False)
    sink.set_property("enable-last-sample", False)
    return sink


def error_from_message(message, path):
    """The Error for an ERROR bus message about `path`."""
    gerror, debug = message.parse_error()
    if gerror.matches(Gst.ResourceError.quark(), Gst.ResourceError.NOT_FOUND):
        return NotFoundError(errno.ENOENT, gerror.message, path, debug)
    code = errno.ENOSPC if gerror.matches(Gst.ResourceError.quark(),
                                          Gst.ResourceError.NO_SPACE_LEFT) else None
    return Error(code, gerror.message, path, debug)


# Pipelines not yet stopped; the ones still running when the interpreter
# exits are stopped before it tears the bindings down.
_running = weakref.WeakSet()


@atexit.register
def _stop_running():
    for pipeline in list(_running):
        pipeline.stop()


class Pipeline:
    """A linear pipeline of `elements` about the file `path` (named in errors).

    `progress(fraction)` follows pngtiledec's progress messages.
    """

    def __init__(self, path, elements, progress=None):
        self.path = path
        self.progress = progress
        self._pipeline = Gst.Pipeline.new(None)
        for element in elements:
            self._pipeline.add(element)
        for upstream, downstream in zip(elements, elements[1:]):
            if not upstream.link(downstream):
                raise Error(None, f"could not link {upstream.get_name()} to "
                            f"{downstream.get_name()}", path)
        self.sink = elements[-1]
        self._bus = self._pipeline.get_bus()
        self._eos = False
        self._error = None
        _running.add(self)

    def start(self):
        if self._pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.raise_if_failed()
            self.stop()
            raise Error(None, "the pipeline could not start", self.path)

    def pull(self):
        """The next sample from the appsink, or None after EOS. After an
        error, the samples decoded before it still come, then Error is raised."""
        while True:
            sample = self.sink.try_pull_sample(0 if self._error else _POLL_NS)
            self._check_bus()
            if sample is not None:
                return sample
            self.raise_if_failed()
            if self.sink.is_eos():
                return None

    def wait_eos(self):
        """Waits until the pipeline has run to its end (no appsink)."""
        while not self._eos:
            message = self._bus.timed_pop_filtered(_POLL_NS, _BUS_TYPES)
            if message is not None:
                self._handle(message)
            self.raise_if_failed()

    def raise_if_failed(self):
        """Raises the pipeline's first error, if it posted one, and stops it."""
        self._check_bus()
        if self._error is not None:
            self.stop()
            raise self._error

    def _check_bus(self):
        while (self._bus is not None
               and (message := self._bus.pop_filtered(_BUS_TYPES)) is not None):
            self._handle(message)

    def _handle(self, message):
        if message.type == Gst.MessageType.ERROR:
            if self._error is None:
                self._error = error_from_message(message, self.path)
            return
        if message.type == Gst.MessageType.EOS:
            self._eos = True
            return
        structure = message.get_structure()
        if (self.progress is not None and structure is not None
                and structure.get_name() == "pngtiledec-progress"):
            _, done = structure.get_uint("rows-done")
            _, total = structure.get_uint("rows-total")
            self.progress(done / total if total else 1.0)

    def stop(self):
        """Tears the pipeline down (idempotent): its threads are stopped and
        joined, a decoder waiting for a tile is woken and returns."""
        if self._pipeline is None:
            return
        _running.discard(self)
        self._pipeline.set_state(Gst.State.NULL)
        self._pipeline = None
        self._bus = None
        self.sink = None

    def __del__(self):
        if not sys.is_finalizing():
            self.stop()
