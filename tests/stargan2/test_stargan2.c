/* StarGAN v2 against PyTorch (tests/fixtures/make_stargan2_fixture.py, tools/stargan2_torch.py):
 * the style encoder, the mapping network, the generator with a reference style and with a latent
 * style, the discriminator, the generator on an image of another size and on one that is no
 * multiple of its down-sampling (mirror-extended, cropped back); the inference object the CLI
 * uses; the checkpoint's tensor list and its refusals of hostile files. */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/models/stargan2_net.h"
#include "engine/nn/params.h"
#include "engine/nn/plan.h"
#include "tests/rig.h"

#define PYTORCH_TOL 1e-4     /* float32 vs PyTorch's float32, |a - b| / (1 + |b|) */

/* stargan2_<name>.safetensors (the model) or, with suffix "_io", its inputs and outputs. */
static VksCheckpoint *
load_case (const char *name, const char *suffix)
{
  GError *error = NULL;
  g_autofree char *file = g_strdup_printf ("stargan2_%s%s.safetensors", name, suffix);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", file, NULL);
  VksCheckpoint *ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

static const VksCheckpointTensor *
io (const VksCheckpoint *ckpt, const char *name)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, name);
  if (t == NULL)
    g_error ("fixture tensor %s is missing", name);
  return t;
}

/* A copy of the model without tensor `drop` and with metadata `key` set to `value` (NULL:
 * unchanged). */
static VksCheckpoint *
model_copy (const VksCheckpoint *ckpt, const char *drop, const char *key, const char *value)
{
  VksCheckpoint *out = vks_checkpoint_new ();
  g_autofree const char **keys = vks_checkpoint_metadata_keys (ckpt);
  for (int i = 0; keys[i] != NULL; i++)
    vks_checkpoint_set_metadata (out, keys[i], vks_checkpoint_get_metadata (ckpt, keys[i]));
  if (key != NULL)
    vks_checkpoint_set_metadata (out, key, value);
  for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++) {
    const VksCheckpointTensor *t = vks_checkpoint_tensor_at (ckpt, i);
    if (g_strcmp0 (t->name, drop) != 0)
      vks_checkpoint_add_tensor (out, t->name, t->ndim, t->shape, t->data);
  }
  return out;
}

static void
compare (const char *what, const float *got, const VksCheckpointTensor *want, long n)
{
  g_assert_cmpint (n, <=, want->n_elements);
  double err = max_rel_error (got, want->data, n);
  g_test_message ("%s: vs PyTorch %.2e (%ld values)", what, err, n);
  g_assert_cmpfloat (err, <=, PYTORCH_TOL);
}

static void
check_output (VksPlan *plan, VksNode node, const VksCheckpoint *ckpt, const char *name)
{
  GError *error = NULL;
  const VksCheckpointTensor *want = io (ckpt, name);
  g_autofree float *got = g_new (float, want->n_elements);
  g_assert_true (vks_plan_get (plan, node, got, &error));
  g_assert_no_error (error);
  compare (name, got, want, want->n_elements);
}

static VksShape
image_shape (const VksCheckpointTensor *t)
{
  return vks_shape ((int) t->shape[0], (int) t->shape[1], (int) t->shape[2], (int) t->shape[3]);
}

static void
set (VksPlan *plan, VksNode node, const float *values)
{
  GError *error = NULL;
  g_assert_true (vks_plan_set (plan, node, values, &error));
  g_assert_no_error (error);
}

