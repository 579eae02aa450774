/* What the network reads of an image: mirror-extended regions, and the copy the normalisation
 * statistics are measured on. */
#include "engine/stylize-private.h"

#include "engine/error.h"

/* Index into [0, size) of position i >= 0 of the image extended by mirroring at its far edge,
 * the extension the PyTorch fixtures use (ReflectionPad: size, size+1 -> size-2, size-3);
 * a 1-pixel side is extended by repetition. */
static int
mirror (int i, int size)
{
  if (size == 1)
    return 0;
  int period = 2 * (size - 1);
  int m = i % period;
  return m < size ? m : period - m;
}

/* The network's input for rows [y0, y0 + th) and columns [x0, x0 + tw) of the image mirror-
 * extended to the network size, planar, in [-1, 1]. */
void
vks_style_read_region (const float *rgb, int width, int height, int y0, int x0, int th, int tw,
                       float *planar)
{
  gsize plane = (gsize) th * tw;
  for (int y = 0; y < th; y++) {
    const float *row = rgb + (gsize) mirror (y0 + y, height) * width * 3;
    for (int x = 0; x < tw; x++) {
      const float *px = row + (gsize) mirror (x0 + x, width) * 3;
      for (int c = 0; c < 3; c++)
        planar[c * plane + (gsize) y * tw + x] = px[c] * 2.0f - 1.0f;
    }
  }
}

/* Box-filtered copy of the network-size image (h x w) at sh x sw. Measured against a mosaic of
 * full-resolution 32-pixel cells on three photos with the trained Cartoon style: error after two
 * refining passes 8.8, 1.7 and 19.1/255 against 22.4, 1.0 and 19.6/255 (docs/performance.md). */
static void
read_downscaled (const float *rgb, int width, int height, int h, int w, int sh, int sw,
                 float *planar)
{
  gsize plane = (gsize) sh * sw;
  for (int i = 0; i < sh; i++) {
    int y0 = (int) ((gint64) i * h / sh), y1 = MAX (y0 + 1, (int) ((gint64) (i + 1) * h / sh));
    for (int j = 0; j < sw; j++) {
      int x0 = (int) ((gint64) j * w / sw), x1 = MAX (x0 + 1, (int) ((gint64) (j + 1) * w / sw));
      double sum[3] = { 0, 0, 0 };
      for (int y = y0; y < y1; y++) {
        const float *row = rgb + (gsize) mirror (y, height) * width * 3;
        for (int x = x0; x < x1; x++)
          for (int c = 0; c < 3; c++)
            sum[c] += row[(gsize) mirror (x, width) * 3 + c];
      }
      double n = (double) (y1 - y0) * (x1 - x0);
      for (int c = 0; c < 3; c++)
        planar[c * plane + (gsize) i * sw + j] = (float) (sum[c] / n) * 2.0f - 1.0f;
    }
  }
}

/* v to the nearest multiple of the grid, at least the smallest side. */
static int
round_to_grid (const VksTileableSpec *spec, double v)
{
  return MAX (spec->min_side, (int) (v / spec->grid + 0.5) * spec->grid);
}

/* The copy of the image the statistics are measured on: the image itself when a plan of its
 * size fits the budget (then the statistics are exact and tiles reproduce the untiled result),
 * else the largest box-filtered copy that fits. */
gboolean
vks_style_make_stats_copy (VksTileable *net, const float *rgb, int width, int height, int h,
                           int w, VkDeviceSize budget, float **planar, int *sh_out, int *sw_out,
                           GError **error)
{
  const VksTileableSpec *spec = vks_tileable_spec (net);
  int sh = h, sw = w;
  VkDeviceSize bytes;
  /* $VKSTYLE_STATS_SCALE: a copy at 1/scale of the size even when the image would fit
   * (measurements of the refinement). */
  const char *env = g_getenv ("VKSTYLE_STATS_SCALE");
  double forced = env != NULL ? g_ascii_strtod (env, NULL) : 0.0;
  if (forced > 1.0 ||
      !vks_tileable_plan_bytes (net, h, w, VKS_NORM_STATS_CORRECTED, &bytes, NULL) ||
      bytes > budget) {
    double f = forced > 1.0 ? forced : 1.05;
    for (;; f *= 1.05) {
      sh = round_to_grid (spec, h / f);
      sw = round_to_grid (spec, w / f);
      if (vks_tileable_plan_bytes (net, sh, sw, VKS_NORM_STATS_CORRECTED, &bytes, NULL) &&
          bytes <= budget)
        break;
      if (sh == spec->min_side && sw == spec->min_side)
        break;   /* plan_new reports why */
    }
  }
  *planar = g_try_new (float, 3 * (gsize) sh * sw);
  if (*planar == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "out of memory for a %dx%d image",
                 sw, sh);
    return FALSE;
  }
  if (sh == h && sw == w)
    vks_style_read_region (rgb, width, height, 0, 0, h, w, *planar);
  else
    read_downscaled (rgb, width, height, h, w, sh, sw, *planar);
  *sh_out = sh;
  *sw_out = sw;
  g_debug ("tiling: norm statistics measured at %dx%d for a %dx%d image", sw, sh, w, h);
  return TRUE;
}
