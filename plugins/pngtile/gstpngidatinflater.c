/* gst-membound: pngtiledec's inflate-ahead stage
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpngidatinflater.h"
#include "gstpngchunk.h"
#include "gstpngrestartmarker.h"
#include "gstpngsegmentdecoder.h"
#include "gstpngunfilter.h"

#ifdef HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>
#endif

/* Largest stored block deflate allows; one block per rewritten IDAT. */
#define STORED_MAX 65535
#define CHUNK_HEADER_BYTES GST_PNG_CHUNK_HEADER_BYTES
#define STORED_HEADER_BYTES 5
#define CRC_BYTES GST_PNG_CHUNK_CRC_BYTES
G_STATIC_ASSERT (GST_PNG_IDAT_BLOCK_BYTES ==
    CHUNK_HEADER_BYTES + STORED_HEADER_BYTES + STORED_MAX + CRC_BYTES);
/* ancillary chunks up to this size keep their buffer for the next one */
#define ANCILLARY_KEPT_BYTES (64 * 1024)
/* restart-marker segments larger than these are inflated here, in turn */
#define SEGMENT_COMPRESSED_MAX (64u << 20)
#define SEGMENT_DATA_MAX (64u << 20)
/* IDAT payloads shorter than this are gathered into one run before ISA-L
 * sees them: every isal_inflate() call passes its first 32 KiB of output
 * through ISA-L's own window and copies the last 32 KiB back into it, so a
 * call per 8 KiB IDAT (libpng's default) would copy each inflated byte two
 * to three times. */
#define STAGED_MAX (64 * 1024)

/* Where the inflater is in the image's byte stream. */
typedef enum
{
  STAGE_SIGNATURE,              /* the signature, passed on */
  STAGE_CHUNK_HEADER,           /* gathering a chunk's length and type */
  STAGE_PASS_DATA,              /* a critical chunk libpng gets as it is */
  STAGE_ANCILLARY,              /* an ancillary chunk, gathered whole */
  STAGE_IDAT_DATA,              /* compressed pixels, inflated here */
  STAGE_CRC,                    /* of an IDAT (in_idat_run) or a passed chunk */
  STAGE_DONE,                   /* IEND passed on: the image is complete */
} Stage;

struct _GstPngIdatInflater
{
#ifdef HAVE_ISAL
  struct inflate_state zstream;
#endif
  Stage stage;
  guint left;                   /* bytes left in this stage */
  guint8 header[CHUNK_HEADER_BYTES];
  guint8 crc_bytes[CRC_BYTES];
  gboolean check_crc;           /* FALSE only for a chunk libpng refuses */
  gboolean is_iend;
  gsize ancillary_max;
  GByteArray *ancillary;        /* data and CRC of the ancillary chunk */
  guint32 crc;
  gboolean idat_started;
  gboolean in_idat_run;
  gboolean stream_ended;
  gboolean interrupted;         /* set from @forward: stop this feed */
  gsize consumed;
  /* the feed in progress: where its bytes, warnings and error go */
  GstPngIdatForward forward;
  GstPngIdatWarn warn;
  gpointer user_data;
  gchar *error;
  gsize error_size;

  /* restart markers: with a segment decoder, an image whose mARK is valid
   * has its IDATs (segments) inflated and unfiltered by workers, which
   * give back filter-None rows; a segment that breaks a promise of the
   * mARK, and all after it, are inflated here from where the last good one
   * ended (raw deflate primed with its history, Adler-32 kept here). */
  GstPngSegmentDecoder *segments;
  guint threads;                /* > 1: segments go to the workers */
  GstPngSegment *using;         /* being given to libpng */
  guint8 ihdr[13];
  gboolean have_ihdr;
  gboolean capture_ihdr;        /* the IHDR's data, passed on, goes to ihdr */
  gboolean marker_seen;
  gboolean have_marker;
  GstPngRestartMarker marker;
  gboolean segmented;           /* this image's IDATs go to the workers */
  guint32 next_segment;
  GstPngSegment *gathering;
  gsize gathered;
  gboolean resumed;             /* raw deflate from a segment on */
  guint32 adler;                /* of the original inflated bytes */
  /* the plain path: ISA-L checks the zlib header, then inflates raw
   * deflate; once the header is taken (0 left), the Adler-32 is summed
   * where the blocks are finished (see adler_on_finish()), on the thread
   * feeding libpng when the inflater runs on another */
  guint zheader_left;
  guint32 out_adler;            /* of what libpng was given */
  guint8 history[GST_PNG_SEGMENT_HISTORY];
  gsize history_len;
  guint8 trailer[4];
  guint trailer_fill;

  /* the IDAT being built: chunk header, stored-block header, inflated
   * bytes, room for the CRC (GST_PNG_IDAT_BLOCK_BYTES); a forward callback
   * may swap it for another */
  guint8 *block;
  guint block_fill;

