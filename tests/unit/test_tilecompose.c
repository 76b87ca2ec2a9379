/* tilecompose: the promises of the tiles-to-whole-frames element. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gsttilemeta.h"

/* A whole image: the reference every composed frame must equal. */
typedef struct {
  GstVideoInfo info;
  GstBuffer *buffer;
} Image;

static void
image_init (Image * image, GstVideoFormat format, guint width, guint height,
    guint seed)
{
  GstMapInfo map;
  GRand *rand = g_rand_new_with_seed (seed);
  gsize i;

  g_assert_true (gst_video_info_set_format (&image->info, format, width,
          height));
  image->buffer = gst_buffer_new_allocate (NULL, image->info.size, NULL);
  gst_buffer_map (image->buffer, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = g_rand_int (rand) & 0xff;
  gst_buffer_unmap (image->buffer, &map);
  g_rand_free (rand);
}

static void
image_clear (Image * image)
{
  gst_clear_buffer (&image->buffer);
}

/* Bytes per pixel of the line format unpack_func produces. */
static gsize
unpacked_bytes (const GstVideoFormatInfo * finfo)
{
  return GST_VIDEO_FORMAT_INFO_BITS (finfo) > 8 ? 8 : 4;
}

/* Tile caps: the tile size clamped to the image, as producers do. */
static GstCaps *
tile_caps (const Image * image, const GstTileGrid * grid)
{
  GstVideoInfo info;

  gst_video_info_set_format (&info, GST_VIDEO_INFO_FORMAT (&image->info),
      grid->tile_width, grid->tile_height);
  info.fps_n = 5;
  info.fps_d = 1;
  info.par_n = 2;
  info.par_d = 3;
  return gst_video_info_to_caps (&info);
}

/* Cuts tile (@col, @row) out of @image by unpacking each row of its region
 * and packing it into the tile: an implementation independent of
 * tilecompose's plane arithmetic. @pad_stride > 0 gives
 * every plane that many extra bytes per row, described by a GstVideoMeta;
 * everything outside the valid region is filled with 0xEE so that a
 * composer reading past it shows. */
static GstBuffer *
cut_tile (const Image * image, const GstTileGrid * grid, guint col, guint row,
    guint64 index, guint pad_stride)
{
  GstVideoInfo tinfo;
  GstVideoFrame src, dst;
  const GstVideoFormatInfo *finfo = image->info.finfo;
  GstBuffer *tile;
  guint8 *line;
  guint x, y, w, h, p, r;
  gsize offset = 0;

  gst_tile_grid_tile_rect (grid, col, row, &x, &y, &w, &h);
  gst_video_info_set_format (&tinfo, GST_VIDEO_INFO_FORMAT (&image->info),
      grid->tile_width, grid->tile_height);
  if (pad_stride) {
    for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&tinfo); p++) {
      gint comp[GST_VIDEO_MAX_COMPONENTS];
      guint rows;

      gst_video_format_info_component (tinfo.finfo, p, comp);
      rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (tinfo.finfo, comp[0],
          grid->tile_height);
      tinfo.stride[p] += pad_stride;
      tinfo.offset[p] = offset;
      offset += (gsize) tinfo.stride[p] * rows;
    }
    tinfo.size = offset;
  }
  tile = gst_buffer_new_allocate (NULL, tinfo.size, NULL);
  gst_buffer_memset (tile, 0, 0xEE, tinfo.size);
  if (pad_stride)
    gst_buffer_add_video_meta_full (tile, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_INFO_FORMAT (&tinfo), tinfo.width, tinfo.height,
        tinfo.finfo->n_planes, tinfo.offset, tinfo.stride);

  g_assert_true (gst_video_frame_map (&src, &image->info, image->buffer,
          GST_MAP_READ));
  g_assert_true (gst_video_frame_map (&dst, &tinfo, tile, GST_MAP_WRITE));
  /* whole rows: 1.22's RGBA64 unpackers misplace a non-zero x */
  line = g_malloc0 ((gsize) image->info.width * 8 + 64);
  for (r = 0; r < h; r++) {
    finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, line, src.data,
        src.info.stride, 0, y + r, image->info.width);
    finfo->pack_func (finfo, GST_VIDEO_PACK_FLAG_NONE,
        line + (gsize) x * unpacked_bytes (finfo), 0, dst.data,
        dst.info.stride, GST_VIDEO_CHROMA_SITE_UNKNOWN, r, w);
  }
  g_free (line);
  gst_video_frame_unmap (&dst);
  gst_video_frame_unmap (&src);

  gst_tile_grid_add_meta (grid, tile, index, col, row);
  GST_BUFFER_OFFSET (tile) = index;
  if (col != 0 || row != 0)
    GST_BUFFER_FLAG_SET (tile, GST_BUFFER_FLAG_DELTA_UNIT);
  return tile;
}

