/* gst-membound: deepzoomsink
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-deepzoomsink
 * @title: deepzoomsink
 *
 * Writes a tile stream (buffers with a #GstTileMeta, as pngtiledec makes
 * them) as a Deep Zoom (DZI) pyramid, the layout libvips' dzsave writes and
 * OpenSeadragon reads: `NAME.dzi` plus `NAME_files/LEVEL/COLUMN_ROW.SUFFIX`.
 * The levels are made in one pass by 2 x 2 box averaging; each level holds
 * only the rows its current tile row needs, never a whole level, and each
 * tile is written as soon as its rows are in. The .dzi is written last,
 * atomically, once every tile of the image is on disk: a pyramid with a
 * .dzi is complete.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 filesrc location=big.png ! pngtiledec ! deepzoomsink location=big.dzi
 * gst-launch-1.0 filesrc location=big.png ! pngtiledec ! queue ! deepzoomsink location=big.dzi format=png
 * gst-launch-1.0 seqfilesrc location="scans/%04d.png" ! pngtiledec ! deepzoomsink location="web/scan-%04d.dzi"
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdeepzoomsink.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

GST_DEBUG_CATEGORY_STATIC (gst_deep_zoom_sink_debug);
#define GST_CAT_DEFAULT gst_deep_zoom_sink_debug

#define DEEP_ZOOM_FORMATS "{ GRAY8, GRAY16_BE, RGB, RGBA, RGBA64_BE }"

/* libvips dzsave's defaults, so that the same files come out. */
#define DEFAULT_TILE_SIZE 254
#define DEFAULT_OVERLAP 1
#define DEFAULT_FORMAT GST_DEEP_ZOOM_FORMAT_JPEG
#define DEFAULT_QUALITY 75
#define DEFAULT_COMPRESSION_LEVEL 2
#define DEFAULT_THREADS 0
#define MAX_TILE_SIZE 8192
#define MAX_THREADS 64
/* tile jobs waiting for an encoder thread, at most (see queued_tiles) */
#define MAX_QUEUED_BYTES (16 << 20)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_TILE_SIZE,
  PROP_OVERLAP,
  PROP_FORMAT,
  PROP_QUALITY,
  PROP_COMPRESSION_LEVEL,
  PROP_THREADS,
  PROP_HELD_BYTES,
  PROP_MESSAGE_INTERVAL,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (DEEP_ZOOM_FORMATS)));

