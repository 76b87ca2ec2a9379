/* gst-membound: undoing PNG row filters, for pngtiledec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_UNFILTER_H__
#define __GST_PNG_UNFILTER_H__

#include <glib.h>

G_BEGIN_DECLS

/* Rows of more bytes are left to libpng (the state holds two of them). */
#define GST_PNG_UNFILTER_ROW_MAX (16u << 20)

/* Filtered bytes of one row (filter byte first) and bytes per complete
 * pixel (at least 1) of a non-interlaced image, from its IHDR data (13
 * bytes). FALSE for an interlaced image or a header libpng would refuse. */
gboolean gst_png_unfilter_geometry (const guint8 * ihdr, gsize * row_bytes,
    guint * bpp);

/* Undoes the filter of one row of @row_bytes (filter byte first) in place,
 * PNG specification clause 9, and marks it filtered None; @above is the
 * row above, unfiltered, in the same layout (zeros above an image's first
 * row). FALSE for an unknown filter type (the row is left as it is). */
gboolean gst_png_unfilter_row (guint8 * row, const guint8 * above,
    gsize row_bytes, guint bpp);

/* The same over an image's filtered byte stream cut anywhere: each piece
 * is unfiltered in place as it comes, so that libpng, given the pieces in
 * order, only copies rows. The state keeps the row above and the start of
 * a row cut by a piece's end. Pieces that end where a pixel ends (see
 * gst_png_row_unfilter_piece_len()) take the fast path throughout. A row
 * with an unknown filter type stops the unfiltering: it and everything
 * after are left as they are, for libpng to refuse as it would anyway.
 * Bytes after the image's last row are left as they are too. */
typedef struct
{
  gboolean active;              /* set by start and stop */
  gboolean refused;             /* a row with an unknown filter type came */
  gsize row_bytes;
  guint bpp;
  guint32 rows_left;
  gsize col;                    /* bytes of the current row seen, 0: none */
  guint8 filter;                /* the current row's */
  guint8 *above;                /* the row above the current one, unfiltered */
  guint8 *row;                  /* the current row, as far as it has come */
  gsize alloc;                  /* bytes of each of the two rows */
} GstPngRowUnfilter;

/* Starts an image (IHDR data, 13 bytes); inactive where
 * gst_png_unfilter_geometry() says no or a row exceeds
 * GST_PNG_UNFILTER_ROW_MAX. Returns whether it is active. */
gboolean gst_png_row_unfilter_start (GstPngRowUnfilter * u,
    const guint8 * ihdr);
/* Ends the image: inactive until the next start (rows are kept). */
void gst_png_row_unfilter_stop (GstPngRowUnfilter * u);
/* Frees the rows. */
void gst_png_row_unfilter_clear (GstPngRowUnfilter * u);

void gst_png_row_unfilter_feed (GstPngRowUnfilter * u, guint8 * data,
    gsize len);

/* The longest piece of at most @max bytes that starts at byte @pos of the
 * image's filtered stream and ends where a pixel (or a row) ends. */
gsize gst_png_row_unfilter_piece_len (const GstPngRowUnfilter * u,
    guint64 pos, gsize max);

/* Bytes the state holds. */
gsize gst_png_row_unfilter_held_bytes (const GstPngRowUnfilter * u);

G_END_DECLS

#endif /* __GST_PNG_UNFILTER_H__ */
