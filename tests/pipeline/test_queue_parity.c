/* boundedqueue cannot drift from queue: every scenario here runs against the
 * core queue and against boundedqueue, and what downstream sees (events,
 * buffers, DISCONT flags, queries, in order), what upstream gets back (flow
 * returns, query results), the current-level-* read-outs and the overrun /
 * underrun signals after each step must be the same.
 *
 * boundedqueue runs each scenario three times: without live limits, with
 * max-live-bytes set (high enough not to bind: the live accounting must not
 * change queue behaviour), and as a member of a named budget. Waits that do
 * bind the budget are covered at the end: flush, state change and shutdown
 * each end them. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

/* Anything that could deadlock runs against this limit. */
#define WAIT_US (5 * G_USEC_PER_SEC)
/* How long "still blocked" must hold before we believe it. */
#define SETTLE_US (200 * G_TIME_SPAN_MILLISECOND)
#define NOT_BINDING "1073741824"

typedef enum
{
  PLAIN,                        /* no live limits */
  LIVE,                         /* max-live-bytes set, never reached */
  NAMED,                        /* a member of a named budget */
} Variant;

typedef struct
{
  GstHarness *h;
  GstElement *q;
  GstPad *srcpad;               /* the queue's */
  GMutex lock;
  GCond cond;
  GString *trace;               /* what reached downstream, in order */
  GString *steps;               /* read-outs and returns, step by step */
  gint overruns;                /* atomic */
  gint underruns;               /* atomic */
  gulong gate;
  gboolean gate_hit;
  const gchar *gate_event;      /* block on this custom event, else on data */
} Run;

/* ---- What downstream sees */

static void
trace_event (GString * t, GstEvent * event)
{
  const GstStructure *s;
  GstCaps *caps;
  GstTagList *tags;
  gchar *str = NULL;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      str = gst_caps_to_string (caps);
      g_string_append_printf (t, "caps(%s) ", str);
      break;
    case GST_EVENT_TAG:
      gst_event_parse_tag (event, &tags);
      gst_tag_list_get_string (tags, GST_TAG_TITLE, &str);
      g_string_append_printf (t, "tag(%s) ", GST_STR_NULL (str));
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM:
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
      s = gst_event_get_structure (event);
      g_string_append_printf (t, "%s ", gst_structure_get_name (s));
      break;
    default:
      g_string_append_printf (t, "%s ", GST_EVENT_TYPE_NAME (event));
      break;
  }
  g_free (str);
}

static void
trace_buffer (GString * t, GstBuffer * buf)
{
  g_string_append_printf (t, "b%" G_GUINT64_FORMAT "%s", GST_BUFFER_OFFSET (buf),
      GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT) ? "D" : "");
}

static gboolean
trace_list_item (GstBuffer ** buf, guint idx, gpointer t)
{
  if (idx > 0)
    g_string_append_c (t, ',');
  trace_buffer (t, *buf);
  return TRUE;
}

static GstPadProbeReturn
record_downstream (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *run = user_data;
  gpointer data = GST_PAD_PROBE_INFO_DATA (info);

  g_mutex_lock (&run->lock);
  if (GST_IS_BUFFER (data)) {
    trace_buffer (run->trace, data);
    g_string_append_c (run->trace, ' ');
  } else if (GST_IS_BUFFER_LIST (data)) {
    g_string_append_c (run->trace, '[');
    gst_buffer_list_foreach (data, trace_list_item, run->trace);
    g_string_append (run->trace, "] ");
  } else if (GST_IS_EVENT (data)) {
    trace_event (run->trace, data);
  } else if (GST_IS_QUERY (data) && GST_QUERY_IS_SERIALIZED (data) &&
      (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_PUSH)) {
    /* Non-serialized queries (caps, accept-caps) are answered in the
     * caller's thread whenever it asks: their place in the stream is
     * not the queue's to keep. */
    g_string_append_printf (run->trace, "q:%s ", GST_QUERY_TYPE_NAME (data));
  }
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

/* Waits until @token (a whole trace entry) has reached downstream. */
static void
wait_for (Run * run, const gchar * token)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  gchar *needle = g_strdup_printf ("%s ", token);

  g_mutex_lock (&run->lock);
  while (!strstr (run->trace->str, needle)) {
    if (!g_cond_wait_until (&run->cond, &run->lock, end)) {
      g_printerr ("%s: no \"%s\" downstream in: %s\nsteps:\n%s",
          GST_OBJECT_NAME (run->q), token, run->trace->str, run->steps->str);
      g_assert_not_reached ();
    }
  }
  g_mutex_unlock (&run->lock);
  g_free (needle);
}

