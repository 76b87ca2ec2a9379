/* gst-membound: deepzoomsink
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_DEEP_ZOOM_SINK_H__
#define __GST_DEEP_ZOOM_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

#include "gsttiletracker.h"
#include "gstmessagethrottle.h"
#include "gstdeepzoomlevels.h"
#include "gstdeepzoomtiles.h"
#include "gstdeepzoomworkers.h"

G_BEGIN_DECLS

#define GST_TYPE_DEEP_ZOOM_SINK (gst_deep_zoom_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstDeepZoomSink, gst_deep_zoom_sink, GST,
    DEEP_ZOOM_SINK, GstBaseSink)

/**
 * GstDeepZoomSettings:
 * @location: the .dzi file, possibly with one integer conversion (%d) for
 *   the image index
 * @tile_size: tile edge in pixels, without overlap
 * @overlap: pixels a tile shares with each neighbour
 * @threads: tile encoders running beside the streaming thread (0 = none)
 * @tiles: how tiles are encoded
 *
 * What the properties say; copied once per image, so that a change applies
 * from the next image on.
 */
typedef struct {
  gchar *location;
  guint tile_size;
  guint overlap;
  guint threads;
  GstDeepZoomTileSettings tiles;
} GstDeepZoomSettings;

/* Locking: @settings and @held_bytes are guarded by the object lock
 * (application thread vs streaming thread). Everything else belongs to the
 * streaming thread (render and serialized events), or to start/stop when the
 * pad is not streaming. The streaming thread waits for the tile encoders
 * only inside GstDeepZoomWorkers, whose own comment says who wakes it. */
struct _GstDeepZoomSink
{
  GstBaseSink parent;

  GstDeepZoomSettings settings;
  guint64 held_bytes;
  GstMessageThrottle *progress_throttle;
  GstMessageThrottle *image_throttle;

  /* the stream */
  GstVideoInfo info;
  gboolean have_info;
  GstTileTracker tracker;
  guint64 images_begun;

  /* the image being written; settings copied at its start */
  GstDeepZoomSettings image;
  gchar *dzi_path;
  gchar *files_dir;
  GstDeepZoomLevels levels;
  GstDeepZoomWorkers *workers;
  guint64 tiles_written;
  guint64 tiles_total;
};

GST_ELEMENT_REGISTER_DECLARE (deepzoomsink);

G_END_DECLS

#endif /* __GST_DEEP_ZOOM_SINK_H__ */
