/* pngtiledec ! tilescale: the thumbnail equals the plain box filter of the
 * reference decode, whatever the tile shape. */
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <png.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pngfixture.h"

#define PIPELINE_TIMEOUT (40 * GST_SECOND)

typedef struct {
  GstBuffer *buffer;
  GstCaps *caps;
  guint n_buffers;
} Capture;

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, Capture * cap)
{
  cap->n_buffers++;
  gst_buffer_replace (&cap->buffer, buf);
  gst_caps_replace (&cap->caps, NULL);
  cap->caps = gst_pad_get_current_caps (pad);
}

/* Runs @launch (ending in a fakesink named "sink") to EOS and returns its
 * one frame; fails on error or after PIPELINE_TIMEOUT. */
static GstBuffer *
run_pipeline (const gchar * launch, GstVideoInfo * info)
{
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (launch, &err);
  GstElement *sink;
  GstBus *bus;
  GstMessage *msg;
  Capture cap = { NULL, NULL, 0 };

  if (!pipeline)
    g_error ("cannot build '%s': %s", launch, err->message);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "signal-handoffs", TRUE, "sync", FALSE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &cap);
  gst_object_unref (sink);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, PIPELINE_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (!msg)
    g_error ("'%s' did not finish in time", launch);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *debug = NULL;

    gst_message_parse_error (msg, &err, &debug);
    g_error ("'%s' failed: %s (%s)", launch, err->message, debug);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);

  g_assert_cmpuint (cap.n_buffers, ==, 1);
  g_assert_nonnull (cap.caps);
  g_assert_true (gst_video_info_from_caps (info, cap.caps));
  gst_caps_unref (cap.caps);
  return cap.buffer;
}

static gdouble
psnr_8bit (GstBuffer * buf, const GstVideoInfo * info, const guint8 * ref,
    guint ch)
{
  GstVideoFrame frame;
  guint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  guint y;
  gsize k;
  gdouble sq = 0;

  g_assert_true (gst_video_frame_map (&frame, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  for (y = 0; y < h; y++) {
    const guint8 *a = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);

    for (k = 0; k < (gsize) w * ch; k++) {
      gdouble d = (gdouble) a[k] - ref[(gsize) y * w * ch + k];

      sq += d * d;
    }
  }
  gst_video_frame_unmap (&frame);
  if (sq == 0)
    return INFINITY;
  return 10 * log10 (255.0 * 255.0 / (sq / ((gdouble) w * h * ch)));
}

static gboolean
frames_identical (GstBuffer * a, GstBuffer * b, const GstVideoInfo * info)
{
  GstVideoFrame fa, fb;
  gsize row = (gsize) GST_VIDEO_INFO_WIDTH (info) *
      GST_VIDEO_INFO_COMP_PSTRIDE (info, 0);
  guint y;
  gboolean same = TRUE;

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

typedef struct {
  gchar *path;
  PngFixtureImage decoded;
} Source;

/* A photo-like PNG on disk and its reference decode. */
static void
source_init (Source * src, guint width, guint height, gint color_type)
{
  PngFixtureSpec spec;
  GBytes *png;
  GError *err = NULL;
  gchar *msg = NULL;
  gint fd;

  png_fixture_spec_init (&spec, width, height, color_type, 8);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  spec.seed = 7;
  png = png_fixture_encode (&spec);
  fd = g_file_open_tmp ("scale-quality-XXXXXX.png", &src->path, &err);
  g_assert_no_error (err);
  close (fd);
  g_assert_true (g_file_set_contents (src->path, g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), &err));
  g_assert_true (png_fixture_reference_decode (g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), &src->decoded, &msg));
  g_bytes_unref (png);
}

static void
source_clear (Source * src)
{
  g_unlink (src->path);
  g_free (src->path);
  png_fixture_image_clear (&src->decoded);
}

static GstBuffer *
thumbnail (const Source * src, guint tile_w, guint tile_h, guint width,
    GstVideoInfo * info)
{
  gchar *launch = g_strdup_printf ("filesrc location=\"%s\" ! "
      "pngtiledec tile-width=%u tile-height=%u ! tilescale width=%u ! "
      "fakesink name=sink", src->path, tile_w, tile_h, width);
  GstBuffer *out = run_pipeline (launch, info);

  g_free (launch);
  return out;
}

