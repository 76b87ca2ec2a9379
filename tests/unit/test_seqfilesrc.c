/* seqfilesrc: the promises of the file sequence source. */
#include <gst/check/gstcheck.h>

#include <dlfcn.h>
#include <glib/gstdio.h>
#include <string.h>

#include "gstfilelocation.h"
#include "gstfixture.h"

/* every pipeline here is tiny; anything slower is a hang */
#define RUN_TIMEOUT (30 * GST_SECOND)

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */

static gchar *
make_dir (void)
{
  return gst_fixture_make_tmp_dir ("seqfilesrc-XXXXXX");
}

/* Content that differs per file and per byte, so a misplaced block shows. */
static GBytes *
file_bytes (gsize size, guint seed)
{
  guint8 *data = g_malloc (size + 1);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = (guint8) (seed * 131 + i * 7 + (i >> 8));
  return g_bytes_new_take (data, size);
}

static gchar *
write_file (const gchar * dir, const gchar * name, gsize size, guint seed)
{
  gchar *path = g_build_filename (dir, name, NULL);
  GBytes *bytes = file_bytes (size, seed);
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);
  GError *err = NULL;

  g_file_set_contents (path, data, len, &err);
  g_assert_no_error (err);
  g_bytes_unref (bytes);
  return path;
}

/* ------------------------------------------------------------------ */
/* Running seqfilesrc ! fakesink and recording what crosses the pad    */

typedef struct
{
  GstBuffer *buffer;            /* either a buffer... */
  gchar *tag_location;          /* ...or an event announcing a file */
  GstCaps *caps;                /* ...or a caps event */
} Item;

typedef struct
{
  GMutex lock;
  GPtrArray *items;
  GPtrArray *messages;          /* warnings and element messages */
  GstMessage *error;
  gboolean eos;
  gint n_tag_events;            /* of the items, how many came as tags */
} Run;

static void
item_free (gpointer data)
{
  Item *item = data;

  if (item->buffer)
    gst_buffer_unref (item->buffer);
  if (item->caps)
    gst_caps_unref (item->caps);
  g_free (item->tag_location);
  g_free (item);
}

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *run = user_data;
  Item *item = g_new0 (Item, 1);

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    item->buffer = gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info));
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (gst_file_location_event_parse (event, &item->tag_location)) {
      if (GST_EVENT_TYPE (event) == GST_EVENT_TAG)
        g_atomic_int_inc (&run->n_tag_events);
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      item->caps = gst_caps_ref (caps);
    }
  }
  if (!item->buffer && !item->tag_location && !item->caps) {
    g_free (item);
    return GST_PAD_PROBE_OK;
  }
  g_mutex_lock (&run->lock);
  g_ptr_array_add (run->items, item);
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

static void
run_free (Run * run)
{
  g_ptr_array_unref (run->items);
  g_ptr_array_unref (run->messages);
  if (run->error)
    gst_message_unref (run->error);
  g_mutex_clear (&run->lock);
  g_free (run);
}

/* Collects bus messages until EOS, an error or the timeout (a failure). */
static void
run_collect (Run * run, GstBus * bus)
{
  while (!run->eos && !run->error) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, RUN_TIMEOUT,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
        GST_MESSAGE_ELEMENT);

    if (!msg)
      g_error ("pipeline timed out");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      run->eos = TRUE;
      gst_message_unref (msg);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      run->error = msg;
    } else {
      g_ptr_array_add (run->messages, msg);
    }
  }
}

static GstElement *
make_src (const gchar * location)
{
  GstElement *src = gst_element_factory_make ("seqfilesrc", NULL);

  g_assert_nonnull (src);
  g_object_set (src, "location", location, NULL);
  return src;
}

static GstElement *
make_src_range (const gchar * pattern, gint start_index, gint stop_index)
{
  GstElement *src = make_src (pattern);

  g_object_set (src, "start-index", start_index, "stop-index", stop_index,
      NULL);
  return src;
}

/* Runs src [! middle] ! fakesink to EOS or error, recording src's output. */
static Run *
run_pipeline_with (GstElement * src, GstElement * middle)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstPad *pad = gst_element_get_static_pad (src, "src");
  Run *run = g_new0 (Run, 1);

  g_mutex_init (&run->lock);
  run->items = g_ptr_array_new_with_free_func (item_free);
  run->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  if (middle) {
    gst_bin_add (GST_BIN (pipeline), middle);
    g_assert_true (gst_element_link_many (src, middle, sink, NULL));
  } else {
    g_assert_true (gst_element_link (src, sink));
  }
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_probe, run, NULL);
  gst_object_unref (pad);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  run_collect (run, bus);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return run;
}

static Run *
run_pipeline (GstElement * src)
{
  return run_pipeline_with (src, NULL);
}

/* The blocks of the run, split at the tag events into one list per file. */
typedef struct
{
  gchar *uri;
  GPtrArray *blocks;            /* GstBuffer*, borrowed from the run */
} FileBlocks;

static void
file_blocks_free (gpointer data)
{
  FileBlocks *f = data;

  g_free (f->uri);
  g_ptr_array_unref (f->blocks);
  g_free (f);
}

static GPtrArray *
run_files (Run * run)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (file_blocks_free);
  FileBlocks *current = NULL;
  guint i;

  for (i = 0; i < run->items->len; i++) {
    Item *item = g_ptr_array_index (run->items, i);

    if (item->tag_location) {
      current = g_new0 (FileBlocks, 1);
      current->uri = g_strdup (item->tag_location);
      current->blocks = g_ptr_array_new ();
      g_ptr_array_add (files, current);
    } else if (item->buffer) {
      /* a buffer before any location tag is a broken promise */
      g_assert_nonnull (current);
      g_ptr_array_add (current->blocks, item->buffer);
    }
  }
  return files;
}

static gchar *
uri_of (const gchar * path)
{
  gchar *uri = gst_filename_to_uri (path, NULL);

  g_assert_nonnull (uri);
  return uri;
}

static void
assert_files_are (GPtrArray * files, const gchar * const *paths)
{
  guint i;

  g_assert_cmpuint (files->len, ==, g_strv_length ((gchar **) paths));
  for (i = 0; i < files->len; i++) {
    FileBlocks *f = g_ptr_array_index (files, i);
    gchar *uri = uri_of (paths[i]);

    g_assert_cmpstr (f->uri, ==, uri);
    g_free (uri);
  }
}

