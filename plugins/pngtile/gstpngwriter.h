/* gst-membound: the project's PNG writer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_WRITER_H__
#define __GST_PNG_WRITER_H__

#include <glib.h>
#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GstPngWriterFilter:
 * @GST_PNG_WRITER_FILTER_ADAPTIVE: per row, the smallest of all five filters
 *   (libpng's exhaustive choice: each filter tried, smallest sum of absolute
 *   residuals wins)
 * @GST_PNG_WRITER_FILTER_NONE: no filtering
 * @GST_PNG_WRITER_FILTER_SUB: difference to the left pixel
 * @GST_PNG_WRITER_FILTER_UP: difference to the pixel above
 * @GST_PNG_WRITER_FILTER_AVERAGE: difference to the mean of left and above
 * @GST_PNG_WRITER_FILTER_PAETH: Paeth predictor
 * @GST_PNG_WRITER_FILTER_FAST: per row, Sub, Up, Average or Paeth, whichever
 *   has the smallest sum of absolute residuals, all four scored in one pass
 *
 * PNG row filter. Whatever the choice, the first row of every segment is
 * filtered None or Sub (whichever is smaller; None for
 * %GST_PNG_WRITER_FILTER_NONE, Sub for %GST_PNG_WRITER_FILTER_SUB), so that
 * segments are independent.
 */
typedef enum {
  GST_PNG_WRITER_FILTER_ADAPTIVE,
  GST_PNG_WRITER_FILTER_NONE,
  GST_PNG_WRITER_FILTER_SUB,
  GST_PNG_WRITER_FILTER_UP,
  GST_PNG_WRITER_FILTER_AVERAGE,
  GST_PNG_WRITER_FILTER_PAETH,
  GST_PNG_WRITER_FILTER_FAST,
} GstPngWriterFilter;

#define GST_PNG_WRITER_DEFAULT_COMPRESSION_LEVEL 1
/* 1 MiB: up to `threads` + 1 segments of rows are held; with 4 MiB the
 * strip pipeline of tests/bench/thumbnail.sh peaked at 24.3 MiB instead of
 * 16.1 and the 8000^2 re-encode of tests/bench/encode.sh at 32.6 MiB
 * instead of 17.0, for 0.05 % less output */
#define GST_PNG_WRITER_DEFAULT_SEGMENT_BYTES (1024 * 1024)
#define GST_PNG_WRITER_MAX_SEGMENT_BYTES (256 * 1024 * 1024)

/**
 * GstPngWriterSettings:
 * @compression_level: 0 to 9, see gst_png_deflate_describe()
 * @filter: the row filter
 * @segment_bytes: the image is cut into segments of whole rows of at most
 *   this many filtered bytes (PNG data, one filter byte a row); the first
 *   segment also takes the rows left over, so it stays under twice that (or
 *   two rows, when one row is larger); at most
 *   %GST_PNG_WRITER_MAX_SEGMENT_BYTES; 0: the whole image is one segment
 * @restart_markers: write a mARK chunk (PNG restart marker v0.1, method 0,
 *   type 1) when the image has at least two segments
 *
 * How an image is written. Segmentation depends only on these settings and
 * the image, so the bytes written never depend on how many threads encode.
 */
typedef struct {
  gint compression_level;
  GstPngWriterFilter filter;
  gsize segment_bytes;
  gboolean restart_markers;
} GstPngWriterSettings;

void gst_png_writer_settings_init (GstPngWriterSettings * settings);

gboolean gst_png_writer_supports_format (GstVideoFormat format);

/* Receives the PNG bytes in order; FALSE stops the writer (the caller's
 * reason, e.g. a downstream flow, is the caller's to keep). */
typedef gboolean (*GstPngWriteFunc) (const guint8 * data, gsize len,
    gpointer user_data);

/* --- one whole image in one call, on the calling thread --- */

GBytes *gst_png_writer_encode_image (const guint8 * pixels, gsize stride,
    guint width, guint height, GstVideoFormat format,
    const GstPngWriterSettings * settings, GError ** error);

gboolean gst_png_writer_write_image (const guint8 * pixels, gsize stride,
    guint width, guint height, GstVideoFormat format,
    const GstPngWriterSettings * settings, GstPngWriteFunc write,
    gpointer user_data, GError ** error);

/* --- streaming: the image in segments of rows --- */

typedef struct _GstPngWriter GstPngWriter;
typedef struct _GstPngWriterSegment GstPngWriterSegment;

GstPngWriter *gst_png_writer_new (guint width, guint height,
    GstVideoFormat format, const GstPngWriterSettings * settings,
    GError ** error);
void gst_png_writer_free (GstPngWriter * writer);

guint gst_png_writer_n_segments (const GstPngWriter * writer);
guint gst_png_writer_segment_rows (const GstPngWriter * writer, guint index);
/* What gst_png_writer_segment_new() allocates for the segment's rows. */
gsize gst_png_writer_segment_held_row_bytes (const GstPngWriter * writer,
    guint index);
gboolean gst_png_writer_has_restart_markers (const GstPngWriter * writer);

gboolean gst_png_writer_write_header (GstPngWriter * writer,
    GstPngWriteFunc write, gpointer user_data);
gboolean gst_png_writer_write_segment (GstPngWriter * writer,
    const GstPngWriterSegment * segment, GstPngWriteFunc write, gpointer user_data);
gboolean gst_png_writer_write_end (GstPngWriter * writer,
    GstPngWriteFunc write, gpointer user_data);

/* @held_bytes, if not NULL, is added to and subtracted from atomically as
 * the segment allocates and frees, from whichever thread does it. */
GstPngWriterSegment *gst_png_writer_segment_new (const GstPngWriter * writer, guint index,
    gsize * held_bytes);
/* A segment whose rows are the caller's, @stride bytes apart, in the
 * writer's input format: nothing is copied, and they must stay unchanged
 * until the segment is encoded (or cancelled and freed). Encoding holds one
 * piece of filtered rows instead of the segment's; the bytes are the same
 * as from gst_png_writer_segment_new() and add_rows(). */
GstPngWriterSegment *gst_png_writer_segment_new_borrowed (const GstPngWriter * writer,
    guint index, const guint8 * rows, gsize stride, gsize * held_bytes);
void gst_png_writer_segment_free (GstPngWriterSegment * segment);
guint gst_png_writer_segment_index (const GstPngWriterSegment * segment);
guint gst_png_writer_segment_rows_missing (const GstPngWriterSegment * segment);
void gst_png_writer_segment_add_rows (GstPngWriterSegment * segment, const guint8 * rows,
    gsize stride, guint n_rows);
gboolean gst_png_writer_segment_encode (GstPngWriterSegment * segment);
void gst_png_writer_segment_cancel (GstPngWriterSegment * segment);
const gchar *gst_png_writer_segment_error (const GstPngWriterSegment * segment);

G_END_DECLS

#endif /* __GST_PNG_WRITER_H__ */
