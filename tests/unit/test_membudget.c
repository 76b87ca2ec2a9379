/* The accounting core: the promises of GstMemBudget. */
#include <unistd.h>

#include <gst/check/gstcheck.h>

#include "gstmembudget.h"

/* Nothing here may hang: a deadlock fails the whole program instead. */
#define PROGRAM_TIMEOUT_S 60
/* How long a waiter must stay blocked to count as blocked. */
#define STILL_BLOCKED_US (100 * 1000)
/* How long a woken waiter may take to return. */
#define WAKE_DEADLINE_US (5 * G_USEC_PER_SEC)
/* More budgets than a charge record keeps inline. */
#define CHARGE_TEST_BUDGETS 9

static GstBuffer *
new_buffer (gsize size)
{
  return gst_buffer_new_allocate (NULL, size, NULL);
}

static void
test_charge_and_release_counts (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstBuffer *a = new_buffer (1000), *b = new_buffer (234);

  g_assert_null (gst_mem_budget_get_name (budget));
  g_assert_cmpuint (gst_mem_budget_track_buffer (budget, &a), ==, 1000);
  g_assert_cmpuint (gst_mem_budget_track_buffer (budget, &b), ==, 234);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 1234);
  g_assert_true (gst_mem_budget_buffer_is_charged (budget, a));

  gst_buffer_unref (a);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 234);
  gst_buffer_unref (b);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 0);
  g_assert_cmpuint (gst_mem_budget_get_peak_bytes (budget), ==, 1234);

  gst_mem_budget_charge (budget, 10);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 10);
  gst_mem_budget_reset_peak (budget);
  g_assert_cmpuint (gst_mem_budget_get_peak_bytes (budget), ==, 10);
  gst_mem_budget_release (budget, 10);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 0);
  gst_mem_budget_unref (budget);
}

static void
test_same_budget_charged_once (void)
{
  GstMemBudget *one = gst_mem_budget_new (), *two = gst_mem_budget_new ();
  GstBuffer *buf = new_buffer (500);

  g_assert_cmpuint (gst_mem_budget_track_buffer (one, &buf), ==, 500);
  g_assert_cmpuint (gst_mem_budget_track_buffer (one, &buf), ==, 0);
  g_assert_cmpuint (gst_mem_budget_track_buffer (two, &buf), ==, 500);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (one), ==, 500);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (two), ==, 500);
  gst_buffer_unref (buf);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (one), ==, 0);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (two), ==, 0);
  gst_mem_budget_unref (one);
  gst_mem_budget_unref (two);
}

static void
test_many_budgets_on_one_buffer (void)
{
  GstMemBudget *budgets[20];
  GstBuffer *buf = new_buffer (77);
  guint i;

  /* more budgets than the record keeps inline */
  for (i = 0; i < G_N_ELEMENTS (budgets); i++) {
    budgets[i] = gst_mem_budget_new ();
    g_assert_cmpuint (gst_mem_budget_track_buffer (budgets[i], &buf), ==, 77);
  }
  for (i = 0; i < G_N_ELEMENTS (budgets); i++) {
    g_assert_cmpuint (gst_mem_budget_get_live_bytes (budgets[i]), ==, 77);
    g_assert_true (gst_mem_budget_buffer_is_charged (budgets[i], buf));
  }
  gst_buffer_unref (buf);
  for (i = 0; i < G_N_ELEMENTS (budgets); i++) {
    g_assert_cmpuint (gst_mem_budget_get_live_bytes (budgets[i]), ==, 0);
    gst_mem_budget_unref (budgets[i]);
  }
}

static void
test_pool_release_is_counted (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstBufferPool *pool = gst_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstBuffer *buf = NULL, *again = NULL;

  gst_buffer_pool_config_set_params (config, NULL, 4096, 1, 1);
  g_assert_true (gst_buffer_pool_set_config (pool, config));
  g_assert_true (gst_buffer_pool_set_active (pool, TRUE));

  g_assert_cmpint (gst_buffer_pool_acquire_buffer (pool, &buf, NULL), ==,
      GST_FLOW_OK);
  g_assert_cmpuint (gst_mem_budget_track_buffer (budget, &buf), ==, 4096);
  g_assert_true (buf->pool == pool);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 4096);

  /* back to the pool, not freed */
  gst_buffer_unref (buf);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 0);

  /* the pool's only buffer comes back clean */
  g_assert_cmpint (gst_buffer_pool_acquire_buffer (pool, &again, NULL), ==,
      GST_FLOW_OK);
  g_assert_true (again == buf);
  g_assert_false (gst_mem_budget_buffer_is_charged (budget, again));
  g_assert_cmpuint (gst_mem_budget_track_buffer (budget, &again), ==, 4096);
  gst_buffer_unref (again);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 0);

  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
  gst_mem_budget_unref (budget);
}