static GBytes *
concat_blocks (FileBlocks * f)
{
  GByteArray *all = g_byte_array_new ();
  guint i;

  for (i = 0; i < f->blocks->len; i++) {
    GstBuffer *b = g_ptr_array_index (f->blocks, i);
    GstMapInfo map;

    g_assert_true (gst_buffer_map (b, &map, GST_MAP_READ));
    g_byte_array_append (all, map.data, map.size);
    gst_buffer_unmap (b, &map);
  }
  return g_byte_array_free_to_bytes (all);
}

static gboolean
message_is (GstMessage * msg, GQuark domain, gint code)
{
  GError *err = NULL;
  gboolean is;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, NULL);
  else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
    gst_message_parse_warning (msg, &err, NULL);
  else
    return FALSE;
  is = g_error_matches (err, domain, code);
  g_error_free (err);
  return is;
}

static guint
count_warnings (Run * run)
{
  guint i, n = 0;

  for (i = 0; i < run->messages->len; i++)
    if (GST_MESSAGE_TYPE (g_ptr_array_index (run->messages, i)) ==
        GST_MESSAGE_WARNING)
      n++;
  return n;
}

/* ------------------------------------------------------------------ */
/* Natural order                                                       */

typedef gint (*CompareFunc) (const gchar *, const gchar *);

/* The compare function lives in the plugin; look it up in the loaded
 * plugin module rather than linking the element into the test. */
static CompareFunc
natural_compare (void)
{
  GstPlugin *plugin = gst_plugin_load_by_name ("seqfile");
  void *module, *sym;

  g_assert_nonnull (plugin);
  module = dlopen (gst_plugin_get_filename (plugin), RTLD_NOW | RTLD_LOCAL);
  g_assert_nonnull (module);
  sym = dlsym (module, "gst_seq_file_src_natural_compare");
  g_assert_nonnull (sym);
  gst_object_unref (plugin);
  return (CompareFunc) sym;
}

static CompareFunc sort_compare;

static gint
sort_compare_ptr (gconstpointer a, gconstpointer b)
{
  return sort_compare (*(const gchar * const *) a, *(const gchar * const *) b);
}

static void
test_natural_sort_compares_numbers_by_value (void)
{
  CompareFunc cmp = natural_compare ();
  const gchar *shuffled[] = { "frame10.png", "frame2.png", "frame1.png",
    "frame100.png", "frame02.png", "frame9.png", "a.png", "frame.png",
    "frame1b.png", "frame1a.png", "frame001.png", "x/frame3.png",
    "frame18446744073709551616.png", "frame18446744073709551615.png",
  };
  const gchar *sorted[] = { "a.png", "frame.png", "frame001.png",
    "frame1.png", "frame1a.png", "frame1b.png", "frame02.png", "frame2.png",
    "frame9.png", "frame10.png", "frame100.png",
    "frame18446744073709551615.png", "frame18446744073709551616.png",
    "x/frame3.png",
  };
  GPtrArray *names = g_ptr_array_new ();
  guint i;

  g_assert_cmpint (cmp ("frame2", "frame10"), <, 0);
  g_assert_cmpint (cmp ("frame10", "frame2"), >, 0);
  g_assert_cmpint (cmp ("frame10", "frame10"), ==, 0);
  g_assert_cmpint (cmp ("f9x", "f10"), <, 0);
  g_assert_cmpint (cmp ("f", "f1"), <, 0);
  g_assert_cmpint (cmp ("abc", "abd"), <, 0);
  /* equal values: a total order all the same, and antisymmetric */
  g_assert_cmpint (cmp ("f01", "f1"), !=, 0);
  g_assert_cmpint (cmp ("f01", "f1"), ==, -cmp ("f1", "f01"));
  g_assert_cmpint (cmp ("f0", "f00"), ==, -cmp ("f00", "f0"));
  g_assert_cmpint (cmp ("", ""), ==, 0);
  g_assert_cmpint (cmp ("", "a"), <, 0);

  for (i = 0; i < G_N_ELEMENTS (shuffled); i++)
    g_ptr_array_add (names, (gpointer) shuffled[i]);
  sort_compare = cmp;
  g_ptr_array_sort (names, sort_compare_ptr);
  for (i = 0; i < G_N_ELEMENTS (sorted); i++)
    g_assert_cmpstr (g_ptr_array_index (names, i), ==, sorted[i]);
  g_ptr_array_unref (names);
}

/* ------------------------------------------------------------------ */
/* Naming the files                                                    */

