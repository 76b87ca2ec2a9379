/* boundedqueue in whole pipelines: a sink that keeps every sample cannot make
 * memory grow past max-live-bytes, whatever it does with the buffers (holds
 * them, returns them to their pool, keeps copies or sub-buffers of them), on
 * one branch or two; and a blocked queue never keeps a flushing seek, a
 * shutdown or an error from returning. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>

#include "gstfixture.h"

#define WIDTH 160
#define HEIGHT 120
#define FRAME_BYTES (WIDTH * HEIGHT * 3)
#define CAPS "video/x-raw,format=RGB,width=160,height=120,framerate=30/1"
#define LIMIT (10 * FRAME_BYTES)
/* Whatever must return promptly must do so within this. */
#define PROMPT_US (5 * G_USEC_PER_SEC)

typedef enum
{
  KEEP_BUFFER,                  /* keep the sample as it arrives */
  KEEP_COPY,                    /* keep a shallow copy (same memory) */
  KEEP_SUB_BUFFER,              /* keep a sub-buffer of the first half */
} KeepMode;

typedef struct
{
  GstElement *pipeline;
  GstElement *queue;
  GMutex lock;
  GPtrArray *held;              /* GstBuffer, one per sample kept */
  gsize held_bytes;
  guint n_pooled;
  gint produced;                /* atomic: buffers out of videotestsrc */
  gint fail;                    /* atomic: sinks answer GST_FLOW_ERROR */
  KeepMode mode;
} Run;

static GstPadProbeReturn
count_produced (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc (&((Run *) user_data)->produced);
  return GST_PAD_PROBE_OK;
}

static GstFlowReturn
keep_sample (GstElement * sink, gpointer user_data)
{
  Run *run = user_data;
  GstSample *sample = NULL;
  GstBuffer *buf;

  g_signal_emit_by_name (sink, "pull-sample", &sample);
  if (!sample)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);

  if (g_atomic_int_get (&run->fail)) {
    gst_sample_unref (sample);
    return GST_FLOW_ERROR;
  }
  g_mutex_lock (&run->lock);
  if (buf->pool)
    run->n_pooled++;
  switch (run->mode) {
    case KEEP_BUFFER:
      buf = gst_buffer_ref (buf);
      break;
    case KEEP_COPY:
      buf = gst_buffer_copy (buf);
      break;
    case KEEP_SUB_BUFFER:
      buf = gst_buffer_copy_region (buf, GST_BUFFER_COPY_ALL, 0,
          gst_buffer_get_size (buf) / 2);
      break;
  }
  g_ptr_array_add (run->held, buf);
  run->held_bytes += gst_buffer_get_size (buf);
  g_mutex_unlock (&run->lock);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static void
run_connect_sink (Run * run, const gchar * name)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (run->pipeline), name);

  g_object_set (sink, "emit-signals", TRUE, NULL);
  g_signal_connect (sink, "new-sample", G_CALLBACK (keep_sample), run);
  gst_object_unref (sink);
}

/* @desc names its source "src", its boundedqueue "q" and its appsinks
 * "sink" (and "sink2"). */
static Run *
run_new (const gchar * desc, KeepMode mode)
{
  Run *run = g_new0 (Run, 1);
  GError *err = NULL;
  GstElement *src;
  GstPad *pad;
  GstElement *sink2;

  run->pipeline = gst_parse_launch (desc, &err);
  g_assert_no_error (err);
  g_mutex_init (&run->lock);
  run->held = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  run->mode = mode;
  run->queue = gst_bin_get_by_name (GST_BIN (run->pipeline), "q");
  src = gst_bin_get_by_name (GST_BIN (run->pipeline), "src");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_produced, run,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (src);
  run_connect_sink (run, "sink");
  sink2 = gst_bin_get_by_name (GST_BIN (run->pipeline), "sink2");
  if (sink2) {
    run_connect_sink (run, "sink2");
    gst_object_unref (sink2);
  }
  return run;
}

