/* gst-membound: deflate for PNG segments, through ISA-L or zlib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#include <isa-l/crc.h>
#endif

#include "gstpngdeflate.h"

static inline gboolean
use_isal (gint level)
{
#ifdef HAVE_ISAL
  return level >= 1 && level <= 3;
#else
  return FALSE;
#endif
}

const gchar *
gst_png_deflate_describe (gint level)
{
  static const gchar *const names[] = {
    "zlib level 0 (stored)", "zlib level 1", "zlib level 2", "zlib level 3",
    "zlib level 4", "zlib level 5", "zlib level 6", "zlib level 7",
    "zlib level 8", "zlib level 9"
  };
  static const gchar *const isal_names[] = {
    NULL, "ISA-L level 1", "ISA-L level 2", "ISA-L level 3"
  };

  level = CLAMP (level, 0, 9);
  return use_isal (level) ? isal_names[level] : names[level];
}

void
gst_png_deflate_stream_header (gint level, guint8 header[2])
{
  /* FLEVEL as zlib writes it; decoders ignore it */
  guint flevel = level <= 1 ? 0 : level <= 5 ? 1 : level == 6 ? 2 : 3;
  guint value = (0x78 << 8) | (flevel << 6);

  value += 31 - value % 31;
  header[0] = value >> 8;
  header[1] = value & 0xff;
}

typedef struct
{
  guint8 *data;
  gsize len;
} GstPngDeflateOutBlock;

/* A compressor is given at least this much room per call (ISA-L wants
 * some); a block with less left is closed and a new one begun. */
#define OUT_MIN_ROOM 1024

/* Room at the end of @out, at least @min bytes (at most a block); its size
 * in @room. */
static guint8 *
out_room (GstPngDeflateOut * out, gsize min, gsize * room)
{
  GstPngDeflateOutBlock *last = NULL, block;

  if (!out->blocks)
    out->blocks = g_array_new (FALSE, FALSE, sizeof (GstPngDeflateOutBlock));
  if (out->blocks->len > 0)
    last = &g_array_index (out->blocks, GstPngDeflateOutBlock,
        out->blocks->len - 1);
  if (!last || GST_PNG_DEFLATE_OUT_BLOCK - last->len < min) {
    block.data = g_malloc (GST_PNG_DEFLATE_OUT_BLOCK);
    block.len = 0;
    if (out->held_bytes)
      g_atomic_pointer_add (out->held_bytes, GST_PNG_DEFLATE_OUT_BLOCK);
    g_array_append_val (out->blocks, block);
    last = &g_array_index (out->blocks, GstPngDeflateOutBlock,
        out->blocks->len - 1);
  }
  *room = GST_PNG_DEFLATE_OUT_BLOCK - last->len;
  return last->data + last->len;
}

/* @n bytes were written at the room out_room() gave. */
static void
out_commit (GstPngDeflateOut * out, gsize n)
{
  g_array_index (out->blocks, GstPngDeflateOutBlock,
      out->blocks->len - 1).len += n;
  out->len += n;
}

void
gst_png_deflate_out_append (GstPngDeflateOut * out, const guint8 * data,
    gsize len)
{
  while (len > 0) {
    gsize room, n;
    guint8 *dst = out_room (out, 1, &room);

    n = MIN (room, len);
    memcpy (dst, data, n);
    out_commit (out, n);
    data += n;
    len -= n;
  }
}

void
gst_png_deflate_out_clear (GstPngDeflateOut * out)
{
  guint i;

  if (!out->blocks)
    return;
  for (i = 0; i < out->blocks->len; i++)
    g_free (g_array_index (out->blocks, GstPngDeflateOutBlock, i).data);
  if (out->held_bytes)
    g_atomic_pointer_add (out->held_bytes,
        -(gssize) (out->blocks->len * GST_PNG_DEFLATE_OUT_BLOCK));
  g_clear_pointer (&out->blocks, g_array_unref);
  out->len = 0;
}

