/* pngtileenc: the promises of the streaming PNG encoder. Tiles are cut here
 * from the reference decode of fixture PNGs, so every check is "the PNG we
 * wrote decodes to exactly the pixels we gave". */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <png.h>
#include <string.h>
#include <zlib.h>

#include "gstfixture.h"
#include "gsttilemeta.h"
#include "pngfixture.h"

/* compression-level's default: ISA-L's level 1 where the build has ISA-L */
#define DEFAULT_COMPRESSION_LEVEL 1

/* --- images --- */

static void
make_image (PngFixtureImage * img, guint width, guint height, gint color_type,
    gint depth, PngFixturePattern pattern)
{
  PngFixtureSpec spec;
  GBytes *png;
  gchar *err = NULL;

  png_fixture_spec_init (&spec, width, height, color_type, depth);
  spec.pattern = pattern;
  png = png_fixture_encode (&spec);
  if (!png_fixture_reference_decode (g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), img, &err))
    g_error ("fixture does not decode: %s", err);
  g_bytes_unref (png);
}

static guint
pixel_bytes (GstVideoFormat format)
{
  return GST_VIDEO_FORMAT_INFO_PSTRIDE (gst_video_format_get_info (format), 0);
}

/* Rearranges each pixel's bytes: out byte i = in byte map[i], or @filler for
 * map[i] < 0. Makes the swizzled input formats from a PNG-layout image. */
static void
swizzle_image (const PngFixtureImage * in, GstVideoFormat format,
    const gint * map, PngFixtureImage * out)
{
  guint in_bpp = pixel_bytes (in->format), out_bpp = pixel_bytes (format);
  guint x, y, i;

  out->width = in->width;
  out->height = in->height;
  out->format = format;
  out->stride = (gsize) in->width * out_bpp;
  out->pixels = g_malloc (out->stride * out->height);
  for (y = 0; y < in->height; y++) {
    for (x = 0; x < in->width; x++) {
      const guint8 *s = in->pixels + y * in->stride + x * in_bpp;
      guint8 *d = out->pixels + y * out->stride + x * out_bpp;

      for (i = 0; i < out_bpp; i++)
        d[i] = map[i] >= 0 ? s[map[i]] : 0x5a;
    }
  }
}

/* --- tiles --- */

typedef struct
{
  guint tile_width;             /* 0: strips */
  guint tile_height;
  guint extra_stride;           /* bytes after each tile row (GstVideoMeta) */
  guint8 padding;               /* value of bytes outside the valid region */
  gboolean no_meta;             /* whole frames without GstTileMeta */
} TileShape;

static const TileShape shape_16x16 = { 16, 16, 0, 0, FALSE };

static GstCaps *
tile_caps (const PngFixtureImage * img, const GstTileGrid * grid, gint fps_n)
{
  return gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, gst_video_format_to_string (img->format),
      "width", G_TYPE_INT, (gint) grid->tile_width,
      "height", G_TYPE_INT, (gint) grid->tile_height,
      "framerate", GST_TYPE_FRACTION, fps_n, 1, NULL);
}

static GstBuffer *
make_tile (const PngFixtureImage * img, const GstTileGrid * grid,
    const TileShape * shape, guint64 index, guint column, guint row)
{
  guint bpp = pixel_bytes (img->format);
  GstVideoInfo info;
  gsize stride, size;
  guint x, y, w, h, r;
  GstBuffer *buf;
  GstMapInfo map;

  /* without a GstVideoMeta, rows must sit where GstVideoInfo puts them */
  gst_video_info_set_format (&info, img->format, grid->tile_width,
      grid->tile_height);
  stride = GST_VIDEO_INFO_PLANE_STRIDE (&info, 0) + shape->extra_stride;
  size = stride * grid->tile_height;

  gst_tile_grid_tile_rect (grid, column, row, &x, &y, &w, &h);
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, shape->padding, size);
  for (r = 0; r < h; r++)
    memcpy (map.data + r * stride,
        img->pixels + (y + r) * img->stride + (gsize) x * bpp, (gsize) w * bpp);
  gst_buffer_unmap (buf, &map);

  if (shape->extra_stride) {
    gsize offset[GST_VIDEO_MAX_PLANES] = { 0 };
    gint strides[GST_VIDEO_MAX_PLANES] = { (gint) stride };

    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        img->format, grid->tile_width, grid->tile_height, 1, offset, strides);
  }
  if (!shape->no_meta)
    gst_tile_grid_add_meta (grid, buf, index, column, row);
  GST_BUFFER_OFFSET (buf) = index;
  if (column || row)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static void
grid_for (GstTileGrid * grid, const PngFixtureImage * img,
    const TileShape * shape)
{
  if (shape->no_meta)
    g_assert_true (gst_tile_grid_init (grid, img->width, img->height, 0,
            img->height));
  else
    g_assert_true (gst_tile_grid_init (grid, img->width, img->height,
            shape->tile_width, shape->tile_height));
}

/* Pushes tiles [0, n_tiles) of @img in row-major order (G_MAXUINT: all). */
static void
push_tiles (GstHarness * h, const PngFixtureImage * img,
    const TileShape * shape, guint64 index, GstClockTime pts, guint n_tiles)
{
  GstTileGrid grid;
  GstCaps *caps;
  guint col, row, n = 0;

  grid_for (&grid, img, shape);
  caps = tile_caps (img, &grid, 5);
  gst_harness_set_src_caps (h, caps);
  for (row = 0; row < grid.n_rows; row++) {
    for (col = 0; col < grid.n_columns && n < n_tiles; col++, n++) {
      GstBuffer *buf = make_tile (img, &grid, shape, index, col, row);

      GST_BUFFER_PTS (buf) = pts;
      GST_BUFFER_DURATION (buf) = GST_SECOND / 5;
      g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    }
  }
}

static GstHarness *
new_encoder (void)
{
  GstHarness *h = gst_harness_new ("pngtileenc");

  gst_harness_set_sink_caps_str (h, "image/png");
  return h;
}

/* --- output --- */

typedef struct
{
  GByteArray *bytes;
  GstClockTime pts;
  guint64 offset;
  guint n_buffers;
} EncodedImage;

static void
encoded_image_free (gpointer data)
{
  EncodedImage *e = data;

  g_byte_array_unref (e->bytes);
  g_free (e);
}

/* Everything the encoder has pushed, split into images at each buffer
 * without DELTA_UNIT; every buffer of an image must carry its timestamps. */
static GPtrArray *
pull_images (GstHarness * h)
{
  GPtrArray *images = g_ptr_array_new_with_free_func (encoded_image_free);
  EncodedImage *cur = NULL;
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;

    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
      cur = g_new0 (EncodedImage, 1);
      cur->bytes = g_byte_array_new ();
      cur->pts = GST_BUFFER_PTS (buf);
      cur->offset = GST_BUFFER_OFFSET (buf);
      g_ptr_array_add (images, cur);
    }
    g_assert_nonnull (cur);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, cur->pts);
    g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, GST_SECOND / 5);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, cur->offset);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (cur->bytes, map.data, map.size);
    gst_buffer_unmap (buf, &map);
    cur->n_buffers++;
    gst_buffer_unref (buf);
  }
  return images;
}

static void
assert_decodes_to (const GByteArray * png, const PngFixtureImage * expected)
{
  PngFixtureImage got;
  gchar *err = NULL;
  guint y;

  if (!png_fixture_reference_decode (png->data, png->len, &got, &err))
    g_error ("encoder output does not decode: %s", err);
  g_assert_cmpuint (got.width, ==, expected->width);
  g_assert_cmpuint (got.height, ==, expected->height);
  g_assert_cmpstr (gst_video_format_to_string (got.format), ==,
      gst_video_format_to_string (expected->format));
  for (y = 0; y < got.height; y++) {
    if (memcmp (got.pixels + y * got.stride,
            expected->pixels + y * expected->stride, got.stride) != 0)
      g_error ("row %u differs (%ux%u %s)", y, got.width, got.height,
          gst_video_format_to_string (got.format));
  }
  png_fixture_image_clear (&got);
}

