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

/* Device memory a plan may take unless $VKSTYLE_MEMORY_BUDGET (MiB) says otherwise: half of
 * what is free on the device (its heap where the driver cannot tell), at most 1 GiB. Images
 * whose plan fits run whole with exact statistics (one pass instead of three or four), larger
 * ones get a statistics copy closer to their size; on lavapipe (a 2 GiB heap in system memory,
 * shared with the image itself) 1 GiB keeps an 8000x6000 image under 2 GiB in all
 * (docs/performance.md). */
#define DEFAULT_BUDGET ((VkDeviceSize) 1 << 30)
/* Largest tile side chosen by default: tiles much larger than 1024² buy little. */
#define DEFAULT_MAX_TILE 1024

VkDeviceSize
vks_memory_budget (VksContext *ctx)
{
  const char *env = g_getenv ("VKSTYLE_MEMORY_BUDGET");
  if (env != NULL && *env != '\0')
    return (VkDeviceSize) MAX (1, g_ascii_strtoll (env, NULL, 10)) << 20;
  return MIN (DEFAULT_BUDGET, vks_context_free_memory (ctx) / 2);
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

static int
round4 (double v)
{
  return MAX (VKS_GENERATOR_MIN_SIDE, (int) (v / 4.0 + 0.5) * 4);
}

/* The copy of the image the statistics are measured on: the image itself when a plan of its
 * size fits the budget (then the statistics are exact and tiles reproduce the untiled result),
 * else the largest box-filtered copy that fits. */
static gboolean
make_copy (VksStyle *style, const float *rgb, int width, int height, int h, int w,
           VkDeviceSize budget, float **planar, int *sh_out, int *sw_out, GError **error)
{
  int sh = h, sw = w;
  VkDeviceSize bytes;
  /* $VKSTYLE_STATS_SCALE: a copy at 1/scale of the size even when the image would fit
   * (measurements of the refinement). */
  const char *env = g_getenv ("VKSTYLE_STATS_SCALE");
  double forced = env != NULL ? g_ascii_strtod (env, NULL) : 0.0;
  if (forced > 1.0 ||
      !vks_generator_plan_bytes (style->gen, h, w, VKS_NORM_STATS_CORRECTED, &bytes, NULL) ||
      bytes > budget) {
    double f = forced > 1.0 ? forced : 1.05;
    for (;; f *= 1.05) {
      sh = round4 (h / f);
      sw = round4 (w / f);
      if (vks_generator_plan_bytes (style->gen, sh, sw, VKS_NORM_STATS_CORRECTED, &bytes, NULL)
          && bytes <= budget)
        break;
      if (sh == VKS_GENERATOR_MIN_SIDE && sw == VKS_GENERATOR_MIN_SIDE)
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
    read_region (rgb, width, height, 0, 0, h, w, *planar);
  else
    read_downscaled (rgb, width, height, h, w, sh, sw, *planar);
  *sh_out = sh;
  *sw_out = sw;
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

/* The caller's progress callback and what it was last told. Plan runs ask it again between
 * segments of their work (vks_generator_plan_run_until), so that a cancel is seen within a
 * fraction of a second even while one large image or copy runs. */
typedef struct {
  VksProgressFunc func;
  gpointer user_data;
  double fraction;
  char message[64];
} Progress;

static gboolean
progress_report (Progress *p, double fraction, const char *message, GError **error)
{
  p->fraction = fraction;
  g_strlcpy (p->message, message, sizeof p->message);
  if (p->func != NULL && !p->func (fraction, message, p->user_data)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CANCELLED, "cancelled");
    return FALSE;
  }
  return TRUE;
}

static gboolean
progress_keep_going (gpointer data)
{
  Progress *p = data;
  return p->func == NULL || p->func (p->fraction, p->message, p->user_data);
}

static gboolean
run_plan (VksGeneratorPlan *plan, const float *input, float *output, Progress *progress,
          GError **error)
{
  return vks_generator_plan_run_until (plan, input, output, progress_keep_going, progress, error);
}

/* State of one tiled application, shared by its passes. */
typedef struct {
  VksStyle *style;
  const float *rgb_in;
  float *rgb_out;
  int width, height, h, w;
  VksTileAxis ay, ax;
  VksGeneratorPlan *plan;
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
  Progress *progress;
} Tiled;

static gboolean
report (Tiled *t, const char *message, GError **error)
{
  return progress_report (t->progress, t->done / t->units, message, error);
}

/* The copy run with the current corrections: t->stats are the statistics it used, its own
 * measured at each layer and corrected (with no corrections, the copy's instance norm). */
static gboolean
run_copy (Tiled *t, GError **error)
{
  g_autoptr (VksGeneratorPlan) plan =
    vks_generator_plan_new_with_stats (t->style->gen, t->copy_h, t->copy_w,
                                       VKS_NORM_STATS_CORRECTED, error);
  if (plan == NULL)
    return FALSE;
  vks_generator_plan_set_corrections (plan, t->corrections);
  g_autofree float *out = g_try_new (float, 3 * (gsize) t->copy_h * t->copy_w);
  if (out == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "out of memory for a %dx%d image",
                 t->copy_w, t->copy_h);
    return FALSE;
  }
  if (!run_plan (plan, t->copy, out, t->progress, error))
    return FALSE;
  vks_generator_plan_get_stats (plan, t->stats);
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
  t->plan = vks_generator_plan_new_with_stats (t->style->gen, th, tw,
                                               VKS_NORM_STATS_GIVEN_MEASURE, error);
  if (t->plan == NULL)
    return FALSE;
  if (measure)
    vks_generator_plan_set_stats (t->plan, t->stats);
  vks_stats_sum_reset (&t->sum);
  int acc0 = 0, k = 0;
  for (int r = 0; r < t->ay.n; r++) {
    int y0 = t->ay.start[r], oy0, oy1;
    vks_tile_axis_own (&t->ay, r, &oy0, &oy1);
    for (int c = 0; c < t->ax.n; c++, k++) {
      char message[64];
      g_snprintf (message, sizeof message, "%s tile %d/%d", output ? "Stylizing" : "Measuring",
                  k + 1, t->n_tiles);
      if (!report (t, message, error))
        return FALSE;
      int x0 = t->ax.start[c], ox0, ox1;
      vks_tile_axis_own (&t->ax, c, &ox0, &ox1);
      read_region (t->rgb_in, t->width, t->height, y0, x0, th, tw, t->tile);
      if (measure)
        vks_generator_plan_set_region (t->plan, oy0 - y0, oy1 - y0, ox0 - x0, ox1 - x0);
      gint64 t0 = g_get_monotonic_time ();
      if (!run_plan (t->plan, t->tile, t->tile, t->progress, error))
        return FALSE;
      t->done += 1;
      g_debug ("tiling: %s tile %d/%d ran in %.2f s", output ? "output" : "measuring", k + 1,
               t->n_tiles, (g_get_monotonic_time () - t0) / 1e6);
      if (measure) {
        vks_generator_plan_get_stats (t->plan, t->measured);
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
  g_clear_pointer (&t->plan, vks_generator_plan_free);
  if (measure)
    vks_stats_sum_get (&t->sum, t->measured);
  return TRUE;
}

/* Tiled application. Instance-norm statistics are the whole image's: from the image itself when
 * its plan fits the budget (exact), else from a smaller copy, refined by passes over all
 * tiles at full size that measure each layer's statistics over the tiles' own regions
 * (update_corrections; docs/performance.md has the error per pass) until they agree with what
 * the tiles measured or DEFAULT_REFINE_PASSES passes are done. Then the output pass. */
static gboolean
apply_tiled (VksStyle *style, const float *rgb_in, float *rgb_out, int width, int height, int h,
             int w, int side, VkDeviceSize budget, Progress *progress, GError **error)
{
  const VksGeneratorConfig *cfg = vks_generator_config (style->gen);
  int margin = vks_tile_margin (cfg);
  Tiled t = { .style = style, .rgb_in = rgb_in, .rgb_out = rgb_out, .width = width,
              .height = height, .h = h, .w = w, .progress = progress,
              .units = 1.0 };
  gboolean ok = FALSE;
  vks_stats_sum_init (&t.sum, style->gen);
  if (!vks_tile_axis_init (&t.ay, h, MIN (side, h), margin, VKS_TILE_BLEND, error) ||
      !vks_tile_axis_init (&t.ax, w, MIN (side, w), margin, VKS_TILE_BLEND, error))
    goto out;
  int th = t.ay.size, tw = t.ax.size;
  t.n_tiles = t.ay.n * t.ax.n;
  t.n_stats = vks_generator_stats_floats (style->gen);
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
    if (!report (&t, "Stylizing", error) ||
        !make_copy (style, rgb_in, width, height, h, w, budget, &t.copy, &t.copy_h, &t.copy_w,
                    error))
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
    if (!report (&t, "Stylizing", error) || !run_copy (&t, error))
      goto out;
  }
  ok = TRUE;

out:
  vks_generator_plan_free (t.plan);
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
  Progress report = { .func = progress, .user_data = user_data };
  if (!progress_report (&report, 0.0, "Preparing the network", error))
    return FALSE;
  VkDeviceSize budget = vks_memory_budget (style->ctx);
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
    if (!apply_tiled (style, rgb_in, rgb_out, width, height, h, w, side, budget, &report,
                      error))
      return FALSE;
    progress_report (&report, 1.0, "Done", NULL);
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
  if (!progress_report (&report, 0.05, "Stylizing", error) ||
      !run_plan (style->plan, planar, planar, &report, error))
    return FALSE;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++) {
        float v = (planar[c * plane + (gsize) y * w + x] + 1.0f) * 0.5f;
        rgb_out[((gsize) y * width + x) * 3 + c] = CLAMP (v, 0.0f, 1.0f);
      }
  /* Finished: a cancel now comes too late to matter. */
  progress_report (&report, 1.0, "Done", NULL);
  return TRUE;
}
