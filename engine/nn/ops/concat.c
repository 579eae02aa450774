/* Concatenation and slicing along a dimension (shaders/concat.comp), each the other's adjoint:
 * concat's gradient is slices of dy, a slice's is dy concatenated between zeros. Both are
 * linear, so they differentiate to any order.
 *
 * Concatenation copies: a later planner optimisation can have the inputs computed in place in
 * the output's storage (torch.cat by placement), which needs no kernel at all. */
#include "engine/nn/ops/ops.h"

#include <string.h>

/* Tensors one concat node reads: shaders/concat.comp's source bindings. */
#define CONCAT_SOURCES 3

static int
dim_size (VksShape s, int dim)
{
  int d[4] = { s.n, s.c, s.h, s.w };
  return d[dim];
}

static VksShape
with_dim (VksShape s, int dim, int size)
{
  int d[4] = { s.n, s.c, s.h, s.w };
  d[dim] = size;
  return vks_shape (d[0], d[1], d[2], d[3]);
}

static VksNode
concat_node (VksGraph *g, int dim, const VksNode *xs, int n)
{
  VksShape s = vks_graph_shape (g, xs[0]);
  int total = 0;
  for (int i = 0; i < n; i++) {
    VksShape t = vks_graph_shape (g, xs[i]);
    if (!vks_shape_equal (with_dim (t, dim, 1), with_dim (s, dim, 1)))
      return vks_graph_fail (g, "concat: [%d, %d, %d, %d] and [%d, %d, %d, %d] differ outside "
                             "dimension %d", s.n, s.c, s.h, s.w, t.n, t.c, t.h, t.w, dim);
    total += dim_size (t, dim);
  }
  VksNodeInfo info = {
    .op = VKS_OP_CONCAT,
    .n_in = n,
    .shape = with_dim (s, dim, total),
    .layout = vks_node_info (g, xs[0])->layout,
    .attr.select = { dim, 0 },
  };
  memcpy (info.in, xs, n * sizeof *xs);
  return vks_graph_add (g, &info);
}

VksNode
vks_concat_dim (VksGraph *g, int dim, const VksNode *xs, int n)
{
  if (n < 1 || dim < 0 || dim > 3)
    return vks_graph_fail (g, "concat: %d tensors along dimension %d", n, dim);
  if (!vks_graph_ok (g, xs, n))
    return VKS_NONE;
  if (n == 1)
    return xs[0];
  /* A node reads at most CONCAT_SOURCES tensors: longer lists concatenate in groups, the first
   * result joining the next group (its values are copied again; placement will avoid it). */
  VksNode acc = concat_node (g, dim, xs, MIN (n, CONCAT_SOURCES));
  for (int i = CONCAT_SOURCES; i < n && acc != VKS_NONE; i += CONCAT_SOURCES - 1) {
    VksNode group[CONCAT_SOURCES] = { acc };
    int k = MIN (n - i, CONCAT_SOURCES - 1);
    memcpy (group + 1, xs + i, k * sizeof *xs);
    acc = concat_node (g, dim, group, k + 1);
  }
  return acc;
}

VksNode
vks_concat (VksGraph *g, const VksNode *xs, int n)
{
  return vks_concat_dim (g, 1, xs, n);
}

VksNode
vks_slice (VksGraph *g, VksNode x, int dim, int begin, int count)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  if (dim < 0 || dim > 3 || begin < 0 || count < 1 || begin + count > dim_size (s, dim))
    return vks_graph_fail (g, "slice: [%d, %d) along dimension %d of [%d, %d, %d, %d]", begin,
                           begin + count, dim, s.n, s.c, s.h, s.w);
  if (count == dim_size (s, dim))
    return x;
  VksNodeInfo info = {
    .op = VKS_OP_SLICE,
    .n_in = 1,
    .in = { x },
    .shape = with_dim (s, dim, count),
    .layout = vks_node_info (g, x)->layout,
    .attr.select = { dim, begin },
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_slice_channels (VksGraph *g, VksNode x, int begin, int count)
{
  return vks_slice (g, x, 1, begin, count);
}

static void
concat_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  int dim = info.attr.select.dim, at = 0;
  for (int i = 0; i < info.n_in; i++) {
    int size = dim_size (vks_graph_shape (g, info.in[i]), dim);
    if (wanted[i])
      dx[i] = vks_slice (g, dy, dim, at, size);
    at += size;
  }
}

static void
slice_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  (void) wanted;
  const VksNodeInfo info = *vks_node_info (g, node);
  int dim = info.attr.select.dim, begin = info.attr.select.begin;
  VksShape s = vks_graph_shape (g, info.in[0]);
  int after = dim_size (s, dim) - begin - dim_size (info.shape, dim);
  VksNode parts[3];
  int n = 0;
  if (begin > 0)
    parts[n++] = vks_const (g, with_dim (s, dim, begin), 0.0f);
  parts[n++] = dy;
  if (after > 0)
    parts[n++] = vks_const (g, with_dim (s, dim, after), 0.0f);
  dx[0] = concat_node (g, dim, parts, n);
}

typedef struct {
  VksPushShape o, s[3];
  int32_t begin, end0, end1, stored;
} ConcatPush;

static gboolean
select_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksGraph *g = vks_plan_graph (plan);
  const VksNodeInfo *info = vks_node_info (g, node);
  int dim = info->attr.select.dim;
  int32_t spec[] = { 0, dim };
  ConcatPush push = { .o = vks_plan_push_shape (plan, node), .begin = info->attr.select.begin };
  VksView views[4];
  int32_t end[3];
  int at = 0;
  for (int i = 0; i < CONCAT_SOURCES; i++) {
    VksNode src = info->in[MIN (i, info->n_in - 1)];   /* unused bindings repeat the last */
    views[i] = vks_plan_view (plan, src, VK_FORMAT_R32_SFLOAT);
    push.s[i] = vks_plan_push_shape (plan, src);
    at += i < info->n_in ? dim_size (vks_graph_shape (g, src), dim) : 0;
    end[i] = info->op == VKS_OP_SLICE ? G_MAXINT32 : at;
  }
  views[3] = vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT);
  push.end0 = end[0];
  push.end1 = end[1];
  VksTensor t = vks_plan_tensor (plan, node);
  long stored = (long) ((VkDeviceSize) t.n * t.c * t.plane + 3) / 4 * 4;
  push.stored = (int32_t) stored;
  return vks_plan_dispatch (plan, VKS_KERNEL_CONCAT, spec, G_N_ELEMENTS (spec), views, &push, sizeof push,
                            stored, error);
}

const VksOpClass vks_concat_class = { "concat", concat_backward, NULL, select_record };
const VksOpClass vks_slice_class = { "slice", slice_backward, NULL, select_record };
