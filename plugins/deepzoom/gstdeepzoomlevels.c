/* gst-membound: the levels of a Deep Zoom pyramid, built in one pass
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdeepzoomlevels.h"

#include <string.h>

/* How many levels libvips makes: halve (rounding up) until 1 x 1. */
static guint
gst_deep_zoom_levels_count (guint width, guint height)
{
  guint size = MAX (width, height), n = 1;

  while (size > 1) {
    size = size / 2 + (size & 1);
    n++;
  }
  return n;
}

/**
 * gst_deep_zoom_levels_init:
 *
 * Sets up the levels of a @width x @height image whose input comes in tile
 * rows of @input_rows rows, and allocates their rings: per level
 * min(height, tile_size + 2 * overlap) rows of the level's width, plus
 * @input_rows rows at the top. Summed over the levels this is less than
 * twice the top level's share. FALSE if the rings cannot be allocated;
 * @levels->held_bytes then says how many bytes they needed, and
 * gst_deep_zoom_levels_clear() frees the rest.
 */
gboolean
gst_deep_zoom_levels_init (GstDeepZoomLevels * levels, guint width,
    guint height, guint tile_size, guint overlap, guint input_rows,
    const GstDeepZoomPixels * pixels, GstDeepZoomTileRowFunc func,
    gpointer user_data)
{
  guint64 pixel_bytes = (guint64) pixels->sample_bytes * pixels->channels;
  guint n = gst_deep_zoom_levels_count (width, height), i;

  g_return_val_if_fail (width > 0 && height > 0 && tile_size > 0, FALSE);

  memset (levels, 0, sizeof (*levels));
  levels->tile_size = tile_size;
  levels->overlap = overlap;
  levels->pixels = *pixels;
  levels->n_levels = n;
  levels->levels = g_new0 (GstDeepZoomLevel, n);
  levels->tile_row_func = func;
  levels->user_data = user_data;

  for (i = n; i-- > 0;) {
    GstDeepZoomLevel *l = &levels->levels[i];

    l->width = width;
    l->height = height;
    l->n_columns = (width + tile_size - 1) / tile_size;
    l->n_rows = (height + tile_size - 1) / tile_size;
    l->stride = width * pixel_bytes;
    /* a tile row spans tile_size + 2 * overlap rows; the top level also
     * takes a whole input tile row before it can hand the rows on */
    l->capacity = MIN ((guint64) tile_size + 2 * (guint64) overlap +
        (i == n - 1 ? input_rows : 0), height);
    levels->held_bytes += (guint64) l->capacity * l->stride;
    width = width / 2 + (width & 1);
    height = height / 2 + (height & 1);
  }
  for (i = 0; i < n; i++) {
    GstDeepZoomLevel *l = &levels->levels[i];

    l->ring = g_try_malloc ((gsize) l->capacity * l->stride);
    if (!l->ring)
      return FALSE;
  }
  return TRUE;
}

void
gst_deep_zoom_levels_clear (GstDeepZoomLevels * levels)
{
  guint i;

  for (i = 0; levels->levels && i < levels->n_levels; i++)
    g_free (levels->levels[i].ring);
  g_free (levels->levels);
  memset (levels, 0, sizeof (*levels));
}

const guint8 *
gst_deep_zoom_level_row (const GstDeepZoomLevel * level, guint y)
{
  return level->ring + (gsize) (y % level->capacity) * level->stride;
}

/* Where input row @y of the top level goes. Rows may be filled in any order
 * within one input tile row (tile by tile), and are handed on by
 * gst_deep_zoom_levels_commit() once the tile row is whole. */
guint8 *
gst_deep_zoom_levels_input_row (GstDeepZoomLevels * levels, guint y)
{
  GstDeepZoomLevel *top = &levels->levels[levels->n_levels - 1];

  return (guint8 *) gst_deep_zoom_level_row (top, y);
}

/* ------------------------------------------------------------------------ */
/* 2 x 2 averages                                                           */
/* ------------------------------------------------------------------------ */

/* Rounded to nearest, halves up: libvips' shrink of integer samples. The
 * pairs loop has no edge case, so it vectorises. */