G_DEFINE_TYPE (GstDeepZoomSink, gst_deep_zoom_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (deepzoomsink, "deepzoomsink", GST_RANK_NONE,
    GST_TYPE_DEEP_ZOOM_SINK);

/* ------------------------------------------------------------------------ */
/* Locations                                                                */
/* ------------------------------------------------------------------------ */

/* Finds the one integer conversion of @location ("%d", "%05d"); "%%" is a
 * literal %. Returns the number of conversions, or -1 (with @why) if the
 * pattern has another conversion. */
static gint
gst_deep_zoom_parse_location (const gchar * location, gsize * start,
    gsize * end, guint * width, const gchar ** why)
{
  const gchar *p = location;
  gint n = 0;

  while ((p = strchr (p, '%'))) {
    const gchar *q = p + 1;
    guint64 w = 0;

    if (*q == '%') {
      p = q + 1;
      continue;
    }
    while (g_ascii_isdigit (*q))
      w = w * 10 + (*q++ - '0');
    if (*q != 'd' || w > 20) {
      *why = "only one integer conversion such as %d or %05d is allowed "
          "(and %% for a literal %)";
      return -1;
    }
    *start = p - location;
    *end = q + 1 - location;
    *width = w;
    n++;
    p = q + 1;
  }
  if (n > 1) {
    *why = "it has more than one conversion; one %d numbers the images";
    return -1;
  }
  return n;
}

/* The .dzi path of image @index. */
static gchar *
gst_deep_zoom_format_location (const gchar * location, guint64 index)
{
  gsize start = 0, end = 0;
  guint width = 0;
  const gchar *why;
  GString *path;

  if (gst_deep_zoom_parse_location (location, &start, &end, &width, &why) < 1)
    start = end = strlen (location);
  path = g_string_new_len (location, start);
  if (end > start)
    g_string_append_printf (path, "%0*" G_GUINT64_FORMAT, width, index);
  g_string_append (path, location + end);
  /* the number holds no %: what is left to unescape is the pattern's "%%" */
  g_string_replace (path, "%%", "%", 0);
  return g_string_free (path, FALSE);
}

/* NAME.dzi -> NAME_files, as libvips names it. */
static gchar *
gst_deep_zoom_files_dir (const gchar * dzi_path)
{
  gsize len = strlen (dzi_path);

  if (len > 4 && g_ascii_strcasecmp (dzi_path + len - 4, ".dzi") == 0)
    len -= 4;
  return g_strdup_printf ("%.*s_files", (int) len, dzi_path);
}

/* ------------------------------------------------------------------------ */
/* Held bytes and messages                                                  */
/* ------------------------------------------------------------------------ */

static void
gst_deep_zoom_sink_update_held (GstDeepZoomSink * self)
{
  guint64 held = self->levels.held_bytes;

  if (self->workers)
    held += gst_deep_zoom_workers_held_bytes (self->workers);
  GST_OBJECT_LOCK (self);
  self->held_bytes = held;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_deep_zoom_sink_post_progress (GstDeepZoomSink * self, guint level,
    guint tile_row)
{
  gst_message_throttle_post (self->progress_throttle, GST_ELEMENT (self),
      gst_structure_new ("deepzoomsink-progress",
          "image-index", G_TYPE_UINT64, self->tracker.image_index,
          "location", G_TYPE_STRING, self->dzi_path,
          "level", G_TYPE_UINT, level,
          "tile-row", G_TYPE_UINT, tile_row,
          "tile-rows", G_TYPE_UINT, self->levels.levels[level].n_rows,
          "tiles-written", G_TYPE_UINT64, self->tiles_written,
          "tiles", G_TYPE_UINT64, self->tiles_total, NULL));
}

static void
gst_deep_zoom_sink_post_written (GstDeepZoomSink * self)
{
  gst_message_throttle_post (self->image_throttle, GST_ELEMENT (self),
      gst_structure_new ("deepzoomsink-written",
          "image-index", G_TYPE_UINT64, self->tracker.image_index,
          "location", G_TYPE_STRING, self->dzi_path,
          "width", G_TYPE_UINT, self->tracker.image_width,
          "height", G_TYPE_UINT, self->tracker.image_height,
          "levels", G_TYPE_UINT, self->levels.n_levels,
          "tiles", G_TYPE_UINT64, self->tiles_written, NULL));
}

/* ------------------------------------------------------------------------ */
/* Images                                                                   */
/* ------------------------------------------------------------------------ */

static void
gst_deep_zoom_sink_release_image (GstDeepZoomSink * self)
{
  g_clear_pointer (&self->workers, gst_deep_zoom_workers_free);
  gst_deep_zoom_levels_clear (&self->levels);
  g_clear_pointer (&self->dzi_path, g_free);
  g_clear_pointer (&self->files_dir, g_free);
  gst_tile_tracker_end (&self->tracker);
  gst_deep_zoom_sink_update_held (self);
}

/* The tiles written so far stay: a pyramid without its .dzi is visibly
 * unfinished, and the next run overwrites them. */
static void
gst_deep_zoom_sink_drop_incomplete (GstDeepZoomSink * self, const gchar * why)
{
  guint64 index = self->tracker.image_index;
  gchar *file = gst_tile_tracker_describe_file (self->tracker.image_location);

  GST_ELEMENT_WARNING (self, STREAM, DECODE,
      ("Image %" G_GUINT64_FORMAT "%s is incomplete: its pyramid %s was not "
          "finished", index, file, self->dzi_path),
      ("%s after %u of %u rows; no .dzi was written, the %" G_GUINT64_FORMAT
          " tiles written stay in %s", why, self->tracker.row_y,
          self->tracker.image_height, self->tiles_written, self->files_dir));
  g_free (file);
  gst_deep_zoom_sink_release_image (self);
}

/* Removes an old .dzi first, so that while its tiles are being replaced no
 * file claims the pyramid is complete, then makes every level directory. */
static gboolean
gst_deep_zoom_sink_prepare_dirs (GstDeepZoomSink * self, guint n_levels)
{
  guint i;

  if (g_unlink (self->dzi_path) != 0 && errno != ENOENT) {
    int err = errno;

    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not replace the pyramid \"%s\".", self->dzi_path),
        ("removing the old .dzi failed: %s", g_strerror (err)));
    return FALSE;
  }
  for (i = 0; i < n_levels; i++) {
    gchar *dir = g_strdup_printf ("%s/%u", self->files_dir, i);

    if (g_mkdir_with_parents (dir, 0777) != 0) {
      int err = errno;

      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
          ("Could not create the tile directory \"%s\".", dir),
          ("%s; check that the directory of location is writable",
              g_strerror (err)));
      g_free (dir);
      return FALSE;
    }
    g_free (dir);
  }
  return TRUE;
}

