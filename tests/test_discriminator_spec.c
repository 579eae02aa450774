/* The PatchGAN discriminator's expected tensors, layer list and metadata checks. The expected
 * shapes are written out from the reference's NLayerDiscriminator (networks.py): a stride-2 stem
 * to ndf, n_layers convs whose width doubles up to 8 * ndf (the last of them stride 1), then a
 * stride-1 conv to one channel. */
#include "engine/checkpoint.h"
#include "engine/discriminator_spec.h"
#include "engine/error.h"

#include <string.h>

static const VksDiscriminatorConfig basic = { .input_nc = 3, .ndf = 64, .n_layers = 3, .norm = VKS_NORM_INSTANCE };

static VksCheckpoint *
checkpoint_for (const VksDiscriminatorConfig *cfg)
{
  VksCheckpoint *ckpt = vks_checkpoint_new ();
  vks_discriminator_config_to_metadata (cfg, ckpt);
  g_autoptr (GPtrArray) specs = vks_discriminator_expected_tensors (cfg);
  for (guint i = 0; i < specs->len; i++)
    {
      const VksTensorSpec *spec = g_ptr_array_index (specs, i);
      vks_checkpoint_add_tensor (ckpt, spec->name, spec->ndim, spec->shape, NULL);
    }
  return ckpt;
}

static void
assert_fails (const VksCheckpoint *ckpt, const char *expected)
{
  VksDiscriminatorConfig cfg = { .ndf = -7 };
  GError *error = NULL;
  g_assert_false (vks_discriminator_config_from_checkpoint (ckpt, &cfg, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("message: %s", error->message);
  if (strstr (error->message, expected) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, expected);
  g_assert_cmpint (cfg.ndf, ==, -7); /* untouched on failure */
  g_error_free (error);
}

static void
assert_spec (const VksTensorSpec *spec, const char *name, int ndim, int64_t d0, int64_t d1)
{
  g_assert_cmpstr (spec->name, ==, name);
  g_assert_cmpint (spec->ndim, ==, ndim);
  g_assert_cmpint (spec->shape[0], ==, d0);
  if (ndim == 4)
    {
      g_assert_cmpint (spec->shape[1], ==, d1);
      g_assert_cmpint (spec->shape[2], ==, 4);
      g_assert_cmpint (spec->shape[3], ==, 4);
    }
}

/* One row per conv: index, cin, cout, stride; instance norm, so every conv has a bias. */
typedef struct { int index, cin, cout, stride; } Conv;

static void
check_instance_config (int n_layers, int ndf, const Conv *convs, int n_convs)
{
  const VksDiscriminatorConfig cfg = { .input_nc = 3, .ndf = ndf, .n_layers = n_layers, .norm = VKS_NORM_INSTANCE };
  g_test_message ("n_layers %d, ndf %d", n_layers, ndf);

  VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS];
  g_assert_cmpint (vks_discriminator_layers (&cfg, layers), ==, n_convs);
  g_autoptr (GPtrArray) specs = vks_discriminator_expected_tensors (&cfg);
  g_assert_cmpuint (specs->len, ==, 2 * n_convs);
  for (int i = 0; i < n_convs; i++)
    {
      const VksDiscriminatorLayer *l = &layers[i];
      g_autofree char *prefix = g_strdup_printf ("model.%d.", convs[i].index);
      g_autofree char *weight = g_strdup_printf ("model.%d.weight", convs[i].index);
      g_autofree char *bias = g_strdup_printf ("model.%d.bias", convs[i].index);
      g_assert_cmpint (l->index, ==, convs[i].index);
      g_assert_cmpstr (l->prefix, ==, prefix);
      g_assert_cmpint (l->cin, ==, convs[i].cin);
      g_assert_cmpint (l->cout, ==, convs[i].cout);
      g_assert_cmpint (l->stride, ==, convs[i].stride);
      g_assert_cmpint (l->kernel, ==, 4);
      g_assert_cmpint (l->padding, ==, 1);
      g_assert_true (l->has_bias);
      gboolean first = i == 0, last = i == n_convs - 1;
      g_assert_cmpint (l->norm, ==, !first && !last);
      g_assert_cmpint (l->leaky_relu, ==, !last);
      if (l->norm)
        {
          g_autofree char *norm_prefix = g_strdup_printf ("model.%d.", convs[i].index + 1);
          g_assert_cmpstr (l->norm_prefix, ==, norm_prefix);
        }
      else
        g_assert_cmpstr (l->norm_prefix, ==, "");
      assert_spec (specs->pdata[2 * i], weight, 4, convs[i].cout, convs[i].cin);
      assert_spec (specs->pdata[2 * i + 1], bias, 1, convs[i].cout, 0);
    }

  /* A checkpoint made from the list passes and gives back the config. */
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&cfg);
  VksDiscriminatorConfig found = { 0 };
  GError *error = NULL;
  g_assert_true (vks_discriminator_config_from_checkpoint (ckpt, &found, &error));
  g_assert_no_error (error);
  g_assert_cmpint (found.n_layers, ==, n_layers);
  g_assert_cmpint (found.ndf, ==, ndf);
}

