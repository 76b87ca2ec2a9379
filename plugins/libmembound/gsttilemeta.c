/* gst-membound: tile meta
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gsttilemeta.h"

G_DEFINE_FLAGS_TYPE (GstTileMetaFlags, gst_tile_meta_flags,
    G_DEFINE_ENUM_VALUE (GST_TILE_META_FLAG_NONE, "none"),
    G_DEFINE_ENUM_VALUE (GST_TILE_META_FLAG_FIRST_OF_IMAGE, "first-of-image"),
    G_DEFINE_ENUM_VALUE (GST_TILE_META_FLAG_LAST_OF_IMAGE, "last-of-image"));

GType
gst_tile_meta_api_get_type (void)
{
  static gsize type = 0;
  /* The "size" tag makes geometry-changing elements (videoscale, videoflip,
   * videoconvertscale with a new size) call our transform function, which
   * drops the meta; elements that keep geometry copy it. */
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR,
    GST_META_TAG_VIDEO_SIZE_STR, NULL
  };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstTileMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* The fields after the GstMeta header. */
#define TILE_META_FIELDS(m) ((guint8 *) (m) + sizeof (GstMeta))
#define TILE_META_FIELDS_SIZE (sizeof (GstTileMeta) - sizeof (GstMeta))

static gboolean
gst_tile_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  memset (TILE_META_FIELDS (meta), 0, TILE_META_FIELDS_SIZE);
  return TRUE;
}

static gboolean
gst_tile_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer,
    GQuark type, gpointer data)
{
  GstMeta *dest_meta;

  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = data;

    /* A sub-region of a tile no longer has the tile's geometry. */
    if (copy->region && (copy->offset != 0
            || (copy->size != (gsize) - 1
                && copy->size != gst_buffer_get_size (buffer))))
      return TRUE;
  } else if (GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    GstVideoMetaTransform *trans = data;

    /* Only a "scale" to the same size (a format conversion) keeps the grid. */
    if (GST_VIDEO_INFO_WIDTH (trans->in_info) !=
        GST_VIDEO_INFO_WIDTH (trans->out_info)
        || GST_VIDEO_INFO_HEIGHT (trans->in_info) !=
        GST_VIDEO_INFO_HEIGHT (trans->out_info))
      return TRUE;
  } else {
    /* Unknown transformation: the geometry may not hold any more. */
    return TRUE;
  }

  dest_meta = gst_buffer_add_meta (dest, GST_TILE_META_INFO, NULL);
  if (!dest_meta)
    return FALSE;
  memcpy (TILE_META_FIELDS (dest_meta), TILE_META_FIELDS (meta),
      TILE_META_FIELDS_SIZE);
  return TRUE;
}

const GstMetaInfo *
gst_tile_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_TILE_META_API_TYPE,
        "GstTileMeta", sizeof (GstTileMeta), gst_tile_meta_init, NULL,
        gst_tile_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

/**
 * gst_buffer_add_tile_meta:
 * @buffer: a writable #GstBuffer
 * @image_index: 0-based position of the image in the stream
 * @image_width: image width in pixels
 * @image_height: image height in pixels
 * @x: left edge of the tile
 * @y: top edge of the tile
 * @width: valid width of the tile
 * @height: valid height of the tile
 * @column: tile column
 * @row: tile row
 * @n_columns: number of tile columns
 * @n_rows: number of tile rows
 *
 * Attaches a #GstTileMeta. The first/last-of-image flags follow from @column,
 * @row, @n_columns and @n_rows.
 *
 * Returns: (transfer none): the new meta
 */
GstTileMeta *
gst_buffer_add_tile_meta (GstBuffer * buffer, guint64 image_index,
    guint image_width, guint image_height, guint x, guint y, guint width,
    guint height, guint column, guint row, guint n_columns, guint n_rows)
{
  GstTileMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (column < n_columns && row < n_rows, NULL);

  meta = (GstTileMeta *) gst_buffer_add_meta (buffer, GST_TILE_META_INFO, NULL);
  if (!meta)
    return NULL;

  meta->image_index = image_index;
  meta->image_width = image_width;
  meta->image_height = image_height;
  meta->x = x;
  meta->y = y;
  meta->width = width;
  meta->height = height;
  meta->column = column;
  meta->row = row;
  meta->n_columns = n_columns;
  meta->n_rows = n_rows;
  if (column == 0 && row == 0)
    meta->flags |= GST_TILE_META_FLAG_FIRST_OF_IMAGE;
  if (column == n_columns - 1 && row == n_rows - 1)
    meta->flags |= GST_TILE_META_FLAG_LAST_OF_IMAGE;
  return meta;
}

/**
 * gst_buffer_get_tile_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the #GstTileMeta of @buffer, or %NULL
 */
GstTileMeta *
gst_buffer_get_tile_meta (GstBuffer * buffer)
{
  return (GstTileMeta *) gst_buffer_get_meta (buffer, GST_TILE_META_API_TYPE);
}

/**
 * gst_tile_meta_is_first:
 * @meta: a #GstTileMeta
 *
 * Returns: whether this is the first tile of its image
 */
gboolean
gst_tile_meta_is_first (const GstTileMeta * meta)
{
  return (meta->flags & GST_TILE_META_FLAG_FIRST_OF_IMAGE) != 0;
}

/**
 * gst_tile_meta_is_last:
 * @meta: a #GstTileMeta
 *
 * Returns: whether this is the last tile of its image
 */