/* Every network in one graph on the fixture's inputs, against PyTorch's outputs. */
static void
test_pytorch (gconstpointer user_data)
{
  const char *name = user_data;
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load_case (name, "");
  g_autoptr (VksCheckpoint) data = load_case (name, "_io");
  VksStarGan2Config cfg;
  g_assert_true (vks_stargan2_config_from_checkpoint (ckpt, &cfg, &error));
  g_assert_no_error (error);
  g_assert_true (cfg.has_discriminator);
  int n = 2;
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x_ref = vks_input (g, "x_ref", image_shape (io (data, "x_ref")));
  VksNode x_src = vks_input (g, "x_src", image_shape (io (data, "x_src")));
  VksNode x_wide = vks_input (g, "x_wide", image_shape (io (data, "x_wide")));
  VksNode z = vks_input (g, "z", vks_shape (1, 1, n, cfg.latent_dim));
  VksNode rows = vks_input (g, "rows", vks_shape (1, 1, 1, n));
  VksNode s_one = vks_input (g, "s_one", vks_shape (1, 1, 1, cfg.style_dim));
  VksNode out[6];
  out[0] = vks_stargan2_style_encoder (g, x_ref, rows, &cfg, "style_encoder.");
  out[1] = vks_stargan2_mapping (g, z, rows, &cfg, "mapping_network.");
  out[2] = vks_stargan2_generator (g, x_src, out[0], &cfg, "generator.");
  out[3] = vks_stargan2_generator (g, x_src, out[1], &cfg, "generator.");
  out[4] = vks_stargan2_discriminator (g, x_ref, rows, &cfg, "discriminator.");
  out[5] = vks_stargan2_generator (g, x_wide, s_one, &cfg, "generator.");
  g_assert_true (vks_graph_check (g, &error));
  g_assert_no_error (error);
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, out, 6, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (plan, g, ckpt, &error));
  g_assert_no_error (error);

  const VksCheckpointTensor *y = io (data, "y");
  int domains[2] = { (int) y->data[0], (int) y->data[1] };
  float row_values[2];
  vks_stargan2_domain_rows (domains, n, cfg.num_domains, row_values);
  set (plan, x_ref, io (data, "x_ref")->data);
  set (plan, x_src, io (data, "x_src")->data);
  set (plan, x_wide, io (data, "x_wide")->data);
  set (plan, z, io (data, "z")->data);
  set (plan, rows, row_values);
  set (plan, s_one, io (data, "s_ref")->data);   /* its first row */
  g_assert_true (vks_plan_run (plan, &error));
  g_assert_no_error (error);
  static const char *const names[6] = { "s_ref", "s_lat", "g_ref", "g_lat", "d", "g_wide" };
  for (int i = 0; i < 6; i++)
    check_output (plan, out[i], data, names[i]);
}

/* The tiler's statistics modes on the generator (as engine/generator.c's norm_hook makes them):
 * RECORD measures each norm's statistics and normalises with them; GIVEN takes them from inputs.
 * Both must give PyTorch's output, the second fed the first's statistics. */
typedef struct {
  gboolean given;
  GArray *stats;    /* per norm: the measured statistics (RECORD) or the input (GIVEN) */
} StatsHook;

static VksNode
stats_hook (VksGraph *g, VksNode y, VksActivation act, VksNode residual, gpointer data)
{
  StatsHook *h = data;
  VksShape s = vks_graph_shape (g, y);
  VksNode stats;
  if (h->given) {
    g_autofree char *name = g_strdup_printf ("stats.%u", h->stats->len);
    stats = vks_input (g, name, vks_shape (1, 1, 1, 2 * s.c));
  } else {
    stats = vks_norm_statistics (g, y, VKS_NONE, VKS_NONE, 0);
  }
  g_array_append_val (h->stats, stats);
  return vks_norm_given (g, y, stats, act, 0.0f, residual);
}

