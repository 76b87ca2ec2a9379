/* gst-membound: pngtiledec with threads -- the same pixels whatever the
 * number of threads, with and without restart markers, with markers that
 * lie, and no hang when flushing, stopping or ending while workers are
 * busy.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <png.h>
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gstfixture.h"
#include "pngfixture.h"
#include "gstpngwriter.h"

static gchar *tmp_dir;

/* --- files --- */

/* A photo-like image of @kind written by the project's encoder in
 * segments of @segment_bytes with a mARK chunk. */
static GBytes *
marked_png (guint width, guint height, gint color_type, gint depth,
    gsize segment_bytes)
{
  PngFixtureSpec spec;
  PngFixtureImage image;
  GstPngWriterSettings settings;
  GBytes *plain, *png;
  GError *error = NULL;

  png_fixture_spec_init (&spec, width, height, color_type, depth);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  plain = png_fixture_encode (&spec);
  g_assert_true (png_fixture_reference_decode (g_bytes_get_data (plain, NULL),
          g_bytes_get_size (plain), &image, NULL));
  gst_png_writer_settings_init (&settings);
  settings.segment_bytes = segment_bytes;
  settings.restart_markers = TRUE;
  png = gst_png_writer_encode_image (image.pixels, image.stride, width, height,
      image.format, &settings, &error);
  g_assert_no_error (error);
  /* the test is about files with markers */
  png_fixture_find_chunk (g_bytes_get_data (png, NULL),
      g_bytes_get_size (png), "mARK");
  png_fixture_image_clear (&image);
  g_bytes_unref (plain);
  return png;
}

/* @png with the mARK's segment count changed by @delta. */
static GBytes *
lying_count (GBytes * png, gint delta)
{
  gsize size, at;
  const guint8 *data = g_bytes_get_data (png, &size);
  guint8 *copy = g_memdup2 (data, size);

  at = png_fixture_find_chunk (copy, size, "mARK");
  png_fixture_write_be32 (copy + at + 10,
      png_fixture_read_be32 (copy + at + 10) + delta);
  png_fixture_fix_crc (copy, at);
  return g_bytes_new_take (copy, size);
}

static gchar *
write_file (GBytes * png, const gchar * name)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), NULL));
  return path;
}

/* --- decoding --- */

/* SHA-256 of the image's rows (tight, no padding) */
static gchar *
reference_sum (GBytes * png)
{
  PngFixtureImage image;
  gchar *sum;

  g_assert_true (png_fixture_reference_decode (g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), &image, NULL));
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, image.pixels,
      image.stride * image.height);
  png_fixture_image_clear (&image);
  return sum;
}

static void
sum_sample (GChecksum * sum, GstSample * sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  guint y;

  g_assert_true (gst_video_info_from_caps (&info,
          gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (&frame, &info,
          gst_sample_get_buffer (sample), GST_MAP_READ));
  for (y = 0; y < (guint) GST_VIDEO_INFO_HEIGHT (&info); y++)
    g_checksum_update (sum, (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0)
        + y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
        GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, 0) *
        GST_VIDEO_INFO_WIDTH (&info));
  gst_video_frame_unmap (&frame);
}

/* The next frame, NULL at the end or after an error (then in *@msg). */
static GstSample *
next_sample (GstElement * pipeline, GstElement * sink, GstMessage ** msg)
{
  gint64 give_up = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < give_up) {
    GstSample *sample = NULL;

    g_signal_emit_by_name (sink, "try-pull-sample", 100 * GST_MSECOND,
        &sample);
    if (sample)
      return sample;
    *msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (pipeline),
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (*msg)
      return NULL;
  }
  g_error ("no frame, no EOS, no error in 120 s: a hang");
  return NULL;
}

