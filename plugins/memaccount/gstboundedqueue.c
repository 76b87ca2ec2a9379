/* gst-membound: boundedqueue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-boundedqueue
 * @title: boundedqueue
 *
 * A thread boundary like `queue`: buffers, serialized events and serialized
 * queries enter on the sink pad and leave, in order, from a task on the source
 * pad. It is bounded by what it holds (max-size-buffers, max-size-bytes,
 * max-size-time) and, with max-live-bytes, also by what it has pushed that is
 * still alive downstream: a sink, a slow branch or a pool that keeps buffers
 * makes boundedqueue block upstream instead of letting memory grow. Elements
 * naming the same budget share one live-byte counter and one limit.
 *
 * |[
 * gst-launch-1.0 videotestsrc ! boundedqueue max-live-bytes=33554432 ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstboundedqueue.h"

GST_DEBUG_CATEGORY_STATIC (gst_bounded_queue_debug);
#define GST_CAT_DEFAULT gst_bounded_queue_debug

#define DEFAULT_MAX_SIZE_BUFFERS 200
#define DEFAULT_MAX_SIZE_BYTES (10 * 1024 * 1024)
#define DEFAULT_MAX_SIZE_TIME GST_SECOND
#define DEFAULT_LEAKY GST_BOUNDED_QUEUE_NO_LEAK
#define DEFAULT_MAX_LIVE_BYTES 0

enum
{
  PROP_0,
  PROP_MAX_SIZE_BUFFERS,
  PROP_MAX_SIZE_BYTES,
  PROP_MAX_SIZE_TIME,
  PROP_LEAKY,
  PROP_CURRENT_LEVEL_BUFFERS,
  PROP_CURRENT_LEVEL_BYTES,
  PROP_CURRENT_LEVEL_TIME,
  PROP_DROPPED_BUFFERS,
  PROP_MAX_LIVE_BYTES,
  PROP_BUDGET,
  PROP_LIVE_BYTES,
  PROP_PEAK_LIVE_BYTES,
};

enum
{
  SIGNAL_OVERRUN,
  SIGNAL_UNDERRUN,
  LAST_SIGNAL
};

static guint gst_bounded_queue_signals[LAST_SIGNAL];

/* One queued buffer, buffer list, event or query (queries stay owned by the
 * thread waiting for their answer). */
typedef struct
{
  GstMiniObject *obj;
  guint bytes;
  guint buffers;
} GstBoundedQueueItem;

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstBoundedQueue, gst_bounded_queue, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (boundedqueue, "boundedqueue", GST_RANK_NONE,
    GST_TYPE_BOUNDED_QUEUE);

GType
gst_bounded_queue_leaky_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_BOUNDED_QUEUE_NO_LEAK, "Not Leaky", "no"},
    {GST_BOUNDED_QUEUE_LEAK_UPSTREAM, "Leaky on upstream (new buffers)",
        "upstream"},
    {GST_BOUNDED_QUEUE_LEAK_DOWNSTREAM, "Leaky on downstream (old buffers)",
        "downstream"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstBoundedQueueLeaky", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* Levels */

static gboolean
gst_bounded_queue_locked_is_filled (GstBoundedQueue * self)
{
  return (self->max_buffers && self->cur_buffers >= self->max_buffers) ||
      (self->max_bytes && self->cur_bytes >= self->max_bytes) ||
      (self->max_time && self->cur_time >= self->max_time);
}

/* Our segments are always in TIME (see gst_bounded_queue_locked_apply()); a
 * position that is unset or before the segment has no running time. */
static GstClockTimeDiff
gst_bounded_queue_position_running_time (const GstSegment * segment)
{
  guint64 rt;

  if (gst_segment_to_running_time_full (segment, GST_FORMAT_TIME,
          segment->position, &rt) != 1)
    return -1;
  return (GstClockTimeDiff) rt;
}

/* Moves @segment's position to the end of @buffer. A buffer without a
 * timestamp continues from the position (as core queue counts it); returns
 * FALSE when there is no position either. */
static gboolean
gst_bounded_queue_advance_position (GstSegment * segment, GstBuffer * buffer)
{
  GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buffer);

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    ts = segment->position;
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return FALSE;
  if (GST_BUFFER_DURATION_IS_VALID (buffer))
    ts += GST_BUFFER_DURATION (buffer);
  segment->position = ts;
  return TRUE;
}

/* Applies a data item to one side's segment, updating that side's running
 * time and the time level (0 while either side has no running time). */
static void
gst_bounded_queue_locked_apply (GstBoundedQueue * self, GstMiniObject * obj,
    gboolean sink_side)
{
  GstSegment *segment = sink_side ? &self->sink_segment : &self->src_segment;
  gboolean moved = FALSE;

  if (GST_IS_BUFFER (obj)) {
    moved = gst_bounded_queue_advance_position (segment, GST_BUFFER_CAST (obj));
  } else if (GST_IS_BUFFER_LIST (obj)) {
    GstBufferList *list = GST_BUFFER_LIST_CAST (obj);
    guint i, n = gst_buffer_list_length (list);

    for (i = 0; i < n; i++)
      moved |= gst_bounded_queue_advance_position (segment,
          gst_buffer_list_get (list, i));
  } else if (GST_IS_EVENT (obj)) {
    GstEvent *event = GST_EVENT_CAST (obj);
    GstClockTime ts, dur;

    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      gst_event_copy_segment (event, segment);
      /* Non-time segments carry no running time: the time level stays 0. */
      if (segment->format != GST_FORMAT_TIME)
        gst_segment_init (segment, GST_FORMAT_TIME);
      moved = TRUE;
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_GAP) {
      gst_event_parse_gap (event, &ts, &dur);
      if (GST_CLOCK_TIME_IS_VALID (ts)) {
        segment->position = ts + (GST_CLOCK_TIME_IS_VALID (dur) ? dur : 0);
        moved = TRUE;
      }
    }
  }
  if (!moved)
    return;

  if (sink_side)
    self->sink_time = gst_bounded_queue_position_running_time (segment);
  else
    self->src_time = gst_bounded_queue_position_running_time (segment);
  if (self->src_time >= 0 && self->sink_time > self->src_time)
    self->cur_time = self->sink_time - self->src_time;
  else
    self->cur_time = 0;
}

