#!/usr/bin/python3
"""Reading tiles, regions and thumbnails and writing from row blocks stay in
a bounded memory, measured as the peak RSS of a child process (wide margins:
the image decoded whole is 46 MiB, the bound allowed above an idle child is
half of that)."""
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

import pngfiles

SIDE = 4000
DECODED_MIB = SIDE * SIDE * 3 / 2**20
ALLOWED_MIB = DECODED_MIB / 2


def peak_rss_mib(code, *args):
    """Runs `code` in a fresh interpreter; its peak RSS in MiB."""
    script = "import resource, sys\nimport gstmembound, numpy\n" + textwrap.dedent(code) + \
        "\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    out = subprocess.run([sys.executable, "-c", script, *args], check=True,
                         capture_output=True, text=True, timeout=300).stdout
    return int(out.split()[-1]) / 1024


class MemoryBound(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()
        cls.path = pngfiles.mkpng(os.path.join(cls._tmp.name, "big.png"), SIDE, SIDE,
                                  pattern="hash")
        cls.idle = peak_rss_mib("image = gstmembound.open(sys.argv[1])", cls.path)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def assert_bounded(self, code, *args):
        peak = peak_rss_mib(code, *args)
        print(f"peak RSS {peak:.1f} MiB, idle {self.idle:.1f} MiB", file=sys.stderr)
        self.assertLess(peak - self.idle, ALLOWED_MIB,
                        f"peak RSS {peak:.1f} MiB, idle {self.idle:.1f} MiB")

    def test_iterating_tiles_is_bounded(self):
        self.assert_bounded("""
            total = numpy.zeros(3)
            for tile in gstmembound.open(sys.argv[1]).tiles(512, 512):
                total += tile.array.sum(axis=(0, 1))
            assert total.sum() > 0
        """, self.path)

    def test_iterating_strips_is_bounded(self):
        self.assert_bounded("""
            rows = 0
            for tile in gstmembound.open(sys.argv[1]).tiles():
                rows += tile.height if tile.x == 0 else 0
            assert rows == %d
        """ % SIDE, self.path)

    def test_thumbnail_is_bounded(self):
        self.assert_bounded("""
            assert gstmembound.open(sys.argv[1]).thumbnail(width=500).shape == (500, 500, 3)
        """, self.path)

    def test_reading_a_region_costs_the_region(self):
        # 1000 x 1000 RGB is 2.9 MiB: the bound above the region is the same
        self.assert_bounded("""
            region = gstmembound.open(sys.argv[1]).read_region(1500, 2500, 1000, 1000)
            assert region.shape == (1000, 1000, 3)
        """, self.path)

    def test_saving_from_row_blocks_is_bounded(self):
        out = os.path.join(self._tmp.name, "made.png")
        # One encoder thread: what is measured is the Python writer; the
        # encoder's workers (threads x segment-bytes) are its own stated bound.
        self.assert_bounded("""
            from gstmembound import _pipeline
            props = {"compression_level": 1}
            if _pipeline.make("pngtileenc").find_property("threads") is not None:
                props["threads"] = 1
            rows = (numpy.full((100, %d, 3), y %% 251, numpy.uint8) for y in range(%d))
            gstmembound.save(sys.argv[1], rows, height=%d, **props)
        """ % (SIDE, SIDE // 100, SIDE), out)
        self.assertGreater(os.path.getsize(out), 0)

    def test_keeping_every_tile_costs_the_image(self):
        # the other tests' bound is tight enough to see a whole image
        peak = peak_rss_mib("kept = list(gstmembound.open(sys.argv[1]).tiles())", self.path)
        self.assertGreater(peak - self.idle, DECODED_MIB * 0.9)


if __name__ == "__main__":
    unittest.main(verbosity=2)