static void
test_statistics (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load_case ("s32", "");
  g_autoptr (VksCheckpoint) data = load_case ("s32", "_io");
  VksStarGan2Config cfg;
  g_assert_true (vks_stargan2_config_from_checkpoint (ckpt, &cfg, &error));
  const VksCheckpointTensor *x_src = io (data, "x_src");
  VksShape one = image_shape (x_src);
  one.n = 1;
  g_autofree float *stats = NULL;
  gsize stats_floats = 0;
  for (int mode = 0; mode < 2; mode++) {
    StatsHook hook = { mode == 1, g_array_new (FALSE, FALSE, sizeof (VksNode)) };
    g_autoptr (VksGraph) g = vks_graph_new ();
    VksNode x = vks_input (g, "x", one);
    VksNode s = vks_input (g, "s", vks_shape (1, 1, 1, cfg.style_dim));
    VksNode y = vks_stargan2_generator_hooked (g, x, s, &cfg, "generator.", stats_hook, &hook);
    g_assert_true (vks_graph_check (g, &error));
    /* the outputs: y, and in RECORD mode every norm's statistics */
    GArray *outs = g_array_new (FALSE, FALSE, sizeof (VksNode));
    g_array_append_val (outs, y);
    if (!hook.given)
      g_array_append_vals (outs, hook.stats->data, hook.stats->len);
    g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, (VksNode *) outs->data,
                                             (int) outs->len, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (vks_plan_load_params (plan, g, ckpt, &error));
    set (plan, x, x_src->data);
    set (plan, s, io (data, "s_ref")->data);
    gsize offset = 0;
    for (guint k = 0; k < hook.stats->len; k++) {
      VksNode node = g_array_index (hook.stats, VksNode, k);
      gsize n = (gsize) vks_shape_elements (vks_graph_shape (g, node));
      if (hook.given)
        set (plan, node, stats + offset);
      offset += n;
    }
    if (!hook.given) {
      stats_floats = offset;
      stats = g_new (float, stats_floats);
    }
    g_assert_true (vks_plan_run (plan, &error));
    g_assert_no_error (error);
    offset = 0;
    for (guint k = 0; !hook.given && k < hook.stats->len; k++) {
      VksNode node = g_array_index (hook.stats, VksNode, k);
      g_assert_true (vks_plan_get (plan, node, stats + offset, &error));
      offset += (gsize) vks_shape_elements (vks_graph_shape (g, node));
    }
    g_test_message ("%s: %u instance norms, %zu statistics", hook.given ? "given" : "recorded",
                    hook.stats->len, stats_floats);
    /* image 0 of g_ref */
    gsize image = (gsize) 3 * one.h * one.w;
    g_autofree float *got = g_new (float, image);
    g_assert_true (vks_plan_get (plan, y, got, &error));
    compare (hook.given ? "g_ref[0], statistics given" : "g_ref[0], statistics recorded", got,
             io (data, "g_ref"), (long) image);
    g_array_free (outs, TRUE);
    g_array_free (hook.stats, TRUE);
  }
}

/* planar [3][h][w] in [-1, 1] -> packed R'G'B' in [0, 1] */
static float *
to_rgb (const VksCheckpointTensor *t)
{
  int h = (int) t->shape[2], w = (int) t->shape[3];
  float *rgb = g_new (float, (gsize) 3 * h * w);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < h * w; i++)
      rgb[i * 3 + c] = (t->data[(gsize) c * h * w + i] + 1.0f) * 0.5f;
  return rgb;
}

/* The inference object: domains by name and index, styles from a latent and a reference image,
 * the generator on an odd-sized image (mirror-extended and cropped as the CycleGAN path). */
