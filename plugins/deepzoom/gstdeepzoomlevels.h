/* gst-membound: the levels of a Deep Zoom pyramid, built in one pass
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A pyramid of an image W x H has levels 0 (1 x 1) to n - 1 (W x H); each
 * level is the 2 x 2 box average of the one above, ceil(w / 2) x ceil(h / 2),
 * where an odd last column or row is averaged with a copy of itself (the
 * rules of libvips' dzsave, so the same tiles come out). Rows enter at the
 * top level in order; each level keeps a ring of the rows its current tile
 * row still needs, and every second row it makes a row of the level below.
 * Whenever the rows of a tile row are all in, the owner is called to write
 * its tiles. Nothing here knows about files or GStreamer buffers.
 */
#ifndef __GST_DEEP_ZOOM_LEVELS_H__
#define __GST_DEEP_ZOOM_LEVELS_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * GstDeepZoomPixels:
 * @sample_bytes: 1 (8-bit) or 2 (16-bit big-endian)
 * @channels: samples per pixel: 1, 3 or 4
 * @has_alpha: the last channel is alpha; colours are averaged weighted by
 *   it (premultiplied), as libvips does
 */
typedef struct {
  guint sample_bytes;
  guint channels;
  gboolean has_alpha;
} GstDeepZoomPixels;

/**
 * GstDeepZoomLevel:
 * @width: level width in pixels
 * @height: level height in rows
 * @n_columns: tile columns of the level
 * @n_rows: tile rows of the level
 * @ring: the rows held, @capacity rows of @stride bytes; row y sits in
 *   slot y % @capacity
 * @stride: bytes per held row
 * @capacity: rows the ring holds
 * @rows_in: rows of this level made so far
 * @tile_row: the next tile row to complete
 */
typedef struct {
  guint width;
  guint height;
  guint n_columns;
  guint n_rows;

  guint8 *ring;
  gsize stride;
  guint capacity;

  guint rows_in;
  guint tile_row;
} GstDeepZoomLevel;

/* Called when tile row @tile_row of @level is complete; its rows can be read
 * with gst_deep_zoom_level_row() until the call returns. FALSE stops the
 * pyramid (the owner has posted why). */
typedef gboolean (*GstDeepZoomTileRowFunc) (gpointer user_data, guint level,
    guint tile_row);

/**
 * GstDeepZoomLevels:
 * @tile_size: tile edge in pixels, without overlap
 * @overlap: pixels each tile shares with its neighbours on each side
 * @pixels: the sample layout, equal on every level
 * @n_levels: levels, 0 to @n_levels - 1 (the full-size one)
 * @levels: the levels, indexed by level number
 * @held_bytes: bytes of all rings
 */
typedef struct {
  guint tile_size;
  guint overlap;
  GstDeepZoomPixels pixels;
  guint n_levels;
  GstDeepZoomLevel *levels;
  guint64 held_bytes;

  GstDeepZoomTileRowFunc tile_row_func;
  gpointer user_data;
} GstDeepZoomLevels;

gboolean gst_deep_zoom_levels_init (GstDeepZoomLevels * levels, guint width,
    guint height, guint tile_size, guint overlap, guint input_rows,
    const GstDeepZoomPixels * pixels, GstDeepZoomTileRowFunc func,
    gpointer user_data);

void gst_deep_zoom_levels_clear (GstDeepZoomLevels * levels);

guint8 *gst_deep_zoom_levels_input_row (GstDeepZoomLevels * levels, guint y);

gboolean gst_deep_zoom_levels_commit (GstDeepZoomLevels * levels,
    guint n_rows);

gboolean gst_deep_zoom_levels_done (const GstDeepZoomLevels * levels);

guint64 gst_deep_zoom_levels_n_tiles (const GstDeepZoomLevels * levels);

const guint8 *gst_deep_zoom_level_row (const GstDeepZoomLevel * level,
    guint y);

void gst_deep_zoom_level_tile_rect (const GstDeepZoomLevels * levels,
    guint level, guint column, guint row, guint * x, guint * y,
    guint * width, guint * height);

G_END_DECLS

#endif /* __GST_DEEP_ZOOM_LEVELS_H__ */
