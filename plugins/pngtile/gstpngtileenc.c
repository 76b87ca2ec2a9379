/* gst-membound: pngtileenc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-pngtileenc
 * @title: pngtileenc
 *
 * Encodes a tile stream (buffers with a #GstTileMeta, in row-major order) into
 * a PNG byte stream, without ever holding the image. Rows go into segments
 * of #GstPngTileEnc:segment-bytes; each segment is filtered and compressed
 * on its own (#GstPngTileEnc:threads of them at once), and written in order,
 * so the bytes do not depend on the number of threads. With two segments or
 * more a mARK chunk (PNG restart markers) lets a decoder decode the segments
 * in parallel too. Strips are packed straight from the input buffer, and
 * the segments that lie wholly in an image's last strip (all of a whole
 * frame) are filtered and compressed from it without a copy; grid tiles are
 * copied into a band of one tile row (image width x tile height).
 * Output leaves in buffers of #GstPngTileEnc:output-buffer-size bytes; the
 * first buffer of each image has no %GST_BUFFER_FLAG_DELTA_UNIT and is
 * preceded by a downstream force-key-unit event, so
 * `multifilesink next-file=key-unit-event` writes one file per image.
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
#include "gstpngdeflate.h"
#include "gsttilemeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_png_tile_enc_debug);
#define GST_CAT_DEFAULT gst_png_tile_enc_debug

#define DEFAULT_COMPRESSION_LEVEL GST_PNG_WRITER_DEFAULT_COMPRESSION_LEVEL
#define DEFAULT_FILTER GST_PNG_WRITER_FILTER_FAST
#define DEFAULT_OUTPUT_BUFFER_SIZE (64 * 1024)
#define MIN_OUTPUT_BUFFER_SIZE 1024
#define MAX_OUTPUT_BUFFER_SIZE (64 * 1024 * 1024)
#define DEFAULT_THREADS 0
#define MAX_THREADS 64
#define DEFAULT_SEGMENT_BYTES GST_PNG_WRITER_DEFAULT_SEGMENT_BYTES
#define MAX_SEGMENT_BYTES GST_PNG_WRITER_MAX_SEGMENT_BYTES
#define DEFAULT_RESTART_MARKERS TRUE

enum
{
  PROP_0,
  PROP_COMPRESSION_LEVEL,
  PROP_FILTER,
  PROP_OUTPUT_BUFFER_SIZE,
  PROP_THREADS,
  PROP_SEGMENT_BYTES,
  PROP_RESTART_MARKERS,
  PROP_HELD_BYTES,
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

GType
gst_png_tile_enc_filter_get_type (void)
{
  static const GEnumValue values[] = {
    {GST_PNG_WRITER_FILTER_ADAPTIVE, "Per row, the smallest of all five "
          "filters, each one tried (libpng's adaptive choice; slowest)",
        "adaptive"},
    {GST_PNG_WRITER_FILTER_NONE, "No filter (fastest)", "none"},
    {GST_PNG_WRITER_FILTER_SUB, "Sub: difference to the left", "sub"},
    {GST_PNG_WRITER_FILTER_UP, "Up: difference to the row above", "up"},
    {GST_PNG_WRITER_FILTER_AVERAGE,
        "Average: difference to the mean of left and above", "average"},
    {GST_PNG_WRITER_FILTER_PAETH, "Paeth predictor", "paeth"},
    {GST_PNG_WRITER_FILTER_FAST, "Per row, Sub, Up, Average or Paeth, "
          "whichever is smallest, all four scored in one pass", "fast"},
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
gst_png_tile_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstPngTileEnc *self = GST_PNG_TILE_ENC (object);
  GstPngTileEncSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_COMPRESSION_LEVEL:
      s->writer.compression_level = g_value_get_int (value);
      break;
    case PROP_FILTER:
      s->writer.filter = g_value_get_enum (value);
      break;
    case PROP_OUTPUT_BUFFER_SIZE:
      s->output_buffer_size = g_value_get_uint (value);
      break;
    case PROP_THREADS:
      s->threads = g_value_get_uint (value);
      break;
    case PROP_SEGMENT_BYTES:
      s->writer.segment_bytes = g_value_get_uint (value);
      break;
    case PROP_RESTART_MARKERS:
      s->writer.restart_markers = g_value_get_boolean (value);
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
  GstPngTileEncSettings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_COMPRESSION_LEVEL:
      g_value_set_int (value, s->writer.compression_level);
      break;
    case PROP_FILTER:
      g_value_set_enum (value, s->writer.filter);
      break;
    case PROP_OUTPUT_BUFFER_SIZE:
      g_value_set_uint (value, s->output_buffer_size);
      break;
    case PROP_THREADS:
      g_value_set_uint (value, s->threads);
      break;
    case PROP_SEGMENT_BYTES:
      g_value_set_uint (value, s->writer.segment_bytes);
      break;
    case PROP_RESTART_MARKERS:
      g_value_set_boolean (value, s->writer.restart_markers);
      break;
    case PROP_HELD_BYTES:
      g_value_set_uint64 (value, self->band_held + self->out_held +
          (gsize) g_atomic_pointer_get (&self->segments_held));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The output buffer's share; on whichever thread writes. */
