/* boundedqueue: the promises of a thread-boundary queue bounded by what it
 * holds and by the bytes still alive downstream. */
#include <string.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

/* Anything that could deadlock runs against this limit. */
#define WAIT_US (5 * G_USEC_PER_SEC)
/* How long "still blocked" must hold before we believe it. */
#define SETTLE_US (200 * G_TIME_SPAN_MILLISECOND)

static GstBuffer *
make_buffer (gsize size, guint64 index, GstClockTime pts, GstClockTime dur)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  GST_BUFFER_OFFSET (buf) = index;
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = dur;
  return buf;
}

/* A harnessed boundedqueue; @props is "name=value name=value ...". */
static GstHarness *
new_queue (const gchar * props)
{
  GstElement *queue = gst_element_factory_make ("boundedqueue", NULL);
  gchar **pairs = g_strsplit (props ? props : "", " ", -1);
  GstHarness *h;
  guint i;

  g_assert_nonnull (queue);
  for (i = 0; pairs[i]; i++) {
    gchar **kv = g_strsplit (pairs[i], "=", 2);
    if (kv[0] && kv[1])
      gst_util_set_object_arg (G_OBJECT (queue), kv[0], kv[1]);
    g_strfreev (kv);
  }
  g_strfreev (pairs);
  h = gst_harness_new_with_element (queue, "sink", "src");
  gst_object_unref (queue);
  gst_harness_set_src_caps_str (h, "application/x-test");
  return h;
}

static void
push_segment (GstHarness * h)
{
  GstSegment seg;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
}

static GstElement *
queue_of (GstHarness * h)
{
  return h->element;
}

static guint
get_uint (GstHarness * h, const gchar * prop)
{
  guint v;

  g_object_get (queue_of (h), prop, &v, NULL);
  return v;
}

static guint64
get_uint64 (GstHarness * h, const gchar * prop)
{
  guint64 v;

  g_object_get (queue_of (h), prop, &v, NULL);
  return v;
}

/* ---- A gate on the queue's source pad: holds the task on its first buffer,
 * so that what follows stays queued. */

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean blocked;
  gulong id;
  GstPad *pad;
} Gate;

static GstPadProbeReturn
gate_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Gate *gate = user_data;

  g_mutex_lock (&gate->lock);
  gate->blocked = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
  return GST_PAD_PROBE_OK;
}

static void
gate_close (Gate * gate, GstHarness * h)
{
  g_mutex_init (&gate->lock);
  g_cond_init (&gate->cond);
  gate->blocked = FALSE;
  gate->pad = gst_element_get_static_pad (queue_of (h), "src");
  gate->id = gst_pad_add_probe (gate->pad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, gate_probe, gate, NULL);
}

static void
gate_wait_blocked (Gate * gate)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;

  g_mutex_lock (&gate->lock);
  while (!gate->blocked)
    g_assert_true (g_cond_wait_until (&gate->cond, &gate->lock, end));
  g_mutex_unlock (&gate->lock);
}

static void
gate_open (Gate * gate)
{
  if (gate->id)
    gst_pad_remove_probe (gate->pad, gate->id);
  gate->id = 0;
}

static void
gate_clear (Gate * gate)
{
  gate_open (gate);
  gst_object_unref (gate->pad);
  g_mutex_clear (&gate->lock);
  g_cond_clear (&gate->cond);
}

/* ---- A push from another thread, to observe that it blocks. */

typedef struct
{
  GstHarness *h;
  GstBuffer *buf;
  GstEvent *event;
  GstQuery *query;
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean done;
  GstFlowReturn ret;
  gboolean res;
} Pusher;

static gpointer
pusher_run (gpointer data)
{
  Pusher *p = data;

  if (p->buf)
    p->ret = gst_harness_push (p->h, p->buf);
  else if (p->event)
    p->res = gst_harness_push_event (p->h, p->event);
  else
    p->res = gst_pad_peer_query (p->h->srcpad, p->query);
  g_mutex_lock (&p->lock);
  p->done = TRUE;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
  return NULL;
}

static Pusher *
pusher_start (GstHarness * h, GstBuffer * buf, GstEvent * event,
    GstQuery * query)
{
  Pusher *p = g_new0 (Pusher, 1);

  p->h = h;
  p->buf = buf;
  p->event = event;
  p->query = query;
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->thread = g_thread_new ("pusher", pusher_run, p);
  return p;
}

static gboolean
pusher_wait (Pusher * p, gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;
  gboolean done;

  g_mutex_lock (&p->lock);
  while (!p->done && g_cond_wait_until (&p->cond, &p->lock, end));
  done = p->done;
  g_mutex_unlock (&p->lock);
  return done;
}