gboolean
gst_tile_meta_is_last (const GstTileMeta * meta)
{
  return (meta->flags & GST_TILE_META_FLAG_LAST_OF_IMAGE) != 0;
}

/**
 * gst_tile_grid_init:
 * @grid: (out caller-allocates): the grid to fill
 * @image_width: image width in pixels, > 0
 * @image_height: image height in pixels, > 0
 * @tile_width: tile width in pixels; 0 or more than @image_width means
 *   full-width strips
 * @tile_height: tile height in rows, > 0; more than @image_height is clamped
 *
 * Cuts an image into a grid of equal tiles; the last column and row may be
 * partly outside the image.
 *
 * Returns: %FALSE if a size is zero
 */
gboolean
gst_tile_grid_init (GstTileGrid * grid, guint image_width, guint image_height,
    guint tile_width, guint tile_height)
{
  g_return_val_if_fail (grid != NULL, FALSE);

  if (image_width == 0 || image_height == 0 || tile_height == 0)
    return FALSE;

  if (tile_width == 0 || tile_width > image_width)
    tile_width = image_width;
  if (tile_height > image_height)
    tile_height = image_height;

  grid->image_width = image_width;
  grid->image_height = image_height;
  grid->tile_width = tile_width;
  grid->tile_height = tile_height;
  grid->n_columns = (image_width - 1) / tile_width + 1;
  grid->n_rows = (image_height - 1) / tile_height + 1;
  return TRUE;
}

/**
 * gst_tile_grid_rows_for_bytes:
 * @row_bytes: bytes of one full row of the tile
 * @target_bytes: wanted bytes per tile
 * @max_rows: upper bound on the result (0 = none)
 *
 * Picks a tile height in rows so that a tile holds about @target_bytes: the
 * same byte budget whatever the image width.
 *
 * Returns: a row count, at least 1
 */
guint
gst_tile_grid_rows_for_bytes (guint64 row_bytes, guint64 target_bytes,
    guint max_rows)
{
  guint64 rows;

  if (row_bytes == 0)
    return 1;
  rows = MAX (target_bytes / row_bytes, 1);
  if (max_rows > 0)
    rows = MIN (rows, max_rows);
  return (guint) MIN (rows, G_MAXUINT);
}

/**
 * gst_tile_grid_tile_rect:
 * @grid: a #GstTileGrid
 * @column: tile column
 * @row: tile row
 * @x: (out) (optional): left edge
 * @y: (out) (optional): top edge
 * @width: (out) (optional): valid width
 * @height: (out) (optional): valid height
 *
 * The valid region of one tile in image coordinates.
 */
void
gst_tile_grid_tile_rect (const GstTileGrid * grid, guint column, guint row,
    guint * x, guint * y, guint * width, guint * height)
{
  guint tx = column * grid->tile_width;
  guint ty = row * grid->tile_height;

  if (x)
    *x = tx;
  if (y)
    *y = ty;
  if (width)
    *width = MIN (grid->tile_width, grid->image_width - tx);
  if (height)
    *height = MIN (grid->tile_height, grid->image_height - ty);
}

/**
 * gst_tile_grid_add_meta:
 * @grid: a #GstTileGrid
 * @buffer: a writable #GstBuffer holding one tile
 * @image_index: 0-based image index
 * @column: tile column
 * @row: tile row
 *
 * Attaches the #GstTileMeta of tile (@column, @row) and, for an edge tile
 * whose valid region is smaller than the buffer, a #GstVideoCropMeta with
 * that region, so that stock elements see only valid pixels too.
 *
 * Returns: (transfer none): the new tile meta
 */
GstTileMeta *
gst_tile_grid_add_meta (const GstTileGrid * grid, GstBuffer * buffer,
    guint64 image_index, guint column, guint row)
{
  guint x, y, w, h;

  g_return_val_if_fail (grid != NULL, NULL);
  g_return_val_if_fail (column < grid->n_columns && row < grid->n_rows, NULL);

  gst_tile_grid_tile_rect (grid, column, row, &x, &y, &w, &h);
  if (w < grid->tile_width || h < grid->tile_height) {
    GstVideoCropMeta *crop = gst_buffer_add_video_crop_meta (buffer);

    crop->x = 0;
    crop->y = 0;
    crop->width = w;
    crop->height = h;
  }
  return gst_buffer_add_tile_meta (buffer, image_index, grid->image_width,
      grid->image_height, x, y, w, h, column, row, grid->n_columns,
      grid->n_rows);
}

/**
 * gst_tile_pool_max_buffers:
 * @buffer_size: size of one pool buffer in bytes
 * @wanted: the bound the element needs (e.g. two rows of tiles)
 *
 * The max-buffers bound for a tile or frame pool: @wanted, raised so that the
 * pool holds at least #GST_TILE_POOL_MIN_BYTES. The pool stays bounded in
 * bytes; only tiny buffers get a larger count.
 *
 * Returns: the number of buffers to allow, at least @wanted and at least 1
 */
guint
gst_tile_pool_max_buffers (guint buffer_size, guint wanted)
{
  guint64 floor_count;

  if (buffer_size == 0)
    return MAX (wanted, 1);
  floor_count = (GST_TILE_POOL_MIN_BYTES + buffer_size - 1) / buffer_size;
  return (guint) MAX ((guint64) MAX (wanted, 1), floor_count + 1);
}
