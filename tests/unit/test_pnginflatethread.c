/* gst-membound: pngtiledec's inflate thread, driven without the element.
 *
 * The promise: libpng gets the same bytes, warnings and errors in the same
 * order whether the inflater runs on the calling thread or on its own, for
 * every way the input is cut, also when each feed is announced ahead (as
 * pngtiledec announces its next pull block); a longjmp out of libpng stops
 * the thread where the plain inflater would have stopped.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <setjmp.h>
#include <string.h>
#include <png.h>
#include <zlib.h>

#include "pngfixture.h"
#include "gstpnginflatethread.h"

typedef struct
{
  GByteArray *bytes;            /* everything forwarded */
  GString *warnings;
  gsize jump_after;             /* longjmp once this much was forwarded */
  guint sleep_us;               /* per forward, to let the worker run ahead */
  jmp_buf jump;
} Sink;

static void
sink_forward (gpointer user_data, guint8 * bytes, gsize len)
{
  Sink *sink = user_data;

  if (sink->sleep_us)
    g_usleep (sink->sleep_us);
  g_byte_array_append (sink->bytes, bytes, len);
  if (sink->jump_after && sink->bytes->len >= sink->jump_after)
    longjmp (sink->jump, 1);
}

static void
sink_warn (gpointer user_data, const gchar * message)
{
  Sink *sink = user_data;

  g_string_append_printf (sink->warnings, "%s|%u;", message,
      sink->bytes->len);
}

typedef struct
{
  Sink sink;
  GString *results;             /* per feed: ok, ended, consumed, error */
} Run;

static void
run_init (Run * run)
{
  memset (run, 0, sizeof (*run));
  run->sink.bytes = g_byte_array_new ();
  run->sink.warnings = g_string_new (NULL);
  run->results = g_string_new (NULL);
}

static void
run_clear (Run * run)
{
  g_byte_array_unref (run->sink.bytes);
  g_string_free (run->sink.warnings, TRUE);
  g_string_free (run->results, TRUE);
}

typedef struct
{
  gboolean ok, ended, jumped;
  gsize used;
  gchar error[128];
} Feed;

/* One feed; a longjmp out of the sink lands here. */
static void
feed_once (GstPngIdatInflater * inflater, GstPngInflateThread * thread,
    const guint8 * data, gsize n, Run * run, Feed * feed)
{
  memset (feed, 0, sizeof (*feed));
  if (setjmp (run->sink.jump)) {
    feed->jumped = TRUE;
    feed->used = thread ? gst_png_inflate_thread_consumed (thread) :
        gst_png_idat_inflater_consumed (inflater);
    return;
  }
  if (thread)
    feed->ok = gst_png_inflate_thread_feed (thread, data, n, sink_forward,
        sink_warn, &run->sink, &feed->ended, feed->error,
        sizeof (feed->error));
  else
    feed->ok = gst_png_idat_inflater_feed (inflater, data, n, sink_forward,
        sink_warn, &run->sink, &feed->ended, feed->error,
        sizeof (feed->error));
  feed->used = thread ? gst_png_inflate_thread_consumed (thread) :
      gst_png_idat_inflater_consumed (inflater);
}

/* The feed after the current one, announced from the thread's hand-over
 * as pngtiledec announces its next pull block. */
typedef struct
{
  GstPngInflateThread *thread;
  const guint8 *next;
  gsize next_len;
} Ahead;

static void
announce_next (gpointer user_data)
{
  Ahead *ahead = user_data;

  if (ahead->next_len > 0)
    gst_png_inflate_thread_feed_ahead (ahead->thread, ahead->next,
        ahead->next_len);
}

/* Feeds @png in pieces of @step bytes, as pngtiledec does: each feed
 * starts where the last one's consumed count ended. With @ahead, each feed
 * announces the next one. */