static void
run_free (Run * run)
{
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_object_unref (run->queue);
  gst_object_unref (run->pipeline);
  g_ptr_array_unref (run->held);
  g_mutex_clear (&run->lock);
  g_free (run);
}

static void
run_play (Run * run)
{
  g_assert_cmpint (gst_element_set_state (run->pipeline, GST_STATE_PLAYING),
      !=, GST_STATE_CHANGE_FAILURE);
}

/* Waits until the source has produced something and then nothing more for
 * half a second: upstream is blocked. FALSE if it never stalls. */
static gboolean
run_wait_stalled (Run * run, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  gint last = -1, now;
  gint64 since = 0;

  while (g_get_monotonic_time () < end) {
    now = g_atomic_int_get (&run->produced);
    if (now != last) {
      last = now;
      since = g_get_monotonic_time ();
    } else if (now > 0 && g_get_monotonic_time () - since >= 500000) {
      return TRUE;
    }
    g_usleep (20000);
  }
  return FALSE;
}

static gboolean
run_wait_produced (Run * run, gint target, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;

  while (g_atomic_int_get (&run->produced) < target) {
    if (g_get_monotonic_time () >= end)
      return FALSE;
    g_usleep (10000);
  }
  return TRUE;
}

static guint64
queue_live_bytes (GstElement * queue)
{
  guint64 live;

  g_object_get (queue, "live-bytes", &live, NULL);
  return live;
}

static void
run_release_half (Run * run)
{
  g_mutex_lock (&run->lock);
  g_ptr_array_remove_range (run->held, 0, run->held->len / 2);
  g_mutex_unlock (&run->lock);
}

/* ------------------------------------------------------------------ */

static void
check_keeping_sink_is_bounded (KeepMode mode, gsize kept_size)
{
  gchar *desc = g_strdup_printf ("videotestsrc name=src ! " CAPS " ! "
      "boundedqueue name=q max-live-bytes=%u ! "
      "appsink name=sink max-buffers=0 sync=false", LIMIT);
  Run *run = run_new (desc, mode);
  guint held, held_after;
  gint produced;

  g_free (desc);
  run_play (run);
  g_assert_true (run_wait_stalled (run, PROMPT_US));

  g_mutex_lock (&run->lock);
  held = run->held->len;
  /* Every sample kept is live: at most the limit's worth of frames, plus
   * the one the sink remembers as its last sample. */
  g_assert_cmpuint (held * FRAME_BYTES, <=, LIMIT + FRAME_BYTES);
  g_assert_cmpuint (held, >=, LIMIT / FRAME_BYTES - 2);
  g_assert_cmpuint (run->held_bytes, ==, held * kept_size);
  g_mutex_unlock (&run->lock);
  g_assert_cmpuint (queue_live_bytes (run->queue), <=, LIMIT);
  g_assert_cmpuint (queue_live_bytes (run->queue), >=, held * FRAME_BYTES);

  /* releasing samples lets the flow resume, up to the limit again */
  produced = g_atomic_int_get (&run->produced);
  run_release_half (run);
  g_assert_true (run_wait_produced (run, produced + held / 2 - 1, PROMPT_US));
  g_assert_true (run_wait_stalled (run, PROMPT_US));
  g_mutex_lock (&run->lock);
  held_after = run->held->len;
  g_mutex_unlock (&run->lock);
  g_assert_cmpuint (held_after * FRAME_BYTES, <=, LIMIT + FRAME_BYTES);
  g_assert_cmpuint (held_after, >=, held - 2);
  run_free (run);
}

static void
test_keeping_sink_blocks_upstream_at_limit (void)
{
  check_keeping_sink_is_bounded (KEEP_BUFFER, FRAME_BYTES);
}

static void
test_copies_downstream_still_count (void)
{
  check_keeping_sink_is_bounded (KEEP_COPY, FRAME_BYTES);
}

static void
test_sub_buffers_downstream_still_count (void)
{
  /* Only half of each frame is kept, but the whole memory block stays
   * alive: the queue must not let twice as many frames through. */
  check_keeping_sink_is_bounded (KEEP_SUB_BUFFER, FRAME_BYTES / 2);
}

