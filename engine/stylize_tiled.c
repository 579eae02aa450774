/* Applying a tileable network (a style, a StarGAN v2 generator with its style code) in tiles
 * with the whole image's normalisation statistics, refined over passes when they start from a
 * smaller copy. */
#include "engine/stylize-private.h"

#include "engine/error.h"
#include "engine/tiling.h"

#include <math.h>
#include <string.h>

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

/* Refinement passes over the tiles when the statistics start from a smaller copy, at most:
 * $VKSTYLE_STATS_PASSES overrides (measurements; 0 keeps the copy's statistics). */
#define DEFAULT_REFINE_PASSES 3
/* Refining stops early once the statistics the tiles ran with are this close to those they
 * measured (largest difference over layers and channels, of a mean or of a standard deviation,
 * in standard deviations): then the next corrections change the output by less than 1/255
 * (docs/performance.md, "Normalisation statistics"). */
#define REFINE_TOLERANCE 0.02

static int
refine_passes (void)
{
  const char *env = g_getenv ("VKSTYLE_STATS_PASSES");
  if (env != NULL && *env != '\0')
    return (int) CLAMP (g_ascii_strtoll (env, NULL, 10), 0, 16);
  return DEFAULT_REFINE_PASSES;
}

/* State of one tiled application, shared by its passes. */
typedef struct {
  VksTileable *net;
  const float *condition;  /* every plan's, or NULL */
  const float *rgb_in;
  float *rgb_out;
  int width, height, h, w;
  VksTileAxis ay, ax;
  VksTileablePlan *plan;
  float *tile, *acc;
  gsize n_stats;
  float *stats;            /* the statistics the tiles run with */
  float *measured;         /* summed over the tiles' own regions by the last measuring pass */
  float *corrections;      /* of the copy's statistics (VKS_NORM_STATS_CORRECTED) */
  float *copy;             /* the copy, planar, copy_h x copy_w */
  int copy_h, copy_w;
  VksStatsSum sum;
  int n_tiles;
  double done, units;      /* progress: one unit per tile run */
  double copy_units;       /* a run of the copy, in tile runs (by pixel count) */
  VksStyleProgress *progress;
} Tiled;

static gboolean
report (Tiled *t, const char *message, GError **error)
{
  return vks_style_progress_report (t->progress, t->done / t->units, message, error);
}

/* The copy run with the current corrections: t->stats are the statistics it used, its own
 * measured at each layer and corrected (with no corrections, the copy's instance norm). */
static gboolean
run_copy (Tiled *t, GError **error)
{
  g_autoptr (VksTileablePlan) plan =
    vks_tileable_plan_new (t->net, t->copy_h, t->copy_w, VKS_NORM_STATS_CORRECTED, error);
  if (plan == NULL)
    return FALSE;
  vks_tileable_plan_set_condition (plan, t->condition);
  vks_tileable_plan_set_corrections (plan, t->corrections);
  g_autofree float *out = g_try_new (float, 3 * (gsize) t->copy_h * t->copy_w);
  if (out == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "out of memory for a %dx%d image",
                 t->copy_w, t->copy_h);
    return FALSE;
  }
  if (!vks_style_run_plan (plan, t->copy, out, t->progress, error))
    return FALSE;
  vks_tileable_plan_get_stats (plan, t->stats);
  t->done += t->copy_units;
  return TRUE;
}

/* How far the statistics the tiles ran with (t->stats) are from those they measured
 * (t->measured): the largest difference of a mean or of a standard deviation, in standard
 * deviations. */
static double
discrepancy (const Tiled *t)
{
  gsize at = 0;
  double worst = 0;
  for (int l = 0; l < t->sum.n_layers; l++) {
    int ch = t->sum.channels[l];
    for (int c = 0; c < ch; c++) {
      double used_m = t->stats[at + c], used_v = t->stats[at + ch + c] + 1e-5;
      double got_m = t->measured[at + c], got_v = t->measured[at + ch + c] + 1e-5;
      worst = MAX (worst, fabs (got_m - used_m) / sqrt (got_v));
      worst = MAX (worst, fabs (sqrt (got_v / used_v) - 1.0));
    }
    at += 2 * (gsize) ch;
  }
  return worst;
}

/* Defect correction: the copy's statistics differ from the full-size image's because the copy
 * differs, and by about the same amount whatever statistics the layers above used. A measuring
 * pass shows how far the full-size statistics (t->measured, each layer's taken with t->stats
 * upstream) are from t->stats; that difference is added to the corrections, and the copy run
 * again re-derives statistics consistent from layer to layer. At the fixed point the measured
 * statistics equal the used ones: the untiled result. Means are corrected by an offset,
 * variances by a factor (they stay positive). */