gboolean
gst_png_deflate_out_foreach (const GstPngDeflateOut * out, gsize from,
    gsize len, gboolean (*func) (const guint8 * data, gsize len,
        gpointer user_data), gpointer user_data)
{
  guint i;

  for (i = 0; len > 0 && out->blocks && i < out->blocks->len; i++) {
    const GstPngDeflateOutBlock *b = &g_array_index (out->blocks,
        GstPngDeflateOutBlock, i);
    gsize n;

    if (from >= b->len) {
      from -= b->len;
      continue;
    }
    n = MIN (b->len - from, len);
    if (!func (b->data + from, n, user_data))
      return FALSE;
    from = 0;
    len -= n;
  }
  return TRUE;
}

struct _GstPngDeflateStream
{
  gboolean last;
  gsize *held_bytes;
  gboolean use_isal;
  z_stream zs;
#ifdef HAVE_ISAL
  struct isal_zstream *isal;
  gsize isal_bytes;
#endif
};

/* --- zlib --- */

static voidpf
zalloc_counted (voidpf opaque, uInt items, uInt size)
{
  GstPngDeflateStream *st = opaque;
  gsize bytes = (gsize) items * size;
  guint8 *block = g_try_malloc (bytes + 16);

  if (!block)
    return Z_NULL;
  *(gsize *) block = bytes;
  if (st->held_bytes)
    g_atomic_pointer_add (st->held_bytes, (gssize) bytes);
  return block + 16;
}

static void
zfree_counted (voidpf opaque, voidpf ptr)
{
  GstPngDeflateStream *st = opaque;
  guint8 *block = (guint8 *) ptr - 16;

  if (st->held_bytes)
    g_atomic_pointer_add (st->held_bytes, -(gssize) * (gsize *) block);
  g_free (block);
}

/* One piece through zlib: the flush after the segment's last piece. */
static gboolean
zlib_feed (GstPngDeflateStream * st, const guint8 * data, gsize len,
    gboolean end, GstPngDeflateOut * out)
{
  z_stream *zs = &st->zs;
  int flush = !end ? Z_NO_FLUSH : st->last ? Z_FINISH : Z_FULL_FLUSH;
  int ret;

  zs->next_in = (Bytef *) data;
  zs->avail_in = len;
  do {
    gsize room;

    zs->next_out = out_room (out, OUT_MIN_ROOM, &room);
    zs->avail_out = room;
    ret = deflate (zs, flush);
    out_commit (out, room - zs->avail_out);
    /* nothing left to do for this piece: zlib calls that no progress */
    if (ret == Z_BUF_ERROR && zs->avail_in == 0) {
      ret = Z_OK;
      break;
    }
  } while (ret == Z_OK && (zs->avail_in > 0 || zs->avail_out == 0));
  if (end)
    return ret == (st->last ? Z_STREAM_END : Z_OK);
  return ret == Z_OK;
}

static gboolean
zlib_begin (GstPngDeflateStream * st, gint level, gboolean filtered)
{
  st->zs.zalloc = zalloc_counted;
  st->zs.zfree = zfree_counted;
  st->zs.opaque = st;
  return deflateInit2 (&st->zs, level, Z_DEFLATED, -15, 8,
      filtered ? Z_FILTERED : Z_DEFAULT_STRATEGY) == Z_OK;
}

/* --- ISA-L --- */

#ifdef HAVE_ISAL
static gsize
isal_level_buf_size (gint level)
{
  return level == 1 ? ISAL_DEF_LVL1_DEFAULT : level == 2 ?
      ISAL_DEF_LVL2_DEFAULT : ISAL_DEF_LVL3_DEFAULT;
}

/* Runs the stream until its input is gone and, after a flush, all of it is
 * out (ISA-L: output space left over means everything was flushed). */
static gboolean
deflate_isal_run (struct isal_zstream *zs, GstPngDeflateOut * out,
    gboolean finishing)
{
  do {
    gsize room;

    zs->next_out = out_room (out, OUT_MIN_ROOM, &room);
    zs->avail_out = room;
    if (isal_deflate (zs) != COMP_OK)
      return FALSE;
    out_commit (out, room - zs->avail_out);
  } while (zs->avail_in > 0 || zs->avail_out == 0
      || (finishing && zs->internal_state.state != ZSTATE_END));
  return TRUE;
}