  /* compressed bytes of plain IDATs not inflated yet (STAGED_MAX) */
  guint8 *staged;
  guint staged_len;

  /* rows unfiltered before libpng sees them (set_unfilter): on the thread
   * forwarding the blocks to libpng, this one's or (deferred) another's */
  gboolean unfilter_rows;
  gboolean unfilter_deferred;
  GstPngRowUnfilter unfilter;
  guint64 block_pos;            /* image data bytes in the blocks so far */
};

/* Built without ISA-L too, for the inflate thread; there is no inflater to
 * call them on then. */
gsize
gst_png_idat_inflater_consumed (GstPngIdatInflater * inflater)
{
  return inflater->consumed;
}

gboolean
gst_png_idat_inflater_is_segmented (GstPngIdatInflater * inflater)
{
  return inflater->segmented && !inflater->resumed;
}

gboolean
gst_png_idat_inflater_in_plain_idat (GstPngIdatInflater * inflater)
{
  return inflater->idat_started && !inflater->stream_ended
      && !inflater->interrupted
      && !gst_png_idat_inflater_is_segmented (inflater);
}

void
gst_png_idat_inflater_set_unfilter (GstPngIdatInflater * inflater,
    gboolean unfilter)
{
  inflater->unfilter_rows = unfilter;
}

void
gst_png_idat_inflater_defer_unfilter (GstPngIdatInflater * inflater,
    gboolean deferred)
{
  inflater->unfilter_deferred = deferred;
}

static const gchar *
isal_reason (int ret)
{
  switch (ret) {
    case ISAL_INVALID_BLOCK:
      return "invalid block type or lengths in the compressed data";
    case ISAL_INVALID_SYMBOL:
      return "invalid code in the compressed data";
    case ISAL_INVALID_LOOKBACK:
      return "invalid distance too far back in the compressed data";
    case ISAL_INVALID_WRAPPER:
      return "invalid zlib header";
    case ISAL_UNSUPPORTED_METHOD:
      return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM:
      return "incorrect Adler-32 check of the image data";
    case ISAL_NEED_DICT:
      return "a preset dictionary is not allowed";
    default:
      return "damaged compressed data";
  }
}

/* The plain path only takes the zlib header itself: a resumed stream, and
 * segments, have their Adler-32 summed by the inflater and the workers. */
static gboolean
adler_on_finish (GstPngIdatInflater * inflater)
{
  return inflater->zheader_left == 0;
}

/* Writes the chunk header and stored-block header of an IDAT holding one
 * stored block of @n bytes, then @trailing more (the Adler-32). */
static void
write_stored_header (guint8 * b, guint n, gboolean final, guint trailing)
{
  gst_png_write_be32 (b, STORED_HEADER_BYTES + n + trailing);
  memcpy (b + 4, "IDAT", 4);
  b[8] = final ? 1 : 0;         /* stored; padding to the byte */
  b[9] = n & 0xff;
  b[10] = n >> 8;
  b[11] = ~n & 0xff;
  b[12] = (~n >> 8) & 0xff;
}

gboolean
gst_png_idat_inflater_finish_block (GstPngIdatInflater * inflater,
    guint8 * block, gchar * error, gsize error_size)
{
  guint8 *data = block + CHUNK_HEADER_BYTES + STORED_HEADER_BYTES;
  guint n = block[CHUNK_HEADER_BYTES + 1] |
      (block[CHUNK_HEADER_BYTES + 2] << 8);
  gboolean final = block[CHUNK_HEADER_BYTES] & 1;

  if (adler_on_finish (inflater)) {
    inflater->adler = isal_adler32 (inflater->adler, data, n);
    /* the final, empty block carries the stream's own Adler-32 */
    if (final && gst_png_read_be32 (data) != inflater->adler) {
      g_snprintf (error, error_size, "IDAT: %s",
          isal_reason (ISAL_INCORRECT_CHECKSUM));
      return FALSE;
    }
  }
  gst_png_row_unfilter_feed (&inflater->unfilter, data, n);
  return TRUE;
}

guint8 *
gst_png_idat_inflater_take_block (GstPngIdatInflater * inflater,
    const guint8 * bytes, guint8 * fresh)
{
  guint8 *taken = inflater->block;

  if (bytes != taken)
    return NULL;
  inflater->block = fresh;
  return taken;
}

void
gst_png_idat_inflater_interrupt (GstPngIdatInflater * inflater)
{
  inflater->interrupted = TRUE;
}

#ifdef HAVE_ISAL

/* The wrapper libpng sees: a zlib header (32 KiB window, no dictionary),
 * then stored blocks. */
static const guint8 zlib_header_chunk[] = {
  0, 0, 0, 2, 'I', 'D', 'A', 'T', 0x78, 0x01, 0, 0, 0, 0
};

