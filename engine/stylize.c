#include "engine/stylize.h"

#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/tiling.h"

#include <math.h>
#include <string.h>

struct VksStyle {
  VksContext *ctx;
  VksGenerator *gen;
  char *name;
  char *description;
  VksGeneratorPlan *plan;   /* for the last size used: re-planning costs allocations */
  int plan_h, plan_w;
};

VksStyle *
vks_style_load (VksContext *ctx, const char *path, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, error);
  if (ckpt == NULL)
    return NULL;
  g_autoptr (VksStyle) style = g_new0 (VksStyle, 1);
  style->ctx = ctx;
  g_autoptr (GError) local = NULL;
  style->gen = vks_generator_new (ctx, ckpt, &local);
  if (style->gen == NULL) {
    g_autofree char *base = g_path_get_basename (path);
    g_set_error (error, local->domain, local->code, "%s: %s", base, local->message);
    return NULL;
  }
  const char *name = vks_checkpoint_get_metadata (ckpt, "vkstyle.name");
  const char *desc = vks_checkpoint_get_metadata (ckpt, "vkstyle.description");
  if (name != NULL && *name != '\0') {
    style->name = g_strdup (name);
  } else {
    g_autofree char *base = g_path_get_basename (path);
    char *dot = strrchr (base, '.');
    if (dot != NULL && dot != base)
      *dot = '\0';
    style->name = g_steal_pointer (&base);
  }
  style->description = g_strdup (desc ? desc : "");
  return g_steal_pointer (&style);
}

void
vks_style_free (VksStyle *style)
{
  if (style == NULL)
    return;
  vks_generator_plan_free (style->plan);
  vks_generator_free (style->gen);
  g_free (style->name);
  g_free (style->description);
  g_free (style);
}

const char *
vks_style_name (const VksStyle *style)
{
  return style->name;
}

const char *
vks_style_description (const VksStyle *style)
{
  return style->description;
}

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

static int
network_side (int side)
{
  return MAX (VKS_GENERATOR_MIN_SIDE, (side + 3) / 4 * 4);
}

/* Device memory a plan may take unless $VKSTYLE_MEMORY_BUDGET (MiB) says otherwise: a quarter
 * of the device heap, at most 512 MiB. On lavapipe the heap is system memory shared with the
 * image itself, and tiles much larger than 1024² buy little (docs/performance.md). */
#define DEFAULT_BUDGET ((VkDeviceSize) 512 << 20)
/* Largest tile side chosen by default: one tile is the unit of cancellation and progress. */
#define DEFAULT_MAX_TILE 1024

static VkDeviceSize
memory_budget (VksContext *ctx)
{
  const char *env = g_getenv ("VKSTYLE_MEMORY_BUDGET");
  if (env != NULL && *env != '\0')
    return (VkDeviceSize) MAX (1, g_ascii_strtoll (env, NULL, 10)) << 20;
  VkDeviceSize heap = 0;
  const VkPhysicalDeviceMemoryProperties *mp = &ctx->memory_props;
  for (uint32_t i = 0; i < mp->memoryHeapCount; i++)
    heap = MAX (heap, mp->memoryHeaps[i].size);
  return MIN (DEFAULT_BUDGET, heap / 4);
}

/* $VKSTYLE_TILE: force tiles of this side (tests, measurements); 0 when unset. */
static int
forced_tile_side (void)
{
  const char *env = g_getenv ("VKSTYLE_TILE");
  if (env == NULL || *env == '\0')
    return 0;
  return (int) CLAMP (g_ascii_strtoll (env, NULL, 10), VKS_GENERATOR_MIN_SIDE, 1 << 15) / 4 * 4;
}

/* The network's input for rows [y0, y0 + th) and columns [x0, x0 + tw) of the image mirror-
 * extended to the network size, planar, in [-1, 1]. */