/* ---- The gate: holds the queue's task on a buffer (or on one custom
 * event), so that whatever follows stays queued. */

static GstPadProbeReturn
gate_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *run = user_data;
  gpointer data = GST_PAD_PROBE_INFO_DATA (info);

  if (run->gate_event) {
    if (!GST_IS_EVENT (data) || !gst_event_has_name (data, run->gate_event))
      return GST_PAD_PROBE_PASS;
  } else if (!GST_IS_BUFFER (data) && !GST_IS_BUFFER_LIST (data)) {
    return GST_PAD_PROBE_PASS;
  }
  g_mutex_lock (&run->lock);
  run->gate_hit = TRUE;
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

static void
gate_close (Run * run, const gchar * on_event)
{
  run->gate_hit = FALSE;
  run->gate_event = on_event;
  run->gate = gst_pad_add_probe (run->srcpad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, gate_probe, run, NULL);
}

static void
gate_wait (Run * run)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;

  g_mutex_lock (&run->lock);
  while (!run->gate_hit)
    g_assert_true (g_cond_wait_until (&run->cond, &run->lock, end));
  g_mutex_unlock (&run->lock);
}

static void
gate_open (Run * run)
{
  if (run->gate)
    gst_pad_remove_probe (run->srcpad, run->gate);
  run->gate = 0;
}

/* ---- Running one element */

static void
count_signal (GstElement * q, gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
}

static void
set_props (GstElement * q, const gchar * props)
{
  gchar **pairs = g_strsplit (props ? props : "", " ", -1);
  guint i;

  for (i = 0; pairs[i]; i++) {
    gchar **kv = g_strsplit (pairs[i], "=", 2);
    if (kv[0] && kv[1])
      gst_util_set_object_arg (G_OBJECT (q), kv[0], kv[1]);
    g_strfreev (kv);
  }
  g_strfreev (pairs);
}

static Run *
run_new (const gchar * factory, const gchar * props, Variant variant)
{
  Run *run = g_new0 (Run, 1);

  run->q = gst_element_factory_make (factory, NULL);
  g_assert_nonnull (run->q);
  set_props (run->q, props);
  if (g_str_equal (factory, "boundedqueue") && variant != PLAIN)
    set_props (run->q, "max-live-bytes=" NOT_BINDING);
  if (g_str_equal (factory, "boundedqueue") && variant == NAMED)
    set_props (run->q, "budget=parity");
  g_signal_connect (run->q, "overrun", G_CALLBACK (count_signal),
      &run->overruns);
  g_signal_connect (run->q, "underrun", G_CALLBACK (count_signal),
      &run->underruns);
  g_mutex_init (&run->lock);
  g_cond_init (&run->cond);
  run->trace = g_string_new (NULL);
  run->steps = g_string_new (NULL);
  run->srcpad = gst_element_get_static_pad (run->q, "src");

  run->h = gst_harness_new_with_element (run->q, "sink", "src");
  gst_pad_add_probe (run->h->sinkpad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_EVENT_FLUSH | GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      record_downstream, run, NULL);
  gst_harness_set_src_caps_str (run->h, "application/x-test");
  wait_for (run, "segment");
  return run;
}

/* Frees @run and returns what it observed: the trace, then the steps. */
static gchar *
run_free (Run * run)
{
  gchar *observed;

  gate_open (run);
  gst_harness_teardown (run->h);
  gst_object_unref (run->srcpad);
  gst_object_unref (run->q);
  observed = g_strdup_printf ("downstream: %s\nsteps:\n%s", run->trace->str,
      run->steps->str);
  g_string_free (run->trace, TRUE);
  g_string_free (run->steps, TRUE);
  g_mutex_clear (&run->lock);
  g_cond_clear (&run->cond);
  g_free (run);
  return observed;
}

