/* gst-membound: the PNG restart marker (mARK chunk)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_RESTART_MARKER_H__
#define __GST_PNG_RESTART_MARKER_H__

#include <glib.h>

G_BEGIN_DECLS

/* What a mARK chunk (PNG Restart Marker specification v0.1) says about an
 * image, as far as pngtiledec uses it: segmentation method 0, type 1 --
 * the image is cut into n_segments horizontal slices, each one IDAT chunk
 * whose deflate data starts with an empty history (every one but the last
 * ends with a full flush) and whose first row is filtered None or Sub.
 * Type 0 (offsets) and other methods are not used: the file is then
 * decoded as any PNG. */
typedef struct {
  guint32 height;
  guint32 n_segments;
} GstPngRestartMarker;

#define GST_PNG_RESTART_MARKER_BYTES 6

/* Reads the chunk data of a mARK (@len bytes) for an image of @height rows.
 * FALSE when this decoder cannot use it: another method or type, offsets
 * present, a segment count outside 2..height-1, an interlaced image (the
 * method is defined for interlace 0 only). */
gboolean gst_png_restart_marker_parse (GstPngRestartMarker * marker,
    const guint8 * data, gsize len, guint32 height, gboolean interlaced);

/* Row count of @segment: height / n each, the first segment also takes the
 * remainder. */
guint32 gst_png_restart_marker_rows (const GstPngRestartMarker * marker,
    guint32 segment);

G_END_DECLS

#endif /* __GST_PNG_RESTART_MARKER_H__ */
