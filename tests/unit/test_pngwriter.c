/* The PNG writer API (gstpngwriter.h), used without an element: whole
 * images to memory or through a write function, in every input format,
 * decoding to exactly the pixels given. */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <png.h>
#include <string.h>

#include "gstpngwriter.h"
#include "pngfixture.h"

static void
make_image (PngFixtureImage * img, guint width, guint height, gint color_type,
    gint depth)
{
  PngFixtureSpec spec;
  GBytes *png;
  gchar *err = NULL;

  png_fixture_spec_init (&spec, width, height, color_type, depth);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  png = png_fixture_encode (&spec);
  if (!png_fixture_reference_decode (g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), img, &err))
    g_error ("fixture does not decode: %s", err);
  g_bytes_unref (png);
}

static void
assert_decodes_to (GBytes * png, const PngFixtureImage * expected)
{
  PngFixtureImage got;
  gchar *err = NULL;
  guint y;

  if (!png_fixture_reference_decode (g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), &got, &err))
    g_error ("writer output does not decode: %s", err);
  g_assert_cmpuint (got.width, ==, expected->width);
  g_assert_cmpuint (got.height, ==, expected->height);
  g_assert_cmpint (got.format, ==, expected->format);
  for (y = 0; y < got.height; y++)
    g_assert_cmpmem (got.pixels + y * got.stride, got.stride,
        expected->pixels + y * expected->stride, got.stride);
  png_fixture_image_clear (&got);
}

static void
test_png_layouts_roundtrip (void)
{
  static const gint kinds[][2] = {
    {PNG_COLOR_TYPE_GRAY, 8}, {PNG_COLOR_TYPE_GRAY, 16},
    {PNG_COLOR_TYPE_RGB, 8}, {PNG_COLOR_TYPE_RGB_ALPHA, 8},
    {PNG_COLOR_TYPE_RGB_ALPHA, 16},
  };
  GstPngWriterSettings settings;
  guint i;

  gst_png_writer_settings_init (&settings);
  settings.segment_bytes = 1000;        /* many segments, with markers */
  for (i = 0; i < G_N_ELEMENTS (kinds); i++) {
    PngFixtureImage img;
    GError *error = NULL;
    GBytes *png;

    make_image (&img, 53, 41, kinds[i][0], kinds[i][1]);
    png = gst_png_writer_encode_image (img.pixels, img.stride, img.width,
        img.height, img.format, &settings, &error);
    g_assert_no_error (error);
    assert_decodes_to (png, &img);
    g_bytes_unref (png);
    png_fixture_image_clear (&img);
  }
}

/* BGRx with a padded stride: the writer reorders, drops the padding byte
 * and reads rows @stride apart. */
static void
test_swizzled_format_with_stride (void)
{
  PngFixtureImage img;
  GstPngWriterSettings settings;
  gsize stride;
  guint8 *bgrx;
  guint x, y;
  GBytes *png;

  make_image (&img, 31, 17, PNG_COLOR_TYPE_RGB, 8);
  stride = img.width * 4 + 12;
  bgrx = g_malloc0 (stride * img.height);
  for (y = 0; y < img.height; y++)
    for (x = 0; x < img.width; x++) {
      const guint8 *s = img.pixels + y * img.stride + x * 3;
      guint8 *d = bgrx + y * stride + x * 4;

      d[0] = s[2];
      d[1] = s[1];
      d[2] = s[0];
      d[3] = 0xee;
    }
  gst_png_writer_settings_init (&settings);
  png = gst_png_writer_encode_image (bgrx, stride, img.width, img.height,
      GST_VIDEO_FORMAT_BGRx, &settings, NULL);
  g_assert_nonnull (png);
  assert_decodes_to (png, &img);
  g_bytes_unref (png);
  g_free (bgrx);
  png_fixture_image_clear (&img);
}

typedef struct
{
  GByteArray *bytes;
  guint calls_left;
} Sink;

static gboolean
write_to_sink (const guint8 * data, gsize len, gpointer user_data)
{
  Sink *sink = user_data;

  if (sink->calls_left == 0)
    return FALSE;
  sink->calls_left--;
  g_byte_array_append (sink->bytes, data, len);
  return TRUE;
}

static void
test_write_function_gets_the_same_bytes (void)
{
  PngFixtureImage img;
  GstPngWriterSettings settings;
  Sink sink = { g_byte_array_new (), G_MAXUINT };
  GBytes *whole;

  make_image (&img, 40, 30, PNG_COLOR_TYPE_RGB_ALPHA, 8);
  gst_png_writer_settings_init (&settings);
  settings.segment_bytes = 500;
  whole = gst_png_writer_encode_image (img.pixels, img.stride, img.width,
      img.height, img.format, &settings, NULL);
  g_assert_true (gst_png_writer_write_image (img.pixels, img.stride,
          img.width, img.height, img.format, &settings, write_to_sink, &sink,
          NULL));
  g_assert_cmpmem (sink.bytes->data, sink.bytes->len,
      g_bytes_get_data (whole, NULL), g_bytes_get_size (whole));
  g_bytes_unref (whole);
  g_byte_array_unref (sink.bytes);
  png_fixture_image_clear (&img);
}

