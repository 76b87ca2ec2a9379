/* gst-membound: pngtileenc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-pngtileenc
 * @title: pngtileenc
 *
 * Encodes a tile stream (buffers with a #GstTileMeta, in row-major order) into
 * a PNG byte stream, row by row through libpng's writer, without ever holding
 * the image. Strips are written straight from the input buffer; grid tiles
 * are copied into a band of one tile row (image width x tile height), which is
 * written as soon as its last column arrives. Output leaves in buffers of
 * #GstPngTileEnc:output-buffer-size bytes; the first buffer of each image has
 * no %GST_BUFFER_FLAG_DELTA_UNIT and is preceded by a downstream
 * force-key-unit event, so `multifilesink next-file=key-unit-event` writes
 * one file per image.
 *
 * A buffer without a tile meta is a whole image.
 *
 * ## Example
 * |[
 * gst-launch-1.0 filesrc location=in.png ! pngtiledec tile-width=256 ! \
 *     videobalance saturation=0 ! pngtileenc ! filesink location=out.png
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpngtileenc.h"
#include "gsttilemeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_png_tile_enc_debug);
#define GST_CAT_DEFAULT gst_png_tile_enc_debug

#define DEFAULT_COMPRESSION_LEVEL 6
#define DEFAULT_FILTER GST_PNG_TILE_ENC_FILTER_ADAPTIVE
#define DEFAULT_OUTPUT_BUFFER_SIZE (64 * 1024)
#define MIN_OUTPUT_BUFFER_SIZE 1024
#define MAX_OUTPUT_BUFFER_SIZE (64 * 1024 * 1024)

enum
{
  PROP_0,
  PROP_COMPRESSION_LEVEL,
  PROP_FILTER,
  PROP_OUTPUT_BUFFER_SIZE,
  PROP_HELD_BYTES,
};

/* How each accepted raw format reaches a PNG layout: libpng's write
 * transformations reorder, strip or byte-swap one row at a time. */
enum
{
  XFORM_SWAP16 = 1 << 0,        /* little-endian 16-bit samples */
  XFORM_BGR = 1 << 1,           /* blue first */
  XFORM_FILLER_AFTER = 1 << 2,  /* a padding byte after the colour */
  XFORM_SWAP_ALPHA = 1 << 3,    /* alpha first */
};

typedef struct
{
  GstVideoFormat format;
  gint color_type;
  gint bit_depth;
  guint xforms;
} GstPngTileEncFormat;

static const GstPngTileEncFormat formats[] = {
  {GST_VIDEO_FORMAT_GRAY8, PNG_COLOR_TYPE_GRAY, 8, 0},
  {GST_VIDEO_FORMAT_GRAY16_BE, PNG_COLOR_TYPE_GRAY, 16, 0},
  {GST_VIDEO_FORMAT_GRAY16_LE, PNG_COLOR_TYPE_GRAY, 16, XFORM_SWAP16},
  {GST_VIDEO_FORMAT_RGB, PNG_COLOR_TYPE_RGB, 8, 0},
  {GST_VIDEO_FORMAT_BGR, PNG_COLOR_TYPE_RGB, 8, XFORM_BGR},
  {GST_VIDEO_FORMAT_RGBx, PNG_COLOR_TYPE_RGB, 8, XFORM_FILLER_AFTER},
  {GST_VIDEO_FORMAT_BGRx, PNG_COLOR_TYPE_RGB, 8,
      XFORM_BGR | XFORM_FILLER_AFTER},
  {GST_VIDEO_FORMAT_RGBA, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0},
  {GST_VIDEO_FORMAT_BGRA, PNG_COLOR_TYPE_RGB_ALPHA, 8, XFORM_BGR},
  {GST_VIDEO_FORMAT_ARGB, PNG_COLOR_TYPE_RGB_ALPHA, 8, XFORM_SWAP_ALPHA},
  /* native-endian 16-bit samples, alpha first */
  {GST_VIDEO_FORMAT_ARGB64, PNG_COLOR_TYPE_RGB_ALPHA, 16, XFORM_SWAP_ALPHA
        | (G_BYTE_ORDER == G_LITTLE_ENDIAN ? XFORM_SWAP16 : 0)},
  {GST_VIDEO_FORMAT_RGBA64_BE, PNG_COLOR_TYPE_RGB_ALPHA, 16, 0},
  {GST_VIDEO_FORMAT_RGBA64_LE, PNG_COLOR_TYPE_RGB_ALPHA, 16, XFORM_SWAP16},
};

#define SINK_FORMATS "{ GRAY8, GRAY16_BE, GRAY16_LE, RGB, BGR, RGBx, BGRx, " \
    "RGBA, BGRA, ARGB, ARGB64, RGBA64_BE, RGBA64_LE }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (SINK_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("image/png, width = (int) [ 1, 2147483647 ], "
        "height = (int) [ 1, 2147483647 ], "
        "framerate = (fraction) [ 0/1, MAX ]"));

