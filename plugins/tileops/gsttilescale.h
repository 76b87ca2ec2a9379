/* gst-membound: tilescale
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_TILE_SCALE_H__
#define __GST_TILE_SCALE_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gsttilemeta.h"
#include "gsttiletracker.h"
#include "gsttileoutput.h"
#include "gstmessagethrottle.h"

G_BEGIN_DECLS

#define GST_TYPE_TILE_SCALE (gst_tile_scale_get_type ())
G_DECLARE_FINAL_TYPE (GstTileScale, gst_tile_scale, GST, TILE_SCALE, GstElement)

/* The input pixels one output pixel covers along one axis. Lengths are in
 * units where an input pixel is `unit_in` long and an output pixel `unit_out`
 * long, so every coverage is an exact integer. */
typedef struct {
  guint first;
  guint last;
  guint32 w_first;              /* coverage of input pixel @first */
  guint32 w_last;               /* coverage of input pixel @last (if > first) */
} GstTileScaleSpan;

typedef struct {
  guint n_in;
  guint n_out;
  guint32 unit_in;              /* n_out / gcd: coverage of a whole input pixel */
  guint32 unit_out;             /* n_in / gcd: sum of the coverages of one output pixel */
  GstTileScaleSpan *spans;      /* n_out entries */
  guint n_taps;                 /* input pixels the widest span touches */
  guint32 *taps;                /* n_out x n_taps weights, or NULL */
} GstTileScaleAxis;

/* The size properties; copied once per image, so that a change applies from
 * the next image on. */
typedef struct {
  guint width;
  guint height;
  guint tile_height;
} GstTileScaleSettings;

/**
 * GstTileScale:
 *
 * Locking: @settings and @sums_bytes are read and written under the
 * object lock (application thread vs streaming thread); @output locks its
 * pool itself, because flushing and state changes reach it from other
 * threads to wake a streaming thread blocked in acquire. Everything else
 * belongs to the streaming thread.
 */
struct _GstTileScale
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  GstTileScaleSettings settings;
  guint64 sums_bytes;           /* held-bytes besides the output buffer */

  /* negotiation */
  GstVideoInfo in_info;
  gboolean have_in_info;
  gboolean in_caps_changed;     /* since the output caps were chosen */
  GstVideoInfo out_info;
  gboolean have_out_info;
  guint neg_image_width;        /* input size and settings the output */
  guint neg_image_height;       /* caps were negotiated for */
  GstTileScaleSettings neg;
  guint out_width;              /* size of the scaled image */
  guint out_height;
  guint rows_per_buffer;        /* out_height, or the strip height */
  GstTileGrid out_grid;         /* the strips, with tile-height */
  GstTileOutput *output;        /* src caps, held events, output pool */
  GstMessageThrottle *throttle; /* warnings about dropped images */

  /* scaling tables for the negotiated sizes */
  GstTileScaleAxis ax;
  GstTileScaleAxis ay;
  guint channels;               /* samples per pixel */
  guint sample_bytes;           /* 1 or 2 (big-endian) */
  guint col_sum_bytes;          /* 2, 4 or 8: width of one column sum */
  guint64 divisor;              /* ax.unit_out * ay.unit_out */
  guint64 recip;                /* division by @divisor as multiply + shift */
  guint recip_shift;

  /* the image being scaled */
  GstTileTracker tracker;       /* open image, next tile, orphan warnings */
  GstClockTime pts;
  GstClockTime duration;
  GstBuffer *outbuf;            /* output rows buf_y ... being filled */
  GstVideoFrame out_frame;
  guint buf_y;
  guint64 *row_acc;             /* ring of row_acc_rows x n_out x channels */
  guint row_acc_rows;
  gsize row_acc_len;            /* allocated elements */
  gpointer col_acc;             /* tile width x channels, 32 or 64 bit */
  gsize col_acc_bytes;
};

GST_ELEMENT_REGISTER_DECLARE (tilescale);

G_END_DECLS

#endif /* __GST_TILE_SCALE_H__ */
