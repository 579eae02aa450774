/* Instance norm and batch norm with running statistics, with the activation and residual add
 * the norm kernel fuses (shaders/norm.comp through engine/ops.h: y = act(norm(x)) + residual),
 * and the instance norm's backward (engine/backward.h). Second derivatives through a norm are
 * not provided: no model's gradient penalty passes through one (StarGAN v2's and WGAN-GP's
 * critics have none). */
#include "engine/nn/ops/ops.h"

#include "engine/backward.h"

typedef struct {
  VksNorm norm;
  VkDeviceSize params_offset;   /* packed gamma | beta | mean | var, when the kernel reads them */
  VkDeviceSize params_bytes;
} NormLowered;

static int
n_params (const VksNodeInfo *info)
{
  return info->n_in - (info->attr.norm.residual ? 2 : 1);
}

VksNode
vks_norm (VksGraph *g, VksNode x, const VksNormAttrs *a, const VksNode *params, VksNode residual)
{
  int np = a->instance ? 0 : a->given ? 1 : 4;
  if (a->instance && (a->affine || a->given))
    return vks_graph_fail (g, "norm: affine instance norm is built from primitives");
  VksNode in[VKS_MAX_INPUTS] = { x };
  int n_in = 1;
  if (residual != VKS_NONE)
    in[n_in++] = residual;
  for (int i = 0; i < np; i++)
    in[n_in++] = params[i];
  if (!vks_graph_ok (g, in, n_in))
    return g->error ? VKS_NONE : vks_graph_fail (g, "norm: an input node is missing");
  VksShape s = vks_graph_shape (g, x);
  if (residual != VKS_NONE && !vks_shape_equal (vks_graph_shape (g, residual), s))
    return vks_graph_fail (g, "norm: the residual has another shape than x");
  for (int i = 0; i < np; i++)
    if (vks_shape_elements (vks_graph_shape (g, params[i])) != (a->given ? 2 : 1) * s.c)
      return vks_graph_fail (g, "norm: parameter %d needs %d values", i, (a->given ? 2 : 1) * s.c);
  if (a->act == VKS_ACT_LEAKY_RELU && a->slope <= 0.0f)
    return vks_graph_fail (g, "norm: a fused LeakyReLU needs a positive slope");
  /* One workgroup per plane loops over it in 256 invocations (context.c). */
  if ((long) s.h * s.w > 256L * VKS_MAX_LOOP_ITERATIONS)
    return vks_graph_fail_code (g, VKS_ERROR_TOO_LARGE, "norm: a %d x %d plane is larger than "
                                "one workgroup may normalise (VKS_MAX_LOOP_ITERATIONS)", s.w, s.h);
  VksNodeInfo info = {
    .op = VKS_OP_NORM,
    .n_in = n_in,
    .shape = s,
    .layout = VKS_LAYOUT_PLANES,
    .attr.norm = *a,
  };
  info.attr.norm.residual = residual != VKS_NONE;
  info.in[0] = vks_as_layout (g, x, VKS_LAYOUT_PLANES);
  for (int i = 1; i < n_in; i++)
    info.in[i] = i == 1 && residual != VKS_NONE ? vks_as_layout (g, residual, VKS_LAYOUT_PLANES)
                                                : vks_as_layout (g, in[i], VKS_LAYOUT_DENSE);
  return vks_graph_add (g, &info);
}

VksNode
vks_instance_norm (VksGraph *g, VksNode x, VksActivation act, VksNode residual)
{
  VksNormAttrs a = { .instance = TRUE, .act = act, .eps = 1e-5f };
  return vks_norm (g, x, &a, NULL, residual);
}

VksNode
vks_norm_given (VksGraph *g, VksNode x, VksNode stats, VksActivation act, float slope,
                VksNode residual)
{
  VksNormAttrs a = { .given = TRUE, .act = act, .slope = slope, .eps = 1e-5f };
  return vks_norm (g, x, &a, &stats, residual);
}

