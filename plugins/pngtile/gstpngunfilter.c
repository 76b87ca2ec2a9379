/* gst-membound: undoing PNG row filters, for pngtiledec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The arithmetic is the PNG specification's (clause 9), on bytes, which
 * libpng does the same way: a row unfiltered here and passed on filtered
 * None gives libpng the same row it would have made. What the bytes mean
 * (bit depth, palette, transparency) is left to libpng.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpngunfilter.h"
#include "gstpngchunk.h"

gboolean
gst_png_unfilter_geometry (const guint8 * ihdr, gsize * row_bytes,
    guint * bpp)
{
  static const guint8 channels[7] = { 1, 0, 3, 1, 2, 0, 4 };
  guint32 width = gst_png_read_be32 (ihdr);
  guint depth = ihdr[8], type = ihdr[9];

  if (type > 6 || channels[type] == 0 || ihdr[10] || ihdr[11] || ihdr[12]
      || (depth != 1 && depth != 2 && depth != 4 && depth != 8
          && depth != 16) || width == 0 || width > GST_PNG_CHUNK_LENGTH_MAX)
    return FALSE;
  *row_bytes = ((guint64) width * channels[type] * depth + 7) / 8 + 1;
  *bpp = MAX (channels[type] * depth / 8, 1);
  return TRUE;
}

static inline guint8
paeth (guint8 a, guint8 b, guint8 c)
{
  gint p = a + b - c, pa = ABS (p - a), pb = ABS (p - b), pc = ABS (p - c);

  if (pa <= pb && pa <= pc)
    return a;
  return pb <= pc ? b : c;
}

/* unrolled for a constant pixel size, so that a[] and c[] are registers */
#define PIXEL_BYTES _Pragma ("GCC unroll 8")

/* Undoes @filter on @len bytes of whole pixels in place; @b is the same
 * bytes of the row above, unfiltered. @left and @above_left are the pixel
 * before them in this row (unfiltered) and in the row above, or NULL at
 * the start of a row (zeros). The bytes of the pixel to the left and
 * above-left are kept in registers, @bpp being a constant where this is
 * inlined: a loop reading them back from the row would wait on each
 * store, and most photo rows are filtered Average or Paeth. */
