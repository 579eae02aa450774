/* The CycleGAN step's two halves as graphs (engine/models/cyclegan_step.c): losses, generated
 * images and every parameter gradient against PyTorch in float64
 * (tests/fixtures/make_cyclegan_grads_fixture.py), for each GAN mode, from the train_step
 * fixture's initial networks. */
#include <math.h>

#include "engine/models/cyclegan_step.h"
#include "engine/nn/plan.h"
#include "tests/rig.h"

/* float32 through ~40 layers and back against float64: |a - b| / max |b| per tensor, the scale
 * floored at a hundredth of the half's largest gradient (biases before an instance norm have
 * gradients that are rounding noise in PyTorch too). */
#define GRAD_TOL 2e-4
#define VALUE_TOL 1e-4     /* losses and images; the hinge generator loss is a small mean */

static VksCheckpoint *
load (const char *dir, const char *name)
{
  GError *error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", dir, name, NULL);
  VksCheckpoint *ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

static const VksCheckpointTensor *
expected (const VksCheckpoint *fx, const char *mode, const char *what, const char *name)
{
  g_autofree char *key = g_strdup_printf ("%s%s%s%s", mode ? mode : "", mode ? "." : "", what,
                                          name);
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (fx, key);
  if (t == NULL)
    g_error ("the fixture has no %s", key);
  return t;
}

static double
error_of (VksPlan *plan, VksNode node, const VksCheckpointTensor *want, double floor)
{
  GError *error = NULL;
  g_autofree float *got = g_new0 (float, want->n_elements);
  if (node != VKS_NONE)
    g_assert_true (vks_plan_get (plan, node, got, &error));
  double scale = floor, err = 0;
  for (long i = 0; i < want->n_elements; i++)
    scale = MAX (scale, fabs (want->data[i]));
  for (long i = 0; i < want->n_elements; i++)
    err = MAX (err, fabs (got[i] - want->data[i]));
  return scale > 0 ? err / scale : err;
}

/* The worst gradient error of one half, named. */
static double
check_grads (VksPlan *plan, const VksGraph *g, const VksNode *params, const VksNode *grads, int n,
             const VksCheckpoint *fx, const char *mode)
{
  double largest = 0, worst = 0;
  for (int i = 0; i < n; i++) {
    const VksCheckpointTensor *t = expected (fx, mode, "grad.", vks_graph_name (g, params[i]));
    for (long k = 0; k < t->n_elements; k++)
      largest = MAX (largest, fabs (t->data[k]));
  }
  const char *worst_name = "";
  for (int i = 0; i < n; i++) {
    const char *name = vks_graph_name (g, params[i]);
    double e = error_of (plan, grads[i], expected (fx, mode, "grad.", name), 0.01 * largest);
    if (e > worst)
      worst = e, worst_name = name;
  }
  g_test_message ("%s: %d gradients, worst %s %.2e (largest gradient %.3e)", mode, n, worst_name,
                  worst, largest);
  return worst;
}

static void
check_mode (gconstpointer data)
{
  const char *mode = data;
  GError *error = NULL;
  g_autoptr (VksCheckpoint) fx = load (".", "cyclegan_grads.safetensors");
  VksCycleGanStepConfig cfg = {
    .g = { .input_nc = 3, .output_nc = 3, .ngf = 8, .n_blocks = 2, .norm = VKS_NORM_INSTANCE },
    .d = { .input_nc = 3, .ndf = 8, .n_layers = 3, .norm = VKS_NORM_INSTANCE },
    .gan_mode = g_str_equal (mode, "lsgan") ? VKS_GAN_LSGAN
              : g_str_equal (mode, "vanilla") ? VKS_GAN_VANILLA : VKS_GAN_HINGE,
    .lambda_a = 10, .lambda_b = 10, .lambda_identity = 0.5f,
    .batch = 1, .height = 32, .width = 32,
  };
  VksCycleGanStep s;
  g_assert_true (vks_cyclegan_step_build (&s, &cfg, &error));
  VksGraph *graphs[] = { s.g_half, s.d_half };
  g_autoptr (VksParamStore) store = vks_param_store_new (test_context (), graphs, 2, &error);
  g_assert_no_error (error);
  static const char *const files[] = { "G_A.safetensors", "G_B.safetensors", "D_A.safetensors",
                                       "D_B.safetensors" };
  for (int i = 0; i < VKS_N_NETS; i++) {
    g_autoptr (VksCheckpoint) net = load ("train_step/init", files[i]);
    g_assert_true (vks_param_store_load (store, net, vks_cyclegan_net_prefixes[i], &error));
  }
  VksPlanOptions opts = { .params = store };
  const float *real_a = expected (fx, NULL, "real_A", "")->data;
  const float *real_b = expected (fx, NULL, "real_B", "")->data;

  /* generator half */
  g_autofree VksNode *outs = g_new (VksNode, s.n_g + 16);
  int n_out = 0;
  for (int i = 0; i < s.n_g; i++)
    if (s.g_grads[i] != VKS_NONE)
      outs[n_out++] = s.g_grads[i];
  static const int g_losses[] = { VKS_LOSS_G_A, VKS_LOSS_G_B, VKS_LOSS_CYCLE_A,
                                  VKS_LOSS_CYCLE_B, VKS_LOSS_IDT_A, VKS_LOSS_IDT_B };
  for (guint i = 0; i < G_N_ELEMENTS (g_losses); i++)
    outs[n_out++] = s.loss[g_losses[i]];
  outs[n_out++] = s.fake_a;
  outs[n_out++] = s.fake_b;
  g_autoptr (VksPlan) gp = vks_plan_new (test_context (), s.g_half, outs, n_out, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_set (gp, s.real_a, real_a, &error) &&
                 vks_plan_set (gp, s.real_b, real_b, &error) && vks_plan_run (gp, &error));
  static const char *const loss_names[VKS_N_LOSSES] = { "D_A", "G_A", "cycle_A", "idt_A",
                                                           "D_B", "G_B", "cycle_B", "idt_B" };
  for (guint i = 0; i < G_N_ELEMENTS (g_losses); i++) {
    double e = error_of (gp, s.loss[g_losses[i]], expected (fx, mode, "loss.",
                                                            loss_names[g_losses[i]]), 0);
    g_assert_cmpfloat (e, <=, VALUE_TOL);
  }
  g_assert_cmpfloat (error_of (gp, s.fake_a, expected (fx, mode, "fake_A", ""), 0), <=, VALUE_TOL);
  g_assert_cmpfloat (error_of (gp, s.fake_b, expected (fx, mode, "fake_B", ""), 0), <=, VALUE_TOL);
  g_assert_cmpfloat (check_grads (gp, s.g_half, s.g_params, s.g_grads, s.n_g, fx, mode), <=,
                     GRAD_TOL);
  VksPlanStats st;
  vks_plan_stats (gp, &st);
  g_test_message ("generator half: %d nodes, %d dispatches, arena %.2f MiB (%.2f MiB without "
                  "reuse)", st.n_nodes, st.n_dispatches, st.arena_bytes / 1048576.0,
                  st.naive_bytes / 1048576.0);

  /* discriminator half, on the generated images (the pools return them while not full) */
  long img = 3L * 32 * 32;
  g_autofree float *fake_a = g_new (float, img), *fake_b = g_new (float, img);
  g_assert_true (vks_plan_get (gp, s.fake_a, fake_a, &error) &&
                 vks_plan_get (gp, s.fake_b, fake_b, &error));
  n_out = 0;
  for (int i = 0; i < s.n_d; i++)
    if (s.d_grads[i] != VKS_NONE)
      outs[n_out++] = s.d_grads[i];
  outs[n_out++] = s.loss[VKS_LOSS_D_A];
  outs[n_out++] = s.loss[VKS_LOSS_D_B];
  g_autoptr (VksPlan) dp = vks_plan_new (test_context (), s.d_half, outs, n_out, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_set (dp, s.d_real_a, real_a, &error) &&
                 vks_plan_set (dp, s.d_real_b, real_b, &error) &&
                 vks_plan_set (dp, s.pool_fake_a, fake_a, &error) &&
                 vks_plan_set (dp, s.pool_fake_b, fake_b, &error) && vks_plan_run (dp, &error));
  g_assert_cmpfloat (error_of (dp, s.loss[VKS_LOSS_D_A], expected (fx, mode, "loss.", "D_A"),
                               0), <=, VALUE_TOL);
  g_assert_cmpfloat (error_of (dp, s.loss[VKS_LOSS_D_B], expected (fx, mode, "loss.", "D_B"),
                               0), <=, VALUE_TOL);
  g_assert_cmpfloat (check_grads (dp, s.d_half, s.d_params, s.d_grads, s.n_d, fx, mode), <=,
                     GRAD_TOL);
  vks_cyclegan_step_clear (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/models/cyclegan-step/lsgan", "lsgan", check_mode);
  g_test_add_data_func ("/models/cyclegan-step/vanilla", "vanilla", check_mode);
  g_test_add_data_func ("/models/cyclegan-step/hinge", "hinge", check_mode);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
