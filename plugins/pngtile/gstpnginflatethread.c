/* gst-membound: pngtiledec's inflate thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two threads share one feed: the caller (pngtiledec's streaming thread)
 * hands the worker the input bytes as a job, then forwards what the worker
 * queues, in order, to libpng. The worker owns the inflater during a job
 * and the caller owns it between jobs, so the inflater itself needs no
 * lock.
 *
 * Locking: `lock` guards the piece queue, the free blocks, the job and
 * the cancel/shutdown flags. The worker waits on `worker_cond` for a job
 * or a free block; the caller waits on `caller_cond` for a piece. A block
 * is in exactly one place: the free list, the inflater, or a queued or
 * forwarded piece; so at most GST_PNG_INFLATE_THREAD_BLOCKS are queued.
 *
 * A job queued ahead (the caller's next feed, known early) starts on the
 * worker as soon as the current one ends well, so that the worker does not
 * wait while the caller forwards the current job's last pieces and comes
 * back; its pieces queue behind the current job's PIECE_END. Each job's
 * result travels in its own PIECE_END.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstpnginflatethread.h"

typedef enum
{
  PIECE_BYTES,                  /* bytes for libpng, in a block */
  PIECE_IDAT,                   /* a rewritten IDAT, rows still filtered */
  PIECE_WARNING,                /* a dropped chunk, for png_warning */
  PIECE_END,                    /* the job is over; the result is set */
} PieceKind;

/* The caller, having emptied the queue, sleeps until a batch of pieces
 * is queued (or the job's end is): a wake-up costs the worker a futex
 * call, and the caller, faster than the worker, would otherwise be woken
 * for every block. The batch is 4 blocks for a feed of 256 KiB or more
 * (pull mode's 1 MiB blocks), 2 for less: a push-mode feed of 64 KiB
 * (seqfilesrc's blocks) makes two or three blocks, and a larger batch
 * would leave the caller waiting for the feed's end instead of unfiltering
 * beside the worker. */
#define CALLER_BATCH_SMALL 2
#define CALLER_BATCH_LARGE 4
#define CALLER_BATCH_LARGE_FEED (256 * 1024)

typedef struct
{
  PieceKind kind;
  guint8 *block;
  gsize len;
  gsize consumed;               /* the inflater's count when it was made */
  gchar *message;               /* a warning; PIECE_END: the error */
  gboolean ok, ended;           /* PIECE_END: the job's result */
} Piece;

typedef enum
{
  AHEAD_NONE,
  AHEAD_QUEUED,                 /* to start when the current job ends well */
  AHEAD_STARTED,                /* handed to the worker: the next feed's */
} AheadState;

struct _GstPngInflateThread
{
  GstPngIdatInflater *inflater;
  GThread *thread;

  GMutex lock;
  GCond worker_cond;
  GCond caller_cond;
  GQueue pieces;
  guint8 *free_blocks[GST_PNG_INFLATE_THREAD_BLOCKS];
  guint n_free;
  gboolean job_pending;
  const guint8 *job_data;
  gsize job_size;
  gboolean cancel;              /* the caller left the feed by a longjmp */
  gboolean shutdown;
  const guint8 *ahead_data;
  gsize ahead_size;
  AheadState ahead;
  guint jobs_unended;           /* handed over, their PIECE_END not taken */
  guint caller_batch;           /* for the job the worker is on */
  /* who is in g_cond_wait: a signal nobody waits for is a futex call
   * for nothing, two per block */
  gboolean worker_waiting;
  gboolean caller_waiting;
  /* a signal decided with the lock held, sent once it is let go */
  gboolean worker_wake_due;
  gboolean caller_wake_due;

  gchar job_error[256];         /* the worker's, during a job */

  /* the caller's own */
  GstPngInflateThreadHandover handover;
  gpointer handover_data;
  gboolean job_running;
  gboolean last_inline;
  Piece *current;               /* being forwarded */
  gsize last_consumed;
};

