/* gst-membound: which file the data that follows comes from
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_FILE_LOCATION_H__
#define __GST_FILE_LOCATION_H__

#include <gst/gst.h>

#include "gstmemboundapi.h"

G_BEGIN_DECLS

/**
 * GST_FILE_LOCATION_EVENT_NAME:
 *
 * The structure name of the custom downstream sticky event that announces
 * the file the following data comes from. seqfilesrc sends one before each
 * file; pngtiledec and the tile consumers pass it on and name files from it
 * in their messages.
 *
 * A custom event, not a tag: every sink posts each tag event it receives on
 * the bus, so a location tag per file would grow the bus of an application
 * that never reads it by one message per file. Nothing posts custom events.
 * The structure holds `uri` (string), `location` (string, the file name) and
 * `index` (int, the file's index in its sequence, or -1).
 */
#define GST_FILE_LOCATION_EVENT_NAME "GstFileLocation"

GST_MEMBOUND_API
GstEvent *gst_file_location_event_new (const gchar * location, gint index);

GST_MEMBOUND_API
gboolean gst_file_location_event_parse (GstEvent * event, gchar ** uri);

G_END_DECLS

#endif /* __GST_FILE_LOCATION_H__ */
