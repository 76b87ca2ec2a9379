/* gst-membound: PNG row filters for the writer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each filter writes its residuals into scratch rows; the chosen row is
 * copied over the input row. The row above comes unfiltered from the
 * caller. The loops are kept plain (separate input and output, no early
 * exits) so that the compiler vectorizes them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpngfilter.h"

enum
{
  TYPE_NONE, TYPE_SUB, TYPE_UP, TYPE_AVERAGE, TYPE_PAETH, N_TYPES
};

/* Costs are summed in blocks this long, so that 32-bit sums cannot
 * overflow (128 per byte at most). */
#define COST_BLOCK (1 << 20)

/* |r| of a residual byte read as signed: r < 128 ? r : 256 - r, written
 * as the smaller of r and -r (mod 256), one unsigned byte minimum per lane */
#define ABS_RESIDUAL(r) MIN ((guint8) (r), (guint8) - (r))

/* The one-pass filter of filter=fast is most of the encoder's time outside
 * deflate: on x86-64 it is also compiled for AVX2 (twice the lanes of the
 * baseline SSE2), picked at load time where the CPU has it. */
#if defined (__x86_64__) && defined (__linux__) && \
    (defined (__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 6)
#define FAST_FILTER_CLONES __attribute__ ((target_clones ("avx2", "default")))
#else
#define FAST_FILTER_CLONES
#endif

/* filter=fast: every type that looks at a neighbour */
#define FAST_MASK ((1 << TYPE_SUB) | (1 << TYPE_UP) | (1 << TYPE_AVERAGE) \
    | (1 << TYPE_PAETH))

gsize
gst_png_filter_scratch_bytes (gsize row_bytes)
{
  return row_bytes * N_TYPES;
}

/* libpng's measure: the residuals as signed bytes, absolute values summed */
static guint64
cost (const guint8 * restrict d, gsize n)
{
  guint64 total = 0;
  gsize start, i;

  for (start = 0; start < n; start += COST_BLOCK) {
    gsize end = MIN (n, start + COST_BLOCK);
    guint32 sum = 0;

    for (i = start; i < end; i++)
      sum += ABS_RESIDUAL (d[i]);
    total += sum;
  }
  return total;
}

static void
filter_sub (const guint8 * restrict x, gsize n, guint bpp,
    guint8 * restrict out)
{
  gsize i;

  for (i = 0; i < bpp && i < n; i++)
    out[i] = x[i];
  for (i = bpp; i < n; i++)
    out[i] = x[i] - x[i - bpp];
}

static void
filter_up (const guint8 * restrict x, const guint8 * restrict p, gsize n,
    guint8 * restrict out)
{
  gsize i;

  for (i = 0; i < n; i++)
    out[i] = x[i] - p[i];
}

static void
filter_average (const guint8 * restrict x, const guint8 * restrict p,
    gsize n, guint bpp, guint8 * restrict out)
{
  gsize i;

  for (i = 0; i < bpp && i < n; i++)
    out[i] = x[i] - (p[i] >> 1);
  for (i = bpp; i < n; i++)
    out[i] = x[i] - ((x[i - bpp] + p[i]) >> 1);
}

/* In 16-bit lanes (the differences of bytes fit): twice as many per
 * vector as with int. pa = |p - a| = |b - c|, pb = |a - c|, pc = |a + b -
 * 2c|, for p = a + b - c. */
static inline guint8
paeth (gint16 a, gint16 b, gint16 c)
{
  gint16 da = b - c, db = a - c, dc = da + db;
  gint16 pa = da < 0 ? -da : da, pb = db < 0 ? -db : db;
  gint16 pc = dc < 0 ? -dc : dc;

  return (pa <= pb && pa <= pc) ? a : pb <= pc ? b : c;
}

static void
filter_paeth (const guint8 * restrict x, const guint8 * restrict p, gsize n,
    guint bpp, guint8 * restrict out)
{
  gsize i;

  /* left and upper left are 0 here: the predictor is the byte above */
  for (i = 0; i < bpp && i < n; i++)
    out[i] = x[i] - p[i];
  for (i = bpp; i < n; i++)
    out[i] = x[i] - paeth (x[i - bpp], p[i], p[i - bpp]);
}

/* Sub, Up, Average and Paeth residuals and their costs in one pass over
 * the row. */
