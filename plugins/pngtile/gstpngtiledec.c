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

GST_DEBUG_CATEGORY_STATIC (gst_png_tile_dec_debug);
#define GST_CAT_DEFAULT gst_png_tile_dec_debug

#define DEFAULT_TILE_WIDTH 0
#define DEFAULT_TILE_HEIGHT 0
#define DEFAULT_MAX_PIXELS (G_GUINT64_CONSTANT (1) << 32)
#define DEFAULT_MAX_INTERLACED_BYTES (G_GUINT64_CONSTANT (256) << 20)
#define DEFAULT_ON_ERROR GST_PNG_TILE_DEC_ON_ERROR_FAIL
#define DEFAULT_PROGRESS_ROWS 1024
#define DEFAULT_FAST_INFLATE TRUE

/* tile-height=0 aims at this many bytes per tile: large enough that the
 * per-buffer cost vanishes next to decoding, small enough that a row of
 * tiles of a 65536-wide RGBA image is still a few MiB. */
#define AUTO_TILE_BYTES (256 * 1024)

/* PNG's own limit on a dimension. */
#define PNG_DIMENSION_MAX 0x7fffffffu
#define PNG_PIXELS_MAX ((guint64) PNG_DIMENSION_MAX * PNG_DIMENSION_MAX)

/* Ancillary chunks are kept by libpng until the image ends; these cap what
 * a hostile file can make it allocate (one chunk, number of chunks). */
#define CHUNK_MALLOC_MAX_MIB 8
#define CHUNK_MALLOC_MAX (CHUNK_MALLOC_MAX_MIB * 1024 * 1024)
#define CHUNK_CACHE_MAX 256

/* In pull mode (upstream is random-access, e.g. filesrc) the decoder reads
 * blocks this large itself: 64 times fewer reads and libpng calls than
 * filesrc's 4 KiB pushes, for one block of memory. */
#define PULL_BLOCK_BYTES (256 * 1024)

/* signature, IHDR length and type, width, height */
#define HEADER_SNIFF_BYTES 24

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
  PROP_HELD_BYTES,
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

static void gst_png_tile_dec_finalize (GObject * object);
static void gst_png_tile_dec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_png_tile_dec_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_png_tile_dec_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_png_tile_dec_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_png_tile_dec_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_png_tile_dec_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_png_tile_dec_sink_activate (GstPad * pad,
    GstObject * parent);
static gboolean gst_png_tile_dec_handle_eos (GstPngTileDec * self);
static void gst_png_tile_dec_libpng_alloc_changed (GstPngAllocCount * count);
static gboolean gst_png_tile_dec_sink_activate_mode (GstPad * pad,
    GstObject * parent, GstPadMode mode, gboolean active);

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

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstPngTileDecOnError", values);
    g_once_init_leave (&type, t);
  }
  return type;
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
          "Post a \"pngtiledec-progress\" element message every this many "
          "decoded rows and at the end of each image; 0 = no progress "
          "messages", 0, PNG_DIMENSION_MAX, DEFAULT_PROGRESS_ROWS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FAST_INFLATE,
      g_param_spec_boolean ("fast-inflate", "Fast inflate",
          "Inflate the image data with ISA-L ahead of libpng, which then only "
          "copies it (about 2x faster); libpng still parses every chunk and "
          "unfilters and converts every row, so the pixels are the same, and "
          "chunk CRCs and the zlib check are still verified. FALSE = libpng "
          "inflates with zlib. Reads FALSE when gst-membound was built "
          "without ISA-L", DEFAULT_FAST_INFLATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
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

  self->tile_width = DEFAULT_TILE_WIDTH;
  self->tile_height = DEFAULT_TILE_HEIGHT;
  self->max_pixels = DEFAULT_MAX_PIXELS;
  self->max_interlaced_bytes = DEFAULT_MAX_INTERLACED_BYTES;
  self->on_error = DEFAULT_ON_ERROR;
  self->progress_rows = DEFAULT_PROGRESS_ROWS;
  self->fast_inflate = DEFAULT_FAST_INFLATE;
  self->inflater = gst_png_idat_inflater_new (CHUNK_MALLOC_MAX);
  self->libpng_alloc.owner = self;
  self->libpng_alloc.changed = gst_png_tile_dec_libpng_alloc_changed;
  self->state = GST_PNG_TILE_DEC_STATE_IDLE;
  self->failed_flow = GST_FLOW_OK;
  self->need_discont = TRUE;
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
 * (counted through libpng's allocator hooks) and the inflater. */
static void
gst_png_tile_dec_update_decoder_held (GstPngTileDec * self)
{
  guint64 bytes = self->libpng_alloc.bytes;

  if (self->image_fast_inflate && self->png)
    bytes += gst_png_idat_inflater_held_bytes (self->inflater);
  gst_png_tile_dec_set_held (self, &self->held_decoder_bytes, bytes);
}

static void
gst_png_tile_dec_libpng_alloc_changed (GstPngAllocCount * count)
{
  gst_png_tile_dec_update_decoder_held (count->owner);
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
      gst_buffer_unref (t->buffer);
      t->buffer = NULL;
    }
  }
  self->tiles_acquired = FALSE;
  gst_png_tile_dec_set_held (self, &self->held_tile_bytes, 0);
}

/* Acquires one buffer per tile column from the pool. This is where the
 * decoder waits when downstream still holds the pool's tiles. */
