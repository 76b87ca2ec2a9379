/* GstTileOutput: the promises of the shared output path of tile producers.
 *
 * The tests stand in for an element with two bare pads: "in" is the
 * element's sink pad (its event function calls gst_tile_output_hold_event()
 * as an element would), "out" its src pad, linked to a downstream pad that
 * records what reaches it and answers the ALLOCATION query as told. */
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "gsttilemeta.h"
#include "gsttileoutput.h"

typedef struct {
  GstPad *in;
  GstPad *out;
  GstPad *downstream;
  GstTileOutput *output;

  /* the ALLOCATION answer */
  gboolean offer;               /* answer with a pool entry at all */
  GstBufferPool *offered_pool;  /* NULL: a bare min/max entry */
  guint min;
  guint max;

  GMutex lock;
  GList *events;                /* what reached downstream, newest first */
} Rig;

static gboolean
in_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Rig *rig = g_object_get_data (G_OBJECT (pad), "rig");

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    /* tile caps are not output caps: the element makes its own */
    gst_event_unref (event);
    return TRUE;
  }
  if (gst_tile_output_hold_event (rig->output, event))
    return TRUE;
  return gst_pad_push_event (rig->out, event);
}

static gboolean
downstream_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Rig *rig = g_object_get_data (G_OBJECT (pad), "rig");

  g_mutex_lock (&rig->lock);
  rig->events = g_list_prepend (rig->events, event);
  g_mutex_unlock (&rig->lock);
  return TRUE;
}

static gboolean
downstream_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  Rig *rig = g_object_get_data (G_OBJECT (pad), "rig");

  if (GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS) {
    gst_query_set_accept_caps_result (query, TRUE);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return gst_pad_query_default (pad, parent, query);
  if (rig->offer)
    gst_query_add_allocation_pool (query, rig->offered_pool, 0, rig->min,
        rig->max);
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  return TRUE;
}

static GstFlowReturn
downstream_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

static Rig *
rig_new (void)
{
  Rig *rig = g_new0 (Rig, 1);

  g_mutex_init (&rig->lock);
  rig->in = gst_pad_new ("in", GST_PAD_SINK);
  rig->out = gst_pad_new ("out", GST_PAD_SRC);
  rig->downstream = gst_pad_new ("downstream", GST_PAD_SINK);
  g_object_set_data (G_OBJECT (rig->in), "rig", rig);
  g_object_set_data (G_OBJECT (rig->downstream), "rig", rig);
  gst_pad_set_event_function (rig->in, in_event);
  gst_pad_set_event_function (rig->downstream, downstream_event);
  gst_pad_set_query_function (rig->downstream, downstream_query);
  gst_pad_set_chain_function (rig->downstream, downstream_chain);
  g_assert_cmpint (gst_pad_link (rig->out, rig->downstream), ==,
      GST_PAD_LINK_OK);
  gst_pad_set_active (rig->in, TRUE);
  gst_pad_set_active (rig->out, TRUE);
  gst_pad_set_active (rig->downstream, TRUE);
  rig->output = gst_tile_output_new (rig->in, rig->out);
  g_assert_true (gst_pad_send_event (rig->in,
          gst_event_new_stream_start ("tile-output-test")));
  return rig;
}

static void
rig_free (Rig * rig)
{
  gst_tile_output_unref (rig->output);
  gst_pad_set_active (rig->in, FALSE);
  gst_pad_set_active (rig->out, FALSE);
  gst_pad_set_active (rig->downstream, FALSE);
  gst_object_unref (rig->in);
  gst_object_unref (rig->out);
  gst_object_unref (rig->downstream);
  g_list_free_full (rig->events, (GDestroyNotify) gst_event_unref);
  gst_clear_object (&rig->offered_pool);
  g_mutex_clear (&rig->lock);
  g_free (rig);
}

