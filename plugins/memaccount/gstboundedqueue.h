/* gst-membound: boundedqueue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_BOUNDED_QUEUE_H__
#define __GST_BOUNDED_QUEUE_H__

#include <gst/gst.h>
#include <gst/base/gstqueuearray.h>

#include "gstmembudget.h"

G_BEGIN_DECLS

#define GST_TYPE_BOUNDED_QUEUE (gst_bounded_queue_get_type ())
G_DECLARE_FINAL_TYPE (GstBoundedQueue, gst_bounded_queue, GST, BOUNDED_QUEUE, GstElement)

#define GST_TYPE_BOUNDED_QUEUE_LEAKY (gst_bounded_queue_leaky_get_type ())
GType gst_bounded_queue_leaky_get_type (void);

typedef enum
{
  GST_BOUNDED_QUEUE_NO_LEAK = 0,
  GST_BOUNDED_QUEUE_LEAK_UPSTREAM = 1,
  GST_BOUNDED_QUEUE_LEAK_DOWNSTREAM = 2,
} GstBoundedQueueLeaky;

/* Threads and waits.
 *
 * Two threads meet here: upstream's streaming thread (chain, sink events,
 * sink queries) and our own task on the source pad (the loop). @lock guards
 * every field below except the accounting ones marked otherwise.
 *
 * - The loop waits on @item_add while the queue is empty; the sink side
 *   signals it after enqueueing (only when @waiting_add says somebody waits).
 * - The chain waits on @item_del while a max-size-* limit is reached; the loop
 *   signals it after dequeueing (only when @waiting_del is set).
 * - A serialized sink query waits on @query_handled until the loop has
 *   answered it (@last_handled_query), and while the loop still works on
 *   it (@query_in_flight) even when flushing, since the query is the
 *   caller's to free.
 * - The chain waits, *without* @lock, in gst_mem_budget_member_wait() until
 *   the budget's admission rule lets its buffer in; whoever releases a
 *   charged buffer (the last holder downstream, any thread) wakes it
 *   through the budget.
 *
 * Every wait also ends when the sink side must refuse data: flush-start, pad
 * deactivation (PAUSED->READY) and a downstream error or EOS change
 * @srcresult (or @unexpected) under @lock, which sets @member flushing and
 * broadcasts all three conditions. Lock
 * order: @lock before the budget's lock, never the other way round (the
 * budget never calls into the element).
 */
struct _GstBoundedQueue
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  GMutex lock;
  GCond item_add;
  GCond item_del;
  GCond query_handled;
  gboolean waiting_add;
  gboolean waiting_del;

  GstQueueArray *items;         /* GstBoundedQueueItem */
  guint cur_buffers;
  guint cur_bytes;
  guint64 cur_time;

  guint max_buffers;
  guint max_bytes;
  guint64 max_time;
  GstBoundedQueueLeaky leaky;
  guint64 dropped;

  GstFlowReturn srcresult;
  gboolean eos;                 /* EOS received: refuse data until a new stream */
  gboolean unexpected;          /* downstream said EOS to data: skip to the
                                 * next EOS/segment/stream-start */
  gboolean head_needs_discont;
  gboolean tail_needs_discont;

  GstSegment sink_segment;
  GstSegment src_segment;
  GstClockTimeDiff sink_time;   /* running time of the newest position */
  GstClockTimeDiff src_time;

  GstQuery *query_in_flight;    /* being answered by the task */
  GstQuery *last_handled_query;
  gboolean last_query_result;

  /* Accounting. @member, @budget and @budget_name change only in NULL/READY
   * (no streaming thread); @accounting is read atomically by the chain. */
  GstMemBudgetMember *member;   /* this queue's seat in @budget */
  GstMemBudget *budget;         /* no ref: @member holds it */
  gchar *budget_name;
  guint64 max_live_bytes;
  gint accounting;
};

GST_ELEMENT_REGISTER_DECLARE (boundedqueue);

G_END_DECLS

#endif /* __GST_BOUNDED_QUEUE_H__ */
