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
 * the same budget shares one counter, one limit and one wait. Elements take
 * a seat in a budget (GstMemBudgetMember) and charge and wait through it, so
 * that every element is admitted by the budget's one rule.
 */
#ifndef __GST_MEM_BUDGET_H__
#define __GST_MEM_BUDGET_H__

#include <gst/gst.h>

#include "gstmemboundapi.h"

G_BEGIN_DECLS

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

/* Charging: a buffer's charge lasts as long as its memory (see
 * gst_mem_budget_track_buffer()); try_track_buffer() is for callers that
 * cannot replace the buffer (tracers). */
GST_MEMBOUND_API gsize gst_mem_budget_track_buffer (GstMemBudget * budget,
    GstBuffer ** buffer);
GST_MEMBOUND_API gsize gst_mem_budget_track_buffer_list (GstMemBudget * budget,
    GstBufferList ** list);
GST_MEMBOUND_API gboolean gst_mem_budget_try_track_buffer (GstMemBudget * budget,
    GstBuffer * buffer, gsize * charged);
GST_MEMBOUND_API gboolean gst_mem_budget_buffer_is_charged (GstMemBudget * budget,
    GstBuffer * buffer);

/* Manual charges, for bytes an element holds outside buffers. */
GST_MEMBOUND_API void gst_mem_budget_charge (GstMemBudget * budget, guint64 bytes);
GST_MEMBOUND_API void gst_mem_budget_release (GstMemBudget * budget, guint64 bytes);

/* Members and admission. A member is one element's seat in a budget: its
 * limit, its own share of the live bytes and its flushing state; every
 * member is admitted by the rule of gst_mem_budget_member_fits(). */
typedef struct _GstMemBudgetMember GstMemBudgetMember;

#define GST_TYPE_MEM_BUDGET_MEMBER (gst_mem_budget_member_get_type ())
GST_MEMBOUND_API GType gst_mem_budget_member_get_type (void);

GST_MEMBOUND_API GstMemBudgetMember *gst_mem_budget_member_new (GstMemBudget * budget,
    guint64 limit);
GST_MEMBOUND_API GstMemBudgetMember *gst_mem_budget_member_ref (GstMemBudgetMember * member);
GST_MEMBOUND_API void gst_mem_budget_member_unref (GstMemBudgetMember * member);
GST_MEMBOUND_API GstMemBudget *gst_mem_budget_member_get_budget (GstMemBudgetMember * member);
GST_MEMBOUND_API void gst_mem_budget_member_set_limit (GstMemBudgetMember * member,
    guint64 limit);
GST_MEMBOUND_API guint64 gst_mem_budget_member_get_live_bytes (GstMemBudgetMember * member);
GST_MEMBOUND_API guint64 gst_mem_budget_member_get_peak_bytes (GstMemBudgetMember * member);
GST_MEMBOUND_API void gst_mem_budget_member_reset_peak (GstMemBudgetMember * member);
GST_MEMBOUND_API gsize gst_mem_budget_member_track_buffer (GstMemBudgetMember * member,
    GstBuffer ** buffer);
GST_MEMBOUND_API gsize gst_mem_budget_member_track_buffer_list (GstMemBudgetMember * member,
    GstBufferList ** list);
GST_MEMBOUND_API gboolean gst_mem_budget_member_fits (GstMemBudgetMember * member,
    guint64 bytes);
GST_MEMBOUND_API gboolean gst_mem_budget_member_wait (GstMemBudgetMember * member,
    guint64 bytes);
GST_MEMBOUND_API void gst_mem_budget_member_set_flushing (GstMemBudgetMember * member,
    gboolean flushing);
GST_MEMBOUND_API gboolean gst_mem_budget_member_is_flushing (GstMemBudgetMember * member);

G_END_DECLS

#endif /* __GST_MEM_BUDGET_H__ */
