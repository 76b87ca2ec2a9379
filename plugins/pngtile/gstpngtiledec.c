/* gst-membound: pngtiledec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-pngtiledec
 * @title: pngtiledec
 *
 * Decodes a stream of PNG bytes into tiles, as the bytes arrive, without ever
 * holding a whole file or a whole decoded image (except for Adam7-interlaced
 * images, bounded by #GstPngTileDec:max-interlaced-bytes).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=huge.png ! pngtiledec ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpngtiledec.h"
#include "gstfilelocation.h"
#include "gstpngchunk.h"
#include "gstpngdeflate.h"

GST_DEBUG_CATEGORY_STATIC (gst_png_tile_dec_debug);
#define GST_CAT_DEFAULT gst_png_tile_dec_debug

#define DEFAULT_TILE_WIDTH 0
#define DEFAULT_TILE_HEIGHT 0
#define DEFAULT_MAX_PIXELS (G_GUINT64_CONSTANT (1) << 32)
#define DEFAULT_MAX_INTERLACED_BYTES (G_GUINT64_CONSTANT (256) << 20)
#define DEFAULT_ON_ERROR GST_PNG_TILE_DEC_ON_ERROR_FAIL
#define DEFAULT_PROGRESS_ROWS 1024
#define DEFAULT_FAST_INFLATE TRUE
#define DEFAULT_THREADS 0
#define THREADS_MAX 64
/* threads=0: smaller images are decoded on the streaming thread alone */
#define AUTO_THREADS_MIN_PIXELS (256 * 1024)

/* tile-height=0 aims at this many bytes per tile: large enough that the
 * per-buffer cost vanishes next to decoding, small enough that a row of
 * tiles of a 65536-wide RGBA image is still a few MiB. */
#define AUTO_TILE_BYTES (256 * 1024)

/* PNG's own limit on a dimension. */
#define PNG_DIMENSION_MAX GST_PNG_CHUNK_LENGTH_MAX
#define PNG_PIXELS_MAX ((guint64) PNG_DIMENSION_MAX * PNG_DIMENSION_MAX)

/* Ancillary chunks are kept by libpng until the image ends; these cap what
 * a hostile file can make it allocate (one chunk, number of chunks). */
#define CHUNK_MALLOC_MAX_MIB 8
#define CHUNK_MALLOC_MAX (CHUNK_MALLOC_MAX_MIB * 1024 * 1024)
#define CHUNK_CACHE_MAX 256

/* In pull mode (upstream is random-access, e.g. filesrc) the decoder reads
 * blocks this large itself: 256 times fewer reads and libpng calls than
 * filesrc's 4 KiB pushes, for one block of memory. Each block is one job
 * of the inflate thread, which idles from the end of a job until the next
 * block arrives: 1 MiB makes that 4 times rarer than 256 KiB did, for
 * 0.75 MiB more memory. */
#define PULL_BLOCK_BYTES (1024 * 1024)

static const guint8 png_signature[8] = { 137, 80, 78, 71, 13, 10, 26, 10 };

enum
{
  PROP_0,
  PROP_TILE_WIDTH,
  PROP_TILE_HEIGHT,
  PROP_MAX_PIXELS,
  PROP_MAX_INTERLACED_BYTES,
  PROP_ON_ERROR,
  PROP_PROGRESS_ROWS,
  PROP_FAST_INFLATE,
  PROP_THREADS,
  PROP_MESSAGE_INTERVAL,
  PROP_HELD_BYTES,
};

static const GstPngTileDecSettings default_settings = {
  .tile_width = DEFAULT_TILE_WIDTH,
  .tile_height = DEFAULT_TILE_HEIGHT,
  .max_pixels = DEFAULT_MAX_PIXELS,
  .max_interlaced_bytes = DEFAULT_MAX_INTERLACED_BYTES,
  .on_error = DEFAULT_ON_ERROR,
  .progress_rows = DEFAULT_PROGRESS_ROWS,
  .fast_inflate = DEFAULT_FAST_INFLATE,
  .threads = DEFAULT_THREADS,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("image/png"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE
        ("{ GRAY8, GRAY16_BE, RGB, RGBA, RGBA64_BE }")));

