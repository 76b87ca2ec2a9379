/* gst-membound: memmeter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A pass-through element that says how much went through it and how much of
 * that is still alive downstream, and optionally blocks upstream while too
 * much is.
 *
 *   gst-launch-1.0 filesrc location=big.png ! pngtiledec ! \
 *     memmeter interval=1000 max-live-bytes=67108864 ! pngtileenc ! ...
 *
 * "Still alive" is tracked by the accounting core: every buffer passed is
 * charged to a private budget until it (and every copy sharing its memory)
 * is freed or returned to its pool. With max-live-bytes or budget, the chain
 * function waits on the budget before passing a buffer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmemmeter.h"

GST_DEBUG_CATEGORY_STATIC (gst_mem_meter_debug);
#define GST_CAT_DEFAULT gst_mem_meter_debug

#define DEFAULT_INTERVAL_MS 0
#define MAX_INTERVAL_MS (3600 * 1000)
#define DEFAULT_MAX_LIVE_BYTES 0
/* The rate window when no interval is set. */
#define DEFAULT_RATE_WINDOW_MS 1000

enum
{
  PROP_0,
  PROP_BUFFERS,
  PROP_BYTES,
  PROP_LIVE_BYTES,
  PROP_PEAK_LIVE_BYTES,
  PROP_RATE,
  PROP_INTERVAL,
  PROP_MAX_LIVE_BYTES,
  PROP_BUDGET,
  PROP_MESSAGE_INTERVAL,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstMemMeter, gst_mem_meter, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (memmeter, "memmeter", GST_RANK_NONE,
    GST_TYPE_MEM_METER);

static void
gst_mem_meter_finalize (GObject * object)
{
  GstMemMeter *self = GST_MEM_METER (object);

  gst_mem_budget_member_unref (self->member);
  gst_message_throttle_free (self->throttle);
  g_free (self->budget_name);

  G_OBJECT_CLASS (gst_mem_meter_parent_class)->finalize (object);
}

/* Called with the object lock (or from init). Takes a seat in the budget
 * called @name, or in a private one (NULL or empty); the old seat is given
 * up unless it is in that budget already. */
static void
gst_mem_meter_join_budget (GstMemMeter * self, const gchar * name)
{
  GstMemBudget *budget;

  if (name && *name == '\0')
    name = NULL;
  if (self->member && g_strcmp0 (name, self->budget_name) == 0)
    return;
  budget = name ? gst_mem_budget_get_named (name) : gst_mem_budget_new ();
  g_clear_pointer (&self->member, gst_mem_budget_member_unref);
  self->member = gst_mem_budget_member_new (budget, self->max_live_bytes);
  gst_mem_budget_unref (budget);
  g_free (self->budget_name);
  self->budget_name = g_strdup (name);
}

static void
gst_mem_meter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMemMeter *self = GST_MEM_METER (object);