static void
decode (GstPngIdatInflater * inflater, GstPngInflateThread * thread,
    GBytes * png, gsize step, Run * run, Ahead * ahead)
{
  gsize size, pos = 0;
  const guint8 *data = g_bytes_get_data (png, &size);

  /* as pngtiledec drops an image before it begins the next */
  gst_png_inflate_thread_discard (thread);
  gst_png_idat_inflater_reset (inflater);
  while (pos < size) {
    gsize n = MIN (step, size - pos);
    Feed feed;

    if (ahead) {
      ahead->next = data + pos + n;
      ahead->next_len = MIN (step, size - pos - n);
    }
    feed_once (inflater, thread, data + pos, n, run, &feed);
    pos += feed.used;
    if (feed.jumped) {
      g_string_append_printf (run->results, "jump@%" G_GSIZE_FORMAT ";", pos);
      return;
    }
    if (!feed.ok || feed.ended) {
      g_string_append_printf (run->results, "%d %d %" G_GSIZE_FORMAT " %s;",
          feed.ok, feed.ended, pos, feed.error);
      return;
    }
    g_assert_cmpuint (feed.used, ==, n);
  }
  g_string_append (run->results, "ran out;");
}

static void
assert_same_runs (Run * plain, Run * threaded)
{
  g_assert_cmpstr (plain->results->str, ==, threaded->results->str);
  g_assert_cmpstr (plain->sink.warnings->str, ==,
      threaded->sink.warnings->str);
  g_assert_cmpuint (plain->sink.bytes->len, ==, threaded->sink.bytes->len);
  g_assert_true (memcmp (plain->sink.bytes->data, threaded->sink.bytes->data,
          plain->sink.bytes->len) == 0);
}

static const gsize steps[] = { 1, 7, 4096, 40 * 1024, 300 * 1024, G_MAXSIZE };

/* Compares the plain and the threaded inflater on @png at every step. */
static void
compare_on (GBytes * png, gsize jump_after, guint sleep_us,
    const gchar * expect)
{
  GstPngIdatInflater *inflater = gst_png_idat_inflater_new (8 << 20);
  GstPngInflateThread *thread = gst_png_inflate_thread_new (inflater);
  Ahead ahead = { thread, NULL, 0 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (steps); i++) {
    Run plain, threaded, announced;

    if (steps[i] < 4096 && g_bytes_get_size (png) > 200000)
      continue;                 /* slow, and covered by the small images */
    run_init (&plain);
    run_init (&threaded);
    run_init (&announced);
    plain.sink.jump_after = threaded.sink.jump_after = jump_after;
    announced.sink.jump_after = jump_after;
    threaded.sink.sleep_us = announced.sink.sleep_us = sleep_us;
    decode (inflater, NULL, png, steps[i], &plain, NULL);
    decode (inflater, thread, png, steps[i], &threaded, NULL);
    assert_same_runs (&plain, &threaded);
    gst_png_inflate_thread_set_handover (thread, announce_next, &ahead);
    decode (inflater, thread, png, steps[i], &announced, &ahead);
    gst_png_inflate_thread_set_handover (thread, NULL, NULL);
    assert_same_runs (&plain, &announced);
    g_string_append (plain.results, plain.sink.warnings->str);
    if (!strstr (plain.results->str, expect))
      g_error ("expected \"%s\" in \"%s\"", expect, plain.results->str);
    run_clear (&plain);
    run_clear (&threaded);
    run_clear (&announced);
  }
  gst_png_inflate_thread_free (thread);
  gst_png_idat_inflater_free (inflater);
}

static GBytes *
photo_png (guint width, guint height, gint color_type, gint depth)
{
  PngFixtureSpec spec;

  png_fixture_spec_init (&spec, width, height, color_type, depth);
  spec.pattern = PNG_FIXTURE_PATTERN_PHOTO;
  return png_fixture_encode (&spec);
}

static void
test_same_bytes_for_libpng (void)
{
  guint k;

  for (k = 0; k < png_fixture_n_kinds; k++) {
    PngFixtureSpec spec;
    GBytes *png;

    png_fixture_spec_init (&spec, 300, 200, png_fixture_kinds[k].color_type,
        png_fixture_kinds[k].bit_depth);
    spec.trns = png_fixture_kinds[k].trns;
    png = png_fixture_encode (&spec);
    compare_on (png, 0, 0, "1 1 ");
    g_bytes_unref (png);
  }
}

static void
test_same_bytes_for_a_large_image (void)
{
  GBytes *png = photo_png (1500, 1000, PNG_COLOR_TYPE_RGB, 8);

  g_assert_cmpuint (g_bytes_get_size (png), >, 1024 * 1024);
  compare_on (png, 0, 0, "1 1 ");
  g_bytes_unref (png);
}

