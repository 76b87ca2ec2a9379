/* gst-membound: plugin "memaccount"
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstboundedqueue.h"
#include "gstmemmeter.h"
#include "gstmemusage.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (boundedqueue, plugin);
  ret |= GST_ELEMENT_REGISTER (memmeter, plugin);
  ret |= gst_tracer_register (plugin, "memusage", GST_TYPE_MEM_USAGE);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, memaccount,
    "Memory accounting: bounded queue, meter, memusage tracer", plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME,
    GST_PACKAGE_ORIGIN)
