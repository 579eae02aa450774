/* The DCGAN / WGAN critic / InfoGAN builders against PyTorch (tests/fixtures/
 * make_dcgan_fixture.py, tools/dcgan_torch.py): generator and discriminator in eval and training
 * mode with the running statistics' updates, each critic norm, the Q head, image sizes 32, 64
 * and 128, a spatial latent grid; the parameter counts of the example's defaults; the spec's
 * errors on wrong tensors and metadata. */
#include <string.h>

#include "engine/error.h"
#include "engine/models/dcgan.h"
#include "engine/nn/params.h"
#include "engine/nn/plan.h"
#include "tests/rig.h"

#define PYTORCH_TOL 1e-4     /* float32 vs PyTorch's float32 */

static VksCheckpoint *
load_case (const char *name, VksGanConfig *cfg)
{
  GError *error = NULL;
  g_autofree char *file = g_strdup_printf ("dcgan_%s.safetensors", name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", file, NULL);
  VksCheckpoint *ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (vks_gan_config_from_checkpoint (ckpt, cfg, &error));
  return ckpt;
}

static const VksCheckpointTensor *
fixture (const VksCheckpoint *ckpt, const char *name)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, name);
  if (t == NULL)
    g_error ("fixture tensor %s is missing", name);
  return t;
}

static VksShape
shape4 (const VksCheckpointTensor *t)
{
  return vks_shape ((int) t->shape[0], (int) t->shape[1], (int) t->shape[2], (int) t->shape[3]);
}

static void
check_output (VksPlan *plan, VksNode node, const VksCheckpoint *ckpt, const char *want_name)
{
  GError *error = NULL;
  const VksCheckpointTensor *want = fixture (ckpt, want_name);
  g_autofree float *got = g_new (float, want->n_elements);
  g_assert_true (vks_plan_get (plan, node, got, &error));
  double err = max_rel_error (got, want->data, want->n_elements);
  g_test_message ("%s: vs PyTorch %.2e (%ld values)", want_name, err, (long) want->n_elements);
  g_assert_cmpfloat (err, <=, PYTORCH_TOL);
}

/* The fixture's network tensors (prefix "G." / "D.") are exactly our tensor list, in order. */
static void
check_tensor_list (const VksCheckpoint *ckpt, const char *prefix, GPtrArray *specs)
{
  guint n_prefixed = 0;
  for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++)
    n_prefixed += g_str_has_prefix (vks_checkpoint_tensor_at (ckpt, i)->name, prefix);
  g_assert_cmpuint (n_prefixed, ==, specs->len);
  for (guint i = 0; i < specs->len; i++) {
    const VksTensorSpec *s = g_ptr_array_index (specs, i);
    g_autofree char *name = g_strconcat (prefix, s->name, NULL);
    const VksCheckpointTensor *t = fixture (ckpt, name);
    g_assert_cmpint (t->ndim, ==, s->ndim);
    for (int d = 0; d < s->ndim; d++)
      g_assert_cmpint (t->shape[d], ==, s->shape[d]);
  }
  g_ptr_array_unref (specs);
}

typedef enum { GENERATOR, DISCRIMINATOR } Net;

/* One network on the fixture's input in one mode, its outputs and running-statistics updates
 * against PyTorch's. */
