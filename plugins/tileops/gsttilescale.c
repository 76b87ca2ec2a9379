/* gst-membound: tilescale
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-tilescale
 * @title: tilescale
 *
 * Scales a tile stream (buffers with a #GstTileMeta) to the target size by
 * area averaging: every output pixel is the exact, area-weighted mean of the
 * input pixels it covers, rounded to the nearest code value. It streams over
 * the tiles and holds the output buffer plus the sums of the output rows the
 * current tile row touches, never the input image. The output is one whole
 * frame per image, or with tile-height a tile stream of strips, each sent as
 * soon as its rows are done.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 filesrc location=big.png ! pngtiledec ! tilescale width=1920 ! pngenc ! filesink location=thumb.png
 * gst-launch-1.0 filesrc location=big.png ! pngtiledec ! tilescale width=1920 tile-height=64 ! queue ! pngtileenc ! filesink location=thumb.png
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsttilescale.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_tile_scale_debug);
#define GST_CAT_DEFAULT gst_tile_scale_debug

#define TILE_SCALE_FORMATS \
  "{ GRAY8, GRAY16_BE, RGB, BGR, RGBA, BGRA, ARGB, ABGR, RGBx, BGRx, xRGB, " \
  "xBGR, RGBA64_BE, ARGB64_BE }"

/* Output frames (or strips) in flight: one being filled, one downstream
 * (plus what downstream says it keeps; see GstTileOutput). */
#define POOL_MAX_BUFFERS 2

enum
{
  PROP_0,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_TILE_HEIGHT,
  PROP_HELD_BYTES,
  PROP_MESSAGE_INTERVAL,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (TILE_SCALE_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (TILE_SCALE_FORMATS)));

G_DEFINE_TYPE (GstTileScale, gst_tile_scale, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (tilescale, "tilescale", GST_RANK_NONE,
    GST_TYPE_TILE_SCALE);

/* ------------------------------------------------------------------------ */
/* Scaling tables                                                           */
/* ------------------------------------------------------------------------ */

static guint
bit_length (guint64 v)
{
  guint n = 0;

  while (v) {
    n++;
    v >>= 1;
  }
  return n;
}

static void
gst_tile_scale_axis_clear (GstTileScaleAxis * axis)
{
  g_free (axis->spans);
  g_free (axis->taps);
  memset (axis, 0, sizeof (*axis));
}

/* Output pixel j covers [j * unit_out, (j + 1) * unit_out), input pixel i
 * covers [i * unit_in, (i + 1) * unit_in): all overlaps are integers, so the
 * weights are exact and sum to unit_out for every output pixel. */
static void
gst_tile_scale_axis_init (GstTileScaleAxis * axis, guint n_in, guint n_out)
{
  guint64 g = gst_util_greatest_common_divisor_int64 (n_in, n_out);
  guint j;

  gst_tile_scale_axis_clear (axis);
  axis->n_in = n_in;
  axis->n_out = n_out;
  axis->unit_in = n_out / g;
  axis->unit_out = n_in / g;
  axis->spans = g_new (GstTileScaleSpan, n_out);

  for (j = 0; j < n_out; j++) {
    guint64 start = (guint64) j * axis->unit_out;
    guint64 end = start + axis->unit_out;
    GstTileScaleSpan *s = &axis->spans[j];

    s->first = start / axis->unit_in;
    s->last = (end - 1) / axis->unit_in;
    if (s->first == s->last) {
      s->w_first = axis->unit_out;
      s->w_last = 0;
    } else {
      s->w_first = (guint64) (s->first + 1) * axis->unit_in - start;
      s->w_last = end - (guint64) s->last * axis->unit_in;
    }
  }
}

static inline guint32
gst_tile_scale_axis_weight (const GstTileScaleAxis * axis,
    const GstTileScaleSpan * s, guint i)
{
  if (i == s->first)
    return s->w_first;
  if (i == s->last)
    return s->w_last;
  return axis->unit_in;
}

/* Every span as n_taps weights of the input pixels from its first on, zero
 * past its last: a fixed-length weighted sum has no per-pixel branch. The
 * table has at most n_in + 2 * n_out entries, since a span of unit_out
 * touches at most unit_out / unit_in + 2 input pixels. */
static void
gst_tile_scale_axis_init_taps (GstTileScaleAxis * axis)
{
  guint j, t, T = 0;

  for (j = 0; j < axis->n_out; j++)
    T = MAX (T, axis->spans[j].last - axis->spans[j].first + 1);
  axis->n_taps = T;
  axis->taps = g_new0 (guint32, (gsize) axis->n_out * T);
  for (j = 0; j < axis->n_out; j++) {
    const GstTileScaleSpan *s = &axis->spans[j];
    guint32 *w = axis->taps + (gsize) j * T;

    for (t = 0; t <= s->last - s->first; t++)
      w[t] = gst_tile_scale_axis_weight (axis, s, s->first + t);
  }
}

/* First output pixel that input pixel @i touches. */
static inline guint
gst_tile_scale_axis_first_out (const GstTileScaleAxis * axis, guint i)
{
  return (guint64) i * axis->unit_in / axis->unit_out;
}

/* Last output pixel that input pixel @i touches. */
static inline guint
gst_tile_scale_axis_last_out (const GstTileScaleAxis * axis, guint i)
{
  return ((guint64) (i + 1) * axis->unit_in - 1) / axis->unit_out;
}

/* ------------------------------------------------------------------------ */
/* Inner loops                                                              */
/* ------------------------------------------------------------------------ */

/* Column sums: add one input row segment, weighted by its vertical coverage.
 * The weight is constant along the row, so this is a plain multiply-add that
 * the compiler vectorises; GCC's -O2 alone does not, hence the attribute.
 * The sums are as narrow as their largest value allows (setup_tables picks):
 * 16 bits for 8-bit samples and short vertical spans, else 32, else 64; the
 * narrower, the more samples one vector instruction takes. */
#if defined(__GNUC__) && !defined(__clang__)
#define VECTORIZE __attribute__ ((optimize ("tree-vectorize", \
        "vect-cost-model=dynamic")))
#else
#define VECTORIZE
#endif

static inline guint16
load8 (const guint8 * src, gsize k)
{
  return src[k];
}

static inline guint16
load16be (const guint8 * src, gsize k)
{
  guint16 v;

  /* memcpy: tiles need not be 2-byte aligned; compiles to one load */
  memcpy (&v, src + 2 * k, 2);
  return GUINT16_FROM_BE (v);
}

/* For 16-bit sums the products and sums wrap modulo 2^16 in C, which is
 * exact because no column sum exceeds 65535 (255 * ay.unit_out). */
