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
#include "gstmessagethrottle.h"
#include "gsttileoutput.h"
#include "gstpngidatinflater.h"
#include "gstpnginflatethread.h"
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

/* The properties. Set under the object lock; an image decodes with the copy
 * taken when it starts, so a change applies from the next image on. */
typedef struct {
  guint tile_width;
  guint tile_height;
  guint64 max_pixels;
  guint64 max_interlaced_bytes;
  GstPngTileDecOnError on_error;
  guint progress_rows;
  gboolean fast_inflate;        /* and the build has ISA-L */
  guint threads;
} GstPngTileDecSettings;

/* signature, IHDR length and type, width, height */
#define GST_PNG_TILE_DEC_HEAD_BYTES 24

/* The decoder's own walk over the chunks of an image: lengths and names
 * only, so that a chunk libpng would keep whole is refused at its header
 * (CRCs and the zlib stream are checked by the inflater, or by libpng). */
typedef struct {
  guint64 skip;                 /* bytes up to the next chunk header */
  guint8 header[8];
  guint header_len;
  gboolean at_iend;             /* IEND's header seen: the walk is over */
} GstPngTileDecChunkWalk;

/* The image being decoded. gst_png_tile_dec_start_image() sets all of it in
 * one assignment; gst_png_tile_dec_drop_image() frees what it owns. */
typedef struct {
  GstPngTileDecSettings settings;
  guint64 index;
  gchar *location;
  GstClockTime pts;
  GstClockTime duration;
  guint64 bytes;                /* input bytes of the image consumed */
  guint8 head[GST_PNG_TILE_DEC_HEAD_BYTES];
  guint head_len;
  GstPngTileDecChunkWalk walk;
  gboolean ended;               /* libpng saw IEND */
  gsize end_remaining;          /* bytes libpng did not look at after IEND */
  /* threads decoding it: 1 is the streaming thread alone; more, one
   * inflating ahead of libpng and as many decoding restart-marker segments */
  guint threads;

  guint width, height;
  gsize rowbytes;               /* > 0: libpng is past the header */
  guint8 *interlace_buffer;     /* set for an interlaced image */
  guint rows_done;
} GstPngTileDecImage;

#define GST_TYPE_PNG_TILE_DEC (gst_png_tile_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstPngTileDec, gst_png_tile_dec, GST, PNG_TILE_DEC, GstElement)

/* Locking: settings and the held-bytes counters are guarded by the object
 * lock. Everything else belongs to the streaming thread (the sink pad's
 * stream lock). The streaming thread may block in gst_tile_output_acquire()
 * when downstream holds every tile of the pool; FLUSH_START and
 * PAUSED->READY wake it with gst_tile_output_set_flushing(). */
struct _GstPngTileDec
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  GstPngTileDecSettings settings;
  GstMessageThrottle *progress_throttle;
  /* the bounded pool, caps and the sticky events held until them; it
   * counts the tiles acquired and not yet pushed */
  GstTileOutput *output;

  /* held-bytes read-out, besides the output's tiles */
  guint64 held_interlace_bytes;
  guint64 held_decoder_bytes;   /* libpng and zlib, and the inflater */

  /* stream */
  gboolean pull_started;
  guint64 pull_offset;          /* of the next block to read */
  /* the block after the one being decoded, read while the inflate thread
   * works (one more pull block held), and how its read went; mapped while
   * the inflate thread may read it ahead, until it is decoded */
  GstBuffer *pull_ahead;
  GstFlowReturn pull_ahead_flow;
  GstMapInfo pull_ahead_map;
  GstMapInfo pull_current_map;
  GstPngTileDecState state;
  GstFlowReturn failed_flow;
  guint64 next_index;
  gint fps_n, fps_d;
  gchar *location;
  gboolean upstream_marks_delta;
  gboolean location_announced;
  gboolean buffer_pts_used;
  guint sig_matched;            /* in RESYNC; 0 whenever it is left */
  gboolean need_discont;

  /* libpng's reader of the current image; png != NULL while one is open.
   * The names are pngtileenc's. */
  png_structp png;
  png_infop png_info;
  gchar *png_error;             /* why libpng stopped; the first reason wins */
  GstPngAllocCount png_alloc;   /* what libpng and zlib hold */
  GstFlowReturn downstream_flow;        /* libpng stopped for downstream */
  GstPngIdatInflater *inflater; /* NULL without ISA-L */
  GstPngInflateThread *inflate_thread;  /* runs it ahead, threads != 1 */
  GstPngTileDecImage image;

  /* output */
  GstVideoInfo out_info;
  GstTileGrid grid;
  guint pool_columns;
  GstPngTileDecTile *tiles;     /* grid.n_columns of them */
  gboolean tiles_acquired;
  guint tile_row;
  guint rows_in_tile;
};

GST_ELEMENT_REGISTER_DECLARE (pngtiledec);

G_END_DECLS

#endif /* __GST_PNG_TILE_DEC_H__ */
