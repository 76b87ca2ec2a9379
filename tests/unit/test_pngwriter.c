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
  g_test_add_func ("/pngwriter/segments-as-the-specification-cuts-them",
      test_segments_as_the_specification_cuts_them);
  return g_test_run ();
}
