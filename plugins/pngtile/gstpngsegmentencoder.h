/* gst-membound: a pool of threads that encode PNG segments
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_SEGMENT_ENCODER_H__
#define __GST_PNG_SEGMENT_ENCODER_H__

#include "gstpngwriter.h"

G_BEGIN_DECLS

/* Segments go in with submit() and are handed to the write function,
 * encoded, in the order they went in, whatever order the workers finish
 * in. The pool does not bound itself: its caller keeps in_flight() at its
 * bound (pngtileenc: `threads`) with wait(). */
typedef struct _GstPngSegmentEncoder GstPngSegmentEncoder;

/* Called with each segment once it is encoded (or failed: see
 * gst_png_writer_segment_error()), in order, one call at a time, on
 * whichever thread finished the segments before it: a worker, or the
 * caller of submit() without workers. The segment is freed when it
 * returns. FALSE stops the writing: no later segment is written until
 * discard(). */
typedef gboolean (*GstPngSegmentWriteFunc) (GstPngWriterSegment * segment,
    gpointer user_data);

GstPngSegmentEncoder *gst_png_segment_encoder_new (GstPngSegmentWriteFunc
    write, gpointer user_data);
void gst_png_segment_encoder_free (GstPngSegmentEncoder * encoder);

/* @n_workers threads encode; 0: submit() encodes and writes on the calling
 * thread. Only with nothing in flight. FALSE if the threads cannot be
 * made. */
gboolean gst_png_segment_encoder_start (GstPngSegmentEncoder * encoder,
    guint n_workers, GError ** error);
/* Cancels what is in flight, waits for it and frees it; ends the threads. */
void gst_png_segment_encoder_stop (GstPngSegmentEncoder * encoder);

void gst_png_segment_encoder_submit (GstPngSegmentEncoder * encoder,
    GstPngWriterSegment * segment);
/* Encodes @segment on the calling thread, in its turn among the segments
 * in flight (it counts as one until it is written), while the workers go
 * on with theirs; then writes what is done, unless a worker is writing. */
void gst_png_segment_encoder_encode_here (GstPngSegmentEncoder * encoder,
    GstPngWriterSegment * segment);
/* Waits until at most @keep segments are in flight (submitted, not yet
 * written). FALSE once the write function has stopped the writing. */
gboolean gst_png_segment_encoder_wait (GstPngSegmentEncoder * encoder,
    guint keep);
guint gst_png_segment_encoder_in_flight (GstPngSegmentEncoder * encoder);
/* Cancels every segment in flight, waits for the workers and the writing
 * to let go of them, and frees them; writing may go on afterwards. */
void gst_png_segment_encoder_discard (GstPngSegmentEncoder * encoder);

G_END_DECLS

#endif /* __GST_PNG_SEGMENT_ENCODER_H__ */