static void
gst_bounded_queue_locked_reset_segments (GstBoundedQueue * self)
{
  gst_segment_init (&self->sink_segment, GST_FORMAT_TIME);
  gst_segment_init (&self->src_segment, GST_FORMAT_TIME);
  self->sink_time = 0;
  self->src_time = 0;
  self->cur_time = 0;
}

/* ------------------------------------------------------------------ */
/* The item array */

static void
gst_bounded_queue_locked_enqueue (GstBoundedQueue * self, GstMiniObject * obj,
    guint bytes, guint buffers)
{
  GstBoundedQueueItem item = { obj, bytes, buffers };

  gst_bounded_queue_locked_apply (self, obj, TRUE);
  gst_queue_array_push_tail_struct (self->items, &item);
  self->cur_buffers += buffers;
  self->cur_bytes += bytes;
  if (self->waiting_add)
    g_cond_signal (&self->item_add);
}

static GstMiniObject *
gst_bounded_queue_locked_dequeue (GstBoundedQueue * self)
{
  GstBoundedQueueItem *item = gst_queue_array_pop_head_struct (self->items);

  if (item == NULL)
    return NULL;
  self->cur_buffers -= item->buffers;
  self->cur_bytes -= item->bytes;
  gst_bounded_queue_locked_apply (self, item->obj, FALSE);
  if (self->waiting_del)
    g_cond_signal (&self->item_del);
  return item->obj;
}

static void
gst_bounded_queue_locked_answer_query (GstBoundedQueue * self,
    GstQuery * query, gboolean result)
{
  self->last_query_result = result;
  self->last_handled_query = query;
  g_cond_broadcast (&self->query_handled);
}

/* Drops a dequeued item; a query is answered FALSE (its caller waits for
 * it). */
static void
gst_bounded_queue_locked_discard (GstBoundedQueue * self, GstMiniObject * obj)
{
  if (GST_IS_QUERY (obj))
    gst_bounded_queue_locked_answer_query (self, GST_QUERY_CAST (obj), FALSE);
  else
    gst_mini_object_unref (obj);
}

/* Leaky downstream, as core queue: drops the item at the head, whatever it
 * is. A sticky event is stored on the source pad too, so that it still
 * reaches downstream before the next buffer. The next buffer pushed is
 * DISCONT. Returns FALSE when nothing is queued. */
static gboolean
gst_bounded_queue_locked_leak_head (GstBoundedQueue * self)
{
  GstBoundedQueueItem *head = gst_queue_array_peek_head_struct (self->items);
  guint buffers = head ? head->buffers : 0;
  GstMiniObject *obj = gst_bounded_queue_locked_dequeue (self);

  if (obj == NULL)
    return FALSE;
  self->head_needs_discont = TRUE;
  self->dropped += buffers;
  GST_DEBUG_OBJECT (self, "leaking %" GST_PTR_FORMAT " downstream, %"
      G_GUINT64_FORMAT " buffers dropped so far", obj, self->dropped);
  if (GST_IS_EVENT (obj) && GST_EVENT_IS_STICKY (obj))
    gst_pad_store_sticky_event (self->srcpad, GST_EVENT_CAST (obj));
  gst_bounded_queue_locked_discard (self, obj);
  return TRUE;
}

/* Whether a queued event must outlive a flush: the stream's configuration
 * (caps, tags, custom sticky events) still holds after a flushing seek, the
 * position (segment) and the end (EOS) do not. */
static gboolean
gst_bounded_queue_survives_flush (GstMiniObject * obj)
{
  GstEventType type;

  if (!GST_IS_EVENT (obj) || !GST_EVENT_IS_STICKY (obj))
    return FALSE;
  type = GST_EVENT_TYPE (obj);
  return type != GST_EVENT_SEGMENT && type != GST_EVENT_EOS;
}

/* Drops everything queued. With @keep_sticky, sticky events that survive
 * a flush are stored on the source pad, which sends them before the next
 * data; without it (deactivation, finalize), they go too. */
static void
gst_bounded_queue_locked_flush (GstBoundedQueue * self, gboolean keep_sticky)
{
  GstBoundedQueueItem *item;

  while ((item = gst_queue_array_pop_head_struct (self->items))) {
    if (keep_sticky && gst_bounded_queue_survives_flush (item->obj))
      gst_pad_store_sticky_event (self->srcpad, GST_EVENT_CAST (item->obj));
    /* A query belongs to the thread that waited for it, which has already
     * been woken with FALSE. */
    if (!GST_IS_QUERY (item->obj))
      gst_mini_object_unref (item->obj);
  }
  self->cur_buffers = 0;
  self->cur_bytes = 0;
  self->head_needs_discont = FALSE;
  self->tail_needs_discont = FALSE;
  self->last_handled_query = NULL;
  gst_bounded_queue_locked_reset_segments (self);
  if (self->waiting_del)
    g_cond_signal (&self->item_del);
}

/* The flow the sink side refuses data with; GST_FLOW_OK while it flows. */
static GstFlowReturn
gst_bounded_queue_locked_refusal (GstBoundedQueue * self)
{
  if (self->srcresult != GST_FLOW_OK)
    return self->srcresult;
  if (self->eos || self->unexpected)
    return GST_FLOW_EOS;
  return GST_FLOW_OK;
}