/* Encodes @input tiled as @shape and checks the PNG decodes to @expected. */
static void
check_roundtrip (const PngFixtureImage * input, const TileShape * shape,
    const PngFixtureImage * expected)
{
  GstHarness *h = new_encoder ();
  GPtrArray *out;

  push_tiles (h, input, shape, 0, 0, G_MAXUINT);
  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 1);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, expected);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
}

static GstMessage *
pop_message (GstBus * bus, GstMessageType type)
{
  return gst_bus_pop_filtered (bus, type);
}

/* Checks the text of a popped message, then drops it. */
static void
assert_message_mentions (GstMessage * msg, const gchar * text)
{
  gst_fixture_assert_message_mentions (msg, text);
  gst_message_unref (msg);
}

/* --- formats --- */

static void
test_png_layout_formats_roundtrip (void)
{
  static const struct
  {
    gint color_type, depth;
  } kinds[] = {
    {PNG_COLOR_TYPE_GRAY, 8}, {PNG_COLOR_TYPE_GRAY, 16},
    {PNG_COLOR_TYPE_RGB, 8}, {PNG_COLOR_TYPE_RGB_ALPHA, 8},
    {PNG_COLOR_TYPE_RGB_ALPHA, 16},
  };
  static const GstVideoFormat expected_format[] = {
    GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_GRAY16_BE, GST_VIDEO_FORMAT_RGB,
    GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_RGBA64_BE,
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (kinds); i++) {
    PngFixtureImage img;

    make_image (&img, 37, 29, kinds[i].color_type, kinds[i].depth,
        PNG_FIXTURE_PATTERN_HASH);
    g_assert_cmpint (img.format, ==, expected_format[i]);
    check_roundtrip (&img, &shape_16x16, &img);
    png_fixture_image_clear (&img);
  }
}

static void
test_swizzled_formats_roundtrip (void)
{
  static const struct
  {
    GstVideoFormat format;
    gint color_type, depth;
    gint map[8];
  } cases[] = {
    {GST_VIDEO_FORMAT_GRAY16_LE, PNG_COLOR_TYPE_GRAY, 16, {1, 0}},
    {GST_VIDEO_FORMAT_BGR, PNG_COLOR_TYPE_RGB, 8, {2, 1, 0}},
    {GST_VIDEO_FORMAT_RGBx, PNG_COLOR_TYPE_RGB, 8, {0, 1, 2, -1}},
    {GST_VIDEO_FORMAT_BGRx, PNG_COLOR_TYPE_RGB, 8, {2, 1, 0, -1}},
    {GST_VIDEO_FORMAT_BGRA, PNG_COLOR_TYPE_RGB_ALPHA, 8, {2, 1, 0, 3}},
    {GST_VIDEO_FORMAT_ARGB, PNG_COLOR_TYPE_RGB_ALPHA, 8, {3, 0, 1, 2}},
    {GST_VIDEO_FORMAT_RGBA64_LE, PNG_COLOR_TYPE_RGB_ALPHA, 16,
        {1, 0, 3, 2, 5, 4, 7, 6}},
    /* native-endian 16-bit samples, alpha first */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    {GST_VIDEO_FORMAT_ARGB64, PNG_COLOR_TYPE_RGB_ALPHA, 16,
        {7, 6, 1, 0, 3, 2, 5, 4}},
#else
    {GST_VIDEO_FORMAT_ARGB64, PNG_COLOR_TYPE_RGB_ALPHA, 16,
        {6, 7, 0, 1, 2, 3, 4, 5}},
#endif
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    PngFixtureImage img, input;

    make_image (&img, 37, 29, cases[i].color_type, cases[i].depth,
        PNG_FIXTURE_PATTERN_HASH);
    swizzle_image (&img, cases[i].format, cases[i].map, &input);
    check_roundtrip (&input, &shape_16x16, &img);
    png_fixture_image_clear (&input);
    png_fixture_image_clear (&img);
  }
}

/* --- grids --- */

static void
test_grid_that_divides (void)
{
  PngFixtureImage img;

  make_image (&img, 64, 48, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  check_roundtrip (&img, &shape_16x16, &img);
  png_fixture_image_clear (&img);
}

/* Round-trips one generated image through each tile shape of @shapes. */
static void
roundtrip_shapes (guint width, guint height, gint color_type, gint depth,
    const TileShape * shapes, guint n_shapes)
{
  PngFixtureImage img;
  guint i;

  make_image (&img, width, height, color_type, depth,
      PNG_FIXTURE_PATTERN_HASH);
  for (i = 0; i < n_shapes; i++)
    check_roundtrip (&img, &shapes[i], &img);
  png_fixture_image_clear (&img);
}

static void
test_grid_that_does_not_divide (void)
{
  static const TileShape shapes[] = {
    {16, 16, 0, 0, FALSE}, {7, 5, 0, 0, FALSE}, {1, 1, 0, 0, FALSE},
    {60, 3, 0, 0, FALSE}, {500, 500, 0, 0, FALSE},
  };
  roundtrip_shapes (61, 47, PNG_COLOR_TYPE_RGB_ALPHA, 8, shapes,
      G_N_ELEMENTS (shapes));
}

static void
test_strips (void)
{
  static const TileShape shapes[] = {
    {0, 5, 0, 0, FALSE}, {0, 1, 0, 0, FALSE}, {0, 47, 0, 0, FALSE},
  };
  roundtrip_shapes (61, 47, PNG_COLOR_TYPE_GRAY, 16, shapes,
      G_N_ELEMENTS (shapes));
}

/* Padding filled with garbage and rows with a stride of their own: only the
 * valid region, read with the buffer's stride, may reach the PNG. */
static void
test_strides_and_valid_region (void)
{
  static const TileShape shapes[] = {
    {16, 16, 13, 0xa5, FALSE}, {7, 5, 3, 0xff, FALSE}, {0, 10, 9, 0x33, FALSE},
  };
  roundtrip_shapes (45, 37, PNG_COLOR_TYPE_RGB, 8, shapes,
      G_N_ELEMENTS (shapes));
}

static void
test_frame_without_tile_meta_is_one_image (void)
{
  static const TileShape whole = { 0, 0, 7, 0, TRUE };
  PngFixtureImage a, b;
  GstHarness *h = new_encoder ();
  GPtrArray *out;

  make_image (&a, 33, 21, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  make_image (&b, 33, 21, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_PHOTO);
  push_tiles (h, &a, &whole, 0, 0, G_MAXUINT);
  push_tiles (h, &b, &whole, 1, GST_SECOND / 5, G_MAXUINT);
  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 2);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, &a);
  assert_decodes_to (((EncodedImage *) out->pdata[1])->bytes, &b);
  g_assert_cmpuint (((EncodedImage *) out->pdata[1])->pts, ==, GST_SECOND / 5);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  png_fixture_image_clear (&a);
  png_fixture_image_clear (&b);
}

/* --- output stream --- */