GstPngIdatInflater *
gst_png_idat_inflater_new (gsize ancillary_max)
{
  GstPngIdatInflater *inflater = g_new0 (GstPngIdatInflater, 1);

  inflater->ancillary_max = ancillary_max;
  inflater->ancillary = g_byte_array_new ();
  inflater->block = g_malloc (GST_PNG_IDAT_BLOCK_BYTES);
  inflater->staged = g_malloc (STAGED_MAX);
  gst_png_idat_inflater_reset (inflater);
  return inflater;
}

static void
drop_segments (GstPngIdatInflater * inflater)
{
  if (inflater->segments)
    gst_png_segment_decoder_discard (inflater->segments);
  g_clear_pointer (&inflater->gathering, gst_png_segment_free);
  /* left by a forward callback that did not return */
  g_clear_pointer (&inflater->using, gst_png_segment_free);
}

void
gst_png_idat_inflater_free (GstPngIdatInflater * inflater)
{
  if (!inflater)
    return;
  drop_segments (inflater);
  gst_png_segment_decoder_free (inflater->segments);
  g_byte_array_unref (inflater->ancillary);
  g_free (inflater->block);
  g_free (inflater->staged);
  gst_png_row_unfilter_clear (&inflater->unfilter);
  g_free (inflater);
}

void
gst_png_idat_inflater_reset (GstPngIdatInflater * inflater)
{
  isal_inflate_init (&inflater->zstream);
  inflater->zstream.crc_flag = ISAL_ZLIB;
  inflater->stage = STAGE_SIGNATURE;
  inflater->left = 8;
  inflater->idat_started = FALSE;
  inflater->in_idat_run = FALSE;
  inflater->stream_ended = FALSE;
  inflater->interrupted = FALSE;
  inflater->block_fill = 0;
  inflater->staged_len = 0;
  inflater->consumed = 0;
  gst_png_row_unfilter_stop (&inflater->unfilter);
  inflater->block_pos = 0;
  drop_segments (inflater);
  inflater->have_ihdr = FALSE;
  inflater->marker_seen = FALSE;
  inflater->have_marker = FALSE;
  inflater->segmented = FALSE;
  inflater->resumed = FALSE;
  inflater->next_segment = 0;
  inflater->adler = inflater->out_adler = 1;
  inflater->zheader_left = 2;
  inflater->history_len = 0;
  inflater->trailer_fill = 0;
  g_byte_array_set_size (inflater->ancillary, 0);
}

gsize
gst_png_idat_inflater_held_bytes (GstPngIdatInflater * inflater)
{
  return sizeof (GstPngIdatInflater) + GST_PNG_IDAT_BLOCK_BYTES + STAGED_MAX +
      gst_png_row_unfilter_held_bytes (&inflater->unfilter) +
      inflater->ancillary->len + (inflater->gathering ?
      inflater->gathering->compressed_len : 0) + (inflater->segments ?
      gst_png_segment_decoder_held_bytes (inflater->segments) : 0);
}

void
gst_png_idat_inflater_set_threads (GstPngIdatInflater * inflater,
    guint threads)
{
  inflater->threads = threads;
  /* workers are kept through images given one thread, for the next */
  if (threads <= 1 || (inflater->segments
          && gst_png_segment_decoder_n_workers (inflater->segments) ==
          threads))
    return;
  drop_segments (inflater);
  gst_png_segment_decoder_free (inflater->segments);
  inflater->segments = gst_png_segment_decoder_new (threads);
}

/* The chunk type for a message; damaged files may have any bytes there. */
static void
chunk_name (const guint8 * type, gchar name[5])
{
  guint i;

  for (i = 0; i < 4; i++)
    name[i] = g_ascii_isalpha (type[i]) ? type[i] : '?';
  name[4] = '\0';
}

/* Where the block being built is full: at most a stored block, ending
 * where a pixel ends while rows are unfiltered, so that each block is
 * unfiltered pixel by pixel. */
static guint
block_limit (GstPngIdatInflater * inflater)
{
  return gst_png_row_unfilter_piece_len (&inflater->unfilter,
      inflater->block_pos, STORED_MAX);
}

/* Bytes for libpng, to the feed's @forward. */
static void
pass_on (GstPngIdatInflater * inflater, const guint8 * bytes, gsize len)
{
  inflater->forward (inflater->user_data, (guint8 *) bytes, len);
}

/* Passes on the stored block built so far as one IDAT chunk. Its CRC is
 * left zero: libpng is told not to check critical CRCs, which are checked
 * here on the original chunks instead. */
