/* tilescale: the promises of the streaming area-averaging scaler. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <png.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "gsttilemeta.h"
#include "gstmessagethrottle.h"
#include "pngfixture.h"

#define SECOND GST_SECOND

typedef struct {
  GstVideoFormat format;
  gint color_type;
  gint bit_depth;
} Kind;

/* The tile-stream formats every consumer must accept. */
static const Kind kinds[] = {
  {GST_VIDEO_FORMAT_GRAY8, PNG_COLOR_TYPE_GRAY, 8},
  {GST_VIDEO_FORMAT_GRAY16_BE, PNG_COLOR_TYPE_GRAY, 16},
  {GST_VIDEO_FORMAT_RGB, PNG_COLOR_TYPE_RGB, 8},
  {GST_VIDEO_FORMAT_RGBA, PNG_COLOR_TYPE_RGB_ALPHA, 8},
  {GST_VIDEO_FORMAT_RGBA64_BE, PNG_COLOR_TYPE_RGB_ALPHA, 16},
};

static void
make_image (const Kind * kind, guint width, guint height,
    PngFixturePattern pattern, guint seed, PngFixtureImage * img)
{
  PngFixtureSpec spec;
  GBytes *png;
  gchar *err = NULL;
  gsize size;
  const guint8 *data;

  png_fixture_spec_init (&spec, width, height, kind->color_type,
      kind->bit_depth);
  spec.pattern = pattern;
  spec.seed = seed;
  spec.compression_level = 1;
  png = png_fixture_encode (&spec);
  data = g_bytes_get_data (png, &size);
  g_assert_true (png_fixture_reference_decode (data, size, img, &err));
  g_assert_cmpint (img->format, ==, kind->format);
  g_bytes_unref (png);
}

static guint
bytes_per_pixel (GstVideoFormat format)
{
  return GST_VIDEO_FORMAT_INFO_PSTRIDE (gst_video_format_get_info (format), 0);
}

static gchar *
tile_caps_str (GstVideoFormat format, guint tw, guint th)
{
  return g_strdup_printf ("video/x-raw,format=%s,width=%u,height=%u,"
      "framerate=0/1", gst_video_format_to_string (format), tw, th);
}

/* One tile of @img, allocated at the full tile size with zero padding. */
static GstBuffer *
make_tile (const PngFixtureImage * img, const GstTileGrid * grid,
    guint64 index, guint col, guint row)
{
  GstVideoInfo tinfo;
  GstBuffer *buf;
  GstMapInfo map;
  guint x, y, w, h, r;
  guint bpp = bytes_per_pixel (img->format);

  gst_video_info_set_format (&tinfo, img->format, grid->tile_width,
      grid->tile_height);
  buf = gst_buffer_new_allocate (NULL, tinfo.size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 0, map.size);
  gst_tile_grid_tile_rect (grid, col, row, &x, &y, &w, &h);
  for (r = 0; r < h; r++)
    memcpy (map.data + (gsize) r * tinfo.stride[0],
        img->pixels + (gsize) (y + r) * img->stride + (gsize) x * bpp,
        (gsize) w * bpp);
  gst_buffer_unmap (buf, &map);
  gst_tile_grid_add_meta (grid, buf, index, col, row);
  GST_BUFFER_OFFSET (buf) = index;
  if (col != 0 || row != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

/* Sets the tile caps and pushes the tiles of @img up to (not including) tile
 * number @stop_after (G_MAXUINT: all). */
static void
push_image_part (GstHarness * h, const PngFixtureImage * img, guint tw,
    guint th, guint64 index, GstClockTime pts, guint stop_after)
{
  GstTileGrid grid;
  gchar *caps;
  guint col, row, n = 0;

  g_assert_true (gst_tile_grid_init (&grid, img->width, img->height, tw, th));
  caps = tile_caps_str (img->format, grid.tile_width, grid.tile_height);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  for (row = 0; row < grid.n_rows; row++) {
    for (col = 0; col < grid.n_columns; col++) {
      GstBuffer *buf;

      if (n++ == stop_after)
        return;
      buf = make_tile (img, &grid, index, col, row);
      GST_BUFFER_PTS (buf) = pts;
      GST_BUFFER_DURATION (buf) = SECOND / 2;
      g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    }
  }
}

static void
push_image (GstHarness * h, const PngFixtureImage * img, guint tw, guint th,
    guint64 index, GstClockTime pts)
{
  push_image_part (h, img, tw, th, index, pts, G_MAXUINT);
}

static void
out_info (GstHarness * h, GstVideoInfo * info)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);

  g_assert_nonnull (caps);
  g_assert_true (gst_video_info_from_caps (info, caps));
  gst_caps_unref (caps);
}

static guint
sample_at (const guint8 * p, guint sbytes, gsize k)
{
  return sbytes == 2 ? GST_READ_UINT16_BE (p + 2 * k) : p[k];
}

/* Largest distance, in code values, between the samples of @buf (a frame in
 * @info) and the exact means. */
static gdouble
max_error_from_means (GstBuffer * buf, const GstVideoInfo * info,
    const gdouble * means)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  guint sbytes = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) > 8 ? 2 : 1;
  guint ch = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0) / sbytes;
  guint w = GST_VIDEO_INFO_WIDTH (info), y;
  GstVideoFrame frame;
  gdouble worst = 0;
  gsize k;

  g_assert_true (gst_video_frame_map (&frame, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  for (y = 0; y < (guint) GST_VIDEO_INFO_HEIGHT (info); y++) {
    const guint8 *a = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);

    for (k = 0; k < (gsize) w * ch; k++)
      worst = MAX (worst, fabs (sample_at (a, sbytes, k) -
              means[(gsize) y * w * ch + k]));
  }
  gst_video_frame_unmap (&frame);
  return worst;
}