static void
pusher_assert_blocked (Pusher * p)
{
  g_assert_false (pusher_wait (p, SETTLE_US));
}

/* Waits for the push to finish (failing after WAIT_US) and frees it. */
static GstFlowReturn
pusher_finish (Pusher * p)
{
  GstFlowReturn ret;

  g_assert_true (pusher_wait (p, WAIT_US));
  g_thread_join (p->thread);
  ret = p->ret;
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_free (p);
  return ret;
}

static void
count_signal (GstElement * queue, gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
}

static void
wait_level_buffers (GstHarness * h, guint expected)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;

  while (get_uint (h, "current-level-buffers") != expected) {
    g_assert_cmpint (g_get_monotonic_time (), <, end);
    g_usleep (1000);
  }
}

/* ------------------------------------------------------------------ */

static void
test_levels_count_buffers_bytes_time (void)
{
  GstHarness *h = new_queue ("max-size-buffers=0 max-size-bytes=0 "
      "max-size-time=0");
  Gate gate;
  guint i;

  gate_close (&gate, h);
  /* The task takes the first buffer and is held by the gate with it. */
  g_assert_cmpint (gst_harness_push (h, make_buffer (10, 0, 0,
              10 * GST_MSECOND)), ==, GST_FLOW_OK);
  gate_wait_blocked (&gate);

  for (i = 1; i <= 5; i++)
    g_assert_cmpint (gst_harness_push (h, make_buffer (100, i,
                i * 10 * GST_MSECOND, 10 * GST_MSECOND)), ==, GST_FLOW_OK);
  g_assert_cmpuint (get_uint (h, "current-level-buffers"), ==, 5);
  g_assert_cmpuint (get_uint (h, "current-level-bytes"), ==, 500);
  /* sink at the end of buffer 5 (60 ms), source at the end of buffer 0 */
  g_assert_cmpuint (get_uint64 (h, "current-level-time"), ==,
      50 * GST_MSECOND);

  gate_open (&gate);
  for (i = 0; i <= 5; i++) {
    GstBuffer *out = gst_harness_pull (h);
    g_assert_nonnull (out);
    g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, i);
    gst_buffer_unref (out);
  }
  g_assert_cmpuint (get_uint (h, "current-level-buffers"), ==, 0);
  g_assert_cmpuint (get_uint (h, "current-level-bytes"), ==, 0);
  g_assert_cmpuint (get_uint64 (h, "current-level-time"), ==, 0);
  gate_clear (&gate);
  gst_harness_teardown (h);
}

/* Fills the queue behind the gate with @n buffers of @size bytes and 10 ms,
 * then checks that one more push blocks, emits overrun, and goes on once the
 * gate opens. */
static void
check_limit_blocks (const gchar * props, guint n, gsize size)
{
  GstHarness *h = new_queue (props);
  gint overruns = 0;
  Gate gate;
  Pusher *p;
  guint i;

  g_signal_connect (queue_of (h), "overrun", G_CALLBACK (count_signal),
      &overruns);
  gate_close (&gate, h);
  gst_harness_push (h, make_buffer (size, 0, 0, 10 * GST_MSECOND));
  gate_wait_blocked (&gate);
  for (i = 1; i <= n; i++)
    g_assert_cmpint (gst_harness_push (h, make_buffer (size, i,
                i * 10 * GST_MSECOND, 10 * GST_MSECOND)), ==, GST_FLOW_OK);
  g_assert_cmpint (g_atomic_int_get (&overruns), ==, 0);

  p = pusher_start (h, make_buffer (size, n + 1, (n + 1) * 10 * GST_MSECOND,
          10 * GST_MSECOND), NULL, NULL);
  pusher_assert_blocked (p);
  g_assert_cmpint (g_atomic_int_get (&overruns), ==, 1);
  g_assert_cmpuint (get_uint (h, "current-level-buffers"), ==, n);

  gate_open (&gate);
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_OK);
  for (i = 0; i <= n + 1; i++) {
    GstBuffer *out = gst_harness_pull (h);
    g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, i);
    gst_buffer_unref (out);
  }
  gate_clear (&gate);
  gst_harness_teardown (h);
}

static void
test_max_size_buffers_blocks_upstream (void)
{
  check_limit_blocks ("max-size-buffers=3 max-size-bytes=0 max-size-time=0",
      3, 10);
}

static void
test_max_size_bytes_blocks_upstream (void)
{
  check_limit_blocks ("max-size-buffers=0 max-size-bytes=400 max-size-time=0",
      4, 100);
}

