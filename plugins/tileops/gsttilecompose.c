/* gst-membound: tilecompose
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-tilecompose
 * @title: tilecompose
 *
 * Puts the tiles of each image (buffers carrying a #GstTileMeta, as made by
 * pngtiledec) back together into one whole `video/x-raw` frame per image, for
 * elements that need whole frames.
 *
 * The whole frame is the one large allocation of a tiled pipeline, so it is
 * bounded twice: by the max-frame-bytes property (checked before anything is
 * allocated) and by the buffer pool negotiated downstream (#GstTileOutput),
 * which holds at most two frames plus downstream's own minimum: while
 * downstream holds them all, tilecompose blocks its upstream instead of
 * allocating another.
 *
 * A buffer without a #GstTileMeta is an error, not a whole frame to pass on:
 * elements that change geometry (videoscale, videoflip) drop the meta, and
 * guessing would silently turn every tile into a frame.
 *
 * |[
 * gst-launch-1.0 filesrc location=big.png ! pngtiledec ! tilecompose ! videoconvert ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gsttilecompose.h"

GST_DEBUG_CATEGORY_STATIC (gst_tile_compose_debug);
#define GST_CAT_DEFAULT gst_tile_compose_debug

#define DEFAULT_MAX_FRAME_BYTES (G_GUINT64_CONSTANT (1) << 30)
/* Frames in our pool: one being filled while downstream holds the previous. */
#define POOL_MAX_FRAMES 2

enum
{
  PROP_0,
  PROP_MAX_FRAME_BYTES,
  PROP_HELD_BYTES,
};

/* Formats whose planes are plain byte arrays with whole-byte pixel strides:
 * a tile's rectangle in every plane follows from the subsampling alone. */
#define TILE_COMPOSE_FORMATS "{ GRAY8, GRAY16_BE, GRAY16_LE, RGB, BGR, " \
    "RGBA, BGRA, ARGB, ABGR, RGBx, BGRx, xRGB, xBGR, RGBA64_BE, RGBA64_LE, " \
    "RGB16, BGR16, AYUV, v308, I420, YV12, Y41B, Y42B, Y444, NV12, NV21, " \
    "NV16, NV24, YUY2, UYVY, YVYU }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (TILE_COMPOSE_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (TILE_COMPOSE_FORMATS)));

