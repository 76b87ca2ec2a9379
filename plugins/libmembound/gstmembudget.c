/* gst-membound: the accounting core
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How a charge lives and dies
 * ---------------------------
 * Charging a buffer attaches a private GstMemChargeMeta to it. The meta points
 * to a refcounted charge record {bytes, budgets}; the record holds one ref on
 * every budget it charged. The meta's free function drops the record ref, and
 * when the last ref goes the record's bytes are released from each budget.
 *
 * A meta without GST_META_FLAG_POOLED is removed both when its buffer is
 * freed and when a buffer pool takes the buffer back (the pool's reset
 * removes it), so both ends of a buffer's life release the charge -- weak
 * refs or qdata would only see the free.
 *
 * The meta's transform function makes a copy share the record when the copy
 * shares memory with the original (shallow copies, sub-buffers, make_writable):
 * that memory is still alive, so the bytes stay charged until every sharer is
 * gone. A copy with its own memory (deep copy, a transform element's fresh
 * output buffer that copies metas) does not share: those bytes never passed
 * the accounting point.
 *
 * A buffer passing several accounting points keeps one meta: the record lists
 * every budget it charged (a few inline, the rest in an overflow array), and
 * a budget already in the list is not charged twice, so a named budget counts
 * a buffer's bytes once however many of its members the buffer crosses.
 *
 * Locking
 * -------
 * - live/peak/limit are 64-bit atomics; charge and release never lock unless
 *   somebody waits (n_waiters > 0).
 * - budget->lock guards the member list and is the mutex of budget->cond.
 *   A waiter (gst_mem_budget_member_wait) increments n_waiters, then
 *   re-checks under the lock before every g_cond_wait; a releaser first
 *   updates live (of every budget of the record), then reads n_waiters and,
 *   if non-zero, broadcasts under the lock. Both steps are sequentially
 *   consistent, so either the waiter sees the new level or the releaser sees
 *   the waiter: no lost wake-up. A limit change and
 *   gst_mem_budget_member_set_flushing() broadcast too; the flushing flag is
 *   set before the broadcast, so a waiter sees it when it wakes.
 * - a member's share is a private budget charged with the shared one, in
 *   the same record: a release updates both before any waiter runs.
 * - a record's budget list is guarded by a bit lock in the record, because
 *   two streaming threads may charge the same shared buffer (after a tee).
 * - the named registry (name -> budget, no ref) is guarded by
 *   registry_lock; a named budget's last unref happens under that lock so a
 *   concurrent get_named never revives a dying budget. Every other unref is
 *   a compare-and-swap that never reaches zero, so releasing a buffer takes
 *   no global lock.
 * - released charge records are kept, up to a small cap, and reused by the
 *   next charge (see "Spare records" below): charging and releasing a
 *   buffer allocate nothing beyond the meta GStreamer itself allocates, and
 *   take no lock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmembudget.h"

GST_DEBUG_CATEGORY_STATIC (gst_mem_budget_debug);
#define GST_CAT_DEFAULT gst_mem_budget_debug

/* 64-bit counters without GLib's missing 64-bit atomics. */
#define ATOMIC_LOAD(p) __atomic_load_n ((p), __ATOMIC_SEQ_CST)
#define ATOMIC_STORE(p, v) __atomic_store_n ((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_ADD(p, v) __atomic_add_fetch ((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_SUB(p, v) __atomic_sub_fetch ((p), (v), __ATOMIC_SEQ_CST)

typedef struct
{
  gconstpointer member;
  guint64 limit;
} BudgetMember;

struct _GstMemBudget
{
  gint refcount;
  gchar *name;                  /* NULL for a private budget */

  gint64 live;                  /* atomic; signed so a stray release shows */
  gint64 peak;                  /* atomic */
  guint64 limit;                /* atomic; min non-zero member limit */
  gint n_waiters;               /* atomic */

  GMutex lock;
  GCond cond;
  GArray *members;              /* BudgetMember, under lock */
};

static GMutex registry_lock;
static GHashTable *registry;    /* name -> GstMemBudget (no ref) */

G_DEFINE_BOXED_TYPE (GstMemBudget, gst_mem_budget, gst_mem_budget_ref,
    gst_mem_budget_unref);

static GstMemBudget *
gst_mem_budget_alloc (const gchar * name)
{
  static gsize debug_ready = 0;
  GstMemBudget *budget = g_new0 (GstMemBudget, 1);

  if (g_once_init_enter (&debug_ready)) {
    GST_DEBUG_CATEGORY_INIT (gst_mem_budget_debug, "membudget", 0,
        "gst-membound accounting core");
    g_once_init_leave (&debug_ready, 1);
  }
  budget->refcount = 1;
  budget->name = g_strdup (name);
  g_mutex_init (&budget->lock);
  g_cond_init (&budget->cond);
  budget->members = g_array_new (FALSE, FALSE, sizeof (BudgetMember));
  return budget;
}

static void
gst_mem_budget_free (GstMemBudget * budget)
{
  if (ATOMIC_LOAD (&budget->live) != 0)
    GST_WARNING ("budget %s freed with %" G_GINT64_FORMAT " bytes live",
        GST_STR_NULL (budget->name), ATOMIC_LOAD (&budget->live));
  g_array_free (budget->members, TRUE);
  g_cond_clear (&budget->cond);
  g_mutex_clear (&budget->lock);
  g_free (budget->name);
  g_free (budget);
}