/* Logs the read-outs after a step. */
static void
step (Run * run, const gchar * what)
{
  guint buffers, bytes;
  guint64 time;

  g_object_get (run->q, "current-level-buffers", &buffers,
      "current-level-bytes", &bytes, "current-level-time", &time, NULL);
  g_string_append_printf (run->steps, "  %s: buffers=%u bytes=%u time=%"
      G_GUINT64_FORMAT "ms overruns=%d\n", what, buffers, bytes,
      time / GST_MSECOND, g_atomic_int_get (&run->overruns));
}

static void
step_flow (Run * run, const gchar * what, GstFlowReturn ret)
{
  gchar *label = g_strdup_printf ("%s -> %s", what, gst_flow_get_name (ret));

  step (run, label);
  g_free (label);
}

/* For a step whose levels depend on how fast the task runs (the gate is
 * open): only the flow return is logged. */
static void
note_flow (Run * run, const gchar * what, GstFlowReturn ret)
{
  g_string_append_printf (run->steps, "  %s -> %s\n", what,
      gst_flow_get_name (ret));
}

static GstBuffer *
buf_new (guint64 offset, GstClockTime pts, GstClockTime duration)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 100, NULL);

  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  return buf;
}

static GstFlowReturn
push (Run * run, guint64 offset)
{
  return gst_harness_push (run->h, buf_new (offset, GST_CLOCK_TIME_NONE,
          GST_CLOCK_TIME_NONE));
}

static GstFlowReturn
push_list (Run * run, guint64 first, guint n)
{
  GstBufferList *list = gst_buffer_list_new ();
  guint i;

  for (i = 0; i < n; i++)
    gst_buffer_list_add (list, buf_new (first + i, GST_CLOCK_TIME_NONE,
            GST_CLOCK_TIME_NONE));
  return gst_pad_push_list (run->h->srcpad, list);
}

static GstEvent *
custom_event (GstEventType type, const gchar * name)
{
  return gst_event_new_custom (type, gst_structure_new_empty (name));
}

static gboolean
push_tag (Run * run, const gchar * title)
{
  return gst_harness_push_event (run->h,
      gst_event_new_tag (gst_tag_list_new (GST_TAG_TITLE, title, NULL)));
}

static void
flush (Run * run)
{
  g_assert_true (gst_harness_push_event (run->h, gst_event_new_flush_start ()));
  step (run, "flush-start");
  g_assert_true (gst_harness_push_event (run->h,
          gst_event_new_flush_stop (TRUE)));
  step (run, "flush-stop");
}

static void
push_segment (Run * run)
{
  GstSegment seg;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (run->h, gst_event_new_segment (&seg)));
}

/* ---- Work on another thread, to observe that it blocks */

typedef struct
{
  Run *run;
  guint64 offset;               /* push this buffer ... */
  GstQuery *query;              /* ... or send this query */
  GThread *thread;
  gint done;                    /* atomic */
  GstFlowReturn ret;
  gboolean res;
} Pusher;

