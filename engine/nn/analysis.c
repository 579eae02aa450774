#include "engine/nn/analysis.h"

#include <math.h>

#include "engine/nn/op.h"

double
vks_node_flops (const VksGraph *g, VksNode node)
{
  const VksNodeInfo *info = vks_node_info (g, node);
  VksShape o = info->shape;
  switch (info->op) {
  case VKS_OP_CONV2D:
  case VKS_OP_CONV2D_DATA_GRAD:
  case VKS_OP_CONV2D_WEIGHT_GRAD: {
    /* every op of the family does the forward's multiply-adds: cin * cout * taps per output
     * pixel of a plain convolution, per input pixel of a transposed one */
    VksShape w = info->op == VKS_OP_CONV2D_WEIGHT_GRAD ? o : vks_graph_shape (g, info->in[1]);
    const VksConvAttrs *a = &info->attr.conv.a;
    VksShape x = info->op == VKS_OP_CONV2D ? vks_graph_shape (g, info->in[0])
               : info->op == VKS_OP_CONV2D_DATA_GRAD ? o : vks_graph_shape (g, info->in[0]);
    VksShape y = info->op == VKS_OP_CONV2D ? o
               : info->op == VKS_OP_CONV2D_DATA_GRAD ? vks_graph_shape (g, info->in[0])
               : vks_graph_shape (g, info->in[1]);
    VksShape pixels = a->transposed ? x : y;
    return 2.0 * pixels.n * pixels.h * pixels.w * (double) w.n * w.c * w.h * w.w;
  }
  case VKS_OP_MATMUL: {
    VksShape a = vks_graph_shape (g, info->in[0]);
    int k = info->attr.matmul.trans_a ? a.h : a.w;
    return 2.0 * vks_shape_elements (o) * k;
  }
  case VKS_OP_INPUT:
  case VKS_OP_PARAM:
  case VKS_OP_CONST:
    return 0;
  default:
    return (double) vks_shape_elements (o);
  }
}

double
vks_graph_flops (const VksGraph *g, VksNode output)
{
  int n = vks_graph_n_nodes (g);
  g_autofree gboolean *live = g_new0 (gboolean, MAX (n, 1));
  live[output] = TRUE;
  double total = 0;
  for (VksNode v = output; v >= 0; v--) {
    if (!live[v])
      continue;
    total += vks_node_flops (g, v);
    const VksNodeInfo *info = vks_node_info (g, v);
    for (int i = 0; i < info->n_in; i++)
      live[info->in[i]] = TRUE;
  }
  return total;
}

/* Per node: its pixel size in input pixels (scale) and the radius in input pixels. */
int
vks_graph_receptive_radius (const VksGraph *g, VksNode input, VksNode output)
{
  int n = vks_graph_n_nodes (g);
  g_autofree double *radius = g_new (double, MAX (n, 1));
  g_autofree double *scale = g_new (double, MAX (n, 1));
  for (VksNode v = 0; v < n; v++) {
    radius[v] = -2;   /* does not depend on the input */
    scale[v] = 1;
  }
  radius[input] = 0;
  for (VksNode v = input + 1; v <= output; v++) {
    const VksNodeInfo *info = vks_node_info (g, v);
    double r = -2, s = 1;
    for (int i = 0; i < info->n_in; i++) {
      VksNode in = info->in[i];
      if (radius[in] == -1) {
        r = -1;
        break;
      }
      if (radius[in] >= 0 && radius[in] > r) {
        r = radius[in];
        s = scale[in];
      }
    }
    if (r < 0) {
      radius[v] = r;
      continue;
    }
    switch (info->op) {
    case VKS_OP_CONV2D: {
      const VksConvAttrs *a = &info->attr.conv.a;
      VksShape w = vks_graph_shape (g, info->in[1]);
      int k = MAX (w.h, w.w);
      /* (k - 1) / 2 input pixels either way; for a transposed convolution that is the bound
       * the tiler measured (tiling.c), half a pixel more than the taps' centres span */
      r += (k - 1) / 2.0 * s;
      s = a->transposed ? s / a->stride : s * a->stride;
      break;
    }
    case VKS_OP_AVG_POOL2:
      r += s / 2;
      s *= 2;
      break;
    case VKS_OP_UPSAMPLE2:
      s /= 2;
      break;
    case VKS_OP_MATMUL:
    case VKS_OP_SOFTMAX:
    case VKS_OP_CONCAT:
    case VKS_OP_SLICE:
    case VKS_OP_EMBEDDING:
      r = -1;
      break;
    case VKS_OP_SUM_TO:
    case VKS_OP_RESHAPE: {
      /* only sums and reshapes that keep the planes keep pixels where they were */
      VksShape in = vks_graph_shape (g, info->in[0]);
      if (in.h != info->shape.h || in.w != info->shape.w)
        r = -1;
      break;
    }
    default:
      break;
    }
    radius[v] = r;
    scale[v] = s;
  }
  return radius[output] < 0 ? (int) radius[output] : (int) ceil (radius[output]);
}