static void
flush_block (GstPngIdatInflater * inflater)
{
  guint8 *b = inflater->block;
  guint n = inflater->block_fill;

  if (n == 0)
    return;
  write_stored_header (b, n, FALSE, 0);
  memset (b + CHUNK_HEADER_BYTES + STORED_HEADER_BYTES + n, 0, CRC_BYTES);
  inflater->block_fill = 0;
  inflater->block_pos += n;
  /* a block that is not the final one always checks out */
  if (!inflater->unfilter_deferred)
    gst_png_idat_inflater_finish_block (inflater, b, NULL, 0);
  pass_on (inflater, b,
      CHUNK_HEADER_BYTES + STORED_HEADER_BYTES + n + CRC_BYTES);
}

/* Ends libpng's stream: the last stored block, then, in a block of its
 * own, an empty final one and @adler (libpng ignores it). In the plain
 * path @adler is the stream's, checked when the block is finished. */
static gboolean
end_stream (GstPngIdatInflater * inflater, guint32 adler)
{
  const guint head = CHUNK_HEADER_BYTES + STORED_HEADER_BYTES;
  guint8 *b;

  flush_block (inflater);
  b = inflater->block;
  write_stored_header (b, 0, TRUE, 4);
  gst_png_write_be32 (b + head, adler);
  memset (b + head + 4, 0, CRC_BYTES);
  inflater->stream_ended = TRUE;
  if (!inflater->unfilter_deferred && !gst_png_idat_inflater_finish_block
      (inflater, b, inflater->error, inflater->error_size))
    return FALSE;
  pass_on (inflater, b, head + 4 + CRC_BYTES);
  return TRUE;
}

/* The zlib stream's end, where the inflater summed the Adler-32 itself
 * (a resumed stream, segments): @trailer is the stream's own. With
 * segments, libpng's stream differs from the original: its own Adler-32
 * is kept beside. */
static gboolean
end_checked_stream (GstPngIdatInflater * inflater, guint32 trailer)
{
  if (trailer != inflater->adler) {
    g_snprintf (inflater->error, inflater->error_size, "IDAT: %s",
        isal_reason (ISAL_INCORRECT_CHECKSUM));
    return FALSE;
  }
  return end_stream (inflater, inflater->out_adler);
}

/* The Adler-32 after the raw deflate stream's end, maybe split over
 * IDATs. */
static gboolean
take_trailer (GstPngIdatInflater * inflater)
{
  guint32 trailer;

  inflater->trailer_fill += gst_png_deflate_take_leftover (&inflater->zstream,
      inflater->trailer + inflater->trailer_fill, 4 - inflater->trailer_fill);
  if (inflater->trailer_fill < 4)
    return TRUE;
  trailer = gst_png_read_be32 (inflater->trailer);
  if (adler_on_finish (inflater))
    return end_stream (inflater, trailer);
  return end_checked_stream (inflater, trailer);
}

/* The plain path's zlib header, checked by ISA-L, which is then told that
 * raw deflate follows: summing the Adler-32 as it inflates would lengthen
 * the inflating thread, which is the decoder's slowest. Returns how many
 * of @size bytes it took, or -1 on an error. */
static gint
take_zlib_header (GstPngIdatInflater * inflater, const guint8 * data,
    guint size)
{
  struct inflate_state *z = &inflater->zstream;
  guint n = MIN (size, inflater->zheader_left);
  int ret;

  z->next_in = (guint8 *) data;
  z->avail_in = n;
  z->next_out = inflater->block + CHUNK_HEADER_BYTES + STORED_HEADER_BYTES;
  z->avail_out = 0;
  ret = isal_inflate (z);
  /* a header with a preset dictionary makes ISA-L wait for its id */
  if (ret == ISAL_DECOMP_OK && n == inflater->zheader_left
      && z->block_state == ISAL_ZLIB_DICT)
    ret = ISAL_NEED_DICT;
  if (ret < 0 || ret == ISAL_NEED_DICT) {
    /* ISA-L's code for the header's own check is the Adler-32's */
    g_snprintf (inflater->error, inflater->error_size, "IDAT: %s",
        ret == ISAL_INCORRECT_CHECKSUM ? "incorrect zlib header check" :
        isal_reason (ret));
    return -1;
  }
  inflater->zheader_left -= n;
  if (inflater->zheader_left == 0)
    z->crc_flag = ISAL_DEFLATE;
  return n;
}

/* Inflates compressed bytes of the IDAT run, passing on every full stored
 * block; the stream's end is passed on as soon as it is seen. Bytes after
 * it are ignored, as libpng ignores them. */
