/* gst-membound: memmeter
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_MEM_METER_H__
#define __GST_MEM_METER_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MEM_METER (gst_mem_meter_get_type ())
G_DECLARE_FINAL_TYPE (GstMemMeter, gst_mem_meter, GST, MEM_METER, GstElement)

struct _GstMemMeter
{
  GstElement parent;
};

GST_ELEMENT_REGISTER_DECLARE (memmeter);

G_END_DECLS

#endif /* __GST_MEM_METER_H__ */
