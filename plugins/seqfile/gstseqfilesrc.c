/* gst-membound: seqfilesrc (skeleton, being written)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseqfilesrc.h"

GST_DEBUG_CATEGORY_STATIC (gst_seq_file_src_debug);
#define GST_CAT_DEFAULT gst_seq_file_src_debug

G_DEFINE_TYPE (GstSeqFileSrc, gst_seq_file_src, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (seqfilesrc, "seqfilesrc", GST_RANK_NONE,
    GST_TYPE_SEQ_FILE_SRC);

static void
gst_seq_file_src_class_init (GstSeqFileSrcClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class, "File sequence source",
      "Source/File", "File sequence source", "gst-membound developers");
  GST_DEBUG_CATEGORY_INIT (gst_seq_file_src_debug, "seqfilesrc", 0, "File sequence source");
}

static void
gst_seq_file_src_init (GstSeqFileSrc * self)
{
}