static void
average_rows_8 (const guint8 * restrict a, const guint8 * restrict b,
    guint8 * restrict out, guint width, guint C)
{
  guint pairs = width / 2, j, c;
  gsize k, n = (gsize) pairs * C;

  for (k = 0; k < n; k++) {
    gsize i = (k / C) * 2 * C + k % C;

    out[k] = (a[i] + a[i + C] + b[i] + b[i + C] + 2) >> 2;
  }
  if (width & 1) {
    j = width - 1;
    for (c = 0; c < C; c++)
      out[n + c] = (2 * a[j * C + c] + 2 * b[j * C + c] + 2) >> 2;
  }
}

/* Three channels are the common case: no divisions by C in the loop. */
static void
average_rows_8_rgb (const guint8 * restrict a, const guint8 * restrict b,
    guint8 * restrict out, guint width)
{
  guint pairs = width / 2, j;

  for (j = 0; j < pairs; j++, a += 6, b += 6, out += 3) {
    out[0] = (a[0] + a[3] + b[0] + b[3] + 2) >> 2;
    out[1] = (a[1] + a[4] + b[1] + b[4] + 2) >> 2;
    out[2] = (a[2] + a[5] + b[2] + b[5] + 2) >> 2;
  }
  if (width & 1) {
    out[0] = (a[0] + b[0] + 1) >> 1;
    out[1] = (a[1] + b[1] + 1) >> 1;
    out[2] = (a[2] + b[2] + 1) >> 1;
  }
}

static inline guint
load16 (const guint8 * p)
{
  return (p[0] << 8) | p[1];
}