static GstFlowReturn
gst_png_tile_dec_acquire_tiles (GstPngTileDec * self)
{
  GstBufferPool *pool = self->pool;
  guint c;

  self->tiles_acquired = TRUE;
  for (c = 0; c < self->grid.n_columns; c++) {
    GstPngTileDecTile *t = &self->tiles[c];
    GstFlowReturn ret;

    ret = gst_buffer_pool_acquire_buffer (pool, &t->buffer, NULL);
    if (ret != GST_FLOW_OK) {
      t->buffer = NULL;
      gst_png_tile_dec_release_tiles (self);
      return ret;
    }
    if (!gst_video_frame_map (&t->frame, &self->out_info, t->buffer,
            GST_MAP_WRITE | GST_VIDEO_FRAME_MAP_FLAG_NO_REF)) {
      gst_buffer_unref (t->buffer);
      t->buffer = NULL;
      gst_png_tile_dec_release_tiles (self);
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not map a tile buffer for writing"), (NULL));
      return GST_FLOW_ERROR;
    }
    t->data = GST_VIDEO_FRAME_PLANE_DATA (&t->frame, 0);
    t->stride = GST_VIDEO_FRAME_PLANE_STRIDE (&t->frame, 0);
  }
  gst_png_tile_dec_set_held (self, &self->held_tile_bytes,
      (guint64) self->grid.n_columns * GST_VIDEO_INFO_SIZE (&self->out_info));
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

static void
gst_png_tile_dec_zero_rows (GstPngTileDec * self, guint from_row)
{
  guint c, tile_h = self->grid.tile_height;

  if (from_row >= tile_h)
    return;
  for (c = 0; c < self->grid.n_columns; c++) {
    GstPngTileDecTile *t = &self->tiles[c];

    memset (t->data + from_row * t->stride, 0, (tile_h - from_row) * t->stride);
  }
}

static void
gst_png_tile_dec_push_pending_segment (GstPngTileDec * self)
{
  if (self->pending_segment) {
    gst_pad_push_event (self->srcpad, self->pending_segment);
    self->pending_segment = NULL;
  }
}

static void
gst_png_tile_dec_stamp_tile (GstPngTileDec * self, GstBuffer * buf, guint c)
{
  gst_tile_grid_add_meta (&self->grid, buf, self->image_index, c,
      self->tile_row);
  GST_BUFFER_PTS (buf) = self->image_pts;
  GST_BUFFER_DURATION (buf) = self->image_duration;
  GST_BUFFER_OFFSET (buf) = self->image_index;
  if (c != 0 || self->tile_row != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (self->need_discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->need_discont = FALSE;
  }
}

/* Pads, labels and pushes the filled tile row. */
static GstFlowReturn
gst_png_tile_dec_push_tiles (GstPngTileDec * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint c, n = self->grid.n_columns;

  gst_png_tile_dec_zero_rows (self, self->rows_in_tile);
  for (c = 0; c < n; c++) {
    gst_video_frame_unmap (&self->tiles[c].frame);
    gst_png_tile_dec_stamp_tile (self, self->tiles[c].buffer, c);
  }
  self->tiles_acquired = FALSE;

  gst_png_tile_dec_push_pending_segment (self);
  for (c = 0; c < n; c++) {
    GstBuffer *buf = self->tiles[c].buffer;

    self->tiles[c].buffer = NULL;
    gst_png_tile_dec_set_held (self, &self->held_tile_bytes,
        (guint64) (n - c - 1) * GST_VIDEO_INFO_SIZE (&self->out_info));
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push (self->srcpad, buf);
    else
      gst_buffer_unref (buf);
  }
  self->tile_row++;
  self->rows_in_tile = 0;
  return ret;
}

/* --- progress --- */

static void
gst_png_tile_dec_post_progress (GstPngTileDec * self)
{
  GstStructure *s;

  s = gst_structure_new ("pngtiledec-progress",
      "image-index", G_TYPE_UINT64, self->image_index,
      "rows-done", G_TYPE_UINT, self->rows_done,
      "rows-total", G_TYPE_UINT, self->height, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
gst_png_tile_dec_add_rows (GstPngTileDec * self, guint rows)
{
  guint every = self->image_progress_rows;
  guint before = self->rows_done;

  self->rows_done += rows;
  if (every > 0 && self->rows_done < self->height
      && self->rows_done / every != before / every)
    gst_png_tile_dec_post_progress (self);
}

/* --- image life cycle --- */

static void
gst_png_tile_dec_drop_image (GstPngTileDec * self)
{
  gst_png_tile_dec_release_tiles (self);
  if (self->png)
    png_destroy_read_struct (&self->png, &self->info, NULL);
  self->png = NULL;
  self->info = NULL;
  g_clear_pointer (&self->interlace_buffer, g_free);
  g_clear_pointer (&self->image_location, g_free);
  GST_OBJECT_LOCK (self);
  self->held_interlace_bytes = 0;
  self->held_decoder_bytes = 0;
  GST_OBJECT_UNLOCK (self);
}

static gchar *
gst_png_tile_dec_describe_image (GstPngTileDec * self)
{
  if (self->image_location)
    return g_strdup_printf ("image %" G_GUINT64_FORMAT " (%s)",
        self->image_index, self->image_location);
  return g_strdup_printf ("image %" G_GUINT64_FORMAT, self->image_index);
}

/* Reports a bad image per on-error. Returns GST_FLOW_OK when skipping (the
 * stream goes on with a search for the next signature), GST_FLOW_ERROR
 * otherwise. */
static GstFlowReturn
gst_png_tile_dec_image_failed (GstPngTileDec * self, const gchar * reason)
{
  gchar *what = gst_png_tile_dec_describe_image (self);
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->image_on_error == GST_PNG_TILE_DEC_ON_ERROR_SKIP) {
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("Skipped PNG %s: %s", what, reason),
        ("on-error=skip: the rest of %s is dropped; decoding goes on with "
            "the next image", what));
    self->state = GST_PNG_TILE_DEC_STATE_RESYNC;
    self->sig_matched = 0;
    self->need_discont = TRUE;
  } else {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("Could not decode PNG %s: %s", what, reason),
        ("on-error=fail; set on-error=skip to drop bad images and go on "
            "with the next one"));
    ret = GST_FLOW_ERROR;
  }
  g_free (what);
  gst_png_tile_dec_drop_image (self);
  return ret;
}

/* libpng calls these; a png_error() from a callback longjmps back to
 * gst_png_tile_dec_run_libpng(), so callbacks keep every resource in
 * `self` where the reset path finds it. */
static void
gst_png_tile_dec_png_error (png_structp png, png_const_charp msg)
{
  GstPngTileDec *self = png_get_error_ptr (png);

  /* libpng names the chunk in some messages twice ("IDAT: IDAT: ...") */
  if (strlen (msg) > 12 && msg[4] == ':' && strncmp (msg, msg + 6, 6) == 0)
    msg += 6;
  g_strlcpy (self->reason, msg, sizeof (self->reason));
  png_longjmp (png, 1);
}

static void
gst_png_tile_dec_png_warning (png_structp png, png_const_charp msg)
{
  GstPngTileDec *self = png_get_error_ptr (png);

  GST_DEBUG_OBJECT (self, "libpng warning on image %" G_GUINT64_FORMAT ": %s",
      self->image_index, msg);
  /* libpng only warns when the zlib stream of the pixels is damaged after
   * the last row was inflated (or reports a damaged stream as a benign
   * error); either way the pixels sent may be wrong, so the image fails. */
  if (strstr (msg, "ADLER32") || strstr (msg, "Truncated compressed data")
      || strstr (msg, "Decompression error"))
    png_error (png, msg);
  /* The push reader keeps a whole ancillary chunk in memory before it looks
   * at it, and only warns about an oversized one: refuse it instead. */
  if (strstr (msg, "chunk data is too large"))
    png_error (png, "a chunk is larger than the " G_STRINGIFY
        (CHUNK_MALLOC_MAX_MIB) " MiB allowed for metadata");
}

/* Stops libpng because of a flow return (flushing, not-negotiated, ...),
 * which is not the image's fault. */
static void
gst_png_tile_dec_abort (GstPngTileDec * self, GstFlowReturn ret)
{
  self->callback_flow = ret;
  png_error (self->png, "stopped by downstream");
}

static GstVideoFormat
gst_png_tile_dec_format_of (guint channels, guint depth)
{
  switch (channels * 100 + depth) {
    case 108:
      return GST_VIDEO_FORMAT_GRAY8;
    case 116:
      return GST_VIDEO_FORMAT_GRAY16_BE;
    case 308:
      return GST_VIDEO_FORMAT_RGB;
    case 408:
      return GST_VIDEO_FORMAT_RGBA;
    case 416:
      return GST_VIDEO_FORMAT_RGBA64_BE;
    default:
      return GST_VIDEO_FORMAT_UNKNOWN;
  }
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

static gboolean
gst_png_tile_dec_configure_pool (GstBufferPool * pool, GstCaps * caps,
    guint size, guint min, guint max, gboolean video_meta)
{
  GstStructure *config = gst_buffer_pool_get_config (pool);

  gst_buffer_pool_config_set_params (config, caps, size, min, max);
  if (video_meta
      && gst_buffer_pool_has_option (pool, GST_BUFFER_POOL_OPTION_VIDEO_META))
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
  return gst_buffer_pool_set_config (pool, config);
}

/* Uses downstream's pool if it offers one and accepts our bound, otherwise
 * a video buffer pool of our own. Either way the pool has a maximum: a full
 * row of tiles being filled plus one row downstream may still hold, on top
 * of what downstream says it keeps. */
static GstFlowReturn
gst_png_tile_dec_decide_allocation (GstPngTileDec * self, GstCaps * caps)
{
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstBufferPool *pool = NULL, *old;
  guint size = GST_VIDEO_INFO_SIZE (&self->out_info), qsize = 0;
  guint min = 0, max = 0, n = self->grid.n_columns, max_tiles;
  gboolean video_meta = FALSE, flushing;

  if (gst_pad_peer_query (self->srcpad, query)) {
    video_meta = gst_query_find_allocation_meta (query,
        GST_VIDEO_META_API_TYPE, NULL);
    if (gst_query_get_n_allocation_pools (query) > 0)
      gst_query_parse_nth_allocation_pool (query, 0, &pool, &qsize, &min,
          &max);
  }
  gst_query_unref (query);
  max_tiles = gst_tile_pool_max_buffers (size, min + 2 * n);

  if (pool && !gst_png_tile_dec_configure_pool (pool, caps, MAX (size, qsize),
          min, max_tiles, video_meta)) {
    GST_DEBUG_OBJECT (self, "downstream pool refused a bound, using our own");
    gst_clear_object (&pool);
  }
  if (!pool) {
    /* a downstream may state the buffers it keeps without offering a pool */
    pool = gst_video_buffer_pool_new ();
    if (!gst_png_tile_dec_configure_pool (pool, caps, size, 1, max_tiles,
            video_meta)) {
      gst_object_unref (pool);
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Could not configure a tile buffer pool"), (NULL));
      return GST_FLOW_ERROR;
    }
  }
  if (!gst_buffer_pool_set_active (pool, TRUE)) {
    gst_object_unref (pool);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not activate the tile buffer pool (%u tiles of %u bytes)",
            max_tiles, size), (NULL));
    return GST_FLOW_ERROR;
  }

  GST_OBJECT_LOCK (self);
  old = self->pool;
  self->pool = pool;
  flushing = self->flushing;
  GST_OBJECT_UNLOCK (self);
  if (flushing)
    gst_buffer_pool_set_flushing (pool, TRUE);
  if (old) {
    gst_buffer_pool_set_active (old, FALSE);
    gst_object_unref (old);
  }
  self->pool_columns = n;
  GST_DEBUG_OBJECT (self, "pool of at most %u tiles of %u bytes", max_tiles,
      size);
  return flushing ? GST_FLOW_FLUSHING : GST_FLOW_OK;
}

