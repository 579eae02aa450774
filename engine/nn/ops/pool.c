/* 2x2 average pooling and nearest upsampling x2, each the other's adjoint (shaders/pool.comp). */
#include "engine/nn/ops/ops.h"

static VksNode
pool_node (VksGraph *g, VksOpKind op, VksNode x, VksShape shape, float factor)
{
  x = vks_as_layout (g, x, VKS_LAYOUT_PLANES);
  VksNodeInfo info = {
    .op = op,
    .n_in = 1,
    .in = { x },
    .shape = shape,
    .layout = VKS_LAYOUT_PLANES,
    .attr.pool.factor = factor,
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_avg_pool2_scaled (VksGraph *g, VksNode x, float factor)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  if (s.h < 2 || s.w < 2)
    return vks_graph_fail (g, "avg_pool2: a %d x %d plane is too small to pool", s.h, s.w);
  return pool_node (g, VKS_OP_AVG_POOL2, x, vks_shape (s.n, s.c, s.h / 2, s.w / 2), factor);
}

VksNode
vks_avg_pool2 (VksGraph *g, VksNode x)
{
  return vks_avg_pool2_scaled (g, x, 0.25f);
}

VksNode
vks_upsample2_to (VksGraph *g, VksNode x, int h, int w, float factor)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  if (h / 2 != s.h || w / 2 != s.w)
    return vks_graph_fail (g, "upsample2: %d x %d cannot come from %d x %d", h, w, s.h, s.w);
  return pool_node (g, VKS_OP_UPSAMPLE2, x, vks_shape (s.n, s.c, h, w), factor);
}

VksNode
vks_upsample2 (VksGraph *g, VksNode x)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  return vks_upsample2_to (g, x, 2 * s.h, 2 * s.w, 1.0f);
}

static void
avg_pool2_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  (void) wanted;
  const VksNodeInfo info = *vks_node_info (g, node);
  VksShape s = vks_graph_shape (g, info.in[0]);
  dx[0] = vks_upsample2_to (g, dy, s.h, s.w, info.attr.pool.factor);
}

static void
upsample2_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  (void) wanted;
  const VksNodeInfo info = *vks_node_info (g, node);
  dx[0] = vks_avg_pool2_scaled (g, dy, info.attr.pool.factor);
}

typedef struct {
  VksPushShape o, s;
  int32_t stored;
  float factor;
} PoolPush;

static gboolean
record_pool (VksPlan *plan, VksNode node, gboolean up, GError **error)
{
  VksContext *ctx = vks_plan_context (plan);
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  int32_t spec[] = { (int32_t) ctx->workgroup_size, up };
  VksPipeline *pipe = vks_pipeline_get (ctx, VKS_KERNEL_POOL, spec, G_N_ELEMENTS (spec), error);
  if (pipe == NULL)
    return FALSE;
  VksView views[] = {
    vks_plan_view (plan, info->in[0], VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
  };
  VksTensor t = vks_plan_tensor (plan, node);
  long stored = (long) t.n * t.c * t.plane;
  PoolPush push = { vks_plan_push_shape (plan, node), vks_plan_push_shape (plan, info->in[0]),
                    (int32_t) stored, info->attr.pool.factor };
  uint32_t groups[3];
  vks_plan_groups (stored, ctx->workgroup_size, groups);
  return vks_recorder_dispatch (vks_plan_recorder (plan), pipe, views, &push, sizeof push, groups,
                                error);
}

static gboolean
avg_pool2_record (VksPlan *plan, VksNode node, GError **error)
{
  return record_pool (plan, node, FALSE, error);
}

static gboolean
upsample2_record (VksPlan *plan, VksNode node, GError **error)
{
  return record_pool (plan, node, TRUE, error);
}

const VksOpClass vks_avg_pool2_class = { "avg_pool2", avg_pool2_backward, NULL,
                                         avg_pool2_record };
const VksOpClass vks_upsample2_class = { "upsample2", upsample2_backward, NULL,
                                         upsample2_record };