static void
test_copies_and_subbuffers_keep_the_charge (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstBuffer *buf = new_buffer (1000), *copy, *sub, *deep;

  gst_mem_budget_track_buffer (budget, &buf);
  copy = gst_buffer_copy (buf);
  sub = gst_buffer_copy_region (buf, GST_BUFFER_COPY_ALL, 100, 50);
  deep = gst_buffer_copy_deep (buf);
  g_assert_true (gst_mem_budget_buffer_is_charged (budget, copy));
  g_assert_true (gst_mem_budget_buffer_is_charged (budget, sub));
  /* a deep copy owns new memory that never passed the budget */
  g_assert_false (gst_mem_budget_buffer_is_charged (budget, deep));
  gst_buffer_unref (deep);

  /* shared, not added up */
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 1000);
  gst_buffer_unref (buf);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 1000);
  gst_buffer_unref (copy);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 1000);
  gst_buffer_unref (sub);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 0);
  gst_mem_budget_unref (budget);
}

static void
test_shared_buffer_is_replaced_by_shallow_copy (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstBuffer *held = new_buffer (300), *passed = gst_buffer_ref (held);

  g_assert_cmpuint (gst_mem_budget_track_buffer (budget, &passed), ==, 300);
  g_assert_true (passed != held);
  g_assert_true (gst_buffer_peek_memory (passed, 0) ==
      gst_buffer_peek_memory (held, 0));
  g_assert_true (gst_mem_budget_buffer_is_charged (budget, passed));
  /* try_track cannot replace, so it refuses */
  {
    GstMemBudget *other = gst_mem_budget_new ();
    GstBuffer *extra = gst_buffer_ref (held);
    gsize charged = 1;

    g_assert_false (gst_mem_budget_try_track_buffer (other, held, &charged));
    g_assert_cmpuint (charged, ==, 0);
    gst_buffer_unref (extra);
    g_assert_true (gst_mem_budget_try_track_buffer (other, held, &charged));
    g_assert_cmpuint (charged, ==, 300);
    gst_mem_budget_unref (other);
  }
  gst_buffer_unref (passed);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 0);
  gst_buffer_unref (held);
  gst_mem_budget_unref (budget);
}

static void
test_buffer_lists (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer *kept;

  gst_buffer_list_add (list, new_buffer (100));
  gst_buffer_list_add (list, new_buffer (200));
  gst_buffer_list_add (list, new_buffer (300));
  g_assert_cmpuint (gst_mem_budget_track_buffer_list (budget, &list), ==, 600);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 600);

  kept = gst_buffer_ref (gst_buffer_list_get (list, 1));
  gst_buffer_list_unref (list);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 200);
  gst_buffer_unref (kept);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 0);
  gst_mem_budget_unref (budget);
}