static gboolean
inflate_idat (GstPngIdatInflater * inflater, const guint8 * data, guint size)
{
  struct inflate_state *z = &inflater->zstream;

  if (inflater->stream_ended)
    return TRUE;
  if (inflater->zheader_left > 0 && !inflater->resumed) {
    gint n = take_zlib_header (inflater, data, size);

    if (n < 0)
      return FALSE;
    data += n;
    size -= n;
  }
  z->next_in = (guint8 *) data;
  z->avail_in = size;
  if ((inflater->resumed || adler_on_finish (inflater))
      && z->block_state == ISAL_BLOCK_FINISH)
    return take_trailer (inflater);
  for (;;) {
    /* looked up each time: a forward callback may have swapped the block */
    guint8 *out = inflater->block + CHUNK_HEADER_BYTES + STORED_HEADER_BYTES;
    guint before = inflater->block_fill;
    int ret;

    if (inflater->interrupted)
      return TRUE;
    guint limit = block_limit (inflater);

    z->next_out = out + inflater->block_fill;
    z->avail_out = limit - inflater->block_fill;
    ret = isal_inflate (z);
    inflater->block_fill = limit - z->avail_out;
    if (ret < 0 || ret == ISAL_NEED_DICT) {
      g_snprintf (inflater->error, inflater->error_size, "IDAT: %s",
          isal_reason (ret));
      return FALSE;
    }
    if (inflater->resumed) {
      guint n = inflater->block_fill - before;

      /* what libpng gets is the original from here on */
      inflater->adler = isal_adler32 (inflater->adler, out + before, n);
      inflater->out_adler = isal_adler32 (inflater->out_adler, out + before,
          n);
    }
    if (z->block_state == ISAL_BLOCK_FINISH)
      return take_trailer (inflater);
    if (inflater->block_fill == limit)
      flush_block (inflater);
    else if (z->avail_in == 0)
      return TRUE;
  }
}

/* Inflates what is staged; called wherever the bytes inflated so far must
 * have reached libpng: the run of IDATs or the feed is over, or an IDAT's
 * CRC is wrong (its data went to libpng before its CRC was checked). */
static gboolean
inflate_staged (GstPngIdatInflater * inflater)
{
  guint n = inflater->staged_len;

  inflater->staged_len = 0;
  return n == 0 || inflate_idat (inflater, inflater->staged, n);
}

/* Compressed bytes of a plain IDAT: inflated at once when they are a long
 * run already, staged otherwise. */
static gboolean
stage_idat (GstPngIdatInflater * inflater, const guint8 * data, guint size)
{
  while (size > 0) {
    guint n;

    if (inflater->staged_len == 0 && size >= STAGED_MAX)
      return inflate_idat (inflater, data, size);
    n = MIN (size, STAGED_MAX - inflater->staged_len);
    memcpy (inflater->staged + inflater->staged_len, data, n);
    inflater->staged_len += n;
    data += n;
    size -= n;
    if (inflater->staged_len == STAGED_MAX && !inflate_staged (inflater))
      return FALSE;
  }
  return TRUE;
}

/* --- restart-marker segments --- */

static void
keep_history (GstPngIdatInflater * inflater, const guint8 * bytes, gsize len)
{
  gsize keep = MIN (inflater->history_len, GST_PNG_SEGMENT_HISTORY -
      MIN (len, GST_PNG_SEGMENT_HISTORY));

  if (len > GST_PNG_SEGMENT_HISTORY) {
    bytes += len - GST_PNG_SEGMENT_HISTORY;
    len = GST_PNG_SEGMENT_HISTORY;
  }
  memmove (inflater->history, inflater->history + inflater->history_len -
      keep, keep);
  memcpy (inflater->history + keep, bytes, len);
  inflater->history_len = keep + len;
}

/* The first IDAT: its segments go to the workers if the mARK is valid for
 * this image and a segment's rows fit the stated bound. */
static void
start_segments (GstPngIdatInflater * inflater)
{
  gsize row_bytes = inflater->segments && inflater->threads > 1
      && inflater->have_marker ?
      gst_png_segment_decoder_set_header (inflater->segments,
      inflater->ihdr, !inflater->unfilter_rows) : 0;

  inflater->segmented = row_bytes > 0 && (guint64)
      gst_png_restart_marker_rows (&inflater->marker, 0) * row_bytes <=
      SEGMENT_DATA_MAX;
}

/* Segment @index broke a promise of the mARK: it and all after it are
 * inflated here, from where the last good segment ended. */
static void
go_sequential (GstPngIdatInflater * inflater, guint32 index)
{
  struct inflate_state *z = &inflater->zstream;

  if (index == 0) {
    /* nothing was given to libpng yet: the plain path */
    inflater->segmented = FALSE;
    return;
  }
  isal_inflate_init (z);
  z->crc_flag = ISAL_DEFLATE;
  isal_inflate_set_dict (z, inflater->history, inflater->history_len);
  inflater->resumed = TRUE;
}

/* Passes on a segment's rows (filtered None by the worker) where they
 * are, in stored blocks of their own, each with its chunk header and a
 * zero CRC (libpng is told not to check them): copied into the block
 * first, every row would cost the thread feeding libpng one more copy.
 * The unfilter takes them as they are (nothing to undo), so that a
 * sequential fallback after them finds the row above. */
