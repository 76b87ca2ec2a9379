/* Unfiltering PNG rows as pngtiledec does it before libpng: a stream of
 * filtered rows cut into pieces anywhere must come out as the rows the
 * PNG specification's formulas give, written here once more byte by byte,
 * whatever the pixel size and wherever the cuts fall. */
#include <string.h>

#include <glib.h>

#include "gstpngunfilter.h"

static void
make_ihdr (guint8 ihdr[13], guint32 width, guint32 height, guint depth,
    guint type, guint interlace)
{
  ihdr[0] = width >> 24;
  ihdr[1] = width >> 16;
  ihdr[2] = width >> 8;
  ihdr[3] = width;
  ihdr[4] = height >> 24;
  ihdr[5] = height >> 16;
  ihdr[6] = height >> 8;
  ihdr[7] = height;
  ihdr[8] = depth;
  ihdr[9] = type;
  ihdr[10] = ihdr[11] = 0;
  ihdr[12] = interlace;
}

/* The specification's reconstruction, clause 9.2-9.4, one byte at a time,
 * over whole rows (filter byte first) in place. */
static void
reference_unfilter (guint8 * data, gsize row_bytes, guint rows, guint bpp)
{
  guint8 *zeros = g_malloc0 (row_bytes);
  const guint8 *above = zeros;
  guint r;
  gsize i;

  for (r = 0; r < rows; r++) {
    guint8 *row = data + r * row_bytes;

    for (i = 1; i < row_bytes; i++) {
      gint a = i > bpp ? row[i - bpp] : 0, b = above[i];
      gint c = i > bpp ? above[i - bpp] : 0, p = a + b - c;
      gint pa = ABS (p - a), pb = ABS (p - b), pc = ABS (p - c);

      switch (row[0]) {
        case 1:
          row[i] += a;
          break;
        case 2:
          row[i] += b;
          break;
        case 3:
          row[i] += (a + b) / 2;
          break;
        case 4:
          row[i] += (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
          break;
      }
    }
    row[0] = 0;
    above = row;
  }
  g_free (zeros);
}

static guint8 *
filtered_rows (GRand * rand, gsize row_bytes, guint rows)
{
  guint8 *data = g_malloc (row_bytes * rows);
  gsize i;

  for (i = 0; i < row_bytes * rows; i++)
    data[i] = g_rand_int (rand);
  for (i = 0; i < rows; i++)
    data[i * row_bytes] = g_rand_int_range (rand, 0, 5);
  return data;
}

/* Feeds @data in pieces: of random lengths, or cut where
 * gst_png_row_unfilter_piece_len() says (at most @max each). */
static void
feed_in_pieces (GstPngRowUnfilter * u, guint8 * data, gsize len,
    GRand * rand, gboolean aligned, gsize max)
{
  gsize pos = 0;

  while (pos < len) {
    gsize n = aligned ? gst_png_row_unfilter_piece_len (u, pos, max) :
        (gsize) g_rand_int_range (rand, 1, max + 1);

    n = MIN (n, len - pos);
    gst_png_row_unfilter_feed (u, data + pos, n);
    pos += n;
  }
}

static void
test_any_cut_gives_the_specification_rows (void)
{
  /* depth, colour type: pixel sizes 1 (and below), 2, 3, 4, 6, 8 */
  static const guint kinds[][2] = { {1, 0}, {4, 3}, {8, 0}, {8, 4}, {8, 2},
  {8, 6}, {16, 2}, {16, 6}, {16, 0}
  };
  static const guint widths[] = { 1, 2, 5, 31, 300 };
  GRand *rand = g_rand_new_with_seed (7);
  guint k, w, trial;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (w = 0; w < G_N_ELEMENTS (widths); w++)
      for (trial = 0; trial < 12; trial++) {
        const guint rows = 9;
        GstPngRowUnfilter u = { 0 };
        guint8 ihdr[13];
        gsize row_bytes;
        guint bpp;
        guint8 *data, *expect;
        gboolean aligned = trial % 3 == 0;
        /* pieces from a byte to a few rows */
        gsize max = trial % 2 ? 7 : 3 * 1200;

        make_ihdr (ihdr, widths[w], rows, kinds[k][0], kinds[k][1], 0);
        g_assert_true (gst_png_unfilter_geometry (ihdr, &row_bytes, &bpp));
        data = filtered_rows (rand, row_bytes, rows);
        expect = g_memdup2 (data, row_bytes * rows);
        reference_unfilter (expect, row_bytes, rows, bpp);

        g_assert_true (gst_png_row_unfilter_start (&u, ihdr));
        feed_in_pieces (&u, data, row_bytes * rows, rand, aligned, max);
        g_assert_cmpmem (data, row_bytes * rows, expect, row_bytes * rows);

        gst_png_row_unfilter_clear (&u);
        g_free (data);
        g_free (expect);
      }
  g_rand_free (rand);
}

/* Aligned pieces end where a pixel ends (or a row). */
static void
test_piece_len_ends_at_a_pixel (void)
{
  GstPngRowUnfilter u = { 0 };
  guint8 ihdr[13];
  guint64 pos;

  make_ihdr (ihdr, 1000, 10, 8, 2, 0);  /* rows of 1 + 3000 bytes */
  g_assert_true (gst_png_row_unfilter_start (&u, ihdr));
  for (pos = 0; pos < 3 * 3001; pos += 977) {
    gsize n = gst_png_row_unfilter_piece_len (&u, pos, 1000);
    gsize col = (pos + n) % 3001;

    g_assert_cmpuint (n, <=, 1000);
    g_assert_cmpuint (n, >, 1000 - 3);
    g_assert_true (col == 0 || col % 3 == 1);
  }
  gst_png_row_unfilter_clear (&u);
}

/* A row with an unknown filter type is left for libpng to refuse, with all
 * after it; bytes after the last row are not the image's. */
static void
test_unknown_filter_and_extra_bytes_are_left_alone (void)
{
  GRand *rand = g_rand_new_with_seed (11);
  GstPngRowUnfilter u = { 0 };
  guint8 ihdr[13];
  gsize row_bytes;
  guint bpp;
  guint8 *data, *orig;

  make_ihdr (ihdr, 20, 4, 8, 6, 0);
  g_assert_true (gst_png_unfilter_geometry (ihdr, &row_bytes, &bpp));
  /* five rows' worth for an image of four: the fifth is extra */
  data = filtered_rows (rand, row_bytes, 5);
  orig = g_memdup2 (data, row_bytes * 5);
  g_assert_true (gst_png_row_unfilter_start (&u, ihdr));
  feed_in_pieces (&u, data, row_bytes * 5, rand, FALSE, 13);
  g_assert_cmpmem (data + 4 * row_bytes, row_bytes, orig + 4 * row_bytes,
      row_bytes);

  orig[2 * row_bytes] = 5;
  memcpy (data, orig, row_bytes * 5);
  g_assert_true (gst_png_row_unfilter_start (&u, ihdr));
  feed_in_pieces (&u, data, row_bytes * 4, rand, FALSE, 13);
  g_assert_cmpuint (data[0], ==, 0);
  g_assert_cmpmem (data + 2 * row_bytes, 2 * row_bytes,
      orig + 2 * row_bytes, 2 * row_bytes);

  gst_png_row_unfilter_clear (&u);
  g_free (data);
  g_free (orig);
  g_rand_free (rand);
}

/* Interlaced images and rows beyond the state's bound stay libpng's. */
static void
test_what_is_left_to_libpng (void)
{
  GstPngRowUnfilter u = { 0 };
  guint8 ihdr[13];

  make_ihdr (ihdr, 100, 100, 8, 2, 1);
  g_assert_false (gst_png_row_unfilter_start (&u, ihdr));
  make_ihdr (ihdr, (GST_PNG_UNFILTER_ROW_MAX / 8) + 1, 1, 16, 6, 0);
  g_assert_false (gst_png_row_unfilter_start (&u, ihdr));
  make_ihdr (ihdr, 100, 100, 8, 5, 0);
  g_assert_false (gst_png_row_unfilter_start (&u, ihdr));
  g_assert_cmpuint (gst_png_row_unfilter_piece_len (&u, 5, 100), ==, 100);
  gst_png_row_unfilter_clear (&u);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pngunfilter/any-cut-gives-the-specification-rows",
      test_any_cut_gives_the_specification_rows);
  g_test_add_func ("/pngunfilter/piece-len-ends-at-a-pixel",
      test_piece_len_ends_at_a_pixel);
  g_test_add_func ("/pngunfilter/unknown-filter-and-extra-bytes-left-alone",
      test_unknown_filter_and_extra_bytes_are_left_alone);
  g_test_add_func ("/pngunfilter/interlaced-and-huge-rows-left-to-libpng",
      test_what_is_left_to_libpng);
  return g_test_run ();
}
