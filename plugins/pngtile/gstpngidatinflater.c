/* gst-membound: pngtiledec's inflate-ahead stage
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpngidatinflater.h"

#ifdef HAVE_ISAL

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

/* Largest stored block deflate allows; one block per rewritten IDAT. */
#define STORED_MAX 65535
#define CHUNK_HEADER_BYTES 8
#define STORED_HEADER_BYTES 5
#define CRC_BYTES 4
#define PNG_CHUNK_LENGTH_MAX 0x7fffffffu
/* ancillary chunks up to this size keep their buffer for the next one */
#define ANCILLARY_KEPT_BYTES (64 * 1024)

/* Where the inflater is in the image's byte stream. */
typedef enum
{
  STAGE_SIGNATURE,              /* the signature, passed on */
  STAGE_CHUNK_HEADER,           /* gathering a chunk's length and type */
  STAGE_PASS_DATA,              /* a critical chunk libpng gets as it is */
  STAGE_PASS_CRC,
  STAGE_ANCILLARY,              /* an ancillary chunk, gathered whole */
  STAGE_IDAT_DATA,              /* compressed pixels, inflated here */
  STAGE_IDAT_CRC,
  STAGE_DONE,                   /* IEND passed on: the image is complete */
} Stage;

struct _GstPngIdatInflater
{
  struct inflate_state zstream;
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
  gsize consumed;

  /* the IDAT being built: chunk header, stored-block header, inflated
   * bytes, room for the CRC */
  guint8 block[CHUNK_HEADER_BYTES + STORED_HEADER_BYTES + STORED_MAX +
      CRC_BYTES];
  guint block_fill;
};

/* The wrapper libpng sees: a zlib header (32 KiB window, no dictionary),
 * then stored blocks. */
static const guint8 zlib_header_chunk[] = {
  0, 0, 0, 2, 'I', 'D', 'A', 'T', 0x78, 0x01, 0, 0, 0, 0
};

/* PNG numbers are big-endian and anywhere in a buffer: no aligned loads */
static guint32
read_be32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_BE (v);
}

static void
write_be32 (guint8 * p, guint32 host)
{
  guint32 v = GUINT32_TO_BE (host);

  memcpy (p, &v, 4);
}

GstPngIdatInflater *
gst_png_idat_inflater_new (gsize ancillary_max)
{
  GstPngIdatInflater *inflater = g_new0 (GstPngIdatInflater, 1);

  inflater->ancillary_max = ancillary_max;
  inflater->ancillary = g_byte_array_new ();
  gst_png_idat_inflater_reset (inflater);
  return inflater;
}

void
gst_png_idat_inflater_free (GstPngIdatInflater * inflater)
{
  if (!inflater)
    return;
  g_byte_array_unref (inflater->ancillary);
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
  inflater->block_fill = 0;
  inflater->consumed = 0;
  g_byte_array_set_size (inflater->ancillary, 0);
}

gsize
gst_png_idat_inflater_consumed (GstPngIdatInflater * inflater)
{
  return inflater->consumed;
}

