/* gst-membound: seqfilesrc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-seqfilesrc
 * @title: seqfilesrc
 *
 * Reads a sequence of files one after another, each in blocks of
 * `blocksize` bytes, so that a sequence of any length flows with one block
 * and one open file in memory. The files are named by a printf pattern
 * (`frame%05d.png` with `start-index` / `stop-index`) or by a glob
 * (`*.png` in a folder, sorted in natural order). Every block of a file carries
 * the file's timestamp (`framerate`); the first block of a file is the only
 * one without GST_BUFFER_FLAG_DELTA_UNIT, and a custom sticky event named
 * `GstFileLocation` (the file's `uri`, `location` and `index`) precedes it,
 * which pngtiledec and the tile consumers pass on and read. With
 * `location-tags=true` a tag event with the URI (GST_TAG_LOCATION) follows it
 * too, for elements that read tags; every sink posts each tag event on the
 * bus, about 0.8 KiB per file that an application never reading its bus
 * keeps, so tags are opt-in.
 *
 * |[
 * gst-launch-1.0 seqfilesrc location=frames/frame%05d.png ! pngtiledec ! \
 *     tilescale width=1920 ! videoconvert ! x264enc ! mp4mux ! filesink location=out.mp4
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseqfilesrc.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (gst_seq_file_src_debug);
#define GST_CAT_DEFAULT gst_seq_file_src_debug

/* 64 KiB: per-buffer costs (a read(2), an allocation, a push, a decoder
 * call) vanish next to the work on 64 KiB of compressed data, while one
 * block is a fraction of what any decoder holds for a single row strip. */
#define DEFAULT_BLOCKSIZE (64 * 1024)
#define MAX_BLOCKSIZE (64 * 1024 * 1024)
#define DEFAULT_START_INDEX 0
#define DEFAULT_STOP_INDEX -1
#define DEFAULT_FPS_N 25
#define DEFAULT_FPS_D 1
#define DEFAULT_ON_ERROR GST_SEQ_FILE_SRC_ON_ERROR_FAIL
#define DEFAULT_LOOP FALSE
#define DEFAULT_LOCATION_TAGS FALSE
/* a wider printf field is a typo, not a file name */
#define MAX_FIELD_WIDTH 32

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_START_INDEX,
  PROP_STOP_INDEX,
  PROP_BLOCKSIZE,
  PROP_FRAMERATE,
  PROP_CAPS,
  PROP_ON_ERROR,
  PROP_LOOP,
  PROP_CURRENT_FILE,
  PROP_INDEX,
  PROP_HELD_BYTES,
  PROP_MESSAGE_INTERVAL,
  PROP_LOCATION_TAGS,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

GType
gst_seq_file_src_on_error_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_SEQ_FILE_SRC_ON_ERROR_FAIL,
        "Post an error naming the file and stop", "fail"},
    {GST_SEQ_FILE_SRC_ON_ERROR_SKIP,
        "Post a warning naming the file and read the next one", "skip"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSeqFileSrcOnError", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

G_DEFINE_TYPE (GstSeqFileSrc, gst_seq_file_src, GST_TYPE_BASE_SRC);
GST_ELEMENT_REGISTER_DEFINE (seqfilesrc, "seqfilesrc", GST_RANK_NONE,
    GST_TYPE_SEQ_FILE_SRC);

/* ------------------------------------------------------------------ */
/* Natural order                                                       */

gint
gst_seq_file_src_natural_compare (const gchar * a, const gchar * b)
{
  const guchar *p = (const guchar *) a, *q = (const guchar *) b;

  while (*p && *q) {
    if (g_ascii_isdigit (*p) && g_ascii_isdigit (*q)) {
      const guchar *ps, *qs;
      gsize lp, lq;
      gint r;

      /* the value of a digit run is its length without leading zeros, then
       * its digits */
      while (*p == '0')
        p++;
      while (*q == '0')
        q++;
      for (ps = p; g_ascii_isdigit (*p); p++);
      for (qs = q; g_ascii_isdigit (*q); q++);
      lp = p - ps;
      lq = q - qs;
      if (lp != lq)
        return lp < lq ? -1 : 1;
      r = memcmp (ps, qs, lp);
      if (r != 0)
        return r < 0 ? -1 : 1;
      continue;
    }
    if (*p != *q)
      return *p < *q ? -1 : 1;
    p++;
    q++;
  }
  if (*p != *q)
    return *p < *q ? -1 : 1;
  /* "frame01" and "frame1" have the same value; keep the order total */
  return CLAMP (strcmp (a, b), -1, 1);
}

static gint
gst_seq_file_src_natural_compare_ptr (gconstpointer a, gconstpointer b)
{
  return gst_seq_file_src_natural_compare (*(const gchar * const *) a,
      *(const gchar * const *) b);
}

/* ------------------------------------------------------------------ */
/* Caps                                                                */

static GstCaps *
gst_seq_file_src_get_caps (GstBaseSrc * bsrc, GstCaps * filter)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (bsrc);
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = gst_caps_ref (self->caps);
  GST_OBJECT_UNLOCK (self);

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (caps);
    caps = tmp;
  }
  return caps;
}

/* A file sequence has no caps of its own; when the user gave none and the
 * downstream accepts exactly one fixed type (pngtiledec: image/png), say
 * that type so that decoders that want caps get them. A downstream that
 * accepts anything (decodebin, filesink) gets no caps and can typefind. */