static void
test_named_budgets_shared_and_refcounted (void)
{
  GstMemBudget *a = gst_mem_budget_get_named ("shared");
  GstMemBudget *b = gst_mem_budget_get_named ("shared");
  GstMemBudget *other = gst_mem_budget_get_named ("other");
  GstMemBudget *fresh;
  gint member_a, member_b, member_c;

  g_assert_true (a == b);
  g_assert_true (a != other);
  g_assert_cmpstr (gst_mem_budget_get_name (a), ==, "shared");

  gst_mem_budget_set_member_limit (a, &member_a, 1000);
  gst_mem_budget_set_member_limit (b, &member_b, 0);
  g_assert_cmpuint (gst_mem_budget_get_limit (a), ==, 1000);
  gst_mem_budget_set_member_limit (b, &member_c, 400);
  g_assert_cmpuint (gst_mem_budget_get_limit (a), ==, 400);
  gst_mem_budget_set_member_limit (b, &member_c, 2000);
  g_assert_cmpuint (gst_mem_budget_get_limit (a), ==, 1000);
  gst_mem_budget_remove_member (a, &member_a);
  g_assert_cmpuint (gst_mem_budget_get_limit (a), ==, 2000);
  g_assert_cmpuint (gst_mem_budget_get_limit (other), ==, 0);

  gst_mem_budget_charge (a, 5);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (b), ==, 5);
  gst_mem_budget_release (b, 5);

  gst_mem_budget_unref (a);
  /* still held by b */
  fresh = gst_mem_budget_get_named ("shared");
  g_assert_true (fresh == b);
  gst_mem_budget_unref (fresh);
  gst_mem_budget_unref (b);

  /* the last unref removed it: the name starts over */
  fresh = gst_mem_budget_get_named ("shared");
  g_assert_cmpuint (gst_mem_budget_get_limit (fresh), ==, 0);
  g_assert_cmpuint (gst_mem_budget_get_peak_bytes (fresh), ==, 0);
  gst_mem_budget_unref (fresh);
  gst_mem_budget_unref (other);
}

typedef struct
{
  GstMemBudgetMember *member;
  guint64 bytes;
  gint done;
  gboolean result;
} Waiter;

static gpointer
waiter_thread (gpointer data)
{
  Waiter *w = data;

  w->result = gst_mem_budget_member_wait (w->member, w->bytes);
  g_atomic_int_set (&w->done, 1);
  return NULL;
}

static gboolean
wait_done (Waiter * w, gint64 deadline_us)
{
  gint64 end = g_get_monotonic_time () + deadline_us;

  while (!g_atomic_int_get (&w->done) && g_get_monotonic_time () < end)
    g_usleep (1000);
  return g_atomic_int_get (&w->done);
}

static void
test_wait_blocks_until_release (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstMemBudgetMember *member = gst_mem_budget_member_new (budget, 100);
  Waiter w = { member, 40, 0, FALSE };
  GstBuffer *buf = new_buffer (80);
  GThread *thread;

  gst_mem_budget_track_buffer (budget, &buf);
  thread = g_thread_new ("waiter", waiter_thread, &w);
  g_assert_false (wait_done (&w, STILL_BLOCKED_US));

  gst_buffer_unref (buf);
  g_assert_true (wait_done (&w, WAKE_DEADLINE_US));
  g_thread_join (thread);
  g_assert_true (w.result);
  gst_mem_budget_member_unref (member);
  gst_mem_budget_unref (budget);
}

static void
test_wait_returns_false_on_flushing (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstMemBudgetMember *member = gst_mem_budget_member_new (budget, 100);
  Waiter w = { member, 40, 0, TRUE };
  GThread *thread;

  gst_mem_budget_charge (budget, 90);
  thread = g_thread_new ("waiter", waiter_thread, &w);
  g_assert_false (wait_done (&w, STILL_BLOCKED_US));

  gst_mem_budget_member_set_flushing (member, TRUE);
  g_assert_true (wait_done (&w, WAKE_DEADLINE_US));
  g_thread_join (thread);
  g_assert_false (w.result);

  /* an already flushing member does not even wait */
  g_assert_false (gst_mem_budget_member_wait (member, 1));
  /* and waits again once the flush is over */
  gst_mem_budget_member_set_flushing (member, FALSE);
  g_assert_true (gst_mem_budget_member_wait (member, 10));
  gst_mem_budget_release (budget, 90);
  gst_mem_budget_member_unref (member);
  gst_mem_budget_unref (budget);
}

static void
test_wait_lets_oversized_buffer_through_when_empty (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstMemBudgetMember *member = gst_mem_budget_member_new (budget, 100);
  GstMemBudgetMember *other = gst_mem_budget_member_new (budget, 0);

  g_assert_true (gst_mem_budget_member_wait (member, 1000));
  g_assert_true (gst_mem_budget_member_wait (member, 100));
  gst_mem_budget_member_unref (member);
  gst_mem_budget_charge (budget, 1 << 20);
  /* unlimited */
  g_assert_true (gst_mem_budget_member_wait (other, 1 << 20));
  gst_mem_budget_release (budget, 1 << 20);
  gst_mem_budget_member_unref (other);
  gst_mem_budget_unref (budget);
}

