/* gst-membound: the output path of a tile producer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_TILE_OUTPUT_H__
#define __GST_TILE_OUTPUT_H__

#include <gst/gst.h>

#include "gstmemboundapi.h"

G_BEGIN_DECLS

/**
 * GstTileOutput:
 *
 * The output side of an element that makes its own buffers (tiles, strips,
 * frames, PNG bytes): its src caps and the sticky events that must follow
 * them, and a bounded buffer pool. Opaque; see gst_tile_output_new().
 */
typedef struct _GstTileOutput GstTileOutput;

#define GST_TYPE_TILE_OUTPUT (gst_tile_output_get_type ())
GST_MEMBOUND_API
GType gst_tile_output_get_type (void);

GST_MEMBOUND_API
GstTileOutput *gst_tile_output_new (GstPad * sinkpad, GstPad * srcpad);

GST_MEMBOUND_API
GstTileOutput *gst_tile_output_ref (GstTileOutput * output);

GST_MEMBOUND_API
void gst_tile_output_unref (GstTileOutput * output);

GST_MEMBOUND_API
gboolean gst_tile_output_hold_event (GstTileOutput * output,
    GstEvent * event);

GST_MEMBOUND_API
gboolean gst_tile_output_push_event (GstTileOutput * output,
    GstEvent * event);

GST_MEMBOUND_API
gboolean gst_tile_output_set_caps (GstTileOutput * output, GstCaps * caps);

GST_MEMBOUND_API
gboolean gst_tile_output_has_caps (GstTileOutput * output);

GST_MEMBOUND_API
GstFlowReturn gst_tile_output_negotiate_pool (GstTileOutput * output,
    GstCaps * caps, guint buffer_size, guint bound);

GST_MEMBOUND_API
gboolean gst_tile_output_has_pool (GstTileOutput * output);

GST_MEMBOUND_API
guint gst_tile_output_get_max_buffers (GstTileOutput * output);

GST_MEMBOUND_API
GstFlowReturn gst_tile_output_acquire (GstTileOutput * output,
    GstBuffer ** buffer);

GST_MEMBOUND_API
GstFlowReturn gst_tile_output_push (GstTileOutput * output,
    GstBuffer * buffer);

GST_MEMBOUND_API
void gst_tile_output_drop (GstTileOutput * output, GstBuffer * buffer);

GST_MEMBOUND_API
guint64 gst_tile_output_get_held_bytes (GstTileOutput * output);

GST_MEMBOUND_API
void gst_tile_output_set_flushing (GstTileOutput * output,
    gboolean flushing);

GST_MEMBOUND_API
void gst_tile_output_reset (GstTileOutput * output);

G_END_DECLS

#endif /* __GST_TILE_OUTPUT_H__ */
