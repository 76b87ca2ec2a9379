/* gst-membound: pngtileenc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_TILE_ENC_H__
#define __GST_PNG_TILE_ENC_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_PNG_TILE_ENC (gst_png_tile_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstPngTileEnc, gst_png_tile_enc, GST, PNG_TILE_ENC, GstElement)

struct _GstPngTileEnc
{
  GstElement parent;
};

GST_ELEMENT_REGISTER_DECLARE (pngtileenc);

G_END_DECLS

#endif /* __GST_PNG_TILE_ENC_H__ */
