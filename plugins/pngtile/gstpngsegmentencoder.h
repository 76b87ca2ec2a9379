/* gst-membound: a pool of threads that encode PNG segments
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_SEGMENT_ENCODER_H__
#define __GST_PNG_SEGMENT_ENCODER_H__

#include "gstpngwriter.h"

G_BEGIN_DECLS

/* Segments go in with submit() and come out, encoded, with pop() in the
 * order they went in, whatever order the workers finish in. The pool does
 * not bound itself: its caller keeps in_flight() at its bound (pngtileenc:
 * `threads`) by popping before it submits more. */
typedef struct _GstPngSegmentEncoder GstPngSegmentEncoder;

GstPngSegmentEncoder *gst_png_segment_encoder_new (void);
void gst_png_segment_encoder_free (GstPngSegmentEncoder * encoder);

/* @n_workers threads encode; 0: submit() encodes on the calling thread.
 * Only with nothing in flight. FALSE if the threads cannot be made. */
gboolean gst_png_segment_encoder_start (GstPngSegmentEncoder * encoder,
    guint n_workers, GError ** error);
/* Cancels what is in flight, waits for it and frees it; ends the threads. */
void gst_png_segment_encoder_stop (GstPngSegmentEncoder * encoder);

void gst_png_segment_encoder_submit (GstPngSegmentEncoder * encoder,
    GstPngWriterSegment * segment);
/* The oldest segment in flight once it is encoded (or failed: see
 * gst_png_writer_segment_error()); with @wait FALSE, NULL unless it is done
 * already; NULL when nothing is in flight. */
GstPngWriterSegment *gst_png_segment_encoder_pop (GstPngSegmentEncoder * encoder,
    gboolean wait);
guint gst_png_segment_encoder_in_flight (GstPngSegmentEncoder * encoder);
/* Cancels every segment in flight, waits for the workers to let go of
 * them, and frees them. */
void gst_png_segment_encoder_discard (GstPngSegmentEncoder * encoder);

G_END_DECLS

#endif /* __GST_PNG_SEGMENT_ENCODER_H__ */
