/* gst-membound: memmeter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_MEM_METER_H__
#define __GST_MEM_METER_H__

#include <gst/gst.h>

#include "gstmembudget.h"

G_BEGIN_DECLS

#define GST_TYPE_MEM_METER (gst_mem_meter_get_type ())
G_DECLARE_FINAL_TYPE (GstMemMeter, gst_mem_meter, GST, MEM_METER, GstElement)

/* Locking: the object lock guards the counters, the rate window, the
 * settings and the budget pointers. The streaming thread blocks in
 * gst_mem_budget_wait() on @wait_budget, outside the object lock; it is
 * woken by the budget when downstream releases bytes, and by
 * flush-start / PAUSED->READY, which set @flushing and call
 * gst_mem_budget_wake(). The interval timer runs in the system clock's
 * thread and only takes the object lock. */
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

  /* bytes this element passed that are still alive: always private */
  GstMemBudget *meter;
  /* where max-live-bytes applies: @meter, or the named budget */
  GstMemBudget *wait_budget;
  gint flushing;                /* atomic */

  GstClockID timer;
};

GST_ELEMENT_REGISTER_DECLARE (memmeter);

G_END_DECLS

#endif /* __GST_MEM_METER_H__ */
