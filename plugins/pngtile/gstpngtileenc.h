/* gst-membound: pngtileenc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_TILE_ENC_H__
#define __GST_PNG_TILE_ENC_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <png.h>

#include "gsttiletracker.h"
#include "gstpngalloc.h"

G_BEGIN_DECLS

/**
 * GstPngTileEncFilter:
 * @GST_PNG_TILE_ENC_FILTER_ADAPTIVE: libpng picks a filter per row (tries all
 *   five)
 * @GST_PNG_TILE_ENC_FILTER_NONE: no filtering
 * @GST_PNG_TILE_ENC_FILTER_SUB: difference to the left pixel
 * @GST_PNG_TILE_ENC_FILTER_UP: difference to the pixel above
 * @GST_PNG_TILE_ENC_FILTER_AVERAGE: difference to the mean of left and above
 * @GST_PNG_TILE_ENC_FILTER_PAETH: Paeth predictor
 *
 * PNG row filter.
 */
typedef enum {
  GST_PNG_TILE_ENC_FILTER_ADAPTIVE,
  GST_PNG_TILE_ENC_FILTER_NONE,
  GST_PNG_TILE_ENC_FILTER_SUB,
  GST_PNG_TILE_ENC_FILTER_UP,
  GST_PNG_TILE_ENC_FILTER_AVERAGE,
  GST_PNG_TILE_ENC_FILTER_PAETH,
} GstPngTileEncFilter;

#define GST_TYPE_PNG_TILE_ENC_FILTER (gst_png_tile_enc_filter_get_type ())
GType gst_png_tile_enc_filter_get_type (void);

#define GST_TYPE_PNG_TILE_ENC (gst_png_tile_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstPngTileEnc, gst_png_tile_enc, GST, PNG_TILE_ENC, GstElement)

/* Threading: everything below except the properties and held_bytes is
 * touched only by the streaming thread (chain and serialized events) or by
 * the state change after the pads are deactivated. Properties and held_bytes
 * are guarded by the object lock; property changes apply from the next image
 * on. */
struct _GstPngTileEnc
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties */
  gint compression_level;
  GstPngTileEncFilter filter;
  guint output_buffer_size;
  guint64 held_bytes;

  /* input */
  GstVideoInfo info;
  gboolean have_info;
  GstSegment segment;
  /* file, open image, next tile, and an image whose remaining tiles are
   * dropped; outside begin_image() an image is open exactly while png is */
  GstTileTracker tracker;

  /* output negotiation: sticky events wait until the first image fixes the
   * output caps, because a segment must not precede caps */
  GstCaps *src_caps;
  GList *pending_events;

  /* the image being encoded; png != NULL while one is open */
  png_structp png;
  png_infop png_info;
  gchar *png_error;
  GstPngAllocCount png_alloc;   /* what libpng and zlib hold right now */
  GstFlowReturn downstream_flow;
  GstVideoFormat image_format;
  gsize pixel_stride;           /* input bytes per pixel */
  GstClockTime pts;
  GstClockTime duration;
  guint rows_written;

  /* one tile row of the image, full width: tiles are copied in and released
   * at once, so an upstream buffer pool is never starved by us */
  guint8 *band;
  gsize band_stride;
  gsize band_alloc;
  guint band_height;

  /* the output buffer being filled */
  guint8 *out_data;
  gsize out_size;
  gsize out_fill;
  guint out_pushed;             /* buffers pushed for the current image */
  guint images_started;         /* count of the force-key-unit events */
};

GST_ELEMENT_REGISTER_DECLARE (pngtileenc);

G_END_DECLS

#endif /* __GST_PNG_TILE_ENC_H__ */