static void
update_corrections (Tiled *t)
{
  gsize at = 0;
  for (int l = 0; l < t->sum.n_layers; l++) {
    int ch = t->sum.channels[l];
    for (int c = 0; c < ch; c++) {
      float *mean = t->corrections + at + c, *var = t->corrections + at + ch + c;
      float used_m = t->stats[at + c], used_v = t->stats[at + ch + c];
      float got_m = t->measured[at + c], got_v = t->measured[at + ch + c];
      *mean += got_m - used_m;
      /* Variances far below the norm's epsilon do not matter to the normalisation. */
      *var *= (got_v + 1e-5f) / (used_v + 1e-5f);
    }
    at += 2 * (gsize) ch;
  }
}

/* Weighted output of the tile at row r, column c added into the band `acc` (rows from acc0). */
static void
blend_tile (Tiled *t, int r, int c, int acc0)
{
  int th = t->ay.size, tw = t->ax.size, y0 = t->ay.start[r], x0 = t->ax.start[c];
  int ys, ye, xs, xe;
  vks_tile_axis_span (&t->ay, r, &ys, &ye);
  vks_tile_axis_span (&t->ax, c, &xs, &xe);
  gsize plane = (gsize) th * tw;
  for (int y = ys; y < MIN (ye, t->height); y++) {
    float wy = vks_tile_axis_weight (&t->ay, r, y);
    float *dst = t->acc + (gsize) (y - acc0) * t->w * 3;
    const float *src = t->tile + (gsize) (y - y0) * tw - x0;
    for (int x = xs; x < MIN (xe, t->width); x++) {
      float wt = wy * vks_tile_axis_weight (&t->ax, c, x);
      for (int ch = 0; ch < 3; ch++)
        dst[(gsize) x * 3 + ch] += wt * src[ch * plane + x];
    }
  }
}

/* One pass over the tiles in row-major order with t->stats, each tile's statistics over its own
 * region summed into t->measured. The output pass also writes each tile row's weighted outputs
 * to `acc`, one tile's height of full-width rows starting at row acc0 of the network image; rows
 * above the next tile row's first input row are complete and never read again, so they are
 * written to rgb_out then — which makes rgb_out == rgb_in safe (only the last pass writes) and
 * keeps host memory at one band, not a second image. */
static gboolean
run_pass (Tiled *t, gboolean output, GError **error)
{
  int th = t->ay.size, tw = t->ax.size;
  gboolean measure = t->n_stats > 0;
  /* A new plan per pass: the copy's plan, in between, has the budget to itself. */
  t->plan = vks_tileable_plan_new (t->net, th, tw, VKS_NORM_STATS_GIVEN_MEASURE, error);
  if (t->plan == NULL)
    return FALSE;
  vks_tileable_plan_set_condition (t->plan, t->condition);
  if (measure)
    vks_tileable_plan_set_stats (t->plan, t->stats);
  vks_stats_sum_reset (&t->sum);
  int acc0 = 0, k = 0;
  for (int r = 0; r < t->ay.n; r++) {
    int y0 = t->ay.start[r], oy0, oy1;
    vks_tile_axis_own (&t->ay, r, &oy0, &oy1);
    for (int c = 0; c < t->ax.n; c++, k++) {
      char message[64];
      g_snprintf (message, sizeof message, "%s tile %d/%d",
                  output ? vks_tileable_spec (t->net)->verb : "Measuring", k + 1, t->n_tiles);
      if (!report (t, message, error))
        return FALSE;
      int x0 = t->ax.start[c], ox0, ox1;
      vks_tile_axis_own (&t->ax, c, &ox0, &ox1);
      vks_style_read_region (t->rgb_in, t->width, t->height, y0, x0, th, tw, t->tile);
      if (measure)
        vks_tileable_plan_set_region (t->plan, oy0 - y0, oy1 - y0, ox0 - x0, ox1 - x0);
      gint64 t0 = g_get_monotonic_time ();
      if (!vks_style_run_plan (t->plan, t->tile, t->tile, t->progress, error))
        return FALSE;
      t->done += 1;
      g_debug ("tiling: %s tile %d/%d ran in %.2f s", output ? "output" : "measuring", k + 1,
               t->n_tiles, (g_get_monotonic_time () - t0) / 1e6);
      if (measure) {
        vks_tileable_plan_get_stats (t->plan, t->measured);
        vks_stats_sum_add (&t->sum, t->measured, (double) (oy1 - oy0) * (ox1 - ox0));
      }
      if (output)
        blend_tile (t, r, c, acc0);
    }
    if (!output)
      continue;
    int next = r + 1 < t->ay.n ? t->ay.start[r + 1] : t->h;
    write_rows (t->acc, t->rgb_out, t->width, t->w, acc0, MIN (next, t->height));
    gsize band = (gsize) th * t->w * 3, keep = (gsize) (th - (next - acc0)) * t->w * 3;
    if (r + 1 < t->ay.n) {
      memmove (t->acc, t->acc + (gsize) (next - acc0) * t->w * 3, keep * sizeof (float));
      memset (t->acc + keep, 0, (band - keep) * sizeof (float));
    }
    acc0 = next;
  }
  g_clear_pointer (&t->plan, vks_tileable_plan_free);
  if (measure)
    vks_stats_sum_get (&t->sum, t->measured);
  return TRUE;
}

