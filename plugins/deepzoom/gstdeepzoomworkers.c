/* gst-membound: the tile encoders of deepzoomsink
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdeepzoomworkers.h"

/* `lock` guards the queues, `busy`, `failed` and `stopping`. A pending job
 * is run by whichever thread gets to it first: an encoder thread, or the
 * streaming thread when it would otherwise wait (acquire, wait). Two waits:
 * - the streaming thread waits on `job_freed` for a free job (acquire) or
 *   for every job to come back (wait), and only while no job is pending,
 *   i.e. every submitted job is being encoded by a thread; an encoder
 *   thread wakes it whenever it gives a job back. Encoders always finish
 *   the tile they hold, so the wait is at most one tile's encoding long.
 * - encoder threads wait on `job_submitted` for work; submit wakes one,
 *   free (stopping) wakes all. */
struct _GstDeepZoomWorkers
{
  GMutex lock;
  GCond job_freed;
  GCond job_submitted;
  GQueue free_jobs;
  GQueue pending;
  guint busy;                   /* submitted and not yet given back */
  gboolean stopping;
  GstDeepZoomTileJob *failed;   /* the first job that failed, kept aside */

  GstDeepZoomTileSettings settings;
  guint n_jobs;
  guint64 job_bytes;
  GPtrArray *threads;
};

/* Gives @job back after it ran: the first job that failed is kept aside
 * for its path and error. Called with the lock held. */
static void
gst_deep_zoom_workers_give_back (GstDeepZoomWorkers * w,
    GstDeepZoomTileJob * job, gboolean ok)
{
  if (!ok && !w->failed)
    w->failed = job;
  else
    g_queue_push_tail (&w->free_jobs, job);
  w->busy--;
  g_cond_broadcast (&w->job_freed);
}

/* Encodes and writes the oldest pending job on the calling thread. Called
 * and returns with the lock held; drops it while the job runs. */
static void
gst_deep_zoom_workers_run_pending (GstDeepZoomWorkers * w)
{
  GstDeepZoomTileJob *job = g_queue_pop_head (&w->pending);
  gboolean ok;

  g_mutex_unlock (&w->lock);
  ok = gst_deep_zoom_tile_job_run (job, &w->settings);
  g_mutex_lock (&w->lock);
  gst_deep_zoom_workers_give_back (w, job, ok);
}

/* Gives up the jobs no thread has taken: after a failure, or when the
 * image is abandoned. Called with the lock held. */
static void
gst_deep_zoom_workers_drop_pending (GstDeepZoomWorkers * w)
{
  while (!g_queue_is_empty (&w->pending)) {
    g_queue_push_tail (&w->free_jobs, g_queue_pop_head (&w->pending));
    w->busy--;
  }
  g_cond_broadcast (&w->job_freed);
}

static gpointer
gst_deep_zoom_workers_loop (gpointer data)
{
  GstDeepZoomWorkers *w = data;

  g_mutex_lock (&w->lock);
  for (;;) {
    while (!w->stopping && g_queue_is_empty (&w->pending))
      g_cond_wait (&w->job_submitted, &w->lock);
    if (g_queue_is_empty (&w->pending))
      break;
    gst_deep_zoom_workers_run_pending (w);
  }
  g_mutex_unlock (&w->lock);
  return NULL;
}

/* @n_threads 0 encodes on the caller's thread, in submit (and then
 * @n_queued does not apply: nothing waits). */
GstDeepZoomWorkers *
gst_deep_zoom_workers_new (guint n_threads, guint n_queued, guint max_width,
    guint max_height, GstVideoFormat format,
    const GstDeepZoomTileSettings * settings)
{
  GstDeepZoomWorkers *w = g_new0 (GstDeepZoomWorkers, 1);
  guint i;

  g_mutex_init (&w->lock);
  g_cond_init (&w->job_freed);
  g_cond_init (&w->job_submitted);
  g_queue_init (&w->free_jobs);
  g_queue_init (&w->pending);
  w->settings = *settings;
  w->n_jobs = n_threads + 1 + (n_threads > 0 ? n_queued : 0);
  w->job_bytes = gst_deep_zoom_tile_job_bytes (max_width, max_height, format);
  for (i = 0; i < w->n_jobs; i++)
    g_queue_push_tail (&w->free_jobs,
        gst_deep_zoom_tile_job_new (max_width, max_height, format));
  w->threads = g_ptr_array_new ();
  for (i = 0; i < n_threads; i++)
    g_ptr_array_add (w->threads, g_thread_new ("deepzoom-tiles",
            gst_deep_zoom_workers_loop, w));
  return w;
}

