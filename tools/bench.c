/* `vkstyle bench`: time a style model on a seeded random image. The last line of the output,
 * median_ms=<number>, is what scripts read. */
#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/generator_spec.h"
#include "engine/stylize.h"
#include "tools/cli.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_SIZE 16384
#define MAX_RUNS 10000

typedef struct {
  const char *model;
  const char *device;
  int size;
  int runs;
  int seed;
} BenchOptions;

static double
elapsed_ms (gint64 since)
{
  return (double) (g_get_monotonic_time () - since) / 1000.0;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (const double *values, int n)
{
  double *sorted = g_memdup2 (values, sizeof (double) * n);
  qsort (sorted, n, sizeof (double), compare_doubles);
  double m = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  g_free (sorted);
  return m;
}

static gboolean
read_flops (const BenchOptions *options, VksGeneratorConfig *config, double *flops,
            GError **error)
{
  g_autoptr (VksCheckpoint) header = vks_checkpoint_load_header (options->model, error);
  if (!header || !vks_generator_config_from_checkpoint (header, config, error))
    return FALSE;
  /* The engine runs on the size padded to a multiple of 4. */
  const int padded = (options->size + 3) / 4 * 4;
  *flops = vks_generator_flops (config, padded, padded);
  return TRUE;
}

static gboolean
run (const BenchOptions *options, GError **error)
{
  VksGeneratorConfig config;
  double flops = 0;
  if (!read_flops (options, &config, &flops, error))
    return FALSE;
  g_autoptr (VksContext) context = vks_context_new (options->device, error);
  if (!context)
    return FALSE;
  gint64 start = g_get_monotonic_time ();
  g_autoptr (VksStyle) style = vks_style_load (context, options->model, error);
  if (!style)
    return FALSE;
  double load_ms = elapsed_ms (start);

  const gsize n_floats = (gsize) options->size * options->size * 3;
  g_autofree float *input = g_try_new (float, n_floats);
  g_autofree float *output = g_try_new (float, n_floats);
  if (!input || !output) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "not enough memory for a %dx%d image", options->size, options->size);
    return FALSE;
  }
  GRand *rand = g_rand_new_with_seed ((guint32) options->seed);
  for (gsize i = 0; i < n_floats; i++)
    input[i] = (float) g_rand_double (rand);
  g_rand_free (rand);

  const double gflop = flops / 1e9;
  printf ("device: %s\n", vks_context_device_name (context));
  printf ("model: %s (ResNet generator, ngf %d, %d blocks)\n", vks_style_name (style), config.ngf,
          config.n_blocks);
  printf ("size=%d\nruns=%d\ngflop_per_run=%.3f\nload_ms=%.1f\n", options->size, options->runs,
          gflop, load_ms);
  fflush (stdout);

  /* The first run pays for shader compilation (lazy on lavapipe) and allocations. */
  start = g_get_monotonic_time ();
  if (!vks_style_apply (style, input, output, options->size, options->size, vks_cli_progress,
                        NULL, error))
    return FALSE;
  vks_cli_progress_end ();
  printf ("first_run_ms=%.1f (warm-up: includes shader compilation)\n", elapsed_ms (start));
  fflush (stdout);

  g_autofree double *times = g_new (double, options->runs);
  for (int r = 0; r < options->runs; r++) {
    start = g_get_monotonic_time ();
    if (!vks_style_apply (style, input, output, options->size, options->size, NULL, NULL, error))
      return FALSE;
    times[r] = elapsed_ms (start);
    printf ("run %d: %.1f ms, %.2f GFLOP/s\n", r + 1, times[r], gflop / (times[r] / 1000.0));
    fflush (stdout);
  }
  double median_ms = median (times, options->runs);
  double best_ms = times[0];
  for (int r = 1; r < options->runs; r++)
    best_ms = MIN (best_ms, times[r]);
  printf ("min_ms=%.1f\ngflops_at_median=%.2f\nmedian_ms=%.1f\n", best_ms,
          gflop / (median_ms / 1000.0), median_ms);
  return TRUE;
}

int
vks_cmd_bench (GStrv *args)
{
  g_autofree char *model = NULL;
  g_autofree char *device = NULL;
  int size = 256, runs = 5, seed = 1;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Style model (.safetensors)", "FILE" },
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image width and height (default 256)", "N" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Timed runs after the warm-up (default 5)", "R" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the random image (default 1)", "S" },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
      "Vulkan device: index or part of its name (default: $VKSTYLE_DEVICE, else the first GPU, "
      "else the CPU)", "DEVICE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (!vks_cli_parse ("bench", "", "Time a style model on a random NxN image.",
                      "Prints the warm-up time (first_run_ms), each run's time and GFLOP/s, and "
                      "as the last line\nmedian_ms=<number>.", entries, args))
    return VKS_EXIT_USAGE;
  if (!model)
    return vks_cli_usage_error ("bench", "--model is required");
  if (g_strv_length (*args) > 1)
    return vks_cli_usage_error ("bench", "unexpected argument \"%s\"", (*args)[1]);
  if (size < 1 || size > MAX_SIZE)
    return vks_cli_usage_error ("bench", "--size must be between 1 and %d", MAX_SIZE);
  if (runs < 1 || runs > MAX_RUNS)
    return vks_cli_usage_error ("bench", "--runs must be between 1 and %d", MAX_RUNS);

  const BenchOptions options = { model, device, size, runs, seed };
  GError *error = NULL;
  return run (&options, &error) ? VKS_EXIT_OK : vks_cli_fail (error);
}