static void
check_net (const char *case_name, Net net, gboolean training)
{
  GError *error = NULL;
  VksGanConfig cfg;
  g_autoptr (VksCheckpoint) ckpt = load_case (case_name, &cfg);
  const char *prefix = net == GENERATOR ? "G." : "D.";
  const char *mode = net == GENERATOR ? (training ? "g_train" : "g_eval")
                                      : (training ? "d_train" : "d_eval");
  const char *in_name = net == GENERATOR ? (training ? "z_train" : "z")
                        : vks_checkpoint_get_tensor (ckpt, "x") ? "x" : "g_eval";
  const VksCheckpointTensor *in = fixture (ckpt, in_name);
  check_tensor_list (ckpt, prefix, net == GENERATOR ? vks_gan_generator_tensors (&cfg)
                                                    : vks_gan_discriminator_tensors (&cfg));
  g_autoptr (VksGraph) g = vks_graph_new ();
  g_autoptr (GArray) updates = g_array_new (FALSE, FALSE, sizeof (VksRunningUpdate));
  VksNode x = vks_input (g, "x", shape4 (in));
  VksNode outs[4 + 32];
  const char *names[4] = { "", ".q_logits", ".q_mean", ".q_var" };
  int n_outs = 0;
  if (net == GENERATOR) {
    outs[n_outs++] = vks_dcgan_generator (g, x, &cfg, training, prefix, updates);
  } else {
    VksGanCritic c = vks_dcgan_discriminator (g, x, &cfg, training, prefix, updates);
    VksNode all[4] = { c.logit, c.q_logits, c.q_mean, c.q_var };
    g_assert_cmpint (c.q_logits != VKS_NONE, ==, cfg.n_categories > 0);
    g_assert_cmpint (c.q_mean != VKS_NONE, ==, cfg.n_continuous > 0);
    for (int i = 0; i < 4; i++)
      outs[n_outs++] = all[i];
  }
  int n_main = n_outs;
  for (guint i = 0; i < updates->len; i++)
    outs[n_outs++] = g_array_index (updates, VksRunningUpdate, i).value;
  /* every batch norm reports its two statistics in training mode, none in eval mode */
  int n_bn = 0;
  for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++) {
    const char *t = vks_checkpoint_tensor_at (ckpt, i)->name;
    n_bn += g_str_has_prefix (t, prefix) && g_str_has_suffix (t, ".running_mean");
  }
  g_assert_cmpint (updates->len, ==, training ? 2 * n_bn : 0);
  g_assert_true (vks_graph_check (g, &error));
  /* the plan computes only the present outputs */
  VksNode present[36];
  int n_present = 0;
  for (int i = 0; i < n_outs; i++)
    if (outs[i] != VKS_NONE)
      present[n_present++] = outs[i];
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, present, n_present, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (plan, g, ckpt, &error));
  g_assert_true (vks_plan_set (plan, x, in->data, &error));
  g_assert_true (vks_plan_run (plan, &error));
  for (int i = 0; i < n_main; i++)
    if (outs[i] != VKS_NONE) {
      g_autofree char *want = g_strconcat (mode, names[i], NULL);
      check_output (plan, outs[i], ckpt, want);
    }
  for (guint i = 0; i < updates->len; i++) {
    const VksRunningUpdate *u = &g_array_index (updates, VksRunningUpdate, i);
    const char *param = vks_graph_name (g, u->param);
    g_autofree char *want = g_strconcat (mode, ".", param + strlen (prefix), NULL);
    check_output (plan, u->value, ckpt, want);
  }
}

static void test_dcgan64_g_eval (void) { check_net ("dcgan64", GENERATOR, FALSE); }
static void test_dcgan64_d_eval (void) { check_net ("dcgan64", DISCRIMINATOR, FALSE); }
static void test_dcgan64_d_train (void) { check_net ("dcgan64", DISCRIMINATOR, TRUE); }
/* A 2x3 latent grid: the spatial GAN's larger image from the same network. */
static void test_dcgan32_g_spatial (void) { check_net ("dcgan32", GENERATOR, FALSE); }
static void test_dcgan32_g_train (void) { check_net ("dcgan32", GENERATOR, TRUE); }
static void test_wgan32_none (void) { check_net ("wgan32_none", DISCRIMINATOR, TRUE); }
static void test_wgan128_layer_g (void) { check_net ("wgan128_layer", GENERATOR, FALSE); }
static void test_wgan128_layer_d (void) { check_net ("wgan128_layer", DISCRIMINATOR, TRUE); }
static void test_infogan_g_eval (void) { check_net ("infogan32", GENERATOR, FALSE); }
static void test_infogan_g_train (void) { check_net ("infogan32", GENERATOR, TRUE); }
static void test_infogan_d_eval (void) { check_net ("infogan32", DISCRIMINATOR, FALSE); }
static void test_infogan_d_train (void) { check_net ("infogan32", DISCRIMINATOR, TRUE); }

/* Learnable parameters (running statistics excluded) of a graph. */
static long
count_learnable (const VksGraph *g)
{
  int n;
  g_autofree VksNode *params = vks_graph_params (g, &n);
  long total = 0;
  for (int i = 0; i < n; i++) {
    const char *name = vks_graph_name (g, params[i]);
    if (!g_str_has_suffix (name, "running_mean") && !g_str_has_suffix (name, "running_var"))
      total += vks_shape_elements (vks_graph_shape (g, params[i]));
  }
  return total;
}

