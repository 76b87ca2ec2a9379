/* gst-membound: the PNG restart marker (mARK chunk)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstpngrestartmarker.h"

gboolean
gst_png_restart_marker_parse (GstPngRestartMarker * marker,
    const guint8 * data, gsize len, guint32 height, gboolean interlaced,
    const gchar ** why)
{
  guint32 n;

  if (len != GST_PNG_RESTART_MARKER_BYTES) {
    *why = len > GST_PNG_RESTART_MARKER_BYTES && (len - 2) % 4 == 0 ?
        "segment offsets (type 0) are not used" : "wrong chunk length";
    return FALSE;
  }
  if (data[0] != 0) {
    *why = "unknown segmentation method";
    return FALSE;
  }
  if (data[1] != 1) {
    *why = "segmentation type other than 1 (one IDAT per segment)";
    return FALSE;
  }
  n = ((guint32) data[2] << 24) | ((guint32) data[3] << 16) |
      ((guint32) data[4] << 8) | data[5];
  if (n < 2 || n >= height) {
    *why = "segment count outside 2 .. height - 1";
    return FALSE;
  }
  if (interlaced) {
    *why = "the image is interlaced";
    return FALSE;
  }
  marker->height = height;
  marker->n_segments = n;
  return TRUE;
}

guint32
gst_png_restart_marker_first_row (const GstPngRestartMarker * marker,
    guint32 segment)
{
  guint32 base = marker->height / marker->n_segments;

  return segment == 0 ? 0 : marker->height % marker->n_segments +
      segment * base;
}

guint32
gst_png_restart_marker_rows (const GstPngRestartMarker * marker,
    guint32 segment)
{
  guint32 base = marker->height / marker->n_segments;

  return segment == 0 ? base + marker->height % marker->n_segments : base;
}
