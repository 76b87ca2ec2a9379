/* gst-membound: memmeter (skeleton, being written)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmemmeter.h"

GST_DEBUG_CATEGORY_STATIC (gst_mem_meter_debug);
#define GST_CAT_DEFAULT gst_mem_meter_debug

G_DEFINE_TYPE (GstMemMeter, gst_mem_meter, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (memmeter, "memmeter", GST_RANK_NONE,
    GST_TYPE_MEM_METER);

static void
gst_mem_meter_class_init (GstMemMeterClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class, "Memory meter",
      "Generic", "Memory meter", "gst-membound developers");
  GST_DEBUG_CATEGORY_INIT (gst_mem_meter_debug, "memmeter", 0, "Memory meter");
}

static void
gst_mem_meter_init (GstMemMeter * self)
{
}
