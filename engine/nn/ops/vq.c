/* Vector quantisation (VQ-VAE / VQGAN's VectorQuantizer, shaders/vq.comp): the nearest code of
 * each position, the codebook lookup in z's layout and its adjoint scatter-add, and the
 * stop-gradient (torch's .detach()) the straight-through estimator and the loss terms need.
 * Lookup and scatter are linear in their float operand and each is the other's adjoint, so they
 * differentiate to any order; the nearest code is piecewise constant and has no gradient. */
#include "engine/nn/ops/ops.h"

enum { VQ_NEAREST, VQ_LOOKUP, VQ_SCATTER };   /* shaders/vq.comp's MODE */

static VksNode
vq_node (VksGraph *g, VksOpKind op, VksNode a, VksNode b, VksShape shape, VksLayout layout)
{
  VksNodeInfo info = {
    .op = op,
    .n_in = 2,
    .in = { a, b },
    .shape = shape,
    .layout = layout,
  };
  return vks_graph_add (g, &info);
}

static gboolean
check_codebook (VksGraph *g, const char *what, VksNode codebook)
{
  VksShape e = vks_graph_shape (g, codebook);
  if (e.n != 1 || e.c != 1 || e.h < 1) {
    vks_graph_fail (g, "%s: the codebook must be [1, 1, codes, dim], not [%d, %d, %d, %d]", what,
                    e.n, e.c, e.h, e.w);
    return FALSE;
  }
  if (e.h > VKS_MAX_LOOP_ITERATIONS) {
    vks_graph_fail (g, "%s: %d codes are more than one search may loop over (%d)", what, e.h,
                    VKS_MAX_LOOP_ITERATIONS);
    return FALSE;
  }
  return TRUE;
}

/* The indices of n images of h x w positions, and at most as many as one scatter may loop over. */
static gboolean
check_indices (VksGraph *g, const char *what, VksShape idx)
{
  if (idx.c != 1) {
    vks_graph_fail (g, "%s: indices must be [n, 1, h, w], not [%d, %d, %d, %d]", what, idx.n,
                    idx.c, idx.h, idx.w);
    return FALSE;
  }
  if (vks_shape_elements (idx) > VKS_MAX_LOOP_ITERATIONS) {
    vks_graph_fail (g, "%s: %ld positions are more than one scatter may loop over (%d)", what,
                    vks_shape_elements (idx), VKS_MAX_LOOP_ITERATIONS);
    return FALSE;
  }
  return TRUE;
}

VksNode
vks_vq_nearest (VksGraph *g, VksNode z, VksNode codebook)
{
  VksNode in[2] = { z, codebook };
  if (!vks_graph_ok (g, in, 2) || !check_codebook (g, "vq_nearest", codebook))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, z), e = vks_graph_shape (g, codebook);
  if (s.c != e.w)
    return vks_graph_fail (g, "vq_nearest: z has %d channels, the codes %d", s.c, e.w);
  return vq_node (g, VKS_OP_VQ_NEAREST, z, codebook, vks_shape (s.n, 1, s.h, s.w),
                  VKS_LAYOUT_DENSE);
}

VksNode
vks_vq_lookup (VksGraph *g, VksNode codebook, VksNode indices)
{
  VksNode in[2] = { codebook, indices };
  if (!vks_graph_ok (g, in, 2) || !check_codebook (g, "vq_lookup", codebook))
    return VKS_NONE;
  VksShape e = vks_graph_shape (g, codebook), i = vks_graph_shape (g, indices);
  if (!check_indices (g, "vq_lookup", i))
    return VKS_NONE;
  return vq_node (g, VKS_OP_VQ_LOOKUP, codebook, indices, vks_shape (i.n, e.w, i.h, i.w),
                  VKS_LAYOUT_PLANES);
}

static VksNode
vq_scatter (VksGraph *g, VksNode dy, VksNode indices, VksShape codebook)
{
  return vq_node (g, VKS_OP_VQ_SCATTER, dy, indices, codebook, VKS_LAYOUT_DENSE);
}

VksNode
vks_stop_gradient (VksGraph *g, VksNode x)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  const VksNodeInfo *ix = vks_node_info (g, x);
  VksNodeInfo info = {
    .op = VKS_OP_STOP_GRADIENT,
    .n_in = 1,
    .in = { x },
    .shape = ix->shape,
    .layout = ix->layout,
  };
  return vks_graph_add (g, &info);
}