#define DEFINE_ADD_ROW(name, acc_t, weight_t, load)                          \
static void VECTORIZE                                                       \
name (acc_t * restrict acc, const guint8 * restrict src, gsize n,           \
    guint32 weight32, gboolean first)                                       \
{                                                                           \
  const weight_t weight = weight32;                                         \
  gsize k;                                                                  \
  if (first) {                                                              \
    for (k = 0; k < n; k++)                                                 \
      acc[k] = (acc_t) load (src, k) * weight;                              \
  } else {                                                                  \
    for (k = 0; k < n; k++)                                                 \
      acc[k] += (acc_t) load (src, k) * weight;                             \
  }                                                                         \
}

DEFINE_ADD_ROW (add_row_8_short, guint16, guint16, load8);
DEFINE_ADD_ROW (add_row_8_narrow, guint32, guint16, load8);
DEFINE_ADD_ROW (add_row_16_narrow, guint32, guint16, load16be);
DEFINE_ADD_ROW (add_row_8_wide, guint64, guint32, load8);
DEFINE_ADD_ROW (add_row_16_wide, guint64, guint32, load16be);

/* Row sums when one output pixel's share of a tile may need 64 bits: fold
 * the column sums of input columns [x, x + width) into the output columns
 * they cover. Whole input pixels share one weight, so they are summed first
 * and multiplied once. One instance per channel count, so that the channel
 * loops unroll. */
#define DEFINE_FOLD_COLUMNS(name, acc_t, C)                                  \
static void                                                                 \
name (const GstTileScaleAxis * axis, const acc_t * col, guint x,            \
    guint width, guint64 * row)                                             \
{                                                                           \
  guint j0 = gst_tile_scale_axis_first_out (axis, x);                       \
  guint j1 = gst_tile_scale_axis_last_out (axis, x + width - 1);            \
  guint xe = x + width - 1;                                                 \
  guint j, c, i;                                                            \
  for (j = j0; j <= j1; j++) {                                              \
    const GstTileScaleSpan *s = &axis->spans[j];                            \
    guint lo = MAX (s->first, x), i1 = MIN (s->last, xe), hi = i1 + 1;     \
    const acc_t *p = col + (gsize) (lo - x) * C;                            \
    guint64 edge[C], mid[C];                                                \
    guint64 *out = row + (gsize) j * C;                                     \
    for (c = 0; c < C; c++)                                                 \
      edge[c] = mid[c] = 0;                                                 \
    if (lo == s->first) {                                                   \
      for (c = 0; c < C; c++)                                               \
        edge[c] += (guint64) s->w_first * p[c];                             \
      p += C;                                                               \
      lo++;                                                                 \
    }                                                                       \
    if (s->last != s->first && i1 == s->last && lo < hi) {                  \
      const acc_t *q = col + (gsize) (i1 - x) * C;                          \
      for (c = 0; c < C; c++)                                               \
        edge[c] += (guint64) s->w_last * q[c];                              \
      hi--;                                                                 \
    }                                                                       \
    for (i = lo; i < hi; i++, p += C)                                       \
      for (c = 0; c < C; c++)                                               \
        mid[c] += p[c];                                                     \
    for (c = 0; c < C; c++)                                                 \
      out[c] += edge[c] + mid[c] * axis->unit_in;                           \
  }                                                                         \
}

DEFINE_FOLD_COLUMNS (fold_columns_narrow_1, guint32, 1);
DEFINE_FOLD_COLUMNS (fold_columns_narrow_3, guint32, 3);
DEFINE_FOLD_COLUMNS (fold_columns_narrow_4, guint32, 4);
DEFINE_FOLD_COLUMNS (fold_columns_wide_1, guint64, 1);
DEFINE_FOLD_COLUMNS (fold_columns_wide_3, guint64, 3);
DEFINE_FOLD_COLUMNS (fold_columns_wide_4, guint64, 4);

/* GCC's -O2 leaves loops of 3 or 4 (channels, taps) in place, and with them
 * the per-channel sums in memory; unrolled, the sums stay in registers. */
#define UNROLL_SMALL _Pragma ("GCC unroll 4")

/* Row sums of the output columns [ja, jb), whose spans lie wholly inside the
 * tile, when one output pixel's share fits 32 bits (setup_tables builds the
 * taps only then): each is a dot product of its taps with the column sums
 * from its first input pixel on. Every term and partial sum is at most that
 * share, at most maxval * ax.unit_out * ay.unit_out <= G_MAXUINT32, so the
 * 32-bit arithmetic is exact and only the total goes to 64 bits. Taps past a
 * span's last pixel are 0; at the tile's right end they read the slack
 * behind the column sums, which is allocated and initialised. */
#define DEFINE_FOLD_TAPS(name, col_t, C, FIXED_T)                            \
static void                                                                 \
name (const GstTileScaleAxis * axis, const col_t * restrict col, guint x,   \
    guint ja, guint jb, guint64 * restrict row)                             \
{                                                                           \
  const guint T = FIXED_T ? FIXED_T : axis->n_taps;                         \
  const guint32 *w = axis->taps + (gsize) ja * T;                           \
  guint64 *out = row + (gsize) ja * C;                                      \
  guint j, t, c;                                                            \
  for (j = ja; j < jb; j++, w += T, out += C) {                             \
    const col_t *p = col + (gsize) (axis->spans[j].first - x) * C;          \
    guint32 v[C];                                                           \
    UNROLL_SMALL                                                            \
    for (c = 0; c < C; c++)                                                 \
      v[c] = w[0] * p[c];                                                   \
    UNROLL_SMALL                                                            \
    for (t = 1; t < T; t++) {                                               \
      p += C;                                                               \
      UNROLL_SMALL                                                          \
      for (c = 0; c < C; c++)                                               \
        v[c] += w[t] * p[c];                                                \
    }                                                                       \
    UNROLL_SMALL                                                            \
    for (c = 0; c < C; c++)                                                 \
      out[c] += v[c];                                                       \
  }                                                                         \
}

/* Four taps, fully unrolled: downscales by factors of about 2 to 3, such as
 * 6000 -> 1920. */
