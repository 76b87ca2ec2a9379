/* gst-membound: pngtileenc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_TILE_ENC_H__
#define __GST_PNG_TILE_ENC_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include "gsttiletracker.h"
#include "gsttileoutput.h"
#include "gstpngwriter.h"
#include "gstpngsegmentencoder.h"

G_BEGIN_DECLS

/* The row filter property's values are the writer's GstPngWriterFilter;
 * the GType keeps the element's name. */
#define GST_TYPE_PNG_TILE_ENC_FILTER (gst_png_tile_enc_filter_get_type ())
GType gst_png_tile_enc_filter_get_type (void);

#define GST_TYPE_PNG_TILE_ENC (gst_png_tile_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstPngTileEnc, gst_png_tile_enc, GST, PNG_TILE_ENC, GstElement)

/* Settings of the properties, copied once per image. */
typedef struct
{
  GstPngWriterSettings writer;
  guint threads;                /* 0: one per core */
  guint output_buffer_size;
} GstPngTileEncSettings;

/* Threading: settings are guarded by the object lock and apply from the next
 * image on; band_held and out_held are read under it too, segments_held
 * atomically (workers change it). The segments of an image are written by
 * the segment encoder's write function, on the worker that finishes the
 * oldest one (see gstpngsegmentencoder.c): the output fields (out_*,
 * downstream_flow, segment_error, and the writer's position in png_writer)
 * belong to that thread while segments are in flight, and to the streaming
 * thread otherwise: it writes the header before the first segment is
 * submitted, and the end of the image after waiting for the last one to be
 * written; the encoder's lock orders the hand-overs. pts, duration and
 * out_offset are set before the first segment and only read while segments
 * are in flight. Everything else is touched only by the streaming thread
 * (chain and serialized events) or by the state change after the pads are
 * deactivated. The streaming thread waits in the segment encoder while
 * more than `threads` segments are in flight: that is how upstream is
 * blocked. The segments that lie wholly in an image's last strip (all of a
 * whole frame) are read from the input buffer in place, at most `threads`
 * at once, one of them encoded by the streaming thread itself when the
 * workers have the others; it waits for them all to be written before it
 * lets go of the buffer (as the image ends there, it would anyway). */
struct _GstPngTileEnc
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;
  GstTileOutput *output;        /* caps, and the events that wait for them */

  GstPngTileEncSettings settings;
  guint64 band_held;            /* the band */
  guint64 out_held;             /* the output buffer */
  gsize segments_held;          /* segments: rows, IDAT data, compressors */

  /* input */
  GstVideoInfo info;
  gboolean have_info;
  GstSegment segment;
  /* file, open image, next tile, and an image whose remaining tiles are
   * dropped; outside begin_image() an image is open exactly while
   * png_writer is */
  GstTileTracker tracker;

  /* the image being encoded; png_writer != NULL while one is open */
  GstPngTileEncSettings image_settings;
  GstPngWriter *png_writer;
  GstPngSegmentEncoder *segment_encoder;
  GstPngWriterSegment *filling;       /* the segment rows go into, or NULL */
  guint next_segment;           /* index of the next segment to begin */
  guint in_flight_bound;        /* segments handed to the encoder, at most */
  gchar *png_error;             /* why the writer stopped */
  gchar *segment_error;         /* why a segment failed (written by the
                                 * thread writing segments) */
  GstFlowReturn downstream_flow;        /* the writer stopped for downstream */
  GstClockTime pts;
  GstClockTime duration;
  guint64 out_offset;           /* GST_BUFFER_OFFSET: the image index */
  guint rows_written;
  gsize pixel_stride;           /* input bytes per pixel */

  /* one tile row of the image, full width: tiles are copied in and released
   * at once, so an upstream buffer pool is never starved by us */
  guint8 *band;
  gsize band_stride;
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