G_DEFINE_TYPE (GstTileCompose, gst_tile_compose, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (tilecompose, "tilecompose", GST_RANK_NONE,
    GST_TYPE_TILE_COMPOSE);

/* --- The frame being composed --- */

/* Hands the frame back to its pool without pushing it. */
static void
gst_tile_compose_drop_frame (GstTileCompose * self)
{
  GstBuffer *buffer;

  if (!self->tracker.in_image)
    return;
  buffer = self->out_frame.buffer;
  gst_video_frame_unmap (&self->out_frame);
  gst_tile_output_drop (self->output, buffer);
  gst_tile_tracker_end (&self->tracker);
}

static void
gst_tile_compose_warn_incomplete (GstTileCompose * self, const gchar * why)
{
  const GstTileTracker *t = &self->tracker;
  gchar *file = gst_tile_tracker_describe_file (t->image_location);

  GST_ELEMENT_WARNING (self, STREAM, FORMAT,
      ("Image %" G_GUINT64_FORMAT "%s is incomplete and was dropped.",
          t->image_index, file),
      ("%s while tile (%u, %u) of a %u x %u grid was awaited; the upstream "
          "decoder probably skipped a damaged image", why, t->next_column,
          t->next_row, t->n_columns, t->n_rows));
  g_free (file);
  gst_tile_compose_drop_frame (self);
}

/* --- Negotiation --- */

/* Tile caps and frame caps differ only in their size. */
static GstCaps *
gst_tile_compose_caps_any_size (GstCaps * caps)
{
  guint i;

  caps = gst_caps_make_writable (caps);
  for (i = 0; i < gst_caps_get_size (caps); i++)
    gst_structure_remove_fields (gst_caps_get_structure (caps, i), "width",
        "height", NULL);
  return caps;
}

static GstCaps *
gst_tile_compose_query_other_caps (GstPad * pad, GstPad * other,
    GstCaps * filter)
{
  GstCaps *peer_filter = NULL, *peer, *templ, *result;

  if (filter)
    peer_filter = gst_tile_compose_caps_any_size (gst_caps_ref (filter));
  peer = gst_pad_peer_query_caps (other, peer_filter);
  gst_clear_caps (&peer_filter);

  peer = gst_tile_compose_caps_any_size (peer);
  templ = gst_pad_get_pad_template_caps (pad);
  result = gst_caps_intersect_full (templ, peer, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (templ);
  gst_caps_unref (peer);
  return result;
}

/* Sets the src caps and the frame pool for frames of @info, if they are not
 * set for that size and format already. */
static GstFlowReturn
gst_tile_compose_negotiate (GstTileCompose * self, const GstVideoInfo * info)
{
  GstCaps *caps;
  GstFlowReturn ret;
  gboolean reconfigure = gst_pad_check_reconfigure (self->srcpad);

  if (self->have_out_info && gst_video_info_is_equal (info, &self->out_info)
      && gst_tile_output_has_pool (self->output) && !reconfigure)
    return GST_FLOW_OK;

  caps = gst_video_info_to_caps (info);
  self->have_out_info = FALSE;
  if (!gst_tile_output_set_caps (self->output, caps)) {
    gst_caps_unref (caps);
    return GST_PAD_IS_FLUSHING (self->srcpad) ? GST_FLOW_FLUSHING :
        GST_FLOW_NOT_NEGOTIATED;
  }
  ret = gst_tile_output_negotiate_pool (self->output, caps,
      GST_VIDEO_INFO_SIZE (info), POOL_MAX_FRAMES);
  gst_caps_unref (caps);
  self->out_info = *info;
  self->have_out_info = ret == GST_FLOW_OK;
  return ret;
}

/* --- Tiles --- */

static GstFlowReturn
gst_tile_compose_bad_tile (GstTileCompose * self, const GstTileMeta * meta,
    const gchar * what)
{
  const GstTileTracker *t = &self->tracker;
  gchar *file = gst_tile_tracker_describe_file (t->location);

  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("Tile (%u, %u) of image %" G_GUINT64_FORMAT "%s does not fit: %s.",
          meta->column, meta->row, meta->image_index, file, what),
      ("tile at %u,%u valid %ux%u in a %ux%u image, grid %u x %u, tile caps "
          "%dx%d; expected tile (%u, %u) at %u,%u", meta->x, meta->y,
          meta->width, meta->height, meta->image_width, meta->image_height,
          meta->n_columns, meta->n_rows, GST_VIDEO_INFO_WIDTH (&self->in_info),
          GST_VIDEO_INFO_HEIGHT (&self->in_info), t->next_column,
          t->next_row, t->next_x, t->row_y));
  g_free (file);
  return GST_FLOW_ERROR;
}

/* The largest subsampling of any component in @plane, and that component's
 * pixel stride: together they give the bytes of a run of pixels in packed
 * 4:2:2 as well as in planar formats. */
static void
gst_tile_compose_plane_unit (const GstVideoFormatInfo * finfo, guint plane,
    guint * w_sub, guint * h_sub, guint * pstride)
{
  guint c;

  *w_sub = *h_sub = *pstride = 0;
  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) != plane)
      continue;
    if (*pstride == 0 || GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c) > *w_sub) {
      *w_sub = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
      *pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
    }
    *h_sub = MAX (*h_sub, (guint) GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c));
  }
}

/* Tiles of subsampled formats must start on whole chroma samples. */
static gboolean
gst_tile_compose_aligned (const GstVideoFormatInfo * finfo, guint x, guint y)
{
  guint c;

  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    guint wmask = (1u << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c)) - 1;
    guint hmask = (1u << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c)) - 1;

    if ((x & wmask) || (y & hmask))
      return FALSE;
  }
  return TRUE;
}

/* Checks that @meta is the next tile of the image being composed: tiles come
 * row-major, rows tile the image from top to bottom and columns from left to
 * right without gaps or overlap, and the last ones end at the image edge. */
