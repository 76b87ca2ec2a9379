/* deepzoomsink when things go wrong: a full disk, a truncated input image,
 * a restart after a failed run. Each ends with a clear error naming the
 * path, no .dzi claiming a complete pyramid, and no hang. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <png.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "pngfixture.h"
#include "gstfixture.h"

#define TIMEOUT (60 * GST_SECOND)

/* Runs @desc to its end; returns the error message, or NULL at EOS. */
static GstMessage *
run_until_error (const gchar * desc)
{
  GstElement *pipeline = gst_fixture_parse (desc);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, TIMEOUT,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  g_assert_nonnull (msg);       /* nothing hangs */
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    gst_message_unref (msg);
    return NULL;
  }
  return msg;
}

static gchar *
make_source (const gchar * dir, guint w, guint h)
{
  gchar *src = g_build_filename (dir, "src.png", NULL);
  PngFixtureSpec spec;

  png_fixture_spec_init (&spec, w, h, PNG_COLOR_TYPE_RGB, 8);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  g_assert_true (png_fixture_write_file (&spec, src, NULL));
  return src;
}

/* A file size limit stands in for a full disk: the write of a tile fails
 * with EFBIG (SIGXFSZ ignored), as it fails with ENOSPC on a full disk. */
static void
test_full_disk_is_a_clear_error (void)
{
  gchar *dir = gst_fixture_make_tmp_dir ("deepzoom-full-XXXXXX");
  gchar *src = make_source (dir, 2000, 1500);
  gchar *dzi = g_build_filename (dir, "out.dzi", NULL);

  if (g_test_subprocess ()) {
    struct rlimit lim = { 8 * 1024, 8 * 1024 };
    gchar *desc = g_strdup_printf ("filesrc location=%s ! pngtiledec ! "
        "deepzoomsink location=%s format=png", src, dzi);
    GstMessage *msg;
    GError *err = NULL;

    signal (SIGXFSZ, SIG_IGN);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
    msg = run_until_error (desc);
    g_assert_nonnull (msg);
    gst_message_parse_error (msg, &err, NULL);
    g_assert_true (g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_NO_SPACE_LEFT));
    gst_fixture_assert_message_mentions (msg, "out_files/");
    g_assert_false (g_file_test (dzi, G_FILE_TEST_EXISTS));
    g_error_free (err);
    gst_message_unref (msg);
    g_free (desc);
    gst_fixture_remove_tree (dir);
    g_free (src);
    g_free (dzi);
    g_free (dir);
    return;
  }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
  gst_fixture_remove_tree (dir);
  g_free (src);
  g_free (dzi);
  g_free (dir);
}

/* A truncated PNG: pngtiledec's error names the file; no .dzi. */
static void
test_truncated_input_leaves_no_dzi (void)
{
  gchar *dir = gst_fixture_make_tmp_dir ("deepzoom-cut-XXXXXX");
  gchar *src = make_source (dir, 1200, 900);
  gchar *dzi = g_build_filename (dir, "out.dzi", NULL);
  gchar *data, *desc;
  gsize len;
  GstMessage *msg;

  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (src, data, len / 2, NULL));
  desc = g_strdup_printf ("filesrc location=%s ! pngtiledec ! deepzoomsink "
      "location=%s", src, dzi);
  msg = run_until_error (desc);
  g_assert_nonnull (msg);
  gst_fixture_assert_message_mentions (msg, "src.png");
  g_assert_false (g_file_test (dzi, G_FILE_TEST_EXISTS));
  gst_message_unref (msg);
  g_free (data);
  g_free (desc);
  gst_fixture_remove_tree (dir);
  g_free (src);
  g_free (dzi);
  g_free (dir);
}

/* With on-error=skip the bad image costs only its own pyramid: the sink
 * warns with the .dzi path and the run goes on to EOS. */