static gpointer
pusher_run (gpointer data)
{
  Pusher *p = data;

  if (p->query)
    p->res = gst_pad_peer_query (p->run->h->srcpad, p->query);
  else
    p->ret = push (p->run, p->offset);
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

static Pusher *
pusher_start (Run * run, guint64 offset, GstQuery * query)
{
  Pusher *p = g_new0 (Pusher, 1);

  p->run = run;
  p->offset = offset;
  p->query = query;
  p->thread = g_thread_new ("pusher", pusher_run, p);
  return p;
}

static gboolean
pusher_done_within (Pusher * p, gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;

  while (!g_atomic_int_get (&p->done) && g_get_monotonic_time () < end)
    g_usleep (1000);
  return g_atomic_int_get (&p->done);
}

static void
pusher_assert_blocked (Pusher * p)
{
  g_assert_false (pusher_done_within (p, SETTLE_US));
}

/* Joins the pusher, logs its outcome (not the levels: the task may be
 * running) and frees it. */
static void
pusher_finish (Pusher * p, const gchar * what)
{
  g_assert_true (pusher_done_within (p, WAIT_US));
  g_thread_join (p->thread);
  if (p->query) {
    g_string_append_printf (p->run->steps, "  %s -> %s\n", what, p->res ?
        "TRUE" : "FALSE");
    gst_query_unref (p->query);
  } else {
    note_flow (p->run, what, p->ret);
  }
  g_free (p);
}

/* ------------------------------------------------------------------ */
/* Scenarios. Each drives one element and logs what it observes. */

typedef void (*Scenario) (Run * run);

/* CAPS, TAG and a custom sticky event still queued when a flushing seek
 * comes must reach downstream after the flush, before the next buffer. */
static void
scenario_sticky_events_survive_flush (Run * run)
{
  gate_close (run, NULL);
  push (run, 0);
  gate_wait (run);
  g_assert_true (gst_harness_push_event (run->h, gst_event_new_caps
          (gst_caps_from_string ("application/x-test,v=(int)2"))));
  g_assert_true (push_tag (run, "queued"));
  g_assert_true (gst_harness_push_event (run->h,
          custom_event (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, "parity-sticky")));
  step_flow (run, "b1", push (run, 1));
  flush (run);
  gate_open (run);
  push_segment (run);
  note_flow (run, "b2", push (run, 2));
  wait_for (run, "b2");
  step (run, "drained");
}

/* Leaky upstream drops whole incoming lists; the first buffer admitted
 * after a drop is DISCONT, in a list as in a single buffer. */
static void
scenario_leaky_upstream_lists (Run * run)
{
  set_props (run->q, "max-size-buffers=2 max-size-bytes=0 max-size-time=0 "
      "leaky=upstream");
  gate_close (run, NULL);
  push (run, 0);
  gate_wait (run);
  step_flow (run, "[b1,b2]", push_list (run, 1, 2));
  step_flow (run, "[b3,b4] (full)", push_list (run, 3, 2));
  step_flow (run, "b5 (full)", push (run, 5));
  gate_open (run);
  wait_for (run, "[b1,b2]");
  note_flow (run, "[b6,b7]", push_list (run, 6, 2));
  wait_for (run, "[b6D,b7]");
  note_flow (run, "b8", push (run, 8));
  wait_for (run, "b8");
  step (run, "drained");
}

/* Leaky downstream drops the oldest queued data; the first buffer pushed
 * after a drop is DISCONT, in a list as in a single buffer, and sticky
 * events queued among the dropped data still arrive before it. */
static void
scenario_leaky_downstream_lists (Run * run)
{
  set_props (run->q, "max-size-buffers=2 max-size-bytes=0 max-size-time=0 "
      "leaky=downstream");
  gate_close (run, NULL);
  push (run, 0);
  gate_wait (run);
  step_flow (run, "[b1,b2]", push_list (run, 1, 2));
  step_flow (run, "[b3,b4] (full)", push_list (run, 3, 2));
  gate_open (run);
  wait_for (run, "[b3D,b4]");
  step (run, "drained once");

  gate_close (run, NULL);
  push (run, 5);
  gate_wait (run);
  g_assert_true (push_tag (run, "among-dropped"));
  step_flow (run, "b6", push (run, 6));
  step_flow (run, "b7", push (run, 7));
  step_flow (run, "b8 (full)", push (run, 8));
  gate_open (run);
  wait_for (run, "b8");
  step (run, "drained twice");
}

/* EOS is queued even when the queue is full, refuses later data, and
 * leaves the queue empty once it is out. */
static void
scenario_eos_with_full_queue (Run * run)
{
  GstQuery *drain;
  gboolean res;

  set_props (run->q, "max-size-buffers=2 max-size-bytes=0 max-size-time=0");
  gate_close (run, NULL);
  push (run, 0);
  gate_wait (run);
  push (run, 1);
  push (run, 2);
  step (run, "full");
  g_assert_true (gst_harness_push_event (run->h, gst_event_new_eos ()));
  step (run, "eos queued");
  step_flow (run, "b3 after eos", push (run, 3));
  gate_open (run);
  wait_for (run, "eos");
  step (run, "drained");
  drain = gst_query_new_drain ();
  res = gst_pad_peer_query (run->h->srcpad, drain);
  gst_query_unref (drain);
  step (run, res ? "drain after eos -> TRUE" : "drain after eos -> FALSE");
}

/* Serialized queries wait for what is queued before them, also when the
 * queue is full; a flush answers a waiting one with FALSE. */
static void
scenario_queries_while_full (Run * run)
{
  GstCaps *caps = gst_caps_from_string ("application/x-test");
  Pusher *p;

  set_props (run->q, "max-size-buffers=2 max-size-bytes=0 max-size-time=0");
  gate_close (run, NULL);
  push (run, 0);
  gate_wait (run);
  push (run, 1);
  push (run, 2);
  p = pusher_start (run, 0, gst_query_new_allocation (caps, TRUE));
  pusher_assert_blocked (p);
  step (run, "allocation waiting");
  gate_open (run);
  pusher_finish (p, "allocation");

  gate_close (run, NULL);
  push (run, 3);
  gate_wait (run);
  push (run, 4);
  push (run, 5);
  p = pusher_start (run, 0, gst_query_new_drain ());
  pusher_assert_blocked (p);
  gate_open (run);
  pusher_finish (p, "drain");
  wait_for (run, "b5");

  gate_close (run, NULL);
  push (run, 6);
  gate_wait (run);
  push (run, 7);
  push (run, 8);
  p = pusher_start (run, 0, gst_query_new_allocation (caps, TRUE));
  pusher_assert_blocked (p);
  g_assert_true (gst_harness_push_event (run->h, gst_event_new_flush_start ()));
  pusher_finish (p, "allocation at flush");
  g_assert_true (gst_harness_push_event (run->h,
          gst_event_new_flush_stop (TRUE)));
  gate_open (run);
  gst_caps_unref (caps);
  step (run, "after flush");
}

/* overrun when a full queue blocks upstream, underrun when the task finds
 * it empty. */
static void
scenario_overrun_and_underrun (Run * run)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  Pusher *p;

  set_props (run->q, "max-size-buffers=1 max-size-bytes=0 max-size-time=0");
  gate_close (run, NULL);
  push (run, 0);
  gate_wait (run);
  push (run, 1);
  step (run, "full");
  p = pusher_start (run, 2, NULL);
  pusher_assert_blocked (p);
  step (run, "b2 blocked");
  g_atomic_int_set (&run->underruns, 0);
  gate_open (run);
  pusher_finish (p, "b2");
  wait_for (run, "b2");
  while (g_atomic_int_get (&run->underruns) == 0 &&
      g_get_monotonic_time () < end)
    g_usleep (1000);
  step (run, g_atomic_int_get (&run->underruns) ? "underrun once empty" :
      "no underrun once empty");
}

