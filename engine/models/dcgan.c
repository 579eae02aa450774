/* The DCGAN / InfoGAN builders: each layer of dcgan_layers.h's table as a convolution, its norm
 * and its activation. Batch norm in training mode uses the batch's statistics and reports the
 * running statistics' updates (PyTorch's momentum 0.1, eps 1e-5); in evaluation mode the
 * generator uses the fused inference norm (one kernel, the texture source's hot path) and the
 * discriminator the differentiable one (a critic is differentiated inside the losses). */
#include "engine/models/dcgan_layers.h"

#include <stdarg.h>

#include "engine/nn/op.h"

#define BN_MOMENTUM 0.1f
#define NORM_EPS 1e-5f
#define LEAKY_SLOPE 0.2f

typedef struct {
  VksGraph *g;
  const char *prefix;
  gboolean training, fused_eval;
  GArray *updates;
} Builder;

/* The parameter named b->prefix + printf (format, ...): a state_dict key. */
#define param(b, shape, rank, ...) vks_param_printf ((b)->g, (b)->prefix, shape, rank, __VA_ARGS__)

static VksActivation
activation (VksGanAct act)
{
  switch (act) {
  case VKS_GAN_ACT_RELU: return VKS_ACT_RELU;
  case VKS_GAN_ACT_LEAKY: return VKS_ACT_LEAKY_RELU;
  case VKS_GAN_ACT_TANH: return VKS_ACT_TANH;
  default: return VKS_ACT_NONE;
  }
}

static VksNode
apply_act (Builder *b, VksNode x, VksGanAct act)
{
  switch (act) {
  case VKS_GAN_ACT_RELU: return vks_relu (b->g, x);
  case VKS_GAN_ACT_LEAKY: return vks_leaky_relu (b->g, x, LEAKY_SLOPE);
  case VKS_GAN_ACT_TANH: return vks_tanh (b->g, x);
  default: return x;
  }
}

static VksNode
batch_norm (Builder *b, const VksGanLayer *l, VksNode y)
{
  static const char *const names[] = { "weight", "bias", "running_mean", "running_var" };
  VksNode p[4];
  for (int i = 0; i < 4; i++)
    p[i] = param (b, vks_shape (1, 1, 1, l->cout), 1, "%s.%s", l->norm, names[i]);
  if (b->training) {
    VksBatchNorm bn = vks_batch_norm_train (b->g, y, p[0], p[1], p[2], p[3], BN_MOMENTUM,
                                            NORM_EPS);
    if (b->updates != NULL) {
      VksRunningUpdate u[2] = { { p[2], bn.running_mean }, { p[3], bn.running_var } };
      g_array_append_vals (b->updates, u, 2);
    }
    return apply_act (b, bn.y, l->act);
  }
  if (b->fused_eval) {
    VksNormAttrs a = { .act = activation (l->act), .slope = LEAKY_SLOPE, .eps = NORM_EPS };
    return vks_norm (b->g, y, &a, p, VKS_NONE);
  }
  return apply_act (b, vks_batch_norm_eval (b->g, y, p[0], p[1], p[2], p[3], NORM_EPS), l->act);
}

static VksNode
layer (Builder *b, const VksGanLayer *l, VksNode x)
{
  VksShape ws = l->transposed ? vks_shape (l->cin, l->cout, l->kernel, l->kernel)
                              : vks_shape (l->cout, l->cin, l->kernel, l->kernel);
  VksNode weight = param (b, ws, 4, "%s.weight", l->conv);
  VksNode bias = l->bias ? param (b, vks_shape (1, 1, 1, l->cout), 1, "%s.bias", l->conv)
                         : VKS_NONE;
  gboolean normed = l->norm[0] != '\0';
  VksConvAttrs a = {
    .stride = l->stride, .pad = l->pad, .transposed = l->transposed,
    .act = normed ? VKS_ACT_NONE : activation (l->act), .slope = LEAKY_SLOPE,
  };
  VksNode y = vks_conv2d (b->g, x, weight, bias, &a);
  if (!normed)
    return y;
  if (l->norm_kind == VKS_CRITIC_NORM_BATCH)
    return batch_norm (b, l, y);
  /* LayerNorm([c, h, w]): its weight has the native feature map's shape, so a layer-norm
   * critic takes image_size inputs only (the norm reports a clear shape error otherwise) */
  VksShape ps = vks_shape (1, l->cout, l->out_h, l->out_w);
  VksNode w = param (b, ps, 3, "%s.weight", l->norm), bb = param (b, ps, 3, "%s.bias", l->norm);
  return apply_act (b, vks_layer_norm (b->g, y, 3, w, bb, NORM_EPS), l->act);
}

VksNode
vks_dcgan_generator (VksGraph *g, VksNode z, const VksGanConfig *cfg, gboolean training,
                     const char *prefix, GArray *updates)
{
  VksGanLayer layers[VKS_GAN_MAX_LAYERS];
  int n = vks_gan_generator_layers (cfg, layers);
  if (n == 0)
    return vks_graph_fail (g, "dcgan: image_size must be 32, 64 or 128, not %d",
                           cfg->image_size);
  Builder b = { g, prefix, training, TRUE, updates };
  VksNode h = z;
  for (int i = 0; i < n; i++)
    h = layer (&b, &layers[i], h);
  return h;
}

VksGanCritic
vks_dcgan_discriminator (VksGraph *g, VksNode x, const VksGanConfig *cfg, gboolean training,
                         const char *prefix, GArray *updates)
{
  VksGanCritic out = { VKS_NONE, VKS_NONE, VKS_NONE, VKS_NONE, VKS_NONE };
  VksGanLayer layers[VKS_GAN_MAX_LAYERS];
  int n = vks_gan_discriminator_layers (cfg, layers);
  if (n == 0) {
    vks_graph_fail (g, "dcgan: image_size must be 32, 64 or 128, not %d", cfg->image_size);
    return out;
  }
  Builder b = { g, prefix, training, FALSE, updates };
  VksNode body = x, hidden = VKS_NONE;
  for (int i = 0; i < n; i++) {
    const VksGanLayer *l = &layers[i];
    switch (l->role) {
    case VKS_GAN_ROLE_CHAIN: body = layer (&b, l, body); break;
    case VKS_GAN_ROLE_HEAD_D: out.logit = layer (&b, l, body); break;
    case VKS_GAN_ROLE_Q_HIDDEN: hidden = layer (&b, l, body); break;
    case VKS_GAN_ROLE_Q_LOGITS: out.q_logits = layer (&b, l, hidden); break;
    case VKS_GAN_ROLE_Q_MEAN: out.q_mean = layer (&b, l, hidden); break;
    case VKS_GAN_ROLE_Q_LOGVAR:
      out.q_logvar = layer (&b, l, hidden);
      out.q_var = vks_exp (g, out.q_logvar);
      break;
    }
  }
  return out;
}

void
vks_running_updates_chain (VksGraph *g, GArray *dst, const GArray *first, const GArray *second,
                           float momentum)
{
  for (guint i = 0; i < first->len; i++) {
    VksRunningUpdate a = g_array_index (first, VksRunningUpdate, i);
    VksRunningUpdate b = g_array_index (second, VksRunningUpdate, i);
    VksNode moved = vks_scale (g, vks_sub (g, a.value, a.param), 1.0f - momentum);
    VksRunningUpdate u = { a.param, vks_add (g, b.value, moved) };
    g_array_append_val (dst, u);
  }
}
