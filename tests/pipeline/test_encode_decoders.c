/* pngtileenc's output, with restart markers and several threads, decodes to
 * the same pixels in every decoder users have: libpng (the reference
 * decode), Pillow, libvips and GStreamer's pngdec. A decoder that is not
 * installed is skipped, by name; ./run.sh installs them all. */
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <png.h>
#include <string.h>

#include "gstfixture.h"
#include "pngfixture.h"

#define PYTHON "/usr/bin/python3"

typedef struct
{
  const gchar *name;
  gint color_type;
  gint bit_depth;
} Kind;

static const Kind kinds[] = {
  {"gray8", PNG_COLOR_TYPE_GRAY, 8},
  {"gray16", PNG_COLOR_TYPE_GRAY, 16},
  {"rgb8", PNG_COLOR_TYPE_RGB, 8},
  {"rgba8", PNG_COLOR_TYPE_RGB_ALPHA, 8},
  {"rgba16", PNG_COLOR_TYPE_RGB_ALPHA, 16},
};

typedef struct
{
  gchar *dir;
  gchar *out_png;
  PngFixtureImage expected;
} Encoded;

/* Writes a photo-like fixture, re-encodes it with pngtileenc in small
 * segments (so with a mARK chunk) on two threads. */
static void
encode (const Kind * kind, Encoded * e)
{
  PngFixtureSpec spec;
  gchar *in_png, *pipeline;
  GBytes *png;
  gchar *contents, *err = NULL;
  gsize len;

  e->dir = gst_fixture_make_tmp_dir ("encode-decoders-XXXXXX");
  in_png = g_build_filename (e->dir, "in.png", NULL);
  e->out_png = g_build_filename (e->dir, "out.png", NULL);
  png_fixture_spec_init (&spec, 211, 97, kind->color_type, kind->bit_depth);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  g_assert_true (png_fixture_write_file (&spec, in_png, NULL));
  pipeline = g_strdup_printf ("filesrc location=%s ! pngtiledec ! "
      "pngtileenc threads=2 segment-bytes=4096 ! filesink location=%s",
      in_png, e->out_png);
  gst_fixture_run_launch (pipeline, 60 * GST_SECOND);
  g_free (pipeline);

  png = png_fixture_encode (&spec);
  g_assert_true (png_fixture_reference_decode (g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), &e->expected, &err));
  g_bytes_unref (png);
  /* the file really has markers */
  g_assert_true (g_file_get_contents (e->out_png, &contents, &len, NULL));
  png_fixture_find_chunk ((const guint8 *) contents, len, "mARK");
  g_free (contents);
  g_free (in_png);
}

static void
encoded_clear (Encoded * e)
{
  gst_fixture_remove_tree (e->dir);
  g_free (e->dir);
  g_free (e->out_png);
  png_fixture_image_clear (&e->expected);
}

/* @got holds rows of @row_bytes, @stride apart, 16-bit samples in
 * @little_endian order or big-endian. */
static void
assert_pixels (const Encoded * e, const guint8 * got, gsize stride,
    gboolean little_endian, const gchar * decoder)
{
  gsize row_bytes = e->expected.stride;
  guint8 *row = g_malloc (row_bytes);
  guint y;
  gsize i;

  for (y = 0; y < e->expected.height; y++) {
    memcpy (row, got + y * stride, row_bytes);
    if (little_endian)
      for (i = 0; i + 1 < row_bytes; i += 2) {
        guint8 t = row[i];

        row[i] = row[i + 1];
        row[i + 1] = t;
      }
    if (memcmp (row, e->expected.pixels + y * row_bytes, row_bytes) != 0)
      g_error ("%s: row %u differs", decoder, y);
  }
  g_free (row);
}

static gboolean
is_16bit (const Kind * kind)
{
  return kind->bit_depth == 16;
}

static void
check_libpng (const Kind * kind)
{
  Encoded e;
  PngFixtureImage got;
  gchar *contents, *err = NULL;
  gsize len;

  encode (kind, &e);
  g_assert_true (g_file_get_contents (e.out_png, &contents, &len, NULL));
  if (!png_fixture_reference_decode ((const guint8 *) contents, len, &got,
          &err))
    g_error ("libpng: %s", err);
  g_assert_cmpint (got.format, ==, e.expected.format);
  assert_pixels (&e, got.pixels, got.stride, FALSE, "libpng");
  png_fixture_image_clear (&got);
  g_free (contents);
  encoded_clear (&e);
}

/* Runs @argv (a decoder of someone else's: Python with Pillow, vips);
 * FALSE if the program is missing (exit 127) or fails. */
static gboolean
run (gchar ** argv, gchar ** err_out)
{
  gchar **envp = gst_fixture_foreign_environ ();
  gint status = 0;
  GError *error = NULL;
  gboolean ok;

  ok = g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
      err_out, &status, &error);
  g_strfreev (envp);
  if (!ok) {
    g_test_message ("%s: %s", argv[0], error->message);
    g_clear_error (&error);
    return FALSE;
  }
  return g_spawn_check_wait_status (status, NULL);
}

