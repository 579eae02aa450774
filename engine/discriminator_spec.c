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

#define KEY_ARCH "vkstyle.arch"
#define KEY_NDF "vkstyle.ndf"
#define KEY_N_LAYERS "vkstyle.n_layers"
#define KEY_NORM "vkstyle.norm"
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

GPtrArray *
vks_discriminator_expected_tensors (const VksDiscriminatorConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  GPtrArray *specs = g_ptr_array_new_with_free_func (spec_free);
  VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS];
  int n = vks_discriminator_layers (cfg, layers);
  for (int i = 0; i < n; i++)
    {
      const VksDiscriminatorLayer *l = &layers[i];
      add_spec (specs, g_strdup_printf ("%sweight", l->prefix), 4, l->cout, l->cin, l->kernel, l->kernel);
      if (l->has_bias)
        add_spec (specs, g_strdup_printf ("%sbias", l->prefix), 1, l->cout, 0, 0, 0);
      if (l->norm && cfg->norm == VKS_NORM_BATCH)
        {
          static const char *const norm_tensors[] = { "weight", "bias", "running_mean", "running_var" };
          for (gsize t = 0; t < G_N_ELEMENTS (norm_tensors); t++)
            add_spec (specs, g_strdup_printf ("%s%s", l->norm_prefix, norm_tensors[t]), 1, l->cout, 0, 0, 0);
        }
    }
  return specs;
}

/* Same rules as the generator's metadata (generator_spec.c): plain decimal only, so a value
 * means one thing to every tool; missing keys take `fallback` (< 0: required). */
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
read_config (const VksCheckpoint *ckpt, VksDiscriminatorConfig *cfg, GError **error)
{
  const char *arch = vks_checkpoint_get_metadata (ckpt, KEY_ARCH);
  if (arch == NULL)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "not a vkstyle discriminator: metadata lacks " KEY_ARCH);
      return FALSE;
    }
  if (strcmp (arch, VKS_ARCH_PATCHGAN_DISCRIMINATOR) != 0)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "not a PatchGAN discriminator: " KEY_ARCH " is \"%s\", expected \"" VKS_ARCH_PATCHGAN_DISCRIMINATOR "\"",
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

  return read_int (ckpt, KEY_NDF, -1, 1, VKS_DISCRIMINATOR_MAX_NDF, &cfg->ndf, error)
         && read_int (ckpt, KEY_N_LAYERS, -1, 0, VKS_DISCRIMINATOR_MAX_LAYERS, &cfg->n_layers, error)
         && read_int (ckpt, KEY_INPUT_NC, 3, 1, 4, &cfg->input_nc, error);
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
check_tensors (const VksCheckpoint *ckpt, const VksDiscriminatorConfig *cfg, GError **error)
{
  g_autoptr (GPtrArray) specs = vks_discriminator_expected_tensors (cfg);
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
                       "tensor %s is missing; this discriminator needs it with shape %s", spec->name, want);
          return FALSE;
        }
      if (!same_shape (spec, t))
        {
          g_autofree char *have = vks_format_shape (t->ndim, t->shape);
          g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                       "tensor %s has shape %s, this discriminator needs %s", spec->name, have, want);
          return FALSE;
        }
    }

  for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++)
    {
      const VksCheckpointTensor *t = vks_checkpoint_tensor_at (ckpt, i);
      if (!g_hash_table_contains (expected, t->name))
        {
          g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                       "unexpected tensor %s: a discriminator with ndf=%d, n_layers=%d and %s norm has no such tensor",
                       t->name, cfg->ndf, cfg->n_layers, cfg->norm == VKS_NORM_BATCH ? "batch" : "instance");
          return FALSE;
        }
    }
  return TRUE;
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

static void
set_int (VksCheckpoint *ckpt, const char *key, int value)
{
  char text[16];
  g_snprintf (text, sizeof text, "%d", value);
  vks_checkpoint_set_metadata (ckpt, key, text);
}

void
vks_discriminator_config_to_metadata (const VksDiscriminatorConfig *cfg, VksCheckpoint *ckpt)
{
  g_return_if_fail (cfg != NULL && ckpt != NULL);
  vks_checkpoint_set_metadata (ckpt, KEY_ARCH, VKS_ARCH_PATCHGAN_DISCRIMINATOR);
  set_int (ckpt, KEY_NDF, cfg->ndf);
  set_int (ckpt, KEY_N_LAYERS, cfg->n_layers);
  vks_checkpoint_set_metadata (ckpt, KEY_NORM, cfg->norm == VKS_NORM_BATCH ? "batch" : "instance");
  set_int (ckpt, KEY_INPUT_NC, cfg->input_nc);
}
