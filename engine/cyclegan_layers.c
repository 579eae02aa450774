#include "engine/cyclegan_layers.h"

static void
set_layer (VksNetLayer *l, char *prefix, VksConvDesc conv, gboolean norm, VksActivation act,
           float slope, int residual_from)
{
  l->weight_key = g_strconcat (prefix, ".weight", NULL);
  l->bias_key = g_strconcat (prefix, ".bias", NULL);
  l->conv = conv;
  l->norm = norm;
  l->act = act;
  l->slope = slope;
  l->residual_from = residual_from;
  g_free (prefix);
}

/* Training convolutions do not take Winograd (the only ones it would apply to are the 3x3
 * stride-1 ones): against a float64 run its F(4x4, 3x3) forward is 3.8x and its input gradient
 * 10x further off than PyTorch float32, while im2col+GEMM matches PyTorch's forward and is
 * within 2.8x of its input gradient like every other path (bench-grad-error, docs/performance.md
 * "Gradient error"). Inference (generator.c) keeps Winograd, where the error does not compound. */
static VksConvDesc
conv_desc (int cin, int cout, int k, int stride, int pad, gboolean reflect, gboolean transposed)
{
  gboolean winograd_shape = k == 3 && stride == 1 && !transposed;
  return (VksConvDesc) { .cin = cin, .cout = cout, .kh = k, .kw = k, .stride = stride, .pad = pad,
                         .reflect = reflect, .transposed = transposed,
                         .output_pad = transposed ? 1 : 0,
                         .algo = winograd_shape ? VKS_CONV_DIRECT : VKS_CONV_AUTO };
}

VksNetLayer *
vks_generator_net_layers (const VksGeneratorConfig *c, int *n_layers)
{
  int nb = c->n_blocks, ngf = c->ngf, n = 0;
  VksNetLayer *l = g_new0 (VksNetLayer, 6 + 2 * nb);
  set_layer (&l[n++], g_strdup ("model.1"), conv_desc (c->input_nc, ngf, 7, 1, 3, TRUE, FALSE),
             TRUE, VKS_ACT_RELU, 0, -1);
  set_layer (&l[n++], g_strdup ("model.4"), conv_desc (ngf, 2 * ngf, 3, 2, 1, FALSE, FALSE),
             TRUE, VKS_ACT_RELU, 0, -1);
  set_layer (&l[n++], g_strdup ("model.7"), conv_desc (2 * ngf, 4 * ngf, 3, 2, 1, FALSE, FALSE),
             TRUE, VKS_ACT_RELU, 0, -1);
  for (int b = 0; b < nb; b++) {
    int start = n;
    set_layer (&l[n++], g_strdup_printf ("model.%d.conv_block.1", 10 + b),
               conv_desc (4 * ngf, 4 * ngf, 3, 1, 1, TRUE, FALSE), TRUE, VKS_ACT_RELU, 0, -1);
    set_layer (&l[n++], g_strdup_printf ("model.%d.conv_block.5", 10 + b),
               conv_desc (4 * ngf, 4 * ngf, 3, 1, 1, TRUE, FALSE), TRUE, VKS_ACT_NONE, 0, start);
  }
  for (int u = 0; u < 2; u++) {
    int cin = (4 >> u) * ngf;
    set_layer (&l[n++], g_strdup_printf ("model.%d", 10 + nb + 3 * u),
               conv_desc (cin, cin / 2, 3, 2, 1, FALSE, TRUE), TRUE, VKS_ACT_RELU, 0, -1);
  }
  VksConvDesc last = conv_desc (ngf, c->output_nc, 7, 1, 3, TRUE, FALSE);
  last.act = VKS_ACT_TANH;
  set_layer (&l[n++], g_strdup_printf ("model.%d", 17 + nb), last, FALSE, VKS_ACT_NONE, 0, -1);
  *n_layers = n;
  return l;
}

VksNetLayer *
vks_patchgan_net_layers (const VksDiscriminatorConfig *cfg, int *n_layers)
{
  VksDiscriminatorLayer d[VKS_DISCRIMINATOR_MAX_CONVS];
  int n = vks_discriminator_layers (cfg, d);
  VksNetLayer *l = g_new0 (VksNetLayer, n);
  for (int i = 0; i < n; i++) {
    VksConvDesc conv = conv_desc (d[i].cin, d[i].cout, d[i].kernel, d[i].stride, d[i].padding,
                                  FALSE, FALSE);
    VksActivation act = d[i].leaky_relu ? VKS_ACT_LEAKY_RELU : VKS_ACT_NONE;
    if (!d[i].norm) {
      conv.act = act;
      conv.slope = 0.2f;
    }
    set_layer (&l[i], g_strdup_printf ("model.%d", d[i].index), conv, d[i].norm,
               d[i].norm ? act : VKS_ACT_NONE, 0.2f, -1);
    if (!d[i].has_bias)
      g_clear_pointer (&l[i].bias_key, g_free);
  }
  *n_layers = n;
  return l;
}
