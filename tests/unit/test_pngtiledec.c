/* pngtiledec: the promises of the streaming tiled PNG decoder, one test each.
 *
 * Tiles are collected by a probe on the decoder's src pad that keeps a deep
 * copy and drops the original, so tiles go back to the decoder's bounded
 * pool at once, as with a real consumer. The test reassembles images from
 * the tile metas and compares them with libpng's pull reader
 * (png_fixture_reference_decode). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <png.h>
#include <string.h>
#include <unistd.h>

#include "gsttilemeta.h"
#include "gstmessagethrottle.h"
#include "pngfixture.h"

typedef struct {
  GPtrArray *tiles;             /* GstBuffer copies */
  GPtrArray *caps;              /* caps current when each tile arrived */
  guint n_caps_events;
  GArray *held;                 /* held-bytes while each tile passed */
  GstElement *dec;
} Collected;

typedef struct {
  guint64 index;
  guint width, height;
  GstVideoFormat format;
  gsize stride;
  guint8 *pixels;
  guint n_tiles;
  GstClockTime pts, duration;
  gboolean complete;
} Image;

static GstPadProbeReturn
collect_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Collected *col = data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    guint64 held;

    g_ptr_array_add (col->tiles, gst_buffer_copy_deep (buf));
    g_ptr_array_add (col->caps, gst_pad_get_current_caps (pad));
    g_object_get (col->dec, "held-bytes", &held, NULL);
    g_array_append_val (col->held, held);
    return GST_PAD_PROBE_DROP;
  }
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS)
    col->n_caps_events++;
  return GST_PAD_PROBE_OK;
}

static void
collected_clear (Collected * col)
{
  g_ptr_array_unref (col->tiles);
  g_ptr_array_unref (col->caps);
  g_array_unref (col->held);
}

/* A decoder harness; @col (optional) collects its tiles. Properties as
 * "name", value pairs. */
static GstHarness *
dec_new (Collected * col, const gchar * first_prop, ...)
{
  GstHarness *h = gst_harness_new ("pngtiledec");
  va_list args;

  if (first_prop) {
    va_start (args, first_prop);
    g_object_set_valist (G_OBJECT (h->element), first_prop, args);
    va_end (args);
  }
  if (col) {
    GstPad *src = gst_element_get_static_pad (h->element, "src");

    memset (col, 0, sizeof (*col));
    col->tiles = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_buffer_unref);
    col->caps = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_caps_unref);
    col->held = g_array_new (FALSE, FALSE, sizeof (guint64));
    col->dec = h->element;
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, collect_probe, col, NULL);
    gst_object_unref (src);
  }
  gst_harness_set_src_caps_str (h, "image/png");
  return h;
}

static void
push_bytes (GstHarness * h, const guint8 * data, gsize size, gsize chunk,
    GstClockTime pts, GstClockTime duration)
{
  gsize off;

  for (off = 0; off < size; off += chunk) {
    gsize n = MIN (chunk, size - off);
    GstBuffer *buf = gst_buffer_new_memdup (data + off, n);

    if (off == 0) {
      GST_BUFFER_PTS (buf) = pts;
      GST_BUFFER_DURATION (buf) = duration;
    }
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
  }
}

static void
push_png (GstHarness * h, GBytes * png, gsize chunk)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);

  push_bytes (h, data, size, chunk, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
}

static GBytes *
make_png (guint w, guint h, gint color_type, gint depth, gboolean trns,
    gboolean interlaced, guint seed)
{
  PngFixtureSpec spec;

  png_fixture_spec_init (&spec, w, h, color_type, depth);
  spec.trns = trns;
  spec.interlaced = interlaced;
  spec.seed = seed;
  return png_fixture_encode (&spec);
}

static void
image_free (Image * img)
{
  g_free (img->pixels);
  g_free (img);
}

static void
assert_padding_zero (const guint8 * data, const GstVideoInfo * info,
    const GstTileMeta * meta)
{
  guint bpp = GST_VIDEO_INFO_COMP_PSTRIDE (info, 0);
  gsize stride = GST_VIDEO_INFO_PLANE_STRIDE (info, 0);
  guint y;
  gsize i;

  for (y = 0; y < (guint) GST_VIDEO_INFO_HEIGHT (info); y++) {
    const guint8 *row = data + y * stride;
    gsize from = y < meta->height ? (gsize) meta->width * bpp : 0;

    for (i = from; i < stride; i++)
      if (row[i] != 0)
        g_error ("tile %u,%u of image %" G_GUINT64_FORMAT ": padding byte "
            "%" G_GSIZE_FORMAT " of row %u is %u", meta->column, meta->row,
            meta->image_index, i, y, row[i]);
  }
}

/* Checks one tile against the grid it claims and the tile expected next. */
static void
check_tile (GstBuffer * buf, const GstVideoInfo * info, GstTileMeta * m,
    guint exp_col, guint exp_row)
{
  guint tw = GST_VIDEO_INFO_WIDTH (info), th = GST_VIDEO_INFO_HEIGHT (info);
  GstVideoCropMeta *crop = gst_buffer_get_video_crop_meta (buf);
  gboolean first = m->column == 0 && m->row == 0;

  g_assert_cmpuint (m->column, ==, exp_col);
  g_assert_cmpuint (m->row, ==, exp_row);
  g_assert_cmpuint (m->n_columns, ==, (m->image_width - 1) / tw + 1);
  g_assert_cmpuint (m->n_rows, ==, (m->image_height - 1) / th + 1);
  g_assert_cmpuint (m->x, ==, m->column * tw);
  g_assert_cmpuint (m->y, ==, m->row * th);
  g_assert_cmpuint (m->width, ==, MIN (tw, m->image_width - m->x));
  g_assert_cmpuint (m->height, ==, MIN (th, m->image_height - m->y));
  g_assert_cmpint (gst_tile_meta_is_first (m), ==, first);
  g_assert_cmpint (gst_tile_meta_is_last (m), ==,
      m->column == m->n_columns - 1 && m->row == m->n_rows - 1);
  g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, m->image_index);
  g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT),
      ==, !first);
  if (m->width < tw || m->height < th) {
    g_assert_nonnull (crop);
    g_assert_cmpuint (crop->width, ==, m->width);
    g_assert_cmpuint (crop->height, ==, m->height);
  } else {
    g_assert_null (crop);
  }
}