static void
test_write_function_can_stop_the_image (void)
{
  PngFixtureImage img;
  GstPngWriterSettings settings;
  Sink sink = { g_byte_array_new (), 3 };
  GError *error = NULL;

  make_image (&img, 40, 30, PNG_COLOR_TYPE_GRAY, 8);
  gst_png_writer_settings_init (&settings);
  g_assert_false (gst_png_writer_write_image (img.pixels, img.stride,
          img.width, img.height, img.format, &settings, write_to_sink, &sink,
          &error));
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  g_clear_error (&error);
  g_byte_array_unref (sink.bytes);
  png_fixture_image_clear (&img);
}

static void
test_unsupported_input_is_an_error (void)
{
  GstPngWriterSettings settings;
  guint8 pixels[64] = { 0 };
  GError *error = NULL;

  gst_png_writer_settings_init (&settings);
  g_assert_false (gst_png_writer_supports_format (GST_VIDEO_FORMAT_I420));
  g_assert_null (gst_png_writer_encode_image (pixels, 8, 4, 4,
          GST_VIDEO_FORMAT_I420, &settings, &error));
  g_assert_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_clear_error (&error);
  g_assert_null (gst_png_writer_encode_image (pixels, 8, 0, 4,
          GST_VIDEO_FORMAT_GRAY8, &settings, &error));
  g_assert_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_clear_error (&error);
}

static gboolean
append_bytes (const guint8 * data, gsize len, gpointer user_data)
{
  g_byte_array_append (user_data, data, len);
  return TRUE;
}

/* The image through segments that hold a copy of their rows (what
 * pngtileenc does with rows that arrive in pieces). */
static GBytes *
encode_with_held_segments (const guint8 * pixels, gsize stride, guint width,
    guint height, GstVideoFormat format, const GstPngWriterSettings * settings)
{
  GstPngWriter *w = gst_png_writer_new (width, height, format, settings,
      NULL);
  GByteArray *out = g_byte_array_new ();
  guint i, row = 0;

  g_assert_nonnull (w);
  g_assert_true (gst_png_writer_write_header (w, append_bytes, out));
  for (i = 0; i < gst_png_writer_n_segments (w); i++) {
    GstPngWriterSegment *seg = gst_png_writer_segment_new (w, i, NULL);
    guint n = gst_png_writer_segment_rows (w, i);

    gst_png_writer_segment_add_rows (seg, pixels + (gsize) row * stride,
        stride, n);
    row += n;
    g_assert_true (gst_png_writer_segment_encode (seg));
    g_assert_true (gst_png_writer_write_segment (w, seg, append_bytes, out));
    gst_png_writer_segment_free (seg);
  }
  g_assert_true (gst_png_writer_write_end (w, append_bytes, out));
  gst_png_writer_free (w);
  return g_byte_array_free_to_bytes (out);
}

/* Segments that read the caller's rows (gst_png_writer_encode_image) and
 * segments that hold a copy of them write the same bytes: at every level
 * (0 stores, where the pieces fed to the compressor decide the blocks), in
 * formats that are repacked or not, with segments of several pieces. */