static void
test_raising_the_limit_wakes_waiters (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstMemBudgetMember *member = gst_mem_budget_member_new (budget, 100);
  Waiter w = { member, 50, 0, FALSE };
  GThread *thread;

  gst_mem_budget_charge (budget, 90);
  thread = g_thread_new ("waiter", waiter_thread, &w);
  g_assert_false (wait_done (&w, STILL_BLOCKED_US));
  gst_mem_budget_member_set_limit (member, 200);
  g_assert_true (wait_done (&w, WAKE_DEADLINE_US));
  g_thread_join (thread);
  g_assert_true (w.result);
  gst_mem_budget_release (budget, 90);
  gst_mem_budget_member_unref (member);
  gst_mem_budget_unref (budget);
}

/* The one admission rule: in a shared budget, a member with nothing of its
 * own alive is admitted whatever the others hold; one that holds bytes is
 * held to the strictest member's limit. */
static void
test_member_with_nothing_alive_is_never_starved (void)
{
  GstMemBudget *budget = gst_mem_budget_get_named ("starve");
  GstMemBudgetMember *a = gst_mem_budget_member_new (budget, 1000);
  GstMemBudgetMember *b = gst_mem_budget_member_new (budget, 0);
  GstBuffer *held_a = new_buffer (1000), *held_b = new_buffer (10);

  gst_mem_budget_member_track_buffer (a, &held_a);
  g_assert_cmpuint (gst_mem_budget_member_get_live_bytes (a), ==, 1000);
  g_assert_cmpuint (gst_mem_budget_member_get_live_bytes (b), ==, 0);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 1000);

  /* b holds nothing: admitted although the budget is full */
  g_assert_true (gst_mem_budget_member_fits (b, 500));
  /* a holds the budget: not admitted */
  g_assert_false (gst_mem_budget_member_fits (a, 1));
  /* once b holds something, a's limit (the strictest) applies to b too */
  gst_mem_budget_member_track_buffer (b, &held_b);
  g_assert_false (gst_mem_budget_member_fits (b, 500));

  gst_buffer_unref (held_a);
  g_assert_true (gst_mem_budget_member_fits (b, 500));
  g_assert_true (gst_mem_budget_member_fits (b, 990));
  g_assert_false (gst_mem_budget_member_fits (b, 991));
  gst_buffer_unref (held_b);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (budget), ==, 0);

  gst_mem_budget_member_unref (a);
  gst_mem_budget_member_unref (b);
  gst_mem_budget_unref (budget);
}

/* A member that leaves takes its limit with it. */
static void
test_member_unref_leaves_the_budget (void)
{
  GstMemBudget *budget = gst_mem_budget_get_named ("leave");
  GstMemBudgetMember *strict = gst_mem_budget_member_new (budget, 100);
  GstMemBudgetMember *loose = gst_mem_budget_member_new (budget, 1000);

  g_assert_cmpuint (gst_mem_budget_get_limit (budget), ==, 100);
  g_assert_true (gst_mem_budget_member_get_budget (loose) == budget);
  gst_mem_budget_member_unref (strict);
  g_assert_cmpuint (gst_mem_budget_get_limit (budget), ==, 1000);
  gst_mem_budget_member_unref (loose);
  g_assert_cmpuint (gst_mem_budget_get_limit (budget), ==, 0);
  gst_mem_budget_unref (budget);
}

#define SMOKE_ROUNDS 20000

typedef struct
{
  GstMemBudget *shared;
  GstBuffer *common;            /* charged by both threads */
} Smoke;

static gpointer
smoke_thread (gpointer data)
{
  Smoke *s = data;
  GstMemBudget *mine = gst_mem_budget_new ();
  guint i;

  for (i = 0; i < SMOKE_ROUNDS; i++) {
    GstBuffer *buf = new_buffer (1 + i % 512);
    GstBuffer *copy;

    gst_mem_budget_track_buffer (s->shared, &buf);
    gst_mem_budget_track_buffer (mine, &buf);
    copy = gst_buffer_copy (buf);
    gst_buffer_unref (buf);
    gst_buffer_unref (copy);
    /* both threads add budgets to one record at once */
    gst_mem_budget_try_track_buffer (mine, s->common, NULL);
  }
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (mine), ==, 10);
  gst_mem_budget_unref (mine);
  return NULL;
}

