/* gst-membound: tilecompose
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_TILE_COMPOSE_H__
#define __GST_TILE_COMPOSE_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gsttilemeta.h"
#include "gsttiletracker.h"

G_BEGIN_DECLS

#define GST_TYPE_TILE_COMPOSE (gst_tile_compose_get_type ())
G_DECLARE_FINAL_TYPE (GstTileCompose, gst_tile_compose, GST, TILE_COMPOSE, GstElement)

/*
 * Threads and locks: the streaming thread owns everything about the frame
 * being composed (out_frame, tracker, in_info, out_info) and only ever touches
 * it under the sink pad's stream lock (chain, serialized events).
 *
 * The object lock guards what other threads read or change: @pool (a
 * FLUSH_START or a state change sets it flushing to wake a chain blocked in
 * gst_buffer_pool_acquire_buffer() because downstream still holds every
 * frame), @flushing, @max_frame_bytes and @held_bytes.
 */
struct _GstTileCompose
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties */
  guint64 max_frame_bytes;

  /* object lock */
  GstBufferPool *pool;
  gboolean flushing;
  guint64 held_bytes;

  /* stream lock */
  GstTileTracker tracker;       /* file, image and next tile; an open image
                                 * means out_frame is mapped and being filled */
  gboolean have_in_info;
  GstVideoInfo in_info;         /* one tile, from the sink caps */
  gboolean have_out_info;
  GstVideoInfo out_info;        /* one whole image, on the src caps */

  GstVideoFrame out_frame;
};

GST_ELEMENT_REGISTER_DECLARE (tilecompose);

G_END_DECLS

#endif /* __GST_TILE_COMPOSE_H__ */