static void
test_pool_releases_are_counted (void)
{
  gchar *desc = g_strdup_printf ("videotestsrc name=src ! " CAPS " ! "
      "boundedqueue name=q max-live-bytes=%u ! "
      "appsink name=sink max-buffers=0 sync=false enable-last-sample=false",
      LIMIT);
  Run *run = run_new (desc, KEEP_BUFFER);
  guint64 live_before, live_after;
  gint64 end;

  g_free (desc);
  run_play (run);
  g_assert_true (run_wait_stalled (run, PROMPT_US));
  /* videotestsrc allocates from a buffer pool ... */
  g_mutex_lock (&run->lock);
  g_assert_cmpuint (run->n_pooled, ==, run->held->len);
  g_assert_cmpuint (run->n_pooled, >, 0);
  g_mutex_unlock (&run->lock);
  live_before = queue_live_bytes (run->queue);
  g_assert_cmpuint (live_before, >, LIMIT - 2 * FRAME_BYTES);

  /* ... so a released sample goes back to the pool, not to the allocator:
   * the charge must still end there. Stop the source first so nothing new
   * is charged. */
  gst_element_set_state (run->pipeline, GST_STATE_PAUSED);
  g_mutex_lock (&run->lock);
  g_ptr_array_set_size (run->held, 0);
  g_mutex_unlock (&run->lock);
  end = g_get_monotonic_time () + PROMPT_US;
  do {
    live_after = queue_live_bytes (run->queue);
    if (live_after <= 2 * FRAME_BYTES)
      break;
    g_usleep (10000);
  } while (g_get_monotonic_time () < end);
  /* what may remain: the queue's items and the preroll buffer */
  g_assert_cmpuint (live_after, <=, 2 * FRAME_BYTES);
  run_free (run);
}

static void
test_tee_branches_share_one_budget (void)
{
  gchar *desc = g_strdup_printf ("videotestsrc name=src ! " CAPS " ! "
      "tee name=t "
      "t. ! boundedqueue name=q budget=tee-pipeline max-live-bytes=%u ! "
      "appsink name=sink max-buffers=0 sync=false "
      "t. ! boundedqueue name=q2 budget=tee-pipeline ! "
      "appsink name=sink2 max-buffers=0 sync=false", LIMIT);
  Run *run = run_new (desc, KEEP_BUFFER);
  GstElement *q2 = gst_bin_get_by_name (GST_BIN (run->pipeline), "q2");
  guint64 limit2;
  gint produced;

  g_free (desc);
  g_object_get (q2, "max-live-bytes", &limit2, NULL);
  g_assert_cmpuint (limit2, ==, 0);
  run_play (run);
  g_assert_true (run_wait_stalled (run, PROMPT_US));

  /* One counter for both branches, bounded by the one limit set. */
  g_assert_cmpuint (queue_live_bytes (run->queue), ==, queue_live_bytes (q2));
  g_assert_cmpuint (queue_live_bytes (run->queue), <=, LIMIT);
  g_mutex_lock (&run->lock);
  /* each branch keeps its own samples: frames reach both sinks */
  g_assert_cmpuint (run->held->len * FRAME_BYTES, <=, 2 * (LIMIT +
          FRAME_BYTES));
  g_assert_cmpuint (run->held->len, >=, 2);
  g_mutex_unlock (&run->lock);

  produced = g_atomic_int_get (&run->produced);
  run_release_half (run);
  g_assert_true (run_wait_produced (run, produced + 1, PROMPT_US));
  gst_object_unref (q2);
  run_free (run);
}

static void
test_tee_branches_preroll_under_tight_budget (void)
{
  /* Each branch's sink holds its preroll buffer until PLAYING; a budget of
   * 1.5 frames is already full with one of them. The other branch must still
   * get its first frame, or the pipeline never prerolls. */
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=30 ! " CAPS " ! "
      "tee name=t "
      "t. ! boundedqueue budget=tee-preroll max-live-bytes=%u ! "
      "fakesink sync=false enable-last-sample=false "
      "t. ! boundedqueue budget=tee-preroll ! "
      "fakesink sync=false enable-last-sample=false", FRAME_BYTES * 3 / 2);

  gst_fixture_run_launch (desc, PROMPT_US * GST_USECOND);
  g_free (desc);
}

