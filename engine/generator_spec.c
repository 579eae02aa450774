/* The tensors a CycleGAN ResnetGenerator checkpoint holds, and its hyper-parameters in metadata.
 *
 * Layer indices of nn.Sequential "model" (pytorch-CycleGAN-and-pix2pix, no dropout, reflect
 * padding), nb = n_blocks:
 *   0 pad, 1 conv 7x7 in->ngf, 2 norm, 3 relu
 *   4 conv 3x3/2 ngf->2ngf, 5 norm, 6 relu, 7 conv 3x3/2 2ngf->4ngf, 8 norm, 9 relu
 *   10 .. 10+nb-1 ResnetBlock(4ngf): conv_block 0 pad, 1 conv, 2 norm, 3 relu, 4 pad, 5 conv, 6 norm
 *   10+nb convT 4ngf->2ngf, +1 norm, +2 relu, 10+nb+3 convT 2ngf->ngf, +4 norm, +5 relu
 *   10+nb+6 pad, 10+nb+7 conv 7x7 ngf->out (always with bias), 10+nb+8 tanh
 * With vkstyle.upsample = "resize-conv" each convT is nn.Upsample (no tensors) + Conv2d 3x3 p1,
 * one index more each, so the tail is:
 *   10+nb upsample, +1 conv 4ngf->2ngf, +2 norm, +3 relu, +4 upsample, +5 conv 2ngf->ngf,
 *   +6 norm, +7 relu, +8 pad, 10+nb+9 conv 7x7 ngf->out, +10 tanh
 * (conv weights [out, in, 3, 3], where a convT's are [in, out, 3, 3]).
 * Instance norm (affine=False) has no tensors and every conv has a bias ("use_bias"); batch norm
 * has weight, bias, running_mean, running_var and the convs before it have no bias.
 */
#include "engine/generator_spec.h"
#include "engine/error.h"

#include <string.h>


#define KEY_NGF "vkstyle.ngf"
#define KEY_N_BLOCKS "vkstyle.n_blocks"
#define KEY_INPUT_NC "vkstyle.input_nc"
#define KEY_OUTPUT_NC "vkstyle.output_nc"
#define KEY_UPSAMPLE "vkstyle.upsample"

static const char *const upsample_names[] = {
  [VKS_UPSAMPLE_TRANSPOSED] = "transposed",
  [VKS_UPSAMPLE_RESIZE_CONV] = "resize-conv",
};

const char *
vks_upsample_name (VksUpsample upsample)
{
  g_return_val_if_fail ((guint) upsample < G_N_ELEMENTS (upsample_names), NULL);
  return upsample_names[upsample];
}

gboolean
vks_upsample_from_name (const char *name, VksUpsample *upsample)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (upsample_names); i++)
    if (strcmp (name, upsample_names[i]) == 0) {
      *upsample = (VksUpsample) i;
      return TRUE;
    }
  return FALSE;
}

/* A conv (or transposed conv) with weight shape [d0, d1, k, k] whose output has `out` channels,
 * followed (unless `last`) by a norm layer at the next index of the same prefix. */
static void
add_conv (GPtrArray *specs, const VksGeneratorConfig *cfg, const char *prefix, int index,
          int64_t d0, int64_t d1, int k, int64_t out, gboolean last)
{
  gboolean batch = cfg->norm == VKS_NORM_BATCH;
  vks_tensor_specs_add (specs, g_strdup_printf ("%s%d.weight", prefix, index), 4, d0, d1, k, k);
  if (!batch || last)
    vks_tensor_specs_add (specs, g_strdup_printf ("%s%d.bias", prefix, index), 1, out, 0, 0, 0);
  if (batch && !last)
    {
      static const char *const norm_tensors[] = { "weight", "bias", "running_mean", "running_var" };
      for (gsize i = 0; i < G_N_ELEMENTS (norm_tensors); i++)
        vks_tensor_specs_add (specs, g_strdup_printf ("%s%d.%s", prefix, index + 1, norm_tensors[i]), 1, out, 0, 0, 0);
    }
}