/* Types of the events downstream got, oldest first, as "a,b,c". */
static gchar *
rig_event_names (Rig * rig)
{
  GString *names = g_string_new (NULL);
  GList *l;

  g_mutex_lock (&rig->lock);
  for (l = g_list_last (rig->events); l; l = l->prev) {
    GstEvent *event = l->data;
    const GstStructure *s = gst_event_get_structure (event);

    if (names->len)
      g_string_append_c (names, ',');
    if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY)
      g_string_append (names, gst_structure_get_name (s));
    else
      g_string_append (names, GST_EVENT_TYPE_NAME (event));
  }
  g_mutex_unlock (&rig->lock);
  return g_string_free (names, FALSE);
}

/* The newest event of @type downstream got. */
static GstEvent *
rig_last_event (Rig * rig, GstEventType type)
{
  GstEvent *found = NULL;
  GList *l;

  g_mutex_lock (&rig->lock);
  for (l = rig->events; l && !found; l = l->next)
    if (GST_EVENT_TYPE (l->data) == type)
      found = l->data;
  g_mutex_unlock (&rig->lock);
  return found;
}

static GstCaps *
frame_caps (guint width, guint height)
{
  GstVideoInfo info;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, width, height);
  return gst_video_info_to_caps (&info);
}

/* Caps and a pool for @width x @height GRAY8 frames, bound @bound. */
static GstFlowReturn
rig_negotiate (Rig * rig, guint width, guint height, guint bound)
{
  GstCaps *caps = frame_caps (width, height);
  GstFlowReturn ret;

  g_assert_true (gst_tile_output_set_caps (rig->output, caps));
  ret = gst_tile_output_negotiate_pool (rig->output, caps, width * height,
      bound);
  gst_caps_unref (caps);
  return ret;
}

static void
send_stream_start (Rig * rig)
{
  g_assert_true (gst_pad_send_event (rig->in,
          gst_event_new_stream_start ("tile-output-test")));
}