/* The example's nz 100, ngf = ndf = 64, 64x64: what PyTorch counts for its netG and netD. */
static void
test_parameter_counts (void)
{
  VksGanConfig cfg;
  vks_gan_config_default (&cfg, VKS_GAN_DCGAN);
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode z = vks_input (g, "z", vks_shape (1, 100, 1, 1));
  VksNode img = vks_dcgan_generator (g, z, &cfg, FALSE, NULL, NULL);
  g_assert_cmpint (count_learnable (g), ==, 3576704);
  g_autoptr (VksGraph) d = vks_graph_new ();
  VksNode x = vks_input (d, "x", vks_graph_shape (g, img));
  VksGanCritic c = vks_dcgan_discriminator (d, x, &cfg, TRUE, NULL, NULL);
  g_assert_cmpint (count_learnable (d), ==, 2765568);
  VksShape s = vks_graph_shape (g, img), l = vks_graph_shape (d, c.logit);
  g_assert_true (vks_shape_equal (s, vks_shape (1, 3, 64, 64)));
  g_assert_true (vks_shape_equal (l, vks_shape (1, 1, 1, 1)));
  g_assert_cmpint (c.q_logits, ==, VKS_NONE);
  /* the spec lists hold the same numbers (plus the running statistics) */
  g_autoptr (GPtrArray) specs = vks_gan_generator_tensors (&cfg);
  g_assert_cmpuint (specs->len, ==, 5 + 4 * 4);
}

/* A checkpoint with exactly the generator tensors of cfg (zeros) and cfg's metadata. */
static VksCheckpoint *
checkpoint_for (const VksGanConfig *cfg)
{
  VksCheckpoint *ckpt = vks_checkpoint_new ();
  vks_gan_config_to_metadata (cfg, ckpt);
  g_autoptr (GPtrArray) specs = vks_gan_generator_tensors (cfg);
  for (guint i = 0; i < specs->len; i++) {
    const VksTensorSpec *s = g_ptr_array_index (specs, i);
    vks_checkpoint_add_tensor (ckpt, s->name, s->ndim, s->shape, NULL);
  }
  return ckpt;
}

