/* gst-membound: bounding the rate of element messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_MESSAGE_THROTTLE_H__
#define __GST_MESSAGE_THROTTLE_H__

#include "gstmemboundapi.h"

G_BEGIN_DECLS

/**
 * GstMessageThrottle:
 *
 * Decides whether an element message (progress, per-file, read-outs) may be
 * posted now. A bus that nobody reads keeps every message posted to it, so
 * element messages must never be what makes an application grow: each kind of
 * message an element posts goes through one throttle.
 *
 * The rule is a token bucket, as the kernel's printk rate limit: up to
 * %GST_MESSAGE_THROTTLE_BURST messages pass at once (the first images of a run
 * are reported at once), then one per `message-interval`. Whatever the input
 * rate, an element posts at most %GST_MESSAGE_THROTTLE_BURST messages plus one
 * per interval, so an unread bus grows by at most one message (a few hundred
 * bytes) per interval and element. An interval of 0 posts every message.
 *
 * The throttle is thread-safe; it never posts while holding a lock.
 */
typedef struct _GstMessageThrottle GstMessageThrottle;

/**
 * GST_MESSAGE_THROTTLE_DEFAULT_INTERVAL:
 *
 * The default of every element's `message-interval`: one second.
 */
#define GST_MESSAGE_THROTTLE_DEFAULT_INTERVAL GST_SECOND

/**
 * GST_MESSAGE_THROTTLE_BURST:
 *
 * Messages that pass at once before the interval applies.
 */
#define GST_MESSAGE_THROTTLE_BURST 10

GST_MEMBOUND_API GstMessageThrottle *gst_message_throttle_new (void);
GST_MEMBOUND_API void gst_message_throttle_free (GstMessageThrottle * throttle);

GST_MEMBOUND_API void gst_message_throttle_set_interval (GstMessageThrottle *
    throttle, GstClockTime interval);
GST_MEMBOUND_API GstClockTime gst_message_throttle_get_interval
    (GstMessageThrottle * throttle);
GST_MEMBOUND_API void gst_message_throttle_reset (GstMessageThrottle *
    throttle);

GST_MEMBOUND_API gboolean gst_message_throttle_allow_at (GstMessageThrottle *
    throttle, GstClockTime now);
GST_MEMBOUND_API gboolean gst_message_throttle_allow (GstMessageThrottle *
    throttle);
GST_MEMBOUND_API gboolean gst_message_throttle_post (GstMessageThrottle *
    throttle, GstElement * element, GstStructure * structure);
GST_MEMBOUND_API guint64 gst_message_throttle_get_dropped (GstMessageThrottle *
    throttle);

GST_MEMBOUND_API GParamSpec *gst_message_throttle_install_property
    (GObjectClass * klass, guint prop_id);

G_END_DECLS

#endif /* __GST_MESSAGE_THROTTLE_H__ */
