/* gst-membound: the project's PNG writer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A PNG is written as: signature, IHDR, mARK (restart markers, when the image
 * has at least two segments), one IDAT chunk per segment, IEND. The image is
 * cut into segments of rows as the restart-marker specification (v0.1,
 * segmentation method 0) says: N segments of height / N rows, the first
 * taller by the remainder. Each segment is filtered (its first row None or
 * Sub, so that it needs nothing of the segment before) and deflated with an
 * empty history, ending in a full flush; the last one ends the deflate
 * stream. A segment therefore encodes on any thread, independently, and the
 * stream's Adler-32 is combined from the segments' as they are written, in
 * order.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpngwriter.h"
#include "gstpngdeflate.h"
#include "gstpngfilter.h"
#include "gstpngrestartmarker.h"
#include "gstpngchunk.h"

/* PNG allows chunks of 2^31 - 1 bytes; a segment larger than this (a single
 * row of over 1 GiB) goes out in several IDAT chunks, without markers. */
#define MAX_IDAT_DATA ((gsize) 1 << 30)
/* rows filtered between two looks at the cancel flag */
#define CANCEL_ROWS 64

typedef struct
{
  GstVideoFormat format;
  guint8 color_type;
  guint8 bit_depth;
  guint8 in_pixel;              /* input bytes per pixel */
  guint8 out_pixel;             /* PNG bytes per pixel */
  gint8 map[8];                 /* PNG byte j = input byte map[j]; -1: copy */
} WriterFormat;

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define ARGB64_MAP {3, 2, 5, 4, 7, 6, 1, 0}
#else
#define ARGB64_MAP {2, 3, 4, 5, 6, 7, 0, 1}
#endif

static const WriterFormat formats[] = {
  {GST_VIDEO_FORMAT_GRAY8, 0, 8, 1, 1, {-1}},
  {GST_VIDEO_FORMAT_GRAY16_BE, 0, 16, 2, 2, {-1}},
  {GST_VIDEO_FORMAT_GRAY16_LE, 0, 16, 2, 2, {1, 0}},
  {GST_VIDEO_FORMAT_RGB, 2, 8, 3, 3, {-1}},
  {GST_VIDEO_FORMAT_BGR, 2, 8, 3, 3, {2, 1, 0}},
  {GST_VIDEO_FORMAT_RGBx, 2, 8, 4, 3, {0, 1, 2}},
  {GST_VIDEO_FORMAT_BGRx, 2, 8, 4, 3, {2, 1, 0}},
  {GST_VIDEO_FORMAT_RGBA, 6, 8, 4, 4, {-1}},
  {GST_VIDEO_FORMAT_BGRA, 6, 8, 4, 4, {2, 1, 0, 3}},
  {GST_VIDEO_FORMAT_ARGB, 6, 8, 4, 4, {1, 2, 3, 0}},
  /* native-endian 16-bit samples, alpha first */
  {GST_VIDEO_FORMAT_ARGB64, 6, 16, 8, 8, ARGB64_MAP},
  {GST_VIDEO_FORMAT_RGBA64_BE, 6, 16, 8, 8, {-1}},
  {GST_VIDEO_FORMAT_RGBA64_LE, 6, 16, 8, 8, {1, 0, 3, 2, 5, 4, 7, 6}},
};

struct _GstPngWriter
{
  GstPngWriterSettings settings;
  const WriterFormat *fmt;
  guint width;
  guint height;
  gsize row_bytes;              /* PNG bytes of a row, without filter type */
  GstPngRestartMarker segments;        /* the geometry, even without mARK */
  gboolean markers;

  /* written so far, in order */
  guint next_segment;
  guint32 adler;
};

struct _GstPngWriterSegment
{
  const GstPngWriter *writer;
  guint index;
  guint n_rows;
  guint rows_added;
  gsize *held_bytes;