static void
test_pattern_reads_start_to_stop_index (void)
{
  gchar *dir = make_dir (), *pattern, *paths[7] = { NULL };
  GstElement *src;
  Run *run;
  GPtrArray *files;
  gchar *current;
  gint index, i;

  for (i = 0; i < 6; i++) {
    gchar *name = g_strdup_printf ("frame%03d.bin", i);
    paths[i] = write_file (dir, name, 100 + i, i);
    g_free (name);
  }
  pattern = g_build_filename (dir, "frame%03d.bin", NULL);
  src = make_src (pattern);
  g_object_set (src, "start-index", 2, "stop-index", 4, NULL);
  gst_object_ref (src);
  run = run_pipeline (src);
  g_assert_null (run->error);
  g_assert_true (run->eos);
  files = run_files (run);
  {
    const gchar *expect[] = { paths[2], paths[3], paths[4], NULL };
    assert_files_are (files, expect);
  }
  g_object_get (src, "current-file", &current, "index", &index, NULL);
  g_assert_cmpstr (current, ==, paths[4]);
  g_assert_cmpint (index, ==, 4);
  g_free (current);

  g_ptr_array_unref (files);
  run_free (run);
  gst_object_unref (src);
  g_free (pattern);
  for (i = 0; i < 6; i++)
    g_free (paths[i]);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_pattern_stop_index_minus_one_reads_until_missing (void)
{
  gchar *dir = make_dir (), *pattern, *p[6];
  Run *run;
  GPtrArray *files;
  gint i;

  for (i = 0; i < 6; i++) {
    gchar *name = g_strdup_printf ("img-%d.bin", i + 7);
    p[i] = write_file (dir, name, 10, i);
    g_free (name);
  }
  /* 7 8 9 10 exist, 11 does not, 12 is never reached */
  g_remove (p[4]);
  pattern = g_build_filename (dir, "img-%d.bin", NULL);
  run = run_pipeline (make_src_range (pattern, 7, -1));
  g_assert_null (run->error);
  g_assert_true (run->eos);
  g_assert_cmpuint (count_warnings (run), ==, 0);
  files = run_files (run);
  {
    const gchar *expect[] = { p[0], p[1], p[2], p[3], NULL };
    assert_files_are (files, expect);
  }
  g_ptr_array_unref (files);
  run_free (run);

  /* a missing first file is an error, not an empty stream */
  run = run_pipeline (make_src_range (pattern, 11, -1));
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  gst_fixture_assert_message_mentions (run->error, p[4]);
  run_free (run);

  for (i = 0; i < 6; i++)
    g_free (p[i]);
  g_free (pattern);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_pattern_with_literal_percent (void)
{
  gchar *dir = make_dir (), *path, *pattern;
  Run *run;
  GPtrArray *files;

  path = write_file (dir, "100%-7.bin", 5, 1);
  pattern = g_build_filename (dir, "100%%-%d.bin", NULL);
  run = run_pipeline (make_src_range (pattern, 7, 7));
  g_assert_null (run->error);
  files = run_files (run);
  {
    const gchar *expect[] = { path, NULL };
    assert_files_are (files, expect);
  }
  g_ptr_array_unref (files);
  run_free (run);
  g_free (path);
  g_free (pattern);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_pattern_needs_exactly_one_integer_conversion (void)
{
  const gchar *bad[] = { "f%s.png", "f%d%d.png", "f%ld.png", "f%.png",
    "f%", "f%999d.png", "%d-%05d.png",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    Run *run = run_pipeline (make_src (bad[i]));

    g_assert_nonnull (run->error);
    g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS));
    gst_fixture_assert_message_mentions (run->error, bad[i]);
    g_assert_cmpuint (run->items->len, ==, 0);
    run_free (run);
  }
}

static void
test_glob_reads_in_natural_order (void)
{
  gchar *dir = make_dir (), *glob, *sub;
  const gchar *created[] = { "f10.bin", "f2.bin", "f100.bin", "f1.bin",
    "f9.bin"
  };
  const gchar *order[] = { "f1.bin", "f2.bin", "f9.bin", "f10.bin",
    "f100.bin"
  };
  gchar *expect[6] = { NULL };
  Run *run;
  GPtrArray *files;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (created); i++)
    g_free (write_file (dir, created[i], 20 + i, i));
  g_free (write_file (dir, "other.txt", 3, 0));
  /* a directory matching the glob is not a file of the sequence */
  sub = g_build_filename (dir, "f5.bin", NULL);
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  for (i = 0; i < G_N_ELEMENTS (order); i++)
    expect[i] = g_build_filename (dir, order[i], NULL);

  glob = g_build_filename (dir, "f*.bin", NULL);
  run = run_pipeline (make_src (glob));
  g_assert_null (run->error);
  g_assert_true (run->eos);
  files = run_files (run);
  assert_files_are (files, (const gchar * const *) expect);
  g_ptr_array_unref (files);
  run_free (run);

  for (i = 0; i < G_N_ELEMENTS (order); i++)
    g_free (expect[i]);
  g_free (sub);
  g_free (glob);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_glob_matching_nothing_is_an_error (void)
{
  gchar *dir = make_dir (), *glob;
  Run *run;

  g_free (write_file (dir, "a.bin", 3, 0));
  glob = g_build_filename (dir, "*.png", NULL);
  run = run_pipeline (make_src (glob));
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  gst_fixture_assert_message_mentions (run->error, glob);
  g_assert_cmpuint (run->items->len, ==, 0);
  run_free (run);
  g_free (glob);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* ------------------------------------------------------------------ */
/* Blocks, marks, timestamps, tags                                     */

#define BS 1000

static const gsize block_test_sizes[] = { 1, BS - 1, BS, BS + 1, 3 * BS, 0,
  3 * BS + 17
};

static Run *
run_block_sequence (gchar ** dir_out, gchar *** paths_out, const gchar * fps)
{
  gchar *dir = make_dir (), *glob;
  gchar **paths = g_new0 (gchar *, G_N_ELEMENTS (block_test_sizes) + 1);
  GstElement *src;
  Run *run;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (block_test_sizes); i++) {
    gchar *name = g_strdup_printf ("part%u.dat", i);
    paths[i] = write_file (dir, name, block_test_sizes[i], i + 1);
    g_free (name);
  }
  glob = g_build_filename (dir, "part*.dat", NULL);
  src = make_src (glob);
  g_object_set (src, "blocksize", BS, NULL);
  if (fps)
    gst_util_set_object_arg (G_OBJECT (src), "framerate", fps);
  run = run_pipeline (src);
  g_assert_null (run->error);
  g_assert_true (run->eos);
  g_free (glob);
  *dir_out = dir;
  *paths_out = paths;
  return run;
}

static void
test_blocks_concatenate_to_each_file (void)
{
  gchar *dir, **paths;
  Run *run = run_block_sequence (&dir, &paths, NULL);
  GPtrArray *files = run_files (run);
  guint i, j;

  assert_files_are (files, (const gchar * const *) paths);
  for (i = 0; i < files->len; i++) {
    FileBlocks *f = g_ptr_array_index (files, i);
    gsize size = block_test_sizes[i];
    GBytes *got = concat_blocks (f), *want = file_bytes (size, i + 1);
    guint64 offset = 0;

    g_assert_true (g_bytes_equal (got, want));
    /* full blocks, then a shorter one; an empty file is one empty block */
    g_assert_cmpuint (f->blocks->len, ==, MAX ((size + BS - 1) / BS, 1));
    for (j = 0; j < f->blocks->len; j++) {
      GstBuffer *b = g_ptr_array_index (f->blocks, j);

      g_assert_cmpuint (gst_buffer_get_size (b), ==, MIN (BS, size - offset));
      g_assert_cmpuint (GST_BUFFER_OFFSET (b), ==, offset);
      offset += gst_buffer_get_size (b);
      g_assert_cmpuint (GST_BUFFER_OFFSET_END (b), ==, offset);
    }
    g_bytes_unref (got);
    g_bytes_unref (want);
  }
  g_ptr_array_unref (files);
  run_free (run);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_first_block_of_each_file_is_not_delta (void)
{
  gchar *dir, **paths;
  Run *run = run_block_sequence (&dir, &paths, NULL);
  GPtrArray *files = run_files (run);
  guint i, j, deltas = 0;

  for (i = 0; i < files->len; i++) {
    FileBlocks *f = g_ptr_array_index (files, i);

    for (j = 0; j < f->blocks->len; j++) {
      GstBuffer *b = g_ptr_array_index (f->blocks, j);

      g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT),
          ==, j > 0);
      deltas += j > 0;
    }
  }
  /* the sizes make sure both kinds were seen */
  g_assert_cmpuint (deltas, >, 3);
  g_ptr_array_unref (files);
  run_free (run);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_every_block_carries_its_file_timestamp (void)
{
  gchar *dir, **paths;
  Run *run = run_block_sequence (&dir, &paths, "10/1");
  GPtrArray *files = run_files (run);
  guint i, j;

  for (i = 0; i < files->len; i++) {
    FileBlocks *f = g_ptr_array_index (files, i);

    for (j = 0; j < f->blocks->len; j++) {
      GstBuffer *b = g_ptr_array_index (f->blocks, j);

      g_assert_cmpuint (GST_BUFFER_PTS (b), ==, i * 100 * GST_MSECOND);
      g_assert_cmpuint (GST_BUFFER_DURATION (b), ==, 100 * GST_MSECOND);
    }
  }
  g_ptr_array_unref (files);
  run_free (run);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);

  /* 30000/1001: no drift, durations add up to the next timestamp */
  run = run_block_sequence (&dir, &paths, "30000/1001");
  files = run_files (run);
  for (i = 0; i < files->len; i++) {
    GstBuffer *b = g_ptr_array_index (((FileBlocks *)
            g_ptr_array_index (files, i))->blocks, 0);

    g_assert_cmpuint (GST_BUFFER_PTS (b), ==,
        gst_util_uint64_scale (i, 1001 * GST_SECOND, 30000));
    g_assert_cmpuint (GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b), ==,
        gst_util_uint64_scale (i + 1, 1001 * GST_SECOND, 30000));
  }
  g_ptr_array_unref (files);
  run_free (run);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);

  /* 0/1: no timestamps at all */
  run = run_block_sequence (&dir, &paths, "0/1");
  for (i = 0; i < run->items->len; i++) {
    Item *item = g_ptr_array_index (run->items, i);

    if (item->buffer) {
      g_assert_false (GST_BUFFER_PTS_IS_VALID (item->buffer));
      g_assert_false (GST_BUFFER_DURATION_IS_VALID (item->buffer));
    }
  }
  run_free (run);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_location_tag_precedes_each_file (void)
{
  gchar *dir, **paths;
  Run *run = run_block_sequence (&dir, &paths, NULL);
  guint i, n_tags = 0;
  gboolean expect_first = FALSE;

  /* run_files() already fails on a buffer before the first tag; here: each
   * tag is followed by a file's first block, and each first block comes
   * right after a tag */
  for (i = 0; i < run->items->len; i++) {
    Item *item = g_ptr_array_index (run->items, i);

    if (item->tag_location) {
      gchar *uri = uri_of (paths[n_tags]);

      g_assert_false (expect_first);
      g_assert_cmpstr (item->tag_location, ==, uri);
      g_free (uri);
      n_tags++;
      expect_first = TRUE;
    } else if (item->buffer) {
      g_assert_cmpint (expect_first, ==,
          !GST_BUFFER_FLAG_IS_SET (item->buffer, GST_BUFFER_FLAG_DELTA_UNIT));
      expect_first = FALSE;
    }
  }
  g_assert_cmpuint (n_tags, ==, G_N_ELEMENTS (block_test_sizes));
  run_free (run);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* A tag event per file would make every sink post one bus message per file;
 * the location event is what names files unless tags are asked for. */
static void
test_location_tags_are_opt_in (void)
{
  gchar *dir = make_dir (), *glob;
  gchar *a = write_file (dir, "a.dat", 10, 1), *b = write_file (dir, "b.dat",
      10, 2);
  gboolean with_tags;

  glob = g_build_filename (dir, "*.dat", NULL);
  for (with_tags = FALSE; with_tags <= TRUE; with_tags++) {
    GstElement *src = make_src (glob);
    Run *run;
    GPtrArray *files;
    const gchar *const paths[] = { a, b, NULL };

    if (with_tags)
      g_object_set (src, "location-tags", TRUE, NULL);
    run = run_pipeline (src);
    g_assert_null (run->error);
    g_assert_true (run->eos);
    g_assert_cmpint (run->n_tag_events, ==, with_tags ? 2 : 0);
    if (!with_tags) {
      files = run_files (run);
      assert_files_are (files, paths);
      g_ptr_array_unref (files);
    }
    run_free (run);
  }
  g_free (glob);
  g_free (a);
  g_free (b);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_file_message_reports_progress (void)
{
  gchar *dir, **paths;
  Run *run = run_block_sequence (&dir, &paths, NULL);
  guint i, n = 0;

  for (i = 0; i < run->messages->len; i++) {
    GstMessage *msg = g_ptr_array_index (run->messages, i);
    const GstStructure *s = gst_message_get_structure (msg);
    gint index, total;

    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT
        || !gst_structure_has_name (s, "seqfilesrc-file"))
      continue;
    g_assert_true (gst_structure_get_int (s, "index", &index));
    g_assert_true (gst_structure_get_int (s, "files-total", &total));
    g_assert_cmpint (index, ==, n);
    g_assert_cmpint (total, ==, G_N_ELEMENTS (block_test_sizes));
    g_assert_cmpstr (gst_structure_get_string (s, "location"), ==, paths[n]);
    n++;
  }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (block_test_sizes));
  run_free (run);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_loop_restarts_with_increasing_timestamps (void)
{
  gchar *dir = make_dir (), *glob, *a, *b;
  GstElement *src;
  Run *run;
  GPtrArray *files;
  guint i;

  a = write_file (dir, "a.bin", 10, 1);
  b = write_file (dir, "b.bin", 10, 2);
  glob = g_build_filename (dir, "*.bin", NULL);
  src = make_src (glob);
  g_object_set (src, "loop", TRUE, "num-buffers", 5, NULL);
  run = run_pipeline (src);
  g_assert_null (run->error);
  files = run_files (run);
  {
    const gchar *expect[] = { a, b, a, b, a, NULL };
    assert_files_are (files, expect);
  }
  for (i = 0; i < files->len; i++) {
    GstBuffer *buf = g_ptr_array_index (((FileBlocks *)
            g_ptr_array_index (files, i))->blocks, 0);

    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, i * GST_SECOND / 25);
  }
  g_ptr_array_unref (files);
  run_free (run);
  g_free (a);
  g_free (b);
  g_free (glob);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_loop_over_unreadable_files_is_an_error (void)
{
  gchar *dir = make_dir (), *pattern;
  GstElement *src;
  Run *run;

  /* nothing to read at all: skip, skip, and again, forever -- unless the
   * element notices that a whole pass produced nothing */
  pattern = g_build_filename (dir, "none%d.bin", NULL);
  src = make_src_range (pattern, 0, 1);
  g_object_set (src, "loop", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "on-error", "skip");
  run = run_pipeline (src);
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  g_assert_cmpuint (count_warnings (run), ==, 2);
  run_free (run);
  g_free (pattern);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* ------------------------------------------------------------------ */
/* Bad input                                                           */

static gchar *
make_gapped_sequence (gchar ** dir_out, gchar ** missing_out)
{
  gchar *dir = make_dir ();
  guint i;

  for (i = 0; i < 4; i++) {
    gchar *name = g_strdup_printf ("s%02u.bin", i);
    gchar *path = write_file (dir, name, 2500, i);

    if (i == 2) {
      g_remove (path);
      *missing_out = path;
    } else {
      g_free (path);
    }
    g_free (name);
  }
  *dir_out = dir;
  return g_build_filename (dir, "s%02d.bin", NULL);
}

static void
test_missing_file_fails_naming_it (void)
{
  gchar *dir, *missing, *pattern = make_gapped_sequence (&dir, &missing);
  GstElement *src = make_src (pattern);
  Run *run;
  GPtrArray *files;
  guint i;

  g_object_set (src, "stop-index", 3, "blocksize", 1000, NULL);
  run = run_pipeline (src);
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  gst_fixture_assert_message_mentions (run->error, missing);
  /* the files before it arrived whole */
  files = run_files (run);
  g_assert_cmpuint (files->len, ==, 2);
  for (i = 0; i < files->len; i++) {
    GBytes *got = concat_blocks (g_ptr_array_index (files, i));
    GBytes *want = file_bytes (2500, i);

    g_assert_true (g_bytes_equal (got, want));
    g_bytes_unref (got);
    g_bytes_unref (want);
  }
  g_ptr_array_unref (files);
  run_free (run);
  g_free (pattern);
  g_free (missing);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_missing_file_skip_warns_and_reads_the_next (void)
{
  gchar *dir, *missing, *pattern = make_gapped_sequence (&dir, &missing);
  GstElement *src = make_src (pattern);
  Run *run;
  GPtrArray *files;
  guint i, warnings = 0;

  gst_util_set_object_arg (G_OBJECT (src), "on-error", "skip");
  g_object_set (src, "stop-index", 3, NULL);
  run = run_pipeline (src);
  g_assert_null (run->error);
  g_assert_true (run->eos);
  for (i = 0; i < run->messages->len; i++) {
    GstMessage *msg = g_ptr_array_index (run->messages, i);

    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_WARNING)
      continue;
    g_assert_true (message_is (msg, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_NOT_FOUND));
    gst_fixture_assert_message_mentions (msg, missing);
    warnings++;
  }
  g_assert_cmpuint (warnings, ==, 1);
  files = run_files (run);
  g_assert_cmpuint (files->len, ==, 3);
  /* file 3 keeps its place in time: the gap stays a gap */
  g_assert_cmpuint (GST_BUFFER_PTS (g_ptr_array_index (((FileBlocks *)
                  g_ptr_array_index (files, 2))->blocks, 0)), ==,
      3 * GST_SECOND / 25);
  {
    GBytes *got = concat_blocks (g_ptr_array_index (files, 2));
    GBytes *want = file_bytes (2500, 3);

    g_assert_true (g_bytes_equal (got, want));
    g_bytes_unref (got);
    g_bytes_unref (want);
  }
  g_ptr_array_unref (files);
  run_free (run);
  g_free (pattern);
  g_free (missing);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_unreadable_file_fails_or_skips (void)
{
  gchar *dir = make_dir (), *pattern, *unreadable;
  GstElement *src;
  Run *run;
  GPtrArray *files;

  g_free (write_file (dir, "u0.bin", 10, 0));
  /* a directory where a file should be: unreadable even for root */
  unreadable = g_build_filename (dir, "u1.bin", NULL);
  g_assert_cmpint (g_mkdir (unreadable, 0755), ==, 0);
  g_free (write_file (dir, "u2.bin", 10, 2));
  pattern = g_build_filename (dir, "u%d.bin", NULL);

  src = make_src (pattern);
  g_object_set (src, "stop-index", 2, NULL);
  run = run_pipeline (src);
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ));
  gst_fixture_assert_message_mentions (run->error, unreadable);
  run_free (run);

  src = make_src (pattern);
  g_object_set (src, "stop-index", 2, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "on-error", "skip");
  run = run_pipeline (src);
  g_assert_null (run->error);
  g_assert_cmpuint (count_warnings (run), ==, 1);
  files = run_files (run);
  g_assert_cmpuint (files->len, ==, 2);
  g_ptr_array_unref (files);
  run_free (run);

  g_free (unreadable);
  g_free (pattern);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* ------------------------------------------------------------------ */
/* Queries and seeking                                                 */

static void
test_queries_in_frames_and_time (void)
{
  gchar *dir = make_dir (), *glob;
  GstElement *pipeline, *src, *sink;
  gint64 value;
  guint i;

  for (i = 0; i < 8; i++) {
    gchar *name = g_strdup_printf ("q%u.bin", i);
    g_free (write_file (dir, name, 3000, i));
    g_free (name);
  }
  glob = g_build_filename (dir, "q*.bin", NULL);
  pipeline = gst_pipeline_new (NULL);
  src = make_src (glob);
  g_object_set (src, "blocksize", 1000, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "framerate", "4/1");
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  g_assert_true (gst_element_link (src, sink));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          RUN_TIMEOUT), ==, GST_STATE_CHANGE_SUCCESS);

  g_assert_true (gst_element_query_duration (src, GST_FORMAT_DEFAULT,
          &value));
  g_assert_cmpint (value, ==, 8);
  g_assert_true (gst_element_query_duration (src, GST_FORMAT_TIME, &value));
  g_assert_cmpint (value, ==, 2 * GST_SECOND);
  /* prerolled on the first block of the first of three-block files */
  g_assert_true (gst_element_query_position (src, GST_FORMAT_DEFAULT,
          &value));
  g_assert_cmpint (value, ==, 0);
  g_assert_true (gst_element_query_convert (src, GST_FORMAT_DEFAULT, 3,
          GST_FORMAT_TIME, &value));
  g_assert_cmpint (value, ==, 750 * GST_MSECOND);
  g_assert_true (gst_element_query_convert (src, GST_FORMAT_TIME,
          800 * GST_MSECOND, GST_FORMAT_DEFAULT, &value));
  g_assert_cmpint (value, ==, 3);

  /* seeking in frames lands on the start of that file */
  g_assert_true (gst_element_seek_simple (pipeline, GST_FORMAT_DEFAULT,
          GST_SEEK_FLAG_FLUSH, 5));
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          RUN_TIMEOUT), ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_true (gst_element_query_position (src, GST_FORMAT_DEFAULT,
          &value));
  g_assert_cmpint (value, ==, 5);
  g_assert_true (gst_element_query_position (src, GST_FORMAT_TIME, &value));
  g_assert_cmpint (value, ==, 1250 * GST_MSECOND);
  {
    GstSample *sample = NULL;
    GstBuffer *last;
    gchar *current;

    g_object_get (sink, "last-sample", &sample, NULL);
    g_assert_nonnull (sample);
    last = gst_sample_get_buffer (sample);
    g_assert_cmpuint (GST_BUFFER_PTS (last), ==, 1250 * GST_MSECOND);
    g_assert_false (GST_BUFFER_FLAG_IS_SET (last, GST_BUFFER_FLAG_DELTA_UNIT));
    gst_sample_unref (sample);
    g_object_get (src, "current-file", &current, NULL);
    g_assert_true (g_str_has_suffix (current, "q5.bin"));
    g_free (current);
  }

  /* and in time, to the file whose span holds the time */
  g_assert_true (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 1700 * GST_MSECOND));
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          RUN_TIMEOUT), ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_true (gst_element_query_position (src, GST_FORMAT_DEFAULT,
          &value));
  g_assert_cmpint (value, ==, 6);

  /* at the end: every file counted */
  gst_fixture_run_to_eos (pipeline, RUN_TIMEOUT);
  g_assert_true (gst_element_query_position (src, GST_FORMAT_DEFAULT,
          &value));
  g_assert_cmpint (value, ==, 8);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_free (glob);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static void
