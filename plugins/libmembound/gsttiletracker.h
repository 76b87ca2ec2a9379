/* gst-membound: tile tracker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What every tile consumer (tilecompose, tilescale, pngtileenc) must know
 * about the tile stream it reads: which file the tiles came from, which image
 * is open, where its next tile must sit, and whether a tile continues that
 * image, begins another one or belongs to an image whose start was lost.
 * Each element decides what a verdict or a fault means for it (error,
 * warning, drop); those that follow pixel positions alone share the errors.
 *
 * Not installed, and not in the GIR: the tracker is shared by the tile
 * consumers of gst-membound only, which keep it in their instance structs,
 * so its fields may change with them.
 */
#ifndef __GST_TILE_TRACKER_H__
#define __GST_TILE_TRACKER_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstfilelocation.h"
#include "gstmessagethrottle.h"
#include "gsttilemeta.h"

G_BEGIN_DECLS

/**
 * GstTileTrackerMode:
 * @GST_TILE_TRACKER_MODE_GRID: tiles must follow the grid of their meta
 *   (column, row, n_columns, n_rows); a tile row ends at its last column
 * @GST_TILE_TRACKER_MODE_POSITION: only the pixel positions count; a tile
 *   row ends where a tile reaches the right edge of the image
 *
 * How the tracker follows the tiles of an image.
 */
typedef enum {
  GST_TILE_TRACKER_MODE_GRID,
  GST_TILE_TRACKER_MODE_POSITION,
} GstTileTrackerMode;

/**
 * GstTileTrackerVerdict:
 * @GST_TILE_TRACKER_BEGIN: the first tile of an image, and no image is open
 * @GST_TILE_TRACKER_BEGIN_AFTER_INCOMPLETE: the first tile of an image while
 *   the open image still misses tiles (upstream skipped the rest of it)
 * @GST_TILE_TRACKER_CONTINUE: a further tile of the open image
 * @GST_TILE_TRACKER_STRAY: not a first tile, and of another image than the
 *   open one
 * @GST_TILE_TRACKER_ORPHAN: not a first tile, and no image is open (its first
 *   tile was lost, or went to an image that was given up)
 *
 * Where a tile stands relative to the open image.
 */
typedef enum {
  GST_TILE_TRACKER_BEGIN,
  GST_TILE_TRACKER_BEGIN_AFTER_INCOMPLETE,
  GST_TILE_TRACKER_CONTINUE,
  GST_TILE_TRACKER_STRAY,
  GST_TILE_TRACKER_ORPHAN,
} GstTileTrackerVerdict;

/**
 * GstTileTrackerFaults:
 * @GST_TILE_TRACKER_FAULT_NONE: the tile is the expected next tile
 * @GST_TILE_TRACKER_FAULT_IMAGE: its image index or image size differs from
 *   the open image's
 * @GST_TILE_TRACKER_FAULT_GRID: its grid size differs from the open image's,
 *   or is empty
 * @GST_TILE_TRACKER_FAULT_ORDER: its column or row is not the expected one
 * @GST_TILE_TRACKER_FAULT_POSITION: its x or y is not where the previous tiles
 *   ended (a gap or an overlap)
 * @GST_TILE_TRACKER_FAULT_REGION: its valid region is empty or larger than the
 *   tile caps
 * @GST_TILE_TRACKER_FAULT_OUTSIDE: its valid region reaches past the image
 * @GST_TILE_TRACKER_FAULT_ROW_HEIGHT: it is not the first tile of its row and
 *   its height differs from that first tile's
 * @GST_TILE_TRACKER_FAULT_EDGE: it is in the last column (row) of the grid
 *   but does not end at the right (bottom) edge of the image
 * @GST_TILE_TRACKER_FAULT_EARLY_EDGE: it ends at the right edge of the image
 *   but is not in the last column of the grid
 * @GST_TILE_TRACKER_FAULT_LAST_FLAG: its last-of-image flag disagrees with
 *   its place in the grid
 *
 * Everything that is wrong with a tile, as found by
 * gst_tile_tracker_check(). Each element tests the faults it cares about in
 * its own order, since the first one found names its error.
 */
typedef enum {
  GST_TILE_TRACKER_FAULT_NONE = 0,
  GST_TILE_TRACKER_FAULT_IMAGE = (1 << 0),
  GST_TILE_TRACKER_FAULT_GRID = (1 << 1),
  GST_TILE_TRACKER_FAULT_ORDER = (1 << 2),
  GST_TILE_TRACKER_FAULT_POSITION = (1 << 3),
  GST_TILE_TRACKER_FAULT_REGION = (1 << 4),
  GST_TILE_TRACKER_FAULT_OUTSIDE = (1 << 5),
  GST_TILE_TRACKER_FAULT_ROW_HEIGHT = (1 << 6),
  GST_TILE_TRACKER_FAULT_EDGE = (1 << 7),
  GST_TILE_TRACKER_FAULT_EARLY_EDGE = (1 << 8),
  GST_TILE_TRACKER_FAULT_LAST_FLAG = (1 << 9),
} GstTileTrackerFaults;