/* damaged IDAT data behind a valid CRC: the same error at the same byte */
static void
test_same_error_for_damaged_data (void)
{
  GBytes *png = photo_png (1500, 400, PNG_COLOR_TYPE_RGB, 8), *bad;
  gsize size, idat;
  guint i;
  const guint8 *data = g_bytes_get_data (png, &size);
  guint8 *copy = g_memdup2 (data, size);

  /* the tenth IDAT, well after the first hand-over */
  idat = png_fixture_find_chunk (copy, size, "IDAT");
  for (i = 0; i < 10; i++)
    idat += 12 + png_fixture_read_be32 (copy + idat);
  g_assert_cmpmem (copy + idat + 4, 4, "IDAT", 4);
  g_assert_cmpuint (png_fixture_read_be32 (copy + idat), >, 1000);
  memset (copy + idat + 8 + 500, 0xff, 64);
  png_fixture_fix_crc (copy, idat);
  bad = g_bytes_new_take (copy, size);
  compare_on (bad, 0, 0, "0 0 ");
  g_bytes_unref (bad);
  g_bytes_unref (png);
}

/* an ancillary chunk with a bad CRC is dropped with a warning, in order */
static void
test_same_warnings (void)
{
  GBytes *png = photo_png (800, 600, PNG_COLOR_TYPE_RGB, 8), *with;
  const guint8 text[] = "Comment\0a comment";
  const guint8 *data;
  gsize size, at;
  guint8 *copy;

  with = png_fixture_insert_chunk (png, "IHDR", "tEXt", text, sizeof (text));
  data = g_bytes_get_data (with, &size);
  copy = g_memdup2 (data, size);
  at = png_fixture_find_chunk (copy, size, "tEXt");
  copy[at + 8] ^= 1;
  g_bytes_unref (with);
  with = g_bytes_new_take (copy, size);
  compare_on (with, 0, 0, "tEXt: CRC error; chunk dropped");
  g_bytes_unref (with);
  g_bytes_unref (png);
}

/* libpng fails in the middle: the thread stops where the plain inflater
 * stops, also when it has run ahead and waits for a free block */
static void
test_longjmp_stops_the_thread (void)
{
  GBytes *png = photo_png (1500, 1000, PNG_COLOR_TYPE_RGB, 8);
  guint i;

  for (i = 1; i < 6; i++)
    compare_on (png, i * 300000, i % 2 ? 2000 : 0, "jump@");
  g_bytes_unref (png);
}

/* the queue never holds more than its stated number of blocks */
static void
test_held_bytes_bound (void)
{
  GstPngIdatInflater *inflater = gst_png_idat_inflater_new (8 << 20);
  GstPngInflateThread *thread = gst_png_inflate_thread_new (inflater);
  GBytes *png = photo_png (1500, 1000, PNG_COLOR_TYPE_RGB, 8);
  Run run;

  g_assert_cmpuint (gst_png_inflate_thread_held_bytes (thread), ==, 0);
  run_init (&run);
  decode (inflater, thread, png, G_MAXSIZE, &run, NULL);
  g_assert_true (g_str_has_prefix (run.results->str, "1 1 "));
  g_assert_cmpuint (gst_png_inflate_thread_held_bytes (thread), ==,
      GST_PNG_INFLATE_THREAD_BLOCKS * GST_PNG_IDAT_BLOCK_BYTES);
  run_clear (&run);
  g_bytes_unref (png);
  gst_png_inflate_thread_free (thread);
  gst_png_idat_inflater_free (inflater);
}

/* An image dropped while the worker inflates the feed announced ahead:
 * the worker stops, every block comes back, and the next image decodes as
 * without the thread. A feed that is not the one announced is an error,
 * not wrong bytes. */
