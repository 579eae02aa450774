#include "engine/models/cyclegan.h"

#include <stdarg.h>

typedef struct {
  VksGraph *g;
  const VksGeneratorConfig *cfg;
} Builder;

static VksNode
param (Builder *b, VksShape shape, const char *format, ...) G_GNUC_PRINTF (3, 4);

static VksNode
param (Builder *b, VksShape shape, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *name = g_strdup_vprintf (format, args);
  va_end (args);
  return vks_param (b->g, name, shape);
}

/* model.<index> (or <prefix><index>) conv, then the norm at index + 1 with its activation and
 * residual. Transposed convolutions' weights are [cin][cout][k][k]. */
static VksNode
conv_norm (Builder *b, VksNode x, const char *prefix, int index, int cin, int cout, int k,
           const VksConvAttrs *a, VksActivation act, VksNode residual)
{
  gboolean batch = b->cfg->norm == VKS_NORM_BATCH;
  VksShape w = a->transposed ? vks_shape (cin, cout, k, k) : vks_shape (cout, cin, k, k);
  VksNode weight = param (b, w, "%s%d.weight", prefix, index);
  VksNode bias = batch ? VKS_NONE : param (b, vks_shape (1, 1, 1, cout), "%s%d.bias", prefix,
                                           index);
  VksNode y = vks_conv2d (b->g, x, weight, bias, a);
  if (!batch)
    return vks_instance_norm (b->g, y, act, residual);
  static const char *const names[] = { "weight", "bias", "running_mean", "running_var" };
  VksNode params[4];
  for (int i = 0; i < 4; i++)
    params[i] = param (b, vks_shape (1, 1, 1, cout), "%s%d.%s", prefix, index + 1, names[i]);
  VksNormAttrs n = { .instance = FALSE, .act = act, .eps = 1e-5f };
  return vks_norm (b->g, y, &n, params, residual);
}

VksNode
vks_cyclegan_generator (VksGraph *g, VksNode x, const VksGeneratorConfig *cfg)
{
  Builder b = { g, cfg };
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
  h = conv_norm (&b, h, "model.", 10 + nb, 4 * ngf, 2 * ngf, 3, &up, VKS_ACT_RELU, VKS_NONE);
  h = conv_norm (&b, h, "model.", 13 + nb, 2 * ngf, ngf, 3, &up, VKS_ACT_RELU, VKS_NONE);
  VksConvAttrs out = c7;
  out.act = VKS_ACT_TANH;
  return vks_conv2d (g, h, param (&b, vks_shape (cfg->output_nc, ngf, 7, 7), "model.%d.weight",
                                  17 + nb),
                     param (&b, vks_shape (1, 1, 1, cfg->output_nc), "model.%d.bias", 17 + nb),
                     &out);
}