/* Largest difference in code values between @buf (a frame in @info) and
 * @expected. */
static guint
max_abs_diff (GstBuffer * buf, const GstVideoInfo * info,
    const PngFixtureImage * expected)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  guint sbytes = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) > 8 ? 2 : 1;
  guint ch = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0) / sbytes;
  GstVideoFrame frame;
  guint y, worst = 0;
  gsize k;

  g_assert_cmpint (GST_VIDEO_INFO_FORMAT (info), ==, expected->format);
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (info), ==, expected->width);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (info), ==, expected->height);
  g_assert_true (gst_video_frame_map (&frame, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  for (y = 0; y < expected->height; y++) {
    const guint8 *a = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    const guint8 *b = expected->pixels + (gsize) y * expected->stride;

    for (k = 0; k < (gsize) expected->width * ch; k++) {
      gint d = (gint) sample_at (a, sbytes, k) - (gint) sample_at (b, sbytes, k);

      worst = MAX (worst, (guint) ABS (d));
    }
  }
  gst_video_frame_unmap (&frame);
  return worst;
}

static gboolean
frame_equals (GstBuffer * buf, const GstVideoInfo * info,
    const PngFixtureImage * expected)
{
  GstVideoFrame frame;
  guint y;
  gboolean same = TRUE;
  gsize row = (gsize) expected->width * bytes_per_pixel (expected->format);

  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (info), ==, expected->width);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (info), ==, expected->height);
  g_assert_true (gst_video_frame_map (&frame, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  for (y = 0; y < expected->height && same; y++)
    same = memcmp ((const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
        expected->pixels + (gsize) y * expected->stride, row) == 0;
  gst_video_frame_unmap (&frame);
  return same;
}

/* Scales @img cut into tw x th tiles with @launch and returns the frame. */
static GstBuffer *
scale_once (const gchar * launch, const PngFixtureImage * img, guint tw,
    guint th, GstVideoInfo * info)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GstBuffer *out;

  push_image (h, img, tw, th, 0, 0);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 1);
  out = gst_harness_pull (h);
  out_info (h, info);
  gst_harness_teardown (h);
  return out;
}

static void
test_exact_copy_at_scale_1 (void)
{
  /* image size, tile size: grids that divide, that do not, and strips */
  static const guint grids[][4] = {
    {64, 48, 16, 16}, {67, 45, 16, 13}, {50, 31, 0, 7}, {9, 5, 64, 64},
  };
  guint k, g;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    for (g = 0; g < G_N_ELEMENTS (grids); g++) {
      PngFixtureImage img;
      GstVideoInfo info;
      GstBuffer *out;
      gchar *launch;

      make_image (&kinds[k], grids[g][0], grids[g][1],
          PNG_FIXTURE_PATTERN_HASH, k + g + 1, &img);
      launch = g_strdup_printf ("tilescale width=%u height=%u", grids[g][0],
          grids[g][1]);
      out = scale_once (launch, &img, grids[g][2], grids[g][3], &info);
      g_assert_true (frame_equals (out, &info, &img));
      gst_buffer_unref (out);
      g_free (launch);

      /* no size anywhere: the image size, copied */
      out = scale_once ("tilescale", &img, grids[g][2], grids[g][3], &info);
      g_assert_true (frame_equals (out, &info, &img));
      gst_buffer_unref (out);
      png_fixture_image_clear (&img);
    }
  }
}

/* Tolerance: every output sample is the exact mean rounded to the nearest
 * code value, so it is within 0.5 (plus the reference's double rounding) of
 * the reference mean; against the rounded reference that is a difference of
 * at most 1 code value, and only where the mean sits on a .5 boundary. */
static void
check_against_reference (const Kind * kind, guint W, guint H, guint w,
    guint h, guint tw, guint th, PngFixturePattern pattern)
{
  PngFixtureImage img, ref;
  GstVideoInfo info;
  GstBuffer *out;
  gchar *launch = g_strdup_printf ("tilescale width=%u height=%u", w, h);
  gdouble *means, err;
  guint diff;

  make_image (kind, W, H, pattern, W + h, &img);
  means = png_fixture_box_means (&img, w, h);
  ref = png_fixture_box_filter (&img, w, h);
  out = scale_once (launch, &img, tw, th, &info);
  err = max_error_from_means (out, &info, means);
  diff = max_abs_diff (out, &info, &ref);
  if (err > 0.5 + 1e-6 || diff > 1)
    g_error ("%s %ux%u -> %ux%u in %ux%u tiles: %.4f from the exact mean, "
        "%u from the rounded reference",
        gst_video_format_to_string (kind->format), W, H, w, h, tw, th, err,
        diff);
  gst_buffer_unref (out);
  g_free (means);
  png_fixture_image_clear (&img);
  png_fixture_image_clear (&ref);
  g_free (launch);
}

