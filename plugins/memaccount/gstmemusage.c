/* gst-membound: memusage tracer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Where do the bytes go? For every element and every src pad: buffers and
 * bytes pushed, the bytes pushed that are still alive anywhere in the
 * process (a private budget of the accounting core per pad and per
 * element), and the peak of that; plus the process peak RSS.
 *
 *   GST_TRACERS="memusage(file=/tmp/mem.csv,interval=100)" \
 *   GST_DEBUG=GST_TRACER:7 gst-launch-1.0 ...
 *
 * Output: GstTracerRecord lines (memusage-element, memusage-pad,
 * memusage-process) every interval, and at the end (each top-level pipeline
 * going to NULL, and gst_deinit) a summary table in the log; with file=, a
 * CSV with one row per element and a time series next to it
 * (docs/memusage.md).
 *
 * Charging needs a writable buffer or one that already carries a charge:
 * the push hooks cannot replace a buffer, so a shared buffer that was never
 * charged upstream is counted in buffers/bytes but not in live bytes (the
 * "untracked" column says how many).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "gstmemusage.h"
#include "gstmembudget.h"

GST_DEBUG_CATEGORY_STATIC (gst_mem_usage_debug);
#define GST_CAT_DEFAULT gst_mem_usage_debug
/* The summary goes where the tracer records go. */
GST_DEBUG_CATEGORY_STATIC (gst_mem_usage_tracer_cat);

#define DEFAULT_INTERVAL_MS 1000
#define MAX_INTERVAL_MS (3600 * 1000)
#define PROCESS_ROW "[process-peak-rss]"

typedef struct _MemUsageStats MemUsageStats;

/* One per element, or one per src pad. Counters are atomics; names change
 * only under the tracer lock. */
struct _MemUsageStats
{
  gchar *name;                  /* element name, or pad name */
  gchar *factory;               /* elements only; "" if none */
  MemUsageStats *element;       /* pads only: the element's stats */

  guint64 buffers;
  guint64 bytes;
  guint64 untracked;            /* buffers that could not be charged */
  GstMemBudget *budget;
};

static GQuark stats_quark;
/* qdata of pads we do not count (proxy pads inside ghost pads, orphans) */
static MemUsageStats ignored_pad;

static GstTracerRecord *tr_element;
static GstTracerRecord *tr_pad;
static GstTracerRecord *tr_process;

G_DEFINE_TYPE (GstMemUsage, gst_mem_usage, GST_TYPE_TRACER);

static MemUsageStats *
mem_usage_stats_new (const gchar * name, const gchar * factory,
    MemUsageStats * element)
{
  MemUsageStats *stats = g_new0 (MemUsageStats, 1);

  stats->name = g_strdup (name);
  stats->factory = g_strdup (factory ? factory : "");
  stats->element = element;
  stats->budget = gst_mem_budget_new ();
  return stats;
}

static void
mem_usage_stats_free (MemUsageStats * stats)
{
  /* Buffers still alive keep the budget through their charge records. */
  gst_mem_budget_unref (stats->budget);
  g_free (stats->name);
  g_free (stats->factory);
  g_free (stats);
}

static guint64
load (guint64 * counter)
{
  return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

static void
add (guint64 * counter, guint64 v)
{
  __atomic_add_fetch (counter, v, __ATOMIC_RELAXED);
}

static guint64
mem_usage_peak_rss (void)
{
  struct rusage ru;

  if (getrusage (RUSAGE_SELF, &ru) != 0)
    return 0;
  return (guint64) ru.ru_maxrss * 1024;   /* Linux reports KiB */
}

/* Called with the tracer lock. */
static void
mem_usage_refresh_name (MemUsageStats * stats, GstElement * element)
{
  g_free (stats->name);
  stats->name = gst_element_get_name (element);
}

/* Called with the tracer lock. */
static MemUsageStats *
mem_usage_element_stats (GstMemUsage * self, GstElement * element)
{
  MemUsageStats *stats = g_object_get_qdata (G_OBJECT (element), stats_quark);
  GstElementFactory *factory;

  if (stats)
    return stats;

  factory = gst_element_get_factory (element);
  stats = mem_usage_stats_new (NULL, factory ?
      gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)) : NULL, NULL);
  mem_usage_refresh_name (stats, element);
  g_ptr_array_add (self->elements, stats);
  g_object_set_qdata (G_OBJECT (element), stats_quark, stats);
  return stats;
}