static void
test_thread_safety_smoke (void)
{
  Smoke s = { gst_mem_budget_get_named ("smoke"), new_buffer (10) };
  GThread *t1, *t2;

  gst_mem_budget_track_buffer (s.shared, &s.common);
  t1 = g_thread_new ("smoke1", smoke_thread, &s);
  t2 = g_thread_new ("smoke2", smoke_thread, &s);
  g_thread_join (t1);
  g_thread_join (t2);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (s.shared), ==, 10);
  /* at most one buffer of each thread alive at a time, plus common */
  g_assert_cmpuint (gst_mem_budget_get_peak_bytes (s.shared), <=,
      10 + 2 * 512);
  gst_buffer_unref (s.common);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (s.shared), ==, 0);
  gst_mem_budget_unref (s.shared);
}

static void
test_boxed_type (void)
{
  GstMemBudget *budget = gst_mem_budget_new ();
  GstMemBudget *copy = g_boxed_copy (GST_TYPE_MEM_BUDGET, budget);

  g_assert_true (copy == budget);
  g_assert_true (G_TYPE_IS_BOXED (GST_TYPE_MEM_BUDGET));
  g_boxed_free (GST_TYPE_MEM_BUDGET, copy);
  gst_mem_budget_unref (budget);
}

/* Records of released charges are reused: a reused record must carry
 * nothing of its previous life (budgets, overflow list, size). */
static void
test_released_charge_leaves_nothing_behind (void)
{
  GstMemBudget *many[CHARGE_TEST_BUDGETS];
  GstMemBudget *next = gst_mem_budget_new ();
  guint round, i;

  for (i = 0; i < CHARGE_TEST_BUDGETS; i++)
    many[i] = gst_mem_budget_new ();

  for (round = 0; round < 1000; round++) {
    GstBuffer *old = new_buffer (100), *buf;

    for (i = 0; i < CHARGE_TEST_BUDGETS; i++)
      g_assert_cmpuint (gst_mem_budget_track_buffer (many[i], &old), ==, 100);
    gst_buffer_unref (old);

    buf = new_buffer (7);
    g_assert_cmpuint (gst_mem_budget_track_buffer (next, &buf), ==, 7);
    for (i = 0; i < CHARGE_TEST_BUDGETS; i++) {
      g_assert_false (gst_mem_budget_buffer_is_charged (many[i], buf));
      g_assert_cmpuint (gst_mem_budget_get_live_bytes (many[i]), ==, 0);
    }
    g_assert_true (gst_mem_budget_buffer_is_charged (next, buf));
    g_assert_cmpuint (gst_mem_budget_get_live_bytes (next), ==, 7);
    gst_buffer_unref (buf);
    g_assert_cmpuint (gst_mem_budget_get_live_bytes (next), ==, 0);
  }

  for (i = 0; i < CHARGE_TEST_BUDGETS; i++)
    gst_mem_budget_unref (many[i]);
  gst_mem_budget_unref (next);
}

#define HANDOVER_BUFFERS 20000
#define HANDOVER_DEPTH 64

typedef struct
{
  GAsyncQueue *queue;
  GstMemBudget *budget;
} Handover;

static gpointer
handover_consumer (gpointer data)
{
  Handover *h = data;
  guint i;

  for (i = 0; i < HANDOVER_BUFFERS; i++)
    gst_buffer_unref (g_async_queue_pop (h->queue));
  return NULL;
}

/* The streaming case: buffers charged on one thread and released on
 * another, charge records travelling the other way. */
static void
test_charges_released_on_another_thread (void)
{
  Handover h = { g_async_queue_new (), gst_mem_budget_get_named ("handover") };
  GThread *consumer = g_thread_new ("consumer", handover_consumer, &h);
  guint i;

  for (i = 0; i < HANDOVER_BUFFERS; i++) {
    GstBuffer *buf = new_buffer (64);

    g_assert_cmpuint (gst_mem_budget_track_buffer (h.budget, &buf), ==, 64);
    while (g_async_queue_length (h.queue) >= HANDOVER_DEPTH)
      g_thread_yield ();
    g_async_queue_push (h.queue, buf);
  }
  g_thread_join (consumer);
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (h.budget), ==, 0);
  /* queued buffers, the one being pushed and the one being freed */
  g_assert_cmpuint (gst_mem_budget_get_peak_bytes (h.budget), <=,
      64 * (HANDOVER_DEPTH + 2));
  g_async_queue_unref (h.queue);
  gst_mem_budget_unref (h.budget);
}