/* Called after @srcresult, @eos or @unexpected changed: a refusing queue
 * must not leave upstream waiting on the budget. */
static void
gst_bounded_queue_locked_update_flushing (GstBoundedQueue * self)
{
  gst_mem_budget_member_set_flushing (self->member,
      gst_bounded_queue_locked_refusal (self) != GST_FLOW_OK);
}

/* Ends every wait in the element: see the comment next to the struct. */
static void
gst_bounded_queue_locked_stop (GstBoundedQueue * self, GstFlowReturn result)
{
  self->srcresult = result;
  g_cond_broadcast (&self->item_add);
  g_cond_broadcast (&self->item_del);
  g_cond_broadcast (&self->query_handled);
  gst_bounded_queue_locked_update_flushing (self);
}

static void
gst_bounded_queue_locked_restart (GstBoundedQueue * self)
{
  self->srcresult = GST_FLOW_OK;
  self->eos = FALSE;
  self->unexpected = FALSE;
  gst_bounded_queue_locked_update_flushing (self);
}

/* Downstream returned EOS for data: what is queued up to the next event that
 * can start flowing again (EOS, segment, stream-start) is dropped, and the
 * sink side refuses data until such an event arrives. */
static void
gst_bounded_queue_locked_skip_to_pushable (GstBoundedQueue * self)
{
  GstBoundedQueueItem *item;

  while ((item = gst_queue_array_peek_head_struct (self->items))) {
    if (GST_IS_EVENT (item->obj)) {
      GstEventType type = GST_EVENT_TYPE (item->obj);

      if (type == GST_EVENT_EOS || type == GST_EVENT_SEGMENT ||
          type == GST_EVENT_STREAM_START)
        break;
    }
    gst_bounded_queue_locked_discard (self,
        gst_bounded_queue_locked_dequeue (self));
  }
  self->unexpected = TRUE;
  gst_bounded_queue_locked_update_flushing (self);
}

/* ------------------------------------------------------------------ */
/* Sink side: data */

/* Waits until the budget has room for @bytes, or decides to drop them when
 * leaky. Returns GST_FLOW_OK to go on, GST_FLOW_CUSTOM_SUCCESS to drop the
 * incoming data, or the flow that ended the wait. */
static GstFlowReturn
gst_bounded_queue_admit_live (GstBoundedQueue * self, guint64 bytes)
{
  GstFlowReturn ret;

  if (gst_mem_budget_member_fits (self->member, bytes))
    return GST_FLOW_OK;

  /* As for a max-size-* limit: overrun first, then leak or wait. */
  g_signal_emit (self, gst_bounded_queue_signals[SIGNAL_OVERRUN], 0);
  switch (self->leaky) {
    case GST_BOUNDED_QUEUE_LEAK_DOWNSTREAM:
      /* Dropping queued buffers releases their charge unless something
       * downstream shares their memory. */
      g_mutex_lock (&self->lock);
      while (!gst_mem_budget_member_fits (self->member, bytes) &&
          gst_bounded_queue_locked_leak_head (self));
      g_mutex_unlock (&self->lock);
      if (gst_mem_budget_member_fits (self->member, bytes))
        return GST_FLOW_OK;
      /* What is live is held downstream: drop the incoming data. */
      G_GNUC_FALLTHROUGH;
    case GST_BOUNDED_QUEUE_LEAK_UPSTREAM:
      return GST_FLOW_CUSTOM_SUCCESS;
    case GST_BOUNDED_QUEUE_NO_LEAK:
    default:
      break;
  }

  /* Waits on the budget; woken by releases downstream (any thread), a limit
   * change, and our member set flushing by gst_bounded_queue_locked_stop()
   * or an EOS. */
  GST_LOG_OBJECT (self, "budget full, waiting for %" G_GUINT64_FORMAT
      " bytes to fit", bytes);
  if (gst_mem_budget_member_wait (self->member, bytes))
    return GST_FLOW_OK;

  g_mutex_lock (&self->lock);
  ret = gst_bounded_queue_locked_refusal (self);
  g_mutex_unlock (&self->lock);
  /* The flag was cleared again before we looked: a flush came and went. */
  if (ret == GST_FLOW_OK)
    ret = GST_FLOW_FLUSHING;
  GST_DEBUG_OBJECT (self, "budget wait interrupted: %s", gst_flow_get_name (ret));
  return ret;
}

/* Called with the lock; waits while a max-size-* limit is reached, or
 * leaks. overrun is emitted once per call that finds the queue full, before
 * anything is dropped or waited for; its handlers may change the limits.
 * Returns FALSE when @obj must be dropped (leaky upstream) or the wait was
 * interrupted (then srcresult says why). */
static gboolean
gst_bounded_queue_locked_make_room (GstBoundedQueue * self)
{
  gboolean signalled = FALSE;

  while (gst_bounded_queue_locked_is_filled (self)) {
    if (gst_bounded_queue_locked_refusal (self) != GST_FLOW_OK)
      return FALSE;
    if (!signalled) {
      signalled = TRUE;
      g_mutex_unlock (&self->lock);
      g_signal_emit (self, gst_bounded_queue_signals[SIGNAL_OVERRUN], 0);
      g_mutex_lock (&self->lock);
      continue;
    }
    switch (self->leaky) {
      case GST_BOUNDED_QUEUE_LEAK_UPSTREAM:
        return FALSE;
      case GST_BOUNDED_QUEUE_LEAK_DOWNSTREAM:
        if (!gst_bounded_queue_locked_leak_head (self))
          return TRUE;
        continue;
      case GST_BOUNDED_QUEUE_NO_LEAK:
      default:
        break;
    }
    /* Waits on @item_del; woken by the task taking an item, by a limit
     * change and by gst_bounded_queue_locked_stop(). */
    self->waiting_del = TRUE;
    g_cond_wait (&self->item_del, &self->lock);
    self->waiting_del = FALSE;
  }
  return gst_bounded_queue_locked_refusal (self) == GST_FLOW_OK;
}