#define DEFINE_FOLD_TAPS_SET(col, col_t, C)                                  \
  DEFINE_FOLD_TAPS (fold_taps_##col##_##C, col_t, C, 0)                     \
  DEFINE_FOLD_TAPS (fold_taps_##col##_##C##_4, col_t, C, 4)

DEFINE_FOLD_TAPS_SET (short, guint16, 1);
DEFINE_FOLD_TAPS_SET (short, guint16, 3);
DEFINE_FOLD_TAPS_SET (short, guint16, 4);
DEFINE_FOLD_TAPS_SET (narrow, guint32, 1);
DEFINE_FOLD_TAPS_SET (narrow, guint32, 3);
DEFINE_FOLD_TAPS_SET (narrow, guint32, 4);

static inline guint64
col_sum_at (gconstpointer col, guint col_sum_bytes, gsize k)
{
  return col_sum_bytes == 2 ? ((const guint16 *) col)[k] :
      col_sum_bytes == 4 ? ((const guint32 *) col)[k] :
      ((const guint64 *) col)[k];
}

/* Row sums of output column @j from the part of its span inside the tile
 * columns [x, xe]: for the spans a tile edge cuts, at most two per tile, so
 * plainness beats speed here. */
static void
fold_span_clipped (const GstTileScaleAxis * axis, gconstpointer col,
    guint col_sum_bytes, guint channels, guint x, guint xe, guint j,
    guint64 * row)
{
  const GstTileScaleSpan *s = &axis->spans[j];
  guint64 *out = row + (gsize) j * channels;
  guint i, c;

  for (i = MAX (s->first, x); i <= MIN (s->last, xe); i++) {
    guint64 w = gst_tile_scale_axis_weight (axis, s, i);

    for (c = 0; c < channels; c++)
      out[c] += w * col_sum_at (col, col_sum_bytes,
          (gsize) (i - x) * channels + c);
  }
}

typedef void (*GstTileScaleAddRow) (gpointer acc, const guint8 * src, gsize n,
    guint32 weight, gboolean first);
typedef void (*GstTileScaleFold) (const GstTileScaleAxis * axis,
    gconstpointer col, guint x, guint width, guint64 * row);
typedef void (*GstTileScaleFoldTaps) (const GstTileScaleAxis * axis,
    gconstpointer col, guint x, guint ja, guint jb, guint64 * row);

static GstTileScaleAddRow
pick_add_row (guint col_sum_bytes, guint sample_bytes)
{
  if (col_sum_bytes == 2)
    return (GstTileScaleAddRow) add_row_8_short;
  if (col_sum_bytes == 8)
    return (GstTileScaleAddRow) (sample_bytes == 2 ? add_row_16_wide :
        add_row_8_wide);
  return (GstTileScaleAddRow) (sample_bytes == 2 ? add_row_16_narrow :
      add_row_8_narrow);
}

static GstTileScaleFold
pick_fold (gboolean wide, guint channels)
{
  if (wide)
    return channels == 1 ? (GstTileScaleFold) fold_columns_wide_1 :
        channels == 3 ? (GstTileScaleFold) fold_columns_wide_3 :
        (GstTileScaleFold) fold_columns_wide_4;
  return channels == 1 ? (GstTileScaleFold) fold_columns_narrow_1 :
      channels == 3 ? (GstTileScaleFold) fold_columns_narrow_3 :
      (GstTileScaleFold) fold_columns_narrow_4;
}

typedef GstTileScaleFoldTaps GstTileScaleFoldTapsSet[2];
#define FOLD_TAPS_SET(col, C) { (GstTileScaleFoldTaps) fold_taps_##col##_##C, \
      (GstTileScaleFoldTaps) fold_taps_##col##_##C##_4 }

static GstTileScaleFoldTaps
pick_fold_taps (guint col_sum_bytes, guint channels, guint n_taps)
{
  static const GstTileScaleFoldTapsSet sets[2][3] = {
    {FOLD_TAPS_SET (short, 1), FOLD_TAPS_SET (short, 3),
        FOLD_TAPS_SET (short, 4)},
    {FOLD_TAPS_SET (narrow, 1), FOLD_TAPS_SET (narrow, 3),
        FOLD_TAPS_SET (narrow, 4)},
  };

  return sets[col_sum_bytes == 2 ? 0 : 1][channels == 1 ? 0 :
      channels == 3 ? 1 : 2][n_taps == 4];
}

/* ------------------------------------------------------------------------ */
/* Memory read-out                                                          */
/* ------------------------------------------------------------------------ */

/* The sums and tables; the output buffer being filled is @output's. */
static void
gst_tile_scale_update_held (GstTileScale * self)
{
  guint64 held = 0;

  held += (guint64) self->row_acc_len * sizeof (guint64);
  held += self->col_acc_bytes;
  held += (guint64) (self->ax.n_out + self->ay.n_out) *
      sizeof (GstTileScaleSpan);
  held += (guint64) self->ax.n_out * self->ax.n_taps * sizeof (guint32);

  GST_OBJECT_LOCK (self);
  self->sums_bytes = held;
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "holding %" G_GUINT64_FORMAT " bytes", held);
}

/* ------------------------------------------------------------------------ */
/* Image state                                                              */
/* ------------------------------------------------------------------------ */

static void
gst_tile_scale_release_image (GstTileScale * self)
{
  if (self->outbuf) {
    gst_video_frame_unmap (&self->out_frame);
    gst_tile_output_drop (self->output, self->outbuf);
    self->outbuf = NULL;
  }
  gst_tile_tracker_end (&self->tracker);
  gst_tile_scale_update_held (self);
}

static void
gst_tile_scale_drop_incomplete (GstTileScale * self, const gchar * why)
{
  guint64 index = self->tracker.image_index;
  guint rows = self->tracker.row_y, total = self->ay.n_in;
  gchar *file = gst_tile_tracker_describe_file (self->tracker.image_location);

  gst_tile_scale_release_image (self);
  /* one per image, and no more than message-interval allows */
  if (gst_message_throttle_allow (self->throttle))
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("Image %" G_GUINT64_FORMAT "%s is incomplete and was dropped",
            index, file),
        ("%s after %u of %u input rows; the rest of image %"
            G_GUINT64_FORMAT " is not sent", why, rows, total, index));
  g_free (file);
}

static void
gst_tile_scale_reset (GstTileScale * self)
{
  gst_tile_scale_release_image (self);
  g_clear_pointer (&self->row_acc, g_free);
  self->row_acc_rows = 0;
  self->row_acc_len = 0;
  g_clear_pointer (&self->col_acc, g_free);
  self->col_acc_bytes = 0;
  gst_tile_scale_axis_clear (&self->ax);
  gst_tile_scale_axis_clear (&self->ay);
  gst_tile_output_reset (self->output);
  self->have_in_info = FALSE;
  /* the next image negotiates whatever its size */
  self->have_out_info = FALSE;
  gst_tile_tracker_clear (&self->tracker);
  gst_tile_scale_update_held (self);
}

/* ------------------------------------------------------------------------ */
/* Negotiation                                                              */
/* ------------------------------------------------------------------------ */

static void
gst_tile_scale_free_size (GstCaps * caps)
{
  guint i;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);

    gst_structure_remove_field (s, "pixel-aspect-ratio");
    gst_structure_set (s, "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
        "height", GST_TYPE_INT_RANGE, 1, G_MAXINT, NULL);
  }
}

/* What one side can do, seen from the other: the format (and frame rate)
 * pass through, the size is ours to choose. */
