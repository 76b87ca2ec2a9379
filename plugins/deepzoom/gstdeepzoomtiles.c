/* gst-membound: encoding and writing one Deep Zoom tile
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdeepzoomtiles.h"
#include "gstpngwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <jpeglib.h>

GType
gst_deep_zoom_format_get_type (void)
{
  static const GEnumValue values[] = {
    {GST_DEEP_ZOOM_FORMAT_JPEG, "JPEG tiles (.jpeg): alpha flattened onto "
          "black, 16-bit samples reduced to 8-bit", "jpeg"},
    {GST_DEEP_ZOOM_FORMAT_PNG, "PNG tiles (.png): channels and depth kept",
        "png"},
    {0, NULL, NULL}
  };
  static gsize type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstDeepZoomFormat", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* The file suffix, also the Format attribute of the .dzi: libvips' names. */
const gchar *
gst_deep_zoom_format_suffix (GstDeepZoomFormat format)
{
  return format == GST_DEEP_ZOOM_FORMAT_PNG ? "png" : "jpeg";
}

gsize
gst_deep_zoom_tile_job_bytes (guint width, guint height,
    GstVideoFormat format)
{
  return (gsize) width * height *
      GST_VIDEO_FORMAT_INFO_PSTRIDE (gst_video_format_get_info (format), 0);
}

GstDeepZoomTileJob *
gst_deep_zoom_tile_job_new (guint max_width, guint max_height,
    GstVideoFormat format)
{
  GstDeepZoomTileJob *job = g_new0 (GstDeepZoomTileJob, 1);

  job->format = format;
  job->pixels = g_malloc (gst_deep_zoom_tile_job_bytes (max_width,
          max_height, format));
  return job;
}

void
gst_deep_zoom_tile_job_free (GstDeepZoomTileJob * job)
{
  if (!job)
    return;
  g_free (job->path);
  g_free (job->pixels);
  g_free (job->error_text);
  g_free (job);
}

/* ------------------------------------------------------------------------ */
/* JPEG                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
  gchar text[JMSG_LENGTH_MAX];
} GstDeepZoomJpegError;

static void
gst_deep_zoom_jpeg_fail (j_common_ptr cinfo)
{
  GstDeepZoomJpegError *err = (GstDeepZoomJpegError *) cinfo->err;

  cinfo->err->format_message (cinfo, err->text);
  longjmp (err->jump, 1);
}

/* libvips' conversion for JPEG: alpha is flattened onto a black
 * background, c * a / max truncated as vips_flatten() does, and 16 bits
 * then keep their high byte. */
static void
gst_deep_zoom_jpeg_row (const guint8 * src, guint8 * dst, guint width,
    GstVideoFormat format)
{
  guint x, c;

  switch (format) {
    case GST_VIDEO_FORMAT_GRAY16_BE:
      for (x = 0; x < width; x++)
        dst[x] = src[2 * x];
      break;
    case GST_VIDEO_FORMAT_RGBA:
      for (x = 0; x < width; x++, src += 4, dst += 3)
        for (c = 0; c < 3; c++)
          dst[c] = src[c] * src[3] / 255;
      break;
    case GST_VIDEO_FORMAT_RGBA64_BE:
      for (x = 0; x < width; x++, src += 8, dst += 3) {
        guint64 a = (src[6] << 8) | src[7];

        for (c = 0; c < 3; c++) {
          guint64 v = (src[2 * c] << 8) | src[2 * c + 1];

          dst[c] = (v * a / 65535) >> 8;
        }
      }
      break;
    default:
      g_assert_not_reached ();
  }
}

