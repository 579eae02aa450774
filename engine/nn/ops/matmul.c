/* Batched matrix products and torch.nn.Linear (shaders/matmul.comp, matmul_tiled.comp). The
 * product is bilinear, so its gradients are products again: differentiable to any order. */
#include "engine/nn/ops/ops.h"

static int
batch_dim (int a, int b)
{
  return a == b || b == 1 ? a : a == 1 ? b : -1;
}

VksNode
vks_matmul (VksGraph *g, VksNode a, VksNode b, gboolean trans_a, gboolean trans_b)
{
  VksNode in[2] = { a, b };
  if (!vks_graph_ok (g, in, 2))
    return VKS_NONE;
  VksShape sa = vks_graph_shape (g, a), sb = vks_graph_shape (g, b);
  int m = trans_a ? sa.w : sa.h, ka = trans_a ? sa.h : sa.w;
  int kb = trans_b ? sb.w : sb.h, n = trans_b ? sb.h : sb.w;
  VksShape s = vks_shape (batch_dim (sa.n, sb.n), batch_dim (sa.c, sb.c), m, n);
  if (ka != kb || s.n < 0 || s.c < 0)
    return vks_graph_fail (g, "matmul: [%d, %d, %d, %d]%s x [%d, %d, %d, %d]%s do not match",
                           sa.n, sa.c, sa.h, sa.w, trans_a ? "^T" : "", sb.n, sb.c, sb.h, sb.w,
                           trans_b ? "^T" : "");
  if (ka > VKS_MAX_LOOP_ITERATIONS)
    return vks_graph_fail (g, "matmul: an inner dimension of %d is longer than one sum may be "
                           "(%d)", ka, VKS_MAX_LOOP_ITERATIONS);
  VksNodeInfo info = {
    .op = VKS_OP_MATMUL,
    .n_in = 2,
    .in = { vks_as_layout (g, a, VKS_LAYOUT_DENSE), vks_as_layout (g, b, VKS_LAYOUT_DENSE) },
    .shape = s,
    .layout = VKS_LAYOUT_DENSE,
    .attr.matmul = { trans_a, trans_b },
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_linear (VksGraph *g, VksNode x, VksNode weight, VksNode bias)
{
  VksNode y = vks_matmul (g, x, weight, FALSE, TRUE);
  return bias == VKS_NONE ? y : vks_add (g, y, bias);
}

/* C = op(A) op(B): dA and dB as products of dC with the other operand, per transpose case. */
static void
matmul_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  VksNode a = info.in[0], b = info.in[1];
  gboolean ta = info.attr.matmul.trans_a, tb = info.attr.matmul.trans_b;
  if (wanted[0]) {
    VksNode da = ta ? vks_matmul (g, b, dy, tb, TRUE) : vks_matmul (g, dy, b, FALSE, !tb);
    dx[0] = vks_unbroadcast (g, da, vks_graph_shape (g, a));
  }
  if (wanted[1]) {
    VksNode db = tb ? vks_matmul (g, dy, a, TRUE, ta) : vks_matmul (g, a, dy, !ta, FALSE);
    dx[1] = vks_unbroadcast (g, db, vks_graph_shape (g, b));
  }
}

typedef struct {
  VksPushShape o, a, b;
  int32_t stored, k;
} MatmulPush;

static gboolean
matmul_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  int32_t spec[] = { 0, info->attr.matmul.trans_a,
                     info->attr.matmul.trans_b };
  VksNode a = info->in[0], b = info->in[1];
  VksView views[] = {
    vks_plan_view (plan, a, VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, b, VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
  };
  VksShape sa = vks_graph_shape (vks_plan_graph (plan), a);
  long stored = (vks_shape_elements (info->shape) + 3) / 4 * 4;
  MatmulPush push = {
    vks_plan_push_shape (plan, node), vks_plan_push_shape (plan, a),
    vks_plan_push_shape (plan, b), (int32_t) stored,
    info->attr.matmul.trans_a ? sa.h : sa.w,
  };
  /* Products of at least 4 x 4 outputs per matrix take 4 x 4 tiles per invocation
   * (matmul_tiled.comp: 8 fetches per 16 multiply-adds instead of 2 per 1); the same sums. */
  VksShape o = info->shape;
  if (o.h >= 4 && o.w >= 4) {
    long tiles = (long) o.n * o.c * ((o.h + 3) / 4) * ((o.w + 3) / 4);
    return vks_plan_dispatch (plan, VKS_KERNEL_MATMUL_TILED, spec, G_N_ELEMENTS (spec), views,
                              &push, sizeof push, tiles + 1, error);
  }
  return vks_plan_dispatch (plan, VKS_KERNEL_MATMUL, spec, G_N_ELEMENTS (spec), views, &push, sizeof push,
                            stored, error);
}

const VksOpClass vks_matmul_class = { "matmul", matmul_backward, NULL, matmul_record };
