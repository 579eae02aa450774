/* The tensors a CycleGAN ResnetGenerator checkpoint holds, and its hyper-parameters in metadata.
 *
 * Layer indices of nn.Sequential "model" (pytorch-CycleGAN-and-pix2pix, no dropout, reflect
 * padding), nb = n_blocks:
 *   0 pad, 1 conv 7x7 in->ngf, 2 norm, 3 relu
 *   4 conv 3x3/2 ngf->2ngf, 5 norm, 6 relu, 7 conv 3x3/2 2ngf->4ngf, 8 norm, 9 relu
 *   10 .. 10+nb-1 ResnetBlock(4ngf): conv_block 0 pad, 1 conv, 2 norm, 3 relu, 4 pad, 5 conv, 6 norm
 *   10+nb convT 4ngf->2ngf, +1 norm, +2 relu, 10+nb+3 convT 2ngf->ngf, +4 norm, +5 relu
 *   10+nb+6 pad, 10+nb+7 conv 7x7 ngf->out (always with bias), 10+nb+8 tanh
 * Instance norm (affine=False) has no tensors and every conv has a bias ("use_bias"); batch norm
 * has weight, bias, running_mean, running_var and the convs before it have no bias.
 */
#include "engine/generator_spec.h"
#include "engine/error.h"

#include <string.h>

#define KEY_ARCH "vkstyle.arch"
#define KEY_NGF "vkstyle.ngf"
#define KEY_N_BLOCKS "vkstyle.n_blocks"
#define KEY_NORM "vkstyle.norm"
#define KEY_INPUT_NC "vkstyle.input_nc"
#define KEY_OUTPUT_NC "vkstyle.output_nc"

static void
spec_free (gpointer p)
{
  VksTensorSpec *spec = p;
  g_free ((char *) spec->name);
  g_free (spec);
}

static void
add_spec (GPtrArray *specs, char *name, int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
  VksTensorSpec *spec = g_new0 (VksTensorSpec, 1);
  spec->name = name; /* takes ownership */
  spec->ndim = ndim;
  spec->shape[0] = d0;
  spec->shape[1] = d1;
  spec->shape[2] = d2;
  spec->shape[3] = d3;
  g_ptr_array_add (specs, spec);
}

/* A conv (or transposed conv) with weight shape [d0, d1, k, k] whose output has `out` channels,
 * followed (unless `last`) by a norm layer at the next index of the same prefix. */
static void
add_conv (GPtrArray *specs, const VksGeneratorConfig *cfg, const char *prefix, int index,
          int64_t d0, int64_t d1, int k, int64_t out, gboolean last)
{
  gboolean batch = cfg->norm == VKS_NORM_BATCH;
  add_spec (specs, g_strdup_printf ("%s%d.weight", prefix, index), 4, d0, d1, k, k);
  if (!batch || last)
    add_spec (specs, g_strdup_printf ("%s%d.bias", prefix, index), 1, out, 0, 0, 0);
  if (batch && !last)
    {
      static const char *const norm_tensors[] = { "weight", "bias", "running_mean", "running_var" };
      for (gsize i = 0; i < G_N_ELEMENTS (norm_tensors); i++)
        add_spec (specs, g_strdup_printf ("%s%d.%s", prefix, index + 1, norm_tensors[i]), 1, out, 0, 0, 0);
    }
}

GPtrArray *
vks_generator_expected_tensors (const VksGeneratorConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  GPtrArray *specs = g_ptr_array_new_with_free_func (spec_free);
  const int64_t ngf = cfg->ngf, nb = cfg->n_blocks;

  add_conv (specs, cfg, "model.", 1, ngf, cfg->input_nc, 7, ngf, FALSE);
  add_conv (specs, cfg, "model.", 4, 2 * ngf, ngf, 3, 2 * ngf, FALSE);
  add_conv (specs, cfg, "model.", 7, 4 * ngf, 2 * ngf, 3, 4 * ngf, FALSE);
  for (int b = 0; b < cfg->n_blocks; b++)
    {
      g_autofree char *prefix = g_strdup_printf ("model.%d.conv_block.", 10 + b);
      add_conv (specs, cfg, prefix, 1, 4 * ngf, 4 * ngf, 3, 4 * ngf, FALSE);
      add_conv (specs, cfg, prefix, 5, 4 * ngf, 4 * ngf, 3, 4 * ngf, FALSE);
    }
  /* ConvTranspose2d weights are [in, out, k, k]. */
  add_conv (specs, cfg, "model.", (int) (10 + nb), 4 * ngf, 2 * ngf, 3, 2 * ngf, FALSE);
  add_conv (specs, cfg, "model.", (int) (13 + nb), 2 * ngf, ngf, 3, ngf, FALSE);
  add_conv (specs, cfg, "model.", (int) (17 + nb), cfg->output_nc, ngf, 7, cfg->output_nc, TRUE);
  return specs;
}

/* Plain decimal only ("64"): no sign, spaces, leading zeros or hex, so that a value means one
 * thing to every tool that reads the file. Missing keys take `fallback` (< 0: required). */