/* Rebuilds every image from the collected tiles, checking each tile's
 * meta, flags, timestamps and padding on the way. */
static GPtrArray *
assemble (Collected * col)
{
  GPtrArray *images = g_ptr_array_new_with_free_func ((GDestroyNotify)
      image_free);
  Image *img = NULL;
  guint i, exp_col = 0, exp_row = 0;

  for (i = 0; i < col->tiles->len; i++) {
    GstBuffer *buf = g_ptr_array_index (col->tiles, i);
    GstTileMeta *m = gst_buffer_get_tile_meta (buf);
    GstVideoInfo info;
    GstMapInfo map;
    guint bpp, y;

    g_assert_nonnull (m);
    g_assert_true (gst_video_info_from_caps (&info,
            g_ptr_array_index (col->caps, i)));
    bpp = GST_VIDEO_INFO_COMP_PSTRIDE (&info, 0);
    if (gst_tile_meta_is_first (m)) {
      img = g_new0 (Image, 1);
      img->index = m->image_index;
      img->width = m->image_width;
      img->height = m->image_height;
      img->format = GST_VIDEO_INFO_FORMAT (&info);
      img->stride = (gsize) img->width * bpp;
      img->pixels = g_malloc0 (img->stride * img->height);
      img->pts = GST_BUFFER_PTS (buf);
      img->duration = GST_BUFFER_DURATION (buf);
      g_ptr_array_add (images, img);
      exp_col = exp_row = 0;
    }
    g_assert_nonnull (img);
    g_assert_false (img->complete);
    g_assert_cmpuint (m->image_index, ==, img->index);
    g_assert_cmpint (GST_VIDEO_INFO_FORMAT (&info), ==, img->format);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, img->pts);
    g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, img->duration);
    check_tile (buf, &info, m, exp_col, exp_row);

    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    g_assert_cmpuint (map.size, >=, GST_VIDEO_INFO_SIZE (&info));
    assert_padding_zero (map.data, &info, m);
    for (y = 0; y < m->height; y++)
      memcpy (img->pixels + (gsize) (m->y + y) * img->stride +
          (gsize) m->x * bpp, map.data + y * GST_VIDEO_INFO_PLANE_STRIDE (&info,
              0), (gsize) m->width * bpp);
    gst_buffer_unmap (buf, &map);
    img->n_tiles++;
    img->complete = gst_tile_meta_is_last (m);
    if (++exp_col == m->n_columns) {
      exp_col = 0;
      exp_row++;
    }
  }
  return images;
}

static void
assert_image_equals_reference (const Image * img, GBytes * png)
{
  PngFixtureImage ref;
  gchar *err = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  guint y;

  g_assert_true (png_fixture_reference_decode (data, size, &ref, &err));
  g_assert_true (img->complete);
  g_assert_cmpuint (img->width, ==, ref.width);
  g_assert_cmpuint (img->height, ==, ref.height);
  g_assert_cmpstr (gst_video_format_to_string (img->format), ==,
      gst_video_format_to_string (ref.format));
  g_assert_cmpuint (img->stride, ==, ref.stride);
  for (y = 0; y < ref.height; y++)
    if (memcmp (img->pixels + y * img->stride, ref.pixels + y * ref.stride,
            ref.stride) != 0)
      g_error ("image %" G_GUINT64_FORMAT " row %u differs from the "
          "reference decode", img->index, y);
  png_fixture_image_clear (&ref);
}

/* Decodes @png with the given tile size, input chunking and inflater and
 * compares. */
static void
decode_and_compare_inflating (GBytes * png, guint tile_w, guint tile_h,
    gsize chunk, gboolean fast_inflate)
{
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", tile_w, "tile-height", tile_h,
      "fast-inflate", fast_inflate, NULL);
  GPtrArray *images;

  push_png (h, png, chunk);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  images = assemble (&col);
  g_assert_cmpuint (images->len, ==, 1);
  assert_image_equals_reference (g_ptr_array_index (images, 0), png);
  g_ptr_array_unref (images);
  collected_clear (&col);
  gst_harness_teardown (h);
}

static void
decode_and_compare (GBytes * png, guint tile_w, guint tile_h, gsize chunk)
{
  decode_and_compare_inflating (png, tile_w, tile_h, chunk, TRUE);
}

static void
decode_every_kind (gboolean interlaced)
{
  guint k;

  for (k = 0; k < png_fixture_n_kinds; k++) {
    const PngFixtureKind *kind = &png_fixture_kinds[k];
    GBytes *png = make_png (37, 29, kind->color_type, kind->bit_depth,
        kind->trns, interlaced, k + 1);

    decode_and_compare (png, 16, 8, 97);
    decode_and_compare (png, 0, 0, 4096);
    g_bytes_unref (png);
  }
}

static void
test_every_kind_matches_reference (void)
{
  decode_every_kind (FALSE);
}

static void
test_every_kind_adam7_matches_reference (void)
{
  decode_every_kind (TRUE);
}

static void
test_tile_sizes_divide_and_not (void)
{
  GBytes *png = make_png (64, 48, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 3);
  GBytes *tiny = make_png (5, 3, PNG_COLOR_TYPE_RGB_ALPHA, 8, FALSE, FALSE, 4);
  GBytes *tiny_i = make_png (5, 3, PNG_COLOR_TYPE_GRAY, 8, FALSE, TRUE, 5);

  decode_and_compare (png, 16, 16, 4096);       /* divides */
  decode_and_compare (png, 17, 13, 4096);       /* does not */
  decode_and_compare (png, 0, 7, 4096);         /* strips */
  decode_and_compare (png, 0, 0, 4096);         /* automatic */
  decode_and_compare (png, 100, 100, 4096);     /* clamped to the image */
  decode_and_compare (tiny, 1, 1, 4096);
  decode_and_compare (tiny, 2, 2, 1);
  decode_and_compare (tiny_i, 1, 1, 4096);
  g_bytes_unref (png);
  g_bytes_unref (tiny);
  g_bytes_unref (tiny_i);
}

