/* gst-membound: tilescale (skeleton, being written)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsttilescale.h"

GST_DEBUG_CATEGORY_STATIC (gst_tile_scale_debug);
#define GST_CAT_DEFAULT gst_tile_scale_debug

G_DEFINE_TYPE (GstTileScale, gst_tile_scale, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (tilescale, "tilescale", GST_RANK_NONE,
    GST_TYPE_TILE_SCALE);

static void
gst_tile_scale_class_init (GstTileScaleClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class, "Streaming downscale of tiles",
      "Filter/Converter/Video/Scaler", "Streaming downscale of tiles", "gst-membound developers");
  GST_DEBUG_CATEGORY_INIT (gst_tile_scale_debug, "tilescale", 0, "Streaming downscale of tiles");
}

static void
gst_tile_scale_init (GstTileScale * self)
{
}