G_DEFINE_TYPE (GstPngTileEnc, gst_png_tile_enc, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (pngtileenc, "pngtileenc", GST_RANK_NONE,
    GST_TYPE_PNG_TILE_ENC);

static void gst_png_tile_enc_finalize (GObject * object);
static void gst_png_tile_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_png_tile_enc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_png_tile_enc_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_png_tile_enc_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_png_tile_enc_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_png_tile_enc_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

GType
gst_png_tile_enc_filter_get_type (void)
{
  static const GEnumValue values[] = {
    {GST_PNG_TILE_ENC_FILTER_ADAPTIVE,
        "Per row, the filter libpng finds best (slowest)", "adaptive"},
    {GST_PNG_TILE_ENC_FILTER_NONE, "No filter (fastest)", "none"},
    {GST_PNG_TILE_ENC_FILTER_SUB, "Sub: difference to the left", "sub"},
    {GST_PNG_TILE_ENC_FILTER_UP, "Up: difference to the row above", "up"},
    {GST_PNG_TILE_ENC_FILTER_AVERAGE,
        "Average: difference to the mean of left and above", "average"},
    {GST_PNG_TILE_ENC_FILTER_PAETH, "Paeth predictor", "paeth"},
    {0, NULL, NULL}
  };
  static gsize type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstPngTileEncFilter", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
gst_png_tile_enc_class_init (GstPngTileEncClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_png_tile_enc_finalize;
  gobject_class->set_property = gst_png_tile_enc_set_property;
  gobject_class->get_property = gst_png_tile_enc_get_property;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_png_tile_enc_change_state);

  g_object_class_install_property (gobject_class, PROP_COMPRESSION_LEVEL,
      g_param_spec_int ("compression-level", "Compression level",
          "zlib compression level, 0 to 9: 0 stores the pixels uncompressed "
          "(largest, fastest), 9 compresses most (slowest); applies from the "
          "next image on", 0, 9, DEFAULT_COMPRESSION_LEVEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FILTER,
      g_param_spec_enum ("filter", "Row filter",
          "PNG row filter; adaptive lets libpng try all five on every row "
          "(smallest output, slowest, and libpng keeps two more rows); "
          "applies from the next image on", GST_TYPE_PNG_TILE_ENC_FILTER,
          DEFAULT_FILTER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_OUTPUT_BUFFER_SIZE,
      g_param_spec_uint ("output-buffer-size", "Output buffer size",
          "Bytes per output buffer, 1024 to 64 MiB (0 is not allowed): PNG "
          "data is pushed downstream whenever this many bytes are ready; the "
          "last buffer of an image is shorter; applies from the next image on",
          MIN_OUTPUT_BUFFER_SIZE, MAX_OUTPUT_BUFFER_SIZE,
          DEFAULT_OUTPUT_BUFFER_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_HELD_BYTES,
      g_param_spec_uint64 ("held-bytes", "Held bytes",
          "Bytes this element holds now: the band of one tile row (image "
          "width x tile height x bytes per pixel, grids only; 0 for strips), "
          "the output buffer being filled and libpng's and zlib's own "
          "allocations; 0 between images", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "PNG encoder from tiles", "Codec/Encoder/Image",
      "Encodes a stream of tiles (GstTileMeta) or whole frames into PNG, row "
      "by row, holding at most one tile row of the image",
      "gst-membound developers");

  gst_type_mark_as_plugin_api (GST_TYPE_PNG_TILE_ENC_FILTER, 0);
  GST_DEBUG_CATEGORY_INIT (gst_png_tile_enc_debug, "pngtileenc", 0,
      "Streaming PNG encoder from tiles");
}

static void
gst_png_tile_enc_init (GstPngTileEnc * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_png_tile_enc_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_png_tile_enc_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_png_tile_enc_sink_query));
  GST_PAD_SET_ACCEPT_TEMPLATE (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->compression_level = DEFAULT_COMPRESSION_LEVEL;
  self->filter = DEFAULT_FILTER;
  self->output_buffer_size = DEFAULT_OUTPUT_BUFFER_SIZE;
  gst_tile_tracker_init (&self->tracker, GST_TILE_TRACKER_MODE_GRID);
  self->downstream_flow = GST_FLOW_OK;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
}

static void
gst_png_tile_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstPngTileEnc *self = GST_PNG_TILE_ENC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_COMPRESSION_LEVEL:
      self->compression_level = g_value_get_int (value);
      break;
    case PROP_FILTER:
      self->filter = g_value_get_enum (value);
      break;
    case PROP_OUTPUT_BUFFER_SIZE:
      self->output_buffer_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_png_tile_enc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstPngTileEnc *self = GST_PNG_TILE_ENC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_COMPRESSION_LEVEL:
      g_value_set_int (value, self->compression_level);
      break;
    case PROP_FILTER:
      g_value_set_enum (value, self->filter);
      break;
    case PROP_OUTPUT_BUFFER_SIZE:
      g_value_set_uint (value, self->output_buffer_size);
      break;
    case PROP_HELD_BYTES:
      g_value_set_uint64 (value, self->held_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static const GstPngTileEncFormat *
gst_png_tile_enc_find_format (GstVideoFormat format)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    if (formats[i].format == format)
      return &formats[i];
  return NULL;
}

static void
gst_png_tile_enc_update_held (GstPngTileEnc * self)
{
  guint64 held = self->band_alloc + self->png_alloc.bytes;

  if (self->out_data)
    held += self->out_size;
  GST_OBJECT_LOCK (self);
  self->held_bytes = held;
  GST_OBJECT_UNLOCK (self);
}

/* --- output buffers --- */

static GstFlowReturn
gst_png_tile_enc_push_output (GstPngTileEnc * self)
{
  GstBuffer *buf;

  if (self->out_fill == 0)
    return GST_FLOW_OK;

  /* A short (last) buffer gives back the unused tail of its block, so that
   * small images queued downstream do not each pin a whole block. */
  if (self->out_fill < self->out_size)
    self->out_data = g_realloc (self->out_data, self->out_fill);
  buf = gst_buffer_new_wrapped (self->out_data, self->out_fill);
  self->out_data = NULL;
  self->out_fill = 0;
  gst_png_tile_enc_update_held (self);

  GST_BUFFER_PTS (buf) = self->pts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = self->duration;
  GST_BUFFER_OFFSET (buf) = self->tracker.image_index;
  GST_BUFFER_OFFSET_END (buf) = GST_BUFFER_OFFSET_NONE;
  if (self->out_pushed > 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  self->out_pushed++;

  GST_LOG_OBJECT (self, "pushing %" G_GSIZE_FORMAT " bytes of image %"
      G_GUINT64_FORMAT, gst_buffer_get_size (buf), self->tracker.image_index);
  return gst_pad_push (self->srcpad, buf);
}

/* --- libpng callbacks --- */

static void
gst_png_tile_enc_png_write (png_structp png, png_bytep data, png_size_t len)
{
  GstPngTileEnc *self = png_get_io_ptr (png);

  while (len > 0) {
    gsize n;

    if (!self->out_data) {
      self->out_data = g_malloc (self->out_size);
      gst_png_tile_enc_update_held (self);
    }
    n = MIN (len, self->out_size - self->out_fill);
    memcpy (self->out_data + self->out_fill, data, n);
    self->out_fill += n;
    data += n;
    len -= n;

    if (self->out_fill == self->out_size) {
      GstFlowReturn ret = gst_png_tile_enc_push_output (self);

      if (ret != GST_FLOW_OK) {
        self->downstream_flow = ret;
        png_error (png, "downstream refused the data");
      }
    }
  }
}

static void
gst_png_tile_enc_png_flush (png_structp png)
{
  /* Output leaves in whole buffers; there is nothing to flush early. */
}

static void
gst_png_tile_enc_png_on_error (png_structp png, png_const_charp msg)
{
  GstPngTileEnc *self = png_get_error_ptr (png);

  if (!self->png_error)
    self->png_error = g_strdup (msg);
  png_longjmp (png, 1);
}

static void
gst_png_tile_enc_png_on_warning (png_structp png, png_const_charp msg)
{
  GST_WARNING_OBJECT (png_get_error_ptr (png), "libpng: %s", msg);
}

static void
gst_png_tile_enc_png_alloc_changed (GstPngAllocCount * count)
{
  gst_png_tile_enc_update_held (count->owner);
}

/* --- libpng calls: each sets its own longjmp target; on FALSE the reason
 * is in png_error or downstream_flow. --- */

static void
gst_png_tile_enc_png_transforms (GstPngTileEnc * self,
    const GstPngTileEncFormat * fmt)
{
  if (fmt->xforms & XFORM_SWAP16)
    png_set_swap (self->png);
  if (fmt->xforms & XFORM_BGR)
    png_set_bgr (self->png);
  if (fmt->xforms & XFORM_FILLER_AFTER)
    png_set_filler (self->png, 0, PNG_FILLER_AFTER);
  if (fmt->xforms & XFORM_SWAP_ALPHA)
    png_set_swap_alpha (self->png);
}

static int
gst_png_tile_enc_png_filter_mask (GstPngTileEncFilter filter)
{
  switch (filter) {
    case GST_PNG_TILE_ENC_FILTER_NONE:
      return PNG_FILTER_NONE;
    case GST_PNG_TILE_ENC_FILTER_SUB:
      return PNG_FILTER_SUB;
    case GST_PNG_TILE_ENC_FILTER_UP:
      return PNG_FILTER_UP;
    case GST_PNG_TILE_ENC_FILTER_AVERAGE:
      return PNG_FILTER_AVG;
    case GST_PNG_TILE_ENC_FILTER_PAETH:
      return PNG_FILTER_PAETH;
    case GST_PNG_TILE_ENC_FILTER_ADAPTIVE:
    default:
      return PNG_ALL_FILTERS;
  }
}

static gboolean
gst_png_tile_enc_png_start (GstPngTileEnc * self,
    const GstPngTileEncFormat * fmt, gint level, GstPngTileEncFilter filter)
{
  self->png_alloc.owner = self;
  self->png_alloc.changed = gst_png_tile_enc_png_alloc_changed;
  self->png = png_create_write_struct_2 (PNG_LIBPNG_VER_STRING, self,
      gst_png_tile_enc_png_on_error, gst_png_tile_enc_png_on_warning,
      &self->png_alloc, gst_png_alloc_malloc, gst_png_alloc_free);
  if (self->png)
    self->png_info = png_create_info_struct (self->png);
  if (!self->png || !self->png_info) {
    self->png_error = g_strdup ("out of memory creating the writer");
    return FALSE;
  }
  if (setjmp (png_jmpbuf (self->png)))
    return FALSE;

  png_set_write_fn (self->png, self, gst_png_tile_enc_png_write,
      gst_png_tile_enc_png_flush);
  /* The PNG format allows 2^31 - 1 pixels per side; libpng's default writer
   * limit (one million) would refuse the images this element exists for. */
  png_set_user_limits (self->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_compression_level (self->png, level);
  png_set_filter (self->png, PNG_FILTER_TYPE_BASE,
      gst_png_tile_enc_png_filter_mask (filter));
  png_set_IHDR (self->png, self->png_info, self->tracker.image_width,
      self->tracker.image_height, fmt->bit_depth, fmt->color_type,
      PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
  png_write_info (self->png, self->png_info);
  /* libpng needs the header written before it accepts write transforms. */
  gst_png_tile_enc_png_transforms (self, fmt);
  return TRUE;
}

/* Writes @n_rows rows starting at @data, @stride bytes apart (0: the same
 * row again). */
static gboolean
gst_png_tile_enc_png_rows (GstPngTileEnc * self, const guint8 * data,
    gsize stride, guint n_rows)
{
  guint i;

  if (setjmp (png_jmpbuf (self->png)))
    return FALSE;
  for (i = 0; i < n_rows; i++)
    png_write_row (self->png, data + i * stride);
  self->rows_written += n_rows;
  return TRUE;
}

static gboolean
gst_png_tile_enc_png_end (GstPngTileEnc * self)
{
  if (setjmp (png_jmpbuf (self->png)))
    return FALSE;
  png_write_end (self->png, NULL);
  return TRUE;
}

/* --- the image being encoded --- */

static void
gst_png_tile_enc_close_image (GstPngTileEnc * self)
{
  if (self->png || self->png_info)
    png_destroy_write_struct (&self->png, &self->png_info);
  self->png = NULL;
  self->png_info = NULL;
  g_clear_pointer (&self->png_error, g_free);
  g_clear_pointer (&self->band, g_free);
  self->band_alloc = 0;
  g_clear_pointer (&self->out_data, g_free);
  self->out_fill = 0;
  self->downstream_flow = GST_FLOW_OK;
  gst_tile_tracker_end (&self->tracker);
  gst_png_tile_enc_update_held (self);
}

/* libpng gave up on the image: report why, drop what is left of it. */
static GstFlowReturn
gst_png_tile_enc_fail_image (GstPngTileEnc * self)
{
  const GstTileTracker *t = &self->tracker;
  GstFlowReturn ret = self->downstream_flow;

  if (ret == GST_FLOW_OK) {
    gchar *file = gst_tile_tracker_describe_file (t->image_location);

    GST_ELEMENT_ERROR (self, STREAM, ENCODE,
        ("Could not encode image %" G_GUINT64_FORMAT "%s (%ux%u) as PNG",
            t->image_index, file, t->image_width, t->image_height),
        ("libpng: %s", self->png_error ? self->png_error : "unknown error"));
    g_free (file);
    ret = GST_FLOW_ERROR;
  } else {
    GST_DEBUG_OBJECT (self, "downstream returned %s during image %"
        G_GUINT64_FORMAT "; dropping its remaining tiles",
        gst_flow_get_name (ret), self->tracker.image_index);
  }
  gst_tile_tracker_drop_image (&self->tracker, self->tracker.image_index);
  gst_png_tile_enc_close_image (self);
  return ret;
}

static GstFlowReturn
gst_png_tile_enc_finish_image (GstPngTileEnc * self)
{
  GstFlowReturn ret;

  if (!gst_png_tile_enc_png_end (self))
    return gst_png_tile_enc_fail_image (self);
  ret = gst_png_tile_enc_push_output (self);
  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT " done in %u buffers",
      self->tracker.image_index, self->out_pushed);
  gst_png_tile_enc_close_image (self);
  return ret;
}

/* Events that waited for the first caps follow them, in their order. */
static void
gst_png_tile_enc_push_held_events (GstPngTileEnc * self)
{
  GList *l;

  self->pending_events = g_list_reverse (self->pending_events);
  for (l = self->pending_events; l; l = l->next)
    gst_pad_push_event (self->srcpad, l->data);
  g_list_free (self->pending_events);
  self->pending_events = NULL;
}

static GstFlowReturn
gst_png_tile_enc_set_output_caps (GstPngTileEnc * self)
{
  GstCaps *caps;

  caps = gst_caps_new_simple ("image/png",
      "width", G_TYPE_INT, (gint) self->tracker.image_width,
      "height", G_TYPE_INT, (gint) self->tracker.image_height,
      "framerate", GST_TYPE_FRACTION, GST_VIDEO_INFO_FPS_N (&self->info),
      GST_VIDEO_INFO_FPS_D (&self->info), NULL);
  if (self->src_caps && gst_caps_is_equal (caps, self->src_caps)) {
    gst_caps_unref (caps);
    return GST_FLOW_OK;
  }
  gst_caps_replace (&self->src_caps, caps);
  if (!gst_pad_push_event (self->srcpad, gst_event_new_caps (caps))) {
    gst_caps_unref (caps);
    gst_caps_replace (&self->src_caps, NULL);
    if (GST_PAD_IS_FLUSHING (self->srcpad))
      return GST_FLOW_FLUSHING;
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("downstream refused image/png caps for image %" G_GUINT64_FORMAT,
            self->tracker.image_index));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  gst_caps_unref (caps);
  gst_png_tile_enc_push_held_events (self);
  return GST_FLOW_OK;
}

/* multifilesink's next-file=key-frame starts a new file only at key units
 * at least 10 s apart; a downstream force-key-unit event before each image
 * lets next-file=key-unit-event split at every image whatever the
 * timestamps. */
static void
gst_png_tile_enc_announce_image (GstPngTileEnc * self)
{
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (self->pts)
      && self->segment.format == GST_FORMAT_TIME) {
    running_time = gst_segment_to_running_time (&self->segment,
        GST_FORMAT_TIME, self->pts);
    stream_time = gst_segment_to_stream_time (&self->segment,
        GST_FORMAT_TIME, self->pts);
  }
  gst_pad_push_event (self->srcpad,
      gst_video_event_new_downstream_force_key_unit (self->pts, stream_time,
          running_time, TRUE, self->images_started++));
}

static gboolean
gst_png_tile_enc_alloc_band (GstPngTileEnc * self, guint tile_height)
{
  gsize size;

  if (!g_size_checked_mul (&self->band_stride, self->tracker.image_width,
          self->pixel_stride)
      || !g_size_checked_mul (&size, self->band_stride, tile_height))
    return FALSE;
  self->band = g_try_malloc (size);
  if (!self->band)
    return FALSE;
  self->band_alloc = size;
  gst_png_tile_enc_update_held (self);
  return TRUE;
}

static GstFlowReturn
gst_png_tile_enc_begin_image (GstPngTileEnc * self,
    const GstTileMeta * tile, GstBuffer * buf)
{
  const GstPngTileEncFormat *fmt =
      gst_png_tile_enc_find_format (GST_VIDEO_INFO_FORMAT (&self->info));
  GstPngTileEncFilter filter;
  GstFlowReturn ret;
  gint level;

  gst_tile_tracker_begin (&self->tracker, tile);
  self->image_format = fmt->format;
  self->pixel_stride = GST_VIDEO_INFO_COMP_PSTRIDE (&self->info, 0);
  self->pts = GST_BUFFER_PTS (buf);
  self->duration = GST_BUFFER_DURATION (buf);
  self->rows_written = 0;
  self->band_height = 0;
  self->out_pushed = 0;
  gst_tile_tracker_forget_dropped (&self->tracker);

  GST_OBJECT_LOCK (self);
  level = self->compression_level;
  filter = self->filter;
  self->out_size = self->output_buffer_size;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT ": %ux%u %s in %ux%u "
      "tiles", tile->image_index, tile->image_width, tile->image_height,
      gst_video_format_to_string (fmt->format), tile->n_columns, tile->n_rows);

  if (tile->image_width == 0 || tile->image_height == 0
      || tile->image_width > PNG_UINT_31_MAX
      || tile->image_height > PNG_UINT_31_MAX) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Image %" G_GUINT64_FORMAT " is %ux%u pixels, which PNG cannot store",
            tile->image_index, tile->image_width, tile->image_height),
        (NULL));
    return GST_FLOW_ERROR;
  }

  ret = gst_png_tile_enc_set_output_caps (self);
  if (ret != GST_FLOW_OK)
    return ret;
  gst_png_tile_enc_announce_image (self);

  if (tile->n_columns > 1
      && !gst_png_tile_enc_alloc_band (self,
          GST_VIDEO_INFO_HEIGHT (&self->info))) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Cannot allocate one tile row of image %" G_GUINT64_FORMAT
            " (%u pixels wide, %d rows high)", tile->image_index,
            tile->image_width, GST_VIDEO_INFO_HEIGHT (&self->info)),
        ("Use a smaller tile-height upstream."));
    return GST_FLOW_ERROR;
  }

  if (!gst_png_tile_enc_png_start (self, fmt, level, filter))
    return gst_png_tile_enc_fail_image (self);
  gst_png_tile_enc_update_held (self);
  return GST_FLOW_OK;
}