/* Pushes tiles [@first, @end) of @image in row-major order. */
static void
push_tiles (GstHarness * h, const Image * image, const GstTileGrid * grid,
    guint64 index, GstClockTime pts, guint first, guint end, guint pad_stride)
{
  guint i;

  for (i = first; i < end; i++) {
    GstBuffer *tile = cut_tile (image, grid, i % grid->n_columns,
        i / grid->n_columns, index, pad_stride);

    GST_BUFFER_PTS (tile) = pts;
    GST_BUFFER_DURATION (tile) = GST_SECOND / 5;
    g_assert_cmpint (gst_harness_push (h, tile), ==, GST_FLOW_OK);
  }
}

static void
push_image (GstHarness * h, const Image * image, guint tile_w, guint tile_h,
    guint64 index, GstClockTime pts, guint pad_stride)
{
  GstTileGrid grid;

  g_assert_true (gst_tile_grid_init (&grid, image->info.width,
          image->info.height, tile_w, tile_h));
  gst_harness_set_src_caps (h, tile_caps (image, &grid));
  push_tiles (h, image, &grid, index, pts, 0, grid.n_columns * grid.n_rows,
      pad_stride);
}

/* Compares with unpack: independent of strides, plane layout and the
 * composer's own arithmetic. */
static void
assert_frame_equals (GstBuffer * frame, GstCaps * caps, const Image * image)
{
  GstVideoInfo info;
  GstVideoFrame a, b;
  const GstVideoFormatInfo *finfo;
  guint8 *la, *lb;
  guint y, width;
  gsize line;

  g_assert_true (gst_video_info_from_caps (&info, caps));
  g_assert_cmpint (GST_VIDEO_INFO_FORMAT (&info), ==,
      GST_VIDEO_INFO_FORMAT (&image->info));
  g_assert_cmpint (info.width, ==, image->info.width);
  g_assert_cmpint (info.height, ==, image->info.height);

  width = info.width;
  finfo = info.finfo;
  la = g_malloc0 (width * 8 + 64);
  lb = g_malloc0 (width * 8 + 64);
  g_assert_true (gst_video_frame_map (&a, &info, frame, GST_MAP_READ));
  g_assert_true (gst_video_frame_map (&b, &image->info, image->buffer,
          GST_MAP_READ));
  line = width * unpacked_bytes (finfo);
  for (y = 0; y < (guint) info.height; y++) {
    finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, la, a.data,
        a.info.stride, 0, y, width);
    finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, lb, b.data,
        b.info.stride, 0, y, width);
    if (memcmp (la, lb, line) != 0)
      g_error ("%s %ux%u: row %u differs",
          gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)),
          info.width, info.height, y);
  }
  gst_video_frame_unmap (&b);
  gst_video_frame_unmap (&a);
  g_free (la);
  g_free (lb);
}

static void
pull_and_check (GstHarness * h, const Image * image)
{
  GstBuffer *out = gst_harness_pull (h);
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);

  g_assert_nonnull (out);
  g_assert_nonnull (caps);
  assert_frame_equals (out, caps, image);
  gst_caps_unref (caps);
  gst_buffer_unref (out);
}

static void
compose_and_check (GstVideoFormat format, guint width, guint height,
    guint tile_w, guint tile_h, guint pad_stride)
{
  GstHarness *h = gst_harness_new ("tilecompose");
  Image image;

  image_init (&image, format, width, height, width * 31 + height + format);
  push_image (h, &image, tile_w, tile_h, 0, 0, pad_stride);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 1);
  pull_and_check (h, &image);
  image_clear (&image);
  gst_harness_teardown (h);
}

static const GstVideoFormat required_formats[] = {
  GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_GRAY16_BE, GST_VIDEO_FORMAT_RGB,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_RGBA64_BE,
};

static void
test_grid_that_divides (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (required_formats); i++)
    compose_and_check (required_formats[i], 64, 48, 16, 16, 0);
}

