/* deepzoomsink: the promises of the Deep Zoom pyramid writer. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <png.h>
#include <string.h>
#include <unistd.h>

#include "gsttilemeta.h"
#include "pngfixture.h"
#include "gstfixture.h"

typedef struct {
  GstHarness *h;
  GstElement *element;
  GstBus *bus;
  gchar *dir;
  gchar *dzi;
} Sink;

static void
sink_open (Sink * s, const gchar * dzi_name)
{
  s->dir = gst_fixture_make_tmp_dir ("deepzoomsink-XXXXXX");
  s->dzi = g_build_filename (s->dir, dzi_name, NULL);
  s->bus = gst_bus_new ();
  s->element = gst_element_factory_make ("deepzoomsink", NULL);
  gst_element_set_bus (s->element, s->bus);
  /* no preroll wait: the harness pushes from this thread */
  g_object_set (s->element, "location", s->dzi, "threads", 1, "async", FALSE,
      NULL);
}

static void
sink_close (Sink * s)
{
  if (s->h)
    gst_harness_teardown (s->h);
  gst_object_unref (s->element);
  gst_object_unref (s->bus);
  gst_fixture_remove_tree (s->dir);
  g_free (s->dir);
  g_free (s->dzi);
  memset (s, 0, sizeof (*s));
}

/* Starts streaming with the properties set so far (first call), or gives
 * the next image's tile caps. */
static void
sink_start (Sink * s, GstVideoFormat format, guint tw, guint th)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%u,height=%u,"
      "framerate=0/1", gst_video_format_to_string (format), tw, th);

  if (!s->h)
    s->h = gst_harness_new_with_element (s->element, "sink", NULL);
  gst_harness_set_src_caps_str (s->h, caps);
  g_free (caps);
}

/* Pushes strips @first to @first + @n_strips - 1 of @img, @rows rows each, each with its tile meta; the last
 * strip is padded with zero rows like pngtiledec's. */
static GstFlowReturn
push_strips (Sink * s, const PngFixtureImage * img, guint64 index, guint rows,
    guint first, guint n_strips)
{
  GstTileGrid grid;
  GstVideoInfo info;
  guint r;

  gst_video_info_set_format (&info, img->format, img->width, rows);
  gst_tile_grid_init (&grid, img->width, img->height, img->width, rows);
  for (r = first; r < MIN ((guint64) first + n_strips, grid.n_rows); r++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL);
    gsize stride = GST_VIDEO_INFO_PLANE_STRIDE (&info, 0);
    GstMapInfo map;
    guint x, y, w, h, i;
    GstFlowReturn ret;

    gst_tile_grid_tile_rect (&grid, 0, r, &x, &y, &w, &h);
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    memset (map.data, 0, map.size);
    for (i = 0; i < h; i++)
      memcpy (map.data + i * stride, img->pixels + (y + i) * img->stride,
          img->stride);
    gst_buffer_unmap (buf, &map);
    gst_tile_grid_add_meta (&grid, buf, index, 0, r);
    ret = gst_harness_push (s->h, buf);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  return GST_FLOW_OK;
}

static void
make_image (PngFixtureImage * img, guint w, guint h, gint color_type,
    gint depth, guint seed)
{
  PngFixtureSpec spec;
  GBytes *png;
  gchar *err = NULL;
  gsize size;
  const guint8 *data;

  png_fixture_spec_init (&spec, w, h, color_type, depth);
  spec.seed = seed;
  spec.compression_level = 1;
  png = png_fixture_encode (&spec);
  data = g_bytes_get_data (png, &size);
  g_assert_true (png_fixture_reference_decode (data, size, img, &err));
  g_bytes_unref (png);
}

static void
read_tile (const gchar * files, guint level, guint c, guint r,
    PngFixtureImage * tile)
{
  gchar *path = g_strdup_printf ("%s/%u/%u_%u.png", files, level, c, r);
  gchar *data, *err = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_true (png_fixture_reference_decode ((guint8 *) data, len, tile,
          &err));
  g_free (data);
  g_free (path);
}

static gchar *
files_dir (const Sink * s)
{
  gchar *base = g_strndup (s->dzi, strlen (s->dzi) - 4);
  gchar *dir = g_strconcat (base, "_files", NULL);

  g_free (base);
  return dir;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar **) a, *(const gchar **) b);
}

/* Every file under @dir, as sorted "LEVEL/C_R.SUFFIX" names. */
static GPtrArray *
list_tiles (const gchar * dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GDir *top = g_dir_open (dir, 0, NULL);
  const gchar *level;

  g_assert_nonnull (top);
  while ((level = g_dir_read_name (top))) {
    gchar *sub = g_build_filename (dir, level, NULL);
    GDir *d = g_dir_open (sub, 0, NULL);
    const gchar *name;

    while (d && (name = g_dir_read_name (d)))
      g_ptr_array_add (names, g_strdup_printf ("%s/%s", level, name));
    if (d)
      g_dir_close (d);
    g_free (sub);
  }
  g_dir_close (top);
  g_ptr_array_sort (names, compare_names);
  return names;
}