/* Tiles must come in row-major order and tile the image exactly: anything
 * else cannot be written row by row. A column that ends at the right edge
 * early, or a wrong last-of-image flag, shows up as a misfit of the next
 * tile (or as an incomplete image), so those are not faults here. */
static gboolean
gst_png_tile_enc_tile_fits (GstPngTileEnc * self, const GstTileMeta * t)
{
  return !(gst_tile_tracker_check (&self->tracker, t,
          GST_VIDEO_INFO_WIDTH (&self->info),
          GST_VIDEO_INFO_HEIGHT (&self->info)) &
      (GST_TILE_TRACKER_FAULT_IMAGE | GST_TILE_TRACKER_FAULT_GRID |
          GST_TILE_TRACKER_FAULT_ORDER | GST_TILE_TRACKER_FAULT_POSITION |
          GST_TILE_TRACKER_FAULT_REGION | GST_TILE_TRACKER_FAULT_OUTSIDE |
          GST_TILE_TRACKER_FAULT_ROW_HEIGHT | GST_TILE_TRACKER_FAULT_EDGE));
}

static GstFlowReturn
gst_png_tile_enc_tile_misfit (GstPngTileEnc * self, const GstTileMeta * t)
{
  const GstTileTracker *tr = &self->tracker;
  gchar *file = gst_tile_tracker_describe_file (tr->image_location);

  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("Tile %u,%u of image %" G_GUINT64_FORMAT " does not fit the tile "
          "grid%s", t->column, t->row, t->image_index, file),
      ("expected tile %u,%u of image %" G_GUINT64_FORMAT " (%ux%u, %ux%u "
          "tiles) at x=%u; got a %ux%u tile at %u,%u of a %ux%u image in "
          "%ux%u tiles with %dx%d caps. Tiles must arrive in row-major order "
          "and cover the image exactly.", tr->next_column, tr->next_row,
          tr->image_index, tr->image_width, tr->image_height, tr->n_columns,
          tr->n_rows, tr->next_x, t->width, t->height, t->x, t->y,
          t->image_width, t->image_height, t->n_columns, t->n_rows,
          GST_VIDEO_INFO_WIDTH (&self->info),
          GST_VIDEO_INFO_HEIGHT (&self->info)));
  g_free (file);
  gst_tile_tracker_drop_image (&self->tracker, tr->image_index);
  gst_png_tile_enc_close_image (self);
  return GST_FLOW_ERROR;
}

