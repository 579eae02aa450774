/* The embedded compute kernels and their pipelines: one VkPipeline per (kernel, specialisation
 * constants), created on first use and kept for the context's lifetime; the driver's
 * VkPipelineCache is persisted under the user cache dir (see context.c). */
#pragma once
#include "engine/context-private.h"

typedef enum {
  VKS_KERNEL_IM2COL,
  VKS_KERNEL_GEMM,
  VKS_KERNEL_NORM,
  VKS_KERNEL_WINOGRAD,
  VKS_KERNEL_SHUFFLE,
  VKS_KERNEL_NORM_BACKWARD,   /* norm.comp built with NORM_BACKWARD (engine/backward.c) */
  VKS_KERNEL_ADAM,            /* engine/optim.c */
  VKS_KERNEL_GATHER,          /* engine/optim.c */
  VKS_KERNEL_EMA,             /* engine/optim.c */
  VKS_KERNEL_POINTWISE,       /* engine/nn/ops/pointwise.c */
  VKS_KERNEL_REDUCE,          /* engine/nn/ops/shape.c */
  VKS_KERNEL_POOL,            /* engine/nn/ops/pool.c */
  VKS_KERNEL_MATMUL,          /* engine/nn/ops/matmul.c */
  VKS_KERNEL_SOFTMAX,         /* engine/nn/ops/softmax.c */
  VKS_KERNEL_CONCAT,          /* engine/nn/ops/concat.c */
  VKS_KERNEL_EMBEDDING,       /* engine/nn/ops/embedding.c */
  VKS_KERNEL_VQ,              /* engine/nn/ops/vq.c */
  VKS_KERNEL_CAUSAL_MASK,     /* engine/nn/ops/attention.c */
  VKS_KERNEL_MATMUL_TILED,    /* engine/nn/ops/matmul.c, large products */
  VKS_KERNEL_COUNT
} VksKernel;

#define VKS_MAX_SPEC 12
#define VKS_MAX_BINDINGS 6
#define VKS_PUSH_BYTES 128   /* the minimum maxPushConstantsSize every device has */

typedef struct {
  VksKernel kernel;
  char *label;             /* "kernel:spec,..." for profiles */
  VkPipeline pipeline;
  VkPipelineLayout layout;
  VkDescriptorSetLayout set_layout;
  guint n_bindings;
  VkDescriptorType binding_types[VKS_MAX_BINDINGS];
} VksPipeline;

/* spec[0] is the workgroup size (constant_id 0), spec[i] constant_id i. The returned pipeline is
 * owned by ctx. */
VksPipeline *vks_pipeline_get (VksContext *ctx, VksKernel kernel, const int32_t *spec,
                               guint n_spec, GError **error);
/* Destroys every pipeline and layout (called by vks_context_free). */
void vks_kernels_release (VksContext *ctx);