static void
test_announced_feed_dropped_or_broken (void)
{
  GstPngIdatInflater *inflater = gst_png_idat_inflater_new (8 << 20);
  GstPngInflateThread *thread = gst_png_inflate_thread_new (inflater);
  GBytes *png = photo_png (1500, 1000, PNG_COLOR_TYPE_RGB, 8);
  gsize size, step = 300 * 1024;
  const guint8 *data = g_bytes_get_data (png, &size);
  Ahead ahead = { thread, data + step, step };
  Run plain, run;
  Feed feed;

  run_init (&plain);
  decode (inflater, NULL, png, step, &plain, NULL);

  /* dropped: the first feed announces the second, which is never fed */
  run_init (&run);
  gst_png_inflate_thread_set_handover (thread, announce_next, &ahead);
  gst_png_idat_inflater_reset (inflater);
  feed_once (inflater, thread, data, step, &run, &feed);
  g_assert_true (feed.ok);
  g_assert_cmpuint (feed.used, ==, step);
  gst_png_inflate_thread_discard (thread);
  gst_png_inflate_thread_set_handover (thread, NULL, NULL);
  run_clear (&run);
  run_init (&run);
  decode (inflater, thread, png, step, &run, NULL);
  assert_same_runs (&plain, &run);
  run_clear (&run);

  /* broken: the second feed is not the one announced */
  run_init (&run);
  gst_png_inflate_thread_set_handover (thread, announce_next, &ahead);
  gst_png_inflate_thread_discard (thread);
  gst_png_idat_inflater_reset (inflater);
  feed_once (inflater, thread, data, step, &run, &feed);
  g_assert_true (feed.ok);
  ahead.next_len = 0;
  feed_once (inflater, thread, data + step, step - 1, &run, &feed);
  g_assert_false (feed.ok);
  g_assert_cmpstr (feed.error, ==, "the input was not the one announced");
  gst_png_inflate_thread_set_handover (thread, NULL, NULL);
  run_clear (&run);
  run_init (&run);
  decode (inflater, thread, png, step, &run, NULL);
  assert_same_runs (&plain, &run);
  g_assert_cmpuint (gst_png_inflate_thread_held_bytes (thread), ==,
      GST_PNG_INFLATE_THREAD_BLOCKS * GST_PNG_IDAT_BLOCK_BYTES);

  run_clear (&run);
  run_clear (&plain);
  g_bytes_unref (png);
  gst_png_inflate_thread_free (thread);
  gst_png_idat_inflater_free (inflater);
}

/* --- restart markers --- */

typedef struct
{
  guint n_segments;             /* segments written */
  guint32 marker_count;         /* what the mARK says; 0: no mARK */
  gint first_filter;            /* filter of each segment's first row */
  gboolean trailing_literal;    /* segment 1 has a byte of data too many */
  gint color_type, depth;
  gboolean every_filter;        /* rows cycle through the five, not Paeth */
  guint unknown_filter_at;      /* 1 + the row with filter type 5; 0: none */
  gboolean sync_flush;          /* segments end with a sync flush, which
                                 * looks the same but keeps the history */
} MarkedSpec;

static void
append_chunk (GByteArray * png, const gchar * type, const guint8 * data,
    gsize len)
{
  guint8 head[8], crc[4];
  gsize at = png->len;

  png_fixture_write_be32 (head, len);
  memcpy (head + 4, type, 4);
  g_byte_array_append (png, head, 8);
  g_byte_array_append (png, data, len);
  g_byte_array_append (png, crc, 4);
  png_fixture_fix_crc (png->data, at);
}

/* Filters row @y of @raw (@rb bytes a row, @bpp bytes a pixel) with
 * @filter into @dst (filter byte first). */
static void
filter_row (const guint8 * raw, gsize rb, guint bpp, guint y, gint filter,
    guint8 * dst)
{
  const guint8 *cur = raw + y * rb, *up = y ? cur - rb : NULL;
  gsize i;

  dst[0] = filter;
  for (i = 0; i < rb; i++) {
    gint a = i >= bpp ? cur[i - bpp] : 0, b = up ? up[i] : 0,
        c = up && i >= bpp ? up[i - bpp] : 0, pred = 0;
    gint p = a + b - c, pa = ABS (p - a), pb = ABS (p - b), pc = ABS (p - c);

    switch (filter) {
      case 1: pred = a; break;
      case 2: pred = b; break;
      case 3: pred = (a + b) / 2; break;
      case 4: pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; break;
    }
    dst[1 + i] = cur[i] - pred;
  }
}

/* A PNG of @spec's kind with restart-marker segments, written here so that
 * the mARK can lie in every way a test needs. */