  /* the rows in the input format: copies held here, or the caller's (see
   * gst_png_writer_segment_new_borrowed()), read by encode */
  guint8 *rows;                 /* n_rows x input_stride bytes */
  const guint8 *input;
  gsize input_stride;

  /* after encode: the IDAT data (the zlib header first in segment 0) */
  GstPngDeflateOut idat;
  guint32 adler;                /* of the filtered rows */
  gboolean encoded;
  gint cancel;
  const gchar *error;
};

void
gst_png_writer_settings_init (GstPngWriterSettings * settings)
{
  settings->compression_level = GST_PNG_WRITER_DEFAULT_COMPRESSION_LEVEL;
  settings->filter = GST_PNG_WRITER_FILTER_FAST;
  settings->segment_bytes = GST_PNG_WRITER_DEFAULT_SEGMENT_BYTES;
  settings->restart_markers = TRUE;
}

static const WriterFormat *
find_format (GstVideoFormat format)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    if (formats[i].format == format)
      return &formats[i];
  return NULL;
}

gboolean
gst_png_writer_supports_format (GstVideoFormat format)
{
  return find_format (format) != NULL;
}

static void
held_add (gsize * held_bytes, gssize delta)
{
  if (held_bytes)
    g_atomic_pointer_add (held_bytes, delta);
}

/* --- the image --- */

/* Filtered bytes of segment @index: its rows with their filter type. */
static gsize
segment_raw_bytes (const GstPngWriter * writer, guint index)
{
  return (gsize) gst_png_restart_marker_rows (&writer->segments, index) *
      (writer->row_bytes + 1);
}

/* As many segments as whole runs of segment_bytes fit: the specification
 * gives the first segment the remainder rows (fewer than a run, as N is
 * rounded down), so no segment reaches twice segment_bytes, or two rows
 * when one row is larger. */
static void
writer_segmentation (GstPngWriter * w)
{
  guint64 rows_per_run = 1, n;

  if (w->settings.segment_bytes > 0)
    rows_per_run = MAX (1, w->settings.segment_bytes / (w->row_bytes + 1));
  n = w->settings.segment_bytes > 0 ? w->height / rows_per_run : 1;
  /* the specification wants fewer segments than rows */
  n = CLAMP (n, 1, w->height > 1 ? w->height - 1 : 1);
  w->segments.height = w->height;
  w->segments.n_segments = n;
  w->markers = w->settings.restart_markers && n >= 2
      && segment_raw_bytes (w, 0) <= MAX_IDAT_DATA / 2;
}

GstPngWriter *
gst_png_writer_new (guint width, guint height, GstVideoFormat format,
    const GstPngWriterSettings * settings, GError ** error)
{
  const WriterFormat *fmt = find_format (format);
  GstPngWriter *w;

  if (!fmt) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "PNG cannot store %s pixels", gst_video_format_to_string (format));
    return NULL;
  }
  if (width == 0 || height == 0 || width > G_MAXINT32 || height > G_MAXINT32) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "an image of %ux%u pixels cannot be stored in PNG", width, height);
    return NULL;
  }
  w = g_new0 (GstPngWriter, 1);
  w->settings = *settings;
  w->settings.compression_level = CLAMP (settings->compression_level, 0, 9);
  w->settings.segment_bytes = MIN (settings->segment_bytes,
      GST_PNG_WRITER_MAX_SEGMENT_BYTES);
  w->fmt = fmt;
  w->width = width;
  w->height = height;
  w->row_bytes = (gsize) width * fmt->out_pixel;
  w->adler = 1;
  writer_segmentation (w);
  return w;
}

void
gst_png_writer_free (GstPngWriter * writer)
{
  g_free (writer);
}

guint
gst_png_writer_n_segments (const GstPngWriter * writer)
{
  return writer->segments.n_segments;
}

guint
gst_png_writer_segment_rows (const GstPngWriter * writer, guint index)
{
  return gst_png_restart_marker_rows (&writer->segments, index);
}

