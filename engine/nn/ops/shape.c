/* Reshape, sums over dimensions and their adjoint, broadcasting (shaders/reduce.comp). */
#include "engine/nn/ops/ops.h"

VksNode
vks_reshape (VksGraph *g, VksNode x, VksShape shape)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  const VksNodeInfo *ix = vks_node_info (g, x);
  if (vks_shape_elements (ix->shape) != vks_shape_elements (shape))
    return vks_graph_fail (g, "reshape: [%d, %d, %d, %d] has %ld elements, [%d, %d, %d, %d] %ld",
                           ix->shape.n, ix->shape.c, ix->shape.h, ix->shape.w,
                           vks_shape_elements (ix->shape), shape.n, shape.c, shape.h, shape.w,
                           vks_shape_elements (shape));
  if (vks_shape_equal (ix->shape, shape))
    return x;
  /* DENSE stays a view; PLANES keeps planes where the plane size survives. */
  VksLayout layout = ix->layout;
  if (layout == VKS_LAYOUT_PLANES && shape.h * shape.w != ix->shape.h * ix->shape.w)
    layout = VKS_LAYOUT_DENSE;
  VksNodeInfo info = { .op = VKS_OP_RESHAPE, .n_in = 1, .in = { x }, .shape = shape,
                       .layout = layout };
  return vks_graph_add (g, &info);
}

static void
reshape_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  (void) wanted;
  dx[0] = vks_reshape (g, dy, vks_graph_shape (g, vks_node_info (g, node)->in[0]));
}

static gboolean
reshape_record (VksPlan *plan, VksNode node, GError **error)
{
  return vks_plan_is_view (plan, node) ? TRUE : vks_reshape_record (plan, node, error);
}

/* One reduction node: `shape` differs from x's only in dimensions it has at 1. */
static VksNode
sum_node (VksGraph *g, VksNode x, VksShape shape)
{
  VksShape s = vks_graph_shape (g, x);
  if (vks_shape_equal (s, shape))
    return x;
  VksNodeInfo info = {
    .op = VKS_OP_SUM_TO,
    .n_in = 1,
    .in = { x },
    .shape = shape,
    .layout = shape.h * shape.w == 1 ? VKS_LAYOUT_DENSE : VKS_LAYOUT_PLANES,
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_sum_to (VksGraph *g, VksNode x, VksShape shape)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  int from[4] = { s.n, s.c, s.h, s.w }, to[4] = { shape.n, shape.c, shape.h, shape.w };
  for (int d = 0; d < 4; d++)
    if (to[d] != from[d] && to[d] != 1)
      return vks_graph_fail (g, "sum_to: [%d, %d, %d, %d] cannot be summed to [%d, %d, %d, %d]",
                             s.n, s.c, s.h, s.w, shape.n, shape.c, shape.h, shape.w);
  /* Innermost dimensions first, as many per node as one invocation's loop may run. */
  int cur[4] = { s.n, s.c, s.h, s.w };
  long count = 1;
  for (int d = 3; d >= 0; d--) {
    if (to[d] == from[d])
      continue;
    if (from[d] > VKS_MAX_LOOP_ITERATIONS)
      return vks_graph_fail (g, "sum_to: a dimension of %d is longer than one sum may be (%d)",
                             from[d], VKS_MAX_LOOP_ITERATIONS);
    if (count * from[d] > VKS_MAX_LOOP_ITERATIONS) {
      x = sum_node (g, x, vks_shape (cur[0], cur[1], cur[2], cur[3]));
      count = 1;
    }
    count *= from[d];
    cur[d] = 1;
  }
  return sum_node (g, x, shape);
}

VksNode
vks_sum (VksGraph *g, VksNode x)
{
  return vks_sum_to (g, x, vks_shape (1, 1, 1, 1));
}

VksNode
vks_mean_to (VksGraph *g, VksNode x, VksShape shape)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  double count = (double) vks_shape_elements (vks_graph_shape (g, x)) / vks_shape_elements (shape);
  return vks_scale (g, vks_sum_to (g, x, shape), (float) (1 / count));
}

VksNode
vks_mean (VksGraph *g, VksNode x)
{
  return vks_mean_to (g, x, vks_shape (1, 1, 1, 1));
}

VksNode
vks_unbroadcast (VksGraph *g, VksNode dx, VksShape shape)
{
  return vks_sum_to (g, dx, shape);
}

static void
sum_to_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  (void) wanted;
  dx[0] = vks_broadcast_to (g, dy, vks_graph_shape (g, vks_node_info (g, node)->in[0]));
}

typedef struct {
  VksPushShape o, s;
  int32_t stored;
} ReducePush;

static gboolean
sum_to_record (VksPlan *plan, VksNode node, GError **error)
{
  VksNode x = vks_node_info (vks_plan_graph (plan), node)->in[0];
  int32_t spec[] = { 0 };
  VksView views[] = {
    vks_plan_view (plan, x, VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
  };
  VksTensor t = vks_plan_tensor (plan, node);
  long stored = (long) ((VkDeviceSize) t.n * t.c * t.plane + 3) / 4 * 4;
  ReducePush push = { vks_plan_push_shape (plan, node), vks_plan_push_shape (plan, x),
                      (int32_t) stored };
  return vks_plan_dispatch (plan, VKS_KERNEL_REDUCE, spec, G_N_ELEMENTS (spec), views, &push, sizeof push,
                            stored, error);
}

const VksOpClass vks_reshape_class = { "reshape", reshape_backward, NULL, reshape_record };
const VksOpClass vks_sum_to_class = { "sum_to", sum_to_backward, NULL, sum_to_record };