static GBytes *
marked_png (const MarkedSpec * ms, guint width, guint height)
{
  static const guint8 channels[7] = { 1, 0, 3, 1, 2, 0, 4 };
  guint bpp_bits = channels[ms->color_type] * ms->depth;
  gsize rb = ((gsize) width * bpp_bits + 7) / 8;
  guint bpp = MAX (1, bpp_bits / 8), seg, y = 0, base = height / ms->n_segments;
  guint8 *raw = g_malloc (rb * height), *row = g_malloc (rb + 1);
  guint8 ihdr[13], mark[6], *zout = g_malloc (compressBound ((rb + 1) * height) + 64);
  GByteArray *png = g_byte_array_new ();
  z_stream z;
  gsize i;

  for (i = 0; i < rb * height; i++)     /* smooth, with noise */
    raw[i] = (i % rb) / 7 + (i / rb) / 3 + g_random_int_range (0, 9);
  g_byte_array_append (png, (const guint8 *) "\211PNG\r\n\032\n", 8);
  png_fixture_write_be32 (ihdr, width);
  png_fixture_write_be32 (ihdr + 4, height);
  ihdr[8] = ms->depth;
  ihdr[9] = ms->color_type;
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  append_chunk (png, "IHDR", ihdr, 13);
  if (ms->color_type == 3) {
    guint8 plte[768];

    for (i = 0; i < 768; i++)
      plte[i] = i * 7;
    append_chunk (png, "PLTE", plte, 3 << ms->depth);
  }
  if (ms->marker_count) {
    mark[0] = 0;
    mark[1] = 1;
    png_fixture_write_be32 (mark + 2, ms->marker_count);
    append_chunk (png, "mARK", mark, 6);
  }
  memset (&z, 0, sizeof (z));
  g_assert_cmpint (deflateInit (&z, 6), ==, Z_OK);
  for (seg = 0; seg < ms->n_segments; seg++) {
    guint rows = base + (seg == 0 ? height % ms->n_segments : 0), r;
    gboolean last = seg + 1 == ms->n_segments;

    z.next_out = zout;
    z.avail_out = compressBound ((rb + 1) * height) + 64;
    for (r = 0; r < rows; r++, y++) {
      gint filter = r == 0 ? ms->first_filter : 4;

      /* the image's first row too: Average or Paeth over zeros */
      if (ms->every_filter && (r > 0 || seg == 0))
        filter = (y + 3 + ms->first_filter) % 5;
      if (y + 1 == ms->unknown_filter_at)
        filter = 5;             /* predicts zero: the bytes are kept */
      filter_row (raw, rb, bpp, y, filter, row);
      z.next_in = row;
      z.avail_in = rb + 1;
      g_assert_cmpint (deflate (&z, r + 1 < rows ? Z_NO_FLUSH :
              last ? Z_FINISH : ms->sync_flush ? Z_SYNC_FLUSH :
              Z_FULL_FLUSH), >=, 0);
    }
    if (seg == 1 && ms->trailing_literal && !last) {
      z.next_in = row;
      z.avail_in = 1;
      g_assert_cmpint (deflate (&z, Z_FULL_FLUSH), ==, Z_OK);
    }
    append_chunk (png, "IDAT", zout, z.next_out - zout);
  }
  deflateEnd (&z);
  append_chunk (png, "IEND", NULL, 0);
  g_free (raw);
  g_free (row);
  g_free (zout);
  return g_byte_array_free_to_bytes (png);
}

/* What the inflater gave libpng, made a file again: the rewritten IDATs
 * get real CRCs so that any reader takes them. */
static GBytes *
forwarded_png (Run * run)
{
  GByteArray *b = run->sink.bytes;
  gsize at = 8;

  while (at + 12 <= b->len) {
    gsize len = png_fixture_read_be32 (b->data + at);

    if (at + 12 + len > b->len)
      break;
    png_fixture_fix_crc (b->data, at);
    at += 12 + len;
  }
  return g_bytes_new (b->data, b->len);
}

/* Decodes what @png became through the inflater with @threads, as libpng
 * would: the pixels, or libpng's error. */
