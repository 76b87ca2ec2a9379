/* An application that never reads its bus stays bounded: element messages
 * are rate-limited (message-interval), so a long run of small images does
 * not pile messages up on a bus nobody pops.
 *
 * The child process decodes one file holding 100 000 tiny PNGs back to back
 * (filesrc ! pngtiledec threads=1 ! fakesink), never touching the bus: a pad probe
 * counts the images and wakes the test at EOS. Its resident memory is read
 * after the first 10 000 images and at the end. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <png.h>
#include <unistd.h>

#include "gstfixture.h"
#include "pngfixture.h"

#define N_IMAGES 100000
#define WARM_IMAGES 10000
/* Each image offers one progress message (a few hundred bytes on the bus):
 * 90 000 of them would be tens of MiB. The bound allows a few MiB of
 * allocator noise. */
#define GROWTH_LIMIT_KIB (6 * 1024)
#define TIMEOUT_S 150

typedef struct {
  GMutex lock;
  GCond cond;
  guint64 images;
  glong warm_rss_kib;
  gboolean eos;
} Watch;

static glong
rss_kib (void)
{
  gchar *text = NULL;
  glong pages = 0, rss = 0;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &text, NULL, NULL));
  g_assert_cmpint (sscanf (text, "%ld %ld", &pages, &rss), ==, 2);
  g_free (text);
  return rss * (sysconf (_SC_PAGESIZE) / 1024);
}

/* Every tile of these images is a whole image: one buffer per image. */
static GstPadProbeReturn
watch_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Watch *w = data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    if (++w->images == WARM_IMAGES)
      w->warm_rss_kib = rss_kib ();
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
      GST_EVENT_EOS) {
    g_mutex_lock (&w->lock);
    w->eos = TRUE;
    g_cond_signal (&w->cond);
    g_mutex_unlock (&w->lock);
  }
  return GST_PAD_PROBE_OK;
}

static gchar *
write_many_tiny_pngs (void)
{
  PngFixtureSpec spec;
  GBytes *png;
  const guint8 *data;
  gsize size, i;
  gchar *path;
  GByteArray *all = g_byte_array_new ();
  GError *err = NULL;
  gint fd = g_file_open_tmp ("unread-bus-XXXXXX.png", &path, &err);

  g_assert_no_error (err);
  close (fd);
  png_fixture_spec_init (&spec, 4, 3, PNG_COLOR_TYPE_RGB, 8);
  png = png_fixture_encode (&spec);
  data = g_bytes_get_data (png, &size);
  for (i = 0; i < N_IMAGES; i++)
    g_byte_array_append (all, data, size);
  g_assert_true (g_file_set_contents (path, (const gchar *) all->data,
          all->len, &err));
  g_assert_no_error (err);
  g_byte_array_unref (all);
  g_bytes_unref (png);
  return path;
}

static void
decode_without_reading_the_bus (const gchar * decoder_props)
{
  gchar *path = write_many_tiny_pngs ();
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngtiledec %s "
      "progress-rows=1 ! fakesink name=sink sync=false", path, decoder_props);
  GstElement *pipeline = gst_fixture_parse (desc);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  Watch w = { 0 };
  glong end_rss_kib;

  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, watch_probe, &w, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);

  /* waits for the probe's EOS; the bus is never looked at */
  g_mutex_lock (&w.lock);
  while (!w.eos)
    g_assert_true (g_cond_wait_until (&w.cond, &w.lock, deadline));
  g_mutex_unlock (&w.lock);
  end_rss_kib = rss_kib ();

  g_printerr ("%s: %" G_GUINT64_FORMAT " images; RSS %ld KiB after %d, "
      "%ld KiB at the end\n", decoder_props, w.images, w.warm_rss_kib,
      WARM_IMAGES, end_rss_kib);
  g_assert_cmpuint (w.images, ==, N_IMAGES);
  g_assert_cmpint (end_rss_kib - w.warm_rss_kib, <, GROWTH_LIMIT_KIB);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_unlink (path);
  g_free (path);
  g_free (desc);
}

static void
test_unread_bus_decoder_stays_flat (void)
{
  if (g_test_subprocess ()) {
    /* one streaming thread: the bus, not the threads, is under test, and
     * the run stays short on a loaded machine */
    decode_without_reading_the_bus ("threads=1");
    return;
  }
  g_test_trap_subprocess (NULL, (TIMEOUT_S + 10) * G_USEC_PER_SEC,
      G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  g_test_add_func ("/unread-bus/100000-images-through-pngtiledec-stay-flat",
      test_unread_bus_decoder_stays_flat);
  return g_test_run ();
}