/**
 * gst_mem_budget_new:
 *
 * Creates a private budget: unlimited, nothing live.
 *
 * Returns: (transfer full): a new #GstMemBudget
 */
GstMemBudget *
gst_mem_budget_new (void)
{
  return gst_mem_budget_alloc (NULL);
}

/**
 * gst_mem_budget_get_named:
 * @name: the budget's name
 *
 * Every caller with the same @name gets the same budget for as long as at
 * least one of them holds a ref; after the last unref, the name starts a
 * fresh budget.
 *
 * Returns: (transfer full): the budget called @name
 */
GstMemBudget *
gst_mem_budget_get_named (const gchar * name)
{
  GstMemBudget *budget;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  g_mutex_lock (&registry_lock);
  if (!registry)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  budget = g_hash_table_lookup (registry, name);
  if (budget) {
    g_atomic_int_inc (&budget->refcount);
  } else {
    budget = gst_mem_budget_alloc (name);
    g_hash_table_insert (registry, budget->name, budget);
    GST_DEBUG ("created named budget %s", name);
  }
  g_mutex_unlock (&registry_lock);
  return budget;
}

/**
 * gst_mem_budget_ref:
 * @budget: a #GstMemBudget
 *
 * Returns: (transfer full): @budget
 */
GstMemBudget *
gst_mem_budget_ref (GstMemBudget * budget)
{
  g_return_val_if_fail (budget != NULL, NULL);
  g_atomic_int_inc (&budget->refcount);
  return budget;
}

/**
 * gst_mem_budget_unref:
 * @budget: (transfer full): a #GstMemBudget
 */
void
gst_mem_budget_unref (GstMemBudget * budget)
{
  gboolean last;
  gint ref;

  g_return_if_fail (budget != NULL);

  if (!budget->name) {
    if (g_atomic_int_dec_and_test (&budget->refcount))
      gst_mem_budget_free (budget);
    return;
  }

  /* Every charge record holds a ref, so this runs once per released buffer:
   * only a drop to zero needs the registry, any other drop is a plain CAS.
   * get_named only raises the count under registry_lock, and only the
   * locked path below lowers it to zero, so a budget found in the registry
   * is never one that is being freed. */
  ref = g_atomic_int_get (&budget->refcount);
  while (ref > 1) {
    if (g_atomic_int_compare_and_exchange_full (&budget->refcount, ref,
            ref - 1, &ref))
      return;
  }

  g_mutex_lock (&registry_lock);
  last = g_atomic_int_dec_and_test (&budget->refcount);
  if (last)
    g_hash_table_remove (registry, budget->name);
  g_mutex_unlock (&registry_lock);
  if (last)
    gst_mem_budget_free (budget);
}

/**
 * gst_mem_budget_get_name:
 * @budget: a #GstMemBudget
 *
 * Returns: (nullable): the name of a named budget, %NULL for a private one
 */
const gchar *
gst_mem_budget_get_name (GstMemBudget * budget)
{
  g_return_val_if_fail (budget != NULL, NULL);
  return budget->name;
}

/* Called with budget->lock. */
static void
gst_mem_budget_update_limit (GstMemBudget * budget)
{
  guint64 limit = 0;
  guint i;

  for (i = 0; i < budget->members->len; i++) {
    guint64 l = g_array_index (budget->members, BudgetMember, i).limit;
    if (l != 0 && (limit == 0 || l < limit))
      limit = l;
  }
  ATOMIC_STORE (&budget->limit, limit);
  /* A looser limit may let waiters through. */
  g_cond_broadcast (&budget->cond);
}

/**
 * gst_mem_budget_set_member_limit:
 * @budget: a #GstMemBudget
 * @member: any pointer identifying the member (usually the element)
 * @limit: the member's limit in bytes, 0 for none
 *
 * Adds @member to @budget or changes its limit. The budget's limit is the
 * smallest non-zero limit of its members.
 */
void
gst_mem_budget_set_member_limit (GstMemBudget * budget, gconstpointer member,
    guint64 limit)
{
  BudgetMember m = { member, limit };
  guint i;

  g_return_if_fail (budget != NULL);

  g_mutex_lock (&budget->lock);
  for (i = 0; i < budget->members->len; i++) {
    BudgetMember *cur = &g_array_index (budget->members, BudgetMember, i);
    if (cur->member == member) {
      cur->limit = limit;
      break;
    }
  }
  if (i == budget->members->len)
    g_array_append_val (budget->members, m);
  gst_mem_budget_update_limit (budget);
  g_mutex_unlock (&budget->lock);
}

/**
 * gst_mem_budget_remove_member:
 * @budget: a #GstMemBudget
 * @member: a member added with gst_mem_budget_set_member_limit()
 *
 * Forgets @member and its limit.
 */
void
gst_mem_budget_remove_member (GstMemBudget * budget, gconstpointer member)
{
  guint i;

  g_return_if_fail (budget != NULL);

  g_mutex_lock (&budget->lock);
  for (i = 0; i < budget->members->len; i++) {
    if (g_array_index (budget->members, BudgetMember, i).member == member) {
      g_array_remove_index_fast (budget->members, i);
      break;
    }
  }
  gst_mem_budget_update_limit (budget);
  g_mutex_unlock (&budget->lock);
}

