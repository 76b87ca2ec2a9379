/* gst-membound: encoding and writing one Deep Zoom tile
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A tile is copied out of its level's rows into a job of its own, so that it
 * can be encoded (PNG through the project's writer, JPEG through
 * libjpeg-turbo) and written while the levels go on.
 */
#ifndef __GST_DEEP_ZOOM_TILES_H__
#define __GST_DEEP_ZOOM_TILES_H__

#include <glib.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GstDeepZoomFormat:
 * @GST_DEEP_ZOOM_FORMAT_JPEG: baseline JPEG; alpha is flattened onto black
 *   and 16-bit samples become 8-bit, as libvips does
 * @GST_DEEP_ZOOM_FORMAT_PNG: PNG with the input's channels and depth
 *
 * The file format of the tiles.
 */
typedef enum {
  GST_DEEP_ZOOM_FORMAT_JPEG,
  GST_DEEP_ZOOM_FORMAT_PNG,
} GstDeepZoomFormat;

#define GST_TYPE_DEEP_ZOOM_FORMAT (gst_deep_zoom_format_get_type ())
GType gst_deep_zoom_format_get_type (void);

const gchar *gst_deep_zoom_format_suffix (GstDeepZoomFormat format);

/**
 * GstDeepZoomTileJob:
 * @path: the file to write
 * @pixels: @height rows of @stride bytes
 * @width: pixels per row
 * @height: rows
 * @stride: bytes per row
 * @format: the pixel layout of @pixels
 * @errno_value: after gst_deep_zoom_tile_job_run(), the errno of a failed
 *   write, or 0
 * @error_text: after gst_deep_zoom_tile_job_run(), why it failed, or %NULL
 */
typedef struct {
  gchar *path;
  guint8 *pixels;
  guint width;
  guint height;
  gsize stride;
  GstVideoFormat format;

  gint errno_value;
  gchar *error_text;
} GstDeepZoomTileJob;

/**
 * GstDeepZoomTileSettings:
 * @format: the tile file format
 * @quality: JPEG quality, 1 to 100
 * @compression_level: PNG compression level, 0 to 9
 */
typedef struct {
  GstDeepZoomFormat format;
  guint quality;
  gint compression_level;
} GstDeepZoomTileSettings;

gsize gst_deep_zoom_tile_job_bytes (guint width, guint height,
    GstVideoFormat format);

GstDeepZoomTileJob *gst_deep_zoom_tile_job_new (guint max_width,
    guint max_height, GstVideoFormat format);

void gst_deep_zoom_tile_job_free (GstDeepZoomTileJob * job);

gboolean gst_deep_zoom_tile_job_run (GstDeepZoomTileJob * job,
    const GstDeepZoomTileSettings * settings);

G_END_DECLS

#endif /* __GST_DEEP_ZOOM_TILES_H__ */
