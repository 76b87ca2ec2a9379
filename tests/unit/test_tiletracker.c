/* Tile tracker: the promises tile consumers rely on to follow a tile stream. */
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "gsttilemeta.h"
#include "gsttiletracker.h"

/* Tile (@column, @row) of image @index cut by @grid, as a producer sends it
 * (a meta on the stack: the tracker never looks at the buffer). */
static GstTileMeta
grid_tile (const GstTileGrid * grid, guint64 index, guint column, guint row)
{
  GstTileMeta m;

  memset (&m, 0, sizeof (m));
  m.image_index = index;
  m.image_width = grid->image_width;
  m.image_height = grid->image_height;
  gst_tile_grid_tile_rect (grid, column, row, &m.x, &m.y, &m.width,
      &m.height);
  m.column = column;
  m.row = row;
  m.n_columns = grid->n_columns;
  m.n_rows = grid->n_rows;
  if (column == 0 && row == 0)
    m.flags |= GST_TILE_META_FLAG_FIRST_OF_IMAGE;
  if (column + 1 == grid->n_columns && row + 1 == grid->n_rows)
    m.flags |= GST_TILE_META_FLAG_LAST_OF_IMAGE;
  return m;
}

static GstEvent *
location_tag (const gchar * uri)
{
  return gst_event_new_tag (gst_tag_list_new (GST_TAG_LOCATION, uri, NULL));
}

/* 50x30 in 20x16 tiles: 3 columns (the last 10 wide), 2 rows (the last 14
 * high), so every check meets an edge tile. */
static void
grid_50x30 (GstTileGrid * grid)
{
  g_assert_true (gst_tile_grid_init (grid, 50, 30, 20, 16));
  g_assert_cmpuint (grid->n_columns, ==, 3);
  g_assert_cmpuint (grid->n_rows, ==, 2);
}

static void
test_location_tags_name_the_image_file (void)
{
  GstTileTracker t;
  GstTileGrid grid;
  GstTileMeta first;
  GstEvent *event;

  gst_tile_tracker_init (&t, GST_TILE_TRACKER_MODE_GRID);
  g_assert_null (t.location);

  event = location_tag ("file:///images/a.png");
  g_assert_true (gst_tile_tracker_take_event (&t, event));
  gst_event_unref (event);
  g_assert_cmpstr (t.location, ==, "file:///images/a.png");

  /* a tag without a location, or another event, keeps what is known */
  event = gst_event_new_tag (gst_tag_list_new (GST_TAG_TITLE, "x", NULL));
  g_assert_false (gst_tile_tracker_take_event (&t, event));
  gst_event_unref (event);
  event = gst_event_new_eos ();
  g_assert_false (gst_tile_tracker_take_event (&t, event));
  gst_event_unref (event);
  g_assert_cmpstr (t.location, ==, "file:///images/a.png");

  /* the image keeps the file it began in when the next file is announced */
  grid_50x30 (&grid);
  first = grid_tile (&grid, 0, 0, 0);
  gst_tile_tracker_begin (&t, &first);
  event = location_tag ("file:///images/b.png");
  gst_tile_tracker_take_event (&t, event);
  gst_event_unref (event);
  g_assert_cmpstr (t.image_location, ==, "file:///images/a.png");
  g_assert_cmpstr (t.location, ==, "file:///images/b.png");
  gst_tile_tracker_clear (&t);
}

static void
test_describe_file_reads_well_with_and_without_file (void)
{
  gchar *s;

  s = gst_tile_tracker_describe_file ("file:///images/a.png");
  g_assert_cmpstr (s, ==, " (file:///images/a.png)");
  g_free (s);
  s = gst_tile_tracker_describe_file (NULL);
  g_assert_cmpstr (s, ==, "");
  g_free (s);
}

