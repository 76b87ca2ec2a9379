/* gst-membound: the output path of a tile producer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gsttileoutput
 * @title: GstTileOutput
 * @short_description: src caps, held sticky events and the bounded pool of
 *   an element that makes its own buffers
 *
 * An element whose output caps are only known once it has seen data (the
 * size of the first image) must hold the sticky events it receives before
 * that (segment, tags, custom sticky events), because downstream expects
 * stream-start, caps, segment in this order. #GstTileOutput holds them in
 * the sink pad's own sticky store, as GstVideoDecoder and GstAggregator do,
 * and sends them right after the first caps.
 *
 * Its buffers come from a pool negotiated through the ALLOCATION query by
 * one rule: the element states the buffers it keeps in flight (@bound of
 * gst_tile_output_negotiate_pool()), downstream's minimum is added to it,
 * the count is raised so that the pool holds at least
 * #GST_TILE_POOL_MIN_BYTES (gst_tile_pool_max_buffers()), and downstream's
 * maximum never raises it. When downstream holds every buffer,
 * gst_tile_output_acquire() blocks: that is the backpressure. A flush or a
 * state change wakes it (gst_tile_output_set_flushing()).
 *
 * Typical use, in the streaming thread:
 * |[<!-- language="C" -->
 * // sink event function, for events the element does not consume itself;
 * // flushes reach the output here too
 * if (gst_tile_output_hold_event (self->output, event))
 *   return TRUE;
 * return gst_pad_event_default (pad, parent, event);
 *
 * // first buffer of an image
 * if (!gst_tile_output_set_caps (self->output, caps))
 *   return GST_FLOW_NOT_NEGOTIATED;
 * ret = gst_tile_output_negotiate_pool (self->output, caps, size, 2);
 * ...
 * ret = gst_tile_output_acquire (self->output, &buffer);
 * ...
 * ret = gst_tile_output_push (self->output, buffer);
 * ]|
 *
 * Locking: the pool and the flushing flag are guarded by a mutex of their
 * own, since flushes and state changes reach them from other threads; the
 * mutex is never held while waiting for a buffer or pushing. The held bytes
 * are atomic. Events and caps belong to the streaming thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/video/video.h>

#include "gsttileoutput.h"
#include "gsttilemeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_tile_output_debug);
#define GST_CAT_DEFAULT gst_tile_output_debug

struct _GstTileOutput
{
  GstPad *sinkpad;              /* not reffed: the element owns its pads */
  GstPad *srcpad;

  /* streaming thread */
  gboolean caps_sent;           /* held events went out after them */
  GPtrArray *own_events;        /* element-made sticky events, one per type */

  /* lock */
  GMutex lock;
  GstBufferPool *pool;
  guint max_buffers;
  gboolean flushing;

  guint64 held_bytes;           /* atomic */
};

/* Marks an acquired buffer with the bytes counted for it. */
static G_DEFINE_QUARK (gst-tile-output-held, gst_tile_output_held);

static void
gst_tile_output_clear (GstTileOutput * output)
{
  gst_tile_output_reset (output);
  g_ptr_array_unref (output->own_events);
  g_mutex_clear (&output->lock);
}

G_DEFINE_BOXED_TYPE (GstTileOutput, gst_tile_output, gst_tile_output_ref,
    gst_tile_output_unref);

/**
 * gst_tile_output_new:
 * @sinkpad: the element's sink pad, whose sticky store holds the events
 * @srcpad: the element's src pad
 *
 * Makes the output path of an element. The pads are not reffed: drop the
 * output before the element's pads go (in finalize).
 *
 * Returns: (transfer full): a new #GstTileOutput
 */
