/* gst-membound: pngtiledec's inflate thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_INFLATE_THREAD_H__
#define __GST_PNG_INFLATE_THREAD_H__

#include "gstpngidatinflater.h"

G_BEGIN_DECLS

/* Runs a GstPngIdatInflater on a thread of its own, so that inflating (and
 * checking CRCs and the Adler-32) overlaps with unfiltering and libpng
 * converting rows on the calling thread. What the inflater forwards is
 * handed over in order, through a queue of at most
 * GST_PNG_INFLATE_THREAD_BLOCKS blocks of GST_PNG_IDAT_BLOCK_BYTES; the
 * thread waits when all are queued. @forward and @warn are called on the
 * calling thread, in the order the inflater produced them, so that the
 * bytes libpng sees are the same as without the thread.
 *
 * Small feeds (push mode in 4 KiB buffers, the 1-byte tests) run on the
 * calling thread: a hand-over would cost more than it saves. */
typedef struct _GstPngInflateThread GstPngInflateThread;

/* Blocks in flight: queued for libpng or being inflated into. 512 KiB, so
 * that the inflate thread keeps going while the streaming thread is kept
 * off the cores for a few milliseconds by the threads downstream of it (a
 * parallel encoder); with 4 blocks it stopped there, and a re-encode with
 * two threads each took longer. */
#define GST_PNG_INFLATE_THREAD_BLOCKS 8

/* Feeds of fewer bytes run on the calling thread. */
#define GST_PNG_INFLATE_THREAD_MIN_FEED (32 * 1024)

/* Does not take @inflater; it must outlive the thread object. The thread
 * itself is started at the first feed that uses it. */
GstPngInflateThread *gst_png_inflate_thread_new (GstPngIdatInflater *
    inflater);
/* Called on the calling thread once per feed, right after the worker got
 * its input: time the caller would otherwise spend waiting for the first
 * piece (pngtiledec reads its next pull block there). */
typedef void (*GstPngInflateThreadHandover) (gpointer user_data);

void gst_png_inflate_thread_set_handover (GstPngInflateThread * thread,
    GstPngInflateThreadHandover handover, gpointer user_data);

/* Stops and joins the thread; must not be called during a feed. */
void gst_png_inflate_thread_free (GstPngInflateThread * thread);

/* Same contract as gst_png_idat_inflater_feed(). @forward may longjmp (a
 * png_error): then call gst_png_inflate_thread_consumed() before touching
 * the inflater or @data again. */
gboolean gst_png_inflate_thread_feed (GstPngInflateThread * thread,
    const guint8 * data, gsize size, GstPngIdatForward forward,
    GstPngIdatWarn warn, gpointer user_data, gboolean * ended,
    gchar * error, gsize error_size);

/* During a feed (from the hand-over): the next feed will be @data and
 * @size exactly, unless the image is dropped first
 * (gst_png_inflate_thread_discard()), so the worker may start on it as
 * soon as this feed's input is inflated, if that neither failed nor ended
 * the stream. @data must stay valid until then. */
void gst_png_inflate_thread_feed_ahead (GstPngInflateThread * thread,
    const guint8 * data, gsize size);

/* Stops what the worker does for the image and forgets a feed announced
 * ahead: the image is dropped. */
void gst_png_inflate_thread_discard (GstPngInflateThread * thread);

/* Input bytes the last feed consumed; when @forward did not return, those
 * up to the bytes it was given, as without the thread. Stops the thread's
 * work on the rest of that feed and waits for it. */
gsize gst_png_inflate_thread_consumed (GstPngInflateThread * thread);

/* Bytes of the queued blocks (the inflater counts its own). */
gsize gst_png_inflate_thread_held_bytes (GstPngInflateThread * thread);

G_END_DECLS

#endif /* __GST_PNG_INFLATE_THREAD_H__ */