GPtrArray *
vks_generator_expected_tensors (const VksGeneratorConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  GPtrArray *specs = vks_tensor_specs_new ();
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
  if (cfg->upsample == VKS_UPSAMPLE_RESIZE_CONV)
    {
      add_conv (specs, cfg, "model.", (int) (11 + nb), 2 * ngf, 4 * ngf, 3, 2 * ngf, FALSE);
      add_conv (specs, cfg, "model.", (int) (15 + nb), ngf, 2 * ngf, 3, ngf, FALSE);
    }
  else
    {
      /* ConvTranspose2d weights are [in, out, k, k]. */
      add_conv (specs, cfg, "model.", (int) (10 + nb), 4 * ngf, 2 * ngf, 3, 2 * ngf, FALSE);
      add_conv (specs, cfg, "model.", (int) (13 + nb), 2 * ngf, ngf, 3, ngf, FALSE);
    }
  add_conv (specs, cfg, "model.", vks_generator_head_index (cfg), cfg->output_nc, ngf, 7,
            cfg->output_nc, TRUE);
  return specs;
}

int
vks_generator_head_index (const VksGeneratorConfig *cfg)
{
  return 10 + cfg->n_blocks + (cfg->upsample == VKS_UPSAMPLE_RESIZE_CONV ? 9 : 7);
}

static gboolean
read_upsample (const VksCheckpoint *ckpt, VksUpsample *upsample, GError **error)
{
  const char *s = vks_checkpoint_get_metadata (ckpt, KEY_UPSAMPLE);
  if (s == NULL) {
    *upsample = VKS_UPSAMPLE_TRANSPOSED;
    return TRUE;
  }
  if (vks_upsample_from_name (s, upsample))
    return TRUE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
               "metadata " KEY_UPSAMPLE " is \"%s\", expected \"transposed\" or \"resize-conv\"",
               s);
  return FALSE;
}

static gboolean
read_config (const VksCheckpoint *ckpt, VksGeneratorConfig *cfg, GError **error)
{
  return vks_metadata_check_arch (ckpt, VKS_ARCH_RESNET_GENERATOR, "generator",
                                  "CycleGAN ResNet generator", error)
         && vks_metadata_read_norm (ckpt, &cfg->norm, error)
         && vks_metadata_read_int (ckpt, KEY_NGF, -1, 1, 1024, &cfg->ngf, error)
         && vks_metadata_read_int (ckpt, KEY_N_BLOCKS, -1, 0, 64, &cfg->n_blocks, error)
         && vks_metadata_read_int (ckpt, KEY_INPUT_NC, 3, 1, 4, &cfg->input_nc, error)
         && vks_metadata_read_int (ckpt, KEY_OUTPUT_NC, 3, 1, 4, &cfg->output_nc, error)
         && read_upsample (ckpt, &cfg->upsample, error);
}

static gboolean
check_tensors (const VksCheckpoint *ckpt, const VksGeneratorConfig *cfg, GError **error)
{
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (cfg);
  g_autofree char *model = g_strdup_printf ("a generator with ngf=%d, n_blocks=%d, %s norm and "
                                            "%s up-sampling", cfg->ngf, cfg->n_blocks,
                                            vks_norm_name (cfg->norm),
                                            vks_upsample_name (cfg->upsample));
  return vks_check_tensors (ckpt, specs, "model", model, error);
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

void
vks_generator_config_to_metadata (const VksGeneratorConfig *cfg, VksCheckpoint *ckpt)
{
  g_return_if_fail (cfg != NULL && ckpt != NULL);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.arch", VKS_ARCH_RESNET_GENERATOR);
  vks_metadata_set_int (ckpt, KEY_NGF, cfg->ngf);
  vks_metadata_set_int (ckpt, KEY_N_BLOCKS, cfg->n_blocks);
  vks_metadata_set_norm (ckpt, cfg->norm);
  vks_metadata_set_int (ckpt, KEY_INPUT_NC, cfg->input_nc);
  vks_metadata_set_int (ckpt, KEY_OUTPUT_NC, cfg->output_nc);
  if (cfg->upsample != VKS_UPSAMPLE_TRANSPOSED)
    vks_checkpoint_set_metadata (ckpt, KEY_UPSAMPLE, vks_upsample_name (cfg->upsample));
}