static void
test_matches_reference_box_filter (void)
{
  guint k;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    check_against_reference (&kinds[k], 101, 77, 37, 29, 16, 16,
        PNG_FIXTURE_PATTERN_HASH);
    check_against_reference (&kinds[k], 300, 200, 128, 85, 64, 24,
        PNG_FIXTURE_PATTERN_PHOTO);
    check_against_reference (&kinds[k], 257, 131, 10, 7, 0, 5,
        PNG_FIXTURE_PATTERN_HASH);
    check_against_reference (&kinds[k], 120, 90, 119, 89, 50, 33,
        PNG_FIXTURE_PATTERN_HASH);
  }
}

static void
test_upscale_is_area_coverage (void)
{
  guint k;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    check_against_reference (&kinds[k], 20, 15, 47, 33, 8, 4,
        PNG_FIXTURE_PATTERN_HASH);
    /* down on one axis, up on the other */
    check_against_reference (&kinds[k], 40, 10, 13, 23, 16, 3,
        PNG_FIXTURE_PATTERN_HASH);
  }
}

/* Compares the pixels of two frames, row by row (not the row padding). */
static gboolean
frames_equal (GstBuffer * a, GstBuffer * b, const GstVideoInfo * info)
{
  GstVideoFrame fa, fb;
  gsize row = (gsize) GST_VIDEO_INFO_WIDTH (info) *
      GST_VIDEO_INFO_COMP_PSTRIDE (info, 0);
  gboolean same = TRUE;
  guint y;

  g_assert_true (gst_video_frame_map (&fa, (GstVideoInfo *) info, a,
          GST_MAP_READ));
  g_assert_true (gst_video_frame_map (&fb, (GstVideoInfo *) info, b,
          GST_MAP_READ));
  for (y = 0; y < (guint) GST_VIDEO_INFO_HEIGHT (info) && same; y++)
    same = memcmp ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fa, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&fa, 0),
        (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fb, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&fb, 0), row) == 0;
  gst_video_frame_unmap (&fb);
  gst_video_frame_unmap (&fa);
  return same;
}

/* The same image through different tile shapes gives the same frame. */
static void
test_tile_shape_does_not_matter (void)
{
  static const guint shapes[][2] = { {0, 1}, {7, 5}, {64, 64}, {33, 100} };
  PngFixtureImage img;
  GstVideoInfo info0, info;
  GstBuffer *first, *out;
  guint s;

  make_image (&kinds[2], 211, 97, PNG_FIXTURE_PATTERN_PHOTO, 5, &img);
  first = scale_once ("tilescale width=45", &img, 16, 16, &info0);
  for (s = 0; s < G_N_ELEMENTS (shapes); s++) {
    out = scale_once ("tilescale width=45", &img, shapes[s][0], shapes[s][1],
        &info);
    g_assert_true (gst_video_info_is_equal (&info0, &info));
    g_assert_true (frames_equal (first, out, &info));
    gst_buffer_unref (out);
  }
  gst_buffer_unref (first);
  png_fixture_image_clear (&img);
}

/* An image filled by hand (no PNG round trip), for sizes too large to
 * encode quickly. */
static void
make_hand_image (GstVideoFormat format, guint width, guint height,
    guint32 seed, PngFixtureImage * img)
{
  gsize k, n;
  guint32 state = seed * 2654435761u + 1;

  img->width = width;
  img->height = height;
  img->format = format;
  img->stride = (gsize) width * bytes_per_pixel (format);
  n = img->stride * height;
  img->pixels = g_malloc (n);
  for (k = 0; k < n; k++) {
    state = state * 1664525u + 1013904223u;
    img->pixels[k] = state >> 24;
  }
}

static void
check_hand_image (GstVideoFormat format, guint W, guint H, guint w, guint h,
    guint tw, guint th)
{
  PngFixtureImage img;
  GstVideoInfo info;
  GstBuffer *out;
  gchar *launch = g_strdup_printf ("tilescale width=%u height=%u", w, h);
  gdouble *means, err;

  make_hand_image (format, W, H, W ^ H, &img);
  means = png_fixture_box_means (&img, w, h);
  out = scale_once (launch, &img, tw, th, &info);
  err = max_error_from_means (out, &info, means);
  if (err > 0.5 + 1e-6)
    g_error ("%s %ux%u -> %ux%u: %.4f from the exact mean",
        gst_video_format_to_string (format), W, H, w, h, err);
  gst_buffer_unref (out);
  g_free (means);
  png_fixture_image_clear (&img);
  g_free (launch);
}

/* Sizes that share no divisor make the exact sums large: 64-bit column sums
 * (16-bit samples, 70001 rows per output row) and a division whose
 * reciprocal needs more than 64 bits of shift (4099 x 4097 -> 5 x 3). */
static void
test_exact_for_coprime_sizes (void)
{
  check_hand_image (GST_VIDEO_FORMAT_GRAY16_BE, 3, 70001, 2, 3, 0, 4096);
  check_hand_image (GST_VIDEO_FORMAT_RGBA64_BE, 5, 70001, 3, 1, 4, 999);
  check_hand_image (GST_VIDEO_FORMAT_GRAY16_BE, 4099, 4097, 5, 3, 1024, 512);
  check_hand_image (GST_VIDEO_FORMAT_GRAY8, 1, 1, 3, 2, 1, 1);
  check_hand_image (GST_VIDEO_FORMAT_RGB, 5, 5, 1, 1, 2, 2);
}