gsize
gst_png_writer_segment_held_row_bytes (const GstPngWriter * writer,
    guint index)
{
  return (gsize) gst_png_writer_segment_rows (writer, index) * writer->width
      * writer->fmt->in_pixel;
}

gboolean
gst_png_writer_has_restart_markers (const GstPngWriter * writer)
{
  return writer->markers;
}

/* --- chunks --- */

static gboolean
add_crc32 (const guint8 * data, gsize n, gpointer user_data)
{
  guint32 *crc = user_data;

  *crc = gst_png_deflate_crc32 (*crc, data, n);
  return TRUE;
}

/* One chunk of @type: @len bytes of @idat from @from on (@idat may be NULL
 * when @len is 0), then the @data_len bytes at @data. */
static gboolean
write_chunk (const gchar * type, const GstPngDeflateOut * idat, gsize from,
    gsize len, const guint8 * data, gsize data_len, GstPngWriteFunc write,
    gpointer user_data)
{
  guint8 head[8], tail[4];
  guint32 crc;

  gst_png_write_be32 (head, len + data_len);
  memcpy (head + 4, type, 4);
  crc = gst_png_deflate_crc32 (0, head + 4, 4);
  gst_png_deflate_out_foreach (idat, from, len, add_crc32, &crc);
  crc = gst_png_deflate_crc32 (crc, data, data_len);
  gst_png_write_be32 (tail, crc);
  return write (head, 8, user_data)
      && gst_png_deflate_out_foreach (idat, from, len, write, user_data)
      && (data_len == 0 || write (data, data_len, user_data))
      && write (tail, 4, user_data);
}

gboolean
gst_png_writer_write_header (GstPngWriter * writer, GstPngWriteFunc write,
    gpointer user_data)
{
  static const guint8 signature[8] = { 137, 80, 78, 71, 13, 10, 26, 10 };
  guint8 ihdr[13], mark[6];

  gst_png_write_be32 (ihdr, writer->width);
  gst_png_write_be32 (ihdr + 4, writer->height);
  ihdr[8] = writer->fmt->bit_depth;
  ihdr[9] = writer->fmt->color_type;
  ihdr[10] = ihdr[11] = ihdr[12] = 0;   /* deflate, filter 0, no interlace */
  if (!write (signature, 8, user_data)
      || !write_chunk ("IHDR", NULL, 0, 0, ihdr, 13, write, user_data))
    return FALSE;
  if (!writer->markers)
    return TRUE;
  mark[0] = 0;                  /* segmentation method 0 */
  mark[1] = 1;                  /* type 1: each segment one IDAT chunk */
  gst_png_write_be32 (mark + 2, writer->segments.n_segments);
  return write_chunk ("mARK", NULL, 0, 0, mark, 6, write, user_data);
}

/* A segment of more than MAX_IDAT_DATA bytes (only without markers) goes
 * out in several chunks; the Adler-32 in one of its own: allowed, and no
 * chunk grows past the limit. */
static gboolean
write_segment_split (const GstPngDeflateOut * idat, const guint8 * trailer,
    GstPngWriteFunc write, gpointer user_data)
{
  gsize from;

  for (from = 0; from < idat->len; from += MAX_IDAT_DATA)
    if (!write_chunk ("IDAT", idat, from, MIN (idat->len - from,
                MAX_IDAT_DATA), NULL, 0, write, user_data))
      return FALSE;
  return !trailer || write_chunk ("IDAT", NULL, 0, 0, trailer, 4, write,
      user_data);
}

gboolean
gst_png_writer_write_segment (GstPngWriter * writer,
    const GstPngWriterSegment * segment, GstPngWriteFunc write, gpointer user_data)
{
  gboolean last = segment->index == writer->segments.n_segments - 1;
  guint8 trailer[4];

  g_return_val_if_fail (segment->encoded, FALSE);
  g_return_val_if_fail (segment->index == writer->next_segment, FALSE);
  writer->next_segment++;
  writer->adler = gst_png_deflate_adler32_combine (writer->adler,
      segment->adler, segment_raw_bytes (writer, segment->index));
  gst_png_write_be32 (trailer, writer->adler);
  if (segment->idat.len > MAX_IDAT_DATA)
    return write_segment_split (&segment->idat, last ? trailer : NULL,
        write, user_data);
  return write_chunk ("IDAT", &segment->idat, 0, segment->idat.len, trailer,
      last ? 4 : 0, write, user_data);
}

