/* gst-membound: memusage tracer (skeleton, being written)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmemusage.h"

G_DEFINE_TYPE (GstMemUsage, gst_mem_usage, GST_TYPE_TRACER);

static void
gst_mem_usage_class_init (GstMemUsageClass * klass)
{
}

static void
gst_mem_usage_init (GstMemUsage * self)
{
}
