/* memmeter: the promises of the memory meter element. */
#include <unistd.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "gstfixture.h"

/* Nothing here may hang: a deadlock fails the whole program instead. */
#define PROGRAM_TIMEOUT_S 60
#define STILL_BLOCKED_US (150 * 1000)
#define WAKE_DEADLINE_US (5 * G_USEC_PER_SEC)
#define BUS_TIMEOUT (10 * GST_SECOND)

#define FRAME_W 64
#define FRAME_H 48
#define FRAME_SIZE (FRAME_W * FRAME_H)  /* GRAY8 */

static guint64
get_u64 (GstElement * element, const gchar * name)
{
  guint64 v = 0;

  g_object_get (element, name, &v, NULL);
  return v;
}

static GstElement *
run_pipeline (const gchar * description)
{
  GstElement *pipeline = gst_fixture_parse (description);

  gst_fixture_run_to_eos (pipeline, BUS_TIMEOUT);
  return pipeline;
}

static void
stop_pipeline (GstElement * pipeline)
{
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

static void
test_counts_exact_buffers_and_bytes (void)
{
  GstElement *pipeline = run_pipeline ("videotestsrc num-buffers=37 ! "
      "video/x-raw,format=GRAY8,width=64,height=48 ! memmeter name=m ! "
      "fakesink");
  GstElement *m = gst_bin_get_by_name (GST_BIN (pipeline), "m");

  g_assert_cmpuint (get_u64 (m, "buffers"), ==, 37);
  g_assert_cmpuint (get_u64 (m, "bytes"), ==, 37 * FRAME_SIZE);
  /* fakesink keeps its last buffer; everything else went back to the pool */
  g_assert_cmpuint (get_u64 (m, "live-bytes"), ==, FRAME_SIZE);
  g_assert_cmpuint (get_u64 (m, "peak-live-bytes"), >=, FRAME_SIZE);
  gst_object_unref (m);
  stop_pipeline (pipeline);
}

static void
test_counts_buffer_lists (void)
{
  GstHarness *h = gst_harness_new ("memmeter");
  GstBufferList *list = gst_buffer_list_new ();
  guint i;

  gst_harness_set_src_caps_str (h, "application/x-test");
  for (i = 1; i <= 4; i++)
    gst_buffer_list_add (list, gst_buffer_new_allocate (NULL, i * 100, NULL));
  g_assert_cmpint (gst_pad_push_list (h->srcpad, list), ==, GST_FLOW_OK);
  g_assert_cmpuint (get_u64 (h->element, "buffers"), ==, 4);
  g_assert_cmpuint (get_u64 (h->element, "bytes"), ==, 1000);
  g_assert_cmpuint (get_u64 (h->element, "live-bytes"), ==, 1000);
  for (i = 1; i <= 4; i++)
    gst_buffer_unref (gst_harness_pull (h));
  g_assert_cmpuint (get_u64 (h->element, "live-bytes"), ==, 0);
  gst_harness_teardown (h);
}

static void
test_live_bytes_fall_when_downstream_drops (void)
{
  GstHarness *h = gst_harness_new ("memmeter");
  GstBuffer *out;
  guint i;

  gst_harness_set_src_caps_str (h, "application/x-test");
  for (i = 0; i < 3; i++)
    g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL,
                1000, NULL)), ==, GST_FLOW_OK);
  /* the harness sink holds all three */
  g_assert_cmpuint (get_u64 (h->element, "live-bytes"), ==, 3000);

  out = gst_harness_pull (h);
  gst_buffer_unref (out);
  g_assert_cmpuint (get_u64 (h->element, "live-bytes"), ==, 2000);
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));
  g_assert_cmpuint (get_u64 (h->element, "live-bytes"), ==, 0);
  g_assert_cmpuint (get_u64 (h->element, "peak-live-bytes"), ==, 3000);
  gst_harness_teardown (h);
}

static void
test_copies_downstream_stay_counted (void)
{
  GstHarness *h = gst_harness_new ("memmeter");
  GstBuffer *out, *copy;

  gst_harness_set_src_caps_str (h, "application/x-test");
  gst_harness_push (h, gst_buffer_new_allocate (NULL, 500, NULL));
  out = gst_harness_pull (h);
  copy = gst_buffer_copy_region (out, GST_BUFFER_COPY_ALL, 10, 10);
  gst_buffer_unref (out);
  /* the sub-buffer keeps the whole memory alive */
  g_assert_cmpuint (get_u64 (h->element, "live-bytes"), ==, 500);
  gst_buffer_unref (copy);
  g_assert_cmpuint (get_u64 (h->element, "live-bytes"), ==, 0);
  gst_harness_teardown (h);
}