static GstMessage *
pop_message (Sink * s, GstMessageType type)
{
  return gst_bus_pop_filtered (s->bus, type);
}

/* libvips' grid, written out independently of the element: levels halve
 * rounding up down to 1 x 1, columns and rows of 254 pixels. */
static void
test_file_list_is_dzsaves (void)
{
  static const guint sizes[][2] = {
    {517, 301}, {254, 254}, {255, 1}, {1, 1}, {1000, 3},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    guint W = sizes[i][0], H = sizes[i][1], w = W, h = H, level, n = 0;
    GPtrArray *want = g_ptr_array_new_with_free_func (g_free), *got;
    PngFixtureImage img;
    Sink s = { 0 };
    gchar *dir, *dzi, *expect;

    for (guint m = MAX (W, H); m > 1; m = (m + 1) / 2)
      n++;
    for (level = n + 1; level-- > 0;) {
      for (guint c = 0; c < (w + 253) / 254; c++)
        for (guint r = 0; r < (h + 253) / 254; r++)
          g_ptr_array_add (want, g_strdup_printf ("%u/%u_%u.png", level, c,
                  r));
      w = (w + 1) / 2;
      h = (h + 1) / 2;
    }
    g_ptr_array_sort (want, compare_names);

    sink_open (&s, "img.dzi");
    g_object_set (s.element, "format", 1, NULL);
    make_image (&img, W, H, PNG_COLOR_TYPE_RGB, 8, i + 1);
    sink_start (&s, GST_VIDEO_FORMAT_RGB, W, MIN (H, 16));
    g_assert_cmpint (push_strips (&s, &img, 0, MIN (H, 16), 0,
            G_MAXUINT), ==,
        GST_FLOW_OK);
    dir = files_dir (&s);
    got = list_tiles (dir);
    g_assert_cmpuint (got->len, ==, want->len);
    for (guint k = 0; k < got->len; k++)
      g_assert_cmpstr (got->pdata[k], ==, want->pdata[k]);

    g_assert_true (g_file_get_contents (s.dzi, &dzi, NULL, NULL));
    expect = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Image xmlns=\"http://schemas.microsoft.com/deepzoom/2008\"\n"
        "  Format=\"png\"\n  Overlap=\"1\"\n  TileSize=\"254\"\n  >\n"
        "  <Size \n    Height=\"%u\"\n    Width=\"%u\"\n  />\n</Image>\n", H,
        W);
    g_assert_cmpstr (dzi, ==, expect);
    g_free (expect);
    g_free (dzi);
    g_free (dir);
    g_ptr_array_unref (got);
    g_ptr_array_unref (want);
    png_fixture_image_clear (&img);
    sink_close (&s);
  }
}

/* Tiles reach `overlap` pixels into each neighbour; the edge tiles do not
 * reach past the image. */
static void
test_tiles_overlap_their_neighbours (void)
{
  PngFixtureImage img, t00, t10, t01;
  Sink s = { 0 };
  gchar *dir;
  guint y;

  sink_open (&s, "ov.dzi");
  g_object_set (s.element, "format", 1, "tile-size", 64, "overlap", 3,
      NULL);
  make_image (&img, 150, 100, PNG_COLOR_TYPE_RGB, 8, 7);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, 150, 10);
  g_assert_cmpint (push_strips (&s, &img, 0, 10, 0, G_MAXUINT), ==, GST_FLOW_OK);
  dir = files_dir (&s);
  read_tile (dir, 8, 0, 0, &t00);
  read_tile (dir, 8, 1, 0, &t10);
  read_tile (dir, 8, 0, 1, &t01);
  g_assert_cmpuint (t00.width, ==, 67);
  g_assert_cmpuint (t00.height, ==, 67);
  g_assert_cmpuint (t10.width, ==, 70);
  g_assert_cmpuint (t01.height, ==, 100 - 61);
  for (y = 0; y < 67; y++) {
    g_assert_cmpmem (t00.pixels + y * t00.stride, 67 * 3,
        img.pixels + y * img.stride, 67 * 3);
    g_assert_cmpmem (t10.pixels + y * t10.stride, 70 * 3,
        img.pixels + y * img.stride + 61 * 3, 70 * 3);
  }
  g_assert_cmpmem (t01.pixels, 67 * 3, img.pixels + 61 * img.stride, 67 * 3);
  png_fixture_image_clear (&t00);
  png_fixture_image_clear (&t10);
  png_fixture_image_clear (&t01);
  png_fixture_image_clear (&img);
  g_free (dir);
  sink_close (&s);
}