G_DEFINE_TYPE (GstPngTileDec, gst_png_tile_dec, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (pngtiledec, "pngtiledec", GST_RANK_NONE,
    GST_TYPE_PNG_TILE_DEC);

GType
gst_png_tile_dec_on_error_get_type (void)
{
  static const GEnumValue values[] = {
    {GST_PNG_TILE_DEC_ON_ERROR_FAIL, "Post an error and stop", "fail"},
    {GST_PNG_TILE_DEC_ON_ERROR_SKIP,
        "Post a warning, drop the rest of the image, go on with the next PNG",
        "skip"},
    {0, NULL, NULL}
  };
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstPngTileDecOnError", values));
  return type;
}

/* --- held-bytes bookkeeping --- */

static void
gst_png_tile_dec_set_held (GstPngTileDec * self, guint64 * counter,
    guint64 bytes)
{
  GST_OBJECT_LOCK (self);
  *counter = bytes;
  GST_OBJECT_UNLOCK (self);
}

/* The decoding state of the current image: what libpng and zlib allocated
 * (counted through libpng's allocator hooks, which call this with every
 * change) and the inflater. */
static void
gst_png_tile_dec_update_decoder_held (GstPngAllocCount * png_alloc)
{
  GstPngTileDec *self = png_alloc->owner;
  guint64 bytes = png_alloc->bytes;

  if (self->image.settings.fast_inflate && self->png)
    bytes += gst_png_idat_inflater_held_bytes (self->inflater) +
        gst_png_inflate_thread_held_bytes (self->inflate_thread);
  gst_png_tile_dec_set_held (self, &self->held_decoder_bytes, bytes);
}

/* --- tiles --- */

static void
gst_png_tile_dec_release_tiles (GstPngTileDec * self)
{
  guint c;

  if (!self->tiles_acquired)
    return;
  for (c = 0; c < self->grid.n_columns; c++) {
    GstPngTileDecTile *t = &self->tiles[c];

    if (t->buffer) {
      gst_video_frame_unmap (&t->frame);
      gst_tile_output_drop (self->output, t->buffer);
      t->buffer = NULL;
    }
  }
  self->tiles_acquired = FALSE;
}

/* Acquires one buffer per tile column from the output's pool. This is where
 * the decoder waits when downstream still holds the pool's tiles; a flush or
 * PAUSED->READY (gst_tile_output_set_flushing()) wakes it. */
static GstFlowReturn
gst_png_tile_dec_acquire_tiles (GstPngTileDec * self)
{
  guint c;

  self->tiles_acquired = TRUE;
  for (c = 0; c < self->grid.n_columns; c++) {
    GstPngTileDecTile *t = &self->tiles[c];
    GstFlowReturn ret;

    ret = gst_tile_output_acquire (self->output, &t->buffer);
    if (ret == GST_FLOW_OK && !gst_video_frame_map (&t->frame,
            &self->out_info, t->buffer,
            GST_MAP_WRITE | GST_VIDEO_FRAME_MAP_FLAG_NO_REF)) {
      gst_tile_output_drop (self->output, t->buffer);
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not map a tile buffer for writing"), (NULL));
      ret = GST_FLOW_ERROR;
    }
    if (ret != GST_FLOW_OK) {
      t->buffer = NULL;
      gst_png_tile_dec_release_tiles (self);
      return ret;
    }
    t->data = GST_VIDEO_FRAME_PLANE_DATA (&t->frame, 0);
    t->stride = GST_VIDEO_FRAME_PLANE_STRIDE (&t->frame, 0);
  }
  self->rows_in_tile = 0;
  return GST_FLOW_OK;
}

/* The one copy of the hot path: a decoded row into every tile of the row. */
static inline void
gst_png_tile_dec_copy_row (GstPngTileDec * self, const guint8 * row,
    guint row_in_tile)
{
  guint c;

  for (c = 0; c < self->grid.n_columns; c++) {
    GstPngTileDecTile *t = &self->tiles[c];
    guint8 *dst = t->data + row_in_tile * t->stride;

    memcpy (dst, row + t->src_offset, t->copy_bytes);
    if (t->stride > t->copy_bytes)
      memset (dst + t->copy_bytes, 0, t->stride - t->copy_bytes);
  }
}

/* Pads, labels and pushes the filled tile row. */
static GstFlowReturn
gst_png_tile_dec_push_tiles (GstPngTileDec * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint c, rows = self->rows_in_tile;

  for (c = 0; c < self->grid.n_columns; c++) {
    GstPngTileDecTile *t = &self->tiles[c];
    GstBuffer *buf = g_steal_pointer (&t->buffer);

    memset (t->data + rows * t->stride, 0,
        (self->grid.tile_height - rows) * t->stride);
    gst_video_frame_unmap (&t->frame);
    gst_tile_grid_add_meta (&self->grid, buf, self->image.index, c,
        self->tile_row);
    GST_BUFFER_PTS (buf) = self->image.pts;
    GST_BUFFER_DURATION (buf) = self->image.duration;
    GST_BUFFER_OFFSET (buf) = self->image.index;
    if (c != 0 || self->tile_row != 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (self->need_discont) {
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
      self->need_discont = FALSE;
    }
    if (ret == GST_FLOW_OK)
      ret = gst_tile_output_push (self->output, buf);
    else
      gst_tile_output_drop (self->output, buf);
  }
  self->tiles_acquired = FALSE;
  self->tile_row++;
  return ret;
}

/* --- progress --- */

/* Asked before the message is built: a stream of tiny images offers far more
 * messages than message-interval lets through. */
static void
gst_png_tile_dec_post_progress (GstPngTileDec * self)
{
  GstStructure *s;

  if (!gst_message_throttle_allow (self->progress_throttle))
    return;
  s = gst_structure_new ("pngtiledec-progress",
      "image-index", G_TYPE_UINT64, self->image.index,
      "rows-done", G_TYPE_UINT, self->image.rows_done,
      "rows-total", G_TYPE_UINT, self->image.height, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* --- image life cycle --- */

static void
gst_png_tile_dec_drop_image (GstPngTileDec * self)
{
  /* the inflate thread may be on a block announced ahead for this image:
   * it stops before the block or the inflater is used again */
  gst_png_inflate_thread_discard (self->inflate_thread);
  gst_png_tile_dec_release_tiles (self);
  /* sets both to NULL */
  png_destroy_read_struct (&self->png, &self->png_info, NULL);
  g_clear_pointer (&self->png_error, g_free);
  g_clear_pointer (&self->image.interlace_buffer, g_free);
  g_clear_pointer (&self->image.location, g_free);
  gst_png_tile_dec_set_held (self, &self->held_interlace_bytes, 0);
  gst_png_tile_dec_set_held (self, &self->held_decoder_bytes, 0);
}

/* Reports a bad image per on-error and drops it. Skipping, the stream goes
 * on in @next (IDLE when a new file begins with the next byte, RESYNC to
 * search for the next signature) and GST_FLOW_OK is returned; failing, the
 * state is FAILED and GST_FLOW_ERROR is returned. */
static GstFlowReturn
gst_png_tile_dec_image_failed (GstPngTileDec * self, GstPngTileDecState next,
    const gchar * reason)
{
  gchar *what = self->image.location ?
      g_strdup_printf ("image %" G_GUINT64_FORMAT " (%s)", self->image.index,
      self->image.location) :
      g_strdup_printf ("image %" G_GUINT64_FORMAT, self->image.index);
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->image.settings.on_error == GST_PNG_TILE_DEC_ON_ERROR_SKIP) {
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("Skipped PNG %s: %s", what, reason),
        ("on-error=skip: the rest of %s is dropped; decoding goes on with "
            "the next image", what));
    self->state = next;
    self->need_discont = TRUE;
  } else {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("Could not decode PNG %s: %s", what, reason),
        ("on-error=fail; set on-error=skip to drop bad images and go on "
            "with the next one"));
    ret = GST_FLOW_ERROR;
    self->state = GST_PNG_TILE_DEC_STATE_FAILED;
    self->failed_flow = ret;
  }
  g_free (what);
  gst_png_tile_dec_drop_image (self);
  return ret;
}

static void
gst_png_tile_dec_handle_eos (GstPngTileDec * self)
{
  if (self->state == GST_PNG_TILE_DEC_STATE_DECODING)
    gst_png_tile_dec_image_failed (self, GST_PNG_TILE_DEC_STATE_IDLE,
        "the stream ended before its IEND chunk (truncated file?)");
}

/* The image fails for @reason (taken): ours, or why libpng stopped. */
static GstFlowReturn
gst_png_tile_dec_refuse_image (GstPngTileDec * self, gchar * reason)
{
  GstFlowReturn ret = gst_png_tile_dec_image_failed (self,
      GST_PNG_TILE_DEC_STATE_RESYNC, reason);

  g_free (reason);
  return ret;
}

/* libpng calls these; a png_error() from a callback longjmps back to
 * gst_png_tile_dec_run_libpng(), so callbacks keep every resource in
 * `self` where the reset path finds it. */
static void
gst_png_tile_dec_png_error_fn (png_structp png, png_const_charp msg)
{
  GstPngTileDec *self = png_get_error_ptr (png);

  /* the first reason wins: our own (see refuse()) is already set when it
   * passes through here */
  if (!self->png_error) {
    /* libpng names the chunk in some messages twice ("IDAT: IDAT: ...") */
    if (strlen (msg) > 12 && msg[4] == ':' && strncmp (msg, msg + 6, 6) == 0)
      msg += 6;
    self->png_error = g_strdup (msg);
  }
  png_longjmp (png, 1);
}

/* Refuses the image for a reason of ours, from inside a libpng callback. */
static void G_GNUC_PRINTF (2, 3) G_GNUC_NORETURN
gst_png_tile_dec_refuse (GstPngTileDec * self, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_free (self->png_error);
  self->png_error = g_strdup_vprintf (format, args);
  va_end (args);
  png_error (self->png, self->png_error);
}

/* What libpng only warns about inside the image data (a zlib stream that is
 * damaged or does not end where the rows end, its check value wrong) means
 * the rows sent may be wrong, so the image fails. Which chunk libpng is in
 * is its state, not its wording; before the header callback (which sets
 * rowbytes) the warnings are about metadata, which libpng drops or ignores
 * as other decoders do. */
static void
gst_png_tile_dec_png_warning_fn (png_structp png, png_const_charp msg)
{
  GstPngTileDec *self = png_get_error_ptr (png);

  GST_DEBUG_OBJECT (self, "libpng warning on image %" G_GUINT64_FORMAT ": %s",
      self->image.index, msg);
  if (self->image.rowbytes > 0
      && png_get_io_chunk_type (png) == GST_PNG_CHUNK_IDAT)
    png_error (png, msg);
}

/* Stops libpng because of a flow return (flushing, not-negotiated, ...),
 * which is not the image's fault. */
static void
gst_png_tile_dec_abort (GstPngTileDec * self, GstFlowReturn ret)
{
  self->downstream_flow = ret;
  png_error (self->png, "stopped by downstream");
}

static GstVideoFormat
gst_png_tile_dec_format_of (guint channels, guint depth)
{
  /* by channels, then depth 8 or 16; the rest is 0, which is UNKNOWN */
  static const GstVideoFormat formats[5][2] = {
    [1] = {GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_GRAY16_BE},
    [3] = {GST_VIDEO_FORMAT_RGB},
    [4] = {GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_RGBA64_BE},
  };

  if (channels > 4 || (depth != 8 && depth != 16))
    return GST_VIDEO_FORMAT_UNKNOWN;
  return formats[channels][depth / 16];
}

/* The output layout every consumer relies on (see the doc page). */
static void
gst_png_tile_dec_set_transforms (png_structp png, png_infop info)
{
  int color_type = png_get_color_type (png, info);
  int depth = png_get_bit_depth (png, info);

  png_set_expand (png);
  if (png_get_valid (png, info, PNG_INFO_tRNS)
      || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    if (!(color_type & PNG_COLOR_MASK_COLOR))
      png_set_gray_to_rgb (png);
  } else if (color_type == PNG_COLOR_TYPE_RGB && depth == 16) {
    png_set_add_alpha (png, 0xffff, PNG_FILLER_AFTER);
  }
}

/* --- negotiation and the bounded pool --- */

/* Caps refused while flushing are offered again with the next image. */
static GstFlowReturn
gst_png_tile_dec_send_caps (GstPngTileDec * self, const GstVideoInfo * info)
{
  GstCaps *caps = gst_video_info_to_caps (info);
  GstFlowReturn ret = GST_FLOW_OK;

  GST_DEBUG_OBJECT (self, "tile caps %" GST_PTR_FORMAT, caps);
  self->out_info = *info;
  if (!gst_tile_output_set_caps (self->output, caps)) {
    gst_video_info_init (&self->out_info);
    if (!GST_PAD_IS_FLUSHING (self->srcpad)) {
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream does not accept %s tiles of %ux%u (image %"
              G_GUINT64_FORMAT ")", GST_VIDEO_INFO_NAME (info),
              self->grid.tile_width, self->grid.tile_height,
              self->image.index), ("caps: %" GST_PTR_FORMAT, caps));
      ret = GST_FLOW_NOT_NEGOTIATED;
    }
  }
  gst_caps_unref (caps);
  return ret;
}

