/* gst-membound: counting libpng's allocations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_PNG_ALLOC_H__
#define __GST_PNG_ALLOC_H__

#include <glib.h>
#include <png.h>

G_BEGIN_DECLS

/* What libpng (and zlib, which libpng hands the same allocator) holds right
 * now, for an element's held-bytes (pngtiledec's; pngtileenc writes PNG
 * without libpng and counts its segments itself). Pass a counter as the
 * mem_ptr of png_create_read_struct_2() or png_create_write_struct_2() with
 * the two functions below; @changed runs after every allocation and free, on the
 * thread that called libpng. */
typedef struct _GstPngAllocCount GstPngAllocCount;

struct _GstPngAllocCount
{
  gsize bytes;
  void (*changed) (GstPngAllocCount * count);
  gpointer owner;
};

png_voidp gst_png_alloc_malloc (png_structp png, png_alloc_size_t size);
void gst_png_alloc_free (png_structp png, png_voidp ptr);

G_END_DECLS

#endif /* __GST_PNG_ALLOC_H__ */