static void
test_max_size_time_blocks_upstream (void)
{
  /* sink position 40 ms + 10 ms, source 10 ms: 40 ms queued */
  check_limit_blocks ("max-size-buffers=0 max-size-bytes=0 "
      "max-size-time=40000000", 4, 10);
}

/* Holds buffer 0 at the gate, pushes 1..5 into room for 2, then one more
 * after the gate opens; returns the offsets that came out. */
static GArray *
run_leaky (const gchar * leaky, guint64 * dropped, GArray * disconts)
{
  gchar *props = g_strdup_printf ("max-size-buffers=2 max-size-bytes=0 "
      "max-size-time=0 leaky=%s", leaky);
  GstHarness *h = new_queue (props);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint64));
  Gate gate;
  guint i;

  g_free (props);
  gate_close (&gate, h);
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  gate_wait_blocked (&gate);
  for (i = 1; i <= 5; i++)      /* never blocks: leaky */
    g_assert_cmpint (gst_harness_push (h, make_buffer (10, i,
                i * GST_MSECOND, GST_MSECOND)), ==, GST_FLOW_OK);
  g_assert_cmpuint (get_uint (h, "current-level-buffers"), ==, 2);
  *dropped = get_uint64 (h, "dropped-buffers");
  gate_open (&gate);
  for (i = 0; i < 3; i++) {
    GstBuffer *b = gst_harness_pull (h);
    g_array_append_val (out, GST_BUFFER_OFFSET (b));
    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT))
      g_array_append_val (disconts, GST_BUFFER_OFFSET (b));
    gst_buffer_unref (b);
  }
  gst_harness_push (h, make_buffer (10, 6, 6 * GST_MSECOND, GST_MSECOND));
  {
    GstBuffer *b = gst_harness_pull (h);
    g_array_append_val (out, GST_BUFFER_OFFSET (b));
    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT))
      g_array_append_val (disconts, GST_BUFFER_OFFSET (b));
    gst_buffer_unref (b);
  }
  gate_clear (&gate);
  gst_harness_teardown (h);
  return out;
}

static void
test_leaky_upstream_drops_new_buffers (void)
{
  GArray *disconts = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 dropped;
  GArray *out = run_leaky ("upstream", &dropped, disconts);

  /* 3, 4 and 5 found the queue full and were dropped */
  g_assert_cmpuint (dropped, ==, 3);
  g_assert_cmpuint (out->len, ==, 4);
  g_assert_cmpuint (g_array_index (out, guint64, 0), ==, 0);
  g_assert_cmpuint (g_array_index (out, guint64, 1), ==, 1);
  g_assert_cmpuint (g_array_index (out, guint64, 2), ==, 2);
  g_assert_cmpuint (g_array_index (out, guint64, 3), ==, 6);
  /* the first buffer after the gap says so */
  g_assert_cmpuint (disconts->len, ==, 1);
  g_assert_cmpuint (g_array_index (disconts, guint64, 0), ==, 6);
  g_array_unref (out);
  g_array_unref (disconts);
}

static void
test_leaky_downstream_drops_old_buffers (void)
{
  GArray *disconts = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 dropped;
  GArray *out = run_leaky ("downstream", &dropped, disconts);

  /* 1, 2 and 3 were each the oldest queued when 3, 4 and 5 arrived */
  g_assert_cmpuint (dropped, ==, 3);
  g_assert_cmpuint (out->len, ==, 4);
  g_assert_cmpuint (g_array_index (out, guint64, 0), ==, 0);
  g_assert_cmpuint (g_array_index (out, guint64, 1), ==, 4);
  g_assert_cmpuint (g_array_index (out, guint64, 2), ==, 5);
  g_assert_cmpuint (g_array_index (out, guint64, 3), ==, 6);
  g_assert_cmpuint (disconts->len, ==, 1);
  g_assert_cmpuint (g_array_index (disconts, guint64, 0), ==, 4);
  g_array_unref (out);
  g_array_unref (disconts);
}