/* ---- A blocked queue never delays control */

static Run *
start_blocked (void)
{
  gchar *desc = g_strdup_printf ("videotestsrc name=src ! " CAPS " ! "
      "boundedqueue name=q max-live-bytes=%u ! "
      "appsink name=sink max-buffers=0 sync=false", LIMIT);
  Run *run = run_new (desc, KEEP_BUFFER);

  g_free (desc);
  run_play (run);
  g_assert_true (run_wait_stalled (run, PROMPT_US));
  return run;
}

static void
test_flushing_seek_while_blocked_returns (void)
{
  Run *run = start_blocked ();
  gint64 t0 = g_get_monotonic_time ();

  g_assert_true (gst_element_seek_simple (run->pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 0));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, PROMPT_US);
  /* the samples still held keep the flow stopped after the seek ... */
  g_assert_true (run_wait_stalled (run, PROMPT_US));
  g_assert_cmpuint (queue_live_bytes (run->queue), <=, LIMIT);
  /* ... and releasing them restarts it */
  {
    gint produced = g_atomic_int_get (&run->produced);
    g_mutex_lock (&run->lock);
    g_ptr_array_set_size (run->held, 0);
    g_mutex_unlock (&run->lock);
    g_assert_true (run_wait_produced (run, produced + 2, PROMPT_US));
  }
  run_free (run);
}

