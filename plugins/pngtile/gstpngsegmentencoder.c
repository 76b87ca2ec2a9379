/* gst-membound: a pool of threads that encode PNG segments
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Locking: `lock` guards the queue of jobs and each job's `done`. Only one
 * thread waits: the caller of pop() or discard() (pngtileenc's streaming
 * thread, or its state change once streaming has stopped), on `done_cond`,
 * for the oldest job (pop) or every job (discard) to be done. A worker sets
 * `done` and broadcasts after it has encoded its segment; encoding always
 * ends, in the time one segment takes at most, sooner when cancelled. So no
 * wait outlives the work in flight, and nothing else needs to wake it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstpngsegmentencoder.h"

typedef struct
{
  GstPngWriterSegment *segment;
  gboolean done;
} Job;

struct _GstPngSegmentEncoder
{
  GMutex lock;
  GCond done_cond;
  GQueue jobs;                  /* of Job, oldest first */
  GThreadPool *workers;         /* NULL: encode on the submitting thread */
};

static void
gst_png_segment_encoder_work (gpointer data, gpointer user_data)
{
  GstPngSegmentEncoder *encoder = user_data;
  Job *job = data;

  gst_png_writer_segment_encode (job->segment);
  g_mutex_lock (&encoder->lock);
  job->done = TRUE;
  g_cond_broadcast (&encoder->done_cond);
  g_mutex_unlock (&encoder->lock);
}

GstPngSegmentEncoder *
gst_png_segment_encoder_new (void)
{
  GstPngSegmentEncoder *encoder = g_new0 (GstPngSegmentEncoder, 1);

  g_mutex_init (&encoder->lock);
  g_cond_init (&encoder->done_cond);
  g_queue_init (&encoder->jobs);
  return encoder;
}

void
gst_png_segment_encoder_free (GstPngSegmentEncoder * encoder)
{
  gst_png_segment_encoder_stop (encoder);
  g_mutex_clear (&encoder->lock);
  g_cond_clear (&encoder->done_cond);
  g_free (encoder);
}

gboolean
gst_png_segment_encoder_start (GstPngSegmentEncoder * encoder,
    guint n_workers, GError ** error)
{
  g_return_val_if_fail (g_queue_is_empty (&encoder->jobs), FALSE);
  if (encoder->workers
      && g_thread_pool_get_max_threads (encoder->workers) == (gint) n_workers)
    return TRUE;
  gst_png_segment_encoder_stop (encoder);
  if (n_workers == 0)
    return TRUE;
  encoder->workers = g_thread_pool_new (gst_png_segment_encoder_work,
      encoder, n_workers, FALSE, error);
  return encoder->workers != NULL;
}

void
gst_png_segment_encoder_stop (GstPngSegmentEncoder * encoder)
{
  gst_png_segment_encoder_discard (encoder);
  if (encoder->workers) {
    /* nothing is queued or running any more: this returns at once */
    g_thread_pool_free (encoder->workers, FALSE, TRUE);
    encoder->workers = NULL;
  }
}

void
gst_png_segment_encoder_submit (GstPngSegmentEncoder * encoder,
    GstPngWriterSegment * segment)
{
  Job *job = g_new0 (Job, 1);

  job->segment = segment;
  if (!encoder->workers) {
    gst_png_writer_segment_encode (segment);
    job->done = TRUE;
  }
  g_mutex_lock (&encoder->lock);
  g_queue_push_tail (&encoder->jobs, job);
  g_mutex_unlock (&encoder->lock);
  if (encoder->workers)
    g_thread_pool_push (encoder->workers, job, NULL);
}

GstPngWriterSegment *
gst_png_segment_encoder_pop (GstPngSegmentEncoder * encoder, gboolean wait)
{
  GstPngWriterSegment *segment = NULL;
  Job *job;

  g_mutex_lock (&encoder->lock);
  job = g_queue_peek_head (&encoder->jobs);
  /* Waits for the worker encoding the oldest segment; its broadcast when
   * that segment is done wakes us (see the top of the file). */
  while (job && wait && !job->done)
    g_cond_wait (&encoder->done_cond, &encoder->lock);
  if (job && job->done) {
    g_queue_pop_head (&encoder->jobs);
    segment = job->segment;
    g_free (job);
  }
  g_mutex_unlock (&encoder->lock);
  return segment;
}

guint
gst_png_segment_encoder_in_flight (GstPngSegmentEncoder * encoder)
{
  guint n;

  g_mutex_lock (&encoder->lock);
  n = g_queue_get_length (&encoder->jobs);
  g_mutex_unlock (&encoder->lock);
  return n;
}

static gboolean
all_done (GstPngSegmentEncoder * encoder)
{
  GList *l;

  for (l = encoder->jobs.head; l; l = l->next)
    if (!((Job *) l->data)->done)
      return FALSE;
  return TRUE;
}

void
gst_png_segment_encoder_discard (GstPngSegmentEncoder * encoder)
{
  Job *job;
  GList *l;

  g_mutex_lock (&encoder->lock);
  for (l = encoder->jobs.head; l; l = l->next)
    gst_png_writer_segment_cancel (((Job *) l->data)->segment);
  /* Waits for the workers still on a cancelled segment; each one's
   * broadcast when it lets go of its segment wakes us. */
  while (!all_done (encoder))
    g_cond_wait (&encoder->done_cond, &encoder->lock);
  while ((job = g_queue_pop_head (&encoder->jobs))) {
    gst_png_writer_segment_free (job->segment);
    g_free (job);
  }
  g_mutex_unlock (&encoder->lock);
}