/* Input caps and a segment, as upstream sends them. */
static void
send_start (Rig * rig)
{
  GstCaps *caps = frame_caps (16, 16);
  GstSegment segment;

  g_assert_true (gst_pad_send_event (rig->in, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_send_event (rig->in,
          gst_event_new_segment (&segment)));
}

typedef struct {
  GstTileOutput *output;
  GstFlowReturn ret;
  GstBuffer *buffer;
  gint done;
} AcquireJob;

static gpointer
acquire_thread (gpointer data)
{
  AcquireJob *job = data;

  job->ret = gst_tile_output_acquire (job->output, &job->buffer);
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

/* Acquires @n buffers into @held (which must have room); TRUE if the
 * (@n + 1)-th acquire then blocks, checked for 200 ms and released by a
 * flush. */
static gboolean
acquire_n_then_blocks (Rig * rig, guint n, GstBuffer ** held)
{
  AcquireJob job = { rig->output, GST_FLOW_OK, NULL, 0 };
  GThread *thread;
  gboolean blocked;
  guint i;

  for (i = 0; i < n; i++)
    g_assert_cmpint (gst_tile_output_acquire (rig->output, &held[i]), ==,
        GST_FLOW_OK);
  thread = g_thread_new ("acquire", acquire_thread, &job);
  g_usleep (200 * 1000);
  blocked = !g_atomic_int_get (&job.done);
  gst_tile_output_set_flushing (rig->output, TRUE);
  g_thread_join (thread);
  if (blocked)
    g_assert_cmpint (job.ret, ==, GST_FLOW_FLUSHING);
  if (job.buffer)
    gst_tile_output_drop (rig->output, job.buffer);
  gst_tile_output_set_flushing (rig->output, FALSE);
  for (i = 0; i < n; i++)
    gst_tile_output_drop (rig->output, held[i]);
  return blocked;
}

/* Small buffers: the bound is raised to GST_TILE_POOL_MIN_BYTES, so that a
 * sink that batches small buffers is never starved. */
static void
test_pool_floor_is_in_bytes (void)
{
  Rig *rig = rig_new ();
  guint expected = gst_tile_pool_max_buffers (32 * 32, 2);

  g_assert_cmpuint (expected, >, 2);
  g_assert_cmpint (rig_negotiate (rig, 32, 32, 2), ==, GST_FLOW_OK);
  g_assert_cmpuint (gst_tile_output_get_max_buffers (rig->output), ==,
      expected);
  g_assert_cmpuint ((guint64) expected * 32 * 32, >=,
      GST_TILE_POOL_MIN_BYTES);
  rig_free (rig);
}

/* Large buffers: the element's bound alone, and the pool really stops
 * there. */
static void
test_pool_blocks_at_the_bound (void)
{
  Rig *rig = rig_new ();
  GstBuffer *held[2];

  g_assert_cmpint (rig_negotiate (rig, 1024, 1024, 2), ==, GST_FLOW_OK);
  g_assert_cmpuint (gst_tile_output_get_max_buffers (rig->output), ==, 2);
  g_assert_true (acquire_n_then_blocks (rig, 2, held));
  rig_free (rig);
}

/* A downstream that says it keeps 3 buffers gets them on top of the
 * element's own bound. */
static void
test_downstream_minimum_is_added (void)
{
  Rig *rig = rig_new ();
  GstBuffer *held[5];

  rig->offer = TRUE;
  rig->min = 3;
  g_assert_cmpint (rig_negotiate (rig, 1024, 1024, 2), ==, GST_FLOW_OK);
  g_assert_cmpuint (gst_tile_output_get_max_buffers (rig->output), ==, 5);
  g_assert_true (acquire_n_then_blocks (rig, 5, held));
  rig_free (rig);
}

/* Downstream's maximum (unlimited, or large) never lets the pool grow past
 * the element's bound, in its own pool as in downstream's. */
static void
test_downstream_maximum_never_raises_the_bound (void)
{
  Rig *rig = rig_new ();
  GstBuffer *held[2];
  GstStructure *config;
  guint max = 0;

  rig->offer = TRUE;
  rig->max = 50;
  g_assert_cmpint (rig_negotiate (rig, 1024, 1024, 2), ==, GST_FLOW_OK);
  g_assert_cmpuint (gst_tile_output_get_max_buffers (rig->output), ==, 2);
  g_assert_true (acquire_n_then_blocks (rig, 2, held));

  rig->offered_pool = gst_video_buffer_pool_new ();
  rig->max = 0;
  g_assert_cmpint (rig_negotiate (rig, 1024, 1024, 2), ==, GST_FLOW_OK);
  g_assert_cmpuint (gst_tile_output_get_max_buffers (rig->output), ==, 2);
  g_assert_true (gst_buffer_pool_is_active (rig->offered_pool));
  config = gst_buffer_pool_get_config (rig->offered_pool);
  g_assert_true (gst_buffer_pool_config_get_params (config, NULL, NULL, NULL,
          &max));
  gst_structure_free (config);
  g_assert_cmpuint (max, ==, 2);
  g_assert_true (acquire_n_then_blocks (rig, 2, held));
  rig_free (rig);
}

/* Segment, tags and custom sticky events that arrive before the output caps
 * are known wait for them, then follow them in their order; stream-start
 * goes at once. */
static void
test_sticky_events_wait_for_caps_in_order (void)
{
  Rig *rig = rig_new ();
  gchar *names;

  send_start (rig);
  g_assert_true (gst_pad_send_event (rig->in,
          gst_event_new_tag (gst_tag_list_new (GST_TAG_LOCATION, "a.png",
                  NULL))));
  g_assert_true (gst_pad_send_event (rig->in,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
              gst_structure_new_empty ("first-custom"))));
  g_assert_true (gst_pad_send_event (rig->in,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
              gst_structure_new_empty ("second-custom"))));
  names = rig_event_names (rig);
  g_assert_cmpstr (names, ==, "stream-start");
  g_free (names);
  g_assert_false (gst_tile_output_has_caps (rig->output));

  g_assert_cmpint (rig_negotiate (rig, 64, 64, 2), ==, GST_FLOW_OK);
  names = rig_event_names (rig);
  g_assert_cmpstr (names, ==,
      "stream-start,caps,segment,tag,first-custom,second-custom");
  g_free (names);

  /* once the caps are out, events pass at once */
  g_assert_true (gst_pad_send_event (rig->in,
          gst_event_new_tag (gst_tag_list_new (GST_TAG_LOCATION, "b.png",
                  NULL))));
  names = rig_event_names (rig);
  g_assert_cmpstr (names, ==,
      "stream-start,caps,segment,tag,first-custom,second-custom,tag");
  g_free (names);
  rig_free (rig);
}