static void
gst_png_tile_enc_copy_to_band (GstPngTileEnc * self, GstVideoFrame * frame,
    const GstTileMeta * t)
{
  const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gsize src_stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  gsize bytes = (gsize) t->width * self->pixel_stride;
  guint8 *dst = self->band + (gsize) t->x * self->pixel_stride;
  guint r;

  for (r = 0; r < t->height; r++)
    memcpy (dst + r * self->band_stride, src + r * src_stride, bytes);
}

/* Adds one tile; writes rows as soon as a whole tile row is there. */
static GstFlowReturn
gst_png_tile_enc_add_tile (GstPngTileEnc * self, const GstTileMeta * t,
    GstBuffer * buf)
{
  GstVideoFrame frame;
  gboolean ok = TRUE;

  if (!gst_png_tile_enc_tile_fits (self, t))
    return gst_png_tile_enc_tile_misfit (self, t);

  if (!gst_video_frame_map (&frame, &self->info, buf, GST_MAP_READ)) {
    gchar *file =
        gst_tile_tracker_describe_file (self->tracker.image_location);

    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Tile %u,%u of image %" G_GUINT64_FORMAT " is too small for its "
            "caps%s", t->column, t->row, t->image_index, file),
        ("buffer of %" G_GSIZE_FORMAT " bytes, caps %dx%d %s",
            gst_buffer_get_size (buf), GST_VIDEO_INFO_WIDTH (&self->info),
            GST_VIDEO_INFO_HEIGHT (&self->info),
            GST_VIDEO_INFO_NAME (&self->info)));
    g_free (file);
    gst_tile_tracker_drop_image (&self->tracker, self->tracker.image_index);
    gst_png_tile_enc_close_image (self);
    return GST_FLOW_ERROR;
  }

  if (t->column == 0)
    self->band_height = t->height;
  if (self->tracker.n_columns == 1) {
    /* a strip is whole rows already: no copy */
    ok = gst_png_tile_enc_png_rows (self, GST_VIDEO_FRAME_PLANE_DATA (&frame,
            0), GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), t->height);
  } else {
    gst_png_tile_enc_copy_to_band (self, &frame, t);
    if (t->column == self->tracker.n_columns - 1)
      ok = gst_png_tile_enc_png_rows (self, self->band, self->band_stride,
          self->band_height);
  }
  gst_video_frame_unmap (&frame);
  if (!ok)
    return gst_png_tile_enc_fail_image (self);

  gst_tile_tracker_advance (&self->tracker, t);

  if (self->rows_written == self->tracker.image_height)
    return gst_png_tile_enc_finish_image (self);
  return GST_FLOW_OK;
}