static GstCaps *
gst_tile_scale_query_other_side (GstTileScale * self, GstPad * other,
    GstPad * pad)
{
  GstCaps *templ = gst_pad_get_pad_template_caps (other);
  GstCaps *peer = gst_pad_peer_query_caps (other, templ);
  GstCaps *result;

  gst_caps_unref (templ);
  peer = gst_caps_make_writable (peer);
  gst_tile_scale_free_size (peer);
  templ = gst_pad_get_pad_template_caps (pad);
  result = gst_caps_intersect (templ, peer);
  gst_caps_unref (templ);
  gst_caps_unref (peer);
  return result;
}

static guint
scale_keep_aspect (guint a, guint num, guint den)
{
  return CLAMP (gst_util_uint64_scale_round (a, num, den), 1, G_MAXINT);
}

/* Both properties 0: downstream decides; a free dimension follows the image's
 * aspect ratio, and with no constraint at all the size stays. */
static void
gst_tile_scale_fixate_from_peer (GstStructure * s, guint W, guint H)
{
  gint w = 0, h = 0;
  gboolean wfix = gst_structure_get_int (s, "width", &w);
  gboolean hfix = gst_structure_get_int (s, "height", &h);

  if (wfix && !hfix) {
    gst_structure_fixate_field_nearest_int (s, "height",
        scale_keep_aspect (w, H, W));
  } else if (!wfix && hfix) {
    gst_structure_fixate_field_nearest_int (s, "width",
        scale_keep_aspect (h, W, H));
  } else if (!wfix && !hfix) {
    gst_structure_fixate_field_nearest_int (s, "width", W);
    gst_structure_get_int (s, "width", &w);
    gst_structure_fixate_field_nearest_int (s, "height",
        scale_keep_aspect (w, H, W));
  }
}

/* Output size for an image of W x H from the properties: a dimension set to
 * 0 follows the other keeping the aspect ratio, both 0 keep the image size.
 * A tile stream always takes it: the downstream caps describe one tile, so
 * they cannot give the image size. */
static void
gst_tile_scale_size_from_properties (guint W, guint H,
    const GstTileScaleSettings * set, guint * w, guint * h)
{
  *w = set->width ? set->width : (set->height ?
      scale_keep_aspect (set->height, W, H) : W);
  *h = set->height ? set->height : (set->width ?
      scale_keep_aspect (set->width, H, W) : H);
}

/* Caps of @w x @h frames in the input's format, frame rate and colorimetry;
 * NULL if GstVideoInfo refuses the size (4 GiB or more). */
static GstCaps *
gst_tile_scale_output_caps (GstTileScale * self, guint w, guint h)
{
  GstVideoInfo info;

  if (!gst_video_info_set_format (&info,
          GST_VIDEO_INFO_FORMAT (&self->in_info), w, h))
    return NULL;
  GST_VIDEO_INFO_FPS_N (&info) = GST_VIDEO_INFO_FPS_N (&self->in_info);
  GST_VIDEO_INFO_FPS_D (&info) = GST_VIDEO_INFO_FPS_D (&self->in_info);
  info.colorimetry = self->in_info.colorimetry;
  return gst_video_info_to_caps (&info);
}

/* The fixed output caps for an image of W x H, or NULL (error posted). */
static GstCaps *
gst_tile_scale_choose_caps (GstTileScale * self, guint W, guint H,
    const GstTileScaleSettings * set)
{
  guint tile_height = set->tile_height;
  gboolean free_size = !tile_height && set->width == 0 && set->height == 0;
  GstCaps *wanted, *peer, *caps;
  guint w, h;

  gst_tile_scale_size_from_properties (W, H, set, &w, &h);
  /* with both sizes free the size is downstream's choice, checked once
   * fixed */
  if (free_size) {
    wanted = gst_tile_scale_output_caps (self, 1, 1);
    gst_tile_scale_free_size (wanted);
  } else {
    wanted = gst_tile_scale_output_caps (self, w,
        tile_height ? MIN (tile_height, h) : h);
  }
  if (!wanted) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Output buffer for image %" G_GUINT64_FORMAT " (%ux%u) would be too "
            "large", self->tracker.image_index, W, H),
        ("4 GiB or more per buffer; lower width/height, or set tile-height "
            "to send strips"));
    return NULL;
  }

  peer = gst_pad_peer_query_caps (self->srcpad, wanted);
  if (gst_caps_is_empty (peer)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Downstream accepts no frame for image %" G_GUINT64_FORMAT
            " (%ux%u)", self->tracker.image_index, W, H),
        ("wanted %" GST_PTR_FORMAT "; change the width/height/tile-height "
            "properties or the downstream caps", wanted));
    gst_caps_unref (wanted);
    gst_caps_unref (peer);
    return NULL;
  }
  gst_caps_unref (wanted);
  peer = gst_caps_truncate (peer);
  peer = gst_caps_make_writable (peer);
  if (free_size)
    gst_tile_scale_fixate_from_peer (gst_caps_get_structure (peer, 0), W, H);
  caps = gst_caps_fixate (peer);

  if (!gst_video_info_from_caps (&self->out_info, caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Cannot use the output caps for image %" G_GUINT64_FORMAT,
            self->tracker.image_index),
        ("%" GST_PTR_FORMAT " (4 GiB or more per buffer?); set width/height "
            "or tile-height", caps));
    gst_caps_unref (caps);
    return NULL;
  }
  if (tile_height) {
    self->out_width = w;
    self->out_height = h;
    gst_tile_grid_init (&self->out_grid, w, h, w, tile_height);
  } else {
    self->out_width = GST_VIDEO_INFO_WIDTH (&self->out_info);
    self->out_height = GST_VIDEO_INFO_HEIGHT (&self->out_info);
  }
  self->rows_per_buffer = GST_VIDEO_INFO_HEIGHT (&self->out_info);
  return caps;
}

/* Picks the output caps for an image of W x H and sets them, and a pool for
 * them, if they changed. */
static GstFlowReturn
gst_tile_scale_negotiate (GstTileScale * self, guint W, guint H,
    const GstTileScaleSettings * set)
{
  GstCaps *caps = gst_tile_scale_choose_caps (self, W, H, set);
  GstCaps *current = gst_pad_get_current_caps (self->srcpad);
  gboolean changed = !current || !caps || !gst_caps_is_equal (current, caps);
  GstFlowReturn ret = GST_FLOW_OK;

  gst_clear_caps (&current);
  if (!caps)
    return GST_FLOW_NOT_NEGOTIATED;
  if (!gst_tile_output_set_caps (self->output, caps)) {
    ret = GST_FLOW_FLUSHING;
    if (!GST_PAD_IS_FLUSHING (self->srcpad)) {
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
          ("downstream refused output caps %" GST_PTR_FORMAT, caps));
      ret = GST_FLOW_NOT_NEGOTIATED;
    }
  } else if (changed || !gst_tile_output_has_pool (self->output)) {
    GST_INFO_OBJECT (self, "output caps %" GST_PTR_FORMAT, caps);
    ret = gst_tile_output_negotiate_pool (self->output, caps,
        self->out_info.size, POOL_MAX_BUFFERS);
  }
  gst_caps_unref (caps);
  self->have_out_info = ret == GST_FLOW_OK;
  return ret;
}