/* An element-made segment (a decoder's TIME segment for upstream's BYTES
 * one) waits like the others and goes out in place of the pad's. */
static void
test_element_made_segment_replaces_the_pads (void)
{
  Rig *rig = rig_new ();
  GstSegment segment;
  const GstSegment *sent;
  gchar *names;

  send_start (rig);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.base = 42 * GST_SECOND;
  g_assert_true (gst_tile_output_push_event (rig->output,
          gst_event_new_segment (&segment)));
  g_assert_cmpint (rig_negotiate (rig, 64, 64, 2), ==, GST_FLOW_OK);
  names = rig_event_names (rig);
  g_assert_cmpstr (names, ==, "stream-start,caps,segment");
  g_free (names);
  gst_event_parse_segment (rig_last_event (rig, GST_EVENT_SEGMENT), &sent);
  g_assert_cmpuint (sent->base, ==, 42 * GST_SECOND);
  rig_free (rig);
}

/* A stream that ends before any output caps still gets its segment before
 * the EOS. */
static void
test_eos_before_caps_sends_held_events (void)
{
  Rig *rig = rig_new ();
  gchar *names;

  send_start (rig);
  g_assert_true (gst_pad_send_event (rig->in, gst_event_new_eos ()));
  names = rig_event_names (rig);
  g_assert_cmpstr (names, ==, "stream-start,segment,eos");
  g_free (names);
  rig_free (rig);
}

/* Held bytes are the acquired buffers not yet pushed or dropped. */
static void
test_held_bytes_follow_acquired_buffers (void)
{
  Rig *rig = rig_new ();
  GstBuffer *a, *b;

  send_start (rig);
  g_assert_cmpint (rig_negotiate (rig, 1024, 1024, 2), ==, GST_FLOW_OK);
  g_assert_cmpuint (gst_tile_output_get_held_bytes (rig->output), ==, 0);
  g_assert_cmpint (gst_tile_output_acquire (rig->output, &a), ==,
      GST_FLOW_OK);
  g_assert_cmpint (gst_tile_output_acquire (rig->output, &b), ==,
      GST_FLOW_OK);
  g_assert_cmpuint (gst_tile_output_get_held_bytes (rig->output), ==,
      2 * 1024 * 1024);
  g_assert_cmpint (gst_tile_output_push (rig->output, a), ==, GST_FLOW_OK);
  g_assert_cmpuint (gst_tile_output_get_held_bytes (rig->output), ==,
      1024 * 1024);
  gst_tile_output_drop (rig->output, b);
  g_assert_cmpuint (gst_tile_output_get_held_bytes (rig->output), ==, 0);
  rig_free (rig);
}

/* A flush wakes an acquire blocked at the bound, and acquires fail until it
 * ends. */
static void
test_flush_wakes_a_blocked_acquire (void)
{
  Rig *rig = rig_new ();
  GstBuffer *held[2], *buffer = NULL;

  g_assert_cmpint (rig_negotiate (rig, 1024, 1024, 2), ==, GST_FLOW_OK);
  g_assert_true (acquire_n_then_blocks (rig, 2, held));
  gst_tile_output_set_flushing (rig->output, TRUE);
  g_assert_cmpint (gst_tile_output_acquire (rig->output, &buffer), ==,
      GST_FLOW_FLUSHING);
  g_assert_null (buffer);
  /* a pool negotiated while flushing flushes too */
  g_assert_cmpint (rig_negotiate (rig, 512, 1024, 2), ==, GST_FLOW_FLUSHING);
  g_assert_cmpint (gst_tile_output_acquire (rig->output, &buffer), ==,
      GST_FLOW_FLUSHING);
  gst_tile_output_set_flushing (rig->output, FALSE);
  g_assert_cmpint (gst_tile_output_acquire (rig->output, &buffer), ==,
      GST_FLOW_OK);
  gst_tile_output_drop (rig->output, buffer);
  rig_free (rig);
}

