/* pngtiledec and bad input, in real pipelines with a bus and a timeout:
 * every kind of damage is an error (or, with on-error=skip, a warning) that
 * names the image and what to change; nothing hangs, nothing passes
 * silently.
 *
 * Each case runs four times: filesrc straight into the decoder (pull mode,
 * large reads) and through a queue (push mode, 4 KiB buffers), each with
 * the ISA-L inflater (fast-inflate, the default) and with libpng's own. */
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <png.h>
#include <string.h>

#include "gstfixture.h"
#include "gsttilemeta.h"
#include "pngfixture.h"

#define TIMEOUT (20 * GST_SECOND)

static gchar *tmp_dir;

typedef struct {
  const gchar *upstream;
  const gchar *decoder;
} Mode;

static const Mode modes[] = {
  {"", ""}, {"queue ! ", ""},
  {"", "fast-inflate=false"}, {"queue ! ", "fast-inflate=false"},
};

typedef struct {
  GstMessage *error;            /* first error, or NULL */
  GPtrArray *warnings;          /* GstMessage */
  gboolean eos;
  gint64 elapsed_us;
  GPtrArray *tiles;             /* deep copies of the decoder's output */
  GPtrArray *caps;
} RunResult;

static void
run_result_clear (RunResult * r)
{
  if (r->error)
    gst_message_unref (r->error);
  g_ptr_array_unref (r->warnings);
  g_ptr_array_unref (r->tiles);
  g_ptr_array_unref (r->caps);
}

static gchar *
write_temp (const gchar * name, const guint8 * data, gsize size)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  GError *err = NULL;

  g_assert_true (g_file_set_contents (path, (const gchar *) data, size,
          &err));
  g_assert_no_error (err);
  return path;
}

static GstPadProbeReturn
keep_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RunResult *r = data;

  g_ptr_array_add (r->tiles,
      gst_buffer_copy_deep (GST_PAD_PROBE_INFO_BUFFER (info)));
  g_ptr_array_add (r->caps, gst_pad_get_current_caps (pad));
  return GST_PAD_PROBE_OK;
}

/* Decodes @path with "pngtiledec @props" until EOS or an error. */
static void
run_decoder (const Mode * mode, const gchar * path, const gchar * props,
    RunResult * r)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! %s pngtiledec "
      "name=dec %s %s ! fakesink", path, mode->upstream, mode->decoder,
      props ? props : "");
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *dec;
  GstPad *src;
  GstBus *bus;
  gint64 start;

  g_assert_no_error (err);
  memset (r, 0, sizeof (*r));
  r->warnings = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  r->tiles = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  r->caps = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_caps_unref);
  dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  src = gst_element_get_static_pad (dec, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, keep_probe, r, NULL);
  gst_object_unref (src);
  gst_object_unref (dec);

  bus = gst_element_get_bus (pipeline);
  start = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!r->error && !r->eos) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, TIMEOUT,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

    if (!msg)
      g_error ("%s: neither EOS nor an error within the timeout", desc);
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ERROR:
        r->error = msg;
        break;
      case GST_MESSAGE_WARNING:
        g_ptr_array_add (r->warnings, msg);
        break;
      default:
        r->eos = TRUE;
        gst_message_unref (msg);
        break;
    }
  }
  r->elapsed_us = g_get_monotonic_time () - start;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
}

/* The error (or warning) is a STREAM/DECODE one whose message contains
 * every one of the NULL-terminated @needles. */
static void
assert_decode_message (GstMessage * msg, ...)
{
  GError *err = NULL;
  const gchar *needle;
  va_list args;

  g_assert_nonnull (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, NULL);
  else
    gst_message_parse_warning (msg, &err, NULL);
  g_assert_true (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECODE));
  g_clear_error (&err);
  va_start (args, msg);
  while ((needle = va_arg (args, const gchar *)))
    gst_fixture_assert_message_mentions (msg, needle);
  va_end (args);
}

static GBytes *
make_png (guint w, guint h, gint color_type, gboolean interlaced, guint seed)
{
  PngFixtureSpec spec;

  png_fixture_spec_init (&spec, w, h, color_type, 8);
  spec.interlaced = interlaced;
  spec.seed = seed;
  return png_fixture_encode (&spec);
}