GstTileOutput *
gst_tile_output_new (GstPad * sinkpad, GstPad * srcpad)
{
  GstTileOutput *output;

  g_return_val_if_fail (GST_IS_PAD (sinkpad), NULL);
  g_return_val_if_fail (GST_IS_PAD (srcpad), NULL);

  if (g_once_init_enter (&gst_tile_output_debug)) {
    GstDebugCategory *cat = NULL;

    GST_DEBUG_CATEGORY_INIT (cat, "tileoutput", 0,
        "Output path of tile producers");
    g_once_init_leave (&gst_tile_output_debug, cat);
  }
  output = g_atomic_rc_box_new0 (GstTileOutput);
  output->sinkpad = sinkpad;
  output->srcpad = srcpad;
  output->own_events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_event_unref);
  g_mutex_init (&output->lock);
  return output;
}

/**
 * gst_tile_output_ref:
 * @output: a #GstTileOutput
 *
 * Returns: (transfer full): @output, with one more reference
 */
GstTileOutput *
gst_tile_output_ref (GstTileOutput * output)
{
  g_return_val_if_fail (output != NULL, NULL);
  return g_atomic_rc_box_acquire (output);
}

/**
 * gst_tile_output_unref:
 * @output: (transfer full): a #GstTileOutput
 *
 * Drops a reference; the last one releases the pool and the held events.
 */
void
gst_tile_output_unref (GstTileOutput * output)
{
  g_return_if_fail (output != NULL);
  g_atomic_rc_box_release_full (output, (GDestroyNotify) gst_tile_output_clear);
}

/* --- Events --- */

static gboolean
gst_tile_output_is_held (GstTileOutput * output, GstEvent * event)
{
  GstEventType type = GST_EVENT_TYPE (event);

  return !output->caps_sent && GST_EVENT_IS_STICKY (event)
      && GST_EVENT_IS_SERIALIZED (event) && type != GST_EVENT_STREAM_START
      && type != GST_EVENT_CAPS && type != GST_EVENT_EOS;
}

/* NULL if there is none, which g_ptr_array_remove() finds nothing for. */
static GstEvent *
gst_tile_output_own_event (GstTileOutput * output, GstEventType type)
{
  guint i;

  for (i = 0; i < output->own_events->len; i++) {
    GstEvent *event = g_ptr_array_index (output->own_events, i);

    if (GST_EVENT_TYPE (event) == type)
      return event;
  }
  return NULL;
}

/* @data: the output and the array to collect into */
static gboolean
gst_tile_output_collect_held (GstPad * pad, GstEvent ** event, gpointer data)
{
  GstTileOutput *output = ((gpointer *) data)[0];

  /* an element-made event of the same type stands in for the pad's */
  if (gst_tile_output_is_held (output, *event)
      && !gst_tile_output_own_event (output, GST_EVENT_TYPE (*event)))
    g_ptr_array_add (((gpointer *) data)[1], gst_event_ref (*event));
  return TRUE;
}

/* GstEventType values are in sticky order (segment before tags before
 * custom sticky events); a stable sort keeps the pad's order within one. */
static gint
gst_tile_output_compare_events (gconstpointer a, gconstpointer b)
{
  GstEventType ta = GST_EVENT_TYPE (*(GstEvent **) a);
  GstEventType tb = GST_EVENT_TYPE (*(GstEvent **) b);

  return ta < tb ? -1 : (ta > tb ? 1 : 0);
}

/* Sends what waited for the first caps, in sticky order. */
static void
gst_tile_output_send_held (GstTileOutput * output)
{
  GPtrArray *events = g_ptr_array_new ();
  gpointer data[2] = { output, events };
  guint i;

  gst_pad_sticky_events_foreach (output->sinkpad,
      gst_tile_output_collect_held, data);
  output->caps_sent = TRUE;
  /* the pushes below take over these refs */
  while (output->own_events->len > 0)
    g_ptr_array_add (events, g_ptr_array_steal_index (output->own_events, 0));
  g_ptr_array_sort (events, gst_tile_output_compare_events);
  for (i = 0; i < events->len; i++)
    gst_pad_push_event (output->srcpad, g_ptr_array_index (events, i));
  g_ptr_array_unref (events);
}

