/* gst-membound: the accounting core
 *
 * A GstMemBudget counts bytes that are alive somewhere in the process: a
 * buffer is charged when it passes an accounting point (boundedqueue,
 * memmeter, the memusage tracer) and the charge is released when the last
 * holder lets go of it -- freed, or returned to its buffer pool. Copies and
 * sub-buffers made downstream share the charge (their memory is still alive),
 * so it is released only when all of them are gone.
 *
 * Budgets are either private to one element or named: every element naming
 * the same budget shares one counter, one limit and one wait.
 */
#ifndef __GST_MEM_BUDGET_H__
#define __GST_MEM_BUDGET_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#ifndef GST_MEMBOUND_API
#define GST_MEMBOUND_API extern
#endif

typedef struct _GstMemBudget GstMemBudget;

#define GST_TYPE_MEM_BUDGET (gst_mem_budget_get_type ())
GST_MEMBOUND_API GType gst_mem_budget_get_type (void);

/* Life cycle. */
GST_MEMBOUND_API GstMemBudget *gst_mem_budget_new (void);
GST_MEMBOUND_API GstMemBudget *gst_mem_budget_get_named (const gchar * name);
GST_MEMBOUND_API GstMemBudget *gst_mem_budget_ref (GstMemBudget * budget);
GST_MEMBOUND_API void gst_mem_budget_unref (GstMemBudget * budget);
GST_MEMBOUND_API const gchar *gst_mem_budget_get_name (GstMemBudget * budget);

/* Limits. A budget's limit is the smallest non-zero limit set by any of its
 * members (the strictest member wins); 0 means unlimited. */
GST_MEMBOUND_API void gst_mem_budget_set_member_limit (GstMemBudget * budget,
    gconstpointer member, guint64 limit);
GST_MEMBOUND_API void gst_mem_budget_remove_member (GstMemBudget * budget,
    gconstpointer member);
GST_MEMBOUND_API guint64 gst_mem_budget_get_limit (GstMemBudget * budget);

/* Read-outs. */
GST_MEMBOUND_API guint64 gst_mem_budget_get_live_bytes (GstMemBudget * budget);
GST_MEMBOUND_API guint64 gst_mem_budget_get_peak_bytes (GstMemBudget * budget);
GST_MEMBOUND_API void gst_mem_budget_reset_peak (GstMemBudget * budget);

/* Charging. track_buffer() charges the buffer's size to @budget until the
 * buffer, and every copy or sub-buffer that shares its memory (and so its
 * charge), is freed or returned to its buffer pool. A buffer that is not
 * writable and carries no charge yet is replaced by a shallow (memory-
 * sharing) copy so that the charge can be attached. A buffer already charged
 * to @budget is not charged again (a named budget counts bytes once however
 * many of its members they cross). Returns the bytes charged by this call. */
GST_MEMBOUND_API gsize gst_mem_budget_track_buffer (GstMemBudget * budget,
    GstBuffer ** buffer);
GST_MEMBOUND_API gsize gst_mem_budget_track_buffer_list (GstMemBudget * budget,
    GstBufferList ** list);
/* For callers that cannot replace the buffer (tracers): a non-writable
 * buffer without a charge yet is left uncharged and FALSE returned. */
GST_MEMBOUND_API gboolean gst_mem_budget_try_track_buffer (GstMemBudget * budget,
    GstBuffer * buffer, gsize * charged);
GST_MEMBOUND_API gboolean gst_mem_budget_buffer_is_charged (GstMemBudget * budget,
    GstBuffer * buffer);

/* Manual charges, for bytes an element holds outside buffers. */
GST_MEMBOUND_API void gst_mem_budget_charge (GstMemBudget * budget, guint64 bytes);
GST_MEMBOUND_API void gst_mem_budget_release (GstMemBudget * budget, guint64 bytes);

/* Waiting. wait() blocks until @bytes more fit under the limit (or nothing is
 * live, so that one buffer larger than the limit still passes), or until
 * *@flushing becomes non-zero; the caller sets its flag and calls wake() on
 * flush, on a state change to READY/NULL and on shutdown. Returns FALSE when
 * woken by the flag. */
GST_MEMBOUND_API gboolean gst_mem_budget_wait (GstMemBudget * budget,
    guint64 bytes, const gint * flushing);
GST_MEMBOUND_API void gst_mem_budget_wake (GstMemBudget * budget);

G_END_DECLS

#endif /* __GST_MEM_BUDGET_H__ */