/* Decodes @path through @source; the rows' sum, or "error". */
static gchar *
decode_sum (const gchar * path, const gchar * source, guint threads,
    gboolean fast)
{
  gchar *src = g_strdup_printf (source, path);
  gchar *launch = g_strdup_printf ("%s ! pngtiledec threads=%u "
      "fast-inflate=%d tile-height=48 ! tilecompose ! appsink name=sink "
      "sync=false", src, threads, fast);
  GstElement *pipeline = gst_fixture_parse (launch);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  GstSample *sample;
  GstMessage *msg = NULL;
  gchar *result;
  guint frames = 0;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  while ((sample = next_sample (pipeline, sink, &msg))) {
    sum_sample (sum, sample);
    gst_sample_unref (sample);
    frames++;
  }
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    result = g_strdup ("error");
  else
    result = g_strdup_printf ("%s", frames == 1 ?
        g_checksum_get_string (sum) : "no single frame");
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_checksum_free (sum);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (launch);
  g_free (src);
  return result;
}

static const gchar *sources[] = {
  "filesrc location=%s",        /* pull mode, 1 MiB blocks */
  "multifilesrc location=%s stop-index=0",      /* the whole file at once */
  "filesrc location=%s blocksize=4096 ! queue",
  "filesrc location=%s blocksize=7 ! queue",
};

/* threads 1, 2 and 8, both inflaters, every source: libpng's pixels */
static void
assert_same_pixels (GBytes * png, const gchar * name, gboolean small)
{
  static const guint threads[] = { 1, 2, 8 };
  gchar *path = write_file (png, name), *ref = reference_sum (png);
  guint t, s, f;

  for (t = 0; t < G_N_ELEMENTS (threads); t++)
    for (f = 0; f < 2; f++)
      for (s = 0; s < G_N_ELEMENTS (sources); s++) {
        gchar *got;

        if (s == 3 && !small)
          continue;
        got = decode_sum (path, sources[s], threads[t], f == 0);
        if (g_strcmp0 (got, ref) != 0)
          g_error ("%s threads=%u fast-inflate=%d %s: %s, libpng %s", name,
              threads[t], f == 0, sources[s], got, ref);
        g_free (got);
      }
  g_free (ref);
  g_free (path);
}

static void
test_marked_same_pixels_any_threads (void)
{
  static const gint kinds[][2] = { {PNG_COLOR_TYPE_RGB, 8},
  {PNG_COLOR_TYPE_GRAY, 8}, {PNG_COLOR_TYPE_RGB_ALPHA, 16},
  {PNG_COLOR_TYPE_GRAY_ALPHA, 8}, {PNG_COLOR_TYPE_RGB_ALPHA, 8}
  };
  guint k;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    GBytes *png = marked_png (333, 211, kinds[k][0], kinds[k][1], 16384);
    gchar *name = g_strdup_printf ("marked-%u.png", k);

    assert_same_pixels (png, name, TRUE);
    g_free (name);
    g_bytes_unref (png);
  }
}

static void
test_unmarked_same_pixels_any_threads (void)
{
  guint k;

  for (k = 0; k < png_fixture_n_kinds; k += 3) {
    PngFixtureSpec spec;
    GBytes *png;
    gchar *name;

    png_fixture_spec_init (&spec, 700, 300, png_fixture_kinds[k].color_type,
        png_fixture_kinds[k].bit_depth);
    spec.trns = png_fixture_kinds[k].trns;
    spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
    png = png_fixture_encode (&spec);
    name = g_strdup_printf ("plain-%u.png", k);
    assert_same_pixels (png, name, FALSE);
    g_free (name);
    g_bytes_unref (png);
  }
}

static void
test_lying_marker_same_pixels (void)
{
  GBytes *png = marked_png (333, 211, PNG_COLOR_TYPE_RGB, 8, 16384);
  static const gint deltas[] = { -1, 1, -3, 200 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (deltas); i++) {
    GBytes *lie = lying_count (png, deltas[i]);
    gchar *name = g_strdup_printf ("lie-%u.png", i);

    assert_same_pixels (lie, name, TRUE);
    g_free (name);
    g_bytes_unref (lie);
  }
  g_bytes_unref (png);
}

/* --- pull mode: the next block read ahead and inflated ahead --- */

static GBytes *
big_marked_png (void)
{
  return marked_png (1600, 1200, PNG_COLOR_TYPE_RGB, 8, 256 * 1024);
}

/* A photo-like RGB PNG of about 4 MiB: four pull blocks, each one inflated
 * while the one before is still being sent. */