/* Marks the first buffer of @obj (a buffer or a buffer list) DISCONT: the
 * first data after a leak. */
static GstMiniObject *
gst_bounded_queue_mark_discont (GstMiniObject * obj)
{
  GstBufferList *list;

  if (GST_IS_BUFFER (obj)) {
    obj = GST_MINI_OBJECT_CAST (gst_buffer_make_writable (GST_BUFFER_CAST
            (obj)));
    GST_BUFFER_FLAG_SET (obj, GST_BUFFER_FLAG_DISCONT);
    return obj;
  }
  list = gst_buffer_list_make_writable (GST_BUFFER_LIST_CAST (obj));
  if (gst_buffer_list_length (list) > 0)
    GST_BUFFER_FLAG_SET (gst_buffer_list_get_writable (list, 0),
        GST_BUFFER_FLAG_DISCONT);
  return GST_MINI_OBJECT_CAST (list);
}

static GstFlowReturn
gst_bounded_queue_drop_incoming (GstBoundedQueue * self, GstMiniObject * obj,
    guint buffers)
{
  g_mutex_lock (&self->lock);
  self->dropped += buffers;
  self->tail_needs_discont = TRUE;
  GST_DEBUG_OBJECT (self, "leaking %u incoming buffer(s) upstream, %"
      G_GUINT64_FORMAT " dropped so far", buffers, self->dropped);
  g_mutex_unlock (&self->lock);
  gst_mini_object_unref (obj);
  return GST_FLOW_OK;
}

/* The common path of chain and chain_list: @obj (a buffer or a buffer list)
 * is admitted under the budget and charged to it, then queued. */
static GstFlowReturn
gst_bounded_queue_enqueue_data (GstBoundedQueue * self, GstMiniObject * obj,
    gsize bytes, guint buffers)
{
  GstFlowReturn ret;

  if (g_atomic_int_get (&self->accounting)) {
    ret = gst_bounded_queue_admit_live (self, bytes);
    if (ret == GST_FLOW_CUSTOM_SUCCESS)
      return gst_bounded_queue_drop_incoming (self, obj, buffers);
    if (ret != GST_FLOW_OK) {
      gst_mini_object_unref (obj);
      return ret;
    }
    if (GST_IS_BUFFER (obj))
      gst_mem_budget_member_track_buffer (self->member, (GstBuffer **) & obj);
    else
      gst_mem_budget_member_track_buffer_list (self->member,
          (GstBufferList **) & obj);
  }

  g_mutex_lock (&self->lock);
  if (G_UNLIKELY (gst_bounded_queue_locked_refusal (self) != GST_FLOW_OK))
    goto refuse;
  if (!gst_bounded_queue_locked_make_room (self)) {
    if (gst_bounded_queue_locked_refusal (self) != GST_FLOW_OK)
      goto refuse;
    g_mutex_unlock (&self->lock);
    return gst_bounded_queue_drop_incoming (self, obj, buffers);
  }
  if (G_UNLIKELY (self->tail_needs_discont)) {
    obj = gst_bounded_queue_mark_discont (obj);
    self->tail_needs_discont = FALSE;
  }
  gst_bounded_queue_locked_enqueue (self, obj, bytes, buffers);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;

refuse:
  ret = gst_bounded_queue_locked_refusal (self);
  g_mutex_unlock (&self->lock);
  GST_LOG_OBJECT (self, "refusing data: %s", gst_flow_get_name (ret));
  gst_mini_object_unref (obj);
  return ret;
}

static GstFlowReturn
gst_bounded_queue_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  return gst_bounded_queue_enqueue_data (GST_BOUNDED_QUEUE (parent),
      GST_MINI_OBJECT_CAST (buffer), gst_buffer_get_size (buffer), 1);
}

static GstFlowReturn
gst_bounded_queue_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  return gst_bounded_queue_enqueue_data (GST_BOUNDED_QUEUE (parent),
      GST_MINI_OBJECT_CAST (list), gst_buffer_list_calculate_size (list),
      gst_buffer_list_length (list));
}

/* ------------------------------------------------------------------ */
/* Sink side: events and queries */

static GstFlowReturn
gst_bounded_queue_flush_start (GstBoundedQueue * self, GstEvent * event)
{
  gst_pad_push_event (self->srcpad, event);

  g_mutex_lock (&self->lock);
  gst_bounded_queue_locked_stop (self, GST_FLOW_FLUSHING);
  g_mutex_unlock (&self->lock);

  gst_pad_pause_task (self->srcpad);
  GST_DEBUG_OBJECT (self, "flushing: task paused");
  return GST_FLOW_OK;
}

static void gst_bounded_queue_loop (GstPad * pad);

static GstFlowReturn
gst_bounded_queue_flush_stop (GstBoundedQueue * self, GstEvent * event)
{
  gst_pad_push_event (self->srcpad, event);

  g_mutex_lock (&self->lock);
  gst_bounded_queue_locked_flush (self, TRUE);
  gst_bounded_queue_locked_restart (self);
  if (gst_pad_is_active (self->srcpad))
    gst_pad_start_task (self->srcpad, (GstTaskFunction) gst_bounded_queue_loop,
        self->srcpad, NULL);
  else
    gst_bounded_queue_locked_stop (self, GST_FLOW_FLUSHING);
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "flush stopped: queue emptied, task restarted");
  return GST_FLOW_OK;
}

/* A new stream or segment may flow again after downstream said EOS (a new
 * stream after EOS, a seek in a sink that ended). */