static void
test_caps_describe_one_tile (void)
{
  GBytes *png = make_png (64, 48, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 3);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", 17, "tile-height", 100, NULL);
  GstVideoInfo info;

  push_png (h, png, 4096);
  g_assert_cmpuint (col.tiles->len, ==, 4);
  g_assert_true (gst_video_info_from_caps (&info,
          g_ptr_array_index (col.caps, 0)));
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, 17);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, 48);
  g_assert_cmpint (GST_VIDEO_INFO_FORMAT (&info), ==, GST_VIDEO_FORMAT_RGB);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

static void
test_automatic_tile_height_is_in_bytes (void)
{
  GBytes *narrow = make_png (256, 2000, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  GBytes *wide = make_png (4096, 40, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, NULL);
  GstVideoInfo info;

  push_png (h, narrow, 4096);
  g_assert_true (gst_video_info_from_caps (&info,
          g_ptr_array_index (col.caps, 0)));
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, (256 * 1024) / (256 * 3));
  push_png (h, wide, 4096);
  g_assert_true (gst_video_info_from_caps (&info,
          g_ptr_array_index (col.caps, col.caps->len - 1)));
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, 4096);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, (256 * 1024) / (4096 * 3));
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (narrow);
  g_bytes_unref (wide);
}

static void
test_any_input_chunking (void)
{
  GBytes *png = make_png (90, 70, PNG_COLOR_TYPE_RGB_ALPHA, 8, FALSE, FALSE, 9);
  GBytes *png_i = make_png (90, 70, PNG_COLOR_TYPE_RGB, 16, FALSE, TRUE, 9);
  gsize chunks[] = { 1, 7, 4096, G_MAXSIZE };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (chunks); i++) {
    decode_and_compare (png, 32, 32, chunks[i]);
    decode_and_compare (png_i, 32, 32, chunks[i]);
  }
  g_bytes_unref (png);
  g_bytes_unref (png_i);
}

/* Ancillary chunks of any size reach libpng whole, with either inflater and
 * in any chunking: a 300 KiB private chunk before a gray image's tRNS, and
 * a tEXt after its IDAT. The tRNS must still become alpha. */
static void
test_ancillary_chunks_reach_libpng (void)
{
  static const gchar text[] = "Comment\0written by the test";
  gsize big_len = 300 * 1024, i;
  guint8 *big = g_malloc (big_len);
  GBytes *plain = make_png (45, 33, PNG_COLOR_TYPE_GRAY, 8, TRUE, FALSE, 21);
  GBytes *with_big, *png;
  gsize chunks[] = { 7, 4096, G_MAXSIZE };

  for (i = 0; i < big_len; i++)
    big[i] = i * 7;
  with_big = png_fixture_insert_chunk (plain, "IHDR", "prVt", big, big_len);
  png = png_fixture_insert_chunk (with_big, "IDAT", "tEXt",
      (const guint8 *) text, sizeof (text) - 1);
  for (i = 0; i < G_N_ELEMENTS (chunks); i++) {
    decode_and_compare_inflating (png, 16, 16, chunks[i], TRUE);
    decode_and_compare_inflating (png, 16, 16, chunks[i], FALSE);
  }
  g_bytes_unref (png);
  g_bytes_unref (with_big);
  g_bytes_unref (plain);
  g_free (big);
}

/* Images that change size and format, back to back in one byte stream. */
static GPtrArray *
make_sequence (void)
{
  GPtrArray *pngs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);

  g_ptr_array_add (pngs, make_png (40, 30, PNG_COLOR_TYPE_RGB, 8, 0, 0, 1));
  g_ptr_array_add (pngs, make_png (40, 30, PNG_COLOR_TYPE_RGB, 8, 0, 0, 2));
  g_ptr_array_add (pngs, make_png (20, 10, PNG_COLOR_TYPE_GRAY, 8, 0, 0, 3));
  g_ptr_array_add (pngs, make_png (33, 17, PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, 0,
          4));
  g_ptr_array_add (pngs, make_png (20, 10, PNG_COLOR_TYPE_GRAY, 4, 0, 1, 5));
  return pngs;
}

static GByteArray *
concat (GPtrArray * pngs)
{
  GByteArray *all = g_byte_array_new ();
  guint i;

  for (i = 0; i < pngs->len; i++) {
    gsize size;
    const guint8 *data = g_bytes_get_data (g_ptr_array_index (pngs, i), &size);

    g_byte_array_append (all, data, size);
  }
  return all;
}

static void
test_back_to_back_images (void)
{
  GPtrArray *pngs = make_sequence ();
  GByteArray *all = concat (pngs);
  gsize chunks[] = { 1, 7, 4096, G_MAXSIZE };
  guint c, i;

  for (c = 0; c < G_N_ELEMENTS (chunks); c++) {
    Collected col;
    GstHarness *h = dec_new (&col, "tile-width", 16, "tile-height", 16, NULL);
    GPtrArray *images;

    push_bytes (h, all->data, all->len, chunks[c], GST_CLOCK_TIME_NONE,
        GST_CLOCK_TIME_NONE);
    g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
    images = assemble (&col);
    g_assert_cmpuint (images->len, ==, pngs->len);
    for (i = 0; i < pngs->len; i++) {
      Image *img = g_ptr_array_index (images, i);

      g_assert_cmpuint (img->index, ==, i);
      assert_image_equals_reference (img, g_ptr_array_index (pngs, i));
    }
    /* RGB 16x16, (same), GRAY8 16x10, RGBA64 16x16, GRAY8 16x10 */
    g_assert_cmpuint (col.n_caps_events, ==, 4);
    g_ptr_array_unref (images);
    collected_clear (&col);
    gst_harness_teardown (h);
  }
  g_byte_array_unref (all);
  g_ptr_array_unref (pngs);
}