static void
test_underrun_signalled_when_empty (void)
{
  GstHarness *h = new_queue (NULL);
  gint underruns = 0;
  gint64 end = g_get_monotonic_time () + WAIT_US;
  gint before;

  g_signal_connect (queue_of (h), "underrun", G_CALLBACK (count_signal),
      &underruns);
  /* Each time the task drains the queue it says so once, then sleeps. */
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  gst_buffer_unref (gst_harness_pull (h));
  while (g_atomic_int_get (&underruns) == 0)
    g_assert_cmpint (g_get_monotonic_time (), <, end);
  g_usleep (SETTLE_US);
  before = g_atomic_int_get (&underruns);
  g_usleep (SETTLE_US);
  g_assert_cmpint (g_atomic_int_get (&underruns), ==, before);
  gst_harness_push (h, make_buffer (10, 1, GST_MSECOND, GST_MSECOND));
  gst_buffer_unref (gst_harness_pull (h));
  end = g_get_monotonic_time () + WAIT_US;
  while (g_atomic_int_get (&underruns) == before)
    g_assert_cmpint (g_get_monotonic_time (), <, end);
  gst_harness_teardown (h);
}

/* ---- Order of buffers, events and queries leaving the source pad */

static GstPadProbeReturn
record_order (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GString *log = user_data;

  GST_OBJECT_LOCK (pad);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    g_string_append_printf (log, "b%" G_GUINT64_FORMAT " ",
        GST_BUFFER_OFFSET (GST_PAD_PROBE_INFO_BUFFER (info)));
  else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *e = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (e) == GST_EVENT_CUSTOM_DOWNSTREAM)
      g_string_append (log, "custom ");
    else if (GST_EVENT_TYPE (e) == GST_EVENT_EOS)
      g_string_append (log, "eos ");
  } else if ((info->type & GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM) &&
      !(info->type & GST_PAD_PROBE_TYPE_PULL)) {
    /* (a query is probed on its way out and again with its answer) */
    if (GST_QUERY_TYPE (GST_PAD_PROBE_INFO_QUERY (info)) ==
        GST_QUERY_ALLOCATION)
      g_string_append (log, "allocation ");
  }
  GST_OBJECT_UNLOCK (pad);
  return GST_PAD_PROBE_OK;
}

static void
test_events_and_queries_stay_in_order (void)
{
  GstHarness *h = new_queue (NULL);
  GString *log = g_string_new (NULL);
  GstPad *src = gst_element_get_static_pad (queue_of (h), "src");
  GstCaps *caps = gst_caps_from_string ("application/x-test");
  Gate gate;
  Pusher *p;

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, record_order, log, NULL);
  gate_close (&gate, h);
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  gate_wait_blocked (&gate);
  gst_harness_push (h, make_buffer (10, 1, GST_MSECOND, GST_MSECOND));
  g_assert_true (gst_harness_push_event (h,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_new_empty ("marker"))));
  gst_harness_push (h, make_buffer (10, 2, 2 * GST_MSECOND, GST_MSECOND));

  /* A serialized query waits behind the data queued before it. */
  p = pusher_start (h, NULL, NULL, gst_query_new_allocation (caps, TRUE));
  pusher_assert_blocked (p);
  gate_open (&gate);
  g_assert_true (pusher_wait (p, WAIT_US));
  g_assert_true (p->res);
  gst_query_unref (p->query);
  pusher_finish (p);

  gst_harness_push (h, make_buffer (10, 3, 3 * GST_MSECOND, GST_MSECOND));
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));
  {
    gint64 end = g_get_monotonic_time () + WAIT_US;
    gboolean complete = FALSE;
    while (!complete) {
      GST_OBJECT_LOCK (src);
      complete = g_str_has_suffix (log->str, "eos ");
      GST_OBJECT_UNLOCK (src);
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (1000);
    }
  }
  g_assert_cmpstr (log->str, ==, "b0 b1 custom b2 allocation b3 eos ");

  gst_caps_unref (caps);
  gate_clear (&gate);
  gst_object_unref (src);
  g_string_free (log, TRUE);
  gst_harness_teardown (h);
}

static void
test_eos_passes_and_new_stream_reopens (void)
{
  GstHarness *h = new_queue (NULL);
  GstEvent *ev;
  gint64 end = g_get_monotonic_time () + WAIT_US;

  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_buffer_unref (gst_harness_pull (h));
  /* stream-start, caps, segment, then EOS */
  do {
    ev = gst_harness_try_pull_event (h);
    if (!ev) {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (1000);
      continue;
    }
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      gst_event_unref (ev);
      break;
    }
    gst_event_unref (ev);
  } while (TRUE);
  g_assert_cmpint (gst_harness_push (h, make_buffer (10, 1, GST_MSECOND,
              GST_MSECOND)), ==, GST_FLOW_EOS);

  /* A new stream reopens the queue (and the task, paused after EOS). */
  gst_harness_push_event (h, gst_event_new_stream_start ("again"));
  push_segment (h);
  g_assert_cmpint (gst_harness_push (h, make_buffer (10, 2, 0,
              GST_MSECOND)), ==, GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_teardown (h);
}