static void
test_grid_that_does_not_divide (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (required_formats); i++) {
    compose_and_check (required_formats[i], 67, 45, 16, 16, 0);
    compose_and_check (required_formats[i], 67, 45, 1, 1, 0);
    compose_and_check (required_formats[i], 5, 3, 16, 16, 0);
  }
}

static void
test_strips (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (required_formats); i++) {
    compose_and_check (required_formats[i], 67, 45, 0, 7, 0);
    compose_and_check (required_formats[i], 67, 45, 0, 1, 0);
  }
}

static void
test_padded_tile_strides (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (required_formats); i++) {
    compose_and_check (required_formats[i], 67, 45, 16, 16, 20);
    compose_and_check (required_formats[i], 67, 45, 0, 8, 4);
  }
}

/* Every format in the pad templates, at even and odd image sizes. */
static void
test_every_claimed_format (void)
{
  GstCaps *templ;
  const GValue *formats;
  guint i;

  GstElement *e = gst_element_factory_make ("tilecompose", NULL);
  GstPad *sink;

  g_assert_nonnull (e);
  sink = gst_element_get_static_pad (e, "sink");
  templ = gst_pad_get_pad_template_caps (sink);
  gst_object_unref (sink);
  gst_object_unref (e);
  formats = gst_structure_get_value (gst_caps_get_structure (templ, 0),
      "format");
  g_assert_true (GST_VALUE_HOLDS_LIST (formats));
  g_assert_cmpuint (gst_value_list_get_size (formats), >=, 5);
  for (i = 0; i < gst_value_list_get_size (formats); i++) {
    const gchar *name =
        g_value_get_string (gst_value_list_get_value (formats, i));
    GstVideoFormat format = gst_video_format_from_string (name);

    g_test_message ("format %s", name);
    compose_and_check (format, 64, 32, 16, 8, 0);
    compose_and_check (format, 67, 45, 16, 16, 0);
    compose_and_check (format, 67, 45, 0, 6, 12);
  }
  gst_caps_unref (templ);
}

static void
test_timestamps_offset_and_flags (void)
{
  GstHarness *h = gst_harness_new ("tilecompose");
  Image image;
  GstBuffer *out;
  guint i;

  image_init (&image, GST_VIDEO_FORMAT_RGB, 40, 30, 7);
  for (i = 0; i < 3; i++) {
    push_image (h, &image, 16, 16, 10 + i, (3 + i) * GST_SECOND, 0);
    out = gst_harness_pull (h);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, (3 + i) * GST_SECOND);
    g_assert_cmpuint (GST_BUFFER_DURATION (out), ==, GST_SECOND / 5);
    g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, 10 + i);
    g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
    g_assert_null (gst_buffer_get_tile_meta (out));
    gst_buffer_unref (out);
  }
  image_clear (&image);
  gst_harness_teardown (h);
}

static void
test_caps_keep_framerate_and_aspect (void)
{
  GstHarness *h = gst_harness_new ("tilecompose");
  Image image;
  GstCaps *caps;
  GstStructure *s;
  gint n, d;

  image_init (&image, GST_VIDEO_FORMAT_RGBA, 50, 20, 3);
  push_image (h, &image, 16, 16, 0, 0, 0);
  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_get_fraction (s, "framerate", &n, &d));
  g_assert_cmpint (n, ==, 5);
  g_assert_cmpint (d, ==, 1);
  g_assert_true (gst_structure_get_fraction (s, "pixel-aspect-ratio", &n, &d));
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpint (d, ==, 3);
  gst_caps_unref (caps);
  pull_and_check (h, &image);
  image_clear (&image);
  gst_harness_teardown (h);
}

/* Segment and tags reach downstream after the frame caps, not before. */
static void
test_sticky_events_in_order (void)
{
  GstHarness *h = gst_harness_new ("tilecompose");
  Image image;
  GstEvent *ev;
  GstEventType order[3] = { GST_EVENT_STREAM_START, GST_EVENT_CAPS,
    GST_EVENT_SEGMENT
  };
  guint i;

  image_init (&image, GST_VIDEO_FORMAT_GRAY8, 20, 20, 3);
  push_image (h, &image, 8, 8, 0, 0, 0);
  for (i = 0; i < G_N_ELEMENTS (order); i++) {
    ev = gst_harness_pull_event (h);
    g_assert_nonnull (ev);
    g_assert_cmpstr (GST_EVENT_TYPE_NAME (ev), ==,
        gst_event_type_get_name (order[i]));
    gst_event_unref (ev);
  }
  pull_and_check (h, &image);
  image_clear (&image);
  gst_harness_teardown (h);
}