/* PyTorch's order of operations throughout, so the forward values match the reference's
 * rounding: loss = mean((sg[zq] - z)^2) * w_commit + mean((zq - sg[z])^2) * w_code, and
 * zq_st = z + sg[zq - z]. */
VksVectorQuantized
vks_vector_quantize (VksGraph *g, VksNode z, VksNode codebook, float beta, gboolean legacy)
{
  VksVectorQuantized r = { VKS_NONE, VKS_NONE, VKS_NONE };
  r.indices = vks_vq_nearest (g, z, codebook);
  VksNode zq = vks_vq_lookup (g, codebook, r.indices);
  VksNode commitment = vks_mean (g, vks_square (g, vks_sub (g, vks_stop_gradient (g, zq), z)));
  VksNode code = vks_mean (g, vks_square (g, vks_sub (g, zq, vks_stop_gradient (g, z))));
  /* taming's legacy default puts beta on the codebook term; the paper (and legacy=False) on
   * the commitment term */
  r.loss = legacy ? vks_add (g, commitment, vks_scale (g, code, beta))
                  : vks_add (g, vks_scale (g, commitment, beta), code);
  r.quantized = vks_add (g, z, vks_stop_gradient (g, vks_sub (g, zq, z)));
  if (!vks_graph_ok (g, &r.quantized, 1) || !vks_graph_ok (g, &r.loss, 1))
    r.indices = r.quantized = r.loss = VKS_NONE;
  return r;
}

static void
no_gradient (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  (void) g, (void) node, (void) dy, (void) wanted, (void) dx;
}

static void
lookup_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  if (wanted[0])
    dx[0] = vq_scatter (g, dy, info.in[1], vks_graph_shape (g, info.in[0]));
}

static void
scatter_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  if (wanted[0])
    dx[0] = vks_vq_lookup (g, dy, info.in[1]);
}

typedef struct {
  VksPushShape z, idx;
  int32_t codes, dim, stored;
} VqPush;

static gboolean
vq_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksGraph *g = vks_plan_graph (plan);
  const VksNodeInfo *info = vks_node_info (g, node);
  int mode = info->op == VKS_OP_VQ_NEAREST ? VQ_NEAREST
           : info->op == VKS_OP_VQ_LOOKUP ? VQ_LOOKUP : VQ_SCATTER;
  int32_t spec[] = { 0, mode };
  VksView views[] = {
    vks_plan_view (plan, info->in[0], VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, info->in[1], VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
  };
  /* the z-shaped operand: z, the lookup's output, the scatter's dy */
  VksNode zlike = mode == VQ_LOOKUP ? node : info->in[0];
  VksShape codebook = mode == VQ_NEAREST ? vks_graph_shape (g, info->in[1])
                    : mode == VQ_LOOKUP ? vks_graph_shape (g, info->in[0]) : info->shape;
  VksShape out = info->shape;
  long stored = mode == VQ_LOOKUP ? (long) out.n * out.c * vks_plan_push_shape (plan, node).plane
                                  : (vks_shape_elements (out) + 3) / 4 * 4;
  VqPush push = {
    vks_plan_push_shape (plan, zlike),
    vks_plan_push_shape (plan, mode == VQ_NEAREST ? node : info->in[1]),
    codebook.h, codebook.w, (int32_t) stored,
  };
  return vks_plan_dispatch (plan, VKS_KERNEL_VQ, spec, G_N_ELEMENTS (spec), views, &push,
                            sizeof push, stored, error);
}

static gboolean
stop_gradient_record (VksPlan *plan, VksNode node, GError **error)
{
  return vks_reshape_record (plan, node, error);
}

const VksOpClass vks_vq_nearest_class = { "vq_nearest", no_gradient, NULL, vq_record };
const VksOpClass vks_vq_lookup_class = { "vq_lookup", lookup_backward, NULL, vq_record };
const VksOpClass vks_vq_scatter_class = { "vq_scatter", scatter_backward, NULL, vq_record };
const VksOpClass vks_stop_gradient_class = { "stop_gradient", no_gradient, NULL,
                                             stop_gradient_record };