VksNode
vks_norm_statistics (VksGraph *g, VksNode x, VksNode region, VksNode corrections, int shift)
{
  VksNode aux = region != VKS_NONE ? region : corrections;
  VksNode in[2] = { x, aux };
  if (!vks_graph_ok (g, in, aux != VKS_NONE ? 2 : 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  long want = region != VKS_NONE ? 4 : 2L * s.c;
  if (region != VKS_NONE && corrections != VKS_NONE)
    return vks_graph_fail (g, "norm_statistics: a region or corrections, not both");
  if (aux != VKS_NONE && vks_shape_elements (vks_graph_shape (g, aux)) != want)
    return vks_graph_fail (g, "norm_statistics: the %s needs %ld values",
                           region != VKS_NONE ? "region" : "corrections", want);
  if ((long) s.h * s.w > 256L * VKS_MAX_LOOP_ITERATIONS)
    return vks_graph_fail_code (g, VKS_ERROR_TOO_LARGE, "norm_statistics: a %d x %d plane is "
                                "larger than one workgroup may measure", s.w, s.h);
  VksNodeInfo info = {
    .op = VKS_OP_NORM_STATS,
    .n_in = aux != VKS_NONE ? 2 : 1,
    .in = { vks_as_layout (g, x, VKS_LAYOUT_PLANES),
            aux != VKS_NONE ? vks_as_layout (g, aux, VKS_LAYOUT_DENSE) : VKS_NONE },
    .shape = vks_shape (1, 1, 1, 2 * s.c),
    .layout = VKS_LAYOUT_DENSE,
    .attr.stats = { region != VKS_NONE, corrections != VKS_NONE, shift },
  };
  return vks_graph_add (g, &info);
}

static gboolean
norm_stats_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  VksTensor x = vks_plan_tensor (plan, info->in[0]);
  VksTensor y = vks_plan_tensor (plan, node);
  VksView aux = info->n_in == 2 ? vks_plan_view (plan, info->in[1], VK_FORMAT_R32_SFLOAT)
                                : (VksView) { 0 };
  return vks_norm_statistics_record (vks_plan_recorder (plan), &x,
                                     info->n_in == 2 ? &aux : NULL, info->attr.stats.region,
                                     info->attr.stats.shift, info->attr.stats.correct, y.buf,
                                     y.offset, error);
}

static void
norm_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  if (!info.attr.norm.instance) {
    vks_graph_fail (g, "norm: a norm with given or running statistics has no gradient "
                    "(inference only; training uses batch statistics)");
    return;
  }
  /* the backward loops over every image's plane in one workgroup per channel */
  if ((long) info.shape.n * info.shape.h * info.shape.w > 256L * VKS_MAX_LOOP_ITERATIONS) {
    vks_graph_fail_code (g, VKS_ERROR_TOO_LARGE, "norm: %d planes of %d x %d are more than one "
                         "workgroup may sum for the gradient", info.shape.n, info.shape.w,
                         info.shape.h);
    return;
  }
  if (wanted[0]) {
    VksNodeInfo grad = {
      .op = VKS_OP_NORM_GRAD,
      .n_in = 2,
      .in = { info.in[0], vks_as_layout (g, dy, VKS_LAYOUT_PLANES) },
      .shape = info.shape,
      .layout = VKS_LAYOUT_PLANES,
      .attr.norm = info.attr.norm,
    };
    dx[0] = vks_graph_add (g, &grad);
  }
  if (info.attr.norm.residual && wanted[1])
    dx[1] = dy;
}

static gboolean
norm_prepare (VksPlan *plan, VksNode node, GError **error)
{
  (void) error;
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  const VksNormAttrs *a = &info->attr.norm;
  NormLowered *l = g_new0 (NormLowered, 1);
  vks_plan_set_data (plan, node, l);
  VksArena *packed = vks_plan_packed_arena (plan);
  vks_norm_init (&l->norm, info->shape.c, a->instance, !a->instance && !a->given, a->act,
                 a->slope, a->eps, packed);
  int np = n_params (info);
  if (info->op != VKS_OP_NORM || np == 0)
    return TRUE;
  /* The kernel reads gamma | beta | running mean | running var as one array. */
  int c = info->shape.c;
  l->params_offset = l->norm.params_offset;
  l->params_bytes = (VkDeviceSize) 4 * c * sizeof (float);
  const VksNode *params = info->in + info->n_in - np;
  VkDeviceSize first = l->params_offset / sizeof (float);
  if (a->given)   /* mean[C], var[C] into the running-statistics slots; no affine part */
    for (int k = 0; k < 2 * c; k++)
      vks_plan_map_element (plan, first + 2 * (VkDeviceSize) c + k, params[0], k);
  else
    for (int i = 0; i < np; i++)
      for (int k = 0; k < c; k++)
        vks_plan_map_element (plan, first + (VkDeviceSize) i * c + k, params[i], k);
  return TRUE;
}

static gboolean
norm_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  NormLowered *l = vks_plan_data (plan, node);
  l->norm.params = vks_plan_packed_buffer (plan);
  int np = n_params (info);
  if (np > 0) {
    VksRecorder *rec = vks_plan_repack_recorder (plan, info->in + info->n_in - np, np, error);
    if (rec == NULL ||
        !vks_plan_record_gather (plan, rec, l->params_offset, l->params_bytes, error))
      return FALSE;
  }
  VksTensor x = vks_plan_tensor (plan, info->in[0]);
  VksTensor y = vks_plan_tensor (plan, node);
  VksTensor r = info->attr.norm.residual ? vks_plan_tensor (plan, info->in[1]) : x;
  return vks_norm_forward (vks_plan_recorder (plan), &l->norm, &x,
                           info->attr.norm.residual ? &r : NULL, &y, error);
}

static gboolean
norm_grad_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  NormLowered *l = vks_plan_data (plan, node);
  VksTensor x = vks_plan_tensor (plan, info->in[0]);
  VksTensor dy = vks_plan_tensor (plan, info->in[1]);
  VksTensor dx = vks_plan_tensor (plan, node);
  return vks_norm_backward (vks_plan_recorder (plan), &l->norm, &x, &dy, &dx, NULL, 0, FALSE,
                            error);
}

const VksOpClass vks_norm_class = { "norm", norm_backward, norm_prepare, norm_record };
const VksOpClass vks_norm_grad_class = { "norm_grad", NULL, norm_prepare, norm_grad_record };
const VksOpClass vks_norm_stats_class = { "norm_statistics", NULL, NULL, norm_stats_record };
