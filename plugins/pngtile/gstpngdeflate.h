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

/* A growing output buffer; @held_bytes (may be NULL) follows its allocation
 * atomically. */
typedef struct
{
  guint8 *data;
  gsize len;
  gsize alloc;
  gsize *held_bytes;
} GstPngDeflateOut;

void gst_png_deflate_out_append (GstPngDeflateOut * out, const guint8 * data,
    gsize len);
/* Gives back the unused tail. */
void gst_png_deflate_out_trim (GstPngDeflateOut * out);
void gst_png_deflate_out_clear (GstPngDeflateOut * out);

/* Appends to @out the raw deflate data of @len bytes, compressed with an
 * empty history (so it decompresses without what came before) and ending
 * with a full flush, or, if @last, with the final block. @filtered picks
 * zlib's strategy for filtered rows. @cancel, read now and then, stops it
 * early (returns FALSE). @held_bytes (may be NULL) is atomically increased
 * by the compressor's state while it runs. FALSE on failure, with a reason
 * in @error_text (static). */
gboolean gst_png_deflate_segment (gint level, gboolean filtered,
    const guint8 * data, gsize len, gboolean last, GstPngDeflateOut * out,
    const gint * cancel, gsize * held_bytes, const gchar ** error_text);

/* Checksums, through ISA-L where the build has it. */
guint32 gst_png_deflate_adler32 (guint32 adler, const guint8 * data,
    gsize len);
guint32 gst_png_deflate_adler32_combine (guint32 first, guint32 second,
    guint64 second_len);
guint32 gst_png_deflate_crc32 (guint32 crc, const guint8 * data, gsize len);

G_END_DECLS

#endif /* __GST_PNG_DEFLATE_H__ */