/**
 * gst_tile_output_hold_event:
 * @output: a #GstTileOutput
 * @event: (transfer full): an event that reached the sink pad
 *
 * Call from the sink pad's event function for every event the element does
 * not consume itself. Before the first caps, a serialized sticky event other
 * than stream-start, caps and EOS is taken: the sink pad keeps it in its
 * sticky store, and gst_tile_output_set_caps() sends it. An EOS before any
 * caps sends what was held first. FLUSH_START and FLUSH_STOP set the output
 * flushing and back (gst_tile_output_set_flushing()).
 *
 * Returns: %TRUE if @event was taken (return %TRUE from the event function);
 *   %FALSE if the caller still owns it and forwards it
 */
gboolean
gst_tile_output_hold_event (GstTileOutput * output, GstEvent * event)
{
  g_return_val_if_fail (output != NULL, FALSE);
  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      gst_tile_output_set_flushing (output,
          GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START);
      return FALSE;
    case GST_EVENT_EOS:
      if (!output->caps_sent)
        gst_tile_output_send_held (output);
      return FALSE;
    default:
      break;
  }
  if (!gst_tile_output_is_held (output, event))
    return FALSE;
  GST_LOG_OBJECT (output->srcpad, "holding %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return TRUE;
}

/**
 * gst_tile_output_push_event:
 * @output: a #GstTileOutput
 * @event: (transfer full): an event the element made
 *
 * Sends an event of the element's own making (a decoder's TIME segment for
 * upstream's BYTES one, a pull-mode element's stream-start). Before the
 * first caps, a sticky event that must follow them is held instead, and
 * then sent in place of the sink pad's event of the same type; a later one
 * of the same type replaces it.
 *
 * Returns: %FALSE if downstream refused the event
 */
gboolean
gst_tile_output_push_event (GstTileOutput * output, GstEvent * event)
{
  g_return_val_if_fail (output != NULL, FALSE);
  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);

  if (!gst_tile_output_is_held (output, event))
    return gst_pad_push_event (output->srcpad, event);
  g_ptr_array_remove (output->own_events,
      gst_tile_output_own_event (output, GST_EVENT_TYPE (event)));
  g_ptr_array_add (output->own_events, event);
  return TRUE;
}

/**
 * gst_tile_output_set_caps:
 * @output: a #GstTileOutput
 * @caps: (transfer none): fixed caps for the src pad
 *
 * Sets @caps on the src pad unless they are current already; the first
 * caps are followed by the events held until then, in sticky order.
 *
 * Returns: %FALSE if downstream refused the caps (so does a flushing src
 *   pad: see GST_PAD_IS_FLUSHING())
 */
gboolean
gst_tile_output_set_caps (GstTileOutput * output, GstCaps * caps)
{
  GstCaps *current;
  gboolean same;

  g_return_val_if_fail (output != NULL, FALSE);
  g_return_val_if_fail (GST_IS_CAPS (caps), FALSE);

  current = gst_pad_get_current_caps (output->srcpad);
  same = current && gst_caps_is_equal (current, caps);
  gst_clear_caps (&current);
  if (!same) {
    GST_DEBUG_OBJECT (output->srcpad, "caps %" GST_PTR_FORMAT, caps);
    if (!gst_pad_push_event (output->srcpad,
            gst_event_new_caps (gst_caps_ref (caps))))
      return FALSE;
  }
  if (!output->caps_sent)
    gst_tile_output_send_held (output);
  return TRUE;
}

/**
 * gst_tile_output_has_caps:
 * @output: a #GstTileOutput
 *
 * Returns: whether gst_tile_output_set_caps() succeeded since the last
 *   reset, i.e. events are no longer held
 */
gboolean
gst_tile_output_has_caps (GstTileOutput * output)
{
  g_return_val_if_fail (output != NULL, FALSE);
  return output->caps_sent;
}

