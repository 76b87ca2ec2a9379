/* pngtiledec ! (per-tile filter) ! pngtileenc keeps every pixel: the
 * reference decode of the re-encoded PNG equals the reference decode of the
 * original, over the colour-type matrix and several tile shapes. The
 * reference decode already applies the documented mapping (palette -> RGB or
 * RGBA, low-bit gray -> 8 bits, 16-bit RGB -> RGBA64 with opaque alpha), so
 * "equal" is exact. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <png.h>
#include <string.h>

#include "gstfixture.h"
#include "pngfixture.h"

#define IMAGE_WIDTH 45          /* divisible by neither 16 nor 7 */
#define IMAGE_HEIGHT 37         /* nor by 16 or 5 */
#define CHUNK 4096

static const struct
{
  const gchar *name;
  guint tile_width;
  guint tile_height;
} shapes[] = {
  {"strips", 0, 8},
  {"16x16", 16, 16},
  {"7x5", 7, 5},
};

static const gchar *filters[] = { "identity", "videoconvert" };

static GBytes *
encode_fixture (const PngFixtureKind * kind, gboolean interlaced, guint width,
    guint height, guint seed)
{
  PngFixtureSpec spec;

  png_fixture_spec_init (&spec, width, height, kind->color_type,
      kind->bit_depth);
  spec.trns = kind->trns;
  spec.interlaced = interlaced;
  spec.seed = seed;
  return png_fixture_encode (&spec);
}

static void
reference (GBytes * png, PngFixtureImage * img)
{
  gchar *err = NULL;

  if (!png_fixture_reference_decode (g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), img, &err))
    g_error ("PNG does not decode: %s", err);
}

static void
assert_same_image (const PngFixtureImage * got,
    const PngFixtureImage * expected, const gchar * what)
{
  guint y;

  if (got->width != expected->width || got->height != expected->height
      || got->format != expected->format)
    g_error ("%s: got %ux%u %s, expected %ux%u %s", what, got->width,
        got->height, gst_video_format_to_string (got->format), expected->width,
        expected->height, gst_video_format_to_string (expected->format));
  for (y = 0; y < got->height; y++)
    if (memcmp (got->pixels + y * got->stride,
            expected->pixels + y * expected->stride, got->stride) != 0)
      g_error ("%s: row %u differs", what, y);
}

/* Pushes @png through @launch in CHUNK-byte pieces, then EOS, and returns
 * the bytes that came out. The EOS reaching the end bounds the wait. */