static void
test_flush_empties_and_unblocks (void)
{
  GstHarness *h = new_queue ("max-size-buffers=2 max-size-bytes=0 "
      "max-size-time=0");
  Gate gate;
  Pusher *p;
  GstBuffer *out;

  gate_close (&gate, h);
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  gate_wait_blocked (&gate);
  gst_harness_push (h, make_buffer (10, 1, GST_MSECOND, GST_MSECOND));
  gst_harness_push (h, make_buffer (10, 2, 2 * GST_MSECOND, GST_MSECOND));
  p = pusher_start (h, make_buffer (10, 3, 3 * GST_MSECOND, GST_MSECOND),
      NULL, NULL);
  pusher_assert_blocked (p);

  /* flush-start unblocks both the blocked chain and the gated task */
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_FLUSHING);
  g_assert_cmpint (gst_harness_push (h, make_buffer (10, 4, 0, GST_MSECOND)),
      ==, GST_FLOW_FLUSHING);
  gate_open (&gate);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  g_assert_cmpuint (get_uint (h, "current-level-buffers"), ==, 0);
  g_assert_cmpuint (get_uint (h, "current-level-bytes"), ==, 0);

  /* Flushing dropped 1 and 2; whatever the gate held may or may not have
   * reached the harness. After the flush the task runs again. */
  while ((out = gst_harness_try_pull (h)))
    gst_buffer_unref (out);
  push_segment (h);
  g_assert_cmpint (gst_harness_push (h, make_buffer (10, 5, 0, GST_MSECOND)),
      ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, 5);
  gst_buffer_unref (out);
  gate_clear (&gate);
  gst_harness_teardown (h);
}


static void
test_flush_releases_waiting_query (void)
{
  GstHarness *h = new_queue (NULL);
  GstCaps *caps = gst_caps_from_string ("application/x-test");
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  Gate gate;
  Pusher *p;

  gate_close (&gate, h);
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  gate_wait_blocked (&gate);
  p = pusher_start (h, NULL, NULL, query);
  pusher_assert_blocked (p);
  gst_harness_push_event (h, gst_event_new_flush_start ());
  g_assert_true (pusher_wait (p, WAIT_US));
  g_assert_false (p->res);
  pusher_finish (p);
  gst_query_unref (query);
  gst_caps_unref (caps);
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  gate_clear (&gate);
  gst_harness_teardown (h);
}

static GstPadProbeReturn
answer_flow (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GST_PAD_PROBE_INFO_FLOW_RETURN (info) = GPOINTER_TO_INT (user_data);
  gst_buffer_unref (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = NULL;
  return GST_PAD_PROBE_HANDLED;
}

/* Pushes until upstream sees @expected (the task answers asynchronously). */
static void
push_until (GstHarness * h, GstFlowReturn expected)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  GstFlowReturn ret;

  do {
    g_assert_cmpint (g_get_monotonic_time (), <, end);
    g_usleep (1000);
    ret = gst_harness_push (h, make_buffer (10, 1, 0, GST_MSECOND));
  } while (ret == GST_FLOW_OK);
  g_assert_cmpint (ret, ==, expected);
}

static void
test_downstream_error_reaches_upstream (void)
{
  GstHarness *h = new_queue (NULL);
  GstPad *src = gst_element_get_static_pad (queue_of (h), "src");

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, answer_flow,
      GINT_TO_POINTER (GST_FLOW_ERROR), NULL);
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  push_until (h, GST_FLOW_ERROR);
  gst_object_unref (src);
  gst_harness_teardown (h);
}

static void
test_downstream_eos_still_lets_eos_through (void)
{
  GstHarness *h = new_queue (NULL);
  GstPad *src = gst_element_get_static_pad (queue_of (h), "src");
  gint64 end = g_get_monotonic_time () + WAIT_US;
  GstEvent *ev;
  gboolean got_eos = FALSE;

  /* a sink that has had enough */
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, answer_flow,
      GINT_TO_POINTER (GST_FLOW_EOS), NULL);
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  push_until (h, GST_FLOW_EOS);
  /* upstream then finishes with EOS, which must still reach the sink */
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  while (!got_eos) {
    g_assert_cmpint (g_get_monotonic_time (), <, end);
    ev = gst_harness_try_pull_event (h);
    if (!ev) {
      g_usleep (1000);
      continue;
    }
    got_eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  gst_object_unref (src);
  gst_harness_teardown (h);
}

