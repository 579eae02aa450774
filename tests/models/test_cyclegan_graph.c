/* Migration gate of the CycleGAN generator onto the graph engine (issue 12): the graph builder's
 * output against PyTorch's (fixtures of tests/fixtures/make_fixtures.py) and against the
 * hand-written generator (engine/generator.c), with their dispatch counts and activation memory
 * side by side. */
#include <math.h>

#include "engine/error.h"

#include "engine/generator.h"
#include "engine/models/cyclegan.h"
#include "engine/nn/analysis.h"
#include "engine/nn/params.h"
#include "tests/rig.h"

#define PYTORCH_TOL 1e-4     /* float32 vs PyTorch's float32, outputs in [-1, 1] */
#define ENGINE_TOL 1e-5      /* the same kernels in the same order: float noise only */

static VksCheckpoint *
load (const char *dir, const char *name)
{
  GError *error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, dir, name, NULL);
  VksCheckpoint *ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

/* Runs both engines on `input` (n = 1) and returns the graph's output. */
static float *
run_both (const VksCheckpoint *ckpt, const float *input, int h, int w, double *vs_engine)
{
  GError *error = NULL;
  VksGeneratorConfig cfg;
  g_assert_true (vks_generator_config_from_checkpoint (ckpt, &cfg, &error));
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, cfg.input_nc, h, w));
  VksNode y = vks_cyclegan_generator (g, x, &cfg, NULL);
  g_assert_true (vks_graph_check (g, &error));
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, &y, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (plan, g, ckpt, &error));
  g_assert_true (vks_plan_set (plan, x, input, &error));
  g_assert_true (vks_plan_run (plan, &error));
  long n_out = (long) cfg.output_nc * h * w;
  float *got = g_new (float, n_out);
  g_assert_true (vks_plan_get (plan, y, got, &error));

  g_autoptr (VksGenerator) gen = vks_generator_new (test_context (), ckpt, &error);
  g_assert_no_error (error);
  g_autoptr (VksGeneratorPlan) old = vks_generator_plan_new (gen, h, w, &error);
  g_assert_no_error (error);
  g_autofree float *want = g_new (float, n_out);
  g_assert_true (vks_generator_plan_run (old, input, want, &error));
  *vs_engine = max_rel_error (got, want, n_out);
  VkDeviceSize old_bytes = 0;
  g_assert_true (vks_generator_plan_bytes (gen, h, w, VKS_NORM_STATS_OWN, &old_bytes, &error));
  VksPlanStats st;
  vks_plan_stats (plan, &st);
  g_test_message ("%dx%d ngf %d: graph %d dispatches, activations+scratch %.2f MiB "
                  "(+ %.2f MiB inputs/parameters, %.2f MiB packed weights); hand-written %u "
                  "dispatches, arena+staging %.2f MiB; max difference %.2e", w, h, cfg.ngf,
                  st.n_dispatches, (st.arena_bytes - st.leaf_bytes) / 1048576.0,
                  st.leaf_bytes / 1048576.0, st.packed_bytes / 1048576.0,
                  vks_generator_plan_n_dispatches (old), old_bytes / 1048576.0, *vs_engine);
  g_assert_cmpint (st.n_dispatches, <=, (int) vks_generator_plan_n_dispatches (old));
  return got;
}

static void
check_fixture (const char *model, const char *io)
{
  g_autoptr (VksCheckpoint) ckpt = load ("fixtures", model);
  g_autoptr (VksCheckpoint) ios = load ("fixtures", io);
  const VksCheckpointTensor *in = vks_checkpoint_get_tensor (ios, "input_0");
  const VksCheckpointTensor *want = vks_checkpoint_get_tensor (ios, "output_0");
  double vs_engine;
  g_autofree float *got = run_both (ckpt, in->data, (int) in->shape[2], (int) in->shape[3],
                                    &vs_engine);
  double vs_torch = max_rel_error (got, want->data, want->n_elements);
  g_test_message ("%s: graph vs PyTorch %.2e", model, vs_torch);
  g_assert_cmpfloat (vs_torch, <=, PYTORCH_TOL);
  g_assert_cmpfloat (vs_engine, <=, ENGINE_TOL);
}

static void
test_instance_norm (void)
{
  check_fixture ("gen_ngf8_nb2.safetensors", "gen_ngf8_nb2_io.safetensors");
}

static void
test_batch_norm (void)
{
  check_fixture ("gen_bn_ngf8_nb1.safetensors", "gen_bn_ngf8_nb1_io.safetensors");
}

/* The shipped style (ngf 32, 6 blocks ... whatever its metadata says) on a 64 x 96 input. */
static void
test_shipped_style (void)
{
  g_autoptr (VksCheckpoint) ckpt = load ("../weights", "cartoon.safetensors");
  int h = 64, w = 96;
  g_autofree float *input = g_new (float, 3 * h * w);
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  fill_uniform (input, 3L * h * w, -1.0f, 1.0f, rng);
  double vs_engine;
  g_autofree float *got = run_both (ckpt, input, h, w, &vs_engine);
  g_assert_cmpfloat (vs_engine, <=, ENGINE_TOL);
}

/* One parameter store serves plans of two sizes (as the tiler's would); saved back it is a
 * checkpoint the generator loader accepts, with the same values. */
