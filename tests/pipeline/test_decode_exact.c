/* pngtiledec ! tilecompose gives, byte for byte, what libpng's own reader
 * gives: every colour type x bit depth, plain and Adam7, any tile grid, any
 * input chunking, and streams of images that change size and format.
 * Everything runs twice: with the ISA-L inflater (fast-inflate, the
 * default) and with libpng inflating. */
#include <string.h>

#include <png.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "pngfixture.h"

/* One composed frame with the caps it was pushed under. */
typedef struct {
  GstCaps *caps;
  GstBuffer *buffer;
} Frame;

static void
frame_free (gpointer data)
{
  Frame *f = data;

  gst_caps_unref (f->caps);
  gst_buffer_unref (f->buffer);
  g_free (f);
}

/* Copies each frame away with its current caps and drops the original, so
 * the composer's pool never waits on the test and caps stay paired with
 * their frames even when several images complete within one push. */
static GstPadProbeReturn
collect_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GPtrArray *frames = user_data;
  Frame *f = g_new0 (Frame, 1);

  f->caps = gst_pad_get_current_caps (pad);
  g_assert_nonnull (f->caps);
  f->buffer = gst_buffer_copy_deep (GST_PAD_PROBE_INFO_BUFFER (info));
  g_ptr_array_add (frames, f);
  return GST_PAD_PROBE_DROP;
}

/* the decoder's fast-inflate for the test running now */
static gboolean fast_inflate;

typedef struct {
  GstHarness *h;
  GstBus *bus;
  GPtrArray *frames;
} Pipeline;

static void
pipeline_start (Pipeline * p, guint tile_w, guint tile_h)
{
  gchar *launch = g_strdup_printf ("pngtiledec name=dec tile-width=%u "
      "tile-height=%u fast-inflate=%d ! tilecompose name=compose", tile_w,
      tile_h, fast_inflate);
  GstElement *compose, *dec;
  GstPad *src;
  gboolean fast_inflate_used;

  p->h = gst_harness_new_parse (launch);
  g_free (launch);
  /* a build without ISA-L must not pass for one with it */
  dec = gst_bin_get_by_name (GST_BIN (p->h->element), "dec");
  g_object_get (dec, "fast-inflate", &fast_inflate_used, NULL);
  g_assert_cmpint (fast_inflate_used, ==, fast_inflate && EXPECT_ISAL);
  gst_object_unref (dec);
  p->bus = gst_bus_new ();
  gst_element_set_bus (p->h->element, p->bus);
  p->frames = g_ptr_array_new_with_free_func (frame_free);

  compose = gst_bin_get_by_name (GST_BIN (p->h->element), "compose");
  g_assert_nonnull (compose);
  src = gst_element_get_static_pad (compose, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, collect_frame,
      p->frames, NULL);
  gst_object_unref (src);
  gst_object_unref (compose);
  gst_harness_set_src_caps_str (p->h, "image/png");
}

static void
pipeline_stop (Pipeline * p)
{
  gst_harness_teardown (p->h);
  /* pending messages hold the elements */
  gst_bus_set_flushing (p->bus, TRUE);
  gst_object_unref (p->bus);
  g_ptr_array_unref (p->frames);
}

/* Pushes @data in pieces of @chunk bytes (0 = all at once), then EOS. */
static void
pipeline_push (Pipeline * p, const guint8 * data, gsize size, gsize chunk,
    const gchar * what)
{
  gsize off = 0;

  if (chunk == 0)
    chunk = size;
  while (off < size) {
    gsize n = MIN (chunk, size - off);
    GstFlowReturn ret = gst_harness_push (p->h,
        gst_buffer_new_memdup (data + off, n));

    if (ret != GST_FLOW_OK)
      g_error ("%s: push at byte %" G_GSIZE_FORMAT " returned %s", what, off,
          gst_flow_get_name (ret));
    off += n;
  }
  g_assert_true (gst_harness_push_event (p->h, gst_event_new_eos ()));
}

