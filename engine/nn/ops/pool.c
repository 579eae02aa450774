/* Pooling (shaders/pool.comp). 2x2: average pooling and nearest upsampling x2, each the other's
 * adjoint; max pooling as `take` (each window's value at the pick of a key) and its adjoint
 * `route` (a gradient sent back to each window's pick): both linear in their values, with the
 * key only choosing, so their rules are each other and differentiate to any order. General
 * k x k windows with stride and padding (Inception): forward only. */
#include "engine/nn/ops/ops.h"

/* key: VKS_NONE, or the tensor whose windows pick (MAX_POOL2, MAX_POOL2_ROUTE). */
static VksNode
pool_node (VksGraph *g, VksOpKind op, VksNode x, VksNode key, VksShape shape, float factor)
{
  VksNodeInfo info = {
    .op = op,
    .n_in = key == VKS_NONE ? 1 : 2,
    .in = { vks_as_layout (g, x, VKS_LAYOUT_PLANES),
            key == VKS_NONE ? VKS_NONE : vks_as_layout (g, key, VKS_LAYOUT_PLANES) },
    .shape = shape,
    .layout = VKS_LAYOUT_PLANES,
    .attr.pool.factor = factor,
  };
  return vks_graph_add (g, &info);
}

static gboolean
check_poolable (VksGraph *g, VksNode x, const char *what)
{
  if (!vks_graph_ok (g, &x, 1))
    return FALSE;
  VksShape s = vks_graph_shape (g, x);
  if (s.h < 2 || s.w < 2) {
    vks_graph_fail (g, "%s: a %d x %d plane is too small to pool", what, s.h, s.w);
    return FALSE;
  }
  return TRUE;
}

static VksShape
pooled (VksShape s)
{
  return vks_shape (s.n, s.c, s.h / 2, s.w / 2);
}

VksNode
vks_avg_pool2_scaled (VksGraph *g, VksNode x, float factor)
{
  if (!check_poolable (g, x, "avg_pool2"))
    return VKS_NONE;
  return pool_node (g, VKS_OP_AVG_POOL2, x, VKS_NONE, pooled (vks_graph_shape (g, x)), factor);
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
  return pool_node (g, VKS_OP_UPSAMPLE2, x, VKS_NONE, vks_shape (s.n, s.c, h, w), factor);
}

VksNode
vks_upsample2 (VksGraph *g, VksNode x)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  return vks_upsample2_to (g, x, 2 * s.h, 2 * s.w, 1.0f);
}

/* values (shaped like key) at each window's pick of key */
static VksNode
max_pool2_take (VksGraph *g, VksNode values, VksNode key)
{
  return pool_node (g, VKS_OP_MAX_POOL2, values, key, pooled (vks_graph_shape (g, key)), 1.0f);
}

VksNode
vks_max_pool2 (VksGraph *g, VksNode x)
{
  if (!check_poolable (g, x, "max_pool2"))
    return VKS_NONE;
  x = vks_as_layout (g, x, VKS_LAYOUT_PLANES);   /* once, for both roles */
  return max_pool2_take (g, x, x);
}

VksNode
vks_pool2d (VksGraph *g, VksNode x, const VksPoolAttrs *a)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  int k = a->kernel, st = a->stride, p = a->pad;
  /* PyTorch's rule: padding at most half the kernel, so every window holds an input element */
  if (k < 1 || st < 1 || p < 0 || 2 * p > k || s.h + 2 * p < k || s.w + 2 * p < k)
    return vks_graph_fail (g, "pool2d: a %d x %d plane does not fit a %d x %d window with stride "
                           "%d, padding %d", s.h, s.w, k, k, st, p);
  VksShape o = vks_shape (s.n, s.c, (s.h + 2 * p - k) / st + 1, (s.w + 2 * p - k) / st + 1);
  VksNode node = pool_node (g, VKS_OP_POOL2D, x, VKS_NONE, o, 1.0f);
  if (node != VKS_NONE)
    vks_node_info (g, node)->attr.pool.window = *a;
  return node;
}

static void
max_pool2_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  /* The pick is piecewise constant in the key: no gradient for it (PyTorch's too). */
  const VksNodeInfo info = *vks_node_info (g, node);
  if (wanted[0])
    dx[0] = pool_node (g, VKS_OP_MAX_POOL2_ROUTE, dy, info.in[1], vks_graph_shape (g, info.in[1]),
                       1.0f);
}

static void
max_pool2_route_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted,
                          VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  if (wanted[0])
    dx[0] = max_pool2_take (g, dy, info.in[1]);
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
  VksPushShape o, s, k;
  int32_t stored;
  float factor;
  int32_t kernel, stride, pad, count_include_pad;   /* POOL2D */
} PoolPush;

/* The shader's MODE per op. */
static int
pool_mode (const VksNodeInfo *info)
{
  switch (info->op) {
  case VKS_OP_AVG_POOL2: return 0;
  case VKS_OP_UPSAMPLE2: return 1;
  case VKS_OP_MAX_POOL2: return 2;
  case VKS_OP_POOL2D: return info->attr.pool.window.max ? 5 : 4;
  default: return 3;
  }
}

static gboolean
pool_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  int32_t spec[] = { 0, pool_mode (info) };
  VksNode key = info->n_in == 2 ? info->in[1] : info->in[0];
  VksView views[] = {
    vks_plan_view (plan, info->in[0], VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, key, VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
  };
  VksTensor t = vks_plan_tensor (plan, node);
  long stored = (long) t.n * t.c * t.plane;
  PoolPush push = { vks_plan_push_shape (plan, node), vks_plan_push_shape (plan, info->in[0]),
                    vks_plan_push_shape (plan, key), (int32_t) stored, info->attr.pool.factor,
                    0, 0, 0, 0 };
  if (info->op == VKS_OP_POOL2D) {
    const VksPoolAttrs *w = &info->attr.pool.window;
    push.kernel = w->kernel;
    push.stride = w->stride;
    push.pad = w->pad;
    push.count_include_pad = w->count_include_pad;
  }
  return vks_plan_dispatch (plan, VKS_KERNEL_POOL, spec, G_N_ELEMENTS (spec), views, &push, sizeof push,
                            stored, error);
}

const VksOpClass vks_avg_pool2_class = { "avg_pool2", avg_pool2_backward, NULL, pool_record };
const VksOpClass vks_upsample2_class = { "upsample2", upsample2_backward, NULL, pool_record };
const VksOpClass vks_max_pool2_class = { "max_pool2", max_pool2_backward, NULL, pool_record };
const VksOpClass vks_max_pool2_route_class = { "max_pool2_route", max_pool2_route_backward, NULL,
                                               pool_record };
const VksOpClass vks_pool2d_class = { "pool2d", NULL, NULL, pool_record };