/* Cuts the new image into a grid and makes sure downstream has caps and a
 * pool for it; caps are sent only when the tile size or format changes. */
static GstFlowReturn
gst_png_tile_dec_setup_output (GstPngTileDec * self, GstVideoFormat format)
{
  GstVideoInfo info;
  guint bpp, tile_w, tile_h, c;
  gboolean new_caps, reconfigure;
  GstFlowReturn ret = GST_FLOW_OK;

  gst_video_info_set_format (&info, format, 1, 1);
  bpp = GST_VIDEO_INFO_COMP_PSTRIDE (&info, 0);
  tile_w = self->image.settings.tile_width;
  if (tile_w == 0 || tile_w > self->image.width)
    tile_w = self->image.width;
  tile_h = self->image.settings.tile_height;
  if (tile_h == 0)
    tile_h = gst_tile_grid_rows_for_bytes ((guint64) tile_w * bpp,
        AUTO_TILE_BYTES, self->image.height);
  gst_tile_grid_init (&self->grid, self->image.width, self->image.height,
      tile_w, tile_h);
  /* where each tile's bytes are in a decoded row */
  g_free (self->tiles);
  self->tiles = g_new0 (GstPngTileDecTile, self->grid.n_columns);
  for (c = 0; c < self->grid.n_columns; c++) {
    guint x, w;

    gst_tile_grid_tile_rect (&self->grid, c, 0, &x, NULL, &w, NULL);
    self->tiles[c].src_offset = (gsize) x * bpp;
    self->tiles[c].copy_bytes = (gsize) w * bpp;
  }

  if (!gst_video_info_set_format (&info, format, self->grid.tile_width,
          self->grid.tile_height))
    gst_png_tile_dec_refuse (self, "a %ux%u tile is too large for a video "
        "frame; lower tile-width or tile-height", self->grid.tile_width,
        self->grid.tile_height);
  if (self->fps_n > 0) {
    GST_VIDEO_INFO_FPS_N (&info) = self->fps_n;
    GST_VIDEO_INFO_FPS_D (&info) = self->fps_d;
  }

  new_caps = !gst_tile_output_has_caps (self->output)
      || !gst_video_info_is_equal (&info, &self->out_info);
  if (new_caps) {
    ret = gst_png_tile_dec_send_caps (self, &info);
    if (ret != GST_FLOW_OK)
      return ret;
  }

  /* checked first: it clears the flag, which must not survive a
   * renegotiation made for another reason */
  reconfigure = gst_pad_check_reconfigure (self->srcpad);
  if (reconfigure || new_caps || !gst_tile_output_has_pool (self->output)
      || self->pool_columns != self->grid.n_columns) {
    GstCaps *caps = gst_video_info_to_caps (&info);

    /* one row of tiles being filled, one downstream may still hold */
    ret = gst_tile_output_negotiate_pool (self->output, caps,
        GST_VIDEO_INFO_SIZE (&info), 2 * self->grid.n_columns);
    gst_caps_unref (caps);
    if (ret != GST_FLOW_OK)
      return ret;
    self->pool_columns = self->grid.n_columns;
  }
  self->tile_row = 0;
  return GST_FLOW_OK;
}

/* --- libpng callbacks --- */

static void
gst_png_tile_dec_on_info (png_structp png, png_infop info)
{
  GstPngTileDec *self = png_get_progressive_ptr (png);
  GstPngTileDecImage *image = &self->image;
  gboolean interlaced =
      png_get_interlace_type (png, info) != PNG_INTERLACE_NONE;
  guint64 need, max = image->settings.max_interlaced_bytes;
  GstVideoFormat format;
  GstFlowReturn ret;

  image->width = png_get_image_width (png, info);
  image->height = png_get_image_height (png, info);
  gst_png_tile_dec_set_transforms (png, info);
  if (interlaced)
    png_set_interlace_handling (png);
  png_read_update_info (png, info);

  format = gst_png_tile_dec_format_of (png_get_channels (png, info),
      png_get_bit_depth (png, info));
  if (format == GST_VIDEO_FORMAT_UNKNOWN)
    gst_png_tile_dec_refuse (self, "unsupported output layout");
  image->rowbytes = png_get_rowbytes (png, info);
  need = (guint64) image->rowbytes * image->height;

  /* An interlaced image is decoded whole before its first tile: allowed up
   * to max-interlaced-bytes, and refused before the output is set up for
   * it. */
  if (interlaced && (max == 0 || need > max))
    gst_png_tile_dec_refuse (self, "it is Adam7-interlaced (%ux%u) and needs "
        "a %" G_GUINT64_FORMAT "-byte whole-image buffer, more than "
        "max-interlaced-bytes=%" G_GUINT64_FORMAT "; raise "
        "max-interlaced-bytes to decode it", image->width, image->height,
        need, max);
  ret = gst_png_tile_dec_setup_output (self, format);
  if (ret != GST_FLOW_OK)
    gst_png_tile_dec_abort (self, ret);
  if (interlaced) {
    /* zeroed pages are mapped lazily: nothing is touched before libpng
     * writes a row */
    image->interlace_buffer = g_try_malloc0 (need);
    if (!image->interlace_buffer)
      gst_png_tile_dec_refuse (self, "out of memory for its %"
          G_GUINT64_FORMAT "-byte interlace buffer; lower "
          "max-interlaced-bytes to refuse such images", need);
    gst_png_tile_dec_set_held (self, &self->held_interlace_bytes, need);
  }
}

/* The next decoded row of the image into the tile row, which is pushed
 * when full. */
static GstFlowReturn
gst_png_tile_dec_take_row (GstPngTileDec * self, const guint8 * row)
{
  GstPngTileDecImage *image = &self->image;
  guint every = image->settings.progress_rows;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->tiles_acquired)
    ret = gst_png_tile_dec_acquire_tiles (self);
  if (ret != GST_FLOW_OK)
    return ret;
  gst_png_tile_dec_copy_row (self, row, self->rows_in_tile);
  self->rows_in_tile++;
  image->rows_done++;
  if (every > 0 && image->rows_done < image->height
      && image->rows_done % every == 0)
    gst_png_tile_dec_post_progress (self);

  /* the last tile row waits for IEND, so that a damaged end of file never
   * completes an image */
  if (self->rows_in_tile == self->grid.tile_height
      && image->rows_done < image->height)
    ret = gst_png_tile_dec_push_tiles (self);
  return ret;
}

static void
gst_png_tile_dec_on_row (png_structp png, png_bytep new_row,
    png_uint_32 row_num, int pass)
{
  GstPngTileDec *self = png_get_progressive_ptr (png);
  GstFlowReturn ret;

  if (new_row == NULL || row_num >= self->image.height)
    return;
  if (self->image.interlace_buffer) {
    png_progressive_combine_row (png,
        self->image.interlace_buffer + (gsize) row_num * self->image.rowbytes, new_row);
    return;
  }
  ret = gst_png_tile_dec_take_row (self, new_row);
  if (ret != GST_FLOW_OK)
    gst_png_tile_dec_abort (self, ret);
}