/* Column sums are as narrow as their largest value, maxval * ay.unit_out,
 * and the vertical weights (at most MIN (ay.unit_in, ay.unit_out)) allow. The
 * tap table serves whenever one output pixel's row sum, at most
 * maxval * divisor, fits 32 bits, which covers all but extreme ratios. */
static void
gst_tile_scale_pick_sums (GstTileScale * self, guint64 maxval)
{
  guint64 col_max = maxval * self->ay.unit_out;
  gboolean fits32 = maxval * self->divisor <= G_MAXUINT32;

  if (col_max > G_MAXUINT32
      || MIN (self->ay.unit_in, self->ay.unit_out) > G_MAXUINT16)
    self->col_sum_bytes = 8;
  else if (fits32 && self->sample_bytes == 1 && col_max <= G_MAXUINT16)
    self->col_sum_bytes = 2;
  else
    self->col_sum_bytes = 4;

  if (!fits32 || self->col_sum_bytes == 8) {
    g_clear_pointer (&self->ax.taps, g_free);
    self->ax.n_taps = 0;
  } else if (!self->ax.taps) {
    gst_tile_scale_axis_init_taps (&self->ax);
  }
}

/* Sets up the tables for W x H -> out_width x out_height; FALSE if the exact
 * sums could overflow 62 bits (only for absurd sizes with coprime ratios). */
static gboolean
gst_tile_scale_setup_tables (GstTileScale * self, guint W, guint H)
{
  const GstVideoFormatInfo *finfo = self->out_info.finfo;
  guint w = self->out_width;
  guint h = self->out_height;
  guint64 maxval, half, nmax;
  guint n_bits;

  if (self->ax.n_in != W || self->ax.n_out != w)
    gst_tile_scale_axis_init (&self->ax, W, w);
  if (self->ay.n_in != H || self->ay.n_out != h)
    gst_tile_scale_axis_init (&self->ay, H, h);

  self->sample_bytes = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) > 8 ? 2 : 1;
  self->channels = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0) /
      self->sample_bytes;
  maxval = self->sample_bytes == 2 ? 65535 : 255;
  self->divisor = (guint64) self->ax.unit_out * self->ay.unit_out;
  if (self->ax.unit_out > (G_GUINT64_CONSTANT (1) << 62) / self->ay.unit_out
      || self->divisor > ((G_GUINT64_CONSTANT (1) << 62) - 1) / (maxval + 1))
    return FALSE;
  gst_tile_scale_pick_sums (self, maxval);

  /* n / D == (n * recip) >> shift for every n <= nmax when
   * shift >= bits(nmax) + bits(D) and recip = ceil(2^shift / D); a shift of
   * at least 64 lets the divide take the high word of the product. recip
   * stays below 2^64: for shift 64 because D > 1, above it because
   * nmax < 2^62. */
  half = self->divisor / 2;
  nmax = maxval * self->divisor + half;
  n_bits = MAX (bit_length (nmax) + bit_length (self->divisor), 64);
#ifdef __SIZEOF_INT128__
  self->recip_shift = n_bits - 64;
  if (self->divisor > 1)
    self->recip = (guint64) ((((unsigned __int128) 1 << n_bits) +
            self->divisor - 1) / self->divisor);
#else
  self->recip_shift = 0;
  self->recip = 0;
#endif
  GST_DEBUG_OBJECT (self, "%ux%u -> %ux%u: units x %u:%u y %u:%u, divisor %"
      G_GUINT64_FORMAT ", %u-bit column sums, %u taps", W, H, w, h,
      self->ax.unit_in, self->ax.unit_out, self->ay.unit_in,
      self->ay.unit_out, self->divisor, self->col_sum_bytes * 8,
      self->ax.n_taps);
  return TRUE;
}

/* Takes the constants as arguments: held in locals, they stay in registers
 * across a row, where the byte stores could alias the element's fields. */
static inline guint64
divide_rounded (guint64 n, guint64 divisor, guint64 recip, guint shift)
{
  n += divisor / 2;
#ifdef __SIZEOF_INT128__
  return (guint64) (((unsigned __int128) n * recip) >> 64) >> shift;
#else
  return n / divisor;
#endif
}

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

/* The sums of output row @oy: a ring of row_acc_rows slots, enough for the
 * output rows one tile row keeps open. */
static inline guint64 *
gst_tile_scale_row_sums (GstTileScale * self, guint oy)
{
  return self->row_acc + (gsize) (oy % self->row_acc_rows) *
      self->ax.n_out * self->channels;
}

/* Sizes the sums for this image; FALSE if they cannot be allocated (a large
 * upscale with tall tiles: many output rows per tile row). */
static gboolean
gst_tile_scale_alloc_buffers (GstTileScale * self)
{
  guint tile_w = GST_VIDEO_INFO_WIDTH (&self->in_info);
  guint tile_h = GST_VIDEO_INFO_HEIGHT (&self->in_info);
  guint64 rows, row_len = (guint64) self->ax.n_out * self->channels;
  /* the taps of the last span may reach n_taps - 1 pixels past the tile */
  guint slack = self->ax.n_taps ? self->ax.n_taps - 1 : 0;
  gsize col_len = ((gsize) MIN ((guint) tile_w, self->ax.n_in) + slack) *
      self->channels, col_bytes;

  /* Full-width tiles finish their output rows one by one: one slot. In a
   * grid, every output row a tile row touches stays open until its last
   * column. */
  if ((guint) tile_w >= self->ax.n_in)
    rows = 1;
  else
    rows = MIN (((guint64) tile_h * self->ay.unit_in - 1) /
        self->ay.unit_out + 2, self->ay.n_out);
  if (rows > G_MAXSIZE / sizeof (guint64) / row_len)
    return FALSE;

  if (rows * row_len != self->row_acc_len) {
    g_free (self->row_acc);
    self->row_acc = g_try_new (guint64, rows * row_len);
    self->row_acc_len = self->row_acc ? rows * row_len : 0;
    if (!self->row_acc)
      return FALSE;
  }
  self->row_acc_rows = rows;
  col_bytes = col_len * self->col_sum_bytes;
  if (col_bytes != self->col_acc_bytes) {
    g_free (self->col_acc);
    self->col_acc = g_try_malloc0 (col_bytes);
    self->col_acc_bytes = self->col_acc ? col_bytes : 0;
    if (!self->col_acc)
      return FALSE;
  }
  memset (self->row_acc, 0, self->row_acc_len * sizeof (guint64));
  return TRUE;
}

