/* Embedding lookup (torch.nn.functional.embedding) and its weight gradient, a deterministic
 * scatter-add (shaders/embedding.comp). Both are linear in their float operand and each is the
 * other's adjoint, so the rules differentiate to any order; the indices get no gradient. */
#include "engine/nn/ops/ops.h"

static VksNode
embedding_node (VksGraph *g, VksOpKind op, VksNode src, VksNode indices, VksShape shape)
{
  VksNodeInfo info = {
    .op = op,
    .n_in = 2,
    .in = { src, indices },
    .shape = shape,
    .layout = VKS_LAYOUT_DENSE,
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_embedding (VksGraph *g, VksNode weight, VksNode indices)
{
  VksNode in[2] = { weight, indices };
  if (!vks_graph_ok (g, in, 2))
    return VKS_NONE;
  VksShape w = vks_graph_shape (g, weight);
  long rows = vks_shape_elements (vks_graph_shape (g, indices));
  if (w.n != 1 || w.c != 1)
    return vks_graph_fail (g, "embedding: the weight must be [1, 1, num, dim], not "
                           "[%d, %d, %d, %d]", w.n, w.c, w.h, w.w);
  /* the weight gradient loops over every index in each invocation */
  if (rows > VKS_MAX_LOOP_ITERATIONS)
    return vks_graph_fail (g, "embedding: %ld indices are more than one lookup may take (%d)",
                           rows, VKS_MAX_LOOP_ITERATIONS);
  return embedding_node (g, VKS_OP_EMBEDDING, weight, indices, vks_shape (1, 1, (int) rows, w.w));
}

static void
embedding_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  if (wanted[0])
    dx[0] = embedding_node (g, VKS_OP_EMBEDDING_GRAD, dy, info.in[1],
                            vks_graph_shape (g, info.in[0]));
}

static void
embedding_grad_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted,
                         VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  if (wanted[0])
    dx[0] = vks_embedding (g, dy, info.in[1]);
}

typedef struct {
  VksPushShape idx;
  int32_t dim, rows, num, stored;
} EmbeddingPush;

static gboolean
embedding_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksGraph *g = vks_plan_graph (plan);
  const VksNodeInfo *info = vks_node_info (g, node);
  gboolean grad = info->op == VKS_OP_EMBEDDING_GRAD;
  int32_t spec[] = { 0, grad };
  VksView views[] = {
    vks_plan_view (plan, info->in[0], VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, info->in[1], VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
  };
  VksShape table = grad ? info->shape : vks_graph_shape (g, info->in[0]);
  long stored = (vks_shape_elements (info->shape) + 3) / 4 * 4;
  EmbeddingPush push = {
    vks_plan_push_shape (plan, info->in[1]), table.w,
    (int32_t) vks_shape_elements (vks_graph_shape (g, info->in[1])), table.h, (int32_t) stored,
  };
  return vks_plan_dispatch (plan, VKS_KERNEL_EMBEDDING, spec, G_N_ELEMENTS (spec), views, &push, sizeof push,
                            stored, error);
}

const VksOpClass vks_embedding_class = { "embedding", embedding_backward, NULL,
                                         embedding_record };
const VksOpClass vks_embedding_grad_class = { "embedding_grad", embedding_grad_backward, NULL,
                                              embedding_record };