/**
 * gst_mem_budget_get_limit:
 * @budget: a #GstMemBudget
 *
 * Returns: the limit in bytes, 0 if unlimited
 */
guint64
gst_mem_budget_get_limit (GstMemBudget * budget)
{
  g_return_val_if_fail (budget != NULL, 0);
  return ATOMIC_LOAD (&budget->limit);
}

/**
 * gst_mem_budget_get_live_bytes:
 * @budget: a #GstMemBudget
 *
 * Returns: the bytes charged and not yet released
 */
guint64
gst_mem_budget_get_live_bytes (GstMemBudget * budget)
{
  gint64 live;

  g_return_val_if_fail (budget != NULL, 0);
  live = ATOMIC_LOAD (&budget->live);
  return live > 0 ? (guint64) live : 0;
}

/**
 * gst_mem_budget_get_peak_bytes:
 * @budget: a #GstMemBudget
 *
 * Returns: the highest live byte count since creation or the last
 *   gst_mem_budget_reset_peak()
 */
guint64
gst_mem_budget_get_peak_bytes (GstMemBudget * budget)
{
  g_return_val_if_fail (budget != NULL, 0);
  return (guint64) ATOMIC_LOAD (&budget->peak);
}

/**
 * gst_mem_budget_reset_peak:
 * @budget: a #GstMemBudget
 *
 * Sets the peak to the current live byte count.
 */
void
gst_mem_budget_reset_peak (GstMemBudget * budget)
{
  g_return_if_fail (budget != NULL);
  ATOMIC_STORE (&budget->peak, MAX (ATOMIC_LOAD (&budget->live), 0));
}

/**
 * gst_mem_budget_charge:
 * @budget: a #GstMemBudget
 * @bytes: bytes to add to the live count
 *
 * Charges bytes held outside buffers; pair with gst_mem_budget_release().
 */
