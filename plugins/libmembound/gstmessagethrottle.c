/* gst-membound: bounding the rate of element messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gstmessagethrottle
 * @title: GstMessageThrottle
 * @short_description: at most a burst, then one element message per interval
 *
 * An element keeps one #GstMessageThrottle per kind of message, exposes its
 * interval as the `message-interval` property with
 * gst_message_throttle_install_property(), and posts through
 * gst_message_throttle_post() (or asks gst_message_throttle_allow() first
 * when building the message costs something).
 */
#include "gstmessagethrottle.h"

/* `lock` guards every field: the interval is set from the application's
 * thread, tokens are taken from the streaming thread. Nobody waits. */
struct _GstMessageThrottle
{
  GMutex lock;
  GstClockTime interval;
  guint tokens;
  GstClockTime refilled_at;     /* GST_CLOCK_TIME_NONE: bucket full, unused */
  guint64 dropped;
};

/**
 * gst_message_throttle_new: (skip)
 *
 * Returns: (transfer full): a throttle with the default interval and a full
 * bucket.
 */
GstMessageThrottle *
gst_message_throttle_new (void)
{
  GstMessageThrottle *throttle = g_new0 (GstMessageThrottle, 1);

  g_mutex_init (&throttle->lock);
  throttle->interval = GST_MESSAGE_THROTTLE_DEFAULT_INTERVAL;
  gst_message_throttle_reset (throttle);
  return throttle;
}

/**
 * gst_message_throttle_free: (skip)
 * @throttle: (transfer full) (nullable): a throttle
 */
void
gst_message_throttle_free (GstMessageThrottle * throttle)
{
  if (!throttle)
    return;
  g_mutex_clear (&throttle->lock);
  g_free (throttle);
}

/**
 * gst_message_throttle_set_interval: (skip)
 * @throttle: a throttle
 * @interval: nanoseconds between two messages once the burst is spent;
 *   0 = every message is posted
 */
void
gst_message_throttle_set_interval (GstMessageThrottle * throttle,
    GstClockTime interval)
{
  g_mutex_lock (&throttle->lock);
  throttle->interval = interval;
  g_mutex_unlock (&throttle->lock);
}

/**
 * gst_message_throttle_get_interval: (skip)
 * @throttle: a throttle
 *
 * Returns: the interval in nanoseconds, 0 when unlimited.
 */
GstClockTime
gst_message_throttle_get_interval (GstMessageThrottle * throttle)
{
  GstClockTime interval;

  g_mutex_lock (&throttle->lock);
  interval = throttle->interval;
  g_mutex_unlock (&throttle->lock);
  return interval;
}

/**
 * gst_message_throttle_reset: (skip)
 * @throttle: a throttle
 *
 * Refills the bucket and clears the drop count; elements call it when a new
 * stream starts (READY to PAUSED).
 */
void
gst_message_throttle_reset (GstMessageThrottle * throttle)
{
  g_mutex_lock (&throttle->lock);
  throttle->tokens = GST_MESSAGE_THROTTLE_BURST;
  throttle->refilled_at = GST_CLOCK_TIME_NONE;
  throttle->dropped = 0;
  g_mutex_unlock (&throttle->lock);
}

/* One token comes back per interval elapsed, up to a full bucket. */
static void
refill (GstMessageThrottle * throttle, GstClockTime now)
{
  guint64 earned;

  if (throttle->tokens == GST_MESSAGE_THROTTLE_BURST
      || !GST_CLOCK_TIME_IS_VALID (throttle->refilled_at)) {
    throttle->refilled_at = now;
    return;
  }
  if (now <= throttle->refilled_at)
    return;
  earned = (now - throttle->refilled_at) / throttle->interval;
  if (earned >= GST_MESSAGE_THROTTLE_BURST - throttle->tokens) {
    throttle->tokens = GST_MESSAGE_THROTTLE_BURST;
    throttle->refilled_at = now;
  } else {
    throttle->tokens += earned;
    throttle->refilled_at += earned * throttle->interval;
  }
}

/**
 * gst_message_throttle_allow_at: (skip)
 * @throttle: a throttle
 * @now: the monotonic time in nanoseconds
 *
 * Takes a token if one is left at @now; a refused message is counted as
 * dropped.
 *
 * Returns: whether a message may be posted.
 */
gboolean
gst_message_throttle_allow_at (GstMessageThrottle * throttle,
    GstClockTime now)
{
  gboolean allowed = TRUE;

  g_mutex_lock (&throttle->lock);
  if (throttle->interval > 0) {
    refill (throttle, now);
    allowed = throttle->tokens > 0;
    if (allowed)
      throttle->tokens--;
    else
      throttle->dropped++;
  }
  g_mutex_unlock (&throttle->lock);
  return allowed;
}

/**
 * gst_message_throttle_allow: (skip)
 * @throttle: a throttle
 *
 * gst_message_throttle_allow_at() now.
 *
 * Returns: whether a message may be posted.
 */
gboolean
gst_message_throttle_allow (GstMessageThrottle * throttle)
{
  return gst_message_throttle_allow_at (throttle,
      g_get_monotonic_time () * GST_USECOND);
}

/**
 * gst_message_throttle_post: (skip)
 * @throttle: a throttle
 * @element: the element that posts
 * @structure: (transfer full): the message's structure
 *
 * Posts @structure as an element message of @element if the throttle allows
 * it now, or frees it.
 *
 * Returns: whether the message was posted.
 */
gboolean
gst_message_throttle_post (GstMessageThrottle * throttle,
    GstElement * element, GstStructure * structure)
{
  if (!gst_message_throttle_allow (throttle)) {
    gst_structure_free (structure);
    return FALSE;
  }
  return gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), structure));
}

/**
 * gst_message_throttle_get_dropped: (skip)
 * @throttle: a throttle
 *
 * Returns: the messages refused since the last reset.
 */
guint64
gst_message_throttle_get_dropped (GstMessageThrottle * throttle)
{
  guint64 dropped;

  g_mutex_lock (&throttle->lock);
  dropped = throttle->dropped;
  g_mutex_unlock (&throttle->lock);
  return dropped;
}

/**
 * gst_message_throttle_install_property: (skip)
 * @klass: the element's class
 * @prop_id: the property id the element gives `message-interval`
 *
 * Installs the `message-interval` property (guint64 nanoseconds) with the
 * same name, blurb, range and default on every element.
 *
 * Returns: (transfer none): the installed property.
 */
GParamSpec *
gst_message_throttle_install_property (GObjectClass * klass, guint prop_id)
{
  GParamSpec *pspec = g_param_spec_uint64 ("message-interval",
      "Message interval",
      "Least time between two element messages of one kind, in nanoseconds, "
      "once a burst of " G_STRINGIFY (GST_MESSAGE_THROTTLE_BURST)
      " has been posted; messages in between are dropped, so that a bus "
      "nobody reads never grows by more than one message per interval. "
      "0 = post every message (an application must then read its bus)",
      0, G_MAXUINT64, GST_MESSAGE_THROTTLE_DEFAULT_INTERVAL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (klass, prop_id, pspec);
  return pspec;
}
