/* gst-membound: tilecompose (skeleton, being written)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsttilecompose.h"

GST_DEBUG_CATEGORY_STATIC (gst_tile_compose_debug);
#define GST_CAT_DEFAULT gst_tile_compose_debug

G_DEFINE_TYPE (GstTileCompose, gst_tile_compose, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (tilecompose, "tilecompose", GST_RANK_NONE,
    GST_TYPE_TILE_COMPOSE);

static void
gst_tile_compose_class_init (GstTileComposeClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class, "Tiles to whole frames",
      "Filter/Converter/Video", "Tiles to whole frames", "gst-membound developers");
  GST_DEBUG_CATEGORY_INIT (gst_tile_compose_debug, "tilecompose", 0, "Tiles to whole frames");
}

static void
gst_tile_compose_init (GstTileCompose * self)
{
}