static GstFlowReturn
gst_tile_compose_check_tile (GstTileCompose * self, const GstTileMeta * meta)
{
  GstTileTrackerFaults faults = gst_tile_tracker_check (&self->tracker, meta,
      GST_VIDEO_INFO_WIDTH (&self->in_info),
      GST_VIDEO_INFO_HEIGHT (&self->in_info));

  if (faults & (GST_TILE_TRACKER_FAULT_IMAGE | GST_TILE_TRACKER_FAULT_GRID))
    return gst_tile_compose_bad_tile (self, meta,
        "its image or grid differs from the image being composed");
  if (faults & GST_TILE_TRACKER_FAULT_ORDER)
    return gst_tile_compose_bad_tile (self, meta, "tiles are out of order");
  if (faults & GST_TILE_TRACKER_FAULT_POSITION)
    return gst_tile_compose_bad_tile (self, meta,
        "its position leaves a gap or an overlap");
  if (faults & GST_TILE_TRACKER_FAULT_REGION)
    return gst_tile_compose_bad_tile (self, meta,
        "its valid region is empty or larger than the tile caps");
  if (faults & GST_TILE_TRACKER_FAULT_OUTSIDE)
    return gst_tile_compose_bad_tile (self, meta, "it reaches past the image");
  if (faults & GST_TILE_TRACKER_FAULT_ROW_HEIGHT)
    return gst_tile_compose_bad_tile (self, meta,
        "its height differs from the other tiles of its row");
  /* a column that ends early would leave a hole in every row of the frame */
  if (faults & (GST_TILE_TRACKER_FAULT_EDGE |
          GST_TILE_TRACKER_FAULT_EARLY_EDGE))
    return gst_tile_compose_bad_tile (self, meta,
        "the grid does not end at the image edge");
  if (faults & GST_TILE_TRACKER_FAULT_LAST_FLAG)
    return gst_tile_compose_bad_tile (self, meta,
        "its last-of-image flag disagrees with the grid");
  if (!gst_tile_compose_aligned (self->in_info.finfo, meta->x, meta->y))
    return gst_tile_compose_bad_tile (self, meta,
        "it does not start on a chroma sample of this subsampled format");
  if (GST_VIDEO_INFO_FORMAT (&self->in_info) !=
      GST_VIDEO_INFO_FORMAT (&self->out_info))
    return gst_tile_compose_bad_tile (self, meta,
        "the format changed in the middle of the image");
  return GST_FLOW_OK;
}

static void
gst_tile_compose_copy_tile (GstTileCompose * self, GstVideoFrame * tile,
    const GstTileMeta * meta)
{
  const GstVideoFormatInfo *finfo = self->out_info.finfo;
  guint p;

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (tile); p++) {
    guint w_sub, h_sub, pstride, rows, r;
    gsize row_bytes;
    gint sstride = GST_VIDEO_FRAME_PLANE_STRIDE (tile, p);
    gint dstride = GST_VIDEO_FRAME_PLANE_STRIDE (&self->out_frame, p);
    const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (tile, p);
    guint8 *dst = GST_VIDEO_FRAME_PLANE_DATA (&self->out_frame, p);

    gst_tile_compose_plane_unit (finfo, p, &w_sub, &h_sub, &pstride);
    row_bytes = (gsize) GST_VIDEO_SUB_SCALE (w_sub, meta->width) * pstride;
    rows = GST_VIDEO_SUB_SCALE (h_sub, meta->height);
    dst += (gsize) (meta->y >> h_sub) * dstride +
        (gsize) (meta->x >> w_sub) * pstride;
    for (r = 0; r < rows; r++)
      memcpy (dst + (gsize) r * dstride, src + (gsize) r * sstride, row_bytes);
  }
}

static GstFlowReturn
gst_tile_compose_frame_too_large (GstTileCompose * self,
    const GstTileMeta * meta, guint64 bytes, guint64 limit)
{
  const gchar *format = gst_video_format_to_string (GST_VIDEO_INFO_FORMAT
      (&self->in_info));
  gchar *file = gst_tile_tracker_describe_file (self->tracker.location);

  if (bytes == 0) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Image %" G_GUINT64_FORMAT "%s (%ux%u %s) is too large for one "
            "frame.", meta->image_index, file, meta->image_width,
            meta->image_height, format),
        ("GStreamer cannot describe a frame of 4 GiB or more; keep this image "
            "tiled (tilescale, pngtileenc) instead of composing it"));
  } else {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Image %" G_GUINT64_FORMAT "%s (%ux%u %s) needs a %"
            G_GUINT64_FORMAT "-byte frame, more than max-frame-bytes=%"
            G_GUINT64_FORMAT ".", meta->image_index, file, meta->image_width,
            meta->image_height, format, bytes, limit),
        ("raise max-frame-bytes (0 = no limit) or keep the image tiled"));
  }
  g_free (file);
  return GST_FLOW_ERROR;
}