/* No error or warning was posted: every image decoded whole. */
static void
pipeline_assert_quiet (Pipeline * p, const gchar * what)
{
  GstMessage *msg = gst_bus_pop_filtered (p->bus,
      GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

  if (msg) {
    GError *err = NULL;
    gchar *debug = NULL;

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &err, &debug);
    else
      gst_message_parse_warning (msg, &err, &debug);
    g_error ("%s: %s from %s: %s (%s)", what,
        GST_MESSAGE_TYPE_NAME (msg), GST_MESSAGE_SRC_NAME (msg),
        err->message, debug ? debug : "");
  }
}

static void
assert_frame_is_reference (const Frame * f, const PngFixtureImage * ref,
    const gchar * what)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  const guint8 *data;
  guint y;
  gint stride;

  g_assert_true (gst_video_info_from_caps (&info, f->caps));
  if (GST_VIDEO_INFO_FORMAT (&info) != ref->format
      || info.width != (gint) ref->width || info.height != (gint) ref->height)
    g_error ("%s: frame is %s %dx%d, libpng gives %s %ux%u", what,
        gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)),
        info.width, info.height, gst_video_format_to_string (ref->format),
        ref->width, ref->height);

  g_assert_true (gst_video_frame_map (&frame, &info, f->buffer,
          GST_MAP_READ));
  data = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  for (y = 0; y < ref->height; y++) {
    const guint8 *a = data + (gsize) y * stride;
    const guint8 *b = ref->pixels + (gsize) y * ref->stride;

    if (memcmp (a, b, ref->stride) != 0) {
      gsize x = 0;

      while (a[x] == b[x])
        x++;
      g_error ("%s: row %u differs from libpng first at byte %" G_GSIZE_FORMAT
          " (0x%02x, libpng 0x%02x)", what, y, x, a[x], b[x]);
    }
  }
  gst_video_frame_unmap (&frame);
}

/* Decodes @data (one PNG) through the pipeline and compares with libpng. */
static void
check_bytes (const guint8 * data, gsize size, guint tile_w, guint tile_h,
    gsize chunk, const gchar * what)
{
  PngFixtureImage ref;
  gchar *err = NULL;
  Pipeline p;

  if (!png_fixture_reference_decode (data, size, &ref, &err))
    g_error ("%s: reference decode failed: %s", what, err);

  pipeline_start (&p, tile_w, tile_h);
  pipeline_push (&p, data, size, chunk, what);
  pipeline_assert_quiet (&p, what);
  if (p.frames->len != 1)
    g_error ("%s: %u frames out, expected 1", what, p.frames->len);
  assert_frame_is_reference (g_ptr_array_index (p.frames, 0), &ref, what);
  pipeline_stop (&p);
  png_fixture_image_clear (&ref);
}

static void
check_one (const PngFixtureSpec * spec, guint tile_w, guint tile_h,
    gsize chunk)
{
  GBytes *png = png_fixture_encode (spec);
  gchar *name = png_fixture_spec_name (spec);
  gchar *what = g_strdup_printf ("%s tiles %ux%u chunks %" G_GSIZE_FORMAT,
      name, tile_w, tile_h, chunk);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);

  check_bytes (data, size, tile_w, tile_h, chunk, what);
  g_free (what);
  g_free (name);
  g_bytes_unref (png);
}

/* Runs check_one over the colour-type x bit-depth matrix, plain and Adam7. */
static void
check_matrix (guint width, guint height, guint tile_w, guint tile_h,
    gsize chunk)
{
  guint k, interlaced;

  for (k = 0; k < png_fixture_n_kinds; k++) {
    for (interlaced = 0; interlaced < 2; interlaced++) {
      PngFixtureSpec spec;

      png_fixture_spec_init (&spec, width, height,
          png_fixture_kinds[k].color_type, png_fixture_kinds[k].bit_depth);
      spec.trns = png_fixture_kinds[k].trns;
      spec.interlaced = interlaced;
      spec.seed = k * 2 + interlaced + 1;
      check_one (&spec, tile_w, tile_h, chunk);
    }
  }
}

static void
test_grid_that_divides (void)
{
  check_matrix (64, 48, 16, 16, 0);
}

static void
test_grid_that_does_not_divide (void)
{
  check_matrix (67, 45, 16, 16, 0);
}

static void
test_one_pixel_tiles (void)
{
  check_matrix (67, 45, 1, 1, 0);
}