static void
gst_bounded_queue_locked_reopen (GstBoundedQueue * self)
{
  if (self->srcresult == GST_FLOW_EOS) {
    self->srcresult = GST_FLOW_OK;
    gst_pad_start_task (self->srcpad, (GstTaskFunction) gst_bounded_queue_loop,
        self->srcpad, NULL);
  }
  self->eos = FALSE;
  self->unexpected = FALSE;
  gst_bounded_queue_locked_update_flushing (self);
}

static GstFlowReturn
gst_bounded_queue_queue_event (GstBoundedQueue * self, GstEvent * event)
{
  GstEventType type = GST_EVENT_TYPE (event);
  GstFlowReturn ret;

  g_mutex_lock (&self->lock);
  if (type == GST_EVENT_STREAM_START || type == GST_EVENT_SEGMENT)
    gst_bounded_queue_locked_reopen (self);
  ret = self->srcresult;
  /* Sticky events are kept for when data flows again (relinked pad); an
   * EOS or a plain event cannot wait for that. */
  if (ret != GST_FLOW_OK && (!GST_EVENT_IS_STICKY (event) ||
          type == GST_EVENT_EOS))
    goto refuse;
  if (self->eos) {
    ret = GST_FLOW_EOS;
    goto refuse;
  }
  if (type == GST_EVENT_EOS) {
    self->eos = TRUE;
    gst_bounded_queue_locked_update_flushing (self);
  }
  gst_bounded_queue_locked_enqueue (self, GST_MINI_OBJECT_CAST (event), 0, 0);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;

refuse:
  g_mutex_unlock (&self->lock);
  GST_LOG_OBJECT (self, "refusing %" GST_PTR_FORMAT ": %s", event,
      gst_flow_get_name (ret));
  gst_event_unref (event);
  /* Upstream is done and will not see a flow return any more: the failure
   * that kept its EOS from going out is ours to report. */
  if (type == GST_EVENT_EOS && (ret == GST_FLOW_NOT_LINKED ||
          ret < GST_FLOW_EOS))
    GST_ELEMENT_FLOW_ERROR (self, ret);
  return ret;
}

static GstFlowReturn
gst_bounded_queue_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      return gst_bounded_queue_flush_start (self, event);
    case GST_EVENT_FLUSH_STOP:
      return gst_bounded_queue_flush_stop (self, event);
    default:
      break;
  }
  if (GST_EVENT_IS_SERIALIZED (event))
    return gst_bounded_queue_queue_event (self, event);
  return gst_pad_push_event (self->srcpad, event) ? GST_FLOW_OK :
      GST_FLOW_NOT_LINKED;
}

/* An unanswered query leaving with its caller must not stay queued for a
 * task restarted later (after not-linked). */
static void
gst_bounded_queue_locked_forget_query (GstBoundedQueue * self, GstQuery * query)
{
  guint i, n = gst_queue_array_get_length (self->items);

  for (i = 0; i < n; i++) {
    GstBoundedQueueItem *it = gst_queue_array_peek_nth_struct (self->items, i);

    if (it->obj == GST_MINI_OBJECT_CAST (query)) {
      gst_queue_array_drop_struct (self->items, i, NULL);
      return;
    }
  }
}

/* Serialized queries (ALLOCATION, DRAIN, ...) are answered by the task, after
 * everything queued before them, while this thread waits. */
static gboolean
gst_bounded_queue_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (parent);
  gboolean res = FALSE;

  if (!GST_QUERY_IS_SERIALIZED (query))
    return gst_pad_query_default (pad, parent, query);

  g_mutex_lock (&self->lock);
  if (self->srcresult != GST_FLOW_OK) {
    g_mutex_unlock (&self->lock);
    GST_DEBUG_OBJECT (self, "refusing %" GST_PTR_FORMAT " while not flowing",
        query);
    return FALSE;
  }
  gst_bounded_queue_locked_enqueue (self, GST_MINI_OBJECT_CAST (query), 0, 0);
  /* Waits on @query_handled; woken by the task answering (or leaking) the
   * query and by gst_bounded_queue_locked_stop(). */
  while (self->last_handled_query != query &&
      (self->srcresult == GST_FLOW_OK || self->query_in_flight == query))
    g_cond_wait (&self->query_handled, &self->lock);
  if (self->last_handled_query == query) {
    res = self->last_query_result;
    self->last_handled_query = NULL;
  } else {
    gst_bounded_queue_locked_forget_query (self, query);
  }
  g_mutex_unlock (&self->lock);
  return res;
}

/* ------------------------------------------------------------------ */
/* Source side: the task */

static GstFlowReturn
gst_bounded_queue_push_item (GstBoundedQueue * self, GstMiniObject * obj)
{
  GstQuery *query;
  gboolean res;

  if (GST_IS_BUFFER (obj) || GST_IS_BUFFER_LIST (obj)) {
    if (G_UNLIKELY (self->head_needs_discont)) {
      obj = gst_bounded_queue_mark_discont (obj);
      self->head_needs_discont = FALSE;
    }
    g_mutex_unlock (&self->lock);
    if (GST_IS_BUFFER (obj))
      return gst_pad_push (self->srcpad, GST_BUFFER_CAST (obj));
    return gst_pad_push_list (self->srcpad, GST_BUFFER_LIST_CAST (obj));
  }
  if (GST_IS_EVENT (obj)) {
    gboolean is_eos = GST_EVENT_TYPE (obj) == GST_EVENT_EOS;

    g_mutex_unlock (&self->lock);
    gst_pad_push_event (self->srcpad, GST_EVENT_CAST (obj));
    /* After EOS the task has nothing more to do until a new stream. */
    return is_eos ? GST_FLOW_EOS : GST_FLOW_OK;
  }
  /* What is left is a serialized query: nothing else is queued. */
  query = GST_QUERY_CAST (obj);
  self->query_in_flight = query;
  g_mutex_unlock (&self->lock);
  res = gst_pad_peer_query (self->srcpad, query);
  g_mutex_lock (&self->lock);
  self->query_in_flight = NULL;
  gst_bounded_queue_locked_answer_query (self, query, res);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;
}