/* The image ends before its last tile: write what is missing as zero, so the
 * bytes already sent downstream still end as a valid PNG of the announced
 * size, and say so. */
static GstFlowReturn
gst_png_tile_enc_finish_incomplete (GstPngTileEnc * self, const gchar * why)
{
  const GstTileTracker *t = &self->tracker;
  guint missing_from = self->rows_written;
  gsize row_bytes = (gsize) t->image_width * self->pixel_stride;
  gchar *file = gst_tile_tracker_describe_file (t->image_location);
  guint r;

  GST_ELEMENT_WARNING (self, STREAM, FORMAT,
      ("Image %" G_GUINT64_FORMAT " is incomplete: %s before its last "
          "tile%s", t->image_index, why, file),
      ("got %u of %u tile rows complete and %u of %u tiles of the next; the "
          "missing pixels of the %ux%u image (from row %u, or from x=%u in "
          "that tile row) were written as zero so that the PNG stays valid",
          t->next_row, t->n_rows, t->next_column, t->n_columns,
          t->image_width, t->image_height, missing_from, t->next_x));
  g_free (file);

  if (t->next_column > 0) {
    for (r = 0; r < self->band_height; r++)
      memset (self->band + r * self->band_stride +
          (gsize) t->next_x * self->pixel_stride, 0,
          row_bytes - (gsize) t->next_x * self->pixel_stride);
    if (!gst_png_tile_enc_png_rows (self, self->band, self->band_stride,
            self->band_height))
      return gst_png_tile_enc_fail_image (self);
  }

  if (self->rows_written < t->image_height) {
    if (!self->band) {
      self->band = g_try_malloc (row_bytes);
      if (!self->band) {
        self->png_error = g_strdup ("out of memory for a row of zeros");
        return gst_png_tile_enc_fail_image (self);
      }
      self->band_alloc = row_bytes;
      gst_png_tile_enc_update_held (self);
    }
    memset (self->band, 0, row_bytes);
    if (!gst_png_tile_enc_png_rows (self, self->band, 0,
            t->image_height - self->rows_written))
      return gst_png_tile_enc_fail_image (self);
  }
  return gst_png_tile_enc_finish_image (self);
}