static void
check_size (const gchar * launch, const gchar * sink_caps, guint W, guint H,
    guint w, guint h)
{
  GstHarness *h_ = gst_harness_new_parse (launch);
  PngFixtureImage img;
  GstVideoInfo info;
  GstBuffer *out;

  if (sink_caps)
    gst_harness_set_sink_caps_str (h_, sink_caps);
  make_image (&kinds[2], W, H, PNG_FIXTURE_PATTERN_HASH, 3, &img);
  push_image (h_, &img, 32, 32, 0, 0);
  out = gst_harness_pull (h_);
  g_assert_nonnull (out);
  out_info (h_, &info);
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, w);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, h);
  g_assert_cmpuint (gst_buffer_get_size (out), >=, info.size);
  gst_buffer_unref (out);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h_);
}

static void
test_keeps_aspect_with_width_or_height_0 (void)
{
  check_size ("tilescale width=50", NULL, 200, 100, 50, 25);
  check_size ("tilescale height=30", NULL, 200, 100, 60, 30);
  /* rounds to the nearest pixel: 101 * 33 / 150 = 22.22 */
  check_size ("tilescale width=33", NULL, 150, 101, 33, 22);
  /* never below one pixel */
  check_size ("tilescale width=1", NULL, 300, 20, 1, 1);
  check_size ("tilescale width=40 height=40", NULL, 200, 100, 40, 40);
}

static void
test_size_from_downstream_caps (void)
{
  check_size ("tilescale", "video/x-raw,width=40,height=30", 200, 100, 40, 30);
  /* downstream fixes one side: the other keeps the aspect ratio */
  check_size ("tilescale", "video/x-raw,width=40", 200, 100, 40, 20);
  check_size ("tilescale", "video/x-raw,height=25", 200, 100, 50, 25);
  /* a range: the image size if it fits, else the nearest */
  check_size ("tilescale", "video/x-raw,width=[10,80]", 200, 100, 80, 40);
}

static GstBus *
attach_bus (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  return bus;
}

/* Drops the bus's messages (they hold the element) before the teardown. */
static void
detach_bus (GstHarness * h, GstBus * bus)
{
  gst_bus_set_flushing (bus, TRUE);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
}

/* Pops the next @type message and checks that its text names @needle. */
static void
expect_message (GstBus * bus, GstMessageType type, const gchar * needle)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, type);
  GError *err = NULL;
  gchar *debug = NULL, *all;

  g_assert_nonnull (msg);
  if (type == GST_MESSAGE_WARNING)
    gst_message_parse_warning (msg, &err, &debug);
  else
    gst_message_parse_error (msg, &err, &debug);
  all = g_strconcat (err->message, " ", debug ? debug : "", NULL);
  if (!strstr (all, needle))
    g_error ("message '%s' does not name '%s'", all, needle);
  g_free (all);
  g_free (debug);
  g_error_free (err);
  gst_message_unref (msg);
}

static void
test_downstream_refusal_is_an_error (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=64");
  GstBus *bus = attach_bus (h);
  PngFixtureImage img;
  GstTileGrid grid;
  gchar *caps;

  gst_harness_set_sink_caps_str (h, "video/x-raw,format=GRAY8");
  make_image (&kinds[2], 128, 64, PNG_FIXTURE_PATTERN_HASH, 1, &img);
  g_assert_true (gst_tile_grid_init (&grid, 128, 64, 64, 64));
  caps = tile_caps_str (img.format, 64, 64);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (gst_harness_push (h, make_tile (&img, &grid, 4, 0, 0)), ==,
      GST_FLOW_NOT_NEGOTIATED);
  expect_message (bus, GST_MESSAGE_ERROR, "image 4");
  g_free (caps);
  png_fixture_image_clear (&img);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

static void
test_keeps_timestamps_and_image_index (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=20");
  PngFixtureImage img;
  guint i;

  make_image (&kinds[3], 100, 60, PNG_FIXTURE_PATTERN_HASH, 2, &img);
  for (i = 0; i < 3; i++) {
    GstBuffer *out;

    push_image (h, &img, 30, 16, 10 + i, i * SECOND);
    out = gst_harness_pull (h);

    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, i * SECOND);
    g_assert_cmpuint (GST_BUFFER_DURATION (out), ==, SECOND / 2);
    g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, 10 + i);
    g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
    g_assert_null (gst_buffer_get_tile_meta (out));
    gst_buffer_unref (out);
  }
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