static void
test_converted_output_does_not_keep_input_alive (void)
{
  GstHarness *h = gst_harness_new_parse ("memmeter ! videoconvert");
  GstElement *m = gst_harness_find_element (h, "memmeter");
  GstBuffer *out[3];
  guint i;

  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=GRAY8,width=64,height=48,framerate=25/1");
  gst_harness_set_sink_caps_str (h,
      "video/x-raw,format=RGB,width=64,height=48,framerate=25/1");
  for (i = 0; i < 3; i++) {
    GstBuffer *in = gst_buffer_new_allocate (NULL, FRAME_SIZE, NULL);

    GST_BUFFER_PTS (in) = i * GST_SECOND / 25;
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  }
  for (i = 0; i < 3; i++) {
    out[i] = gst_harness_pull (h);
    g_assert_cmpuint (gst_buffer_get_size (out[i]), ==, 3 * FRAME_SIZE);
  }
  /* new pixels in new memory: the input frames are gone although videoconvert
   * copied metas to its output */
  g_assert_cmpuint (get_u64 (m, "bytes"), ==, 3 * FRAME_SIZE);
  g_assert_cmpuint (get_u64 (m, "live-bytes"), ==, 0);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (out[i]);
  gst_object_unref (m);
  gst_harness_teardown (h);
}

static void
test_posts_messages_with_fields (void)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch ("videotestsrc num-buffers=20 ! "
      "video/x-raw,format=GRAY8,width=64,height=48,framerate=50/1 ! "
      "memmeter name=m interval=50 ! fakesink sync=true", &error);
  GstBus *bus;
  GstMessage *msg;
  guint n_messages = 0;
  guint64 buffers = 0, bytes = 0, live = 0, peak = 0, rate = 0, max_rate = 0;
  gboolean eos = FALSE;

  g_assert_no_error (error);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!eos && (msg = gst_bus_timed_pop_filtered (bus, BUS_TIMEOUT,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    g_assert_cmpint (GST_MESSAGE_TYPE (msg), !=, GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      eos = TRUE;
    } else if (gst_structure_has_name (s, "memmeter")) {
      g_assert_cmpstr (GST_MESSAGE_SRC_NAME (msg), ==, "m");
      g_assert_true (gst_structure_get_uint64 (s, "buffers", &buffers));
      g_assert_true (gst_structure_get_uint64 (s, "bytes", &bytes));
      g_assert_true (gst_structure_get_uint64 (s, "live-bytes", &live));
      g_assert_true (gst_structure_get_uint64 (s, "peak-live-bytes", &peak));
      g_assert_true (gst_structure_get_uint64 (s, "rate", &rate));
      g_assert_cmpuint (bytes, ==, buffers * FRAME_SIZE);
      g_assert_cmpuint (live, <=, peak);
      max_rate = MAX (max_rate, rate);
      n_messages++;
    }
    gst_message_unref (msg);
  }
  g_assert_true (eos);
  /* 20 frames at 50/s take 400 ms: several ticks plus the EOS read-out */
  g_assert_cmpuint (n_messages, >=, 3);
  g_assert_cmpuint (buffers, ==, 20);
  g_assert_cmpuint (bytes, ==, 20 * FRAME_SIZE);
  g_assert_cmpuint (peak, >=, FRAME_SIZE);
  /* 50 frames/s of 3072 bytes is about 150 kB/s */
  g_assert_cmpuint (max_rate, >, 50 * FRAME_SIZE / 4);
  g_assert_cmpuint (max_rate, <, 50 * FRAME_SIZE * 4);
  gst_object_unref (bus);
  stop_pipeline (pipeline);
}

typedef struct
{
  GstHarness *h;
  gsize size;
  gint done;
  GstFlowReturn ret;
} Pusher;