static void
check_pillow (const Kind * kind)
{
  /* Pillow reads 16-bit gray as 32-bit I (written back as I;16, little-
   * endian bytes) and narrows 16-bit RGBA to 8 bits: that kind is left
   * out */
  const gchar *script = "import sys\nfrom PIL import Image\n"
      "im = Image.open(sys.argv[1]); im.load()\n"
      "if im.mode == 'I': im = im.convert('I;16')\n"
      "open(sys.argv[2], 'wb').write(im.tobytes())\n";
  gchar *probe[] = { (gchar *) PYTHON, (gchar *) "-c",
    (gchar *) "import PIL", NULL
  };
  Encoded e;
  gchar *raw, *contents, *err = NULL;
  gsize len;

  if (kind->color_type == PNG_COLOR_TYPE_RGB_ALPHA && is_16bit (kind)) {
    g_test_message ("Pillow has no 16-bit RGBA mode: not compared");
    return;
  }
  if (!run (probe, NULL)) {
    g_test_skip ("Pillow (" PYTHON " with PIL) is not installed");
    return;
  }
  encode (kind, &e);
  raw = g_build_filename (e.dir, "pillow.raw", NULL);
  {
    gchar *argv[] = { (gchar *) PYTHON, (gchar *) "-c", (gchar *) script,
      e.out_png, raw, NULL
    };
    if (!run (argv, &err))
      g_error ("Pillow failed: %s", err);
  }
  g_assert_true (g_file_get_contents (raw, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, e.expected.stride * e.expected.height);
  assert_pixels (&e, (const guint8 *) contents, e.expected.stride,
      is_16bit (kind), "Pillow");
  g_free (contents);
  g_free (raw);
  g_free (err);
  encoded_clear (&e);
}

static void
check_vips (const Kind * kind)
{
  gchar *found = g_find_program_in_path ("vips");
  Encoded e;
  gchar *raw, *contents, *err = NULL;
  gsize len;

  if (!found) {
    g_test_skip ("libvips (the vips tool) is not installed");
    return;
  }
  g_free (found);
  encode (kind, &e);
  raw = g_build_filename (e.dir, "vips.raw", NULL);
  {
    gchar *argv[] = { (gchar *) "vips", (gchar *) "rawsave", e.out_png, raw,
      NULL
    };
    if (!run (argv, &err))
      g_error ("vips failed: %s", err);
  }
  g_assert_true (g_file_get_contents (raw, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, e.expected.stride * e.expected.height);
  /* vips keeps 16-bit samples in the machine's order */
  assert_pixels (&e, (const guint8 *) contents, e.expected.stride,
      is_16bit (kind) && G_BYTE_ORDER == G_LITTLE_ENDIAN, "libvips");
  g_free (contents);
  g_free (raw);
  g_free (err);
  encoded_clear (&e);
}

static void
check_pngdec (const Kind * kind)
{
  GstElementFactory *factory = gst_element_factory_find ("pngdec");
  GstElement *pipeline, *sink;
  GstSample *sample;
  GstVideoInfo info;
  GstMapInfo map;
  guint8 *pixels;
  gchar *desc;
  Encoded e;

  if (!factory) {
    g_test_skip ("pngdec (gst-plugins-good) is not installed");
    return;
  }
  /* Debian's pngdec 1.22 labels 16-bit RGBA as ARGB64 and shifts it by one
   * sample (the same on libpng's own files), as it garbles 16-bit RGB: it is
   * no reference there */
  if (kind->color_type == PNG_COLOR_TYPE_RGB_ALPHA && is_16bit (kind)) {
    gst_object_unref (factory);
    g_test_message ("pngdec decodes 16-bit RGBA wrongly: not compared");
    return;
  }
  gst_object_unref (factory);
  encode (kind, &e);
  desc = g_strdup_printf ("filesrc location=%s ! pngdec ! appsink name=sink "
      "sync=false", e.out_png);
  pipeline = gst_parse_launch (desc, NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
      30 * GST_SECOND);
  g_assert_nonnull (sample);
  g_assert_true (gst_video_info_from_caps (&info,
          gst_sample_get_caps (sample)));
  gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
  pixels = g_memdup2 (map.data, map.size);
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  /* pngdec says in its caps which order its 16-bit samples are in */
  assert_pixels (&e, pixels, GST_VIDEO_INFO_PLANE_STRIDE (&info, 0),
      is_16bit (kind) && GST_VIDEO_FORMAT_INFO_IS_LE (info.finfo), "pngdec");
  g_free (pixels);
  gst_sample_unref (sample);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  encoded_clear (&e);
}

static void
add_tests (const gchar * decoder, void (*check) (const Kind *))
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (kinds); i++) {
    gchar *path = g_strdup_printf ("/encode-decoders/%s/%s-with-markers",
        decoder, kinds[i].name);

    g_test_add_data_func (path, &kinds[i], (GTestDataFunc) check);
    g_free (path);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);

  add_tests ("libpng", check_libpng);
  add_tests ("pillow", check_pillow);
  add_tests ("libvips", check_vips);
  add_tests ("pngdec", check_pngdec);
  return g_test_run ();
}
