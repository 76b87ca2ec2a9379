#!/usr/bin/python3
"""Applications read the tile meta from Python through GObject introspection.

Runs a real pipeline (generated PNG -> pngtiledec -> appsink) and checks that
every tile's GstTileMeta is readable with the fields the C API promises, and
that the accounting core's budgets are usable from Python.
"""
import os
import struct
import sys
import tempfile
import unittest
import zlib

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstMembound", "1.0")
from gi.repository import Gst, GstMembound  # noqa: E402


def make_png(width, height):
    """A tiny 8-bit gray PNG written by hand, so the test needs nothing else."""
    raw = b"".join(b"\x00" + bytes((x + y) & 0xFF for x in range(width)) for y in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


class TileMetaFromPython(unittest.TestCase):
    def test_tile_meta_fields_readable(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "gray.png")
            with open(path, "wb") as f:
                f.write(make_png(50, 30))
            pipeline = Gst.parse_launch(
                f"filesrc location={path} ! pngtiledec tile-width=20 tile-height=16 ! "
                "appsink name=sink sync=false")
            sink = pipeline.get_by_name("sink")
            pipeline.set_state(Gst.State.PLAYING)
            metas = []
            while True:
                sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
                if sample is None:
                    break
                meta = GstMembound.buffer_get_tile_meta(sample.get_buffer())
                self.assertIsNotNone(meta)
                metas.append((meta.image_index, meta.image_width, meta.image_height, meta.x,
                              meta.y, meta.width, meta.height, meta.column, meta.row,
                              meta.n_columns, meta.n_rows))
            pipeline.set_state(Gst.State.NULL)
        expected = []
        for row in range(2):
            for col in range(3):
                expected.append((0, 50, 30, col * 20, row * 16, 10 if col == 2 else 20,
                                 14 if row == 1 else 16, col, row, 3, 2))
        self.assertEqual(metas, expected)

    def test_tile_meta_added_from_python(self):
        buf = Gst.Buffer.new_allocate(None, 16, None)
        meta = GstMembound.buffer_add_tile_meta(buf, 4, 100, 80, 32, 0, 32, 16, 1, 0, 4, 5)
        self.assertEqual(meta.image_index, 4)
        again = GstMembound.buffer_get_tile_meta(buf)
        self.assertEqual((again.x, again.width, again.column, again.n_rows), (32, 32, 1, 5))
        self.assertFalse(again.is_first())
        self.assertFalse(again.is_last())

    def test_named_budget_shared(self):
        a = GstMembound.MemBudget.get_named("gi-test")
        b = GstMembound.MemBudget.get_named("gi-test")
        a.charge(1000)
        self.assertEqual(b.get_live_bytes(), 1000)
        b.release(1000)
        self.assertEqual(a.get_live_bytes(), 0)
        self.assertEqual(a.get_peak_bytes(), 1000)

    def test_budget_member_admits_and_flushes(self):
        budget = GstMembound.MemBudget.get_named("gi-member")
        holder = GstMembound.MemBudgetMember.new(budget, 1000)
        other = GstMembound.MemBudgetMember.new(budget, 0)
        self.assertEqual(budget.get_limit(), 1000)
        buf = Gst.Buffer.new_allocate(None, 1000, None)
        # the charged buffer (maybe a shallow copy of ours) comes back
        charged, buf = holder.track_buffer(buf)
        self.assertEqual(charged, 1000)
        self.assertEqual(holder.get_live_bytes(), 1000)
        # one admission rule: a member holding nothing is never starved
        self.assertTrue(other.fits(500))
        self.assertFalse(holder.fits(1))
        # a flushing member's wait ends at once, without a flag to share
        holder.set_flushing(True)
        self.assertTrue(holder.is_flushing())
        self.assertFalse(holder.wait(1))
        holder.set_flushing(False)
        del buf


if __name__ == "__main__":
    Gst.init(None)
    unittest.main(verbosity=2)