static void
gst_png_tile_dec_plan_columns (GstPngTileDec * self, guint bpp)
{
  guint c;

  if (self->n_tiles < self->grid.n_columns) {
    self->tiles = g_renew (GstPngTileDecTile, self->tiles,
        self->grid.n_columns);
    self->n_tiles = self->grid.n_columns;
  }
  memset (self->tiles, 0, self->n_tiles * sizeof (GstPngTileDecTile));
  for (c = 0; c < self->grid.n_columns; c++) {
    guint x, w;

    gst_tile_grid_tile_rect (&self->grid, c, 0, &x, NULL, &w, NULL);
    self->tiles[c].src_offset = (gsize) x * bpp;
    self->tiles[c].copy_bytes = (gsize) w * bpp;
  }
}

/* Cuts the new image into a grid and makes sure downstream has caps and a
 * pool for it; caps are sent only when the tile size or format changes. */
static GstFlowReturn
gst_png_tile_dec_setup_output (GstPngTileDec * self, GstVideoFormat format)
{
  GstVideoInfo info;
  guint bpp, tile_w, tile_h;
  gboolean new_caps, reconfigure;
  GstFlowReturn ret = GST_FLOW_OK;

  gst_video_info_set_format (&info, format, 1, 1);
  bpp = GST_VIDEO_INFO_COMP_PSTRIDE (&info, 0);
  tile_w = self->image_tile_width;
  if (tile_w == 0 || tile_w > self->width)
    tile_w = self->width;
  tile_h = self->image_tile_height;
  if (tile_h == 0)
    tile_h = gst_tile_grid_rows_for_bytes ((guint64) tile_w * bpp,
        AUTO_TILE_BYTES, self->height);
  gst_tile_grid_init (&self->grid, self->width, self->height, tile_w, tile_h);

  if (!gst_video_info_set_format (&info, format, self->grid.tile_width,
          self->grid.tile_height)) {
    g_snprintf (self->reason, sizeof (self->reason), "a %ux%u tile is too "
        "large for a video frame; lower tile-width or tile-height",
        self->grid.tile_width, self->grid.tile_height);
    return GST_FLOW_CUSTOM_ERROR;
  }
  if (self->fps_n > 0) {
    GST_VIDEO_INFO_FPS_N (&info) = self->fps_n;
    GST_VIDEO_INFO_FPS_D (&info) = self->fps_d;
  }

  new_caps = !self->have_caps || !gst_video_info_is_equal (&info,
      &self->out_info);
  if (new_caps) {
    GstCaps *caps = gst_video_info_to_caps (&info);

    self->out_info = info;
    self->have_caps = TRUE;
    GST_DEBUG_OBJECT (self, "tile caps %" GST_PTR_FORMAT, caps);
    if (!gst_pad_push_event (self->srcpad, gst_event_new_caps (caps))
        && !GST_PAD_IS_FLUSHING (self->srcpad)) {
      self->have_caps = FALSE;
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream does not accept %s tiles of %ux%u (image %"
              G_GUINT64_FORMAT ")", gst_video_format_to_string (format),
              self->grid.tile_width, self->grid.tile_height,
              self->image_index), ("caps: %" GST_PTR_FORMAT, caps));
      ret = GST_FLOW_NOT_NEGOTIATED;
    }
    gst_caps_unref (caps);
    if (ret != GST_FLOW_OK)
      return ret;
  }

  /* checked first: it clears the flag, which must not survive a
   * renegotiation made for another reason */
  reconfigure = gst_pad_check_reconfigure (self->srcpad);
  if (reconfigure || new_caps || !self->pool
      || self->pool_columns != self->grid.n_columns) {
    GstCaps *caps = gst_video_info_to_caps (&self->out_info);

    ret = gst_png_tile_dec_decide_allocation (self, caps);
    gst_caps_unref (caps);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  gst_png_tile_dec_plan_columns (self, bpp);
  self->tile_row = 0;
  self->rows_in_tile = 0;
  gst_png_tile_dec_push_pending_segment (self);
  return GST_FLOW_OK;
}

