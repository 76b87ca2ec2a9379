/* gst-membound: pngtiledec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_TILE_DEC_H__
#define __GST_PNG_TILE_DEC_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_PNG_TILE_DEC (gst_png_tile_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstPngTileDec, gst_png_tile_dec, GST, PNG_TILE_DEC, GstElement)

struct _GstPngTileDec
{
  GstElement parent;
};

GST_ELEMENT_REGISTER_DECLARE (pngtiledec);

G_END_DECLS

#endif /* __GST_PNG_TILE_DEC_H__ */
