#!/usr/bin/python3
"""gstmembound.save writes every array and row-block stream as the PNG it
promises, passes encoder properties through, and leaves no partial file."""
import os
import tempfile
import unittest

import numpy

import gstmembound
import pngfiles


def pixels(height, width, channels, dtype, seed=3):
    rng = numpy.random.default_rng(seed)
    top = numpy.iinfo(dtype).max
    return rng.integers(0, top, (height, width, channels), dtype=dtype, endpoint=True)


class Save(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.out = os.path.join(self._tmp.name, "out.png")

    def tearDown(self):
        self._tmp.cleanup()

    def test_arrays_of_every_channel_count_and_depth_round_trip(self):
        for dtype in (numpy.uint8, numpy.uint16):
            for channels in (1, 2, 3, 4):
                with self.subTest(dtype=dtype, channels=channels):
                    array = pixels(53, 41, channels, dtype)
                    gstmembound.save(self.out, array)
                    written = pngfiles.decode(self.out)
                    if channels == 2:    # written as RGBA
                        expected = numpy.dstack([array[..., :1]] * 3 + [array[..., 1:]])
                    elif channels == 3 and dtype == numpy.uint16:   # RGBA, opaque
                        expected = numpy.dstack([array, numpy.full(array.shape[:2], 65535)])
                    else:
                        expected = array
                    numpy.testing.assert_array_equal(written, expected.astype(dtype))
                    back = gstmembound.open(self.out)
                    self.assertEqual(back.dtype, dtype)

    def test_two_dimensional_arrays_are_gray(self):
        array = pixels(20, 30, 1, numpy.uint8)[..., 0]
        gstmembound.save(self.out, array)
        numpy.testing.assert_array_equal(pngfiles.decode(self.out)[..., 0], array)

    def test_row_blocks_of_any_height_are_gathered(self):
        array = pixels(301, 257, 3, numpy.uint8)
        cuts = [0, 1, 8, 9, 100, 250, 301]
        blocks = (array[a:b] for a, b in zip(cuts, cuts[1:]))
        seen = []
        gstmembound.save(self.out, blocks, height=301, progress=seen.append)
        numpy.testing.assert_array_equal(pngfiles.decode(self.out), array)
        self.assertEqual(seen[-1], 1.0)

    def test_encoder_properties_pass_through(self):
        array = pixels(100, 100, 3, numpy.uint8)
        gstmembound.save(self.out, array, compression_level=0)
        stored = os.path.getsize(self.out)
        gstmembound.save(self.out, numpy.zeros_like(array), compression_level=9)
        self.assertLess(os.path.getsize(self.out), stored // 10)
        with self.assertRaisesRegex(ValueError, "no-such-thing"):
            gstmembound.save(self.out, array, no_such_thing=1)

    def test_too_few_rows_leave_no_file(self):
        array = pixels(10, 10, 3, numpy.uint8)
        with self.assertRaisesRegex(ValueError, "height"):
            gstmembound.save(self.out, iter([array]), height=20)
        self.assertFalse(os.path.exists(self.out))

    def test_too_many_rows_are_refused(self):
        array = pixels(10, 10, 3, numpy.uint8)
        with self.assertRaisesRegex(ValueError, "height"):
            gstmembound.save(self.out, iter([array, array]), height=15)
        self.assertFalse(os.path.exists(self.out))

    def test_row_blocks_need_a_height(self):
        with self.assertRaisesRegex(ValueError, "height"):
            gstmembound.save(self.out, iter([pixels(2, 2, 3, numpy.uint8)]))

    def test_unwritable_path_raises_error_naming_it(self):
        path = os.path.join(self._tmp.name, "no", "such", "dir.png")
        with self.assertRaises(gstmembound.Error) as caught:
            gstmembound.save(path, pixels(4, 4, 3, numpy.uint8))
        self.assertIn(path, str(caught.exception))
        self.assertFalse(os.path.exists(path))

    def test_wrong_dtype_is_refused(self):
        with self.assertRaises(ValueError):
            gstmembound.save(self.out, numpy.zeros((4, 4, 3), numpy.float32))


if __name__ == "__main__":
    unittest.main(verbosity=2)