static gboolean gst_deep_zoom_sink_write_tile_row (gpointer user_data,
    guint level, guint tile_row);

/* Tiles that may wait for an encoder thread: a row of tiles of the top
 * level, so that the burst of tiles one input row completes is encoded
 * while the next rows come in; at most MAX_QUEUED_BYTES of them, past which
 * (very wide images) the streaming thread encodes part of the burst. */
static guint
gst_deep_zoom_sink_queued_tiles (GstDeepZoomSink * self, guint tile_width,
    guint tile_height)
{
  guint columns = self->levels.levels[self->levels.n_levels - 1].n_columns;
  gsize job = gst_deep_zoom_tile_job_bytes (tile_width, tile_height,
      GST_VIDEO_INFO_FORMAT (&self->info));

  return MIN (columns, MAX (MAX_QUEUED_BYTES / job, 1));
}

static gboolean
gst_deep_zoom_sink_begin_image (GstDeepZoomSink * self,
    const GstTileMeta * meta)
{
  guint W = meta->image_width, H = meta->image_height, edge, threads;
  GstDeepZoomPixels px = {
    .sample_bytes = GST_VIDEO_INFO_COMP_DEPTH (&self->info, 0) > 8 ? 2 : 1,
    .channels = GST_VIDEO_INFO_N_COMPONENTS (&self->info),
    .has_alpha = GST_VIDEO_INFO_HAS_ALPHA (&self->info),
  };
  gsize start, end;
  guint width;
  const gchar *why;

  if (!gst_tile_tracker_begin_image (&self->tracker, GST_ELEMENT (self), meta))
    return FALSE;
  g_free (self->image.location);
  GST_OBJECT_LOCK (self);
  self->image = self->settings;
  self->image.location = g_strdup (self->settings.location);
  GST_OBJECT_UNLOCK (self);

  if (self->images_begun++ > 0 && gst_deep_zoom_parse_location
      (self->image.location, &start, &end, &width, &why) == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Image %" G_GUINT64_FORMAT " would overwrite the pyramid \"%s\".",
            meta->image_index, self->image.location),
        ("the stream holds more than one image: put a %%d for the image "
            "index in location"));
    return FALSE;
  }
  self->dzi_path = gst_deep_zoom_format_location (self->image.location,
      meta->image_index);
  self->files_dir = gst_deep_zoom_files_dir (self->dzi_path);

  edge = self->image.tile_size + 2 * self->image.overlap;
  if (!gst_deep_zoom_levels_init (&self->levels, W, H, self->image.tile_size,
          self->image.overlap, GST_VIDEO_INFO_HEIGHT (&self->info), &px,
          gst_deep_zoom_sink_write_tile_row, self)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Cannot allocate the level rows for image %" G_GUINT64_FORMAT
            " (%ux%u)", meta->image_index, W, H),
        ("%" G_GUINT64_FORMAT " bytes needed; use a smaller tile-size",
            self->levels.held_bytes));
    return FALSE;
  }
  if (!gst_deep_zoom_sink_prepare_dirs (self, self->levels.n_levels))
    return FALSE;
  threads = self->image.threads ? self->image.threads :
      g_get_num_processors ();
  self->workers = gst_deep_zoom_workers_new (threads - 1,
      gst_deep_zoom_sink_queued_tiles (self, MIN (edge, W), MIN (edge, H)),
      MIN (edge, W), MIN (edge, H), GST_VIDEO_INFO_FORMAT (&self->info),
      &self->image.tiles);
  self->tiles_written = 0;
  self->tiles_total = gst_deep_zoom_levels_n_tiles (&self->levels);
  gst_deep_zoom_sink_update_held (self);
  GST_DEBUG_OBJECT (self, "image %" G_GUINT64_FORMAT " %ux%u -> %s, %u "
      "levels, %" G_GUINT64_FORMAT " tiles, %u threads", meta->image_index,
      W, H, self->dzi_path, self->levels.n_levels, self->tiles_total,
      threads);
  return TRUE;
}

