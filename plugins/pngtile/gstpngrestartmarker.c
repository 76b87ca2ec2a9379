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
    const guint8 * data, gsize len, guint32 height, gboolean interlaced)
{
  /* method 0, type 1: one IDAT per segment, no offsets */
  if (len != GST_PNG_RESTART_MARKER_BYTES || data[0] != 0 || data[1] != 1
      || interlaced)
    return FALSE;
  marker->height = height;
  marker->n_segments = gst_png_read_be32 (data + 2);
  return marker->n_segments >= 2 && marker->n_segments < height;
}

guint32
gst_png_restart_marker_rows (const GstPngRestartMarker * marker,
    guint32 segment)
{
  guint32 base = marker->height / marker->n_segments;

  return segment == 0 ? base + marker->height % marker->n_segments : base;
}