/* The frame of the image whose first tile is @meta, in the tiles' format:
 * its size is checked from that tile, before anything is allocated. */
static GstFlowReturn
gst_tile_compose_frame_info (GstTileCompose * self, const GstTileMeta * meta,
    GstVideoInfo * out)
{
  const GstVideoInfo *in = &self->in_info;
  guint64 limit;

  GST_OBJECT_LOCK (self);
  limit = self->max_frame_bytes;
  GST_OBJECT_UNLOCK (self);
  gst_video_info_init (out);
  /* the pool takes a guint size */
  if (meta->image_width > G_MAXINT || meta->image_height > G_MAXINT
      || !gst_video_info_set_format (out, GST_VIDEO_INFO_FORMAT (in),
          meta->image_width, meta->image_height)
      || GST_VIDEO_INFO_SIZE (out) > G_MAXUINT)
    return gst_tile_compose_frame_too_large (self, meta, 0, limit);
  if (limit > 0 && GST_VIDEO_INFO_SIZE (out) > limit)
    return gst_tile_compose_frame_too_large (self, meta,
        GST_VIDEO_INFO_SIZE (out), limit);
  out->fps_n = in->fps_n;
  out->fps_d = in->fps_d;
  out->par_n = in->par_n;
  out->par_d = in->par_d;
  out->colorimetry = in->colorimetry;
  out->chroma_site = in->chroma_site;
  return GST_FLOW_OK;
}

/* Takes a frame from the pool and maps it; blocks while downstream holds
 * every frame of the pool. */
static GstFlowReturn
gst_tile_compose_acquire_frame (GstTileCompose * self, guint64 image_index)
{
  GstBuffer *frame = NULL;
  GstFlowReturn ret = gst_tile_output_acquire (self->output, &frame);

  if (ret != GST_FLOW_OK)
    return ret;
  if (!gst_video_frame_map (&self->out_frame, &self->out_info, frame,
          GST_MAP_WRITE)) {
    gst_tile_output_drop (self->output, frame);
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not map the frame for image %" G_GUINT64_FORMAT ".",
            image_index), (NULL));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* Starts composing the image whose first tile is @tile. */
static GstFlowReturn
gst_tile_compose_begin_image (GstTileCompose * self, GstBuffer * tile,
    const GstTileMeta * meta)
{
  GstBuffer *frame;
  GstVideoInfo info;
  GstFlowReturn ret;

  if (meta->image_width == 0 || meta->image_height == 0
      || meta->n_columns == 0 || meta->n_rows == 0 || meta->column != 0
      || meta->row != 0 || meta->x != 0 || meta->y != 0)
    return gst_tile_compose_bad_tile (self, meta,
        "a first tile must be tile (0, 0) of a non-empty image");

  ret = gst_tile_compose_frame_info (self, meta, &info);
  if (ret == GST_FLOW_OK)
    ret = gst_tile_compose_negotiate (self, &info);
  if (ret == GST_FLOW_OK)
    ret = gst_tile_compose_acquire_frame (self, meta->image_index);
  if (ret != GST_FLOW_OK)
    return ret;

  frame = self->out_frame.buffer;
  GST_BUFFER_PTS (frame) = GST_BUFFER_PTS (tile);
  GST_BUFFER_DTS (frame) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (frame) = GST_BUFFER_DURATION (tile);
  GST_BUFFER_OFFSET (frame) = meta->image_index;
  GST_BUFFER_OFFSET_END (frame) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_FLAG_UNSET (frame, GST_BUFFER_FLAG_DELTA_UNIT);

  gst_tile_tracker_begin (&self->tracker, meta);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_tile_compose_finish_image (GstTileCompose * self)
{
  GstBuffer *frame = self->out_frame.buffer;

  gst_video_frame_unmap (&self->out_frame);
  gst_tile_tracker_end (&self->tracker);
  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT " complete, pts %"
      GST_TIME_FORMAT, self->tracker.image_index,
      GST_TIME_ARGS (GST_BUFFER_PTS (frame)));
  return gst_tile_output_push (self->output, frame);
}

