/* gst-membound: which file the data that follows comes from
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstfilelocation.h"

/**
 * gst_file_location_event_new:
 * @location: the file name
 * @index: the file's index in its sequence, or -1
 *
 * Makes the event that announces @location to downstream elements (see
 * %GST_FILE_LOCATION_EVENT_NAME). A newer one replaces the older one in a
 * pad's sticky store.
 *
 * Returns: (transfer full): a new custom downstream sticky event
 */
GstEvent *
gst_file_location_event_new (const gchar * location, gint index)
{
  gchar *uri;
  GstStructure *s;

  g_return_val_if_fail (location != NULL, NULL);

  uri = gst_filename_to_uri (location, NULL);
  s = gst_structure_new (GST_FILE_LOCATION_EVENT_NAME,
      "uri", G_TYPE_STRING, uri ? uri : location,
      "location", G_TYPE_STRING, location, "index", G_TYPE_INT, index, NULL);
  g_free (uri);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

/**
 * gst_file_location_event_parse:
 * @event: (transfer none): any event
 * @uri: (out) (transfer full) (optional): the file's URI
 *
 * Reads the file an event announces: a %GST_FILE_LOCATION_EVENT_NAME event,
 * or a tag event with a %GST_TAG_LOCATION (as other sources send).
 *
 * Returns: %TRUE if @event announces a file
 */
gboolean
gst_file_location_event_parse (GstEvent * event, gchar ** uri)
{
  GstTagList *tags;
  gchar *found = NULL;

  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);

  if (GST_EVENT_TYPE (event) == GST_EVENT_TAG) {
    gst_event_parse_tag (event, &tags);
    gst_tag_list_get_string (tags, GST_TAG_LOCATION, &found);
  } else if (gst_event_has_name (event, GST_FILE_LOCATION_EVENT_NAME)) {
    found = g_strdup (gst_structure_get_string (gst_event_get_structure
            (event), "uri"));
  }
  if (!found)
    return FALSE;
  if (uri)
    *uri = found;
  else
    g_free (found);
  return TRUE;
}