/* Lets the encoders finish the tiles they hold, then joins them. Tiles
 * still waiting are dropped: after wait() there are none, and otherwise
 * the image is being given up (an error, a flush, an incomplete image). */
void
gst_deep_zoom_workers_free (GstDeepZoomWorkers * w)
{
  guint i;

  if (!w)
    return;
  g_mutex_lock (&w->lock);
  gst_deep_zoom_workers_drop_pending (w);
  w->stopping = TRUE;
  g_cond_broadcast (&w->job_submitted);
  g_mutex_unlock (&w->lock);
  for (i = 0; i < w->threads->len; i++)
    g_thread_join (g_ptr_array_index (w->threads, i));
  g_ptr_array_free (w->threads, TRUE);
  g_queue_clear_full (&w->free_jobs,
      (GDestroyNotify) gst_deep_zoom_tile_job_free);
  gst_deep_zoom_tile_job_free (w->failed);
  g_cond_clear (&w->job_freed);
  g_cond_clear (&w->job_submitted);
  g_mutex_clear (&w->lock);
  g_free (w);
}

/* Every job's pixels: the jobs exist from new to free. */
guint64
gst_deep_zoom_workers_held_bytes (const GstDeepZoomWorkers * w)
{
  return w->n_jobs * w->job_bytes;
}

/* A free job to fill. While there is none it encodes waiting jobs itself,
 * and blocks only while the encoder threads hold every job. NULL once a
 * job has failed: the caller reports gst_deep_zoom_workers_failure(). */
GstDeepZoomTileJob *
gst_deep_zoom_workers_acquire (GstDeepZoomWorkers * w)
{
  GstDeepZoomTileJob *job = NULL;

  g_mutex_lock (&w->lock);
  while (!w->failed && g_queue_is_empty (&w->free_jobs)) {
    /* A tile no encoder has taken yet: encode it here rather than sleep,
     * so that a burst of tiles (a whole row of them comes at once) runs
     * on every thread, the streaming thread too. */
    if (!g_queue_is_empty (&w->pending))
      gst_deep_zoom_workers_run_pending (w);
    else
      g_cond_wait (&w->job_freed, &w->lock);
  }
  if (!w->failed)
    job = g_queue_pop_head (&w->free_jobs);
  g_mutex_unlock (&w->lock);
  return job;
}

void
gst_deep_zoom_workers_submit (GstDeepZoomWorkers * w,
    GstDeepZoomTileJob * job)
{
  g_mutex_lock (&w->lock);
  w->busy++;
  g_queue_push_tail (&w->pending, job);
  if (w->threads->len == 0)
    gst_deep_zoom_workers_run_pending (w);
  else
    g_cond_signal (&w->job_submitted);
  g_mutex_unlock (&w->lock);
}

/* Until every submitted tile is written, encodes waiting ones itself and
 * otherwise blocks; FALSE if one failed (the tiles still waiting then are
 * given up). */
gboolean
gst_deep_zoom_workers_wait (GstDeepZoomWorkers * w)
{
  gboolean ok;

  g_mutex_lock (&w->lock);
  while (w->busy > 0) {
    if (w->failed)
      gst_deep_zoom_workers_drop_pending (w);
    if (!g_queue_is_empty (&w->pending))
      gst_deep_zoom_workers_run_pending (w);
    else if (w->busy > 0)
      g_cond_wait (&w->job_freed, &w->lock);
  }
  ok = w->failed == NULL;
  g_mutex_unlock (&w->lock);
  return ok;
}

/* The first job that failed (its path and why), or NULL. */
const GstDeepZoomTileJob *
gst_deep_zoom_workers_failure (GstDeepZoomWorkers * w)
{
  const GstDeepZoomTileJob *job;

  g_mutex_lock (&w->lock);
  job = w->failed;
  g_mutex_unlock (&w->lock);
  return job;
}