static GstFlowReturn
gst_tile_compose_add_tile (GstTileCompose * self, GstBuffer * tile,
    const GstTileMeta * meta)
{
  GstVideoFrame in_frame;
  GstFlowReturn ret;

  ret = gst_tile_compose_check_tile (self, meta);
  if (ret != GST_FLOW_OK)
    return ret;
  if (!gst_video_frame_map (&in_frame, &self->in_info, tile, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Tile (%u, %u) of image %" G_GUINT64_FORMAT " is smaller than its "
            "caps say.", meta->column, meta->row, meta->image_index),
        ("buffer of %" G_GSIZE_FORMAT " bytes, caps need %" G_GSIZE_FORMAT,
            gst_buffer_get_size (tile), GST_VIDEO_INFO_SIZE (&self->in_info)));
    return GST_FLOW_ERROR;
  }
  gst_tile_compose_copy_tile (self, &in_frame, meta);
  gst_video_frame_unmap (&in_frame);
  gst_tile_tracker_advance (&self->tracker, meta);

  if (gst_tile_meta_is_last (meta))
    return gst_tile_compose_finish_image (self);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_tile_compose_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstTileCompose *self = GST_TILE_COMPOSE (parent);
  GstTileMeta *meta = gst_buffer_get_tile_meta (buffer);
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->have_in_info) {
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!meta) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("A buffer has no tile meta (GstTileMeta); tilecompose only takes "
            "tile streams."),
        ("offset %" G_GUINT64_FORMAT "; an element between the tile producer "
            "and tilecompose that changes geometry (videoscale, videoflip) "
            "drops the meta: move it after tilecompose",
            GST_BUFFER_OFFSET (buffer)));
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  switch (gst_tile_tracker_next (&self->tracker, meta)) {
    case GST_TILE_TRACKER_BEGIN_AFTER_INCOMPLETE:
      gst_tile_compose_warn_incomplete (self, "a new image began");
      /* fall through */
    case GST_TILE_TRACKER_BEGIN:
      ret = gst_tile_compose_begin_image (self, buffer, meta);
      break;
    case GST_TILE_TRACKER_ORPHAN:
      ret = gst_tile_compose_bad_tile (self, meta,
          "it is not the first tile of an image, and no image was begun");
      break;
    case GST_TILE_TRACKER_CONTINUE:
    case GST_TILE_TRACKER_STRAY:
      /* a tile of another image is an error, named by check_tile() */
      break;
  }
  if (ret == GST_FLOW_OK)
    ret = gst_tile_compose_add_tile (self, buffer, meta);
  if (ret != GST_FLOW_OK)
    gst_tile_compose_drop_frame (self);

  gst_buffer_unref (buffer);
  return ret;
}

/* --- Events and queries --- */

static gboolean
gst_tile_compose_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstTileCompose *self = GST_TILE_COMPOSE (parent);

  /* names the files of the images that follow in messages */
  gst_tile_tracker_take_event (&self->tracker, event);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstVideoInfo info;
      gboolean ok;

      /* Tile caps are not frame caps: ours follow from the first tile. */
      gst_event_parse_caps (event, &caps);
      ok = gst_video_info_from_caps (&info, caps);
      if (ok) {
        self->in_info = info;
        self->have_in_info = TRUE;
      } else {
        GST_WARNING_OBJECT (self, "invalid tile caps %" GST_PTR_FORMAT, caps);
      }
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_FLUSH_STOP:
      gst_tile_compose_drop_frame (self);
      break;
    case GST_EVENT_EOS:
      if (self->tracker.in_image)
        gst_tile_compose_warn_incomplete (self, "the stream ended");
      break;
    default:
      break;
  }
  /* Segment and tags wait for the first frame's caps, which follow from the
   * first tile; flushes wake a chain waiting for a frame. */
  if (gst_tile_output_hold_event (self->output, event))
    return TRUE;
  return gst_pad_event_default (pad, parent, event);
}