static gboolean
read_int (const VksCheckpoint *ckpt, const char *key, int fallback, int min, int max, int *out,
          GError **error)
{
  const char *s = vks_checkpoint_get_metadata (ckpt, key);
  if (s == NULL)
    {
      if (fallback >= 0)
        {
          *out = fallback;
          return TRUE;
        }
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "metadata lacks %s", key);
      return FALSE;
    }
  gsize len = strlen (s);
  gboolean digits = len > 0 && len <= 9 && (s[0] != '0' || len == 1);
  for (gsize i = 0; digits && i < len; i++)
    digits = g_ascii_isdigit (s[i]);
  if (!digits)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "metadata %s is \"%s\", not a whole number", key, s);
      return FALSE;
    }
  int value = (int) g_ascii_strtoll (s, NULL, 10);
  if (value < min || value > max)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "metadata %s is %d, it must be between %d and %d", key, value, min, max);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

static gboolean
read_config (const VksCheckpoint *ckpt, VksGeneratorConfig *cfg, GError **error)
{
  const char *arch = vks_checkpoint_get_metadata (ckpt, KEY_ARCH);
  if (arch == NULL)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "not a vkstyle generator: metadata lacks " KEY_ARCH);
      return FALSE;
    }
  if (strcmp (arch, VKS_ARCH_RESNET_GENERATOR) != 0)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "not a CycleGAN ResNet generator: " KEY_ARCH " is \"%s\", expected \"" VKS_ARCH_RESNET_GENERATOR "\"",
                   arch);
      return FALSE;
    }

  const char *norm = vks_checkpoint_get_metadata (ckpt, KEY_NORM);
  if (norm == NULL || strcmp (norm, "instance") == 0)
    cfg->norm = VKS_NORM_INSTANCE;
  else if (strcmp (norm, "batch") == 0)
    cfg->norm = VKS_NORM_BATCH;
  else
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "metadata " KEY_NORM " is \"%s\", expected \"instance\" or \"batch\"", norm);
      return FALSE;
    }

  return read_int (ckpt, KEY_NGF, -1, 1, 1024, &cfg->ngf, error)
         && read_int (ckpt, KEY_N_BLOCKS, -1, 0, 64, &cfg->n_blocks, error)
         && read_int (ckpt, KEY_INPUT_NC, 3, 1, 4, &cfg->input_nc, error)
         && read_int (ckpt, KEY_OUTPUT_NC, 3, 1, 4, &cfg->output_nc, error);
}

static gboolean
same_shape (const VksTensorSpec *spec, const VksCheckpointTensor *t)
{
  if (spec->ndim != t->ndim)
    return FALSE;
  for (int i = 0; i < spec->ndim; i++)
    if (spec->shape[i] != t->shape[i])
      return FALSE;
  return TRUE;
}

static gboolean
check_tensors (const VksCheckpoint *ckpt, const VksGeneratorConfig *cfg, GError **error)
{
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (cfg);
  g_autoptr (GHashTable) expected = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < specs->len; i++)
    {
      const VksTensorSpec *spec = g_ptr_array_index (specs, i);
      g_hash_table_add (expected, (gpointer) spec->name);
      const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, spec->name);
      g_autofree char *want = vks_format_shape (spec->ndim, spec->shape);
      if (t == NULL)
        {
          g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                       "tensor %s is missing; this model needs it with shape %s", spec->name, want);
          return FALSE;
        }
      if (!same_shape (spec, t))
        {
          g_autofree char *have = vks_format_shape (t->ndim, t->shape);
          g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                       "tensor %s has shape %s, this model needs %s", spec->name, have, want);
          return FALSE;
        }
    }

  for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++)
    {
      const VksCheckpointTensor *t = vks_checkpoint_tensor_at (ckpt, i);
      if (!g_hash_table_contains (expected, t->name))
        {
          g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                       "unexpected tensor %s: a generator with ngf=%d, n_blocks=%d and %s norm has no such tensor",
                       t->name, cfg->ngf, cfg->n_blocks, cfg->norm == VKS_NORM_BATCH ? "batch" : "instance");
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
vks_generator_config_from_checkpoint (const VksCheckpoint *ckpt, VksGeneratorConfig *cfg, GError **error)
{
  g_return_val_if_fail (ckpt != NULL && cfg != NULL, FALSE);
  VksGeneratorConfig found;
  if (!read_config (ckpt, &found, error) || !check_tensors (ckpt, &found, error))
    return FALSE;
  *cfg = found;
  return TRUE;
}

static void
set_int (VksCheckpoint *ckpt, const char *key, int value)
{
  char text[16];
  g_snprintf (text, sizeof text, "%d", value);
  vks_checkpoint_set_metadata (ckpt, key, text);
}

void
vks_generator_config_to_metadata (const VksGeneratorConfig *cfg, VksCheckpoint *ckpt)
{
  g_return_if_fail (cfg != NULL && ckpt != NULL);
  vks_checkpoint_set_metadata (ckpt, KEY_ARCH, VKS_ARCH_RESNET_GENERATOR);
  set_int (ckpt, KEY_NGF, cfg->ngf);
  set_int (ckpt, KEY_N_BLOCKS, cfg->n_blocks);
  vks_checkpoint_set_metadata (ckpt, KEY_NORM, cfg->norm == VKS_NORM_BATCH ? "batch" : "instance");
  set_int (ckpt, KEY_INPUT_NC, cfg->input_nc);
  set_int (ckpt, KEY_OUTPUT_NC, cfg->output_nc);
}
