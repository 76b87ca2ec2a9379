/* gst-membound: what libgstmembound exports
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The library is built with -fvisibility=hidden: only declarations marked
 * GST_MEMBOUND_API are visible to plugins and applications. Every public
 * header includes this one first.
 */
#ifndef __GST_MEMBOUND_API_H__
#define __GST_MEMBOUND_API_H__

#include <gst/gst.h>

/**
 * GST_MEMBOUND_API:
 *
 * Marks a function of the public API of libgstmembound: exported from the
 * library, imported by its users.
 */
#ifdef BUILDING_GST_MEMBOUND
#define GST_MEMBOUND_API GST_API_EXPORT
#else
#define GST_MEMBOUND_API GST_API_IMPORT
#endif

#endif /* __GST_MEMBOUND_API_H__ */