/* --- libpng callbacks --- */

static void
gst_png_tile_dec_on_info (png_structp png, png_infop info)
{
  GstPngTileDec *self = png_get_progressive_ptr (png);
  GstVideoFormat format;
  GstFlowReturn ret;

  self->width = png_get_image_width (png, info);
  self->height = png_get_image_height (png, info);
  self->interlaced =
      png_get_interlace_type (png, info) != PNG_INTERLACE_NONE;
  gst_png_tile_dec_set_transforms (png, info);
  if (self->interlaced)
    png_set_interlace_handling (png);
  png_read_update_info (png, info);

  format = gst_png_tile_dec_format_of (png_get_channels (png, info),
      png_get_bit_depth (png, info));
  if (format == GST_VIDEO_FORMAT_UNKNOWN)
    png_error (png, "unsupported output layout");
  self->rowbytes = png_get_rowbytes (png, info);

  if (self->interlaced) {
    guint64 need = (guint64) self->rowbytes * self->height;

    if (self->image_max_interlaced_bytes == 0
        || need > self->image_max_interlaced_bytes) {
      g_snprintf (self->reason, sizeof (self->reason),
          "it is Adam7-interlaced (%ux%u) and needs a %" G_GUINT64_FORMAT
          "-byte whole-image buffer, more than max-interlaced-bytes=%"
          G_GUINT64_FORMAT "; raise max-interlaced-bytes to decode it",
          self->width, self->height, need, self->image_max_interlaced_bytes);
      png_error (png, self->reason);
    }
  }

  ret = gst_png_tile_dec_setup_output (self, format);
  if (ret == GST_FLOW_CUSTOM_ERROR)
    png_error (png, self->reason);
  if (ret != GST_FLOW_OK)
    gst_png_tile_dec_abort (self, ret);

  if (self->interlaced) {
    gsize need = self->rowbytes * self->height;

    /* zeroed pages are mapped lazily: nothing is touched before libpng
     * writes a row */
    self->interlace_buffer = g_try_malloc0 (need);
    if (!self->interlace_buffer) {
      g_snprintf (self->reason, sizeof (self->reason),
          "out of memory for its %" G_GSIZE_FORMAT "-byte interlace buffer; "
          "lower max-interlaced-bytes to refuse such images", need);
      png_error (png, self->reason);
    }
    gst_png_tile_dec_set_held (self, &self->held_interlace_bytes, need);
  }
}