static void
test_meta_fields_on_every_tile (void)
{
  GBytes *png = make_png (50, 30, PNG_COLOR_TYPE_GRAY, 8, FALSE, FALSE, 2);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", 20, "tile-height", 16, NULL);
  guint i;

  push_png (h, png, 4096);
  g_assert_cmpuint (col.tiles->len, ==, 6);
  for (i = 0; i < 6; i++) {
    GstBuffer *buf = g_ptr_array_index (col.tiles, i);
    GstTileMeta *m = gst_buffer_get_tile_meta (buf);
    guint c = i % 3, r = i / 3;

    g_assert_nonnull (m);
    g_assert_cmpuint (m->image_index, ==, 0);
    g_assert_cmpuint (m->image_width, ==, 50);
    g_assert_cmpuint (m->image_height, ==, 30);
    g_assert_cmpuint (m->column, ==, c);
    g_assert_cmpuint (m->row, ==, r);
    g_assert_cmpuint (m->n_columns, ==, 3);
    g_assert_cmpuint (m->n_rows, ==, 2);
    g_assert_cmpuint (m->x, ==, c * 20);
    g_assert_cmpuint (m->y, ==, r * 16);
    g_assert_cmpuint (m->width, ==, c == 2 ? 10 : 20);
    g_assert_cmpuint (m->height, ==, r == 1 ? 14 : 16);
    g_assert_cmpuint (m->flags, ==,
        (i == 0 ? GST_TILE_META_FLAG_FIRST_OF_IMAGE : 0) |
        (i == 5 ? GST_TILE_META_FLAG_LAST_OF_IMAGE : 0));
    g_assert_cmpint (gst_buffer_get_video_crop_meta (buf) != NULL, ==,
        c == 2 || r == 1);
    g_assert_cmpuint (gst_buffer_get_size (buf), ==, 20 * 16);
  }
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

/* Pool buffers are reused: a second image must not show the first one's
 * pixels in its padding (RGB rows of 5 pixels also have stride padding). */
static void
test_padding_is_zero (void)
{
  GBytes *a = make_png (5, 5, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  GBytes *b = make_png (5, 5, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 2);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", 3, "tile-height", 3, NULL);
  GPtrArray *images;
  guint i;

  for (i = 0; i < 3; i++) {
    push_png (h, a, 4096);
    push_png (h, b, 4096);
  }
  images = assemble (&col);     /* asserts zero padding on every tile */
  g_assert_cmpuint (images->len, ==, 6);
  for (i = 0; i < 6; i++)
    assert_image_equals_reference (g_ptr_array_index (images, i),
        i % 2 ? b : a);
  g_ptr_array_unref (images);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (a);
  g_bytes_unref (b);
}

static void
test_timestamps_from_buffers (void)
{
  GBytes *png = make_png (30, 30, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", 8, "tile-height", 8, NULL);
  GPtrArray *images;
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  guint i;

  /* the first buffer of each image carries its time, later ones none */
  push_bytes (h, data, size, 100, 1 * GST_SECOND, 2 * GST_SECOND);
  push_bytes (h, data, size, 100, 5 * GST_SECOND, GST_SECOND / 2);
  images = assemble (&col);     /* asserts equal times on all tiles */
  g_assert_cmpuint (images->len, ==, 2);
  for (i = 0; i < 2; i++) {
    Image *img = g_ptr_array_index (images, i);

    g_assert_cmpuint (img->n_tiles, ==, 16);
    g_assert_cmpuint (img->pts, ==, i ? 5 * GST_SECOND : GST_SECOND);
    g_assert_cmpuint (img->duration, ==, i ? GST_SECOND / 2 : 2 * GST_SECOND);
  }
  g_ptr_array_unref (images);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

static void
test_timestamps_from_framerate (void)
{
  GBytes *png = make_png (30, 30, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", 16, "tile-height", 16, NULL);
  GPtrArray *images;
  guint i;

  gst_harness_set_src_caps_str (h, "image/png, framerate=(fraction)5/1");
  for (i = 0; i < 3; i++)
    push_png (h, png, 4096);
  images = assemble (&col);
  g_assert_cmpuint (images->len, ==, 3);
  for (i = 0; i < 3; i++) {
    Image *img = g_ptr_array_index (images, i);

    g_assert_cmpuint (img->pts, ==, i * GST_SECOND / 5);
    g_assert_cmpuint (img->duration, ==, GST_SECOND / 5);
  }
  g_ptr_array_unref (images);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

static void
test_delta_unit_convention (void)
{
  GBytes *png = make_png (30, 20, PNG_COLOR_TYPE_GRAY, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", 10, "tile-height", 10, NULL);
  guint i;

  push_png (h, png, 4096);
  push_png (h, png, 4096);
  g_assert_cmpuint (col.tiles->len, ==, 12);
  for (i = 0; i < col.tiles->len; i++) {
    GstBuffer *buf = g_ptr_array_index (col.tiles, i);

    g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT),
        ==, i % 6 != 0);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, i / 6);
  }
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

static GstBus *
attach_bus (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  return bus;
}

static void
test_progress_messages (void)
{
  GBytes *png = make_png (20, 25, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  GBytes *png_i = make_png (20, 25, PNG_COLOR_TYPE_RGB, 8, FALSE, TRUE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-height", 4, "progress-rows", 10, NULL);
  GstBus *bus = attach_bus (h);
  guint expect_done[] = { 10, 20, 25, 10, 20, 25 };
  guint i;
  GstMessage *msg;

  push_png (h, png, 64);
  push_png (h, png_i, 64);
  for (i = 0; i < G_N_ELEMENTS (expect_done); i++) {
    const GstStructure *s;
    guint64 index;
    guint done, total;

    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
    g_assert_nonnull (msg);
    s = gst_message_get_structure (msg);
    g_assert_true (gst_structure_has_name (s, "pngtiledec-progress"));
    g_assert_true (gst_structure_get_uint64 (s, "image-index", &index));
    g_assert_true (gst_structure_get_uint (s, "rows-done", &done));
    g_assert_true (gst_structure_get_uint (s, "rows-total", &total));
    g_assert_cmpuint (index, ==, i / 3);
    g_assert_cmpuint (done, ==, expect_done[i]);
    g_assert_cmpuint (total, ==, 25);
    gst_message_unref (msg);
  }
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT));

  /* 0 turns them off */
  g_object_set (h->element, "progress-rows", 0, NULL);
  push_png (h, png, 64);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT));

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
  g_bytes_unref (png_i);
}

static guint
count_progress_for_images (guint64 interval, guint images)
{
  GBytes *png = make_png (4, 3, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "progress-rows", 1, "message-interval",
      interval, NULL);
  GstBus *bus = attach_bus (h);
  GstMessage *msg;
  guint i, n = 0;

  for (i = 0; i < images; i++)
    push_png (h, png, 4096);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    n++;
    gst_message_unref (msg);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
  return n;
}

/* 3 rows with progress-rows=1 offer 3 messages per image: 600 for 200
 * images. An hour's interval lets only the first burst through; 0 posts
 * them all. */
static void
test_progress_messages_bounded_by_message_interval (void)
{
  g_assert_cmpuint (count_progress_for_images (3600 * GST_SECOND, 200), ==,
      GST_MESSAGE_THROTTLE_BURST);
  g_assert_cmpuint (count_progress_for_images (0, 200), ==, 600);
}

static void
expect_rejected (GstElement * dec, const gchar * name, const GValue * bad)
{
  GValue before = G_VALUE_INIT, after = G_VALUE_INIT;

  g_value_init (&before, G_VALUE_TYPE (bad));
  g_value_init (&after, G_VALUE_TYPE (bad));
  g_object_get_property (G_OBJECT (dec), name, &before);
  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*");
  g_object_set_property (G_OBJECT (dec), name, bad);
  g_test_assert_expected_messages ();
  g_object_get_property (G_OBJECT (dec), name, &after);
  g_assert_cmpint (gst_value_compare (&before, &after), ==, GST_VALUE_EQUAL);
  g_value_unset (&before);
  g_value_unset (&after);
}

static void
test_properties_validated (void)
{
  GstElement *dec = gst_element_factory_make ("pngtiledec", NULL);
  GValue v = G_VALUE_INIT;
  guint tw, th, pr;
  guint64 mp, mib, held;
  gint on_error;
  const gchar *names[] = { "tile-width", "tile-height", "max-pixels",
    "max-interlaced-bytes", "on-error", "progress-rows", "held-bytes"
  };
  guint i;

  g_assert_nonnull (dec);
  g_object_get (dec, "tile-width", &tw, "tile-height", &th, "max-pixels", &mp,
      "max-interlaced-bytes", &mib, "on-error", &on_error, "progress-rows",
      &pr, "held-bytes", &held, NULL);
  g_assert_cmpuint (tw, ==, 0);
  g_assert_cmpuint (th, ==, 0);
  g_assert_cmpuint (mp, >=, G_GUINT64_CONSTANT (65536) * 65536);
  g_assert_cmpuint (mib, ==, 256 << 20);
  g_assert_cmpint (on_error, ==, 0);
  g_assert_cmpuint (pr, >, 0);
  g_assert_cmpuint (held, ==, 0);

  /* every property documents itself */
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (dec),
        names[i]);

    g_assert_nonnull (p);
    g_assert_cmpuint (strlen (g_param_spec_get_blurb (p)), >, 30);
  }

  gst_util_set_object_arg (G_OBJECT (dec), "on-error", "skip");
  g_object_get (dec, "on-error", &on_error, NULL);
  g_assert_cmpint (on_error, ==, 1);

  g_value_init (&v, G_TYPE_UINT);
  g_value_set_uint (&v, G_MAXUINT);
  expect_rejected (dec, "tile-width", &v);
  expect_rejected (dec, "tile-height", &v);
  expect_rejected (dec, "progress-rows", &v);
  g_value_unset (&v);
  g_value_init (&v, G_TYPE_UINT64);
  g_value_set_uint64 (&v, G_MAXUINT64);
  expect_rejected (dec, "max-pixels", &v);
  g_value_unset (&v);
  g_value_init (&v, G_TYPE_UINT64);
  g_value_set_uint64 (&v, 5);
  expect_rejected (dec, "held-bytes", &v);
  g_value_unset (&v);
  g_value_init (&v, g_type_from_name ("GstPngTileDecOnError"));
  g_value_set_enum (&v, 7);
  expect_rejected (dec, "on-error", &v);
  g_value_unset (&v);
  gst_object_unref (dec);
}

static void
test_held_bytes_counts_unpushed_tiles (void)
{
  GBytes *png = make_png (64, 8, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", 16, "tile-height", 8, NULL);
  guint64 held;

  push_png (h, png, 4096);
  g_assert_cmpuint (col.tiles->len, ==, 4);
  /* while the first tile of the row passed, the other three were still
   * held; none while the last one passed */
  g_assert_cmpuint (g_array_index (col.held, guint64, 0) -
      g_array_index (col.held, guint64, 3), ==, 3 * 16 * 8 * 3);
  g_assert_cmpuint (g_array_index (col.held, guint64, 3), >, 0);
  g_object_get (h->element, "held-bytes", &held, NULL);
  g_assert_cmpuint (held, ==, 0);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

/* held-bytes while an image's only tile passes: what libpng and zlib
 * allocated (row buffers, the inflate window) and, with fast-inflate, the
 * inflater's state and block. Wider images need longer row buffers; all of
 * it is released when the image is done. *fast_used: what fast-inflate
 * reads, FALSE in a build without ISA-L (then libpng inflates). */
static guint64
held_while_decoding (guint width, gboolean fast_inflate,
    gboolean * fast_used)
{
  GBytes *png = make_png (width, 4, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 2);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-height", 4, "fast-inflate",
      fast_inflate, NULL);
  guint64 during, after;

  g_object_get (h->element, "fast-inflate", fast_used, NULL);
  push_png (h, png, G_MAXSIZE);
  g_assert_cmpuint (col.tiles->len, ==, 1);
  during = g_array_index (col.held, guint64, 0);
  g_object_get (h->element, "held-bytes", &after, NULL);
  g_assert_cmpuint (after, ==, 0);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
  return during;
}

static void
test_held_bytes_counts_the_decoder (void)
{
  guint fast;

  for (fast = 0; fast <= 1; fast++) {
    gboolean fast_used;
    guint64 narrow = held_while_decoding (100, fast, &fast_used);
    guint64 wide = held_while_decoding (6000, fast, &fast_used);

    /* fast-inflate reads FALSE only in a build without ISA-L */
    g_assert_true (fast || !fast_used);
    /* libpng's two rows (and zlib's window, which libpng sizes to the
     * data), and the inflater's 64 KiB block while it runs */
    g_assert_cmpuint (narrow, >=, 2 * 100 * 3 +
        (fast_used ? 64 * 1024 : 0));
    /* libpng's row buffers grow with the width (3 bytes per pixel) */
    g_assert_cmpuint (wide - narrow, >=, (6000 - 100) * 3);
    /* and not the whole image, nor a chunk cache */
    g_assert_cmpuint (wide, <, 1024 * 1024);
  }
}

static void
test_flush_resets_state (void)
{
  GBytes *png = make_png (40, 40, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "tile-width", 0, "tile-height", 4, NULL);
  GPtrArray *images;
  GstSegment seg;
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);

  push_bytes (h, data, size / 2, 64, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_BYTES);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  g_ptr_array_set_size (col.tiles, 0);
  g_ptr_array_set_size (col.caps, 0);
  push_png (h, png, 64);
  images = assemble (&col);
  g_assert_cmpuint (images->len, ==, 1);
  g_assert_cmpuint (((Image *) g_ptr_array_index (images, 0))->index, ==, 0);
  assert_image_equals_reference (g_ptr_array_index (images, 0), png);
  g_ptr_array_unref (images);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

typedef struct {
  GstHarness *h;
  GBytes *png;
  GstFlowReturn ret;
  gint done;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;
  gsize size;
  const guint8 *bytes = g_bytes_get_data (job->png, &size);

  job->ret = gst_harness_push (job->h, gst_buffer_new_memdup (bytes, size));
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

static gboolean
wait_until (gint * flag, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;

  while (!g_atomic_int_get (flag)) {
    if (g_get_monotonic_time () > end)
      return FALSE;
    g_usleep (2000);
  }
  return TRUE;
}

/* The harness keeps every tile it receives until pulled: the decoder must
 * stop at its pool's bound, go on when a tile is released, and a flush must
 * wake it. */
static void
test_backpressure_and_flush_unblocks (void)
{
  /* strips of 4000 x 32 RGB (375 KiB) are above GST_TILE_POOL_MIN_BYTES, so
   * the pool's bound is its count */
  GBytes *png = make_png (4000, 400, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  GstHarness *h = dec_new (NULL, "tile-height", 32, NULL);
  PushJob job = { h, png, GST_FLOW_OK, 0 };
  GThread *thread;
  GstBuffer *buf;
  guint held;

  thread = g_thread_new ("push", push_thread, &job);
  g_usleep (300 * 1000);
  held = gst_harness_buffers_in_queue (h);
  g_assert_false (g_atomic_int_get (&job.done));
  /* strips: one column, so a pool of 2 tiles */
  g_assert_cmpuint (held, ==, 2);

  /* releasing one tile lets exactly one more through */
  buf = gst_harness_pull (h);
  gst_buffer_unref (buf);
  g_usleep (200 * 1000);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, held);
  g_assert_false (g_atomic_int_get (&job.done));

  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (wait_until (&job.done, 5 * G_USEC_PER_SEC));
  g_thread_join (thread);
  g_assert_cmpint (job.ret, ==, GST_FLOW_FLUSHING);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));

  gst_harness_teardown (h);
  g_bytes_unref (png);
}

static GstPadProbeReturn
declare_min_buffers (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  gst_query_add_allocation_pool (query, NULL, 0, GPOINTER_TO_UINT (data), 0);
  return GST_PAD_PROBE_HANDLED;
}

/* A downstream that says it keeps 3 buffers (no pool of its own) gets them
 * on top of the decoder's 2 x columns. */
static void
test_pool_bound_adds_what_downstream_keeps (void)
{
  GBytes *png = make_png (4000, 400, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  GstHarness *h = gst_harness_new ("pngtiledec");
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  PushJob job = { h, png, GST_FLOW_OK, 0 };
  GThread *thread;

  g_object_set (h->element, "tile-height", 32, NULL);
  g_assert_cmpuint (4000 * 32 * 3, >, GST_TILE_POOL_MIN_BYTES);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      declare_min_buffers, GUINT_TO_POINTER (3), NULL);
  gst_object_unref (src);
  gst_harness_set_src_caps_str (h, "image/png");
  thread = g_thread_new ("push", push_thread, &job);
  g_usleep (300 * 1000);
  g_assert_false (g_atomic_int_get (&job.done));
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 3 + 2);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (wait_until (&job.done, 5 * G_USEC_PER_SEC));
  g_thread_join (thread);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

static void
test_eos_mid_image_is_error_naming_location (void)
{
  GBytes *png = make_png (40, 40, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, NULL);
  GstBus *bus = attach_bus (h);
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);

  gst_harness_push_event (h, gst_event_new_tag (gst_tag_list_new
          (GST_TAG_LOCATION, "file:///data/frame007.png", NULL)));
  push_bytes (h, data, size, size, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  push_bytes (h, data, size - 20, 4096, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE);
  gst_harness_push_event (h, gst_event_new_eos ());
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &err, &debug);
  g_assert_true (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECODE));
  g_assert_nonnull (strstr (err->message, "image 1"));
  g_assert_nonnull (strstr (err->message, "frame007.png"));
  g_assert_nonnull (strstr (err->message, "IEND"));
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