static void
test_renegotiates_when_image_changes (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=32");
  PngFixtureImage a, b, c, d, ref;
  GstVideoInfo info;
  GstBuffer *out;

  make_image (&kinds[2], 64, 48, PNG_FIXTURE_PATTERN_HASH, 1, &a);
  make_image (&kinds[2], 100, 30, PNG_FIXTURE_PATTERN_HASH, 2, &b);
  make_image (&kinds[0], 96, 96, PNG_FIXTURE_PATTERN_HASH, 3, &c);
  make_image (&kinds[3], 64, 48, PNG_FIXTURE_PATTERN_HASH, 4, &d);

  push_image (h, &a, 16, 16, 0, 0);
  out = gst_harness_pull (h);
  out_info (h, &info);
  ref = png_fixture_box_filter (&a, 32, 24);
  g_assert_cmpuint (max_abs_diff (out, &info, &ref), <=, 1);
  png_fixture_image_clear (&ref);
  gst_buffer_unref (out);

  /* same tiles and rows of sums, more channels */
  push_image (h, &d, 16, 16, 1, SECOND / 2);
  out = gst_harness_pull (h);
  out_info (h, &info);
  ref = png_fixture_box_filter (&d, 32, 24);
  g_assert_cmpuint (max_abs_diff (out, &info, &ref), <=, 1);
  png_fixture_image_clear (&ref);
  gst_buffer_unref (out);

  /* new size, new tile size */
  push_image (h, &b, 40, 8, 2, SECOND);
  out = gst_harness_pull (h);
  out_info (h, &info);
  ref = png_fixture_box_filter (&b, 32, 10);
  g_assert_cmpuint (max_abs_diff (out, &info, &ref), <=, 1);
  png_fixture_image_clear (&ref);
  gst_buffer_unref (out);

  /* new format */
  push_image (h, &c, 32, 32, 3, 2 * SECOND);
  out = gst_harness_pull (h);
  out_info (h, &info);
  g_assert_cmpint (GST_VIDEO_INFO_FORMAT (&info), ==, GST_VIDEO_FORMAT_GRAY8);
  ref = png_fixture_box_filter (&c, 32, 32);
  g_assert_cmpuint (max_abs_diff (out, &info, &ref), <=, 1);
  png_fixture_image_clear (&ref);
  gst_buffer_unref (out);

  png_fixture_image_clear (&a);
  png_fixture_image_clear (&b);
  png_fixture_image_clear (&c);
  png_fixture_image_clear (&d);
  gst_harness_teardown (h);
}

/* Orphan tiles of @n images in a row, each image dropped with a warning;
 * returns how many warnings reached the bus. */
static guint
count_drop_warnings (const gchar * launch, guint n)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GstBus *bus = attach_bus (h);
  PngFixtureImage img;
  GstTileGrid grid;
  GstMessage *msg;
  gchar *caps;
  guint i, count = 0;

  make_image (&kinds[2], 32, 32, PNG_FIXTURE_PATTERN_HASH, 1, &img);
  g_assert_true (gst_tile_grid_init (&grid, 32, 32, 16, 16));
  caps = tile_caps_str (img.format, 16, 16);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  for (i = 0; i < n; i++)
    g_assert_cmpint (gst_harness_push (h, make_tile (&img, &grid, i, 1, 0)),
        ==, GST_FLOW_OK);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    count++;
    gst_message_unref (msg);
  }
  png_fixture_image_clear (&img);
  detach_bus (h, bus);
  gst_harness_teardown (h);
  return count;
}

/* A bus nobody reads keeps every message: a stream of damaged images must
 * not post a warning per image faster than message-interval allows. */
static void
test_drop_warnings_follow_message_interval (void)
{
  g_assert_cmpuint (count_drop_warnings ("tilescale width=8", 200), <=,
      GST_MESSAGE_THROTTLE_BURST + 1);
  g_assert_cmpuint (count_drop_warnings ("tilescale width=8", 200), >=, 1);
  g_assert_cmpuint (count_drop_warnings
      ("tilescale width=8 message-interval=0", 200), ==, 200);
}

static void
test_drops_incomplete_image_with_warning (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=16");
  GstBus *bus = attach_bus (h);
  PngFixtureImage img;
  GstBuffer *out;

  make_image (&kinds[2], 64, 64, PNG_FIXTURE_PATTERN_HASH, 1, &img);
  /* image 5 (from five.png, as seqfilesrc announces files) stops after 5 of
   * 16 tiles, image 6 is whole; the warning names image 5's file, not the
   * one announced since */
  g_assert_true (gst_harness_push_event (h,
          gst_event_new_tag (gst_tag_list_new (GST_TAG_LOCATION,
                  "file:///frames/five.png", NULL))));
  push_image_part (h, &img, 16, 16, 5, 0, 5);
  g_assert_true (gst_harness_push_event (h,
          gst_event_new_tag (gst_tag_list_new (GST_TAG_LOCATION,
                  "file:///frames/six.png", NULL))));
  push_image (h, &img, 16, 16, 6, SECOND);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 1);
  out = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, 6);
  gst_buffer_unref (out);
  expect_message (bus, GST_MESSAGE_WARNING,
      "Image 5 (file:///frames/five.png)");

  /* image 9 without its first tile: its tiles are dropped, one warning */
  {
    GstTileGrid grid;
    guint n;

    g_assert_true (gst_tile_grid_init (&grid, 64, 64, 16, 16));
    for (n = 1; n < 16; n++)
      g_assert_cmpint (gst_harness_push (h, make_tile (&img, &grid, 9, n % 4,
                  n / 4)), ==, GST_FLOW_OK);
    g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
    expect_message (bus, GST_MESSAGE_WARNING, "Image 9");
    g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  }

  /* EOS in the middle of image 7 */
  push_image_part (h, &img, 16, 16, 7, 2 * SECOND, 9);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  expect_message (bus, GST_MESSAGE_WARNING, "Image 7");
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, 1);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));

  png_fixture_image_clear (&img);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

