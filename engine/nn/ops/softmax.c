/* Softmax over the last dimension (shaders/softmax.comp). Its gradient is composed of ordinary
 * nodes, dx = y * (dy - sum_w(dy * y)), so it differentiates again. */
#include "engine/nn/ops/ops.h"

VksNode
vks_softmax (VksGraph *g, VksNode x)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  if (s.w > VKS_MAX_LOOP_ITERATIONS)
    return vks_graph_fail (g, "softmax: rows of %d are longer than one invocation may loop over "
                           "(%d)", s.w, VKS_MAX_LOOP_ITERATIONS);
  VksNodeInfo info = {
    .op = VKS_OP_SOFTMAX,
    .n_in = 1,
    .in = { x },
    .shape = s,
    .layout = VKS_LAYOUT_DENSE,
  };
  return vks_graph_add (g, &info);
}

static void
softmax_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  (void) wanted;
  VksShape s = vks_graph_shape (g, node);
  VksNode dot = vks_sum_to (g, vks_mul (g, dy, node), vks_shape (s.n, s.c, s.h, 1));
  dx[0] = vks_mul (g, node, vks_sub (g, dy, dot));
}

typedef struct {
  VksPushShape s;
  int32_t rows, stored;
} SoftmaxPush;

static gboolean
softmax_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  int32_t spec[] = { 0 };
  VksView views[] = {
    vks_plan_view (plan, info->in[0], VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
  };
  VksShape s = info->shape;
  int32_t rows = s.n * s.c * s.h;
  SoftmaxPush push = { vks_plan_push_shape (plan, info->in[0]), rows,
                       (int32_t) ((vks_shape_elements (s) + 3) / 4 * 4) };
  return vks_plan_dispatch (plan, VKS_KERNEL_SOFTMAX, spec, G_N_ELEMENTS (spec), views, &push, sizeof push,
                            rows + 1, error);
}

const VksOpClass vks_softmax_class = { "softmax", softmax_backward, NULL, softmax_record };