/* Posts a write error (taking @text and @debug): a full disk or a file size
 * limit reads as "no space left". */
static void
gst_deep_zoom_sink_write_error (GstDeepZoomSink * self, gboolean no_space,
    gchar * text, gchar * debug)
{
  GST_WARNING_OBJECT (self, "error: %s (%s)", text, debug);
  gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR,
      GST_RESOURCE_ERROR, no_space ? GST_RESOURCE_ERROR_NO_SPACE_LEFT :
      GST_RESOURCE_ERROR_WRITE, text, debug, __FILE__, GST_FUNCTION,
      __LINE__);
}

/* Names the tile that could not be written and why. */
static void
gst_deep_zoom_sink_tile_failed (GstDeepZoomSink * self)
{
  const GstDeepZoomTileJob *job =
      gst_deep_zoom_workers_failure (self->workers);
  gchar *file = gst_tile_tracker_describe_file (self->tracker.image_location);

  gst_deep_zoom_sink_write_error (self, job->errno_value == ENOSPC
      || job->errno_value == EFBIG || job->errno_value == EDQUOT,
      g_strdup_printf ("Could not write the tile \"%s\" of image %"
          G_GUINT64_FORMAT "%s.", job->path, self->tracker.image_index, file),
      g_strdup_printf ("%s; the pyramid %s stays without its .dzi",
          job->error_text, self->dzi_path));
  g_free (file);
}

/* Copies the tile out of the level's rows into a job and submits it. */
static gboolean
gst_deep_zoom_sink_submit_tile (GstDeepZoomSink * self, guint level,
    guint column, guint row)
{
  const GstDeepZoomLevel *l = &self->levels.levels[level];
  gsize pixel_bytes = l->stride / l->width;
  GstDeepZoomTileJob *job = gst_deep_zoom_workers_acquire (self->workers);
  guint x, y, w, h, i;

  if (!job)
    return FALSE;
  gst_deep_zoom_level_tile_rect (&self->levels, level, column, row, &x, &y,
      &w, &h);
  job->width = w;
  job->height = h;
  job->stride = w * pixel_bytes;
  for (i = 0; i < h; i++)
    memcpy (job->pixels + i * job->stride,
        gst_deep_zoom_level_row (l, y + i) + x * pixel_bytes, job->stride);
  g_free (job->path);
  job->path = g_strdup_printf ("%s/%u/%u_%u.%s", self->files_dir, level,
      column, row, gst_deep_zoom_format_suffix (self->image.tiles.format));
  gst_deep_zoom_workers_submit (self->workers, job);
  return TRUE;
}