static gpointer
pusher_thread (gpointer data)
{
  Pusher *p = data;

  p->ret = gst_harness_push (p->h, gst_buffer_new_allocate (NULL, p->size,
          NULL));
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

static gboolean
push_done (Pusher * p, gint64 deadline_us)
{
  gint64 end = g_get_monotonic_time () + deadline_us;

  while (!g_atomic_int_get (&p->done) && g_get_monotonic_time () < end)
    g_usleep (1000);
  return g_atomic_int_get (&p->done);
}

static void
test_max_live_bytes_blocks_and_releases (void)
{
  GstHarness *h = gst_harness_new ("memmeter");
  Pusher p = { h, 600, 0, GST_FLOW_ERROR };
  GThread *thread;

  g_object_set (h->element, "max-live-bytes", (guint64) 1000, NULL);
  gst_harness_set_src_caps_str (h, "application/x-test");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL, 600,
              NULL)), ==, GST_FLOW_OK);

  thread = g_thread_new ("pusher", pusher_thread, &p);
  g_assert_false (push_done (&p, STILL_BLOCKED_US));
  g_assert_cmpuint (get_u64 (h->element, "buffers"), ==, 1);

  /* downstream lets go of the first: the second passes */
  gst_buffer_unref (gst_harness_pull (h));
  g_assert_true (push_done (&p, WAKE_DEADLINE_US));
  g_thread_join (thread);
  g_assert_cmpint (p.ret, ==, GST_FLOW_OK);
  g_assert_cmpuint (get_u64 (h->element, "buffers"), ==, 2);
  g_assert_cmpuint (get_u64 (h->element, "peak-live-bytes"), ==, 600);
  gst_harness_teardown (h);
}

static void
test_oversized_buffer_passes_when_nothing_is_live (void)
{
  GstHarness *h = gst_harness_new ("memmeter");

  g_object_set (h->element, "max-live-bytes", (guint64) 100, NULL);
  gst_harness_set_src_caps_str (h, "application/x-test");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL, 5000,
              NULL)), ==, GST_FLOW_OK);
  gst_harness_teardown (h);
}

static void
test_flush_unblocks (void)
{
  GstHarness *h = gst_harness_new ("memmeter");
  Pusher p = { h, 600, 0, GST_FLOW_OK };
  GThread *thread;

  g_object_set (h->element, "max-live-bytes", (guint64) 1000, NULL);
  gst_harness_set_src_caps_str (h, "application/x-test");
  gst_harness_push (h, gst_buffer_new_allocate (NULL, 600, NULL));
  thread = g_thread_new ("pusher", pusher_thread, &p);
  g_assert_false (push_done (&p, STILL_BLOCKED_US));

  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (push_done (&p, WAKE_DEADLINE_US));
  g_thread_join (thread);
  g_assert_cmpint (p.ret, ==, GST_FLOW_FLUSHING);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_teardown (h);
}

static void
test_state_change_to_ready_unblocks (void)
{
  GstHarness *h = gst_harness_new ("memmeter");
  Pusher p = { h, 600, 0, GST_FLOW_OK };
  GThread *thread;

  g_object_set (h->element, "max-live-bytes", (guint64) 1000, NULL);
  gst_harness_set_src_caps_str (h, "application/x-test");
  gst_harness_push (h, gst_buffer_new_allocate (NULL, 600, NULL));
  thread = g_thread_new ("pusher", pusher_thread, &p);
  g_assert_false (push_done (&p, STILL_BLOCKED_US));

  g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_READY), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_true (push_done (&p, WAKE_DEADLINE_US));
  g_thread_join (thread);
  g_assert_cmpint (p.ret, ==, GST_FLOW_FLUSHING);
  gst_harness_teardown (h);
}

static void
test_named_budget_blocks_across_elements (void)
{
  /* only a sets the limit; b is bound by it through the shared name */
  GstHarness *a = gst_harness_new_parse ("memmeter budget=meter-test "
      "max-live-bytes=1000");
  GstHarness *b = gst_harness_new_parse ("memmeter budget=meter-test");
  Pusher p = { b, 600, 0, GST_FLOW_ERROR };
  GstElement *ma, *mb;
  GThread *thread;

  gst_harness_set_src_caps_str (a, "application/x-test");
  gst_harness_set_src_caps_str (b, "application/x-test");
  gst_harness_push (a, gst_buffer_new_allocate (NULL, 600, NULL));
  /* the budget's one admission rule: b, holding nothing of its own, is
   * never starved by a's bytes */
  g_assert_cmpint (gst_harness_push (b, gst_buffer_new_allocate (NULL, 300,
              NULL)), ==, GST_FLOW_OK);

  /* now b holds bytes too: a's limit binds it (600 + 300 + 600 > 1000) */
  thread = g_thread_new ("pusher", pusher_thread, &p);
  g_assert_false (push_done (&p, STILL_BLOCKED_US));
  gst_buffer_unref (gst_harness_pull (a));
  g_assert_true (push_done (&p, WAKE_DEADLINE_US));
  g_thread_join (thread);
  g_assert_cmpint (p.ret, ==, GST_FLOW_OK);
  /* each meter still reports only what it passed */
  ma = gst_harness_find_element (a, "memmeter");
  mb = gst_harness_find_element (b, "memmeter");
  g_assert_cmpuint (get_u64 (ma, "live-bytes"), ==, 0);
  g_assert_cmpuint (get_u64 (mb, "live-bytes"), ==, 900);
  gst_object_unref (ma);
  gst_object_unref (mb);
  gst_harness_teardown (a);
  gst_harness_teardown (b);
}