/* A 3 x 3 image: level 1 is 2 x 2, each pixel the rounded mean of its 2 x 2
 * block, where the odd last column and row count twice (libvips' rule);
 * level 0 is the mean of level 1. */
static void
test_odd_edges_average_with_their_copy (void)
{
  static const guint8 gray[9] = { 0, 10, 101, 20, 30, 255, 7, 9, 1 };
  PngFixtureImage img = { 3, 3, GST_VIDEO_FORMAT_GRAY8, 3, (guint8 *) gray };
  PngFixtureImage l1, l0;
  Sink s = { 0 };
  gchar *dir;

  sink_open (&s, "odd.dzi");
  g_object_set (s.element, "format", 1, NULL);
  sink_start (&s, GST_VIDEO_FORMAT_GRAY8, 3, 3);
  g_assert_cmpint (push_strips (&s, &img, 0, 3, 0, G_MAXUINT), ==, GST_FLOW_OK);
  dir = files_dir (&s);
  read_tile (dir, 1, 0, 0, &l1);
  read_tile (dir, 0, 0, 0, &l0);
  g_assert_cmpuint (l1.width, ==, 2);
  g_assert_cmpuint (l1.height, ==, 2);
  g_assert_cmpuint (l1.pixels[0], ==, (0 + 10 + 20 + 30 + 2) / 4);
  g_assert_cmpuint (l1.pixels[1], ==, (2 * 101 + 2 * 255 + 2) / 4);
  g_assert_cmpuint (l1.pixels[l1.stride], ==, (2 * 7 + 2 * 9 + 2) / 4);
  g_assert_cmpuint (l1.pixels[l1.stride + 1], ==, 1);
  g_assert_cmpuint (l0.pixels[0], ==, (15 + 178 + 8 + 1 + 2) / 4);
  png_fixture_image_clear (&l1);
  png_fixture_image_clear (&l0);
  g_free (dir);
  sink_close (&s);
}

/* Colours are weighted by alpha (premultiplied, as libvips shrinks): a
 * transparent pixel lends no colour to its opaque neighbour. */
static void
test_alpha_weights_the_colours (void)
{
  static const guint8 rgba[8] = { 200, 0, 0, 255, 0, 0, 250, 0 };
  PngFixtureImage img = { 2, 1, GST_VIDEO_FORMAT_RGBA, 8, (guint8 *) rgba };
  PngFixtureImage l0;
  Sink s = { 0 };
  gchar *dir;

  sink_open (&s, "alpha.dzi");
  g_object_set (s.element, "format", 1, NULL);
  sink_start (&s, GST_VIDEO_FORMAT_RGBA, 2, 1);
  g_assert_cmpint (push_strips (&s, &img, 0, 1, 0, G_MAXUINT), ==, GST_FLOW_OK);
  dir = files_dir (&s);
  read_tile (dir, 0, 0, 0, &l0);
  g_assert_cmpint (l0.format, ==, GST_VIDEO_FORMAT_RGBA);
  g_assert_cmpuint (l0.pixels[0], ==, 200);
  g_assert_cmpuint (l0.pixels[2], ==, 0);
  g_assert_cmpuint (l0.pixels[3], ==, (2 * 255) / 4);
  png_fixture_image_clear (&l0);
  g_free (dir);
  sink_close (&s);
}

/* The number of colour components in a baseline JPEG's frame header. */
static guint
jpeg_components (const gchar * path)
{
  gchar *data;
  gsize len, i;
  guint n = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >, 4);
  g_assert_cmpuint ((guint8) data[0], ==, 0xff);
  g_assert_cmpuint ((guint8) data[1], ==, 0xd8);
  for (i = 2; i + 10 < len; i++)
    if ((guint8) data[i] == 0xff && (guint8) data[i + 1] == 0xc0) {
      n = (guint8) data[i + 9];
      break;
    }
  g_free (data);
  return n;
}

/* JPEG tiles: alpha goes (flattened), gray stays gray, as libvips. */
static void
test_jpeg_drops_alpha (void)
{
  PngFixtureImage img;
  Sink s = { 0 };
  gchar *dir, *tile;

  sink_open (&s, "j.dzi");
  g_object_set (s.element, "quality", 90, NULL);
  make_image (&img, 300, 40, PNG_COLOR_TYPE_RGB_ALPHA, 16, 3);
  sink_start (&s, GST_VIDEO_FORMAT_RGBA64_BE, 300, 8);
  g_assert_cmpint (push_strips (&s, &img, 0, 8, 0, G_MAXUINT), ==, GST_FLOW_OK);
  dir = files_dir (&s);
  tile = g_strdup_printf ("%s/9/1_0.jpeg", dir);
  g_assert_cmpuint (jpeg_components (tile), ==, 3);
  g_assert_true (g_file_test (s.dzi, G_FILE_TEST_EXISTS));
  g_free (tile);
  g_free (dir);
  png_fixture_image_clear (&img);
  sink_close (&s);
}