/* A file boundary marked by the buffer flags (as seqfilesrc does) ends a
 * truncated image; the next file still decodes. */
static void
test_new_file_ends_truncated_image (void)
{
  GBytes *png = make_png (40, 40, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "on-error", 1, NULL);
  GstBus *bus = attach_bus (h);
  GPtrArray *images;
  GstMessage *msg;
  gsize size, off;
  const guint8 *data = g_bytes_get_data (png, &size);
  guint file;

  for (file = 0; file < 3; file++) {
    gsize end = file == 1 ? size / 2 : size;

    for (off = 0; off < end; off += 300) {
      GstBuffer *buf = gst_buffer_new_memdup (data + off, MIN (300, end - off));

      if (off > 0)
        GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
      g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    }
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (msg);
  gst_message_unref (msg);
  images = assemble (&col);
  g_assert_cmpuint (images->len, >=, 2);
  g_assert_cmpuint (((Image *) g_ptr_array_index (images, 0))->index, ==, 0);
  assert_image_equals_reference (g_ptr_array_index (images, 0), png);
  g_assert_cmpuint (((Image *) g_ptr_array_index (images,
                  images->len - 1))->index, ==, 2);
  assert_image_equals_reference (g_ptr_array_index (images, images->len - 1),
      png);
  g_ptr_array_unref (images);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

static void
push_location (GstHarness * h, const gchar * uri)
{
  g_assert_true (gst_harness_push_event (h,
          gst_event_new_tag (gst_tag_list_new (GST_TAG_LOCATION, uri,
                  NULL))));
}

/* seqfilesrc announces each file with a location tag; a small file is one
 * buffer, so that tag is what shows where a truncated file ended. */
static void
test_location_tag_marks_file_boundary (void)
{
  GBytes *png = make_png (40, 40, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 1);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  guint skip;

  for (skip = 0; skip < 2; skip++) {
    Collected col;
    GstHarness *h = dec_new (&col, "on-error", skip, NULL);
    GstBus *bus = attach_bus (h);
    GstMessage *msg;
    GError *err = NULL;
    GPtrArray *images;
    GstFlowReturn ret;

    push_location (h, "file:///seq/a.png");
    g_assert_cmpint (gst_harness_push (h, gst_buffer_new_memdup (data,
                size - 100)), ==, GST_FLOW_OK);
    push_location (h, "file:///seq/b.png");
    ret = gst_harness_push (h, gst_buffer_new_memdup (data, size));
    msg = gst_bus_pop_filtered (bus, skip ? GST_MESSAGE_WARNING :
        GST_MESSAGE_ERROR);
    g_assert_nonnull (msg);
    if (skip)
      gst_message_parse_warning (msg, &err, NULL);
    else
      gst_message_parse_error (msg, &err, NULL);
    g_assert_nonnull (strstr (err->message, "image 0 (file:///seq/a.png)"));
    g_clear_error (&err);
    gst_message_unref (msg);

    images = assemble (&col);
    if (skip) {
      g_assert_cmpint (ret, ==, GST_FLOW_OK);
      g_assert_cmpuint (images->len, ==, 1);
      g_assert_cmpuint (((Image *) g_ptr_array_index (images, 0))->index, ==,
          1);
      assert_image_equals_reference (g_ptr_array_index (images, 0), png);
    } else {
      g_assert_cmpint (ret, ==, GST_FLOW_ERROR);
      g_assert_cmpuint (images->len, ==, 0);
    }
    g_ptr_array_unref (images);
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
    collected_clear (&col);
    gst_harness_teardown (h);
  }
  g_bytes_unref (png);
}

static void
test_empty_file_is_reported (void)
{
  GBytes *png = make_png (20, 20, PNG_COLOR_TYPE_GRAY, 8, FALSE, FALSE, 1);
  Collected col;
  GstHarness *h = dec_new (&col, "on-error", 1, NULL);
  GstBus *bus = attach_bus (h);
  GstMessage *msg;
  GError *err = NULL;
  GPtrArray *images;

  push_location (h, "file:///seq/empty.png");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new ()), ==, GST_FLOW_OK);
  push_location (h, "file:///seq/next.png");
  push_png (h, png, G_MAXSIZE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (msg);
  gst_message_parse_warning (msg, &err, NULL);
  g_assert_nonnull (strstr (err->message, "image 0 (file:///seq/empty.png)"));
  g_assert_nonnull (strstr (err->message, "empty"));
  g_clear_error (&err);
  gst_message_unref (msg);
  images = assemble (&col);
  g_assert_cmpuint (images->len, ==, 1);
  g_assert_cmpuint (((Image *) g_ptr_array_index (images, 0))->index, ==, 1);
  g_ptr_array_unref (images);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  collected_clear (&col);
  gst_harness_teardown (h);
  g_bytes_unref (png);
}

/* Flips a byte inside the first IDAT chunk's data (CRC left wrong). */
static GByteArray *
corrupt_first_idat (GBytes * png)
{
  gsize size, off = 8;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, data, size);
  while (off + 8 <= size) {
    guint32 len = png_fixture_read_be32 (out->data + off);

    if (memcmp (out->data + off + 4, "IDAT", 4) == 0) {
      out->data[off + 8 + MIN (len - 1, 10)] ^= 0x55;
      return out;
    }
    off += 12 + len;
  }
  g_assert_not_reached ();
}