static void
test_shutdown_while_blocked_returns (void)
{
  Run *run = start_blocked ();
  gint64 t0 = g_get_monotonic_time ();

  g_assert_cmpint (gst_element_set_state (run->pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, PROMPT_US);
  run_free (run);
}

/* Holds the queue's task at its source pad so that data piles up inside
 * the queue until the budget blocks the chain; then the sink fails. */
static GstPadProbeReturn
hold_task (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  return GST_PAD_PROBE_OK;
}

static void
test_downstream_error_while_blocked_returns (void)
{
  gchar *desc = g_strdup_printf ("videotestsrc name=src ! " CAPS " ! "
      "boundedqueue name=q max-live-bytes=%u ! "
      "appsink name=sink max-buffers=0 sync=false", LIMIT);
  Run *run = run_new (desc, KEEP_BUFFER);
  GstPad *qsrc = gst_element_get_static_pad (run->queue, "src");
  GstBus *bus = gst_element_get_bus (run->pipeline);
  GstMessage *msg;
  guint level;
  gulong id;
  gint64 t0;

  g_free (desc);
  id = gst_pad_add_probe (qsrc, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, hold_task, NULL, NULL);
  run_play (run);
  g_assert_true (run_wait_stalled (run, PROMPT_US));
  g_object_get (run->queue, "current-level-buffers", &level, NULL);
  g_assert_cmpuint (level, >=, LIMIT / FRAME_BYTES - 2);

  t0 = g_get_monotonic_time ();
  g_atomic_int_set (&run->fail, 1);
  gst_pad_remove_probe (qsrc, id);
  msg = gst_bus_timed_pop_filtered (bus, PROMPT_US * GST_USECOND,
      GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_unref (msg);
  g_assert_cmpint (gst_element_set_state (run->pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, PROMPT_US);

  gst_object_unref (bus);
  gst_object_unref (qsrc);
  run_free (run);
}

/* ---- Memory: a sink that never pulls, for a while */

#define BIG_LIMIT (32 * 1024 * 1024)

static gsize
current_rss (void)
{
  gsize pages = 0, rss = 0;
  FILE *f = fopen ("/proc/self/statm", "r");

  if (f) {
    if (fscanf (f, "%zu %zu", &pages, &rss) != 2)
      rss = 0;
    fclose (f);
  }
  return rss * (gsize) sysconf (_SC_PAGESIZE);
}

static void
never_pulling_sink_child (void)
{
  GError *err = NULL;
  gchar *desc = g_strdup_printf ("videotestsrc name=src ! "
      "video/x-raw,format=RGBA,width=640,height=480,framerate=30/1 ! "
      "boundedqueue name=q max-live-bytes=%u max-size-time=0 ! "
      "appsink name=sink max-buffers=0 sync=false", BIG_LIMIT);
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *q = gst_bin_get_by_name (GST_BIN (pipeline), "q");
  gsize rss1, rss2;
  guint64 peak;

  g_assert_no_error (err);
  g_free (desc);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_usleep (G_USEC_PER_SEC);
  rss1 = current_rss ();
  g_usleep (3 * G_USEC_PER_SEC);
  rss2 = current_rss ();
  g_object_get (q, "peak-live-bytes", &peak, NULL);
  g_assert_cmpuint (peak, <=, BIG_LIMIT);
  g_assert_cmpuint (peak, >=, BIG_LIMIT - 2 * 640 * 480 * 4);
  /* flat: blocked, not slowly growing */
  g_assert_cmpuint (rss2, <, rss1 + 4 * 1024 * 1024);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (q);
  gst_object_unref (pipeline);
}

static void
test_never_pulling_sink_keeps_rss_flat (void)
{
  if (g_test_subprocess ()) {
    never_pulling_sink_child ();
    return;
  }
  /* The limit plus GStreamer itself, with a wide margin; without the bound
   * the sink would hold about 100 frames (120 MiB) a second. */
  g_assert_cmpint (gst_fixture_trap_peak_rss_kib (30 * G_USEC_PER_SEC, 0), <,
      (BIG_LIMIT + 64 * 1024 * 1024) / 1024);
}

/* ---- memmeter and boundedqueue naming one budget admit by one rule */

#define SHARED_LIMIT 1000
/* How long "not admitted" must hold before we believe it. */
#define SETTLE_US (300 * G_TIME_SPAN_MILLISECOND)

static void
push_bytes (GstElement * src, gsize size)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstFlowReturn ret;

  g_signal_emit_by_name (src, "push-buffer", buf, &ret);
  gst_buffer_unref (buf);
  g_assert_cmpint (ret, ==, GST_FLOW_OK);
}

/* A sink that keeps every buffer it gets alive until told otherwise; an
 * appsink would keep its preroll buffer besides. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *held;
} Keeper;

static void
keeper_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer user_data)
{
  Keeper *k = user_data;

  g_mutex_lock (&k->lock);
  g_ptr_array_add (k->held, gst_buffer_ref (buf));
  g_cond_broadcast (&k->cond);
  g_mutex_unlock (&k->lock);
}

static void
keeper_attach (Keeper * k, GstElement * pipeline, const gchar * name)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);

  g_mutex_init (&k->lock);
  g_cond_init (&k->cond);
  k->held = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  g_signal_connect (sink, "handoff", G_CALLBACK (keeper_handoff), k);
  gst_object_unref (sink);
}

/* Whether @n buffers arrived within @us. */
static gboolean
keeper_wait (Keeper * k, guint n, gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;
  gboolean arrived;

  g_mutex_lock (&k->lock);
  while (k->held->len < n && g_cond_wait_until (&k->cond, &k->lock, end));
  arrived = k->held->len >= n;
  g_mutex_unlock (&k->lock);
  return arrived;
}

static void
keeper_release (Keeper * k)
{
  g_mutex_lock (&k->lock);
  g_ptr_array_set_size (k->held, 0);
  g_mutex_unlock (&k->lock);
}

static void
keeper_clear (Keeper * k)
{
  g_ptr_array_unref (k->held);
  g_mutex_clear (&k->lock);
  g_cond_clear (&k->cond);
}

#define KEEPING_SINK "fakesink sync=false async=false enable-last-sample=false " \
  "signal-handoffs=true"

/* One member, @first, holds 600 bytes; then the other, @second, passes 600
 * and 300 bytes, and @first lets go. Returns, for the three pushes of
 * @second ... "admitted" or "blocked". */
static gchar *
admit_in_shared_budget (const gchar * first, const gchar * second)
{
  gchar *desc = g_strdup_printf ("appsrc name=s1 ! %s budget=one-rule "
      "max-live-bytes=%u ! " KEEPING_SINK " name=k1 "
      "appsrc name=s2 ! %s budget=one-rule ! " KEEPING_SINK " name=k2",
      first, SHARED_LIMIT, second);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *s1, *s2;
  GString *seen = g_string_new (NULL);
  Keeper k1, k2;
  gboolean late;

  g_assert_no_error (err);
  g_free (desc);
  s1 = gst_bin_get_by_name (GST_BIN (pipeline), "s1");
  s2 = gst_bin_get_by_name (GST_BIN (pipeline), "s2");
  keeper_attach (&k1, pipeline, "k1");
  keeper_attach (&k2, pipeline, "k2");
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);

  push_bytes (s1, 600);
  g_assert_true (keeper_wait (&k1, 1, PROMPT_US));
  /* the second member holds nothing: admitted although 600 + 600 > limit */
  push_bytes (s2, 600);
  g_string_append (seen, keeper_wait (&k2, 1, PROMPT_US) ? "admitted " :
      "blocked ");
  /* now it holds 600: 600 + 600 + 300 > limit */
  push_bytes (s2, 300);
  late = keeper_wait (&k2, 2, SETTLE_US);
  g_string_append (seen, late ? "admitted " : "blocked ");
  /* the first member lets go: 600 + 300 fit */
  keeper_release (&k1);
  late = late || keeper_wait (&k2, 2, PROMPT_US);
  g_string_append (seen, late ? "admitted" : "blocked");

  gst_element_set_state (pipeline, GST_STATE_NULL);
  keeper_clear (&k1);
  keeper_clear (&k2);
  gst_object_unref (s1);
  gst_object_unref (s2);
  gst_object_unref (pipeline);
  return g_string_free (seen, FALSE);
}

static void
test_memmeter_and_boundedqueue_admit_alike (void)
{
  gchar *meter_second = admit_in_shared_budget ("boundedqueue", "memmeter");
  gchar *queue_second = admit_in_shared_budget ("memmeter", "boundedqueue");

  g_assert_cmpstr (meter_second, ==, "admitted blocked admitted");
  g_assert_cmpstr (queue_second, ==, meter_second);
  g_free (meter_second);
  g_free (queue_second);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  /* A deadlock fails the program instead of hanging CI. */
  if (!g_test_subprocess ())
    alarm (55);

  g_test_add_func ("/queue_pipelines/keeping_sink_blocks_upstream_at_limit",
      test_keeping_sink_blocks_upstream_at_limit);
  g_test_add_func ("/queue_pipelines/pool_releases_are_counted",
      test_pool_releases_are_counted);
  g_test_add_func ("/queue_pipelines/copies_downstream_still_count",
      test_copies_downstream_still_count);
  g_test_add_func ("/queue_pipelines/sub_buffers_downstream_still_count",
      test_sub_buffers_downstream_still_count);
  g_test_add_func ("/queue_pipelines/tee_branches_share_one_budget",
      test_tee_branches_share_one_budget);
  g_test_add_func ("/queue_pipelines/tee_branches_preroll_under_tight_budget",
      test_tee_branches_preroll_under_tight_budget);
  g_test_add_func ("/queue_pipelines/flushing_seek_while_blocked_returns",
      test_flushing_seek_while_blocked_returns);
  g_test_add_func ("/queue_pipelines/shutdown_while_blocked_returns",
      test_shutdown_while_blocked_returns);
  g_test_add_func ("/queue_pipelines/downstream_error_while_blocked_returns",
      test_downstream_error_while_blocked_returns);
  g_test_add_func ("/queue_pipelines/memmeter_and_boundedqueue_admit_alike",
      test_memmeter_and_boundedqueue_admit_alike);
  g_test_add_func ("/queue_pipelines/never_pulling_sink_keeps_rss_flat",
      test_never_pulling_sink_keeps_rss_flat);
  return g_test_run ();
}