static void
test_broken_tile_order_is_an_error (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=16");
  GstBus *bus = attach_bus (h);
  PngFixtureImage img;
  GstTileGrid grid;
  gchar *caps;

  make_image (&kinds[2], 64, 64, PNG_FIXTURE_PATTERN_HASH, 1, &img);
  g_assert_true (gst_tile_grid_init (&grid, 64, 64, 16, 16));
  caps = tile_caps_str (img.format, 16, 16);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (gst_harness_push (h, make_tile (&img, &grid, 3, 0, 0)), ==,
      GST_FLOW_OK);
  /* skips column 1 */
  g_assert_cmpint (gst_harness_push (h, make_tile (&img, &grid, 3, 2, 0)), ==,
      GST_FLOW_ERROR);
  expect_message (bus, GST_MESSAGE_ERROR, "image 3");
  g_free (caps);
  png_fixture_image_clear (&img);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

static void
test_plain_frames_are_whole_images (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=25");
  PngFixtureImage img, ref;
  GstVideoInfo tinfo, info;
  GstBuffer *buf, *out;
  GstMapInfo map;
  guint r;
  gchar *caps;

  make_image (&kinds[2], 100, 40, PNG_FIXTURE_PATTERN_HASH, 9, &img);
  gst_video_info_set_format (&tinfo, img.format, 100, 40);
  caps = tile_caps_str (img.format, 100, 40);
  gst_harness_set_src_caps_str (h, caps);
  buf = gst_buffer_new_allocate (NULL, tinfo.size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (r = 0; r < 40; r++)
    memcpy (map.data + r * tinfo.stride[0], img.pixels + r * img.stride,
        img.stride);
  gst_buffer_unmap (buf, &map);
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  out_info (h, &info);
  ref = png_fixture_box_filter (&img, 25, 10);
  g_assert_cmpuint (max_abs_diff (out, &info, &ref), <=, 1);
  gst_buffer_unref (out);
  png_fixture_image_clear (&ref);
  png_fixture_image_clear (&img);
  g_free (caps);
  gst_harness_teardown (h);
}

static void
test_property_validation (void)
{
  GstElement *e = gst_element_factory_make ("tilescale", NULL);
  GObjectClass *klass = G_OBJECT_GET_CLASS (e);
  const gchar *names[] = { "width", "height" };
  GParamSpec *pspec;
  GValue v = G_VALUE_INIT;
  guint i, width;
  guint64 held;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    pspec = g_object_class_find_property (klass, names[i]);
    g_assert_nonnull (pspec);
    g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->minimum, ==, 0);
    g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->maximum, ==, G_MAXINT);
    g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->default_value, ==, 0);
    /* caps sizes are gint: larger values are clamped, not wrapped */
    g_value_init (&v, G_TYPE_UINT);
    g_value_set_uint (&v, G_MAXUINT);
    g_assert_true (g_param_value_validate (pspec, &v));
    g_assert_cmpuint (g_value_get_uint (&v), ==, G_MAXINT);
    g_value_unset (&v);
  }
  pspec = g_object_class_find_property (klass, "held-bytes");
  g_assert_nonnull (pspec);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);

  g_object_set (e, "width", 640, NULL);
  g_object_get (e, "width", &width, "held-bytes", &held, NULL);
  g_assert_cmpuint (width, ==, 640);
  g_assert_cmpuint (held, ==, 0);
  gst_object_unref (e);
}

static guint64
held_bytes (GstHarness * h)
{
  GstElement *e = gst_harness_find_element (h, "tilescale");
  guint64 held;

  g_object_get (e, "held-bytes", &held, NULL);
  gst_object_unref (e);
  return held;
}

/* Mid-image the element holds the output frame plus sums for one tile row of
 * output rows, never anything of the size of the input image. */
static void
test_held_bytes_stay_below_one_tile_row (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=300");
  PngFixtureImage img;
  guint64 out_frame = 300 * 225 * 3, tile_row = 1200 * 64 * 3, held;
  GstBuffer *out;

  make_image (&kinds[2], 1200, 900, PNG_FIXTURE_PATTERN_PHOTO, 1, &img);
  push_image_part (h, &img, 256, 64, 0, 0, 23);
  held = held_bytes (h);
  g_test_message ("held mid-image: %" G_GUINT64_FORMAT " bytes", held);
  g_assert_cmpuint (held, >=, out_frame);
  g_assert_cmpuint (held, <, out_frame + tile_row);
  g_assert_cmpuint (held, <, (guint64) img.stride * img.height / 4);
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  g_assert_cmpuint (held_bytes (h), <, out_frame);

  push_image (h, &img, 256, 64, 1, 0);
  out = gst_harness_pull (h);
  gst_buffer_unref (out);
  g_assert_cmpuint (held_bytes (h), <, out_frame);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

typedef struct {
  GstHarness *h;
  const PngFixtureImage *img;
  guint n_images;
} PushJob;

static gpointer
push_images_thread (gpointer data)
{
  PushJob *job = data;
  guint i;

  for (i = 0; i < job->n_images; i++)
    push_image (job->h, job->img, 32, 32, i, i * SECOND);
  return NULL;
}

static gboolean
wait_queue (GstHarness * h, guint n, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;

  while (gst_harness_buffers_in_queue (h) < n) {
    if (g_get_monotonic_time () > end)
      return FALSE;
    g_usleep (2000);
  }
  return TRUE;
}

/* Frames come from a small pool: when downstream keeps them all, the next
 * image waits instead of allocating. The frames are larger than
 * GST_TILE_POOL_MIN_BYTES, so the pool's bound is its count of 2. */
static void
test_output_pool_blocks_upstream (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=320");
  PngFixtureImage img;
  PushJob job;
  GThread *thread;
  GstBuffer *held[2];

  g_assert_cmpuint (320 * 320 * 3, >, GST_TILE_POOL_MIN_BYTES);
  make_image (&kinds[2], 640, 640, PNG_FIXTURE_PATTERN_HASH, 1, &img);
  job.h = h;
  job.img = &img;
  job.n_images = 3;
  thread = g_thread_new ("pusher", push_images_thread, &job);
  g_assert_true (wait_queue (h, 2, 10 * G_USEC_PER_SEC));
  g_usleep (300 * 1000);
  /* the third image is stuck at the pool */
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 2);
  held[0] = gst_harness_pull (h);
  held[1] = gst_harness_pull (h);
  gst_buffer_unref (held[0]);
  g_assert_true (wait_queue (h, 1, 10 * G_USEC_PER_SEC));
  g_thread_join (thread);
  gst_buffer_unref (held[1]);
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, 3);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