static gboolean
isal_begin (GstPngDeflateStream * st, gint level)
{
  struct isal_zstream *zs;

  st->isal_bytes = sizeof (struct isal_zstream) + isal_level_buf_size
      (level);
  zs = st->isal = g_try_malloc (st->isal_bytes);
  if (!zs)
    return FALSE;
  if (st->held_bytes)
    g_atomic_pointer_add (st->held_bytes, (gssize) st->isal_bytes);
  isal_deflate_init (zs);
  zs->level = level;
  zs->level_buf = (guint8 *) (zs + 1);
  zs->level_buf_size = isal_level_buf_size (level);
  zs->gzip_flag = IGZIP_DEFLATE;
  return TRUE;
}

static gboolean
isal_feed (GstPngDeflateStream * st, const guint8 * data, gsize len,
    gboolean end, GstPngDeflateOut * out)
{
  struct isal_zstream *zs = st->isal;

  zs->next_in = (guint8 *) data;
  zs->avail_in = len;
  zs->end_of_stream = st->last && end;
  zs->flush = !st->last && end ? FULL_FLUSH : NO_FLUSH;
  if (!deflate_isal_run (zs, out, zs->end_of_stream))
    return FALSE;
  /* a last segment of no bytes still needs its final block */
  if (end && st->last && zs->internal_state.state != ZSTATE_END) {
    zs->avail_in = 0;
    zs->end_of_stream = 1;
    return deflate_isal_run (zs, out, TRUE);
  }
  return TRUE;
}
#endif

GstPngDeflateStream *
gst_png_deflate_stream_new (gint level, gboolean filtered, gboolean last,
    gsize * held_bytes, const gchar ** error_text)
{
  GstPngDeflateStream *st = g_new0 (GstPngDeflateStream, 1);
  gboolean ok;

  st->last = last;
  st->held_bytes = held_bytes;
  st->use_isal = use_isal (level);
#ifdef HAVE_ISAL
  if (st->use_isal)
    ok = isal_begin (st, level);
  else
#endif
    ok = zlib_begin (st, level, filtered);
  if (!ok) {
    *error_text = st->use_isal ? "out of memory for the ISA-L compressor"
        : "out of memory for the zlib compressor";
    g_free (st);
    return NULL;
  }
  return st;
}

gboolean
gst_png_deflate_stream_feed (GstPngDeflateStream * stream,
    const guint8 * data, gsize len, gboolean end, GstPngDeflateOut * out,
    const gchar ** error_text)
{
  gboolean ok;

  g_return_val_if_fail (len <= GST_PNG_DEFLATE_PIECE, FALSE);
#ifdef HAVE_ISAL
  if (stream->use_isal)
    ok = isal_feed (stream, data, len, end, out);
  else
#endif
    ok = zlib_feed (stream, data, len, end, out);
  if (!ok)
    *error_text = stream->use_isal ? "ISA-L failed to compress"
        : "zlib failed to compress";
  return ok;
}

void
gst_png_deflate_stream_free (GstPngDeflateStream * stream)
{
  if (!stream)
    return;
#ifdef HAVE_ISAL
  if (stream->use_isal) {
    g_free (stream->isal);
    if (stream->held_bytes)
      g_atomic_pointer_add (stream->held_bytes, -(gssize) stream->isal_bytes);
  } else
#endif
    deflateEnd (&stream->zs);
  g_free (stream);
}

guint32
gst_png_deflate_adler32 (guint32 adler, const guint8 * data, gsize len)
{
#ifdef HAVE_ISAL
  return isal_adler32 (adler, data, len);
#else
  /* zlib answers 1 for no data at NULL, whatever @adler */
  return len > 0 ? adler32_z (adler, data, len) : adler;
#endif
}

guint32
gst_png_deflate_adler32_combine (guint32 first, guint32 second,
    guint64 second_len)
{
  return adler32_combine (first, second, (z_off_t) second_len);
}

guint32
gst_png_deflate_crc32 (guint32 crc, const guint8 * data, gsize len)
{
#ifdef HAVE_ISAL
  return crc32_gzip_refl (crc, data, len);
#else
  /* zlib answers 0 for no data at NULL, whatever @crc */
  return len > 0 ? crc32_z (crc, data, len) : crc;
#endif
}