static void
read_region (const float *rgb, int width, int height, int y0, int x0, int th, int tw,
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

/* Box-filtered copy of the network-size image (h x w) at sh x sw, for the statistics pass. */
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

static int
round4 (double v)
{
  return MAX (VKS_GENERATOR_MIN_SIDE, (int) (v / 4.0 + 0.5) * 4);
}

/* The instance-norm statistics of the whole image: measured on the image itself when a plan of
 * its size fits the budget (then tiles reproduce the untiled result), else on the largest
 * box-filtered copy that fits. That is an approximation: docs/performance.md measures what it
 * costs, and collecting the statistics over all tiles at full resolution is the next step. */
static gboolean
measure_statistics (VksStyle *style, const float *rgb, int width, int height, int h, int w,
                    VkDeviceSize budget, float *stats, GError **error)
{
  int sh = h, sw = w;
  VkDeviceSize bytes;
  /* $VKSTYLE_STATS_SCALE: measure at 1/scale of the size even when the image would fit
   * (measurements of what the down-scaling costs). */
  const char *env = g_getenv ("VKSTYLE_STATS_SCALE");
  double forced = env != NULL ? g_ascii_strtod (env, NULL) : 0.0;
  if (forced > 1.0 ||
      !vks_generator_plan_bytes (style->gen, h, w, VKS_NORM_STATS_RECORD, &bytes, NULL) ||
      bytes > budget) {
    /* The largest copy the budget allows: the smaller it is, the further its statistics are
     * from the image's (docs/performance.md). */
    double f = forced > 1.0 ? forced : 1.05;
    for (;; f *= 1.05) {
      sh = round4 (h / f);
      sw = round4 (w / f);
      if (vks_generator_plan_bytes (style->gen, sh, sw, VKS_NORM_STATS_RECORD, &bytes, NULL) &&
          bytes <= budget)
        break;
      if (sh == VKS_GENERATOR_MIN_SIDE && sw == VKS_GENERATOR_MIN_SIDE)
        break;   /* plan_new below reports why */
    }
  }
  g_autoptr (VksGeneratorPlan) plan =
    vks_generator_plan_new_with_stats (style->gen, sh, sw, VKS_NORM_STATS_RECORD, error);
  if (plan == NULL)
    return FALSE;
  g_autofree float *planar = g_try_new (float, 3 * (gsize) sh * sw);
  if (planar == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "out of memory for a %dx%d image",
                 sw, sh);
    return FALSE;
  }
  if (sh == h && sw == w)
    read_region (rgb, width, height, 0, 0, h, w, planar);
  else
    read_downscaled (rgb, width, height, h, w, sh, sw, planar);
  if (!vks_generator_plan_run (plan, planar, planar, error))
    return FALSE;
  vks_generator_plan_get_stats (plan, stats);
  g_debug ("tiling: norm statistics measured at %dx%d for a %dx%d image", sw, sh, w, h);
  return TRUE;
}

static void
write_rows (const float *acc, float *rgb_out, int width, int acc_w, int first, int end)
{
  for (int y = first; y < end; y++) {
    const float *src = acc + (gsize) (y - first) * acc_w * 3;
    float *dst = rgb_out + (gsize) y * width * 3;
    for (gsize i = 0; i < (gsize) width * 3; i++)
      dst[i] = CLAMP ((src[i] + 1.0f) * 0.5f, 0.0f, 1.0f);
  }
}

/* Tiles in row-major order. Each tile row's weighted outputs go to `acc`, one tile's height of
 * full-width rows starting at row acc0 of the network image; rows above the next tile row's
 * first input row are complete and never read again, so they are written to rgb_out then —
 * which makes rgb_out == rgb_in safe and keeps host memory at one band, not a second image. */