static gboolean
gst_seq_file_src_negotiate (GstBaseSrc * bsrc)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (bsrc);
  GstCaps *peer;
  gboolean any, ret = TRUE;

  GST_OBJECT_LOCK (self);
  any = gst_caps_is_any (self->caps);
  GST_OBJECT_UNLOCK (self);
  if (!any)
    return GST_BASE_SRC_CLASS (gst_seq_file_src_parent_class)->negotiate
        (bsrc);

  peer = gst_pad_peer_query_caps (GST_BASE_SRC_PAD (bsrc), NULL);
  /* neither ANY nor empty caps are fixed */
  if (peer && gst_caps_is_fixed (peer)) {
    GST_DEBUG_OBJECT (self, "announcing the downstream's only caps %"
        GST_PTR_FORMAT, peer);
    ret = gst_base_src_set_caps (bsrc, peer);
  }
  gst_clear_caps (&peer);
  return ret;
}

/* ------------------------------------------------------------------ */
/* The sequence                                                        */

/* A printf field width or precision, saturated well above any limit. */
static guint
gst_seq_file_src_parse_field (const gchar ** p)
{
  guint value = 0;

  while (g_ascii_isdigit (**p)) {
    value = MIN (value * 10 + (**p - '0'), 100000u);
    (*p)++;
  }
  return value;
}

/* Splits a printf pattern into literal prefix, one integer conversion and
 * literal suffix (%% unescaped), so that no user text is ever used as a
 * format string. Returns the number of conversions (0 or 1), or -1 with
 * *why set. */
static gint
gst_seq_file_src_parse_pattern (const gchar * location, GString * prefix,
    GString * conversion, GString * suffix, gchar ** why)
{
  const gchar *p = location;
  gint n = 0;

  while (*p) {
    const gchar *spec = p;
    guint width;

    if (*p != '%') {
      g_string_append_c (n ? suffix : prefix, *p++);
      continue;
    }
    p++;
    if (*p == '%') {
      g_string_append_c (n ? suffix : prefix, '%');
      p++;
      continue;
    }
    while (*p && strchr ("-+ #0", *p))
      p++;
    width = gst_seq_file_src_parse_field (&p);
    if (*p == '.') {
      p++;
      width = MAX (width, gst_seq_file_src_parse_field (&p));
    }
    if (!*p || !strchr ("diuxXo", *p)) {
      *why = g_strdup_printf ("'%.*s' at position %d is not an integer "
          "conversion; use one such as %%d or %%05d, and %%%% for a literal %%",
          (gint) (p - spec + (*p ? 1 : 0)), spec, (gint) (spec - location));
      return -1;
    }
    if (width > MAX_FIELD_WIDTH) {
      *why = g_strdup_printf ("the field width of '%.*s' is above %d",
          (gint) (p - spec + 1), spec, MAX_FIELD_WIDTH);
      return -1;
    }
    p++;
    if (++n > 1) {
      *why = g_strdup ("it has more than one conversion; a pattern numbers "
          "files with exactly one (e.g. frame%05d.png)");
      return -1;
    }
    g_string_append_len (conversion, spec, p - spec);
  }
  return n;
}

/* Globs into a natural-sorted array of paths (NULL and the error posted if
 * none); directories are not part of a sequence and are left out. */
static GPtrArray *
gst_seq_file_src_expand_glob (GstSeqFileSrc * self, const gchar * location)
{
  glob_t g;
  GPtrArray *names;
  gint r;
  gsize i;

  r = glob (location, GLOB_MARK | GLOB_NOSORT, NULL, &g);
  if (r != 0 && r != GLOB_NOMATCH) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not list the files matching \"%s\".", location),
        ("glob() failed with code %d; check the location property", r));
    globfree (&g);
    return NULL;
  }
  names = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; r == 0 && i < g.gl_pathc; i++) {
    if (!g_str_has_suffix (g.gl_pathv[i], "/"))
      g_ptr_array_add (names, g_strdup (g.gl_pathv[i]));
  }
  globfree (&g);
  if (names->len == 0) {
    g_ptr_array_unref (names);
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No file matches \"%s\".", location),
        ("The glob matched nothing (or only directories); check the "
            "directory and the pattern in the location property"));
    return NULL;
  }
  g_ptr_array_sort (names, gst_seq_file_src_natural_compare_ptr);
  GST_INFO_OBJECT (self, "%u files match %s, first %s, last %s", names->len,
      location, (gchar *) names->pdata[0],
      (gchar *) names->pdata[names->len - 1]);
  return names;
}

/* A glob's start-index / stop-index select positions of its sorted list,
 * so that N processes (GNU parallel, a Slurm array, a Kubernetes indexed
 * job) each read one contiguous range of one folder. The unselected names
 * are freed; with list_first each selected file keeps its position in the
 * whole list as its index, which output file names can keep. Takes
 * @names. */