GstPngInflateThread *
gst_png_inflate_thread_new (GstPngIdatInflater * inflater)
{
  GstPngInflateThread *thread = g_new0 (GstPngInflateThread, 1);

  thread->inflater = inflater;
  g_mutex_init (&thread->lock);
  g_cond_init (&thread->worker_cond);
  g_cond_init (&thread->caller_cond);
  return thread;
}

void
gst_png_inflate_thread_set_handover (GstPngInflateThread * thread,
    GstPngInflateThreadHandover handover, gpointer user_data)
{
  thread->handover = handover;
  thread->handover_data = user_data;
}

void
gst_png_inflate_thread_free (GstPngInflateThread * thread)
{
  guint i;

  if (!thread)
    return;
  gst_png_inflate_thread_discard (thread);
  if (thread->thread) {
    g_mutex_lock (&thread->lock);
    thread->shutdown = TRUE;
    g_cond_signal (&thread->worker_cond);
    g_mutex_unlock (&thread->lock);
    g_thread_join (thread->thread);
  }
  g_warn_if_fail (g_queue_is_empty (&thread->pieces));
  for (i = 0; i < thread->n_free; i++)
    g_free (thread->free_blocks[i]);
  g_mutex_clear (&thread->lock);
  g_cond_clear (&thread->worker_cond);
  g_cond_clear (&thread->caller_cond);
  g_free (thread);
}

gsize
gst_png_inflate_thread_held_bytes (GstPngInflateThread * thread)
{
  return thread->thread ?
      (gsize) GST_PNG_INFLATE_THREAD_BLOCKS * GST_PNG_IDAT_BLOCK_BYTES : 0;
}

/* --- the worker --- */

/* With the lock held: takes the wake-ups decided under it. */
static void
take_wakes (GstPngInflateThread * thread, gboolean * worker, gboolean * caller)
{
  *worker = thread->worker_wake_due;
  *caller = thread->caller_wake_due;
  thread->worker_wake_due = thread->caller_wake_due = FALSE;
}

static void
signal_wakes (GstPngInflateThread * thread, gboolean worker, gboolean caller)
{
  if (worker)
    g_cond_signal (&thread->worker_cond);
  if (caller)
    g_cond_signal (&thread->caller_cond);
}

/* Lets go of the lock, then wakes whom the holder decided to wake: woken
 * while the lock is still held, a thread would only wait for it again. */
static void
unlock_and_wake (GstPngInflateThread * thread)
{
  gboolean worker, caller;

  take_wakes (thread, &worker, &caller);
  g_mutex_unlock (&thread->lock);
  signal_wakes (thread, worker, caller);
}

/* With the lock held: waits on @cond, @waiting telling the other thread
 * to signal it; whom this thread was about to wake is woken first. */
static void
wait_flagged (GstPngInflateThread * thread, GCond * cond, gboolean * waiting)
{
  gboolean worker, caller;

  /* sent with the lock held, but g_cond_wait() lets go of it at once */
  take_wakes (thread, &worker, &caller);
  signal_wakes (thread, worker, caller);
  *waiting = TRUE;
  g_cond_wait (cond, &thread->lock);
  *waiting = FALSE;
}

/* With the lock held: the worker is woken when the lock is let go. */
static void
wake_worker (GstPngInflateThread * thread)
{
  thread->worker_wake_due |= thread->worker_waiting;
}

/* With the lock held, after a piece is queued: wakes the caller (when the
 * lock is let go) when its batch is complete, the job is over, or the
 * worker is about to wait for a block. */
static void
wake_caller (GstPngInflateThread * thread, PieceKind kind)
{
  thread->caller_wake_due |= thread->caller_waiting && (kind == PIECE_END
      || thread->n_free == 0 || thread->pieces.length >= thread->caller_batch);
}

