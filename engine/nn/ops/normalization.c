/* Normalisations as PyTorch defines them (biased variance, eps inside the square root). Layer,
 * group and batch norm are composed of sums, broadcasts and element-wise nodes: their gradients
 * (any order) come from those ops' rules, and there is no kernel to keep in step with a backward
 * kernel. AdaIN's instance norm is the fused NORM op (ops/norm.c: one dispatch, a fused
 * first-order gradient), which is all StarGAN v2's generator needs.
 *
 * Cost: normalize() is 9 dispatches (mean: sum + scale; x - mean; its square; mean again;
 * + eps; rsqrt; the product) reading the full tensor 4 times, plus 2 for an affine transform;
 * fused statistics and apply kernels (as the NORM op has for instance and inference batch norm)
 * would take 2 dispatches and 2 passes, once these norms show up in a model's profile. */
#include "engine/nn/ops/ops.h"

/* (x - mean) / sqrt(var + eps) with the statistics over the dimensions where `stats` is 1;
 * mean and var (biased) are returned in the shape `stats` when asked for. */
static VksNode
normalize (VksGraph *g, VksNode x, VksShape stats, float eps, VksNode *mean_out,
           VksNode *var_out)
{
  VksNode mean = vks_mean_to (g, x, stats);
  VksNode centred = vks_sub (g, x, mean);
  VksNode var = vks_mean_to (g, vks_square (g, centred), stats);
  if (mean_out != NULL)
    *mean_out = mean;
  if (var_out != NULL)
    *var_out = var;
  return vks_mul (g, centred, vks_rsqrt (g, vks_add_scalar (g, var, eps)));
}

/* A per-channel parameter given as [c] (the checkpoint's [1][1][1][c]) or as [1][c][1][1], in
 * the shape that broadcasts over [n][c][h][w] (a view: parameters are DENSE). */
static VksNode
per_channel (VksGraph *g, VksNode p, int c, const char *what)
{
  if (p == VKS_NONE || !vks_graph_ok (g, &p, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, p), want = vks_shape (1, c, 1, 1);
  if (!vks_shape_equal (s, vks_shape (1, 1, 1, c)) && !vks_shape_equal (s, want))
    return vks_graph_fail (g, "%s: a per-channel tensor of %d must be [1, 1, 1, %d] or "
                           "[1, %d, 1, 1], not [%d, %d, %d, %d]", what, c, c, c, s.n, s.c, s.h,
                           s.w);
  return vks_reshape (g, p, want);
}

/* y * weight + bias, either VKS_NONE for none. */
static VksNode
affine (VksGraph *g, VksNode y, VksNode weight, VksNode bias)
{
  if (weight != VKS_NONE)
    y = vks_mul (g, y, weight);
  return bias == VKS_NONE ? y : vks_add (g, y, bias);
}

VksNode
vks_layer_norm (VksGraph *g, VksNode x, int n_dims, VksNode weight, VksNode bias, float eps)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  if (n_dims < 1 || n_dims > 3)
    return vks_graph_fail (g, "layer_norm: normalises 1 to 3 trailing dimensions, not %d",
                           n_dims);
  int d[4] = { s.n, s.c, s.h, s.w }, p[4] = { 1, 1, 1, 1 };
  for (int i = 4 - n_dims; i < 4; i++) {
    p[i] = d[i];
    d[i] = 1;
  }
  VksShape param = vks_shape (p[0], p[1], p[2], p[3]);
  VksNode in[2] = { weight, bias };
  for (int i = 0; i < 2; i++)
    if (in[i] != VKS_NONE && vks_graph_ok (g, &in[i], 1) &&
        !vks_shape_equal (vks_graph_shape (g, in[i]), param))
      return vks_graph_fail (g, "layer_norm: weight and bias must be [%d, %d, %d, %d]", p[0],
                             p[1], p[2], p[3]);
  VksNode y = normalize (g, x, vks_shape (d[0], d[1], d[2], d[3]), eps, NULL, NULL);
  return affine (g, y, weight, bias);
}