static gboolean
gst_seq_file_src_select_range (GstSeqFileSrc * self, const gchar * location,
    GPtrArray * names, gint start_index, gint stop_index)
{
  guint last = names->len - 1, first = start_index;

  if (first > last) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("start-index %d selects no file: \"%s\" matches %u files, at "
            "positions 0 to %u.", start_index, location, names->len, last),
        ("For a glob, start-index and stop-index count positions in the "
            "sorted list from 0"));
    g_ptr_array_unref (names);
    return FALSE;
  }
  /* a stop past the end reads to the end: the last of N equal-sized
   * shards may be shorter */
  if (stop_index >= 0 && (guint) stop_index < last)
    g_ptr_array_set_size (names, stop_index + 1);
  g_ptr_array_remove_range (names, 0, first);
  self->list_first = first;
  GST_INFO_OBJECT (self, "positions %u to %u selected: %s to %s", first,
      first + names->len - 1, (gchar *) names->pdata[0],
      (gchar *) names->pdata[names->len - 1]);
  /* the names go on into the NULL-terminated array, not freed */
  g_ptr_array_add (names, NULL);
  self->names = (gchar **) g_ptr_array_free (names, FALSE);
  return TRUE;
}

static gboolean
gst_seq_file_src_setup_pattern (GstSeqFileSrc * self, const gchar * location)
{
  GString *prefix = g_string_new (NULL), *conversion = g_string_new (NULL),
      *suffix = g_string_new (NULL);
  gchar *why = NULL;
  gint n;

  n = gst_seq_file_src_parse_pattern (location, prefix, conversion, suffix,
      &why);
  if (n < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The location \"%s\" is not a valid file pattern: %s.", location,
            why), (NULL));
    g_free (why);
  } else if (n == 0) {
    /* no number and no wildcard: a sequence of one file */
    self->mode = GST_SEQ_FILE_SRC_MODE_LIST;
    self->names = g_new0 (gchar *, 2);
    self->names[0] = g_strdup (prefix->str);
  } else {
    self->mode = GST_SEQ_FILE_SRC_MODE_PATTERN;
    self->pattern_prefix = g_strdup (prefix->str);
    self->pattern_conversion = g_strdup (conversion->str);
    self->pattern_suffix = g_strdup (suffix->str);
  }
  g_string_free (prefix, TRUE);
  g_string_free (conversion, TRUE);
  g_string_free (suffix, TRUE);
  return n >= 0;
}

/* The path of the file in @slot of a pass, and its user-facing index. */
static gchar *
gst_seq_file_src_slot_path (GstSeqFileSrc * self, gint64 slot, gint * index)
{
  gchar *number, *path;

  if (self->mode == GST_SEQ_FILE_SRC_MODE_LIST) {
    *index = (gint) (self->list_first + slot);
    return g_strdup (self->names[slot]);
  }
  *index = (gint) (self->start_index + slot);
  /* the only format string: one integer conversion, checked in start() */
  number = g_strdup_printf (self->pattern_conversion, *index);
  path = g_strconcat (self->pattern_prefix, number, self->pattern_suffix,
      NULL);
  g_free (number);
  return path;
}

static gboolean
gst_seq_file_src_start (GstBaseSrc * bsrc)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (bsrc);
  gchar *location;
  gint start_index, stop_index;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  start_index = self->start_index;
  stop_index = self->stop_index;
  GST_OBJECT_UNLOCK (self);

  self->list_first = 0;
  if (!location || !*location) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No file sequence given."),
        ("Set the location property to a pattern (frame%%05d.png) or a glob "
            "(frames/*.png)"));
    ok = FALSE;
  } else if (stop_index >= 0 && stop_index < start_index) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("stop-index %d is below start-index %d.", stop_index, start_index),
        ("Set stop-index to -1 to read to the end of the sequence"));
    ok = FALSE;
  } else if (strpbrk (location, "*?[")) {
    GPtrArray *names = gst_seq_file_src_expand_glob (self, location);

    self->mode = GST_SEQ_FILE_SRC_MODE_LIST;
    ok = names && gst_seq_file_src_select_range (self, location, names,
        start_index, stop_index);
  } else {
    ok = gst_seq_file_src_setup_pattern (self, location);
  }
  g_free (location);
  if (!ok)
    return FALSE;

  GST_OBJECT_LOCK (self);
  if (self->mode == GST_SEQ_FILE_SRC_MODE_LIST)
    self->n_slots = g_strv_length (self->names);
  else if (stop_index >= 0)
    self->n_slots = (gint64) stop_index - start_index + 1;
  else
    self->n_slots = -1;
  self->next_frame = 0;
  self->current_index = -1;
  g_clear_pointer (&self->current_file, g_free);
  GST_OBJECT_UNLOCK (self);

  self->slot = 0;
  self->pass = 0;
  self->files_this_pass = 0;
  gst_message_throttle_reset (self->file_messages);
  return TRUE;
}

static void
gst_seq_file_src_close_file (GstSeqFileSrc * self)
{
  if (self->fd >= 0) {
    close (self->fd);
    self->fd = -1;
  }
}

static gboolean
gst_seq_file_src_stop (GstBaseSrc * bsrc)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (bsrc);

  gst_seq_file_src_close_file (self);
  g_clear_pointer (&self->names, g_strfreev);
  g_clear_pointer (&self->pattern_prefix, g_free);
  g_clear_pointer (&self->pattern_conversion, g_free);
  g_clear_pointer (&self->pattern_suffix, g_free);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Frames and time                                                     */

static GstClockTime
gst_seq_file_src_frame_time (GstSeqFileSrc * self, guint64 frame)
{
  if (self->fps_n <= 0)
    return GST_CLOCK_TIME_NONE;
  return gst_util_uint64_scale (frame, (guint64) self->fps_d * GST_SECOND,
      self->fps_n);
}