static gchar *
decode_through (GBytes * png, guint threads, gsize step, gboolean pipelined)
{
  GstPngIdatInflater *inflater = gst_png_idat_inflater_new (8 << 20);
  GstPngInflateThread *thread = gst_png_inflate_thread_new (inflater);
  PngFixtureImage image;
  gchar *error = NULL, *pixels, *result;
  GBytes *out;
  Run run;

  gst_png_idat_inflater_set_threads (inflater, threads);
  run_init (&run);
  decode (inflater, pipelined ? thread : NULL, png, step, &run, NULL);
  out = forwarded_png (&run);
  if (png_fixture_reference_decode (g_bytes_get_data (out, NULL),
          g_bytes_get_size (out), &image, &error)) {
    pixels = g_compute_checksum_for_data (G_CHECKSUM_SHA256, image.pixels,
        image.stride * image.height);
    png_fixture_image_clear (&image);
  } else {
    pixels = g_strdup_printf ("error: %s", error);
    g_free (error);
  }
  result = g_strdup_printf ("%s %s", run.results->str, pixels);
  g_free (pixels);
  g_bytes_unref (out);
  run_clear (&run);
  gst_png_inflate_thread_free (thread);
  gst_png_idat_inflater_free (inflater);
  return result;
}

static gchar *
reference_of (GBytes * png)
{
  PngFixtureImage image;
  gchar *error = NULL, *sum;

  if (!png_fixture_reference_decode (g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), &image, &error)) {
    sum = g_strdup_printf ("error: %s", error);
    g_free (error);
    return sum;
  }
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, image.pixels,
      image.stride * image.height);
  png_fixture_image_clear (&image);
  return sum;
}

/* threads 1, 2 and 8, inline and pipelined, every step: the same result
 * as the plain inflater; with @expect_reference also libpng's pixels */
static void
assert_marked_decodes (GBytes * png, gboolean expect_reference)
{
  gchar *plain = decode_through (png, 1, G_MAXSIZE, FALSE);
  static const guint threads[] = { 1, 2, 8 };
  static const gsize marked_steps[] = { 7, 4096, 100000, G_MAXSIZE };
  guint t, i;

  if (expect_reference) {
    gchar *ref = reference_of (png);

    g_assert_true (g_str_has_suffix (plain, ref));
    g_free (ref);
  }
  for (t = 0; t < G_N_ELEMENTS (threads); t++)
    for (i = 0; i < G_N_ELEMENTS (marked_steps); i++) {
      gchar *got = decode_through (png, threads[t], marked_steps[i],
          i % 2 == 0);

      g_assert_cmpstr (got, ==, plain);
      g_free (got);
    }
  g_free (plain);
}

/* assert_marked_decodes() for a PNG of each of @n specs, each also
 * against libpng's own result but where a segment has a byte too many */
static void
assert_each_decodes (const MarkedSpec * specs, guint n, guint width,
    guint height)
{
  guint i;

  for (i = 0; i < n; i++) {
    GBytes *png = marked_png (&specs[i], width, height);

    assert_marked_decodes (png, !specs[i].trailing_literal);
    g_bytes_unref (png);
  }
}

static void
test_marked_same_pixels (void)
{
  static const gint kinds[][2] = { {2, 8}, {0, 8}, {6, 16}, {3, 4}, {0, 1},
  {4, 8}, {2, 16}
  };
  guint k;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    MarkedSpec ms = { 5, 5, 1, FALSE, kinds[k][0], kinds[k][1] };
    GBytes *png = marked_png (&ms, 301, 203);

    assert_marked_decodes (png, TRUE);
    g_bytes_unref (png);
  }
}

/* the workers undo every filter, on every pixel size, from the image's
 * first row (whose row above is zeros) on */
static void
test_marked_every_filter (void)
{
  static const gint kinds[][2] = { {2, 8}, {0, 8}, {6, 16}, {3, 2}, {4, 16},
  {6, 8}
  };
  guint k, first;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (first = 0; first <= 1; first++) {
      MarkedSpec ms = { 4, 4, first, FALSE, kinds[k][0], kinds[k][1], TRUE };
      GBytes *png = marked_png (&ms, 97, 61);

      assert_marked_decodes (png, TRUE);
      g_bytes_unref (png);
    }
}

/* a mARK that lies: counts, trailing data, a first row that needs the
 * row above -- the plain inflater's result, never other pixels */
static void
test_lying_marker_falls_back (void)
{
  static const MarkedSpec lies[] = {
    {5, 4, 1, FALSE, 2, 8},     /* fewer segments claimed */
    {5, 6, 1, FALSE, 2, 8},     /* more segments claimed */
    {5, 2, 0, FALSE, 2, 8},     /* rows of two segments per chunk */
    {5, 5, 4, FALSE, 2, 8},     /* first rows filtered Paeth */
    {5, 5, 2, FALSE, 0, 8},     /* first rows filtered Up */
    {5, 5, 1, TRUE, 2, 8},      /* a byte of data too many in segment 1 */
    {4, 203, 1, FALSE, 2, 8},   /* a count not below the height */
    {5, 5, 1, FALSE, 2, 8, FALSE, 0, TRUE},     /* segments refer back */
  };

  assert_each_decodes (lies, G_N_ELEMENTS (lies), 301, 203);
}

