/* gst-membound: seqfilesrc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_SEQ_FILE_SRC_H__
#define __GST_SEQ_FILE_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstbasesrc.h>

#include "gstfilelocation.h"
#include "gstmessagethrottle.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_FILE_SRC (gst_seq_file_src_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqFileSrc, gst_seq_file_src, GST, SEQ_FILE_SRC, GstBaseSrc)

typedef enum
{
  GST_SEQ_FILE_SRC_ON_ERROR_FAIL,
  GST_SEQ_FILE_SRC_ON_ERROR_SKIP,
} GstSeqFileSrcOnError;

#define GST_TYPE_SEQ_FILE_SRC_ON_ERROR (gst_seq_file_src_on_error_get_type ())
GType gst_seq_file_src_on_error_get_type (void);

/* How the location names the files. */
typedef enum
{
  GST_SEQ_FILE_SRC_MODE_PATTERN,        /* printf pattern, start-index.. */
  GST_SEQ_FILE_SRC_MODE_LIST,           /* glob result (positions start-index..)
                                         * or one literal file */
} GstSeqFileSrcMode;

/* Locking: the property fields are written by the application under the
 * object lock and copied into the sequence fields in start(); from then on
 * the sequence and reading fields belong to the streaming thread (create,
 * and do_seek, which basesrc calls with the stream lock held). The read-outs
 * (current_file, current_index, next_frame) are written by the streaming
 * thread under the object lock so that property and query readers see a
 * consistent pair. Nothing here waits: the element blocks only inside
 * gst_pad_push, on downstream's backpressure. */
struct _GstSeqFileSrc
{
  GstBaseSrc parent;

  /* properties */
  gchar *location;
  gint start_index;
  gint stop_index;
  gint fps_n;
  gint fps_d;
  GstCaps *caps;
  GstSeqFileSrcOnError on_error;
  gboolean loop;
  gboolean location_tags;

  /* the sequence, fixed between start() and stop() */
  GstSeqFileSrcMode mode;
  gchar *pattern_prefix;        /* PATTERN: literal text around the number */
  gchar *pattern_conversion;    /* PATTERN: the validated "%05d" */
  gchar *pattern_suffix;
  gchar **names;                /* LIST: sorted paths, the only O(files) data */
  guint list_first;             /* LIST: position of the first selected name */
  gint64 n_slots;               /* files per pass; -1 until known */

  /* reading */
  gint fd;                      /* the one open file, or -1 */
  guint64 file_offset;
  guint64 file_size;            /* G_MAXUINT64: not a regular file */
  gint64 slot;                  /* position of the open/next file in a pass */
  guint64 pass;                 /* completed passes (loop=true) */
  guint64 files_this_pass;      /* files read; stops looping over nothing */
  gboolean file_started;        /* first block of the open file pushed */

  /* read-outs, under the object lock */
  gchar *current_file;
  gint current_index;
  guint64 next_frame;           /* frame number of the open/next file */
  guint64 held_bytes;           /* the block being read, 0 between reads */

  /* bounds the seqfilesrc-file messages; thread-safe on its own */
  GstMessageThrottle *file_messages;
};

GST_ELEMENT_REGISTER_DECLARE (seqfilesrc);

/* Natural order: runs of digits compare by value (frame2 < frame10), all
 * other bytes by byte value; equal-valued names fall back to strcmp so the
 * order is total. Exported so that the unit test can check it directly. */
gint gst_seq_file_src_natural_compare (const gchar * a, const gchar * b);

G_END_DECLS

#endif /* __GST_SEQ_FILE_SRC_H__ */