static void
gst_png_tile_dec_on_end (png_structp png, png_infop info)
{
  GstPngTileDec *self = png_get_progressive_ptr (png);

  /* What follows IEND belongs to the next image: stop libpng here and keep
   * the count of bytes it did not look at. */
  self->image.ended = TRUE;
  self->image.end_remaining = png_process_data_pause (png, 0);
}

/* --- feeding bytes --- */

/* libpng's reader for one image, set up for the image's settings. */
static gboolean
gst_png_tile_dec_open_png (GstPngTileDec * self)
{
  self->png = png_create_read_struct_2 (PNG_LIBPNG_VER_STRING, self,
      gst_png_tile_dec_png_error_fn, gst_png_tile_dec_png_warning_fn,
      &self->png_alloc, gst_png_alloc_malloc, gst_png_alloc_free);
  self->png_info = self->png ? png_create_info_struct (self->png) : NULL;
  if (!self->png_info)
    return FALSE;
  png_set_progressive_read_fn (self->png, self, gst_png_tile_dec_on_info,
      gst_png_tile_dec_on_row, gst_png_tile_dec_on_end);
  /* our max-pixels is the limit, not libpng's default of 1000000 */
  png_set_user_limits (self->png, PNG_DIMENSION_MAX, PNG_DIMENSION_MAX);
  png_set_chunk_malloc_max (self->png, CHUNK_MALLOC_MAX);
  png_set_chunk_cache_max (self->png, CHUNK_CACHE_MAX);
  if (self->image.settings.fast_inflate) {
    /* the inflater checks these on the original chunks; libpng sees
     * rewritten IDATs */
    png_set_crc_action (self->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    gst_png_idat_inflater_reset (self->inflater);
#ifdef PNG_IGNORE_ADLER32
    /* the rewritten stream carries the original's Adler-32: an older
     * libpng just checks it again, and then must get the original rows;
     * this one gets them unfiltered (unfiltering is this thread's share
     * of the work while another inflates, and faster than libpng's) */
    png_set_option (self->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
    gst_png_idat_inflater_set_unfilter (self->inflater, TRUE);
#endif
    gst_png_idat_inflater_set_threads (self->inflater, self->image.threads);
  }
  return TRUE;
}

/* The one place where an image's state begins: everything not named here
 * starts at zero. */
static GstFlowReturn
gst_png_tile_dec_start_image (GstPngTileDec * self, GstBuffer * buf)
{
  GstPngTileDecSettings settings;
  GstClockTime pts = GST_CLOCK_TIME_NONE, dur = GST_CLOCK_TIME_NONE;
  guint64 index = self->next_index++;

  GST_OBJECT_LOCK (self);
  settings = self->settings;
  GST_OBJECT_UNLOCK (self);

  if (!self->buffer_pts_used) {
    pts = GST_BUFFER_PTS (buf);
    dur = GST_BUFFER_DURATION (buf);
    self->buffer_pts_used = TRUE;
  }
  if (self->fps_n > 0) {
    if (!GST_CLOCK_TIME_IS_VALID (pts))
      pts = gst_util_uint64_scale (index, self->fps_d * GST_SECOND,
          self->fps_n);
    if (!GST_CLOCK_TIME_IS_VALID (dur))
      dur = gst_util_uint64_scale (GST_SECOND, self->fps_d, self->fps_n);
  }

  gst_png_tile_dec_drop_image (self);
  self->image = (GstPngTileDecImage) {
    .settings = settings,
    .index = index,
    .location = g_strdup (self->location),
    .pts = pts,
    .duration = dur,
    .walk = {.skip = GST_PNG_SIGNATURE_BYTES},
    /* threads=0 decides at the header */
    .threads = MAX (settings.threads, 1),
  };
  self->downstream_flow = GST_FLOW_OK;

  if (!gst_png_tile_dec_open_png (self)) {
    gst_png_tile_dec_drop_image (self);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not create a libpng decoder (out of memory?)"), (NULL));
    return GST_FLOW_ERROR;
  }
  self->state = GST_PNG_TILE_DEC_STATE_DECODING;
  gst_png_tile_dec_update_decoder_held (&self->png_alloc);
  return GST_FLOW_OK;
}

/* Reads width and height from the IHDR before libpng sees them, so that a
 * bomb is refused before any row buffer exists, and the image's threads
 * can be chosen. Malformed headers are left for libpng to name. Returns
 * why the image is refused, or NULL. */
static gchar *
gst_png_tile_dec_check_header (GstPngTileDec * self)
{
  GstPngTileDecImage *image = &self->image;
  const guint8 *h = image->head;
  guint64 max = image->settings.max_pixels, pixels;
  guint32 w, ht;

  if (memcmp (h, png_signature, 8) != 0 || memcmp (h + 12, "IHDR", 4) != 0)
    return NULL;
  w = gst_png_read_be32 (h + 16);
  ht = gst_png_read_be32 (h + 20);
  pixels = (guint64) w * ht;
  /* threads=0 gives an image one thread per core once its header shows it
   * is large enough to pay for handing its data to other threads: a run of
   * thumbnails would otherwise cost a hand-over (two thread wake-ups) per
   * image, and take longer than on the streaming thread alone. Until then,
   * and for smaller images, the streaming thread decodes alone. */
  if (image->settings.threads == 0) {
    image->threads = pixels >= AUTO_THREADS_MIN_PIXELS ?
        MAX (g_get_num_processors (), 1) : 1;
    if (image->settings.fast_inflate)
      gst_png_idat_inflater_set_threads (self->inflater, image->threads);
  }
  if (max == 0 || pixels <= max)
    return NULL;
  return g_strdup_printf ("its header claims %ux%u = %" G_GUINT64_FORMAT
      " pixels, more than max-pixels=%" G_GUINT64_FORMAT "; raise max-pixels "
      "(0 = no limit) to decode it", w, ht, pixels, max);
}

/* Walks the chunk headers in @size bytes of the image. Returns how many of
 * them may go to libpng: all, or up to the end of the header of a chunk
 * that is refused (then *reason says why). libpng's push reader keeps a
 * whole chunk before it looks at it, and only warns about an oversized
 * one; IDAT is streamed and left alone. */
static gsize
gst_png_tile_dec_walk_chunks (GstPngTileDec * self, const guint8 * data,
    gsize size, gchar ** reason)
{
  GstPngTileDecChunkWalk *walk = &self->image.walk;
  gsize i = 0;

  while (i < size && !walk->at_iend) {
    gsize n;
    guint32 length;

    if (walk->skip > 0) {
      n = MIN (walk->skip, size - i);
      walk->skip -= n;
      i += n;
      continue;
    }
    n = MIN (GST_PNG_CHUNK_HEADER_BYTES - walk->header_len, size - i);
    memcpy (walk->header + walk->header_len, data + i, n);
    walk->header_len += n;
    i += n;
    if (walk->header_len < GST_PNG_CHUNK_HEADER_BYTES)
      break;
    walk->header_len = 0;
    length = gst_png_read_be32 (walk->header);
    walk->at_iend = memcmp (walk->header + 4, "IEND", 4) == 0;
    if (memcmp (walk->header + 4, "IDAT", 4) != 0
        && length > CHUNK_MALLOC_MAX) {
      *reason = g_strdup_printf ("its %.4s chunk is larger than the "
          G_STRINGIFY (CHUNK_MALLOC_MAX_MIB) " MiB allowed for metadata",
          (const gchar *) walk->header + 4);
      return i;
    }
    walk->skip = (guint64) length + GST_PNG_CHUNK_CRC_BYTES;
  }
  return size;
}

static void
gst_png_tile_dec_forward_to_libpng (gpointer user_data, guint8 * bytes,
    gsize len)
{
  GstPngTileDec *self = user_data;

  png_process_data (self->png, self->png_info, bytes, len);
}

/* A dropped ancillary chunk, as libpng drops one: worth a debug line. Not
 * passed to libpng's warning handler, which judges libpng's own state. */
static void
gst_png_tile_dec_inflater_warning (gpointer user_data, const gchar * message)
{
  GstPngTileDec *self = user_data;

  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT ": %s",
      self->image.index, message);
}

/* Runs libpng on @size bytes, through the inflater with fast-inflate;
 * returns how many it consumed. */
static gsize
gst_png_tile_dec_run_libpng (GstPngTileDec * self, guint8 * data, gsize size,
    gboolean * failed)
{
  gchar inflate_error[128];
  /* set before the setjmp, never changed after it; restart-marker
   * segments are inflated by workers, fed to libpng from here */
  const gboolean pipelined = self->image.threads > 1 &&
      !(self->image.settings.fast_inflate &&
      gst_png_idat_inflater_is_segmented (self->inflater));

  *failed = FALSE;
  if (setjmp (png_jmpbuf (self->png))) {
    gsize left = png_process_data_pause (self->png, 0);

    *failed = TRUE;
    if (self->image.settings.fast_inflate && pipelined)
      return MIN (gst_png_inflate_thread_consumed (self->inflate_thread),
          size);
    if (self->image.settings.fast_inflate)
      return MIN (gst_png_idat_inflater_consumed (self->inflater), size);
    return size - MIN (left, size);
  }
  if (self->image.settings.fast_inflate) {
    gboolean ended, ok;

    if (pipelined)
      ok = gst_png_inflate_thread_feed (self->inflate_thread, data, size,
          gst_png_tile_dec_forward_to_libpng,
          gst_png_tile_dec_inflater_warning, self, &ended, inflate_error,
          sizeof (inflate_error));
    else
      ok = gst_png_idat_inflater_feed (self->inflater, data, size,
          gst_png_tile_dec_forward_to_libpng,
          gst_png_tile_dec_inflater_warning, self, &ended, inflate_error,
          sizeof (inflate_error));
    if (!ok)
      png_error (self->png, inflate_error);
    /* the inflater stops at IEND whatever libpng made of it: never leave
     * the caller with bytes nobody will take */
    if (ended && !self->image.ended)
      png_error (self->png, "IEND: libpng did not end the image there");
    /* an ancillary chunk may have been gathered */
    gst_png_tile_dec_update_decoder_held (&self->png_alloc);
    return pipelined ?
        gst_png_inflate_thread_consumed (self->inflate_thread) :
        gst_png_idat_inflater_consumed (self->inflater);
  }
  png_process_data (self->png, self->png_info, data, size);
  if (self->image.ended)
    return size - MIN (self->image.end_remaining, size);
  return size;
}

/* IEND seen: send what is left of the image. */
static GstFlowReturn
gst_png_tile_dec_finish_image (GstPngTileDec * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint y;

  /* an interlaced image's rows go to the tiles now it is whole */
  for (y = 0; self->image.interlace_buffer && y < self->image.height
      && ret == GST_FLOW_OK; y++)
    ret = gst_png_tile_dec_take_row (self,
        self->image.interlace_buffer + (gsize) y * self->image.rowbytes);
  if (ret != GST_FLOW_OK)
    return ret;
  if (self->image.rows_done < self->image.height || !self->tiles_acquired)
    return gst_png_tile_dec_refuse_image (self, g_strdup_printf ("its image "
            "data ended after %u of %u rows", self->image.rows_done,
            self->image.height));
  ret = gst_png_tile_dec_push_tiles (self);
  if (ret != GST_FLOW_OK)
    return ret;
  if (self->image.settings.progress_rows > 0)
    gst_png_tile_dec_post_progress (self);
  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT " done: %ux%u",
      self->image.index, self->image.width, self->image.height);
  gst_png_tile_dec_drop_image (self);
  self->state = GST_PNG_TILE_DEC_STATE_IDLE;
  return GST_FLOW_OK;
}

