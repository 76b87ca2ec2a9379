/* gst-membound: memusage tracer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_MEM_USAGE_H__
#define __GST_MEM_USAGE_H__

#include <stdio.h>

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MEM_USAGE (gst_mem_usage_get_type ())
G_DECLARE_FINAL_TYPE (GstMemUsage, gst_mem_usage, GST, MEM_USAGE, GstTracer)

/* Locking: @lock guards the stats arrays, stats creation and names, the
 * output files and @stopping. Counters inside the stats are atomics, so the
 * push hooks only take @lock the first time they see a pad. The ticker
 * thread sleeps on @cond with @lock; finalize sets @stopping and signals. */
struct _GstMemUsage
{
  GstTracer parent;

  /* params */
  gchar *file;
  gchar *series_file;
  guint interval_ms;
  GstClockTime start;           /* times in the output count from here */

  GMutex lock;
  GCond cond;
  GPtrArray *elements;          /* MemUsageStats, one per element seen */
  GPtrArray *pads;              /* MemUsageStats, one per src pad that pushed */
  FILE *series;                 /* the time series, appended at every tick */
  gboolean stopping;
  GThread *ticker;

  /* pushes counted, and the count at the last summary, so finalize can
   * tell whether the summary after the last pipeline->NULL is current */
  gint pushes;
  gint pushes_summarized;
};

G_END_DECLS

#endif /* __GST_MEM_USAGE_H__ */