void
gst_mem_budget_charge (GstMemBudget * budget, guint64 bytes)
{
  gint64 live, peak;

  g_return_if_fail (budget != NULL);
  live = ATOMIC_ADD (&budget->live, (gint64) bytes);
  peak = ATOMIC_LOAD (&budget->peak);
  while (live > peak && !__atomic_compare_exchange_n (&budget->peak, &peak,
          live, TRUE, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
}

/* Takes @bytes off the live count without waking anybody. */
static void
gst_mem_budget_uncharge (GstMemBudget * budget, guint64 bytes)
{
  gint64 live = ATOMIC_SUB (&budget->live, (gint64) bytes);

  if (G_UNLIKELY (live < 0))
    GST_ERROR ("budget %s released more than it was charged (%"
        G_GINT64_FORMAT " bytes live)", GST_STR_NULL (budget->name), live);
}

/* Makes every waiter re-check its condition and flag. */
static void
gst_mem_budget_broadcast (GstMemBudget * budget)
{
  g_mutex_lock (&budget->lock);
  g_cond_broadcast (&budget->cond);
  g_mutex_unlock (&budget->lock);
}

static void
gst_mem_budget_wake_waiters (GstMemBudget * budget)
{
  if (g_atomic_int_get (&budget->n_waiters) > 0)
    gst_mem_budget_broadcast (budget);
}

/**
 * gst_mem_budget_release:
 * @budget: a #GstMemBudget
 * @bytes: bytes to take off the live count
 *
 * Releases a manual charge and wakes waiters.
 */
void
gst_mem_budget_release (GstMemBudget * budget, guint64 bytes)
{
  g_return_if_fail (budget != NULL);

  gst_mem_budget_uncharge (budget, bytes);
  gst_mem_budget_wake_waiters (budget);
}

/* ------------------------------------------------------------------------ */
/* Members and admission */

struct _GstMemBudgetMember
{
  gint refcount;
  GstMemBudget *budget;         /* the budget whose limit applies */
  GstMemBudget *share;          /* this member's own bytes; @budget itself
                                 * when @budget is private */
  gint flushing;                /* atomic */
};

G_DEFINE_BOXED_TYPE (GstMemBudgetMember, gst_mem_budget_member,
    gst_mem_budget_member_ref, gst_mem_budget_member_unref);

/**
 * gst_mem_budget_member_new:
 * @budget: the budget to join
 * @limit: the member's limit in bytes, 0 for none
 *
 * Joins @budget as a new member with its own share of the live bytes. A
 * private budget (see gst_mem_budget_new()) is one member's: its share is
 * the whole budget. The member starts not flushing.
 *
 * Returns: (transfer full): the new member
 */
GstMemBudgetMember *
gst_mem_budget_member_new (GstMemBudget * budget, guint64 limit)
{
  GstMemBudgetMember *member;

  g_return_val_if_fail (budget != NULL, NULL);

  member = g_new0 (GstMemBudgetMember, 1);
  member->refcount = 1;
  member->budget = gst_mem_budget_ref (budget);
  member->share = budget->name ? gst_mem_budget_new () :
      gst_mem_budget_ref (budget);
  gst_mem_budget_set_member_limit (budget, member, limit);
  return member;
}

/**
 * gst_mem_budget_member_ref:
 * @member: a #GstMemBudgetMember
 *
 * Returns: (transfer full): @member
 */
GstMemBudgetMember *
gst_mem_budget_member_ref (GstMemBudgetMember * member)
{
  g_return_val_if_fail (member != NULL, NULL);
  g_atomic_int_inc (&member->refcount);
  return member;
}

/**
 * gst_mem_budget_member_unref:
 * @member: (transfer full): a #GstMemBudgetMember
 *
 * The last unref leaves the budget: the member's limit no longer applies.
 * Bytes it charged stay charged until their buffers go.
 */
void
gst_mem_budget_member_unref (GstMemBudgetMember * member)
{
  g_return_if_fail (member != NULL);
  if (!g_atomic_int_dec_and_test (&member->refcount))
    return;
  gst_mem_budget_remove_member (member->budget, member);
  gst_mem_budget_unref (member->share);
  gst_mem_budget_unref (member->budget);
  g_free (member);
}

/**
 * gst_mem_budget_member_get_budget:
 * @member: a #GstMemBudgetMember
 *
 * Returns: (transfer none): the budget @member belongs to
 */
GstMemBudget *
gst_mem_budget_member_get_budget (GstMemBudgetMember * member)
{
  g_return_val_if_fail (member != NULL, NULL);
  return member->budget;
}

/**
 * gst_mem_budget_member_set_limit:
 * @member: a #GstMemBudgetMember
 * @limit: the member's limit in bytes, 0 for none
 *
 * Changes the member's limit; the budget's limit is the smallest non-zero
 * limit of its members. A looser limit wakes waiters.
 */
void
gst_mem_budget_member_set_limit (GstMemBudgetMember * member, guint64 limit)
{
  g_return_if_fail (member != NULL);
  gst_mem_budget_set_member_limit (member->budget, member, limit);
}

/**
 * gst_mem_budget_member_get_live_bytes:
 * @member: a #GstMemBudgetMember
 *
 * Returns: the bytes this member charged that are still alive
 */
guint64
gst_mem_budget_member_get_live_bytes (GstMemBudgetMember * member)
{
  g_return_val_if_fail (member != NULL, 0);
  return gst_mem_budget_get_live_bytes (member->share);
}

/**
 * gst_mem_budget_member_get_peak_bytes:
 * @member: a #GstMemBudgetMember
 *
 * Returns: the highest live bytes of this member since it joined or since
 *   gst_mem_budget_member_reset_peak()
 */
guint64
gst_mem_budget_member_get_peak_bytes (GstMemBudgetMember * member)
{
  g_return_val_if_fail (member != NULL, 0);
  return gst_mem_budget_get_peak_bytes (member->share);
}

/**
 * gst_mem_budget_member_reset_peak:
 * @member: a #GstMemBudgetMember
 *
 * Restarts the member's peak from its current live bytes.
 */
void
gst_mem_budget_member_reset_peak (GstMemBudgetMember * member)
{
  g_return_if_fail (member != NULL);
  gst_mem_budget_reset_peak (member->share);
}

/**
 * gst_mem_budget_member_track_buffer:
 * @member: a #GstMemBudgetMember
 * @buffer: (inout) (transfer full): the buffer to charge
 *
 * Charges @buffer to the member's budget and to its own share, as
 * gst_mem_budget_track_buffer() does.
 *
 * Returns: the bytes charged to the budget by this call
 */
gsize
gst_mem_budget_member_track_buffer (GstMemBudgetMember * member,
    GstBuffer ** buffer)
{
  gsize bytes;

  g_return_val_if_fail (member != NULL, 0);

  bytes = gst_mem_budget_track_buffer (member->budget, buffer);
  if (member->share != member->budget)
    gst_mem_budget_track_buffer (member->share, buffer);
  return bytes;
}

/**
 * gst_mem_budget_member_track_buffer_list:
 * @member: a #GstMemBudgetMember
 * @list: (inout) (transfer full): the buffers to charge
 *
 * Charges every buffer of @list as gst_mem_budget_member_track_buffer()
 * does.
 *
 * Returns: the bytes charged to the budget by this call
 */
gsize
gst_mem_budget_member_track_buffer_list (GstMemBudgetMember * member,
    GstBufferList ** list)
{
  gsize bytes;

  g_return_val_if_fail (member != NULL, 0);

  bytes = gst_mem_budget_track_buffer_list (member->budget, list);
  if (member->share != member->budget)
    gst_mem_budget_track_buffer_list (member->share, list);
  return bytes;
}

/**
 * gst_mem_budget_member_fits:
 * @member: a #GstMemBudgetMember
 * @bytes: the bytes the member is about to charge
 *
 * The one admission rule of a budget, the same for every member: @bytes
 * fit when the budget is unlimited, when nothing of the member's own is
 * alive (a member is never starved by the others' bytes, and one buffer
 * larger than the limit still passes), or when the budget's live bytes
 * plus @bytes stay within its limit -- the strictest member's limit.
 * Without the second clause a branch holding the whole budget (a prerolled
 * sink, a muxer waiting for the other branch) could starve another branch
 * whose progress it needs.
 *
 * Returns: whether @bytes may be charged now
 */
gboolean
gst_mem_budget_member_fits (GstMemBudgetMember * member, guint64 bytes)
{
  guint64 limit;
  gint64 own, live;

  g_return_val_if_fail (member != NULL, TRUE);

  limit = ATOMIC_LOAD (&member->budget->limit);
  if (limit == 0)
    return TRUE;
  own = ATOMIC_LOAD (&member->share->live);
  if (own <= 0)
    return TRUE;
  live = member->share == member->budget ? own :
      ATOMIC_LOAD (&member->budget->live);
  return live <= 0 || (guint64) live + bytes <= limit;
}

/**
 * gst_mem_budget_member_wait:
 * @member: a #GstMemBudgetMember
 * @bytes: the bytes the member is about to charge
 *
 * Blocks until @bytes fit by the rule of gst_mem_budget_member_fits(), or
 * until the member is set flushing.
 *
 * Returns: %TRUE when @bytes fit, %FALSE when the member is flushing
 */
gboolean
gst_mem_budget_member_wait (GstMemBudgetMember * member, guint64 bytes)
{
  GstMemBudget *budget;
  gboolean fits;

  g_return_val_if_fail (member != NULL, FALSE);

  budget = member->budget;
  if (g_atomic_int_get (&member->flushing))
    return FALSE;
  if (gst_mem_budget_member_fits (member, bytes))
    return TRUE;

  /* Waits on budget->cond; woken by every release of a charge while
   * somebody waits (any thread), by a limit change and by
   * gst_mem_budget_member_set_flushing(). */
  g_mutex_lock (&budget->lock);
  g_atomic_int_inc (&budget->n_waiters);
  while (!(fits = gst_mem_budget_member_fits (member, bytes))
      && !g_atomic_int_get (&member->flushing)) {
    GST_LOG ("budget %s: waiting for %" G_GUINT64_FORMAT " bytes (%"
        G_GINT64_FORMAT " live, limit %" G_GUINT64_FORMAT ")",
        GST_STR_NULL (budget->name), bytes, ATOMIC_LOAD (&budget->live),
        ATOMIC_LOAD (&budget->limit));
    g_cond_wait (&budget->cond, &budget->lock);
  }
  g_atomic_int_dec_and_test (&budget->n_waiters);
  g_mutex_unlock (&budget->lock);

  /* Flushing wins over fitting: the caller is shutting down. */
  return fits && !g_atomic_int_get (&member->flushing);
}

/**
 * gst_mem_budget_member_set_flushing:
 * @member: a #GstMemBudgetMember
 * @flushing: whether waits of @member must end
 *
 * While flushing, gst_mem_budget_member_wait() returns %FALSE at once;
 * setting it ends a wait in progress. Call it on flush-start, on a state
 * change to READY and on shutdown; clear it when data may flow again.
 */
void
gst_mem_budget_member_set_flushing (GstMemBudgetMember * member,
    gboolean flushing)
{
  g_return_if_fail (member != NULL);

  g_atomic_int_set (&member->flushing, flushing ? 1 : 0);
  if (flushing)
    gst_mem_budget_broadcast (member->budget);
}

/**
 * gst_mem_budget_member_is_flushing:
 * @member: a #GstMemBudgetMember
 *
 * Returns: whether @member is flushing
 */
gboolean
gst_mem_budget_member_is_flushing (GstMemBudgetMember * member)
{
  g_return_val_if_fail (member != NULL, FALSE);
  return g_atomic_int_get (&member->flushing) != 0;
}

/* ------------------------------------------------------------------------ */
/* Charge records and the charge meta */

#define CHARGE_INLINE_BUDGETS 6

typedef struct _GstMemCharge GstMemCharge;

struct _GstMemCharge
{
  gint refcount;
  gint lock;                    /* g_bit_lock bit 0: guards the budget list */
  guint64 bytes;
  guint n_inline;
  GstMemBudget *inline_budgets[CHARGE_INLINE_BUDGETS];
  GPtrArray *more;              /* overflow budgets, each with a ref */
  GstMemCharge *next_spare;     /* while released: the next spare record */
};

typedef struct
{
  GstMeta meta;
  GstMemCharge *charge;
} GstMemChargeMeta;

static GType gst_mem_charge_meta_api_get_type (void);
static const GstMetaInfo *gst_mem_charge_meta_get_info (void);

/* Spare records. A released record is kept for the next charge instead of
 * going back to malloc: records are allocated on the charging thread and
 * released on whichever thread frees the last sharer, and a cross-thread
 * malloc/free pair per buffer costs more than the rest of the accounting.
 * A shared queue of single records costs nearly as much (both threads
 * write its ends for every buffer), so records move in batches:
 * - a releasing thread puts the record on its own released list; once that
 *   holds CHARGE_BATCH records, the list goes onto the shared stack (one
 *   compare-and-swap per batch), or is freed when the stack already holds
 *   CHARGE_MAX_SPARE records;
 * - a charging thread takes records from its own ready list; when that is
 *   empty it takes its own released list (a thread that both charges and
 *   releases needs no atomics at all), else the whole shared stack at once
 *   (one exchange).
 * Taking all at once is what makes the stack safe without a lock: no thread
 * ever pops a single node, so no node can be reused under a popper's feet
 * (no ABA). A thread's lists are freed when the thread ends. Records kept:
 * at most CHARGE_MAX_SPARE on the stack, plus per thread fewer than
 * CHARGE_BATCH released and at most what it last took ready. */
#define CHARGE_BATCH 32
#define CHARGE_MAX_SPARE 256

typedef struct
{
  GstMemCharge *ready;
  GstMemCharge *released;
  GstMemCharge *released_tail;
  guint n_released;
} ChargeSpares;

static GstMemCharge *shared_spares;     /* atomic; the shared stack */
static gint n_shared_spares;    /* atomic; >= the records on the stack */

static void
gst_mem_charge_free_list (GstMemCharge * head)
{
  while (head) {
    GstMemCharge *next = head->next_spare;
    g_free (head);
    head = next;
  }
}

static __thread ChargeSpares *thread_spares;

/* Runs on the ending thread. A buffer released later in the thread's
 * teardown finds no lists and starts new ones, which are freed in turn. */
static void
gst_mem_charge_spares_free (gpointer data)
{
  ChargeSpares *spares = data;

  if (thread_spares == spares)
    thread_spares = NULL;
  gst_mem_charge_free_list (spares->ready);
  gst_mem_charge_free_list (spares->released);
  g_free (spares);
}

/* The GPrivate only frees a thread's lists when it ends; the lookup on
 * every charge and release goes through the cheaper compiler TLS. */
static GPrivate thread_spares_owner =
G_PRIVATE_INIT (gst_mem_charge_spares_free);

static ChargeSpares *
gst_mem_charge_thread_spares (void)
{
  ChargeSpares *spares = thread_spares;

  if (G_UNLIKELY (!spares)) {
    spares = g_new0 (ChargeSpares, 1);
    g_private_set (&thread_spares_owner, spares);
    thread_spares = spares;
  }
  return spares;
}

/* Refills the (empty) ready list: own released records first, else the
 * whole shared stack. */
static void
gst_mem_charge_refill (ChargeSpares * spares)
{
  GstMemCharge *c;
  gint n = 0;

  if (spares->released) {
    spares->ready = spares->released;
    spares->released = spares->released_tail = NULL;
    spares->n_released = 0;
    return;
  }
  if (!g_atomic_pointer_get (&shared_spares))
    return;
  spares->ready = g_atomic_pointer_exchange (&shared_spares, NULL);
  for (c = spares->ready; c; c = c->next_spare)
    n++;
  g_atomic_int_add (&n_shared_spares, -n);
}

/* Moves the released list to the shared stack, or frees it if the stack is
 * full. */
static void
gst_mem_charge_give_released (ChargeSpares * spares)
{
  GstMemCharge *head = spares->released, *tail = spares->released_tail, *old;
  gint n = (gint) spares->n_released;

  spares->released = spares->released_tail = NULL;
  spares->n_released = 0;
  /* Counted before it is linked, so the count never falls short. */
  if (g_atomic_int_add (&n_shared_spares, n) + n > CHARGE_MAX_SPARE) {
    g_atomic_int_add (&n_shared_spares, -n);
    gst_mem_charge_free_list (head);
    return;
  }
  old = g_atomic_pointer_get (&shared_spares);
  do {
    tail->next_spare = old;
  } while (!g_atomic_pointer_compare_and_exchange_full (&shared_spares, old,
          head, &old));
}

/* Returns a record holding one ref on @budget (which the caller must then
 * charge), with one ref on the record for the caller. */
static GstMemCharge *
gst_mem_charge_new (guint64 bytes, GstMemBudget * budget)
{
  ChargeSpares *spares = gst_mem_charge_thread_spares ();
  GstMemCharge *charge;

  if (!spares->ready)
    gst_mem_charge_refill (spares);
  charge = spares->ready;
  if (charge)
    spares->ready = charge->next_spare;
  else
    charge = g_new (GstMemCharge, 1);

  charge->refcount = 1;
  charge->lock = 0;
  charge->bytes = bytes;
  /* Nobody else sees the record yet: no bit lock needed. */
  charge->inline_budgets[0] = gst_mem_budget_ref (budget);
  charge->n_inline = 1;
  charge->more = NULL;
  charge->next_spare = NULL;
  return charge;
}

static void
gst_mem_charge_free (GstMemCharge * charge)
{
  ChargeSpares *spares = gst_mem_charge_thread_spares ();

  g_clear_pointer (&charge->more, g_ptr_array_unref);
  charge->next_spare = spares->released;
  spares->released = charge;
  if (!spares->released_tail)
    spares->released_tail = charge;
  if (++spares->n_released >= CHARGE_BATCH)
    gst_mem_charge_give_released (spares);
}

static GstMemCharge *
gst_mem_charge_ref (GstMemCharge * charge)
{
  g_atomic_int_inc (&charge->refcount);
  return charge;
}

/* The budgets of a record, inline ones first; the caller owns the record
 * (last ref, or the bit lock). */
static guint
gst_mem_charge_n_budgets (GstMemCharge * charge)
{
  return charge->n_inline + (charge->more ? charge->more->len : 0);
}

static GstMemBudget *
gst_mem_charge_nth_budget (GstMemCharge * charge, guint i)
{
  if (i < charge->n_inline)
    return charge->inline_budgets[i];
  return g_ptr_array_index (charge->more, i - charge->n_inline);
}

static gboolean
gst_mem_charge_has_budget (GstMemCharge * charge, GstMemBudget * budget)
{
  guint i, n = gst_mem_charge_n_budgets (charge);

  for (i = 0; i < n; i++) {
    if (gst_mem_charge_nth_budget (charge, i) == budget)
      return TRUE;
  }
  return FALSE;
}

static void
gst_mem_charge_unref (GstMemCharge * charge)
{
  guint i, n;

  if (!g_atomic_int_dec_and_test (&charge->refcount))
    return;

  /* Every budget lets go before any waiter runs: a waiter woken by the
   * first budget would otherwise pass a buffer while the later budgets
   * still count this one, and their peaks would show both. */
  n = gst_mem_charge_n_budgets (charge);
  for (i = 0; i < n; i++)
    gst_mem_budget_uncharge (gst_mem_charge_nth_budget (charge, i),
        charge->bytes);
  for (i = 0; i < n; i++) {
    GstMemBudget *budget = gst_mem_charge_nth_budget (charge, i);

    gst_mem_budget_wake_waiters (budget);
    gst_mem_budget_unref (budget);
  }
  gst_mem_charge_free (charge);
}

/* Returns TRUE if @budget was added (and must now be charged), FALSE if the
 * record already charged it. */
static gboolean
gst_mem_charge_add_budget (GstMemCharge * charge, GstMemBudget * budget)
{
  gboolean added;

  g_bit_lock (&charge->lock, 0);
  added = !gst_mem_charge_has_budget (charge, budget);
  if (added) {
    gst_mem_budget_ref (budget);
    if (charge->n_inline < CHARGE_INLINE_BUDGETS) {
      charge->inline_budgets[charge->n_inline++] = budget;
    } else {
      if (!charge->more)
        charge->more = g_ptr_array_new ();
      g_ptr_array_add (charge->more, budget);
    }
  }
  g_bit_unlock (&charge->lock, 0);

  if (added)
    gst_mem_budget_charge (budget, charge->bytes);
  return added;
}

/* Takes over the caller's ref on the record passed as @params. */
static gboolean
gst_mem_charge_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstMemChargeMeta *cmeta = (GstMemChargeMeta *) meta;

  /* Only our own code may attach it, always with a record. */
  cmeta->charge = params;
  return params != NULL;
}

/* Only called for a meta whose init succeeded, so with a record. */
static void
gst_mem_charge_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  gst_mem_charge_unref (((GstMemChargeMeta *) meta)->charge);
}