static GstFlowReturn
gst_tile_scale_begin_image (GstTileScale * self, const GstTileMeta * meta,
    GstBuffer * buf)
{
  guint W = meta->image_width, H = meta->image_height;
  GstTileScaleSettings set;

  if (!gst_tile_tracker_begin_image (&self->tracker, GST_ELEMENT (self), meta))
    return GST_FLOW_ERROR;

  GST_OBJECT_LOCK (self);
  set = self->settings;
  GST_OBJECT_UNLOCK (self);

  if (!self->have_out_info || self->in_caps_changed
      || gst_pad_check_reconfigure (self->srcpad)
      || W != self->neg_image_width || H != self->neg_image_height
      || memcmp (&set, &self->neg, sizeof (set)) != 0
      || GST_VIDEO_INFO_FORMAT (&self->in_info) !=
      GST_VIDEO_INFO_FORMAT (&self->out_info)) {
    GstFlowReturn ret = gst_tile_scale_negotiate (self, W, H, &set);

    if (ret != GST_FLOW_OK) {
      gst_pad_mark_reconfigure (self->srcpad);
      return ret;
    }
    self->in_caps_changed = FALSE;
    self->neg_image_width = W;
    self->neg_image_height = H;
    self->neg = set;
  }
  if (!gst_tile_scale_setup_tables (self, W, H)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Cannot scale image %" G_GUINT64_FORMAT " from %ux%u to %ux%u",
            meta->image_index, W, H, self->out_width, self->out_height),
        ("the exact area sums would overflow 64 bits; choose a width/height "
            "that shares a larger common divisor with the image size"));
    return GST_FLOW_ERROR;
  }
  if (!gst_tile_scale_alloc_buffers (self)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Cannot allocate the row sums for image %" G_GUINT64_FORMAT,
            meta->image_index),
        ("%ux%u to %ux%u with tiles of %d rows needs %" G_GUINT64_FORMAT
            " output rows of sums per tile row; use shorter tiles upstream "
            "(pngtiledec tile-height) or a smaller output", W, H,
            self->out_width, self->out_height,
            GST_VIDEO_INFO_HEIGHT (&self->in_info),
            ((guint64) GST_VIDEO_INFO_HEIGHT (&self->in_info) *
                self->ay.unit_in - 1) / self->ay.unit_out + 2));
    return GST_FLOW_ERROR;
  }

  self->pts = GST_BUFFER_PTS (buf);
  self->duration = GST_BUFFER_DURATION (buf);
  return GST_FLOW_OK;
}

/* The buffer for the output rows from @oy on. Blocks while downstream holds
 * every pool buffer: that is the backpressure. */
static GstFlowReturn
gst_tile_scale_acquire_output (GstTileScale * self, guint oy)
{
  GstFlowReturn ret = gst_tile_output_acquire (self->output, &self->outbuf);

  if (ret != GST_FLOW_OK) {
    GST_DEBUG_OBJECT (self, "no output buffer: %s", gst_flow_get_name (ret));
    self->outbuf = NULL;
    if (ret == GST_FLOW_ERROR)
      GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
          ("Cannot allocate the output buffer for image %" G_GUINT64_FORMAT,
              self->tracker.image_index),
          ("%" G_GSIZE_FORMAT " bytes; lower width/height, or set "
              "tile-height to send strips", self->out_info.size));
    return ret;
  }
  if (!gst_video_frame_map (&self->out_frame, &self->out_info, self->outbuf,
          GST_MAP_WRITE)) {
    gst_tile_output_drop (self->output, self->outbuf);
    self->outbuf = NULL;
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, (NULL),
        ("cannot map the output buffer for image %" G_GUINT64_FORMAT,
            self->tracker.image_index));
    return GST_FLOW_ERROR;
  }
  self->buf_y = oy;
  gst_tile_scale_update_held (self);
  return GST_FLOW_OK;
}

/* Sends the filled output buffer: the whole frame, or one strip of a tile
 * stream with its tile meta and zero rows below the image. */
static GstFlowReturn
gst_tile_scale_push_output (GstTileScale * self)
{
  GstBuffer *out = self->outbuf;
  guint valid = MIN (self->rows_per_buffer, self->out_height - self->buf_y);
  gsize stride = GST_VIDEO_FRAME_PLANE_STRIDE (&self->out_frame, 0);

  if (self->neg.tile_height)
    memset ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&self->out_frame, 0) +
        valid * stride, 0, (self->rows_per_buffer - valid) * stride);
  gst_video_frame_unmap (&self->out_frame);
  self->outbuf = NULL;
  gst_tile_scale_update_held (self);

  if (self->neg.tile_height)
    gst_tile_grid_add_meta (&self->out_grid, out, self->tracker.image_index, 0,
        self->buf_y / self->rows_per_buffer);
  GST_BUFFER_PTS (out) = self->pts;
  GST_BUFFER_DTS (out) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (out) = self->duration;
  GST_BUFFER_OFFSET (out) = self->tracker.image_index;
  GST_BUFFER_OFFSET_END (out) = GST_BUFFER_OFFSET_NONE;
  /* the first buffer of an image starts at its first output row */
  if (self->buf_y == 0)
    GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DELTA_UNIT);
  else
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DELTA_UNIT);
  GST_LOG_OBJECT (self, "image %" G_GUINT64_FORMAT ": output rows %u-%u",
      self->tracker.image_index, self->buf_y, self->buf_y + valid - 1);
  return gst_tile_output_push (self->output, out);
}

static void
gst_tile_scale_write_row (GstTileScale * self, guint oy, const guint64 * sums)
{
  guint8 *dst = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&self->out_frame, 0) +
      (gsize) (oy - self->buf_y) *
      GST_VIDEO_FRAME_PLANE_STRIDE (&self->out_frame, 0);
  gsize k, n = (gsize) self->ax.n_out * self->channels;
  const guint64 divisor = self->divisor, recip = self->recip;
  const guint shift = self->recip_shift;

  if (self->divisor == 1) {
    /* Scale 1 on this axis pair: the sums are the pixels. */
    if (self->sample_bytes == 2)
      for (k = 0; k < n; k++)
        GST_WRITE_UINT16_BE (dst + 2 * k, sums[k]);
    else
      for (k = 0; k < n; k++)
        dst[k] = sums[k];
    return;
  }
  if (self->sample_bytes == 2)
    for (k = 0; k < n; k++)
      GST_WRITE_UINT16_BE (dst + 2 * k, divide_rounded (sums[k], divisor,
              recip, shift));
  else
    for (k = 0; k < n; k++)
      dst[k] = divide_rounded (sums[k], divisor, recip, shift);
}

