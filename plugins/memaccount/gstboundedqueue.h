/* gst-membound: boundedqueue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_BOUNDED_QUEUE_H__
#define __GST_BOUNDED_QUEUE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_BOUNDED_QUEUE (gst_bounded_queue_get_type ())
G_DECLARE_FINAL_TYPE (GstBoundedQueue, gst_bounded_queue, GST, BOUNDED_QUEUE, GstElement)

struct _GstBoundedQueue
{
  GstElement parent;
};

GST_ELEMENT_REGISTER_DECLARE (boundedqueue);

G_END_DECLS

#endif /* __GST_BOUNDED_QUEUE_H__ */