static void
test_verdicts_follow_the_open_image (void)
{
  GstTileTracker t;
  GstTileGrid grid;
  GstTileMeta m;

  grid_50x30 (&grid);
  gst_tile_tracker_init (&t, GST_TILE_TRACKER_MODE_GRID);

  m = grid_tile (&grid, 4, 1, 0);
  g_assert_cmpint (gst_tile_tracker_next (&t, &m), ==,
      GST_TILE_TRACKER_ORPHAN);

  m = grid_tile (&grid, 4, 0, 0);
  g_assert_cmpint (gst_tile_tracker_next (&t, &m), ==, GST_TILE_TRACKER_BEGIN);
  gst_tile_tracker_begin (&t, &m);
  g_assert_true (t.in_image);

  m = grid_tile (&grid, 4, 1, 0);
  g_assert_cmpint (gst_tile_tracker_next (&t, &m), ==,
      GST_TILE_TRACKER_CONTINUE);
  m = grid_tile (&grid, 5, 1, 0);
  g_assert_cmpint (gst_tile_tracker_next (&t, &m), ==, GST_TILE_TRACKER_STRAY);
  m = grid_tile (&grid, 5, 0, 0);
  g_assert_cmpint (gst_tile_tracker_next (&t, &m), ==,
      GST_TILE_TRACKER_BEGIN_AFTER_INCOMPLETE);

  /* after the end the image stays describable, but tiles are orphans */
  gst_tile_tracker_end (&t);
  g_assert_false (t.in_image);
  g_assert_cmpuint (t.image_index, ==, 4);
  m = grid_tile (&grid, 4, 1, 0);
  g_assert_cmpint (gst_tile_tracker_next (&t, &m), ==,
      GST_TILE_TRACKER_ORPHAN);
  gst_tile_tracker_clear (&t);
}

static void
test_row_major_grid_passes_and_completes_at_last_tile (void)
{
  GstTileTracker t;
  GstTileGrid grid;
  GstTileMeta m;
  guint c, r;

  grid_50x30 (&grid);
  gst_tile_tracker_init (&t, GST_TILE_TRACKER_MODE_GRID);
  m = grid_tile (&grid, 0, 0, 0);
  gst_tile_tracker_begin (&t, &m);
  for (r = 0; r < grid.n_rows; r++) {
    for (c = 0; c < grid.n_columns; c++) {
      gboolean last = c + 1 == grid.n_columns && r + 1 == grid.n_rows;

      m = grid_tile (&grid, 0, c, r);
      g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16), ==,
          GST_TILE_TRACKER_FAULT_NONE);
      g_assert_cmpint (gst_tile_tracker_advance (&t, &m), ==, last);
    }
  }
  g_assert_cmpuint (t.row_y, ==, 30);
  gst_tile_tracker_clear (&t);
}

/* Opens image 0 of @grid and takes its tiles before (@column, @row). */
static void
open_until (GstTileTracker * t, const GstTileGrid * grid, guint column,
    guint row)
{
  GstTileMeta m = grid_tile (grid, 0, 0, 0);
  guint c, r;

  gst_tile_tracker_init (t, GST_TILE_TRACKER_MODE_GRID);
  gst_tile_tracker_begin (t, &m);
  for (r = 0; r <= row; r++)
    for (c = 0; c < grid->n_columns && (r < row || c < column); c++) {
      m = grid_tile (grid, 0, c, r);
      g_assert_cmpint (gst_tile_tracker_check (t, &m, 20, 16), ==, 0);
      gst_tile_tracker_advance (t, &m);
    }
}

static void
test_each_fault_is_named (void)
{
  GstTileTracker t;
  GstTileGrid grid;
  GstTileMeta m;

  grid_50x30 (&grid);

  /* tile 2 instead of tile 1: wrong column and a gap */
  open_until (&t, &grid, 1, 0);
  m = grid_tile (&grid, 0, 2, 0);
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16), ==,
      GST_TILE_TRACKER_FAULT_ORDER | GST_TILE_TRACKER_FAULT_POSITION);

  /* right column, shifted position */
  m = grid_tile (&grid, 0, 1, 0);
  m.x++;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16) &
      GST_TILE_TRACKER_FAULT_POSITION, !=, 0);
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16) &
      GST_TILE_TRACKER_FAULT_ORDER, ==, 0);

  /* valid region larger than the caps, or empty */
  m = grid_tile (&grid, 0, 1, 0);
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 19, 16), ==,
      GST_TILE_TRACKER_FAULT_REGION);
  m.height = 0;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16) &
      GST_TILE_TRACKER_FAULT_REGION, !=, 0);

  /* another image, another grid */
  m = grid_tile (&grid, 1, 1, 0);
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16), ==,
      GST_TILE_TRACKER_FAULT_IMAGE);
  m = grid_tile (&grid, 0, 1, 0);
  m.n_rows = 3;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16), ==,
      GST_TILE_TRACKER_FAULT_GRID);

  /* a shorter tile in a row of 16-row tiles */
  m = grid_tile (&grid, 0, 1, 0);
  m.height = 8;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16), ==,
      GST_TILE_TRACKER_FAULT_ROW_HEIGHT);

  /* a middle column that reaches the right edge */
  m = grid_tile (&grid, 0, 1, 0);
  m.width = 30;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 30, 16), ==,
      GST_TILE_TRACKER_FAULT_EARLY_EDGE);
  gst_tile_tracker_clear (&t);

  /* the last column short of the edge, or past it */
  open_until (&t, &grid, 2, 0);
  m = grid_tile (&grid, 0, 2, 0);
  m.width = 9;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16), ==,
      GST_TILE_TRACKER_FAULT_EDGE);
  m.width = 11;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16), ==,
      GST_TILE_TRACKER_FAULT_OUTSIDE | GST_TILE_TRACKER_FAULT_EDGE);
  gst_tile_tracker_clear (&t);

  /* the last tile without its flag */
  open_until (&t, &grid, 2, 1);
  m = grid_tile (&grid, 0, 2, 1);
  m.flags = 0;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 20, 16), ==,
      GST_TILE_TRACKER_FAULT_LAST_FLAG);
  gst_tile_tracker_clear (&t);
}