FAST_FILTER_CLONES static void
filter_four (const guint8 * restrict x, const guint8 * restrict p, gsize n,
    guint bpp, guint8 * restrict sub, guint8 * restrict up,
    guint8 * restrict avg, guint8 * restrict pae, guint64 costs[N_TYPES])
{
  gsize start, i;

  for (i = 0; i < bpp && i < n; i++) {
    sub[i] = x[i];
    up[i] = pae[i] = x[i] - p[i];
    avg[i] = x[i] - (p[i] >> 1);
  }
  costs[TYPE_SUB] = cost (sub, MIN (n, bpp));
  costs[TYPE_UP] = costs[TYPE_PAETH] = cost (up, MIN (n, bpp));
  costs[TYPE_AVERAGE] = cost (avg, MIN (n, bpp));
  for (start = bpp; start < n; start += COST_BLOCK) {
    gsize end = MIN (n, start + COST_BLOCK);
    guint32 cs = 0, cu = 0, ca = 0, cp = 0;

    for (i = start; i < end; i++) {
      guint8 s = x[i] - x[i - bpp];
      guint8 u = x[i] - p[i];
      guint8 a = x[i] - ((x[i - bpp] + p[i]) >> 1);
      guint8 q = x[i] - paeth (x[i - bpp], p[i], p[i - bpp]);

      sub[i] = s;
      up[i] = u;
      avg[i] = a;
      pae[i] = q;
      cs += ABS_RESIDUAL (s);
      cu += ABS_RESIDUAL (u);
      ca += ABS_RESIDUAL (a);
      cp += ABS_RESIDUAL (q);
    }
    costs[TYPE_SUB] += cs;
    costs[TYPE_UP] += cu;
    costs[TYPE_AVERAGE] += ca;
    costs[TYPE_PAETH] += cp;
  }
}

/* Fills the scratch rows of the candidate types in @mask and their costs. */
static void
filter_candidates (guint mask, const guint8 * x, const guint8 * p, gsize n,
    guint bpp, guint8 * scratch, guint64 costs[N_TYPES])
{
  guint8 *rows[N_TYPES];
  guint t;

  for (t = 0; t < N_TYPES; t++)
    rows[t] = scratch + t * n;
  if (mask == FAST_MASK) {
    filter_four (x, p, n, bpp, rows[TYPE_SUB], rows[TYPE_UP],
        rows[TYPE_AVERAGE], rows[TYPE_PAETH], costs);
    return;
  }
  if (mask & (1 << TYPE_NONE))
    costs[TYPE_NONE] = cost (x, n);
  if (mask & (1 << TYPE_SUB)) {
    filter_sub (x, n, bpp, rows[TYPE_SUB]);
    costs[TYPE_SUB] = cost (rows[TYPE_SUB], n);
  }
  if (mask & (1 << TYPE_UP)) {
    filter_up (x, p, n, rows[TYPE_UP]);
    costs[TYPE_UP] = cost (rows[TYPE_UP], n);
  }
  if (mask & (1 << TYPE_AVERAGE)) {
    filter_average (x, p, n, bpp, rows[TYPE_AVERAGE]);
    costs[TYPE_AVERAGE] = cost (rows[TYPE_AVERAGE], n);
  }
  if (mask & (1 << TYPE_PAETH)) {
    filter_paeth (x, p, n, bpp, rows[TYPE_PAETH]);
    costs[TYPE_PAETH] = cost (rows[TYPE_PAETH], n);
  }
}

/* Which filter types a row may use. The first row of a segment has no row
 * above in reach: None or Sub only. */
static guint
filter_mask (GstPngWriterFilter filter, gboolean first)
{
  static const guint masks[] = {
    [GST_PNG_WRITER_FILTER_ADAPTIVE] = (1 << N_TYPES) - 1,
    [GST_PNG_WRITER_FILTER_NONE] = 1 << TYPE_NONE,
    [GST_PNG_WRITER_FILTER_SUB] = 1 << TYPE_SUB,
    [GST_PNG_WRITER_FILTER_UP] = 1 << TYPE_UP,
    [GST_PNG_WRITER_FILTER_AVERAGE] = 1 << TYPE_AVERAGE,
    [GST_PNG_WRITER_FILTER_PAETH] = 1 << TYPE_PAETH,
    [GST_PNG_WRITER_FILTER_FAST] = FAST_MASK,
  };
  const guint first_mask = (1 << TYPE_NONE) | (1 << TYPE_SUB);

  /* None and Sub need no row above: they stay as they are */
  if (first && (masks[filter] & ~first_mask))
    return first_mask;
  return masks[filter];
}

void
gst_png_filter_row (GstPngWriterFilter filter, guint8 * row,
    const guint8 * prior, gsize row_bytes, guint bpp, guint8 * scratch)
{
  guint64 costs[N_TYPES] = { 0 };
  guint mask = filter_mask (filter, prior == NULL);
  guint t, best = N_TYPES;

  filter_candidates (mask, row + 1, prior, row_bytes, bpp, scratch, costs);
  /* the smallest cost wins; a tie goes to the lower type, as in libpng */
  for (t = 0; t < N_TYPES; t++)
    if ((mask & (1 << t)) && (best == N_TYPES || costs[t] < costs[best]))
      best = t;
  row[0] = best;
  if (best != TYPE_NONE)
    memcpy (row + 1, scratch + best * row_bytes, row_bytes);
}
