/* pngtiledec in whole pipelines: memory does not grow with the image, and a
 * downstream that holds tiles stops the decoder instead of letting it pile
 * up tiles.
 *
 * Each measured pipeline runs in a child process (g_test_trap_subprocess);
 * the parent reads the child's peak RSS with getrusage (RUSAGE_CHILDREN).
 * The image is generated once, row by row, into a temporary directory. */
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <png.h>
#include <string.h>

#include "gstfixture.h"
#include "gsttilemeta.h"
#include "pngfixture.h"

#define SIDE 8000
#define DECODED_BYTES ((guint64) SIDE * SIDE * 3)
#define RSS_LIMIT_KIB (64 * 1024)
#define PATH_ENV "MEMBOUND_TEST_BIG_PNG"

typedef struct {
  guint tiles;
  guint last_of_image;
  guint64 valid_rows;
} TileCount;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  TileCount *count = data;
  GstTileMeta *meta = gst_buffer_get_tile_meta (GST_PAD_PROBE_INFO_BUFFER
      (info));

  g_atomic_int_inc (&count->tiles);
  if (meta && gst_tile_meta_is_last (meta))
    count->last_of_image++;
  if (meta && meta->column == 0)
    count->valid_rows += meta->height;
  return GST_PAD_PROBE_OK;
}

static void
probe_decoder (GstElement * pipeline, TileCount * count)
{
  GstElement *dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  GstPad *src = gst_element_get_static_pad (dec, "src");

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, count_probe, count, NULL);
  gst_object_unref (src);
  gst_object_unref (dec);
}

static void
decode_big_in_child (void)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngtiledec "
      "name=dec ! fakesink", g_getenv (PATH_ENV));
  GstElement *pipeline = gst_fixture_parse (desc);
  TileCount count = { 0 };

  probe_decoder (pipeline, &count);
  gst_fixture_run_to_eos (pipeline, 50 * GST_SECOND);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* default tiles: full-width strips of 256 KiB / (8000 * 3) = 10 rows */
  g_assert_cmpuint (count.tiles, ==, SIDE / 10);
  g_assert_cmpuint (count.last_of_image, ==, 1);
  g_assert_cmpuint (count.valid_rows, ==, SIDE);
  gst_object_unref (pipeline);
  g_free (desc);
}

static void
test_big_image_in_bounded_memory (void)
{
  glong peak;

  if (g_test_subprocess ()) {
    decode_big_in_child ();
    return;
  }
  peak = gst_fixture_trap_peak_rss_kib (55 * G_USEC_PER_SEC,
      G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_message ("decoding %dx%d RGB (%" G_GUINT64_FORMAT " MiB decoded): "
      "peak RSS %ld KiB", SIDE, SIDE, DECODED_BYTES >> 20, peak);
  g_assert_cmpint (peak, <, RSS_LIMIT_KIB);
  g_assert_cmpuint ((guint64) peak * 1024, <, DECODED_BYTES / 3);
}

static guint64
held_bytes (GstElement * pipeline)
{
  GstElement *dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  guint64 held;

  g_object_get (dec, "held-bytes", &held, NULL);
  gst_object_unref (dec);
  return held;
}

/* The unlimited queue is there so that only the decoder's own pool can stop
 * it: appsink (never pulled) keeps one tile, the queue would take any
 * number. */
static void
held_tiles_block_in_child (void)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngtiledec "
      "name=dec tile-width=1000 tile-height=16 ! queue max-size-buffers=0 "
      "max-size-bytes=0 max-size-time=0 ! appsink name=sink max-buffers=1 "
      "drop=false sync=false", g_getenv (PATH_ENV));
  GstElement *pipeline = gst_fixture_parse (desc);
  TileCount count = { 0 };
  guint before, after;
  guint64 held;
  gint64 start;
  /* 8 columns of 1000x16 RGB tiles; the pool holds at most 2 rows */
  const guint pool_max = 2 * 8;
  const guint64 tile_row_bytes = 8 * 1000 * 16 * 3;

  probe_decoder (pipeline, &count);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_usleep (G_USEC_PER_SEC);
  before = g_atomic_int_get (&count.tiles);
  g_usleep (G_USEC_PER_SEC / 2);
  after = g_atomic_int_get (&count.tiles);
  held = held_bytes (pipeline);
  g_test_message ("tiles pushed: %u, then %u; held-bytes %" G_GUINT64_FORMAT,
      before, after, held);
  g_assert_cmpuint (after, ==, before);
  g_assert_cmpuint (after, <=, pool_max);
  g_assert_cmpuint (after, >=, 8);
  /* one row of acquired tiles at most, plus libpng's rows, the inflater
   * (its block and up to 64 KiB of compressed bytes gathered) and the
   * inflate thread's queue of 8 blocks of 64 KiB */
  g_assert_cmpuint (held, <=, tile_row_bytes + 640 * 1024);

  /* shutting down wakes the decoder waiting for a tile */
  start = g_get_monotonic_time ();
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  gst_object_unref (pipeline);
  g_free (desc);
}

static void
test_held_tiles_block_the_decoder (void)
{
  glong peak;

  if (g_test_subprocess ()) {
    held_tiles_block_in_child ();
    return;
  }
  peak = gst_fixture_trap_peak_rss_kib (30 * G_USEC_PER_SEC,
      G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_message ("peak RSS of the children so far: %ld KiB", peak);
  g_assert_cmpint (peak, <, RSS_LIMIT_KIB);
}

int
main (int argc, char **argv)
{
  gchar *dir = NULL, *path = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);

  if (!g_getenv (PATH_ENV)) {
    PngFixtureSpec spec;
    GError *err = NULL;

    dir = gst_fixture_make_tmp_dir ("membound-decode-memory-XXXXXX");
    path = g_build_filename (dir, "big.png", NULL);
    png_fixture_spec_init (&spec, SIDE, SIDE, PNG_COLOR_TYPE_RGB, 8);
    spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
    /* fastest zlib level: the file's size does not matter here */
    spec.compression_level = 1;
    g_assert_true (png_fixture_write_file (&spec, path, &err));
    g_assert_no_error (err);
    g_setenv (PATH_ENV, path, TRUE);
  }

  g_test_add_func ("/decode-memory/big-image-in-bounded-memory",
      test_big_image_in_bounded_memory);
  g_test_add_func ("/decode-memory/held-tiles-block-the-decoder",
      test_held_tiles_block_the_decoder);
  ret = g_test_run ();

  if (path) {
    gst_fixture_remove_tree (dir);
    g_unsetenv (PATH_ENV);
  }
  g_free (path);
  g_free (dir);
  return ret;
}