/* PLAYING -> NULL while upstream waits on a full queue and the task waits
 * on downstream: both return, and nothing stays queued. */
static void
scenario_state_change_while_blocked (Run * run)
{
  GstStateChangeReturn ret;
  Pusher *p;

  set_props (run->q, "max-size-buffers=1 max-size-bytes=0 max-size-time=0");
  gate_close (run, NULL);
  push (run, 0);
  gate_wait (run);
  push (run, 1);
  p = pusher_start (run, 2, NULL);
  pusher_assert_blocked (p);
  ret = gst_element_set_state (run->q, GST_STATE_NULL);
  step (run, gst_element_state_change_return_get_name (ret));
  pusher_finish (p, "b2");
  step (run, "in NULL");
}

/* current-level-time counts running time from the first queued timestamp,
 * treats a buffer without one as continuing the previous one, and counts
 * gaps; an empty queue holds no time. */
static void
scenario_time_levels (Run * run)
{
  GstBufferList *list = gst_buffer_list_new ();

  set_props (run->q, "max-size-buffers=0 max-size-bytes=0 max-size-time=0");
  push_segment (run);
  gate_close (run, "parity-gate");
  g_assert_true (gst_harness_push_event (run->h,
          custom_event (GST_EVENT_CUSTOM_DOWNSTREAM, "parity-gate")));
  gate_wait (run);
  step (run, "gate");
  gst_harness_push (run->h, buf_new (0, 5 * GST_SECOND, GST_SECOND));
  step (run, "b0 at 5s for 1s");
  gst_harness_push (run->h, buf_new (1, GST_CLOCK_TIME_NONE, GST_SECOND));
  step (run, "b1 untimed for 1s");
  gst_buffer_list_add (list, buf_new (2, 7 * GST_SECOND, GST_SECOND));
  gst_buffer_list_add (list, buf_new (3, GST_CLOCK_TIME_NONE, GST_SECOND));
  gst_pad_push_list (run->h->srcpad, list);
  step (run, "[b2 at 7s, b3 untimed] for 1s each");
  g_assert_true (gst_harness_push_event (run->h,
          gst_event_new_gap (9 * GST_SECOND, GST_SECOND)));
  step (run, "gap at 9s for 1s");
  gst_harness_push (run->h, buf_new (4, GST_CLOCK_TIME_NONE,
          GST_CLOCK_TIME_NONE));
  step (run, "b4 untimed");
  gate_open (run);
  wait_for (run, "b4");
  step (run, "drained");
  gst_harness_push (run->h, buf_new (5, 12 * GST_SECOND, GST_SECOND));
  wait_for (run, "b5");
  step (run, "b5 passed");
}

