/* gst-membound: tile tracker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gsttiletracker
 * @title: GstTileTracker
 * @short_description: following the tiles of each image in a tile stream
 *
 * Tile consumers read a stream in which every image arrives as tiles in
 * row-major order, and upstream may skip the rest of a damaged image. A
 * #GstTileTracker keeps what they need to follow that stream: the file the
 * tiles came from (for messages), the open image and the place of its next
 * tile. gst_tile_tracker_next() says whether a tile begins, continues or
 * strays from an image; gst_tile_tracker_check() lists what is wrong with a
 * tile that should continue it; gst_tile_tracker_advance() moves past it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsttiletracker.h"

#include <string.h>

/**
 * gst_tile_tracker_init:
 * @tracker: an uninitialised #GstTileTracker
 * @mode: how tile rows are followed
 *
 * Sets up @tracker with no image open and no location known.
 */
void
gst_tile_tracker_init (GstTileTracker * tracker, GstTileTrackerMode mode)
{
  g_return_if_fail (tracker != NULL);

  memset (tracker, 0, sizeof (*tracker));
  tracker->mode = mode;
}

/**
 * gst_tile_tracker_clear:
 * @tracker: a #GstTileTracker
 *
 * Frees what @tracker holds and returns it to its initial state (same mode),
 * as for a new stream.
 */
void
gst_tile_tracker_clear (GstTileTracker * tracker)
{
  g_return_if_fail (tracker != NULL);

  g_free (tracker->location);
  g_free (tracker->image_location);
  gst_tile_tracker_init (tracker, tracker->mode);
}

/**
 * gst_tile_tracker_take_event:
 * @tracker: a #GstTileTracker
 * @event: (transfer none): an event from the sink pad
 *
 * Remembers the file an event announces (a #GstFileLocation event, which
 * seqfilesrc sends before each file, or a %GST_TAG_LOCATION tag), so that
 * messages about an image can name its file. Other events are ignored;
 * @event is not consumed.
 *
 * Returns: %TRUE if @event changed the known location
 */
gboolean
gst_tile_tracker_take_event (GstTileTracker * tracker, GstEvent * event)
{
  gchar *location;

  g_return_val_if_fail (tracker != NULL, FALSE);
  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);

  if (!gst_file_location_event_parse (event, &location))
    return FALSE;
  g_free (tracker->location);
  tracker->location = location;
  return TRUE;
}

/**
 * gst_tile_tracker_describe_file:
 * @location: (nullable): a file location, or %NULL
 *
 * The part of a message that names a file: " (@location)", or "" when no
 * file is known, so that "Image 4%s" reads well either way.
 *
 * Returns: (transfer full): a newly allocated string
 */
gchar *
gst_tile_tracker_describe_file (const gchar * location)
{
  return location ? g_strdup_printf (" (%s)", location) : g_strdup ("");
}

/**
 * gst_tile_tracker_untiled_meta:
 * @tracker: a #GstTileTracker
 * @info: the caps of the buffer
 * @meta: (out caller-allocates): the description to fill
 *
 * Describes a buffer without a tile meta as the only tile of an image of its
 * own, numbered in the order such buffers arrive. @meta is not attached to
 * any buffer.
 */
void
gst_tile_tracker_untiled_meta (GstTileTracker * tracker,
    const GstVideoInfo * info, GstTileMeta * meta)
{
  g_return_if_fail (tracker != NULL);
  g_return_if_fail (info != NULL);
  g_return_if_fail (meta != NULL);

  memset (meta, 0, sizeof (*meta));
  meta->image_index = tracker->untiled_count++;
  meta->image_width = meta->width = GST_VIDEO_INFO_WIDTH (info);
  meta->image_height = meta->height = GST_VIDEO_INFO_HEIGHT (info);
  meta->n_columns = meta->n_rows = 1;
  meta->flags = GST_TILE_META_FLAG_FIRST_OF_IMAGE |
      GST_TILE_META_FLAG_LAST_OF_IMAGE;
}

