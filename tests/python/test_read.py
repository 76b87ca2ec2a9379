#!/usr/bin/python3
"""gstmembound reads every PNG exactly: headers, tiles, regions, thumbnails."""
import os
import tempfile
import unittest

import numpy

import gstmembound
import pngfiles
from gstmembound._gst import Gst, GstVideo


def reassemble(image, **tile_args):
    out = numpy.zeros((image.height, image.width, image.channels), image.dtype)
    covered = numpy.zeros((image.height, image.width), numpy.int32)
    for tile in image.tiles(**tile_args):
        out[tile.y:tile.y + tile.height, tile.x:tile.x + tile.width] = tile.array
        covered[tile.y:tile.y + tile.height, tile.x:tile.x + tile.width] += 1
    return out, covered


class Scratch(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def png(self, name, width, height, kind="rgb", depth=8, trns=False, **kw):
        return pngfiles.mkpng(os.path.join(self.tmp, name), width, height, kind, depth, trns, **kw)


class EveryColourTypeAndDepth(Scratch):
    def test_tiles_reassembled_equal_the_reference_decode(self):
        for kind, depth, trns in pngfiles.CASES:
            with self.subTest(kind=kind, depth=depth, trns=trns):
                path = self.png(f"{kind}{depth}{trns}.png", 37, 29, kind, depth, trns)
                reference = pngfiles.decode(path)
                image = gstmembound.open(path)
                self.assertEqual((image.height, image.width, image.channels), reference.shape)
                self.assertEqual(image.dtype, reference.dtype)
                out, covered = reassemble(image, tile_width=16, tile_height=8)
                self.assertTrue((covered == 1).all())
                numpy.testing.assert_array_equal(out, reference)

    def test_strips_of_interlaced_images_equal_the_reference_decode(self):
        for kind, depth, trns in [("rgb", 8, False), ("gray", 2, True), ("rgba", 16, False)]:
            with self.subTest(kind=kind, depth=depth):
                path = self.png(f"i{kind}{depth}.png", 29, 23, kind, depth, trns, interlaced=True)
                image = gstmembound.open(path)
                self.assertTrue(image.interlaced)
                out, _ = reassemble(image)
                numpy.testing.assert_array_equal(out, pngfiles.decode(path))

    def test_sixteen_bit_arrays_are_native_uint16(self):
        path = self.png("rgb16.png", 20, 10, "rgb", 16)
        tile = next(iter(gstmembound.open(path).tiles()))
        self.assertEqual(tile.array.dtype, numpy.dtype(numpy.uint16))
        self.assertTrue(tile.array.dtype.isnative)


class Tiles(Scratch):
    def test_tile_geometry_follows_the_grid(self):
        path = self.png("grid.png", 50, 30)
        tiles = [(t.x, t.y, t.width, t.height, t.column, t.row, t.image_index, t.array.shape)
                 for t in gstmembound.open(path).tiles(20, 16)]
        expected = [(c * 20, r * 16, 10 if c == 2 else 20, 14 if r == 1 else 16, c, r, 0,
                     (14 if r == 1 else 16, 10 if c == 2 else 20, 3))
                    for r in range(2) for c in range(3)]
        self.assertEqual(tiles, expected)

    def test_eight_bit_tiles_are_read_only_views_of_the_decoded_buffer(self):
        path = self.png("view.png", 64, 64)
        for tile in gstmembound.open(path).tiles(32, 32):
            self.assertFalse(tile.array.flags.writeable)
            self.assertFalse(tile.array.flags.owndata)
            with self.assertRaises(ValueError):
                tile.array[0, 0, 0] = 1

    def test_tiles_kept_beyond_a_row_stay_correct(self):
        path = self.png("keep.png", 300, 200)
        image = gstmembound.open(path)
        kept = list(image.tiles(64, 16))
        out = numpy.zeros((200, 300, 3), numpy.uint8)
        for tile in kept:
            out[tile.y:tile.y + tile.height, tile.x:tile.x + tile.width] = tile.array
        numpy.testing.assert_array_equal(out, pngfiles.decode(path))

    def test_automatic_strips_hold_about_a_mebibyte(self):
        for kind, depth, width, bytes_per_pixel in [("rgb", 8, 2000, 3), ("grayalpha", 8, 1500, 4),
                                                    ("rgb", 16, 700, 8), ("gray", 1, 9000, 1)]:
            with self.subTest(kind=kind, depth=depth):
                image = gstmembound.open(self.png(f"s{kind}{depth}.png", width, 600, kind, depth))
                heights = [t.height for t in image.tiles()]
                self.assertEqual(sum(heights), 600)
                strip_bytes = heights[0] * width * bytes_per_pixel
                self.assertTrue(2**19 < strip_bytes <= 2**20, heights)

    def test_automatic_strips_of_narrow_images_stop_at_256_rows(self):
        image = gstmembound.open(self.png("narrow.png", 10, 1000))
        self.assertEqual([t.height for t in image.tiles()], [256, 256, 256, 232])

    def test_negative_tile_sizes_are_refused(self):
        image = gstmembound.open(self.png("neg.png", 10, 10))
        for size in [(-1, 0), (0, -5)]:
            with self.subTest(size=size), self.assertRaises(ValueError):
                image.tiles(*size)

    def test_progress_reaches_one(self):
        path = self.png("progress.png", 40, 100)
        seen = []
        for _ in gstmembound.open(path).tiles(0, 10, progress=seen.append):
            pass
        self.assertEqual(len(seen), 10)
        self.assertEqual(seen, sorted(seen))
        self.assertEqual(seen[-1], 1.0)


class Regions(Scratch):
    def test_regions_at_corners_and_edges_are_exact(self):
        for kind, depth, trns in [("rgb", 8, False), ("gray", 16, True), ("palette", 4, True),
                                  ("grayalpha", 8, False)]:
            path = self.png(f"r{kind}{depth}.png", 61, 47, kind, depth, trns)
            reference = pngfiles.decode(path)
            image = gstmembound.open(path)
            for x, y, w, h in [(0, 0, 10, 7), (51, 0, 10, 9), (0, 40, 13, 7), (50, 36, 11, 11),
                               (0, 0, 61, 47), (20, 0, 1, 47), (0, 23, 61, 1), (60, 46, 1, 1)]:
                with self.subTest(kind=kind, depth=depth, region=(x, y, w, h)):
                    region = image.read_region(x, y, w, h)
                    self.assertTrue(region.flags.writeable)
                    numpy.testing.assert_array_equal(region, reference[y:y + h, x:x + w])

    def test_regions_outside_the_image_are_refused(self):
        image = gstmembound.open(self.png("small.png", 20, 10))
        for region in [(-1, 0, 5, 5), (16, 0, 5, 5), (0, 6, 5, 5), (0, 0, 0, 5)]:
            with self.subTest(region=region), self.assertRaises(ValueError):
                image.read_region(*region)

    def test_region_progress_ends_at_one(self):
        image = gstmembound.open(self.png("rp.png", 40, 400))
        seen = []
        image.read_region(5, 10, 10, 20, progress=seen.append)
        self.assertEqual(seen[-1], 1.0)


def tilescale_frame(path, width, height):
    """tilescale's own output for `path`, run as a plain pipeline."""
    pipeline = Gst.parse_launch(f'filesrc location="{path}" ! pngtiledec ! tilescale width={width} '
                                f'height={height} ! appsink name=sink sync=false')
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    sample = sink.try_pull_sample(30 * Gst.SECOND)
    pipeline.set_state(Gst.State.NULL)
    info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
    ok, mapping = sample.get_buffer().map(Gst.MapFlags.READ)
    data = bytes(mapping.data)
    sample.get_buffer().unmap(mapping)
    big = info.finfo.name.endswith("_BE")
    channels = {"GRAY8": 1, "RGB": 3, "RGBA": 4, "GRAY16_BE": 1, "RGBA64_BE": 4}[info.finfo.name]
    rows = numpy.frombuffer(data, numpy.uint8)[info.offset[0]:].reshape(-1, info.stride[0])
    pixels = rows[:info.height, :info.width * channels * (2 if big else 1)]
    pixels = pixels.copy().view(">u2" if big else numpy.uint8).reshape(info.height, info.width, channels)
    return pixels


class Thumbnails(Scratch):
    def test_thumbnails_equal_tilescale_output(self):
        cases = [("rgb", 8, False, 3), ("rgb", 16, False, 3), ("gray", 8, False, 1),
                 ("grayalpha", 8, False, 2), ("palette", 8, True, 4)]
        for kind, depth, trns, channels in cases:
            with self.subTest(kind=kind, depth=depth):
                path = self.png(f"t{kind}{depth}.png", 301, 203, kind, depth, trns)
                thumb = gstmembound.open(path).thumbnail(width=64)
                frame = tilescale_frame(path, 64, 0)
                self.assertEqual(thumb.shape, (43, 64, channels))
                if channels == 2:
                    frame = frame[..., ::3]
                elif channels == 3:
                    frame = frame[..., :3]
                numpy.testing.assert_array_equal(thumb, frame.astype(thumb.dtype))

    def test_thumbnail_sizes(self):
        image = gstmembound.open(self.png("size.png", 400, 100))
        self.assertEqual(image.thumbnail(height=10).shape, (10, 40, 3))
        self.assertEqual(image.thumbnail(30, 30).shape, (30, 30, 3))
        self.assertEqual(image.thumbnail().shape, (64, 256, 3))
        small = gstmembound.open(self.png("tiny.png", 12, 30))
        self.assertEqual(small.thumbnail().shape, (30, 12, 3))

    def test_thumbnail_progress_reaches_one(self):
        seen = []
        gstmembound.open(self.png("tp.png", 64, 600)).thumbnail(width=8, progress=seen.append)
        self.assertTrue(seen)
        self.assertEqual(seen[-1], 1.0)


class Header(Scratch):
    def test_open_reads_the_header_only(self):
        path = self.png("h.png", 123, 45, "palette", 4, True)
        with open(path, "rb") as f:
            data = f.read()
        # everything after the first IDAT chunk's header is garbage
        first_idat = next(pos for kind, pos, _ in pngfiles.chunks(data) if kind == b"IDAT")
        with open(path, "wb") as f:
            f.write(data[:first_idat + 8] + b"\0" * 10)
        image = gstmembound.open(path)
        self.assertEqual((image.width, image.height, image.channels, image.dtype, image.path),
                         (123, 45, 4, numpy.uint8, path))

    def test_image_is_a_context_manager(self):
        path = self.png("ctx.png", 30, 300)
        with gstmembound.open(path) as image:
            tiles = image.tiles(0, 10)
            next(tiles)
        self.assertEqual(list(tiles), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
