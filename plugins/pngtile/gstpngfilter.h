/* gst-membound: PNG row filters for the writer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_FILTER_H__
#define __GST_PNG_FILTER_H__

#include "gstpngwriter.h"

G_BEGIN_DECLS

/* Bytes of scratch gst_png_filter_row() needs for rows of @row_bytes. */
gsize gst_png_filter_scratch_bytes (gsize row_bytes);

/* Filters the @row_bytes bytes at @row + 1 in place and stores the filter
 * type at @row[0]. @prior is the unfiltered row above, or NULL for the first
 * row of a segment (then only None or Sub is chosen). @bpp: bytes per
 * complete pixel. */
void gst_png_filter_row (GstPngWriterFilter filter, guint8 * row,
    const guint8 * prior, gsize row_bytes, guint bpp, guint8 * scratch);

G_END_DECLS

#endif /* __GST_PNG_FILTER_H__ */
