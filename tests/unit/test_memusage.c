/* memusage tracer: the promises of the memory usage tracer.
 *
 * Tracers are set up by gst_init() from GST_TRACERS, so every test runs its
 * pipeline in a child: gst-launch-1.0 (the way users run it), or this
 * program re-run as a g_test subprocess with GST_TRACERS set before
 * gst_init(). */
#include <stdlib.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>

#include "gstfixture.h"

#define PROGRAM_TIMEOUT_S 120
/* each gst-launch-1.0 child is killed after this long */
#define CHILD_TIMEOUT_S "30"
#define SUBPROCESS_TIMEOUT_US (30 * G_USEC_PER_SEC)

#define FRAME_SIZE (64 * 48)    /* GRAY8 64x48 */
#define CAPS "video/x-raw,format=GRAY8,width=64,height=48"

/* the environment variable that tells a re-run child where to write */
#define CHILD_CSV_ENV "MEMUSAGE_TEST_CSV"

typedef struct
{
  gchar *element;
  gchar *factory;
  guint64 buffers;
  guint64 bytes;
  guint64 peak_live;
  guint64 live;
} CsvRow;

static gchar *temp_dir;

/* A path in this run's temporary directory, removed at the end. */
static gchar *
temp_path (const gchar * name)
{
  if (!temp_dir)
    temp_dir = gst_fixture_make_tmp_dir ("memusage-XXXXXX");
  return g_build_filename (temp_dir, name, NULL);
}

/* Runs gst-launch-1.0 with GST_TRACERS=@tracers; returns its stderr. */
static gchar *
run_launch (const gchar * tracers, const gchar * description)
{
  gchar *cmd = g_strdup_printf ("timeout " CHILD_TIMEOUT_S
      " gst-launch-1.0 -q %s", description);
  gchar **argv = NULL, **envp = g_get_environ ();
  gchar *out = NULL, *err = NULL;
  GError *error = NULL;
  gint status = 0;

  envp = g_environ_setenv (envp, "GST_TRACERS", tracers, TRUE);
  envp = g_environ_setenv (envp, "GST_DEBUG", "GST_TRACER:7", TRUE);
  g_assert_true (g_shell_parse_argv (cmd, NULL, &argv, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("child stderr:\n%s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  g_free (out);
  g_strfreev (argv);
  g_strfreev (envp);
  g_free (cmd);
  return err;
}

static void
csv_row_free (CsvRow * row)
{
  g_free (row->element);
  g_free (row->factory);
  g_free (row);
}

/* Element name -> CsvRow; checks the header. */
static GHashTable *
read_summary_csv (const gchar * path)
{
  GHashTable *rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) csv_row_free);
  gchar *text = NULL, **lines;
  guint i;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "element,factory,buffers,bytes,"
      "peak_live_bytes,live_bytes,untracked_buffers");
  for (i = 1; lines[i] && *lines[i]; i++) {
    gchar **f = g_strsplit (lines[i], ",", -1);
    CsvRow *row = g_new0 (CsvRow, 1);

    g_assert_cmpuint (g_strv_length (f), ==, 7);
    row->element = g_strdup (f[0]);
    row->factory = g_strdup (f[1]);
    row->buffers = g_ascii_strtoull (f[2], NULL, 10);
    row->bytes = g_ascii_strtoull (f[3], NULL, 10);
    row->peak_live = g_ascii_strtoull (f[4], NULL, 10);
    row->live = g_ascii_strtoull (f[5], NULL, 10);
    g_hash_table_insert (rows, row->element, row);
    g_strfreev (f);
  }
  g_strfreev (lines);
  g_free (text);
  return rows;
}

static CsvRow *
get_row (GHashTable * rows, const gchar * element)
{
  CsvRow *row = g_hash_table_lookup (rows, element);

  if (!row)
    g_error ("no CSV row for %s", element);
  return row;
}

static void
test_csv_reports_exact_bytes_and_buffers (void)
{
  gchar *csv = temp_path ("exact.csv");
  gchar *tracers = g_strdup_printf ("memusage(file=%s,interval=0)", csv);
  gchar *err = run_launch (tracers, "videotestsrc num-buffers=25 ! " CAPS
      " ! fakesink");
  GHashTable *rows = read_summary_csv (csv);
  CsvRow *src = get_row (rows, "videotestsrc0");
  CsvRow *caps = get_row (rows, "capsfilter0");
  CsvRow *sink = get_row (rows, "fakesink0");

  g_assert_cmpstr (src->factory, ==, "videotestsrc");
  g_assert_cmpuint (src->buffers, ==, 25);
  g_assert_cmpuint (src->bytes, ==, 25 * FRAME_SIZE);
  g_assert_cmpuint (src->peak_live, >=, FRAME_SIZE);
  g_assert_cmpuint (src->peak_live, <=, 25 * FRAME_SIZE);
  g_assert_cmpuint (caps->buffers, ==, 25);
  g_assert_cmpuint (caps->bytes, ==, 25 * FRAME_SIZE);
  /* a sink pushes nothing, but it is listed */
  g_assert_cmpstr (sink->factory, ==, "fakesink");
  g_assert_cmpuint (sink->buffers, ==, 0);
  /* after NULL every buffer went back to a freed pool */
  g_assert_cmpuint (src->live, ==, 0);

  g_hash_table_unref (rows);
  g_free (err);
  g_free (tracers);
  g_free (csv);
}

