/* gst-membound: the tile encoders of deepzoomsink
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fixed set of tile jobs: the streaming thread fills a free one and
 * submits it; encoder threads encode and write it and give it back. With
 * n threads there are n + 1 + q jobs (one being filled, one per thread, q
 * waiting for a thread), which is the whole bound. Tiles complete in bursts
 * (a whole row of them at once, when its last pixel row comes in), so q
 * jobs let the burst be encoded while the streaming thread goes on taking
 * rows, and upstream goes on decoding; when every job is busy the streaming
 * thread encodes a waiting job itself, and waits only while the threads
 * hold every job. Tiles are distinct files, so the bytes written do not
 * depend on the number of threads or their timing.
 */
#ifndef __GST_DEEP_ZOOM_WORKERS_H__
#define __GST_DEEP_ZOOM_WORKERS_H__

#include "gstdeepzoomtiles.h"

G_BEGIN_DECLS

typedef struct _GstDeepZoomWorkers GstDeepZoomWorkers;

GstDeepZoomWorkers *gst_deep_zoom_workers_new (guint n_threads,
    guint n_queued, guint max_width, guint max_height, GstVideoFormat format,
    const GstDeepZoomTileSettings * settings);

void gst_deep_zoom_workers_free (GstDeepZoomWorkers * workers);

guint64 gst_deep_zoom_workers_held_bytes (const GstDeepZoomWorkers * workers);

GstDeepZoomTileJob *gst_deep_zoom_workers_acquire (GstDeepZoomWorkers *
    workers);

void gst_deep_zoom_workers_submit (GstDeepZoomWorkers * workers,
    GstDeepZoomTileJob * job);

gboolean gst_deep_zoom_workers_wait (GstDeepZoomWorkers * workers);

const GstDeepZoomTileJob *gst_deep_zoom_workers_failure (GstDeepZoomWorkers *
    workers);

G_END_DECLS

#endif /* __GST_DEEP_ZOOM_WORKERS_H__ */
