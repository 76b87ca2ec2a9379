/* gst-membound: tilecompose
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_TILE_COMPOSE_H__
#define __GST_TILE_COMPOSE_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gsttiletracker.h"
#include "gsttileoutput.h"

G_BEGIN_DECLS

#define GST_TYPE_TILE_COMPOSE (gst_tile_compose_get_type ())
G_DECLARE_FINAL_TYPE (GstTileCompose, gst_tile_compose, GST, TILE_COMPOSE, GstElement)

/*
 * Threads and locks: the streaming thread owns everything about the frame
 * being composed (out_frame, tracker, in_info, out_info) and only ever touches
 * it under the sink pad's stream lock (chain, serialized events).
 *
 * The object lock guards @max_frame_bytes. @output locks its pool itself:
 * a FLUSH_START or a state change sets it flushing to wake a chain blocked
 * in gst_tile_output_acquire() because downstream still holds every frame.
 */
struct _GstTileCompose
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties */
  guint64 max_frame_bytes;

  GstTileOutput *output;        /* src caps, held events, frame pool */

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