gboolean
gst_png_writer_write_end (GstPngWriter * writer, GstPngWriteFunc write,
    gpointer user_data)
{
  g_return_val_if_fail (writer->next_segment ==
      writer->segments.n_segments, FALSE);
  return write_chunk ("IEND", NULL, 0, 0, NULL, 0, write, user_data);
}

/* --- segments --- */

GstPngWriterSegment *
gst_png_writer_segment_new_borrowed (const GstPngWriter * writer,
    guint index, const guint8 * rows, gsize stride, gsize * held_bytes)
{
  GstPngWriterSegment *s;

  g_return_val_if_fail (index < writer->segments.n_segments, NULL);
  s = g_new0 (GstPngWriterSegment, 1);
  s->writer = writer;
  s->index = index;
  s->n_rows = gst_png_writer_segment_rows (writer, index);
  s->rows_added = s->n_rows;
  s->input = rows;
  s->input_stride = stride;
  s->held_bytes = held_bytes;
  s->idat.held_bytes = held_bytes;
  return s;
}

/* A borrowed segment of its own rows, none of them added yet. */
GstPngWriterSegment *
gst_png_writer_segment_new (const GstPngWriter * writer, guint index,
    gsize * held_bytes)
{
  GstPngWriterSegment *s;
  gsize bytes;
  guint8 *rows;

  g_return_val_if_fail (index < writer->segments.n_segments, NULL);
  bytes = gst_png_writer_segment_held_row_bytes (writer, index);
  rows = g_try_malloc (bytes);
  if (!rows)
    return NULL;
  s = gst_png_writer_segment_new_borrowed (writer, index, rows,
      (gsize) writer->width * writer->fmt->in_pixel, held_bytes);
  s->rows = rows;
  s->rows_added = 0;
  held_add (held_bytes, bytes);
  return s;
}

static void
segment_free_rows (GstPngWriterSegment * s)
{
  if (!s->rows)
    return;
  g_clear_pointer (&s->rows, g_free);
  held_add (s->held_bytes, -(gssize) (s->n_rows * s->input_stride));
}

void
gst_png_writer_segment_free (GstPngWriterSegment * segment)
{
  if (!segment)
    return;
  segment_free_rows (segment);
  gst_png_deflate_out_clear (&segment->idat);
  g_free (segment);
}

guint
gst_png_writer_segment_index (const GstPngWriterSegment * segment)
{
  return segment->index;
}

guint
gst_png_writer_segment_rows_missing (const GstPngWriterSegment * segment)
{
  return segment->n_rows - segment->rows_added;
}

/* One input row to PNG byte order. */
static void
pack_row (const WriterFormat * fmt, const guint8 * src, guint8 * dst,
    guint width)
{
  guint x, j;

  if (fmt->map[0] < 0) {
    memcpy (dst, src, (gsize) width * fmt->out_pixel);
    return;
  }
  for (x = 0; x < width; x++) {
    for (j = 0; j < fmt->out_pixel; j++)
      dst[j] = src[fmt->map[j]];
    src += fmt->in_pixel;
    dst += fmt->out_pixel;
  }
}

void
gst_png_writer_segment_add_rows (GstPngWriterSegment * segment, const guint8 * rows,
    gsize stride, guint n_rows)
{
  gsize row_bytes = segment->input_stride;
  guint i;

  g_return_if_fail (n_rows <= gst_png_writer_segment_rows_missing (segment));
  for (i = 0; i < n_rows; i++) {
    memcpy (segment->rows + (gsize) segment->rows_added * row_bytes,
        rows + i * stride, row_bytes);
    segment->rows_added++;
  }
}