static void
test_log_has_records_and_summary (void)
{
  gchar *err = run_launch ("memusage", "videotestsrc num-buffers=5 ! " CAPS
      " ! fakesink");

  g_assert_nonnull (strstr (err, "memusage-element, ts=(guint64)"));
  g_assert_nonnull (strstr (err, "element=(string)videotestsrc0, "
          "factory=(string)videotestsrc, buffers=(guint64)5, bytes=(guint64)"
          "15360"));  /* 5 x 64 x 48 */
  g_assert_nonnull (strstr (err, "memusage-pad, ts=(guint64)"));
  g_assert_nonnull (strstr (err, "pad=(string)videotestsrc0:src"));
  g_assert_nonnull (strstr (err, "memusage-process, ts=(guint64)"));
  g_assert_nonnull (strstr (err, "memusage summary: videotestsrc0"));
  g_assert_nonnull (strstr (err, "memusage summary: process peak RSS"));
  g_free (err);
}

static void
test_time_series_at_interval (void)
{
  gchar *csv = temp_path ("series.csv");
  gchar *series = temp_path ("series.timeseries.csv");
  gchar *tracers = g_strdup_printf ("memusage(file=%s,interval=20)", csv);
  /* 15 frames at 50/s take 300 ms: about 15 ticks */
  gchar *err = run_launch (tracers, "videotestsrc num-buffers=15 ! " CAPS
      ",framerate=50/1 ! fakesink sync=true");
  gchar *text = NULL, **lines;
  guint i, n_src = 0, n_rss = 0;
  gdouble last_time = -1;

  g_assert_true (g_file_get_contents (series, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "time_s,element,live_bytes");
  for (i = 1; lines[i] && *lines[i]; i++) {
    gchar **f = g_strsplit (lines[i], ",", -1);
    gdouble t = g_ascii_strtod (f[0], NULL);

    g_assert_cmpuint (g_strv_length (f), ==, 3);
    g_assert_cmpfloat (t, >=, last_time);
    last_time = t;
    if (g_str_equal (f[1], "videotestsrc0")) {
      n_src++;
      g_assert_cmpuint (g_ascii_strtoull (f[2], NULL, 10), <=,
          15 * FRAME_SIZE);
    } else if (g_str_equal (f[1], "[process-peak-rss]")) {
      n_rss++;
      g_assert_cmpuint (g_ascii_strtoull (f[2], NULL, 10), >, 0);
    }
    g_strfreev (f);
  }
  g_assert_cmpuint (n_src, >=, 5);
  g_assert_cmpuint (n_rss, ==, n_src);
  g_assert_cmpfloat (last_time, >=, 0.25);

  g_strfreev (lines);
  g_free (text);
  g_free (err);
  g_free (tracers);
  g_free (series);
  g_free (csv);
}

static void
test_live_bytes_show_who_hoards (void)
{
  gchar *csv = temp_path ("hoard.csv");
  gchar *tracers = g_strdup_printf ("memusage(file=%s,interval=0)", csv);
  /* the source outruns a 50 frames/s sink; the unlimited queue keeps all */
  gchar *err = run_launch (tracers, "videotestsrc num-buffers=20 ! " CAPS
      ",framerate=50/1 ! queue max-size-buffers=0 max-size-bytes=0 "
      "max-size-time=0 ! fakesink sync=true");
  GHashTable *rows = read_summary_csv (csv);
  CsvRow *src = get_row (rows, "videotestsrc0");
  CsvRow *queue = get_row (rows, "queue0");

  g_assert_cmpuint (src->bytes, ==, 20 * FRAME_SIZE);
  g_assert_cmpuint (queue->bytes, ==, 20 * FRAME_SIZE);
  /* what the source pushed piled up ... */
  g_assert_cmpuint (src->peak_live, >=, 15 * FRAME_SIZE);
  /* ... while what left the queue was released by the sink */
  g_assert_cmpuint (queue->peak_live, <=, 4 * FRAME_SIZE);

  g_hash_table_unref (rows);
  g_free (err);
  g_free (tracers);
  g_free (csv);
}

static void
test_memmeter_bound_holds_in_the_trace (void)
{
  gchar *csv = temp_path ("meter.csv");
  gchar *tracers = g_strdup_printf ("memusage(file=%s,interval=0)", csv);
  /* room for 4 frames, not 5; the sink releases 200 frames/s */
  gchar *err = run_launch (tracers, "videotestsrc num-buffers=40 ! " CAPS
      ",framerate=200/1 ! memmeter name=meter max-live-bytes=12800 ! "
      "queue max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! "
      "fakesink sync=true");
  GHashTable *rows = read_summary_csv (csv);
  CsvRow *meter = get_row (rows, "meter");

  g_assert_cmpstr (meter->factory, ==, "memmeter");
  g_assert_cmpuint (meter->bytes, ==, 40 * FRAME_SIZE);
  /* a buffer's budgets are all released before its waiter runs */
  g_assert_cmpuint (meter->peak_live, ==, 4 * FRAME_SIZE);
  /* the source also counts the one frame waiting in the meter */
  g_assert_cmpuint (get_row (rows, "videotestsrc0")->peak_live, <=,
      5 * FRAME_SIZE);

  g_hash_table_unref (rows);
  g_free (err);
  g_free (tracers);
  g_free (csv);
}

static void
test_bad_params_warn_and_keep_defaults (void)
{
  gchar *csv = temp_path ("params.csv");
  gchar *tracers = g_strdup_printf ("memusage(file=%s,interval=-5)", csv);
  gchar *err = run_launch (tracers, "videotestsrc num-buffers=3 ! " CAPS
      " ! fakesink");
  GHashTable *rows;

  g_assert_nonnull (strstr (err, "interval must be milliseconds"));
  rows = read_summary_csv (csv);
  g_assert_cmpuint (get_row (rows, "videotestsrc0")->buffers, ==, 3);
  g_hash_table_unref (rows);
  g_free (err);
  g_free (tracers);
  g_free (csv);
}

/* Runs in the child: GST_TRACERS was set in main() before gst_init(). */
static void
child_pipeline_never_set_to_null (void)
{
  GstElement *pipeline = gst_fixture_parse ("videotestsrc num-buffers=7 ! "
      CAPS " ! fakesink");

  gst_fixture_run_to_eos (pipeline, 10 * GST_SECOND);
  /* No NULL state: the summary must come from gst_deinit(), which
   * gst_check_init() registered to run at exit. */
  gst_element_set_state (pipeline, GST_STATE_READY);
}

static void
test_summary_at_deinit_without_null_state (void)
{
  gchar *csv;
  GHashTable *rows;

  if (g_test_subprocess ()) {
    child_pipeline_never_set_to_null ();
    return;
  }
  csv = temp_path ("deinit.csv");
  g_setenv (CHILD_CSV_ENV, csv, TRUE);
  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, 0);
  g_unsetenv (CHILD_CSV_ENV);
  g_test_trap_assert_passed ();

  rows = read_summary_csv (csv);
  g_assert_cmpuint (get_row (rows, "videotestsrc0")->buffers, ==, 7);
  g_assert_cmpuint (get_row (rows, "videotestsrc0")->bytes, ==,
      7 * FRAME_SIZE);
  g_hash_table_unref (rows);
  g_free (csv);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  if (g_test_subprocess () && g_getenv (CHILD_CSV_ENV)) {
    gchar *tracers = g_strdup_printf ("memusage(file=%s,interval=0)",
        g_getenv (CHILD_CSV_ENV));

    g_setenv ("GST_TRACERS", tracers, TRUE);
    g_free (tracers);
  }
  gst_check_init (&argc, &argv);
  alarm (PROGRAM_TIMEOUT_S);

  g_test_add_func ("/memusage/csv-reports-exact-bytes-and-buffers",
      test_csv_reports_exact_bytes_and_buffers);
  g_test_add_func ("/memusage/log-has-records-and-summary",
      test_log_has_records_and_summary);
  g_test_add_func ("/memusage/time-series-at-interval",
      test_time_series_at_interval);
  g_test_add_func ("/memusage/live-bytes-show-who-hoards",
      test_live_bytes_show_who_hoards);
  g_test_add_func ("/memusage/memmeter-bound-holds-in-the-trace",
      test_memmeter_bound_holds_in_the_trace);
  g_test_add_func ("/memusage/bad-params-warn-and-keep-defaults",
      test_bad_params_warn_and_keep_defaults);
  g_test_add_func ("/memusage/summary-at-deinit-without-null-state",
      test_summary_at_deinit_without_null_state);

  ret = g_test_run ();
  if (temp_dir)
    gst_fixture_remove_tree (temp_dir);
  g_free (temp_dir);
  return ret;
}
