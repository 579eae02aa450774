/* Tiled inference (engine/tiling.h, vks_style_apply): tiles with the whole image's norm
 * statistics reproduce the untiled result, the blend weights are a partition of unity, progress
 * names the tiles the plug-in translates, cancel stops between tiles, odd sizes and 1x1 work.
 * VKSTYLE_TILE forces the tile side; the untiled result is the independent reference (it is
 * checked against PyTorch in test_generator.c). */
#include "rig.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/nn/graph.h"
#include "engine/nn/plan.h"
#include "engine/stylize.h"
#include "engine/tiling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest tolerated difference to the untiled result, in 8-bit steps. */
#define TOLERANCE_255 2.0

static VksStyle *
load_style (void)
{
  GError *error = NULL;
  const char *env = g_getenv ("TILING_MODEL");   /* measurements: another model */
  g_autofree char *path = env ? g_strdup (env)
    : g_test_build_filename (G_TEST_DIST, "fixtures", "gen_ngf8_nb2.safetensors", NULL);
  VksStyle *style = vks_style_load (test_context (), path, &error);
  g_assert_no_error (error);
  return style;
}

static float *
stylize (VksStyle *style, const float *rgb, int width, int height, const char *tile)
{
  GError *error = NULL;
  g_setenv ("VKSTYLE_TILE", tile ? tile : "", TRUE);
  float *out = g_new (float, (gsize) width * height * 3);
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = vks_style_apply (style, rgb, out, width, height, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_test_message ("%dx%d tile %s: %.2f s", width, height, tile ? tile : "none",
                  (g_get_monotonic_time () - t0) / 1e6);
  g_unsetenv ("VKSTYLE_TILE");
  return out;
}

static void
check_tiled_matches_untiled (int width, int height, const char *tile)
{
  g_autoptr (VksStyle) style = load_style ();
  g_autofree float *rgb = tiling_test_image (width, height, 7);
  g_autofree float *whole = stylize (style, rgb, width, height, NULL);
  g_autofree float *tiled = stylize (style, rgb, width, height, tile);
  double mean;
  double max = max_diff_255 (whole, tiled, (gsize) width * height * 3, &mean);
  g_test_message ("%dx%d, %s-pixel tiles: max difference %.4f/255, mean %.5f/255", width, height,
                  tile, max, mean);
  g_assert_cmpfloat (max, <=, TOLERANCE_255);
}

static void
test_matches_untiled (void)
{
  /* Sizes from the environment for measurements (TILING_SIZE=1024x768). */
  int width = 1024, height = 768;
  const char *size = g_getenv ("TILING_SIZE");
  if (size != NULL)
    g_assert_cmpint (sscanf (size, "%dx%d", &width, &height), ==, 2);
  const char *tile = g_getenv ("TILING_TILE");
  check_tiled_matches_untiled (width, height, tile ? tile : "256");
}

static void
test_odd_sizes (void)
{
  /* Not multiples of 4, and one side smaller than a tile. */
  check_tiled_matches_untiled (301, 203, "128");
  check_tiled_matches_untiled (257, 61, "128");
}

static void
test_one_pixel (void)
{
  g_autoptr (VksStyle) style = load_style ();
  const float rgb[3] = { 0.2f, 0.5f, 0.9f };
  g_autofree float *whole = stylize (style, rgb, 1, 1, NULL);
  g_autofree float *tiled = stylize (style, rgb, 1, 1, "8");
  g_assert_cmpmem (whole, 3 * sizeof (float), tiled, 3 * sizeof (float));
}

static void
test_in_place (void)
{
  GError *error = NULL;
  int width = 300, height = 260;
  g_autoptr (VksStyle) style = load_style ();
  g_autofree float *rgb = tiling_test_image (width, height, 3);
  g_autofree float *want = stylize (style, rgb, width, height, "128");
  g_setenv ("VKSTYLE_TILE", "128", TRUE);
  g_assert_true (vks_style_apply (style, rgb, rgb, width, height, NULL, NULL, &error));
  g_assert_no_error (error);
  g_unsetenv ("VKSTYLE_TILE");
  g_assert_cmpmem (want, (gsize) width * height * 3 * sizeof (float), rgb,
                   (gsize) width * height * 3 * sizeof (float));
}

typedef struct {
  int calls, tiles_seen, last_tile, n_tiles;
  int cancel_at;          /* return FALSE on this tile message (0: never) */
  gboolean bad_order;
} Progress;

static gboolean
on_progress (double fraction, const char *message, gpointer data)
{
  Progress *p = data;
  int k, n;
  char tail;
  p->calls++;
  g_assert_true (fraction >= 0.0 && fraction <= 1.0);
  /* The exact pattern plug-in/stylizer.c parses. */
  if (sscanf (message, "Stylizing tile %d/%d%c", &k, &n, &tail) == 2) {
    if (k != p->last_tile + 1 || (p->n_tiles && n != p->n_tiles))
      p->bad_order = TRUE;
    p->last_tile = k;
    p->n_tiles = n;
    p->tiles_seen++;
    if (p->cancel_at && k == p->cancel_at)
      return FALSE;
  }
  return TRUE;
}

static void
test_progress_and_cancel (void)
{
  GError *error = NULL;
  int width = 300, height = 260;
  g_autoptr (VksStyle) style = load_style ();
  g_autofree float *rgb = tiling_test_image (width, height, 5);
  g_autofree float *out = g_new0 (float, (gsize) width * height * 3);
  g_setenv ("VKSTYLE_TILE", "128", TRUE);

  Progress all = { 0 };
  g_assert_true (vks_style_apply (style, rgb, out, width, height, on_progress, &all, &error));
  g_assert_no_error (error);
  g_assert_false (all.bad_order);
  g_assert_cmpint (all.n_tiles, >, 1);
  g_assert_cmpint (all.tiles_seen, ==, all.n_tiles);
  g_test_message ("%d tiles", all.n_tiles);

  Progress stop = { .cancel_at = 2 };
  g_assert_false (vks_style_apply (style, rgb, out, width, height, on_progress, &stop, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
  g_clear_error (&error);
  /* Stopped at the second tile: no further tile was announced, so none was run. */
  g_assert_cmpint (stop.last_tile, ==, 2);
  g_assert_cmpint (stop.tiles_seen, ==, 2);
  g_unsetenv ("VKSTYLE_TILE");
}

/* The statistics a plan records (norm.comp's statistics mode, vks_norm_statistics) are those
 * the instance norm uses, also for a plane of 2.36 M pixels: more than 64 x 32768, where Mesa
 * 22's llvmpipe cut the loop of a 64-invocation reduction short (VKS_MAX_LOOP_ITERATIONS) and
 * the recorded statistics went wrong by up to 1.3 while the instance norm was right. One norm on
 * such a plane, not a whole generator at 1536x1536 (26 s of the suite for the same kernel). */
static void
test_statistics_large_plane (void)
{
  GError *error = NULL;
  const int side = 1536;
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", (VksShape) { 1, 2, side, side });
  VksNode own = vks_instance_norm (g, x, VKS_ACT_NONE, VKS_NONE);
  VksNode stats = vks_norm_statistics (g, x, VKS_NONE, VKS_NONE, 0);
  VksNode recorded = vks_norm_given (g, x, stats, VKS_ACT_NONE, 0.0f, VKS_NONE);
  VksNode outs[] = { own, recorded };
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, outs, 2, NULL, &error);
  g_assert_no_error (error);
  gsize n = (gsize) 2 * side * side;
  g_autofree float *in = g_new (float, n), *a = g_new (float, n), *b = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    in[i] = (float) ((i * 2654435761u) % 1000) / 500.0f - 1.0f + (i >= n / 2 ? 3.0f : 0.0f);
  g_assert_true (vks_plan_set (plan, x, in, &error));
  g_assert_true (vks_plan_run (plan, &error));
  g_assert_true (vks_plan_get (plan, own, a, &error));
  g_assert_true (vks_plan_get (plan, recorded, b, &error));
  g_assert_no_error (error);
  double worst = 0;
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs (a[i] - b[i]));
  g_test_message ("%dx%d: instance norm vs recorded statistics, max difference %g", side, side,
                  worst);
  g_assert_cmpfloat (worst, <, 1e-4);
}

typedef struct {
  int stylizing;   /* "Stylizing" callbacks seen */
} RunCancel;

static gboolean
cancel_on_repeat (G_GNUC_UNUSED double fraction, const char *message, gpointer data)
{
  RunCancel *c = data;
  /* The second "Stylizing" is the run asking again between segments of its work. */
  return strcmp (message, "Stylizing") != 0 || ++c->stylizing < 2;
}

/* An image that runs in one piece is cancelled between segments of its run, not only before
 * it, and its output is left untouched. */
static void
test_cancel_within_run (void)
{
  GError *error = NULL;
  int side = 1024;   /* 12 GFLOP for the fixture model: three segments, the third submitted
                      * after asking */
  g_autoptr (VksStyle) style = load_style ();
  g_autofree float *rgb = tiling_test_image (side, side, 9);
  g_autofree float *out = g_new0 (float, (gsize) side * side * 3);
  RunCancel cancel = { 0 };
  g_assert_false (vks_style_apply (style, rgb, out, side, side, cancel_on_repeat, &cancel,
                                   &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (cancel.stylizing, ==, 2);
  for (gsize i = 0; i < (gsize) side * side * 3; i++)
    g_assert_cmpfloat (out[i], ==, 0.0f);
  /* The style stays usable. */
  g_assert_true (vks_style_apply (style, rgb, out, side, side, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_axis_partition (void)
{
  /* Weights sum to 1 everywhere; each tile's non-zero span keeps its margin from inner sides. */
  const int cases[][4] = { { 1024, 256, 32, 16 }, { 768, 256, 64, 16 }, { 4000, 1024, 88, 16 },
                           { 260, 128, 32, 16 }, { 516, 512, 64, 16 }, { 64, 64, 32, 16 } };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    VksTileAxis a;
    GError *error = NULL;
    g_assert_true (vks_tile_axis_init (&a, cases[i][0], cases[i][1], cases[i][2], cases[i][3],
                                       4, &error));
    g_assert_no_error (error);
    g_assert_cmpint (a.start[0], ==, 0);
    g_assert_cmpint (a.start[a.n - 1] + a.size, ==, a.extent);
    for (int x = 0; x < a.extent; x++) {
      double sum = 0;
      for (int k = 0; k < a.n; k++) {
        float w = vks_tile_axis_weight (&a, k, x);
        int first, end;
        vks_tile_axis_span (&a, k, &first, &end);
        if (w > 0) {
          g_assert_cmpint (x, >=, first);
          g_assert_cmpint (x, <, end);
        }
        sum += w;
      }
      g_assert_cmpfloat (fabs (sum - 1.0), <, 1e-6);
    }
    /* Own ranges (statistics): consecutive, multiples of 4, margin from inner sides. */
    for (int k = 0, next = 0; k < a.n; k++) {
      int first, end;
      vks_tile_axis_own (&a, k, &first, &end);
      g_assert_cmpint (first, ==, next);
      g_assert_cmpint (first % 4, ==, 0);
      g_assert_cmpint (end % 4, ==, 0);
      g_assert_cmpint (end, >, first);
      g_assert_cmpint (first, >=, a.start[k] + (k > 0 ? a.margin : 0));
      g_assert_cmpint (end, <=, a.start[k] + a.size - (k + 1 < a.n ? a.margin : 0));
      next = end;
      if (k + 1 == a.n)
        g_assert_cmpint (end, ==, a.extent);
    }
    for (int k = 0; k < a.n; k++) {
      int first, end;
      vks_tile_axis_span (&a, k, &first, &end);
      g_assert_cmpint (a.start[k] % 4, ==, 0);
      if (k > 0)
        g_assert_cmpint (first, >=, a.start[k] + a.margin);
      if (k + 1 < a.n)
        g_assert_cmpint (end, <=, a.start[k] + a.size - a.margin);
    }
    vks_tile_axis_clear (&a);
  }
  VksTileAxis a;
  GError *error = NULL;
  g_assert_false (vks_tile_axis_init (&a, 1024, 64, 32, 16, 4, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
}

static void
test_plan_limits (void)
{
  /* The limits are checked before anything is allocated, whatever the device allows. */
  GError *error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "gen_ngf8_nb2.safetensors", NULL);
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_autoptr (VksGenerator) gen = vks_generator_new (test_context (), ckpt, &error);
  g_assert_no_error (error);
  VkDeviceSize bytes = 0;
  g_assert_true (vks_generator_plan_bytes (gen, 64, 64, VKS_NORM_STATS_GIVEN_MEASURE, &bytes,
                                           &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bytes, >, 0);
  /* 32768 x 32768 is within the 2^30-pixel guard but not within one texel buffer here. */
  g_assert_false (vks_generator_plan_bytes (gen, 32768, 32768, VKS_NORM_STATS_OWN, &bytes,
                                            &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  VksGeneratorPlan *plan = vks_generator_plan_new (gen, 32768, 32768, &error);
  g_assert_null (plan);
  g_assert_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* The tiler asks the same question. */
  int side = vks_tile_side_for_budget (vks_generator_tileable (gen), (VkDeviceSize) 64 << 20, 4096);
  g_assert_cmpint (side, >=, 64);
  g_assert_true (vks_generator_plan_bytes (gen, side, side, VKS_NORM_STATS_GIVEN_MEASURE, &bytes,
                                           NULL));
  g_assert_cmpuint (bytes, <=, (VkDeviceSize) 64 << 20);
}

/* An image too large for whole-image statistics under the memory budget: statistics from a
 * down-scaled copy, refined by passes over all tiles at full resolution, reproduce the untiled
 * result (computed under the default budget). Without the refinement they do not. */
static void
test_refined_statistics (void)
{
  GError *error = NULL;
  const int width = 256, height = 192;
  g_autofree float *rgb = tiling_test_image (width, height, 13);
  g_autofree float *whole = NULL;
  {
    g_autoptr (VksStyle) untiled = load_style ();
    whole = stylize (untiled, rgb, width, height, NULL);
  }
  g_autoptr (VksStyle) style = load_style ();
  /* Half of what the whole image's plan takes: it cannot be normalised whole, and the
   * statistics start from a copy at about 1/1.4 of the size. */
  VkDeviceSize whole_bytes = 0;
  {
    g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                   "gen_ngf8_nb2.safetensors", NULL);
    g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, &error);
    g_assert_no_error (error);
    g_autoptr (VksGenerator) gen = vks_generator_new (test_context (), ckpt, &error);
    g_assert_no_error (error);
    g_assert_true (vks_generator_plan_bytes (gen, height, width, VKS_NORM_STATS_CORRECTED,
                                             &whole_bytes, &error));
  }
  char budget[32];
  g_snprintf (budget, sizeof budget, "%d", (int) MAX (1, (whole_bytes / 2) >> 20));
  g_test_message ("whole-image plan %.1f MiB, budget %s MiB", whole_bytes / 1048576.0, budget);
  g_setenv ("VKSTYLE_MEMORY_BUDGET", budget, TRUE);
  double max[2], mean[2];
  for (int refined = 0; refined < 2; refined++) {
    g_setenv ("VKSTYLE_STATS_PASSES", refined ? "" : "0", TRUE);
    Progress seen = { 0 };
    g_autofree float *tiled = g_new (float, (gsize) width * height * 3);
    g_assert_true (vks_style_apply (style, rgb, tiled, width, height, on_progress, &seen,
                                    &error));
    g_assert_no_error (error);
    g_assert_false (seen.bad_order);
    g_assert_cmpint (seen.n_tiles, >, 1);
    g_assert_cmpint (seen.tiles_seen, ==, seen.n_tiles);
    max[refined] = max_diff_255 (whole, tiled, (gsize) width * height * 3, &mean[refined]);
    g_test_message ("%s statistics: %d tile runs, max difference %.4f/255, mean %.5f/255",
                    refined ? "refined" : "copy's", seen.n_tiles, max[refined], mean[refined]);
  }
  g_unsetenv ("VKSTYLE_STATS_PASSES");
  g_unsetenv ("VKSTYLE_MEMORY_BUDGET");
  g_assert_cmpfloat (max[1], <=, TOLERANCE_255);
  g_assert_cmpfloat (max[0], >, max[1]);
}

/* A device whose texel buffers hold 128 Ki floats (VKSTYLE_FAULT=texels:N), as a smaller GPU's
 * limit meets a large photo: the image is tiled, the statistics copy shrunk until its tensors fit,
 * and every view (the packed-weight gather's too) stays within the limit; the result is the
 * untiled one's within the tiling tolerance. */
static void
test_small_texel_limit (void)
{
  const int side = 192;   /* 8 x 192 x 192 floats at full resolution: 2.25x the limit */
  GError *error = NULL;
  g_autoptr (VksStyle) style = load_style ();
  g_autofree float *rgb = tiling_test_image (side, side, 11);
  g_autofree float *whole = stylize (style, rgb, side, side, NULL);

  g_setenv ("VKSTYLE_FAULT", "texels:131072", TRUE);
  VksContext *small = vks_context_new (NULL, &error);
  g_unsetenv ("VKSTYLE_FAULT");
  g_assert_no_error (error);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", "gen_ngf8_nb2.safetensors",
                                                 NULL);
  VksStyle *limited = vks_style_load (small, path, &error);
  g_assert_no_error (error);
  g_autofree float *tiled = stylize (limited, rgb, side, side, NULL);
  double mean, max = max_diff_255 (whole, tiled, (gsize) side * side * 3, &mean);
  g_test_message ("texel limit 131072: max difference %.4f/255, mean %.5f/255", max, mean);
  g_assert_cmpfloat (max, <=, TOLERANCE_255);
  vks_style_free (limited);
  vks_context_free (small);
}

/* Measurements run only when TILING_MEASURE is set, on a $TILING_SIZE image (default
 * 1024x768). */
static gboolean
measuring (int *width, int *height)
{
  if (g_getenv ("TILING_MEASURE") == NULL) {
    g_test_skip ("set TILING_MEASURE=1 to measure");
    return FALSE;
  }
  *width = 1024;
  *height = 768;
  const char *size = g_getenv ("TILING_SIZE");
  if (size != NULL)
    g_assert_cmpint (sscanf (size, "%dx%d", width, height), ==, 2);
  return TRUE;
}

/* Measurement, run when TILING_MEASURE is set (docs/performance.md "Large images"): statistics
 * from a copy at 1 / $TILING_STATS_SCALE (default 2), refined by 0..$TILING_PASSES (default 3)
 * passes over $TILING_TILE-pixel tiles (default 512), against the untiled result. The image is
 * $TILING_IMAGE (raw 8-bit RGB of $TILING_SIZE) or the synthetic one. */
static void
test_measure_refinement (void)
{
  int width, height;
  if (!measuring (&width, &height))
    return;
  gsize n = (gsize) width * height * 3;
  g_autofree float *rgb = NULL;
  const char *image = g_getenv ("TILING_IMAGE");
  if (image != NULL) {
    g_autofree guint8 *bytes = NULL;
    gsize length = 0;
    GError *error = NULL;
    g_assert_true (g_file_get_contents (image, (char **) &bytes, &length, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (length, ==, n);
    rgb = g_new (float, n);
    for (gsize i = 0; i < n; i++)
      rgb[i] = bytes[i] / 255.0f;
  } else {
    rgb = tiling_test_image (width, height, 7);
  }
  const char *tile = g_getenv ("TILING_TILE");
  const char *scale = g_getenv ("TILING_STATS_SCALE");
  const char *passes = g_getenv ("TILING_PASSES");
  g_autoptr (VksStyle) style = load_style ();
  g_autofree float *whole = stylize (style, rgb, width, height, NULL);
  g_setenv ("VKSTYLE_STATS_SCALE", scale ? scale : "2", TRUE);
  for (int k = 0; k <= (passes ? atoi (passes) : 3); k++) {
    char value[16];
    g_snprintf (value, sizeof value, "%d", k);
    g_setenv ("VKSTYLE_STATS_PASSES", value, TRUE);
    gint64 t0 = g_get_monotonic_time ();
    g_autofree float *tiled = stylize (style, rgb, width, height, tile ? tile : "512");
    double seconds = (g_get_monotonic_time () - t0) / 1e6, mean;
    double max = max_diff_255 (whole, tiled, n, &mean);
    /* As an 8-bit export would show it. */
    double max8 = 0;
    for (gsize i = 0; i < n; i++)
      max8 = MAX (max8, fabs (rint (whole[i] * 255.0) - rint (tiled[i] * 255.0)));
    g_test_message ("%dx%d, statistics at 1/%s, %d refining passes: max %.3f/255 (8-bit %.0f), "
                    "mean %.4f/255, %.1f s", width, height, scale ? scale : "2", k, max, max8,
                    mean, seconds);
  }
  g_unsetenv ("VKSTYLE_STATS_PASSES");
  g_unsetenv ("VKSTYLE_STATS_SCALE");
}

typedef struct {
  gint64 last, worst_gap;  /* monotonic us: the previous callback, the longest wait between two */
  char worst_after[64];    /* the message of the callback that began the longest wait */
  char previous[64];
  int calls, cancel_at;    /* return FALSE on this call (0: never) */
  gint64 cancelled;        /* when it did */
} Latency;

static gboolean
on_progress_timed (G_GNUC_UNUSED double fraction, const char *message, gpointer data)
{
  Latency *l = data;
  gint64 now = g_get_monotonic_time ();
  if (l->last != 0 && now - l->last > l->worst_gap) {
    l->worst_gap = now - l->last;
    g_strlcpy (l->worst_after, l->previous, sizeof l->worst_after);
  }
  l->last = now;
  g_strlcpy (l->previous, message, sizeof l->previous);
  if (++l->calls == l->cancel_at) {
    l->cancelled = now;
    return FALSE;
  }
  return TRUE;
}

/* Measurement, run when TILING_MEASURE is set (docs/performance.md "Large images"): how soon a
 * cancel takes effect with $TILING_TILE-pixel tiles (default 256) of $TILING_MODEL on a
 * $TILING_SIZE image under $VKSTYLE_MEMORY_BUDGET: the longest time between two progress
 * callbacks (the longest a cancel can wait to be seen; the first includes compiling shaders) and
 * the time from a cancel to the return. */
static void
test_measure_cancel (void)
{
  int width, height;
  if (!measuring (&width, &height))
    return;
  const char *tile = g_getenv ("TILING_TILE");
  g_autoptr (VksStyle) style = load_style ();
  g_autofree float *rgb = tiling_test_image (width, height, 3);
  g_autofree float *out = g_new (float, (gsize) width * height * 3);
  g_setenv ("VKSTYLE_TILE", tile ? tile : "256", TRUE);
  GError *error = NULL;
  Latency all = { 0 };
  g_assert_true (vks_style_apply (style, rgb, out, width, height, on_progress_timed, &all,
                                  &error));
  g_assert_no_error (error);
  for (int at = all.calls / 3; at < all.calls; at += all.calls / 3) {
    Latency stop = { .cancel_at = at };
    g_assert_false (vks_style_apply (style, rgb, out, width, height, on_progress_timed, &stop,
                                     &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
    g_clear_error (&error);
    g_test_message ("cancel at callback %d of %d: returned %.3f s later", at, all.calls,
                    (g_get_monotonic_time () - stop.cancelled) / 1e6);
  }
  g_test_message ("%d callbacks, longest time between two: %.3f s, after \"%s\"", all.calls,
                  all.worst_gap / 1e6, all.worst_after);
  g_unsetenv ("VKSTYLE_TILE");
}

/* Measurement, run when TILING_MEASURE is set (docs/performance.md "Large images"): one interior
 * tile with the whole image's statistics against the untiled output, the largest difference as
 * a function of the distance to the tile's nearest side: the context a tile needs. */
static void
test_measure_context (void)
{
  if (g_getenv ("TILING_MEASURE") == NULL) {
    g_test_skip ("set TILING_MEASURE=1 to measure");
    return;
  }
  GError *error = NULL;
  const char *env = g_getenv ("TILING_MODEL");
  g_autofree char *path = env ? g_strdup (env)
    : g_test_build_filename (G_TEST_DIST, "fixtures", "gen_ngf8_nb2.safetensors", NULL);
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_autoptr (VksGenerator) gen = vks_generator_new (test_context (), ckpt, &error);
  g_assert_no_error (error);
  const int h = 768, w = 1024, th = 512, tw = 512, y0 = 128, x0 = 256;
  g_autofree float *rgb = tiling_test_image (w, h, 11);
  g_autofree float *planar = g_new (float, 3 * (gsize) h * w);
  for (gsize i = 0; i < (gsize) h * w; i++)
    for (int c = 0; c < 3; c++)
      planar[c * (gsize) h * w + i] = rgb[i * 3 + c] * 2.0f - 1.0f;
  g_autofree float *whole = g_new (float, 3 * (gsize) h * w);
  g_autofree float *stats = g_new (float, vks_generator_stats_floats (gen));
  {
    g_autoptr (VksGeneratorPlan) rec =
      vks_generator_plan_new_with_stats (gen, h, w, VKS_NORM_STATS_RECORD, &error);
    g_assert_no_error (error);
    g_assert_true (vks_generator_plan_run (rec, planar, whole, &error));
    vks_generator_plan_get_stats (rec, stats);
  }
  g_autofree float *tile = g_new (float, 3 * (gsize) th * tw);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < th; y++)
      memcpy (tile + ((gsize) c * th + y) * tw, planar + ((gsize) c * h + y0 + y) * w + x0,
              tw * sizeof (float));
  g_autoptr (VksGeneratorPlan) given =
    vks_generator_plan_new_with_stats (gen, th, tw, VKS_NORM_STATS_GIVEN_MEASURE, &error);
  g_assert_no_error (error);
  vks_generator_plan_set_stats (given, stats);
  g_assert_true (vks_generator_plan_run (given, tile, tile, &error));
  double worst[64] = { 0 };
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < th; y++)
      for (int x = 0; x < tw; x++) {
        int d = MIN (MIN (y, th - 1 - y), MIN (x, tw - 1 - x)) / 4;
        double diff = fabs (tile[((gsize) c * th + y) * tw + x] -
                            whole[((gsize) c * h + y0 + y) * w + x0 + x]) * 0.5 * 255.0;
        if (d < 64)
          worst[d] = MAX (worst[d], diff);
      }
  for (int d = 62; d >= 0; d--)
    worst[d] = MAX (worst[d], worst[d + 1]);   /* max over everything at least this far in */
  for (int d = 0; d < 40; d++)
    g_test_message ("distance >= %3d px: max difference %.4f/255", 4 * d, worst[d]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tiling/axis-partition", test_axis_partition);
  g_test_add_func ("/tiling/plan-limits", test_plan_limits);
  g_test_add_func ("/tiling/matches-untiled", test_matches_untiled);
  g_test_add_func ("/tiling/odd-sizes", test_odd_sizes);
  g_test_add_func ("/tiling/one-pixel", test_one_pixel);
  g_test_add_func ("/tiling/in-place", test_in_place);
  g_test_add_func ("/tiling/progress-and-cancel", test_progress_and_cancel);
  g_test_add_func ("/tiling/cancel-within-run", test_cancel_within_run);
  g_test_add_func ("/tiling/statistics-large-plane", test_statistics_large_plane);
  g_test_add_func ("/tiling/refined-statistics", test_refined_statistics);
  g_test_add_func ("/tiling/small-texel-limit", test_small_texel_limit);
  g_test_add_func ("/tiling/measure-context", test_measure_context);
  g_test_add_func ("/tiling/measure-refinement", test_measure_refinement);
  g_test_add_func ("/tiling/measure-cancel", test_measure_cancel);
  int result = g_test_run ();
  test_context_release ();
  return result;
}