/**
 * gst_tile_tracker_next:
 * @tracker: a #GstTileTracker
 * @meta: the tile that arrived
 *
 * Judges where @meta stands relative to the open image. Only the first-tile
 * flag and the image index are looked at; gst_tile_tracker_check() checks
 * the rest.
 *
 * Returns: the #GstTileTrackerVerdict
 */
GstTileTrackerVerdict
gst_tile_tracker_next (const GstTileTracker * tracker,
    const GstTileMeta * meta)
{
  g_return_val_if_fail (tracker != NULL, GST_TILE_TRACKER_ORPHAN);
  g_return_val_if_fail (meta != NULL, GST_TILE_TRACKER_ORPHAN);

  if (gst_tile_meta_is_first (meta))
    return tracker->in_image ? GST_TILE_TRACKER_BEGIN_AFTER_INCOMPLETE :
        GST_TILE_TRACKER_BEGIN;
  if (!tracker->in_image)
    return GST_TILE_TRACKER_ORPHAN;
  if (meta->image_index != tracker->image_index)
    return GST_TILE_TRACKER_STRAY;
  return GST_TILE_TRACKER_CONTINUE;
}

/**
 * gst_tile_tracker_begin:
 * @tracker: a #GstTileTracker
 * @meta: the first tile of the image
 *
 * Opens the image of @meta: its index, size and grid become the ones later
 * tiles must match, the expected next tile is @meta itself, and the latest
 * location becomes the image's location.
 */
void
gst_tile_tracker_begin (GstTileTracker * tracker, const GstTileMeta * meta)
{
  g_return_if_fail (tracker != NULL);
  g_return_if_fail (meta != NULL);

  tracker->in_image = TRUE;
  tracker->image_index = meta->image_index;
  tracker->image_width = meta->image_width;
  tracker->image_height = meta->image_height;
  tracker->n_columns = meta->n_columns;
  tracker->n_rows = meta->n_rows;
  tracker->next_column = tracker->next_row = 0;
  tracker->next_x = tracker->row_y = 0;
  tracker->row_height = meta->height;
  g_free (tracker->image_location);
  tracker->image_location = g_strdup (tracker->location);
}

/**
 * gst_tile_tracker_end:
 * @tracker: a #GstTileTracker
 *
 * Closes the open image, complete or not. Its index, geometry and position
 * stay readable for messages.
 */
void
gst_tile_tracker_end (GstTileTracker * tracker)
{
  g_return_if_fail (tracker != NULL);

  tracker->in_image = FALSE;
}

/* The right (bottom) edge of the grid must be the edge of the image: a
 * shorter grid leaves pixels unwritten, a longer one writes past them. */
static GstTileTrackerFaults
gst_tile_tracker_check_edges (const GstTileMeta * meta)
{
  GstTileTrackerFaults faults = GST_TILE_TRACKER_FAULT_NONE;
  gboolean last_column = meta->column + 1 == meta->n_columns;
  gboolean last_row = meta->row + 1 == meta->n_rows;
  gboolean at_right = meta->x + meta->width == meta->image_width;

  if ((last_column && !at_right)
      || (last_row && meta->y + meta->height != meta->image_height))
    faults |= GST_TILE_TRACKER_FAULT_EDGE;
  if (!last_column && at_right)
    faults |= GST_TILE_TRACKER_FAULT_EARLY_EDGE;
  if (gst_tile_meta_is_last (meta) != (last_column && last_row))
    faults |= GST_TILE_TRACKER_FAULT_LAST_FLAG;
  return faults;
}

/**
 * gst_tile_tracker_check:
 * @tracker: a #GstTileTracker with an open image
 * @meta: the tile that should continue it
 * @tile_width: the width of the tile caps, in pixels
 * @tile_height: the height of the tile caps, in pixels
 *
 * Lists everything that keeps @meta from being the expected next tile of the
 * open image. Faults that follow from an earlier one (a misplaced tile may
 * also reach past the image) are listed too, so an element that reports
 * only one fault should test them from the most basic on.
 *
 * Returns: the #GstTileTrackerFaults of @meta, or
 *   %GST_TILE_TRACKER_FAULT_NONE
 */