/* Flips bytes inside the first IDAT; with @fix_crc the chunk CRC is
 * recomputed so that only the compressed data is wrong. */
static GByteArray *
corrupt_idat (GBytes * png, gboolean fix_crc)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *out = g_byte_array_new ();
  gsize off = png_fixture_find_chunk (data, size, "IDAT"), i;
  guint32 len = png_fixture_read_be32 (data + off);

  g_byte_array_append (out, data, size);
  for (i = 2; i < MIN (len, 40); i += 3)
    out->data[off + 8 + i] ^= 0xa5;
  if (fix_crc)
    png_fixture_fix_crc (out->data, off);
  return out;
}

static void
expect_error (const gchar * name, const guint8 * data, gsize size,
    const gchar * props, const gchar * n1, const gchar * n2)
{
  gchar *path = write_temp (name, data, size);
  guint m;

  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    RunResult r;

    run_decoder (&modes[m], path, props, &r);
    assert_decode_message (r.error, n1, n2, NULL);
    run_result_clear (&r);
  }
  g_free (path);
}

static void
test_truncated_file_is_error_naming_image (void)
{
  GBytes *png = make_png (200, 150, PNG_COLOR_TYPE_RGB, FALSE, 1);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  gchar *path = write_temp ("truncated.png", data, size / 2);
  guint m;

  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    RunResult r;

    run_decoder (&modes[m], path, NULL, &r);
    assert_decode_message (r.error, "image 0", "IEND", NULL);
    run_result_clear (&r);
  }
  /* in pull mode the decoder asks filesrc for the file name */
  {
    RunResult r;

    run_decoder (&modes[0], path, NULL, &r);
    assert_decode_message (r.error, "truncated.png", NULL);
    run_result_clear (&r);
  }
  g_free (path);
  g_bytes_unref (png);
}

static void
test_truncated_second_image_names_index_1 (void)
{
  GBytes *png = make_png (64, 64, PNG_COLOR_TYPE_RGB, FALSE, 1);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *all = g_byte_array_new ();

  g_byte_array_append (all, data, size);
  g_byte_array_append (all, data, size - 30);
  expect_error ("truncated-second.png", all->data, all->len, NULL, "image 1",
      "IEND");
  g_byte_array_unref (all);
  g_bytes_unref (png);
}

static void
test_corrupt_idat_is_error (void)
{
  GBytes *png = make_png (120, 90, PNG_COLOR_TYPE_RGB, FALSE, 2);
  GByteArray *bad = corrupt_idat (png, TRUE);

  expect_error ("corrupt-idat.png", bad->data, bad->len, NULL, "image 0",
      NULL);
  g_byte_array_unref (bad);
  g_bytes_unref (png);
}

/* A wrong CRC on the intact first chunk of @type: only the CRC check can
 * catch it. */
static GByteArray *
corrupt_crc (GBytes * png, const gchar * type)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *out = g_byte_array_new ();
  gsize off = png_fixture_find_chunk (data, size, type);

  g_byte_array_append (out, data, size);
  out->data[off + 8 + png_fixture_read_be32 (data + off)] ^= 0x01;
  return out;
}

static void
test_crc_error_is_error (void)
{
  GBytes *png = make_png (120, 90, PNG_COLOR_TYPE_RGB, FALSE, 2);
  static const gchar *const critical[] = { "IHDR", "IDAT", "IEND" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (critical); i++) {
    GByteArray *bad = corrupt_crc (png, critical[i]);
    gchar *reason = g_strdup_printf ("%s: CRC error", critical[i]);

    expect_error ("crc.png", bad->data, bad->len, NULL, "image 0", reason);
    g_free (reason);
    g_byte_array_unref (bad);
  }
  g_bytes_unref (png);
}

/* An IDAT length beyond PNG's 2^31 - 1 is refused at the chunk header,
 * before anything waits for two gigabytes. */
static void
test_idat_length_out_of_range_is_error (void)
{
  GBytes *png = make_png (40, 30, PNG_COLOR_TYPE_RGB, FALSE, 4);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *bad = g_byte_array_new ();

  g_byte_array_append (bad, data, size);
  png_fixture_write_be32 (bad->data + png_fixture_find_chunk (data, size,
          "IDAT"), 0x80000000u);
  expect_error ("idat-length.png", bad->data, bad->len, NULL, "image 0",
      "out of range");
  g_byte_array_unref (bad);
  g_bytes_unref (png);
}

