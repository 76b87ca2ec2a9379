#!/usr/bin/python3
"""Leaving a tile iterator (break, close(), a with block, garbage collection)
stops the decoder at once: no thread left behind, no pipeline leaked."""
import gc
import os
import tempfile
import threading
import unittest

import gstmembound
import pngfiles


def os_threads():
    return len(os.listdir("/proc/self/task"))


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
        cls.threads_after_a_full_run = os_threads()

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
        """No Python thread was started, and five cancellations left no OS
        thread behind: a finalized pipeline has joined its streaming threads
        (they go back to GStreamer's pool, which may keep one more idle)."""
        self.assertEqual(threading.active_count(), self.python_threads)
        self.assertLessEqual(os_threads(), self.threads_after_a_full_run + 1)

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
