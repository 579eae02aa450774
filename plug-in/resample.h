/* Resizing packed R'G'B' float pixels in memory with GEGL (no GIMP involved). */
#pragma once
#include <glib.h>

/* Returns dst_width*dst_height*3 floats (g_free). Same size = plain copy, so a processing scale
 * of 100 % changes nothing. Edges are clamped, not faded to black. Values are clamped to [0,1]
 * (cubic interpolation overshoots a little at sharp edges). */
float *resample_rgb (const float *src, int src_width, int src_height, int dst_width,
                     int dst_height);