/* An ancillary chunk with a wrong CRC is dropped, as libpng drops it, and
 * the image still decodes: here a gray image loses its tRNS, so it comes
 * out as GRAY8 instead of RGBA. */
static void
test_ancillary_crc_error_drops_the_chunk (void)
{
  PngFixtureSpec spec;
  GBytes *png;
  GByteArray *bad;
  gchar *path;
  guint m;

  png_fixture_spec_init (&spec, 40, 30, PNG_COLOR_TYPE_GRAY, 8);
  spec.trns = TRUE;
  png = png_fixture_encode (&spec);
  bad = corrupt_crc (png, "tRNS");
  path = write_temp ("trns-crc.png", bad->data, bad->len);
  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    RunResult r;
    GstVideoInfo info;

    run_decoder (&modes[m], path, NULL, &r);
    g_assert_null (r.error);
    g_assert_true (r.eos);
    g_assert_cmpuint (r.warnings->len, ==, 0);
    g_assert_cmpuint (r.tiles->len, >, 0);
    g_assert_true (gst_video_info_from_caps (&info,
            g_ptr_array_index (r.caps, 0)));
    g_assert_cmpstr (gst_video_format_to_string (GST_VIDEO_INFO_FORMAT
            (&info)), ==, "GRAY8");
    run_result_clear (&r);
  }
  g_free (path);
  g_byte_array_unref (bad);
  g_bytes_unref (png);
}

/* Intact chunks around a zlib stream whose Adler-32 is wrong: the pixels
 * cannot be trusted, so it is an error, whichever inflater runs. */
static void
test_wrong_zlib_check_is_error (void)
{
  GBytes *png = make_png (120, 90, PNG_COLOR_TYPE_RGB, FALSE, 3);
  gsize size, off = 8, last = 0;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *bad = g_byte_array_new ();
  guint32 len;

  while (off + 12 <= size) {
    if (memcmp (data + off + 4, "IDAT", 4) == 0)
      last = off;
    off += 12 + png_fixture_read_be32 (data + off);
  }
  g_assert_cmpuint (last, >, 0);
  len = png_fixture_read_be32 (data + last);
  g_assert_cmpuint (len, >=, 4);
  g_byte_array_append (bad, data, size);
  bad->data[last + 8 + len - 1] ^= 0x40;
  png_fixture_fix_crc (bad->data, last);
  expect_error ("adler.png", bad->data, bad->len, NULL, "image 0", NULL);
  g_byte_array_unref (bad);
  g_bytes_unref (png);
}

/* A copy of @png with bits of its zlib header (FLG, in the first IDAT) or
 * of its Adler-32 (in the last) set to @set under @mask; with @fcheck the
 * header's check bits are made right again, as the CRCs are. */
static GByteArray *
damage_zlib (GBytes * png, gboolean header, guint8 mask, guint8 set,
    gboolean fcheck)
{
  gsize size, off = 8, first = 0, last = 0;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *bad = g_byte_array_new ();
  gsize at;

  while (off + 12 <= size) {
    if (memcmp (data + off + 4, "IDAT", 4) == 0) {
      if (!first)
        first = off;
      last = off;
    }
    off += 12 + png_fixture_read_be32 (data + off);
  }
  g_assert_cmpuint (first, >, 0);
  g_byte_array_append (bad, data, size);
  /* the header's second byte (FLG); the Adler-32's last byte */
  at = header ? first + 8 + 1 : last + 8 + png_fixture_read_be32 (data +
      last) - 1;
  bad->data[at] = (bad->data[at] & ~mask) | set;
  if (fcheck) {
    guint cmf = bad->data[at - 1], flg = bad->data[at] & 0xe0;

    bad->data[at] = flg | ((31 - (cmf * 256 + flg) % 31) % 31);
  }
  png_fixture_fix_crc (bad->data, header ? first : last);
  return bad;
}

/* A damaged zlib wrapper fails the image whichever thread checks it: the
 * inflating one (the header) or the one feeding libpng (the Adler-32,
 * summed where the rows are unfiltered), on an image large enough for the
 * inflate thread and one too small for it, with one and two threads. */
