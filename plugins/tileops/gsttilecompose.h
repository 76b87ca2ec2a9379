/* gst-membound: tilecompose
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_TILE_COMPOSE_H__
#define __GST_TILE_COMPOSE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_TILE_COMPOSE (gst_tile_compose_get_type ())
G_DECLARE_FINAL_TYPE (GstTileCompose, gst_tile_compose, GST, TILE_COMPOSE, GstElement)

struct _GstTileCompose
{
  GstElement parent;
};

GST_ELEMENT_REGISTER_DECLARE (tilecompose);

G_END_DECLS

#endif /* __GST_TILE_COMPOSE_H__ */
