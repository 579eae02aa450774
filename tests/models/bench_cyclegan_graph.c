/* Benchmark for the generator's migration onto the graph engine (not run by meson test):
 * the hand-written generator and the graph builder's plan on the same input, interleaved runs,
 * median wall time of each and their ratio.
 *   bench-cyclegan-graph MODEL.safetensors SIZE [RUNS] */
#include <stdlib.h>

#include "engine/generator.h"
#include "engine/models/cyclegan.h"
#include "engine/nn/params.h"
#include "tests/rig.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int
bench (const char *model, int size, int runs)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (model, &error);
  VksGeneratorConfig cfg;
  if (ckpt == NULL || !vks_generator_config_from_checkpoint (ckpt, &cfg, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  VksContext *ctx = test_context ();
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, cfg.input_nc, size, size));
  VksNode y = vks_cyclegan_generator (g, x, &cfg, NULL);
  g_autoptr (VksPlan) plan = vks_plan_new (ctx, g, &y, 1, NULL, &error);
  g_autoptr (VksGenerator) gen = plan ? vks_generator_new (ctx, ckpt, &error) : NULL;
  g_autoptr (VksGeneratorPlan) old = gen ? vks_generator_plan_new (gen, size, size, &error) : NULL;
  if (old == NULL || !vks_plan_load_params (plan, g, ckpt, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  long n = (long) size * size * cfg.input_nc;
  g_autofree float *in = g_new (float, n), *out = g_new (float, n);
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);
  fill_uniform (in, n, -1.0f, 1.0f, rng);
  g_assert_true (vks_plan_set (plan, x, in, &error));
  /* warm-up: shader compilation and the parameter prologue */
  g_assert_true (vks_plan_run (plan, &error) && vks_generator_plan_run (old, in, out, &error));
  g_autofree double *t_old = g_new (double, runs), *t_new = g_new (double, runs);
  for (int r = 0; r < runs; r++) {
    gint64 t0 = g_get_monotonic_time ();
    g_assert_true (vks_generator_plan_run (old, in, out, &error));
    gint64 t1 = g_get_monotonic_time ();
    /* the same work as a generator run: upload, forward, download */
    g_assert_true (vks_plan_set (plan, x, in, &error) && vks_plan_run (plan, &error) &&
                   vks_plan_get (plan, y, out, &error));
    gint64 t2 = g_get_monotonic_time ();
    t_old[r] = (t1 - t0) / 1000.0;
    t_new[r] = (t2 - t1) / 1000.0;
  }
  qsort (t_old, runs, sizeof (double), cmp_double);
  qsort (t_new, runs, sizeof (double), cmp_double);
  g_print ("%dx%d ngf %d blocks %d: hand-written %.1f ms, graph %.1f ms (median of %d): "
           "graph/hand-written %.3f\n", size, size, cfg.ngf, cfg.n_blocks, t_old[runs / 2],
           t_new[runs / 2], runs, t_new[runs / 2] / t_old[runs / 2]);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc < 3) {
    g_printerr ("usage: %s MODEL.safetensors SIZE [RUNS]\n", argv[0]);
    return 2;
  }
  int status = bench (argv[1], atoi (argv[2]), argc > 3 ? MAX (atoi (argv[3]), 1) : 3);
  test_context_release ();
  return status;
}