static void
test_timestamps_and_delta_unit (void)
{
  GstHarness *h = new_encoder ();
  PngFixtureImage img[3];
  GPtrArray *bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstBuffer *buf;
  guint i, image = 0;

  gst_harness_set (h, "pngtileenc", "output-buffer-size", 1024, NULL);
  for (i = 0; i < 3; i++) {
    make_image (&img[i], 90, 70 + i, PNG_COLOR_TYPE_RGB, 8,
        PNG_FIXTURE_PATTERN_HASH);
    push_tiles (h, &img[i], &shape_16x16, 10 + i, i * GST_SECOND / 5,
        G_MAXUINT);
  }
  while ((buf = gst_harness_try_pull (h)))
    g_ptr_array_add (bufs, buf);

  /* the hash pattern does not compress: ~19 KB per image, so many buffers */
  g_assert_cmpuint (bufs->len, >, 3 * 15);
  for (i = 0; i < bufs->len; i++) {
    gboolean last_of_image;

    buf = bufs->pdata[i];
    if (i == 0)
      g_assert_false (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
    else if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      image++;
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, image * GST_SECOND / 5);
    g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, GST_SECOND / 5);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, 10 + image);
    /* full buffers, except the last one of each image */
    last_of_image = i + 1 == bufs->len
        || !GST_BUFFER_FLAG_IS_SET (bufs->pdata[i + 1],
        GST_BUFFER_FLAG_DELTA_UNIT);
    if (last_of_image)
      g_assert_cmpuint (gst_buffer_get_size (buf), <=, 1024);
    else
      g_assert_cmpuint (gst_buffer_get_size (buf), ==, 1024);
  }
  g_assert_cmpuint (image, ==, 2);
  for (i = 0; i < 3; i++)
    png_fixture_image_clear (&img[i]);
  g_ptr_array_unref (bufs);
  gst_harness_teardown (h);
}

static void
assert_src_caps (GstHarness * h, gint width, gint height)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstStructure *s;
  gint w, hh, fn, fd;

  g_assert_nonnull (caps);
  s = gst_caps_get_structure (caps, 0);
  g_assert_cmpstr (gst_structure_get_name (s), ==, "image/png");
  g_assert_true (gst_structure_get_int (s, "width", &w));
  g_assert_true (gst_structure_get_int (s, "height", &hh));
  g_assert_true (gst_structure_get_fraction (s, "framerate", &fn, &fd));
  g_assert_cmpint (w, ==, width);
  g_assert_cmpint (hh, ==, height);
  g_assert_cmpint (fn, ==, 5);
  g_assert_cmpint (fd, ==, 1);
  gst_caps_unref (caps);
}

static void
test_output_caps_follow_the_image (void)
{
  GstHarness *h = new_encoder ();
  PngFixtureImage a, b;

  make_image (&a, 50, 40, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  make_image (&b, 23, 77, PNG_COLOR_TYPE_GRAY, 8, PNG_FIXTURE_PATTERN_HASH);
  push_tiles (h, &a, &shape_16x16, 0, 0, G_MAXUINT);
  assert_src_caps (h, 50, 40);
  push_tiles (h, &b, &shape_16x16, 1, GST_SECOND / 5, G_MAXUINT);
  assert_src_caps (h, 23, 77);
  png_fixture_image_clear (&a);
  png_fixture_image_clear (&b);
  gst_harness_teardown (h);
}

/* Before each image: a downstream force-key-unit event, for
 * multifilesink next-file=key-unit-event (its key-frame mode only splits
 * every 10 s of timestamps). */
static void
test_force_key_unit_event_per_image (void)
{
  GstHarness *h = new_encoder ();
  PngFixtureImage a;
  GstEvent *ev;
  guint i, n = 0;

  make_image (&a, 20, 20, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  for (i = 0; i < 3; i++)
    push_tiles (h, &a, &shape_16x16, i, i * GST_SECOND / 5, G_MAXUINT);
  while ((ev = gst_harness_try_pull_event (h))) {
    if (gst_video_event_is_force_key_unit (ev)) {
      GstClockTime ts, stream_time, running_time;
      gboolean all_headers;
      guint count;

      g_assert_true (gst_video_event_parse_downstream_force_key_unit (ev, &ts,
              &stream_time, &running_time, &all_headers, &count));
      g_assert_cmpuint (count, ==, n);
      g_assert_cmpuint (ts, ==, n * GST_SECOND / 5);
      g_assert_cmpuint (running_time, ==, n * GST_SECOND / 5);
      n++;
    }
    gst_event_unref (ev);
  }
  g_assert_cmpuint (n, ==, 3);
  png_fixture_image_clear (&a);
  gst_harness_teardown (h);
}

/* --- properties --- */

static void
test_compression_level_validated (void)
{
  GstElement *enc = gst_element_factory_make ("pngtileenc", NULL);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (enc),
      "compression-level");
  gint level;

  g_assert_nonnull (pspec);
  g_assert_cmpint (G_PARAM_SPEC_INT (pspec)->minimum, ==, 0);
  g_assert_cmpint (G_PARAM_SPEC_INT (pspec)->maximum, ==, 9);
  g_assert_cmpint (G_PARAM_SPEC_INT (pspec)->default_value, ==,
      DEFAULT_COMPRESSION_LEVEL);

  g_object_set (enc, "compression-level", 3, NULL);
  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING,
      "*out of range*compression-level*");
  g_object_set (enc, "compression-level", 10, NULL);
  g_test_assert_expected_messages ();
  g_object_get (enc, "compression-level", &level, NULL);
  g_assert_cmpint (level, ==, 3);
  gst_object_unref (enc);
}

static gsize
encoded_size (const PngFixtureImage * img, gint level, gint filter)
{
  GstHarness *h = new_encoder ();
  GPtrArray *out;
  gsize size;

  gst_harness_set (h, "pngtileenc", "compression-level", level, "filter",
      filter, NULL);
  push_tiles (h, img, &shape_16x16, 0, 0, G_MAXUINT);
  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 1);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, img);
  size = ((EncodedImage *) out->pdata[0])->bytes->len;
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  return size;
}

