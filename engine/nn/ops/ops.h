/* Shared by the op families of engine/nn/ops/: each defines its VksOpClass rows here. */
#pragma once
#include "engine/kernels.h"
#include "engine/nn/plan-private.h"

extern const VksOpClass vks_leaf_class, vks_const_class, vks_pointwise_class, vks_conv2d_class,
  vks_conv2d_data_grad_class, vks_conv2d_weight_grad_class, vks_matmul_class, vks_sum_to_class,
  vks_avg_pool2_class, vks_upsample2_class, vks_reshape_class, vks_norm_class,
  vks_norm_grad_class, vks_softmax_class, vks_max_pool2_class, vks_max_pool2_route_class,
  vks_concat_class, vks_slice_class, vks_embedding_class, vks_embedding_grad_class,
  vks_norm_stats_class, vks_pool2d_class;
/* ops/vq.c, ops/attention.c */
extern const VksOpClass vks_vq_nearest_class, vks_vq_lookup_class, vks_vq_scatter_class,
  vks_stop_gradient_class, vks_causal_mask_class;

gboolean vks_reshape_record (VksPlan *plan, VksNode node, GError **error);