GstTileTrackerFaults
gst_tile_tracker_check (const GstTileTracker * tracker,
    const GstTileMeta * meta, guint tile_width, guint tile_height)
{
  GstTileTrackerFaults faults = GST_TILE_TRACKER_FAULT_NONE;

  g_return_val_if_fail (tracker != NULL, GST_TILE_TRACKER_FAULT_IMAGE);
  g_return_val_if_fail (meta != NULL, GST_TILE_TRACKER_FAULT_IMAGE);

  if (meta->image_index != tracker->image_index
      || meta->image_width != tracker->image_width
      || meta->image_height != tracker->image_height)
    faults |= GST_TILE_TRACKER_FAULT_IMAGE;
  if (meta->n_columns == 0 || meta->n_rows == 0
      || meta->n_columns != tracker->n_columns
      || meta->n_rows != tracker->n_rows)
    faults |= GST_TILE_TRACKER_FAULT_GRID;
  if (meta->column != tracker->next_column || meta->row != tracker->next_row)
    faults |= GST_TILE_TRACKER_FAULT_ORDER;
  if (meta->x != tracker->next_x || meta->y != tracker->row_y)
    faults |= GST_TILE_TRACKER_FAULT_POSITION;
  if (meta->width == 0 || meta->height == 0 || meta->width > tile_width
      || meta->height > tile_height)
    faults |= GST_TILE_TRACKER_FAULT_REGION;
  if (meta->x > tracker->image_width
      || meta->width > tracker->image_width - meta->x
      || meta->y > tracker->image_height
      || meta->height > tracker->image_height - meta->y)
    faults |= GST_TILE_TRACKER_FAULT_OUTSIDE;
  /* next_x > 0: the expected tile is not the first of its row */
  if (tracker->next_x > 0 && meta->height != tracker->row_height)
    faults |= GST_TILE_TRACKER_FAULT_ROW_HEIGHT;
  return faults | gst_tile_tracker_check_edges (meta);
}

/**
 * gst_tile_tracker_begin_image:
 * @tracker: a #GstTileTracker in %GST_TILE_TRACKER_MODE_POSITION
 * @element: the element that posts the error
 * @meta: the first tile of the image
 *
 * gst_tile_tracker_begin(), and a check that @meta is the top-left tile of
 * a non-empty image; if it is not, posts the error that says so.
 *
 * Returns: %TRUE if the image can be followed
 */
gboolean
gst_tile_tracker_begin_image (GstTileTracker * tracker, GstElement * element,
    const GstTileMeta * meta)
{
  gst_tile_tracker_begin (tracker, meta);
  if (meta->image_width > 0 && meta->image_height > 0 && meta->x == 0
      && meta->y == 0)
    return TRUE;
  GST_ELEMENT_ERROR (element, STREAM, FORMAT,
      ("First tile of image %" G_GUINT64_FORMAT " has a broken tile meta",
          meta->image_index),
      ("image %ux%u, tile at %u,%u; the producer must start each image "
          "with its top-left tile", meta->image_width, meta->image_height,
          meta->x, meta->y));
  return FALSE;
}

/* The first fault that keeps a tile from continuing an image followed by
 * pixel positions alone: strips and plain frames have no grid to check. */
static const gchar *
gst_tile_tracker_position_fault (GstTileTrackerFaults faults)
{
  if (faults & GST_TILE_TRACKER_FAULT_IMAGE)
    return "image size changed within the image";
  if (faults & GST_TILE_TRACKER_FAULT_REGION)
    return "tile region does not fit the tile caps";
  if (faults & GST_TILE_TRACKER_FAULT_POSITION)
    return "tile out of row-major order";
  if (faults & GST_TILE_TRACKER_FAULT_OUTSIDE)
    return "tile reaches outside the image";
  if (faults & GST_TILE_TRACKER_FAULT_ROW_HEIGHT)
    return "tiles of one row differ in height";
  return NULL;
}

