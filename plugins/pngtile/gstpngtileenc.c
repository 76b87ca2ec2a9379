/* gst-membound: pngtileenc (skeleton, being written)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstpngtileenc.h"

GST_DEBUG_CATEGORY_STATIC (gst_png_tile_enc_debug);
#define GST_CAT_DEFAULT gst_png_tile_enc_debug

G_DEFINE_TYPE (GstPngTileEnc, gst_png_tile_enc, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (pngtileenc, "pngtileenc", GST_RANK_NONE,
    GST_TYPE_PNG_TILE_ENC);

static void
gst_png_tile_enc_class_init (GstPngTileEncClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class, "Streaming PNG encoder from tiles",
      "Codec/Encoder/Image", "Streaming PNG encoder from tiles", "gst-membound developers");
  GST_DEBUG_CATEGORY_INIT (gst_png_tile_enc_debug, "pngtileenc", 0, "Streaming PNG encoder from tiles");
}

static void
gst_png_tile_enc_init (GstPngTileEnc * self)
{
}