static guint64
gst_seq_file_src_time_frame (GstSeqFileSrc * self, GstClockTime time)
{
  return gst_util_uint64_scale (time, self->fps_n,
      (guint64) self->fps_d * GST_SECOND);
}

/* Moves to @slot of the current pass and publishes the frame number. */
static void
gst_seq_file_src_set_slot (GstSeqFileSrc * self, gint64 slot)
{
  GST_OBJECT_LOCK (self);
  self->slot = slot;
  self->next_frame = self->pass * MAX (self->n_slots, 0) + slot;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_file_src_file_done (GstSeqFileSrc * self)
{
  gst_seq_file_src_close_file (self);
  gst_seq_file_src_set_slot (self, self->slot + 1);
}

/* ------------------------------------------------------------------ */
/* Seeking and queries                                                 */

static gboolean
gst_seq_file_src_is_seekable (GstBaseSrc * bsrc)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (bsrc);
  gboolean seekable;

  GST_OBJECT_LOCK (self);
  seekable = self->fps_n > 0;
  GST_OBJECT_UNLOCK (self);
  return seekable;
}

/* Seeks go to the start of the file whose time span holds the requested
 * start; frame seeks arrive here converted to time (see the convert query). */
static gboolean
gst_seq_file_src_do_seek (GstBaseSrc * bsrc, GstSegment * segment)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (bsrc);
  guint64 frame = 0;

  if (segment->format != GST_FORMAT_TIME || segment->rate < 0.0)
    return FALSE;
  if (self->fps_n > 0)
    frame = gst_seq_file_src_time_frame (self, segment->start);
  else if (segment->start != 0)
    return FALSE;

  gst_seq_file_src_close_file (self);
  if (self->loop && self->n_slots > 0) {
    self->pass = frame / self->n_slots;
    frame %= self->n_slots;
  } else {
    self->pass = 0;
  }
  self->files_this_pass = 0;
  gst_seq_file_src_set_slot (self, frame);

  if (self->fps_n > 0) {
    segment->start = gst_seq_file_src_frame_time (self, self->next_frame);
    segment->time = segment->start;
    segment->position = segment->start;
  }
  GST_DEBUG_OBJECT (self, "seek to slot %" G_GUINT64_FORMAT " of pass %"
      G_GUINT64_FORMAT, frame, self->pass);
  return TRUE;
}

/* Total frames, -1 when unknown (stop-index -1 before the end, or loop). */
static gint64
gst_seq_file_src_total_frames (GstSeqFileSrc * self)
{
  gint64 total;

  GST_OBJECT_LOCK (self);
  total = self->loop ? -1 : self->n_slots;
  GST_OBJECT_UNLOCK (self);
  return total;
}

static gboolean
gst_seq_file_src_convert (GstSeqFileSrc * self, GstFormat src_format,
    gint64 src_value, GstFormat dest_format, gint64 * dest_value)
{
  if (src_format == dest_format || src_value == -1) {
    *dest_value = src_value;
    return TRUE;
  }
  if (self->fps_n <= 0)
    return FALSE;
  if (src_format == GST_FORMAT_DEFAULT && dest_format == GST_FORMAT_TIME)
    *dest_value = gst_seq_file_src_frame_time (self, src_value);
  else if (src_format == GST_FORMAT_TIME && dest_format == GST_FORMAT_DEFAULT)
    *dest_value = gst_seq_file_src_time_frame (self, src_value);
  else
    return FALSE;
  return TRUE;
}

static gboolean
gst_seq_file_src_query (GstBaseSrc * bsrc, GstQuery * query)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (bsrc);
  GstFormat format, dest_format;
  gint64 value, dest;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_POSITION:
      gst_query_parse_position (query, &format, NULL);
      if (format != GST_FORMAT_DEFAULT && format != GST_FORMAT_TIME)
        break;
      GST_OBJECT_LOCK (self);
      value = self->next_frame;
      GST_OBJECT_UNLOCK (self);
      if (!gst_seq_file_src_convert (self, GST_FORMAT_DEFAULT, value, format,
              &dest))
        return FALSE;
      gst_query_set_position (query, format, dest);
      return TRUE;
    case GST_QUERY_DURATION:
      gst_query_parse_duration (query, &format, NULL);
      if (format != GST_FORMAT_DEFAULT && format != GST_FORMAT_TIME)
        break;
      value = gst_seq_file_src_total_frames (self);
      if (!gst_seq_file_src_convert (self, GST_FORMAT_DEFAULT, value, format,
              &dest))
        return FALSE;
      gst_query_set_duration (query, format, dest);
      return TRUE;
    case GST_QUERY_CONVERT:
      gst_query_parse_convert (query, &format, &value, &dest_format, NULL);
      if (!gst_seq_file_src_convert (self, format, value, dest_format, &dest))
        return FALSE;
      gst_query_set_convert (query, format, value, dest_format, dest);
      return TRUE;
    case GST_QUERY_SEEKING:
      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      if (format != GST_FORMAT_DEFAULT && format != GST_FORMAT_TIME)
        break;
      value = gst_seq_file_src_total_frames (self);
      if (!gst_seq_file_src_convert (self, GST_FORMAT_DEFAULT, value, format,
              &dest))
        dest = -1;
      gst_query_set_seeking (query, format,
          gst_seq_file_src_is_seekable (bsrc), 0, dest);
      return TRUE;
    default:
      break;
  }
  return GST_BASE_SRC_CLASS (gst_seq_file_src_parent_class)->query (bsrc,
      query);
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