static void
test_not_linked_recovers_on_reconfigure (void)
{
  GstHarness *h = new_queue (NULL);
  GstPad *src = gst_element_get_static_pad (queue_of (h), "src");
  gulong id;
  GstBuffer *out;

  id = gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, answer_flow,
      GINT_TO_POINTER (GST_FLOW_NOT_LINKED), NULL);
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  push_until (h, GST_FLOW_NOT_LINKED);
  /* relinked: downstream asks for a reconfigure and data flows again */
  gst_pad_remove_probe (src, id);
  g_assert_true (gst_harness_push_upstream_event (h,
          gst_event_new_reconfigure ()));
  g_assert_cmpint (gst_harness_push (h, make_buffer (10, 7, 0, GST_MSECOND)),
      ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, 7);
  gst_buffer_unref (out);
  gst_object_unref (src);
  gst_harness_teardown (h);
}

static void
test_error_after_upstream_eos_is_posted (void)
{
  GstHarness *h = new_queue (NULL);
  GstPad *src = gst_element_get_static_pad (queue_of (h), "src");
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (queue_of (h), bus);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, answer_flow,
      GINT_TO_POINTER (GST_FLOW_ERROR), NULL);
  /* upstream will never see the flow return of this buffer: it is done */
  gst_harness_push (h, make_buffer (10, 0, 0, GST_MSECOND));
  gst_harness_push_event (h, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (bus, WAIT_US * GST_USECOND,
      GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_true (GST_MESSAGE_SRC (msg) == GST_OBJECT (queue_of (h)));
  gst_message_unref (msg);
  gst_element_set_bus (queue_of (h), NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_harness_teardown (h);
}

/* ---- Live bytes */

static void
test_live_bytes_block_until_downstream_releases (void)
{
  GstHarness *h = new_queue ("max-live-bytes=1000");
  GstBuffer *held[2];
  Pusher *p;
  gint overruns = 0;

  g_signal_connect (queue_of (h), "overrun", G_CALLBACK (count_signal),
      &overruns);
  /* The harness keeps what it receives until pulled: that memory is alive
   * downstream although the queue is empty. */
  gst_harness_push (h, make_buffer (400, 0, 0, GST_MSECOND));
  gst_harness_push (h, make_buffer (400, 1, GST_MSECOND, GST_MSECOND));
  wait_level_buffers (h, 0);
  g_assert_cmpuint (get_uint64 (h, "live-bytes"), ==, 800);

  p = pusher_start (h, make_buffer (400, 2, 2 * GST_MSECOND, GST_MSECOND),
      NULL, NULL);
  pusher_assert_blocked (p);
  g_assert_cmpint (g_atomic_int_get (&overruns), ==, 1);
  g_assert_cmpuint (get_uint (h, "current-level-buffers"), ==, 0);

  held[0] = gst_harness_pull (h);
  pusher_assert_blocked (p);    /* pulled but still alive */
  gst_buffer_unref (held[0]);
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_OK);

  held[0] = gst_harness_pull (h);
  held[1] = gst_harness_pull (h);
  g_assert_cmpuint (get_uint64 (h, "live-bytes"), ==, 800);
  g_assert_cmpuint (get_uint64 (h, "peak-live-bytes"), ==, 800);
  gst_buffer_unref (held[0]);
  gst_buffer_unref (held[1]);
  g_assert_cmpuint (get_uint64 (h, "live-bytes"), ==, 0);
  gst_harness_teardown (h);
}

static void
test_oversized_buffer_passes_when_nothing_live (void)
{
  GstHarness *h = new_queue ("max-live-bytes=1000");
  GstBuffer *out;
  Pusher *p;

  p = pusher_start (h, make_buffer (5000, 0, 0, GST_MSECOND), NULL, NULL);
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_cmpuint (gst_buffer_get_size (out), ==, 5000);
  g_assert_cmpuint (get_uint64 (h, "live-bytes"), ==, 5000);

  /* ... but the next one waits for it */
  p = pusher_start (h, make_buffer (10, 1, GST_MSECOND, GST_MSECOND), NULL,
      NULL);
  pusher_assert_blocked (p);
  gst_buffer_unref (out);
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_OK);
  gst_harness_teardown (h);
}