/* While streaming, the element holds the rows each level still needs and
 * the tile jobs -- far less than the image -- and nothing once it is done. */
static void
test_held_bytes_are_the_level_strips (void)
{
  guint W = 3000, H = 1200, rows = 8;
  PngFixtureImage img;
  Sink s = { 0 };
  guint64 held, bound;
  guint level, w = W, h = H;

  sink_open (&s, "held.dzi");
  make_image (&img, W, H, PNG_COLOR_TYPE_RGB, 8, 5);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, W, rows);
  g_assert_cmpint (push_strips (&s, &img, 0, rows, 0, 3), ==, GST_FLOW_OK);
  g_object_get (s.element, "held-bytes", &held, NULL);

  /* the documented bound, summed here level by level */
  bound = (guint64) W *3 * (254 + 2 + rows) + 256 * 256 * 3;
  for (level = 1; level < 13; level++) {
    w = (w + 1) / 2;
    h = (h + 1) / 2;
    bound += (guint64) w *3 * MIN (256, h);
  }
  g_assert_cmpuint (held, ==, bound);
  g_assert_cmpuint (held, <, (guint64) W * H * 3 / 2);

  g_assert_cmpint (push_strips (&s, &img, 0, rows, 3, G_MAXUINT), ==,
      GST_FLOW_OK);
  png_fixture_image_clear (&img);
  sink_close (&s);
}

/* The held bytes with encoder threads, for an RGB image @W x @H whose top
 * level lets @queued tiles wait: the rings as in the test above, plus
 * threads - 1 tiles being encoded, the one being filled and @queued. */
static void
check_held_with_threads (guint W, guint H, guint queued)
{
  guint rows = 8, threads = 3, n_levels = 1, level, w = W, h = H, size;
  PngFixtureImage img;
  Sink s = { 0 };
  guint64 held, rings, jobs;

  for (size = MAX (W, H); size > 1; size = (size + 1) / 2)
    n_levels++;
  sink_open (&s, "queued.dzi");
  g_object_set (s.element, "threads", threads, NULL);
  make_image (&img, W, H, PNG_COLOR_TYPE_RGB, 8, 5);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, W, rows);
  g_assert_cmpint (push_strips (&s, &img, 0, rows, 0, 3), ==, GST_FLOW_OK);
  g_object_get (s.element, "held-bytes", &held, NULL);

  rings = (guint64) W *3 * MIN (254 + 2 + rows, H);
  for (level = 1; level < n_levels; level++) {
    w = (w + 1) / 2;
    h = (h + 1) / 2;
    rings += (guint64) w *3 * MIN (256, h);
  }
  jobs = (guint64) ((threads - 1) + 1 + queued) * 256 * MIN (256, H) * 3;
  g_assert_cmpuint (held, ==, rings + jobs);

  g_assert_cmpint (push_strips (&s, &img, 0, rows, 3, G_MAXUINT), ==,
      GST_FLOW_OK);
  g_assert_true (g_file_test (s.dzi, G_FILE_TEST_EXISTS));
  png_fixture_image_clear (&img);
  sink_close (&s);
}

/* With encoder threads, a row of tiles of the full-size level may wait for
 * them: the burst a finished row of tiles makes is held in a stated number
 * of jobs (12 columns for 3000 pixels). */
static void
test_held_bytes_count_the_waiting_tiles (void)
{
  check_held_with_threads (3000, 1200, (3000 + 253) / 254);
}

/* ... but never more than 16 MiB of them: 40000 pixels are 158 columns, of
 * which 85 tiles of 192 KiB may wait. */
static void
test_waiting_tiles_are_at_most_16_mib (void)
{
  check_held_with_threads (40000, 300, (16 << 20) / (256 * 256 * 3));
}

static void
test_held_bytes_drop_to_zero_after_the_image (void)
{
  PngFixtureImage img;
  Sink s = { 0 };
  guint64 held;

  sink_open (&s, "zero.dzi");
  make_image (&img, 600, 300, PNG_COLOR_TYPE_RGB, 8, 5);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, 600, 16);
  g_assert_cmpint (push_strips (&s, &img, 0, 16, 0, G_MAXUINT), ==, GST_FLOW_OK);
  g_object_get (s.element, "held-bytes", &held, NULL);
  g_assert_cmpuint (held, ==, 0);
  png_fixture_image_clear (&img);
  sink_close (&s);
}