static void
test_compression_level_effective (void)
{
  PngFixtureImage img;
  gsize stored, best;

  make_image (&img, 160, 120, PNG_COLOR_TYPE_RGB, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  stored = encoded_size (&img, 0, 0);
  best = encoded_size (&img, 9, 0);
  g_test_message ("level 0: %" G_GSIZE_FORMAT " bytes, level 9: %"
      G_GSIZE_FORMAT " bytes", stored, best);
  /* level 0 stores the filtered rows: at least the raw size */
  g_assert_cmpuint (stored, >=, 160 * 120 * 3);
  g_assert_cmpuint (best, <, stored * 3 / 4);
  png_fixture_image_clear (&img);
}

static void
test_every_filter_roundtrips (void)
{
  GEnumClass *klass = g_type_class_ref (g_type_from_name
      ("GstPngTileEncFilter"));
  PngFixtureImage img;
  gsize sizes[8] = { 0 };
  guint i;

  g_assert_nonnull (klass);
  make_image (&img, 70, 50, PNG_COLOR_TYPE_RGB_ALPHA, 16,
      PNG_FIXTURE_PATTERN_PHOTO);
  g_assert_cmpuint (klass->n_values, ==, 7);
  for (i = 0; i < klass->n_values; i++)
    sizes[i] = encoded_size (&img, 6, klass->values[i].value);
  /* a different filter makes a different stream */
  g_assert_cmpuint (sizes[1], !=, sizes[5]);
  png_fixture_image_clear (&img);
  g_type_class_unref (klass);
}

/* --- incomplete and bad input --- */

static GstBus *
watch_bus (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  return bus;
}

/* The rows of @img that arrived, zero elsewhere: what an image cut after
 * @n_tiles tiles of @shape must decode to. */
static void
cut_image (const PngFixtureImage * img, const TileShape * shape, guint n_tiles,
    PngFixtureImage * out)
{
  GstTileGrid grid;
  guint bpp = pixel_bytes (img->format), n, x, y, w, h, r;

  *out = *img;
  out->pixels = g_malloc0 (img->stride * img->height);
  grid_for (&grid, img, shape);
  for (n = 0; n < n_tiles; n++) {
    gst_tile_grid_tile_rect (&grid, n % grid.n_columns, n / grid.n_columns,
        &x, &y, &w, &h);
    for (r = 0; r < h; r++)
      memcpy (out->pixels + (y + r) * img->stride + (gsize) x * bpp,
          img->pixels + (y + r) * img->stride + (gsize) x * bpp,
          (gsize) w * bpp);
  }
}

static void
push_location (GstHarness * h, const gchar * uri)
{
  GstTagList *tags = gst_tag_list_new (GST_TAG_LOCATION, uri, NULL);

  g_assert_true (gst_harness_push_event (h, gst_event_new_tag (tags)));
}

static void
test_incomplete_image_warns_when_next_begins (void)
{
  GstHarness *h = new_encoder ();
  GstBus *bus = watch_bus (h);
  PngFixtureImage a, b, a_cut;
  GPtrArray *out;
  GstMessage *msg;

  make_image (&a, 40, 40, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  make_image (&b, 30, 20, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  /* 3x3 grid: one full tile row and one tile of the second; each image
   * announced by its file's location tag, as seqfilesrc does */
  push_location (h, "file:///images/a.png");
  push_tiles (h, &a, &shape_16x16, 4, 0, 4);
  g_assert_null (pop_message (bus, GST_MESSAGE_WARNING));
  push_location (h, "file:///images/b.png");
  push_tiles (h, &b, &shape_16x16, 5, GST_SECOND / 5, G_MAXUINT);
  msg = pop_message (bus, GST_MESSAGE_WARNING);
  gst_message_ref (msg);
  assert_message_mentions (msg, "Image 4 is incomplete");
  assert_message_mentions (msg, "file:///images/a.png");
  g_assert_null (pop_message (bus, GST_MESSAGE_ERROR));

  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 2);
  cut_image (&a, &shape_16x16, 4, &a_cut);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, &a_cut);
  assert_decodes_to (((EncodedImage *) out->pdata[1])->bytes, &b);
  g_assert_cmpuint (((EncodedImage *) out->pdata[1])->offset, ==, 5);

  g_ptr_array_unref (out);
  png_fixture_image_clear (&a_cut);
  png_fixture_image_clear (&a);
  png_fixture_image_clear (&b);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* New caps mid-image (a new format) end the image the same way. */
static void
test_incomplete_image_warns_when_caps_change (void)
{
  GstHarness *h = new_encoder ();
  GstBus *bus = watch_bus (h);
  PngFixtureImage a, b, a_cut;
  GPtrArray *out;

  make_image (&a, 40, 40, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  make_image (&b, 30, 20, PNG_COLOR_TYPE_GRAY, 8, PNG_FIXTURE_PATTERN_HASH);
  push_tiles (h, &a, &shape_16x16, 0, 0, 2);
  push_tiles (h, &b, &shape_16x16, 1, GST_SECOND / 5, G_MAXUINT);
  assert_message_mentions (pop_message (bus, GST_MESSAGE_WARNING),
      "Image 0 is incomplete: the caps changed");

  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 2);
  cut_image (&a, &shape_16x16, 2, &a_cut);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, &a_cut);
  assert_decodes_to (((EncodedImage *) out->pdata[1])->bytes, &b);

  g_ptr_array_unref (out);
  png_fixture_image_clear (&a_cut);
  png_fixture_image_clear (&a);
  png_fixture_image_clear (&b);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

static void
test_incomplete_image_warns_at_eos (void)
{
  static const TileShape strips = { 0, 6, 0, 0, FALSE };
  GstHarness *h = new_encoder ();
  GstBus *bus = watch_bus (h);
  PngFixtureImage a, a_cut;
  GPtrArray *out;
  GstEvent *ev;

  make_image (&a, 40, 40, PNG_COLOR_TYPE_GRAY, 8, PNG_FIXTURE_PATTERN_HASH);
  push_tiles (h, &a, &strips, 2, 0, 3);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  assert_message_mentions (pop_message (bus, GST_MESSAGE_WARNING),
      "Image 2 is incomplete");

  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 1);
  cut_image (&a, &strips, 3, &a_cut);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, &a_cut);
  /* EOS still goes downstream, after the image */
  while ((ev = gst_harness_try_pull_event (h))) {
    gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;

    gst_event_unref (ev);
    if (eos)
      break;
  }
  g_assert_nonnull (ev);

  g_ptr_array_unref (out);
  png_fixture_image_clear (&a_cut);
  png_fixture_image_clear (&a);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

static void
test_tiles_without_first_tile_are_dropped (void)
{
  GstHarness *h = new_encoder ();
  GstBus *bus = watch_bus (h);
  PngFixtureImage a;
  GstTileGrid grid;
  GPtrArray *out;

  make_image (&a, 40, 20, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  grid_for (&grid, &a, &shape_16x16);
  gst_harness_set_src_caps (h, tile_caps (&a, &grid, 5));
  g_assert_cmpint (gst_harness_push (h, make_tile (&a, &grid, &shape_16x16, 3,
              1, 0)), ==, GST_FLOW_OK);
  g_assert_cmpint (gst_harness_push (h, make_tile (&a, &grid, &shape_16x16, 3,
              2, 0)), ==, GST_FLOW_OK);
  assert_message_mentions (pop_message (bus, GST_MESSAGE_WARNING),
      "Dropping image 3");
  /* one warning per image, not per tile */
  g_assert_null (pop_message (bus, GST_MESSAGE_WARNING));
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);

  push_tiles (h, &a, &shape_16x16, 4, 0, G_MAXUINT);
  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 1);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, &a);

  g_ptr_array_unref (out);
  png_fixture_image_clear (&a);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