static void
test_property_validation (void)
{
  GstElement *m = gst_element_factory_make ("memmeter", NULL);
  GObjectClass *klass = G_OBJECT_GET_CLASS (m);
  const gchar *readonly[] = { "buffers", "bytes", "live-bytes",
    "peak-live-bytes", "rate"
  };
  GParamSpec *pspec;
  GValue v = G_VALUE_INIT;
  gchar *budget = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (readonly); i++) {
    pspec = g_object_class_find_property (klass, readonly[i]);
    g_assert_nonnull (pspec);
    g_assert_true (pspec->flags & G_PARAM_READABLE);
    g_assert_false (pspec->flags & G_PARAM_WRITABLE);
    g_assert_true (pspec->value_type == G_TYPE_UINT64);
  }

  /* an interval over an hour is refused by the range */
  pspec = g_object_class_find_property (klass, "interval");
  g_value_init (&v, G_TYPE_UINT);
  g_value_set_uint (&v, 3600 * 1000 + 1);
  g_assert_true (g_param_value_validate (pspec, &v));
  g_value_unset (&v);

  g_object_set (m, "budget", "", NULL);
  g_object_get (m, "budget", &budget, NULL);
  g_assert_null (budget);

  /* budget and interval are fixed while running */
  g_object_set (m, "budget", "before", "interval", 100, NULL);
  gst_element_set_state (m, GST_STATE_PAUSED);
  g_object_set (m, "budget", "after", "interval", 200, NULL);
  g_object_get (m, "budget", &budget, "interval", &i, NULL);
  g_assert_cmpstr (budget, ==, "before");
  g_assert_cmpuint (i, ==, 100);
  g_free (budget);
  gst_element_set_state (m, GST_STATE_NULL);
  gst_object_unref (m);
}

/* A 1 ms read-out interval on a pipeline whose application never reads
 * the bus: the messages kept there are bounded by message-interval (a burst,
 * then one per interval), not by the ticks. */
static guint
count_unread_messages (const gchar * message_interval)
{
  gchar *desc = g_strdup_printf ("fakesrc sizetype=fixed sizemax=16 "
      "is-live=true format=time ! memmeter name=m interval=1 %s ! "
      "fakesink sync=false", message_interval);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstBus *bus;
  GstMessage *msg;
  guint n = 0;

  g_assert_no_error (error);
  g_free (desc);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_usleep (G_USEC_PER_SEC);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "memmeter"))
      n++;
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  stop_pipeline (pipeline);
  return n;
}

static void
test_unread_bus_keeps_bounded_messages (void)
{
  /* 1 s at the default message-interval (1 s): the burst plus one or two */
  g_assert_cmpuint (count_unread_messages (""), <=, 10 + 2);
  /* the ticks themselves would have posted hundreds */
  g_assert_cmpuint (count_unread_messages ("message-interval=0"), >, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  alarm (PROGRAM_TIMEOUT_S);

  g_test_add_func ("/memmeter/counts-exact-buffers-and-bytes",
      test_counts_exact_buffers_and_bytes);
  g_test_add_func ("/memmeter/counts-buffer-lists", test_counts_buffer_lists);
  g_test_add_func ("/memmeter/live-bytes-fall-when-downstream-drops",
      test_live_bytes_fall_when_downstream_drops);
  g_test_add_func ("/memmeter/copies-downstream-stay-counted",
      test_copies_downstream_stay_counted);
  g_test_add_func ("/memmeter/converted-output-does-not-keep-input-alive",
      test_converted_output_does_not_keep_input_alive);
  g_test_add_func ("/memmeter/posts-messages-with-fields",
      test_posts_messages_with_fields);
  g_test_add_func ("/memmeter/max-live-bytes-blocks-and-releases",
      test_max_live_bytes_blocks_and_releases);
  g_test_add_func ("/memmeter/oversized-buffer-passes-when-nothing-is-live",
      test_oversized_buffer_passes_when_nothing_is_live);
  g_test_add_func ("/memmeter/flush-unblocks", test_flush_unblocks);
  g_test_add_func ("/memmeter/state-change-to-ready-unblocks",
      test_state_change_to_ready_unblocks);
  g_test_add_func ("/memmeter/named-budget-blocks-across-elements",
      test_named_budget_blocks_across_elements);
  g_test_add_func ("/memmeter/property-validation", test_property_validation);
  g_test_add_func ("/memmeter/unread-bus-keeps-bounded-messages",
      test_unread_bus_keeps_bounded_messages);

  return g_test_run ();
}