test_segment_stop_ends_after_whole_files (void)
{
  gchar *dir = make_dir (), *glob;
  GstElement *pipeline, *src, *sink;
  GstPad *pad;
  Run *run = g_new0 (Run, 1);
  GPtrArray *files;
  guint i;

  g_mutex_init (&run->lock);
  run->items = g_ptr_array_new_with_free_func (item_free);
  run->messages = g_ptr_array_new ();
  for (i = 0; i < 6; i++) {
    gchar *name = g_strdup_printf ("t%u.bin", i);
    g_free (write_file (dir, name, 2500, i));
    g_free (name);
  }
  glob = g_build_filename (dir, "t*.bin", NULL);
  pipeline = gst_pipeline_new (NULL);
  src = make_src (glob);
  g_object_set (src, "blocksize", 1000, NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  g_assert_true (gst_element_link (src, sink));
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          RUN_TIMEOUT), ==, GST_STATE_CHANGE_SUCCESS);
  pad = gst_element_get_static_pad (src, "src");
  /* frames 1 and 2 (of 25 fps): [40 ms, 110 ms) touches frame 2 */
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_probe, run, NULL);
  g_assert_true (gst_element_seek (pipeline, 1.0, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 40 * GST_MSECOND,
          GST_SEEK_TYPE_SET, 110 * GST_MSECOND));
  gst_object_unref (pad);
  gst_fixture_run_to_eos (pipeline, RUN_TIMEOUT);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  files = run_files (run);
  g_assert_cmpuint (files->len, ==, 2);
  for (i = 0; i < files->len; i++) {
    FileBlocks *f = g_ptr_array_index (files, i);
    GBytes *got = concat_blocks (f), *want = file_bytes (2500, i + 1);

    g_assert_true (g_bytes_equal (got, want));
    g_bytes_unref (got);
    g_bytes_unref (want);
  }
  g_ptr_array_unref (files);
  run_free (run);
  gst_object_unref (pipeline);
  g_free (glob);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* ------------------------------------------------------------------ */