static void
gst_png_tile_enc_update_out_held (GstPngTileEnc * self)
{
  GST_OBJECT_LOCK (self);
  self->out_held = self->out_data ? self->out_size : 0;
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
  gst_png_tile_enc_update_out_held (self);

  GST_BUFFER_PTS (buf) = self->pts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = self->duration;
  GST_BUFFER_OFFSET (buf) = self->out_offset;
  GST_BUFFER_OFFSET_END (buf) = GST_BUFFER_OFFSET_NONE;
  if (self->out_pushed > 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  self->out_pushed++;

  GST_LOG_OBJECT (self, "pushing %" G_GSIZE_FORMAT " bytes of image %"
      G_GUINT64_FORMAT, gst_buffer_get_size (buf), self->out_offset);
  return gst_pad_push (self->srcpad, buf);
}

/* The writer's output: copied into output buffers, each pushed when full.
 * FALSE when downstream refused one (its flow is in downstream_flow). Runs
 * on the streaming thread for the header and the end of an image, and on
 * the thread writing segments in between (see the header file). */
static gboolean
gst_png_tile_enc_write (const guint8 * data, gsize len, gpointer user_data)
{
  GstPngTileEnc *self = user_data;

  while (len > 0) {
    gsize n;

    if (!self->out_data) {
      self->out_data = g_malloc (self->out_size);
      gst_png_tile_enc_update_out_held (self);
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
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* --- segments: filled here, encoded by the segment encoder, written in
 * order by it; on FALSE the reason is in png_error, segment_error or
 * downstream_flow --- */

/* The segment encoder's write function: on a worker (or, with threads=1,
 * the streaming thread), one segment at a time, in order. */
static gboolean
gst_png_tile_enc_write_segment (GstPngWriterSegment * seg, gpointer user_data)
{
  GstPngTileEnc *self = user_data;

  if (gst_png_writer_segment_error (seg)) {
    self->segment_error = g_strdup_printf ("segment %u: %s",
        gst_png_writer_segment_index (seg), gst_png_writer_segment_error (seg));
    return FALSE;
  }
  return gst_png_writer_write_segment (self->png_writer, seg,
      gst_png_tile_enc_write, self);
}

/* Copies up to @n_rows rows into the segment being filled (begun if
 * needed), @taken of them; a full segment goes to the encoder. */
static gboolean
gst_png_tile_enc_fill_segment (GstPngTileEnc * self, const guint8 * data,
    gsize stride, guint n_rows, guint * taken)
{
  guint index = self->next_segment;

  if (!self->filling) {
    self->filling = gst_png_writer_segment_new (self->png_writer, index,
        &self->segments_held);
    if (!self->filling) {
      self->png_error = g_strdup_printf ("out of memory for the %"
          G_GSIZE_FORMAT " bytes of rows of segment %u",
          gst_png_writer_segment_held_row_bytes (self->png_writer, index),
          index);
      return FALSE;
    }
    self->next_segment++;
  }
  *taken = MIN (n_rows, gst_png_writer_segment_rows_missing (self->filling));
  gst_png_writer_segment_add_rows (self->filling, data, stride, *taken);
  if (gst_png_writer_segment_rows_missing (self->filling) > 0)
    return TRUE;
  gst_png_segment_encoder_submit (self->segment_encoder, self->filling);
  self->filling = NULL;
  /* waits while more than `threads` are in flight: this is where upstream
   * blocks when every worker (or downstream) is busy */
  return gst_png_segment_encoder_wait (self->segment_encoder,
      self->in_flight_bound);
}

/* The next segment, which lies wholly in the rows at @data (@taken of
 * them), read there by whichever thread encodes it. */
static gboolean
gst_png_tile_enc_borrow_segment (GstPngTileEnc * self, const guint8 * data,
    gsize stride, guint * taken)
{
  GstPngWriterSegment *seg;

  /* At most `threads` borrowed segments in flight, each being encoded or
   * done: one queued behind busy workers would be taken by the worker that
   * finishes a newer segment than the oldest, which would then hold two
   * segments' data. */
  if (!gst_png_segment_encoder_wait (self->segment_encoder,
          self->in_flight_bound - 1))
    return FALSE;
  seg = gst_png_writer_segment_new_borrowed (self->png_writer,
      self->next_segment++, data, stride, &self->segments_held);
  *taken = gst_png_writer_segment_rows (self->png_writer,
      gst_png_writer_segment_index (seg));
  /* This thread only waits until the image is written (these are its last
   * rows), so it is one of the `threads` encoders: what it allocates
   * reuses what upstream let go of on this thread, where a worker's would
   * be new memory. */
  if (self->in_flight_bound > 1
      && gst_png_segment_encoder_in_flight (self->segment_encoder) ==
      self->in_flight_bound - 1)
    gst_png_segment_encoder_encode_here (self->segment_encoder, seg);
  else
    gst_png_segment_encoder_submit (self->segment_encoder, seg);
  return TRUE;
}

/* Adds @n_rows rows starting at @data, @stride bytes apart (0: the same row
 * again); a full segment goes to the encoder. With @borrow, a segment that
 * lies wholly within these rows is read where it is instead of copied
 * (*@borrowed is set): the caller keeps the rows unchanged until every
 * segment in flight is written, or discarded. */
static gboolean
gst_png_tile_enc_add_rows (GstPngTileEnc * self, const guint8 * data,
    gsize stride, guint n_rows, gboolean borrow, gboolean * borrowed)
{
  while (n_rows > 0) {
    guint take;
    gboolean ok;

    if (!self->filling && borrow
        && n_rows >= gst_png_writer_segment_rows (self->png_writer,
            self->next_segment)) {
      ok = gst_png_tile_enc_borrow_segment (self, data, stride, &take);
      *borrowed = TRUE;
    } else {
      ok = gst_png_tile_enc_fill_segment (self, data, stride, n_rows, &take);
    }
    if (!ok)
      return FALSE;
    data += take * stride;
    n_rows -= take;
    self->rows_written += take;
  }
  return TRUE;
}

/* --- the image being encoded --- */

static void
gst_png_tile_enc_close_image (GstPngTileEnc * self)
{
  /* cancels and waits for the segments in flight and a write in progress,
   * if any: from here on only this thread touches the output */
  gst_png_segment_encoder_discard (self->segment_encoder);
  g_clear_pointer (&self->filling, gst_png_writer_segment_free);
  g_clear_pointer (&self->png_writer, gst_png_writer_free);
  g_clear_pointer (&self->png_error, g_free);
  g_clear_pointer (&self->segment_error, g_free);
  g_clear_pointer (&self->band, g_free);
  g_clear_pointer (&self->out_data, g_free);
  self->out_fill = 0;
  self->downstream_flow = GST_FLOW_OK;
  gst_tile_tracker_end (&self->tracker);
  GST_OBJECT_LOCK (self);
  self->band_held = self->out_held = 0;
  GST_OBJECT_UNLOCK (self);
}

/* The writer gave up on the image: report why, drop what is left of it. */
static GstFlowReturn
gst_png_tile_enc_fail_image (GstPngTileEnc * self)
{
  const GstTileTracker *t = &self->tracker;
  const gchar *why;
  GstFlowReturn ret;

  /* the workers let go of the image first: then their findings are ours */
  gst_png_segment_encoder_discard (self->segment_encoder);
  ret = self->downstream_flow;
  why = self->png_error ? self->png_error : self->segment_error;
  if (ret == GST_FLOW_OK) {
    gchar *file = gst_tile_tracker_describe_file (t->image_location);

    GST_ELEMENT_ERROR (self, STREAM, ENCODE,
        ("Could not encode image %" G_GUINT64_FORMAT "%s (%ux%u) as PNG",
            t->image_index, file, t->image_width, t->image_height),
        ("%s", why ? why : "unknown error"));
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

  /* waits for the last segments to be written */
  if (!gst_png_segment_encoder_wait (self->segment_encoder, 0)
      || !gst_png_writer_write_end (self->png_writer, gst_png_tile_enc_write,
          self))
    return gst_png_tile_enc_fail_image (self);
  ret = gst_png_tile_enc_push_output (self);
  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT " done in %u buffers",
      self->tracker.image_index, self->out_pushed);
  gst_png_tile_enc_close_image (self);
  return ret;
}

static GstFlowReturn
gst_png_tile_enc_set_output_caps (GstPngTileEnc * self)
{
  GstCaps *caps;
  gboolean ok;

  caps = gst_caps_new_simple ("image/png",
      "width", G_TYPE_INT, (gint) self->tracker.image_width,
      "height", G_TYPE_INT, (gint) self->tracker.image_height,
      "framerate", GST_TYPE_FRACTION, GST_VIDEO_INFO_FPS_N (&self->info),
      GST_VIDEO_INFO_FPS_D (&self->info), NULL);
  ok = gst_tile_output_set_caps (self->output, caps);
  gst_caps_unref (caps);
  if (ok)
    return GST_FLOW_OK;
  if (GST_PAD_IS_FLUSHING (self->srcpad))
    return GST_FLOW_FLUSHING;
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
      ("downstream refused image/png caps for image %" G_GUINT64_FORMAT,
          self->tracker.image_index));
  return GST_FLOW_NOT_NEGOTIATED;
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

/* The band's share of held-bytes is set on the streaming thread. */
static gboolean
gst_png_tile_enc_alloc_band (GstPngTileEnc * self, gsize size)
{
  self->band = g_try_malloc (size);
  GST_OBJECT_LOCK (self);
  self->band_held = self->band ? size : 0;
  GST_OBJECT_UNLOCK (self);
  return self->band != NULL;
}

static gboolean
gst_png_tile_enc_alloc_tile_row (GstPngTileEnc * self, guint tile_height)
{
  gsize size;

  return g_size_checked_mul (&self->band_stride, self->tracker.image_width,
      self->pixel_stride)
      && g_size_checked_mul (&size, self->band_stride, tile_height)
      && gst_png_tile_enc_alloc_band (self, size);
}

/* The writer, its header, and the workers for this image's settings. */
static gboolean
gst_png_tile_enc_start_writer (GstPngTileEnc * self)
{
  const GstPngTileEncSettings *s = &self->image_settings;
  guint threads = s->threads ? s->threads : g_get_num_processors ();
  GError *err = NULL;

  self->png_writer = gst_png_writer_new (self->tracker.image_width,
      self->tracker.image_height, GST_VIDEO_INFO_FORMAT (&self->info),
      &s->writer, &err);
  /* a thread more than there are segments would never get one */
  if (self->png_writer)
    threads = MIN (threads, gst_png_writer_n_segments (self->png_writer));
  /* one thread: the streaming thread encodes each segment as it fills */
  if (self->png_writer && !gst_png_segment_encoder_start
      (self->segment_encoder, threads > 1 ? threads : 0, &err))
    g_clear_pointer (&self->png_writer, gst_png_writer_free);
  if (!self->png_writer) {
    self->png_error = g_strdup (err->message);
    g_error_free (err);
    return FALSE;
  }
  self->in_flight_bound = MAX (threads, 1);
  self->next_segment = 0;
  GST_DEBUG_OBJECT (self, "%u segments, %u threads, %s, markers %d",
      gst_png_writer_n_segments (self->png_writer), threads,
      gst_png_deflate_describe (s->writer.compression_level),
      gst_png_writer_has_restart_markers (self->png_writer));
  return gst_png_writer_write_header (self->png_writer,
      gst_png_tile_enc_write, self);
}

static GstFlowReturn
gst_png_tile_enc_begin_image (GstPngTileEnc * self,
    const GstTileMeta * tile, GstBuffer * buf)
{
  GstFlowReturn ret;

  gst_tile_tracker_begin (&self->tracker, tile);
  self->pixel_stride = GST_VIDEO_INFO_COMP_PSTRIDE (&self->info, 0);
  self->pts = GST_BUFFER_PTS (buf);
  self->duration = GST_BUFFER_DURATION (buf);
  self->out_offset = tile->image_index;
  self->rows_written = 0;
  self->band_height = 0;
  self->out_pushed = 0;
  gst_tile_tracker_forget_dropped (&self->tracker);

  GST_OBJECT_LOCK (self);
  self->image_settings = self->settings;
  GST_OBJECT_UNLOCK (self);
  self->out_size = self->image_settings.output_buffer_size;

  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT ": %ux%u %s in %ux%u "
      "tiles", tile->image_index, tile->image_width, tile->image_height,
      GST_VIDEO_INFO_NAME (&self->info), tile->n_columns, tile->n_rows);

  if (tile->image_width == 0 || tile->image_height == 0
      || tile->image_width > G_MAXINT32 || tile->image_height > G_MAXINT32) {
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
      && !gst_png_tile_enc_alloc_tile_row (self,
          GST_VIDEO_INFO_HEIGHT (&self->info))) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Cannot allocate one tile row of image %" G_GUINT64_FORMAT
            " (%u pixels wide, %d rows high)", tile->image_index,
            tile->image_width, GST_VIDEO_INFO_HEIGHT (&self->info)),
        ("Use a smaller tile-height upstream."));
    return GST_FLOW_ERROR;
  }

  if (!gst_png_tile_enc_start_writer (self))
    return gst_png_tile_enc_fail_image (self);
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
      ~(GST_TILE_TRACKER_FAULT_EARLY_EDGE | GST_TILE_TRACKER_FAULT_LAST_FLAG));
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
    gboolean borrowed = FALSE;
    /* the image's last strip (a whole frame is one): the image is done when
     * this call returns, so waiting here for the segments costs nothing */
    gboolean last = t->y + t->height == self->tracker.image_height;

    /* a strip is whole rows already: packed into segments from here, or,
     * in the last strip, read from here by the workers for the segments
     * that lie wholly in it (of a whole frame: all of them) */
    ok = gst_png_tile_enc_add_rows (self, GST_VIDEO_FRAME_PLANE_DATA (&frame,
            0), GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), t->height, last,
        &borrowed);
    /* the buffer is let go of only once no segment reads it: an input
     * buffer is never kept after this call */
    if (borrowed && ok)
      ok = gst_png_segment_encoder_wait (self->segment_encoder, 0);
    if (borrowed && !ok)
      gst_png_segment_encoder_discard (self->segment_encoder);
  } else {
    gst_png_tile_enc_copy_to_band (self, &frame, t);
    if (t->column == self->tracker.n_columns - 1)
      ok = gst_png_tile_enc_add_rows (self, self->band, self->band_stride,
          self->band_height, FALSE, NULL);
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
    if (!gst_png_tile_enc_add_rows (self, self->band, self->band_stride,
            self->band_height, FALSE, NULL))
      return gst_png_tile_enc_fail_image (self);
  }

  if (self->rows_written < t->image_height) {
    if (!self->band && !gst_png_tile_enc_alloc_band (self, row_bytes)) {
      self->png_error = g_strdup ("out of memory for a row of zeros");
      return gst_png_tile_enc_fail_image (self);
    }
    memset (self->band, 0, row_bytes);
    if (!gst_png_tile_enc_add_rows (self, self->band, 0,
            t->image_height - self->rows_written, FALSE, NULL))
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

  if (verdict == GST_TILE_TRACKER_ORPHAN) {
    gst_png_tile_enc_drop_tile (self, tile);
    goto out;
  }
  if (verdict == GST_TILE_TRACKER_BEGIN) {
    ret = gst_png_tile_enc_begin_image (self, tile, buf);
    if (ret != GST_FLOW_OK) {
      /* whatever failed, no PNG was left open */
      gst_tile_tracker_end (&self->tracker);
      goto out;
    }
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
      || !gst_png_writer_supports_format (GST_VIDEO_INFO_FORMAT (&info))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("cannot encode caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  /* the tiles of one image share one caps */
  if (self->png_writer && !gst_video_info_is_equal (&info, &self->info)
      && gst_png_tile_enc_finish_incomplete (self,
          "the caps changed") == GST_FLOW_ERROR)
    return FALSE;
  self->info = info;
  self->have_info = TRUE;
  return TRUE;
}

static void
gst_png_tile_enc_reset (GstPngTileEnc * self)
{
  gst_png_tile_enc_close_image (self);
  gst_tile_tracker_clear (&self->tracker);
  self->images_started = 0;
  self->have_info = FALSE;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  gst_tile_output_reset (self->output);
}

static gboolean
gst_png_tile_enc_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstPngTileEnc *self = GST_PNG_TILE_ENC (parent);

  /* kept for the running time of the force-key-unit events */
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
    gst_event_copy_segment (event, &self->segment);
  /* seqfilesrc announces each file, so messages can name it too */
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
      if (self->png_writer)
        gst_png_tile_enc_finish_incomplete (self, "the stream ended");
      break;
    case GST_EVENT_FLUSH_STOP:
      /* whatever was sent of the current image is being discarded */
      gst_png_tile_enc_close_image (self);
      gst_tile_tracker_forget_dropped (&self->tracker);
      break;
    default:
      break;
  }
  /* segment and tag events wait for the first caps: the image size is only
   * known from the first tile */
  if (gst_tile_output_hold_event (self->output, event))
    return TRUE;
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_png_tile_enc_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return gst_pad_query_default (pad, parent, query);
  /* Tiles are read through GstVideoFrame and the tile meta, so any stride
   * and any crop (edge tiles) is fine; we keep no input buffer, so we ask
   * for no pool. Downstream speaks image/png and has no say. */
  gst_tile_tracker_propose_allocation (query, TRUE);
  return TRUE;
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

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    gst_png_tile_enc_reset (self);
    /* no image between READY and PAUSED: the workers end */
    gst_png_segment_encoder_stop (self->segment_encoder);
  }
  return ret;
}