static void
forward_rows (GstPngIdatInflater * inflater, guint8 * rows, gsize len)
{
  static const guint8 zero_crc[CRC_BYTES] = { 0 };
  guint8 head[CHUNK_HEADER_BYTES + STORED_HEADER_BYTES];

  flush_block (inflater);
  gst_png_row_unfilter_feed (&inflater->unfilter, rows, len);
  inflater->block_pos += len;
  while (len > 0 && !inflater->interrupted) {
    guint n = MIN (len, STORED_MAX);

    write_stored_header (head, n, FALSE, 0);
    pass_on (inflater, head, sizeof (head));
    pass_on (inflater, rows, n);
    pass_on (inflater, zero_crc, CRC_BYTES);
    rows += n;
    len -= n;
  }
}

static gboolean
use_segment (GstPngIdatInflater * inflater, GstPngSegment * segment)
{
  if (inflater->segmented && !inflater->resumed && !segment->valid)
    go_sequential (inflater, segment->index);
  if (!inflater->segmented || inflater->resumed)
    return inflate_idat (inflater, segment->compressed,
        segment->compressed_len);

  forward_rows (inflater, segment->out, segment->data_len);
  inflater->adler = adler32_combine (inflater->adler, segment->adler,
      segment->data_len);
  inflater->out_adler = adler32_combine (inflater->out_adler,
      segment->out_adler, segment->data_len);
  keep_history (inflater, segment->history, segment->history_len);
  if (!segment->last)
    return TRUE;
  return end_checked_stream (inflater, segment->trailer);
}

/* Takes the oldest segment in flight (waiting for its worker) to libpng. */
static gboolean
use_oldest_segment (GstPngIdatInflater * inflater)
{
  GstPngSegment *segment = gst_png_segment_decoder_wait (inflater->segments);
  gboolean ok;

  if (!segment)
    return TRUE;
  inflater->using = segment;
  ok = use_segment (inflater, segment);
  g_clear_pointer (&inflater->using, gst_png_segment_free);
  return ok;
}

static gboolean
use_all_segments (GstPngIdatInflater * inflater)
{
  if (!inflater->segments)
    return TRUE;
  while (gst_png_segment_decoder_in_flight (inflater->segments) > 0)
    if (!use_oldest_segment (inflater))
      return FALSE;
  return TRUE;
}

/* An IDAT header while the segments go to workers: gather it as the next
 * segment, or, if the mARK did not promise it, go on sequentially. */
static gboolean
begin_segment (GstPngIdatInflater * inflater, guint32 length)
{
  guint32 index = inflater->next_segment++;
  GstPngSegment *segment;

  if (index < inflater->marker.n_segments && length > 0
      && length <= SEGMENT_COMPRESSED_MAX) {
    segment = g_new0 (GstPngSegment, 1);
    segment->index = index;
    segment->last = index + 1 == inflater->marker.n_segments;
    segment->rows = gst_png_restart_marker_rows (&inflater->marker, index);
    segment->compressed = g_try_malloc (length);
    segment->compressed_len = length;
    if (segment->compressed) {
      inflater->gathering = segment;
      inflater->gathered = 0;
      return TRUE;
    }
    gst_png_segment_free (segment);
  }
  if (!use_all_segments (inflater))
    return FALSE;
  if (inflater->segmented && !inflater->resumed && !inflater->stream_ended)
    go_sequential (inflater, index);
  return TRUE;
}

/* A gathered segment whose CRC is right goes to a worker; if every worker
 * is busy, the oldest in flight then goes to libpng. */
static gboolean
submit_segment (GstPngIdatInflater * inflater)
{
  GstPngSegment *segment = inflater->gathering;
  GstPngSegmentDecoder *d = inflater->segments;
  gboolean ok;

  if (inflater->segmented && !inflater->resumed) {
    /* Queued before the oldest is forwarded, for the first worker to
     * finish, so that no worker idles while this thread forwards (threads
     * + 1 segments in flight). Should the oldest break the mARK's promise,
     * it and all in flight are inflated here, in order, before anything
     * after them. */
    inflater->gathering = NULL;
    gst_png_segment_decoder_submit (d, segment);
    if (gst_png_segment_decoder_in_flight (d) <=
        gst_png_segment_decoder_n_workers (d))
      return TRUE;
    ok = use_oldest_segment (inflater);
    if (ok && !gst_png_idat_inflater_is_segmented (inflater))
      ok = use_all_segments (inflater);
    return ok;
  }
  /* went sequential: what is still in flight comes first; the segment
   * stays in `gathering` (freed by a reset) while a forward callback may
   * not return */
  ok = use_all_segments (inflater);
  if (ok)
    ok = inflate_idat (inflater, segment->compressed, segment->compressed_len);
  g_clear_pointer (&inflater->gathering, gst_png_segment_free);
  return ok;
}