static void
test_renegotiates_on_size_and_format_change (void)
{
  GstHarness *h = gst_harness_new ("tilecompose");
  Image a, b, c;

  image_init (&a, GST_VIDEO_FORMAT_RGB, 67, 45, 1);
  image_init (&b, GST_VIDEO_FORMAT_RGB, 20, 90, 2);
  image_init (&c, GST_VIDEO_FORMAT_GRAY16_BE, 33, 17, 3);
  push_image (h, &a, 16, 16, 0, 0, 0);
  pull_and_check (h, &a);
  push_image (h, &b, 16, 16, 1, GST_SECOND, 0);
  pull_and_check (h, &b);
  push_image (h, &c, 0, 5, 2, 2 * GST_SECOND, 0);
  pull_and_check (h, &c);
  push_image (h, &a, 32, 8, 3, 3 * GST_SECOND, 0);
  pull_and_check (h, &a);
  image_clear (&a);
  image_clear (&b);
  image_clear (&c);
  gst_harness_teardown (h);
}

/* Pops the next message of @type from @bus and checks its text names
 * every string in @needles. */
static void
assert_message (GstBus * bus, GstMessageType type, const gchar * const *needles)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, type);
  GError *err = NULL;
  gchar *debug = NULL, *all;

  g_assert_nonnull (msg);
  if (type == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, &debug);
  else
    gst_message_parse_warning (msg, &err, &debug);
  all = g_strdup_printf ("%s | %s", err->message, debug ? debug : "");
  for (; *needles; needles++)
    if (!strstr (all, *needles))
      g_error ("message \"%s\" does not name \"%s\"", all, *needles);
  g_free (all);
  g_free (debug);
  g_error_free (err);
  gst_message_unref (msg);
}

/* Pending messages hold the element: drop them, or both leak. */
static void
teardown_with_bus (GstHarness * h, GstBus * bus)
{
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

static GstHarness *
harness_with_bus (GstBus ** bus)
{
  GstHarness *h = gst_harness_new ("tilecompose");

  *bus = gst_bus_new ();
  gst_element_set_bus (h->element, *bus);
  return h;
}

/* What seqfilesrc sends before each file. */
static void
push_location (GstHarness * h, const gchar * uri)
{
  g_assert_true (gst_harness_push_event (h,
          gst_event_new_tag (gst_tag_list_new (GST_TAG_LOCATION, uri,
                  NULL))));
}

static void
test_incomplete_image_warns_and_is_dropped (void)
{
  GstBus *bus;
  GstHarness *h = harness_with_bus (&bus);
  Image a, b;
  GstTileGrid grid;
  const gchar *image4[] = { "Image 4", "four.png", "incomplete", NULL };
  const gchar *image6[] = { "Image 6", "incomplete", NULL };

  image_init (&a, GST_VIDEO_FORMAT_RGBA, 50, 40, 1);
  image_init (&b, GST_VIDEO_FORMAT_RGBA, 30, 30, 2);

  /* image 4 stops after 3 of its 12 tiles; image 5 begins */
  gst_tile_grid_init (&grid, 50, 40, 16, 16);
  gst_harness_set_src_caps (h, tile_caps (&a, &grid));
  push_location (h, "file:///images/four.png");
  push_tiles (h, &a, &grid, 4, 0, 0, 3, 0);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  /* the warning names image 4's file, not the one announced since */
  push_location (h, "file:///images/five.png");
  push_image (h, &b, 16, 16, 5, GST_SECOND, 0);
  assert_message (bus, GST_MESSAGE_WARNING, image4);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 1);
  pull_and_check (h, &b);

  /* image 6 stops at EOS */
  gst_harness_set_src_caps (h, tile_caps (&a, &grid));
  push_tiles (h, &a, &grid, 6, 0, 0, 11, 0);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  assert_message (bus, GST_MESSAGE_WARNING, image6);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR));

  image_clear (&a);
  image_clear (&b);
  teardown_with_bus (h, bus);
}