static void
check_psnr (gint color_type, guint ch, guint W, guint H, guint w)
{
  Source src;
  GstVideoInfo info;
  GstBuffer *out;
  PngFixtureImage ref;
  gdouble psnr;

  source_init (&src, W, H, color_type);
  out = thumbnail (&src, 256, 64, w, &info);
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, w);
  ref = png_fixture_box_filter (&src.decoded, w,
      GST_VIDEO_INFO_HEIGHT (&info));
  g_assert_cmpuint (ref.stride, ==, (gsize) w * ch);
  psnr = psnr_8bit (out, &info, ref.pixels, ch);
  g_test_message ("%ux%u %s -> %dx%d: PSNR %.2f dB against the reference "
      "box filter", W, H, gst_video_format_to_string (src.decoded.format),
      GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info), psnr);
  g_printerr ("PSNR %.2f dB (%ux%u %s -> %dx%d)\n", psnr, W, H,
      gst_video_format_to_string (src.decoded.format),
      GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info));
  g_assert_cmpfloat (psnr, >=, 45.0);
  png_fixture_image_clear (&ref);
  gst_buffer_unref (out);
  source_clear (&src);
}

static void
test_thumbnail_psnr_against_reference (void)
{
  check_psnr (PNG_COLOR_TYPE_RGB, 3, 1500, 1000, 317);
  check_psnr (PNG_COLOR_TYPE_RGB_ALPHA, 4, 999, 701, 128);
  check_psnr (PNG_COLOR_TYPE_GRAY, 1, 1024, 777, 200);
}

static void
test_thumbnail_independent_of_tile_shape (void)
{
  static const guint shapes[][2] = {
    {0, 1}, {0, 37}, {256, 64}, {100, 7}, {1500, 1000}, {61, 300},
  };
  Source src;
  GstVideoInfo info0, info;
  GstBuffer *first, *out;
  guint s;

  source_init (&src, 1500, 1000, PNG_COLOR_TYPE_RGB);
  first = thumbnail (&src, 64, 64, 333, &info0);
  for (s = 0; s < G_N_ELEMENTS (shapes); s++) {
    out = thumbnail (&src, shapes[s][0], shapes[s][1], 333, &info);
    g_assert_true (gst_video_info_is_equal (&info0, &info));
    if (!frames_identical (first, out, &info))
      g_error ("tiles %ux%u give a different thumbnail than 64x64",
          shapes[s][0], shapes[s][1]);
    gst_buffer_unref (out);
  }
  gst_buffer_unref (first);
  source_clear (&src);
}

/* The whole pipeline, in a child process, peaks below the size of the
 * decoded image: tilescale never gathers the image. */
static void
test_thumbnail_memory_stays_below_the_image (void)
{
  const guint side = 4000;
  guint64 image_kib = (guint64) side * side * 3 / 1024;
  PngFixtureSpec spec;
  GError *err = NULL;
  struct rusage ru;
  gchar *path;
  gint fd;

  if (g_test_subprocess ()) {
    GstVideoInfo info;
    GstBuffer *out;
    gchar *launch = g_strdup_printf ("filesrc location=\"%s\" ! pngtiledec ! "
        "tilescale width=300 ! fakesink name=sink",
        g_getenv ("SCALE_QUALITY_BIG_PNG"));

    out = run_pipeline (launch, &info);
    g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, 300);
    gst_buffer_unref (out);
    g_free (launch);
    return;
  }

  png_fixture_spec_init (&spec, side, side, PNG_COLOR_TYPE_RGB, 8);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  spec.compression_level = 1;
  fd = g_file_open_tmp ("scale-memory-XXXXXX.png", &path, &err);
  g_assert_no_error (err);
  close (fd);
  g_assert_true (png_fixture_write_file (&spec, path, &err));
  g_setenv ("SCALE_QUALITY_BIG_PNG", path, TRUE);

  g_test_trap_subprocess (NULL, 50 * G_USEC_PER_SEC,
      G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unlink (path);
  g_free (path);
  g_test_trap_assert_passed ();
  g_assert_cmpint (getrusage (RUSAGE_CHILDREN, &ru), ==, 0);
  g_test_message ("%ux%u RGB (%" G_GUINT64_FORMAT " KiB decoded) -> 300 wide: "
      "peak RSS %ld KiB", side, side, image_kib, ru.ru_maxrss);
  g_printerr ("peak RSS %ld KiB for a %" G_GUINT64_FORMAT " KiB image\n",
      ru.ru_maxrss, image_kib);
  /* wide margin: the process alone is 13-17 MiB, the image 46 MiB */
  g_assert_cmpint (ru.ru_maxrss, <, (glong) (image_kib * 3 / 4));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  /* a stuck pipeline must fail the run, not hang it */
  alarm (55);

  g_test_add_func ("/scale-quality/thumbnail-psnr-against-reference",
      test_thumbnail_psnr_against_reference);
  g_test_add_func ("/scale-quality/thumbnail-independent-of-tile-shape",
      test_thumbnail_independent_of_tile_shape);
  g_test_add_func ("/scale-quality/thumbnail-memory-stays-below-the-image",
      test_thumbnail_memory_stays_below_the_image);
  return g_test_run ();
}
