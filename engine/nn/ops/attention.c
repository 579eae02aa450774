/* Scaled dot-product attention, softmax(q k^T * scale [+ causal mask]) v, composed of the matrix
 * product and softmax ops, and the causal mask it adds (shaders/causal_mask.comp).
 *
 * Why composed, not one fused kernel: on lavapipe each matmul invocation computes one output
 * with its k loop in order, which is what a fused kernel's inner loops would do too; fusing
 * would only save writing and reading the [T][T] scores (4 B * T^2 per head, 256 KiB for a
 * 256-token block, 64 KiB for a 16 x 16 attention block of the VQGAN), which costs less than one
 * of the products. The composition also inherits their gradients (of any order) for free. */
#include "engine/nn/ops/ops.h"

#include <math.h>

static VksNode
mask_node (VksGraph *g, VksNode x, float fill)
{
  VksShape s = vks_graph_shape (g, x);
  VksNodeInfo info = {
    .op = VKS_OP_CAUSAL_MASK,
    .n_in = 1,
    .in = { vks_as_layout (g, x, VKS_LAYOUT_DENSE) },
    .shape = s,
    .layout = VKS_LAYOUT_DENSE,
    .attr.value = fill,
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_causal_mask (VksGraph *g, VksNode scores, float fill)
{
  if (!vks_graph_ok (g, &scores, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, scores);
  if (s.w < s.h)
    return vks_graph_fail (g, "causal_mask: %d queries see only %d keys", s.h, s.w);
  return mask_node (g, scores, fill);
}

/* Linear in x where it is kept, constant elsewhere: the gradient is dy masked with zeros. */
static void
mask_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  (void) node, (void) wanted;
  dx[0] = mask_node (g, dy, 0.0f);
}

typedef struct {
  VksPushShape s;
  int32_t stored;
  float fill;
} MaskPush;

static gboolean
mask_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  int32_t spec[] = { 0 };
  VksView views[] = {
    vks_plan_view (plan, info->in[0], VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
  };
  long stored = (vks_shape_elements (info->shape) + 3) / 4 * 4;
  MaskPush push = { vks_plan_push_shape (plan, info->in[0]), (int32_t) stored,
                    info->attr.value };
  return vks_plan_dispatch (plan, VKS_KERNEL_CAUSAL_MASK, spec, G_N_ELEMENTS (spec), views,
                            &push, sizeof push, stored, error);
}

const VksOpClass vks_causal_mask_class = { "causal_mask", mask_backward, NULL, mask_record };

/* The causal mask, or the caller's additive one (VKS_NONE: neither where a->causal is FALSE). */
static VksNode
attend (VksGraph *g, VksNode q, VksNode k, VksNode v, VksNode bias, const VksAttentionAttrs *a)
{
  VksNode in[4] = { q, k, v, bias };
  if (!vks_graph_ok (g, in, bias == VKS_NONE ? 3 : 4))
    return VKS_NONE;
  gboolean cf = a->channels_first;
  VksShape sq = vks_graph_shape (g, q);
  int d = cf ? sq.h : sq.w;
  float scale = a->scale != 0.0f ? a->scale : (float) (1.0 / sqrt ((double) d));
  /* [..][queries][keys] */
  VksNode scores = cf ? vks_matmul (g, q, k, TRUE, FALSE) : vks_matmul (g, q, k, FALSE, TRUE);
  scores = vks_scale (g, scores, scale);
  if (bias != VKS_NONE)
    scores = vks_add (g, scores, bias);
  else if (a->causal)
    scores = vks_causal_mask (g, scores, -INFINITY);
  VksNode p = vks_softmax (g, scores);
  return cf ? vks_matmul (g, v, p, FALSE, TRUE) : vks_matmul (g, p, v, FALSE, FALSE);
}

VksNode
vks_attention (VksGraph *g, VksNode q, VksNode k, VksNode v, const VksAttentionAttrs *a)
{
  return attend (g, q, k, v, VKS_NONE, a);
}

VksNode
vks_attention_masked (VksGraph *g, VksNode q, VksNode k, VksNode v, VksNode bias,
                      const VksAttentionAttrs *a)
{
  if (!vks_graph_ok (g, &bias, 1))
    return VKS_NONE;
  if (a->causal)
    return vks_graph_fail (g, "attention: a causal mask and an additive one");
  return attend (g, q, k, v, bias, a);
}