/* Feeds bytes of the current image; sets *used to what it consumed. */
static GstFlowReturn
gst_png_tile_dec_decode (GstPngTileDec * self, const guint8 * data,
    gsize size, gsize * used)
{
  GstPngTileDecImage *image = &self->image;
  gsize chunk = size, done;
  gchar *refused = NULL;
  gboolean failed;

  if (image->head_len < GST_PNG_TILE_DEC_HEAD_BYTES) {
    chunk = MIN (GST_PNG_TILE_DEC_HEAD_BYTES - image->head_len, size);
    memcpy (image->head + image->head_len, data, chunk);
    image->head_len += chunk;
    if (image->head_len == GST_PNG_TILE_DEC_HEAD_BYTES)
      refused = gst_png_tile_dec_check_header (self);
    if (refused) {
      *used = chunk;
      return gst_png_tile_dec_refuse_image (self, refused);
    }
  }
  chunk = gst_png_tile_dec_walk_chunks (self, data, chunk, &refused);

  done = gst_png_tile_dec_run_libpng (self, (guint8 *) data, chunk, &failed);
  /* always move forward, or a failure at an image's first byte would find
   * the same signature again */
  if (done == 0 && image->bytes == 0)
    done = 1;
  image->bytes += done;
  *used = done;
  if (failed) {
    g_free (refused);
    /* not the image's fault: process() drops it */
    if (self->downstream_flow != GST_FLOW_OK)
      return self->downstream_flow;
    /* the reason libpng stopped for */
    refused = g_steal_pointer (&self->png_error);
    return gst_png_tile_dec_refuse_image (self, refused ? refused :
        g_strdup ("libpng stopped without a reason"));
  }
  if (refused)
    return gst_png_tile_dec_refuse_image (self, refused);
  if (image->ended)
    return gst_png_tile_dec_finish_image (self);
  return GST_FLOW_OK;
}

/* Scans for a PNG signature, also across buffer boundaries (the match so
 * far is kept in sig_matched). Returns the bytes consumed, up to and
 * including a complete signature. */
static gsize
gst_png_tile_dec_scan_signature (GstPngTileDec * self, const guint8 * data,
    gsize size, gboolean * found)
{
  gsize i = 0;

  *found = FALSE;
  while (i < size) {
    if (self->sig_matched == 0) {
      const guint8 *p = memchr (data + i, png_signature[0], size - i);

      if (!p)
        return size;
      i = p - data;
    }
    /* 0x89 occurs only first in the signature, so a mismatch restarts the
     * match at this byte */
    if (data[i] == png_signature[self->sig_matched]) {
      i++;
      if (++self->sig_matched == sizeof (png_signature)) {
        self->sig_matched = 0;
        *found = TRUE;
        return i;
      }
    } else {
      self->sig_matched = 0;
    }
  }
  return size;
}

static GstFlowReturn
gst_png_tile_dec_feed (GstPngTileDec * self, GstBuffer * buf,
    const guint8 * data, gsize size)
{
  GstFlowReturn ret = GST_FLOW_OK;

  while (size > 0 && ret == GST_FLOW_OK) {
    gsize used = 0;
    gboolean found;

    switch (self->state) {
      case GST_PNG_TILE_DEC_STATE_IDLE:
        ret = gst_png_tile_dec_start_image (self, buf);
        break;
      case GST_PNG_TILE_DEC_STATE_DECODING:
        ret = gst_png_tile_dec_decode (self, data, size, &used);
        break;
      case GST_PNG_TILE_DEC_STATE_RESYNC:
        used = gst_png_tile_dec_scan_signature (self, data, size, &found);
        if (found) {
          gsize sig_used;

          ret = gst_png_tile_dec_start_image (self, buf);
          if (ret == GST_FLOW_OK)
            ret = gst_png_tile_dec_decode (self, png_signature,
                sizeof (png_signature), &sig_used);
        }
        break;
      case GST_PNG_TILE_DEC_STATE_FAILED:
        return self->failed_flow;
    }
    data += used;
    size -= used;
  }
  return ret;
}

/* Where does a new file begin? A buffer without DELTA_UNIT does, when
 * upstream marks the other buffers of a file (seqfilesrc with several
 * blocks per file) or announced a file with a GST_TAG_LOCATION tag just
 * before (seqfilesrc, every file). A signature at the start of a buffer also
 * ends a resync. Plain byte sources (filesrc) never mark buffers, and a
 * signature at the start of one of their blocks is not trusted as a
 * boundary in the middle of an image. */