/* Properties and caps                                                 */

static void
test_properties_have_documented_ranges_and_defaults (void)
{
  GstElement *src = gst_element_factory_make ("seqfilesrc", NULL);
  GObjectClass *klass = G_OBJECT_GET_CLASS (src);
  GParamSpec *pspec;
  guint blocksize;
  guint64 held = 1;
  gint fps_n, fps_d, start, stop, index;
  GstCaps *caps;
  gchar *current;

  pspec = g_object_class_find_property (klass, "blocksize");
  g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->minimum, ==, 1);
  g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->maximum, ==, 64 << 20);
  /* ours, not the base class's (whose 0 would read nothing forever) */
  g_assert_true (pspec->owner_type == G_OBJECT_TYPE (src));
  pspec = g_object_class_find_property (klass, "start-index");
  g_assert_cmpint (G_PARAM_SPEC_INT (pspec)->minimum, ==, 0);
  pspec = g_object_class_find_property (klass, "stop-index");
  g_assert_cmpint (G_PARAM_SPEC_INT (pspec)->minimum, ==, -1);
  pspec = g_object_class_find_property (klass, "current-file");
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);
  pspec = g_object_class_find_property (klass, "index");
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);
  pspec = g_object_class_find_property (klass, "held-bytes");
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);
  pspec = g_object_class_find_property (klass, "on-error");
  g_assert_cmpint (G_PARAM_SPEC_ENUM (pspec)->default_value, ==, 0);
  g_assert_nonnull (g_enum_get_value_by_nick (G_PARAM_SPEC_ENUM
          (pspec)->enum_class, "skip"));

  g_object_get (src, "blocksize", &blocksize, "start-index", &start,
      "stop-index", &stop, "caps", &caps, "current-file", &current,
      "index", &index, "held-bytes", &held, NULL);
  g_assert_cmpuint (blocksize, ==, 65536);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (stop, ==, -1);
  g_assert_true (gst_caps_is_any (caps));
  g_assert_null (current);
  g_assert_cmpint (index, ==, -1);
  g_assert_cmpuint (held, ==, 0);
  gst_caps_unref (caps);
  {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_FRACTION);
    g_object_get_property (G_OBJECT (src), "framerate", &v);
    fps_n = gst_value_get_fraction_numerator (&v);
    fps_d = gst_value_get_fraction_denominator (&v);
    g_value_unset (&v);
  }
  g_assert_cmpint (fps_n, ==, 25);
  g_assert_cmpint (fps_d, ==, 1);
  gst_object_unref (src);
}