static G_ALWAYS_INLINE inline gboolean
unfilter_pixels (guint8 * x, const guint8 * b, gsize len, guint8 filter,
    const gsize bpp, const guint8 * left, const guint8 * above_left)
{
  guint8 a[8] = { 0 }, c[8] = { 0 };
  gsize i, j;

  if (left)
    for (j = 0; j < bpp; j++) {
      a[j] = left[j];
      c[j] = above_left[j];
    }
  switch (filter) {
    case 0:
      break;
    case 1:
      for (i = 0; i < len; i += bpp)
        PIXEL_BYTES
        for (j = 0; j < bpp; j++)
          a[j] = x[i + j] += a[j];
      break;
    case 2:
      for (i = 0; i < len; i++)
        x[i] += b[i];
      break;
    case 3:
      for (i = 0; i < len; i += bpp)
        PIXEL_BYTES
        for (j = 0; j < bpp; j++)
          a[j] = x[i + j] += (a[j] + b[i + j]) >> 1;
      break;
    case 4:
      for (i = 0; i < len; i += bpp)
        PIXEL_BYTES
        for (j = 0; j < bpp; j++) {
          guint8 up = b[i + j];

          a[j] = x[i + j] += paeth (a[j], up, c[j]);
          c[j] = up;
        }
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

/* One call per pixel size, so that each is compiled for its constant. */
static gboolean
unfilter_span (guint8 * x, const guint8 * b, gsize len, guint8 filter,
    guint bpp, const guint8 * left, const guint8 * above_left)
{
  switch (bpp) {
    case 1:
      return unfilter_pixels (x, b, len, filter, 1, left, above_left);
    case 2:
      return unfilter_pixels (x, b, len, filter, 2, left, above_left);
    case 3:
      return unfilter_pixels (x, b, len, filter, 3, left, above_left);
    case 4:
      return unfilter_pixels (x, b, len, filter, 4, left, above_left);
    case 6:
      return unfilter_pixels (x, b, len, filter, 6, left, above_left);
    case 8:
      return unfilter_pixels (x, b, len, filter, 8, left, above_left);
    default:
      g_return_val_if_reached (FALSE);
  }
}

gboolean
gst_png_unfilter_row (guint8 * row, const guint8 * above, gsize row_bytes,
    guint bpp)
{
  if (!unfilter_span (row + 1, above + 1, row_bytes - 1, row[0], bpp, NULL,
          NULL))
    return FALSE;
  row[0] = 0;
  return TRUE;
}

/* --- the stream --- */

gboolean
gst_png_row_unfilter_start (GstPngRowUnfilter * u, const guint8 * ihdr)
{
  gsize row_bytes;
  guint bpp;

  u->active = FALSE;
  if (!gst_png_unfilter_geometry (ihdr, &row_bytes, &bpp)
      || row_bytes > GST_PNG_UNFILTER_ROW_MAX)
    return FALSE;
  if (u->alloc < row_bytes) {
    gst_png_row_unfilter_clear (u);
    u->above = g_try_malloc (row_bytes);
    u->row = g_try_malloc (row_bytes);
    if (!u->above || !u->row) {
      gst_png_row_unfilter_clear (u);
      return FALSE;
    }
    u->alloc = row_bytes;
  }
  memset (u->above, 0, row_bytes);
  u->row_bytes = row_bytes;
  u->bpp = bpp;
  u->rows_left = gst_png_read_be32 (ihdr + 4);
  u->col = 0;
  u->refused = FALSE;
  u->active = TRUE;
  return TRUE;
}

void
gst_png_row_unfilter_stop (GstPngRowUnfilter * u)
{
  u->active = FALSE;
}

void
gst_png_row_unfilter_clear (GstPngRowUnfilter * u)
{
  g_clear_pointer (&u->above, g_free);
  g_clear_pointer (&u->row, g_free);
  u->alloc = 0;
  u->active = FALSE;
}

gsize
gst_png_row_unfilter_held_bytes (const GstPngRowUnfilter * u)
{
  return 2 * u->alloc;
}

gsize
gst_png_row_unfilter_piece_len (const GstPngRowUnfilter * u, guint64 pos,
    gsize max)
{
  gsize n;

  if (!u->active || u->bpp == 1)
    return max;
  /* a pixel ends at column 0 (a row's end) or 1 + k * bpp */
  for (n = max; n > 0 && max - n < u->bpp; n--) {
    gsize col = (pos + n) % u->row_bytes;

    if (col % u->bpp == 1 % u->bpp || col == 0)
      return n;
  }
  return max;
}

/* Byte by byte, for the bytes of a pixel cut by a piece's end: each is
 * also kept in u->row, where the bytes after it find their left pixel.
 * u->above is the row above. */
static void
unfilter_bytewise (GstPngRowUnfilter * u, guint8 * x, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++, u->col++) {
    gsize p = u->col;
    gboolean has_left = p > u->bpp;

    unfilter_pixels (x + i, u->above + p, 1, u->filter, 1,
        has_left ? u->row + p - u->bpp : NULL,
        has_left ? u->above + p - u->bpp : NULL);
    u->row[p] = x[i];
  }
}

/* Unfilters @len bytes of the current row from u->col on, the row above
 * being u->above and the row's start being in u->row; keeps them in
 * u->row too. @len does not go past the row's end. */
static void
unfilter_in_row (GstPngRowUnfilter * u, guint8 * x, gsize len)
{
  const gsize bpp = u->bpp;
  gsize head = MIN (len, (bpp - (u->col - 1) % bpp) % bpp), whole;

  /* to the end of a pixel cut by the previous piece */
  unfilter_bytewise (u, x, head);
  x += head;
  len -= head;
  whole = len / bpp * bpp;
  if (whole > 0) {
    /* the pixel to the left, if any, is in u->row */
    unfilter_span (x, u->above + u->col, whole, u->filter, bpp,
        u->col > 1 ? u->row + u->col - bpp : NULL,
        u->col > 1 ? u->above + u->col - bpp : NULL);
    memcpy (u->row + u->col, x, whole);
    u->col += whole;
  }
  /* the start of a pixel this piece cuts */
  unfilter_bytewise (u, x + whole, len - whole);
}

/* The current row's bytes are all in u->row: it becomes the row above. */
static void
end_kept_row (GstPngRowUnfilter * u)
{
  guint8 *done_row = u->row;

  u->row = u->above;
  u->above = done_row;
  u->col = 0;
  u->rows_left--;
}

void
gst_png_row_unfilter_feed (GstPngRowUnfilter * u, guint8 * data, gsize len)
{
  const gsize row_bytes = u->row_bytes;
  const guint8 *above;          /* the current row's */
  gsize n;

  if (!u->active || u->refused)
    return;
  if (u->col > 0 && len > 0 && u->rows_left > 0) {
    /* the row the previous piece cut goes on */
    n = MIN (len, row_bytes - u->col);
    unfilter_in_row (u, data, n);
    data += n;
    len -= n;
    if (u->col == row_bytes)
      end_kept_row (u);
  }
  above = u->above;
  while (len > 0 && u->rows_left > 0) {
    /* a row starts here */
    if (data[0] > 4) {
      /* libpng refuses the row as it would anyway */
      u->refused = TRUE;
      return;
    }
    if (len < row_bytes)
      break;
    if (!gst_png_unfilter_row (data, above, row_bytes, u->bpp))
      g_return_if_reached ();
    above = data;
    data += row_bytes;
    len -= row_bytes;
    u->rows_left--;
  }
  /* keep the row above for the next piece */
  if (above != u->above)
    memcpy (u->above, above, row_bytes);
  if (len > 0 && u->rows_left > 0) {
    /* a row this piece cuts: its start goes to u->row */
    u->filter = data[0];
    data[0] = 0;
    u->row[0] = 0;
    u->col = 1;
    unfilter_in_row (u, data + 1, len - 1);
  }
}