static void
note_marker (GstPngIdatInflater * inflater, const guint8 * data, gsize len)
{
  if (inflater->idat_started)
    return;
  /* a second mARK: the file is not what the specification says */
  inflater->have_marker = !inflater->marker_seen && inflater->have_ihdr &&
      gst_png_restart_marker_parse (&inflater->marker, data, len,
      gst_png_read_be32 (inflater->ihdr + 4), inflater->ihdr[12] != 0);
  inflater->marker_seen = TRUE;
}

/* A complete chunk header: decides whether the chunk is inflated here or
 * passed on. */
static gboolean
begin_chunk (GstPngIdatInflater * inflater)
{
  const guint8 *type = inflater->header + 4;
  guint32 length = gst_png_read_be32 (inflater->header);

  inflater->crc = crc32_gzip_refl (0, (guint8 *) type, 4);
  inflater->left = length;
  inflater->check_crc = TRUE;
  inflater->is_iend = memcmp (type, "IEND", 4) == 0;
  if (memcmp (type, "IDAT", 4) == 0) {
    if (length > GST_PNG_CHUNK_LENGTH_MAX) {
      g_snprintf (inflater->error, inflater->error_size,
          "IDAT: chunk length out of range");
      return FALSE;
    }
    if (!inflater->idat_started) {
      inflater->idat_started = TRUE;
      if (inflater->unfilter_rows && inflater->have_ihdr)
        gst_png_row_unfilter_start (&inflater->unfilter, inflater->ihdr);
      start_segments (inflater);
      pass_on (inflater, zlib_header_chunk, sizeof (zlib_header_chunk));
    }
    inflater->in_idat_run = TRUE;
    inflater->stage = STAGE_IDAT_DATA;
    if (gst_png_idat_inflater_is_segmented (inflater))
      return begin_segment (inflater, length);
    return TRUE;
  }

  /* the run of IDATs is over: what is inflated goes to libpng, which tells
   * a stream that did not end from here on */
  if (inflater->in_idat_run) {
    if (!inflate_staged (inflater) || !use_all_segments (inflater))
      return FALSE;
    flush_block (inflater);
    inflater->in_idat_run = FALSE;
  }
  inflater->capture_ihdr = memcmp (type, "IHDR", 4) == 0
      && length == sizeof (inflater->ihdr);
  inflater->have_ihdr |= inflater->capture_ihdr;
  inflater->stage = STAGE_PASS_DATA;
  if (type[0] & 0x20) {
    if (length <= inflater->ancillary_max) {
      inflater->stage = STAGE_ANCILLARY;
      inflater->left = length + CRC_BYTES;
      return TRUE;
    }
    /* libpng refuses it when it sees the length */
    inflater->check_crc = FALSE;
  }
  pass_on (inflater, inflater->header, CHUNK_HEADER_BYTES);
  return TRUE;
}

/* A whole ancillary chunk: libpng gets it if its CRC is right, and never
 * sees it otherwise, as libpng itself drops such chunks with a warning. */
static void
end_ancillary (GstPngIdatInflater * inflater)
{
  GByteArray *chunk = inflater->ancillary;
  gsize data_len = chunk->len - CRC_BYTES;
  gchar name[5], message[64];

  inflater->crc = crc32_gzip_refl (inflater->crc, chunk->data, data_len);
  if (gst_png_read_be32 (chunk->data + data_len) != inflater->crc) {
    chunk_name (inflater->header + 4, name);
    g_snprintf (message, sizeof (message), "%s: CRC error; chunk dropped",
        name);
    inflater->warn (inflater->user_data, message);
  } else {
    if (memcmp (inflater->header + 4, "mARK", 4) == 0)
      note_marker (inflater, chunk->data, data_len);
    pass_on (inflater, inflater->header, CHUNK_HEADER_BYTES);
    pass_on (inflater, chunk->data, chunk->len);
  }
  /* do not keep the memory of a large chunk (an ICC profile, XMP) */
  if (chunk->len > ANCILLARY_KEPT_BYTES) {
    g_byte_array_unref (chunk);
    inflater->ancillary = g_byte_array_new ();
  } else {
    g_byte_array_set_size (chunk, 0);
  }
}

/* Takes up to what is left of this stage from @size input bytes; returns
 * how many. */
static guint
take (GstPngIdatInflater * inflater, gsize size)
{
  guint n = MIN (inflater->left, size);

  inflater->left -= n;
  inflater->consumed += n;
  return n;
}

/* Takes bytes into @dst, which is @total long and complete when nothing is
 * left of this stage. */
static guint
gather (GstPngIdatInflater * inflater, guint8 * dst, guint total,
    const guint8 * data, gsize size)
{
  guint missing = inflater->left, n = take (inflater, size);

  memcpy (dst + total - missing, data, n);
  return n;
}