static gboolean
apply_tiled (VksStyle *style, const float *rgb_in, float *rgb_out, int width, int height, int h,
             int w, int side, VkDeviceSize budget, VksProgressFunc progress, gpointer user_data,
             GError **error)
{
  const VksGeneratorConfig *cfg = vks_generator_config (style->gen);
  int margin = vks_tile_margin (cfg);
  VksTileAxis ay = { 0 }, ax = { 0 };
  gboolean ok = FALSE;
  VksGeneratorPlan *plan = NULL;
  float *tile = NULL, *acc = NULL, *stats = NULL;
  if (!vks_tile_axis_init (&ay, h, MIN (side, h), margin, VKS_TILE_BLEND, error) ||
      !vks_tile_axis_init (&ax, w, MIN (side, w), margin, VKS_TILE_BLEND, error))
    goto out;
  int th = ay.size, tw = ax.size, n = ay.n * ax.n;
  gsize n_stats = vks_generator_stats_floats (style->gen);
  /* The statistics pass costs about one tile; count it as one in the progress. */
  double units = n + (n_stats > 0);
  g_debug ("tiling: %dx%d image in %d tiles of %dx%d (margin %d, blend %d)", w, h, n, tw, th,
           margin, VKS_TILE_BLEND);
  tile = g_try_new (float, 3 * (gsize) th * tw);
  acc = g_try_new0 (float, (gsize) th * w * 3);
  stats = g_try_new (float, MAX (n_stats, 1));
  if (tile == NULL || acc == NULL || stats == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "out of memory for the tiles of a %dx%d image", width, height);
    goto out;
  }
  if (n_stats > 0) {
    if (progress && !progress (0.0, "Stylizing", user_data))
      goto cancelled;
    if (!measure_statistics (style, rgb_in, width, height, h, w, budget, stats, error))
      goto out;
  }
  plan = vks_generator_plan_new_with_stats (style->gen, th, tw, VKS_NORM_STATS_GIVEN, error);
  if (plan == NULL)
    goto out;
  if (n_stats > 0)
    vks_generator_plan_set_stats (plan, stats);

  gsize plane = (gsize) th * tw;
  int acc0 = 0, k = 0;
  for (int r = 0; r < ay.n; r++) {
    int y0 = ay.start[r], ys, ye;
    vks_tile_axis_span (&ay, r, &ys, &ye);
    for (int c = 0; c < ax.n; c++, k++) {
      char message[64];
      g_snprintf (message, sizeof message, "Stylizing tile %d/%d", k + 1, n);
      if (progress && !progress ((k + (n_stats > 0)) / units, message, user_data))
        goto cancelled;
      int x0 = ax.start[c], xs, xe;
      vks_tile_axis_span (&ax, c, &xs, &xe);
      read_region (rgb_in, width, height, y0, x0, th, tw, tile);
      gint64 t0 = g_get_monotonic_time ();
      if (!vks_generator_plan_run (plan, tile, tile, error))
        goto out;
      g_debug ("tiling: tile %d/%d ran in %.2f s", k + 1, n,
               (g_get_monotonic_time () - t0) / 1e6);
      for (int y = ys; y < MIN (ye, height); y++) {
        float wy = vks_tile_axis_weight (&ay, r, y);
        float *dst = acc + (gsize) (y - acc0) * w * 3;
        const float *src = tile + (gsize) (y - y0) * tw - x0;
        for (int x = xs; x < MIN (xe, width); x++) {
          float wt = wy * vks_tile_axis_weight (&ax, c, x);
          for (int ch = 0; ch < 3; ch++)
            dst[(gsize) x * 3 + ch] += wt * src[ch * plane + x];
        }
      }
    }
    int next = r + 1 < ay.n ? ay.start[r + 1] : h;
    write_rows (acc, rgb_out, width, w, acc0, MIN (next, height));
    gsize keep = (gsize) (th - (next - acc0)) * w * 3;
    if (r + 1 < ay.n) {
      memmove (acc, acc + (gsize) (next - acc0) * w * 3, keep * sizeof (float));
      memset (acc + keep, 0, ((gsize) th * w * 3 - keep) * sizeof (float));
    }
    acc0 = next;
  }
  ok = TRUE;
  goto out;