static void
test_damaged_zlib_wrapper_every_thread_count (void)
{
  static const struct {
    gboolean header;
    guint8 mask, set;
    gboolean fcheck;
    const gchar *reason;        /* with fast-inflate */
  } damages[] = {
    {FALSE, 0x40, 0x00, FALSE, "Adler-32"},
    {FALSE, 0x40, 0x40, FALSE, "Adler-32"},
    {TRUE, 0x20, 0x20, TRUE, "dictionary"},
    {TRUE, 0x01, 0x00, FALSE, "header check"},
    {TRUE, 0x01, 0x01, FALSE, "header check"},
  };
  static const gchar *const threads[] = { "threads=1", "threads=2", "" };
  static const guint sides[] = { 40, 600 };
  guint d, t, s, m;

  for (s = 0; s < G_N_ELEMENTS (sides); s++) {
    GBytes *png = make_png (sides[s], sides[s], PNG_COLOR_TYPE_RGB, FALSE, 5);

    for (d = 0; d < G_N_ELEMENTS (damages); d++) {
      GByteArray *bad = damage_zlib (png, damages[d].header,
          damages[d].mask, damages[d].set, damages[d].fcheck);
      gchar *path;

      /* a change the wrapper's own checks must catch: skip the one of the
       * two bit values the file already has */
      if (memcmp (bad->data, g_bytes_get_data (png, NULL), bad->len) == 0) {
        g_byte_array_unref (bad);
        continue;
      }
      path = write_temp ("zlib-wrapper.png", bad->data, bad->len);
      for (t = 0; t < G_N_ELEMENTS (threads); t++) {
        for (m = 0; m < G_N_ELEMENTS (modes); m++) {
          RunResult r;
          gboolean fast = strstr (modes[m].decoder, "false") == NULL;

          run_decoder (&modes[m], path, threads[t], &r);
          assert_decode_message (r.error, "image 0",
              fast ? damages[d].reason : NULL, NULL);
          run_result_clear (&r);
        }
      }
      g_free (path);
      g_byte_array_unref (bad);
    }
    g_bytes_unref (png);
  }
}

static void
test_not_a_png_is_error (void)
{
  const gchar *text = "This is a text file, not a PNG image at all.\n";

  expect_error ("not-a-png.png", (const guint8 *) text, strlen (text), NULL,
      "image 0", "PNG");
}

/* A 10^12-pixel header followed by a little junk: refused at the IHDR,
 * before any image memory, quickly. */
static void
test_bomb_header_refused_at_once (void)
{
  guint8 head[8 + 25];
  GByteArray *all = g_byte_array_new ();
  guint8 junk[4096];
  gchar *path;
  guint m;

  memcpy (head, "\x89PNG\r\n\x1a\n", 8);
  png_fixture_write_be32 (head + 8, 13);
  memcpy (head + 12, "IHDR", 4);
  png_fixture_write_be32 (head + 16, 1000000);
  png_fixture_write_be32 (head + 20, 1000000);
  head[24] = 8;                 /* depth */
  head[25] = 2;                 /* RGB */
  head[26] = head[27] = head[28] = 0;
  png_fixture_fix_crc (head, 8);
  g_byte_array_append (all, head, sizeof (head));
  memset (junk, 0x11, sizeof (junk));
  g_byte_array_append (all, junk, sizeof (junk));
  path = write_temp ("bomb.png", all->data, all->len);

  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    RunResult r;

    run_decoder (&modes[m], path, NULL, &r);
    assert_decode_message (r.error, "image 0", "max-pixels", NULL);
    g_assert_cmpint (r.elapsed_us, <, 3 * G_USEC_PER_SEC);
    g_assert_cmpuint (r.tiles->len, ==, 0);
    run_result_clear (&r);
  }
  g_free (path);
  g_byte_array_unref (all);
}

/* A 64 MiB private chunk before the image data: libpng would keep all of it
 * before looking at it; the decoder refuses it at its header. */