static void
gst_bounded_queue_loop (GstPad * pad)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (GST_PAD_PARENT (pad));
  GstMiniObject *obj;
  GstFlowReturn ret;
  gboolean eos, is_data;

  g_mutex_lock (&self->lock);
  while (gst_queue_array_is_empty (self->items)) {
    if (self->srcresult != GST_FLOW_OK)
      goto paused;
    g_mutex_unlock (&self->lock);
    g_signal_emit (self, gst_bounded_queue_signals[SIGNAL_UNDERRUN], 0);
    g_mutex_lock (&self->lock);
    /* Waits on @item_add; woken by the sink side enqueueing and by
     * gst_bounded_queue_locked_stop() (flush, deactivation, errors). */
    while (self->srcresult == GST_FLOW_OK &&
        gst_queue_array_is_empty (self->items)) {
      self->waiting_add = TRUE;
      g_cond_wait (&self->item_add, &self->lock);
      self->waiting_add = FALSE;
    }
  }
  if (self->srcresult != GST_FLOW_OK)
    goto paused;

  obj = gst_bounded_queue_locked_dequeue (self);
  is_data = GST_IS_BUFFER (obj) || GST_IS_BUFFER_LIST (obj);
  ret = gst_bounded_queue_push_item (self, obj);        /* unlocks */

  g_mutex_lock (&self->lock);
  if (self->srcresult != GST_FLOW_OK)
    goto paused;
  if (ret == GST_FLOW_EOS && is_data) {
    GST_DEBUG_OBJECT (self, "downstream returned EOS, skipping data");
    gst_bounded_queue_locked_skip_to_pushable (self);
    ret = GST_FLOW_OK;
  }
  if (ret != GST_FLOW_OK) {
    GST_DEBUG_OBJECT (self, "downstream returned %s, pausing",
        gst_flow_get_name (ret));
    gst_bounded_queue_locked_stop (self, ret);
    goto paused;
  }
  g_mutex_unlock (&self->lock);
  return;

paused:
  ret = self->srcresult;
  eos = self->eos;
  gst_pad_pause_task (pad);
  /* Not-linked may be relinked and EOS may see a new stream: keep the data.
   * Anything else (an error, flushing) will not push it: release it now. */
  if (ret != GST_FLOW_NOT_LINKED && ret != GST_FLOW_EOS)
    gst_bounded_queue_locked_flush (self, TRUE);
  g_mutex_unlock (&self->lock);
  /* Upstream already sent EOS and will never see this flow return: report
   * the failure ourselves, like a source would. */
  if (eos && (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS)) {
    GST_ELEMENT_FLOW_ERROR (self, ret);
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  }
}

/* ------------------------------------------------------------------ */
/* Source side: queries and activation */

static gboolean
gst_bounded_queue_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (parent);
  gboolean live;
  GstClockTime min, max;

  /* Our source pad only pushes, whatever upstream can do. */
  if (GST_QUERY_TYPE (query) == GST_QUERY_SCHEDULING) {
    gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
    return TRUE;
  }
  if (!gst_pad_query_default (pad, parent, query))
    return FALSE;

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_parse_latency (query, &live, &min, &max);
    /* A blocking queue adds up to max-size-time; a leaky one never holds
     * more than max-size-time; with no time bound, anything. */
    g_mutex_lock (&self->lock);
    if (self->max_time == 0 || !GST_CLOCK_TIME_IS_VALID (max))
      max = GST_CLOCK_TIME_NONE;
    else if (self->leaky == GST_BOUNDED_QUEUE_NO_LEAK)
      max += self->max_time;
    else
      max = MAX (max, self->max_time);
    g_mutex_unlock (&self->lock);
    gst_query_set_latency (query, live, min, max);
  }
  return TRUE;
}

static gboolean
gst_bounded_queue_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (parent);

  /* After not-linked, a reconfigure means downstream may be linked again. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE) {
    g_mutex_lock (&self->lock);
    if (self->srcresult == GST_FLOW_NOT_LINKED) {
      self->srcresult = GST_FLOW_OK;
      gst_bounded_queue_locked_update_flushing (self);
      gst_pad_start_task (pad, (GstTaskFunction) gst_bounded_queue_loop, pad,
          NULL);
    }
    g_mutex_unlock (&self->lock);
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_bounded_queue_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  g_mutex_lock (&self->lock);
  if (active)
    gst_bounded_queue_locked_restart (self);
  else
    gst_bounded_queue_locked_stop (self, GST_FLOW_FLUSHING);
  g_mutex_unlock (&self->lock);
  if (active)
    return gst_pad_start_task (pad, (GstTaskFunction) gst_bounded_queue_loop,
        pad, NULL);
  return gst_pad_stop_task (pad);
}

static gboolean
gst_bounded_queue_sink_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  g_mutex_lock (&self->lock);
  if (active) {
    gst_bounded_queue_locked_restart (self);
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  gst_bounded_queue_locked_stop (self, GST_FLOW_FLUSHING);
  g_mutex_unlock (&self->lock);

  /* Wait for a chain in progress to see the flag and leave, then drop what
   * is queued (releasing its charge). */
  GST_PAD_STREAM_LOCK (pad);
  g_mutex_lock (&self->lock);
  gst_bounded_queue_locked_flush (self, FALSE);
  g_mutex_unlock (&self->lock);
  GST_PAD_STREAM_UNLOCK (pad);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Budget membership */

