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

#include <setjmp.h>
#include <string.h>
#include <png.h>

#include "gstpngsegmentdecoder.h"

#ifdef HAVE_ISAL

#include <isa-l/igzip_lib.h>

#define CHUNK_OVERHEAD (8 + 5 + 4)      /* chunk header, stored header, CRC */

struct _GstPngSegmentDecoder
{
  GThreadPool *pool;
  guint n_workers;
  GMutex lock;
  GCond done_cond;
  GQueue in_flight;

  /* the image, read by workers while segments are in flight */
  guint8 ihdr[13];
  guint8 plte[768];
  gsize plte_len;
  gsize row_bytes;              /* with the filter byte */
};

static const guint8 png_signature[8] = { 137, 80, 78, 71, 13, 10, 26, 10 };

static void
write_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

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

/* --- stored-block IDAT chunks --- */

static gsize
stored_chunks_size (gsize data_len)
{
  gsize n = (data_len + GST_PNG_SEGMENT_STORED_MAX - 1) /
      GST_PNG_SEGMENT_STORED_MAX;

  return data_len + n * CHUNK_OVERHEAD;
}

/* Writes the chunk and block headers around @data_len bytes laid out in
 * stored chunks at @out (their CRCs are zero: libpng is told not to check
 * them, the original chunks are checked instead). */
static void
frame_stored_chunks (guint8 * out, gsize data_len)
{
  while (data_len > 0) {
    guint n = MIN (data_len, GST_PNG_SEGMENT_STORED_MAX);

    write_be32 (out, n + 5);
    memcpy (out + 4, "IDAT", 4);
    out[8] = 0;
    out[9] = n & 0xff;
    out[10] = n >> 8;
    out[11] = ~n & 0xff;
    out[12] = (~n >> 8) & 0xff;
    memset (out + 13 + n, 0, 4);
    out += n + CHUNK_OVERHEAD;
    data_len -= n;
  }
}

/* Where byte @offset of the data lives in stored chunks. */
static inline gsize
stored_position (gsize offset)
{
  return offset / GST_PNG_SEGMENT_STORED_MAX * (GST_PNG_SEGMENT_STORED_MAX +
      CHUNK_OVERHEAD) + 13 + offset % GST_PNG_SEGMENT_STORED_MAX;
}

static void
stored_write (guint8 * out, gsize offset, const guint8 * bytes, gsize len)
{
  while (len > 0) {
    gsize room = GST_PNG_SEGMENT_STORED_MAX -
        offset % GST_PNG_SEGMENT_STORED_MAX, n = MIN (room, len);

    memcpy (out + stored_position (offset), bytes, n);
    offset += n;
    bytes += n;
    len -= n;
  }
}