static void
test_strips (void)
{
  check_matrix (67, 45, 0, 7, 0);
  check_matrix (67, 45, 0, 1, 0);
}

static void
test_one_tile_larger_than_image (void)
{
  check_matrix (67, 45, 256, 256, 0);
}

static void
test_chunks_of_1_byte (void)
{
  check_matrix (67, 45, 16, 16, 1);
}

static void
test_chunks_of_7_bytes (void)
{
  check_matrix (67, 45, 16, 16, 7);
}

static void
test_chunks_of_4_kib (void)
{
  check_matrix (67, 45, 16, 16, 4096);
}

/* Tile geometry and input chunking are independent: every pair of them. */
static void
test_every_grid_with_every_chunking (void)
{
  static const guint grids[][2] = { {16, 16}, {1, 1}, {0, 7}, {5, 3},
    {256, 256}
  };
  static const gsize chunks[] = { 1, 7, 4096 };
  guint g, c;

  for (g = 0; g < G_N_ELEMENTS (grids); g++)
    for (c = 0; c < G_N_ELEMENTS (chunks); c++)
      check_matrix (67, 45, grids[g][0], grids[g][1], chunks[c]);
}

/* Several PNGs back to back in one stream: sizes and formats change from
 * one image to the next, and each frame must come with its own caps. */
static void
test_back_to_back_stream (void)
{
  static const struct {
    guint width, height;
    gint color_type, bit_depth;
    gboolean interlaced, trns;
  } images[] = {
    {67, 45, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE},
    {30, 70, PNG_COLOR_TYPE_GRAY, 1, TRUE, FALSE},
    {1, 1, PNG_COLOR_TYPE_RGB_ALPHA, 16, FALSE, FALSE},
    {33, 17, PNG_COLOR_TYPE_PALETTE, 4, FALSE, TRUE},
    {50, 9, PNG_COLOR_TYPE_GRAY, 16, TRUE, FALSE},
    {67, 45, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE},
    {20, 20, PNG_COLOR_TYPE_RGB, 16, TRUE, FALSE},
  };
  static const gsize chunks[] = { 1, 7, 4096, 0 };
  GByteArray *stream = g_byte_array_new ();
  PngFixtureImage refs[G_N_ELEMENTS (images)];
  guint i, c;

  for (i = 0; i < G_N_ELEMENTS (images); i++) {
    PngFixtureSpec spec;
    GBytes *png;
    gsize size;
    const guint8 *data;
    gchar *err = NULL;

    png_fixture_spec_init (&spec, images[i].width, images[i].height,
        images[i].color_type, images[i].bit_depth);
    spec.interlaced = images[i].interlaced;
    spec.trns = images[i].trns;
    spec.seed = 100 + i;
    png = png_fixture_encode (&spec);
    data = g_bytes_get_data (png, &size);
    if (!png_fixture_reference_decode (data, size, &refs[i], &err))
      g_error ("reference decode of image %u failed: %s", i, err);
    g_byte_array_append (stream, data, size);
    g_bytes_unref (png);
  }

  for (c = 0; c < G_N_ELEMENTS (chunks); c++) {
    Pipeline p;
    gchar *what = g_strdup_printf ("stream in chunks of %" G_GSIZE_FORMAT,
        chunks[c]);

    pipeline_start (&p, 16, 16);
    pipeline_push (&p, stream->data, stream->len, chunks[c], what);
    pipeline_assert_quiet (&p, what);
    if (p.frames->len != G_N_ELEMENTS (images))
      g_error ("%s: %u frames out, expected %u", what, p.frames->len,
          (guint) G_N_ELEMENTS (images));
    for (i = 0; i < G_N_ELEMENTS (images); i++) {
      Frame *f = g_ptr_array_index (p.frames, i);
      gchar *which = g_strdup_printf ("%s, image %u", what, i);

      g_assert_cmpuint (GST_BUFFER_OFFSET (f->buffer), ==, i);
      assert_frame_is_reference (f, &refs[i], which);
      g_free (which);
    }
    pipeline_stop (&p);
    g_free (what);
  }

  for (i = 0; i < G_N_ELEMENTS (images); i++)
    png_fixture_image_clear (&refs[i]);
  g_byte_array_unref (stream);
}