static gboolean
gst_deep_zoom_sink_write_tile_row (gpointer user_data, guint level,
    guint tile_row)
{
  GstDeepZoomSink *self = user_data;
  guint c, n = self->levels.levels[level].n_columns;

  for (c = 0; c < n; c++) {
    if (!gst_deep_zoom_sink_submit_tile (self, level, c, tile_row)) {
      gst_deep_zoom_sink_tile_failed (self);
      return FALSE;
    }
  }
  self->tiles_written += n;
  gst_deep_zoom_sink_post_progress (self, level, tile_row);
  return TRUE;
}

static gchar *
gst_deep_zoom_dzi_text (GstDeepZoomSink * self)
{
  return g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Image xmlns=\"http://schemas.microsoft.com/deepzoom/2008\"\n"
      "  Format=\"%s\"\n  Overlap=\"%u\"\n  TileSize=\"%u\"\n  >\n"
      "  <Size \n    Height=\"%u\"\n    Width=\"%u\"\n  />\n</Image>\n",
      gst_deep_zoom_format_suffix (self->image.tiles.format),
      self->image.overlap, self->image.tile_size,
      self->tracker.image_height, self->tracker.image_width);
}

/* Every tile is on disk: the .dzi goes last, through a temporary file and a
 * rename, so it appears whole or not at all. */
static gboolean
gst_deep_zoom_sink_finish_image (GstDeepZoomSink * self)
{
  gchar *text;
  GError *error = NULL;
  gboolean ok;

  if (!gst_deep_zoom_workers_wait (self->workers)) {
    gst_deep_zoom_sink_tile_failed (self);
    return FALSE;
  }
  g_assert (gst_deep_zoom_levels_done (&self->levels));
  text = gst_deep_zoom_dzi_text (self);
  ok = g_file_set_contents_full (self->dzi_path, text, -1,
      G_FILE_SET_CONTENTS_CONSISTENT, 0666, &error);
  g_free (text);
  if (!ok) {
    gst_deep_zoom_sink_write_error (self,
        g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC),
        g_strdup_printf ("Could not write the pyramid \"%s\".",
            self->dzi_path),
        g_strdup_printf ("%s; every tile is in %s", error->message,
            self->files_dir));
    g_error_free (error);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "wrote %s: %" G_GUINT64_FORMAT " tiles",
      self->dzi_path, self->tiles_written);
  gst_deep_zoom_sink_post_written (self);
  gst_deep_zoom_sink_release_image (self);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Tiles                                                                    */
/* ------------------------------------------------------------------------ */

/* Copies the tile into the top level's rows; a finished tile row is handed
 * down the levels, which writes every tile it completes. */