/* Segments of about 1 MiB, much longer than the 32 KiB of history a
 * fallback starts from: the same pixels, and the same fallback or error
 * for a lie or damage far into a segment or in its last 32 KiB. */
static void
test_marked_large_segments (void)
{
  static const MarkedSpec specs[] = {
    {2, 2, 1, FALSE, 2, 8, TRUE, 0},
    {3, 3, 0, FALSE, 6, 8, TRUE, 0},
    {2, 2, 4, FALSE, 2, 8, TRUE, 0},    /* segment 1 starts with Paeth */
    {2, 2, 1, TRUE, 2, 8, FALSE, 0},    /* a byte too many in segment 1 */
    {2, 2, 1, FALSE, 2, 8, TRUE, 300 + 250},    /* deep in segment 1 */
    {2, 2, 1, FALSE, 2, 8, TRUE, 300 + 295},    /* in its last 32 KiB */
    {2, 2, 1, FALSE, 2, 8, TRUE, 200},  /* in segment 0 */
    {3, 3, 1, FALSE, 2, 8, FALSE, 0, TRUE},     /* segments refer back */
  };

  assert_each_decodes (specs, G_N_ELEMENTS (specs), 1201, 600);
}

/* the rows really come from the workers: libpng gets filter-None rows */
static void
test_marked_rows_come_from_workers (void)
{
  MarkedSpec ms = { 4, 4, 1, FALSE, 2, 8 };
  GBytes *png = marked_png (&ms, 200, 100);
  GstPngIdatInflater *inflater = gst_png_idat_inflater_new (8 << 20);
  Run run;
  const guint8 *b;
  gsize at;

  gst_png_idat_inflater_set_threads (inflater, 2);
  run_init (&run);
  decode (inflater, NULL, png, G_MAXSIZE, &run, NULL);
  b = run.sink.bytes->data;
  at = png_fixture_find_chunk (b, run.sink.bytes->len, "IDAT");
  /* the zlib header chunk, then the first stored block: filter byte 0 */
  at += 12 + png_fixture_read_be32 (b + at);
  g_assert_cmpmem (b + at + 4, 4, "IDAT", 4);
  g_assert_cmpuint (b[at + 8], ==, 0);
  g_assert_cmpuint (b[at + 13 + 601 * 3], ==, 0);       /* row 3, not Paeth */
  run_clear (&run);
  gst_png_idat_inflater_free (inflater);
  g_bytes_unref (png);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pnginflatethread/same-bytes-for-libpng",
      test_same_bytes_for_libpng);
  g_test_add_func ("/pnginflatethread/same-bytes-for-a-large-image",
      test_same_bytes_for_a_large_image);
  g_test_add_func ("/pnginflatethread/same-error-for-damaged-data",
      test_same_error_for_damaged_data);
  g_test_add_func ("/pnginflatethread/same-warnings-for-dropped-chunks",
      test_same_warnings);
  g_test_add_func ("/pnginflatethread/longjmp-stops-the-thread-in-step",
      test_longjmp_stops_the_thread);
  g_test_add_func ("/pnginflatethread/held-bytes-are-the-stated-blocks",
      test_held_bytes_bound);
  g_test_add_func ("/pnginflatethread/announced-feed-dropped-or-broken",
      test_announced_feed_dropped_or_broken);
  g_test_add_func ("/pnginflatethread/marked-segments-give-the-same-pixels",
      test_marked_same_pixels);
  g_test_add_func ("/pnginflatethread/marked-segments-undo-every-filter",
      test_marked_every_filter);
  g_test_add_func ("/pnginflatethread/lying-marker-falls-back-to-sequential",
      test_lying_marker_falls_back);
  g_test_add_func ("/pnginflatethread/marked-large-segments",
      test_marked_large_segments);
  g_test_add_func ("/pnginflatethread/marked-rows-come-from-the-workers",
      test_marked_rows_come_from_workers);
  return g_test_run ();
}