/* @png with its image data cut into IDATs of the lengths in @lengths, in
 * turn (the compressed stream itself unchanged). */
static GByteArray *
recut_idats (GBytes * png, const guint * lengths, guint n_lengths)
{
  gsize size, pos;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *z = png_fixture_idat_data (data, size),
      *out = g_byte_array_new ();
  guint i = 0;

  g_assert_cmpuint (z->len, >, 0);
  g_byte_array_append (out, data, png_fixture_find_chunk (data, size, "IDAT"));
  for (pos = 0; pos < z->len; i++) {
    guint32 len = MIN (lengths[i % n_lengths], z->len - pos);
    gsize at = out->len;
    guint8 head[8], crc[4] = { 0 };

    png_fixture_write_be32 (head, len);
    memcpy (head + 4, "IDAT", 4);
    g_byte_array_append (out, head, 8);
    g_byte_array_append (out, z->data + pos, len);
    g_byte_array_append (out, crc, 4);
    png_fixture_fix_crc (out->data, at);
    pos += len;
  }
  /* IEND */
  g_byte_array_append (out, data + size - 12, 12);
  g_byte_array_unref (z);
  return out;
}

/* The inflater gathers short IDATs into longer runs: IDATs of every length,
 * around the run's size (64 KiB) and far below it, give the same pixels. */
static void
test_idats_of_every_length (void)
{
  static const guint lengths[] = { 1, 8192, 65535, 3, 65536, 70001, 12,
    65537, 300, 131072
  };
  static const gsize chunks[] = { 0, 4096, 65536 };
  PngFixtureSpec spec;
  GBytes *png;
  GByteArray *recut;
  guint c;

  png_fixture_spec_init (&spec, 640, 400, PNG_COLOR_TYPE_RGB, 8);
  png = png_fixture_encode (&spec);
  recut = recut_idats (png, lengths, G_N_ELEMENTS (lengths));
  /* more than the lengths above, so that they all occur */
  g_assert_cmpuint (recut->len, >, 400 * 1024);
  for (c = 0; c < G_N_ELEMENTS (chunks); c++) {
    gchar *what = g_strdup_printf ("IDATs recut, chunks %" G_GSIZE_FORMAT,
        chunks[c]);

    check_bytes (recut->data, recut->len, 0, 16, chunks[c], what);
    g_free (what);
  }
  g_byte_array_unref (recut);
  g_bytes_unref (png);
}

typedef struct {
  const gchar *name;
  void (*func) (void);
} Case;

static const Case cases[] = {
  {"grid-that-divides", test_grid_that_divides},
  {"grid-that-does-not-divide", test_grid_that_does_not_divide},
  {"one-pixel-tiles", test_one_pixel_tiles},
  {"strips", test_strips},
  {"one-tile-larger-than-image", test_one_tile_larger_than_image},
  {"chunks-of-1-byte", test_chunks_of_1_byte},
  {"chunks-of-7-bytes", test_chunks_of_7_bytes},
  {"chunks-of-4-kib", test_chunks_of_4_kib},
  {"every-grid-with-every-chunking", test_every_grid_with_every_chunking},
  {"back-to-back-stream-changing-size-and-format", test_back_to_back_stream},
  {"idats-of-every-length", test_idats_of_every_length},
};

static void
run_case (gconstpointer data)
{
  const Case *c = data;

  c->func ();
}

static void
run_case_fast (gconstpointer data)
{
  fast_inflate = TRUE;
  run_case (data);
}

static void
run_case_libpng (gconstpointer data)
{
  fast_inflate = FALSE;
  run_case (data);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *fast = g_strdup_printf ("/decode_exact/fast-inflate/%s",
        cases[i].name);
    gchar *libpng = g_strdup_printf ("/decode_exact/libpng-inflate/%s",
        cases[i].name);

    g_test_add_data_func (fast, &cases[i], run_case_fast);
    g_test_add_data_func (libpng, &cases[i], run_case_libpng);
    g_free (fast);
    g_free (libpng);
  }
  return g_test_run ();
}
