/* gst-membound: pngtiledec (skeleton, being written)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstpngtiledec.h"

GST_DEBUG_CATEGORY_STATIC (gst_png_tile_dec_debug);
#define GST_CAT_DEFAULT gst_png_tile_dec_debug

G_DEFINE_TYPE (GstPngTileDec, gst_png_tile_dec, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (pngtiledec, "pngtiledec", GST_RANK_NONE,
    GST_TYPE_PNG_TILE_DEC);

static void
gst_png_tile_dec_class_init (GstPngTileDecClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class, "Streaming PNG decoder to tiles",
      "Codec/Decoder/Image", "Streaming PNG decoder to tiles", "gst-membound developers");
  GST_DEBUG_CATEGORY_INIT (gst_png_tile_dec_debug, "pngtiledec", 0, "Streaming PNG decoder to tiles");
}

static void
gst_png_tile_dec_init (GstPngTileDec * self)
{
}
