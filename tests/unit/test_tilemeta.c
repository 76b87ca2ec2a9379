/* Tile meta and tile geometry: the promises of libgstmembound's tile half. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gsttilemeta.h"

static void
test_grid_divides_and_not (void)
{
  GstTileGrid grid;
  guint x, y, w, h;

  g_assert_true (gst_tile_grid_init (&grid, 100, 60, 25, 20));
  g_assert_cmpuint (grid.n_columns, ==, 4);
  g_assert_cmpuint (grid.n_rows, ==, 3);

  g_assert_true (gst_tile_grid_init (&grid, 101, 61, 25, 20));
  g_assert_cmpuint (grid.n_columns, ==, 5);
  g_assert_cmpuint (grid.n_rows, ==, 4);
  gst_tile_grid_tile_rect (&grid, 4, 3, &x, &y, &w, &h);
  g_assert_cmpuint (x, ==, 100);
  g_assert_cmpuint (y, ==, 60);
  g_assert_cmpuint (w, ==, 1);
  g_assert_cmpuint (h, ==, 1);

  /* tile-width 0 means strips */
  g_assert_true (gst_tile_grid_init (&grid, 77, 10, 0, 4));
  g_assert_cmpuint (grid.tile_width, ==, 77);
  g_assert_cmpuint (grid.n_columns, ==, 1);
  g_assert_cmpuint (grid.n_rows, ==, 3);

  g_assert_false (gst_tile_grid_init (&grid, 0, 10, 0, 4));
  g_assert_false (gst_tile_grid_init (&grid, 10, 10, 0, 0));
}

static void
test_rows_for_bytes_thinks_in_bytes (void)
{
  /* same byte budget: a 16x wider row gets 16x fewer rows */
  g_assert_cmpuint (gst_tile_grid_rows_for_bytes (2048 * 3, 1 << 20, 0), ==,
      (1 << 20) / (2048 * 3));
  g_assert_cmpuint (gst_tile_grid_rows_for_bytes (32768 * 3, 1 << 20, 0), ==,
      (1 << 20) / (32768 * 3));
  g_assert_cmpuint (gst_tile_grid_rows_for_bytes (1 << 22, 1 << 20, 0), ==, 1);
  g_assert_cmpuint (gst_tile_grid_rows_for_bytes (1, 1 << 20, 256), ==, 256);
}

static void
test_meta_fields_and_flags (void)
{
  GstTileGrid grid;
  GstBuffer *buf;
  GstTileMeta *meta;
  GstVideoCropMeta *crop;
  guint col, row;

  g_assert_true (gst_tile_grid_init (&grid, 50, 30, 20, 16));
  for (row = 0; row < grid.n_rows; row++) {
    for (col = 0; col < grid.n_columns; col++) {
      buf = gst_buffer_new_allocate (NULL, 20 * 16, NULL);
      meta = gst_tile_grid_add_meta (&grid, buf, 7, col, row);
      g_assert_nonnull (meta);
      g_assert_true (gst_buffer_get_tile_meta (buf) == meta);
      g_assert_cmpuint (meta->image_index, ==, 7);
      g_assert_cmpuint (meta->image_width, ==, 50);
      g_assert_cmpuint (meta->image_height, ==, 30);
      g_assert_cmpuint (meta->x, ==, col * 20);
      g_assert_cmpuint (meta->y, ==, row * 16);
      g_assert_cmpuint (meta->width, ==, col == 2 ? 10 : 20);
      g_assert_cmpuint (meta->height, ==, row == 1 ? 14 : 16);
      g_assert_cmpuint (meta->column, ==, col);
      g_assert_cmpuint (meta->row, ==, row);
      g_assert_cmpuint (meta->n_columns, ==, 3);
      g_assert_cmpuint (meta->n_rows, ==, 2);
      g_assert_cmpint (gst_tile_meta_is_first (meta), ==, col == 0 && row == 0);
      g_assert_cmpint (gst_tile_meta_is_last (meta), ==, col == 2 && row == 1);
      crop = gst_buffer_get_video_crop_meta (buf);
      if (col == 2 || row == 1) {
        g_assert_nonnull (crop);
        g_assert_cmpuint (crop->width, ==, meta->width);
        g_assert_cmpuint (crop->height, ==, meta->height);
      } else {
        g_assert_null (crop);
      }
      gst_buffer_unref (buf);
    }
  }
}