/* Reports a file that cannot be opened or read. Returns TRUE when the
 * sequence goes on (on-error=skip), FALSE after posting the error. */
static gboolean
gst_seq_file_src_file_failed (GstSeqFileSrc * self, GstResourceError code,
    const gchar * path, gint index, const gchar * what, gint err)
{
  GstSeqFileSrcOnError on_error;
  gboolean skip;

  GST_OBJECT_LOCK (self);
  on_error = self->on_error;
  GST_OBJECT_UNLOCK (self);
  skip = on_error == GST_SEQ_FILE_SRC_ON_ERROR_SKIP;

  gst_element_message_full (GST_ELEMENT (self),
      skip ? GST_MESSAGE_WARNING : GST_MESSAGE_ERROR, GST_RESOURCE_ERROR, code,
      g_strdup_printf ("%s \"%s\" (index %d): %s.", skip ? "Skipping file" :
          "Could not read file", path, index, what),
      g_strdup_printf ("%s (%s)", skip ? "on-error=skip: reading the next "
          "file" : "Set on-error=skip to go on with the next file",
          err ? g_strerror (err) : "no detail"), __FILE__, GST_FUNCTION,
      __LINE__);
  return skip;
}

static gboolean
gst_seq_file_src_open_failed (GstSeqFileSrc * self, const gchar * path,
    gint index, gint err)
{
  if (err == ENOENT || err == ENOTDIR)
    return gst_seq_file_src_file_failed (self, GST_RESOURCE_ERROR_NOT_FOUND,
        path, index, "it does not exist", err);
  return gst_seq_file_src_file_failed (self, GST_RESOURCE_ERROR_OPEN_READ,
      path, index, err == EISDIR ? "it is a directory" :
      "it cannot be opened for reading", err);
}

/* Opens @path as the current file. Returns 0 or an errno value. */
static gint
gst_seq_file_src_open_path (GstSeqFileSrc * self, const gchar * path)
{
  struct stat st;
  gint fd, err;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  if (fstat (fd, &st) < 0) {
    err = errno;
    close (fd);
    return err;
  }
  if (S_ISDIR (st.st_mode)) {
    close (fd);
    return EISDIR;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  self->fd = fd;
  self->file_offset = 0;
  /* the size as of opening bounds the read; other files end at EOF */
  self->file_size = S_ISREG (st.st_mode) ? (guint64) st.st_size : G_MAXUINT64;
  self->file_started = FALSE;
  return 0;
}

/* Ends a pass: with loop=true starts the next one, unless a whole pass
 * produced nothing (every file missing or unreadable). With stop-index -1
 * the end of the first pass tells the length of the sequence. */
static GstFlowReturn
gst_seq_file_src_end_pass (GstSeqFileSrc * self)
{
  if (self->n_slots < 0) {
    /* after a seek past the end the length is still unknown */
    if (self->files_this_pass == 0)
      return GST_FLOW_EOS;
    GST_OBJECT_LOCK (self);
    self->n_slots = self->slot;
    GST_OBJECT_UNLOCK (self);
  }

  if (!self->loop)
    return GST_FLOW_EOS;
  if (self->files_this_pass == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No file of the sequence could be read in a whole pass."),
        ("loop=true with every file missing or unreadable"));
    return GST_FLOW_ERROR;
  }
  self->pass++;
  self->files_this_pass = 0;
  gst_seq_file_src_set_slot (self, 0);
  return GST_FLOW_OK;
}

static gboolean
gst_seq_file_src_past_segment_stop (GstSeqFileSrc * self)
{
  GstSegment *segment = &GST_BASE_SRC (self)->segment;

  if (self->fps_n <= 0 || !GST_CLOCK_TIME_IS_VALID (segment->stop))
    return FALSE;
  return gst_seq_file_src_frame_time (self, self->next_frame) >=
      (GstClockTime) segment->stop;
}

/* Opens the next file of the sequence, stepping over skipped ones. */
static GstFlowReturn
gst_seq_file_src_open_next (GstSeqFileSrc * self)
{
  GstFlowReturn ret;

  while (TRUE) {
    gchar *path;
    gint index, err;

    /* a pattern also ends where its numbers would pass G_MAXINT */
    if ((self->n_slots >= 0 && self->slot >= self->n_slots)
        || (self->mode == GST_SEQ_FILE_SRC_MODE_PATTERN
            && self->start_index + self->slot > G_MAXINT)) {
      if ((ret = gst_seq_file_src_end_pass (self)) != GST_FLOW_OK)
        return ret;
      continue;
    }
    if (gst_seq_file_src_past_segment_stop (self))
      return GST_FLOW_EOS;

    path = gst_seq_file_src_slot_path (self, self->slot, &index);
    err = gst_seq_file_src_open_path (self, path);
    if (err == 0) {
      GST_DEBUG_OBJECT (self, "opened %s (index %d, %" G_GUINT64_FORMAT
          " bytes)", path, index, self->file_size);
      GST_OBJECT_LOCK (self);
      g_free (self->current_file);
      self->current_file = path;
      self->current_index = index;
      GST_OBJECT_UNLOCK (self);
      return GST_FLOW_OK;
    }

    /* stop-index -1: the first missing file ends the sequence */
    if (err == ENOENT && self->n_slots < 0 && self->slot > 0) {
      GST_INFO_OBJECT (self, "%s does not exist: end of the sequence", path);
      g_free (path);
      if ((ret = gst_seq_file_src_end_pass (self)) != GST_FLOW_OK)
        return ret;
      continue;
    }
    if (err == ENOENT && self->n_slots < 0) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("The first file of the sequence, \"%s\" (start-index %d), does "
              "not exist.", path, index),
          ("Check the location and start-index properties"));
      g_free (path);
      return GST_FLOW_ERROR;
    }
    if (!gst_seq_file_src_open_failed (self, path, index, err)) {
      g_free (path);
      return GST_FLOW_ERROR;
    }
    g_free (path);
    gst_seq_file_src_set_slot (self, self->slot + 1);
  }
}