static GBytes *
big_plain_png (void)
{
  PngFixtureSpec spec;
  GBytes *png;

  png_fixture_spec_init (&spec, 2000, 1500, PNG_COLOR_TYPE_RGB, 8);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  png = png_fixture_encode (&spec);
  g_assert_cmpuint (g_bytes_get_size (png), >, 3 * 1024 * 1024);
  return png;
}

/* The offset of the first IDAT chunk that starts after @after bytes. */
static gsize
idat_after (const guint8 * data, gsize size, gsize after)
{
  gsize at = png_fixture_find_chunk (data, size, "IDAT");

  while (at < after)
    at += 12 + png_fixture_read_be32 (data + at);
  g_assert_cmpmem (data + at + 4, 4, "IDAT", 4);
  return at;
}

typedef enum
{
  DAMAGE_NONE,
  DAMAGE_DATA,                  /* deflate data broken, CRC fixed */
  DAMAGE_CRC,
  DAMAGE_TRUNCATED,
} Damage;

/* @png damaged in its third MiB, in a block that is inflated ahead. */
static GBytes *
damaged (GBytes * png, Damage damage)
{
  gsize size, at;
  const guint8 *data = g_bytes_get_data (png, &size);
  guint8 *copy = g_memdup2 (data, size);

  at = idat_after (copy, size, 2 * 1024 * 1024 + 100000);
  switch (damage) {
    case DAMAGE_NONE:
      break;
    case DAMAGE_DATA:
      memset (copy + at + 8 + 100, 0xff, 64);
      png_fixture_fix_crc (copy, at);
      break;
    case DAMAGE_CRC:
      copy[at + 8 + 100] ^= 1;
      break;
    case DAMAGE_TRUNCATED:
      size = at + 8 + 100;
      break;
  }
  return g_bytes_new_take (copy, size);
}

/* In pull mode with two threads, every block after the first is read and
 * inflated ahead: the same pixels as libpng, the same errors as one
 * thread, and no hang, whichever block is damaged. */
static void
test_read_ahead_same_result (void)
{
  GBytes *png = big_plain_png ();
  gchar *ref = reference_sum (png);
  Damage d;

  for (d = DAMAGE_NONE; d <= DAMAGE_TRUNCATED; d++) {
    GBytes *bad = damaged (png, d);
    gchar *path = write_file (bad, "ahead.png");
    gchar *one = decode_sum (path, sources[0], 1, TRUE);
    gchar *two = decode_sum (path, sources[0], 2, TRUE);

    g_assert_cmpstr (two, ==, one);
    g_assert_cmpstr (two, ==, d == DAMAGE_NONE ? ref : "error");
    g_free (one);
    g_free (two);
    g_free (path);
    g_bytes_unref (bad);
  }
  g_free (ref);
  g_bytes_unref (png);
}

/* A file whose first block holds no image data (a large text chunk before
 * it), with restart markers: the image data's start, met in a block read
 * ahead, decides between the segment workers and the inflate thread. */
static void
test_read_ahead_then_segments (void)
{
  GBytes *marked = big_marked_png (), *png;
  gsize text_len = 1536 * 1024;
  guint8 *text = g_malloc0 (text_len);
  gchar *ref = reference_sum (marked), *path, *got;
  guint threads;

  memcpy (text, "Comment", 7);
  memset (text + 8, 'x', text_len - 8);
  png = png_fixture_insert_chunk (marked, "IHDR", "tEXt", text, text_len);
  path = write_file (png, "ahead-marked.png");
  for (threads = 2; threads <= 8; threads += 6) {
    got = decode_sum (path, sources[0], threads, TRUE);
    g_assert_cmpstr (got, ==, ref);
    g_free (got);
  }
  g_free (path);
  g_free (ref);
  g_free (text);
  g_bytes_unref (png);
  g_bytes_unref (marked);
}

/* --- flush, stop and EOS while workers are busy --- */

/* Stops per file, 1 ms apart. The plain file's riskiest moment, the
 * inflate thread on the next block (announced ahead) before the streaming
 * thread feeds it, comes once per block and lasts well under a
 * millisecond: dense stops over the decode's first 40 ms meet it in most
 * runs, and the sanitizer build sees a block freed while it is read. */