/* --- input --- */

/* A tile of an image whose first tile we never saw: the image cannot be
 * written from the middle, so it is dropped, with one warning per image. */
static void
gst_png_tile_enc_drop_tile (GstPngTileEnc * self, const GstTileMeta * t)
{
  gchar *file;

  if (gst_tile_tracker_is_dropped (&self->tracker, t->image_index)) {
    GST_LOG_OBJECT (self, "dropping tile %u,%u of image %" G_GUINT64_FORMAT,
        t->column, t->row, t->image_index);
    return;
  }
  file = gst_tile_tracker_describe_file (self->tracker.location);
  GST_ELEMENT_WARNING (self, STREAM, FORMAT,
      ("Dropping image %" G_GUINT64_FORMAT ": its first tile never "
          "arrived%s", t->image_index, file),
      ("got tile %u,%u of %ux%u without tile 0,0", t->column, t->row,
          t->n_columns, t->n_rows));
  g_free (file);
  gst_tile_tracker_drop_image (&self->tracker, t->image_index);
}

static GstFlowReturn
gst_png_tile_enc_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstPngTileEnc *self = GST_PNG_TILE_ENC (parent);
  GstTileMeta untiled, *tile;
  GstTileTrackerVerdict verdict;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->have_info) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("got a buffer before caps"));
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  /* a buffer without a tile meta is the only tile of its own image */
  tile = gst_buffer_get_tile_meta (buf);
  if (!tile) {
    gst_tile_tracker_untiled_meta (&self->tracker, &self->info, &untiled);
    tile = &untiled;
  }

  verdict = gst_tile_tracker_next (&self->tracker, tile);
  if (verdict == GST_TILE_TRACKER_BEGIN_AFTER_INCOMPLETE
      || verdict == GST_TILE_TRACKER_STRAY) {
    /* the PNG already begun downstream is completed with zeros */
    ret = gst_png_tile_enc_finish_incomplete (self, "the next image began");
    if (ret != GST_FLOW_OK)
      goto out;
    verdict = gst_tile_tracker_next (&self->tracker, tile);
  }

  switch (verdict) {
    case GST_TILE_TRACKER_ORPHAN:
      gst_png_tile_enc_drop_tile (self, tile);
      goto out;
    case GST_TILE_TRACKER_BEGIN:
      ret = gst_png_tile_enc_begin_image (self, tile, buf);
      if (ret != GST_FLOW_OK) {
        /* whatever failed, no PNG was left open */
        gst_tile_tracker_end (&self->tracker);
        goto out;
      }
      break;
    default:
      break;
  }
  ret = gst_png_tile_enc_add_tile (self, tile, buf);

