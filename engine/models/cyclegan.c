#include "engine/models/cyclegan.h"

#include <stdarg.h>

typedef struct {
  VksGraph *g;
  VksNormKind norm;
  const char *prefix;      /* of every parameter name */
  VksInstanceNormHook hook;  /* or NULL */
  gpointer hook_data;
} Builder;

static VksNode
param (Builder *b, VksShape shape, const char *format, ...) G_GNUC_PRINTF (3, 4);

static VksNode
param (Builder *b, VksShape shape, const char *format, ...)
{
  /* every 4-D parameter here is a convolution weight, also one with a single output channel
   * ([1][cin][k][k], which vks_param would take for 3-D); the others are per-channel vectors */
  gboolean vector = shape.n == 1 && shape.c == 1 && shape.h == 1;
  va_list args;
  va_start (args, format);
  VksNode node = vks_param_vprintf (b->g, b->prefix, shape, vector ? 1 : 4, format, args);
  va_end (args);
  return node;
}

/* model.<index> (or <prefix><index>) conv, then the norm at index + 1 with its activation and
 * residual. Transposed convolutions' weights are [cin][cout][k][k]. */
static VksNode
conv_norm (Builder *b, VksNode x, const char *prefix, int index, int cin, int cout, int k,
           const VksConvAttrs *a, VksActivation act, VksNode residual)
{
  gboolean batch = b->norm == VKS_NORM_BATCH;
  VksShape w = a->transposed ? vks_shape (cin, cout, k, k) : vks_shape (cout, cin, k, k);
  VksNode weight = param (b, w, "%s%d.weight", prefix, index);
  VksNode bias = batch ? VKS_NONE : param (b, vks_shape (1, 1, 1, cout), "%s%d.bias", prefix,
                                           index);
  VksNode y = vks_conv2d (b->g, x, weight, bias, a);
  /* the discriminator's LeakyReLU slope; ReLU ignores it */
  VksNormAttrs n = { .instance = !batch, .act = act, .slope = 0.2f, .eps = 1e-5f };
  if (!batch && b->hook != NULL)
    return b->hook (b->g, y, act, residual, b->hook_data);
  if (!batch)
    return vks_norm (b->g, y, &n, NULL, residual);
  static const char *const names[] = { "weight", "bias", "running_mean", "running_var" };
  VksNode params[4];
  for (int i = 0; i < 4; i++)
    params[i] = param (b, vks_shape (1, 1, 1, cout), "%s%d.%s", prefix, index + 1, names[i]);
  return vks_norm (b->g, y, &n, params, residual);
}

VksNode
vks_cyclegan_generator (VksGraph *g, VksNode x, const VksGeneratorConfig *cfg, const char *prefix)
{
  return vks_cyclegan_generator_hooked (g, x, cfg, prefix, NULL, NULL);
}

VksNode
vks_cyclegan_generator_hooked (VksGraph *g, VksNode x, const VksGeneratorConfig *cfg,
                               const char *prefix, VksInstanceNormHook hook, gpointer hook_data)
{
  Builder b = { g, cfg->norm, prefix, hook, hook_data };
  int ngf = cfg->ngf;
  const VksConvAttrs c7 = { .stride = 1, .pad = 3, .reflect = TRUE };
  const VksConvAttrs down = { .stride = 2, .pad = 1 };
  const VksConvAttrs block = { .stride = 1, .pad = 1, .reflect = TRUE };
  const VksConvAttrs up = { .stride = 2, .pad = 1, .transposed = TRUE, .output_pad = 1 };
  VksNode h = conv_norm (&b, x, "model.", 1, cfg->input_nc, ngf, 7, &c7, VKS_ACT_RELU, VKS_NONE);
  h = conv_norm (&b, h, "model.", 4, ngf, 2 * ngf, 3, &down, VKS_ACT_RELU, VKS_NONE);
  h = conv_norm (&b, h, "model.", 7, 2 * ngf, 4 * ngf, 3, &down, VKS_ACT_RELU, VKS_NONE);
  for (int i = 0; i < cfg->n_blocks; i++) {
    g_autofree char *prefix = g_strdup_printf ("model.%d.conv_block.", 10 + i);
    VksNode r = conv_norm (&b, h, prefix, 1, 4 * ngf, 4 * ngf, 3, &block, VKS_ACT_RELU, VKS_NONE);
    h = conv_norm (&b, r, prefix, 5, 4 * ngf, 4 * ngf, 3, &block, VKS_ACT_NONE, h);
  }
  int nb = cfg->n_blocks;
  if (cfg->upsample == VKS_UPSAMPLE_RESIZE_CONV) {
    /* nearest x2 then a zero-padded 3x3 conv: every output pixel sees the same number of taps */
    const VksConvAttrs resized = { .stride = 1, .pad = 1 };
    h = conv_norm (&b, vks_upsample2 (g, h), "model.", 11 + nb, 4 * ngf, 2 * ngf, 3, &resized,
                   VKS_ACT_RELU, VKS_NONE);
    h = conv_norm (&b, vks_upsample2 (g, h), "model.", 15 + nb, 2 * ngf, ngf, 3, &resized,
                   VKS_ACT_RELU, VKS_NONE);
  } else {
    h = conv_norm (&b, h, "model.", 10 + nb, 4 * ngf, 2 * ngf, 3, &up, VKS_ACT_RELU, VKS_NONE);
    h = conv_norm (&b, h, "model.", 13 + nb, 2 * ngf, ngf, 3, &up, VKS_ACT_RELU, VKS_NONE);
  }
  int head = vks_generator_head_index (cfg);
  VksConvAttrs out = c7;
  out.act = VKS_ACT_TANH;
  return vks_conv2d (g, h, param (&b, vks_shape (cfg->output_nc, ngf, 7, 7), "model.%d.weight",
                                  head),
                     param (&b, vks_shape (1, 1, 1, cfg->output_nc), "model.%d.bias", head),
                     &out);
}

/* The layer list is discriminator_spec.c's, the one description of the PatchGAN's layout. */
VksNode
vks_patchgan_discriminator (VksGraph *g, VksNode x, const VksDiscriminatorConfig *cfg,
                            const char *prefix)
{
  Builder b = { g, cfg->norm, prefix, NULL, NULL };
  VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS];
  int n = vks_discriminator_layers (cfg, layers);
  VksNode h = x;
  for (int i = 0; i < n; i++) {
    const VksDiscriminatorLayer *l = &layers[i];
    VksConvAttrs a = { .stride = l->stride, .pad = l->padding };
    if (!l->norm) {
      a.act = l->leaky_relu ? VKS_ACT_LEAKY_RELU : VKS_ACT_NONE;
      a.slope = 0.2f;
      h = vks_conv2d (g, h, param (&b, vks_shape (l->cout, l->cin, l->kernel, l->kernel),
                                   "model.%d.weight", l->index),
                      param (&b, vks_shape (1, 1, 1, l->cout), "model.%d.bias", l->index), &a);
    } else {
      h = conv_norm (&b, h, "model.", l->index, l->cin, l->cout, l->kernel, &a,
                     VKS_ACT_LEAKY_RELU, VKS_NONE);
    }
  }
  return h;
}