/* --- The pool --- */

/* A pool that refuses our config may counter-propose one; it is taken only
 * if it keeps a bound no larger than ours (0 would be unlimited). */
static gboolean
gst_tile_output_configure (GstBufferPool * pool, GstCaps * caps, guint size,
    guint min, guint max, gboolean video_meta)
{
  GstStructure *config = gst_buffer_pool_get_config (pool);
  guint new_max = 0;

  gst_buffer_pool_config_set_params (config, caps, size, min, max);
  if (video_meta
      && gst_buffer_pool_has_option (pool, GST_BUFFER_POOL_OPTION_VIDEO_META))
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (gst_buffer_pool_set_config (pool, config))
    return TRUE;

  config = gst_buffer_pool_get_config (pool);
  if (!gst_buffer_pool_config_validate_params (config, caps, size, min, max)
      || !gst_buffer_pool_config_get_params (config, NULL, NULL, NULL,
          &new_max) || new_max == 0 || new_max > max) {
    gst_structure_free (config);
    return FALSE;
  }
  return gst_buffer_pool_set_config (pool, config);
}

/* Downstream's pool if it takes our bound, else one of our own. */
static GstBufferPool *
gst_tile_output_decide_pool (GstTileOutput * output, GstCaps * caps,
    guint buffer_size, guint bound, guint * max)
{
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstBufferPool *pool = NULL;
  guint size = 0, min = 0, peer_max = 0;
  gboolean video_meta = FALSE;

  if (gst_pad_peer_query (output->srcpad, query)) {
    video_meta = gst_query_find_allocation_meta (query,
        GST_VIDEO_META_API_TYPE, NULL);
    if (gst_query_get_n_allocation_pools (query) > 0)
      gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min,
          &peer_max);
  }
  gst_query_unref (query);

  /* downstream keeps @min, we keep @bound; its max never raises ours */
  size = MAX (size, buffer_size);
  *max = gst_tile_pool_max_buffers (size, min + bound);
  GST_DEBUG_OBJECT (output->srcpad, "downstream keeps %u, allows %u (0 = "
      "any): at most %u buffers of %u bytes", min, peer_max, *max, size);
  min = MAX (min, 1);
  if (pool && !gst_tile_output_configure (pool, caps, size, min, *max,
          video_meta)) {
    GST_DEBUG_OBJECT (output->srcpad, "downstream pool refused %u..%u "
        "buffers of %u bytes, using our own", min, *max, size);
    gst_clear_object (&pool);
  }
  if (!pool) {
    pool = gst_video_buffer_pool_new ();
    if (!gst_tile_output_configure (pool, caps, size, min, *max, video_meta))
      gst_clear_object (&pool);
  }
  if (pool && !gst_buffer_pool_set_active (pool, TRUE))
    gst_clear_object (&pool);
  return pool;
}

/* Returns whether the output is flushing. */
static gboolean
gst_tile_output_replace_pool (GstTileOutput * output, GstBufferPool * pool,
    guint max_buffers)
{
  GstBufferPool *old;
  gboolean flushing;

  g_mutex_lock (&output->lock);
  old = output->pool;
  output->pool = pool;
  output->max_buffers = pool ? max_buffers : 0;
  flushing = output->flushing;
  if (pool && flushing)
    gst_buffer_pool_set_flushing (pool, TRUE);
  g_mutex_unlock (&output->lock);

  if (old) {
    gst_buffer_pool_set_active (old, FALSE);
    gst_object_unref (old);
  }
  return flushing;
}

/**
 * gst_tile_output_negotiate_pool:
 * @output: a #GstTileOutput
 * @caps: (transfer none): the caps the buffers will carry (set them with
 *   gst_tile_output_set_caps() first)
 * @buffer_size: bytes of one buffer
 * @bound: buffers the element itself keeps in flight (one being filled, one
 *   downstream: 2)
 *
 * Deactivates the pool and replaces it with one for @caps, bounded by the
 * rule of the section above: downstream's pool if it accepts the bound,
 * else a #GstVideoBufferPool.
 *
 * Returns: %GST_FLOW_OK; %GST_FLOW_FLUSHING while flushing (the pool is set,
 *   and flushing); %GST_FLOW_ERROR, with an error posted, if no pool could
 *   be set up
 */