static void
test_max_frame_bytes_error (void)
{
  GstBus *bus;
  GstHarness *h = harness_with_bus (&bus);
  Image image;
  GstTileGrid grid;
  GstBuffer *tile;
  const gchar *needles[] = { "Image 9", "max-frame-bytes", "6000", NULL };

  /* 40x50 RGB = 6000 bytes; the limit lets 6000 through, not 5999 */
  image_init (&image, GST_VIDEO_FORMAT_RGB, 40, 50, 1);
  g_object_set (h->element, "max-frame-bytes", (guint64) 6000, NULL);
  push_image (h, &image, 16, 16, 8, 0, 0);
  pull_and_check (h, &image);

  g_object_set (h->element, "max-frame-bytes", (guint64) 5999, NULL);
  gst_tile_grid_init (&grid, 40, 50, 16, 16);
  tile = cut_tile (&image, &grid, 0, 0, 9, 0);
  g_assert_cmpint (gst_harness_push (h, tile), ==, GST_FLOW_ERROR);
  assert_message (bus, GST_MESSAGE_ERROR, needles);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);

  image_clear (&image);
  teardown_with_bus (h, bus);
}

/* GStreamer cannot describe such a frame: an error, not a crash. */
static void
test_frame_of_4_gib_is_error_even_without_limit (void)
{
  GstBus *bus;
  GstHarness *h = harness_with_bus (&bus);
  GstTileGrid grid;
  GstBuffer *tile;
  const gchar *needles[] = { "Image 3", "40000x40000", "too large", NULL };

  g_object_set (h->element, "max-frame-bytes", (guint64) 0, NULL);
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=RGB,width=16,height=16,framerate=0/1");
  gst_tile_grid_init (&grid, 40000, 40000, 16, 16);
  tile = gst_buffer_new_allocate (NULL, 16 * 16 * 3, NULL);
  gst_tile_grid_add_meta (&grid, tile, 3, 0, 0);
  g_assert_cmpint (gst_harness_push (h, tile), ==, GST_FLOW_ERROR);
  assert_message (bus, GST_MESSAGE_ERROR, needles);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  teardown_with_bus (h, bus);
}

static void
test_buffer_without_tile_meta_is_error (void)
{
  GstBus *bus;
  GstHarness *h = harness_with_bus (&bus);
  const gchar *needles[] = { "no tile meta", NULL };
  GstBuffer *buf;

  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=GRAY8,width=16,height=16,framerate=0/1");
  buf = gst_buffer_new_allocate (NULL, 256, NULL);
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_ERROR);
  assert_message (bus, GST_MESSAGE_ERROR, needles);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  teardown_with_bus (h, bus);
}

/* Pushes tiles of a 48x32 GRAY8 image in the order @cols/@rows and expects
 * the last one to be refused with an error naming @needle. */
static void
expect_tile_error (const guint * cols, const guint * rows, guint n,
    guint tile_h_override, const gchar * needle)
{
  GstBus *bus;
  GstHarness *h = harness_with_bus (&bus);
  Image image;
  GstTileGrid grid;
  const gchar *needles[] = { "image 2", needle, NULL };
  guint i;

  image_init (&image, GST_VIDEO_FORMAT_GRAY8, 48, 32, 1);
  gst_tile_grid_init (&grid, 48, 32, 16, 16);
  gst_harness_set_src_caps (h, tile_caps (&image, &grid));
  for (i = 0; i < n; i++) {
    GstBuffer *tile = cut_tile (&image, &grid, cols[i], rows[i], 2, 0);

    if (i + 1 == n && tile_h_override)
      gst_buffer_get_tile_meta (tile)->height = tile_h_override;
    g_assert_cmpint (gst_harness_push (h, tile), ==,
        i + 1 < n ? GST_FLOW_OK : GST_FLOW_ERROR);
  }
  assert_message (bus, GST_MESSAGE_ERROR, needles);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  image_clear (&image);
  teardown_with_bus (h, bus);
}

static void
test_out_of_order_tiles_are_error (void)
{
  const guint skip_cols[] = { 0, 2 }, skip_rows[] = { 0, 0 };
  const guint again_cols[] = { 0, 1, 1 }, again_rows[] = { 0, 0, 0 };
  const guint down_cols[] = { 0, 0 }, down_rows[] = { 0, 1 };
  const guint nofirst_cols[] = { 1 }, nofirst_rows[] = { 0 };

  expect_tile_error (skip_cols, skip_rows, 2, 0, "out of order");
  expect_tile_error (again_cols, again_rows, 3, 0, "out of order");
  expect_tile_error (down_cols, down_rows, 2, 0, "out of order");
  expect_tile_error (nofirst_cols, nofirst_rows, 1, 0, "no image was begun");
}