  GST_OBJECT_LOCK (self);
  /* The timer and the budget a blocked chain waits on are set up at
   * READY->PAUSED; swapping them under a running stream would be racy. */
  if ((prop_id == PROP_INTERVAL || prop_id == PROP_BUDGET)
      && GST_STATE (self) > GST_STATE_READY) {
    GST_WARNING_OBJECT (self, "%s can only be changed in NULL or READY state",
        pspec->name);
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_INTERVAL:
      self->interval_ms = g_value_get_uint (value);
      break;
    case PROP_MAX_LIVE_BYTES:
      self->max_live_bytes = g_value_get_uint64 (value);
      gst_mem_budget_member_set_limit (self->member, self->max_live_bytes);
      break;
    case PROP_BUDGET:
      gst_mem_meter_join_budget (self, g_value_get_string (value));
      break;
    case PROP_MESSAGE_INTERVAL:
      gst_message_throttle_set_interval (self->throttle,
          g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Called with the object lock. Closes the rate window once it is at least
 * @min_ms old, so that a read-out between timer ticks does not shorten it. */
static void
gst_mem_meter_update_rate (GstMemMeter * self, gint64 now, guint min_ms)
{
  gint64 elapsed = now - self->rate_window_start;

  if (elapsed <= 0 || elapsed < (gint64) min_ms * 1000)
    return;
  self->rate = gst_util_uint64_scale (self->bytes - self->rate_window_bytes,
      G_USEC_PER_SEC, elapsed);
  self->rate_window_start = now;
  self->rate_window_bytes = self->bytes;
}

static void
gst_mem_meter_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMemMeter *self = GST_MEM_METER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BUFFERS:
      g_value_set_uint64 (value, self->buffers);
      break;
    case PROP_BYTES:
      g_value_set_uint64 (value, self->bytes);
      break;
    case PROP_LIVE_BYTES:
      g_value_set_uint64 (value,
          gst_mem_budget_member_get_live_bytes (self->member));
      break;
    case PROP_PEAK_LIVE_BYTES:
      g_value_set_uint64 (value,
          gst_mem_budget_member_get_peak_bytes (self->member));
      break;
    case PROP_RATE:
      if (self->interval_ms == 0)
        gst_mem_meter_update_rate (self, g_get_monotonic_time (),
            DEFAULT_RATE_WINDOW_MS);
      g_value_set_uint64 (value, self->rate);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval_ms);
      break;
    case PROP_MAX_LIVE_BYTES:
      g_value_set_uint64 (value, self->max_live_bytes);
      break;
    case PROP_BUDGET:
      g_value_set_string (value, self->budget_name);
      break;
    case PROP_MESSAGE_INTERVAL:
      g_value_set_uint64 (value,
          gst_message_throttle_get_interval (self->throttle));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Posts the read-out. The timer's read-outs go through the throttle, so
 * that however short the interval, a bus nobody reads grows by at most one
 * message per message-interval; the final one at EOS is posted once per
 * stream, always. */
static void
gst_mem_meter_post_readout (GstMemMeter * self, gboolean final)
{
  GstStructure *s;

  if (!final && !gst_message_throttle_allow (self->throttle))
    return;
  GST_OBJECT_LOCK (self);
  s = gst_structure_new ("memmeter",
      "buffers", G_TYPE_UINT64, self->buffers,
      "bytes", G_TYPE_UINT64, self->bytes,
      "live-bytes", G_TYPE_UINT64,
      gst_mem_budget_member_get_live_bytes (self->member),
      "peak-live-bytes", G_TYPE_UINT64,
      gst_mem_budget_member_get_peak_bytes (self->member),
      "rate", G_TYPE_UINT64, self->rate, NULL);
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gboolean
gst_mem_meter_tick (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  GstMemMeter *self = user_data;

  GST_OBJECT_LOCK (self);
  /* Half a window of slack: ticks are never early, but may come late. */
  gst_mem_meter_update_rate (self, g_get_monotonic_time (),
      self->interval_ms / 2);
  GST_OBJECT_UNLOCK (self);
  gst_mem_meter_post_readout (self, FALSE);
  return TRUE;
}

/* The timer runs on the system clock, not the pipeline clock, so that a
 * stalled or PAUSED pipeline still reports -- that is when live bytes
 * matter most. */
static void
gst_mem_meter_start_timer (GstMemMeter * self)
{
  GstClock *clock;
  GstClockID id;
  guint interval_ms;

  GST_OBJECT_LOCK (self);
  interval_ms = self->interval_ms;
  GST_OBJECT_UNLOCK (self);
  if (interval_ms == 0)
    return;

  clock = gst_system_clock_obtain ();
  id = gst_clock_new_periodic_id (clock,
      gst_clock_get_time (clock) + interval_ms * GST_MSECOND,
      interval_ms * GST_MSECOND);
  gst_object_unref (clock);
  gst_clock_id_wait_async (id, gst_mem_meter_tick, gst_object_ref (self),
      gst_object_unref);

  GST_OBJECT_LOCK (self);
  self->timer = id;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mem_meter_stop_timer (GstMemMeter * self)
{
  GstClockID id;

  GST_OBJECT_LOCK (self);
  id = self->timer;
  self->timer = NULL;
  GST_OBJECT_UNLOCK (self);
  if (!id)
    return;
  gst_clock_id_unschedule (id);
  gst_clock_id_unref (id);
}

static void
gst_mem_meter_reset (GstMemMeter * self)
{
  GST_OBJECT_LOCK (self);
  self->buffers = 0;
  self->bytes = 0;
  self->rate = 0;
  self->rate_window_start = g_get_monotonic_time ();
  self->rate_window_bytes = 0;
  gst_mem_budget_member_reset_peak (self->member);
  GST_OBJECT_UNLOCK (self);
}

static GstMemBudgetMember *
gst_mem_meter_get_member (GstMemMeter * self)
{
  GstMemBudgetMember *member;

  GST_OBJECT_LOCK (self);
  member = gst_mem_budget_member_ref (self->member);
  GST_OBJECT_UNLOCK (self);
  return member;
}

static void
gst_mem_meter_set_flushing (GstMemMeter * self, gboolean flushing)
{
  GstMemBudgetMember *member = gst_mem_meter_get_member (self);

  gst_mem_budget_member_set_flushing (member, flushing);
  gst_mem_budget_member_unref (member);
}

static GstStateChangeReturn
gst_mem_meter_change_state (GstElement * element, GstStateChange transition)
{
  GstMemMeter *self = GST_MEM_METER (element);

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_mem_meter_reset (self);
      gst_message_throttle_reset (self->throttle);
      gst_mem_meter_set_flushing (self, FALSE);
      gst_mem_meter_start_timer (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Before chaining up: pad deactivation takes the stream lock, which a
       * chain function blocked in the budget wait holds. */
      gst_mem_meter_set_flushing (self, TRUE);
      gst_mem_meter_stop_timer (self);
      break;
    default:
      break;
  }

  return GST_ELEMENT_CLASS (gst_mem_meter_parent_class)->change_state
      (element, transition);
}

static gboolean
gst_mem_meter_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstMemMeter *self = GST_MEM_METER (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      gst_mem_meter_set_flushing (self,
          GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START);
      break;
    case GST_EVENT_EOS:{
      gboolean ticking;

      GST_OBJECT_LOCK (self);
      ticking = self->timer != NULL;
      GST_OBJECT_UNLOCK (self);
      /* Short streams end between ticks: give the final figures too. */
      if (ticking)
        gst_mem_meter_post_readout (self, TRUE);
      break;
    }
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* The common path of chain and chain_list: @obj (a buffer, or a buffer
 * list that passes as a whole, so it waits as a whole) waits until the
 * budget's admission rule lets @bytes pass, is charged and counted, and is
 * pushed. */
static GstFlowReturn
gst_mem_meter_pass (GstMemMeter * self, GstMiniObject * obj, gsize bytes,
    guint buffers)
{
  GstMemBudgetMember *member = gst_mem_meter_get_member (self);
  GstMemBudget *budget = gst_mem_budget_member_get_budget (member);

  if (gst_mem_budget_get_limit (budget) != 0)
    GST_LOG_OBJECT (self, "%" G_GSIZE_FORMAT " bytes want to pass, %"
        G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " live", bytes,
        gst_mem_budget_get_live_bytes (budget),
        gst_mem_budget_get_limit (budget));
  /* Waits on the budget; woken by releases downstream (any thread), a limit
   * change, and flush-start / PAUSED->READY setting the member flushing. */
  if (!gst_mem_budget_member_wait (member, bytes)) {
    GST_DEBUG_OBJECT (self, "flushing, dropping %" G_GSIZE_FORMAT " bytes",
        bytes);
    gst_mem_budget_member_unref (member);
    gst_mini_object_unref (obj);
    return GST_FLOW_FLUSHING;
  }

  if (GST_IS_BUFFER (obj))
    gst_mem_budget_member_track_buffer (member, (GstBuffer **) & obj);
  else
    gst_mem_budget_member_track_buffer_list (member, (GstBufferList **) & obj);
  gst_mem_budget_member_unref (member);

  GST_OBJECT_LOCK (self);
  self->buffers += buffers;
  self->bytes += bytes;
  if (self->interval_ms == 0)
    gst_mem_meter_update_rate (self, g_get_monotonic_time (),
        DEFAULT_RATE_WINDOW_MS);
  GST_OBJECT_UNLOCK (self);

  if (GST_IS_BUFFER (obj))
    return gst_pad_push (self->srcpad, GST_BUFFER_CAST (obj));
  return gst_pad_push_list (self->srcpad, GST_BUFFER_LIST_CAST (obj));
}

static GstFlowReturn
gst_mem_meter_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  return gst_mem_meter_pass (GST_MEM_METER (parent),
      GST_MINI_OBJECT_CAST (buffer), gst_buffer_get_size (buffer), 1);
}

static GstFlowReturn
gst_mem_meter_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  return gst_mem_meter_pass (GST_MEM_METER (parent),
      GST_MINI_OBJECT_CAST (list), gst_buffer_list_calculate_size (list),
      gst_buffer_list_length (list));
}

static void
gst_mem_meter_class_init (GstMemMeterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  gobject_class->finalize = gst_mem_meter_finalize;
  gobject_class->set_property = gst_mem_meter_set_property;
  gobject_class->get_property = gst_mem_meter_get_property;

  g_object_class_install_property (gobject_class, PROP_BUFFERS,
      g_param_spec_uint64 ("buffers", "Buffers",
          "Buffers passed since the last READY->PAUSED (count)",
          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_BYTES,
      g_param_spec_uint64 ("bytes", "Bytes",
          "Bytes passed since the last READY->PAUSED (bytes)",
          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_LIVE_BYTES,
      g_param_spec_uint64 ("live-bytes", "Live bytes",
          "Bytes of the buffers this element passed that are still alive "
          "anywhere in the process, copies sharing their memory included "
          "(bytes)", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_PEAK_LIVE_BYTES,
      g_param_spec_uint64 ("peak-live-bytes", "Peak live bytes",
          "Highest live-bytes since the last READY->PAUSED (bytes)",
          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_RATE,
      g_param_spec_uint64 ("rate", "Rate",
          "Bytes per second passed over the last interval, or over the last "
          "second when interval is 0 (bytes/s)", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint ("interval", "Interval",
          "Post a \"memmeter\" element message with every read-out this "
          "often, also while the pipeline is stalled, and one at EOS; "
          "message-interval bounds how many are posted (milliseconds; "
          "0 = no messages)", 0, MAX_INTERVAL_MS, DEFAULT_INTERVAL_MS,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_LIVE_BYTES,
      g_param_spec_uint64 ("max-live-bytes", "Max live bytes",
          "Block upstream while passing the next buffer would make more "
          "than this many bytes alive (of this element's, or of the named "
          "budget's buffers); one buffer always passes when nothing is "
          "alive (bytes; 0 = no limit)", 0, G_MAXUINT64,
          DEFAULT_MAX_LIVE_BYTES, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_BUDGET,
      g_param_spec_string ("budget", "Budget",
          "Name of a budget shared with other elements naming it: live "
          "bytes are counted together and the smallest max-live-bytes of "
          "its members applies to all (NULL or empty = this element's own "
          "budget)", NULL, rw | GST_PARAM_MUTABLE_READY));
  gst_message_throttle_install_property (gobject_class, PROP_MESSAGE_INTERVAL);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Memory meter",
      "Generic",
      "Passes buffers through, counting buffers, bytes, bytes still alive "
      "downstream and their peak; optionally blocks at a live-byte limit",
      "gst-membound developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_mem_meter_change_state);

  GST_DEBUG_CATEGORY_INIT (gst_mem_meter_debug, "memmeter", 0,
      "Memory meter");
}

static void
gst_mem_meter_init (GstMemMeter * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_mem_meter_chain));
  gst_pad_set_chain_list_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_mem_meter_chain_list));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_mem_meter_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->interval_ms = DEFAULT_INTERVAL_MS;
  self->max_live_bytes = DEFAULT_MAX_LIVE_BYTES;
  self->throttle = gst_message_throttle_new ();
  gst_mem_meter_join_budget (self, NULL);
}