static MemUsageStats *
mem_usage_pad_stats_slow (GstMemUsage * self, GstPad * pad)
{
  GstElement *element = gst_pad_get_parent_element (pad);
  MemUsageStats *stats;

  g_mutex_lock (&self->lock);
  stats = g_object_get_qdata (G_OBJECT (pad), stats_quark);
  if (!stats && !element) {
    stats = &ignored_pad;
  } else if (!stats) {
    MemUsageStats *es = mem_usage_element_stats (self, element);

    mem_usage_refresh_name (es, element);
    stats = mem_usage_stats_new (GST_OBJECT_NAME (pad), NULL, es);
    g_ptr_array_add (self->pads, stats);
  }
  g_object_set_qdata (G_OBJECT (pad), stats_quark, stats);
  g_mutex_unlock (&self->lock);

  gst_clear_object (&element);
  return stats == &ignored_pad ? NULL : stats;
}

static inline MemUsageStats *
mem_usage_pad_stats (GstMemUsage * self, GstPad * pad)
{
  MemUsageStats *stats = g_object_get_qdata (G_OBJECT (pad), stats_quark);

  if (G_LIKELY (stats))
    return stats == &ignored_pad ? NULL : stats;
  return mem_usage_pad_stats_slow (self, pad);
}

static void
mem_usage_count_buffer (GstMemUsage * self, MemUsageStats * ps,
    GstBuffer * buffer)
{
  MemUsageStats *es = ps->element;
  gsize size = gst_buffer_get_size (buffer);

  add (&ps->buffers, 1);
  add (&ps->bytes, size);
  add (&es->buffers, 1);
  add (&es->bytes, size);
  if (gst_mem_budget_try_track_buffer (ps->budget, buffer, NULL)) {
    gst_mem_budget_try_track_buffer (es->budget, buffer, NULL);
  } else {
    add (&ps->untracked, 1);
    add (&es->untracked, 1);
  }
  g_atomic_int_inc (&self->pushes);
}

static void
do_push_buffer_pre (GstTracer * tracer, GstClockTime ts, GstPad * pad,
    GstBuffer * buffer)
{
  GstMemUsage *self = GST_MEM_USAGE (tracer);
  MemUsageStats *ps = mem_usage_pad_stats (self, pad);

  if (ps)
    mem_usage_count_buffer (self, ps, buffer);
}

static void
do_push_buffer_list_pre (GstTracer * tracer, GstClockTime ts, GstPad * pad,
    GstBufferList * list)
{
  GstMemUsage *self = GST_MEM_USAGE (tracer);
  MemUsageStats *ps = mem_usage_pad_stats (self, pad);
  guint i, n;

  if (!ps)
    return;
  n = gst_buffer_list_length (list);
  for (i = 0; i < n; i++)
    mem_usage_count_buffer (self, ps, gst_buffer_list_get (list, i));
}

/* In pull mode the sink pad pulls: count on the src pad that produced. */
static void
do_pull_range_post (GstTracer * tracer, GstClockTime ts, GstPad * pad,
    GstBuffer * buffer, GstFlowReturn res)
{
  GstMemUsage *self = GST_MEM_USAGE (tracer);
  MemUsageStats *ps;
  GstPad *peer;

  if (res != GST_FLOW_OK || !buffer || !(peer = gst_pad_get_peer (pad)))
    return;
  ps = mem_usage_pad_stats (self, peer);
  if (ps)
    mem_usage_count_buffer (self, ps, buffer);
  gst_object_unref (peer);
}