static void
test_skip_resyncs_across_chunk_boundaries (void)
{
  GPtrArray *pngs = make_sequence ();
  gsize chunks[] = { 1, 7, 4096, G_MAXSIZE };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (chunks); c++) {
    GByteArray *bad = corrupt_first_idat (g_ptr_array_index (pngs, 1));
    GByteArray *all = g_byte_array_new ();
    Collected col;
    GstHarness *h = dec_new (&col, "on-error", 1, "tile-width", 16,
        "tile-height", 16, NULL);
    GstBus *bus = attach_bus (h);
    GPtrArray *images;
    Image *first, *last;
    GstMessage *msg;
    GError *err = NULL;
    gsize s0, s2;
    const guint8 *d0 = g_bytes_get_data (g_ptr_array_index (pngs, 0), &s0);
    const guint8 *d2 = g_bytes_get_data (g_ptr_array_index (pngs, 2), &s2);

    g_byte_array_append (all, d0, s0);
    g_byte_array_append (all, bad->data, bad->len);
    g_byte_array_append (all, d2, s2);
    push_bytes (h, all->data, all->len, chunks[c], GST_CLOCK_TIME_NONE,
        GST_CLOCK_TIME_NONE);
    gst_harness_push_event (h, gst_event_new_eos ());

    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
    g_assert_nonnull (msg);
    gst_message_parse_warning (msg, &err, NULL);
    g_assert_true (g_error_matches (err, GST_STREAM_ERROR,
            GST_STREAM_ERROR_DECODE));
    g_assert_nonnull (strstr (err->message, "image 1"));
    g_clear_error (&err);
    gst_message_unref (msg);
    g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR |
            GST_MESSAGE_WARNING));

    /* tiles of image 1 decoded before libpng read the bad CRC may have
     * gone out, but never its last tile */
    images = assemble (&col);
    g_assert_cmpuint (images->len, >=, 2);
    g_assert_cmpuint (images->len, <=, 3);
    first = g_ptr_array_index (images, 0);
    last = g_ptr_array_index (images, images->len - 1);
    if (images->len == 3) {
      g_assert_cmpuint (((Image *) g_ptr_array_index (images, 1))->index, ==,
          1);
      g_assert_false (((Image *) g_ptr_array_index (images, 1))->complete);
    }
    g_assert_cmpuint (first->index, ==, 0);
    g_assert_cmpuint (last->index, ==, 2);
    assert_image_equals_reference (first, g_ptr_array_index (pngs, 0));
    assert_image_equals_reference (last, g_ptr_array_index (pngs, 2));

    g_ptr_array_unref (images);
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
    collected_clear (&col);
    gst_harness_teardown (h);
    g_byte_array_unref (all);
    g_byte_array_unref (bad);
  }
  g_ptr_array_unref (pngs);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  /* a decoder that blocks where it should not fails the run, never hangs */
  alarm (120);
  g_test_add_func ("/pngtiledec/every-kind-matches-reference",
      test_every_kind_matches_reference);
  g_test_add_func ("/pngtiledec/every-kind-adam7-matches-reference",
      test_every_kind_adam7_matches_reference);
  g_test_add_func ("/pngtiledec/tile-sizes-divide-and-not",
      test_tile_sizes_divide_and_not);
  g_test_add_func ("/pngtiledec/caps-describe-one-tile",
      test_caps_describe_one_tile);
  g_test_add_func ("/pngtiledec/automatic-tile-height-is-in-bytes",
      test_automatic_tile_height_is_in_bytes);
  g_test_add_func ("/pngtiledec/any-input-chunking", test_any_input_chunking);
  g_test_add_func ("/pngtiledec/ancillary-chunks-reach-libpng",
      test_ancillary_chunks_reach_libpng);
  g_test_add_func ("/pngtiledec/back-to-back-images",
      test_back_to_back_images);
  g_test_add_func ("/pngtiledec/meta-fields-on-every-tile",
      test_meta_fields_on_every_tile);
  g_test_add_func ("/pngtiledec/padding-is-zero", test_padding_is_zero);
  g_test_add_func ("/pngtiledec/timestamps-from-buffers",
      test_timestamps_from_buffers);
  g_test_add_func ("/pngtiledec/timestamps-from-framerate",
      test_timestamps_from_framerate);
  g_test_add_func ("/pngtiledec/delta-unit-convention",
      test_delta_unit_convention);
  g_test_add_func ("/pngtiledec/progress-messages", test_progress_messages);
  g_test_add_func ("/pngtiledec/progress-messages-bounded-by-message-interval",
      test_progress_messages_bounded_by_message_interval);
  g_test_add_func ("/pngtiledec/properties-validated",
      test_properties_validated);
  g_test_add_func ("/pngtiledec/held-bytes-counts-unpushed-tiles",
      test_held_bytes_counts_unpushed_tiles);
  g_test_add_func ("/pngtiledec/held-bytes-counts-the-decoder",
      test_held_bytes_counts_the_decoder);
  g_test_add_func ("/pngtiledec/flush-resets-state", test_flush_resets_state);
  g_test_add_func ("/pngtiledec/backpressure-and-flush-unblocks",
      test_backpressure_and_flush_unblocks);
  g_test_add_func ("/pngtiledec/pool-bound-adds-what-downstream-keeps",
      test_pool_bound_adds_what_downstream_keeps);
  g_test_add_func ("/pngtiledec/eos-mid-image-is-error-naming-location",
      test_eos_mid_image_is_error_naming_location);
  g_test_add_func ("/pngtiledec/new-file-ends-truncated-image",
      test_new_file_ends_truncated_image);
  g_test_add_func ("/pngtiledec/location-tag-marks-file-boundary",
      test_location_tag_marks_file_boundary);
  g_test_add_func ("/pngtiledec/empty-file-is-reported",
      test_empty_file_is_reported);
  g_test_add_func ("/pngtiledec/skip-resyncs-across-chunk-boundaries",
      test_skip_resyncs_across_chunk_boundaries);
  return g_test_run ();
}
