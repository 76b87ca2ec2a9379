/* gst-membound: pngtiledec's restart-marker segments, decoded in parallel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Locking: `lock` guards the queue of segments in flight and each
 * segment's `done`. The caller waits on `done_cond` for the oldest
 * segment; a worker broadcasts it after each segment. Segments are
 * decoded in any order, taken in the order they were submitted. Workers
 * are never interrupted: a wait lasts at most one segment's decode.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpngchunk.h"
#include "gstpngsegmentdecoder.h"
#include "gstpngunfilter.h"

/* Only ISA-L's inflater hands segments over: without ISA-L, images with
 * restart markers are decoded as any other. */
#ifdef HAVE_ISAL

#include <isa-l/igzip_lib.h>

struct _GstPngSegmentDecoder
{
  GThreadPool *pool;
  guint n_workers;
  GMutex lock;
  GCond done_cond;
  GQueue in_flight;

  /* the image, read by workers while segments are in flight */
  gsize row_bytes;              /* with the filter byte */
  guint bpp;                    /* bytes per pixel, at least 1 */
  gboolean out_adler;           /* libpng checks the rewritten rows' */
};

void
gst_png_segment_free (GstPngSegment * segment)
{
  if (!segment)
    return;
  g_free (segment->compressed);
  g_free (segment->out);
  g_free (segment->history);
  g_free (segment);
}

/* --- inflating --- */

static gboolean
invalid (GstPngSegment * segment, const gchar * why)
{
  segment->valid = FALSE;
  g_strlcpy (segment->why, why, sizeof (segment->why));
  return FALSE;
}

static gboolean
skip_zlib_header (GstPngSegment * segment, struct inflate_state *z)
{
  const guint8 *c = segment->compressed;

  if (segment->compressed_len < 2 || (c[0] & 0x0f) != 8 || (c[0] >> 4) > 7
      || ((c[0] << 8) | c[1]) % 31 != 0 || (c[1] & 0x20))
    return invalid (segment, "no plain zlib header");
  z->next_in += 2;
  z->avail_in -= 2;
  return TRUE;
}

guint
gst_png_deflate_take_leftover (struct inflate_state *z, guint8 * dst,
    guint max)
{
  /* the bits of the stream's last byte are dropped; whole bytes follow */
  guint64 bits = z->read_in >> (z->read_in_length % 8);
  guint whole = z->read_in_length / 8, n = 0;

  while (n < max && whole > 0) {
    dst[n++] = bits & 0xff;
    bits >>= 8;
    whole--;
  }
  z->read_in = bits;
  z->read_in_length = whole * 8;
  while (n < max && z->avail_in > 0) {
    dst[n++] = *z->next_in++;
    z->avail_in--;
  }
  return n;
}

/* A segment but the last ends exactly with a full flush: nothing left in
 * the bit buffer and no more output behind the rows. */
static gboolean
check_segment_end (GstPngSegment * segment, struct inflate_state *z)
{
  const guint8 *c = segment->compressed + segment->compressed_len - 4;
  guint8 extra, t[4];

  if (segment->last) {
    if (z->block_state != ISAL_BLOCK_FINISH)
      return invalid (segment, "the last segment does not end the stream");
    /* whole input bytes ISA-L has not used: what it has not read plus
     * what it read ahead into its bit buffer */
    if (z->avail_in + z->read_in_length / 8 != 4)
      return invalid (segment, "the last segment is not followed by "
          "exactly the Adler-32");
    gst_png_deflate_take_leftover (z, t, 4);
    segment->trailer = gst_png_read_be32 (t);
    return TRUE;
  }
  if (z->block_state == ISAL_BLOCK_FINISH
      || z->block_state == ISAL_BLOCK_INPUT_DONE)
    return invalid (segment, "a segment but the last ends the stream");
  /* ISA-L waits for the next block header, none of whose bits it read */
  if (segment->compressed_len < 4 || memcmp (c, "\0\0\xff\xff", 4) != 0
      || z->avail_in != 0 || z->read_in_length != 0
      || (z->block_state != ISAL_BLOCK_NEW_HDR
          && z->block_state != ISAL_BLOCK_HDR))
    return invalid (segment, "the segment does not end with a full flush");
  z->next_out = &extra;
  z->avail_out = 1;
  if (isal_inflate (z) != ISAL_DECOMP_OK || z->avail_out == 0)
    return invalid (segment, "more image data than the segment's rows");
  return TRUE;
}

/* Inflates the segment into @data (data_len bytes) with an empty
 * history. */
static gboolean
inflate_segment (GstPngSegment * segment, guint8 * data)
{
  struct inflate_state z;

  isal_inflate_init (&z);
  z.crc_flag = ISAL_DEFLATE;
  z.next_in = segment->compressed;
  z.avail_in = segment->compressed_len;
  if (segment->index == 0 && !skip_zlib_header (segment, &z))
    return FALSE;
  z.next_out = data;
  z.avail_out = segment->data_len;
  if (isal_inflate (&z) != ISAL_DECOMP_OK)
    return invalid (segment, "its data does not inflate on its own");
  if (z.avail_out != 0)
    return invalid (segment, "less image data than the segment's rows");
  if (!check_segment_end (segment, &z))
    return FALSE;
  if (segment->index > 0 && data[0] > 1)
    return invalid (segment, "its first row is filtered with Up, Average "
        "or Paeth");
  return TRUE;
}

/* --- unfiltering --- */