/* Output row @oy has all its sums: write it, send its buffer once full, and
 * free its slot for a later row. Rows come in order. */
static GstFlowReturn
gst_tile_scale_emit_row (GstTileScale * self, guint oy)
{
  guint64 *sums = gst_tile_scale_row_sums (self, oy);
  GstFlowReturn ret;

  if (!self->outbuf) {
    ret = gst_tile_scale_acquire_output (self, oy);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  gst_tile_scale_write_row (self, oy, sums);
  memset (sums, 0, (gsize) self->ax.n_out * self->channels * sizeof (guint64));
  if (oy + 1 == self->buf_y + self->rows_per_buffer
      || oy + 1 == self->out_height)
    return gst_tile_scale_push_output (self);
  return GST_FLOW_OK;
}

/* Folds the column sums of tile columns [x, x + width) into the row sums
 * @row: with the taps, the spans a tile edge cuts one by one and the rest in
 * one pass. */
static void
gst_tile_scale_fold (GstTileScale * self, guint x, guint width, guint64 * row)
{
  const GstTileScaleAxis *ax = &self->ax;
  guint xe = x + width - 1, j0, j1, ja, jb;

  if (!ax->taps) {
    pick_fold (self->col_sum_bytes == 8, self->channels) (ax, self->col_acc,
        x, width, row);
    return;
  }
  j0 = gst_tile_scale_axis_first_out (ax, x);
  j1 = gst_tile_scale_axis_last_out (ax, xe);
  ja = ax->spans[j0].first < x ? j0 + 1 : j0;
  jb = ax->spans[j1].last > xe ? j1 : j1 + 1;
  if (ja > j0)
    fold_span_clipped (ax, self->col_acc, self->col_sum_bytes,
        self->channels, x, xe, j0, row);
  if (ja < jb)
    pick_fold_taps (self->col_sum_bytes, self->channels, ax->n_taps) (ax,
        self->col_acc, x, ja, jb, row);
  /* jb < ja: a single span cut on both sides, done above */
  if (jb <= j1 && jb >= ja)
    fold_span_clipped (ax, self->col_acc, self->col_sum_bytes,
        self->channels, x, xe, j1, row);
}

/* Adds one tile: column sums per output row, folded into that row's sums.
 * The tile that ends a tile row completes every output row that does not
 * reach into the next tile row; those are written right away. */
static GstFlowReturn
gst_tile_scale_add_tile (GstTileScale * self, const GstTileMeta * meta,
    const GstVideoFrame * in)
{
  const GstTileScaleAxis *ay = &self->ay;
  const guint8 *pixels = GST_VIDEO_FRAME_PLANE_DATA (in, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (in, 0);
  gsize n = (gsize) meta->width * self->channels;
  guint y_end = meta->y + meta->height - 1;
  gboolean ends_row = meta->x + meta->width == self->ax.n_in;
  guint oy0 = gst_tile_scale_axis_first_out (ay, meta->y);
  guint oy1 = gst_tile_scale_axis_last_out (ay, y_end);
  GstTileScaleAddRow add_row = pick_add_row (self->col_sum_bytes,
      self->sample_bytes);
  GstFlowReturn ret;
  guint oy, r;

  for (oy = oy0; oy <= oy1; oy++) {
    const GstTileScaleSpan *s = &ay->spans[oy];
    guint r0 = MAX (s->first, meta->y), r1 = MIN (s->last, y_end);

    for (r = r0; r <= r1; r++)
      add_row (self->col_acc, pixels + (gsize) (r - meta->y) * stride, n,
          gst_tile_scale_axis_weight (ay, s, r), r == r0);
    gst_tile_scale_fold (self, meta->x, meta->width,
        gst_tile_scale_row_sums (self, oy));
    if (ends_row && s->last <= y_end) {
      ret = gst_tile_scale_emit_row (self, oy);
      if (ret != GST_FLOW_OK)
        return ret;
    }
  }
  return GST_FLOW_OK;
}


/* Adds one tile of the current image and sends what it completed. */
static GstFlowReturn
gst_tile_scale_take_tile (GstTileScale * self, const GstTileMeta * meta,
    GstBuffer * buf)
{
  GstFlowReturn ret;
  GstVideoFrame in;

  if (!gst_tile_tracker_map_tile (&self->tracker, GST_ELEMENT (self), meta,
          &self->in_info, buf, &in)) {
    gst_tile_scale_release_image (self);
    return GST_FLOW_ERROR;
  }
  ret = gst_tile_scale_add_tile (self, meta, &in);
  gst_video_frame_unmap (&in);
  if (ret != GST_FLOW_OK)
    return ret;

  if (gst_tile_tracker_advance (&self->tracker, meta)) {
    GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT " done",
        self->tracker.image_index);
    gst_tile_tracker_end (&self->tracker);
  } else if (gst_tile_meta_is_last (meta)) {
    gst_tile_scale_drop_incomplete (self, "the last tile came early");
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_tile_scale_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstTileScale *self = GST_TILE_SCALE (parent);
  GstTileMeta plain, *meta;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->have_in_info) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  /* An ordinary frame, without tile meta, is an image of one tile. */
  meta = gst_buffer_get_tile_meta (buf);
  if (!meta) {
    gst_tile_tracker_untiled_meta (&self->tracker, &self->in_info, &plain);
    meta = &plain;
  }

  switch (gst_tile_tracker_next (&self->tracker, meta)) {
    case GST_TILE_TRACKER_BEGIN_AFTER_INCOMPLETE:
      gst_tile_scale_drop_incomplete (self, "the next image began");
      /* fall through */
    case GST_TILE_TRACKER_BEGIN:
      ret = gst_tile_scale_begin_image (self, meta, buf);
      if (ret != GST_FLOW_OK)
        gst_tile_scale_release_image (self);
      break;
    case GST_TILE_TRACKER_STRAY:
      gst_tile_scale_drop_incomplete (self, "a tile of another image came");
      /* fall through */
    case GST_TILE_TRACKER_ORPHAN:
      gst_tile_tracker_drop_orphan (&self->tracker, GST_ELEMENT (self), meta,
          self->throttle);
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    case GST_TILE_TRACKER_CONTINUE:
      break;
  }
  if (ret == GST_FLOW_OK)
    ret = gst_tile_scale_take_tile (self, meta, buf);
  gst_buffer_unref (buf);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* Events and queries                                                       */
/* ------------------------------------------------------------------------ */

static gboolean
gst_tile_scale_set_input_caps (GstTileScale * self, GstCaps * caps)
{
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("cannot parse tile caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  if (self->tracker.in_image && (GST_VIDEO_INFO_FORMAT (&info) !=
          GST_VIDEO_INFO_FORMAT (&self->in_info)
          || GST_VIDEO_INFO_WIDTH (&info) !=
          GST_VIDEO_INFO_WIDTH (&self->in_info)
          || GST_VIDEO_INFO_HEIGHT (&info) !=
          GST_VIDEO_INFO_HEIGHT (&self->in_info)))
    gst_tile_scale_drop_incomplete (self, "the tile caps changed");
  /* frame rate or colorimetry may change the output caps */
  if (!self->have_in_info || !gst_video_info_is_equal (&info, &self->in_info))
    self->in_caps_changed = TRUE;
  self->in_info = info;
  self->have_in_info = TRUE;
  return TRUE;
}

static gboolean
gst_tile_scale_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstTileScale *self = GST_TILE_SCALE (parent);
  gboolean ret;

  /* names the files of the images that follow in messages */
  gst_tile_tracker_take_event (&self->tracker, event);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      ret = gst_tile_scale_set_input_caps (self, caps);
      gst_event_unref (event);
      return ret;
    }
    case GST_EVENT_FLUSH_STOP:
      gst_tile_scale_release_image (self);
      break;
    case GST_EVENT_EOS:
      if (self->tracker.in_image)
        gst_tile_scale_drop_incomplete (self, "end of stream came");
      break;
    default:
      break;
  }
  /* our caps exist only after the first tile: segment and tags wait;
   * flushes wake a chain waiting for an output buffer */
  if (gst_tile_output_hold_event (self->output, event))
    return TRUE;
  return gst_pad_event_default (pad, parent, event);
}