/* What encoding a segment holds besides its rows and IDAT data: one piece
 * of filtered rows for the compressor, the row being filtered, and, for
 * formats that are repacked, the row above it as PNG bytes. */
typedef struct
{
  GstPngWriterSegment *s;
  GstPngDeflateStream *deflate;
  guint8 *piece;
  gsize piece_fill;
  guint8 *row;                  /* filter type, then the PNG bytes */
  guint8 *packed[2];            /* rows r and r - 1 repacked, or NULL */
  guint8 *scratch;
  gsize bytes;                  /* all of the above, for held_bytes */
} Streamer;

/* The piece is handed to the compressor when it is full or @end. */
static gboolean
streamer_append (Streamer * st, const guint8 * data, gsize len, gboolean end)
{
  GstPngWriterSegment *s = st->s;

  for (;;) {
    gsize n = MIN (len, GST_PNG_DEFLATE_PIECE - st->piece_fill);

    memcpy (st->piece + st->piece_fill, data, n);
    st->piece_fill += n;
    data += n;
    len -= n;
    if (st->piece_fill < GST_PNG_DEFLATE_PIECE && !(end && len == 0))
      return TRUE;
    s->adler = gst_png_deflate_adler32 (s->adler, st->piece, st->piece_fill);
    if (g_atomic_int_get (&s->cancel)) {
      s->error = "cancelled";
      return FALSE;
    }
    if (!gst_png_deflate_stream_feed (st->deflate, st->piece, st->piece_fill,
            end && len == 0, &s->idat, &s->error))
      return FALSE;
    st->piece_fill = 0;
    if (len == 0)
      return TRUE;
  }
}

static gboolean
streamer_init (Streamer * st, GstPngWriterSegment * s)
{
  const GstPngWriter *w = s->writer;
  gsize scratch = gst_png_filter_scratch_bytes (w->row_bytes);
  gboolean repack = w->fmt->map[0] >= 0;

  memset (st, 0, sizeof (*st));
  st->s = s;
  st->bytes = GST_PNG_DEFLATE_PIECE + w->row_bytes + 1 + scratch +
      (repack ? 2 * w->row_bytes : 0);
  st->piece = g_try_malloc (st->bytes);
  if (!st->piece) {
    s->error = "out of memory for the row filter";
    return FALSE;
  }
  held_add (s->held_bytes, st->bytes);
  st->row = st->piece + GST_PNG_DEFLATE_PIECE;
  st->scratch = st->row + w->row_bytes + 1;
  if (repack) {
    st->packed[0] = st->scratch + scratch;
    st->packed[1] = st->packed[0] + w->row_bytes;
  }
  st->deflate = gst_png_deflate_stream_new (w->settings.compression_level,
      w->settings.filter != GST_PNG_WRITER_FILTER_NONE,
      s->index == w->segments.n_segments - 1, s->held_bytes, &s->error);
  return st->deflate != NULL;
}

static void
streamer_clear (Streamer * st)
{
  gst_png_deflate_stream_free (st->deflate);
  if (st->piece) {
    g_free (st->piece);
    held_add (st->s->held_bytes, -(gssize) st->bytes);
  }
}

/* Row @r of the segment as PNG bytes, unfiltered. */
static const guint8 *
streamer_png_row (Streamer * st, guint r)
{
  const GstPngWriterSegment *s = st->s;
  const guint8 *src = s->input + (gsize) r * s->input_stride;

  if (!st->packed[0])
    return src;
  pack_row (s->writer->fmt, src, st->packed[r % 2], s->writer->width);
  return st->packed[r % 2];
}

/* Each row is repacked (if its format needs it) and filtered into a row
 * of its own, top-down, the row above read from the input rows; the
 * filtered rows go to the compressor in pieces of GST_PNG_DEFLATE_PIECE
 * bytes. A borrowed segment holds only that piece, never its rows. */