/* Tells downstream and the application which file starts now. */
static void
gst_seq_file_src_announce_file (GstSeqFileSrc * self)
{
  GstStructure *s;
  GstEvent *announcement;
  gchar *uri = NULL;

  /* the read-outs are this thread's own: no lock needed to read them */
  announcement = gst_file_location_event_new (self->current_file,
      self->current_index);
  gst_file_location_event_parse (announcement, &uri);
  /* Stored, not pushed: the pad sends stored sticky events in their order
   * (after the segment basesrc may still have pending) right before this
   * file's first block. basesrc's send_event would drop a custom sticky
   * event. */
  gst_pad_store_sticky_event (GST_BASE_SRC_PAD (self), announcement);
  gst_event_unref (announcement);
  /* queued by basesrc and pushed right before the block too; the class
   * handler does not take the state lock, which a state change may hold
   * while stopping this thread */
  if (self->location_tags)
    GST_ELEMENT_CLASS (gst_seq_file_src_parent_class)->send_event
        (GST_ELEMENT (self), gst_event_new_tag (gst_tag_list_new
            (GST_TAG_LOCATION, uri, NULL)));

  /* an unread bus keeps every message: at most a burst, then one per
   * message-interval, whatever the file rate (the event above is the
   * lossless per-file record) */
  s = gst_structure_new ("seqfilesrc-file", "index", G_TYPE_INT,
      self->current_index, "frame", G_TYPE_UINT64, self->next_frame,
      "location", G_TYPE_STRING, self->current_file, "uri", G_TYPE_STRING,
      uri, NULL);
  if (self->n_slots >= 0)
    gst_structure_set (s, "files-total", G_TYPE_INT, (gint) self->n_slots,
        NULL);
  gst_message_throttle_post (self->file_messages, GST_ELEMENT (self), s);
  g_free (uri);
}

/* Reads up to @want bytes, retrying short reads; returns the count, or
 * minus the errno value. */
static gssize
gst_seq_file_src_read_full (gint fd, guint8 * data, gsize want)
{
  gsize got = 0;

  while (got < want) {
    gssize n = read (fd, data + got, want - got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      break;
    got += n;
  }
  return got;
}

static void
gst_seq_file_src_stamp_block (GstSeqFileSrc * self, GstBuffer * buf)
{
  guint64 frame = self->next_frame;

  GST_BUFFER_PTS (buf) = gst_seq_file_src_frame_time (self, frame);
  if (self->fps_n > 0)
    GST_BUFFER_DURATION (buf) = gst_seq_file_src_frame_time (self, frame + 1)
        - GST_BUFFER_PTS (buf);
  GST_BUFFER_OFFSET (buf) = self->file_offset;
  GST_BUFFER_OFFSET_END (buf) = self->file_offset + gst_buffer_get_size (buf);
  if (self->file_started)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
}

static void
gst_seq_file_src_set_held (GstSeqFileSrc * self, guint64 bytes)
{
  GST_OBJECT_LOCK (self);
  self->held_bytes = bytes;
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "held bytes: %" G_GUINT64_FORMAT, bytes);
}

/* Reads the next block of the open file into *buf. *buf stays NULL when
 * the file ended (or failed with on-error=skip) without more data. */
static GstFlowReturn
gst_seq_file_src_read_block (GstSeqFileSrc * self, GstBuffer ** buf)
{
  GstBuffer *block;
  GstMapInfo map;
  guint64 want = gst_base_src_get_blocksize (GST_BASE_SRC (self));
  gssize n;

  if (self->file_size != G_MAXUINT64)
    want = MIN (want, self->file_size - MIN (self->file_offset,
            self->file_size));

  block = gst_buffer_new_allocate (NULL, want, NULL);
  gst_seq_file_src_set_held (self, want);
  /* an empty block maps to no data, which read_full does not touch */
  gst_buffer_map (block, &map, GST_MAP_WRITE);
  n = gst_seq_file_src_read_full (self->fd, map.data, want);
  gst_buffer_unmap (block, &map);
  gst_seq_file_src_set_held (self, 0);

  if (n < 0 && !gst_seq_file_src_file_failed (self, GST_RESOURCE_ERROR_READ,
          self->current_file, self->current_index, "reading failed",
          (gint) - n)) {
    gst_buffer_unref (block);
    return GST_FLOW_ERROR;
  }
  /* a failed read is skipped; an empty file still is one (empty) buffer,
   * so that it is not lost */
  if (n < 0 || (n == 0 && self->file_started)) {
    gst_buffer_unref (block);
    gst_seq_file_src_file_done (self);
    return GST_FLOW_OK;
  }

  gst_buffer_set_size (block, n);
  if (!self->file_started) {
    gst_seq_file_src_announce_file (self);
    self->files_this_pass++;
  }
  gst_seq_file_src_stamp_block (self, block);
  GST_LOG_OBJECT (self, "block of %" G_GSSIZE_FORMAT " bytes at %"
      G_GUINT64_FORMAT " of %s", n, self->file_offset, self->current_file);
  self->file_started = TRUE;
  self->file_offset += n;
  if ((guint64) n < want || self->file_offset >= self->file_size)
    gst_seq_file_src_file_done (self);
  *buf = block;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_seq_file_src_create (GstBaseSrc * bsrc, guint64 offset, guint size,
    GstBuffer ** buf)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (bsrc);
  GstFlowReturn ret;

  *buf = NULL;
  while (*buf == NULL) {
    if (self->fd < 0 && (ret = gst_seq_file_src_open_next (self)) !=
        GST_FLOW_OK)
      return ret;
    if ((ret = gst_seq_file_src_read_block (self, buf)) != GST_FLOW_OK)
      return ret;
  }
  return GST_FLOW_OK;
}