static GstFlowReturn
gst_png_tile_dec_check_unit_start (GstPngTileDec * self, GstBuffer * buf,
    const guint8 * data, gsize size)
{
  gboolean signature, new_file;
  GstFlowReturn ret = GST_FLOW_OK;

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    self->upstream_marks_delta = TRUE;
    self->location_announced = FALSE;
    return GST_FLOW_OK;
  }
  new_file = self->upstream_marks_delta || self->location_announced
      || size == 0;
  self->location_announced = FALSE;
  signature = size >= 8 && memcmp (data, png_signature, 8) == 0;

  if (self->state == GST_PNG_TILE_DEC_STATE_RESYNC && (signature || new_file)) {
    self->state = GST_PNG_TILE_DEC_STATE_IDLE;
    self->sig_matched = 0;
  } else if (self->state == GST_PNG_TILE_DEC_STATE_DECODING && new_file) {
    ret = gst_png_tile_dec_image_failed (self, GST_PNG_TILE_DEC_STATE_IDLE,
        "the file ended before its IEND chunk (truncated?)");
  }
  if (ret != GST_FLOW_OK || size > 0)
    return ret;
  /* An empty file arrives as an empty buffer; it is an image slot that
   * holds no image, and is reported like a bad image. */
  ret = gst_png_tile_dec_start_image (self, buf);
  if (ret == GST_FLOW_OK)
    ret = gst_png_tile_dec_image_failed (self, GST_PNG_TILE_DEC_STATE_IDLE,
        "the file is empty");
  return ret;
}

/* One input buffer, whichever way it came (chain or pull loop). */
static GstFlowReturn
gst_png_tile_dec_process (GstPngTileDec * self, GstBuffer * buf)
{
  GstMapInfo map;
  GstFlowReturn ret;

  if (self->state == GST_PNG_TILE_DEC_STATE_FAILED)
    return self->failed_flow;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not read an input buffer"), (NULL));
    return GST_FLOW_ERROR;
  }

  self->buffer_pts_used = FALSE;
  ret = gst_png_tile_dec_check_unit_start (self, buf, map.data, map.size);
  if (ret == GST_FLOW_OK)
    ret = gst_png_tile_dec_feed (self, buf, map.data, map.size);
  gst_buffer_unmap (buf, &map);

  /* a failed image has set FAILED already; a downstream flow has not */
  if (ret != GST_FLOW_OK && self->state != GST_PNG_TILE_DEC_STATE_FAILED) {
    gst_png_tile_dec_drop_image (self);
    self->state = GST_PNG_TILE_DEC_STATE_FAILED;
    self->failed_flow = ret;
  }
  return ret;
}

static GstFlowReturn
gst_png_tile_dec_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstFlowReturn ret = gst_png_tile_dec_process (GST_PNG_TILE_DEC (parent), buf);

  gst_buffer_unref (buf);
  return ret;
}

/* --- pull mode --- */

/* The next pull block: read ahead, or read now. */
static GstFlowReturn
gst_png_tile_dec_pull_block (GstPngTileDec * self, GstBuffer ** buf)
{
  GstFlowReturn ret;

  if (self->pull_ahead || self->pull_ahead_flow != GST_FLOW_OK) {
    *buf = g_steal_pointer (&self->pull_ahead);
    ret = self->pull_ahead_flow;
    self->pull_ahead_flow = GST_FLOW_OK;
    self->pull_current_map = self->pull_ahead_map;
    self->pull_ahead_map.memory = NULL;
    return ret;
  }
  ret = gst_pad_pull_range (self->sinkpad, self->pull_offset,
      PULL_BLOCK_BYTES, buf);
  if (ret == GST_FLOW_OK)
    self->pull_offset += gst_buffer_get_size (*buf);
  return ret;
}

static void
gst_png_tile_dec_unmap (GstBuffer * buf, GstMapInfo * map)
{
  if (map->memory)
    gst_buffer_unmap (buf, map);
  map->memory = NULL;
}

/* Whether the inflate thread may take @data as the next feed of this
 * image before this one is over: in the middle of the image's data, and
 * nothing in @data that decode() would keep from libpng (a refused chunk)
 * or that begins another image (a buffer that starts a file). */