static void
test_flush_unblocks_budget_wait (void)
{
  GstHarness *h = new_queue ("max-live-bytes=100");
  Pusher *p;

  gst_harness_push (h, make_buffer (100, 0, 0, GST_MSECOND));
  p = pusher_start (h, make_buffer (100, 1, GST_MSECOND, GST_MSECOND), NULL,
      NULL);
  pusher_assert_blocked (p);
  gst_harness_push_event (h, gst_event_new_flush_start ());
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_FLUSHING);
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  push_segment (h);
  /* the harness may have dropped what it held on flush-start */
  if (get_uint64 (h, "live-bytes") == 0)
    gst_harness_push (h, make_buffer (100, 0, 0, GST_MSECOND));

  /* the same when the element shuts down instead */
  p = pusher_start (h, make_buffer (100, 1, GST_MSECOND, GST_MSECOND), NULL,
      NULL);
  pusher_assert_blocked (p);
  gst_element_set_state (queue_of (h), GST_STATE_NULL);
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_FLUSHING);
  gst_harness_teardown (h);
}

static void
test_named_budget_is_shared (void)
{
  GstHarness *a = new_queue ("budget=unit-shared max-live-bytes=1000");
  GstHarness *b = new_queue ("budget=unit-shared max-live-bytes=0");
  GstHarness *c = new_queue ("budget=unit-shared max-live-bytes=5000");
  Pusher *p;

  gst_harness_push (a, make_buffer (600, 0, 0, GST_MSECOND));
  wait_level_buffers (a, 0);
  g_assert_cmpuint (get_uint64 (b, "live-bytes"), ==, 600);
  g_assert_cmpuint (get_uint64 (c, "live-bytes"), ==, 600);

  /* b has nothing of its own alive: it is never starved by a's share */
  g_assert_cmpint (gst_harness_push (b, make_buffer (600, 0, 0, GST_MSECOND)),
      ==, GST_FLOW_OK);
  wait_level_buffers (b, 0);
  g_assert_cmpuint (get_uint64 (a, "live-bytes"), ==, 1200);

  /* now it is bound by the smallest non-zero member limit, 1000 */
  p = pusher_start (b, make_buffer (100, 1, GST_MSECOND, GST_MSECOND), NULL,
      NULL);
  pusher_assert_blocked (p);
  gst_buffer_unref (gst_harness_pull (a));
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_OK);
  wait_level_buffers (b, 0);
  g_assert_cmpuint (get_uint64 (c, "live-bytes"), ==, 700);

  /* the strictest member leaving loosens the limit to the next one, 5000 */
  gst_harness_teardown (a);
  p = pusher_start (b, make_buffer (3000, 2, 2 * GST_MSECOND, GST_MSECOND),
      NULL, NULL);
  g_assert_cmpint (pusher_finish (p), ==, GST_FLOW_OK);
  wait_level_buffers (b, 0);
  g_assert_cmpuint (get_uint64 (c, "live-bytes"), ==, 3700);
  gst_harness_teardown (b);
  gst_harness_teardown (c);
}

static void
test_leaky_upstream_drops_over_budget (void)
{
  GstHarness *h = new_queue ("max-live-bytes=1000 leaky=upstream");

  gst_harness_push (h, make_buffer (600, 0, 0, GST_MSECOND));
  g_assert_cmpint (gst_harness_push (h, make_buffer (600, 1, GST_MSECOND,
              GST_MSECOND)), ==, GST_FLOW_OK);
  g_assert_cmpuint (get_uint64 (h, "dropped-buffers"), ==, 1);
  g_assert_cmpuint (get_uint64 (h, "live-bytes"), ==, 600);
  gst_harness_teardown (h);
}

/* ---- Properties */