static void
gst_bounded_queue_update_accounting (GstBoundedQueue * self)
{
  g_atomic_int_set (&self->accounting, self->max_live_bytes > 0 ||
      self->budget_name != NULL);
}

static void
gst_bounded_queue_join_budget (GstBoundedQueue * self, const gchar * name)
{
  GstMemBudget *budget = name ? gst_mem_budget_get_named (name) :
      gst_mem_budget_new ();
  gboolean flushing = TRUE;

  if (self->member) {
    flushing = gst_mem_budget_member_is_flushing (self->member);
    gst_mem_budget_member_unref (self->member);
  }
  self->member = gst_mem_budget_member_new (budget, self->max_live_bytes);
  gst_mem_budget_member_set_flushing (self->member, flushing);
  self->budget = budget;
  gst_mem_budget_unref (budget);
  g_free (self->budget_name);
  self->budget_name = g_strdup (name);
  gst_bounded_queue_update_accounting (self);
}

/* ------------------------------------------------------------------ */
/* GObject */

static void
gst_bounded_queue_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (object);
  const gchar *name;

  switch (prop_id) {
    case PROP_MAX_SIZE_BUFFERS:
    case PROP_MAX_SIZE_BYTES:
    case PROP_MAX_SIZE_TIME:
    case PROP_LEAKY:
      g_mutex_lock (&self->lock);
      if (prop_id == PROP_MAX_SIZE_BUFFERS)
        self->max_buffers = g_value_get_uint (value);
      else if (prop_id == PROP_MAX_SIZE_BYTES)
        self->max_bytes = g_value_get_uint (value);
      else if (prop_id == PROP_MAX_SIZE_TIME)
        self->max_time = g_value_get_uint64 (value);
      else
        self->leaky = g_value_get_enum (value);
      /* A raised limit may let a blocked chain go on. */
      if (self->waiting_del)
        g_cond_signal (&self->item_del);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_MAX_LIVE_BYTES:
      GST_OBJECT_LOCK (self);
      self->max_live_bytes = g_value_get_uint64 (value);
      gst_mem_budget_member_set_limit (self->member, self->max_live_bytes);
      gst_bounded_queue_update_accounting (self);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_BUDGET:
      name = g_value_get_string (value);
      if (name && *name == '\0')
        name = NULL;
      GST_OBJECT_LOCK (self);
      if (GST_STATE (self) > GST_STATE_READY) {
        GST_OBJECT_UNLOCK (self);
        g_warning ("%s: the budget can only be changed in the NULL or READY "
            "state", GST_OBJECT_NAME (self));
        break;
      }
      gst_bounded_queue_join_budget (self, name);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_bounded_queue_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (object);

  switch (prop_id) {
    case PROP_MAX_SIZE_BUFFERS:
    case PROP_MAX_SIZE_BYTES:
    case PROP_MAX_SIZE_TIME:
    case PROP_LEAKY:
    case PROP_CURRENT_LEVEL_BUFFERS:
    case PROP_CURRENT_LEVEL_BYTES:
    case PROP_CURRENT_LEVEL_TIME:
    case PROP_DROPPED_BUFFERS:
      g_mutex_lock (&self->lock);
      if (prop_id == PROP_MAX_SIZE_BUFFERS)
        g_value_set_uint (value, self->max_buffers);
      else if (prop_id == PROP_MAX_SIZE_BYTES)
        g_value_set_uint (value, self->max_bytes);
      else if (prop_id == PROP_MAX_SIZE_TIME)
        g_value_set_uint64 (value, self->max_time);
      else if (prop_id == PROP_LEAKY)
        g_value_set_enum (value, self->leaky);
      else if (prop_id == PROP_CURRENT_LEVEL_BUFFERS)
        g_value_set_uint (value, self->cur_buffers);
      else if (prop_id == PROP_CURRENT_LEVEL_BYTES)
        g_value_set_uint (value, self->cur_bytes);
      else if (prop_id == PROP_CURRENT_LEVEL_TIME)
        g_value_set_uint64 (value, self->cur_time);
      else
        g_value_set_uint64 (value, self->dropped);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_MAX_LIVE_BYTES:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->max_live_bytes);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_BUDGET:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->budget_name);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LIVE_BYTES:
      g_value_set_uint64 (value, gst_mem_budget_get_live_bytes (self->budget));
      break;
    case PROP_PEAK_LIVE_BYTES:
      g_value_set_uint64 (value, gst_mem_budget_get_peak_bytes (self->budget));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_bounded_queue_finalize (GObject * object)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (object);

  gst_bounded_queue_locked_flush (self, FALSE);
  gst_queue_array_free (self->items);
  gst_mem_budget_member_unref (self->member);
  g_free (self->budget_name);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->item_add);
  g_cond_clear (&self->item_del);
  g_cond_clear (&self->query_handled);

  G_OBJECT_CLASS (gst_bounded_queue_parent_class)->finalize (object);
}