static void
test_shapes_n_layers (void)
{
  const Conv one[] = { { 0, 3, 64, 2 }, { 2, 64, 128, 1 }, { 5, 128, 1, 1 } };
  check_instance_config (1, 64, one, G_N_ELEMENTS (one));
  const Conv two[] = { { 0, 3, 64, 2 }, { 2, 64, 128, 2 }, { 5, 128, 256, 1 }, { 8, 256, 1, 1 } };
  check_instance_config (2, 64, two, G_N_ELEMENTS (two));
  const Conv three[] = { { 0, 3, 64, 2 }, { 2, 64, 128, 2 }, { 5, 128, 256, 2 }, { 8, 256, 512, 1 },
                         { 11, 512, 1, 1 } };
  check_instance_config (3, 64, three, G_N_ELEMENTS (three));
  /* nf_mult = min(2^n, 8): the fourth layer stays at 8 * ndf. */
  const Conv four[] = { { 0, 3, 64, 2 }, { 2, 64, 128, 2 }, { 5, 128, 256, 2 }, { 8, 256, 512, 2 },
                        { 11, 512, 512, 1 }, { 14, 512, 1, 1 } };
  check_instance_config (4, 64, four, G_N_ELEMENTS (four));
  const Conv six_small[] = { { 0, 3, 2, 2 }, { 2, 2, 4, 2 }, { 5, 4, 8, 2 }, { 8, 8, 16, 2 },
                             { 11, 16, 16, 2 }, { 14, 16, 16, 2 }, { 17, 16, 16, 1 }, { 20, 16, 1, 1 } };
  check_instance_config (6, 2, six_small, G_N_ELEMENTS (six_small));
  /* n_layers 0: the reference still adds its stride-1 conv, at ndf -> ndf. */
  const Conv zero[] = { { 0, 3, 8, 2 }, { 2, 8, 8, 1 }, { 5, 8, 1, 1 } };
  check_instance_config (0, 8, zero, G_N_ELEMENTS (zero));
}

static void
test_batch_norm_list (void)
{
  VksDiscriminatorConfig cfg = basic;
  cfg.norm = VKS_NORM_BATCH;
  cfg.input_nc = 1;
  g_autoptr (GPtrArray) specs = vks_discriminator_expected_tensors (&cfg);
  /* 5 conv weights, biases on the first and last conv only, 4 tensors per norm layer (3). */
  g_assert_cmpuint (specs->len, ==, 5 + 2 + 4 * 3);
  guint i = 0;
  assert_spec (specs->pdata[i++], "model.0.weight", 4, 64, 1);
  assert_spec (specs->pdata[i++], "model.0.bias", 1, 64, 0);
  assert_spec (specs->pdata[i++], "model.2.weight", 4, 128, 64);
  assert_spec (specs->pdata[i++], "model.3.weight", 1, 128, 0);
  assert_spec (specs->pdata[i++], "model.3.bias", 1, 128, 0);
  assert_spec (specs->pdata[i++], "model.3.running_mean", 1, 128, 0);
  assert_spec (specs->pdata[i++], "model.3.running_var", 1, 128, 0);
  assert_spec (specs->pdata[i++], "model.5.weight", 4, 256, 128);
  i += 4;
  assert_spec (specs->pdata[i++], "model.8.weight", 4, 512, 256);
  assert_spec (specs->pdata[i++], "model.9.weight", 1, 512, 0);
  i += 3;
  assert_spec (specs->pdata[i++], "model.11.weight", 4, 1, 512);
  assert_spec (specs->pdata[i++], "model.11.bias", 1, 1, 0);
  g_assert_cmpuint (i, ==, specs->len);

  VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS];
  g_assert_cmpint (vks_discriminator_layers (&cfg, layers), ==, 5);
  g_assert_true (layers[0].has_bias);
  g_assert_false (layers[1].has_bias);
  g_assert_cmpstr (layers[1].norm_prefix, ==, "model.3.");
  g_assert_false (layers[3].has_bias);
  g_assert_true (layers[4].has_bias);

  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&cfg);
  VksDiscriminatorConfig found;
  GError *error = NULL;
  g_assert_true (vks_discriminator_config_from_checkpoint (ckpt, &found, &error));
  g_assert_no_error (error);
  g_assert_cmpint (found.norm, ==, VKS_NORM_BATCH);
  g_assert_cmpint (found.input_nc, ==, 1);

  const int64_t scalar_shape[1] = { 0 };
  vks_checkpoint_add_tensor (ckpt, "model.3.num_batches_tracked", 0, scalar_shape, NULL);
  assert_fails (ckpt, "unexpected tensor model.3.num_batches_tracked");
}

