/* gst-membound: tilescale
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_TILE_SCALE_H__
#define __GST_TILE_SCALE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_TILE_SCALE (gst_tile_scale_get_type ())
G_DECLARE_FINAL_TYPE (GstTileScale, gst_tile_scale, GST, TILE_SCALE, GstElement)

struct _GstTileScale
{
  GstElement parent;
};

GST_ELEMENT_REGISTER_DECLARE (tilescale);

G_END_DECLS

#endif /* __GST_TILE_SCALE_H__ */