static GstMemory *
gst_mem_budget_memory_root (GstMemory * mem)
{
  while (mem->parent)
    mem = mem->parent;
  return mem;
}

/* Whether @a and @b hold (parts of) the same memory block. */
static gboolean
gst_mem_budget_buffers_share_memory (GstBuffer * a, GstBuffer * b)
{
  guint i, j, na = gst_buffer_n_memory (a), nb = gst_buffer_n_memory (b);

  for (i = 0; i < na; i++) {
    GstMemory *ra = gst_mem_budget_memory_root (gst_buffer_peek_memory (a, i));
    for (j = 0; j < nb; j++) {
      if (ra == gst_mem_budget_memory_root (gst_buffer_peek_memory (b, j)))
        return TRUE;
    }
  }
  return FALSE;
}

static GstMemChargeMeta *
gst_mem_budget_find_meta (GstBuffer * buffer, GstMemCharge * charge)
{
  gpointer state = NULL;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              gst_mem_charge_meta_api_get_type ()))) {
    if (!charge || ((GstMemChargeMeta *) meta)->charge == charge)
      return (GstMemChargeMeta *) meta;
  }
  return NULL;
}

static gboolean
gst_mem_charge_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstMemChargeMeta *cmeta = (GstMemChargeMeta *) meta;

  /* Scales, conversions and unknown transforms make new pixels. */
  if (!GST_META_TRANSFORM_IS_COPY (type))
    return TRUE;
  if (!gst_mem_budget_buffers_share_memory (dest, buffer))
    return TRUE;
  if (gst_mem_budget_find_meta (dest, cmeta->charge))
    return TRUE;
  if (gst_buffer_add_meta (dest, gst_mem_charge_meta_get_info (),
          gst_mem_charge_ref (cmeta->charge)))
    return TRUE;
  gst_mem_charge_unref (cmeta->charge);
  return FALSE;
}