/* Upstream: live, 2 s to 4 s. */
static GstPadProbeReturn
answer_latency (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_PAD_PROBE_OK;
  gst_query_set_latency (query, TRUE, 2 * GST_SECOND, 4 * GST_SECOND);
  return GST_PAD_PROBE_HANDLED;
}

/* The LATENCY query adds what the queue can hold in time. */
static void
scenario_latency (Run * run)
{
  const gchar *settings[] = {
    "leaky=no max-size-time=1000000000",
    "leaky=upstream max-size-time=1000000000",
    "leaky=downstream max-size-time=3000000000",
    "leaky=downstream max-size-time=5000000000",
    "leaky=no max-size-time=0",
  };
  guint i;

  gst_pad_add_probe (run->h->srcpad, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM,
      answer_latency, NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (settings); i++) {
    GstQuery *query = gst_query_new_latency ();
    GstClockTime min, max;
    gboolean live, res;

    set_props (run->q, settings[i]);
    res = gst_pad_query (run->srcpad, query);
    g_assert_true (res);
    gst_query_parse_latency (query, &live, &min, &max);
    g_string_append_printf (run->steps, "  %s: %d live=%d min=%" GST_TIME_FORMAT
        " max=%" GST_TIME_FORMAT "\n", settings[i], res, live,
        GST_TIME_ARGS (min), GST_TIME_ARGS (max));
    gst_query_unref (query);
  }
}

/* ------------------------------------------------------------------ */

static gchar *
observe (const gchar * factory, Scenario scenario, Variant variant)
{
  Run *run = run_new (factory, NULL, variant);

  scenario (run);
  return run_free (run);
}

/* The core queue's observations are the reference for every variant. */
static void
assert_parity (Scenario scenario)
{
  gchar *reference = observe ("queue", scenario, PLAIN);
  Variant v;

  for (v = PLAIN; v <= NAMED; v++) {
    gchar *ours = observe ("boundedqueue", scenario, v);

    if (g_strcmp0 (reference, ours) != 0)
      g_printerr ("variant %d differs from queue:\n--- queue\n%s--- "
          "boundedqueue\n%s", v, reference, ours);
    g_assert_cmpstr (ours, ==, reference);
    g_free (ours);
  }
  g_free (reference);
}

#define PARITY_TEST(name) \
  static void test_##name (void) { assert_parity (scenario_##name); }

PARITY_TEST (sticky_events_survive_flush);
PARITY_TEST (leaky_upstream_lists);
PARITY_TEST (leaky_downstream_lists);
PARITY_TEST (eos_with_full_queue);
PARITY_TEST (queries_while_full);
PARITY_TEST (overrun_and_underrun);
PARITY_TEST (state_change_while_blocked);
PARITY_TEST (time_levels);
PARITY_TEST (latency);

/* The promise of the flush scenario, spelled out: after the flush, the
 * queued CAPS, TAG and custom sticky event come before the next buffer. */
static void
test_sticky_events_reach_downstream_after_flush (void)
{
  gchar *observed = observe ("boundedqueue",
      scenario_sticky_events_survive_flush, PLAIN);
  const gchar *after = strstr (observed, "flush-stop ");
  const gchar *next = after ? strstr (after, "b2 ") : NULL;
  const gchar *wanted[] = { "caps(application/x-test, v=(int)2) ",
    "tag(queued) ", "parity-sticky "
  };
  guint i;

  g_assert_nonnull (next);
  for (i = 0; i < G_N_ELEMENTS (wanted); i++) {
    const gchar *at = strstr (after, wanted[i]);

    g_assert_nonnull (at);
    g_assert_true (at < next);
  }
  g_free (observed);
}

