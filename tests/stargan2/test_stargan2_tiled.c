/* StarGAN v2 in tiles (issue 15): vks_stargan2_translate goes through the CycleGAN path's tiler
 * (engine/tileable.h), whose norm statistics are the whole image's. Tiled with exact statistics
 * (forced tiles, the image's plan within the budget) and tiled with statistics refined from a
 * smaller copy (a budget the image's plan exceeds) both reproduce the untiled translation — the
 * independent reference, itself checked against PyTorch in test_stargan2.c — within the CycleGAN
 * tiled tests' tolerance; a 3-megapixel image under a small budget is translated, not refused;
 * tile origins stay on the generator's down-sampling grid (2^(log2 img_size - 4)). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/models/stargan2_net.h"
#include "engine/tileable.h"
#include "tests/rig.h"

/* Largest tolerated difference to the untiled result, in 8-bit steps (tests/test_tiling.c's). */
#define TOLERANCE_255 2.0

static VksStarGan2 *
load_model (const char *name)
{
  GError *error = NULL;
  g_autofree char *file = g_strdup_printf ("stargan2_%s.safetensors", name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", file, NULL);
  VksStarGan2 *net = vks_stargan2_load (test_context (), path, &error);
  g_assert_no_error (error);
  return net;
}

/* A StarGAN v2 model two to eight channels wide (img_size 32: grid 2), uniform weights scaled by
 * the fan-in: a few megapixels translate in seconds. */
static VksStarGan2 *
tiny_model (void)
{
  GError *error = NULL;
  VksStarGan2Config cfg = { .img_size = 32, .style_dim = 4, .latent_dim = 4, .num_domains = 1,
                            .max_conv_dim = 8, .dim_in = 2, .mapping_dim = 8 };
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  vks_stargan2_config_to_checkpoint (&cfg, ckpt);
  g_autoptr (GPtrArray) specs = vks_stargan2_tensors (&cfg);
  g_autoptr (GRand) rng = g_rand_new_with_seed (21);
  for (guint i = 0; i < specs->len; i++) {
    const VksTensorSpec *t = g_ptr_array_index (specs, i);
    gsize n = 1;
    for (int d = 0; d < t->ndim; d++)
      n *= (gsize) t->shape[d];
    double bound = t->ndim > 1 ? 1.0 / sqrt ((double) n / (double) t->shape[0]) : 0.1;
    gboolean norm_weight = t->ndim == 1 && g_str_has_suffix (t->name, "norm1.weight");
    g_autofree float *data = g_new (float, n);
    for (gsize k = 0; k < n; k++)
      data[k] = (float) ((norm_weight ? 1.0 : 0.0) + g_rand_double_range (rng, -bound, bound));
    vks_checkpoint_add_tensor (ckpt, t->name, t->ndim, t->shape, data);
  }
  VksStarGan2 *net = vks_stargan2_new (test_context (), ckpt, &error);
  g_assert_no_error (error);
  return net;
}

/* `fraction` (< 1) of what the whole h x w image's plan takes beyond a plan of the smallest
 * side (the weights, which the budget does not count for this model: vks_tileable_budget), in
 * MiB as $VKSTYLE_MEMORY_BUDGET wants it: the image cannot be normalised whole. */
static char *
budget_for (VksStarGan2 *net, int height, int width, double fraction)
{
  GError *error = NULL;
  VksTileable *gen = vks_stargan2_generator_tileable (net);
  int grid = vks_tileable_spec (gen)->grid, min = vks_tileable_spec (gen)->min_side;
  VkDeviceSize whole = 0, fixed = 0;
  g_assert_true (vks_tileable_plan_bytes (gen, (height + grid - 1) / grid * grid,
                                          (width + grid - 1) / grid * grid, VKS_NORM_STATS_OWN,
                                          &whole, &error));
  g_assert_true (vks_tileable_plan_bytes (gen, min, min, VKS_NORM_STATS_OWN, &fixed, &error));
  g_assert_no_error (error);
  g_test_message ("whole-image plan of %dx%d: %.1f MiB, %.1f MiB of it for any size", width,
                  height, whole / 1048576.0, fixed / 1048576.0);
  return g_strdup_printf ("%d", (int) MAX (1, (whole - fixed) * fraction / 1048576));
}

typedef struct {
  int translated, measured, n_tiles;
} Progress;

static gboolean
on_progress (double fraction, const char *message, gpointer data)
{
  Progress *p = data;
  int k, n;
  g_assert_true (fraction >= 0.0 && fraction <= 1.0);
  if (sscanf (message, "Translating tile %d/%d", &k, &n) == 2 && k == p->translated + 1) {
    p->translated = k;
    p->n_tiles = n;
  }
  if (sscanf (message, "Measuring tile %d/%d", &k, &n) == 2)
    p->measured++;
  return TRUE;
}

/* The style of domain 0 for latent `seed`. */
static float *
style_of (VksStarGan2 *net, guint64 seed)
{
  GError *error = NULL;
  const VksStarGan2Config *cfg = vks_stargan2_config (net);
  g_autofree float *z = g_new (float, cfg->latent_dim);
  float *style = g_new (float, cfg->style_dim);
  vks_stargan2_latent (net, seed, 0, z);
  g_assert_true (vks_stargan2_style_from_latent (net, z, 0, style, &error));
  g_assert_no_error (error);
  return style;
}

/* rgb translated with $VKSTYLE_TILE = tile and $VKSTYLE_MEMORY_BUDGET = budget (NULL: unset). */
static float *
translate (VksStarGan2 *net, const float *rgb, int width, int height, const float *style,
           const char *tile, const char *budget, Progress *seen)
{
  GError *error = NULL;
  g_setenv ("VKSTYLE_TILE", tile ? tile : "", TRUE);
  g_setenv ("VKSTYLE_MEMORY_BUDGET", budget ? budget : "", TRUE);
  float *out = g_new (float, (gsize) width * height * 3);
  Progress local = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = vks_stargan2_translate (net, rgb, out, width, height, style, on_progress,
                                        seen ? seen : &local, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_test_message ("%dx%d, tile %s, budget %s MiB: %.2f s", width, height, tile ? tile : "-",
                  budget ? budget : "-", (g_get_monotonic_time () - t0) / 1e6);
  g_unsetenv ("VKSTYLE_TILE");
  g_unsetenv ("VKSTYLE_MEMORY_BUDGET");
  return out;
}

/* Forced tiles with the whole image's statistics (its plan fits the default budget): the
 * untiled translation, for a model with grid 2 (s32) and one with grid 4 (s64), on sizes that
 * are no multiples of the grid. */
typedef struct {
  const char *model;
  const char *tile;   /* a few tiles each way, at least 2 margins + 3 blends + 2 grid steps */
} Case;

static void
test_matches_untiled (gconstpointer data)
{
  const Case *c = data;
  const char *name = c->model;
  g_autoptr (VksStarGan2) net = load_model (name);
  g_autofree float *style = style_of (net, 3);
  const int width = 251, height = 203;
  g_autofree float *rgb = tiling_test_image (width, height, 7);
  g_autofree float *whole = translate (net, rgb, width, height, style, NULL, NULL, NULL);
  Progress seen = { 0 };
  g_autofree float *tiled = translate (net, rgb, width, height, style, c->tile, NULL, &seen);
  g_assert_cmpint (seen.n_tiles, >, 1);
  g_assert_cmpint (seen.translated, ==, seen.n_tiles);
  g_assert_cmpint (seen.measured, ==, 0);   /* exact statistics: no refining pass */
  double mean, max = max_diff_255 (whole, tiled, (gsize) width * height * 3, &mean);
  g_test_message ("%s: %d tiles of <= %s px: max difference %.4f/255, mean %.5f/255", name,
                  seen.n_tiles, c->tile, max, mean);
  g_assert_cmpfloat (max, <=, TOLERANCE_255);
}

/* A budget the whole image's plan exceeds (70 % of it: a copy at about 0.85 of the size, a few
 * tiles): statistics from the copy, refined over the tiles, against the untiled translation
 * under the default budget. */
static void
test_refined_statistics (void)
{
  g_autoptr (VksStarGan2) net = load_model ("s32");
  g_autofree float *style = style_of (net, 5);
  const int width = 224, height = 160;
  g_autofree float *rgb = tiling_test_image (width, height, 13);
  g_autofree float *whole = translate (net, rgb, width, height, style, NULL, NULL, NULL);
  g_autofree char *budget = budget_for (net, height, width, 0.7);
  /* Without the whole-image plan the first one keeps for the next image of that size. */
  g_autoptr (VksStarGan2) fresh = load_model ("s32");
  Progress seen = { 0 };
  g_autofree float *tiled = translate (fresh, rgb, width, height, style, NULL, budget, &seen);
  g_assert_cmpint (seen.n_tiles, >, 1);
  g_assert_cmpint (seen.translated, ==, seen.n_tiles);
  g_assert_cmpint (seen.measured, >, 0);
  double mean, max = max_diff_255 (whole, tiled, (gsize) width * height * 3, &mean);
  g_test_message ("%s MiB: %d tiles, %d measuring tile runs: max difference %.4f/255, mean "
                  "%.5f/255", budget, seen.n_tiles, seen.measured, max, mean);
  g_assert_cmpfloat (max, <=, TOLERANCE_255);
}

/* 1280 x 1024 (1.3 megapixels) under a quarter of what its whole plan takes: translated in
 * tiles, not refused, every value in [0, 1]. With the copy's statistics only
 * ($VKSTYLE_STATS_PASSES=0): the refinement is refined-statistics' subject, and its passes would
 * quadruple the time. */
static void
test_large_image (void)
{
  g_autoptr (VksStarGan2) net = tiny_model ();
  g_autofree float *style = style_of (net, 9);
  const int width = 1280, height = 1024;
  g_autofree char *budget = budget_for (net, height, width, 0.25);
  g_autofree float *rgb = tiling_test_image (width, height, 17);
  Progress seen = { 0 };
  g_setenv ("VKSTYLE_STATS_PASSES", "0", TRUE);
  g_autofree float *out = translate (net, rgb, width, height, style, NULL, budget, &seen);
  g_unsetenv ("VKSTYLE_STATS_PASSES");
  g_assert_cmpint (seen.n_tiles, >, 1);
  g_assert_cmpint (seen.translated, ==, seen.n_tiles);
  gsize n = (gsize) width * height * 3;
  for (gsize i = 0; i < n; i++)
    g_assert_true (out[i] >= 0.0f && out[i] <= 1.0f);
  g_test_message ("%dx%d under %s MiB: %d tiles", width, height, budget, seen.n_tiles);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  static const Case s32 = { "s32", "160" }, s64 = { "s64", "176" };
  g_test_add_data_func ("/stargan2-tiled/matches-untiled/s32", &s32, test_matches_untiled);
  g_test_add_data_func ("/stargan2-tiled/matches-untiled/s64", &s64, test_matches_untiled);
  g_test_add_func ("/stargan2-tiled/refined-statistics", test_refined_statistics);
  g_test_add_func ("/stargan2-tiled/large-image", test_large_image);
  return g_test_run ();
}
