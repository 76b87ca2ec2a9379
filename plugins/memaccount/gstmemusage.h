/* gst-membound: memusage tracer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_MEM_USAGE_H__
#define __GST_MEM_USAGE_H__

#include <gst/gst.h>
#include <gst/gsttracer.h>

G_BEGIN_DECLS

#define GST_TYPE_MEM_USAGE (gst_mem_usage_get_type ())
G_DECLARE_FINAL_TYPE (GstMemUsage, gst_mem_usage, GST, MEM_USAGE, GstTracer)

struct _GstMemUsage
{
  GstTracer parent;
};

G_END_DECLS

#endif /* __GST_MEM_USAGE_H__ */