gsize
gst_png_idat_inflater_held_bytes (GstPngIdatInflater * inflater)
{
  return sizeof (GstPngIdatInflater) + inflater->ancillary->len;
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

/* Passes on the stored block built so far as one IDAT chunk. Its CRC is
 * left zero: libpng is told not to check critical CRCs, which are checked
 * here on the original chunks instead. */
static void
flush_block (GstPngIdatInflater * inflater, GstPngIdatForward forward,
    gpointer user_data)
{
  guint8 *b = inflater->block;
  guint n = inflater->block_fill;

  if (n == 0)
    return;
  write_be32 (b, STORED_HEADER_BYTES + n);
  memcpy (b + 4, "IDAT", 4);
  b[8] = 0;                     /* not final, stored; padding to the byte */
  b[9] = n & 0xff;
  b[10] = n >> 8;
  b[11] = ~n & 0xff;
  b[12] = (~n >> 8) & 0xff;
  memset (b + CHUNK_HEADER_BYTES + STORED_HEADER_BYTES + n, 0, CRC_BYTES);
  inflater->block_fill = 0;
  forward (user_data, b,
      CHUNK_HEADER_BYTES + STORED_HEADER_BYTES + n + CRC_BYTES);
}

/* Ends libpng's stream: an empty final stored block and the Adler-32,
 * which ISA-L has verified against the original. */
static void
forward_stream_end (GstPngIdatInflater * inflater, GstPngIdatForward forward,
    gpointer user_data)
{
  guint8 end[] = { 0, 0, 0, 9, 'I', 'D', 'A', 'T', 1, 0, 0, 0xff, 0xff,
    0, 0, 0, 0, 0, 0, 0, 0
  };

  write_be32 (end + 13, inflater->zstream.crc);
  forward (user_data, end, sizeof (end));
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

/* Inflates compressed bytes of the IDAT run, passing on every full stored
 * block; the stream's end is passed on as soon as it is seen. Bytes after
 * it are ignored, as libpng ignores them. */
static gboolean
inflate_idat (GstPngIdatInflater * inflater, const guint8 * data, guint size,
    GstPngIdatForward forward, gpointer user_data, gchar * error,
    gsize error_size)
{
  struct inflate_state *z = &inflater->zstream;
  guint8 *out = inflater->block + CHUNK_HEADER_BYTES + STORED_HEADER_BYTES;

  if (inflater->stream_ended)
    return TRUE;
  z->next_in = (guint8 *) data;
  z->avail_in = size;
  for (;;) {
    int ret;

    z->next_out = out + inflater->block_fill;
    z->avail_out = STORED_MAX - inflater->block_fill;
    ret = isal_inflate (z);
    inflater->block_fill = STORED_MAX - z->avail_out;
    if (ret < 0 || ret == ISAL_NEED_DICT) {
      g_snprintf (error, error_size, "IDAT: %s", isal_reason (ret));
      return FALSE;
    }
    if (z->block_state == ISAL_BLOCK_FINISH) {
      flush_block (inflater, forward, user_data);
      forward_stream_end (inflater, forward, user_data);
      inflater->stream_ended = TRUE;
      return TRUE;
    }
    if (inflater->block_fill == STORED_MAX)
      flush_block (inflater, forward, user_data);
    else if (z->avail_in == 0)
      return TRUE;
  }
}

/* A complete chunk header: decides whether the chunk is inflated here or
 * passed on. */
static gboolean
begin_chunk (GstPngIdatInflater * inflater, GstPngIdatForward forward,
    gpointer user_data, gchar * error, gsize error_size)
{
  const guint8 *type = inflater->header + 4;
  guint32 length = read_be32 (inflater->header);

  inflater->crc = crc32_gzip_refl (0, (guint8 *) type, 4);
  inflater->left = length;
  inflater->check_crc = TRUE;
  if (memcmp (type, "IDAT", 4) == 0) {
    if (length > PNG_CHUNK_LENGTH_MAX) {
      g_snprintf (error, error_size, "IDAT: chunk length out of range");
      return FALSE;
    }
    if (!inflater->idat_started) {
      inflater->idat_started = TRUE;
      forward (user_data, (guint8 *) zlib_header_chunk,
          sizeof (zlib_header_chunk));
    }
    inflater->in_idat_run = TRUE;
    inflater->stage = STAGE_IDAT_DATA;
    return TRUE;
  }

  /* the run of IDATs is over: what is inflated goes to libpng, which tells
   * a stream that did not end from here on */
  if (inflater->in_idat_run) {
    flush_block (inflater, forward, user_data);
    inflater->in_idat_run = FALSE;
  }
  inflater->is_iend = memcmp (type, "IEND", 4) == 0;
  inflater->stage = STAGE_PASS_DATA;
  if (type[0] & 0x20) {
    if (length <= inflater->ancillary_max) {
      inflater->stage = STAGE_ANCILLARY;
      inflater->left = length + CRC_BYTES;
      g_byte_array_set_size (inflater->ancillary, 0);
      return TRUE;
    }
    /* libpng refuses it when it sees the length */
    inflater->check_crc = FALSE;
  }
  forward (user_data, inflater->header, CHUNK_HEADER_BYTES);
  return TRUE;
}

/* A whole ancillary chunk: libpng gets it if its CRC is right, and never
 * sees it otherwise, as libpng itself drops such chunks with a warning. */
static void
end_ancillary (GstPngIdatInflater * inflater, GstPngIdatForward forward,
    GstPngIdatWarn warn, gpointer user_data)
{
  GByteArray *chunk = inflater->ancillary;
  gsize data_len = chunk->len - CRC_BYTES;
  gchar name[5], message[64];

  inflater->crc = crc32_gzip_refl (inflater->crc, chunk->data, data_len);
  if (read_be32 (chunk->data + data_len) != inflater->crc) {
    chunk_name (inflater->header + 4, name);
    g_snprintf (message, sizeof (message), "%s: CRC error; chunk dropped",
        name);
    warn (user_data, message);
  } else {
    forward (user_data, inflater->header, CHUNK_HEADER_BYTES);
    forward (user_data, chunk->data, chunk->len);
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
crc_matches (GstPngIdatInflater * inflater, gchar * error, gsize error_size)
{
  gchar name[5];

  if (read_be32 (inflater->crc_bytes) == inflater->crc)
    return TRUE;
  chunk_name (inflater->header + 4, name);
  g_snprintf (error, error_size, "%s: CRC error", name);
  return FALSE;
}

gboolean
gst_png_idat_inflater_feed (GstPngIdatInflater * inflater,
    const guint8 * data, gsize size, GstPngIdatForward forward,
    GstPngIdatWarn warn, gpointer user_data, gboolean * ended, gchar * error,
    gsize error_size)
{
  inflater->consumed = 0;
  *ended = FALSE;
  while (size > 0) {
    guint n = 0;

    switch (inflater->stage) {
      case STAGE_SIGNATURE:
        n = take (inflater, size);
        forward (user_data, (guint8 *) data, n);
        if (inflater->left == 0) {
          inflater->stage = STAGE_CHUNK_HEADER;
          inflater->left = CHUNK_HEADER_BYTES;
        }
        break;
      case STAGE_CHUNK_HEADER:
        n = gather (inflater, inflater->header, CHUNK_HEADER_BYTES, data,
            size);
        if (inflater->left == 0
            && !begin_chunk (inflater, forward, user_data, error, error_size))
          return FALSE;
        break;
      case STAGE_PASS_DATA:
        n = take (inflater, size);
        if (inflater->check_crc)
          inflater->crc = crc32_gzip_refl (inflater->crc, (guint8 *) data, n);
        forward (user_data, (guint8 *) data, n);
        break;
      case STAGE_ANCILLARY:
        n = take (inflater, size);
        g_byte_array_append (inflater->ancillary, data, n);
        if (inflater->left == 0) {
          inflater->stage = STAGE_CHUNK_HEADER;
          inflater->left = CHUNK_HEADER_BYTES;
          end_ancillary (inflater, forward, warn, user_data);
        }
        break;
      case STAGE_IDAT_DATA:
        n = take (inflater, size);
        inflater->crc = crc32_gzip_refl (inflater->crc, (guint8 *) data, n);
        if (!inflate_idat (inflater, data, n, forward, user_data, error,
                error_size))
          return FALSE;
        break;
      case STAGE_PASS_CRC:
      case STAGE_IDAT_CRC:
        n = gather (inflater, inflater->crc_bytes, CRC_BYTES, data, size);
        if (inflater->left > 0)
          break;
        /* checked before libpng acts on the chunk */
        if (inflater->check_crc && !crc_matches (inflater, error, error_size))
          return FALSE;
        if (inflater->stage == STAGE_PASS_CRC)
          forward (user_data, inflater->crc_bytes, CRC_BYTES);
        if (inflater->stage == STAGE_PASS_CRC && inflater->is_iend) {
          inflater->stage = STAGE_DONE;
          *ended = TRUE;
          return TRUE;
        }
        inflater->stage = STAGE_CHUNK_HEADER;
        inflater->left = CHUNK_HEADER_BYTES;
        break;
      case STAGE_DONE:
        *ended = TRUE;
        return TRUE;
    }
    data += n;
    size -= n;
    if (inflater->left == 0 && (inflater->stage == STAGE_PASS_DATA
            || inflater->stage == STAGE_IDAT_DATA)) {
      inflater->stage = inflater->stage == STAGE_PASS_DATA ?
          STAGE_PASS_CRC : STAGE_IDAT_CRC;
      inflater->left = CRC_BYTES;
    }
  }
  return TRUE;
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
gst_png_idat_inflater_consumed (GstPngIdatInflater * inflater)
{
  return 0;
}

gsize
gst_png_idat_inflater_held_bytes (GstPngIdatInflater * inflater)
{
  return 0;
}

#endif /* HAVE_ISAL */