#define NAMED_RACE_ROUNDS 20000

static gpointer
named_race_thread (gpointer data)
{
  GstMemBudget *held = data;
  gboolean same = TRUE;
  guint i;

  for (i = 0; i < NAMED_RACE_ROUNDS; i++) {
    GstMemBudget *a = gst_mem_budget_get_named ("race-held");
    GstMemBudget *b = gst_mem_budget_get_named ("race-free");

    same = same && a == held;
    gst_mem_budget_charge (b, 1);
    gst_mem_budget_release (b, 1);
    gst_mem_budget_unref (b);
    gst_mem_budget_unref (a);
  }
  return GINT_TO_POINTER (same);
}

/* Unrefs race with get_named: a held name always gives the held budget, and
 * a name whose last ref comes and goes never hands out a dying budget. */
static void
test_named_get_and_unref_race (void)
{
  GstMemBudget *held = gst_mem_budget_get_named ("race-held");
  GThread *t1 = g_thread_new ("race1", named_race_thread, held);
  GThread *t2 = g_thread_new ("race2", named_race_thread, held);
  GstMemBudget *fresh;

  g_assert_true (GPOINTER_TO_INT (g_thread_join (t1)));
  g_assert_true (GPOINTER_TO_INT (g_thread_join (t2)));
  g_assert_true (gst_mem_budget_get_named ("race-held") == held);
  gst_mem_budget_unref (held);
  gst_mem_budget_unref (held);

  fresh = gst_mem_budget_get_named ("race-free");
  g_assert_cmpuint (gst_mem_budget_get_live_bytes (fresh), ==, 0);
  gst_mem_budget_unref (fresh);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  alarm (PROGRAM_TIMEOUT_S);

  g_test_add_func ("/membudget/charge-and-release-counts",
      test_charge_and_release_counts);
  g_test_add_func ("/membudget/same-budget-charged-once",
      test_same_budget_charged_once);
  g_test_add_func ("/membudget/many-budgets-on-one-buffer",
      test_many_budgets_on_one_buffer);
  g_test_add_func ("/membudget/pool-release-is-counted",
      test_pool_release_is_counted);
  g_test_add_func ("/membudget/copies-and-subbuffers-keep-the-charge",
      test_copies_and_subbuffers_keep_the_charge);
  g_test_add_func ("/membudget/shared-buffer-is-replaced-by-shallow-copy",
      test_shared_buffer_is_replaced_by_shallow_copy);
  g_test_add_func ("/membudget/buffer-lists", test_buffer_lists);
  g_test_add_func ("/membudget/named-budgets-shared-and-refcounted",
      test_named_budgets_shared_and_refcounted);
  g_test_add_func ("/membudget/wait-blocks-until-release",
      test_wait_blocks_until_release);
  g_test_add_func ("/membudget/wait-returns-false-on-flushing",
      test_wait_returns_false_on_flushing);
  g_test_add_func ("/membudget/wait-lets-oversized-buffer-through-when-empty",
      test_wait_lets_oversized_buffer_through_when_empty);
  g_test_add_func ("/membudget/raising-the-limit-wakes-waiters",
      test_raising_the_limit_wakes_waiters);
  g_test_add_func ("/membudget/member-with-nothing-alive-is-never-starved",
      test_member_with_nothing_alive_is_never_starved);
  g_test_add_func ("/membudget/member-unref-leaves-the-budget",
      test_member_unref_leaves_the_budget);
  g_test_add_func ("/membudget/thread-safety-smoke", test_thread_safety_smoke);
  g_test_add_func ("/membudget/boxed-type", test_boxed_type);
  g_test_add_func ("/membudget/released-charge-leaves-nothing-behind",
      test_released_charge_leaves_nothing_behind);
  g_test_add_func ("/membudget/charges-released-on-another-thread",
      test_charges_released_on_another_thread);
  g_test_add_func ("/membudget/named-get-and-unref-race",
      test_named_get_and_unref_race);

  return g_test_run ();
}