static void
test_borrowed_segments_write_the_same_bytes (void)
{
  static const struct
  {
    gint color_type, depth;
    GstVideoFormat format;
  } kinds[] = {
    {PNG_COLOR_TYPE_GRAY, 8, GST_VIDEO_FORMAT_GRAY8},
    {PNG_COLOR_TYPE_RGB, 8, GST_VIDEO_FORMAT_RGB},
    {PNG_COLOR_TYPE_RGB_ALPHA, 8, GST_VIDEO_FORMAT_BGRA},
    {PNG_COLOR_TYPE_RGB_ALPHA, 16, GST_VIDEO_FORMAT_RGBA64_LE},
  };
  static const gint levels[] = { 0, 1, 6 };
  static const GstPngWriterFilter filters[] = {
    GST_PNG_WRITER_FILTER_FAST, GST_PNG_WRITER_FILTER_NONE,
    GST_PNG_WRITER_FILTER_ADAPTIVE,
  };
  guint k, l, f;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    PngFixtureImage img;
    guint8 *pixels = NULL;
    gsize stride;
    guint y;

    make_image (&img, 300, 450, kinds[k].color_type, kinds[k].depth);
    /* the fixture's pixels with a padded stride; BGRA swapped so that it
     * means the same colours, RGBA64_BE read as RGBA64_LE (other colours,
     * the same repacking work) */
    stride = img.stride + 8;
    pixels = g_malloc0 (stride * img.height);
    for (y = 0; y < img.height; y++)
      memcpy (pixels + y * stride, img.pixels + y * img.stride, img.stride);
    if (kinds[k].format == GST_VIDEO_FORMAT_BGRA)
      for (y = 0; y < img.height; y++) {
        guint8 *p = pixels + y * stride;
        guint x;

        for (x = 0; x < img.width; x++, p += 4) {
          guint8 t = p[0];

          p[0] = p[2];
          p[2] = t;
        }
      }
    for (l = 0; l < G_N_ELEMENTS (levels); l++)
      for (f = 0; f < G_N_ELEMENTS (filters); f++) {
        GstPngWriterSettings settings;
        GBytes *borrowed, *held;

        gst_png_writer_settings_init (&settings);
        settings.compression_level = levels[l];
        settings.filter = filters[f];
        /* RGBA64: 2401-byte rows, 300000-byte segments of 124 rows (the
         * first 140), each more than one 256 KiB piece */
        settings.segment_bytes = 300000;
        borrowed = gst_png_writer_encode_image (pixels, stride, img.width,
            img.height, kinds[k].format, &settings, NULL);
        held = encode_with_held_segments (pixels, stride, img.width,
            img.height, kinds[k].format, &settings);
        g_assert_nonnull (borrowed);
        g_assert_true (g_bytes_equal (borrowed, held));
        if (kinds[k].format == img.format)
          assert_decodes_to (borrowed, &img);
        g_bytes_unref (borrowed);
        g_bytes_unref (held);
      }
    g_free (pixels);
    png_fixture_image_clear (&img);
  }
}

/* The geometry of the restart-marker specification: N = ceil(bytes /
 * segment-bytes) segments, fewer than the rows, the first taller by the
 * remainder. */
static void
test_segments_as_the_specification_cuts_them (void)
{
  GstPngWriterSettings settings;
  GstPngWriter *w;

  gst_png_writer_settings_init (&settings);
  settings.segment_bytes = 3000;
  /* 100 rows of 1 + 3 x 100 bytes: 30100 bytes, 11 segments of 9 rows,
   * the first 9 + 1 */
  w = gst_png_writer_new (100, 100, GST_VIDEO_FORMAT_RGB, &settings, NULL);
  g_assert_cmpuint (gst_png_writer_n_segments (w), ==, 11);
  g_assert_cmpuint (gst_png_writer_segment_rows (w, 0), ==, 10);
  g_assert_cmpuint (gst_png_writer_segment_rows (w, 10), ==, 9);
  g_assert_true (gst_png_writer_has_restart_markers (w));
  gst_png_writer_free (w);

  /* rows larger than a segment: never as many segments as rows */
  settings.segment_bytes = 10;
  w = gst_png_writer_new (100, 5, GST_VIDEO_FORMAT_RGB, &settings, NULL);
  g_assert_cmpuint (gst_png_writer_n_segments (w), ==, 4);
  g_assert_cmpuint (gst_png_writer_segment_rows (w, 0), ==, 2);
  gst_png_writer_free (w);

  /* one row: one segment, no marker */
  w = gst_png_writer_new (100, 1, GST_VIDEO_FORMAT_RGB, &settings, NULL);
  g_assert_cmpuint (gst_png_writer_n_segments (w), ==, 1);
  g_assert_false (gst_png_writer_has_restart_markers (w));
  gst_png_writer_free (w);

  settings.segment_bytes = 0;
  w = gst_png_writer_new (100, 100, GST_VIDEO_FORMAT_RGB, &settings, NULL);
  g_assert_cmpuint (gst_png_writer_n_segments (w), ==, 1);
  g_assert_false (gst_png_writer_has_restart_markers (w));
  gst_png_writer_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/pngwriter/png-layouts-roundtrip",
      test_png_layouts_roundtrip);
  g_test_add_func ("/pngwriter/swizzled-format-with-stride",
      test_swizzled_format_with_stride);
  g_test_add_func ("/pngwriter/write-function-gets-the-same-bytes",
      test_write_function_gets_the_same_bytes);
  g_test_add_func ("/pngwriter/write-function-can-stop-the-image",
      test_write_function_can_stop_the_image);
  g_test_add_func ("/pngwriter/unsupported-input-is-an-error",
      test_unsupported_input_is_an_error);
  g_test_add_func ("/pngwriter/borrowed-segments-write-the-same-bytes",
      test_borrowed_segments_write_the_same_bytes);
  g_test_add_func ("/pngwriter/segments-as-the-specification-cuts-them",
      test_segments_as_the_specification_cuts_them);
  return g_test_run ();
}
