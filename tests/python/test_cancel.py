#!/usr/bin/python3
"""Leaving a tile iterator (break, close(), a with block, garbage collection)
stops the decoder at once: no thread left behind, no pipeline leaked."""
import gc
import os
import tempfile
import threading
import time
import unittest

import numpy

import gstmembound
import pngfiles
from gstmembound import _pipeline
from gstmembound.writer import convert


# Threads the decoder starts itself (g_thread_new, joined when it stops), by
# name; its streaming and worker threads come from GLib's thread pools.
DECODER_THREADS = {"pnginflate"}
# How long GLib's pools may keep threads that have finished their work: an
# idle pool thread waits about half a second for new work before it moves
# to the global unused list (two at most) or exits.
SETTLE_S = 10


def os_threads():
    return len(os.listdir("/proc/self/task"))


def thread_names():
    names = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:   # ended meanwhile
            pass
    return names


def settled_threads(limit):
    """The OS thread count, once it is at most `limit` or SETTLE_S have
    passed: pool threads that have just been given back leave on their own,
    a thread left running never does."""
    deadline = time.monotonic() + SETTLE_S
    while os_threads() > limit and time.monotonic() < deadline:
        time.sleep(0.05)
    return os_threads()


def fewest_threads(seconds):
    """The smallest OS thread count seen over `seconds`: the process at rest."""
    fewest, deadline = os_threads(), time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
        fewest = min(fewest, os_threads())
    return fewest


class Cancellation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()
        # tall, so that leaving after a few tiles is mid-image; small tiles,
        # so that the decoder is waiting for the caller when it leaves
        cls.path = pngfiles.mkpng(os.path.join(cls._tmp.name, "tall.png"), 1500, 3000)
        cls.image = gstmembound.open(cls.path)
        for _ in cls.image.tiles(256, 16):
            pass   # one complete run: GStreamer's thread pool is warm
        gc.collect()
        cls.python_threads = threading.active_count()
        cls.threads_after_a_full_run = fewest_threads(1.5)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def watch(self, tiles):
        """A list that gets an item when the iterator's pipeline is finalized
        (a real free, not just a dropped Python reference)."""
        freed = []
        tiles._stream.pipeline._pipeline.weak_ref(lambda *args: freed.append(True))
        return freed

    def assert_nothing_left(self):
        """No Python thread was started, no thread of the decoder's own is
        alive, and five cancellations left no OS thread behind: a finalized
        pipeline has joined its streaming threads, which go back to GLib's
        pools and leave them as they do after a complete run (one more may
        stay idle). A thread still running would stay: five of them."""
        self.assertEqual(threading.active_count(), self.python_threads)
        self.assertFalse(DECODER_THREADS & set(thread_names()), thread_names())
        limit = self.threads_after_a_full_run + 1
        self.assertLessEqual(settled_threads(limit), limit, thread_names())

    def test_break_stops_the_decoder(self):
        for _ in range(5):
            freed = None
            for n, _tile in enumerate(self.image.tiles(256, 16)):
                if freed is None:
                    freed = self.watch(next(iter(self.image._iterators)))
                if n == 5:
                    break
            del _tile
            self.assertTrue(freed)
        self.assert_nothing_left()

    def test_close_stops_the_decoder(self):
        for _ in range(5):
            tiles = self.image.tiles(256, 16)
            freed = self.watch(tiles)
            for _ in range(5):
                next(tiles)
            tiles.close()
            gc.collect()
            self.assertTrue(freed)   # while the iterator itself still exists
        self.assert_nothing_left()

    def test_garbage_collection_stops_the_decoder(self):
        for _ in range(5):
            tiles = self.image.tiles(256, 16)
            freed = self.watch(tiles)
            next(tiles)
            del tiles
            self.assertTrue(freed)
        self.assert_nothing_left()

    def test_with_block_stops_the_decoder(self):
        for _ in range(5):
            with self.image.tiles(256, 16) as tiles:
                freed = self.watch(tiles)
                next(tiles)
            gc.collect()
            self.assertTrue(freed)
        self.assert_nothing_left()

    def test_closing_the_image_stops_its_iterators(self):
        with gstmembound.open(self.path) as image:
            tiles = image.tiles(256, 16)
            freed = self.watch(tiles)
            next(tiles)
        gc.collect()
        self.assertTrue(freed)

    def test_an_exception_from_progress_stops_every_call(self):
        out = os.path.join(self._tmp.name, "out.png")

        def stop(fraction):
            raise KeyboardInterrupt

        kept = []   # the iterator outlives the exception: no GC stops it

        def keep(iterator):
            kept.append(iterator)
            return iterator

        calls = {
            "tiles": lambda: [None for _ in keep(self.image.tiles(256, 16, progress=stop))],
            "read_region": lambda: self.image.read_region(0, 2000, 10, 10, progress=stop),
            "thumbnail": lambda: self.image.thumbnail(width=50, progress=stop),
            "save": lambda: gstmembound.save(out, (numpy.zeros((10, 600, 3), numpy.uint8)
                                                   for _ in range(300)),
                                             height=3000, progress=stop),
            "convert": lambda: convert(self.path, out, progress=stop),
        }
        for name, call in calls.items():
            with self.subTest(call=name):
                with self.assertRaises(KeyboardInterrupt):
                    call()
                gc.collect()
                self.assertEqual(list(_pipeline._running), [])
                self.assertFalse(os.path.exists(out))
        self.assert_nothing_left()

    def test_tiles_kept_after_leaving_stay_valid(self):
        reference = pngfiles.decode(pngfiles.mkpng(os.path.join(self._tmp.name, "k.png"), 64, 64))
        tiles = gstmembound.open(os.path.join(self._tmp.name, "k.png")).tiles(32, 32)
        first = next(tiles)
        tiles.close()
        del tiles
        gc.collect()
        self.assertEqual(first.array.tolist(), reference[:32, :32].tolist())

    def test_closed_iterator_is_exhausted(self):
        tiles = self.image.tiles()
        next(tiles)
        tiles.close()
        self.assertEqual(list(tiles), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