static void
test_bad_settings_are_errors (void)
{
  gchar *dir = make_dir (), *pattern;
  GstElement *src;
  Run *run;

  /* no location */
  run = run_pipeline (gst_element_factory_make ("seqfilesrc", NULL));
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  run_free (run);

  /* stop before start */
  g_free (write_file (dir, "n5.bin", 4, 0));
  pattern = g_build_filename (dir, "n%d.bin", NULL);
  src = make_src (pattern);
  g_object_set (src, "start-index", 5, "stop-index", 4, NULL);
  run = run_pipeline (src);
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  run_free (run);

  g_free (pattern);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* ------------------------------------------------------------------ */
/* Shards of a glob                                                    */

#define SHARD_FILES 12

/* f1.bin .. f12.bin, created out of order; returns the natural order. */
static gchar **
write_shard_files (const gchar * dir)
{
  gchar **paths = g_new0 (gchar *, SHARD_FILES + 1);
  guint i;

  for (i = SHARD_FILES; i > 0; i--) {
    gchar *name = g_strdup_printf ("f%u.bin", i);

    paths[i - 1] = write_file (dir, name, 10 + i, i);
    g_free (name);
  }
  return paths;
}

/* The index of each seqfilesrc-file message, in order. */
static GArray *
message_indices (Run * run)
{
  GArray *indices = g_array_new (FALSE, FALSE, sizeof (gint));
  guint i;

  for (i = 0; i < run->messages->len; i++) {
    GstMessage *msg = g_ptr_array_index (run->messages, i);
    const GstStructure *s = gst_message_get_structure (msg);
    gint index;

    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT
        || !gst_structure_has_name (s, "seqfilesrc-file"))
      continue;
    g_assert_true (gst_structure_get_int (s, "index", &index));
    g_array_append_val (indices, index);
  }
  return indices;
}

