/* idatinflate: inflates the image data (the IDAT run) of a PNG and nothing
 * else, with zlib or with ISA-L, 64 KiB of output at a time, checking the
 * Adler-32 -- what pngtiledec's fast-inflate replaces, measured alone.
 * The compressed data is read into memory first; the time printed covers
 * the inflate only.
 *
 *   idatinflate FILE.png zlib|isal
 */
#include <glib.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "pngfixture.h"

#define OUT_BYTES 65536

static gboolean
inflate_zlib (GByteArray * z, guint8 * out, guint64 * total)
{
  z_stream s;
  int ret;

  memset (&s, 0, sizeof (s));
  if (inflateInit (&s) != Z_OK)
    return FALSE;
  s.next_in = z->data;
  s.avail_in = z->len;
  do {
    s.next_out = out;
    s.avail_out = OUT_BYTES;
    ret = inflate (&s, Z_NO_FLUSH);
    *total += OUT_BYTES - s.avail_out;
  } while (ret == Z_OK);
  inflateEnd (&s);
  return ret == Z_STREAM_END;
}

static gboolean
inflate_isal (GByteArray * z, guint8 * out, guint64 * total)
{
  struct inflate_state *s = g_new0 (struct inflate_state, 1);
  int ret;

  isal_inflate_init (s);
  s->crc_flag = ISAL_ZLIB;
  s->next_in = z->data;
  s->avail_in = z->len;
  do {
    s->next_out = out;
    s->avail_out = OUT_BYTES;
    ret = isal_inflate (s);
    *total += OUT_BYTES - s->avail_out;
  } while (ret == ISAL_DECOMP_OK && s->block_state != ISAL_BLOCK_FINISH);
  ret = ret == ISAL_DECOMP_OK && s->block_state == ISAL_BLOCK_FINISH;
  g_free (s);
  return ret;
}

int
main (int argc, char **argv)
{
  gchar *png;
  gsize size;
  GByteArray *z;
  guint8 *out;
  guint64 total = 0;
  gint64 start;
  gboolean ok;
  GError *err = NULL;

  if (argc != 3 || (strcmp (argv[2], "zlib") && strcmp (argv[2], "isal"))) {
    fprintf (stderr, "usage: idatinflate FILE.png zlib|isal\n");
    return 2;
  }
  if (!g_file_get_contents (argv[1], &png, &size, &err)) {
    fprintf (stderr, "%s\n", err->message);
    return 1;
  }
  z = png_fixture_idat_data ((const guint8 *) png, size);
  g_free (png);
  out = g_malloc (OUT_BYTES);
  start = g_get_monotonic_time ();
  ok = strcmp (argv[2], "zlib") == 0 ? inflate_zlib (z, out, &total) :
      inflate_isal (z, out, &total);
  printf ("%s: %" G_GUINT64_FORMAT " bytes inflated in %.3f s\n", argv[2],
      total, (g_get_monotonic_time () - start) / 1e6);
  g_free (out);
  g_byte_array_unref (z);
  if (!ok) {
    fprintf (stderr, "%s: the image data is damaged\n", argv[1]);
    return 1;
  }
  return 0;
}
