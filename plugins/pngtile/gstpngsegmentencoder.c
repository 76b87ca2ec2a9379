/* gst-membound: a pool of threads that encode PNG segments
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Segments are written by the thread that finishes them, not by the one
 * that submits them: the submitting thread (pngtileenc's streaming thread)
 * is the one upstream's work also runs on, so writing there (which in
 * pngtileenc means pushing downstream) would queue that work behind the
 * writes and leave the workers waiting for rows. The worker that finishes
 * the oldest segment writes it, and every later one already done; a worker
 * that finishes while another thread is writing leaves its segment to that
 * thread, which looks at the head of the queue again before it stops. So
 * the writes stay in order and one at a time. A segment encoded by the
 * caller itself (encode_here()) takes its turn in the same queue, and is
 * written the same way.
 *
 * Locking: `lock` guards the queue of jobs, each job's `done`, `encoding`,
 * `writing` and `stopped`; the write function runs with it dropped, and its
 * job stays at the head of the queue until it returns. Threads wait on
 * `done_cond`: the caller of wait(), for the queue to get down to its bound
 * (each write pops a job and broadcasts; a failed write sets `stopped` and
 * broadcasts); the caller of discard(), for every job to be done and nothing
 * to be written (a worker broadcasts when it has encoded its segment, the
 * writing thread when it stops writing). Encoding always ends, in the time
 * one segment takes at most, sooner when cancelled; a write takes as long as
 * downstream takes to accept it, which a flush or a state change ends.
 * Nothing else needs to wake these waits.
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
  GQueue jobs;                  /* of Job, oldest first: not yet written */
  guint encoding;               /* jobs of the queue not yet done */
  GThreadPool *workers;         /* NULL: encode on the submitting thread */
  GstPngSegmentWriteFunc write;
  gpointer user_data;
  gboolean writing;             /* a thread is writing the head of jobs */
  gboolean stopped;             /* a write failed, or discard() runs */
};

/* Writes the done jobs at the head of the queue, in order, unless another
 * thread is writing already. Called with the lock held, by a thread that
 * has just finished a segment. */
static void
write_done_locked (GstPngSegmentEncoder * encoder)
{
  Job *job;

  if (encoder->writing)
    return;
  encoder->writing = TRUE;
  while (!encoder->stopped && (job = g_queue_peek_head (&encoder->jobs))
      && job->done) {
    gboolean ok;

    g_mutex_unlock (&encoder->lock);
    ok = encoder->write (job->segment, encoder->user_data);
    g_mutex_lock (&encoder->lock);
    g_queue_pop_head (&encoder->jobs);
    gst_png_writer_segment_free (job->segment);
    g_free (job);
    if (!ok)
      encoder->stopped = TRUE;
    g_cond_broadcast (&encoder->done_cond);
  }
  encoder->writing = FALSE;
  g_cond_broadcast (&encoder->done_cond);
}

static void
gst_png_segment_encoder_work (gpointer data, gpointer user_data)
{
  GstPngSegmentEncoder *encoder = user_data;
  Job *job = data;

  gst_png_writer_segment_encode (job->segment);
  g_mutex_lock (&encoder->lock);
  job->done = TRUE;
  encoder->encoding--;
  g_cond_broadcast (&encoder->done_cond);
  write_done_locked (encoder);
  g_mutex_unlock (&encoder->lock);
}

GstPngSegmentEncoder *
gst_png_segment_encoder_new (GstPngSegmentWriteFunc write, gpointer user_data)
{
  GstPngSegmentEncoder *encoder = g_new0 (GstPngSegmentEncoder, 1);

  g_mutex_init (&encoder->lock);
  g_cond_init (&encoder->done_cond);
  g_queue_init (&encoder->jobs);
  encoder->write = write;
  encoder->user_data = user_data;
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

/* A job for @segment, queued in submission order (the order of writing). */
static Job *
gst_png_segment_encoder_queue (GstPngSegmentEncoder * encoder,
    GstPngWriterSegment * segment)
{
  Job *job = g_new0 (Job, 1);

  job->segment = segment;
  g_mutex_lock (&encoder->lock);
  g_queue_push_tail (&encoder->jobs, job);
  encoder->encoding++;
  g_mutex_unlock (&encoder->lock);
  return job;
}

void
gst_png_segment_encoder_submit (GstPngSegmentEncoder * encoder,
    GstPngWriterSegment * segment)
{
  Job *job = gst_png_segment_encoder_queue (encoder, segment);

  if (encoder->workers)
    g_thread_pool_push (encoder->workers, job, NULL);
  else
    gst_png_segment_encoder_work (job, encoder);
}

void
gst_png_segment_encoder_encode_here (GstPngSegmentEncoder * encoder,
    GstPngWriterSegment * segment)
{
  /* as a worker would: then it is written, here or by the worker that
   * writes the segments before it */
  gst_png_segment_encoder_work (gst_png_segment_encoder_queue (encoder,
          segment), encoder);
}

gboolean
gst_png_segment_encoder_wait (GstPngSegmentEncoder * encoder, guint keep)
{
  gboolean ok;

  g_mutex_lock (&encoder->lock);
  /* Waits for the writing thread to write the oldest segments; it
   * broadcasts after each one, and when a write fails (see the top of the
   * file). This is where upstream waits when every worker is busy, or
   * downstream is. */
  while (!encoder->stopped && g_queue_get_length (&encoder->jobs) > keep)
    g_cond_wait (&encoder->done_cond, &encoder->lock);
  ok = !encoder->stopped;
  g_mutex_unlock (&encoder->lock);
  return ok;
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

void
gst_png_segment_encoder_discard (GstPngSegmentEncoder * encoder)
{
  Job *job;
  GList *l;

  g_mutex_lock (&encoder->lock);
  for (l = encoder->jobs.head; l; l = l->next)
    gst_png_writer_segment_cancel (((Job *) l->data)->segment);
  encoder->stopped = TRUE;
  /* Waits for the workers still on a cancelled segment and for a write in
   * progress; each worker's broadcast when it lets go of its segment, and
   * the writing thread's when it stops, wake us. */
  while (encoder->encoding > 0 || encoder->writing)
    g_cond_wait (&encoder->done_cond, &encoder->lock);
  while ((job = g_queue_pop_head (&encoder->jobs))) {
    gst_png_writer_segment_free (job->segment);
    g_free (job);
  }
  encoder->stopped = FALSE;
  g_mutex_unlock (&encoder->lock);
}
