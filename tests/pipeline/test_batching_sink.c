/* Bounded pools never starve a sink that batches small buffers: filesink
 * keeps references until 64 KiB have gathered, so a pool of a few small
 * tiles or strips would wait forever for a buffer to come back. Every
 * pipeline here used to hang; now each must reach EOS well within the
 * timeout and write every byte. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "gstfixture.h"
#include "gsttilemeta.h"
#include "pngfixture.h"

#define FINISH_TIMEOUT (30 * GST_SECOND)

static gchar *png_path, *out_path;

/* Runs @launch_fmt (with %s for the input PNG and the output file) to EOS
 * (a hang fails after FINISH_TIMEOUT) and returns the size filesink wrote. */
static gint64
run_into_filesink (const gchar * launch_fmt)
{
  gchar *launch = g_strdup_printf (launch_fmt, png_path, out_path);
  GStatBuf st;

  gst_fixture_run_launch (launch, FINISH_TIMEOUT);
  g_free (launch);
  g_assert_cmpint (g_stat (out_path, &st), ==, 0);
  return st.st_size;
}

static void
test_small_tiles_into_filesink (void)
{
  /* 600x400 RGB in 16x16 tiles: 38 x 25 tiles of 768 bytes each */
  g_assert_cmpint (run_into_filesink ("filesrc location=%s ! pngtiledec "
          "tile-width=16 tile-height=16 ! filesink location=%s"), ==,
      (gint64) 38 * 25 * 16 * 16 * 3);
}

static void
test_small_strips_into_filesink (void)
{
  /* 200x134 RGB thumbnail in strips of 16 rows: 9 strips of 9600 bytes */
  g_assert_cmpint (run_into_filesink ("filesrc location=%s ! pngtiledec ! "
          "tilescale width=200 tile-height=16 ! filesink location=%s"), ==,
      (gint64) 9 * 200 * 16 * 3);
}

static void
test_small_frames_into_filesink (void)
{
  /* 600x400 composed, then 40x30 frames: one 3600-byte frame */
  g_assert_cmpint (run_into_filesink ("filesrc location=%s ! pngtiledec "
          "tile-width=32 tile-height=8 ! tilescale width=40 height=30 ! "
          "filesink location=%s"), ==, (gint64) 40 * 30 * 3);
}

static void
test_pool_floor_is_in_bytes (void)
{
  /* tiny buffers get a larger count, large ones keep the wanted bound */
  g_assert_cmpuint (gst_tile_pool_max_buffers (768, 2), >=,
      GST_TILE_POOL_MIN_BYTES / 768);
  g_assert_cmpuint (gst_tile_pool_max_buffers (1 << 20, 2), ==, 2);
  g_assert_cmpuint (gst_tile_pool_max_buffers (0, 0), ==, 1);
}

int
main (int argc, char **argv)
{
  gchar *dir;
  PngFixtureSpec spec;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);

  dir = gst_fixture_make_tmp_dir ("membound-batching-XXXXXX");
  png_path = g_build_filename (dir, "in.png", NULL);
  out_path = g_build_filename (dir, "out.raw", NULL);
  png_fixture_spec_init (&spec, 600, 400, 2 /* PNG_COLOR_TYPE_RGB */ , 8);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  g_assert_true (png_fixture_write_file (&spec, png_path, NULL));

  g_test_add_func ("/batching-sink/pool-floor-is-in-bytes",
      test_pool_floor_is_in_bytes);
  g_test_add_func ("/batching-sink/small-tiles-into-filesink",
      test_small_tiles_into_filesink);
  g_test_add_func ("/batching-sink/small-strips-into-filesink",
      test_small_strips_into_filesink);
  g_test_add_func ("/batching-sink/small-frames-into-filesink",
      test_small_frames_into_filesink);
  ret = g_test_run ();

  gst_fixture_remove_tree (dir);
  g_free (png_path);
  g_free (out_path);
  g_free (dir);
  return ret;
}