static void
test_huge_metadata_chunk_refused (void)
{
  GBytes *png = make_png (64, 64, PNG_COLOR_TYPE_RGB, FALSE, 8);
  gsize size, idat;
  const guint8 *data = g_bytes_get_data (png, &size);
  GByteArray *all = g_byte_array_new ();
  guint32 len = 64 << 20;
  guint8 header[8];
  guint8 *body = g_malloc0 (len + 4);
  gchar *path;
  guint m;

  idat = png_fixture_find_chunk (data, size, "IDAT");
  g_byte_array_append (all, data, idat);
  png_fixture_write_be32 (header, len);
  memcpy (header + 4, "prVt", 4);
  g_byte_array_append (all, header, 8);
  g_byte_array_append (all, body, len + 4);
  g_byte_array_append (all, data + idat, size - idat);
  path = write_temp ("huge-chunk.png", all->data, all->len);
  g_byte_array_unref (all);
  g_free (body);

  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    RunResult r;

    run_decoder (&modes[m], path, NULL, &r);
    assert_decode_message (r.error, "image 0", "MiB allowed for metadata",
        NULL);
    run_result_clear (&r);
  }
  g_unlink (path);
  g_free (path);
  g_bytes_unref (png);
}

static void
test_max_pixels_is_configurable (void)
{
  GBytes *png = make_png (100, 100, PNG_COLOR_TYPE_RGB, FALSE, 3);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  gchar *path = write_temp ("small.png", data, size);
  RunResult r;

  run_decoder (&modes[0], path, "max-pixels=9999", &r);
  assert_decode_message (r.error, "image 0", "max-pixels=9999", NULL);
  run_result_clear (&r);
  run_decoder (&modes[0], path, "max-pixels=10000", &r);
  g_assert_null (r.error);
  g_assert_true (r.eos);
  run_result_clear (&r);
  g_free (path);
  g_bytes_unref (png);
}

static void
test_interlaced_above_limit_names_property (void)
{
  GBytes *png = make_png (200, 200, PNG_COLOR_TYPE_RGB, TRUE, 4);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);

  expect_error ("adam7.png", data, size, "max-interlaced-bytes=1000",
      "image 0", "max-interlaced-bytes");
  expect_error ("adam7.png", data, size, "max-interlaced-bytes=0",
      "image 0", "max-interlaced-bytes");
  g_bytes_unref (png);
}

/* Compares the tiles of @index (full-width strips) with the reference. */
static void
assert_image_decoded (RunResult * r, guint64 index, GBytes * png)
{
  PngFixtureImage ref;
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  guint i, rows = 0;
  gboolean last = FALSE;

  g_assert_true (png_fixture_reference_decode (data, size, &ref, NULL));
  for (i = 0; i < r->tiles->len; i++) {
    GstBuffer *buf = g_ptr_array_index (r->tiles, i);
    GstTileMeta *m = gst_buffer_get_tile_meta (buf);
    GstVideoInfo info;
    GstMapInfo map;
    guint y;

    g_assert_nonnull (m);
    if (m->image_index != index)
      continue;
    g_assert_true (gst_video_info_from_caps (&info,
            g_ptr_array_index (r->caps, i)));
    g_assert_cmpuint (m->n_columns, ==, 1);
    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    for (y = 0; y < m->height; y++)
      g_assert_cmpint (memcmp (map.data + y * GST_VIDEO_INFO_PLANE_STRIDE
              (&info, 0), ref.pixels + (m->y + y) * ref.stride, ref.stride),
          ==, 0);
    gst_buffer_unmap (buf, &map);
    rows += m->height;
    last = gst_tile_meta_is_last (m);
  }
  g_assert_cmpuint (rows, ==, ref.height);
  g_assert_true (last);
  png_fixture_image_clear (&ref);
}