/* The query function of both pads. */
static gboolean
gst_tile_compose_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstTileCompose *self = GST_TILE_COMPOSE (parent);
  GstPad *other = pad == self->sinkpad ? self->srcpad : self->sinkpad;
  GstCaps *filter;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
      gst_query_parse_caps (query, &filter);
      gst_tile_tracker_set_caps_result (query,
          gst_tile_compose_query_other_caps (pad, other, filter));
      return TRUE;
    case GST_QUERY_ALLOCATION:
      if (pad != self->sinkpad)
        break;
      gst_tile_tracker_propose_allocation (query, FALSE);
      return TRUE;
    default:
      break;
  }
  return gst_pad_query_default (pad, parent, query);
}

static void
gst_tile_compose_reset (GstTileCompose * self)
{
  gst_tile_compose_drop_frame (self);
  gst_tile_output_reset (self->output);
  self->have_in_info = FALSE;
  self->have_out_info = FALSE;
  gst_tile_tracker_clear (&self->tracker);
}

static GstStateChangeReturn
gst_tile_compose_change_state (GstElement * element, GstStateChange transition)
{
  GstTileCompose *self = GST_TILE_COMPOSE (element);
  GstStateChangeReturn ret;

  /* Wake a chain blocked on the pool before the pads deactivate and wait
   * for it; the reset below ends the flushing. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_tile_output_set_flushing (self->output, TRUE);

  ret = GST_ELEMENT_CLASS (gst_tile_compose_parent_class)->change_state
      (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_tile_compose_reset (self);
  return ret;
}

/* --- GObject and GstElement --- */

static void
gst_tile_compose_finalize (GObject * object)
{
  GstTileCompose *self = GST_TILE_COMPOSE (object);

  gst_tile_output_unref (self->output);
  gst_tile_tracker_clear (&self->tracker);
  G_OBJECT_CLASS (gst_tile_compose_parent_class)->finalize (object);
}

static void
gst_tile_compose_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstTileCompose *self = GST_TILE_COMPOSE (object);

  switch (prop_id) {
    case PROP_MAX_FRAME_BYTES:
      GST_OBJECT_LOCK (self);
      self->max_frame_bytes = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_tile_compose_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstTileCompose *self = GST_TILE_COMPOSE (object);

  switch (prop_id) {
    case PROP_MAX_FRAME_BYTES:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->max_frame_bytes);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_HELD_BYTES:
      g_value_set_uint64 (value,
          gst_tile_output_get_held_bytes (self->output));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_tile_compose_class_init (GstTileComposeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_tile_compose_set_property;
  gobject_class->get_property = gst_tile_compose_get_property;
  gobject_class->finalize = gst_tile_compose_finalize;

  g_object_class_install_property (gobject_class, PROP_MAX_FRAME_BYTES,
      g_param_spec_uint64 ("max-frame-bytes", "Maximum frame bytes",
          "Largest whole frame to compose, in bytes; a larger image is an "
          "error naming its index (0 = no limit beyond GstVideoInfo's own "
          "4 GiB)", 0, G_MAXUINT64, DEFAULT_MAX_FRAME_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_HELD_BYTES,
      g_param_spec_uint64 ("held-bytes", "Held bytes",
          "Size of the frame being composed right now, in bytes (0 = no "
          "image in progress)", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Tile composer", "Filter/Converter/Video",
      "Assembles the tiles of each image (GstTileMeta) into one whole frame",
      "gst-membound developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_tile_compose_change_state);

  GST_DEBUG_CATEGORY_INIT (gst_tile_compose_debug, "tilecompose", 0,
      "Tiles to whole frames");
}

static void
gst_tile_compose_init (GstTileCompose * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_tile_compose_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_tile_compose_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_tile_compose_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_tile_compose_query));
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->output = gst_tile_output_new (self->sinkpad, self->srcpad);
  self->max_frame_bytes = DEFAULT_MAX_FRAME_BYTES;
  gst_tile_tracker_init (&self->tracker, GST_TILE_TRACKER_MODE_GRID);
}