static void
test_position_mode_ends_rows_at_the_right_edge (void)
{
  GstTileTracker t;
  GstTileMeta m;

  /* 20x4 in 10x2 tiles whose grid fields say nothing (column 0, 1 column) */
  memset (&m, 0, sizeof (m));
  m.image_width = 20;
  m.image_height = 4;
  m.width = 10;
  m.height = 2;
  m.n_columns = m.n_rows = 1;
  m.flags = GST_TILE_META_FLAG_FIRST_OF_IMAGE;

  gst_tile_tracker_init (&t, GST_TILE_TRACKER_MODE_POSITION);
  gst_tile_tracker_begin (&t, &m);
  g_assert_false (gst_tile_tracker_advance (&t, &m));
  g_assert_cmpuint (t.next_x, ==, 10);
  g_assert_cmpuint (t.row_y, ==, 0);
  m.x = 10;
  g_assert_cmpint (gst_tile_tracker_check (&t, &m, 10, 2) &
      GST_TILE_TRACKER_FAULT_POSITION, ==, 0);
  g_assert_false (gst_tile_tracker_advance (&t, &m));
  g_assert_cmpuint (t.next_x, ==, 0);
  g_assert_cmpuint (t.row_y, ==, 2);
  m.x = 0;
  m.y = 2;
  g_assert_false (gst_tile_tracker_advance (&t, &m));
  m.x = 10;
  g_assert_true (gst_tile_tracker_advance (&t, &m));
  gst_tile_tracker_clear (&t);
}

static void
test_untiled_buffers_are_numbered_one_tile_images (void)
{
  GstTileTracker t;
  GstVideoInfo info;
  GstTileMeta m;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 32, 24);
  gst_tile_tracker_init (&t, GST_TILE_TRACKER_MODE_POSITION);
  gst_tile_tracker_untiled_meta (&t, &info, &m);
  g_assert_cmpuint (m.image_index, ==, 0);
  g_assert_true (gst_tile_meta_is_first (&m));
  g_assert_true (gst_tile_meta_is_last (&m));
  g_assert_cmpuint (m.image_width, ==, 32);
  g_assert_cmpuint (m.height, ==, 24);
  g_assert_cmpuint (m.n_columns * m.n_rows, ==, 1);
  gst_tile_tracker_untiled_meta (&t, &info, &m);
  g_assert_cmpuint (m.image_index, ==, 1);

  /* a new stream counts from 0 again */
  gst_tile_tracker_clear (&t);
  gst_tile_tracker_untiled_meta (&t, &info, &m);
  g_assert_cmpuint (m.image_index, ==, 0);
  g_assert_cmpint (t.mode, ==, GST_TILE_TRACKER_MODE_POSITION);
  gst_tile_tracker_clear (&t);
}