/* A %d in location numbers the pyramids of a sequence. */
static void
test_sequence_writes_one_pyramid_per_image (void)
{
  PngFixtureImage a, b;
  Sink s = { 0 };
  gchar *p0, *p1, *text;

  sink_open (&s, "seq-%03d.dzi");
  make_image (&a, 300, 200, PNG_COLOR_TYPE_RGB, 8, 1);
  make_image (&b, 100, 500, PNG_COLOR_TYPE_RGB, 8, 2);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, 300, 10);
  g_assert_cmpint (push_strips (&s, &a, 0, 10, 0, G_MAXUINT), ==, GST_FLOW_OK);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, 100, 10);
  g_assert_cmpint (push_strips (&s, &b, 1, 10, 0, G_MAXUINT), ==, GST_FLOW_OK);
  p0 = g_build_filename (s.dir, "seq-000.dzi", NULL);
  p1 = g_build_filename (s.dir, "seq-001.dzi", NULL);
  g_assert_true (g_file_get_contents (p1, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "Height=\"500\""));
  g_assert_true (g_file_test (p0, G_FILE_TEST_EXISTS));
  g_free (text);
  g_free (p1);
  p1 = g_build_filename (s.dir, "seq-001_files", "9", "0_1.jpeg", NULL);
  g_assert_true (g_file_test (p1, G_FILE_TEST_EXISTS));
  g_free (p0);
  g_free (p1);
  png_fixture_image_clear (&a);
  png_fixture_image_clear (&b);
  sink_close (&s);
}

/* Without a %d, a second image would overwrite the first: refused. */
static void
test_second_image_without_pattern_is_refused (void)
{
  PngFixtureImage a;
  Sink s = { 0 };
  GstMessage *msg;

  sink_open (&s, "one.dzi");
  make_image (&a, 100, 100, PNG_COLOR_TYPE_RGB, 8, 1);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, 100, 10);
  g_assert_cmpint (push_strips (&s, &a, 0, 10, 0, G_MAXUINT), ==, GST_FLOW_OK);
  g_assert_cmpint (push_strips (&s, &a, 1, 10, 0, G_MAXUINT), ==,
      GST_FLOW_ERROR);
  msg = pop_message (&s, GST_MESSAGE_ERROR);
  gst_fixture_assert_message_mentions (msg, "would overwrite");
  gst_message_unref (msg);
  png_fixture_image_clear (&a);
  sink_close (&s);
}

/* An image that ends early leaves its tiles but no .dzi, and says so. */
static void
test_incomplete_image_leaves_no_dzi (void)
{
  PngFixtureImage a;
  Sink s = { 0 };
  GstMessage *msg;

  sink_open (&s, "cut.dzi");
  make_image (&a, 700, 700, PNG_COLOR_TYPE_RGB, 8, 1);
  g_assert_true (g_file_set_contents (s.dzi, "stale", -1, NULL));
  sink_start (&s, GST_VIDEO_FORMAT_RGB, 700, 10);
  g_assert_cmpint (push_strips (&s, &a, 0, 10, 0, 40), ==, GST_FLOW_OK);
  /* the stale .dzi of an earlier run is gone as soon as rewriting begins */
  g_assert_false (g_file_test (s.dzi, G_FILE_TEST_EXISTS));
  gst_harness_push_event (s.h, gst_event_new_eos ());
  msg = pop_message (&s, GST_MESSAGE_WARNING);
  gst_fixture_assert_message_mentions (msg, "cut.dzi");
  gst_message_unref (msg);
  g_assert_false (g_file_test (s.dzi, G_FILE_TEST_EXISTS));
  png_fixture_image_clear (&a);
  sink_close (&s);
}

static GstStateChangeReturn
start_with (const gchar * prop, ...)
{
  GstElement *e = gst_element_factory_make ("deepzoomsink", NULL);
  GstStateChangeReturn ret;
  va_list args;

  va_start (args, prop);
  g_object_set_valist (G_OBJECT (e), prop, args);
  va_end (args);
  ret = gst_element_set_state (e, GST_STATE_PAUSED);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
  return ret;
}