static void
test_runtime (gconstpointer data)
{
  const char *name = data;
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load_case (name, "");
  g_autoptr (VksCheckpoint) full = load_case (name, "_io");
  g_autoptr (VksStarGan2) net = vks_stargan2_new (test_context (), ckpt, &error);
  g_assert_no_error (error);
  const VksStarGan2Config *cfg = vks_stargan2_config (net);
  const char *const *names = vks_stargan2_domain_names (net);
  g_assert_cmpint (vks_stargan2_find_domain (net, names[1], &error), ==, 1);
  g_assert_cmpint (vks_stargan2_find_domain (net, "0", &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (vks_stargan2_find_domain (net, "no such domain", &error), ==, -1);
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, names[0]));
  g_clear_error (&error);

  int y0 = (int) io (full, "y")->data[0];
  g_autofree float *style = g_new (float, cfg->style_dim);
  g_assert_true (vks_stargan2_style_from_latent (net, io (full, "z")->data, y0, style, &error));
  g_assert_no_error (error);
  compare ("s_lat[0] (runtime)", style, io (full, "s_lat"), cfg->style_dim);
  g_assert_false (vks_stargan2_style_from_latent (net, io (full, "z")->data, cfg->num_domains,
                                                  style, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);

  /* x_ref[0] is img_size square: the resize leaves it as it is */
  const VksCheckpointTensor *x_ref = io (full, "x_ref");
  VksCheckpointTensor first = *x_ref;
  first.shape[0] = 1;
  g_autofree float *ref_rgb = to_rgb (&first);
  g_assert_true (vks_stargan2_style_from_image (net, ref_rgb, cfg->img_size, cfg->img_size, y0,
                                                style, &error));
  g_assert_no_error (error);
  compare ("s_ref[0] (runtime)", style, io (full, "s_ref"), cfg->style_dim);

  /* the odd image with s_ref[0] */
  const VksCheckpointTensor *x_odd = io (full, "x_odd"), *g_odd = io (full, "g_odd");
  int h = (int) x_odd->shape[2], w = (int) x_odd->shape[3];
  g_autofree float *rgb = to_rgb (x_odd);
  g_assert_true (vks_stargan2_translate (net, rgb, rgb, w, h, io (full, "s_ref")->data, NULL,
                                         NULL, &error));
  g_assert_no_error (error);
  g_autofree float *want = g_new (float, (gsize) 3 * h * w);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < h * w; i++)
      want[i * 3 + c] = CLAMP ((g_odd->data[(gsize) c * h * w + i] + 1.0f) * 0.5f, 0.0f, 1.0f);
  double err = max_rel_error (rgb, want, (long) 3 * h * w);
  g_test_message ("g_odd %dx%d (runtime, [0, 1]): vs PyTorch %.2e", w, h, err);
  g_assert_cmpfloat (err, <=, PYTORCH_TOL);

  /* the mean style (a batch plan) is the mean of the single latents' styles */
  g_assert_true (vks_stargan2_mean_style (net, y0, 3, style, &error));
  g_assert_no_error (error);
  g_autofree float *z = g_new (float, cfg->latent_dim);
  g_autofree float *one = g_new (float, cfg->style_dim);
  g_autofree double *sum = g_new0 (double, cfg->style_dim);
  for (int i = 0; i < 3; i++) {
    vks_stargan2_latent (net, VKS_STARGAN2_MEAN_STYLE_SEED, (guint64) i, z);
    g_assert_true (vks_stargan2_style_from_latent (net, z, y0, one, &error));
    for (int k = 0; k < cfg->style_dim; k++)
      sum[k] += one[k];
  }
  for (int k = 0; k < cfg->style_dim; k++)
    g_assert_cmpfloat_with_epsilon (style[k], sum[k] / 3, 1e-5 * (1 + fabs (sum[k] / 3)));
  g_assert_true (vks_stargan2_mean_style (net, y0, 1000, style, &error));
  for (int k = 0; k < cfg->style_dim; k++)
    g_assert_true (isfinite (style[k]));
}