static void
test_inconsistent_geometry_is_error (void)
{
  const guint cols[] = { 0, 1 }, rows[] = { 0, 0 };

  /* tile (1, 0) claims 8 rows while tile (0, 0) of its row has 16 */
  expect_tile_error (cols, rows, 2, 8, "height differs");
  /* a valid region taller than the tile caps */
  expect_tile_error (cols, rows, 1, 17, "larger than the tile caps");
}

static void
flush_stop (GstHarness * h)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&segment)));
}

static void
test_format_change_inside_an_image_is_error (void)
{
  GstBus *bus;
  GstHarness *h = harness_with_bus (&bus);
  Image rgb, rgba;
  GstTileGrid grid;
  const gchar *needles[] = { "image 0", "format changed", NULL };

  image_init (&rgb, GST_VIDEO_FORMAT_RGB, 32, 16, 1);
  image_init (&rgba, GST_VIDEO_FORMAT_RGBA, 32, 16, 1);
  gst_tile_grid_init (&grid, 32, 16, 16, 16);
  gst_harness_set_src_caps (h, tile_caps (&rgb, &grid));
  push_tiles (h, &rgb, &grid, 0, 0, 0, 1, 0);
  gst_harness_set_src_caps (h, tile_caps (&rgba, &grid));
  g_assert_cmpint (gst_harness_push (h, cut_tile (&rgba, &grid, 1, 0, 0, 0)),
      ==, GST_FLOW_ERROR);
  assert_message (bus, GST_MESSAGE_ERROR, needles);
  image_clear (&rgb);
  image_clear (&rgba);
  teardown_with_bus (h, bus);
}

/* Upstream is offered downstream's formats at any tile size. */
static void
test_caps_query_follows_downstream_format (void)
{
  GstHarness *h = gst_harness_new ("tilecompose");
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  GstCaps *caps, *tile;

  gst_harness_set_sink_caps_str (h,
      "video/x-raw,format=GRAY16_BE,width=640,height=480,framerate=0/1");
  caps = gst_pad_query_caps (sink, NULL);
  tile = gst_caps_from_string
      ("video/x-raw,format=GRAY16_BE,width=16,height=16,framerate=0/1");
  g_assert_true (gst_caps_can_intersect (caps, tile));
  gst_caps_unref (tile);
  tile = gst_caps_from_string
      ("video/x-raw,format=RGB,width=16,height=16,framerate=0/1");
  g_assert_false (gst_caps_can_intersect (caps, tile));
  gst_caps_unref (tile);
  gst_caps_unref (caps);
  gst_object_unref (sink);
  gst_harness_teardown (h);
}

static void
test_flush_drops_partial_frame (void)
{
  GstBus *bus;
  GstHarness *h = harness_with_bus (&bus);
  Image a, b;
  GstTileGrid grid;
  guint64 held;

  image_init (&a, GST_VIDEO_FORMAT_RGB, 40, 40, 1);
  image_init (&b, GST_VIDEO_FORMAT_RGB, 40, 40, 2);
  gst_tile_grid_init (&grid, 40, 40, 16, 16);
  gst_harness_set_src_caps (h, tile_caps (&a, &grid));
  push_tiles (h, &a, &grid, 0, 0, 0, 4, 0);
  g_object_get (h->element, "held-bytes", &held, NULL);
  g_assert_cmpuint (held, >=, 40 * 40 * 3);

  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  flush_stop (h);
  g_object_get (h->element, "held-bytes", &held, NULL);
  g_assert_cmpuint (held, ==, 0);

  /* no warning for image 0: a flush is not an incomplete image */
  push_tiles (h, &b, &grid, 1, 0, 0, 9, 0);
  pull_and_check (h, &b);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR));

  image_clear (&a);
  image_clear (&b);
  teardown_with_bus (h, bus);
}

typedef struct {
  GstHarness *h;
  const Image *image;
  guint64 index;
  GstFlowReturn ret;
} PushJob;

static gpointer
push_first_tile_thread (gpointer data)
{
  PushJob *job = data;
  GstTileGrid grid;
  GstBuffer *tile;

  gst_tile_grid_init (&grid, job->image->info.width,
      job->image->info.height, 16, 16);
  tile = cut_tile (job->image, &grid, 0, 0, job->index, 0);
  job->ret = gst_harness_push (job->h, tile);
  return NULL;
}