/* New caps replace the pool, and a reset (PAUSED to READY) releases it:
 * both deactivate the old one, and events are held again after a reset. */
static void
test_caps_change_and_reset_release_the_pool (void)
{
  Rig *rig = rig_new ();
  GstBufferPool *first;
  GstBuffer *buffer;
  gchar *names;

  rig->offer = TRUE;
  rig->offered_pool = gst_video_buffer_pool_new ();
  g_assert_cmpint (rig_negotiate (rig, 1024, 1024, 2), ==, GST_FLOW_OK);
  first = gst_object_ref (rig->offered_pool);
  g_assert_true (gst_buffer_pool_is_active (first));

  gst_clear_object (&rig->offered_pool);
  rig->offered_pool = gst_video_buffer_pool_new ();
  g_assert_cmpint (rig_negotiate (rig, 512, 1024, 2), ==, GST_FLOW_OK);
  g_assert_false (gst_buffer_pool_is_active (first));
  g_assert_true (gst_buffer_pool_is_active (rig->offered_pool));

  gst_tile_output_reset (rig->output);
  g_assert_false (gst_buffer_pool_is_active (rig->offered_pool));
  g_assert_false (gst_tile_output_has_pool (rig->output));
  g_assert_cmpuint (gst_tile_output_get_max_buffers (rig->output), ==, 0);
  g_assert_cmpint (gst_tile_output_acquire (rig->output, &buffer), ==,
      GST_FLOW_FLUSHING);
  g_assert_false (gst_tile_output_has_caps (rig->output));

  /* a new stream: its segment waits for caps again */
  g_list_free_full (rig->events, (GDestroyNotify) gst_event_unref);
  rig->events = NULL;
  gst_pad_set_active (rig->out, FALSE);
  gst_pad_set_active (rig->in, FALSE);
  gst_pad_set_active (rig->in, TRUE);
  gst_pad_set_active (rig->out, TRUE);
  send_stream_start (rig);
  send_start (rig);
  names = rig_event_names (rig);
  g_assert_cmpstr (names, ==, "stream-start");
  g_free (names);
  gst_object_unref (first);
  rig_free (rig);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  g_test_add_func ("/tileoutput/pool-floor-is-in-bytes",
      test_pool_floor_is_in_bytes);
  g_test_add_func ("/tileoutput/pool-blocks-at-the-bound",
      test_pool_blocks_at_the_bound);
  g_test_add_func ("/tileoutput/downstream-minimum-is-added",
      test_downstream_minimum_is_added);
  g_test_add_func ("/tileoutput/downstream-maximum-never-raises-the-bound",
      test_downstream_maximum_never_raises_the_bound);
  g_test_add_func ("/tileoutput/sticky-events-wait-for-caps-in-order",
      test_sticky_events_wait_for_caps_in_order);
  g_test_add_func ("/tileoutput/element-made-segment-replaces-the-pads",
      test_element_made_segment_replaces_the_pads);
  g_test_add_func ("/tileoutput/eos-before-caps-sends-held-events",
      test_eos_before_caps_sends_held_events);
  g_test_add_func ("/tileoutput/held-bytes-follow-acquired-buffers",
      test_held_bytes_follow_acquired_buffers);
  g_test_add_func ("/tileoutput/flush-wakes-a-blocked-acquire",
      test_flush_wakes_a_blocked_acquire);
  g_test_add_func ("/tileoutput/caps-change-and-reset-release-the-pool",
      test_caps_change_and_reset_release_the_pool);
  return g_test_run ();
}