static gboolean
gst_png_tile_dec_may_feed_ahead (GstPngTileDec * self, GstBuffer * buf,
    const guint8 * data, gsize size)
{
  GstPngTileDecChunkWalk walk = self->image.walk;
  gchar *refused = NULL;
  gboolean clean;

  if (self->state != GST_PNG_TILE_DEC_STATE_DECODING || size == 0
      || self->image.head_len < GST_PNG_TILE_DEC_HEAD_BYTES
      || self->upstream_marks_delta || self->location_announced
      || GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    return FALSE;
  clean = gst_png_tile_dec_walk_chunks (self, data, size, &refused) == size
      && !refused;
  self->image.walk = walk;
  g_free (refused);
  return clean;
}

/* The inflate thread's hand-over: the next block is read while it inflates
 * this one, rather than while it waits for the next job, and announced to
 * it, so that it goes on with it while this one's last rows are sent. */
static void
gst_png_tile_dec_read_ahead (gpointer user_data)
{
  GstPngTileDec *self = user_data;
  GstMapInfo *map = &self->pull_ahead_map;

  if (GST_PAD_MODE (self->sinkpad) != GST_PAD_MODE_PULL || self->pull_ahead
      || self->pull_ahead_flow != GST_FLOW_OK)
    return;
  self->pull_ahead_flow = gst_png_tile_dec_pull_block (self,
      &self->pull_ahead);
  if (self->pull_ahead_flow != GST_FLOW_OK
      || !gst_buffer_map (self->pull_ahead, map, GST_MAP_READ))
    return;
  if (gst_png_tile_dec_may_feed_ahead (self, self->pull_ahead, map->data,
          map->size))
    gst_png_inflate_thread_feed_ahead (self->inflate_thread, map->data,
        map->size);
}

static void
gst_png_tile_dec_clear_pull_ahead (GstPngTileDec * self)
{
  /* announced to the inflate thread, the block may be what it inflates */
  if (self->pull_ahead_map.memory)
    gst_png_inflate_thread_discard (self->inflate_thread);
  gst_png_tile_dec_unmap (self->pull_ahead, &self->pull_ahead_map);
  gst_clear_buffer (&self->pull_ahead);
  self->pull_ahead_flow = GST_FLOW_OK;
}

static void
gst_png_tile_dec_pull_loop (GstPngTileDec * self)
{
  GstBuffer *buf = NULL;
  GstFlowReturn ret;
  GstEvent *eos;

  if (!self->pull_started) {
    /* in pull mode nobody upstream sends stream-start or segment */
    gchar *stream_id = gst_pad_create_stream_id (self->srcpad,
        GST_ELEMENT (self), NULL);
    GstSegment seg;

    gst_tile_output_push_event (self->output,
        gst_event_new_stream_start (stream_id));
    g_free (stream_id);
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_tile_output_push_event (self->output, gst_event_new_segment (&seg));
    self->pull_started = TRUE;
  }

  ret = gst_png_tile_dec_pull_block (self, &buf);
  if (ret == GST_FLOW_OK) {
    ret = gst_png_tile_dec_process (self, buf);
    gst_png_tile_dec_unmap (buf, &self->pull_current_map);
    gst_buffer_unref (buf);
    if (ret == GST_FLOW_OK)
      return;
  }

  GST_DEBUG_OBJECT (self, "pausing: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (self->sinkpad);
  if (ret == GST_FLOW_EOS) {
    gst_png_tile_dec_handle_eos (self);
  } else if (ret == GST_FLOW_NOT_LINKED || ret == GST_FLOW_NOT_NEGOTIATED) {
    /* GST_FLOW_ERROR was posted by whoever returned it */
    GST_ELEMENT_FLOW_ERROR (self, ret);
  } else if (ret != GST_FLOW_ERROR) {
    return;
  }
  /* before any caps the output first sends what it held (stream-start,
   * segment, tags) */
  eos = gst_event_new_eos ();
  if (!gst_tile_output_hold_event (self->output, eos))
    gst_pad_push_event (self->srcpad, eos);
}

/* Why the first image of @data (the first pull block) is bad as far as its
 * complete chunks show: a critical chunk with a wrong CRC. NULL when
 * nothing is wrong or when the decoder's own header checks (max-pixels, the
 * metadata chunk limit, lengths out of range) come first: it reports those.
 * A file that ends early is left to the decoder, which sends the rows
 * before the damage first. */
static gchar *
gst_png_tile_dec_first_block_fault (const guint8 * data, gsize size,
    guint64 max_pixels)
{
  gsize i = GST_PNG_SIGNATURE_BYTES;

  if (size < i + 25 || memcmp (data, png_signature, i) != 0
      || memcmp (data + 12, "IHDR", 4) != 0 || (max_pixels > 0
          && (guint64) gst_png_read_be32 (data + 16) *
          gst_png_read_be32 (data + 20) > max_pixels))
    return NULL;
  while (size - i >= GST_PNG_CHUNK_HEADER_BYTES) {
    guint32 length = gst_png_read_be32 (data + i);
    const guint8 *type = data + i + 4;

    if (length > GST_PNG_CHUNK_LENGTH_MAX || (length > CHUNK_MALLOC_MAX
            && memcmp (type, "IDAT", 4) != 0))
      return NULL;
    if (size - i - GST_PNG_CHUNK_HEADER_BYTES <
        (guint64) length + GST_PNG_CHUNK_CRC_BYTES)
      break;
    if (!gst_png_chunk_is_ancillary (type)
        && gst_png_deflate_crc32 (0, type, 4 + length) !=
        gst_png_read_be32 (type + 4 + length))
      return g_strdup_printf ("%.4s: CRC error", (const gchar *) type);
    if (memcmp (type, "IEND", 4) == 0)
      return NULL;
    i += GST_PNG_CHUNK_HEADER_BYTES + length + GST_PNG_CHUNK_CRC_BYTES;
  }
  return NULL;
}

/* gst-launch-1.0 (1.22) quits its main loop from its bus sync handler; an
 * error posted by the streaming thread before the tool enters that loop,
 * that is while the pipeline is still going to PAUSED, is printed but the
 * quit is lost, and the pipeline never prerolls after an error, so the
 * tool waits forever (docs/design.md). A tiny or truncated file fails that
 * early: check the chunk CRCs of the first block here, in the state
 * change, so that the state change fails instead and the tool exits. The
 * block is read ahead for the task, which starts with it. on-error=skip:
 * no check. */
static gboolean
gst_png_tile_dec_pull_precheck (GstPngTileDec * self)
{
  GstMapInfo *map = &self->pull_ahead_map;
  const gchar *uri = self->location;
  gchar *fault = NULL;
  guint64 max_pixels;
  gboolean fail;

  GST_OBJECT_LOCK (self);
  fail = self->settings.on_error == GST_PNG_TILE_DEC_ON_ERROR_FAIL;
  max_pixels = self->settings.max_pixels;
  GST_OBJECT_UNLOCK (self);
  if (!fail)
    return TRUE;
  gst_png_tile_dec_read_ahead (self);
  if (map->memory)
    fault = gst_png_tile_dec_first_block_fault (map->data, map->size,
        max_pixels);
  if (!fault)
    return TRUE;
  GST_ELEMENT_ERROR (self, STREAM, DECODE,
      ("Could not decode PNG image 0%s%s%s: %s", uri ? " (" : "",
          uri ? uri : "", uri ? ")" : "", fault),
      ("on-error=fail; set on-error=skip to drop bad images and go on "
          "with the next one"));
  g_free (fault);
  return FALSE;
}

static gboolean
gst_png_tile_dec_sink_activate (GstPad * pad, GstObject * parent)
{
  GstQuery *query = gst_query_new_scheduling ();
  gboolean pull = gst_pad_peer_query (pad, query)
      && gst_query_has_scheduling_mode_with_flags (query, GST_PAD_MODE_PULL,
      GST_SCHEDULING_FLAG_SEEKABLE);

  gst_query_unref (query);
  GST_DEBUG_OBJECT (parent, "activating in %s mode", pull ? "pull" : "push");
  return gst_pad_activate_mode (pad,
      pull ? GST_PAD_MODE_PULL : GST_PAD_MODE_PUSH, TRUE);
}

static gboolean
gst_png_tile_dec_sink_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (parent);
  GstQuery *query;
  gboolean stopped;

  if (mode != GST_PAD_MODE_PULL)
    return TRUE;
  /* the task reads ahead: it stops before what it read is cleared */
  stopped = active || gst_pad_stop_task (pad);
  gst_png_tile_dec_clear_pull_ahead (self);
  if (!active)
    return stopped;
  self->pull_offset = 0;
  self->pull_started = FALSE;
  /* no tag names the file in pull mode: its name, for error messages */
  query = gst_query_new_uri ();
  if (gst_pad_peer_query (pad, query)) {
    g_free (self->location);
    gst_query_parse_uri (query, &self->location);
  }
  gst_query_unref (query);
  if (!gst_png_tile_dec_pull_precheck (self))
    return FALSE;
  return gst_pad_start_task (pad, (GstTaskFunction) gst_png_tile_dec_pull_loop,
      self, NULL);
}

/* --- events and states --- */

/* Back to "before the first byte": a flush or a restart begins a new
 * stream, whose first image is index 0 again. */
static void
gst_png_tile_dec_reset_stream (GstPngTileDec * self)
{
  gst_png_tile_dec_drop_image (self);
  self->state = GST_PNG_TILE_DEC_STATE_IDLE;
  self->failed_flow = GST_FLOW_OK;
  self->next_index = 0;
  self->upstream_marks_delta = FALSE;
  self->location_announced = FALSE;
  self->sig_matched = 0;
  self->need_discont = TRUE;
}

static gboolean
gst_png_tile_dec_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (parent);
  const GstSegment *in;
  GstSegment seg;
  GstEvent *time;
  GstCaps *caps;
  gchar *location;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      /* the tiles have caps of their own: only a frame rate is taken */
      gst_event_parse_caps (event, &caps);
      if (!gst_structure_get_fraction (gst_caps_get_structure (caps, 0),
              "framerate", &self->fps_n, &self->fps_d) || self->fps_d == 0
          || self->fps_n <= 0) {
        self->fps_n = 0;
        self->fps_d = 1;
      }
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_SEGMENT:
      /* tiles are timestamped in TIME whatever upstream's format (filesrc
       * sends BYTES), so a non-TIME segment becomes an open TIME segment */
      gst_event_parse_segment (event, &in);
      if (in->format != GST_FORMAT_TIME) {
        gst_segment_init (&seg, GST_FORMAT_TIME);
        time = gst_event_new_segment (&seg);
        gst_event_set_seqnum (time, gst_event_get_seqnum (event));
        gst_event_unref (event);
        event = time;
      }
      gst_tile_output_push_event (self->output, event);
      return TRUE;
    case GST_EVENT_TAG:
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
      /* the name of the file whose buffers come next */
      if (gst_file_location_event_parse (event, &location)) {
        g_free (self->location);
        self->location = location;
        self->location_announced = TRUE;
      }
      break;
    case GST_EVENT_GAP:
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      gst_png_tile_dec_reset_stream (self);
      break;
    case GST_EVENT_EOS:
      gst_png_tile_dec_handle_eos (self);
      break;
    default:
      break;
  }
  /* sticky events wait for the tile caps in the output, which also goes
   * flushing and back with the flush events */
  if (gst_tile_output_hold_event (self->output, event))
    return TRUE;
  return gst_pad_event_default (pad, parent, event);
}

/* A byte position cannot be found from a time without decoding, so seeks
 * are left to upstream in push mode and refused in pull mode. */
static gboolean
gst_png_tile_dec_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK
      && GST_PAD_MODE (self->sinkpad) == GST_PAD_MODE_PULL) {
    gst_event_unref (event);
    return FALSE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
gst_png_tile_dec_change_state (GstElement * element, GstStateChange transition)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_png_tile_dec_reset_stream (self);
      gst_tile_output_set_flushing (self->output, FALSE);
      gst_message_throttle_reset (self->progress_throttle);
      self->fps_n = 0;
      self->fps_d = 1;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* wake a streaming thread waiting for a tile, before the pads are
       * deactivated (which waits for that thread) */
      gst_tile_output_set_flushing (self->output, TRUE);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_png_tile_dec_parent_class)->change_state
      (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    gst_png_tile_dec_reset_stream (self);
    gst_tile_output_reset (self->output);
    self->pool_columns = 0;
    g_clear_pointer (&self->location, g_free);
  }
  return ret;
}

/* --- properties --- */