GstFlowReturn
gst_tile_output_negotiate_pool (GstTileOutput * output, GstCaps * caps,
    guint buffer_size, guint bound)
{
  GstBufferPool *pool;
  guint max = 0;

  g_return_val_if_fail (output != NULL, GST_FLOW_ERROR);
  g_return_val_if_fail (GST_IS_CAPS (caps), GST_FLOW_ERROR);

  gst_tile_output_replace_pool (output, NULL, 0);
  pool = gst_tile_output_decide_pool (output, caps, buffer_size, bound, &max);
  if (!pool) {
    GstObject *element = gst_pad_get_parent (output->srcpad);

    GST_ELEMENT_ERROR (element, RESOURCE, NO_SPACE_LEFT,
        ("Could not set up a pool of %u buffers of %u bytes.", max,
            buffer_size), ("caps %" GST_PTR_FORMAT, caps));
    gst_clear_object (&element);
    return GST_FLOW_ERROR;
  }
  return gst_tile_output_replace_pool (output, pool, max) ?
      GST_FLOW_FLUSHING : GST_FLOW_OK;
}

/**
 * gst_tile_output_has_pool:
 * @output: a #GstTileOutput
 *
 * Returns: whether a pool is negotiated
 */
gboolean
gst_tile_output_has_pool (GstTileOutput * output)
{
  /* a pool holds at least one buffer */
  return gst_tile_output_get_max_buffers (output) > 0;
}

/**
 * gst_tile_output_get_max_buffers:
 * @output: a #GstTileOutput
 *
 * Returns: the bound of the negotiated pool in buffers, 0 without a pool
 */
guint
gst_tile_output_get_max_buffers (GstTileOutput * output)
{
  guint max;

  g_return_val_if_fail (output != NULL, 0);
  g_mutex_lock (&output->lock);
  max = output->max_buffers;
  g_mutex_unlock (&output->lock);
  return max;
}

/**
 * gst_tile_output_acquire:
 * @output: a #GstTileOutput
 * @buffer: (out) (transfer full): the buffer
 *
 * Takes a buffer from the pool, blocking while downstream holds all of
 * them; gst_tile_output_set_flushing() wakes it. The buffer counts as held
 * until gst_tile_output_push() or gst_tile_output_drop().
 *
 * Returns: %GST_FLOW_OK, %GST_FLOW_FLUSHING when flushing or without a pool,
 *   or the pool's error
 */
GstFlowReturn
gst_tile_output_acquire (GstTileOutput * output, GstBuffer ** buffer)
{
  GstBufferPool *pool;
  GstFlowReturn ret;
  gsize size;

  g_return_val_if_fail (output != NULL, GST_FLOW_ERROR);
  g_return_val_if_fail (buffer != NULL, GST_FLOW_ERROR);

  *buffer = NULL;
  g_mutex_lock (&output->lock);
  pool = output->pool ? gst_object_ref (output->pool) : NULL;
  g_mutex_unlock (&output->lock);
  if (!pool)
    return GST_FLOW_FLUSHING;
  ret = gst_buffer_pool_acquire_buffer (pool, buffer, NULL);
  gst_object_unref (pool);
  if (ret != GST_FLOW_OK)
    return ret;

  size = gst_buffer_get_size (*buffer);
  gst_mini_object_set_qdata (GST_MINI_OBJECT (*buffer),
      gst_tile_output_held_quark (), GSIZE_TO_POINTER (size), NULL);
  __atomic_add_fetch (&output->held_bytes, size, __ATOMIC_SEQ_CST);
  return GST_FLOW_OK;
}

