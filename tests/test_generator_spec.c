/* The CycleGAN ResNet generator's expected tensors and metadata checks. */
#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/generator_spec.h"

#include <string.h>

static const VksGeneratorConfig resnet9 = { .input_nc = 3, .output_nc = 3, .ngf = 64, .n_blocks = 9,
                                            .norm = VKS_NORM_INSTANCE };

/* A checkpoint holding exactly the tensors of cfg (zeros), with cfg in its metadata. */
static VksCheckpoint *
checkpoint_for (const VksGeneratorConfig *cfg)
{
  VksCheckpoint *ckpt = vks_checkpoint_new ();
  vks_generator_config_to_metadata (cfg, ckpt);
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (cfg);
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
  VksGeneratorConfig cfg = { .ngf = -7 };
  GError *error = NULL;
  g_assert_false (vks_generator_config_from_checkpoint (ckpt, &cfg, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("message: %s", error->message);
  if (strstr (error->message, expected) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, expected);
  g_assert_cmpint (cfg.ngf, ==, -7); /* untouched on failure */
  g_error_free (error);
}

static void
assert_spec (const VksTensorSpec *spec, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
  g_assert_cmpstr (spec->name, ==, name);
  g_assert_cmpint (spec->ndim, ==, ndim);
  const int64_t want[4] = { d0, d1, d2, d3 };
  for (int i = 0; i < ndim; i++)
    g_assert_cmpint (spec->shape[i], ==, want[i]);
}

/* The state_dict of ResnetGenerator(3, 3, 64, InstanceNorm2d, n_blocks=9), in order. */
static void
test_resnet9_instance_list (void)
{
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (&resnet9);
  g_assert_cmpuint (specs->len, ==, 2 * (3 + 2 * 9 + 2 + 1)); /* 48: every conv has weight + bias */
  guint i = 0;
  assert_spec (specs->pdata[i++], "model.1.weight", 4, 64, 3, 7, 7);
  assert_spec (specs->pdata[i++], "model.1.bias", 1, 64, 0, 0, 0);
  assert_spec (specs->pdata[i++], "model.4.weight", 4, 128, 64, 3, 3);
  assert_spec (specs->pdata[i++], "model.4.bias", 1, 128, 0, 0, 0);
  assert_spec (specs->pdata[i++], "model.7.weight", 4, 256, 128, 3, 3);
  assert_spec (specs->pdata[i++], "model.7.bias", 1, 256, 0, 0, 0);
  for (int b = 10; b <= 18; b++)
    for (int conv = 1; conv <= 5; conv += 4)
      {
        g_autofree char *w = g_strdup_printf ("model.%d.conv_block.%d.weight", b, conv);
        g_autofree char *bias = g_strdup_printf ("model.%d.conv_block.%d.bias", b, conv);
        assert_spec (specs->pdata[i++], w, 4, 256, 256, 3, 3);
        assert_spec (specs->pdata[i++], bias, 1, 256, 0, 0, 0);
      }
  assert_spec (specs->pdata[i++], "model.19.weight", 4, 256, 128, 3, 3); /* ConvTranspose: [in, out] */
  assert_spec (specs->pdata[i++], "model.19.bias", 1, 128, 0, 0, 0);
  assert_spec (specs->pdata[i++], "model.22.weight", 4, 128, 64, 3, 3);
  assert_spec (specs->pdata[i++], "model.22.bias", 1, 64, 0, 0, 0);
  assert_spec (specs->pdata[i++], "model.26.weight", 4, 3, 64, 7, 7);
  assert_spec (specs->pdata[i++], "model.26.bias", 1, 3, 0, 0, 0);
  g_assert_cmpuint (i, ==, specs->len);
}

static void
test_resnet9_batch_list (void)
{
  VksGeneratorConfig cfg = resnet9;
  cfg.norm = VKS_NORM_BATCH;
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (&cfg);
  /* 24 conv weights, the last conv's bias, 4 tensors for each of the 23 norm layers. */
  g_assert_cmpuint (specs->len, ==, 24 + 1 + 4 * 23);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < specs->len; i++)
    g_hash_table_add (names, (gpointer) ((VksTensorSpec *) specs->pdata[i])->name);

  assert_spec (specs->pdata[0], "model.1.weight", 4, 64, 3, 7, 7);
  assert_spec (specs->pdata[1], "model.2.weight", 1, 64, 0, 0, 0);
  assert_spec (specs->pdata[2], "model.2.bias", 1, 64, 0, 0, 0);
  assert_spec (specs->pdata[3], "model.2.running_mean", 1, 64, 0, 0, 0);
  assert_spec (specs->pdata[4], "model.2.running_var", 1, 64, 0, 0, 0);
  assert_spec (specs->pdata[5], "model.4.weight", 4, 128, 64, 3, 3);
  assert_spec (specs->pdata[specs->len - 2], "model.26.weight", 4, 3, 64, 7, 7);
  assert_spec (specs->pdata[specs->len - 1], "model.26.bias", 1, 3, 0, 0, 0);
  const char *present[] = { "model.5.running_var", "model.8.running_mean", "model.10.conv_block.2.weight",
                            "model.18.conv_block.6.running_var", "model.20.bias", "model.23.running_mean" };
  const char *absent[] = { "model.1.bias", "model.4.bias", "model.10.conv_block.1.bias", "model.19.bias",
                           "model.22.bias", "model.2.num_batches_tracked", "model.27.weight" };
  for (gsize i = 0; i < G_N_ELEMENTS (present); i++)
    g_assert_true (g_hash_table_contains (names, present[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (absent); i++)
    g_assert_false (g_hash_table_contains (names, absent[i]));
  for (guint i = 0; i < specs->len; i++)
    {
      const VksTensorSpec *spec = specs->pdata[i];
      if (g_str_has_prefix (spec->name, "model.20.") || g_str_has_prefix (spec->name, "model.23."))
        g_assert_cmpint (spec->shape[0], ==, g_str_has_prefix (spec->name, "model.20.") ? 128 : 64);
    }

  /* A whole batch-norm checkpoint passes. */
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&cfg);
  VksGeneratorConfig found;
  GError *error = NULL;
  g_assert_true (vks_generator_config_from_checkpoint (ckpt, &found, &error));
  g_assert_no_error (error);
  g_assert_cmpint (found.norm, ==, VKS_NORM_BATCH);

  /* PyTorch's num_batches_tracked is dropped by our converter: a file holding one is rejected. */
  const int64_t scalar_shape[1] = { 0 };
  vks_checkpoint_add_tensor (ckpt, "model.2.num_batches_tracked", 0, scalar_shape, NULL);
  assert_fails (ckpt, "unexpected tensor model.2.num_batches_tracked");
}

static void
test_small_config_indices (void)
{
  const VksGeneratorConfig cfg = { .input_nc = 1, .output_nc = 4, .ngf = 2, .n_blocks = 0,
                                   .norm = VKS_NORM_INSTANCE };
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (&cfg);
  g_assert_cmpuint (specs->len, ==, 12);
  assert_spec (specs->pdata[0], "model.1.weight", 4, 2, 1, 7, 7);
  assert_spec (specs->pdata[6], "model.10.weight", 4, 8, 4, 3, 3);
  assert_spec (specs->pdata[8], "model.13.weight", 4, 4, 2, 3, 3);
  assert_spec (specs->pdata[10], "model.17.weight", 4, 4, 2, 7, 7);
  assert_spec (specs->pdata[11], "model.17.bias", 1, 4, 0, 0, 0);
}

static void
test_config_round_trip (void)
{
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&resnet9);
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.arch"), ==, VKS_ARCH_RESNET_GENERATOR);
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.ngf"), ==, "64");
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.n_blocks"), ==, "9");
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.norm"), ==, "instance");

  /* Through the file format and the header-only reader. */
  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F16);
  GError *error = NULL;
  g_autoptr (VksCheckpoint) loaded = vks_checkpoint_load_from_data (g_bytes_get_data (bytes, NULL),
                                                                    g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  VksGeneratorConfig cfg;
  g_assert_true (vks_generator_config_from_checkpoint (loaded, &cfg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cfg.ngf, ==, 64);
  g_assert_cmpint (cfg.n_blocks, ==, 9);
  g_assert_cmpint (cfg.input_nc, ==, 3);
  g_assert_cmpint (cfg.output_nc, ==, 3);
  g_assert_cmpint (cfg.norm, ==, VKS_NORM_INSTANCE);

  /* input_nc, output_nc and norm are optional. */
  g_autoptr (VksCheckpoint) minimal = vks_checkpoint_new ();
  vks_checkpoint_set_metadata (minimal, "vkstyle.arch", VKS_ARCH_RESNET_GENERATOR);
  vks_checkpoint_set_metadata (minimal, "vkstyle.ngf", "64");
  vks_checkpoint_set_metadata (minimal, "vkstyle.n_blocks", "9");
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (&resnet9);
  for (guint i = 0; i < specs->len; i++)
    {
      const VksTensorSpec *spec = specs->pdata[i];
      vks_checkpoint_add_tensor (minimal, spec->name, spec->ndim, spec->shape, NULL);
    }
  VksGeneratorConfig defaults;
  g_assert_true (vks_generator_config_from_checkpoint (minimal, &defaults, &error));
  g_assert_no_error (error);
  g_assert_cmpint (defaults.input_nc, ==, 3);
  g_assert_cmpint (defaults.output_nc, ==, 3);
  g_assert_cmpint (defaults.norm, ==, VKS_NORM_INSTANCE);
}

static void
test_tensor_errors (void)
{
  /* Missing: all but model.4.bias. */
  g_autoptr (VksCheckpoint) missing = vks_checkpoint_new ();
  vks_generator_config_to_metadata (&resnet9, missing);
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (&resnet9);
  for (guint i = 0; i < specs->len; i++)
    {
      const VksTensorSpec *spec = specs->pdata[i];
      if (strcmp (spec->name, "model.4.bias") != 0)
        vks_checkpoint_add_tensor (missing, spec->name, spec->ndim, spec->shape, NULL);
    }
  assert_fails (missing, "tensor model.4.bias is missing; this model needs it with shape [128]");

  /* Misshapen: a 4-channel first layer. */
  g_autoptr (VksCheckpoint) misshapen = checkpoint_for (&resnet9);
  const int64_t four_channels[4] = { 64, 4, 7, 7 };
  vks_checkpoint_add_tensor (misshapen, "model.1.weight", 4, four_channels, NULL);
  assert_fails (misshapen, "tensor model.1.weight has shape [64, 4, 7, 7], this model needs [64, 3, 7, 7]");

  /* Wrong rank. */
  g_autoptr (VksCheckpoint) flat = checkpoint_for (&resnet9);
  const int64_t flat_shape[2] = { 3, 1 };
  vks_checkpoint_add_tensor (flat, "model.26.bias", 2, flat_shape, NULL);
  assert_fails (flat, "tensor model.26.bias has shape [3, 1], this model needs [3]");

  /* Extra. */
  g_autoptr (VksCheckpoint) extra = checkpoint_for (&resnet9);
  const int64_t one[1] = { 1 };
  vks_checkpoint_add_tensor (extra, "model.27.weight", 1, one, NULL);
  assert_fails (extra, "unexpected tensor model.27.weight");

  /* Metadata says 6 blocks, the file has 9. */
  g_autoptr (VksCheckpoint) blocks = checkpoint_for (&resnet9);
  vks_checkpoint_set_metadata (blocks, "vkstyle.n_blocks", "6");
  assert_fails (blocks, "tensor model.16.weight is missing; this model needs it with shape [256, 128, 3, 3]");

  /* Metadata says batch norm, the tensors are instance-norm ones. */
  g_autoptr (VksCheckpoint) norm = checkpoint_for (&resnet9);
  vks_checkpoint_set_metadata (norm, "vkstyle.norm", "batch");
  assert_fails (norm, "tensor model.2.weight is missing");
}

static void
test_metadata_errors (void)
{
  struct { const char *key, *value, *expected; } cases[] = {
    { "vkstyle.arch", NULL, "not a vkstyle generator: metadata lacks vkstyle.arch" },
    { "vkstyle.arch", "stargan_v2", "vkstyle.arch is \"stargan_v2\"" },
    { "vkstyle.ngf", NULL, "metadata lacks vkstyle.ngf" },
    { "vkstyle.n_blocks", NULL, "metadata lacks vkstyle.n_blocks" },
    { "vkstyle.ngf", "", "vkstyle.ngf is \"\", not a whole number" },
    { "vkstyle.ngf", " 64", "not a whole number" },
    { "vkstyle.ngf", "64 ", "not a whole number" },
    { "vkstyle.ngf", "+64", "not a whole number" },
    { "vkstyle.ngf", "-64", "not a whole number" },
    { "vkstyle.ngf", "064", "not a whole number" },
    { "vkstyle.ngf", "0x40", "not a whole number" },
    { "vkstyle.ngf", "6.4e1", "not a whole number" },
    { "vkstyle.ngf", "99999999999999999999", "not a whole number" },
    { "vkstyle.ngf", "0", "vkstyle.ngf is 0, it must be between 1 and 1024" },
    { "vkstyle.ngf", "1025", "vkstyle.ngf is 1025, it must be between 1 and 1024" },
    { "vkstyle.n_blocks", "65", "vkstyle.n_blocks is 65, it must be between 0 and 64" },
    { "vkstyle.input_nc", "5", "vkstyle.input_nc is 5, it must be between 1 and 4" },
    { "vkstyle.output_nc", "0", "vkstyle.output_nc is 0, it must be between 1 and 4" },
    { "vkstyle.norm", "group", "vkstyle.norm is \"group\", expected \"instance\" or \"batch\"" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&resnet9);
      if (cases[i].value != NULL)
        vks_checkpoint_set_metadata (ckpt, cases[i].key, cases[i].value);
      else
        {
          /* No metadata removal in the API: rebuild the metadata without this key. */
          g_autoptr (VksCheckpoint) copy = vks_checkpoint_new ();
          g_autofree const char **keys = vks_checkpoint_metadata_keys (ckpt);
          for (guint k = 0; keys[k] != NULL; k++)
            if (strcmp (keys[k], cases[i].key) != 0)
              vks_checkpoint_set_metadata (copy, keys[k], vks_checkpoint_get_metadata (ckpt, keys[k]));
          assert_fails (copy, cases[i].expected);
          continue;
        }
      assert_fails (ckpt, cases[i].expected);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/generator-spec/resnet9/instance", test_resnet9_instance_list);
  g_test_add_func ("/generator-spec/resnet9/batch", test_resnet9_batch_list);
  g_test_add_func ("/generator-spec/small-config", test_small_config_indices);
  g_test_add_func ("/generator-spec/config-round-trip", test_config_round_trip);
  g_test_add_func ("/generator-spec/tensor-errors", test_tensor_errors);
  g_test_add_func ("/generator-spec/metadata-errors", test_metadata_errors);
  return g_test_run ();
}
