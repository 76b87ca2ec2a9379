/* gst-membound: pngtiledec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_TILE_DEC_H__
#define __GST_PNG_TILE_DEC_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <png.h>

#include "gsttilemeta.h"
#include "gstpngidatinflater.h"
#include "gstpngalloc.h"

G_BEGIN_DECLS

/**
 * GstPngTileDecOnError:
 * @GST_PNG_TILE_DEC_ON_ERROR_FAIL: post an error and stop
 * @GST_PNG_TILE_DEC_ON_ERROR_SKIP: post a warning, drop the rest of the image
 *   and continue with the next PNG in the stream
 */
typedef enum {
  GST_PNG_TILE_DEC_ON_ERROR_FAIL,
  GST_PNG_TILE_DEC_ON_ERROR_SKIP,
} GstPngTileDecOnError;

#define GST_TYPE_PNG_TILE_DEC_ON_ERROR (gst_png_tile_dec_on_error_get_type ())
GType gst_png_tile_dec_on_error_get_type (void);

/* Where the byte stream is, between and inside images. */
typedef enum {
  GST_PNG_TILE_DEC_STATE_IDLE,      /* the next byte starts an image */
  GST_PNG_TILE_DEC_STATE_DECODING,  /* libpng owns the bytes of an image */
  GST_PNG_TILE_DEC_STATE_RESYNC,    /* skipping: looking for a PNG signature */
  GST_PNG_TILE_DEC_STATE_FAILED,    /* dropping everything until flush/reset */
} GstPngTileDecState;

/* One tile of the tile row being filled: a pool buffer mapped for writing
 * plus where its bytes come from in a decoded row. */
typedef struct {
  GstBuffer *buffer;
  GstVideoFrame frame;
  guint8 *data;
  gsize stride;
  gsize src_offset;
  gsize copy_bytes;
} GstPngTileDecTile;

#define GST_TYPE_PNG_TILE_DEC (gst_png_tile_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstPngTileDec, gst_png_tile_dec, GST, PNG_TILE_DEC, GstElement)

/* Locking: properties, the pool pointer, `flushing` and the held-bytes
 * counters are guarded by the object lock. Everything else belongs to the
 * streaming thread (the sink pad's stream lock). The streaming thread may
 * block in gst_buffer_pool_acquire_buffer() when downstream holds every tile
 * of the pool; FLUSH_START and PAUSED->READY wake it by setting the pool
 * flushing. */
struct _GstPngTileDec
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties */
  guint tile_width;
  guint tile_height;
  guint64 max_pixels;
  guint64 max_interlaced_bytes;
  GstPngTileDecOnError on_error;
  guint progress_rows;
  gboolean fast_inflate;

  /* held-bytes read-out */
  guint64 held_tile_bytes;
  guint64 held_interlace_bytes;
  guint64 held_decoder_bytes;   /* libpng and zlib, and the inflater */

  GstBufferPool *pool;
  gboolean flushing;

  /* stream */
  gboolean pull_mode;
  gboolean pull_started;
  guint64 pull_offset;
  GstPngTileDecState state;
  GstFlowReturn failed_flow;
  guint64 next_index;
  gint fps_n, fps_d;
  gchar *location;
  gboolean upstream_marks_delta;
  gboolean location_announced;
  gboolean buffer_pts_used;
  guint sig_matched;
  GstEvent *pending_segment;
  gboolean need_discont;

  /* the image being decoded; settings are copied at its start */
  png_structp png;
  GstPngAllocCount libpng_alloc;  /* what libpng and zlib hold */
  GstPngIdatInflater *inflater;   /* NULL without ISA-L */
  png_infop info;
  guint64 image_index;
  gchar *image_location;
  GstClockTime image_pts;
  GstClockTime image_duration;
  GstPngTileDecOnError image_on_error;
  guint64 image_max_pixels;
  guint64 image_max_interlaced_bytes;
  guint image_progress_rows;
  gboolean image_fast_inflate;
  guint image_tile_width;
  guint image_tile_height;
  guint64 image_bytes;
  guint8 head[24];
  guint head_len;
  gboolean image_ended;
  gsize end_remaining;
  GstFlowReturn callback_flow;
  gchar reason[512];

  guint width, height;
  gsize rowbytes;
  gboolean interlaced;
  guint8 *interlace_buffer;
  guint rows_done;

  /* output */
  gboolean have_caps;
  GstVideoInfo out_info;
  GstTileGrid grid;
  guint pool_columns;
  GstPngTileDecTile *tiles;
  guint n_tiles;
  gboolean tiles_acquired;
  guint tile_row;
  guint rows_in_tile;
};

GST_ELEMENT_REGISTER_DECLARE (pngtiledec);

G_END_DECLS

#endif /* __GST_PNG_TILE_DEC_H__ */