static void
gst_png_tile_dec_on_row (png_structp png, png_bytep new_row,
    png_uint_32 row_num, int pass)
{
  GstPngTileDec *self = png_get_progressive_ptr (png);
  GstFlowReturn ret;

  if (new_row == NULL || row_num >= self->height)
    return;
  if (self->interlaced) {
    png_progressive_combine_row (png,
        self->interlace_buffer + (gsize) row_num * self->rowbytes, new_row);
    return;
  }

  if (!self->tiles_acquired) {
    ret = gst_png_tile_dec_acquire_tiles (self);
    if (ret != GST_FLOW_OK)
      gst_png_tile_dec_abort (self, ret);
  }
  gst_png_tile_dec_copy_row (self, new_row, self->rows_in_tile);
  self->rows_in_tile++;
  gst_png_tile_dec_add_rows (self, 1);

  /* the last tile row waits for IEND, so that a damaged end of file never
   * completes an image */
  if (self->rows_in_tile == self->grid.tile_height
      && self->rows_done < self->height) {
    ret = gst_png_tile_dec_push_tiles (self);
    if (ret != GST_FLOW_OK)
      gst_png_tile_dec_abort (self, ret);
  }
}

static void
gst_png_tile_dec_on_end (png_structp png, png_infop info)
{
  GstPngTileDec *self = png_get_progressive_ptr (png);

  /* What follows IEND belongs to the next image: stop libpng here and keep
   * the count of bytes it did not look at. */
  self->image_ended = TRUE;
  self->end_remaining = png_process_data_pause (png, 0);
}

/* --- feeding bytes --- */