/* Where the settings keep each of their properties. */
#define SETTING(field) G_STRUCT_OFFSET (GstPngTileDecSettings, field)
static const gsize setting_offsets[] = {
  [PROP_TILE_WIDTH] = SETTING (tile_width),
  [PROP_TILE_HEIGHT] = SETTING (tile_height),
  [PROP_MAX_PIXELS] = SETTING (max_pixels),
  [PROP_MAX_INTERLACED_BYTES] = SETTING (max_interlaced_bytes),
  [PROP_ON_ERROR] = SETTING (on_error),
  [PROP_PROGRESS_ROWS] = SETTING (progress_rows),
  [PROP_FAST_INFLATE] = SETTING (fast_inflate),
  [PROP_THREADS] = SETTING (threads),
};

#define SETTING_OF(type) \
  G_STRUCT_MEMBER (type, &self->settings, setting_offsets[prop_id])

static void
gst_png_tile_dec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (object);

  GST_OBJECT_LOCK (self);
  if (prop_id == PROP_MESSAGE_INTERVAL)
    gst_message_throttle_set_interval (self->progress_throttle,
        g_value_get_uint64 (value));
  else if (G_VALUE_HOLDS_UINT (value))
    SETTING_OF (guint) = g_value_get_uint (value);
  else if (G_VALUE_HOLDS_UINT64 (value))
    SETTING_OF (guint64) = g_value_get_uint64 (value);
  else if (G_VALUE_HOLDS_ENUM (value))
    SETTING_OF (GstPngTileDecOnError) = g_value_get_enum (value);
  else                          /* fast-inflate: only with ISA-L */
    SETTING_OF (gboolean) = g_value_get_boolean (value) && self->inflater;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_png_tile_dec_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (object);

  GST_OBJECT_LOCK (self);
  if (prop_id == PROP_MESSAGE_INTERVAL)
    g_value_set_uint64 (value,
        gst_message_throttle_get_interval (self->progress_throttle));
  else if (prop_id == PROP_HELD_BYTES)
    g_value_set_uint64 (value, gst_tile_output_get_held_bytes (self->output) +
        self->held_interlace_bytes + self->held_decoder_bytes);
  else if (G_VALUE_HOLDS_UINT (value))
    g_value_set_uint (value, SETTING_OF (guint));
  else if (G_VALUE_HOLDS_UINT64 (value))
    g_value_set_uint64 (value, SETTING_OF (guint64));
  else if (G_VALUE_HOLDS_ENUM (value))
    g_value_set_enum (value, SETTING_OF (GstPngTileDecOnError));
  else
    g_value_set_boolean (value, SETTING_OF (gboolean));
  GST_OBJECT_UNLOCK (self);
}

static void
gst_png_tile_dec_finalize (GObject * object)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (object);

  gst_png_tile_dec_drop_image (self);
  gst_png_tile_dec_clear_pull_ahead (self);
  gst_tile_output_unref (self->output);
  g_free (self->location);
  g_free (self->tiles);
  gst_png_inflate_thread_free (self->inflate_thread);
  gst_png_idat_inflater_free (self->inflater);
  gst_message_throttle_free (self->progress_throttle);
  G_OBJECT_CLASS (gst_png_tile_dec_parent_class)->finalize (object);
}

static void
gst_png_tile_dec_class_init (GstPngTileDecClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_png_tile_dec_finalize;
  gobject_class->set_property = gst_png_tile_dec_set_property;
  gobject_class->get_property = gst_png_tile_dec_get_property;

  g_object_class_install_property (gobject_class, PROP_TILE_WIDTH,
      g_param_spec_uint ("tile-width", "Tile width",
          "Width of a tile in pixels; 0 = the full image width (strips, the "
          "fastest and the default). Wider than the image is clamped",
          0, PNG_DIMENSION_MAX, DEFAULT_TILE_WIDTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_TILE_HEIGHT,
      g_param_spec_uint ("tile-height", "Tile height",
          "Height of a tile in rows; 0 = automatic: as many rows as fit in "
          "256 KiB per tile (at least 1), so that memory depends on bytes, "
          "not on how wide the image is. Taller than the image is clamped",
          0, PNG_DIMENSION_MAX, DEFAULT_TILE_HEIGHT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_PIXELS,
      g_param_spec_uint64 ("max-pixels", "Maximum pixels",
          "Refuse an image whose header claims more pixels than this "
          "(decompression-bomb guard, checked at the IHDR chunk before "
          "anything is allocated); 0 = no limit. The default allows "
          "65536x65536", 0, PNG_PIXELS_MAX, DEFAULT_MAX_PIXELS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_INTERLACED_BYTES,
      g_param_spec_uint64 ("max-interlaced-bytes", "Maximum interlaced bytes",
          "Largest whole-image buffer, in bytes, an Adam7-interlaced image may "
          "need (interlaced images cannot be decoded row by row); 0 = refuse "
          "interlaced images", 0, G_MAXSSIZE, DEFAULT_MAX_INTERLACED_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_ON_ERROR,
      g_param_spec_enum ("on-error", "On error",
          "What to do with a corrupt, truncated or over-limit image",
          GST_TYPE_PNG_TILE_DEC_ON_ERROR, DEFAULT_ON_ERROR,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PROGRESS_ROWS,
      g_param_spec_uint ("progress-rows", "Progress rows",
          "Offer a \"pngtiledec-progress\" element message every this many "
          "decoded rows and at the end of each image, posted as "
          "message-interval allows; 0 = no progress messages",
          0, PNG_DIMENSION_MAX, DEFAULT_PROGRESS_ROWS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FAST_INFLATE,
      g_param_spec_boolean ("fast-inflate", "Fast inflate",
          "Inflate the image data with ISA-L ahead of libpng, which then only "
          "copies it, and undo the row filters of non-interlaced images "
          "on the way; libpng still parses every chunk and converts every "
          "row, so the pixels are the same, and chunk CRCs and the zlib "
          "check are still verified. FALSE = libpng inflates with zlib and "
          "unfilters. Reads FALSE when gst-membound was built without ISA-L", DEFAULT_FAST_INFLATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Threads",
          "Decoding threads: one inflates ahead of libpng, more decode mARK "
          "segments in parallel (0 = one per core, 1 = everything on the "
          "streaming thread)", 0, THREADS_MAX, DEFAULT_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_message_throttle_install_property (gobject_class,
      PROP_MESSAGE_INTERVAL);
  g_object_class_install_property (gobject_class, PROP_HELD_BYTES,
      g_param_spec_uint64 ("held-bytes", "Held bytes",
          "Bytes the decoder holds now: tiles acquired but not yet pushed, "
          "the interlace buffer, what libpng and zlib allocated and, with "
          "fast-inflate, the inflater; "
          "0 when idle", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Streaming PNG decoder to tiles", "Codec/Decoder/Image",
      "Decodes PNG images row by row into a stream of tiles, in bounded "
      "memory, from any chunking of the input",
      "gst-membound developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_png_tile_dec_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_PNG_TILE_DEC_ON_ERROR, 0);
  GST_DEBUG_CATEGORY_INIT (gst_png_tile_dec_debug, "pngtiledec", 0,
      "Streaming PNG decoder to tiles");
}

static void
gst_png_tile_dec_init (GstPngTileDec * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_png_tile_dec_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_png_tile_dec_sink_event));
  gst_pad_set_activate_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_png_tile_dec_sink_activate));
  gst_pad_set_activatemode_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_png_tile_dec_sink_activate_mode));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_png_tile_dec_src_event));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->settings = default_settings;
  self->progress_throttle = gst_message_throttle_new ();
  self->output = gst_tile_output_new (self->sinkpad, self->srcpad);
  self->inflater = gst_png_idat_inflater_new (CHUNK_MALLOC_MAX);
  self->settings.fast_inflate &= self->inflater != NULL;
  self->inflate_thread = self->inflater ?
      gst_png_inflate_thread_new (self->inflater) : NULL;
  if (self->inflate_thread)
    gst_png_inflate_thread_set_handover (self->inflate_thread,
        gst_png_tile_dec_read_ahead, self);
  self->png_alloc.owner = self;
  self->png_alloc.changed = gst_png_tile_dec_update_decoder_held;
  /* the stream's state is set by reset_stream() at READY->PAUSED */
}