static void
test_skipped_image_warns_with_its_path (void)
{
  gchar *dir = gst_fixture_make_tmp_dir ("deepzoom-skip-XXXXXX");
  gchar *src = make_source (dir, 1200, 900);
  gchar *dzi = g_build_filename (dir, "out.dzi", NULL);
  gchar *data, *desc;
  gsize len;
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg;
  gboolean warned = FALSE;

  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (src, data, len / 2, NULL));
  desc = g_strdup_printf ("filesrc location=%s ! pngtiledec on-error=skip ! "
      "deepzoomsink location=%s", src, dzi);
  pipeline = gst_fixture_parse (desc);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((msg = gst_bus_timed_pop_filtered (bus, TIMEOUT,
              GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_WARNING))) {
    GstMessageType type = GST_MESSAGE_TYPE (msg);

    g_assert_cmpint (type, !=, GST_MESSAGE_ERROR);
    if (type == GST_MESSAGE_WARNING && GST_MESSAGE_SRC (msg) &&
        g_str_has_prefix (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
            "deepzoomsink")) {
      gst_fixture_assert_message_mentions (msg, dzi);
      warned = TRUE;
    }
    gst_message_unref (msg);
    if (type == GST_MESSAGE_EOS)
      break;
  }
  g_assert_true (warned);
  g_assert_false (g_file_test (dzi, G_FILE_TEST_EXISTS));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (data);
  g_free (desc);
  gst_fixture_remove_tree (dir);
  g_free (src);
  g_free (dzi);
  g_free (dir);
}

/* A run stopped half-way (here by a file size limit) is restarted: the
 * second run writes the whole pyramid and its .dzi, and every tile decodes. */
static void
test_restart_after_failure_is_complete (void)
{
  /* the child fails in the parent's directory */
  gchar *dir = g_test_subprocess ()? g_strdup (g_getenv ("DEEPZOOM_DIR")) :
      gst_fixture_make_tmp_dir ("deepzoom-restart-XXXXXX");
  gchar *src = g_test_subprocess ()? g_build_filename (dir, "src.png", NULL) :
      make_source (dir, 1500, 700);
  gchar *dzi = g_build_filename (dir, "out.dzi", NULL);
  gchar *desc = g_strdup_printf ("filesrc location=%s ! pngtiledec ! "
      "deepzoomsink location=%s format=png", src, dzi);
  gchar *tile;
  guint level, n = 0;

  if (g_test_subprocess ()) {
    struct rlimit lim = { 16 * 1024, 16 * 1024 };
    GstMessage *msg;

    signal (SIGXFSZ, SIG_IGN);
    g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
    msg = run_until_error (desc);
    g_assert_nonnull (msg);
    gst_message_unref (msg);
    g_free (desc);
    g_free (dzi);
    g_free (src);
    g_free (dir);
    return;
  }
  g_setenv ("DEEPZOOM_DIR", dir, TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test (dzi, G_FILE_TEST_EXISTS));

  g_assert_null (run_until_error (desc));
  g_assert_true (g_file_test (dzi, G_FILE_TEST_EXISTS));
  for (level = 0; level <= 11; level++) {
    gchar *sub = g_strdup_printf ("%s/out_files/%u", dir, level);
    GDir *d = g_dir_open (sub, 0, NULL);
    const gchar *name;

    g_assert_nonnull (d);
    while ((name = g_dir_read_name (d))) {
      PngFixtureImage img;
      gchar *data, *err = NULL;
      gsize len;

      tile = g_build_filename (sub, name, NULL);
      g_assert_true (g_file_get_contents (tile, &data, &len, NULL));
      g_assert_true (png_fixture_reference_decode ((guint8 *) data, len,
              &img, &err));
      png_fixture_image_clear (&img);
      g_free (data);
      g_free (tile);
      n++;
    }
    g_dir_close (d);
    g_free (sub);
  }
  /* 6 x 3 at the top, 3 x 2, 2 x 1, then one per level */
  g_assert_cmpuint (n, ==, 18 + 6 + 2 + 9);
  gst_fixture_remove_tree (dir);
  g_free (desc);
  g_free (src);
  g_free (dzi);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);

  g_test_add_func ("/deepzoom-faults/full-disk-is-a-clear-error",
      test_full_disk_is_a_clear_error);
  g_test_add_func ("/deepzoom-faults/truncated-input-leaves-no-dzi",
      test_truncated_input_leaves_no_dzi);
  g_test_add_func ("/deepzoom-faults/skipped-image-warns-with-its-path",
      test_skipped_image_warns_with_its_path);
  g_test_add_func ("/deepzoom-faults/restart-after-failure-is-complete",
      test_restart_after_failure_is_complete);
  return g_test_run ();
}