/* The query function of both pads. */
static gboolean
gst_tile_scale_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstTileScale *self = GST_TILE_SCALE (parent);
  GstPad *other = pad == self->sinkpad ? self->srcpad : self->sinkpad;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
      gst_tile_tracker_set_caps_result (query,
          gst_tile_scale_query_other_side (self, other, pad));
      return TRUE;
    case GST_QUERY_ALLOCATION:
      if (pad != self->sinkpad)
        break;
      /* Tiles are tile-sized, downstream's frames are not: answer here. */
      gst_tile_tracker_propose_allocation (query, FALSE);
      return TRUE;
    default:
      break;
  }
  return gst_pad_query_default (pad, parent, query);
}

/* ------------------------------------------------------------------------ */
/* GObject / GstElement                                                     */
/* ------------------------------------------------------------------------ */

static GstStateChangeReturn
gst_tile_scale_change_state (GstElement * element, GstStateChange transition)
{
  GstTileScale *self = GST_TILE_SCALE (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    gst_tile_scale_reset (self);
    gst_message_throttle_reset (self->throttle);
  }
  /* wake a streaming thread blocked in acquire so the pads can stop; the
   * reset after it ends the flushing */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_tile_output_set_flushing (self->output, TRUE);

  ret = GST_ELEMENT_CLASS (gst_tile_scale_parent_class)->change_state (element,
      transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_tile_scale_reset (self);
  return ret;
}

static void
gst_tile_scale_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstTileScale *self = GST_TILE_SCALE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      self->settings.width = g_value_get_uint (value);
      break;
    case PROP_HEIGHT:
      self->settings.height = g_value_get_uint (value);
      break;
    case PROP_TILE_HEIGHT:
      self->settings.tile_height = g_value_get_uint (value);
      break;
    case PROP_MESSAGE_INTERVAL:
      gst_message_throttle_set_interval (self->throttle,
          g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_tile_scale_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstTileScale *self = GST_TILE_SCALE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      g_value_set_uint (value, self->settings.width);
      break;
    case PROP_HEIGHT:
      g_value_set_uint (value, self->settings.height);
      break;
    case PROP_TILE_HEIGHT:
      g_value_set_uint (value, self->settings.tile_height);
      break;
    case PROP_HELD_BYTES:
      g_value_set_uint64 (value, self->sums_bytes +
          gst_tile_output_get_held_bytes (self->output));
      break;
    case PROP_MESSAGE_INTERVAL:
      g_value_set_uint64 (value,
          gst_message_throttle_get_interval (self->throttle));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_tile_scale_finalize (GObject * object)
{
  GstTileScale *self = GST_TILE_SCALE (object);

  gst_tile_scale_reset (self);
  gst_tile_output_unref (self->output);
  gst_message_throttle_free (self->throttle);
  G_OBJECT_CLASS (gst_tile_scale_parent_class)->finalize (object);
}

static void
gst_tile_scale_class_init (GstTileScaleClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_tile_scale_set_property;
  gobject_class->get_property = gst_tile_scale_get_property;
  gobject_class->finalize = gst_tile_scale_finalize;
  element_class->change_state = gst_tile_scale_change_state;

  g_object_class_install_property (gobject_class, PROP_WIDTH,
      g_param_spec_uint ("width", "Width",
          "Output width in pixels; 0 = follow the height keeping the image's "
          "aspect ratio (width and height both 0: take the size from the "
          "downstream caps, keeping the aspect ratio where they leave it "
          "free, else the image size). Applies from the next image",
          0, G_MAXINT, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_HEIGHT,
      g_param_spec_uint ("height", "Height",
          "Output height in pixels; 0 = follow the width keeping the image's "
          "aspect ratio (width and height both 0: take the size from the "
          "downstream caps). Applies from the next image",
          0, G_MAXINT, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_TILE_HEIGHT,
      g_param_spec_uint ("tile-height", "Tile height",
          "Output rows per buffer: the output becomes a tile stream of "
          "full-width strips this many rows tall (with tile meta), each sent "
          "as soon as its rows are done, so the output frame is never held "
          "whole; 0 = one whole frame per image. In tile mode width and "
          "height both 0 mean the image size. Applies from the next image",
          0, G_MAXINT, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_HELD_BYTES,
      g_param_spec_uint64 ("held-bytes", "Held bytes",
          "Bytes held right now, in bytes: the output buffer (frame or strip) "
          "being filled, the row and column sums and the scaling tables "
          "(0 = nothing held)",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_message_throttle_install_property (gobject_class, PROP_MESSAGE_INTERVAL);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Streaming tile scaler", "Filter/Converter/Video/Scaler",
      "Scales a tile stream into whole frames or strips by exact area "
      "averaging, holding one output buffer and one tile row of sums, never "
      "the input image", "gst-membound developers");
  GST_DEBUG_CATEGORY_INIT (gst_tile_scale_debug, "tilescale", 0,
      "Streaming downscale of tiles");
}

static void
gst_tile_scale_init (GstTileScale * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_tile_scale_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_tile_scale_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_tile_scale_query));
  GST_PAD_SET_ACCEPT_TEMPLATE (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_tile_scale_query));
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->output = gst_tile_output_new (self->sinkpad, self->srcpad);
  self->throttle = gst_message_throttle_new ();
  gst_tile_tracker_init (&self->tracker, GST_TILE_TRACKER_MODE_POSITION);
}
