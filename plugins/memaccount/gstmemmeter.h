/* gst-membound: memmeter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_MEM_METER_H__
#define __GST_MEM_METER_H__

#include <gst/gst.h>

#include "gstmembudget.h"
#include "gstmessagethrottle.h"

G_BEGIN_DECLS

#define GST_TYPE_MEM_METER (gst_mem_meter_get_type ())
G_DECLARE_FINAL_TYPE (GstMemMeter, gst_mem_meter, GST, MEM_METER, GstElement)

/* Locking: the object lock guards the counters, the rate window, the
 * settings and the @member pointer. The streaming thread waits in
 * gst_mem_budget_member_wait() on @member's budget, outside the object lock,
 * until the budget's admission rule lets its buffer pass; it is woken by the
 * budget when any holder releases charged bytes, and by flush-start and
 * PAUSED->READY, which set @member flushing. The interval timer runs in the
 * system clock's thread and only takes the object lock. */
struct _GstMemMeter
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* settings */
  guint interval_ms;
  guint64 max_live_bytes;
  gchar *budget_name;

  /* what passed */
  guint64 buffers;
  guint64 bytes;

  /* bytes per second, measured over a window */
  guint64 rate;
  gint64 rate_window_start;     /* monotonic us */
  guint64 rate_window_bytes;    /* @bytes at the window start */

  /* this element's seat in its budget (private, or the named one): its
   * share is the bytes this element passed that are still alive */
  GstMemBudgetMember *member;

  GstClockID timer;
  /* bounds the read-out messages the timer posts (thread-safe itself) */
  GstMessageThrottle *throttle;
};

GST_ELEMENT_REGISTER_DECLARE (memmeter);

G_END_DECLS

#endif /* __GST_MEM_METER_H__ */