static void
test_dropped_image_is_remembered_until_forgotten (void)
{
  GstTileTracker t;

  gst_tile_tracker_init (&t, GST_TILE_TRACKER_MODE_GRID);
  g_assert_false (gst_tile_tracker_is_dropped (&t, 0));
  gst_tile_tracker_drop_image (&t, 3);
  g_assert_true (gst_tile_tracker_is_dropped (&t, 3));
  g_assert_false (gst_tile_tracker_is_dropped (&t, 4));
  gst_tile_tracker_drop_image (&t, 4);
  g_assert_false (gst_tile_tracker_is_dropped (&t, 3));
  gst_tile_tracker_forget_dropped (&t);
  g_assert_false (gst_tile_tracker_is_dropped (&t, 4));
  g_assert_false (gst_tile_tracker_is_dropped (&t, 0));
  gst_tile_tracker_clear (&t);
}

static void
test_allocation_asks_for_the_tile_meta (void)
{
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=GRAY8,"
      "width=16,height=16");
  GstQuery *query = gst_query_new_allocation (caps, FALSE);

  gst_tile_tracker_propose_allocation (query, FALSE);
  g_assert_true (gst_query_find_allocation_meta (query,
          GST_TILE_META_API_TYPE, NULL));
  g_assert_true (gst_query_find_allocation_meta (query,
          GST_VIDEO_META_API_TYPE, NULL));
  g_assert_false (gst_query_find_allocation_meta (query,
          GST_VIDEO_CROP_META_API_TYPE, NULL));
  g_assert_cmpuint (gst_query_get_n_allocation_pools (query), ==, 0);
  gst_query_unref (query);

  query = gst_query_new_allocation (caps, FALSE);
  gst_tile_tracker_propose_allocation (query, TRUE);
  g_assert_true (gst_query_find_allocation_meta (query,
          GST_VIDEO_CROP_META_API_TYPE, NULL));
  gst_query_unref (query);
  gst_caps_unref (caps);
}

static void
test_caps_answer_follows_the_filter (void)
{
  GstCaps *filter = gst_caps_from_string ("video/x-raw,format=GRAY8; "
      "video/x-raw,format=RGB");
  GstCaps *result, *expected;
  GstQuery *query;

  /* the filter's order wins, and what it does not allow is gone */
  query = gst_query_new_caps (filter);
  gst_tile_tracker_set_caps_result (query,
      gst_caps_from_string ("video/x-raw,format=RGBA; "
          "video/x-raw,format=RGB; video/x-raw,format=GRAY8"));
  gst_query_parse_caps_result (query, &result);
  expected = gst_caps_from_string ("video/x-raw,format=GRAY8; "
      "video/x-raw,format=RGB");
  g_assert_true (gst_caps_is_strictly_equal (result, expected));
  gst_caps_unref (expected);
  gst_query_unref (query);

  /* no filter: the caps as they are */
  query = gst_query_new_caps (NULL);
  gst_tile_tracker_set_caps_result (query,
      gst_caps_from_string ("video/x-raw,format=RGBA"));
  gst_query_parse_caps_result (query, &result);
  expected = gst_caps_from_string ("video/x-raw,format=RGBA");
  g_assert_true (gst_caps_is_strictly_equal (result, expected));
  gst_caps_unref (expected);
  gst_query_unref (query);
  gst_caps_unref (filter);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  g_test_add_func ("/tiletracker/location-tags-name-the-image-file",
      test_location_tags_name_the_image_file);
  g_test_add_func ("/tiletracker/describe-file-reads-well",
      test_describe_file_reads_well_with_and_without_file);
  g_test_add_func ("/tiletracker/verdicts-follow-the-open-image",
      test_verdicts_follow_the_open_image);
  g_test_add_func ("/tiletracker/row-major-grid-passes-and-completes",
      test_row_major_grid_passes_and_completes_at_last_tile);
  g_test_add_func ("/tiletracker/each-fault-is-named",
      test_each_fault_is_named);
  g_test_add_func ("/tiletracker/position-mode-ends-rows-at-right-edge",
      test_position_mode_ends_rows_at_the_right_edge);
  g_test_add_func ("/tiletracker/untiled-buffers-are-one-tile-images",
      test_untiled_buffers_are_numbered_one_tile_images);
  g_test_add_func ("/tiletracker/dropped-image-remembered-until-forgotten",
      test_dropped_image_is_remembered_until_forgotten);
  g_test_add_func ("/tiletracker/allocation-asks-for-the-tile-meta",
      test_allocation_asks_for_the_tile_meta);
  g_test_add_func ("/tiletracker/caps-answer-follows-the-filter",
      test_caps_answer_follows_the_filter);
  return g_test_run ();
}