static GstFlowReturn
gst_deep_zoom_sink_take_tile (GstDeepZoomSink * self,
    const GstTileMeta * meta, GstBuffer * buf)
{
  GstVideoFrame frame;
  gsize pixel_bytes, row_bytes;
  guint i;

  if (!gst_tile_tracker_map_tile (&self->tracker, GST_ELEMENT (self), meta,
          &self->info, buf, &frame))
    return GST_FLOW_ERROR;
  pixel_bytes = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, 0);
  row_bytes = meta->width * pixel_bytes;
  for (i = 0; i < meta->height; i++)
    memcpy (gst_deep_zoom_levels_input_row (&self->levels, meta->y + i) +
        meta->x * pixel_bytes, (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame,
            0) + i * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), row_bytes);
  gst_video_frame_unmap (&frame);

  if (meta->x + meta->width == meta->image_width &&
      !gst_deep_zoom_levels_commit (&self->levels, meta->height))
    return GST_FLOW_ERROR;
  if (gst_tile_tracker_advance (&self->tracker, meta))
    return gst_deep_zoom_sink_finish_image (self) ? GST_FLOW_OK :
        GST_FLOW_ERROR;
  if (gst_tile_meta_is_last (meta))
    gst_deep_zoom_sink_drop_incomplete (self, "the last tile came early");
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_deep_zoom_sink_render (GstBaseSink * sink, GstBuffer * buf)
{
  GstDeepZoomSink *self = GST_DEEP_ZOOM_SINK (sink);
  GstTileMeta plain, *meta;
  GstFlowReturn ret;

  if (!self->have_info) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* An ordinary frame, without tile meta, is an image of one tile. */
  meta = gst_buffer_get_tile_meta (buf);
  if (!meta) {
    gst_tile_tracker_untiled_meta (&self->tracker, &self->info, &plain);
    meta = &plain;
  }
  switch (gst_tile_tracker_next (&self->tracker, meta)) {
    case GST_TILE_TRACKER_BEGIN_AFTER_INCOMPLETE:
      gst_deep_zoom_sink_drop_incomplete (self, "the next image began");
      /* fall through */
    case GST_TILE_TRACKER_BEGIN:
      if (!gst_deep_zoom_sink_begin_image (self, meta)) {
        gst_deep_zoom_sink_release_image (self);
        return GST_FLOW_ERROR;
      }
      break;
    case GST_TILE_TRACKER_STRAY:
      gst_deep_zoom_sink_drop_incomplete (self, "a tile of another image came");
      /* fall through */
    case GST_TILE_TRACKER_ORPHAN:
      gst_tile_tracker_drop_orphan (&self->tracker, GST_ELEMENT (self), meta,
          NULL);
      return GST_FLOW_OK;
    case GST_TILE_TRACKER_CONTINUE:
      break;
  }
  ret = gst_deep_zoom_sink_take_tile (self, meta, buf);
  if (ret != GST_FLOW_OK)
    gst_deep_zoom_sink_release_image (self);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* Events, caps, allocation                                                 */
/* ------------------------------------------------------------------------ */

static gboolean
gst_deep_zoom_sink_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstDeepZoomSink *self = GST_DEEP_ZOOM_SINK (sink);
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("cannot parse tile caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  if (self->tracker.in_image && (GST_VIDEO_INFO_FORMAT (&info) !=
          GST_VIDEO_INFO_FORMAT (&self->info)
          || GST_VIDEO_INFO_WIDTH (&info) != GST_VIDEO_INFO_WIDTH (&self->info)
          || GST_VIDEO_INFO_HEIGHT (&info) !=
          GST_VIDEO_INFO_HEIGHT (&self->info)))
    gst_deep_zoom_sink_drop_incomplete (self, "the tile caps changed");
  self->info = info;
  self->have_info = TRUE;
  return TRUE;
}

static gboolean
gst_deep_zoom_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstDeepZoomSink *self = GST_DEEP_ZOOM_SINK (sink);

  /* names the files of the images that follow in messages */
  gst_tile_tracker_take_event (&self->tracker, event);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      gst_deep_zoom_sink_release_image (self);
      break;
    case GST_EVENT_EOS:
      if (self->tracker.in_image)
        gst_deep_zoom_sink_drop_incomplete (self, "end of stream came");
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (gst_deep_zoom_sink_parent_class)->event (sink,
      event);
}

static gboolean
gst_deep_zoom_sink_propose_allocation (GstBaseSink * sink, GstQuery * query)
{
  /* tiles are copied into the level rows at once: upstream keeps its pool */
  gst_tile_tracker_propose_allocation (query, FALSE);
  return TRUE;
}

/* Settings that depend on each other are checked when streaming starts. */
static gboolean
gst_deep_zoom_sink_start (GstBaseSink * sink)
{
  GstDeepZoomSink *self = GST_DEEP_ZOOM_SINK (sink);
  gchar *location;
  guint tile_size, overlap;
  gsize start, end;
  guint width;
  const gchar *why = NULL;
  gint n;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->settings.location);
  tile_size = self->settings.tile_size;
  overlap = self->settings.overlap;
  GST_OBJECT_UNLOCK (self);

  n = location ? gst_deep_zoom_parse_location (location, &start, &end,
      &width, &why) : 0;
  if (!location || !*location) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No location set: deepzoomsink needs the .dzi file to write."),
        ("set location, e.g. location=big.dzi"));
    n = -1;
  } else if (n < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The location \"%s\" is not a valid pattern: %s.", location, why),
        (NULL));
  } else if (overlap >= tile_size) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("overlap %u is not smaller than tile-size %u.", overlap, tile_size),
        ("a tile shares overlap pixels with each neighbour; make overlap "
            "smaller than tile-size"));
    n = -1;
  }
  g_free (location);
  if (n < 0)
    return FALSE;

  /* stop() has reset the stream */
  self->images_begun = 0;
  gst_message_throttle_reset (self->progress_throttle);
  gst_message_throttle_reset (self->image_throttle);
  return TRUE;
}