/* Runs the calling test in a child with a deadline: a deadlock fails. */
static gboolean
run_bounded (void)
{
  if (g_test_subprocess ())
    return TRUE;
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC,
      G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return FALSE;
}

/* Downstream holding two frames blocks the next image until one returns;
 * a flush releases the wait. The frames are larger than
 * GST_TILE_POOL_MIN_BYTES, so the pool's bound is its count of 2. */
static void
test_blocks_while_downstream_holds_frames (void)
{
  GstHarness *h;
  Image image;
  GstBuffer *held1, *held2;
  PushJob job = { NULL, &image, 2, GST_FLOW_CUSTOM_ERROR };
  GThread *thread;
  gint64 deadline;

  if (!run_bounded ())
    return;
  h = job.h = gst_harness_new ("tilecompose");
  image_init (&image, GST_VIDEO_FORMAT_RGB, 320, 320, 1);
  g_assert_cmpuint (320 * 320 * 3, >, GST_TILE_POOL_MIN_BYTES);
  push_image (h, &image, 16, 16, 0, 0, 0);
  push_image (h, &image, 16, 16, 1, 0, 0);
  held1 = gst_harness_pull (h);
  held2 = gst_harness_pull (h);

  thread = g_thread_new ("push", push_first_tile_thread, &job);
  g_usleep (G_USEC_PER_SEC / 5);
  g_assert_cmpint (g_atomic_int_get (&job.ret), ==, GST_FLOW_CUSTOM_ERROR);
  gst_buffer_unref (held1);
  g_thread_join (thread);
  g_assert_cmpint (job.ret, ==, GST_FLOW_OK);

  /* image 2 completes: held2 and image 2's frame are both downstream */
  {
    GstTileGrid grid;

    gst_tile_grid_init (&grid, 320, 320, 16, 16);
    push_tiles (h, &image, &grid, 2, 0, 1, grid.n_columns * grid.n_rows, 0);
    g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 1);
  }
  job.ret = GST_FLOW_CUSTOM_ERROR;
  job.index = 3;
  thread = g_thread_new ("push", push_first_tile_thread, &job);
  g_usleep (G_USEC_PER_SEC / 5);
  g_assert_cmpint (g_atomic_int_get (&job.ret), ==, GST_FLOW_CUSTOM_ERROR);
  gst_harness_push_event (h, gst_event_new_flush_start ());
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&job.ret) == GST_FLOW_CUSTOM_ERROR
      && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_cmpint (job.ret, ==, GST_FLOW_FLUSHING);
  g_thread_join (thread);
  flush_stop (h);

  gst_buffer_unref (held2);
  image_clear (&image);
  gst_harness_teardown (h);
}

/* Stopping the pipeline wakes a streaming thread waiting for a frame. */
static void
test_stop_releases_blocked_upstream (void)
{
  GstHarness *h;
  Image image;
  GstBuffer *held1, *held2;
  PushJob job = { NULL, &image, 2, GST_FLOW_CUSTOM_ERROR };
  GThread *thread;

  if (!run_bounded ())
    return;
  h = job.h = gst_harness_new ("tilecompose");
  /* larger than GST_TILE_POOL_MIN_BYTES: the pool's bound is 2 frames */
  image_init (&image, GST_VIDEO_FORMAT_GRAY8, 640, 640, 1);
  push_image (h, &image, 16, 16, 0, 0, 0);
  push_image (h, &image, 16, 16, 1, 0, 0);
  held1 = gst_harness_pull (h);
  held2 = gst_harness_pull (h);

  thread = g_thread_new ("push", push_first_tile_thread, &job);
  g_usleep (G_USEC_PER_SEC / 5);
  g_assert_cmpint (g_atomic_int_get (&job.ret), ==, GST_FLOW_CUSTOM_ERROR);
  g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_READY), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_thread_join (thread);
  g_assert_cmpint (job.ret, ==, GST_FLOW_FLUSHING);

  gst_buffer_unref (held1);
  gst_buffer_unref (held2);
  image_clear (&image);
  gst_harness_teardown (h);
}

