/* Fuzz target: any bytes into pngtiledec must end in tiles, an error or a
 * warning -- never a crash, a hang or a leak. See meson.build for the two
 * ways to run it. */
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "pngfixture.h"

static GstPadProbeReturn
drop_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  return GST_PAD_PROBE_DROP;
}

/* One decode of @data; @knob (any byte) picks tile size and chunking. */
static void
decode_once (const guint8 * data, gsize size, gboolean skip, guint8 knob,
    gboolean fast_inflate)
{
  GstHarness *h = gst_harness_new ("pngtiledec");
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  gsize chunk = (knob & 3) == 0 ? 1 : (knob & 3) == 1 ? 7 : (knob & 3) == 2 ?
      4096 : G_MAXSIZE;
  gsize off;

  /* limits small enough that a fuzzed header cannot make a run slow */
  g_object_set (h->element, "max-pixels", (guint64) 1 << 20,
      "max-interlaced-bytes", (guint64) 4 << 20, "on-error", skip ? 1 : 0,
      "tile-width", (guint) (knob >> 2) % 40, "tile-height",
      (guint) (knob >> 4) % 9, "fast-inflate", fast_inflate, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, drop_probe, NULL, NULL);
  gst_object_unref (src);
  gst_harness_set_src_caps_str (h, "image/png");

  for (off = 0; off < size; off += chunk) {
    GstBuffer *buf = gst_buffer_new_memdup (data + off, MIN (chunk,
            size - off));

    if (gst_harness_push (h, buf) != GST_FLOW_OK)
      break;
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  gst_harness_teardown (h);
}

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static gboolean initialised = FALSE;
  guint8 knob = size > 0 ? data[size - 1] : 0;

  if (!initialised) {
    gst_init (NULL, NULL);
    initialised = TRUE;
  }
  /* ISA-L inflater, both on-error modes, and libpng's own inflate */
  decode_once (data, size, FALSE, knob, TRUE);
  decode_once (data, size, TRUE, knob ^ 0x5a, TRUE);
  decode_once (data, size, FALSE, knob ^ 0xa5, FALSE);
  return 0;
}

#ifndef MEMBOUND_LIBFUZZER

/* Recomputes every chunk CRC, so that mutations reach past the CRC check
 * into the chunk parsers, zlib and the row code. */
static void
fix_crcs (GByteArray * png)
{
  gsize off = 8;

  while (off + 12 <= png->len) {
    guint32 len = png_fixture_read_be32 (png->data + off);

    if (len > png->len - off - 12)
      return;
    png_fixture_fix_crc (png->data, off);
    off += 12 + len;
  }
}

static GByteArray *
seed_input (GRand * rand)
{
  static const struct {
    guint w, h;
    gint type, depth;
    gboolean interlaced, trns;
  } seeds[] = {
    {40, 30, PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE},
    {33, 17, PNG_COLOR_TYPE_PALETTE, 4, FALSE, TRUE},
    {20, 20, PNG_COLOR_TYPE_GRAY, 16, TRUE, FALSE},
    {17, 9, PNG_COLOR_TYPE_RGB_ALPHA, 16, FALSE, FALSE},
    {9, 31, PNG_COLOR_TYPE_GRAY_ALPHA, 8, TRUE, FALSE},
  };
  GByteArray *out = g_byte_array_new ();
  guint n = g_rand_int_range (rand, 1, 3), i;

  for (i = 0; i < n; i++) {
    guint k = g_rand_int_range (rand, 0, G_N_ELEMENTS (seeds));
    PngFixtureSpec spec;
    GBytes *png;
    gsize size;
    const guint8 *data;

    png_fixture_spec_init (&spec, seeds[k].w, seeds[k].h, seeds[k].type,
        seeds[k].depth);
    spec.interlaced = seeds[k].interlaced;
    spec.trns = seeds[k].trns;
    spec.seed = g_rand_int (rand);
    png = png_fixture_encode (&spec);
    data = g_bytes_get_data (png, &size);
    g_byte_array_append (out, data, size);
    g_bytes_unref (png);
  }
  return out;
}

static void
mutate (GByteArray * png, GRand * rand)
{
  guint n = g_rand_int_range (rand, 1, 6), i;

  for (i = 0; i < n && png->len > 0; i++) {
    guint pos = g_rand_int_range (rand, 0, png->len);

    switch (g_rand_int_range (rand, 0, 6)) {
      case 0:
        png->data[pos] ^= 1 << g_rand_int_range (rand, 0, 8);
        break;
      case 1:
        png->data[pos] = g_rand_int (rand);
        break;
      case 2:
        g_byte_array_set_size (png, pos);
        break;
      case 3:{
        guint8 junk[16];
        guint j, len = g_rand_int_range (rand, 1, sizeof (junk));

        for (j = 0; j < len; j++)
          junk[j] = g_rand_int (rand);
        g_array_insert_vals ((GArray *) png, pos, junk, len);
        break;
      }
      case 4:
        /* a 4-byte field (length, width, height) set to an extreme */
        if (pos + 4 <= png->len)
          png_fixture_write_be32 (png->data + pos,
              g_rand_boolean (rand) ? 0x7fffffffu : 0xffffffffu);
        break;
      default:{
        guint len = g_rand_int_range (rand, 1, 64);

        g_byte_array_remove_range (png, pos, MIN (png->len - pos, len));
        break;
      }
    }
  }
  if (g_rand_boolean (rand))
    fix_crcs (png);
}

static int
run_mutations (guint count, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint i;

  for (i = 0; i < count; i++) {
    GByteArray *png = seed_input (rand);

    mutate (png, rand);
    LLVMFuzzerTestOneInput (png->data, png->len);
    g_byte_array_unref (png);
  }
  g_rand_free (rand);
  g_print ("%u mutated inputs decoded without a crash (seed %u)\n", count,
      seed);
  return 0;
}

int
main (int argc, char **argv)
{
  int i;

  gst_init (&argc, &argv);
  /* a critical from the element is a bug like a crash */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  if (argc >= 3 && g_str_equal (argv[1], "--mutate"))
    return run_mutations (atoi (argv[2]), argc >= 4 ? atoi (argv[3]) : 1);
  if (argc < 2) {
    g_printerr ("usage: fuzz_pngtiledec FILE... | --mutate COUNT [SEED]\n");
    return 2;
  }
  for (i = 1; i < argc; i++) {
    gchar *data;
    gsize size;

    if (!g_file_get_contents (argv[i], &data, &size, NULL)) {
      g_printerr ("cannot read %s\n", argv[i]);
      return 1;
    }
    LLVMFuzzerTestOneInput ((const guint8 *) data, size);
    g_free (data);
  }
  return 0;
}

#endif
