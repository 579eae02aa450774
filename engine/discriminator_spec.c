/* The tensors a PatchGAN (NLayerDiscriminator) checkpoint holds, and its hyper-parameters in
 * metadata. Layer indices of nn.Sequential "model" (see discriminator_spec.h):
 *   0 conv in->ndf /2, 1 lrelu
 *   for k = 1 .. n_layers: 3k-1 conv, 3k norm, 3k+1 lrelu
 *   3*n_layers+2 conv -> 1
 * Instance norm (affine=False) has no tensors and its convs have a bias; batch norm has weight,
 * bias, running_mean and running_var and the convs before it have no bias. The first and the
 * last conv always have a bias.
 */
#include "engine/discriminator_spec.h"
#include "engine/error.h"

#include <string.h>

#define KEY_NDF "vkstyle.ndf"
#define KEY_N_LAYERS "vkstyle.n_layers"
#define KEY_INPUT_NC "vkstyle.input_nc"

#define LAYER_KERNEL 4
#define LAYER_PADDING 1
#define MAX_MULT 8 /* the reference caps the width at 8 * ndf */

static void
fill_layer (VksDiscriminatorLayer *layer, int index, int cin, int cout, int stride, gboolean norm,
            VksNormKind norm_kind)
{
  memset (layer, 0, sizeof *layer);
  layer->index = index;
  g_snprintf (layer->prefix, sizeof layer->prefix, "model.%d.", index);
  layer->cin = cin;
  layer->cout = cout;
  layer->kernel = LAYER_KERNEL;
  layer->stride = stride;
  layer->padding = LAYER_PADDING;
  layer->norm = norm;
  /* A batch norm's shift makes a bias before it redundant; the reference drops it. */
  layer->has_bias = !norm || norm_kind == VKS_NORM_INSTANCE;
  if (norm)
    g_snprintf (layer->norm_prefix, sizeof layer->norm_prefix, "model.%d.", index + 1);
}

int
vks_discriminator_layers (const VksDiscriminatorConfig *cfg,
                          VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS])
{
  g_return_val_if_fail (cfg != NULL && layers != NULL, 0);
  g_return_val_if_fail (cfg->n_layers >= 0 && cfg->n_layers <= VKS_DISCRIMINATOR_MAX_LAYERS, 0);
  int n = 0;
  fill_layer (&layers[n], 0, cfg->input_nc, cfg->ndf, 2, FALSE, cfg->norm);
  layers[n++].leaky_relu = TRUE;

  int mult = 1;
  /* n_layers 0 still gets the stride-1 conv, at mult 1 (the reference's loop bounds). */
  int last = MAX (cfg->n_layers, 1);
  for (int k = 1; k <= last; k++)
    {
      int prev = mult;
      mult = cfg->n_layers == 0 ? 1 : MIN (1 << k, MAX_MULT);
      fill_layer (&layers[n], 3 * k - 1, cfg->ndf * prev, cfg->ndf * mult, k < last ? 2 : 1, TRUE, cfg->norm);
      layers[n++].leaky_relu = TRUE;
    }
  fill_layer (&layers[n++], 3 * last + 2, cfg->ndf * mult, 1, 1, FALSE, cfg->norm);
  return n;
}

int
vks_discriminator_output_side (const VksDiscriminatorConfig *cfg, int in)
{
  g_return_val_if_fail (cfg != NULL, 0);
  VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS];
  int n = vks_discriminator_layers (cfg, layers);
  int side = in;
  for (int i = 0; i < n; i++)
    {
      int padded = side + 2 * layers[i].padding;
      if (padded < layers[i].kernel)
        return 0;
      side = (padded - layers[i].kernel) / layers[i].stride + 1;
    }
  return side;
}

GPtrArray *
vks_discriminator_expected_tensors (const VksDiscriminatorConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  GPtrArray *specs = vks_tensor_specs_new ();
  VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS];
  int n = vks_discriminator_layers (cfg, layers);
  for (int i = 0; i < n; i++)
    {
      const VksDiscriminatorLayer *l = &layers[i];
      vks_tensor_specs_add (specs, g_strdup_printf ("%sweight", l->prefix), 4, l->cout, l->cin, l->kernel, l->kernel);
      if (l->has_bias)
        vks_tensor_specs_add (specs, g_strdup_printf ("%sbias", l->prefix), 1, l->cout, 0, 0, 0);
      if (l->norm && cfg->norm == VKS_NORM_BATCH)
        {
          static const char *const norm_tensors[] = { "weight", "bias", "running_mean", "running_var" };
          for (gsize t = 0; t < G_N_ELEMENTS (norm_tensors); t++)
            vks_tensor_specs_add (specs, g_strdup_printf ("%s%s", l->norm_prefix, norm_tensors[t]), 1, l->cout, 0, 0, 0);
        }
    }
  return specs;
}

static gboolean
read_config (const VksCheckpoint *ckpt, VksDiscriminatorConfig *cfg, GError **error)
{
  return vks_metadata_check_arch (ckpt, VKS_ARCH_PATCHGAN_DISCRIMINATOR, "discriminator",
                                  "PatchGAN discriminator", error)
         && vks_metadata_read_norm (ckpt, &cfg->norm, error)
         && vks_metadata_read_int (ckpt, KEY_NDF, -1, 1, VKS_DISCRIMINATOR_MAX_NDF, &cfg->ndf, error)
         && vks_metadata_read_int (ckpt, KEY_N_LAYERS, -1, 0, VKS_DISCRIMINATOR_MAX_LAYERS,
                                   &cfg->n_layers, error)
         && vks_metadata_read_int (ckpt, KEY_INPUT_NC, 3, 1, 4, &cfg->input_nc, error);
}

static gboolean
check_tensors (const VksCheckpoint *ckpt, const VksDiscriminatorConfig *cfg, GError **error)
{
  g_autoptr (GPtrArray) specs = vks_discriminator_expected_tensors (cfg);
  g_autofree char *model = g_strdup_printf ("a discriminator with ndf=%d, n_layers=%d and %s norm",
                                            cfg->ndf, cfg->n_layers, vks_norm_name (cfg->norm));
  return vks_check_tensors (ckpt, specs, "discriminator", model, error);
}

gboolean
vks_discriminator_config_from_checkpoint (const VksCheckpoint *ckpt, VksDiscriminatorConfig *cfg,
                                          GError **error)
{
  g_return_val_if_fail (ckpt != NULL && cfg != NULL, FALSE);
  VksDiscriminatorConfig found;
  if (!read_config (ckpt, &found, error) || !check_tensors (ckpt, &found, error))
    return FALSE;
  *cfg = found;
  return TRUE;
}

void
vks_discriminator_config_to_metadata (const VksDiscriminatorConfig *cfg, VksCheckpoint *ckpt)
{
  g_return_if_fail (cfg != NULL && ckpt != NULL);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.arch", VKS_ARCH_PATCHGAN_DISCRIMINATOR);
  vks_metadata_set_int (ckpt, KEY_NDF, cfg->ndf);
  vks_metadata_set_int (ckpt, KEY_N_LAYERS, cfg->n_layers);
  vks_metadata_set_norm (ckpt, cfg->norm);
  vks_metadata_set_int (ckpt, KEY_INPUT_NC, cfg->input_nc);
}