/* With the lock held. NULL when the job is cancelled. */
static guint8 *
take_free_block (GstPngInflateThread * thread)
{
  /* Waits for a block the caller has forwarded; the caller signals after
   * each one, consumed() and free() with cancel and shutdown. */
  while (thread->n_free == 0 && !thread->cancel && !thread->shutdown)
    wait_flagged (thread, &thread->worker_cond, &thread->worker_waiting);
  if (thread->cancel || thread->shutdown)
    return NULL;
  return thread->free_blocks[--thread->n_free];
}

/* With the lock held. */
static Piece *
queue_piece (GstPngInflateThread * thread, PieceKind kind, guint8 * block,
    gsize len, gchar * message)
{
  Piece *piece = g_new (Piece, 1);

  piece->kind = kind;
  piece->block = block;
  piece->len = len;
  piece->consumed = gst_png_idat_inflater_consumed (thread->inflater);
  piece->message = message;
  g_queue_push_tail (&thread->pieces, piece);
  wake_caller (thread, kind);
  return piece;
}

/* A rewritten IDAT is taken as it is (another block is swapped in for the
 * inflater to fill); other bytes are copied, a block at a time. */
static void
worker_forward (gpointer user_data, guint8 * bytes, gsize len)
{
  GstPngInflateThread *thread = user_data;
  GstPngIdatInflater *inflater = thread->inflater;

  g_mutex_lock (&thread->lock);
  while (len > 0) {
    guint8 *block = take_free_block (thread), *idat;
    gsize n = MIN (len, GST_PNG_IDAT_BLOCK_BYTES);

    if (!block) {
      gst_png_idat_inflater_interrupt (inflater);
      break;
    }
    idat = gst_png_idat_inflater_take_block (inflater, bytes, block);
    if (!idat)
      memcpy (block, bytes, n);
    queue_piece (thread, idat ? PIECE_IDAT : PIECE_BYTES, idat ? idat : block,
        n, NULL);
    bytes += n;
    len -= n;
  }
  unlock_and_wake (thread);
}

static void
worker_warn (gpointer user_data, const gchar * message)
{
  GstPngInflateThread *thread = user_data;

  g_mutex_lock (&thread->lock);
  queue_piece (thread, PIECE_WARNING, NULL, 0, g_strdup (message));
  unlock_and_wake (thread);
}

/* With the lock held: @size bytes at @data become the worker's job. */
static void
give_job (GstPngInflateThread * thread, const guint8 * data, gsize size)
{
  thread->job_data = data;
  thread->job_size = size;
  thread->job_pending = TRUE;
  thread->jobs_unended++;
  thread->caller_batch = size >= CALLER_BATCH_LARGE_FEED ?
      CALLER_BATCH_LARGE : CALLER_BATCH_SMALL;
}

/* With the lock held, at a job's end: the job queued ahead starts now if
 * this one ended @well (neither failed nor ended the stream), nobody
 * cancelled, and the inflater is inside the image data of an image that
 * is not cut into restart-marker segments (so that the caller's next feed
 * goes to this thread too). Otherwise it is forgotten, and the next feed
 * hands its input over itself. */
static void
start_ahead (GstPngInflateThread * thread, gboolean well)
{
  if (thread->ahead != AHEAD_QUEUED)
    return;
  if (!well || thread->cancel || thread->shutdown
      || !gst_png_idat_inflater_in_plain_idat (thread->inflater)) {
    thread->ahead = AHEAD_NONE;
    return;
  }
  give_job (thread, thread->ahead_data, thread->ahead_size);
  thread->ahead = AHEAD_STARTED;
}