out:
  gst_buffer_unref (buf);
  return ret;
}

/* --- events, queries, states --- */

static gboolean
gst_png_tile_enc_set_input_caps (GstPngTileEnc * self, GstCaps * caps)
{
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, caps)
      || !gst_png_tile_enc_find_format (GST_VIDEO_INFO_FORMAT (&info))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("cannot encode caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  if (self->png && !gst_video_info_is_equal (&info, &self->info)) {
    /* the tiles of one image share one caps */
    if (gst_png_tile_enc_finish_incomplete (self,
            "the caps changed") == GST_FLOW_ERROR)
      return FALSE;
  }
  self->info = info;
  self->have_info = TRUE;
  return TRUE;
}

/* Serialized events that must not overtake the output caps wait for them.
 * Only the latest of each sticky type is kept, as a pad would. */
static void
gst_png_tile_enc_hold_event (GstPngTileEnc * self, GstEvent * event)
{
  GList *l;

  if (GST_EVENT_IS_STICKY (event)) {
    for (l = self->pending_events; l; l = l->next) {
      GstEvent *held = l->data;

      if (GST_EVENT_TYPE (held) == GST_EVENT_TYPE (event)
          && GST_EVENT_TYPE (event) != GST_EVENT_TAG
          && GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY) {
        gst_event_unref (held);
        l->data = event;
        return;
      }
    }
  }
  self->pending_events = g_list_prepend (self->pending_events, event);
}