/* Unfilters the segment's rows in place, taking the Adler-32 of each as
 * inflated, and as unfiltered if libpng checks that, while it is in the
 * cache. A segment's first row is filtered None or Sub (checked), or
 * starts the image: the row above it counts as zeros. */
static void
unfilter_segment (GstPngSegmentDecoder * d, GstPngSegment * segment)
{
  gsize row_bytes = d->row_bytes;
  guint8 *row = segment->out, *zeros = g_malloc0 (row_bytes);
  const guint8 *prev = zeros;
  guint32 r, adler = 1, out_adler = 1;
  gboolean ok = TRUE;

  for (r = 0; r < segment->rows && ok; r++) {
    adler = isal_adler32 (adler, row, row_bytes);
    ok = gst_png_unfilter_row (row, prev, row_bytes, d->bpp) ||
        invalid (segment, "a row has an unknown filter type");
    if (d->out_adler)
      out_adler = isal_adler32 (out_adler, row, row_bytes);
    prev = row;
    row += row_bytes;
  }
  g_free (zeros);
  segment->adler = adler;
  segment->out_adler = out_adler;
}

/* A worker's task. The segment is inflated flat (ISA-L's fastest path),
 * its last 32 KiB kept for a sequential fallback after it, then unfiltered
 * in place: while it runs, and until it is passed on, a segment holds its
 * compressed data and its rows. */
static void
decode_segment (gpointer task, gpointer user_data)
{
  GstPngSegmentDecoder *d = user_data;
  GstPngSegment *segment = task;
  gsize n = segment->data_len;

  segment->valid = TRUE;
  segment->out = g_try_malloc (n);
  if (!segment->out)
    invalid (segment, "out of memory for the segment");
  else if (inflate_segment (segment, segment->out)) {
    segment->history_len = MIN (n, GST_PNG_SEGMENT_HISTORY);
    segment->history = g_memdup2 (segment->out + n - segment->history_len,
        segment->history_len);
    unfilter_segment (d, segment);
  }
  if (!segment->valid)
    g_clear_pointer (&segment->out, g_free);
  g_mutex_lock (&d->lock);
  segment->done = TRUE;
  g_cond_broadcast (&d->done_cond);
  g_mutex_unlock (&d->lock);
}

GstPngSegmentDecoder *
gst_png_segment_decoder_new (guint n_workers)
{
  GstPngSegmentDecoder *d = g_new0 (GstPngSegmentDecoder, 1);

  d->n_workers = MAX (n_workers, 1);
  d->pool = g_thread_pool_new (decode_segment, d, d->n_workers, FALSE, NULL);
  g_mutex_init (&d->lock);
  g_cond_init (&d->done_cond);
  return d;
}

void
gst_png_segment_decoder_free (GstPngSegmentDecoder * d)
{
  if (!d)
    return;
  gst_png_segment_decoder_discard (d);
  g_thread_pool_free (d->pool, FALSE, TRUE);
  g_mutex_clear (&d->lock);
  g_cond_clear (&d->done_cond);
  g_free (d);
}

guint
gst_png_segment_decoder_n_workers (GstPngSegmentDecoder * d)
{
  return d->n_workers;
}

gsize
gst_png_segment_decoder_set_header (GstPngSegmentDecoder * d,
    const guint8 * ihdr, gboolean out_adler)
{
  g_return_val_if_fail (g_queue_is_empty (&d->in_flight), 0);
  d->out_adler = out_adler;
  if (!gst_png_unfilter_geometry (ihdr, &d->row_bytes, &d->bpp))
    return 0;
  return d->row_bytes;
}

void
gst_png_segment_decoder_submit (GstPngSegmentDecoder * d,
    GstPngSegment * segment)
{
  segment->data_len = (gsize) segment->rows * d->row_bytes;
  segment->done = FALSE;
  g_mutex_lock (&d->lock);
  g_queue_push_tail (&d->in_flight, segment);
  g_mutex_unlock (&d->lock);
  g_thread_pool_push (d->pool, segment, NULL);
}

guint
gst_png_segment_decoder_in_flight (GstPngSegmentDecoder * d)
{
  guint n;

  g_mutex_lock (&d->lock);
  n = g_queue_get_length (&d->in_flight);
  g_mutex_unlock (&d->lock);
  return n;
}

GstPngSegment *
gst_png_segment_decoder_wait (GstPngSegmentDecoder * d)
{
  GstPngSegment *segment;

  g_mutex_lock (&d->lock);
  segment = g_queue_peek_head (&d->in_flight);
  /* Waits for the worker decoding the oldest segment; it broadcasts when
   * done. Workers always finish: no other wake-up is needed. */
  while (segment && !segment->done)
    g_cond_wait (&d->done_cond, &d->lock);
  if (segment)
    g_queue_pop_head (&d->in_flight);
  g_mutex_unlock (&d->lock);
  return segment;
}

void
gst_png_segment_decoder_discard (GstPngSegmentDecoder * d)
{
  GstPngSegment *segment;

  while ((segment = gst_png_segment_decoder_wait (d)))
    gst_png_segment_free (segment);
}

gsize
gst_png_segment_decoder_held_bytes (GstPngSegmentDecoder * d)
{
  gsize bytes = 0;
  GList *l;

  g_mutex_lock (&d->lock);
  for (l = d->in_flight.head; l; l = l->next) {
    GstPngSegment *segment = l->data;

    /* compressed and inflated bytes */
    bytes += segment->compressed_len + (gsize) segment->rows * d->row_bytes;
  }
  g_mutex_unlock (&d->lock);
  return bytes;
}

#endif /* HAVE_ISAL */
