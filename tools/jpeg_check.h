/* A structural check of JPEG files before GEGL's JPEG loader sees them. gegl:jpg-load 0.4.42
 * loops forever on a truncated JPEG (its data source reports "0 more bytes, keep going" at end of
 * file) and lets libjpeg exit() the process on a broken header; walking the marker segments up to
 * the end-of-image marker ourselves turns the common case, a truncated download, into an error. */
#pragma once
#include <glib.h>

/* TRUE when path is a JPEG whose marker segments and entropy-coded data run to an EOI marker
 * within the file; else FALSE and a VKS_ERROR_IMAGE error naming the problem. */
gboolean vks_jpeg_check_complete (const char *path, GError **error);