static gboolean
crc_matches (GstPngIdatInflater * inflater)
{
  gchar name[5];

  if (gst_png_read_be32 (inflater->crc_bytes) == inflater->crc)
    return TRUE;
  chunk_name (inflater->header + 4, name);
  g_snprintf (inflater->error, inflater->error_size, "%s: CRC error", name);
  return FALSE;
}

gboolean
gst_png_idat_inflater_feed (GstPngIdatInflater * inflater,
    const guint8 * data, gsize size, GstPngIdatForward forward,
    GstPngIdatWarn warn, gpointer user_data, gboolean * ended, gchar * error,
    gsize error_size)
{
  inflater->consumed = 0;
  inflater->forward = forward;
  inflater->warn = warn;
  inflater->user_data = user_data;
  inflater->error = error;
  inflater->error_size = error_size;
  *ended = FALSE;
  while (size > 0) {
    guint n = 0;

    if (inflater->interrupted) {
      g_snprintf (error, error_size, "decoding was interrupted");
      return FALSE;
    }

    switch (inflater->stage) {
      case STAGE_SIGNATURE:
        n = take (inflater, size);
        forward (user_data, (guint8 *) data, n);
        break;
      case STAGE_CHUNK_HEADER:
        n = gather (inflater, inflater->header, CHUNK_HEADER_BYTES, data,
            size);
        if (inflater->left == 0 && !begin_chunk (inflater))
          return FALSE;
        break;
      case STAGE_PASS_DATA:
        n = take (inflater, size);
        if (inflater->check_crc)
          inflater->crc = crc32_gzip_refl (inflater->crc, (guint8 *) data, n);
        if (inflater->capture_ihdr)
          memcpy (inflater->ihdr + sizeof (inflater->ihdr) - inflater->left -
              n, data, n);
        forward (user_data, (guint8 *) data, n);
        break;
      case STAGE_ANCILLARY:
        n = take (inflater, size);
        g_byte_array_append (inflater->ancillary, data, n);
        if (inflater->left == 0)
          end_ancillary (inflater);
        break;
      case STAGE_IDAT_DATA:
        n = take (inflater, size);
        inflater->crc = crc32_gzip_refl (inflater->crc, (guint8 *) data, n);
        if (inflater->gathering) {
          memcpy (inflater->gathering->compressed + inflater->gathered, data,
              n);
          inflater->gathered += n;
        } else if (!stage_idat (inflater, data, n))
          return FALSE;
        break;
      case STAGE_CRC:
        n = gather (inflater, inflater->crc_bytes, CRC_BYTES, data, size);
        if (inflater->left > 0)
          break;
        /* checked before libpng acts on the chunk, which got the data */
        if (inflater->check_crc && !crc_matches (inflater)) {
          /* an error inflating it comes first, as it would have */
          if (inflater->in_idat_run)
            inflate_staged (inflater);
          return FALSE;
        }
        if (inflater->gathering && !submit_segment (inflater))
          return FALSE;
        if (!inflater->in_idat_run)
          forward (user_data, inflater->crc_bytes, CRC_BYTES);
        if (inflater->is_iend) {
          inflater->stage = STAGE_DONE;
          *ended = TRUE;
          return TRUE;
        }
        break;
      case STAGE_DONE:
        *ended = TRUE;
        return TRUE;
    }
    data += n;
    size -= n;
    /* a stage is over: a chunk's data is followed by its CRC, anything
     * else by the next chunk's header (begin_chunk() has left the header
     * stage already) */
    if (inflater->left == 0 && (inflater->stage == STAGE_PASS_DATA
            || inflater->stage == STAGE_IDAT_DATA)) {
      inflater->stage = STAGE_CRC;
      inflater->left = CRC_BYTES;
    } else if (inflater->left == 0) {
      inflater->stage = STAGE_CHUNK_HEADER;
      inflater->left = CHUNK_HEADER_BYTES;
    }
  }
  return inflate_staged (inflater);
}

#else /* !HAVE_ISAL */

GstPngIdatInflater *
gst_png_idat_inflater_new (gsize ancillary_max)
{
  return NULL;
}

void
gst_png_idat_inflater_free (GstPngIdatInflater * inflater)
{
}

void
gst_png_idat_inflater_reset (GstPngIdatInflater * inflater)
{
}

gboolean
gst_png_idat_inflater_feed (GstPngIdatInflater * inflater,
    const guint8 * data, gsize size, GstPngIdatForward forward,
    GstPngIdatWarn warn, gpointer user_data, gboolean * ended, gchar * error,
    gsize error_size)
{
  g_return_val_if_reached (FALSE);
}

gsize
gst_png_idat_inflater_held_bytes (GstPngIdatInflater * inflater)
{
  return 0;
}

void
gst_png_idat_inflater_set_threads (GstPngIdatInflater * inflater,
    guint threads)
{
}

#endif /* HAVE_ISAL */
