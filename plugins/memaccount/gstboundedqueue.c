/* gst-membound: boundedqueue (skeleton, being written)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstboundedqueue.h"

GST_DEBUG_CATEGORY_STATIC (gst_bounded_queue_debug);
#define GST_CAT_DEFAULT gst_bounded_queue_debug

G_DEFINE_TYPE (GstBoundedQueue, gst_bounded_queue, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (boundedqueue, "boundedqueue", GST_RANK_NONE,
    GST_TYPE_BOUNDED_QUEUE);

static void
gst_bounded_queue_class_init (GstBoundedQueueClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class, "Bounded queue",
      "Generic", "Bounded queue", "gst-membound developers");
  GST_DEBUG_CATEGORY_INIT (gst_bounded_queue_debug, "boundedqueue", 0, "Bounded queue");
}

static void
gst_bounded_queue_init (GstBoundedQueue * self)
{
}