static gboolean
gst_deep_zoom_encode_jpeg (GstDeepZoomTileJob * job, guint quality,
    guint8 ** data, unsigned long *len)
{
  struct jpeg_compress_struct cinfo;
  GstDeepZoomJpegError err;
  gboolean gray = job->format == GST_VIDEO_FORMAT_GRAY8 ||
      job->format == GST_VIDEO_FORMAT_GRAY16_BE;
  gboolean direct = job->format == GST_VIDEO_FORMAT_GRAY8 ||
      job->format == GST_VIDEO_FORMAT_RGB;
  guint8 *volatile row = NULL;

  *data = NULL;
  *len = 0;
  cinfo.err = jpeg_std_error (&err.mgr);
  err.mgr.error_exit = gst_deep_zoom_jpeg_fail;
  if (setjmp (err.jump)) {
    jpeg_destroy_compress (&cinfo);
    g_free (row);
    free (*data);
    *data = NULL;
    job->error_text = g_strdup_printf ("JPEG encoding failed: %s", err.text);
    return FALSE;
  }
  jpeg_create_compress (&cinfo);
  jpeg_mem_dest (&cinfo, data, len);
  cinfo.image_width = job->width;
  cinfo.image_height = job->height;
  cinfo.input_components = gray ? 1 : 3;
  cinfo.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, quality, TRUE);
  /* libvips writes tiles without the JFIF marker (its density says nothing
   * about a tile); leaving it out too makes the tiles its bytes exactly */
  cinfo.write_JFIF_header = FALSE;
  jpeg_start_compress (&cinfo, TRUE);
  if (!direct)
    row = g_malloc ((gsize) job->width * 3);
  while (cinfo.next_scanline < cinfo.image_height) {
    guint8 *src = job->pixels + (gsize) cinfo.next_scanline * job->stride;
    JSAMPROW rows[1] = { src };

    if (!direct) {
      gst_deep_zoom_jpeg_row (src, row, job->width, job->format);
      rows[0] = row;
    }
    jpeg_write_scanlines (&cinfo, rows, 1);
  }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  g_free (row);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* PNG                                                                      */
/* ------------------------------------------------------------------------ */

static GBytes *
gst_deep_zoom_encode_png (GstDeepZoomTileJob * job,
    const GstDeepZoomTileSettings * settings)
{
  GstPngWriterSettings png;
  GError *error = NULL;
  GBytes *bytes;

  gst_png_writer_settings_init (&png);
  png.compression_level = settings->compression_level;
  png.segment_bytes = 0;
  bytes = gst_png_writer_encode_image (job->pixels, job->stride, job->width,
      job->height, job->format, &png, &error);
  if (!bytes) {
    job->error_text = g_strdup_printf ("PNG encoding failed: %s",
        error ? error->message : "unknown error");
    g_clear_error (&error);
  }
  return bytes;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

/* Writes @data to @path, replacing it. On failure (a full disk, a file size
 * limit, a missing directory) the partial file is removed, so that a tile is
 * either whole or absent, and @errno_value says why.
 */
static gboolean
gst_deep_zoom_write_file (const gchar * path, const guint8 * data, gsize len,
    gint * errno_value)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  gsize done = 0;

  if (fd < 0) {
    *errno_value = errno;
    return FALSE;
  }
  while (done < len) {
    gssize n = write (fd, data + done, len - done);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      *errno_value = n < 0 ? errno : ENOSPC;
      close (fd);
      g_unlink (path);
      return FALSE;
    }
    done += n;
  }
  if (close (fd) != 0) {
    *errno_value = errno;
    g_unlink (path);
    return FALSE;
  }
  *errno_value = 0;
  return TRUE;
}

/* Encodes the tile and writes its file; on failure @job says why. Runs on
 * any thread: it touches only the job. */
gboolean
gst_deep_zoom_tile_job_run (GstDeepZoomTileJob * job,
    const GstDeepZoomTileSettings * settings)
{
  GBytes *bytes;
  gboolean ok;

  g_clear_pointer (&job->error_text, g_free);
  job->errno_value = 0;
  if (settings->format == GST_DEEP_ZOOM_FORMAT_JPEG) {
    guint8 *data;
    unsigned long len;

    bytes = gst_deep_zoom_encode_jpeg (job, settings->quality, &data, &len) ?
        g_bytes_new_with_free_func (data, len, free, data) : NULL;
  } else {
    bytes = gst_deep_zoom_encode_png (job, settings);
  }
  if (!bytes)
    return FALSE;
  ok = gst_deep_zoom_write_file (job->path, g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), &job->errno_value);
  g_bytes_unref (bytes);
  if (!ok)
    job->error_text = g_strdup (g_strerror (job->errno_value));
  return ok;
}