static void
test_tile_out_of_order_is_an_error (void)
{
  GstHarness *h = new_encoder ();
  GstBus *bus = watch_bus (h);
  PngFixtureImage a;
  GstTileGrid grid;

  make_image (&a, 40, 40, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  grid_for (&grid, &a, &shape_16x16);
  gst_harness_set_src_caps (h, tile_caps (&a, &grid, 5));
  g_assert_cmpint (gst_harness_push (h, make_tile (&a, &grid, &shape_16x16, 0,
              0, 0)), ==, GST_FLOW_OK);
  g_assert_cmpint (gst_harness_push (h, make_tile (&a, &grid, &shape_16x16, 0,
              2, 0)), ==, GST_FLOW_ERROR);
  assert_message_mentions (pop_message (bus, GST_MESSAGE_ERROR),
      "Tile 2,0 of image 0 does not fit");

  png_fixture_image_clear (&a);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* --- memory --- */

static guint64
held_bytes (GstHarness * h)
{
  guint64 held;

  g_object_get (h->element, "held-bytes", &held, NULL);
  return held;
}

static void
test_downstream_flow_is_returned (void)
{
  GstHarness *h = new_encoder ();
  PngFixtureImage a;
  GstTileGrid grid;
  GstFlowReturn ret = GST_FLOW_OK;
  guint col, row;

  make_image (&a, 40, 40, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  grid_for (&grid, &a, &shape_16x16);
  gst_harness_set (h, "pngtileenc", "output-buffer-size", 1024, NULL);
  gst_harness_set_src_caps (h, tile_caps (&a, &grid, 5));
  gst_pad_set_active (h->sinkpad, FALSE);
  /* zlib holds the data back until the image ends, so the refusal shows
   * no later than the last tile */
  for (row = 0; row < grid.n_rows && ret == GST_FLOW_OK; row++)
    for (col = 0; col < grid.n_columns && ret == GST_FLOW_OK; col++)
      ret = gst_harness_push (h, make_tile (&a, &grid, &shape_16x16, 0, col,
              row));
  g_assert_cmpint (ret, ==, GST_FLOW_FLUSHING);
  g_assert_cmpuint (held_bytes (h), ==, 0);
  png_fixture_image_clear (&a);
  gst_harness_teardown (h);
}

static void
test_held_bytes_is_one_tile_row (void)
{
  static const TileShape strips = { 0, 16, 0, 0, FALSE };
  GstHarness *h = new_encoder ();
  PngFixtureImage a;
  guint64 band = 200 * 3 * 16, held;

  make_image (&a, 200, 100, PNG_COLOR_TYPE_RGB, 8, PNG_FIXTURE_PATTERN_HASH);
  g_assert_cmpuint (held_bytes (h), ==, 0);
  /* 13 columns: a whole tile row (written) and one tile of the next */
  push_tiles (h, &a, &shape_16x16, 0, 0, 14);
  held = held_bytes (h);
  g_test_message ("grid: held %" G_GUINT64_FORMAT " bytes, band %"
      G_GUINT64_FORMAT, held, band);
  /* the band, the output buffer and zlib's state (~256 KiB at most) */
  g_assert_cmpuint (held, >=, band);
  g_assert_cmpuint (held, <=, band + 64 * 1024 + 512 * 1024);
  push_tiles (h, &a, &shape_16x16, 0, 0, G_MAXUINT);
  g_assert_cmpuint (held_bytes (h), ==, 0);

  push_tiles (h, &a, &strips, 1, 0, 1);
  held = held_bytes (h);
  g_test_message ("strips: held %" G_GUINT64_FORMAT " bytes", held);
  g_assert_cmpuint (held, <, band + 64 * 1024 + 512 * 1024);
  g_assert_cmpuint (held, >, 0);
  gst_harness_teardown (h);
  png_fixture_image_clear (&a);
}

#define BIG_WIDTH 8192
#define BIG_HEIGHT 4096
#define BIG_TILE_W 256
#define BIG_TILE_H 128

/* A 128 MiB RGBA image in 256x128 tiles, made on the fly; only the output
 * is kept (its size). */
static void
encode_big_image (void)
{
  GstHarness *h = new_encoder ();
  GstTileGrid grid;
  GstCaps *caps;
  guint col, row, x, y;
  guint64 out_bytes = 0, held, max_held = 0;
  GstBuffer *buf;

  /* one thread and small segments: the band is what may grow with width */
  gst_harness_set (h, "pngtileenc", "compression-level", 1, "filter", 2,
      "threads", 1, "segment-bytes", 256 * 1024, NULL);
  g_assert_true (gst_tile_grid_init (&grid, BIG_WIDTH, BIG_HEIGHT, BIG_TILE_W,
          BIG_TILE_H));
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGBA",
      "width", G_TYPE_INT, BIG_TILE_W, "height", G_TYPE_INT, BIG_TILE_H,
      "framerate", GST_TYPE_FRACTION, 0, 1, NULL);
  gst_harness_set_src_caps (h, caps);
  for (row = 0; row < grid.n_rows; row++) {
    for (col = 0; col < grid.n_columns; col++) {
      GstMapInfo map;
      guint32 *px;

      buf = gst_buffer_new_allocate (NULL, BIG_TILE_W * BIG_TILE_H * 4, NULL);
      gst_buffer_map (buf, &map, GST_MAP_WRITE);
      px = (guint32 *) map.data;
      for (y = 0; y < BIG_TILE_H; y++)
        for (x = 0; x < BIG_TILE_W; x++)
          px[y * BIG_TILE_W + x] = (col * BIG_TILE_W + x) * 0x010203u
              ^ (row * BIG_TILE_H + y);
      gst_buffer_unmap (buf, &map);
      gst_tile_grid_add_meta (&grid, buf, 0, col, row);
      g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
      held = held_bytes (h);
      max_held = MAX (max_held, held);
      while ((buf = gst_harness_try_pull (h))) {
        out_bytes += gst_buffer_get_size (buf);
        gst_buffer_unref (buf);
      }
    }
  }
  g_print ("encoded %u x %u RGBA (%u MiB) into %" G_GUINT64_FORMAT
      " bytes; max held-bytes %" G_GUINT64_FORMAT "\n", BIG_WIDTH, BIG_HEIGHT,
      BIG_WIDTH * BIG_HEIGHT * 4 / (1024 * 1024), out_bytes, max_held);
  g_assert_cmpuint (out_bytes, >, 0);
  g_assert_cmpuint (max_held, <=,
      (guint64) BIG_WIDTH * 4 * BIG_TILE_H + 64 * 1024 + 1024 * 1024);
  gst_harness_teardown (h);
}

static void
test_memory_bounded_by_one_tile_row (void)
{
  glong peak;
  guint64 image_kib = (guint64) BIG_WIDTH * BIG_HEIGHT * 4 / 1024;
  guint64 band_kib = (guint64) BIG_WIDTH * 4 * BIG_TILE_H / 1024;

  if (g_test_subprocess ()) {
    encode_big_image ();
    return;
  }
  peak = gst_fixture_trap_peak_rss_kib (50 * G_USEC_PER_SEC,
      G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_message ("peak RSS of the encoding child: %ld KiB (image %"
      G_GUINT64_FORMAT " KiB, one tile row %" G_GUINT64_FORMAT " KiB)",
      peak, image_kib, band_kib);
  /* a wide margin over band + libs, far under the image */
  g_assert_cmpuint (peak, <, 64 * 1024);
  g_assert_cmpuint (peak, <, image_kib / 2);
}

/* --- segments, threads, restart markers --- */

/* The PNG of @img pushed in @shape, encoded with the given properties
 * (NULL-terminated name/value pairs). */
static GByteArray *
encode_valist (const PngFixtureImage * img, const TileShape * shape,
    const gchar * first, va_list args)
{
  GstHarness *h = new_encoder ();
  GPtrArray *out;
  GByteArray *png;

  if (first)
    g_object_set_valist (G_OBJECT (h->element), first, args);
  push_tiles (h, img, shape, 0, 0, G_MAXUINT);
  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 1);
  png = g_byte_array_ref (((EncodedImage *) out->pdata[0])->bytes);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  return png;
}

static GByteArray *
encode_shape_with (const PngFixtureImage * img, const TileShape * shape,
    const gchar * first, ...)
{
  GByteArray *png;
  va_list args;

  va_start (args, first);
  png = encode_valist (img, shape, first, args);
  va_end (args);
  return png;
}

/* The same, pushed as 16-row strips. */
static GByteArray *
encode_with (const PngFixtureImage * img, const gchar * first, ...)
{
  static const TileShape strips = { 0, 16, 0, 0, FALSE };
  GByteArray *png;
  va_list args;

  va_start (args, first);
  png = encode_valist (img, &strips, first, args);
  va_end (args);
  return png;
}

static void
test_same_bytes_for_any_thread_count (void)
{
  static const gint levels[] = { 2, 9 };
  PngFixtureImage img;
  guint i;

  make_image (&img, 300, 200, PNG_COLOR_TYPE_RGB, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  for (i = 0; i < G_N_ELEMENTS (levels); i++) {
    GByteArray *one, *two, *eight, *many;

    /* 901-byte rows: 8 KiB segments make 22 of them */
    one = encode_with (&img, "threads", 1, "segment-bytes", 8192,
        "compression-level", levels[i], NULL);
    two = encode_with (&img, "threads", 2, "segment-bytes", 8192,
        "compression-level", levels[i], NULL);
    eight = encode_with (&img, "threads", 8, "segment-bytes", 8192,
        "compression-level", levels[i], NULL);
    many = encode_with (&img, "threads", 0, "segment-bytes", 8192,
        "compression-level", levels[i], NULL);
    assert_decodes_to (one, &img);
    g_assert_cmpmem (one->data, one->len, two->data, two->len);
    g_assert_cmpmem (one->data, one->len, eight->data, eight->len);
    g_assert_cmpmem (one->data, one->len, many->data, many->len);
    g_byte_array_unref (one);
    g_byte_array_unref (two);
    g_byte_array_unref (eight);
    g_byte_array_unref (many);
  }
  png_fixture_image_clear (&img);
}

/* Fewer segments than threads (a thread is started only for a segment it
 * can take): an image of two or three segments with threads=8, or of one
 * with threads=0, gives the bytes of threads=1. */
static void
test_fewer_segments_than_threads (void)
{
  static const guint segment_bytes[] = { 0, 60000, 100000 };
  PngFixtureImage img;
  guint i;

  /* 901-byte rows: 180 KiB in one segment, or in two or three */
  make_image (&img, 300, 200, PNG_COLOR_TYPE_RGB, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  for (i = 0; i < G_N_ELEMENTS (segment_bytes); i++) {
    GByteArray *one = encode_with (&img, "threads", 1, "segment-bytes",
        segment_bytes[i], NULL);
    GByteArray *eight = encode_with (&img, "threads", 8, "segment-bytes",
        segment_bytes[i], NULL);
    GByteArray *many = encode_with (&img, "threads", 0, "segment-bytes",
        segment_bytes[i], NULL);

    assert_decodes_to (one, &img);
    g_assert_cmpmem (one->data, one->len, eight->data, eight->len);
    g_assert_cmpmem (one->data, one->len, many->data, many->len);
    g_byte_array_unref (one);
    g_byte_array_unref (eight);
    g_byte_array_unref (many);
  }
  png_fixture_image_clear (&img);
}

/* The PNG of @img pushed in @shape with @threads threads, at @level, in
 * 8 KiB segments. */
static GByteArray *
encode_shaped (const PngFixtureImage * img, const TileShape * shape,
    guint threads, gint level)
{
  return encode_shape_with (img, shape, "threads", threads, "segment-bytes",
      8192, "compression-level", level, NULL);
}

/* The image's last strip (all of a whole frame) is read in place by the
 * segments that lie in it, encoded by the workers and the streaming
 * thread; earlier strips are copied into segments. Every way gives the
 * bytes of 16-row strips on one thread: ISA-L (2) and zlib (6), padded
 * strides, a last strip shorter than the others. */
static void
test_last_strip_read_in_place_gives_the_same_bytes (void)
{
  static const TileShape shapes[] = {
    {0, 200, 0, 0, FALSE},      /* one strip: the whole image */
    {0, 150, 12, 0x5a, FALSE},  /* 150 rows copied, 50 read in place */
    {0, 0, 0, 0, TRUE},         /* a frame without a tile meta */
  };
  static const TileShape strips = { 0, 16, 0, 0, FALSE };
  static const guint threads[] = { 1, 2, 3, 0 };
  static const gint levels[] = { 2, 6 };
  PngFixtureImage img;
  guint l, s, t;

  make_image (&img, 300, 200, PNG_COLOR_TYPE_RGB, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  for (l = 0; l < G_N_ELEMENTS (levels); l++) {
    GByteArray *ref = encode_shaped (&img, &strips, 1, levels[l]);

    assert_decodes_to (ref, &img);
    for (s = 0; s < G_N_ELEMENTS (shapes); s++)
      for (t = 0; t < G_N_ELEMENTS (threads); t++) {
        GByteArray *png = encode_shaped (&img, &shapes[s], threads[t],
            levels[l]);

        g_assert_cmpmem (png->data, png->len, ref->data, ref->len);
        g_byte_array_unref (png);
      }
    g_byte_array_unref (ref);
  }
  png_fixture_image_clear (&img);
}

static void
test_every_level_roundtrips (void)
{
  PngFixtureImage img;
  gint level;

  make_image (&img, 130, 90, PNG_COLOR_TYPE_RGB_ALPHA, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  for (level = 0; level <= 9; level++) {
    GByteArray *png = encode_with (&img, "compression-level", level,
        "segment-bytes", 4096, NULL);

    assert_decodes_to (png, &img);
    g_byte_array_unref (png);
  }
  png_fixture_image_clear (&img);
}

typedef struct
{
  guint n_idat;
  gsize idat_offset[256];       /* of each IDAT's data */
  guint32 idat_len[256];
  gboolean have_mark;
  gboolean mark_before_idat;
  guint8 mark[16];
  guint32 mark_len;
} PngChunks;

static void
list_chunks (const GByteArray * png, PngChunks * c)
{
  gsize off = 8;

  memset (c, 0, sizeof (*c));
  while (off + 12 <= png->len) {
    guint32 len = png_fixture_read_be32 (png->data + off);
    const guint8 *type = png->data + off + 4;

    if (memcmp (type, "IDAT", 4) == 0 && c->n_idat < 256) {
      c->idat_offset[c->n_idat] = off + 8;
      c->idat_len[c->n_idat++] = len;
    } else if (memcmp (type, "mARK", 4) == 0) {
      c->have_mark = TRUE;
      c->mark_before_idat = c->n_idat == 0;
      c->mark_len = len;
      memcpy (c->mark, png->data + off + 8, MIN (len, 16));
    }
    off += 12 + (gsize) len;
  }
  g_assert_cmpuint (off, ==, png->len);
}

/* Inflates @len bytes of raw deflate data on their own; returns the bytes
 * out, or -1 if they do not inflate without what came before. */
static gssize
inflate_alone (const guint8 * data, gsize len, guint8 * out, gsize out_len)
{
  z_stream zs = { 0 };
  int ret;

  g_assert_cmpint (inflateInit2 (&zs, -15), ==, Z_OK);
  zs.next_in = (Bytef *) data;
  zs.avail_in = len;
  zs.next_out = out;
  zs.avail_out = out_len;
  ret = inflate (&zs, Z_SYNC_FLUSH);
  inflateEnd (&zs);
  if (ret != Z_OK && ret != Z_STREAM_END)
    return -1;
  return out_len - zs.avail_out;
}

/* The mARK layout of the specification (method 0, type 1: one IDAT per
 * segment, segment count, no offsets) and segments as it defines them: N
 * rows of height / N, the first taller by the remainder; each IDAT inflates
 * on its own to exactly its rows, the first of which is filtered None or
 * Sub. */
static void
check_restart_markers (const GByteArray * png, guint width, guint height,
    guint bpp)
{
  gsize pitch = (gsize) width * bpp + 1;
  PngChunks c;
  guint n, i, row = 0;
  guint8 *rows = g_malloc (pitch * height + 1);

  list_chunks (png, &c);
  g_assert_true (c.have_mark);
  g_assert_true (c.mark_before_idat);
  g_assert_cmpuint (c.mark_len, ==, 6);
  g_assert_cmpuint (c.mark[0], ==, 0);
  g_assert_cmpuint (c.mark[1], ==, 1);
  n = png_fixture_read_be32 (c.mark + 2);
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpuint (n, <, height);
  g_assert_cmpuint (c.n_idat, ==, n);
  for (i = 0; i < n; i++) {
    guint seg_rows = height / n + (i == 0 ? height % n : 0);
    const guint8 *data = png->data + c.idat_offset[i];
    gsize len = c.idat_len[i];
    gssize got;

    if (i == 0) {               /* the zlib header */
      data += 2;
      len -= 2;
    }
    if (i == n - 1)             /* the Adler-32 */
      len -= 4;
    got = inflate_alone (data, len, rows, pitch * height + 1);
    g_assert_cmpint (got, ==, (gssize) (pitch * seg_rows));
    g_assert_cmpuint (rows[0], <=, 1);
    row += seg_rows;
  }
  g_assert_cmpuint (row, ==, height);
  g_free (rows);
}

static void
test_restart_markers_follow_the_specification (void)
{
  static const gint filters[] = { 0, 3, 4, 5, 6 };     /* adaptive .. fast */
  PngFixtureImage img;
  guint i;

  make_image (&img, 97, 101, PNG_COLOR_TYPE_RGB_ALPHA, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  for (i = 0; i < G_N_ELEMENTS (filters); i++) {
    /* 389-byte rows, 2000-byte segments: 20 segments of 5 rows, the first
     * 6 */
    GByteArray *png = encode_with (&img, "segment-bytes", 2000, "filter",
        filters[i], NULL);

    check_restart_markers (png, 97, 101, 4);
    assert_decodes_to (png, &img);
    g_byte_array_unref (png);
  }
  png_fixture_image_clear (&img);
}

static void
test_no_markers_for_one_segment_or_when_off (void)
{
  PngFixtureImage img;
  GByteArray *one, *off, *on;
  PngChunks c;

  make_image (&img, 60, 50, PNG_COLOR_TYPE_GRAY, 16,
      PNG_FIXTURE_PATTERN_PHOTO);
  one = encode_with (&img, "segment-bytes", 0, NULL);
  list_chunks (one, &c);
  g_assert_false (c.have_mark);
  g_assert_cmpuint (c.n_idat, ==, 1);

  off = encode_with (&img, "segment-bytes", 1000, "restart-markers", FALSE,
      NULL);
  on = encode_with (&img, "segment-bytes", 1000, NULL);
  list_chunks (off, &c);
  g_assert_false (c.have_mark);
  check_restart_markers (on, 60, 50, 2);
  /* the same segments, only the mARK chunk (6 bytes + 12) differs */
  g_assert_cmpuint (on->len, ==, off->len + 18);
  assert_decodes_to (one, &img);
  assert_decodes_to (off, &img);
  assert_decodes_to (on, &img);
  g_byte_array_unref (one);
  g_byte_array_unref (off);
  g_byte_array_unref (on);
  png_fixture_image_clear (&img);
}

static void
test_segment_bytes_validated (void)
{
  GstElement *enc = gst_element_factory_make ("pngtileenc", NULL);
  GParamSpec *threads = g_object_class_find_property (G_OBJECT_GET_CLASS
      (enc), "threads");
  GParamSpec *seg = g_object_class_find_property (G_OBJECT_GET_CLASS (enc),
      "segment-bytes");
  guint value;

  g_assert_cmpuint (G_PARAM_SPEC_UINT (threads)->default_value, ==, 0);
  g_assert_cmpuint (G_PARAM_SPEC_UINT (threads)->maximum, ==, 64);
  g_assert_cmpuint (G_PARAM_SPEC_UINT (seg)->maximum, ==, 256 * 1024 * 1024);
  g_assert_cmpuint (G_PARAM_SPEC_UINT (seg)->default_value, ==,
      1024 * 1024);
  g_object_set (enc, "segment-bytes", 65536, NULL);
  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING,
      "*out of range*segment-bytes*");
  g_object_set (enc, "segment-bytes", 256 * 1024 * 1024 + 1, NULL);
  g_test_assert_expected_messages ();
  g_object_get (enc, "segment-bytes", &value, NULL);
  g_assert_cmpuint (value, ==, 65536);
  gst_object_unref (enc);
}

/* --- busy workers --- */

/* A 1024 x 512 RGBA photo at zlib level 9 in 64 KiB segments (33 of them)
 * keeps four workers busy; the harness starts it and pushes @n_strips
 * 16-row strips. */
/* After an image was cut off (flush, refused push): the next one, image
 * 1, comes out whole and decodes to @img. */
static void
assert_next_image_is_whole (GstHarness * h, const PngFixtureImage * img,
    const TileShape * shape)
{
  GPtrArray *out;

  push_tiles (h, img, shape, 1, 0, G_MAXUINT);
  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 1);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, img);
  g_ptr_array_unref (out);
}

static GstHarness *
start_busy_image (PngFixtureImage * img, guint n_strips, guint threads)
{
  static const TileShape strips = { 0, 16, 0, 0, FALSE };
  GstHarness *h = new_encoder ();

  make_image (img, 1024, 512, PNG_COLOR_TYPE_RGB_ALPHA, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  gst_harness_set (h, "pngtileenc", "compression-level", 9, "threads",
      threads, "segment-bytes", 65536, NULL);
  push_tiles (h, img, &strips, 0, 0, n_strips);
  return h;
}

static void
drain_output (GstHarness * h)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h)))
    gst_buffer_unref (buf);
}

/* The stated bound: one segment being filled, `threads` in flight (rows and
 * compressed data, at most the rows again plus deflate's overhead), the
 * compressors' state, and the output buffer; a segment stays under twice
 * segment-bytes. */
static void
test_segments_in_flight_bounded_by_threads (void)
{
  static const TileShape strips = { 0, 4, 0, 0, FALSE };
  const guint threads = 2;
  const guint64 segment = 2 * 65536, compressor = 1024 * 1024;
  guint64 bound = (threads + 1) * segment + threads * (segment + compressor)
      + 64 * 1024, held, max_held = 0;
  PngFixtureImage img;
  GstHarness *h = new_encoder ();
  GstTileGrid grid;
  guint row;

  /* 8 MiB of rows in 128 segments */
  make_image (&img, 1024, 2048, PNG_COLOR_TYPE_RGB_ALPHA, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  gst_harness_set (h, "pngtileenc", "compression-level", 9, "threads",
      threads, "segment-bytes", 65536, NULL);
  grid_for (&grid, &img, &strips);
  gst_harness_set_src_caps (h, tile_caps (&img, &grid, 5));
  /* pushing is much faster than zlib 9: without the wait for a free
   * worker, the segments in flight would pile up past the bound */
  for (row = 0; row < grid.n_rows; row++) {
    GstBuffer *buf = make_tile (&img, &grid, &strips, 0, 0, row);

    GST_BUFFER_DURATION (buf) = GST_SECOND / 5;
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    held = held_bytes (h);
    max_held = MAX (max_held, held);
  }
  g_test_message ("max held %" G_GUINT64_FORMAT ", bound %" G_GUINT64_FORMAT,
      max_held, bound);
  g_assert_cmpuint (max_held, <=, bound);
  g_assert_cmpuint (max_held, >=, 2 * 65536);
  g_assert_cmpuint (held_bytes (h), ==, 0);
  drain_output (h);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

static GstPadProbeReturn
sample_held_bytes (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint64 *max_held = user_data;
  guint64 held;

  g_object_get (GST_PAD_PARENT (pad), "held-bytes", &held, NULL);
  /* pushes come from the workers and the streaming thread, one at a time */
  *max_held = MAX (*max_held, held);
  return GST_PAD_PROBE_OK;
}

/* A whole frame of 16 MiB in 4 MiB segments: no segment copies its rows,
 * so what the element holds at every push stays under one segment's rows:
 * per encoder (two workers and the streaming thread at threads=3), a
 * compressor (ISA-L: about 0.3 MiB), a piece of filtered rows and a few
 * blocks of compressed data (the image is flat), plus the output buffer. */
static void
test_whole_frame_rows_are_not_copied (void)
{
  static const TileShape frame = { 0, 2048, 0, 0, FALSE };
  const guint threads = 3;
  GstHarness *h = new_encoder ();
  PngFixtureImage img = { 0 };
  guint64 max_held = 0;
  GPtrArray *out;

  img.width = img.height = 2048;
  img.format = GST_VIDEO_FORMAT_RGBA;
  img.stride = img.width * 4;
  img.pixels = g_malloc0 (img.stride * img.height);
  /* small output buffers: many pushes, while other segments encode */
  gst_harness_set (h, "pngtileenc", "threads", threads, "segment-bytes",
      4 * 1024 * 1024, "output-buffer-size", 1024, NULL);
  gst_pad_add_probe (GST_PAD (h->element->srcpads->data),
      GST_PAD_PROBE_TYPE_BUFFER, sample_held_bytes, &max_held, NULL);
  push_tiles (h, &img, &frame, 0, 0, G_MAXUINT);
  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 1);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, &img);
  g_test_message ("max held %" G_GUINT64_FORMAT, max_held);
  g_assert_cmpuint (max_held, >, 0);
  g_assert_cmpuint (max_held, <=, threads * 512 * 1024 + 1024);
  g_assert_cmpuint (held_bytes (h), ==, 0);
  g_ptr_array_unref (out);
  g_free (img.pixels);
  gst_harness_teardown (h);
}

static void
test_eos_with_busy_workers_completes_the_image (void)
{
  PngFixtureImage img, cut;
  static const TileShape strips = { 0, 16, 0, 0, FALSE };
  GstHarness *h = start_busy_image (&img, 20, 4);
  GPtrArray *out;

  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  out = pull_images (h);
  g_assert_cmpuint (out->len, ==, 1);
  cut_image (&img, &strips, 20, &cut);
  assert_decodes_to (((EncodedImage *) out->pdata[0])->bytes, &cut);
  g_assert_cmpuint (held_bytes (h), ==, 0);
  g_ptr_array_unref (out);
  png_fixture_image_clear (&cut);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

static void
test_flush_with_busy_workers_drops_the_image (void)
{
  PngFixtureImage img;
  GstHarness *h = start_busy_image (&img, 20, 4);

  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  /* every segment in flight is gone */
  g_assert_cmpuint (held_bytes (h), ==, 0);
  drain_output (h);
  /* and the next image encodes whole */
  assert_next_image_is_whole (h, &img, &shape_16x16);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

/* Segments are written (pushed downstream) by the workers: a refusal one
 * of them gets must still reach upstream, within the image, and the next
 * image must encode whole. */
static void
test_downstream_refusal_seen_by_a_worker (void)
{
  static const TileShape strips = { 0, 16, 0, 0, FALSE };
  GstHarness *h = new_encoder ();
  PngFixtureImage img;
  GstTileGrid grid;
  GstFlowReturn ret = GST_FLOW_OK;
  guint row;

  make_image (&img, 1024, 512, PNG_COLOR_TYPE_RGB_ALPHA, 8,
      PNG_FIXTURE_PATTERN_PHOTO);
  /* 32 segments, so most are written by the workers, not at the end */
  gst_harness_set (h, "pngtileenc", "threads", 4, "segment-bytes", 65536,
      "output-buffer-size", 1024, NULL);
  grid_for (&grid, &img, &strips);
  gst_harness_set_src_caps (h, tile_caps (&img, &grid, 5));
  gst_pad_set_active (h->sinkpad, FALSE);
  for (row = 0; row < grid.n_rows && ret == GST_FLOW_OK; row++)
    ret = gst_harness_push (h, make_tile (&img, &grid, &strips, 0, 0, row));
  g_assert_cmpint (ret, ==, GST_FLOW_FLUSHING);
  /* not only at the end of the image, where the streaming thread pushes
   * the last buffer itself: the fifth segment cannot go in before the
   * first is written, and that write is refused */
  g_assert_cmpuint (row, <, grid.n_rows);
  g_assert_cmpuint (held_bytes (h), ==, 0);

  gst_pad_set_active (h->sinkpad, TRUE);
  assert_next_image_is_whole (h, &img, &strips);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

static void
test_state_change_with_busy_workers (void)
{
  PngFixtureImage img;
  GstHarness *h = start_busy_image (&img, 20, 4);

  g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpuint (held_bytes (h), ==, 0);
  png_fixture_image_clear (&img);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);

  g_test_add_func ("/pngtileenc/formats/png-layouts-roundtrip",
      test_png_layout_formats_roundtrip);
  g_test_add_func ("/pngtileenc/formats/swizzled-roundtrip",
      test_swizzled_formats_roundtrip);
  g_test_add_func ("/pngtileenc/grid/divides", test_grid_that_divides);
  g_test_add_func ("/pngtileenc/grid/does-not-divide",
      test_grid_that_does_not_divide);
  g_test_add_func ("/pngtileenc/grid/strips", test_strips);
  g_test_add_func ("/pngtileenc/input/strides-and-valid-region",
      test_strides_and_valid_region);
  g_test_add_func ("/pngtileenc/input/frame-without-tile-meta-is-one-image",
      test_frame_without_tile_meta_is_one_image);
  g_test_add_func ("/pngtileenc/output/timestamps-and-delta-unit",
      test_timestamps_and_delta_unit);
  g_test_add_func ("/pngtileenc/output/caps-follow-the-image",
      test_output_caps_follow_the_image);
  g_test_add_func ("/pngtileenc/output/force-key-unit-event-per-image",
      test_force_key_unit_event_per_image);
  g_test_add_func ("/pngtileenc/compression-level/validated",
      test_compression_level_validated);
  g_test_add_func ("/pngtileenc/compression-level/effective",
      test_compression_level_effective);
  g_test_add_func ("/pngtileenc/filter/every-filter-roundtrips",
      test_every_filter_roundtrips);
  g_test_add_func ("/pngtileenc/incomplete/warns-when-next-image-begins",
      test_incomplete_image_warns_when_next_begins);
  g_test_add_func ("/pngtileenc/incomplete/warns-when-caps-change",
      test_incomplete_image_warns_when_caps_change);
  g_test_add_func ("/pngtileenc/incomplete/warns-at-eos",
      test_incomplete_image_warns_at_eos);
  g_test_add_func ("/pngtileenc/bad-input/tiles-without-first-are-dropped",
      test_tiles_without_first_tile_are_dropped);
  g_test_add_func ("/pngtileenc/bad-input/tile-out-of-order-is-an-error",
      test_tile_out_of_order_is_an_error);
  g_test_add_func ("/pngtileenc/output/downstream-flow-is-returned",
      test_downstream_flow_is_returned);
  g_test_add_func ("/pngtileenc/memory/held-bytes-is-one-tile-row",
      test_held_bytes_is_one_tile_row);
  g_test_add_func ("/pngtileenc/memory/bounded-by-one-tile-row",
      test_memory_bounded_by_one_tile_row);
  g_test_add_func ("/pngtileenc/compression-level/every-level-roundtrips",
      test_every_level_roundtrips);
  g_test_add_func ("/pngtileenc/threads/downstream-refusal-seen-by-a-worker",
      test_downstream_refusal_seen_by_a_worker);
  g_test_add_func ("/pngtileenc/threads/same-bytes-for-any-thread-count",
      test_same_bytes_for_any_thread_count);
  g_test_add_func ("/pngtileenc/threads/fewer-segments-than-threads",
      test_fewer_segments_than_threads);
  g_test_add_func
      ("/pngtileenc/threads/last-strip-read-in-place-gives-the-same-bytes",
      test_last_strip_read_in_place_gives_the_same_bytes);
  g_test_add_func ("/pngtileenc/memory/whole-frame-rows-are-not-copied",
      test_whole_frame_rows_are_not_copied);
  g_test_add_func ("/pngtileenc/threads/segment-bytes-and-threads-validated",
      test_segment_bytes_validated);
  g_test_add_func ("/pngtileenc/restart-markers/follow-the-specification",
      test_restart_markers_follow_the_specification);
  g_test_add_func ("/pngtileenc/restart-markers/none-for-one-segment-or-off",
      test_no_markers_for_one_segment_or_when_off);
  g_test_add_func ("/pngtileenc/memory/segments-in-flight-bounded-by-threads",
      test_segments_in_flight_bounded_by_threads);
  g_test_add_func ("/pngtileenc/threads/eos-with-busy-workers-completes-image",
      test_eos_with_busy_workers_completes_the_image);
  g_test_add_func ("/pngtileenc/threads/flush-with-busy-workers-drops-image",
      test_flush_with_busy_workers_drops_the_image);
  g_test_add_func ("/pngtileenc/threads/state-change-with-busy-workers",
      test_state_change_with_busy_workers);
  return g_test_run ();
}