typedef struct {
  GstHarness *h;
  const PngFixtureImage *img;
  guint tw, th;
} StripJob;

static gpointer
push_strip_job (gpointer data)
{
  StripJob *job = data;

  push_image (job->h, job->img, job->tw, job->th, 4, 3 * SECOND);
  return NULL;
}

/* With tile-height the output is a tile stream of strips that put together
 * give exactly the whole frame, each strip sent as soon as it is done. */
static void
check_strips (const Kind * kind, guint W, guint H, guint w, guint strip,
    guint in_tw, guint in_th)
{
  gchar *launch = g_strdup_printf ("tilescale width=%u", w);
  gchar *strips = g_strdup_printf ("tilescale width=%u tile-height=%u", w,
      strip);
  GstHarness *h = gst_harness_new_parse (strips);
  PngFixtureImage img;
  GstVideoInfo frame_info, info;
  GstBuffer *frame, *out;
  GstVideoFrame ff, sf;
  StripJob job;
  GThread *thread;
  guint oh, rows, n_strips, k, r;
  gsize row_bytes;

  make_image (kind, W, H, PNG_FIXTURE_PATTERN_PHOTO, W + strip, &img);
  frame = scale_once (launch, &img, in_tw, in_th, &frame_info);
  oh = GST_VIDEO_INFO_HEIGHT (&frame_info);
  rows = MIN (strip, oh);
  n_strips = (oh + rows - 1) / rows;
  row_bytes = (gsize) w * bytes_per_pixel (kind->format);

  /* from a thread: the strips' pool holds two, the rest wait for pulls */
  job.h = h;
  job.img = &img;
  job.tw = in_tw;
  job.th = in_th;
  thread = g_thread_new ("strips", push_strip_job, &job);
  g_assert_true (gst_video_frame_map (&ff, &frame_info, frame, GST_MAP_READ));
  for (k = 0; k < n_strips; k++) {
    GstTileMeta *meta;
    GstVideoCropMeta *crop;
    guint valid = MIN (rows, oh - k * rows);

    out = gst_harness_pull (h);
    g_assert_nonnull (out);
    if (k == 0) {
      out_info (h, &info);
      g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, w);
      g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, rows);
    }
    meta = gst_buffer_get_tile_meta (out);
    g_assert_nonnull (meta);
    g_assert_cmpuint (meta->image_index, ==, 4);
    g_assert_cmpuint (meta->image_width, ==, w);
    g_assert_cmpuint (meta->image_height, ==, oh);
    g_assert_cmpuint (meta->x, ==, 0);
    g_assert_cmpuint (meta->y, ==, k * rows);
    g_assert_cmpuint (meta->width, ==, w);
    g_assert_cmpuint (meta->height, ==, valid);
    g_assert_cmpuint (meta->row, ==, k);
    g_assert_cmpuint (meta->n_rows, ==, n_strips);
    g_assert_cmpint (gst_tile_meta_is_first (meta), ==, k == 0);
    g_assert_cmpint (gst_tile_meta_is_last (meta), ==, k == n_strips - 1);
    crop = gst_buffer_get_video_crop_meta (out);
    g_assert_true ((crop != NULL) == (valid < rows));
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, 3 * SECOND);
    g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, 4);
    g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT),
        ==, k != 0);

    g_assert_true (gst_video_frame_map (&sf, &info, out, GST_MAP_READ));
    for (r = 0; r < rows; r++) {
      const guint8 *got = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&sf, 0)
          + (gsize) r * GST_VIDEO_FRAME_PLANE_STRIDE (&sf, 0);

      if (r < valid) {
        g_assert_cmpmem (got, row_bytes,
            (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&ff, 0) +
            (gsize) (k * rows + r) * GST_VIDEO_FRAME_PLANE_STRIDE (&ff, 0),
            row_bytes);
      } else {
        guint8 *zero = g_malloc0 (row_bytes);

        g_assert_cmpmem (got, row_bytes, zero, row_bytes);
        g_free (zero);
      }
    }
    gst_video_frame_unmap (&sf);
    gst_buffer_unref (out);
  }
  g_thread_join (thread);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  gst_video_frame_unmap (&ff);
  gst_buffer_unref (frame);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
  g_free (launch);
  g_free (strips);
}

static void
test_tile_output_is_the_frame_in_strips (void)
{
  check_strips (&kinds[2], 300, 200, 97, 8, 64, 16);
  check_strips (&kinds[4], 120, 90, 40, 7, 0, 5);
  check_strips (&kinds[0], 50, 40, 50, 1000, 16, 16);
}