cancelled:
  g_set_error (error, VKS_ERROR, VKS_ERROR_CANCELLED, "cancelled");
out:
  vks_generator_plan_free (plan);
  g_free (tile);
  g_free (acc);
  g_free (stats);
  vks_tile_axis_clear (&ay);
  vks_tile_axis_clear (&ax);
  return ok;
}

gboolean
vks_style_apply (VksStyle *style, const float *rgb_in, float *rgb_out, int width, int height,
                 VksProgressFunc progress, gpointer user_data, GError **error)
{
  if (width < 1 || height < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "cannot stylize an empty %dx%d image", width,
                 height);
    return FALSE;
  }
  /* Before any size arithmetic: a side near INT_MAX would overflow the padding below. */
  if (width > G_MAXINT - 8 || height > G_MAXINT - 8 || (gint64) width * height > (1 << 30)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a %dx%d image is too large to process (try a lower processing scale)", width,
                 height);
    return FALSE;
  }
  const VksGeneratorConfig *cfg = vks_generator_config (style->gen);
  if (cfg->input_nc != 3 || cfg->output_nc != 3) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "this model takes %d and gives %d channels; styles work on RGB (3)",
                 cfg->input_nc, cfg->output_nc);
    return FALSE;
  }
  int h = network_side (height), w = network_side (width);
  gsize plane = (gsize) h * w;
  g_autofree float *planar = NULL;
  if (progress && !progress (0.0, "Preparing the network", user_data))
    goto cancelled;
  VkDeviceSize budget = memory_budget (style->ctx);
  int forced = forced_tile_side ();
  VkDeviceSize bytes = 0;
  gboolean whole = (style->plan != NULL && style->plan_h == h && style->plan_w == w) ||
                   (vks_generator_plan_bytes (style->gen, h, w, VKS_NORM_STATS_OWN, &bytes, NULL)
                    && bytes <= budget);
  if (forced > 0 ? (forced < h || forced < w) : !whole) {
    /* The cached whole-image plan would only take memory from the tiles. */
    g_clear_pointer (&style->plan, vks_generator_plan_free);
    int side = forced > 0 ? forced
                          : vks_tile_side_for_budget (style->gen, budget, DEFAULT_MAX_TILE);
    if (side == 0) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                   "not even a %dx%d tile of this model fits in %.0f MiB of device memory",
                   VKS_GENERATOR_MIN_SIDE, VKS_GENERATOR_MIN_SIDE, budget / 1048576.0);
      return FALSE;
    }
    if (!apply_tiled (style, rgb_in, rgb_out, width, height, h, w, side, budget, progress,
                      user_data, error))
      return FALSE;
    if (progress)
      progress (1.0, "Done", user_data);
    return TRUE;
  }
  if (style->plan == NULL || style->plan_h != h || style->plan_w != w) {
    g_clear_pointer (&style->plan, vks_generator_plan_free);
    style->plan = vks_generator_plan_new (style->gen, h, w, error);
    if (style->plan == NULL)
      return FALSE;
    style->plan_h = h;
    style->plan_w = w;
  }
  planar = g_try_new (float, 3 * plane);
  if (planar == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "out of memory for a %dx%d image (try a lower processing scale)", width, height);
    return FALSE;
  }
  read_region (rgb_in, width, height, 0, 0, h, w, planar);
  if (progress && !progress (0.05, "Stylizing", user_data))
    goto cancelled;
  if (!vks_generator_plan_run (style->plan, planar, planar, error))
    return FALSE;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++) {
        float v = (planar[c * plane + (gsize) y * w + x] + 1.0f) * 0.5f;
        rgb_out[((gsize) y * width + x) * 3 + c] = CLAMP (v, 0.0f, 1.0f);
      }
  if (progress)
    progress (1.0, "Done", user_data);
  return TRUE;

cancelled:
  g_set_error (error, VKS_ERROR, VKS_ERROR_CANCELLED, "cancelled");
  return FALSE;
}