static void
gst_png_tile_enc_reset (GstPngTileEnc * self)
{
  gst_png_tile_enc_close_image (self);
  gst_tile_tracker_clear (&self->tracker);
  self->images_started = 0;
  self->have_info = FALSE;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  gst_caps_replace (&self->src_caps, NULL);
  g_list_free_full (self->pending_events, (GDestroyNotify) gst_event_unref);
  self->pending_events = NULL;
}

static gboolean
gst_png_tile_enc_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstPngTileEnc *self = GST_PNG_TILE_ENC (parent);

  /* kept for the running time of the force-key-unit events */
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
    gst_event_copy_segment (event, &self->segment);
  /* seqfilesrc names each file in a tag, so messages can name it too */
  gst_tile_tracker_take_event (&self->tracker, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_png_tile_enc_set_input_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_EOS:
      if (self->png)
        gst_png_tile_enc_finish_incomplete (self, "the stream ended");
      gst_png_tile_enc_push_held_events (self);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      /* whatever was sent of the current image is being discarded */
      gst_png_tile_enc_close_image (self);
      gst_tile_tracker_forget_dropped (&self->tracker);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_STREAM_START:
    case GST_EVENT_FLUSH_START:
      return gst_pad_push_event (self->srcpad, event);
    default:
      if (!self->src_caps && GST_EVENT_IS_SERIALIZED (event)) {
        gst_png_tile_enc_hold_event (self, event);
        return TRUE;
      }
      return gst_pad_event_default (pad, parent, event);
  }
}

static gboolean
gst_png_tile_enc_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ALLOCATION:
      /* Tiles are read through GstVideoFrame and the tile meta, so any
       * stride and any crop (edge tiles) is fine; we keep no input buffer,
       * so we ask for no pool. Downstream speaks image/png and has no say. */
      gst_tile_tracker_propose_allocation (query, TRUE);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static GstStateChangeReturn
gst_png_tile_enc_change_state (GstElement * element,
    GstStateChange transition)
{
  GstPngTileEnc *self = GST_PNG_TILE_ENC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    gst_png_tile_enc_reset (self);

  ret = GST_ELEMENT_CLASS (gst_png_tile_enc_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_png_tile_enc_reset (self);
  return ret;
}

static void
gst_png_tile_enc_finalize (GObject * object)
{
  gst_png_tile_enc_reset (GST_PNG_TILE_ENC (object));
  G_OBJECT_CLASS (gst_png_tile_enc_parent_class)->finalize (object);
}
