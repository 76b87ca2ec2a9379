/* gst-membound: pngtiledec's restart-marker segments, decoded in parallel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_SEGMENT_DECODER_H__
#define __GST_PNG_SEGMENT_DECODER_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_PNG_SEGMENT_HISTORY 32768

/* One segment of an image with restart markers: one IDAT chunk's data in,
 * its rows out. A worker inflates the chunk with an empty history, checks
 * that it holds exactly its rows (and ends with a full flush, or with the
 * final block and the Adler-32 if it is the last) and unfilters the rows
 * in place into filter-None rows, which the inflater passes on in stored
 * blocks as it passes on what it inflates: libpng reading the image then
 * only copies them and applies its transformations, with the previous row
 * it holds being the true one, so that a later segment that fails can be
 * continued from the real compressed data. Unfiltering is the PNG
 * specification's arithmetic on bytes, which libpng does the same way, so
 * the pixels are the same; what the rows mean (bit depth, palette,
 * transparency) is left to libpng. */
typedef struct {
  /* set before submitting */
  guint32 index;                /* 0: starts with the zlib header */
  gboolean last;
  guint32 rows;
  guint8 *compressed;           /* the IDAT chunk's data, owned */
  gsize compressed_len;

  /* set by the worker */
  gboolean valid;               /* FALSE: decode this one sequentially */
  gchar why[128];
  guint8 *out;                  /* the rows filtered None, data_len bytes */
  gsize data_len;               /* filtered bytes: rows x (rowbytes + 1) */
  guint32 adler;                /* Adler-32 of the inflated bytes alone */
  guint32 out_adler;            /* Adler-32 of the rewritten rows alone */
  guint32 trailer;              /* the last segment's Adler-32 field */
  guint8 *history;              /* the last inflated bytes, for a fallback */
  gsize history_len;

  gboolean done;                /* guarded by the decoder's lock */
} GstPngSegment;

void gst_png_segment_free (GstPngSegment * segment);

typedef struct _GstPngSegmentDecoder GstPngSegmentDecoder;

/* @n_workers threads, started as segments come. */
GstPngSegmentDecoder *gst_png_segment_decoder_new (guint n_workers);
/* Waits for segments in flight and drops them. */
void gst_png_segment_decoder_free (GstPngSegmentDecoder * decoder);
guint gst_png_segment_decoder_n_workers (GstPngSegmentDecoder * decoder);

/* The image's IHDR data (13 bytes); only while no segment is in flight.
 * With @out_adler, the Adler-32 of the unfiltered rows is taken too (for a
 * libpng that checks the rewritten stream's). Returns the filtered bytes
 * of one of its rows, with the filter byte; 0 when the header is not one a
 * segment can be decoded for. */
gsize gst_png_segment_decoder_set_header (GstPngSegmentDecoder * decoder,
    const guint8 * ihdr, gboolean out_adler);

/* Queues a segment for a worker; takes it. Never blocks: the caller keeps
 * in_flight() below n_workers, waiting for the oldest first. */
void gst_png_segment_decoder_submit (GstPngSegmentDecoder * decoder,
    GstPngSegment * segment);
guint gst_png_segment_decoder_in_flight (GstPngSegmentDecoder * decoder);
/* The oldest segment in flight once decoded (the caller takes it), NULL
 * when none is in flight. */
GstPngSegment *gst_png_segment_decoder_wait (GstPngSegmentDecoder *
    decoder);
/* Drops every segment in flight (waits for those being decoded). */
void gst_png_segment_decoder_discard (GstPngSegmentDecoder * decoder);

/* Bytes the segments in flight hold. */
gsize gst_png_segment_decoder_held_bytes (GstPngSegmentDecoder * decoder);

/* After ISA-L has reached the end of a deflate stream: takes up to @max of
 * the bytes that follow it (those it read ahead into its bit buffer
 * first, then the rest of its input) into @dst. Returns how many. */
struct inflate_state;
guint gst_png_deflate_take_leftover (struct inflate_state *z, guint8 * dst,
    guint max);

G_END_DECLS

#endif /* __GST_PNG_SEGMENT_DECODER_H__ */