static void
test_meta_survives_copy_not_subregion (void)
{
  GstTileGrid grid;
  GstBuffer *buf, *copy, *sub;
  GstTileMeta *meta;

  g_assert_true (gst_tile_grid_init (&grid, 64, 64, 32, 32));
  buf = gst_buffer_new_allocate (NULL, 32 * 32, NULL);
  gst_tile_grid_add_meta (&grid, buf, 3, 1, 1);

  copy = gst_buffer_copy (buf);
  meta = gst_buffer_get_tile_meta (copy);
  g_assert_nonnull (meta);
  g_assert_cmpuint (meta->image_index, ==, 3);
  g_assert_cmpuint (meta->x, ==, 32);
  g_assert_true (gst_tile_meta_is_last (meta));

  sub = gst_buffer_copy_region (buf, GST_BUFFER_COPY_ALL, 16, 16);
  g_assert_null (gst_buffer_get_tile_meta (sub));

  gst_buffer_unref (sub);
  gst_buffer_unref (copy);
  gst_buffer_unref (buf);
}

/* Push one RGBA 32x16 tile through @launch and return whether it still has
 * its tile meta. */
static gboolean
meta_survives (const gchar * launch, const gchar * out_caps)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GstTileGrid grid;
  GstBuffer *buf, *out;
  gboolean survived;

  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=RGBA,width=32,height=16,framerate=0/1");
  if (out_caps)
    gst_harness_set_sink_caps_str (h, out_caps);
  g_assert_true (gst_tile_grid_init (&grid, 64, 16, 32, 16));
  buf = gst_buffer_new_allocate (NULL, 32 * 16 * 4, NULL);
  gst_buffer_memset (buf, 0, 0x80, 32 * 16 * 4);
  gst_tile_grid_add_meta (&grid, buf, 0, 1, 0);
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_nonnull (out);
  survived = gst_buffer_get_tile_meta (out) != NULL;
  if (survived)
    g_assert_cmpuint (gst_buffer_get_tile_meta (out)->x, ==, 32);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  return survived;
}

static void
test_meta_kept_by_geometry_keeping_elements (void)
{
  g_assert_true (meta_survives ("identity", NULL));
  g_assert_true (meta_survives ("videoconvert",
          "video/x-raw,format=RGB,width=32,height=16"));
  g_assert_true (meta_survives ("videobalance brightness=0.1", NULL));
}

static void
test_meta_dropped_by_geometry_changing_elements (void)
{
  g_assert_false (meta_survives ("videoscale",
          "video/x-raw,format=RGBA,width=16,height=8"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  g_test_add_func ("/tilemeta/grid-divides-and-not", test_grid_divides_and_not);
  g_test_add_func ("/tilemeta/rows-for-bytes-thinks-in-bytes",
      test_rows_for_bytes_thinks_in_bytes);
  g_test_add_func ("/tilemeta/fields-and-flags", test_meta_fields_and_flags);
  g_test_add_func ("/tilemeta/survives-copy-not-subregion",
      test_meta_survives_copy_not_subregion);
  g_test_add_func ("/tilemeta/kept-by-geometry-keeping-elements",
      test_meta_kept_by_geometry_keeping_elements);
  g_test_add_func ("/tilemeta/dropped-by-geometry-changing-elements",
      test_meta_dropped_by_geometry_changing_elements);
  return g_test_run ();
}
