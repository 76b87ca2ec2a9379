/* gst-launch-1.0 itself on bad input: a user's `gst-launch-1.0 -q filesrc
 * location=X ! pngtiledec ! fakesink` on a tiny PNG with a bad CRC prints
 * the error naming the file and exits non-zero, every time, also
 * while another thread keeps a core busy.
 *
 * Why a CPU hog: gst-launch-1.0 1.22 quits its main loop from its bus sync
 * handler, in the thread that posts the error; an error posted before the
 * tool has entered the loop (while its main thread, descheduled, is still
 * setting the pipeline to PAUSED) is printed but the quit is lost, and the
 * tool waits forever. Without load the window is rarely hit; with one busy
 * core about one run in five hung. pngtiledec reports a bad CRC the first
 * pull block shows inside the state change, so the tool never reaches its
 * loop (docs/design.md, "Bad input under gst-launch", which also says what
 * remains: a truncated file keeps the race, its rows before the damage
 * come first). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <png.h>
#include <gst/check/gstcheck.h>

#include "gstfixture.h"
#include "pngfixture.h"

#define RUNS_PER_FILE 30
/* one run takes well under a second; this long is a hang */
#define RUN_TIMEOUT_S 10

static gchar *tmp_dir;
static gchar *launch_tool;

/* ------------------------------------------------------------------ */
/* The other core's load                                               */

static gint hog_stop;

static gpointer
hog_main (gpointer data)
{
  volatile guint64 spin = 0;

  while (!g_atomic_int_get (&hog_stop))
    spin++;
  return NULL;
}

/* ------------------------------------------------------------------ */
/* One run of the tool                                                 */

/* Runs gst-launch-1.0 -q filesrc location=@path ! pngtiledec ! fakesink;
 * fails the test if it has not exited within RUN_TIMEOUT_S. Returns the
 * exit status and, in *err_text, what it printed on stderr. */
static gint
run_launch (const gchar * path, gchar ** err_text)
{
  gchar *location = g_strdup_printf ("location=%s", path);
  gchar *err_path = g_build_filename (tmp_dir, "stderr.txt", NULL);
  gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT_S * G_USEC_PER_SEC;
  gint status = 0;
  pid_t pid, done = 0;
  GError *error = NULL;

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0) {
    FILE *f = freopen (err_path, "w", stderr);

    if (!f || !freopen ("/dev/null", "w", stdout))
      _exit (126);
    execl (launch_tool, "gst-launch-1.0", "-q", "filesrc", location, "!",
        "pngtiledec", "!", "fakesink", (char *) NULL);
    _exit (127);
  }
  while (done == 0 && g_get_monotonic_time () < deadline) {
    done = waitpid (pid, &status, WNOHANG);
    if (done < 0 && errno == EINTR)
      done = 0;
    if (done == 0)
      g_usleep (2000);
  }
  if (done == 0) {
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
    g_error ("gst-launch-1.0 on %s still running after %d s: it hangs",
        path, RUN_TIMEOUT_S);
  }
  g_assert_cmpint (done, ==, pid);
  g_file_get_contents (err_path, err_text, NULL, &error);
  g_assert_no_error (error);
  g_free (err_path);
  g_free (location);
  return status;
}

/* @runs runs on @path under a busy core: each one exits with an error
 * status within the timeout and its error names image 0, the file and
 * @reason. */
static void
assert_launch_always_ends (const gchar * path, const gchar * reason)
{
  gchar *name = g_path_get_basename (path);
  GThread *hog;
  guint i;

  g_atomic_int_set (&hog_stop, 0);
  hog = g_thread_new ("cpu-hog", hog_main, NULL);
  for (i = 0; i < RUNS_PER_FILE; i++) {
    gchar *err_text = NULL;
    gint status = run_launch (path, &err_text);

    if (!WIFEXITED (status) || WEXITSTATUS (status) == 0
        || !strstr (err_text, "image 0") || !strstr (err_text, name)
        || !strstr (err_text, reason))
      g_error ("run %u on %s: %s %d, stderr:\n%s", i, name,
          WIFEXITED (status) ? "exit" : "signal", WIFEXITED (status) ?
          WEXITSTATUS (status) : WTERMSIG (status), err_text);
    g_free (err_text);
  }
  g_atomic_int_set (&hog_stop, 1);
  g_thread_join (hog);
  g_test_message ("%s: %d runs, each ended with the error", name,
      RUNS_PER_FILE);
  g_free (name);
}

/* ------------------------------------------------------------------ */
/* The files                                                           */

static gchar *
write_temp (const gchar * name, const guint8 * data, gsize size)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  GError *err = NULL;

  g_file_set_contents (path, (const gchar *) data, size, &err);
  g_assert_no_error (err);
  return path;
}

/* A 1x1 grey PNG of 67 bytes whose IDAT CRC is wrong. */
static void
test_tiny_png_with_bad_idat_crc_always_ends (void)
{
  PngFixtureSpec spec;
  GBytes *png;
  GByteArray *bad = g_byte_array_new ();
  const guint8 *data;
  gsize size, off;
  gchar *path;

  png_fixture_spec_init (&spec, 1, 1, PNG_COLOR_TYPE_GRAY, 8);
  png = png_fixture_encode (&spec);
  data = g_bytes_get_data (png, &size);
  g_byte_array_append (bad, data, size);
  off = png_fixture_find_chunk (data, size, "IDAT");
  bad->data[off + 8 + png_fixture_read_be32 (data + off)] ^= 0x01;
  path = write_temp ("tiny-bad-crc.png", bad->data, bad->len);
  g_test_message ("%s: %u bytes", path, bad->len);

  assert_launch_always_ends (path, "IDAT: CRC error");

  g_free (path);
  g_byte_array_unref (bad);
  g_bytes_unref (png);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  /* the tool is part of the test's Debian dependencies: missing is a
   * failure, not a skip */
  launch_tool = g_find_program_in_path ("gst-launch-1.0");
  if (!launch_tool)
    g_error ("gst-launch-1.0 is not on PATH (Debian: gstreamer1.0-tools)");
  tmp_dir = gst_fixture_make_tmp_dir ("membound-launch-XXXXXX");
  g_test_add_func ("/launch-bad-input/tiny-png-with-bad-idat-crc-always-"
      "ends", test_tiny_png_with_bad_idat_crc_always_ends);
  ret = g_test_run ();
  gst_fixture_remove_tree (tmp_dir);
  g_free (tmp_dir);
  g_free (launch_tool);
  return ret;
}