static void
test_skip_drops_only_the_corrupt_image (void)
{
  GBytes *a = make_png (64, 48, PNG_COLOR_TYPE_RGB, FALSE, 5);
  GBytes *b = make_png (80, 40, PNG_COLOR_TYPE_RGB_ALPHA, FALSE, 6);
  GBytes *c = make_png (64, 48, PNG_COLOR_TYPE_GRAY, FALSE, 7);
  GByteArray *bad = corrupt_idat (b, FALSE);
  GByteArray *all = g_byte_array_new ();
  gchar *path;
  gsize sa, sc;
  const guint8 *da = g_bytes_get_data (a, &sa);
  const guint8 *dc = g_bytes_get_data (c, &sc);
  guint m, i;

  g_byte_array_append (all, da, sa);
  g_byte_array_append (all, bad->data, bad->len);
  g_byte_array_append (all, dc, sc);
  path = write_temp ("three.png", all->data, all->len);

  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    RunResult r;

    run_decoder (&modes[m], path, "on-error=skip tile-height=8", &r);
    g_assert_null (r.error);
    g_assert_true (r.eos);
    g_assert_cmpuint (r.warnings->len, ==, 1);
    assert_decode_message (g_ptr_array_index (r.warnings, 0), "image 1",
        NULL);
    assert_image_decoded (&r, 0, a);
    assert_image_decoded (&r, 2, c);
    for (i = 0; i < r.tiles->len; i++) {
      GstTileMeta *meta = gst_buffer_get_tile_meta (g_ptr_array_index (r.tiles,
              i));

      g_assert_true (meta->image_index != 1 || !gst_tile_meta_is_last (meta));
    }
    run_result_clear (&r);
  }
  g_free (path);
  g_byte_array_unref (all);
  g_byte_array_unref (bad);
  g_bytes_unref (a);
  g_bytes_unref (b);
  g_bytes_unref (c);
}

static void
test_skip_still_warns_on_truncated_end (void)
{
  GBytes *png = make_png (64, 64, PNG_COLOR_TYPE_RGB, FALSE, 1);
  gsize size;
  const guint8 *data = g_bytes_get_data (png, &size);
  gchar *path = write_temp ("skip-truncated.png", data, size - 40);
  guint m;

  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    RunResult r;

    run_decoder (&modes[m], path, "on-error=skip", &r);
    g_assert_null (r.error);
    g_assert_cmpuint (r.warnings->len, ==, 1);
    assert_decode_message (g_ptr_array_index (r.warnings, 0), "image 0",
        "IEND", NULL);
    run_result_clear (&r);
  }
  g_free (path);
  g_bytes_unref (png);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  tmp_dir = gst_fixture_make_tmp_dir ("membound-bad-input-XXXXXX");

  g_test_add_func ("/decode-bad-input/truncated-file-is-error-naming-image",
      test_truncated_file_is_error_naming_image);
  g_test_add_func ("/decode-bad-input/truncated-second-image-names-index-1",
      test_truncated_second_image_names_index_1);
  g_test_add_func ("/decode-bad-input/corrupt-idat-is-error",
      test_corrupt_idat_is_error);
  g_test_add_func ("/decode-bad-input/crc-error-in-a-critical-chunk-is-error",
      test_crc_error_is_error);
  g_test_add_func ("/decode-bad-input/idat-length-out-of-range-is-error",
      test_idat_length_out_of_range_is_error);
  g_test_add_func ("/decode-bad-input/ancillary-crc-error-drops-the-chunk",
      test_ancillary_crc_error_drops_the_chunk);
  g_test_add_func ("/decode-bad-input/wrong-zlib-check-is-error",
      test_wrong_zlib_check_is_error);
  g_test_add_func ("/decode-bad-input/damaged-zlib-wrapper-every-thread-count",
      test_damaged_zlib_wrapper_every_thread_count);
  g_test_add_func ("/decode-bad-input/not-a-png-is-error",
      test_not_a_png_is_error);
  g_test_add_func ("/decode-bad-input/bomb-header-refused-at-once",
      test_bomb_header_refused_at_once);
  g_test_add_func ("/decode-bad-input/huge-metadata-chunk-refused",
      test_huge_metadata_chunk_refused);
  g_test_add_func ("/decode-bad-input/max-pixels-is-configurable",
      test_max_pixels_is_configurable);
  g_test_add_func ("/decode-bad-input/interlaced-above-limit-names-property",
      test_interlaced_above_limit_names_property);
  g_test_add_func ("/decode-bad-input/skip-drops-only-the-corrupt-image",
      test_skip_drops_only_the_corrupt_image);
  g_test_add_func ("/decode-bad-input/skip-still-warns-on-truncated-end",
      test_skip_still_warns_on_truncated_end);
  ret = g_test_run ();
  gst_fixture_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