static void
test_properties_validate_and_document (void)
{
  GstElement *q = gst_element_factory_make ("boundedqueue", NULL);
  GObjectClass *klass = G_OBJECT_GET_CLASS (q);
  const gchar *names[] = { "max-size-buffers", "max-size-bytes",
    "max-size-time", "leaky", "current-level-buffers", "current-level-bytes",
    "current-level-time", "dropped-buffers", "max-live-bytes", "budget",
    "live-bytes", "peak-live-bytes"
  };
  const gchar *readonly[] = { "current-level-buffers", "current-level-bytes",
    "current-level-time", "dropped-buffers", "live-bytes", "peak-live-bytes"
  };
  guint i, buffers, bytes, leaky;
  guint64 time, live;
  gchar *budget;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *spec = g_object_class_find_property (klass, names[i]);
    g_assert_nonnull (spec);
    g_assert_true (spec->flags & G_PARAM_STATIC_STRINGS);
    g_assert_cmpuint (strlen (g_param_spec_get_blurb (spec)), >, 20);
  }
  for (i = 0; i < G_N_ELEMENTS (readonly); i++) {
    GParamSpec *spec = g_object_class_find_property (klass, readonly[i]);
    g_assert_false (spec->flags & G_PARAM_WRITABLE);
  }

  g_object_get (q, "max-size-buffers", &buffers, "max-size-bytes", &bytes,
      "max-size-time", &time, "leaky", &leaky, "max-live-bytes", &live,
      "budget", &budget, NULL);
  g_assert_cmpuint (buffers, ==, 200);
  g_assert_cmpuint (bytes, ==, 10 * 1024 * 1024);
  g_assert_cmpuint (time, ==, GST_SECOND);
  g_assert_cmpuint (leaky, ==, 0);
  g_assert_cmpuint (live, ==, 0);
  g_assert_null (budget);

  /* queue's nicks */
  gst_util_set_object_arg (G_OBJECT (q), "leaky", "downstream");
  g_object_get (q, "leaky", &leaky, NULL);
  g_assert_cmpuint (leaky, ==, 2);
  gst_util_set_object_arg (G_OBJECT (q), "leaky", "upstream");
  g_object_get (q, "leaky", &leaky, NULL);
  g_assert_cmpuint (leaky, ==, 1);

  /* an empty budget name is the private budget */
  g_object_set (q, "budget", "", NULL);
  g_object_get (q, "budget", &budget, NULL);
  g_assert_null (budget);
  g_object_set (q, "budget", "props", NULL);
  g_object_get (q, "budget", &budget, NULL);
  g_assert_cmpstr (budget, ==, "props");
  g_free (budget);

  g_object_set (q, "max-live-bytes", (guint64) 12345, NULL);
  g_object_get (q, "max-live-bytes", &live, NULL);
  g_assert_cmpuint (live, ==, 12345);
  gst_object_unref (q);
}

int
main (int argc, char **argv)
{
  /* A deadlock fails the program instead of hanging CI. */
  alarm (55);
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);

  g_test_add_func ("/boundedqueue/levels_count_buffers_bytes_time",
      test_levels_count_buffers_bytes_time);
  g_test_add_func ("/boundedqueue/max_size_buffers_blocks_upstream",
      test_max_size_buffers_blocks_upstream);
  g_test_add_func ("/boundedqueue/max_size_bytes_blocks_upstream",
      test_max_size_bytes_blocks_upstream);
  g_test_add_func ("/boundedqueue/max_size_time_blocks_upstream",
      test_max_size_time_blocks_upstream);
  g_test_add_func ("/boundedqueue/leaky_upstream_drops_new_buffers",
      test_leaky_upstream_drops_new_buffers);
  g_test_add_func ("/boundedqueue/leaky_downstream_drops_old_buffers",
      test_leaky_downstream_drops_old_buffers);
  g_test_add_func ("/boundedqueue/underrun_signalled_when_empty",
      test_underrun_signalled_when_empty);
  g_test_add_func ("/boundedqueue/events_and_queries_stay_in_order",
      test_events_and_queries_stay_in_order);
  g_test_add_func ("/boundedqueue/eos_passes_and_new_stream_reopens",
      test_eos_passes_and_new_stream_reopens);
  g_test_add_func ("/boundedqueue/flush_empties_and_unblocks",
      test_flush_empties_and_unblocks);
  g_test_add_func ("/boundedqueue/flush_releases_waiting_query",
      test_flush_releases_waiting_query);
  g_test_add_func ("/boundedqueue/downstream_error_reaches_upstream",
      test_downstream_error_reaches_upstream);
  g_test_add_func ("/boundedqueue/downstream_eos_still_lets_eos_through",
      test_downstream_eos_still_lets_eos_through);
  g_test_add_func ("/boundedqueue/not_linked_recovers_on_reconfigure",
      test_not_linked_recovers_on_reconfigure);
  g_test_add_func ("/boundedqueue/error_after_upstream_eos_is_posted",
      test_error_after_upstream_eos_is_posted);
  g_test_add_func ("/boundedqueue/live_bytes_block_until_downstream_releases",
      test_live_bytes_block_until_downstream_releases);
  g_test_add_func ("/boundedqueue/oversized_buffer_passes_when_nothing_live",
      test_oversized_buffer_passes_when_nothing_live);
  g_test_add_func ("/boundedqueue/flush_unblocks_budget_wait",
      test_flush_unblocks_budget_wait);
  g_test_add_func ("/boundedqueue/named_budget_is_shared",
      test_named_budget_is_shared);
  g_test_add_func ("/boundedqueue/leaky_upstream_drops_over_budget",
      test_leaky_upstream_drops_over_budget);
  g_test_add_func ("/boundedqueue/properties_validate_and_document",
      test_properties_validate_and_document);
  return g_test_run ();
}
