/* gst-membound: counting libpng's allocations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstpngalloc.h"

/* Each block starts with its size, for the free; 16 bytes keep the
 * alignment malloc gives. */
#define ALLOC_HEADER 16

png_voidp
gst_png_alloc_malloc (png_structp png, png_alloc_size_t size)
{
  GstPngAllocCount *count = png_get_mem_ptr (png);
  guint8 *block;

  if (size > G_MAXSIZE - ALLOC_HEADER)
    return NULL;
  block = g_try_malloc (size + ALLOC_HEADER);
  if (!block)
    return NULL;
  *(gsize *) block = size;
  count->bytes += size;
  if (count->changed)
    count->changed (count);
  return block + ALLOC_HEADER;
}

void
gst_png_alloc_free (png_structp png, png_voidp ptr)
{
  GstPngAllocCount *count = png_get_mem_ptr (png);
  guint8 *block;

  if (!ptr)
    return;
  block = (guint8 *) ptr - ALLOC_HEADER;
  count->bytes -= *(gsize *) block;
  g_free (block);
  if (count->changed)
    count->changed (count);
}
