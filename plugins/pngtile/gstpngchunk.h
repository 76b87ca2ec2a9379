/* gst-membound: the PNG chunk layout the decoder, the inflater and the
 * encoder share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_CHUNK_H__
#define __GST_PNG_CHUNK_H__

#include <string.h>
#include <glib.h>

G_BEGIN_DECLS

#define GST_PNG_SIGNATURE_BYTES 8
/* length, type */
#define GST_PNG_CHUNK_HEADER_BYTES 8
#define GST_PNG_CHUNK_CRC_BYTES 4
/* PNG's limit on a chunk length (and on a dimension) */
#define GST_PNG_CHUNK_LENGTH_MAX 0x7fffffffu
/* "IDAT" as a big-endian number, as png_get_io_chunk_type() returns it */
#define GST_PNG_CHUNK_IDAT 0x49444154u

/* PNG numbers are big-endian and sit anywhere in a buffer: read them byte
 * by byte (through memcpy), never with an aligned load. GStreamer's
 * GST_READ_UINT32_BE loads a word where unaligned access is allowed, which
 * the undefined-behaviour sanitizer reports. */
static inline guint32
gst_png_read_be32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_BE (v);
}

static inline void
gst_png_write_be32 (guint8 * p, guint32 host)
{
  guint32 v = GUINT32_TO_BE (host);

  memcpy (p, &v, 4);
}

/* Bit 5 of a chunk type's first letter: lower case = ancillary. */
static inline gboolean
gst_png_chunk_is_ancillary (const guint8 * type)
{
  return (type[0] & 0x20) != 0;
}

G_END_DECLS

#endif /* __GST_PNG_CHUNK_H__ */