/* ------------------------------------------------------------------ */
/* Class                                                               */

static void
gst_seq_file_src_finalize (GObject * object)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (object);

  g_free (self->location);
  gst_caps_unref (self->caps);
  g_free (self->current_file);
  gst_message_throttle_free (self->file_messages);

  G_OBJECT_CLASS (gst_seq_file_src_parent_class)->finalize (object);
}

static gboolean
gst_seq_file_src_can_reconfigure (GstSeqFileSrc * self, GParamSpec * pspec)
{
  GstState state;

  GST_OBJECT_LOCK (self);
  state = GST_STATE (self);
  GST_OBJECT_UNLOCK (self);
  if (state <= GST_STATE_READY)
    return TRUE;
  g_warning ("seqfilesrc: property '%s' can only be changed in the NULL or "
      "READY state", pspec->name);
  return FALSE;
}

static void
gst_seq_file_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (object);

  if ((pspec->flags & GST_PARAM_MUTABLE_READY)
      && !gst_seq_file_src_can_reconfigure (self, pspec))
    return;
  /* the base class keeps the block size (and takes the object lock) */
  if (prop_id == PROP_BLOCKSIZE) {
    gst_base_src_set_blocksize (GST_BASE_SRC (self), g_value_get_uint (value));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_START_INDEX:
      self->start_index = g_value_get_int (value);
      break;
    case PROP_STOP_INDEX:
      self->stop_index = g_value_get_int (value);
      break;
    case PROP_FRAMERATE:
      self->fps_n = gst_value_get_fraction_numerator (value);
      self->fps_d = gst_value_get_fraction_denominator (value);
      if (self->fps_n == 0)
        self->fps_d = 1;
      break;
    case PROP_CAPS:
      gst_caps_replace (&self->caps, (GstCaps *) gst_value_get_caps (value));
      if (!self->caps)
        self->caps = gst_caps_new_any ();
      break;
    case PROP_ON_ERROR:
      self->on_error = g_value_get_enum (value);
      break;
    case PROP_LOOP:
      self->loop = g_value_get_boolean (value);
      break;
    case PROP_LOCATION_TAGS:
      self->location_tags = g_value_get_boolean (value);
      break;
    case PROP_MESSAGE_INTERVAL:
      gst_message_throttle_set_interval (self->file_messages,
          g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_file_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSeqFileSrc *self = GST_SEQ_FILE_SRC (object);

  if (prop_id == PROP_BLOCKSIZE) {
    g_value_set_uint (value, gst_base_src_get_blocksize (GST_BASE_SRC (self)));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_START_INDEX:
      g_value_set_int (value, self->start_index);
      break;
    case PROP_STOP_INDEX:
      g_value_set_int (value, self->stop_index);
      break;
    case PROP_FRAMERATE:
      gst_value_set_fraction (value, self->fps_n, self->fps_d);
      break;
    case PROP_CAPS:
      gst_value_set_caps (value, self->caps);
      break;
    case PROP_ON_ERROR:
      g_value_set_enum (value, self->on_error);
      break;
    case PROP_LOOP:
      g_value_set_boolean (value, self->loop);
      break;
    case PROP_LOCATION_TAGS:
      g_value_set_boolean (value, self->location_tags);
      break;
    case PROP_CURRENT_FILE:
      g_value_set_string (value, self->current_file);
      break;
    case PROP_INDEX:
      g_value_set_int (value, self->current_index);
      break;
    case PROP_HELD_BYTES:
      g_value_set_uint64 (value, self->held_bytes);
      break;
    case PROP_MESSAGE_INTERVAL:
      g_value_set_uint64 (value,
          gst_message_throttle_get_interval (self->file_messages));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_file_src_class_init (GstSeqFileSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->finalize = gst_seq_file_src_finalize;
  gobject_class->set_property = gst_seq_file_src_set_property;
  gobject_class->get_property = gst_seq_file_src_get_property;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Files to read: a printf pattern with exactly one integer "
          "conversion (frame%05d.png; %% for a literal %) numbered from "
          "start-index to stop-index, or a glob with * ? or [ ] "
          "(frames/*.png) read in natural order (frame2 before frame10), "
          "or a single file name. Set in NULL or READY state",
          NULL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_START_INDEX,
      g_param_spec_int ("start-index", "Start index",
          "First file: its number for a printf pattern, its position in the "
          "sorted list for a glob (0 = the first match); a glob has to "
          "match more than start-index files. Unused for a single file name",
          0, G_MAXINT, DEFAULT_START_INDEX, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STOP_INDEX,
      g_param_spec_int ("stop-index", "Stop index",
          "Last file, inclusive, not below start-index: its number for a "
          "printf pattern, its position in the sorted list for a glob (past "
          "the last match = to the end); -1 = to the end (a pattern: until "
          "the first missing file). start-index..stop-index cuts a sequence "
          "into shards. Unused for a single file name",
          -1, G_MAXINT, DEFAULT_STOP_INDEX, rw | GST_PARAM_MUTABLE_READY));
  /* shadows GstBaseSrc's blocksize, whose 0 would read nothing forever */
  g_object_class_install_property (gobject_class, PROP_BLOCKSIZE,
      g_param_spec_uint ("blocksize", "Block size",
          "Bytes per buffer, 1 B to 64 MiB (0 is not allowed); the last "
          "buffer of a file is shorter. The element holds one block",
          1, MAX_BLOCKSIZE, DEFAULT_BLOCKSIZE, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Frame rate",
          "Files per second: file N of the sequence gets timestamp N / "
          "framerate and duration 1 / framerate; 0/1 = no timestamps "
          "(and no seeking)", 0, 1, G_MAXINT, 1, DEFAULT_FPS_N, DEFAULT_FPS_D,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CAPS,
      g_param_spec_boxed ("caps", "Caps",
          "Caps of the file contents (e.g. image/png); ANY (default) = "
          "announce the downstream's caps when it accepts exactly one fixed "
          "type, else none", GST_TYPE_CAPS, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ON_ERROR,
      g_param_spec_enum ("on-error", "On error",
          "What a missing or unreadable file does: fail = post an error and "
          "stop; skip = post a warning naming the file and read the next",
          GST_TYPE_SEQ_FILE_SRC_ON_ERROR, DEFAULT_ON_ERROR,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LOOP,
      g_param_spec_boolean ("loop", "Loop",
          "Start again with the first file after the last one (timestamps "
          "keep increasing)", DEFAULT_LOOP, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CURRENT_FILE,
      g_param_spec_string ("current-file", "Current file",
          "Path of the file being read, or of the last one read; NULL "
          "before the first", NULL, ro));
  g_object_class_install_property (gobject_class, PROP_INDEX,
      g_param_spec_int ("index", "Index",
          "Index of the file being read: its number for a printf pattern, "
          "its position in the sorted list for a glob; -1 before the first",
          -1, G_MAXINT, -1, ro));
  g_object_class_install_property (gobject_class, PROP_HELD_BYTES,
      g_param_spec_uint64 ("held-bytes", "Held bytes",
          "Bytes the element holds now: the block being read, at most "
          "blocksize; 0 between reads (a pushed block belongs downstream)",
          0, G_MAXUINT64, 0, ro));
  gst_message_throttle_install_property (gobject_class, PROP_MESSAGE_INTERVAL);
  g_object_class_install_property (gobject_class, PROP_LOCATION_TAGS,
      g_param_spec_boolean ("location-tags", "Location tags",
          "Also send a tag event with each file's URI (GST_TAG_LOCATION); "
          "every sink posts a bus message for each tag event, one per file "
          "(the GstFileLocation event always names the file)",
          DEFAULT_LOCATION_TAGS, rw | GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Sequence file source", "Source/File",
      "Reads a sequence of files (printf pattern or glob) in blocks, one "
      "file after another, with a timestamp and a location tag per file",
      "gst-membound developers");

  basesrc_class->get_caps = GST_DEBUG_FUNCPTR (gst_seq_file_src_get_caps);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR (gst_seq_file_src_negotiate);
  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_seq_file_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_seq_file_src_stop);
  basesrc_class->is_seekable =
      GST_DEBUG_FUNCPTR (gst_seq_file_src_is_seekable);
  basesrc_class->do_seek = GST_DEBUG_FUNCPTR (gst_seq_file_src_do_seek);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_seq_file_src_query);
  basesrc_class->create = GST_DEBUG_FUNCPTR (gst_seq_file_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_FILE_SRC_ON_ERROR, 0);
  GST_DEBUG_CATEGORY_INIT (gst_seq_file_src_debug, "seqfilesrc", 0,
      "File sequence source");
}

static void
gst_seq_file_src_init (GstSeqFileSrc * self)
{
  self->start_index = DEFAULT_START_INDEX;
  self->stop_index = DEFAULT_STOP_INDEX;
  self->fps_n = DEFAULT_FPS_N;
  self->fps_d = DEFAULT_FPS_D;
  self->caps = gst_caps_new_any ();
  self->on_error = DEFAULT_ON_ERROR;
  self->loop = DEFAULT_LOOP;
  self->location_tags = DEFAULT_LOCATION_TAGS;
  self->fd = -1;
  self->n_slots = -1;
  self->current_index = -1;
  self->file_messages = gst_message_throttle_new ();

  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_blocksize (GST_BASE_SRC (self), DEFAULT_BLOCKSIZE);
  /* a segment stop ends the stream after a whole file, not in the middle of
   * the one whose time span reaches the stop (see create) */
  gst_base_src_set_automatic_eos (GST_BASE_SRC (self), FALSE);
}