static GByteArray *
run_through (const gchar * launch, GBytes * png)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GByteArray *out = g_byte_array_new ();
  gsize size, pos;
  const guint8 *data = g_bytes_get_data (png, &size);
  GstBuffer *buf;
  GstEvent *ev;
  gboolean eos = FALSE;

  gst_harness_set_src_caps_str (h, "image/png");
  for (pos = 0; pos < size; pos += CHUNK) {
    buf = gst_buffer_new_memdup (data + pos, MIN (CHUNK, size - pos));
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  while (!eos && (ev = gst_harness_pull_event (h))) {
    eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  g_assert_true (eos);
  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (out, map.data, map.size);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
  return out;
}

static void
check_roundtrip (GBytes * png, const gchar * launch, const gchar * what)
{
  PngFixtureImage original, again;
  GByteArray *out;
  gchar *err = NULL;

  reference (png, &original);
  out = run_through (launch, png);
  if (!png_fixture_reference_decode (out->data, out->len, &again, &err))
    g_error ("%s: re-encoded PNG (%u bytes) does not decode: %s", what,
        out->len, err);
  assert_same_image (&again, &original, what);
  png_fixture_image_clear (&again);
  png_fixture_image_clear (&original);
  g_byte_array_unref (out);
}

static void
test_every_kind_every_shape_keeps_every_pixel (void)
{
  guint k, s, f, interlaced;

  for (k = 0; k < png_fixture_n_kinds; k++) {
    for (interlaced = 0; interlaced < 2; interlaced++) {
      GBytes *png = encode_fixture (&png_fixture_kinds[k], interlaced,
          IMAGE_WIDTH, IMAGE_HEIGHT, k + 1);

      for (s = 0; s < G_N_ELEMENTS (shapes); s++) {
        for (f = 0; f < G_N_ELEMENTS (filters); f++) {
          PngFixtureSpec spec;
          gchar *name, *launch, *what;

          png_fixture_spec_init (&spec, IMAGE_WIDTH, IMAGE_HEIGHT,
              png_fixture_kinds[k].color_type, png_fixture_kinds[k].bit_depth);
          spec.trns = png_fixture_kinds[k].trns;
          spec.interlaced = interlaced;
          name = png_fixture_spec_name (&spec);
          launch = g_strdup_printf ("pngtiledec tile-width=%u tile-height=%u "
              "! %s ! pngtileenc", shapes[s].tile_width,
              shapes[s].tile_height, filters[f]);
          what = g_strdup_printf ("%s through \"%s\"", name, launch);
          check_roundtrip (png, launch, what);
          g_free (what);
          g_free (launch);
          g_free (name);
        }
      }
      g_bytes_unref (png);
    }
  }
}

/* A filter that really converts each tile (RGB -> BGRx) keeps the tile meta,
 * and pngtileenc reads BGRx back into RGB. */
static void
test_converting_filter_keeps_every_pixel (void)
{
  static const PngFixtureKind rgb8 = { PNG_COLOR_TYPE_RGB, 8, FALSE };
  static const PngFixtureKind rgba16 = { PNG_COLOR_TYPE_RGB_ALPHA, 16, FALSE };
  GBytes *png;

  png = encode_fixture (&rgb8, FALSE, IMAGE_WIDTH, IMAGE_HEIGHT, 7);
  check_roundtrip (png, "pngtiledec tile-width=16 tile-height=16 ! "
      "videoconvert ! video/x-raw,format=BGRx ! pngtileenc", "rgb8 as BGRx");
  check_roundtrip (png, "pngtiledec tile-width=7 tile-height=5 ! "
      "videoconvert ! video/x-raw,format=BGR ! pngtileenc", "rgb8 as BGR");
  g_bytes_unref (png);

  png = encode_fixture (&rgba16, FALSE, IMAGE_WIDTH, IMAGE_HEIGHT, 8);
  check_roundtrip (png, "pngtiledec tile-width=16 tile-height=16 ! "
      "videoconvert ! video/x-raw,format=RGBA64_LE ! pngtileenc",
      "rgba16 as RGBA64_LE");
  g_bytes_unref (png);
}

static void
test_one_file_per_image_with_multifilesink (void)
{
  static const PngFixtureKind kinds[3] = {
    {PNG_COLOR_TYPE_RGB, 8, FALSE},
    {PNG_COLOR_TYPE_GRAY, 16, FALSE},
    {PNG_COLOR_TYPE_PALETTE, 4, TRUE},
  };
  static const guint sizes[3][2] = { {45, 37}, {300, 20}, {17, 33} };
  GBytes *pngs[3];
  GByteArray *stream = g_byte_array_new ();
  gchar *dir, *in_path, *launch, *path;
  GError *err = NULL;
  guint i;

  dir = gst_fixture_make_tmp_dir ("pngtileenc-XXXXXX");
  for (i = 0; i < 3; i++) {
    gsize size;
    const guint8 *data;

    pngs[i] = encode_fixture (&kinds[i], FALSE, sizes[i][0], sizes[i][1],
        i + 1);
    data = g_bytes_get_data (pngs[i], &size);
    g_byte_array_append (stream, data, size);
  }
  in_path = g_build_filename (dir, "stream.png", NULL);
  g_assert_true (g_file_set_contents (in_path, (gchar *) stream->data,
          stream->len, &err));

  launch = g_strdup_printf ("filesrc location=%s blocksize=3000 ! pngtiledec "
      "tile-width=16 tile-height=16 ! pngtileenc ! multifilesink "
      "next-file=key-unit-event location=%s/out%%03d.png", in_path, dir);
  gst_fixture_run_launch (launch, 60 * GST_SECOND);

  for (i = 0; i < 3; i++) {
    PngFixtureImage original, again;
    gchar *contents, *msg = NULL;
    gsize len;

    path = g_strdup_printf ("%s/out%03u.png", dir, i);
    g_assert_true (g_file_get_contents (path, &contents, &len, &err));
    reference (pngs[i], &original);
    if (!png_fixture_reference_decode ((guint8 *) contents, len, &again, &msg))
      g_error ("%s does not decode: %s", path, msg);
    assert_same_image (&again, &original, path);
    png_fixture_image_clear (&again);
    png_fixture_image_clear (&original);
    g_free (contents);
    g_unlink (path);
    g_free (path);
    g_bytes_unref (pngs[i]);
  }
  /* exactly three files */
  path = g_strdup_printf ("%s/out003.png", dir);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (path);

  gst_fixture_remove_tree (dir);
  g_free (launch);
  g_free (in_path);
  g_free (dir);
  g_byte_array_unref (stream);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);

  g_test_add_func ("/encode-roundtrip/every-kind-every-shape-keeps-every-pixel",
      test_every_kind_every_shape_keeps_every_pixel);
  g_test_add_func ("/encode-roundtrip/converting-filter-keeps-every-pixel",
      test_converting_filter_keeps_every_pixel);
  g_test_add_func ("/encode-roundtrip/one-file-per-image-with-multifilesink",
      test_one_file_per_image_with_multifilesink);
  return g_test_run ();
}
