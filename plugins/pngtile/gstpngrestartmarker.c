/* gst-membound: the PNG restart marker (mARK chunk)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstpngrestartmarker.h"
#include "gstpngchunk.h"

gboolean
gst_png_restart_marker_parse (GstPngRestartMarker * marker,
    const guint8 * data, gsize len, guint32 height, gboolean interlaced,
    const gchar ** why)
{
  guint32 n = len == GST_PNG_RESTART_MARKER_BYTES ?
      gst_png_read_be32 (data + 2) : 0;

  if (len != GST_PNG_RESTART_MARKER_BYTES)
    *why = len > GST_PNG_RESTART_MARKER_BYTES && (len - 2) % 4 == 0 ?
        "segment offsets (type 0) are not used" : "wrong chunk length";
  else if (data[0] != 0)
    *why = "unknown segmentation method";
  else if (data[1] != 1)
    *why = "segmentation type other than 1 (one IDAT per segment)";
  else if (n < 2 || n >= height)
    *why = "segment count outside 2 .. height - 1";
  else if (interlaced)
    *why = "the image is interlaced";
  else {
    marker->height = height;
    marker->n_segments = n;
    return TRUE;
  }
  return FALSE;
}

guint32
gst_png_restart_marker_rows (const GstPngRestartMarker * marker,
    guint32 segment)
{
  guint32 base = marker->height / marker->n_segments;

  return segment == 0 ? base + marker->height % marker->n_segments : base;
}
