/* gst-membound: tile meta
 *
 * A GstTileMeta says where a buffer's pixels sit in the image they came from.
 * Tile producers (pngtiledec) attach it; tile consumers (tilecompose,
 * tilescale, pngtileenc) read it instead of guessing geometry from caps,
 * because the caps of a tiled stream describe one tile, not the image.
 */
#ifndef __GST_TILE_META_H__
#define __GST_TILE_META_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmemboundapi.h"

G_BEGIN_DECLS

/**
 * GstTileMetaFlags:
 * @GST_TILE_META_FLAG_NONE: an inner tile
 * @GST_TILE_META_FLAG_FIRST_OF_IMAGE: the first tile of its image
 * @GST_TILE_META_FLAG_LAST_OF_IMAGE: the last tile of its image; after it the
 *   image is complete
 *
 * Position of a tile in the sequence of tiles of one image.
 */
typedef enum {
  GST_TILE_META_FLAG_NONE = 0,
  GST_TILE_META_FLAG_FIRST_OF_IMAGE = (1 << 0),
  GST_TILE_META_FLAG_LAST_OF_IMAGE = (1 << 1),
} GstTileMetaFlags;

#define GST_TYPE_TILE_META_FLAGS (gst_tile_meta_flags_get_type ())
GST_MEMBOUND_API GType gst_tile_meta_flags_get_type (void);

typedef struct _GstTileMeta GstTileMeta;

/**
 * GstTileMeta:
 * @meta: parent #GstMeta
 * @image_index: 0-based position of the image in the stream
 * @image_width: width of the whole image, in pixels
 * @image_height: height of the whole image, in pixels
 * @x: left edge of the tile in the image, in pixels
 * @y: top edge of the tile in the image, in pixels
 * @width: valid pixels per row in this tile (less than the caps width at the
 *   right edge of the image)
 * @height: valid rows in this tile (less than the caps height at the bottom)
 * @column: 0-based column of the tile in the tile grid
 * @row: 0-based row of the tile in the tile grid
 * @n_columns: number of tile columns of the image
 * @n_rows: number of tile rows of the image
 * @flags: #GstTileMetaFlags
 *
 * Geometry of one tile of one image. The buffer's caps give the tile's
 * allocated size (equal for all tiles of an image); the valid region is the
 * top-left @width x @height pixels of the buffer, the rest is zero padding.
 *
 * Tiles of one image arrive in row-major order: all columns of row 0, then
 * row 1, and so on.
 */
struct _GstTileMeta {
  GstMeta meta;

  guint64 image_index;
  guint image_width;
  guint image_height;

  guint x;
  guint y;
  guint width;
  guint height;

  guint column;
  guint row;
  guint n_columns;
  guint n_rows;

  GstTileMetaFlags flags;
};

#define GST_TILE_META_API_TYPE (gst_tile_meta_api_get_type ())
#define GST_TILE_META_INFO (gst_tile_meta_get_info ())

GST_MEMBOUND_API GType gst_tile_meta_api_get_type (void);
GST_MEMBOUND_API const GstMetaInfo *gst_tile_meta_get_info (void);

GST_MEMBOUND_API
GstTileMeta *gst_buffer_get_tile_meta (GstBuffer * buffer);

GST_MEMBOUND_API
GstTileMeta *gst_buffer_add_tile_meta (GstBuffer * buffer, guint64 image_index,
    guint image_width, guint image_height, guint x, guint y, guint width,
    guint height, guint column, guint row, guint n_columns, guint n_rows);

GST_MEMBOUND_API
gboolean gst_tile_meta_is_first (const GstTileMeta * meta);

GST_MEMBOUND_API
gboolean gst_tile_meta_is_last (const GstTileMeta * meta);

/* --- Tile geometry: one place computes the grid for every element. --- */

/**
 * GstTileGrid:
 * @image_width: image width in pixels
 * @image_height: image height in pixels
 * @tile_width: allocated tile width in pixels (image width for strips)
 * @tile_height: allocated tile height in rows
 * @n_columns: number of tile columns
 * @n_rows: number of tile rows
 *
 * How an image is cut into tiles.
 */
typedef struct {
  guint image_width;
  guint image_height;
  guint tile_width;
  guint tile_height;
  guint n_columns;
  guint n_rows;
} GstTileGrid;

GST_MEMBOUND_API
gboolean gst_tile_grid_init (GstTileGrid * grid, guint image_width,
    guint image_height, guint tile_width, guint tile_height);

GST_MEMBOUND_API
guint gst_tile_grid_rows_for_bytes (guint64 row_bytes, guint64 target_bytes,
    guint max_rows);

GST_MEMBOUND_API
void gst_tile_grid_tile_rect (const GstTileGrid * grid, guint column, guint row,
    guint * x, guint * y, guint * width, guint * height);

GST_MEMBOUND_API
GstTileMeta *gst_tile_grid_add_meta (const GstTileGrid * grid,
    GstBuffer * buffer, guint64 image_index, guint column, guint row);

/**
 * GST_TILE_POOL_MIN_BYTES:
 *
 * Bytes a bounded tile or frame pool always allows, however small its
 * buffers: sinks that batch small buffers before writing (filesink keeps
 * references until 64 KiB have gathered) must not starve the pool.
 */
#define GST_TILE_POOL_MIN_BYTES (256 * 1024)

GST_MEMBOUND_API
guint gst_tile_pool_max_buffers (guint buffer_size, guint wanted);

G_END_DECLS

#endif /* __GST_TILE_META_H__ */