static gpointer
worker_main (gpointer user_data)
{
  GstPngInflateThread *thread = user_data;

  g_mutex_lock (&thread->lock);
  for (;;) {
    const guint8 *data;
    gsize size;
    gboolean ok, ended;
    Piece *end;

    /* Waits for a job; feed() brings one, free() sets shutdown. */
    while (!thread->job_pending && !thread->shutdown)
      wait_flagged (thread, &thread->worker_cond, &thread->worker_waiting);
    if (thread->shutdown)
      break;
    thread->job_pending = FALSE;
    data = thread->job_data;
    size = thread->job_size;
    unlock_and_wake (thread);

    ok = gst_png_idat_inflater_feed (thread->inflater, data, size,
        worker_forward, worker_warn, thread, &ended,
        thread->job_error, sizeof (thread->job_error));

    g_mutex_lock (&thread->lock);
    /* the job's last piece: its result is set before the lock is let go */
    end = queue_piece (thread, PIECE_END, NULL, 0,
        ok ? NULL : g_strdup (thread->job_error));
    end->ok = ok;
    end->ended = ended;
    start_ahead (thread, ok && !ended);
  }
  unlock_and_wake (thread);
  return NULL;
}

/* --- the caller --- */

/* With the lock held: the piece's block goes back to the worker. */
static void
recycle_piece (GstPngInflateThread * thread, Piece * piece)
{
  if (piece->kind == PIECE_END)
    thread->jobs_unended--;
  if (piece->block) {
    thread->free_blocks[thread->n_free++] = piece->block;
    wake_worker (thread);
  }
  g_free (piece->message);
  g_free (piece);
}

/* With the lock held. */
static Piece *
next_piece (GstPngInflateThread * thread)
{
  /* Waits, when the queue is empty, for what the inflater produces next;
   * the worker signals with every batch of pieces, when it runs out of
   * free blocks and with PIECE_END, a job's last piece. A queue that is
   * not empty is emptied first: waiting for a whole batch again after each
   * piece would have the worker wake this thread for every block. */
  if (g_queue_is_empty (&thread->pieces))
    while (thread->pieces.length < thread->caller_batch
        && !(thread->pieces.tail
            && ((Piece *) thread->pieces.tail->data)->kind == PIECE_END))
      wait_flagged (thread, &thread->caller_cond, &thread->caller_waiting);
  return g_queue_pop_head (&thread->pieces);
}

static void
start_worker (GstPngInflateThread * thread)
{
  guint i;

  for (i = 0; i < GST_PNG_INFLATE_THREAD_BLOCKS; i++)
    thread->free_blocks[i] = g_malloc (GST_PNG_IDAT_BLOCK_BYTES);
  thread->n_free = GST_PNG_INFLATE_THREAD_BLOCKS;
  thread->thread = g_thread_new ("pnginflate", worker_main, thread);
}

/* With the lock held: makes sure the worker has this feed's input. FALSE
 * if a job started ahead was for other input (a broken promise): it is
 * stopped, and the inflater is past this feed's start. */
static gboolean
hand_over (GstPngInflateThread * thread, const guint8 * data, gsize size)
{
  AheadState ahead = thread->ahead;

  thread->ahead = AHEAD_NONE;
  if (ahead == AHEAD_STARTED)
    return data == thread->ahead_data && size == thread->ahead_size;
  give_job (thread, data, size);
  wake_worker (thread);
  return TRUE;
}