/**
 * gst_tile_tracker_map_tile:
 * @tracker: a #GstTileTracker in %GST_TILE_TRACKER_MODE_POSITION with an
 *   open image
 * @element: the element that posts the error
 * @meta: the tile that should continue the image
 * @info: the tile caps
 * @buf: the tile
 * @frame: (out caller-allocates): the tile mapped for reading
 *
 * Checks that @meta continues the open image by its pixel position and maps
 * @buf into @frame. If it does not, or @buf is smaller than @info, posts the
 * error that names the image, its file and the first fault.
 *
 * Returns: %TRUE if @frame holds the tile; unmap it after use
 */
gboolean
gst_tile_tracker_map_tile (GstTileTracker * tracker, GstElement * element,
    const GstTileMeta * meta, const GstVideoInfo * info, GstBuffer * buf,
    GstVideoFrame * frame)
{
  gint tile_width = GST_VIDEO_INFO_WIDTH (info);
  gint tile_height = GST_VIDEO_INFO_HEIGHT (info);
  const gchar *why = gst_tile_tracker_position_fault (gst_tile_tracker_check
      (tracker, meta, tile_width, tile_height));
  gchar *file;

  if (!why && gst_video_frame_map (frame, info, buf, GST_MAP_READ))
    return TRUE;
  file = gst_tile_tracker_describe_file (tracker->image_location);
  if (why)
    GST_ELEMENT_ERROR (element, STREAM, FORMAT,
        ("Broken tile stream in image %" G_GUINT64_FORMAT "%s",
            meta->image_index, file),
        ("%s: tile %ux%u at %u,%u of a %ux%u image, tile caps %dx%d", why,
            meta->width, meta->height, meta->x, meta->y, meta->image_width,
            meta->image_height, tile_width, tile_height));
  else
    GST_ELEMENT_ERROR (element, STREAM, FORMAT,
        ("Tile of image %" G_GUINT64_FORMAT " is smaller than its caps",
            meta->image_index),
        ("buffer of %" G_GSIZE_FORMAT " bytes for %dx%d tile caps",
            gst_buffer_get_size (buf), tile_width, tile_height));
  g_free (file);
  return FALSE;
}

/**
 * gst_tile_tracker_drop_orphan:
 * @tracker: a #GstTileTracker
 * @element: the element that posts the warning
 * @meta: a tile judged %GST_TILE_TRACKER_ORPHAN
 * @throttle: (nullable): limits the warnings, or %NULL for none
 *
 * Drops the rest of @meta's image, whose first tile was lost, with one
 * warning per image.
 */
void
gst_tile_tracker_drop_orphan (GstTileTracker * tracker, GstElement * element,
    const GstTileMeta * meta, GstMessageThrottle * throttle)
{
  gchar *file;

  if (gst_tile_tracker_is_dropped (tracker, meta->image_index))
    return;
  gst_tile_tracker_drop_image (tracker, meta->image_index);
  if (throttle && !gst_message_throttle_allow (throttle))
    return;
  file = gst_tile_tracker_describe_file (tracker->location);
  GST_ELEMENT_WARNING (element, STREAM, DECODE,
      ("Image %" G_GUINT64_FORMAT "%s is incomplete and was dropped",
          meta->image_index, file),
      ("its tiles arrived without its first tile"));
  g_free (file);
}

/**
 * gst_tile_tracker_advance:
 * @tracker: a #GstTileTracker with an open image
 * @meta: the tile just taken, which passed gst_tile_tracker_check()
 *
 * Moves the expected position past @meta: to the next column, or to the
 * start of the next tile row after the last column
 * (%GST_TILE_TRACKER_MODE_GRID) or after a tile that reaches the right edge
 * of the image (%GST_TILE_TRACKER_MODE_POSITION). The image stays open.
 *
 * Returns: %TRUE if the tile rows now cover the whole image height
 */