static void
gst_png_tile_enc_finalize (GObject * object)
{
  GstPngTileEnc *self = GST_PNG_TILE_ENC (object);

  gst_png_tile_enc_reset (self);
  gst_png_segment_encoder_free (self->segment_encoder);
  gst_tile_output_unref (self->output);
  G_OBJECT_CLASS (gst_png_tile_enc_parent_class)->finalize (object);
}

#ifdef HAVE_ISAL
#define COMPRESSION_LEVEL_BLURB "Compression level, 0 to 9: 0 stores the " \
    "rows uncompressed (largest), 1 to 3 are ISA-L's deflate levels 1 to 3 " \
    "(fast), 4 to 9 are zlib's levels 4 to 9 (9 smallest, slowest); " \
    "applies from the next image on"
#else
#define COMPRESSION_LEVEL_BLURB "Compression level, 0 to 9: 0 stores the " \
    "rows uncompressed (largest), 1 to 9 are zlib's levels (this build has " \
    "no ISA-L; 9 smallest, slowest); applies from the next image on"
#endif

static void
gst_png_tile_enc_install_properties (GObjectClass * gobject_class)
{
  g_object_class_install_property (gobject_class, PROP_COMPRESSION_LEVEL,
      g_param_spec_int ("compression-level", "Compression level",
          COMPRESSION_LEVEL_BLURB, 0, 9, DEFAULT_COMPRESSION_LEVEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FILTER,
      g_param_spec_enum ("filter", "Row filter",
          "PNG row filter; the first row of each segment is always None or "
          "Sub; applies from the next image on", GST_TYPE_PNG_TILE_ENC_FILTER,
          DEFAULT_FILTER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_OUTPUT_BUFFER_SIZE,
      g_param_spec_uint ("output-buffer-size", "Output buffer size",
          "Bytes per output buffer, 1024 to 64 MiB (0 is not allowed): PNG "
          "data is pushed downstream whenever this many bytes are ready; the "
          "last buffer of an image is shorter; applies from the next image on",
          MIN_OUTPUT_BUFFER_SIZE, MAX_OUTPUT_BUFFER_SIZE,
          DEFAULT_OUTPUT_BUFFER_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Threads",
          "Threads that filter, compress and write segments, at most 64 "
          "and at most the image's segments (0 = one per core; 1 = all on "
          "the streaming thread); also the "
          "number of segments in flight, beyond which upstream waits; the "
          "output is the same for any value; applies from the next image "
          "on", 0,
          MAX_THREADS, DEFAULT_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SEGMENT_BYTES,
      g_param_spec_uint ("segment-bytes", "Segment bytes",
          "Bytes of filtered rows per segment, up to 256 MiB (0 = the whole "
          "image is one segment: no parallelism, no restart markers): the "
          "image is cut into segments of whole rows of at most this size "
          "(the first takes the rows left over: under twice this) that "
          "compress independently; applies from the next image on", 0,
          MAX_SEGMENT_BYTES, DEFAULT_SEGMENT_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_RESTART_MARKERS,
      g_param_spec_boolean ("restart-markers", "Restart markers",
          "Write a mARK chunk (PNG restart markers v0.1, one IDAT per "
          "segment) when an image has two segments or more, so that "
          "decoders can decode its segments in parallel; applies from the "
          "next image on", DEFAULT_RESTART_MARKERS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_HELD_BYTES,
      g_param_spec_uint64 ("held-bytes", "Held bytes",
          "Bytes this element holds now: the band of one tile row (grids "
          "only), the output buffer being filled, and the segments being "
          "filled or in flight (their rows, compressed data and the "
          "compressors' state); 0 between images", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
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
  gst_png_tile_enc_install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "PNG encoder from tiles", "Codec/Encoder/Image",
      "Encodes a stream of tiles (GstTileMeta) or whole frames into PNG, "
      "segments of rows compressed in parallel, holding at most one tile "
      "row and a few segments of the image", "gst-membound developers");

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
  self->output = gst_tile_output_new (self->sinkpad, self->srcpad);

  /* the writer's defaults are the properties' */
  gst_png_writer_settings_init (&self->settings.writer);
  self->settings.threads = DEFAULT_THREADS;
  self->settings.output_buffer_size = DEFAULT_OUTPUT_BUFFER_SIZE;
  self->segment_encoder =
      gst_png_segment_encoder_new (gst_png_tile_enc_write_segment, self);
  gst_tile_tracker_init (&self->tracker, GST_TILE_TRACKER_MODE_GRID);
  self->downstream_flow = GST_FLOW_OK;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
}