gboolean
gst_png_inflate_thread_feed (GstPngInflateThread * thread,
    const guint8 * data, gsize size, GstPngIdatForward forward,
    GstPngIdatWarn warn, gpointer user_data, gboolean * ended,
    gchar * error, gsize error_size)
{
  Piece *piece;
  gboolean ok;

  thread->last_inline = size < GST_PNG_INFLATE_THREAD_MIN_FEED
      && thread->ahead != AHEAD_STARTED;
  if (thread->last_inline)
    return gst_png_idat_inflater_feed (thread->inflater, data, size,
        forward, warn, user_data, ended, error, error_size);
  if (!thread->thread)
    start_worker (thread);

  g_mutex_lock (&thread->lock);
  gst_png_idat_inflater_defer_unfilter (thread->inflater, TRUE);
  if (!hand_over (thread, data, size)) {
    unlock_and_wake (thread);
    gst_png_inflate_thread_discard (thread);
    g_strlcpy (error, "the input was not the one announced", error_size);
    *ended = FALSE;
    thread->last_consumed = 0;
    return FALSE;
  }
  thread->job_running = TRUE;
  if (thread->handover) {
    unlock_and_wake (thread);
    thread->handover (thread->handover_data);
    g_mutex_lock (&thread->lock);
  }
  while ((piece = next_piece (thread))->kind != PIECE_END) {
    unlock_and_wake (thread);
    /* may not return: consumed() cleans up after a longjmp */
    thread->current = piece;
    if (piece->kind == PIECE_WARNING) {
      warn (user_data, piece->message);
    } else {
      /* unfiltering and the Adler-32 are this thread's share of the work */
      if (piece->kind == PIECE_IDAT
          && !gst_png_idat_inflater_finish_block (thread->inflater,
              piece->block, error, error_size)) {
        /* as after a longjmp: the worker's jobs end here */
        *ended = FALSE;
        gst_png_inflate_thread_consumed (thread);
        return FALSE;
      }
      forward (user_data, piece->block, piece->len);
    }
    thread->current = NULL;
    g_mutex_lock (&thread->lock);
    recycle_piece (thread, piece);
  }
  thread->job_running = FALSE;
  /* a job started ahead goes on with the caller's unfiltering */
  if (thread->ahead != AHEAD_STARTED)
    gst_png_idat_inflater_defer_unfilter (thread->inflater, FALSE);
  ok = piece->ok;
  *ended = piece->ended;
  thread->last_consumed = piece->consumed;
  if (!ok)
    g_strlcpy (error, piece->message, error_size);
  recycle_piece (thread, piece);
  unlock_and_wake (thread);
  return ok;
}

void
gst_png_inflate_thread_feed_ahead (GstPngInflateThread * thread,
    const guint8 * data, gsize size)
{
  g_mutex_lock (&thread->lock);
  if (thread->job_running && thread->ahead == AHEAD_NONE
      && size >= GST_PNG_INFLATE_THREAD_MIN_FEED) {
    thread->ahead_data = data;
    thread->ahead_size = size;
    thread->ahead = AHEAD_QUEUED;
  }
  unlock_and_wake (thread);
}

/* With the lock held: stops the worker's jobs and takes back every block;
 * the caller is in no feed. */
static void
cancel_jobs (GstPngInflateThread * thread)
{
  Piece *piece;

  if (thread->current)
    recycle_piece (thread, thread->current);
  thread->current = NULL;
  thread->ahead = AHEAD_NONE;
  thread->cancel = TRUE;
  wake_worker (thread);
  /* Waits for the worker to leave its jobs: with cancel set it stops at
   * its next block, and queues each job's PIECE_END. */
  for (;;) {
    while ((piece = g_queue_pop_head (&thread->pieces)))
      recycle_piece (thread, piece);
    if (thread->jobs_unended == 0)
      break;
    wait_flagged (thread, &thread->caller_cond, &thread->caller_waiting);
  }
  thread->cancel = FALSE;
  thread->job_running = FALSE;
  gst_png_idat_inflater_defer_unfilter (thread->inflater, FALSE);
}

void
gst_png_inflate_thread_discard (GstPngInflateThread * thread)
{
  if (!thread)
    return;
  g_mutex_lock (&thread->lock);
  if (thread->ahead != AHEAD_NONE || thread->jobs_unended > 0)
    cancel_jobs (thread);
  unlock_and_wake (thread);
}

gsize
gst_png_inflate_thread_consumed (GstPngInflateThread * thread)
{
  if (thread->last_inline)
    return gst_png_idat_inflater_consumed (thread->inflater);

  g_mutex_lock (&thread->lock);
  if (thread->job_running) {
    /* @forward longjmp'd out of the piece in `current` */
    thread->last_consumed = thread->current ? thread->current->consumed : 0;
    cancel_jobs (thread);
  }
  unlock_and_wake (thread);
  return thread->last_consumed;
}