static gboolean
gst_deep_zoom_sink_stop (GstBaseSink * sink)
{
  GstDeepZoomSink *self = GST_DEEP_ZOOM_SINK (sink);

  gst_deep_zoom_sink_release_image (self);
  gst_tile_tracker_clear (&self->tracker);
  self->have_info = FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */
/* ------------------------------------------------------------------------ */

static void
gst_deep_zoom_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDeepZoomSink *self = GST_DEEP_ZOOM_SINK (object);
  GstDeepZoomSettings *s = &self->settings;

  if (prop_id == PROP_MESSAGE_INTERVAL) {
    gst_message_throttle_set_interval (self->progress_throttle,
        g_value_get_uint64 (value));
    gst_message_throttle_set_interval (self->image_throttle,
        g_value_get_uint64 (value));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (s->location);
      s->location = g_value_dup_string (value);
      break;
    case PROP_TILE_SIZE:
      s->tile_size = g_value_get_uint (value);
      break;
    case PROP_OVERLAP:
      s->overlap = g_value_get_uint (value);
      break;
    case PROP_FORMAT:
      s->tiles.format = g_value_get_enum (value);
      break;
    case PROP_QUALITY:
      s->tiles.quality = g_value_get_uint (value);
      break;
    case PROP_COMPRESSION_LEVEL:
      s->tiles.compression_level = g_value_get_int (value);
      break;
    case PROP_THREADS:
      s->threads = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_deep_zoom_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDeepZoomSink *self = GST_DEEP_ZOOM_SINK (object);
  GstDeepZoomSettings *s = &self->settings;

  if (prop_id == PROP_MESSAGE_INTERVAL) {
    g_value_set_uint64 (value,
        gst_message_throttle_get_interval (self->progress_throttle));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, s->location);
      break;
    case PROP_TILE_SIZE:
      g_value_set_uint (value, s->tile_size);
      break;
    case PROP_OVERLAP:
      g_value_set_uint (value, s->overlap);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, s->tiles.format);
      break;
    case PROP_QUALITY:
      g_value_set_uint (value, s->tiles.quality);
      break;
    case PROP_COMPRESSION_LEVEL:
      g_value_set_int (value, s->tiles.compression_level);
      break;
    case PROP_THREADS:
      g_value_set_uint (value, s->threads);
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

static void
gst_deep_zoom_sink_finalize (GObject * object)
{
  GstDeepZoomSink *self = GST_DEEP_ZOOM_SINK (object);

  gst_deep_zoom_sink_release_image (self);
  gst_tile_tracker_clear (&self->tracker);
  g_free (self->settings.location);
  g_free (self->image.location);
  gst_message_throttle_free (self->progress_throttle);
  gst_message_throttle_free (self->image_throttle);
  G_OBJECT_CLASS (gst_deep_zoom_sink_parent_class)->finalize (object);
}

static void
gst_deep_zoom_sink_install_properties (GObjectClass * gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "The .dzi file to write; its tiles go to NAME_files/ beside it. "
          "May hold one integer conversion (%d, %05d) for the image index, "
          "which a stream of several images needs. Applies from the next "
          "image", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_TILE_SIZE,
      g_param_spec_uint ("tile-size", "Tile size",
          "Edge of a tile in pixels, without the overlap (libvips' default). "
          "Applies from the next image", 1, MAX_TILE_SIZE, DEFAULT_TILE_SIZE,
          rw));
  g_object_class_install_property (gobject_class, PROP_OVERLAP,
      g_param_spec_uint ("overlap", "Overlap",
          "Pixels a tile shares with each neighbour, on each side; 0 = tiles "
          "meet edge to edge. Must be smaller than tile-size. Applies from "
          "the next image", 0, MAX_TILE_SIZE - 1, DEFAULT_OVERLAP, rw));
  g_object_class_install_property (gobject_class, PROP_FORMAT,
      g_param_spec_enum ("format", "Format",
          "Tile file format. Applies from the next image",
          GST_TYPE_DEEP_ZOOM_FORMAT, DEFAULT_FORMAT, rw));
  g_object_class_install_property (gobject_class, PROP_QUALITY,
      g_param_spec_uint ("quality", "Quality",
          "JPEG quality, 1 (smallest) to 100 (best); ignored for PNG. "
          "Applies from the next image", 1, 100, DEFAULT_QUALITY, rw));
  g_object_class_install_property (gobject_class, PROP_COMPRESSION_LEVEL,
      g_param_spec_int ("compression-level", "Compression level",
          "PNG compression level, 0 (stored) to 9 (smallest, slowest), as "
          "pngtileenc's; ignored for JPEG. Applies from the next image",
          0, 9, DEFAULT_COMPRESSION_LEVEL, rw));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Threads",
          "Tile encoding threads: the streaming thread plus threads - 1 "
          "encoders, each holding one tile, and a row of tiles waiting for "
          "them (0 = one per core, 1 = everything on the streaming thread). "
          "Applies from the next image",
          0, MAX_THREADS, DEFAULT_THREADS, rw));
  g_object_class_install_property (gobject_class, PROP_HELD_BYTES,
      g_param_spec_uint64 ("held-bytes", "Held bytes",
          "Bytes held now, in bytes: the rows each level still needs (per "
          "level min(level height, tile-size + 2 x overlap) rows, plus one "
          "input tile row at the top) and the tile jobs (one, or with "
          "threads > 1 threads + one row of tiles of the full-size level, "
          "the row at most 16 MiB); 0 = idle",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_message_throttle_install_property (gobject_class, PROP_MESSAGE_INTERVAL);
}

static void
gst_deep_zoom_sink_class_init (GstDeepZoomSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = gst_deep_zoom_sink_set_property;
  gobject_class->get_property = gst_deep_zoom_sink_get_property;
  gobject_class->finalize = gst_deep_zoom_sink_finalize;
  gst_deep_zoom_sink_install_properties (gobject_class);

  basesink_class->render = GST_DEBUG_FUNCPTR (gst_deep_zoom_sink_render);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_deep_zoom_sink_set_caps);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_deep_zoom_sink_event);
  basesink_class->start = GST_DEBUG_FUNCPTR (gst_deep_zoom_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_deep_zoom_sink_stop);
  basesink_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_deep_zoom_sink_propose_allocation);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Deep Zoom pyramid sink", "Sink/File/Image",
      "Writes a tile stream as a Deep Zoom (DZI) tile pyramid, the layout of "
      "libvips' dzsave, in one pass holding a strip per level",
      "gst-membound developers");
  gst_type_mark_as_plugin_api (GST_TYPE_DEEP_ZOOM_FORMAT, 0);
  GST_DEBUG_CATEGORY_INIT (gst_deep_zoom_sink_debug, "deepzoomsink", 0,
      "Deep Zoom pyramid writer");
}

static void
gst_deep_zoom_sink_init (GstDeepZoomSink * self)
{
  self->settings.tile_size = DEFAULT_TILE_SIZE;
  self->settings.overlap = DEFAULT_OVERLAP;
  self->settings.threads = DEFAULT_THREADS;
  self->settings.tiles.format = DEFAULT_FORMAT;
  self->settings.tiles.quality = DEFAULT_QUALITY;
  self->settings.tiles.compression_level = DEFAULT_COMPRESSION_LEVEL;
  self->progress_throttle = gst_message_throttle_new ();
  self->image_throttle = gst_message_throttle_new ();
  gst_tile_tracker_init (&self->tracker, GST_TILE_TRACKER_MODE_POSITION);
  /* files are written as fast as tiles come, not at their timestamps */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