static void
test_shared_store (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load ("fixtures", "gen_ngf8_nb2.safetensors");
  VksGeneratorConfig cfg;
  g_assert_true (vks_generator_config_from_checkpoint (ckpt, &cfg, &error));
  const int sizes[2][2] = { { 28, 20 }, { 16, 24 } };
  VksGraph *graphs[2];
  VksNode x[2], y[2];
  for (int k = 0; k < 2; k++) {
    graphs[k] = vks_graph_new ();
    x[k] = vks_input (graphs[k], "x", vks_shape (1, 3, sizes[k][0], sizes[k][1]));
    y[k] = vks_cyclegan_generator (graphs[k], x[k], &cfg, NULL);
  }
  g_autoptr (VksParamStore) store = vks_param_store_new (test_context (), graphs, 2, &error);
  g_assert_no_error (error);
  g_assert_true (vks_param_store_load (store, ckpt, NULL, &error));
  VksPlanOptions opts = { .params = store };
  g_autoptr (VksGenerator) gen = vks_generator_new (test_context (), ckpt, &error);
  for (int k = 0; k < 2; k++) {
    int h = sizes[k][0], w = sizes[k][1];
    g_autoptr (VksPlan) plan = vks_plan_new (test_context (), graphs[k], &y[k], 1, &opts, &error);
    g_assert_no_error (error);
    VksPlanStats st;
    vks_plan_stats (plan, &st);
    /* only the input is the plan's own: the parameters are in the store */
    g_assert_cmpuint (st.leaf_bytes, <, 3u * h * w * sizeof (float) + 256);
    g_autofree float *in = g_new (float, 3 * h * w), *got = g_new (float, 3 * h * w),
                     *want = g_new (float, 3 * h * w);
    g_autoptr (GRand) rng = g_rand_new_with_seed (k);
    fill_uniform (in, 3L * h * w, -1.0f, 1.0f, rng);
    g_assert_true (vks_plan_set (plan, x[k], in, &error) && vks_plan_run (plan, &error) &&
                   vks_plan_get (plan, y[k], got, &error));
    g_autoptr (VksGeneratorPlan) old = vks_generator_plan_new (gen, h, w, &error);
    g_assert_true (vks_generator_plan_run (old, in, want, &error));
    g_assert_cmpfloat (max_rel_error (got, want, 3L * h * w), <=, ENGINE_TOL);
  }
  g_autoptr (VksCheckpoint) saved = vks_checkpoint_new ();
  g_assert_true (vks_param_store_save (store, saved, NULL, &error));
  vks_generator_config_to_metadata (&cfg, saved);
  VksGeneratorConfig again;
  g_assert_true (vks_generator_config_from_checkpoint (saved, &again, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++) {
    const VksCheckpointTensor *a = vks_checkpoint_tensor_at (ckpt, i);
    const VksCheckpointTensor *b = vks_checkpoint_get_tensor (saved, a->name);
    g_assert_nonnull (b);
    g_assert_cmpmem (a->data, a->n_elements * sizeof (float), b->data,
                     b->n_elements * sizeof (float));
  }
  for (int k = 0; k < 2; k++)
    vks_graph_free (graphs[k]);
}

/* What the graph says of the model is what the hand-written tables say. */
static void
test_flops_and_radius (void)
{
  for (int nb = 0; nb <= 9; nb += 3) {
    VksGeneratorConfig cfg = { .input_nc = 3, .output_nc = 3, .ngf = 16, .n_blocks = nb,
                               .norm = VKS_NORM_INSTANCE };
    g_autoptr (VksGraph) g = vks_graph_new ();
    VksNode x = vks_input (g, "x", vks_shape (1, 3, 64, 48));
    VksNode y = vks_cyclegan_generator (g, x, &cfg, NULL);
    double convs = vks_graph_flops (g, y);
    double table = vks_generator_flops (&cfg, 64, 48);
    /* the table counts multiply-adds only; the graph adds one operation per norm output */
    g_test_message ("%d blocks: graph %.4g FLOP, table %.4g", nb, convs, table);
    g_assert_cmpfloat (convs, >=, table);
    g_assert_cmpfloat (convs, <=, table * 1.02);
    g_assert_cmpint (vks_graph_receptive_radius (g, x, y), ==, 15 + 8 * nb);
  }
}

static gboolean
stop_at_second (gpointer data)
{
  return ++*(int *) data < 2;
}

/* A 512 x 512 run of the shipped style is several segments; a cancel stops it between two. */
static void
test_cancel (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load ("../weights", "cartoon.safetensors");
  VksGeneratorConfig cfg;
  g_assert_true (vks_generator_config_from_checkpoint (ckpt, &cfg, &error));
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, 3, 512, 512));
  VksNode y = vks_cyclegan_generator (g, x, &cfg, NULL);
  g_test_message ("%.2f GFLOP", vks_graph_flops (g, y) / 1e9);
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, &y, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (plan, g, ckpt, &error));
  int asked = 0;
  g_assert_false (vks_plan_run_until (plan, stop_at_second, &asked, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (asked, ==, 2);
  /* and the plan still runs whole afterwards */
  g_assert_true (vks_plan_run (plan, &error));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/cyclegan-graph/instance-norm", test_instance_norm);
  g_test_add_func ("/models/cyclegan-graph/batch-norm", test_batch_norm);
  g_test_add_func ("/models/cyclegan-graph/shipped-style", test_shipped_style);
  g_test_add_func ("/models/cyclegan-graph/shared-store", test_shared_store);
  g_test_add_func ("/models/cyclegan-graph/flops-and-radius", test_flops_and_radius);
  g_test_add_func ("/models/cyclegan-graph/cancel", test_cancel);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