/* Settings that cannot work are refused when streaming starts. */
static void
test_bad_settings_are_refused (void)
{
  GstElement *e = gst_element_factory_make ("deepzoomsink", NULL);
  guint v;

  g_assert_cmpint (start_with ("location", "/tmp/a.dzi", "overlap", 254,
          NULL), ==, GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (start_with ("location", "/tmp/a-%s.dzi", NULL), ==,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (start_with ("location", "/tmp/%d-%d.dzi", NULL), ==,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (start_with ("name", "no-location", NULL), ==,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (start_with ("location", "", NULL), ==,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (start_with ("location", "/tmp/100%%-%05d.dzi", NULL), !=,
      GST_STATE_CHANGE_FAILURE);

  /* out-of-range values are rejected by the param specs */
  g_object_get (e, "tile-size", &v, NULL);
  g_assert_cmpuint (v, ==, 254);
  g_object_get (e, "overlap", &v, NULL);
  g_assert_cmpuint (v, ==, 1);
  g_object_get (e, "quality", &v, NULL);
  g_assert_cmpuint (v, ==, 75);
  gst_object_unref (e);
}

/* Every numeric setting has a range: a value outside it is refused (the
 * param spec validates it back into range, and g_object_set warns). */
static void
test_out_of_range_values_are_refused (void)
{
  static const struct
  {
    const gchar *name;
    gint64 bad, good;
  } props[] = {
    {"tile-size", 0, 254}, {"tile-size", 8193, 8192}, {"overlap", 8192, 0},
    {"quality", 0, 1}, {"quality", 101, 100}, {"compression-level", -1, 0},
    {"compression-level", 10, 9}, {"threads", 65, 64},
  };
  GstElement *e = gst_element_factory_make ("deepzoomsink", NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (props); i++) {
    GParamSpec *pspec =
        g_object_class_find_property (G_OBJECT_GET_CLASS (e), props[i].name);
    GValue v = G_VALUE_INIT, bad = G_VALUE_INIT, good = G_VALUE_INIT;

    g_assert_nonnull (pspec);
    g_value_init (&v, G_TYPE_INT64);
    g_value_init (&bad, pspec->value_type);
    g_value_init (&good, pspec->value_type);
    g_value_set_int64 (&v, props[i].bad);
    g_assert_true (g_value_transform (&v, &bad));
    g_value_set_int64 (&v, props[i].good);
    g_assert_true (g_value_transform (&v, &good));
    /* TRUE: the value had to be changed to fit */
    g_assert_true (g_param_value_validate (pspec, &bad));
    g_assert_false (g_param_value_validate (pspec, &good));
    g_value_unset (&v);
    g_value_unset (&bad);
    g_value_unset (&good);
  }
  gst_object_unref (e);
}

/* Writes @img to @dzi with a fresh element, pushing at most @n_strips of
 * its 10-row strips, then stops the element (state NULL) whether or not
 * the image is finished. Returns held-bytes after the stop. */
static guint64
write_then_stop (const gchar * dzi, const PngFixtureImage * img,
    guint threads, guint n_strips)
{
  Sink s = { 0 };
  guint64 held = 1;

  s.bus = gst_bus_new ();
  s.element = gst_element_factory_make ("deepzoomsink", NULL);
  gst_element_set_bus (s.element, s.bus);
  g_object_set (s.element, "location", dzi, "threads", threads, "format", 1,
      "async", FALSE, NULL);
  sink_start (&s, img->format, img->width, 10);
  g_assert_cmpint (push_strips (&s, img, 0, 10, 0, n_strips), ==,
      GST_FLOW_OK);
  gst_harness_teardown (s.h);
  g_object_get (s.element, "held-bytes", &held, NULL);
  gst_object_unref (s.element);
  gst_object_unref (s.bus);
  return held;
}

/* Every file of @dir by name, with its bytes. */
static GHashTable *
read_tree (const gchar * dir)
{
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
  GPtrArray *names = list_tiles (dir);
  guint i;

  for (i = 0; i < names->len; i++) {
    gchar *path = g_build_filename (dir, names->pdata[i], NULL);
    gchar *data;
    gsize len;

    g_assert_true (g_file_get_contents (path, &data, &len, NULL));
    g_hash_table_insert (files, g_strdup (names->pdata[i]),
        g_bytes_new_take (data, len));
    g_free (path);
  }
  g_ptr_array_unref (names);
  return files;
}

/* A job stopped half-way (set to NULL while encoder threads hold tiles)
 * leaves no .dzi, not even the one of the complete run before it, and
 * holds nothing; the next run writes the whole pyramid again, the same
 * files as the first run. */
static void
test_stopped_run_restarts_complete (void)
{
  gchar *dir = gst_fixture_make_tmp_dir ("deepzoomsink-XXXXXX");
  gchar *dzi = g_build_filename (dir, "r.dzi", NULL);
  gchar *files = g_build_filename (dir, "r_files", NULL);
  GHashTable *first, *again;
  GHashTableIter iter;
  gpointer name, bytes;
  PngFixtureImage a;

  make_image (&a, 1100, 800, PNG_COLOR_TYPE_RGB, 8, 3);
  g_assert_cmpuint (write_then_stop (dzi, &a, 1, G_MAXUINT), ==, 0);
  g_assert_true (g_file_test (dzi, G_FILE_TEST_EXISTS));
  first = read_tree (files);
  g_assert_cmpuint (g_hash_table_size (first), >, 20);

  /* 600 of 800 rows: two tile rows of the full-size level are written */
  g_assert_cmpuint (write_then_stop (dzi, &a, 3, 60), ==, 0);
  g_assert_false (g_file_test (dzi, G_FILE_TEST_EXISTS));

  g_assert_cmpuint (write_then_stop (dzi, &a, 1, G_MAXUINT), ==, 0);
  g_assert_true (g_file_test (dzi, G_FILE_TEST_EXISTS));
  again = read_tree (files);
  g_assert_cmpuint (g_hash_table_size (again), ==, g_hash_table_size (first));
  g_hash_table_iter_init (&iter, first);
  while (g_hash_table_iter_next (&iter, &name, &bytes)) {
    GBytes *b = g_hash_table_lookup (again, name);

    g_assert_nonnull (b);
    g_assert_true (g_bytes_equal (b, bytes));
  }
  g_hash_table_unref (first);
  g_hash_table_unref (again);
  png_fixture_image_clear (&a);
  gst_fixture_remove_tree (dir);
  g_free (files);
  g_free (dzi);
  g_free (dir);
}

/* A tile that cannot be written fails the image with the tile's path. */
static void
test_unwritable_location_names_the_path (void)
{
  PngFixtureImage a;
  Sink s = { 0 };
  GstMessage *msg;
  gchar *blocker, *dzi;

  sink_open (&s, "x.dzi");
  /* a plain file where the tile directory should go: even root cannot
   * create a directory inside it */
  blocker = g_build_filename (s.dir, "file", NULL);
  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  dzi = g_build_filename (blocker, "p.dzi", NULL);
  g_object_set (s.element, "location", dzi, NULL);
  make_image (&a, 100, 100, PNG_COLOR_TYPE_RGB, 8, 1);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, 100, 10);
  g_assert_cmpint (push_strips (&s, &a, 0, 10, 0, G_MAXUINT), ==,
      GST_FLOW_ERROR);
  msg = pop_message (&s, GST_MESSAGE_ERROR);
  gst_fixture_assert_message_mentions (msg, blocker);
  gst_message_unref (msg);
  g_assert_false (g_file_test (dzi, G_FILE_TEST_EXISTS));
  g_free (dzi);
  g_free (blocker);
  png_fixture_image_clear (&a);
  sink_close (&s);
}

/* A tile that cannot be written while tiles wait for the encoder threads:
 * the error names that tile, the waiting tiles are given up, no .dzi. */
static void
test_failed_tile_with_encoder_threads_names_it (void)
{
  PngFixtureImage a;
  Sink s = { 0 };
  GstMessage *msg;
  gchar *tile;

  sink_open (&s, "t.dzi");
  g_object_set (s.element, "threads", 3, NULL);
  /* a directory where the first full-size tile goes: its open fails */
  tile = g_build_filename (s.dir, "t_files", "10", "0_0.jpeg", NULL);
  g_assert_cmpint (g_mkdir_with_parents (tile, 0755), ==, 0);
  make_image (&a, 1000, 600, PNG_COLOR_TYPE_RGB, 8, 1);
  sink_start (&s, GST_VIDEO_FORMAT_RGB, 1000, 10);
  g_assert_cmpint (push_strips (&s, &a, 0, 10, 0, G_MAXUINT), ==,
      GST_FLOW_ERROR);
  msg = pop_message (&s, GST_MESSAGE_ERROR);
  gst_fixture_assert_message_mentions (msg, tile);
  gst_message_unref (msg);
  g_assert_false (g_file_test (s.dzi, G_FILE_TEST_EXISTS));
  g_free (tile);
  png_fixture_image_clear (&a);
  sink_close (&s);
}

static guint
count_progress (Sink * s)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = pop_message (s, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "deepzoomsink-progress"))
      n++;
    gst_message_unref (msg);
  }
  return n;
}

/* One progress message per written tile row of every level, through the
 * shared throttle: all of them with message-interval=0, a burst by default. */
static void
test_progress_per_tile_row_is_rate_limited (void)
{
  PngFixtureImage a;
  Sink s = { 0 };

  sink_open (&s, "p.dzi");
  make_image (&a, 600, 1100, PNG_COLOR_TYPE_GRAY, 8, 1);
  g_object_set (s.element, "message-interval", (guint64) 0, NULL);
  sink_start (&s, GST_VIDEO_FORMAT_GRAY8, 600, 10);
  g_assert_cmpint (push_strips (&s, &a, 0, 10, 0, G_MAXUINT), ==, GST_FLOW_OK);
  /* tile rows: 5 at 600x1100, 3 at 300x550, 2 at 150x275, 1 x 9 below */
  g_assert_cmpuint (count_progress (&s), ==, 5 + 3 + 2 + 9);
  sink_close (&s);

  sink_open (&s, "p.dzi");
  g_object_set (s.element, "message-interval", 60 * GST_SECOND, NULL);
  sink_start (&s, GST_VIDEO_FORMAT_GRAY8, 600, 10);
  g_assert_cmpint (push_strips (&s, &a, 0, 10, 0, G_MAXUINT), ==, GST_FLOW_OK);
  g_assert_cmpuint (count_progress (&s), ==, 10);
  png_fixture_image_clear (&a);
  sink_close (&s);
}

/* Tiles encoded on worker threads are the same bytes. */
static void
test_threads_do_not_change_the_files (void)
{
  PngFixtureImage a;
  Sink s1 = { 0 }, s4 = { 0 };
  gchar *d1, *d4;
  GPtrArray *names;

  make_image (&a, 900, 700, PNG_COLOR_TYPE_RGB, 8, 9);
  sink_open (&s1, "t.dzi");
  sink_open (&s4, "t.dzi");
  g_object_set (s4.element, "threads", 4, NULL);
  sink_start (&s1, GST_VIDEO_FORMAT_RGB, 900, 10);
  sink_start (&s4, GST_VIDEO_FORMAT_RGB, 900, 10);
  g_assert_cmpint (push_strips (&s1, &a, 0, 10, 0, G_MAXUINT), ==, GST_FLOW_OK);
  g_assert_cmpint (push_strips (&s4, &a, 0, 10, 0, G_MAXUINT), ==, GST_FLOW_OK);
  d1 = files_dir (&s1);
  d4 = files_dir (&s4);
  names = list_tiles (d1);
  g_assert_cmpuint (names->len, >, 20);
  for (guint i = 0; i < names->len; i++) {
    gchar *f1 = g_build_filename (d1, names->pdata[i], NULL);
    gchar *f4 = g_build_filename (d4, names->pdata[i], NULL);
    gchar *b1, *b4;
    gsize n1, n4;

    g_assert_true (g_file_get_contents (f1, &b1, &n1, NULL));
    g_assert_true (g_file_get_contents (f4, &b4, &n4, NULL));
    g_assert_cmpmem (b1, n1, b4, n4);
    g_free (b1);
    g_free (b4);
    g_free (f1);
    g_free (f4);
  }
  g_ptr_array_unref (names);
  g_free (d1);
  g_free (d4);
  png_fixture_image_clear (&a);
  sink_close (&s1);
  sink_close (&s4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  /* a blocked push must fail the run, not hang it */
  alarm (100);

  g_test_add_func ("/deepzoomsink/file-list-is-dzsaves",
      test_file_list_is_dzsaves);
  g_test_add_func ("/deepzoomsink/tiles-overlap-their-neighbours",
      test_tiles_overlap_their_neighbours);
  g_test_add_func ("/deepzoomsink/odd-edges-average-with-their-copy",
      test_odd_edges_average_with_their_copy);
  g_test_add_func ("/deepzoomsink/alpha-weights-the-colours",
      test_alpha_weights_the_colours);
  g_test_add_func ("/deepzoomsink/jpeg-drops-alpha", test_jpeg_drops_alpha);
  g_test_add_func ("/deepzoomsink/held-bytes-are-the-level-strips",
      test_held_bytes_are_the_level_strips);
  g_test_add_func ("/deepzoomsink/held-bytes-count-the-waiting-tiles",
      test_held_bytes_count_the_waiting_tiles);
  g_test_add_func ("/deepzoomsink/waiting-tiles-are-at-most-16-mib",
      test_waiting_tiles_are_at_most_16_mib);
  g_test_add_func ("/deepzoomsink/held-bytes-drop-to-zero-after-the-image",
      test_held_bytes_drop_to_zero_after_the_image);
  g_test_add_func ("/deepzoomsink/sequence-writes-one-pyramid-per-image",
      test_sequence_writes_one_pyramid_per_image);
  g_test_add_func ("/deepzoomsink/second-image-without-pattern-is-refused",
      test_second_image_without_pattern_is_refused);
  g_test_add_func ("/deepzoomsink/incomplete-image-leaves-no-dzi",
      test_incomplete_image_leaves_no_dzi);
  g_test_add_func ("/deepzoomsink/bad-settings-are-refused",
      test_bad_settings_are_refused);
  g_test_add_func ("/deepzoomsink/out-of-range-values-are-refused",
      test_out_of_range_values_are_refused);
  g_test_add_func ("/deepzoomsink/stopped-run-restarts-complete",
      test_stopped_run_restarts_complete);
  g_test_add_func ("/deepzoomsink/unwritable-location-names-the-path",
      test_unwritable_location_names_the_path);
  g_test_add_func ("/deepzoomsink/failed-tile-with-encoder-threads-names-it",
      test_failed_tile_with_encoder_threads_names_it);
  g_test_add_func ("/deepzoomsink/progress-per-tile-row-is-rate-limited",
      test_progress_per_tile_row_is_rate_limited);
  g_test_add_func ("/deepzoomsink/threads-do-not-change-the-files",
      test_threads_do_not_change_the_files);
  return g_test_run ();
}
