/* gst-membound: seqfilesrc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_SEQ_FILE_SRC_H__
#define __GST_SEQ_FILE_SRC_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SEQ_FILE_SRC (gst_seq_file_src_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqFileSrc, gst_seq_file_src, GST, SEQ_FILE_SRC, GstElement)

struct _GstSeqFileSrc
{
  GstElement parent;
};

GST_ELEMENT_REGISTER_DECLARE (seqfilesrc);

G_END_DECLS

#endif /* __GST_SEQ_FILE_SRC_H__ */