static void
test_output_side (void)
{
  /* 256 -> 128 -> 64 -> 32 -> 31 -> 30: the reference's 70x70 PatchGAN gives 30x30 logits. */
  g_assert_cmpint (vks_discriminator_output_side (&basic, 256), ==, 30);
  g_assert_cmpint (vks_discriminator_output_side (&basic, 32), ==, 2);
  g_assert_cmpint (vks_discriminator_output_side (&basic, 33), ==, 2);
  /* 16 -> 8 -> 4 -> 2 -> 1 -> 0: the last conv has no output. */
  g_assert_cmpint (vks_discriminator_output_side (&basic, 16), ==, 0);
  g_assert_cmpint (vks_discriminator_output_side (&basic, 24), ==, 1);
  const VksDiscriminatorConfig one = { .input_nc = 3, .ndf = 8, .n_layers = 1 };
  g_assert_cmpint (vks_discriminator_output_side (&one, 32), ==, 14); /* 16, 15, 14 */
}

static void
test_config_round_trip (void)
{
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&basic);
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.arch"), ==, "patchgan_discriminator");
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.ndf"), ==, "64");
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.n_layers"), ==, "3");
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.norm"), ==, "instance");
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.input_nc"), ==, "3");

  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F32);
  GError *error = NULL;
  g_autoptr (VksCheckpoint) loaded = vks_checkpoint_load_from_data (g_bytes_get_data (bytes, NULL),
                                                                    g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  VksDiscriminatorConfig cfg;
  g_assert_true (vks_discriminator_config_from_checkpoint (loaded, &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cfg.ndf, ==, 64);
  g_assert_cmpint (cfg.n_layers, ==, 3);
  g_assert_cmpint (cfg.input_nc, ==, 3);
  g_assert_cmpint (cfg.norm, ==, VKS_NORM_INSTANCE);

  /* A generator is not a discriminator. */
  g_autoptr (VksCheckpoint) generator = vks_checkpoint_new ();
  const VksGeneratorConfig gcfg = { .input_nc = 3, .output_nc = 3, .ngf = 8, .n_blocks = 1 };
  vks_generator_config_to_metadata (&gcfg, generator);
  assert_fails (generator, "not a PatchGAN discriminator: vkstyle.arch is \"cyclegan_resnet_generator\"");
}

static void
test_tensor_errors (void)
{
  g_autoptr (VksCheckpoint) missing = vks_checkpoint_new ();
  vks_discriminator_config_to_metadata (&basic, missing);
  g_autoptr (GPtrArray) specs = vks_discriminator_expected_tensors (&basic);
  for (guint i = 0; i < specs->len; i++)
    {
      const VksTensorSpec *spec = specs->pdata[i];
      if (strcmp (spec->name, "model.5.bias") != 0)
        vks_checkpoint_add_tensor (missing, spec->name, spec->ndim, spec->shape, NULL);
    }
  assert_fails (missing, "tensor model.5.bias is missing; this discriminator needs it with shape [256]");

  g_autoptr (VksCheckpoint) misshapen = checkpoint_for (&basic);
  const int64_t wide[4] = { 512, 512, 4, 4 };
  vks_checkpoint_add_tensor (misshapen, "model.8.weight", 4, wide, NULL);
  assert_fails (misshapen, "tensor model.8.weight has shape [512, 512, 4, 4], this discriminator needs [512, 256, 4, 4]");

  g_autoptr (VksCheckpoint) kernel3 = checkpoint_for (&basic);
  const int64_t k3[4] = { 64, 3, 3, 3 };
  vks_checkpoint_add_tensor (kernel3, "model.0.weight", 4, k3, NULL);
  assert_fails (kernel3, "tensor model.0.weight has shape [64, 3, 3, 3], this discriminator needs [64, 3, 4, 4]");

  g_autoptr (VksCheckpoint) extra = checkpoint_for (&basic);
  const int64_t one[1] = { 1 };
  vks_checkpoint_add_tensor (extra, "model.14.weight", 1, one, NULL);
  assert_fails (extra, "unexpected tensor model.14.weight");

  /* Metadata says 4 layers, the file has 3: model.0 to model.8 agree, model.11 is the 3-layer head. */
  g_autoptr (VksCheckpoint) layers = checkpoint_for (&basic);
  vks_checkpoint_set_metadata (layers, "vkstyle.n_layers", "4");
  assert_fails (layers, "tensor model.11.weight has shape [1, 512, 4, 4], this discriminator needs [512, 512, 4, 4]");

  /* Metadata says 2 layers: model.8 is the head there. */
  g_autoptr (VksCheckpoint) fewer = checkpoint_for (&basic);
  vks_checkpoint_set_metadata (fewer, "vkstyle.n_layers", "2");
  assert_fails (fewer, "tensor model.8.weight has shape [512, 256, 4, 4], this discriminator needs [1, 256, 4, 4]");

  /* Metadata says batch norm, the tensors are instance-norm ones. */
  g_autoptr (VksCheckpoint) norm = checkpoint_for (&basic);
  vks_checkpoint_set_metadata (norm, "vkstyle.norm", "batch");
  assert_fails (norm, "tensor model.3.weight is missing");
}

static void
test_metadata_errors (void)
{
  struct { const char *key, *value, *expected; } cases[] = {
    { "vkstyle.arch", NULL, "not a vkstyle discriminator: metadata lacks vkstyle.arch" },
    { "vkstyle.ndf", NULL, "metadata lacks vkstyle.ndf" },
    { "vkstyle.n_layers", NULL, "metadata lacks vkstyle.n_layers" },
    { "vkstyle.ndf", "064", "not a whole number" },
    { "vkstyle.ndf", "-1", "not a whole number" },
    { "vkstyle.ndf", "0", "vkstyle.ndf is 0, it must be between 1 and 1024" },
    { "vkstyle.ndf", "1025", "vkstyle.ndf is 1025, it must be between 1 and 1024" },
    { "vkstyle.n_layers", "9", "vkstyle.n_layers is 9, it must be between 0 and 8" },
    { "vkstyle.n_layers", "3.0", "not a whole number" },
    { "vkstyle.input_nc", "0", "vkstyle.input_nc is 0, it must be between 1 and 4" },
    { "vkstyle.input_nc", "5", "vkstyle.input_nc is 5, it must be between 1 and 4" },
    { "vkstyle.norm", "spectral", "vkstyle.norm is \"spectral\", expected \"instance\" or \"batch\"" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&basic);
      if (cases[i].value != NULL)
        {
          vks_checkpoint_set_metadata (ckpt, cases[i].key, cases[i].value);
          assert_fails (ckpt, cases[i].expected);
          continue;
        }
      /* No metadata removal in the API: rebuild the metadata without this key. */
      g_autoptr (VksCheckpoint) copy = vks_checkpoint_new ();
      g_autofree const char **keys = vks_checkpoint_metadata_keys (ckpt);
      for (guint k = 0; keys[k] != NULL; k++)
        if (strcmp (keys[k], cases[i].key) != 0)
          vks_checkpoint_set_metadata (copy, keys[k], vks_checkpoint_get_metadata (ckpt, keys[k]));
      assert_fails (copy, cases[i].expected);
    }

  /* input_nc and norm are optional. */
  g_autoptr (VksCheckpoint) minimal = vks_checkpoint_new ();
  vks_checkpoint_set_metadata (minimal, "vkstyle.arch", "patchgan_discriminator");
  vks_checkpoint_set_metadata (minimal, "vkstyle.ndf", "64");
  vks_checkpoint_set_metadata (minimal, "vkstyle.n_layers", "3");
  g_autoptr (GPtrArray) specs = vks_discriminator_expected_tensors (&basic);
  for (guint i = 0; i < specs->len; i++)
    {
      const VksTensorSpec *spec = specs->pdata[i];
      vks_checkpoint_add_tensor (minimal, spec->name, spec->ndim, spec->shape, NULL);
    }
  VksDiscriminatorConfig defaults;
  GError *error = NULL;
  g_assert_true (vks_discriminator_config_from_checkpoint (minimal, &defaults, &error));
  g_assert_no_error (error);
  g_assert_cmpint (defaults.input_nc, ==, 3);
  g_assert_cmpint (defaults.norm, ==, VKS_NORM_INSTANCE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/discriminator-spec/shapes", test_shapes_n_layers);
  g_test_add_func ("/discriminator-spec/batch", test_batch_norm_list);
  g_test_add_func ("/discriminator-spec/output-side", test_output_side);
  g_test_add_func ("/discriminator-spec/config-round-trip", test_config_round_trip);
  g_test_add_func ("/discriminator-spec/tensor-errors", test_tensor_errors);
  g_test_add_func ("/discriminator-spec/metadata-errors", test_metadata_errors);
  return g_test_run ();
}
