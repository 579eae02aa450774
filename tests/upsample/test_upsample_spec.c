/* The generator's up-sampling option in checkpoint metadata (engine/generator_spec.h): the
 * resize-conv tensor names, the default for checkpoints without the key, and bad values. */
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/generator_spec.h"

static const VksGeneratorConfig resize_conv = { .input_nc = 3, .output_nc = 3, .ngf = 8,
                                                .n_blocks = 2, .norm = VKS_NORM_INSTANCE,
                                                .upsample = VKS_UPSAMPLE_RESIZE_CONV };

static VksCheckpoint *
checkpoint_for (const VksGeneratorConfig *cfg)
{
  VksCheckpoint *ckpt = vks_checkpoint_new ();
  vks_generator_config_to_metadata (cfg, ckpt);
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (cfg);
  for (guint i = 0; i < specs->len; i++) {
    const VksTensorSpec *spec = g_ptr_array_index (specs, i);
    vks_checkpoint_add_tensor (ckpt, spec->name, spec->ndim, spec->shape, NULL);
  }
  return ckpt;
}

static const VksTensorSpec *
find_spec (GPtrArray *specs, const char *name)
{
  for (guint i = 0; i < specs->len; i++)
    if (strcmp (((VksTensorSpec *) specs->pdata[i])->name, name) == 0)
      return specs->pdata[i];
  return NULL;
}

static void
assert_fails (const VksCheckpoint *ckpt, const char *expected)
{
  VksGeneratorConfig cfg;
  GError *error = NULL;
  g_assert_false (vks_generator_config_from_checkpoint (ckpt, &cfg, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("message: %s", error->message);
  if (strstr (error->message, expected) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, expected);
  g_error_free (error);
}

/* The state_dict of tools/cyclegan_torch.py's ResnetGenerator(ngf 8, 2 blocks, resize-conv):
 * Upsample at 12 and 16 has no tensors, Conv2d weights are [out, in, 3, 3]. */
static void
test_names (void)
{
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (&resize_conv);
  g_assert_cmpuint (specs->len, ==, 2 * (3 + 2 * 2 + 2 + 1));
  const struct { const char *name; int64_t d0, d1; } convs[] = {
    { "model.13.weight", 16, 32 }, { "model.17.weight", 8, 16 }, { "model.21.weight", 3, 8 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (convs); i++) {
    const VksTensorSpec *s = find_spec (specs, convs[i].name);
    g_assert_nonnull (s);
    g_assert_cmpint (s->shape[0], ==, convs[i].d0);
    g_assert_cmpint (s->shape[1], ==, convs[i].d1);
  }
  g_assert_nonnull (find_spec (specs, "model.13.bias"));
  g_assert_null (find_spec (specs, "model.12.weight"));
  g_assert_null (find_spec (specs, "model.19.weight"));
  g_assert_cmpint (vks_generator_head_index (&resize_conv), ==, 21);
  VksGeneratorConfig transposed = resize_conv;
  transposed.upsample = VKS_UPSAMPLE_TRANSPOSED;
  g_assert_cmpint (vks_generator_head_index (&transposed), ==, 19);
}

static void
test_round_trip (void)
{
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&resize_conv);
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "vkstyle.upsample"), ==, "resize-conv");
  VksGeneratorConfig got;
  GError *error = NULL;
  g_assert_true (vks_generator_config_from_checkpoint (ckpt, &got, &error));
  g_assert_no_error (error);
  g_assert_cmpint (got.upsample, ==, VKS_UPSAMPLE_RESIZE_CONV);
  g_assert_cmpint (got.n_blocks, ==, 2);
}

/* Checkpoints without the key (official conversions, every file before it existed) are
 * transposed, and writing a transposed config adds no key. */
static void
test_default (void)
{
  VksGeneratorConfig transposed = resize_conv;
  transposed.upsample = VKS_UPSAMPLE_TRANSPOSED;
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&transposed);
  g_assert_null (vks_checkpoint_get_metadata (ckpt, "vkstyle.upsample"));
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", "gen_ngf8_nb2.safetensors",
                                                 NULL);
  GError *error = NULL;
  g_autoptr (VksCheckpoint) old = vks_checkpoint_load_header (path, &error);
  g_assert_no_error (error);
  VksGeneratorConfig got = { .upsample = VKS_UPSAMPLE_RESIZE_CONV };
  g_assert_true (vks_generator_config_from_checkpoint (old, &got, &error));
  g_assert_no_error (error);
  g_assert_cmpint (got.upsample, ==, VKS_UPSAMPLE_TRANSPOSED);
  /* "transposed" spelt out reads the same */
  vks_checkpoint_set_metadata (old, "vkstyle.upsample", "transposed");
  g_assert_true (vks_generator_config_from_checkpoint (old, &got, &error));
  g_assert_cmpint (got.upsample, ==, VKS_UPSAMPLE_TRANSPOSED);
}

static void
test_bad (void)
{
  g_autoptr (VksCheckpoint) ckpt = checkpoint_for (&resize_conv);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.upsample", "bilinear");
  assert_fails (ckpt, "vkstyle.upsample is \"bilinear\", expected \"transposed\" or \"resize-conv\"");
  /* transposed tensors under a resize-conv label: the first missing tensor is named */
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", "gen_ngf8_nb2.safetensors",
                                                 NULL);
  g_autoptr (VksCheckpoint) old = vks_checkpoint_load_header (path, NULL);
  g_assert_nonnull (old);
  vks_checkpoint_set_metadata (old, "vkstyle.upsample", "resize-conv");
  assert_fails (old, "model.13.weight");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/upsample/names", test_names);
  g_test_add_func ("/upsample/round-trip", test_round_trip);
  g_test_add_func ("/upsample/default-transposed", test_default);
  g_test_add_func ("/upsample/bad-metadata", test_bad);
  return g_test_run ();
}