static GType
gst_mem_charge_meta_api_get_type (void)
{
  static gsize type = 0;
  /* No tags on purpose: a tag would make transform elements drop the meta
   * before our transform function can decide by memory sharing. */
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstMemChargeMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static const GstMetaInfo *
gst_mem_charge_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi =
        gst_meta_register (gst_mem_charge_meta_api_get_type (),
        "GstMemChargeMeta", sizeof (GstMemChargeMeta),
        gst_mem_charge_meta_init, gst_mem_charge_meta_free,
        gst_mem_charge_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

/* Charges @buffer in place. Returns the bytes charged to @budget (0 if it
 * already was), or -1 if the buffer carries no charge and is not writable. */
static gssize
gst_mem_budget_charge_buffer (GstMemBudget * budget, GstBuffer * buffer)
{
  GstMemChargeMeta *meta = gst_mem_budget_find_meta (buffer, NULL);
  GstMemCharge *charge;
  gssize bytes;

  if (meta) {
    if (!gst_mem_charge_add_budget (meta->charge, budget))
      return 0;
    return (gssize) meta->charge->bytes;
  }
  if (!gst_buffer_is_writable (buffer))
    return -1;

  bytes = (gssize) gst_buffer_get_size (buffer);
  charge = gst_mem_charge_new (bytes, budget);
  gst_mem_budget_charge (budget, bytes);
  /* The meta takes the record's ref; if it cannot be attached, dropping
   * that ref releases the charge again. */
  if (!gst_buffer_add_meta (buffer, gst_mem_charge_meta_get_info (), charge)) {
    gst_mem_charge_unref (charge);
    return 0;
  }
  return bytes;
}

/**
 * gst_mem_budget_track_buffer:
 * @budget: a #GstMemBudget
 * @buffer: (inout) (transfer full): the buffer to charge
 *
 * Charges the buffer's size to @budget until the buffer and every copy or
 * sub-buffer sharing its memory (and so its charge) are freed or returned to
 * their pool. A buffer that is not writable and carries no charge yet is
 * replaced by a shallow copy (same memory) so that the charge can be
 * attached; the original, held elsewhere, is not charged.
 *
 * A buffer that already carries a charge (from any budget) keeps it: its
 * bytes are added to @budget once, with the size recorded at its first
 * charge. A buffer already charged to @budget is not charged again.
 *
 * Returns: the bytes charged to @budget by this call
 */
gsize
gst_mem_budget_track_buffer (GstMemBudget * budget, GstBuffer ** buffer)
{
  gssize bytes;

  g_return_val_if_fail (budget != NULL, 0);
  g_return_val_if_fail (buffer != NULL && GST_IS_BUFFER (*buffer), 0);

  bytes = gst_mem_budget_charge_buffer (budget, *buffer);
  if (bytes < 0) {
    *buffer = gst_buffer_make_writable (*buffer);
    bytes = gst_mem_budget_charge_buffer (budget, *buffer);
  }
  return bytes > 0 ? (gsize) bytes : 0;
}

/**
 * gst_mem_budget_try_track_buffer:
 * @budget: a #GstMemBudget
 * @buffer: (transfer none): the buffer to charge
 * @charged: (out) (optional): the bytes charged to @budget by this call
 *
 * Like gst_mem_budget_track_buffer() for callers that cannot replace the
 * buffer (tracers): a buffer that is not writable and carries no charge yet
 * is left alone.
 *
 * Returns: %FALSE if @buffer could not be charged
 */
gboolean
gst_mem_budget_try_track_buffer (GstMemBudget * budget, GstBuffer * buffer,
    gsize * charged)
{
  gssize bytes;

  g_return_val_if_fail (budget != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  bytes = gst_mem_budget_charge_buffer (budget, buffer);
  if (charged)
    *charged = bytes > 0 ? (gsize) bytes : 0;
  return bytes >= 0;
}

static gboolean
gst_mem_budget_track_list_item (GstBuffer ** buffer, guint idx,
    gpointer user_data)
{
  gpointer *data = user_data;

  *(gsize *) data[1] += gst_mem_budget_track_buffer (data[0], buffer);
  return TRUE;
}

/**
 * gst_mem_budget_track_buffer_list:
 * @budget: a #GstMemBudget
 * @list: (inout) (transfer full): the buffers to charge
 *
 * Charges every buffer of @list as gst_mem_budget_track_buffer() does. The
 * list is made writable first (a shallow copy if it is shared).
 *
 * Returns: the bytes charged to @budget by this call
 */
gsize
gst_mem_budget_track_buffer_list (GstMemBudget * budget, GstBufferList ** list)
{
  gsize total = 0;
  gpointer data[2] = { budget, &total };

  g_return_val_if_fail (budget != NULL, 0);
  g_return_val_if_fail (list != NULL && GST_IS_BUFFER_LIST (*list), 0);

  *list = gst_buffer_list_make_writable (*list);
  gst_buffer_list_foreach (*list, gst_mem_budget_track_list_item, data);
  return total;
}

/**
 * gst_mem_budget_buffer_is_charged:
 * @budget: a #GstMemBudget
 * @buffer: a #GstBuffer
 *
 * Returns: whether @buffer's bytes are currently charged to @budget
 */
gboolean
gst_mem_budget_buffer_is_charged (GstMemBudget * budget, GstBuffer * buffer)
{
  gpointer state = NULL;
  GstMeta *meta;
  gboolean found = FALSE;

  g_return_val_if_fail (budget != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  while (!found && (meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              gst_mem_charge_meta_api_get_type ()))) {
    GstMemCharge *charge = ((GstMemChargeMeta *) meta)->charge;

    g_bit_lock (&charge->lock, 0);
    found = gst_mem_charge_has_budget (charge, budget);
    g_bit_unlock (&charge->lock, 0);
  }
  return found;
}