/* In tile mode no frame is held: one strip and the sums. */
static void
test_tile_output_holds_one_strip (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=300 tile-height=16");
  PngFixtureImage img;
  guint64 out_frame = 300 * 225 * 3, strip = 300 * 16 * 3, held;
  GstTileGrid grid;
  GstBuffer *out;
  gchar *caps;
  guint n;

  make_image (&kinds[2], 1200, 900, PNG_FIXTURE_PATTERN_PHOTO, 1, &img);
  g_assert_true (gst_tile_grid_init (&grid, 1200, 900, 256, 64));
  caps = tile_caps_str (img.format, 256, 64);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  /* 23 tiles: four and a half tile rows; one 16-row strip per tile row */
  for (n = 0; n < 23; n++) {
    g_assert_cmpint (gst_harness_push (h, make_tile (&img, &grid, 0,
                n % grid.n_columns, n / grid.n_columns)), ==, GST_FLOW_OK);
    while ((out = gst_harness_try_pull (h)))
      gst_buffer_unref (out);
  }
  held = held_bytes (h);
  g_test_message ("held mid-image in tile mode: %" G_GUINT64_FORMAT " bytes",
      held);
  g_assert_cmpuint (held, >=, strip);
  g_assert_cmpuint (held, <, out_frame);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

typedef struct {
  GstHarness *h;
  GstBuffer *tile;
  GstFlowReturn ret;
} BlockedPush;

static gpointer
push_one_thread (gpointer data)
{
  BlockedPush *job = data;

  job->ret = gst_harness_push (job->h, job->tile);
  return NULL;
}

/* A streaming thread waiting for a pool buffer must not keep the element
 * from stopping. */
static void
test_stops_while_waiting_for_the_pool (void)
{
  GstHarness *h = gst_harness_new_parse ("tilescale width=600");
  PngFixtureImage img;
  GstTileGrid grid;
  BlockedPush job = { h, NULL, GST_FLOW_OK };
  GThread *thread;
  gint64 end;

  /* frames above GST_TILE_POOL_MIN_BYTES: the pool's bound is 2 frames */
  g_assert_cmpuint (600 * 600, >, GST_TILE_POOL_MIN_BYTES);
  make_image (&kinds[0], 1024, 1024, PNG_FIXTURE_PATTERN_HASH, 1, &img);
  push_image (h, &img, 1024, 1024, 0, 0);
  push_image (h, &img, 1024, 1024, 1, SECOND);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 2);
  g_assert_true (gst_tile_grid_init (&grid, 1024, 1024, 1024, 1024));
  job.tile = make_tile (&img, &grid, 2, 0, 0);
  thread = g_thread_new ("blocked", push_one_thread, &job);
  g_usleep (200 * 1000);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 2);

  gst_element_set_state (h->element, GST_STATE_READY);
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  /* join only once it returned, so a hang fails the test via the alarm */
  while (job.ret == GST_FLOW_OK && g_get_monotonic_time () < end)
    g_usleep (2000);
  g_thread_join (thread);
  g_assert_cmpint (job.ret, ==, GST_FLOW_FLUSHING);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  /* a blocked push must fail the run, not hang it */
  alarm (55);

  g_test_add_func ("/tilescale/exact-copy-at-scale-1",
      test_exact_copy_at_scale_1);
  g_test_add_func ("/tilescale/matches-reference-box-filter",
      test_matches_reference_box_filter);
  g_test_add_func ("/tilescale/upscale-is-area-coverage",
      test_upscale_is_area_coverage);
  g_test_add_func ("/tilescale/exact-for-coprime-sizes",
      test_exact_for_coprime_sizes);
  g_test_add_func ("/tilescale/tile-shape-does-not-matter",
      test_tile_shape_does_not_matter);
  g_test_add_func ("/tilescale/keeps-aspect-with-width-or-height-0",
      test_keeps_aspect_with_width_or_height_0);
  g_test_add_func ("/tilescale/size-from-downstream-caps",
      test_size_from_downstream_caps);
  g_test_add_func ("/tilescale/downstream-refusal-is-an-error",
      test_downstream_refusal_is_an_error);
  g_test_add_func ("/tilescale/keeps-timestamps-and-image-index",
      test_keeps_timestamps_and_image_index);
  g_test_add_func ("/tilescale/renegotiates-when-image-changes",
      test_renegotiates_when_image_changes);
  g_test_add_func ("/tilescale/drops-incomplete-image-with-warning",
      test_drops_incomplete_image_with_warning);
  g_test_add_func ("/tilescale/broken-tile-order-is-an-error",
      test_broken_tile_order_is_an_error);
  g_test_add_func ("/tilescale/plain-frames-are-whole-images",
      test_plain_frames_are_whole_images);
  g_test_add_func ("/tilescale/property-validation",
      test_property_validation);
  g_test_add_func ("/tilescale/held-bytes-stay-below-one-tile-row",
      test_held_bytes_stay_below_one_tile_row);
  g_test_add_func ("/tilescale/drop-warnings-follow-message-interval",
      test_drop_warnings_follow_message_interval);
  g_test_add_func ("/tilescale/output-pool-blocks-upstream",
      test_output_pool_blocks_upstream);
  g_test_add_func ("/tilescale/tile-output-is-the-frame-in-strips",
      test_tile_output_is_the_frame_in_strips);
  g_test_add_func ("/tilescale/tile-output-holds-one-strip",
      test_tile_output_holds_one_strip);
  g_test_add_func ("/tilescale/stops-while-waiting-for-the-pool",
      test_stops_while_waiting_for_the_pool);
  return g_test_run ();
}