static void
do_element_new (GstTracer * tracer, GstClockTime ts, GstElement * element)
{
  GstMemUsage *self = GST_MEM_USAGE (tracer);

  g_mutex_lock (&self->lock);
  mem_usage_element_stats (self, element);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------------ */
/* Output */

/* Called with the tracer lock. */
static void
mem_usage_log_records (GstMemUsage * self, GstClockTime ts)
{
  guint i;

  for (i = 0; i < self->elements->len; i++) {
    MemUsageStats *s = g_ptr_array_index (self->elements, i);

    gst_tracer_record_log (tr_element, (guint64) ts, s->name, s->factory,
        load (&s->buffers), load (&s->bytes),
        gst_mem_budget_get_live_bytes (s->budget),
        gst_mem_budget_get_peak_bytes (s->budget), load (&s->untracked));
  }
  for (i = 0; i < self->pads->len; i++) {
    MemUsageStats *s = g_ptr_array_index (self->pads, i);
    gchar *name = g_strdup_printf ("%s:%s", s->element->name, s->name);

    gst_tracer_record_log (tr_pad, (guint64) ts, name,
        load (&s->buffers), load (&s->bytes),
        gst_mem_budget_get_live_bytes (s->budget),
        gst_mem_budget_get_peak_bytes (s->budget), load (&s->untracked));
    g_free (name);
  }
  gst_tracer_record_log (tr_process, (guint64) ts, mem_usage_peak_rss ());
}

static void
mem_usage_csv_field (FILE * f, const gchar * s)
{
  const gchar *c;

  if (!strpbrk (s, ",\"\n")) {
    fputs (s, f);
    return;
  }
  fputc ('"', f);
  for (c = s; *c; c++) {
    if (*c == '"')
      fputc ('"', f);
    fputc (*c, f);
  }
  fputc ('"', f);
}

/* Called with the tracer lock. */
static void
mem_usage_append_series (GstMemUsage * self, GstClockTime ts)
{
  gchar time_str[G_ASCII_DTOSTR_BUF_SIZE];
  guint i;

  if (!self->series_file)
    return;
  if (!self->series) {
    self->series = fopen (self->series_file, "w");
    if (!self->series) {
      g_warning ("memusage: cannot write %s: %s", self->series_file,
          g_strerror (errno));
      g_clear_pointer (&self->series_file, g_free);
      return;
    }
    fputs ("time_s,element,live_bytes\n", self->series);
  }

  g_ascii_formatd (time_str, sizeof (time_str), "%.3f",
      (gdouble) ts / GST_SECOND);
  for (i = 0; i < self->elements->len; i++) {
    MemUsageStats *s = g_ptr_array_index (self->elements, i);

    fprintf (self->series, "%s,", time_str);
    mem_usage_csv_field (self->series, s->name);
    fprintf (self->series, ",%" G_GUINT64_FORMAT "\n",
        gst_mem_budget_get_live_bytes (s->budget));
  }
  fprintf (self->series, "%s," PROCESS_ROW ",%" G_GUINT64_FORMAT "\n",
      time_str, mem_usage_peak_rss ());
  fflush (self->series);
}

/* Called with the tracer lock. */
static void
mem_usage_write_csv (GstMemUsage * self)
{
  FILE *f;
  guint i;

  if (!self->file)
    return;
  f = fopen (self->file, "w");
  if (!f) {
    g_warning ("memusage: cannot write %s: %s", self->file,
        g_strerror (errno));
    return;
  }
  fputs ("element,factory,buffers,bytes,peak_live_bytes,live_bytes,"
      "untracked_buffers\n", f);
  for (i = 0; i < self->elements->len; i++) {
    MemUsageStats *s = g_ptr_array_index (self->elements, i);

    mem_usage_csv_field (f, s->name);
    fputc (',', f);
    mem_usage_csv_field (f, s->factory);
    fprintf (f, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%"
        G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "\n",
        load (&s->buffers), load (&s->bytes),
        gst_mem_budget_get_peak_bytes (s->budget),
        gst_mem_budget_get_live_bytes (s->budget), load (&s->untracked));
  }
  if (fclose (f) != 0)
    g_warning ("memusage: cannot write %s: %s", self->file, g_strerror (errno));
}

/* Called with the tracer lock. */
static void
mem_usage_log_table (GstMemUsage * self)
{
  guint i;

  GST_CAT_LEVEL_LOG (gst_mem_usage_tracer_cat, GST_LEVEL_TRACE, NULL,
      "memusage summary: %-24s %-16s %10s %14s %14s %14s", "element",
      "factory", "buffers", "bytes", "peak-live", "live");
  for (i = 0; i < self->elements->len; i++) {
    MemUsageStats *s = g_ptr_array_index (self->elements, i);

    GST_CAT_LEVEL_LOG (gst_mem_usage_tracer_cat, GST_LEVEL_TRACE, NULL,
        "memusage summary: %-24s %-16s %10" G_GUINT64_FORMAT " %14"
        G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT,
        s->name, s->factory, load (&s->buffers), load (&s->bytes),
        gst_mem_budget_get_peak_bytes (s->budget),
        gst_mem_budget_get_live_bytes (s->budget));
  }
  GST_CAT_LEVEL_LOG (gst_mem_usage_tracer_cat, GST_LEVEL_TRACE, NULL,
      "memusage summary: process peak RSS %" G_GUINT64_FORMAT " bytes",
      mem_usage_peak_rss ());
}

static void
mem_usage_summarize (GstMemUsage * self)
{
  GstClockTime ts;

  g_mutex_lock (&self->lock);
  ts = gst_util_get_timestamp () - self->start;
  mem_usage_log_records (self, ts);
  mem_usage_append_series (self, ts);
  mem_usage_log_table (self);
  mem_usage_write_csv (self);
  self->pushes_summarized = g_atomic_int_get (&self->pushes);
  g_mutex_unlock (&self->lock);
}

static void
do_element_change_state_post (GstTracer * tracer, GstClockTime ts,
    GstElement * element, GstStateChange transition,
    GstStateChangeReturn result)
{
  GstMemUsage *self = GST_MEM_USAGE (tracer);
  MemUsageStats *es;
  gboolean top_level;

  /* Names set after creation (gst_parse_launch's name=) are final by now. */
  g_mutex_lock (&self->lock);
  es = g_object_get_qdata (G_OBJECT (element), stats_quark);
  if (es)
    mem_usage_refresh_name (es, element);
  g_mutex_unlock (&self->lock);

  GST_OBJECT_LOCK (element);
  top_level = GST_OBJECT_PARENT (element) == NULL;
  GST_OBJECT_UNLOCK (element);
  /* gst-launch-1.0 and most applications end with pipeline -> NULL; the
   * summary must not wait for a gst_deinit() that may never come. */
  if (top_level && transition == GST_STATE_CHANGE_READY_TO_NULL
      && result != GST_STATE_CHANGE_FAILURE)
    mem_usage_summarize (self);
}

static gpointer
mem_usage_ticker (gpointer data)
{
  GstMemUsage *self = data;
  gint64 next = g_get_monotonic_time ();
  GstClockTime now;

  g_mutex_lock (&self->lock);
  while (!self->stopping) {
    next += (gint64) self->interval_ms * 1000;
    while (!self->stopping && g_cond_wait_until (&self->cond, &self->lock,
            next));
    if (self->stopping)
      break;
    now = gst_util_get_timestamp () - self->start;
    mem_usage_log_records (self, now);
    mem_usage_append_series (self, now);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Set-up */

static void
gst_mem_usage_parse_params (GstMemUsage * self)
{
  GstStructure *s;
  gchar *params = NULL, *full;
  gint interval;

  g_object_get (self, "params", &params, NULL);
  if (!params)
    return;

  full = g_strdup_printf ("memusage,%s", params);
  s = gst_structure_from_string (full, NULL);
  if (!s) {
    g_warning ("memusage: cannot parse parameters \"%s\"; expected e.g. "
        "memusage(file=/tmp/mem.csv,interval=1000)", params);
    goto done;
  }

  if (gst_structure_has_field (s, "file")) {
    const gchar *file = gst_structure_get_string (s, "file");

    if (file && *file)
      self->file = g_strdup (file);
    else
      g_warning ("memusage: file must be a path, e.g. file=/tmp/mem.csv");
  }
  if (gst_structure_has_field (s, "interval")) {
    if (gst_structure_get_int (s, "interval", &interval) && interval >= 0
        && interval <= MAX_INTERVAL_MS)
      self->interval_ms = interval;
    else
      g_warning ("memusage: interval must be milliseconds from 0 (only at "
          "the end) to %d, keeping %u", MAX_INTERVAL_MS, self->interval_ms);
  }
  gst_structure_free (s);

done:
  g_free (full);
  g_free (params);
}

/* mem.csv -> mem.timeseries.csv; anything else gets the suffix appended. */
static gchar *
gst_mem_usage_series_path (const gchar * file)
{
  if (g_str_has_suffix (file, ".csv"))
    return g_strdup_printf ("%.*s.timeseries.csv",
        (int) (strlen (file) - strlen (".csv")), file);
  return g_strdup_printf ("%s.timeseries.csv", file);
}

static void
gst_mem_usage_constructed (GObject * object)
{
  GstMemUsage *self = GST_MEM_USAGE (object);
  GstTracer *tracer = GST_TRACER (object);

  G_OBJECT_CLASS (gst_mem_usage_parent_class)->constructed (object);

  gst_mem_usage_parse_params (self);
  if (self->file)
    self->series_file = gst_mem_usage_series_path (self->file);
  GST_INFO_OBJECT (self, "file %s, interval %u ms", GST_STR_NULL (self->file),
      self->interval_ms);

  gst_tracing_register_hook (tracer, "pad-push-pre",
      G_CALLBACK (do_push_buffer_pre));
  gst_tracing_register_hook (tracer, "pad-push-list-pre",
      G_CALLBACK (do_push_buffer_list_pre));
  gst_tracing_register_hook (tracer, "pad-pull-range-post",
      G_CALLBACK (do_pull_range_post));
  gst_tracing_register_hook (tracer, "element-new",
      G_CALLBACK (do_element_new));
  gst_tracing_register_hook (tracer, "element-change-state-post",
      G_CALLBACK (do_element_change_state_post));

  if (self->interval_ms > 0)
    self->ticker = g_thread_new ("memusage", mem_usage_ticker, self);
}

static void
gst_mem_usage_finalize (GObject * object)
{
  GstMemUsage *self = GST_MEM_USAGE (object);

  if (self->ticker) {
    g_mutex_lock (&self->lock);
    self->stopping = TRUE;
    g_cond_signal (&self->cond);
    g_mutex_unlock (&self->lock);
    g_thread_join (self->ticker);
  }
  /* Applications that never set their pipeline to NULL. */
  if (g_atomic_int_get (&self->pushes) != self->pushes_summarized)
    mem_usage_summarize (self);

  if (self->series)
    fclose (self->series);
  g_ptr_array_free (self->pads, TRUE);
  g_ptr_array_free (self->elements, TRUE);
  g_free (self->file);
  g_free (self->series_file);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gst_mem_usage_parent_class)->finalize (object);
}

static GstStructure *
value_field (GType type, const gchar * description)
{
  return gst_structure_new ("value",
      "type", G_TYPE_GTYPE, type,
      "description", G_TYPE_STRING, description,
      "flags", GST_TYPE_TRACER_VALUE_FLAGS, GST_TRACER_VALUE_FLAGS_AGGREGATED,
      NULL);
}

static GstStructure *
scope_field (GstTracerValueScope scope)
{
  return gst_structure_new ("scope",
      "type", G_TYPE_GTYPE, G_TYPE_STRING,
      "related-to", GST_TYPE_TRACER_VALUE_SCOPE, scope, NULL);
}

static void
gst_mem_usage_class_init (GstMemUsageClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->constructed = gst_mem_usage_constructed;
  gobject_class->finalize = gst_mem_usage_finalize;

  GST_DEBUG_CATEGORY_INIT (gst_mem_usage_debug, "memusage", 0,
      "memusage tracer");
  GST_DEBUG_CATEGORY_GET (gst_mem_usage_tracer_cat, "GST_TRACER");
  stats_quark = g_quark_from_static_string ("gst-membound-memusage-stats");

  tr_element = gst_tracer_record_new ("memusage-element.class",
      "ts", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "time of the sample, ns since the tracer started"),
      "element", GST_TYPE_STRUCTURE, scope_field (GST_TRACER_VALUE_SCOPE_ELEMENT),
      "factory", GST_TYPE_STRUCTURE, gst_structure_new ("value",
          "type", G_TYPE_GTYPE, G_TYPE_STRING,
          "description", G_TYPE_STRING, "element factory name", NULL),
      "buffers", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "buffers pushed from the element's src pads"),
      "bytes", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "bytes pushed from the element's src pads"),
      "live-bytes", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "bytes pushed that are still alive"),
      "peak-live-bytes", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "highest live-bytes so far"),
      "untracked", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "buffers not in live-bytes (shared and never charged)"), NULL);
  tr_pad = gst_tracer_record_new ("memusage-pad.class",
      "ts", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "time of the sample, ns since the tracer started"),
      "pad", GST_TYPE_STRUCTURE, scope_field (GST_TRACER_VALUE_SCOPE_PAD),
      "buffers", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "buffers pushed"),
      "bytes", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "bytes pushed"),
      "live-bytes", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "bytes pushed that are still alive"),
      "peak-live-bytes", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "highest live-bytes so far"),
      "untracked", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "buffers not in live-bytes (shared and never charged)"), NULL);
  tr_process = gst_tracer_record_new ("memusage-process.class",
      "ts", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "time of the sample, ns since the tracer started"),
      "peak-rss", GST_TYPE_STRUCTURE, value_field (G_TYPE_UINT64,
          "peak resident set size of the process, bytes"), NULL);
  GST_OBJECT_FLAG_SET (tr_element, GST_OBJECT_FLAG_MAY_BE_LEAKED);
  GST_OBJECT_FLAG_SET (tr_pad, GST_OBJECT_FLAG_MAY_BE_LEAKED);
  GST_OBJECT_FLAG_SET (tr_process, GST_OBJECT_FLAG_MAY_BE_LEAKED);
}

static void
gst_mem_usage_init (GstMemUsage * self)
{
  self->interval_ms = DEFAULT_INTERVAL_MS;
  /* so that even a run that pushed nothing gets its summary */
  self->pushes_summarized = -1;
  self->start = gst_util_get_timestamp ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->elements = g_ptr_array_new_with_free_func ((GDestroyNotify)
      mem_usage_stats_free);
  self->pads = g_ptr_array_new_with_free_func ((GDestroyNotify)
      mem_usage_stats_free);
}
