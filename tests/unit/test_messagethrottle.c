/* GstMessageThrottle: a burst, then at most one message per interval,
 * whatever the rate messages are offered at. */
#include <gst/check/gstcheck.h>

#include "gstmessagethrottle.h"

#define MS (GST_MSECOND)

static guint
count_allowed (GstMessageThrottle * t, GstClockTime from, GstClockTime to,
    GstClockTime step)
{
  GstClockTime now;
  guint n = 0;

  for (now = from; now < to; now += step)
    n += gst_message_throttle_allow_at (t, now);
  return n;
}

static void
test_burst_then_one_per_interval (void)
{
  GstMessageThrottle *t = gst_message_throttle_new ();
  guint n;

  gst_message_throttle_set_interval (t, 100 * MS);
  /* 10 000 offers in one microsecond each: the burst only */
  n = count_allowed (t, 0, 10000 * GST_USECOND, GST_USECOND);
  g_assert_cmpuint (n, ==, GST_MESSAGE_THROTTLE_BURST);
  g_assert_cmpuint (gst_message_throttle_get_dropped (t), ==,
      10000 - GST_MESSAGE_THROTTLE_BURST);

  /* then one per 100 ms, offered every 10 µs for 10 s */
  n = count_allowed (t, 10 * MS, 10 * GST_SECOND + 10 * MS, 10 * GST_USECOND);
  g_assert_cmpuint (n, >=, 99);
  g_assert_cmpuint (n, <=, 101);
  gst_message_throttle_free (t);
}

static void
test_quiet_time_refills_only_the_burst (void)
{
  GstMessageThrottle *t = gst_message_throttle_new ();
  guint n;

  gst_message_throttle_set_interval (t, 100 * MS);
  count_allowed (t, 0, 20 * GST_USECOND, GST_USECOND);
  g_assert_false (gst_message_throttle_allow_at (t, 50 * MS));
  /* an hour of silence earns one burst, not 36 000 messages */
  n = count_allowed (t, 3600 * GST_SECOND, 3600 * GST_SECOND + 1000,
      GST_NSECOND);
  g_assert_cmpuint (n, ==, GST_MESSAGE_THROTTLE_BURST);
  gst_message_throttle_free (t);
}

static void
test_zero_interval_posts_everything (void)
{
  GstMessageThrottle *t = gst_message_throttle_new ();

  gst_message_throttle_set_interval (t, 0);
  g_assert_cmpuint (count_allowed (t, 0, 100000, 1), ==, 100000);
  g_assert_cmpuint (gst_message_throttle_get_dropped (t), ==, 0);
  gst_message_throttle_free (t);
}

static void
test_reset_refills_and_clears_drops (void)
{
  GstMessageThrottle *t = gst_message_throttle_new ();

  count_allowed (t, 0, 100, 1);
  g_assert_cmpuint (gst_message_throttle_get_dropped (t), >, 0);
  gst_message_throttle_reset (t);
  g_assert_cmpuint (gst_message_throttle_get_dropped (t), ==, 0);
  g_assert_cmpuint (count_allowed (t, 200, 300, 1), ==,
      GST_MESSAGE_THROTTLE_BURST);
  gst_message_throttle_free (t);
}

static void
test_post_posts_or_frees (void)
{
  GstElement *e = gst_element_factory_make ("identity", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessageThrottle *t = gst_message_throttle_new ();
  GstMessage *msg;
  guint i, posted = 0, on_bus = 0;

  gst_element_set_bus (e, bus);
  for (i = 0; i < 1000; i++)
    posted += gst_message_throttle_post (t, e,
        gst_structure_new ("tick", "i", G_TYPE_UINT, i, NULL));
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    on_bus++;
    gst_message_unref (msg);
  }
  /* one second's default interval: nothing beyond the burst in a loop */
  g_assert_cmpuint (posted, ==, GST_MESSAGE_THROTTLE_BURST);
  g_assert_cmpuint (on_bus, ==, posted);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  gst_message_throttle_free (t);
}

/* A type of our own: a property can only be added in class_init. */
typedef struct { GObject parent; } ThrottledThing;
typedef struct { GObjectClass parent_class; } ThrottledThingClass;
static GParamSpec *installed;
G_DEFINE_TYPE (ThrottledThing, throttled_thing, G_TYPE_OBJECT);

static void
throttled_thing_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
}

static void
throttled_thing_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
}

static void
throttled_thing_class_init (ThrottledThingClass * klass)
{
  G_OBJECT_CLASS (klass)->set_property = throttled_thing_set_property;
  G_OBJECT_CLASS (klass)->get_property = throttled_thing_get_property;
  installed = gst_message_throttle_install_property (G_OBJECT_CLASS (klass),
      1);
}

static void
throttled_thing_init (ThrottledThing * self)
{
}

static void
test_property_has_one_shape (void)
{
  GObjectClass *klass = g_type_class_ref (throttled_thing_get_type ());
  GParamSpec *p = g_object_class_find_property (klass, "message-interval");

  g_assert_true (p == installed);
  g_assert_true (G_IS_PARAM_SPEC_UINT64 (p));
  g_assert_cmpuint (G_PARAM_SPEC_UINT64 (p)->default_value, ==,
      GST_MESSAGE_THROTTLE_DEFAULT_INTERVAL);
  g_assert_true (p->flags & G_PARAM_READWRITE);
  g_assert_nonnull (strstr (g_param_spec_get_blurb (p), "nanoseconds"));
  g_assert_nonnull (strstr (g_param_spec_get_blurb (p), "0 = "));
  g_type_class_unref (klass);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  g_test_add_func ("/messagethrottle/burst-then-one-per-interval",
      test_burst_then_one_per_interval);
  g_test_add_func ("/messagethrottle/quiet-time-refills-only-the-burst",
      test_quiet_time_refills_only_the_burst);
  g_test_add_func ("/messagethrottle/zero-interval-posts-everything",
      test_zero_interval_posts_everything);
  g_test_add_func ("/messagethrottle/reset-refills-and-clears-drops",
      test_reset_refills_and_clears_drops);
  g_test_add_func ("/messagethrottle/post-posts-or-frees",
      test_post_posts_or_frees);
  g_test_add_func ("/messagethrottle/property-has-one-shape",
      test_property_has_one_shape);
  return g_test_run ();
}
