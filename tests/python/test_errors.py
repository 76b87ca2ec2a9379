#!/usr/bin/python3
"""A missing, truncated or corrupt file raises gstmembound.Error naming the
file with the decoder's reason: no hang, no iterator that ends early."""
import errno
import os
import tempfile
import unittest
import zlib

import gstmembound
import pngfiles


class BadFiles(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.good = pngfiles.mkpng(os.path.join(self._tmp.name, "good.png"), 200, 300)
        with open(self.good, "rb") as f:
            self.data = f.read()
        self.idat = [(pos, body) for kind, pos, body in pngfiles.chunks(self.data) if kind == b"IDAT"]

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self._tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assert_every_read_fails(self, path, reason):
        image = gstmembound.open(path)
        for what, read in [("tiles", lambda: list(image.tiles(64, 16))),
                           ("strips", lambda: [t for t in image.tiles()]),
                           ("region at the bottom", lambda: image.read_region(0, 290, 10, 10)),
                           ("thumbnail", lambda: image.thumbnail(width=20))]:
            with self.subTest(what=what):
                with self.assertRaises(gstmembound.Error) as caught:
                    read()
                self.assertIsInstance(caught.exception, OSError)
                self.assertEqual(caught.exception.filename, path)
                self.assertIn(path, str(caught.exception))
                self.assertRegex(str(caught.exception), reason)

    def test_missing_file_is_a_file_not_found_error(self):
        path = os.path.join(self._tmp.name, "missing.png")
        with self.assertRaises(gstmembound.Error) as caught:
            gstmembound.open(path)
        self.assertIsInstance(caught.exception, FileNotFoundError)
        self.assertEqual(caught.exception.errno, errno.ENOENT)
        self.assertEqual(str(caught.exception), f"{path}: No such file or directory")

    def test_not_a_png_is_refused_at_open(self):
        path = self.write("text.png", b"hello, this is not an image\n")
        with self.assertRaisesRegex(gstmembound.Error, "not a PNG"):
            gstmembound.open(path)

    def test_header_cut_short_is_refused_at_open(self):
        path = self.write("short.png", self.data[:20])
        with self.assertRaisesRegex(gstmembound.Error, "truncated"):
            gstmembound.open(path)

    def test_truncated_image_data_raises_from_every_read(self):
        pos, body = self.idat[len(self.idat) // 2]
        path = self.write("cut.png", self.data[:pos + 8 + len(body) // 2])
        self.assert_every_read_fails(path, "truncated|ended|IEND")

    def test_file_without_iend_raises(self):
        path = self.write("noiend.png", self.data[:-12])
        self.assert_every_read_fails(path, "IEND|truncated")

    def test_crc_error_raises_with_the_decoders_reason(self):
        pos, body = self.idat[0]
        damaged = bytearray(self.data)
        damaged[pos + 8 + len(body) // 2] ^= 0xFF
        path = self.write("crc.png", bytes(damaged))
        self.assert_every_read_fails(path, "IDAT: CRC error")

    def test_damaged_compressed_data_raises(self):
        raw = b"".join(b"\0" + bytes(600) for _ in range(300))
        stream = bytearray(zlib.compress(raw))
        stream[10:40] = b"\xff" * 30
        head = self.data[:8 + 25]
        path = self.write("inflate.png", head + pngfiles.chunk(b"IDAT", bytes(stream))
                          + pngfiles.chunk(b"IEND", b""))
        self.assert_every_read_fails(path, "IDAT|compressed|invalid|incorrect")

    def test_tiles_before_the_damage_come_then_the_error(self):
        pos, body = self.idat[-1]
        path = self.write("late.png", self.data[:pos + 8 + len(body) // 2])
        tiles = gstmembound.open(path).tiles(0, 10)
        got = 0
        with self.assertRaises(gstmembound.Error):
            for _ in tiles:
                got += 1
        self.assertGreater(got, 0)
        self.assertLess(got, 30)
        with self.assertRaises(StopIteration):
            next(tiles)

    def test_region_above_the_damage_is_still_read(self):
        # wide enough that the decoder's strips are a few dozen rows
        wide = pngfiles.mkpng(os.path.join(self._tmp.name, "wide.png"), 3000, 400)
        with open(wide, "rb") as f:
            data = f.read()
        pos, body = [(p, b) for k, p, b in pngfiles.chunks(data) if k == b"IDAT"][-1]
        path = self.write("top.png", data[:pos + 8 + len(body) // 2])
        region = gstmembound.open(path).read_region(100, 0, 200, 20)
        self.assertEqual(region.tolist(), pngfiles.decode(wide)[0:20, 100:300].tolist())

if __name__ == "__main__":
    unittest.main(verbosity=2)