static void
assert_message (GError **error, const char *expected)
{
  g_assert_error (*error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("message: %s", (*error)->message);
  if (strstr ((*error)->message, expected) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", (*error)->message, expected);
  g_clear_error (error);
}

static void
assert_bad_metadata (const VksGanConfig *cfg, const char *key, const char *value,
                     const char *expected)
{
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (cfg);
  vks_checkpoint_set_metadata (ckpt, key, value);
  VksGanConfig out = { .nz = -7 };
  GError *error = NULL;
  g_assert_false (vks_gan_config_from_checkpoint (ckpt, &out, &error));
  g_assert_cmpint (out.nz, ==, -7);   /* untouched on failure */
  assert_message (&error, expected);
}

static void
test_spec_metadata (void)
{
  VksGanConfig cfg, info, back;
  vks_gan_config_default (&cfg, VKS_GAN_DCGAN);
  vks_gan_config_default (&info, VKS_GAN_INFOGAN);
  g_strlcpy (info.category_name, "digit", sizeof info.category_name);
  g_strlcpy (info.continuous_names[0], "rotation", sizeof info.continuous_names[0]);
  g_strlcpy (info.continuous_names[1], "width", sizeof info.continuous_names[1]);
  info.d_norm = VKS_CRITIC_NORM_LAYER;
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&info);
  g_assert_true (vks_gan_config_from_checkpoint (ckpt, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (&back, sizeof back, &info, sizeof info);
  g_assert_true (vks_gan_check_tensors (ckpt, &back, TRUE, &error));
  g_assert_cmpint (vks_gan_latent_size (&back), ==, 112);

  assert_bad_metadata (&cfg, "vkstyle.arch", "stylegan", "expected \"dcgan\"");
  assert_bad_metadata (&cfg, "vkstyle.image_size", "48", "expected 32, 64 or 128");
  assert_bad_metadata (&cfg, "vkstyle.image_size", "256", "image_size");
  assert_bad_metadata (&cfg, "vkstyle.nz", "0100", "not a whole number");
  assert_bad_metadata (&cfg, "vkstyle.ngf", "0", "ngf");
  assert_bad_metadata (&cfg, "vkstyle.nc", "5", "nc");
  assert_bad_metadata (&cfg, "vkstyle.d_norm", "instance", "\"batch\", \"none\" or \"layer\"");
  assert_bad_metadata (&cfg, "vkstyle.n_categories", "10", "a DCGAN has no latent codes");
  assert_bad_metadata (&info, "vkstyle.n_continuous", "9", "n_continuous");
  assert_bad_metadata (&info, "vkstyle.continuous_names", "a,b,c", "names 3 codes");
  assert_bad_metadata (&info, "vkstyle.category_name", "a name far longer than thirty-one bytes",
                       "longer than 31 bytes");
  g_autoptr (VksCheckpoint) bare = vks_checkpoint_new ();
  g_assert_false (vks_gan_config_from_checkpoint (bare, &back, &error));
  assert_message (&error, "lacks vkstyle.arch");
  vks_checkpoint_set_metadata (bare, "vkstyle.arch", "dcgan");
  g_assert_false (vks_gan_config_from_checkpoint (bare, &back, &error));
  assert_message (&error, "lacks vkstyle.nz");
}

static void
test_spec_tensors (void)
{
  VksGanConfig cfg;
  vks_gan_config_default (&cfg, VKS_GAN_DCGAN);
  GError *error = NULL;
  const int64_t wrong[4] = { 100, 512, 4, 5 }, extra[1] = { 3 };
  g_autoptr (VksCheckpoint) misshapen = checkpoint_for (&cfg);
  vks_checkpoint_add_tensor (misshapen, "main.0.weight", 4, wrong, NULL);
  g_assert_false (vks_gan_check_tensors (misshapen, &cfg, TRUE, &error));
  assert_message (&error, "main.0.weight has shape [100, 512, 4, 5]");
  g_autoptr (VksCheckpoint) more = checkpoint_for (&cfg);
  vks_checkpoint_add_tensor (more, "main.13.bias", 1, extra, NULL);
  g_assert_false (vks_gan_check_tensors (more, &cfg, TRUE, &error));
  assert_message (&error, "unexpected tensor main.13.bias");
  /* a generator file is not a discriminator */
  g_autoptr (VksCheckpoint) g = checkpoint_for (&cfg);
  g_assert_false (vks_gan_check_tensors (g, &cfg, FALSE, &error));
  assert_message (&error, "this model needs [64, 3, 4, 4]");
  /* the checkpoint of another image size */
  VksGanConfig small = cfg;
  small.image_size = 32;
  g_assert_false (vks_gan_check_tensors (g, &small, TRUE, &error));
  assert_message (&error, "main.0.weight");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/dcgan/g-eval-64", test_dcgan64_g_eval);
  g_test_add_func ("/models/dcgan/d-eval-64", test_dcgan64_d_eval);
  g_test_add_func ("/models/dcgan/d-train-64", test_dcgan64_d_train);
  g_test_add_func ("/models/dcgan/g-spatial-32", test_dcgan32_g_spatial);
  g_test_add_func ("/models/dcgan/g-train-32", test_dcgan32_g_train);
  g_test_add_func ("/models/dcgan/wgan-critic-none-32", test_wgan32_none);
  g_test_add_func ("/models/dcgan/g-eval-128", test_wgan128_layer_g);
  g_test_add_func ("/models/dcgan/wgan-critic-layer-128", test_wgan128_layer_d);
  g_test_add_func ("/models/dcgan/infogan-g-eval", test_infogan_g_eval);
  g_test_add_func ("/models/dcgan/infogan-g-train", test_infogan_g_train);
  g_test_add_func ("/models/dcgan/infogan-d-eval", test_infogan_d_eval);
  g_test_add_func ("/models/dcgan/infogan-d-train", test_infogan_d_train);
  g_test_add_func ("/models/dcgan/parameter-counts", test_parameter_counts);
  g_test_add_func ("/models/dcgan/spec-metadata", test_spec_metadata);
  g_test_add_func ("/models/dcgan/spec-tensors", test_spec_tensors);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