static void
test_properties (void)
{
  GstElement *e = gst_element_factory_make ("tilecompose", NULL);
  GParamSpec *ps;
  guint64 v;

  g_assert_nonnull (e);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
      "max-frame-bytes");
  g_assert_nonnull (ps);
  g_assert_true (G_IS_PARAM_SPEC_UINT64 (ps));
  g_assert_true (ps->flags & G_PARAM_WRITABLE);
  g_assert_nonnull (strstr (g_param_spec_get_blurb (ps), "0 = no limit"));
  g_assert_cmpuint (G_PARAM_SPEC_UINT64 (ps)->default_value, ==, 1 << 30);
  g_object_get (e, "max-frame-bytes", &v, NULL);
  g_assert_cmpuint (v, ==, 1 << 30);
  g_object_set (e, "max-frame-bytes", (guint64) 0, NULL);
  g_object_get (e, "max-frame-bytes", &v, NULL);
  g_assert_cmpuint (v, ==, 0);

  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "held-bytes");
  g_assert_nonnull (ps);
  g_assert_true (ps->flags & G_PARAM_READABLE);
  g_assert_false (ps->flags & G_PARAM_WRITABLE);
  g_object_get (e, "held-bytes", &v, NULL);
  g_assert_cmpuint (v, ==, 0);
  gst_object_unref (e);
}

/* 0 lifts the limit instead of refusing every frame. */
static void
test_max_frame_bytes_zero_is_no_limit (void)
{
  GstHarness *h = gst_harness_new ("tilecompose");
  Image image;

  image_init (&image, GST_VIDEO_FORMAT_GRAY8, 64, 64, 1);
  g_object_set (h->element, "max-frame-bytes", (guint64) 100, NULL);
  g_object_set (h->element, "max-frame-bytes", (guint64) 0, NULL);
  push_image (h, &image, 16, 16, 0, 0, 0);
  pull_and_check (h, &image);
  image_clear (&image);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  g_test_add_func ("/tilecompose/grid-that-divides", test_grid_that_divides);
  g_test_add_func ("/tilecompose/grid-that-does-not-divide",
      test_grid_that_does_not_divide);
  g_test_add_func ("/tilecompose/strips", test_strips);
  g_test_add_func ("/tilecompose/padded-tile-strides",
      test_padded_tile_strides);
  g_test_add_func ("/tilecompose/every-claimed-format",
      test_every_claimed_format);
  g_test_add_func ("/tilecompose/timestamps-offset-and-flags",
      test_timestamps_offset_and_flags);
  g_test_add_func ("/tilecompose/caps-keep-framerate-and-aspect",
      test_caps_keep_framerate_and_aspect);
  g_test_add_func ("/tilecompose/sticky-events-in-order",
      test_sticky_events_in_order);
  g_test_add_func ("/tilecompose/renegotiates-on-size-and-format-change",
      test_renegotiates_on_size_and_format_change);
  g_test_add_func ("/tilecompose/incomplete-image-warns-and-is-dropped",
      test_incomplete_image_warns_and_is_dropped);
  g_test_add_func ("/tilecompose/max-frame-bytes-error",
      test_max_frame_bytes_error);
  g_test_add_func ("/tilecompose/max-frame-bytes-zero-is-no-limit",
      test_max_frame_bytes_zero_is_no_limit);
  g_test_add_func ("/tilecompose/frame-of-4-gib-is-error-even-without-limit",
      test_frame_of_4_gib_is_error_even_without_limit);
  g_test_add_func ("/tilecompose/buffer-without-tile-meta-is-error",
      test_buffer_without_tile_meta_is_error);
  g_test_add_func ("/tilecompose/out-of-order-tiles-are-error",
      test_out_of_order_tiles_are_error);
  g_test_add_func ("/tilecompose/inconsistent-geometry-is-error",
      test_inconsistent_geometry_is_error);
  g_test_add_func ("/tilecompose/format-change-inside-an-image-is-error",
      test_format_change_inside_an_image_is_error);
  g_test_add_func ("/tilecompose/caps-query-follows-downstream-format",
      test_caps_query_follows_downstream_format);
  g_test_add_func ("/tilecompose/flush-drops-partial-frame",
      test_flush_drops_partial_frame);
  g_test_add_func ("/tilecompose/blocks-while-downstream-holds-frames",
      test_blocks_while_downstream_holds_frames);
  g_test_add_func ("/tilecompose/stop-releases-blocked-upstream",
      test_stop_releases_blocked_upstream);
  g_test_add_func ("/tilecompose/properties", test_properties);
  return g_test_run ();
}