static void
gst_bounded_queue_install_properties (GObjectClass * gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_BUFFERS,
      g_param_spec_uint ("max-size-buffers", "Max. size (buffers)",
          "Most buffers held in the queue (0 = unlimited)",
          0, G_MAXUINT, DEFAULT_MAX_SIZE_BUFFERS,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_BYTES,
      g_param_spec_uint ("max-size-bytes", "Max. size (bytes)",
          "Most bytes of buffers held in the queue (0 = unlimited)",
          0, G_MAXUINT, DEFAULT_MAX_SIZE_BYTES,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_TIME,
      g_param_spec_uint64 ("max-size-time", "Max. size (ns)",
          "Most running time held in the queue, in nanoseconds (0 = unlimited)",
          0, G_MAXUINT64, DEFAULT_MAX_SIZE_TIME,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LEAKY,
      g_param_spec_enum ("leaky", "Leaky",
          "Where the queue drops buffers instead of blocking upstream when a "
          "limit is reached: no (block), upstream (drop new buffers), "
          "downstream (drop the oldest queued buffers)",
          GST_TYPE_BOUNDED_QUEUE_LEAKY, DEFAULT_LEAKY,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CURRENT_LEVEL_BUFFERS,
      g_param_spec_uint ("current-level-buffers", "Current level (buffers)",
          "Buffers held in the queue now", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property (gobject_class, PROP_CURRENT_LEVEL_BYTES,
      g_param_spec_uint ("current-level-bytes", "Current level (bytes)",
          "Bytes of buffers held in the queue now", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property (gobject_class, PROP_CURRENT_LEVEL_TIME,
      g_param_spec_uint64 ("current-level-time", "Current level (ns)",
          "Running time held in the queue now, in nanoseconds",
          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_DROPPED_BUFFERS,
      g_param_spec_uint64 ("dropped-buffers", "Dropped buffers",
          "Buffers dropped so far by a leaky queue (0 = none)",
          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_MAX_LIVE_BYTES,
      g_param_spec_uint64 ("max-live-bytes", "Max. live bytes",
          "Most bytes queued plus pushed and still alive downstream, in bytes; "
          "upstream blocks beyond it. With a shared budget the smallest "
          "non-zero value among its members applies (0 = no limit from this "
          "queue)", 0, G_MAXUINT64, DEFAULT_MAX_LIVE_BYTES,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_BUDGET,
      g_param_spec_string ("budget", "Budget",
          "Name of a live-byte budget shared with every element naming it "
          "(NULL or empty = a private budget)", NULL,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LIVE_BYTES,
      g_param_spec_uint64 ("live-bytes", "Live bytes",
          "Bytes charged to the budget and still alive now, in bytes (0 when "
          "max-live-bytes is 0 and no budget is named: nothing is charged)",
          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_PEAK_LIVE_BYTES,
      g_param_spec_uint64 ("peak-live-bytes", "Peak live bytes",
          "Highest live-bytes of the budget since it was created, in bytes",
          0, G_MAXUINT64, 0, ro));
}

static GstStateChangeReturn
gst_bounded_queue_change_state (GstElement * element, GstStateChange transition)
{
  GstBoundedQueue *self = GST_BOUNDED_QUEUE (element);

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    g_mutex_lock (&self->lock);
    self->dropped = 0;
    gst_bounded_queue_locked_reset_segments (self);
    g_mutex_unlock (&self->lock);
  }
  return GST_ELEMENT_CLASS (gst_bounded_queue_parent_class)->change_state
      (element, transition);
}

static void
gst_bounded_queue_class_init (GstBoundedQueueClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_bounded_queue_set_property;
  gobject_class->get_property = gst_bounded_queue_get_property;
  gobject_class->finalize = gst_bounded_queue_finalize;
  gst_bounded_queue_install_properties (gobject_class);

  /**
   * GstBoundedQueue::overrun:
   *
   * A limit is reached: a max-size-* limit, or the budget has no room for
   * the incoming buffer. Upstream blocks (or, when leaky, data is dropped)
   * after the handlers return.
   */
  gst_bounded_queue_signals[SIGNAL_OVERRUN] = g_signal_new ("overrun",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_FIRST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);
  /**
   * GstBoundedQueue::underrun:
   *
   * The queue is empty; the source pad task waits for data after the
   * handlers return.
   */
  gst_bounded_queue_signals[SIGNAL_UNDERRUN] = g_signal_new ("underrun",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_FIRST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  element_class->change_state = gst_bounded_queue_change_state;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Bounded queue",
      "Generic",
      "Thread boundary bounded by what it holds and by the bytes it pushed "
      "that are still alive downstream; budgets can be shared by name",
      "gst-membound developers");
  gst_type_mark_as_plugin_api (GST_TYPE_BOUNDED_QUEUE_LEAKY, 0);
  GST_DEBUG_CATEGORY_INIT (gst_bounded_queue_debug, "boundedqueue", 0,
      "Bounded queue");
}

static void
gst_bounded_queue_init (GstBoundedQueue * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, gst_bounded_queue_chain);
  gst_pad_set_chain_list_function (self->sinkpad, gst_bounded_queue_chain_list);
  gst_pad_set_event_full_function (self->sinkpad, gst_bounded_queue_sink_event);
  gst_pad_set_query_function (self->sinkpad, gst_bounded_queue_sink_query);
  gst_pad_set_activatemode_function (self->sinkpad,
      gst_bounded_queue_sink_activate_mode);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad, gst_bounded_queue_src_query);
  gst_pad_set_event_function (self->srcpad, gst_bounded_queue_src_event);
  gst_pad_set_activatemode_function (self->srcpad,
      gst_bounded_queue_src_activate_mode);
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  g_mutex_init (&self->lock);
  g_cond_init (&self->item_add);
  g_cond_init (&self->item_del);
  g_cond_init (&self->query_handled);
  self->items = gst_queue_array_new_for_struct (sizeof (GstBoundedQueueItem),
      16);
  self->max_buffers = DEFAULT_MAX_SIZE_BUFFERS;
  self->max_bytes = DEFAULT_MAX_SIZE_BYTES;
  self->max_time = DEFAULT_MAX_SIZE_TIME;
  self->leaky = DEFAULT_LEAKY;
  self->srcresult = GST_FLOW_FLUSHING;
  self->max_live_bytes = DEFAULT_MAX_LIVE_BYTES;
  gst_bounded_queue_locked_reset_segments (self);
  gst_bounded_queue_join_budget (self, NULL);
}