/* ---- Budget waits that bind: flush, state change and shutdown end them */

typedef enum
{
  END_BY_FLUSH,
  END_BY_READY,                 /* PLAYING -> READY */
  END_BY_NULL,                  /* PLAYING -> NULL: shutdown */
} WaitEnd;

typedef struct
{
  GstHarness *h;
  gint done;                    /* atomic */
  GstFlowReturn ret;
} BudgetPusher;

static gpointer
budget_pusher_run (gpointer data)
{
  BudgetPusher *p = data;

  p->ret = gst_harness_push (p->h, gst_buffer_new_allocate (NULL, 600, NULL));
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

/* @factory holds 600 of its 1000 live bytes downstream (unpulled in the
 * harness); the next 600 wait on the budget until @end. */
static void
assert_budget_wait_ends (const gchar * factory, const gchar * budget,
    WaitEnd end)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  BudgetPusher p = { NULL, 0, GST_FLOW_OK };
  GThread *thread;
  gint64 deadline;

  set_props (e, "max-live-bytes=1000");
  if (budget)
    set_props (e, budget);
  p.h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps_str (p.h, "application/x-test");
  g_assert_cmpint (gst_harness_push (p.h, gst_buffer_new_allocate (NULL, 600,
              NULL)), ==, GST_FLOW_OK);
  thread = g_thread_new ("budget-pusher", budget_pusher_run, &p);
  g_usleep (SETTLE_US);
  g_assert_false (g_atomic_int_get (&p.done));

  if (end == END_BY_FLUSH)
    g_assert_true (gst_harness_push_event (p.h, gst_event_new_flush_start ()));
  else
    g_assert_cmpint (gst_element_set_state (e, end == END_BY_READY ?
            GST_STATE_READY : GST_STATE_NULL), ==, GST_STATE_CHANGE_SUCCESS);
  deadline = g_get_monotonic_time () + WAIT_US;
  while (!g_atomic_int_get (&p.done) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_true (g_atomic_int_get (&p.done));
  g_thread_join (thread);
  g_assert_cmpint (p.ret, ==, GST_FLOW_FLUSHING);
  gst_harness_teardown (p.h);
  gst_object_unref (e);
}

static void
test_budget_waits_end_on_flush_state_change_and_shutdown (void)
{
  const gchar *factories[] = { "boundedqueue", "memmeter" };
  const gchar *budgets[] = { NULL, "budget=parity-wait" };
  guint f, b;
  WaitEnd end;

  for (f = 0; f < G_N_ELEMENTS (factories); f++)
    for (b = 0; b < G_N_ELEMENTS (budgets); b++)
      for (end = END_BY_FLUSH; end <= END_BY_NULL; end++)
        assert_budget_wait_ends (factories[f], budgets[b], end);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);

  g_test_add_func ("/queue_parity/sticky_events_survive_flush", test_sticky_events_survive_flush);
  g_test_add_func ("/queue_parity/sticky_events_reach_downstream_after_flush",
      test_sticky_events_reach_downstream_after_flush);
  g_test_add_func ("/queue_parity/leaky_upstream_lists", test_leaky_upstream_lists);
  g_test_add_func ("/queue_parity/leaky_downstream_lists", test_leaky_downstream_lists);
  g_test_add_func ("/queue_parity/eos_with_full_queue", test_eos_with_full_queue);
  g_test_add_func ("/queue_parity/queries_while_full", test_queries_while_full);
  g_test_add_func ("/queue_parity/overrun_and_underrun", test_overrun_and_underrun);
  g_test_add_func ("/queue_parity/state_change_while_blocked", test_state_change_while_blocked);
  g_test_add_func ("/queue_parity/time_levels", test_time_levels);
  g_test_add_func ("/queue_parity/latency", test_latency);
  g_test_add_func
      ("/queue_parity/budget_waits_end_on_flush_state_change_and_shutdown",
      test_budget_waits_end_on_flush_state_change_and_shutdown);
  return g_test_run ();
}
