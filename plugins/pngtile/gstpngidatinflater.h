/* gst-membound: pngtiledec's inflate-ahead stage
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_IDAT_INFLATER_H__
#define __GST_PNG_IDAT_INFLATER_H__

#include <glib.h>

G_BEGIN_DECLS

/* Sits between the PNG bytes of one image and libpng's push reader. Every
 * chunk but IDAT goes through untouched; the IDAT run is inflated here with
 * ISA-L (more than twice as fast as zlib) and handed on as IDAT chunks of
 * zlib "stored" blocks, which libpng's inflate only copies. libpng still
 * parses every chunk and converts every row (and unfilters them, unless
 * set_unfilter() has them unfiltered here), so its output is
 * the same byte for byte.
 *
 * It checks what libpng is told to skip: the CRC of every chunk and the
 * zlib Adler-32 of the image data, both with SIMD code. An ancillary chunk
 * is gathered whole (libpng's push reader does the same) so that one with a
 * bad CRC can be dropped, as libpng drops it. */
typedef struct _GstPngIdatInflater GstPngIdatInflater;

/* Receives bytes for libpng (png_process_data); it may not return (a
 * png_error longjmps), which is why progress is kept in the inflater. */
typedef void (*GstPngIdatForward) (gpointer user_data, guint8 * bytes,
    gsize len);

/* Receives a warning about a chunk that was dropped. */
typedef void (*GstPngIdatWarn) (gpointer user_data, const gchar * message);

/* NULL when gst-membound was built without ISA-L: libpng inflates.
 * @ancillary_max: largest ancillary chunk gathered; larger ones are passed
 * on as they come (libpng refuses them). */
GstPngIdatInflater *gst_png_idat_inflater_new (gsize ancillary_max);
void gst_png_idat_inflater_free (GstPngIdatInflater * inflater);

/* Prepares for an image whose first byte (the signature) comes next. */
void gst_png_idat_inflater_reset (GstPngIdatInflater * inflater);

/* Feeds @size bytes of the image. Returns FALSE with a reason in @error
 * (chunk name first, as libpng words it) when a chunk or the zlib stream is
 * damaged. Stops right after IEND and sets @ended. */
gboolean gst_png_idat_inflater_feed (GstPngIdatInflater * inflater,
    const guint8 * data, gsize size, GstPngIdatForward forward,
    GstPngIdatWarn warn, gpointer user_data, gboolean * ended, gchar * error,
    gsize error_size);

/* Input bytes the last feed consumed, also when @forward did not return. */
gsize gst_png_idat_inflater_consumed (GstPngIdatInflater * inflater);

/* Bytes the inflater holds: the inflate state (with its 32 KiB window),
 * one stored block and the ancillary chunk being gathered. */
gsize gst_png_idat_inflater_held_bytes (GstPngIdatInflater * inflater);

/* @threads > 1: an image with a valid mARK chunk (restart markers) has its
 * segments inflated and unfiltered by that many workers, at most @threads
 * segments in flight (see gstpngsegmentdecoder.h); libpng is then given
 * filter-None rows. Other images, and what follows a segment that breaks
 * the mARK's promises, are inflated here as always. */
void gst_png_idat_inflater_set_threads (GstPngIdatInflater * inflater,
    guint threads);

/* TRUE while the current image's segments go to the workers: nothing is
 * then left to inflate ahead of libpng, and a thread running the inflater
 * would only add a hand-over per block. */
gboolean gst_png_idat_inflater_is_segmented (GstPngIdatInflater *
    inflater);

/* TRUE inside an image's IDAT run, its stream neither ended nor
 * interrupted, and not cut into segments for workers: the next input goes
 * on inflating this stream, here. */
gboolean gst_png_idat_inflater_in_plain_idat (GstPngIdatInflater *
    inflater);

/* @unfilter TRUE: the rows of a non-interlaced image are unfiltered here
 * (see gstpngunfilter.h) and libpng is given them filtered None, so it
 * only copies them; the stream libpng sees then has another Adler-32 than
 * the original's, so only for a libpng told to ignore it
 * (PNG_IGNORE_ADLER32). Applies from the next image. */
void gst_png_idat_inflater_set_unfilter (GstPngIdatInflater * inflater,
    gboolean unfilter);

/* With @deferred TRUE, the rewritten IDAT chunks are forwarded still
 * filtered and whoever forwards them to libpng passes each through
 * gst_png_idat_inflater_finish_block() first, in order: so a thread
 * running the inflater leaves the unfiltering and the Adler-32 to the
 * thread feeding libpng. */
void gst_png_idat_inflater_defer_unfilter (GstPngIdatInflater * inflater,
    gboolean deferred);
/* Adds a rewritten IDAT chunk's data to the image data's Adler-32 and
 * unfilters it in place (if the image's rows are unfiltered here). FALSE,
 * with the reason in @error, when the block ends the stream and the
 * stream's Adler-32 is not the data's. */
gboolean gst_png_idat_inflater_finish_block (GstPngIdatInflater * inflater,
    guint8 * block, gchar * error, gsize error_size);

/* Size of the block a rewritten IDAT is built in: chunk header, stored
 * block header, 65535 inflated bytes, CRC. */
#define GST_PNG_IDAT_BLOCK_BYTES (8 + 5 + 65535 + 4)

/* From inside @forward only: when @bytes is the inflater's block, i.e. a
 * rewritten IDAT, takes it without a copy, swapping in @fresh (of
 * GST_PNG_IDAT_BLOCK_BYTES); NULL, and @fresh not taken, otherwise. */
guint8 *gst_png_idat_inflater_take_block (GstPngIdatInflater * inflater,
    const guint8 * bytes, guint8 * fresh);

/* From inside @forward or @warn only: the current feed stops as soon as
 * the callback returns and reports "decoding was interrupted". The next
 * reset clears it. */
void gst_png_idat_inflater_interrupt (GstPngIdatInflater * inflater);

G_END_DECLS

#endif /* __GST_PNG_IDAT_INFLATER_H__ */