#define STOPS 40

static void
stop_while_busy (GBytes * png, const gchar * name)
{
  gchar *path = write_file (png, name);
  guint i;

  for (i = 0; i < STOPS; i++) {
    gchar *launch = g_strdup_printf ("filesrc location=%s ! pngtiledec "
        "threads=%u ! fakesink sync=false", path, 2 + i % 3 * 3);
    GstElement *pipeline = gst_fixture_parse (launch);

    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    g_usleep (2000 + i * 1000);
    g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
    gst_object_unref (pipeline);
    g_free (launch);
  }
  g_free (path);
}

/* PLAYING to NULL at any time: with markers (segment workers busy) and
 * without (the inflate thread busy with a block announced ahead). */
static void
test_stop_while_busy (void)
{
  GBytes *marked = big_marked_png (), *plain = big_plain_png ();

  stop_while_busy (marked, "big.png");
  stop_while_busy (plain, "big-plain.png");
  g_bytes_unref (marked);
  g_bytes_unref (plain);
}

static GstHarness *
harness_for (guint threads)
{
  gchar *launch = g_strdup_printf ("pngtiledec threads=%u tile-height=64 "
      "! tilecompose", threads);
  GstHarness *h = gst_harness_new_parse (launch);

  g_free (launch);
  gst_harness_set_src_caps_str (h, "image/png");
  return h;
}

static void
push_bytes (GstHarness * h, const guint8 * data, gsize size, gsize chunk)
{
  gsize off;

  for (off = 0; off < size; off += chunk)
    gst_harness_push (h, gst_buffer_new_memdup (data + off,
            MIN (chunk, size - off)));
}

/* half an image, a flush, then the whole image: decoded whole */
static void
test_flush_while_busy (void)
{
  GBytes *png = big_marked_png ();
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  GstSegment segment;
  guint threads;

  for (threads = 2; threads <= 8; threads += 6) {
    GstHarness *h = harness_for (threads);

    push_bytes (h, data, size / 2, 300 * 1024);
    g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
    g_assert_true (gst_harness_push_event (h,
            gst_event_new_flush_stop (TRUE)));
    gst_segment_init (&segment, GST_FORMAT_BYTES);
    gst_harness_push_event (h, gst_event_new_segment (&segment));
    push_bytes (h, data, size, 300 * 1024);
    g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
    g_assert_cmpuint (gst_harness_buffers_received (h), >=, 1);
    gst_harness_teardown (h);
  }
  g_bytes_unref (png);
}

/* EOS after half an image: the image fails, nothing hangs */
static void
test_eos_while_busy (void)
{
  GBytes *png = big_marked_png ();
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  GstHarness *h = harness_for (4);

  push_bytes (h, data, size / 2, 500 * 1024);
  gst_harness_push_event (h, gst_event_new_eos ());
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, 0);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  tmp_dir = gst_fixture_make_tmp_dir ("decode-threads-XXXXXX");
  g_test_add_func ("/decode_threads/marked-same-pixels-with-any-threads",
      test_marked_same_pixels_any_threads);
  g_test_add_func ("/decode_threads/unmarked-same-pixels-with-any-threads",
      test_unmarked_same_pixels_any_threads);
  g_test_add_func ("/decode_threads/lying-marker-gives-libpng-pixels",
      test_lying_marker_same_pixels);
  g_test_add_func ("/decode_threads/read-ahead-same-pixels-and-errors",
      test_read_ahead_same_result);
  g_test_add_func ("/decode_threads/read-ahead-then-segments",
      test_read_ahead_then_segments);
  g_test_add_func ("/decode_threads/stop-while-workers-busy-never-hangs",
      test_stop_while_busy);
  g_test_add_func ("/decode_threads/flush-while-workers-busy-then-decode",
      test_flush_while_busy);
  g_test_add_func ("/decode_threads/eos-while-workers-busy-never-hangs",
      test_eos_while_busy);
  ret = g_test_run ();
  gst_fixture_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
