/* What the optimiser adds to a training step (not run by meson test): a CycleGAN generator
 * graph with an MSE loss and its backward pass, planned once without a tail and once with
 * AdamW + EMA in the tail, interleaved runs, median wall time of each.
 *   bench-optimizer NGF N_BLOCKS SIZE [RUNS] */
#include <stdlib.h>

#include "engine/models/cyclegan.h"
#include "engine/nn/optimizer.h"
#include "tests/rig.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
set_random (VksPlan *plan, VksNode node, const VksGraph *g, GRand *rng, float scale)
{
  long n = vks_shape_elements (vks_graph_shape (g, node));
  g_autofree float *v = g_new (float, n);
  fill_uniform (v, n, -scale, scale, rng);
  GError *error = NULL;
  g_assert_true (vks_plan_set (plan, node, v, &error));
}

static int
bench (const VksGeneratorConfig *cfg, int size, int runs)
{
  VksContext *ctx = test_context ();
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, 3, size, size));
  VksNode y = vks_cyclegan_generator (g, x, cfg, NULL);
  VksNode loss = vks_mean (g, vks_square (g, vks_sub (g, y, x)));
  int n_params = 0;
  g_autofree VksNode *params = vks_graph_params (g, &n_params);
  g_autofree VksNode *grads = g_new (VksNode, n_params);
  vks_grad (g, loss, params, n_params, grads);
  VksOptimizerConfig oc = { .kind = VKS_OPTIMIZER_ADAMW, .lr = 2e-4, .beta1 = 0.5,
                            .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-4 };
  GError *error = NULL;
  g_autoptr (VksOptimizer) opt = vks_optimizer_new (ctx, g, params, grads, n_params, &oc, &error);
  g_autoptr (VksEma) ema = opt ? vks_ema_new (ctx, g, params, n_params, 0.999, &error) : NULL;
  if (ema == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  vks_optimizer_attach_ema (opt, ema);
  int n_out;
  g_autofree VksNode *outputs = vks_optimizer_plan_outputs (opt, &loss, 1, &n_out);
  /* the same nodes, re-packing every run too: only the tail differs */
  VksPlanOptions plain_opts = { .params_change_on_device = TRUE };
  VksPlanOptions train_opts = vks_optimizer_plan_options (opt, NULL);
  g_autoptr (VksPlan) plain = vks_plan_new (ctx, g, outputs, n_out, &plain_opts, &error);
  g_autoptr (VksPlan) train = plain ? vks_plan_new (ctx, g, outputs, n_out, &train_opts, &error)
                                    : NULL;
  if (train == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);
  for (int i = 0; i < n_params; i++) {
    set_random (plain, params[i], g, rng, 0.05f);
    set_random (train, params[i], g, rng, 0.05f);
  }
  set_random (plain, x, g, rng, 1.0f);
  set_random (train, x, g, rng, 1.0f);
  g_assert_true (vks_ema_reset (ema, &error));
  /* warm-up: shader compilation */
  g_assert_true (vks_plan_run (plain, &error) && vks_optimizer_run (opt, &error));
  g_autofree double *t_plain = g_new (double, runs), *t_train = g_new (double, runs);
  for (int r = 0; r < runs; r++) {
    gint64 t0 = g_get_monotonic_time ();
    g_assert_true (vks_plan_run (plain, &error));
    gint64 t1 = g_get_monotonic_time ();
    g_assert_true (vks_optimizer_run (opt, &error));
    gint64 t2 = g_get_monotonic_time ();
    t_plain[r] = (t1 - t0) / 1000.0;
    t_train[r] = (t2 - t1) / 1000.0;
  }
  qsort (t_plain, runs, sizeof (double), cmp_double);
  qsort (t_train, runs, sizeof (double), cmp_double);
  long floats = 0;
  for (int i = 0; i < n_params; i++)
    floats += vks_shape_elements (vks_graph_shape (g, params[i]));
  VksPlanStats sp, st;
  vks_plan_stats (plain, &sp);
  vks_plan_stats (train, &st);
  double a = t_plain[runs / 2], b = t_train[runs / 2];
  g_print ("generator ngf %d, %d blocks, %dx%d, %d parameters (%ld floats), %d runs\n",
           cfg->ngf, cfg->n_blocks, size, size, n_params, floats, runs);
  g_print ("forward + backward:            %8.1f ms median, %d dispatches\n", a,
           sp.n_dispatches);
  g_print ("  + AdamW + EMA in the tail:   %8.1f ms median, %d dispatches (+%.1f ms, %.1f %%)\n",
           b, st.n_dispatches, b - a, 100.0 * (b - a) / a);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc < 4) {
    g_printerr ("usage: %s NGF N_BLOCKS SIZE [RUNS]\n", argv[0]);
    return 2;
  }
  VksGeneratorConfig cfg = { .input_nc = 3, .output_nc = 3, .ngf = atoi (argv[1]),
                             .n_blocks = atoi (argv[2]), .norm = VKS_NORM_INSTANCE };
  int status = bench (&cfg, atoi (argv[3]), argc > 4 ? MAX (atoi (argv[4]), 1) : 5);
  test_context_release ();
  return status;
}