static Run *
run_glob_range (const gchar * dir, gint start_index, gint stop_index)
{
  gchar *glob = g_build_filename (dir, "f*.bin", NULL);
  Run *run = run_pipeline (make_src_range (glob, start_index, stop_index));

  g_free (glob);
  return run;
}

/* start-index / stop-index are positions in the sorted list, and each
 * file keeps its position in the whole list as its index. */
static void
test_glob_start_stop_index_select_sorted_positions (void)
{
  gchar *dir = make_dir (), **paths = write_shard_files (dir);
  Run *run = run_glob_range (dir, 3, 6);
  GPtrArray *files;
  GArray *indices;
  guint i;

  g_assert_null (run->error);
  g_assert_true (run->eos);
  files = run_files (run);
  {
    /* f4 f5 f6 f7: positions 3..6 of f1 f2 ... f9 f10 f11 f12 */
    const gchar *expect[] = { paths[3], paths[4], paths[5], paths[6], NULL };
    assert_files_are (files, expect);
  }
  for (i = 0; i < files->len; i++) {
    FileBlocks *f = g_ptr_array_index (files, i);
    GstBuffer *first = g_ptr_array_index (f->blocks, 0);

    /* timestamps count the files this run reads */
    g_assert_cmpuint (GST_BUFFER_PTS (first), ==, i * GST_SECOND / 25);
  }
  indices = message_indices (run);
  g_assert_cmpuint (indices->len, ==, 4);
  for (i = 0; i < indices->len; i++)
    g_assert_cmpint (g_array_index (indices, gint, i), ==, 3 + i);

  g_array_unref (indices);
  g_ptr_array_unref (files);
  run_free (run);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* Cut into shards of 5 (the last one asks past the end), the runs read
 * every file once, in order, with the indices of the whole run. */
static void
test_glob_shards_read_every_file_once (void)
{
  gchar *dir = make_dir (), **paths = write_shard_files (dir);
  guint shard, n = 0, i;

  for (shard = 0; shard < 3; shard++) {
    Run *run = run_glob_range (dir, shard * 5, shard * 5 + 4);
    GPtrArray *files;
    GArray *indices;

    g_assert_null (run->error);
    g_assert_true (run->eos);
    files = run_files (run);
    indices = message_indices (run);
    g_assert_cmpuint (files->len, ==, shard < 2 ? 5 : 2);
    g_assert_cmpuint (indices->len, ==, files->len);
    for (i = 0; i < files->len; i++, n++) {
      gchar *uri = uri_of (paths[n]);

      g_assert_cmpstr (((FileBlocks *) g_ptr_array_index (files, i))->uri,
          ==, uri);
      g_assert_cmpint (g_array_index (indices, gint, i), ==, n);
      g_free (uri);
    }
    g_array_unref (indices);
    g_ptr_array_unref (files);
    run_free (run);
  }
  g_assert_cmpuint (n, ==, SHARD_FILES);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* A shard that starts past the last match is a mistake in the job's
 * arithmetic: an error that says how many files there are, not an empty
 * success. stop before start is refused for a glob as for a pattern. */
static void
test_glob_range_outside_the_list_is_an_error (void)
{
  gchar *dir = make_dir (), **paths = write_shard_files (dir);
  Run *run;
  gchar *count = g_strdup_printf ("%u files", SHARD_FILES);

  run = run_glob_range (dir, SHARD_FILES, -1);
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  gst_fixture_assert_message_mentions (run->error, count);
  g_assert_cmpuint (run->items->len, ==, 0);
  run_free (run);

  run = run_glob_range (dir, 4, 3);
  g_assert_nonnull (run->error);
  g_assert_true (message_is (run->error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  g_assert_cmpuint (run->items->len, ==, 0);
  run_free (run);

  /* the last position alone is a valid shard */
  run = run_glob_range (dir, SHARD_FILES - 1, SHARD_FILES - 1);
  g_assert_null (run->error);
  {
    GArray *indices = message_indices (run);

    g_assert_cmpuint (indices->len, ==, 1);
    g_assert_cmpint (g_array_index (indices, gint, 0), ==, SHARD_FILES - 1);
    g_array_unref (indices);
  }
  run_free (run);

  g_free (count);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

static guint
count_file_messages (const gchar * glob, guint64 interval, gint n_buffers)
{
  GstElement *src = make_src (glob);
  Run *run;
  GArray *indices;
  guint n;

  g_object_set (src, "loop", TRUE, "num-buffers", n_buffers,
      "message-interval", interval, NULL);
  run = run_pipeline (src);
  g_assert_null (run->error);
  g_assert_true (run->eos);
  indices = message_indices (run);
  n = indices->len;
  g_array_unref (indices);
  run_free (run);
  return n;
}

/* 300 files in well under a second: the default interval (1 s) lets the
 * burst of 10 through and at most a few more; message-interval=0 posts
 * one message per file, as before. */
static void
test_file_messages_are_rate_limited (void)
{
  gchar *dir = make_dir (), **paths = write_shard_files (dir);
  gchar *glob = g_build_filename (dir, "f*.bin", NULL);
  GstElement *src = make_src (glob);
  guint64 interval = 0;
  guint n;

  g_object_get (src, "message-interval", &interval, NULL);
  g_assert_cmpuint (interval, ==, GST_SECOND);
  gst_object_unref (src);

  n = count_file_messages (glob, GST_SECOND, 300);
  g_assert_cmpuint (n, >=, 10);
  g_assert_cmpuint (n, <=, 15);
  g_assert_cmpuint (count_file_messages (glob, 0, 300), ==, 300);

  g_free (glob);
  g_strfreev (paths);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

static GstCaps *
first_caps (Run * run)
{
  guint i;

  for (i = 0; i < run->items->len; i++) {
    Item *item = g_ptr_array_index (run->items, i);
    if (item->caps)
      return item->caps;
  }
  return NULL;
}

static void
test_caps_property_sets_the_stream_caps (void)
{
  gchar *dir = make_dir (), *path;
  GstElement *src, *filter;
  GstCaps *png = gst_caps_from_string ("image/png");
  Run *run;

  path = write_file (dir, "c.bin", 10, 0);

  /* default ANY and a sink that takes anything: no caps */
  run = run_pipeline (make_src (path));
  g_assert_null (run->error);
  g_assert_null (first_caps (run));
  run_free (run);

  /* given caps are announced */
  src = make_src (path);
  gst_util_set_object_arg (G_OBJECT (src), "caps", "image/png");
  run = run_pipeline (src);
  g_assert_null (run->error);
  g_assert_nonnull (first_caps (run));
  g_assert_true (gst_caps_is_equal (first_caps (run), png));
  run_free (run);

  /* default ANY and a downstream that takes exactly one type: that type */
  filter = gst_element_factory_make ("capsfilter", NULL);
  gst_util_set_object_arg (G_OBJECT (filter), "caps", "image/png");
  run = run_pipeline_with (make_src (path), filter);
  g_assert_null (run->error);
  g_assert_nonnull (first_caps (run));
  g_assert_true (gst_caps_is_equal (first_caps (run), png));
  run_free (run);

  gst_caps_unref (png);
  g_free (path);
  gst_fixture_remove_tree (dir);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  g_test_add_func ("/seqfilesrc/natural-sort-compares-numbers-by-value",
      test_natural_sort_compares_numbers_by_value);
  g_test_add_func ("/seqfilesrc/pattern-reads-start-to-stop-index",
      test_pattern_reads_start_to_stop_index);
  g_test_add_func ("/seqfilesrc/pattern-stop-index-minus-one-reads-until-"
      "missing", test_pattern_stop_index_minus_one_reads_until_missing);
  g_test_add_func ("/seqfilesrc/pattern-with-literal-percent",
      test_pattern_with_literal_percent);
  g_test_add_func ("/seqfilesrc/pattern-needs-exactly-one-integer-conversion",
      test_pattern_needs_exactly_one_integer_conversion);
  g_test_add_func ("/seqfilesrc/glob-reads-in-natural-order",
      test_glob_reads_in_natural_order);
  g_test_add_func ("/seqfilesrc/glob-matching-nothing-is-an-error",
      test_glob_matching_nothing_is_an_error);
  g_test_add_func ("/seqfilesrc/glob-start-stop-index-select-sorted-"
      "positions", test_glob_start_stop_index_select_sorted_positions);
  g_test_add_func ("/seqfilesrc/glob-shards-read-every-file-once",
      test_glob_shards_read_every_file_once);
  g_test_add_func ("/seqfilesrc/glob-range-outside-the-list-is-an-error",
      test_glob_range_outside_the_list_is_an_error);
  g_test_add_func ("/seqfilesrc/file-messages-are-rate-limited",
      test_file_messages_are_rate_limited);
  g_test_add_func ("/seqfilesrc/blocks-concatenate-to-each-file",
      test_blocks_concatenate_to_each_file);
  g_test_add_func ("/seqfilesrc/first-block-of-each-file-is-not-delta",
      test_first_block_of_each_file_is_not_delta);
  g_test_add_func ("/seqfilesrc/every-block-carries-its-file-timestamp",
      test_every_block_carries_its_file_timestamp);
  g_test_add_func ("/seqfilesrc/location-tag-precedes-each-file",
      test_location_tag_precedes_each_file);
  g_test_add_func ("/seqfilesrc/location-tags-are-opt-in",
      test_location_tags_are_opt_in);
  g_test_add_func ("/seqfilesrc/file-message-reports-progress",
      test_file_message_reports_progress);
  g_test_add_func ("/seqfilesrc/loop-restarts-with-increasing-timestamps",
      test_loop_restarts_with_increasing_timestamps);
  g_test_add_func ("/seqfilesrc/loop-over-unreadable-files-is-an-error",
      test_loop_over_unreadable_files_is_an_error);
  g_test_add_func ("/seqfilesrc/missing-file-fails-naming-it",
      test_missing_file_fails_naming_it);
  g_test_add_func ("/seqfilesrc/missing-file-skip-warns-and-reads-the-next",
      test_missing_file_skip_warns_and_reads_the_next);
  g_test_add_func ("/seqfilesrc/unreadable-file-fails-or-skips",
      test_unreadable_file_fails_or_skips);
  g_test_add_func ("/seqfilesrc/queries-in-frames-and-time",
      test_queries_in_frames_and_time);
  g_test_add_func ("/seqfilesrc/segment-stop-ends-after-whole-files",
      test_segment_stop_ends_after_whole_files);
  g_test_add_func ("/seqfilesrc/properties-have-documented-ranges-and-"
      "defaults", test_properties_have_documented_ranges_and_defaults);
  g_test_add_func ("/seqfilesrc/bad-settings-are-errors",
      test_bad_settings_are_errors);
  g_test_add_func ("/seqfilesrc/caps-property-sets-the-stream-caps",
      test_caps_property_sets_the_stream_caps);
  return g_test_run ();
}