static GstFlowReturn
gst_png_tile_dec_start_image (GstPngTileDec * self, GstBuffer * buf)
{
  GstClockTime pts = GST_CLOCK_TIME_NONE, dur = GST_CLOCK_TIME_NONE;

  GST_OBJECT_LOCK (self);
  self->image_on_error = self->on_error;
  self->image_max_pixels = self->max_pixels;
  self->image_max_interlaced_bytes = self->max_interlaced_bytes;
  self->image_progress_rows = self->progress_rows;
  self->image_fast_inflate = self->fast_inflate && self->inflater;
  self->image_tile_width = self->tile_width;
  self->image_tile_height = self->tile_height;
  GST_OBJECT_UNLOCK (self);

  self->image_index = self->next_index++;
  g_free (self->image_location);
  self->image_location = g_strdup (self->location);

  if (!self->buffer_pts_used) {
    pts = GST_BUFFER_PTS (buf);
    dur = GST_BUFFER_DURATION (buf);
    self->buffer_pts_used = TRUE;
  }
  if (self->fps_n > 0) {
    if (!GST_CLOCK_TIME_IS_VALID (pts))
      pts = gst_util_uint64_scale (self->image_index,
          self->fps_d * GST_SECOND, self->fps_n);
    if (!GST_CLOCK_TIME_IS_VALID (dur))
      dur = gst_util_uint64_scale (GST_SECOND, self->fps_d, self->fps_n);
  }
  self->image_pts = pts;
  self->image_duration = dur;

  self->png = png_create_read_struct_2 (PNG_LIBPNG_VER_STRING, self,
      gst_png_tile_dec_png_error, gst_png_tile_dec_png_warning,
      &self->libpng_alloc, gst_png_alloc_malloc, gst_png_alloc_free);
  self->info = self->png ? png_create_info_struct (self->png) : NULL;
  if (!self->info) {
    gst_png_tile_dec_drop_image (self);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not create a libpng decoder (out of memory?)"), (NULL));
    return GST_FLOW_ERROR;
  }
  png_set_progressive_read_fn (self->png, self, gst_png_tile_dec_on_info,
      gst_png_tile_dec_on_row, gst_png_tile_dec_on_end);
  /* our max-pixels is the limit, not libpng's default of 1000000 */
  png_set_user_limits (self->png, PNG_DIMENSION_MAX, PNG_DIMENSION_MAX);
  png_set_chunk_malloc_max (self->png, CHUNK_MALLOC_MAX);
  png_set_chunk_cache_max (self->png, CHUNK_CACHE_MAX);
  if (self->image_fast_inflate) {
    /* the inflater checks these on the original chunks; libpng sees
     * rewritten IDATs */
    png_set_crc_action (self->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#ifdef PNG_IGNORE_ADLER32
    /* the rewritten stream carries the original's Adler-32: an older
     * libpng just checks it again */
    png_set_option (self->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    gst_png_idat_inflater_reset (self->inflater);
  }

  self->image_bytes = 0;
  self->head_len = 0;
  self->image_ended = FALSE;
  self->end_remaining = 0;
  self->callback_flow = GST_FLOW_OK;
  self->reason[0] = '\0';
  self->width = self->height = 0;
  self->rows_done = 0;
  self->interlaced = FALSE;
  self->state = GST_PNG_TILE_DEC_STATE_DECODING;
  gst_png_tile_dec_update_decoder_held (self);
  return GST_FLOW_OK;
}

static guint32
read_u32_be (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

/* Reads width and height from the IHDR before libpng sees them, so that a
 * bomb is refused before any row buffer exists. Malformed headers are left
 * for libpng to name. */
static gboolean
gst_png_tile_dec_check_header (GstPngTileDec * self)
{
  const guint8 *h = self->head;
  guint32 w, ht;
  guint64 pixels;

  if (memcmp (h, png_signature, 8) != 0 || memcmp (h + 12, "IHDR", 4) != 0)
    return TRUE;
  w = read_u32_be (h + 16);
  ht = read_u32_be (h + 20);
  pixels = (guint64) w * ht;
  if (self->image_max_pixels == 0 || pixels <= self->image_max_pixels)
    return TRUE;
  g_snprintf (self->reason, sizeof (self->reason),
      "its header claims %ux%u = %" G_GUINT64_FORMAT " pixels, more than "
      "max-pixels=%" G_GUINT64_FORMAT "; raise max-pixels (0 = no limit) to "
      "decode it", w, ht, pixels, self->image_max_pixels);
  return FALSE;
}

static void
gst_png_tile_dec_forward_to_libpng (gpointer user_data, guint8 * bytes,
    gsize len)
{
  GstPngTileDec *self = user_data;

  png_process_data (self->png, self->info, bytes, len);
}

static void
gst_png_tile_dec_inflater_warning (gpointer user_data, const gchar * message)
{
  GstPngTileDec *self = user_data;

  png_warning (self->png, message);
}

/* Runs libpng on @size bytes, through the inflater with fast-inflate;
 * returns how many it consumed. */
static gsize
gst_png_tile_dec_run_libpng (GstPngTileDec * self, guint8 * data, gsize size,
    gboolean * failed)
{
  gchar inflate_error[128];

  *failed = FALSE;
  if (setjmp (png_jmpbuf (self->png))) {
    gsize left = png_process_data_pause (self->png, 0);

    *failed = TRUE;
    if (self->image_fast_inflate)
      return MIN (gst_png_idat_inflater_consumed (self->inflater), size);
    return size - MIN (left, size);
  }
  if (self->image_fast_inflate) {
    gboolean ended;

    if (!gst_png_idat_inflater_feed (self->inflater, data, size,
            gst_png_tile_dec_forward_to_libpng,
            gst_png_tile_dec_inflater_warning, self, &ended, inflate_error,
            sizeof (inflate_error)))
      png_error (self->png, inflate_error);
    /* the inflater stops at IEND whatever libpng made of it: never leave
     * the caller with bytes nobody will take */
    if (ended && !self->image_ended)
      png_error (self->png, "IEND: libpng did not end the image there");
    /* an ancillary chunk may have been gathered */
    gst_png_tile_dec_update_decoder_held (self);
    return gst_png_idat_inflater_consumed (self->inflater);
  }
  png_process_data (self->png, self->info, data, size);
  if (self->image_ended)
    return size - MIN (self->end_remaining, size);
  return size;
}

static GstFlowReturn
gst_png_tile_dec_finish_interlaced (GstPngTileDec * self)
{
  guint y = 0, r;
  GstFlowReturn ret;

  while (y < self->height) {
    guint rows = MIN (self->grid.tile_height, self->height - y);

    ret = gst_png_tile_dec_acquire_tiles (self);
    if (ret != GST_FLOW_OK)
      return ret;
    for (r = 0; r < rows; r++) {
      gst_png_tile_dec_copy_row (self,
          self->interlace_buffer + (gsize) (y + r) * self->rowbytes, r);
      gst_png_tile_dec_add_rows (self, 1);
    }
    self->rows_in_tile = rows;
    y += rows;
    ret = gst_png_tile_dec_push_tiles (self);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  return GST_FLOW_OK;
}

/* IEND seen: send what is left of the image. */
static GstFlowReturn
gst_png_tile_dec_finish_image (GstPngTileDec * self)
{
  GstFlowReturn ret;

  if (self->interlaced) {
    ret = gst_png_tile_dec_finish_interlaced (self);
  } else if (self->rows_done < self->height || !self->tiles_acquired) {
    gchar *reason = g_strdup_printf ("its image data ended after %u of %u "
        "rows", self->rows_done, self->height);

    ret = gst_png_tile_dec_image_failed (self, reason);
    g_free (reason);
    return ret;
  } else {
    ret = gst_png_tile_dec_push_tiles (self);
  }
  if (ret != GST_FLOW_OK)
    return ret;
  if (self->image_progress_rows > 0)
    gst_png_tile_dec_post_progress (self);
  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT " done: %ux%u",
      self->image_index, self->width, self->height);
  gst_png_tile_dec_drop_image (self);
  self->state = GST_PNG_TILE_DEC_STATE_IDLE;
  return GST_FLOW_OK;
}

/* Feeds bytes of the current image; sets *used to what it consumed. */
static GstFlowReturn
gst_png_tile_dec_decode (GstPngTileDec * self, const guint8 * data,
    gsize size, gsize * used)
{
  gsize chunk = size, done;
  gboolean failed;

  if (self->head_len < HEADER_SNIFF_BYTES) {
    chunk = MIN (HEADER_SNIFF_BYTES - self->head_len, size);
    memcpy (self->head + self->head_len, data, chunk);
    self->head_len += chunk;
    if (self->head_len == HEADER_SNIFF_BYTES
        && !gst_png_tile_dec_check_header (self)) {
      *used = chunk;
      return gst_png_tile_dec_image_failed (self, self->reason);
    }
  }

  done = gst_png_tile_dec_run_libpng (self, (guint8 *) data, chunk, &failed);
  /* always move forward, or a failure at an image's first byte would find
   * the same signature again */
  if (done == 0 && self->image_bytes == 0)
    done = 1;
  self->image_bytes += done;
  *used = done;
  if (failed) {
    if (self->callback_flow != GST_FLOW_OK) {
      gst_png_tile_dec_drop_image (self);
      return self->callback_flow;
    }
    return gst_png_tile_dec_image_failed (self, self->reason);
  }
  if (self->image_ended)
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
    } else if (self->sig_matched > 0) {
      self->sig_matched = 0;
    } else {
      i++;
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

/* An empty file arrives as an empty buffer; it is an image slot that holds
 * no image, and is reported like a bad image. */
static GstFlowReturn
gst_png_tile_dec_empty_file (GstPngTileDec * self, GstBuffer * buf)
{
  GstFlowReturn ret = gst_png_tile_dec_start_image (self, buf);

  if (ret == GST_FLOW_OK)
    ret = gst_png_tile_dec_image_failed (self, "the file is empty");
  if (ret == GST_FLOW_OK)
    self->state = GST_PNG_TILE_DEC_STATE_IDLE;
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
    ret = gst_png_tile_dec_image_failed (self,
        "the file ended before its IEND chunk (truncated?)");
    if (ret == GST_FLOW_OK)
      self->state = GST_PNG_TILE_DEC_STATE_IDLE;
  }
  if (ret == GST_FLOW_OK && size == 0)
    ret = gst_png_tile_dec_empty_file (self, buf);
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

  if (ret != GST_FLOW_OK) {
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

/* In pull mode nobody upstream sends stream-start, segment or the file
 * name: make them here (the name from a URI query, for error messages). */
static void
gst_png_tile_dec_pull_start (GstPngTileDec * self)
{
  gchar *stream_id;
  GstSegment seg;
  GstQuery *query = gst_query_new_uri ();

  stream_id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self),
      NULL);
  gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_clear_event (&self->pending_segment);
  self->pending_segment = gst_event_new_segment (&seg);
  if (gst_pad_peer_query (self->sinkpad, query)) {
    g_free (self->location);
    gst_query_parse_uri (query, &self->location);
  }
  gst_query_unref (query);
  self->pull_started = TRUE;
}

static void
gst_png_tile_dec_pull_loop (GstPngTileDec * self)
{
  GstBuffer *buf = NULL;
  GstFlowReturn ret;

  if (!self->pull_started)
    gst_png_tile_dec_pull_start (self);

  ret = gst_pad_pull_range (self->sinkpad, self->pull_offset,
      PULL_BLOCK_BYTES, &buf);
  if (ret == GST_FLOW_OK) {
    self->pull_offset += gst_buffer_get_size (buf);
    ret = gst_png_tile_dec_process (self, buf);
    gst_buffer_unref (buf);
    if (ret == GST_FLOW_OK)
      return;
  }

  GST_DEBUG_OBJECT (self, "pausing: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (self->sinkpad);
  if (ret == GST_FLOW_EOS) {
    gst_png_tile_dec_handle_eos (self);
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  } else if (ret == GST_FLOW_NOT_LINKED || ret == GST_FLOW_NOT_NEGOTIATED) {
    /* GST_FLOW_ERROR was posted by whoever returned it */
    GST_ELEMENT_FLOW_ERROR (self, ret);
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  } else if (ret == GST_FLOW_ERROR) {
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  }
}

static gboolean
gst_png_tile_dec_sink_activate (GstPad * pad, GstObject * parent)
{
  GstQuery *query = gst_query_new_scheduling ();
  gboolean pull = FALSE;

  if (gst_pad_peer_query (pad, query))
    pull = gst_query_has_scheduling_mode_with_flags (query, GST_PAD_MODE_PULL,
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

  if (mode != GST_PAD_MODE_PULL)
    return TRUE;
  if (!active)
    return gst_pad_stop_task (pad);
  self->pull_mode = TRUE;
  self->pull_offset = 0;
  self->pull_started = FALSE;
  return gst_pad_start_task (pad, (GstTaskFunction) gst_png_tile_dec_pull_loop,
      self, NULL);
}

/* --- events and states --- */

static void
gst_png_tile_dec_set_flushing (GstPngTileDec * self, gboolean flushing)
{
  GstBufferPool *pool;

  GST_OBJECT_LOCK (self);
  self->flushing = flushing;
  pool = self->pool ? gst_object_ref (self->pool) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (pool) {
    gst_buffer_pool_set_flushing (pool, flushing);
    gst_object_unref (pool);
  }
}

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
  gst_clear_event (&self->pending_segment);
}

static void
gst_png_tile_dec_release_pool (GstPngTileDec * self)
{
  GstBufferPool *pool;

  GST_OBJECT_LOCK (self);
  pool = self->pool;
  self->pool = NULL;
  GST_OBJECT_UNLOCK (self);
  if (pool) {
    gst_buffer_pool_set_active (pool, FALSE);
    gst_object_unref (pool);
  }
  self->pool_columns = 0;
  self->have_caps = FALSE;
}

/* Tiles are timestamped in TIME whatever upstream's format (filesrc sends
 * BYTES), so a non-TIME segment becomes an open TIME segment. */
static void
gst_png_tile_dec_take_segment (GstPngTileDec * self, GstEvent * event)
{
  const GstSegment *in;
  GstEvent *out = event;

  gst_event_parse_segment (event, &in);
  if (in->format != GST_FORMAT_TIME) {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    out = gst_event_new_segment (&seg);
    gst_event_set_seqnum (out, gst_event_get_seqnum (event));
    gst_event_unref (event);
  }
  gst_clear_event (&self->pending_segment);
  self->pending_segment = out;
  if (self->have_caps)
    gst_png_tile_dec_push_pending_segment (self);
}

static void
gst_png_tile_dec_take_caps (GstPngTileDec * self, GstEvent * event)
{
  GstCaps *caps;
  const GstStructure *s;

  gst_event_parse_caps (event, &caps);
  s = gst_caps_get_structure (caps, 0);
  self->fps_n = 0;
  self->fps_d = 1;
  if (!gst_structure_get_fraction (s, "framerate", &self->fps_n,
          &self->fps_d) || self->fps_d == 0 || self->fps_n <= 0) {
    self->fps_n = 0;
    self->fps_d = 1;
  }
}

static void
gst_png_tile_dec_take_tags (GstPngTileDec * self, GstEvent * event)
{
  GstTagList *tags;
  gchar *location = NULL;

  gst_event_parse_tag (event, &tags);
  if (gst_tag_list_get_string (tags, GST_TAG_LOCATION, &location)) {
    g_free (self->location);
    self->location = location;
    self->location_announced = TRUE;
  }
}

static gboolean
gst_png_tile_dec_handle_eos (GstPngTileDec * self)
{
  if (self->state == GST_PNG_TILE_DEC_STATE_DECODING) {
    if (gst_png_tile_dec_image_failed (self,
            "the stream ended before its IEND chunk (truncated file?)")
        == GST_FLOW_OK)
      self->state = GST_PNG_TILE_DEC_STATE_IDLE;
    else {
      self->state = GST_PNG_TILE_DEC_STATE_FAILED;
      self->failed_flow = GST_FLOW_ERROR;
    }
  }
  gst_png_tile_dec_push_pending_segment (self);
  return TRUE;
}

static gboolean
gst_png_tile_dec_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_png_tile_dec_take_caps (self, event);
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_SEGMENT:
      gst_png_tile_dec_take_segment (self, event);
      return TRUE;
    case GST_EVENT_TAG:
      gst_png_tile_dec_take_tags (self, event);
      break;
    case GST_EVENT_GAP:
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_FLUSH_START:
      gst_png_tile_dec_set_flushing (self, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_png_tile_dec_reset_stream (self);
      gst_png_tile_dec_set_flushing (self, FALSE);
      break;
    case GST_EVENT_EOS:
      gst_png_tile_dec_handle_eos (self);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* A byte position cannot be found from a time without decoding, so seeks
 * are left to upstream in push mode and refused in pull mode. */
static gboolean
gst_png_tile_dec_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK && self->pull_mode) {
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
      gst_png_tile_dec_set_flushing (self, FALSE);
      self->fps_n = 0;
      self->fps_d = 1;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* wake a streaming thread waiting for a tile, before the pads are
       * deactivated (which waits for that thread) */
      gst_png_tile_dec_set_flushing (self, TRUE);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_png_tile_dec_parent_class)->change_state
      (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    gst_png_tile_dec_reset_stream (self);
    gst_png_tile_dec_release_pool (self);
    g_clear_pointer (&self->location, g_free);
    self->pull_mode = FALSE;
  }
  return ret;
}

/* --- properties --- */

static void
gst_png_tile_dec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TILE_WIDTH:
      self->tile_width = g_value_get_uint (value);
      break;
    case PROP_TILE_HEIGHT:
      self->tile_height = g_value_get_uint (value);
      break;
    case PROP_MAX_PIXELS:
      self->max_pixels = g_value_get_uint64 (value);
      break;
    case PROP_MAX_INTERLACED_BYTES:
      self->max_interlaced_bytes = g_value_get_uint64 (value);
      break;
    case PROP_ON_ERROR:
      self->on_error = g_value_get_enum (value);
      break;
    case PROP_PROGRESS_ROWS:
      self->progress_rows = g_value_get_uint (value);
      break;
    case PROP_FAST_INFLATE:
      self->fast_inflate = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_png_tile_dec_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TILE_WIDTH:
      g_value_set_uint (value, self->tile_width);
      break;
    case PROP_TILE_HEIGHT:
      g_value_set_uint (value, self->tile_height);
      break;
    case PROP_MAX_PIXELS:
      g_value_set_uint64 (value, self->max_pixels);
      break;
    case PROP_MAX_INTERLACED_BYTES:
      g_value_set_uint64 (value, self->max_interlaced_bytes);
      break;
    case PROP_ON_ERROR:
      g_value_set_enum (value, self->on_error);
      break;
    case PROP_PROGRESS_ROWS:
      g_value_set_uint (value, self->progress_rows);
      break;
    case PROP_FAST_INFLATE:
      g_value_set_boolean (value, self->fast_inflate && self->inflater);
      break;
    case PROP_HELD_BYTES:
      g_value_set_uint64 (value, self->held_tile_bytes +
          self->held_interlace_bytes + self->held_decoder_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_png_tile_dec_finalize (GObject * object)
{
  GstPngTileDec *self = GST_PNG_TILE_DEC (object);

  gst_png_tile_dec_drop_image (self);
  gst_png_tile_dec_release_pool (self);
  gst_clear_event (&self->pending_segment);
  g_free (self->location);
  g_free (self->tiles);
  gst_png_idat_inflater_free (self->inflater);
  G_OBJECT_CLASS (gst_png_tile_dec_parent_class)->finalize (object);
}