static gboolean
segment_encode_rows (GstPngWriterSegment * s)
{
  const GstPngWriter *w = s->writer;
  guint bpp = MAX (1, w->fmt->out_pixel);
  const guint8 *prior = NULL;
  Streamer st;
  gboolean ok;
  guint r;

  s->adler = 1;
  ok = streamer_init (&st, s);
  if (ok && s->index == 0) {
    guint8 header[2];

    gst_png_deflate_stream_header (w->settings.compression_level, header);
    gst_png_deflate_out_append (&s->idat, header, 2);
  }
  for (r = 0; ok && r < s->n_rows; r++) {
    const guint8 *png = streamer_png_row (&st, r);

    memcpy (st.row + 1, png, w->row_bytes);
    gst_png_filter_row (w->settings.filter, st.row, prior, w->row_bytes,
        bpp, st.scratch);
    ok = streamer_append (&st, st.row, w->row_bytes + 1, r == s->n_rows - 1);
    prior = png;
  }
  streamer_clear (&st);
  return ok;
}

/* Filters and compresses the segment's rows (all must have been added);
 * safe on any thread, one thread per segment. The rows are freed; the IDAT
 * data stays until the segment is freed. */
gboolean
gst_png_writer_segment_encode (GstPngWriterSegment * segment)
{
  gboolean ok;

  g_return_val_if_fail (segment->rows_added == segment->n_rows, FALSE);
  ok = segment_encode_rows (segment);
  segment->input = NULL;
  segment_free_rows (segment);
  segment->encoded = ok;
  return ok;
}

/* Asks a running gst_png_writer_segment_encode() to stop soon; any thread. */
void
gst_png_writer_segment_cancel (GstPngWriterSegment * segment)
{
  g_atomic_int_set (&segment->cancel, 1);
}

const gchar *
gst_png_writer_segment_error (const GstPngWriterSegment * segment)
{
  return segment->error;
}

/* --- one whole image --- */

gboolean
gst_png_writer_write_image (const guint8 * pixels, gsize stride,
    guint width, guint height, GstVideoFormat format,
    const GstPngWriterSettings * settings, GstPngWriteFunc write,
    gpointer user_data, GError ** error)
{
  GstPngWriter *w = gst_png_writer_new (width, height, format, settings,
      error);
  gboolean ok;
  guint i, row = 0;

  if (!w)
    return FALSE;
  ok = gst_png_writer_write_header (w, write, user_data);
  for (i = 0; ok && i < w->segments.n_segments; i++) {
    /* the rows are the caller's: no copy */
    GstPngWriterSegment *s = gst_png_writer_segment_new_borrowed (w, i,
        pixels + (gsize) row * stride, stride, NULL);

    row += s->n_rows;
    if (!gst_png_writer_segment_encode (s)) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED, "%s", s->error);
      gst_png_writer_segment_free (s);
      gst_png_writer_free (w);
      return FALSE;
    }
    ok = gst_png_writer_write_segment (w, s, write, user_data);
    gst_png_writer_segment_free (s);
  }
  ok = ok && gst_png_writer_write_end (w, write, user_data);
  if (!ok)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
        "the write function stopped the image");
  gst_png_writer_free (w);
  return ok;
}

static gboolean
append_to_array (const guint8 * data, gsize len, gpointer user_data)
{
  g_byte_array_append (user_data, data, len);
  return TRUE;
}

GBytes *
gst_png_writer_encode_image (const guint8 * pixels, gsize stride,
    guint width, guint height, GstVideoFormat format,
    const GstPngWriterSettings * settings, GError ** error)
{
  GByteArray *png = g_byte_array_new ();

  if (!gst_png_writer_write_image (pixels, stride, width, height, format,
          settings, append_to_array, png, error)) {
    g_byte_array_unref (png);
    return NULL;
  }
  return g_byte_array_free_to_bytes (png);
}