gboolean
gst_tile_tracker_advance (GstTileTracker * tracker, const GstTileMeta * meta)
{
  gboolean row_done;

  g_return_val_if_fail (tracker != NULL, FALSE);
  g_return_val_if_fail (meta != NULL, FALSE);

  if (meta->x == 0)
    tracker->row_height = meta->height;
  if (tracker->mode == GST_TILE_TRACKER_MODE_GRID)
    row_done = meta->column + 1 >= tracker->n_columns;
  else
    row_done = meta->x + meta->width == tracker->image_width;

  if (row_done) {
    tracker->next_column = 0;
    tracker->next_row++;
    tracker->next_x = 0;
    tracker->row_y += tracker->row_height;
  } else {
    tracker->next_column++;
    tracker->next_x = meta->x + meta->width;
  }
  return tracker->row_y == tracker->image_height;
}

/**
 * gst_tile_tracker_drop_image:
 * @tracker: a #GstTileTracker
 * @image_index: the image to give up
 *
 * Marks @image_index as given up: its remaining tiles are to be dropped
 * without another message. Only the latest such image is remembered.
 */
void
gst_tile_tracker_drop_image (GstTileTracker * tracker, guint64 image_index)
{
  g_return_if_fail (tracker != NULL);

  tracker->dropping = TRUE;
  tracker->drop_index = image_index;
}

/**
 * gst_tile_tracker_is_dropped:
 * @tracker: a #GstTileTracker
 * @image_index: an image index
 *
 * Returns: %TRUE if @image_index was given up with
 *   gst_tile_tracker_drop_image() (and not forgotten since)
 */
gboolean
gst_tile_tracker_is_dropped (const GstTileTracker * tracker,
    guint64 image_index)
{
  g_return_val_if_fail (tracker != NULL, FALSE);

  return tracker->dropping && tracker->drop_index == image_index;
}

/**
 * gst_tile_tracker_forget_dropped:
 * @tracker: a #GstTileTracker
 *
 * Forgets the image given up with gst_tile_tracker_drop_image(), so that
 * tiles of that index are judged (and reported) again.
 */
void
gst_tile_tracker_forget_dropped (GstTileTracker * tracker)
{
  g_return_if_fail (tracker != NULL);

  tracker->dropping = FALSE;
  tracker->drop_index = 0;
}

/**
 * gst_tile_tracker_propose_allocation:
 * @query: an ALLOCATION query on a tile consumer's sink pad
 * @crop_meta: also accept #GstVideoCropMeta
 *
 * Answers what a tile consumer needs from upstream's buffers: it reads them
 * through #GstVideoFrame, so any stride is fine (#GstVideoMeta), and it must
 * get the #GstTileMeta. A consumer that takes the valid region of edge tiles
 * from the crop meta as well sets @crop_meta. No pool is proposed: tiles are
 * copied out at once, so upstream keeps its own.
 */
void
gst_tile_tracker_propose_allocation (GstQuery * query, gboolean crop_meta)
{
  g_return_if_fail (GST_IS_QUERY (query));

  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  if (crop_meta)
    gst_query_add_allocation_meta (query, GST_VIDEO_CROP_META_API_TYPE, NULL);
  gst_query_add_allocation_meta (query, GST_TILE_META_API_TYPE, NULL);
}

/**
 * gst_tile_tracker_set_caps_result:
 * @query: a CAPS query on a tile consumer's pad
 * @caps: (transfer full): what the pad can take or give, before the query's
 *   filter
 *
 * Answers @query with @caps narrowed by the query's filter, in the filter's
 * order of preference.
 */
void
gst_tile_tracker_set_caps_result (GstQuery * query, GstCaps * caps)
{
  GstCaps *filter = NULL;

  g_return_if_fail (GST_IS_QUERY (query));
  g_return_if_fail (GST_IS_CAPS (caps));

  gst_query_parse_caps (query, &filter);
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (caps);
    caps = tmp;
  }
  gst_query_set_caps_result (query, caps);
  gst_caps_unref (caps);
}