/* Stops counting a buffer from gst_tile_output_acquire(). */
static void
gst_tile_output_release (GstTileOutput * output, GstBuffer * buffer)
{
  gsize size = GPOINTER_TO_SIZE (gst_mini_object_steal_qdata
      (GST_MINI_OBJECT (buffer), gst_tile_output_held_quark ()));

  __atomic_sub_fetch (&output->held_bytes, size, __ATOMIC_SEQ_CST);
}

/**
 * gst_tile_output_push:
 * @output: a #GstTileOutput
 * @buffer: (transfer full): a buffer to send
 *
 * Pushes @buffer on the src pad; a buffer from gst_tile_output_acquire() no
 * longer counts as held.
 *
 * Returns: the result of gst_pad_push()
 */
GstFlowReturn
gst_tile_output_push (GstTileOutput * output, GstBuffer * buffer)
{
  g_return_val_if_fail (output != NULL, GST_FLOW_ERROR);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), GST_FLOW_ERROR);

  gst_tile_output_release (output, buffer);
  return gst_pad_push (output->srcpad, buffer);
}

/**
 * gst_tile_output_drop:
 * @output: a #GstTileOutput
 * @buffer: (transfer full): a buffer not to send
 *
 * Gives @buffer back without sending it (an image given up); a buffer from
 * gst_tile_output_acquire() no longer counts as held.
 */
void
gst_tile_output_drop (GstTileOutput * output, GstBuffer * buffer)
{
  g_return_if_fail (output != NULL);
  g_return_if_fail (GST_IS_BUFFER (buffer));

  gst_tile_output_release (output, buffer);
  gst_buffer_unref (buffer);
}

/**
 * gst_tile_output_get_held_bytes:
 * @output: a #GstTileOutput
 *
 * Safe to call from any thread; buffers downstream holds count there.
 *
 * Returns: the bytes of the buffers acquired and not yet pushed or dropped
 */
guint64
gst_tile_output_get_held_bytes (GstTileOutput * output)
{
  g_return_val_if_fail (output != NULL, 0);
  return __atomic_load_n (&output->held_bytes, __ATOMIC_SEQ_CST);
}

/* --- Flushes and state changes --- */

/**
 * gst_tile_output_set_flushing:
 * @output: a #GstTileOutput
 * @flushing: %TRUE before a PAUSED to READY change (flush events reach it
 *   through gst_tile_output_hold_event(); gst_tile_output_reset() clears it)
 *
 * While flushing, gst_tile_output_acquire() returns %GST_FLOW_FLUSHING, at
 * once if it was blocked, and a new pool starts flushing. Leaving a flush
 * forgets an element-made segment still held, as the sink pad does its own.
 */
void
gst_tile_output_set_flushing (GstTileOutput * output, gboolean flushing)
{
  g_return_if_fail (output != NULL);

  g_mutex_lock (&output->lock);
  output->flushing = flushing;
  if (output->pool)
    gst_buffer_pool_set_flushing (output->pool, flushing);
  g_mutex_unlock (&output->lock);

  if (!flushing)
    g_ptr_array_remove (output->own_events,
        gst_tile_output_own_event (output, GST_EVENT_SEGMENT));
}

/**
 * gst_tile_output_reset:
 * @output: a #GstTileOutput
 *
 * Back to the state of a new element, after PAUSED to READY (the pads have
 * stopped): the pool is released, the output no longer flushing, and events
 * are held again until the next caps.
 */
void
gst_tile_output_reset (GstTileOutput * output)
{
  g_return_if_fail (output != NULL);

  gst_tile_output_replace_pool (output, NULL, 0);
  gst_tile_output_set_flushing (output, FALSE);
  __atomic_store_n (&output->held_bytes, 0, __ATOMIC_SEQ_CST);
  g_ptr_array_set_size (output->own_events, 0);
  output->caps_sent = FALSE;
}