VksNode
vks_group_norm (VksGraph *g, VksNode x, int groups, VksNode weight, VksNode bias, float eps)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  if (groups < 1 || s.c % groups != 0)
    return vks_graph_fail (g, "group_norm: %d channels do not split into %d groups", s.c,
                           groups);
  /* Each group's channels and rows as one dimension, w as the other: both stay short enough
   * for sum_to's loops on large images. */
  VksNode grouped = vks_reshape (g, x, vks_shape (s.n, groups, s.c / groups * s.h, s.w));
  VksNode y = normalize (g, grouped, vks_shape (s.n, groups, 1, 1), eps, NULL, NULL);
  y = vks_reshape (g, y, s);
  return affine (g, y, per_channel (g, weight, s.c, "group_norm"),
                 per_channel (g, bias, s.c, "group_norm"));
}

VksNode
vks_adain (VksGraph *g, VksNode x, VksNode gamma, VksNode beta, float eps)
{
  VksNode in[3] = { x, gamma, beta };
  if (!vks_graph_ok (g, in, 3))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x), stats = vks_shape (s.n, s.c, 1, 1);
  if (!vks_shape_equal (vks_graph_shape (g, gamma), stats) ||
      !vks_shape_equal (vks_graph_shape (g, beta), stats))
    return vks_graph_fail (g, "adain: gamma and beta must be [%d, %d, 1, 1]", s.n, s.c);
  VksNormAttrs a = { .instance = TRUE, .act = VKS_ACT_NONE, .eps = eps };
  VksNode y = vks_norm (g, x, &a, NULL, VKS_NONE);
  return vks_add (g, vks_mul (g, y, vks_add_scalar (g, gamma, 1.0f)), beta);
}

VksNode
vks_adain_style (VksGraph *g, VksNode x, VksNode style, VksNode fc_weight, VksNode fc_bias,
                 float eps)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  /* h = fc(s).view(n, 2c, 1, 1); gamma, beta = chunk(h, 2, dim=1) */
  VksNode h = vks_reshape (g, vks_linear (g, style, fc_weight, fc_bias),
                           vks_shape (s.n, 2 * s.c, 1, 1));
  return vks_adain (g, x, vks_slice_channels (g, h, 0, s.c), vks_slice_channels (g, h, s.c, s.c),
                    eps);
}

VksBatchNorm
vks_batch_norm_train (VksGraph *g, VksNode x, VksNode weight, VksNode bias, VksNode running_mean,
                      VksNode running_var, float momentum, float eps)
{
  VksBatchNorm out = { VKS_NONE, VKS_NONE, VKS_NONE };
  if (!vks_graph_ok (g, &x, 1))
    return out;
  VksShape s = vks_graph_shape (g, x);
  long count = (long) s.n * s.h * s.w;
  if (count < 2) {
    vks_graph_fail (g, "batch_norm: training needs more than one value per channel");
    return out;
  }
  VksNode mean, var;
  out.y = affine (g, normalize (g, x, vks_shape (1, s.c, 1, 1), eps, &mean, &var),
                  per_channel (g, weight, s.c, "batch_norm"),
                  per_channel (g, bias, s.c, "batch_norm"));
  /* running = (1 - momentum) running + momentum batch, the variance unbiased as PyTorch keeps
   * it; in the running statistics' own shape */
  VksNode stats[2] = { running_mean, running_var }, batch[2] = { mean, var }, *dst[2] = {
    &out.running_mean, &out.running_var };
  float factor[2] = { momentum, (float) (momentum * count / (count - 1.0)) };
  for (int i = 0; i < 2; i++) {
    VksNode r = per_channel (g, stats[i], s.c, "batch_norm");
    if (r == VKS_NONE)
      continue;
    VksNode next = vks_add (g, vks_scale (g, r, 1 - momentum), vks_scale (g, batch[i], factor[i]));
    *dst[i] = vks_reshape (g, next, vks_graph_shape (g, stats[i]));
  }
  return out;
}

VksNode
vks_batch_norm_eval (VksGraph *g, VksNode x, VksNode weight, VksNode bias, VksNode running_mean,
                     VksNode running_var, float eps)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  int c = vks_graph_shape (g, x).c;
  VksNode mean = per_channel (g, running_mean, c, "batch_norm");
  VksNode var = per_channel (g, running_var, c, "batch_norm");
  if (mean == VKS_NONE || var == VKS_NONE)
    return vks_graph_fail (g, "batch_norm: evaluation needs the running statistics");
  VksNode y = vks_mul (g, vks_sub (g, x, mean), vks_rsqrt (g, vks_add_scalar (g, var, eps)));
  return affine (g, y, per_channel (g, weight, c, "batch_norm"),
                 per_channel (g, bias, c, "batch_norm"));
}