/* Tiled application. Instance-norm statistics are the whole image's: from the image itself when
 * its plan fits the budget (exact), else from a smaller copy, refined by passes over all
 * tiles at full size that measure each layer's statistics over the tiles' own regions
 * (update_corrections; docs/performance.md has the error per pass) until they agree with what
 * the tiles measured or DEFAULT_REFINE_PASSES passes are done. Then the output pass. */
gboolean
vks_style_apply_tiled (VksTileable *net, const float *condition, const float *rgb_in,
                       float *rgb_out, int width, int height, int h, int w, int side,
                       VkDeviceSize budget, VksStyleProgress *progress, GError **error)
{
  int margin = vks_tileable_margin (net), grid = vks_tileable_spec (net)->grid;
  Tiled t = { .net = net, .condition = condition, .rgb_in = rgb_in, .rgb_out = rgb_out,
              .width = width, .height = height, .h = h, .w = w, .progress = progress,
              .units = 1.0 };
  gboolean ok = FALSE;
  vks_stats_sum_init (&t.sum, net);
  if (!vks_tile_axis_init (&t.ay, h, MIN (side, h), margin, VKS_TILE_BLEND, grid, error) ||
      !vks_tile_axis_init (&t.ax, w, MIN (side, w), margin, VKS_TILE_BLEND, grid, error))
    goto out;
  int th = t.ay.size, tw = t.ax.size;
  t.n_tiles = t.ay.n * t.ax.n;
  t.n_stats = vks_tileable_stats_floats (net);
  g_debug ("tiling: %dx%d image in %d tiles of %dx%d (margin %d, blend %d)", w, h, t.n_tiles, tw,
           th, margin, VKS_TILE_BLEND);
  t.tile = g_try_new (float, 3 * (gsize) th * tw);
  t.acc = g_try_new0 (float, (gsize) th * w * 3);
  t.stats = g_try_new (float, MAX (t.n_stats, 1));
  t.measured = g_try_new (float, MAX (t.n_stats, 1));
  t.corrections = g_try_new0 (float, MAX (t.n_stats, 1));
  if (t.tile == NULL || t.acc == NULL || t.stats == NULL || t.measured == NULL ||
      t.corrections == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "out of memory for the tiles of a %dx%d image", width, height);
    goto out;
  }
  int refine = 0;
  if (t.n_stats > 0) {
    /* Before the copy reads the image: cancel costs nothing yet. */
    if (!report (&t, vks_tileable_spec (net)->verb, error) ||
        !vks_style_make_stats_copy (net, rgb_in, width, height, h, w, budget, &t.copy,
                                    &t.copy_h, &t.copy_w, error))
      goto out;
    if (t.copy_h != h || t.copy_w != w)
      refine = refine_passes ();
    /* No corrections: offsets 0, factors 1. */
    gsize at = 0;
    for (int l = 0; l < t.sum.n_layers; at += 2 * (gsize) t.sum.channels[l], l++)
      for (int c = 0; c < t.sum.channels[l]; c++)
        t.corrections[at + t.sum.channels[l] + c] = 1.0f;
  }
  if (t.n_stats > 0)
    t.copy_units = (double) t.copy_h * t.copy_w / ((double) th * tw);
  t.units = (1 + refine) * (t.n_tiles + t.copy_units);
  if (t.n_stats > 0 && !run_copy (&t, error))
    goto out;
  for (int pass = 0;; pass++) {
    gboolean output = pass == refine;
    if (!run_pass (&t, output, error))
      goto out;
    double off = t.n_stats > 0 ? discrepancy (&t) : 0.0;
    g_debug ("tiling: %s pass %d: the statistics used are within %.4f standard deviations of "
             "the measured ones", output ? "output" : "measuring", pass + 1, off);
    if (output)
      break;
    update_corrections (&t);
    if (off < REFINE_TOLERANCE) {
      t.done += (refine - pass - 1) * (t.n_tiles + t.copy_units);
      refine = pass + 1;
    }
    if (!report (&t, vks_tileable_spec (t.net)->verb, error) || !run_copy (&t, error))
      goto out;
  }
  ok = TRUE;

out:
  vks_tileable_plan_free (t.plan);
  g_free (t.tile);
  g_free (t.acc);
  g_free (t.stats);
  g_free (t.measured);
  g_free (t.corrections);
  g_free (t.copy);
  vks_stats_sum_clear (&t.sum);
  vks_tile_axis_clear (&t.ay);
  vks_tile_axis_clear (&t.ax);
  return ok;
}