static guint32
stored_adler (const guint8 * out, gsize data_len)
{
  guint32 adler = 1;

  while (data_len > 0) {
    guint n = MIN (data_len, GST_PNG_SEGMENT_STORED_MAX);

    adler = isal_adler32 (adler, out + 13, n);
    out += n + CHUNK_OVERHEAD;
    data_len -= n;
  }
  return adler;
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

/* Whole input bytes ISA-L has not used: what it has not read plus what
 * it read ahead into its bit buffer. */
static gsize
unused_input (struct inflate_state *z)
{
  return z->avail_in + z->read_in_length / 8;
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
    if (unused_input (z) != 4)
      return invalid (segment, "the last segment is not followed by "
          "exactly the Adler-32");
    gst_png_deflate_take_leftover (z, t, 4);
    segment->trailer = ((guint32) t[0] << 24) | (t[1] << 16) | (t[2] << 8) |
        t[3];
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

/* Inflates the segment into @data (data_len bytes) with an empty history. */
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

/* --- unfiltering with libpng --- */

typedef struct
{
  GstPngSegment *segment;
  gsize row_bytes;
  guint32 rows_seen;
  jmp_buf jump;
} Unfilter;

static void
unfilter_error (png_structp png, png_const_charp msg)
{
  Unfilter *u = png_get_error_ptr (png);

  invalid (u->segment, msg);
  longjmp (u->jump, 1);
}

static void
unfilter_warning (png_structp png, png_const_charp msg)
{
}

static void
unfilter_info (png_structp png, png_infop info)
{
  png_start_read_image (png);
}

static void
unfilter_row (png_structp png, png_bytep row, png_uint_32 row_num, int pass)
{
  Unfilter *u = png_get_progressive_ptr (png);
  static const guint8 none = 0;
  gsize at = (gsize) row_num * u->row_bytes;

  if (!row || row_num >= u->segment->rows)
    return;
  stored_write (u->segment->out, at, &none, 1);
  stored_write (u->segment->out, at + 1, row, u->row_bytes - 1);
  u->rows_seen++;
}

static void
feed_chunk (png_structp png, png_infop info, const gchar * type,
    const guint8 * data, guint32 len)
{
  guint8 head[8], crc[4] = { 0, 0, 0, 0 };

  write_be32 (head, len);
  memcpy (head + 4, type, 4);
  png_process_data (png, info, head, 8);
  if (len)
    png_process_data (png, info, (guint8 *) data, len);
  png_process_data (png, info, crc, 4);
}

/* A PNG of the segment's rows alone, through libpng with no
 * transformations: its rows are the unfiltered rows of the image. */
static void
feed_synthetic_png (GstPngSegmentDecoder * d, png_structp png,
    png_infop info, GstPngSegment * segment, guint8 * data_chunks)
{
  guint8 ihdr[13], end[] = { 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0 };
  static const guint8 zlib_header[] = { 0x78, 0x01 };

  memcpy (ihdr, d->ihdr, 13);
  write_be32 (ihdr + 4, segment->rows);
  png_process_data (png, info, (guint8 *) png_signature, 8);
  feed_chunk (png, info, "IHDR", ihdr, 13);
  if (d->plte_len)
    feed_chunk (png, info, "PLTE", d->plte, d->plte_len);
  feed_chunk (png, info, "IDAT", zlib_header, 2);
  png_process_data (png, info, data_chunks,
      stored_chunks_size (segment->data_len));
  write_be32 (end + 5, segment->adler);
  feed_chunk (png, info, "IDAT", end, sizeof (end));
  feed_chunk (png, info, "IEND", NULL, 0);
}

static gboolean
unfilter_segment (GstPngSegmentDecoder * d, GstPngSegment * segment,
    guint8 * data_chunks)
{
  Unfilter u = { segment, d->row_bytes, 0 };
  png_structp png;
  png_infop info;
  volatile gboolean ok = FALSE;

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &u, unfilter_error,
      unfilter_warning);
  info = png ? png_create_info_struct (png) : NULL;
  if (!info) {
    png_destroy_read_struct (&png, NULL, NULL);
    return invalid (segment, "out of memory for a libpng reader");
  }
  if (setjmp (u.jump) == 0) {
    png_set_progressive_read_fn (png, &u, unfilter_info, unfilter_row, NULL);
    png_set_user_limits (png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_crc_action (png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    feed_synthetic_png (d, png, info, segment, data_chunks);
    ok = u.rows_seen == segment->rows ||
        invalid (segment, "libpng did not return every row");
  }
  png_destroy_read_struct (&png, &info, NULL);
  return ok;
}

static void
decode_segment (GstPngSegmentDecoder * d, GstPngSegment * segment)
{
  gsize size = stored_chunks_size (segment->data_len);
  guint8 *chunks = g_try_malloc (size), *data = g_try_malloc (size);
  gsize i, n = segment->data_len;

  segment->valid = TRUE;
  if (!chunks || !data) {
    invalid (segment, "out of memory for the segment");
    goto out;
  }
  /* inflated flat (ISA-L's fastest path), then framed for libpng */
  if (!inflate_segment (segment, data))
    goto out;
  segment->adler = isal_adler32 (1, data, n);
  segment->history_len = MIN (n, GST_PNG_SEGMENT_HISTORY);
  segment->history = g_memdup2 (data + n - segment->history_len,
      segment->history_len);
  for (i = 0; i < n; i += GST_PNG_SEGMENT_STORED_MAX)
    stored_write (chunks, i, data + i, MIN (GST_PNG_SEGMENT_STORED_MAX,
            n - i));
  frame_stored_chunks (chunks, n);
  /* the rows are written over the flat copy, now unused */
  segment->out = data;
  data = NULL;
  frame_stored_chunks (segment->out, n);
  if (!unfilter_segment (d, segment, chunks))
    goto out;
  segment->out_len = size;
  segment->out_adler = stored_adler (segment->out, n);
out:
  g_free (chunks);
  g_free (data);
  if (!segment->valid) {
    g_free (segment->out);
    segment->out = NULL;
  }
}

static void
worker (gpointer task, gpointer user_data)
{
  GstPngSegmentDecoder *d = user_data;
  GstPngSegment *segment = task;

  decode_segment (d, segment);
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
  d->pool = g_thread_pool_new (worker, d, d->n_workers, FALSE, NULL);
  g_mutex_init (&d->lock);
  g_cond_init (&d->done_cond);
  g_queue_init (&d->in_flight);
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

gboolean
gst_png_segment_decoder_set_header (GstPngSegmentDecoder * d,
    const guint8 * ihdr, const guint8 * plte, gsize plte_len)
{
  static const guint8 channels[7] = { 1, 0, 3, 1, 2, 0, 4 };
  guint32 width = ((guint32) ihdr[0] << 24) | (ihdr[1] << 16) |
      (ihdr[2] << 8) | ihdr[3];
  guint depth = ihdr[8], type = ihdr[9];

  g_return_val_if_fail (g_queue_is_empty (&d->in_flight), FALSE);
  if (type > 6 || channels[type] == 0 || ihdr[10] || ihdr[11] || ihdr[12]
      || (depth != 1 && depth != 2 && depth != 4 && depth != 8
          && depth != 16) || width == 0 || width > PNG_UINT_31_MAX
      || plte_len > sizeof (d->plte) || (type == 3 && plte_len == 0))
    return FALSE;
  memcpy (d->ihdr, ihdr, 13);
  memcpy (d->plte, plte, plte_len);
  d->plte_len = plte_len;
  d->row_bytes = ((guint64) width * channels[type] * depth + 7) / 8 + 1;
  return TRUE;
}

gsize
gst_png_segment_decoder_row_bytes (GstPngSegmentDecoder * d)
{
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

    /* while decoded: compressed, inflated and rewritten bytes */
    bytes += segment->compressed_len + 2 * stored_chunks_size ((gsize)
        segment->rows * d->row_bytes);
  }
  g_mutex_unlock (&d->lock);
  return bytes;
}

#else /* !HAVE_ISAL */

/* Without ISA-L there is no fast inflater to hand segments over: images
 * with restart markers are decoded as any other. */
void
gst_png_segment_free (GstPngSegment * segment)
{
  g_free (segment);
}

GstPngSegmentDecoder *
gst_png_segment_decoder_new (guint n_workers)
{
  return NULL;
}

void
gst_png_segment_decoder_free (GstPngSegmentDecoder * decoder)
{
}

#endif /* HAVE_ISAL */