/**
 * GstTileTracker:
 * @mode: how tile rows are followed
 * @location: the URI of the latest file announced, or %NULL
 * @image_location: the location when the open (or last) image began, or %NULL
 * @in_image: an image is open
 * @image_index: index of the open (or last) image
 * @image_width: its width in pixels
 * @image_height: its height in pixels
 * @n_columns: its number of tile columns
 * @n_rows: its number of tile rows
 * @next_column: grid column of the expected next tile
 * @next_row: grid row of the expected next tile
 * @next_x: x of the expected next tile
 * @row_y: y of the current tile row (of the expected next tile)
 * @row_height: height of the first tile of the current tile row
 * @untiled_count: images made of buffers without a tile meta so far
 * @dropping: @drop_index is set
 * @drop_index: an image whose remaining tiles are dropped without a word
 *
 * The state a tile consumer keeps about its input tile stream. It lives in
 * the element's instance struct and is touched only by the streaming thread
 * (chain and serialized events) or by a state change after the pads stopped,
 * so it needs no lock of its own. After an image ends, its index, geometry
 * and position stay readable for messages until the next image begins.
 */
typedef struct {
  GstTileTrackerMode mode;
  gchar *location;
  gchar *image_location;

  gboolean in_image;
  guint64 image_index;
  guint image_width;
  guint image_height;
  guint n_columns;
  guint n_rows;

  guint next_column;
  guint next_row;
  guint next_x;
  guint row_y;
  guint row_height;

  guint64 untiled_count;
  gboolean dropping;
  guint64 drop_index;
} GstTileTracker;

GST_MEMBOUND_API
void gst_tile_tracker_init (GstTileTracker * tracker, GstTileTrackerMode mode);

GST_MEMBOUND_API
void gst_tile_tracker_clear (GstTileTracker * tracker);

GST_MEMBOUND_API
gboolean gst_tile_tracker_take_event (GstTileTracker * tracker,
    GstEvent * event);

GST_MEMBOUND_API
gchar *gst_tile_tracker_describe_file (const gchar * location);

GST_MEMBOUND_API
void gst_tile_tracker_untiled_meta (GstTileTracker * tracker,
    const GstVideoInfo * info, GstTileMeta * meta);

GST_MEMBOUND_API
GstTileTrackerVerdict gst_tile_tracker_next (const GstTileTracker * tracker,
    const GstTileMeta * meta);

GST_MEMBOUND_API
void gst_tile_tracker_begin (GstTileTracker * tracker,
    const GstTileMeta * meta);

GST_MEMBOUND_API
void gst_tile_tracker_end (GstTileTracker * tracker);

GST_MEMBOUND_API
GstTileTrackerFaults gst_tile_tracker_check (const GstTileTracker * tracker,
    const GstTileMeta * meta, guint tile_width, guint tile_height);

GST_MEMBOUND_API
gboolean gst_tile_tracker_begin_image (GstTileTracker * tracker,
    GstElement * element, const GstTileMeta * meta);

GST_MEMBOUND_API
gboolean gst_tile_tracker_map_tile (GstTileTracker * tracker,
    GstElement * element, const GstTileMeta * meta, const GstVideoInfo * info,
    GstBuffer * buf, GstVideoFrame * frame);

GST_MEMBOUND_API
void gst_tile_tracker_drop_orphan (GstTileTracker * tracker,
    GstElement * element, const GstTileMeta * meta,
    GstMessageThrottle * throttle);

GST_MEMBOUND_API
gboolean gst_tile_tracker_advance (GstTileTracker * tracker,
    const GstTileMeta * meta);

GST_MEMBOUND_API
void gst_tile_tracker_drop_image (GstTileTracker * tracker,
    guint64 image_index);

GST_MEMBOUND_API
gboolean gst_tile_tracker_is_dropped (const GstTileTracker * tracker,
    guint64 image_index);

GST_MEMBOUND_API
void gst_tile_tracker_forget_dropped (GstTileTracker * tracker);

GST_MEMBOUND_API
void gst_tile_tracker_propose_allocation (GstQuery * query,
    gboolean crop_meta);

GST_MEMBOUND_API
void gst_tile_tracker_set_caps_result (GstQuery * query, GstCaps * caps);

G_END_DECLS

#endif /* __GST_TILE_TRACKER_H__ */