static inline void
store16 (guint8 * p, guint v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

/* Sample @c of pixel @x of the four source pixels of output pixel @j: an
 * odd last column stands in for its missing right neighbour. */
static void
average_rows_16 (const guint8 * a, const guint8 * b, guint8 * out,
    guint width, guint C)
{
  guint out_width = width / 2 + (width & 1), j, c;

  for (j = 0; j < out_width; j++) {
    guint x0 = 2 * j, x1 = MIN (2 * j + 1, width - 1);

    for (c = 0; c < C; c++) {
      gsize i0 = ((gsize) x0 * C + c) * 2, i1 = ((gsize) x1 * C + c) * 2;
      guint s = load16 (a + i0) + load16 (a + i1) + load16 (b + i0) +
          load16 (b + i1);

      store16 (out + ((gsize) j * C + c) * 2, (s + 2) >> 2);
    }
  }
}

static inline guint
load_sample (const guint8 * p, gsize i, guint sample_bytes)
{
  return sample_bytes == 2 ? load16 (p + 2 * i) : p[i];
}

static inline void
store_sample (guint8 * p, gsize i, guint sample_bytes, guint v)
{
  if (sample_bytes == 2)
    store16 (p + 2 * i, v);
  else
    p[i] = v;
}

/* Colours weighted by alpha: libvips premultiplies, averages and divides by
 * the mean alpha, truncating; in integers that is sum(c * a) / sum(a)
 * exactly, and 0 where all four pixels are transparent. */
static void
average_rows_alpha (const guint8 * a, const guint8 * b, guint8 * out,
    guint width, guint C, guint sample_bytes)
{
  guint out_width = width / 2 + (width & 1), j, c;

  for (j = 0; j < out_width; j++) {
    gsize p[4];
    const guint8 *row[4] = { a, a, b, b };
    guint64 alpha_sum = 0, alpha[4];
    guint k;

    p[0] = p[2] = (gsize) 2 * j * C;
    p[1] = p[3] = (gsize) MIN (2 * j + 1, width - 1) * C;
    for (k = 0; k < 4; k++) {
      alpha[k] = load_sample (row[k], p[k] + C - 1, sample_bytes);
      alpha_sum += alpha[k];
    }
    for (c = 0; c + 1 < C; c++) {
      guint64 s = 0;

      for (k = 0; k < 4; k++)
        s += alpha[k] * load_sample (row[k], p[k] + c, sample_bytes);
      store_sample (out, (gsize) j * C + c, sample_bytes,
          alpha_sum ? s / alpha_sum : 0);
    }
    store_sample (out, (gsize) j * C + C - 1, sample_bytes, alpha_sum >> 2);
  }
}

static void
gst_deep_zoom_average (const GstDeepZoomPixels * px, const guint8 * a,
    const guint8 * b, guint8 * out, guint width)
{
  if (px->has_alpha)
    average_rows_alpha (a, b, out, width, px->channels, px->sample_bytes);
  else if (px->sample_bytes == 2)
    average_rows_16 (a, b, out, width, px->channels);
  else if (px->channels == 3)
    average_rows_8_rgb (a, b, out, width);
  else
    average_rows_8 (a, b, out, width, px->channels);
}

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

/* Last row (exclusive) of tile row @r of a level: tiles reach @overlap rows
 * into the next tile row. */
static guint
gst_deep_zoom_tile_row_end (const GstDeepZoomLevels * levels,
    const GstDeepZoomLevel * l, guint r)
{
  guint64 end = ((guint64) r + 1) * levels->tile_size + levels->overlap;

  return MIN (end, l->height);
}

/* Row l->rows_in has just been stored in level @i: write the tile row it
 * completes, then, every second row (and at an odd last row), make the row
 * of the level below. The finer rows stay in the ring until the coarser row
 * has been made, since a ring holds at least two rows (or the only one). */
static gboolean
gst_deep_zoom_levels_take_row (GstDeepZoomLevels * levels, guint i)
{
  GstDeepZoomLevel *l = &levels->levels[i];
  guint y = l->rows_in++;

  if (l->tile_row < l->n_rows
      && y + 1 == gst_deep_zoom_tile_row_end (levels, l, l->tile_row)) {
    if (!levels->tile_row_func (levels->user_data, i, l->tile_row))
      return FALSE;
    l->tile_row++;
  }
  if (i > 0 && ((y & 1) || y + 1 == l->height)) {
    GstDeepZoomLevel *below = &levels->levels[i - 1];
    const guint8 *upper = gst_deep_zoom_level_row (l, y & ~1u);
    const guint8 *lower = gst_deep_zoom_level_row (l, y);
    guint8 *out = (guint8 *) gst_deep_zoom_level_row (below, below->rows_in);

    gst_deep_zoom_average (&levels->pixels, upper, lower, out, l->width);
    return gst_deep_zoom_levels_take_row (levels, i - 1);
  }
  return TRUE;
}

/**
 * gst_deep_zoom_levels_commit:
 * @n_rows: rows filled through gst_deep_zoom_levels_input_row() since the
 *   last commit
 *
 * Hands the next @n_rows rows of the top level on, writing every tile row
 * they complete on every level. FALSE if the tile row callback failed.
 */
gboolean
gst_deep_zoom_levels_commit (GstDeepZoomLevels * levels, guint n_rows)
{
  guint k;

  for (k = 0; k < n_rows; k++)
    if (!gst_deep_zoom_levels_take_row (levels, levels->n_levels - 1))
      return FALSE;
  return TRUE;
}

/* Every row of every level is in, so every tile is written. */
gboolean
gst_deep_zoom_levels_done (const GstDeepZoomLevels * levels)
{
  guint i;

  for (i = 0; i < levels->n_levels; i++)
    if (levels->levels[i].tile_row < levels->levels[i].n_rows)
      return FALSE;
  return levels->n_levels > 0;
}

guint64
gst_deep_zoom_levels_n_tiles (const GstDeepZoomLevels * levels)
{
  guint64 n = 0;
  guint i;

  for (i = 0; i < levels->n_levels; i++)
    n += (guint64) levels->levels[i].n_columns * levels->levels[i].n_rows;
  return n;
}

/* The pixels of tile (@column, @row) of @level: its grid cell plus @overlap
 * pixels on every side that has a neighbour, clipped to the level. */
void
gst_deep_zoom_level_tile_rect (const GstDeepZoomLevels * levels, guint level,
    guint column, guint row, guint * x, guint * y, guint * width,
    guint * height)
{
  const GstDeepZoomLevel *l = &levels->levels[level];
  guint64 ts = levels->tile_size, ov = levels->overlap;
  guint64 x0 = column * ts, y0 = row * ts;
  guint64 x1 = MIN (x0 + ts + ov, l->width);
  guint64 y1 = MIN (y0 + ts + ov, l->height);

  x0 = x0 > ov ? x0 - ov : 0;
  y0 = y0 > ov ? y0 - ov : 0;
  *x = x0;
  *y = y0;
  *width = x1 - x0;
  *height = y1 - y0;
}
