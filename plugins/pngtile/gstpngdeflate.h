/* gst-membound: deflate for PNG segments, through ISA-L or zlib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_DEFLATE_H__
#define __GST_PNG_DEFLATE_H__

#include <glib.h>

G_BEGIN_DECLS

/* Which compressor serves a compression level (0-9): 0 stores, 1-3 are
 * ISA-L's levels 1-3 where the build has ISA-L (zlib's 1-3 otherwise), 4-9
 * are zlib's. */
const gchar *gst_png_deflate_describe (gint level);

/* The two bytes of the zlib stream header for @level. */
void gst_png_deflate_stream_header (gint level, guint8 header[2]);

/* Compressed data, in blocks of at most %GST_PNG_DEFLATE_OUT_BLOCK bytes
 * allocated as it grows: nothing is reallocated or copied, at most one
 * block is partly empty, and blocks of one size are reused by the
 * allocator from one segment to the next. @held_bytes (may be NULL)
 * follows the allocation atomically. */
#define GST_PNG_DEFLATE_OUT_BLOCK (64 * 1024)

typedef struct
{
  GArray *blocks;               /* of blocks (data, len), or NULL */
  gsize len;                    /* bytes in all blocks */
  gsize *held_bytes;
} GstPngDeflateOut;

void gst_png_deflate_out_append (GstPngDeflateOut * out, const guint8 * data,
    gsize len);
void gst_png_deflate_out_clear (GstPngDeflateOut * out);
/* Calls @func on @len bytes of @out from @from on, a block's piece at a
 * time, until it returns FALSE. */
gboolean gst_png_deflate_out_foreach (const GstPngDeflateOut * out,
    gsize from, gsize len, gboolean (*func) (const guint8 * data, gsize len,
        gpointer user_data), gpointer user_data);

/* Input goes to the compressor in pieces of this size, so that a cancel is
 * seen soon and no length overflows the 32-bit counters of zlib and ISA-L.
 * The pieces are part of the output's definition: how the input is cut
 * decides block boundaries (stored blocks at level 0, at least), so every
 * way of compressing a segment cuts it at the same offsets. */
#define GST_PNG_DEFLATE_PIECE (64 * 1024)

/* A stream that appends to @out the raw deflate data of one segment,
 * compressed with an empty history (so it decompresses without what came
 * before) and ending with a full flush, or, if @last, with the final
 * block. The data comes in pieces: each one of %GST_PNG_DEFLATE_PIECE bytes
 * but the last (@end), which is the segment's end and may be shorter.
 * @filtered picks zlib's strategy for filtered rows. @held_bytes (may be
 * NULL) is atomically increased by the compressor's state while it lives.
 * new() fails only for want of memory, feed() when the compressor does
 * (NULL or FALSE, with a reason in @error_text, static). */
typedef struct _GstPngDeflateStream GstPngDeflateStream;

GstPngDeflateStream *gst_png_deflate_stream_new (gint level,
    gboolean filtered, gboolean last, gsize * held_bytes,
    const gchar ** error_text);
gboolean gst_png_deflate_stream_feed (GstPngDeflateStream * stream,
    const guint8 * data, gsize len, gboolean end, GstPngDeflateOut * out,
    const gchar ** error_text);
void gst_png_deflate_stream_free (GstPngDeflateStream * stream);

/* Checksums, through ISA-L where the build has it. */
guint32 gst_png_deflate_adler32 (guint32 adler, const guint8 * data,
    gsize len);
guint32 gst_png_deflate_adler32_combine (guint32 first, guint32 second,
    guint64 second_len);
guint32 gst_png_deflate_crc32 (guint32 crc, const guint8 * data, gsize len);

G_END_DECLS

#endif /* __GST_PNG_DEFLATE_H__ */
