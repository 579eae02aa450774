/* One row per op: what autograd and the planner call. */
#include "engine/nn/ops/ops.h"

const VksOpClass vks_leaf_class = { "leaf", NULL, NULL, NULL };

static const VksOpClass *const classes[VKS_OP_COUNT] = {
  [VKS_OP_INPUT] = &vks_leaf_class,
  [VKS_OP_PARAM] = &vks_leaf_class,
  [VKS_OP_CONST] = &vks_const_class,
  [VKS_OP_CONV2D] = &vks_conv2d_class,
  [VKS_OP_CONV2D_DATA_GRAD] = &vks_conv2d_data_grad_class,
  [VKS_OP_CONV2D_WEIGHT_GRAD] = &vks_conv2d_weight_grad_class,
  [VKS_OP_MATMUL] = &vks_matmul_class,
  [VKS_OP_POINTWISE] = &vks_pointwise_class,
  [VKS_OP_SUM_TO] = &vks_sum_to_class,
  [VKS_OP_AVG_POOL2] = &vks_avg_pool2_class,
  [VKS_OP_UPSAMPLE2] = &vks_upsample2_class,
  [VKS_OP_RESHAPE] = &vks_reshape_class,
  [VKS_OP_NORM] = &vks_norm_class,
  [VKS_OP_NORM_GRAD] = &vks_norm_grad_class,
  [VKS_OP_NORM_STATS] = &vks_norm_stats_class,
  [VKS_OP_SOFTMAX] = &vks_softmax_class,
  [VKS_OP_MAX_POOL2] = &vks_max_pool2_class,
  [VKS_OP_MAX_POOL2_ROUTE] = &vks_max_pool2_route_class,
  [VKS_OP_CONCAT] = &vks_concat_class,
  [VKS_OP_SLICE] = &vks_slice_class,
  [VKS_OP_EMBEDDING] = &vks_embedding_class,
  [VKS_OP_EMBEDDING_GRAD] = &vks_embedding_grad_class,
  [VKS_OP_POOL2D] = &vks_pool2d_class,
  [VKS_OP_VQ_NEAREST] = &vks_vq_nearest_class,
  [VKS_OP_VQ_LOOKUP] = &vks_vq_lookup_class,
  [VKS_OP_VQ_SCATTER] = &vks_vq_scatter_class,
  [VKS_OP_STOP_GRADIENT] = &vks_stop_gradient_class,
  [VKS_OP_CAUSAL_MASK] = &vks_causal_mask_class,
};

const VksOpClass *
vks_op_class (VksOpKind op)
{
  return classes[op];
}