static void
test_resize (void)
{
  /* a 4x1 ramp to 2x1: the triangle widened to support 2 around centres 1 and 3, sampled at
   * pixel centres (weights 3/4, 3/4, 1/4 and 1/4, 3/4, 3/4, the taps outside dropped) */
  const float src[4] = { 0, 1, 2, 3 };
  float dst[2];
  vks_resize_bilinear_pil (src, 4, 1, 1, dst, 2, 1);
  g_assert_cmpfloat_with_epsilon (dst[0], (0 * 0.75 + 1 * 0.75 + 2 * 0.25) / 1.75, 1e-6);
  g_assert_cmpfloat_with_epsilon (dst[1], (1 * 0.25 + 2 * 0.75 + 3 * 0.75) / 1.75, 1e-6);
  /* enlarging 2 -> 4: plain linear interpolation, clamped at the edges */
  const float two[2] = { 0, 1 };
  float four[4];
  vks_resize_bilinear_pil (two, 2, 1, 1, four, 4, 1);
  g_assert_cmpfloat_with_epsilon (four[0], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (four[1], 0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (four[2], 0.75, 1e-6);
  g_assert_cmpfloat_with_epsilon (four[3], 1.0, 1e-6);
}

static void
expect_refusal (const VksCheckpoint *full, const char *drop, const char *key, const char *value,
                const char *fragment)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) bad = model_copy (full, drop, key, value);
  VksStarGan2Config cfg;
  g_assert_false (vks_stargan2_check_checkpoint (bad, &cfg, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("%s", error->message);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\" lacks \"%s\"", error->message, fragment);
  g_clear_error (&error);
}

static void
test_hostile (void)
{
  g_autoptr (VksCheckpoint) full = load_case ("s32", "");
  GError *error = NULL;
  g_autoptr (VksCheckpoint) good = model_copy (full, NULL, NULL, NULL);
  VksStarGan2Config cfg;
  g_assert_true (vks_stargan2_check_checkpoint (good, &cfg, &error));
  g_assert_no_error (error);
  /* the fixture is exactly our list, the discriminator's tensors included */
  g_autoptr (GPtrArray) specs = vks_stargan2_tensors (&cfg);
  g_assert_cmpuint (specs->len, ==, vks_checkpoint_n_tensors (good));

  expect_refusal (full, "generator.decode.1.norm2.fc.weight", NULL, NULL,
                  "generator.decode.1.norm2.fc.weight is missing");
  expect_refusal (full, "discriminator.main.0.bias", NULL, NULL,
                  "discriminator.main.0.bias is missing");
  /* without its first tensor the file holds no discriminator: the others are strays */
  expect_refusal (full, "discriminator.main.0.weight", NULL, NULL,
                  "unexpected tensor discriminator.");
  expect_refusal (full, NULL, "vkstyle.w_hpf", "1", "face-alignment");
  expect_refusal (full, NULL, "vkstyle.img_size", "48", "power of two");
  expect_refusal (full, NULL, "vkstyle.img_size", "1000000", "between");
  expect_refusal (full, NULL, "vkstyle.img_size", "64", "is missing");
  expect_refusal (full, NULL, "vkstyle.num_domains", "0", "between");
  expect_refusal (full, NULL, "vkstyle.num_domains", "2", "names 3 domains");
  expect_refusal (full, NULL, "vkstyle.style_dim", "-3", "not a whole number");
  expect_refusal (full, NULL, "vkstyle.domains", "cat,cat,dog", "named twice");
  expect_refusal (full, NULL, "vkstyle.domains", "cat,,dog", "empty");
  expect_refusal (full, NULL, "vkstyle.arch", "resnet_generator", "not a StarGAN v2 model");

  /* the largest sizes the metadata may name: refused for the tensors, nothing allocated */
  g_autoptr (VksCheckpoint) absurd = model_copy (full, NULL, "vkstyle.img_size", "1024");
  vks_checkpoint_set_metadata (absurd, "vkstyle.dim_in", "4096");
  vks_checkpoint_set_metadata (absurd, "vkstyle.max_conv_dim", "4096");
  vks_checkpoint_set_metadata (absurd, "vkstyle.mapping_dim", "4096");
  vks_checkpoint_set_metadata (absurd, "vkstyle.num_domains", "256");
  GString *names = g_string_new ("d0");
  for (int d = 1; d < 256; d++)
    g_string_append_printf (names, ",d%d", d);
  vks_checkpoint_set_metadata (absurd, "vkstyle.domains", names->str);
  g_string_free (names, TRUE);
  g_assert_false (vks_stargan2_check_checkpoint (absurd, &cfg, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* a tensor of the wrong shape */
  g_autoptr (VksCheckpoint) bad = model_copy (full, NULL, NULL, NULL);
  const int64_t shape[1] = { 7 };
  vks_checkpoint_add_tensor (bad, "generator.from_rgb.bias", 1, shape, NULL);
  g_assert_false (vks_stargan2_check_checkpoint (bad, &cfg, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "has shape [7]"));
  g_clear_error (&error);

  /* the loader prefixes the file name; a missing file is an error, not a crash */
  g_assert_null (vks_stargan2_load (test_context (), "/nonexistent/model.safetensors", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "model.safetensors"));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/stargan2/pytorch/s32", "s32", test_pytorch);
  g_test_add_data_func ("/stargan2/pytorch/s64", "s64", test_pytorch);
  g_test_add_data_func ("/stargan2/runtime/s32", "s32", test_runtime);
  g_test_add_data_func ("/stargan2/runtime/s64", "s64", test_runtime);
  g_test_add_func ("/stargan2/statistics", test_statistics);
  g_test_add_func ("/stargan2/resize", test_resize);
  g_test_add_func ("/stargan2/hostile", test_hostile);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
