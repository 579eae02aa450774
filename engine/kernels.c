#include "engine/kernels.h"

#include <string.h>

#include "shaders/im2col_spv.h"
#include "shaders/gemm_spv.h"
#include "shaders/norm_spv.h"
#include "shaders/winograd_spv.h"
#include "shaders/shuffle_spv.h"
#include "shaders/norm_backward_spv.h"
#include "shaders/adam_spv.h"
#include "shaders/gather_spv.h"
#include "shaders/ema_spv.h"
#include "shaders/pointwise_spv.h"
#include "shaders/reduce_spv.h"
#include "shaders/pool_spv.h"
#include "shaders/matmul_spv.h"
#include "shaders/softmax_spv.h"
#include "shaders/concat_spv.h"
#include "shaders/embedding_spv.h"
#include "shaders/vq_spv.h"
#include "shaders/causal_mask_spv.h"
#include "shaders/matmul_tiled_spv.h"

#define U VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER
#define S VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER

typedef struct {
  const char *name;
  const uint32_t *code;
  size_t code_size;
  guint n_bindings;
  VkDescriptorType bindings[VKS_MAX_BINDINGS];
} KernelInfo;

/* Binding lists mirror the layout(binding = N) declarations of each shader. */
static const KernelInfo kernel_info[VKS_KERNEL_COUNT] = {
  [VKS_KERNEL_IM2COL] = { "im2col", im2col_spv, sizeof im2col_spv, 3, { U, S, U } },
  [VKS_KERNEL_GEMM] = { "gemm", gemm_spv, sizeof gemm_spv, 5, { U, U, U, S, S } },
  [VKS_KERNEL_NORM] = { "norm", norm_spv, sizeof norm_spv, 4, { U, U, U, S } },
  [VKS_KERNEL_WINOGRAD] = { "winograd", winograd_spv, sizeof winograd_spv, 4, { U, U, S, S } },
  [VKS_KERNEL_SHUFFLE] = { "shuffle", shuffle_spv, sizeof shuffle_spv, 2, { U, S } },
  [VKS_KERNEL_NORM_BACKWARD] = { "norm_backward", norm_backward_spv, sizeof norm_backward_spv, 6,
                                 { U, U, U, U, S, S } },
  [VKS_KERNEL_ADAM] = { "adam", adam_spv, sizeof adam_spv, 5, { U, U, S, S, S } },
  [VKS_KERNEL_GATHER] = { "gather", gather_spv, sizeof gather_spv, 3, { U, U, S } },
  [VKS_KERNEL_EMA] = { "ema", ema_spv, sizeof ema_spv, 3, { U, U, S } },
  [VKS_KERNEL_POINTWISE] = { "pointwise", pointwise_spv, sizeof pointwise_spv, 4, { U, U, S, S } },
  [VKS_KERNEL_REDUCE] = { "reduce", reduce_spv, sizeof reduce_spv, 2, { U, S } },
  [VKS_KERNEL_POOL] = { "pool", pool_spv, sizeof pool_spv, 3, { U, U, S } },
  [VKS_KERNEL_MATMUL] = { "matmul", matmul_spv, sizeof matmul_spv, 3, { U, U, S } },
  [VKS_KERNEL_SOFTMAX] = { "softmax", softmax_spv, sizeof softmax_spv, 2, { U, S } },
  [VKS_KERNEL_CONCAT] = { "concat", concat_spv, sizeof concat_spv, 4, { U, U, U, S } },
  [VKS_KERNEL_EMBEDDING] = { "embedding", embedding_spv, sizeof embedding_spv, 3, { U, U, S } },
  [VKS_KERNEL_VQ] = { "vq", vq_spv, sizeof vq_spv, 3, { U, U, S } },
  [VKS_KERNEL_CAUSAL_MASK] = { "causal_mask", causal_mask_spv, sizeof causal_mask_spv, 2, { U, S } },
  [VKS_KERNEL_MATMUL_TILED] = { "matmul_tiled", matmul_tiled_spv, sizeof matmul_tiled_spv, 3,
                                { U, U, S } },
};

struct VksKernelLayout {
  VkShaderModule module;
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout layout;
};

static void
pipeline_destroy (VksContext *ctx, VksPipeline *p)
{
  if (p->pipeline != VK_NULL_HANDLE)
    vkDestroyPipeline (ctx->device, p->pipeline, NULL);
  g_free (p->label);
  g_free (p);
}

static VksKernelLayout *
kernel_layout (VksContext *ctx, VksKernel kernel, GError **error)
{
  if (ctx->layouts == NULL)
    ctx->layouts = g_new0 (VksKernelLayout, VKS_KERNEL_COUNT);
  VksKernelLayout *kl = &ctx->layouts[kernel];
  const KernelInfo *ki = &kernel_info[kernel];
  if (kl->layout != VK_NULL_HANDLE)
    return kl;

  VkShaderModuleCreateInfo minfo = {
    .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
    .codeSize = ki->code_size,
    .pCode = ki->code,
  };
  if (!vks_check (vkCreateShaderModule (ctx->device, &minfo, NULL, &kl->module),
                  "Loading a compute shader", error))
    return NULL;

  VkDescriptorSetLayoutBinding b[VKS_MAX_BINDINGS];
  for (guint i = 0; i < ki->n_bindings; i++)
    b[i] = (VkDescriptorSetLayoutBinding) {
      .binding = i,
      .descriptorType = ki->bindings[i],
      .descriptorCount = 1,
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };
  VkDescriptorSetLayoutCreateInfo sinfo = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
    .bindingCount = ki->n_bindings,
    .pBindings = b,
  };
  if (!vks_check (vkCreateDescriptorSetLayout (ctx->device, &sinfo, NULL, &kl->set_layout),
                  "Creating a descriptor set layout", error))
    return NULL;

  VkPushConstantRange push = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    .size = VKS_PUSH_BYTES,
  };
  VkPipelineLayoutCreateInfo linfo = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
    .setLayoutCount = 1,
    .pSetLayouts = &kl->set_layout,
    .pushConstantRangeCount = 1,
    .pPushConstantRanges = &push,
  };
  if (!vks_check (vkCreatePipelineLayout (ctx->device, &linfo, NULL, &kl->layout),
                  "Creating a pipeline layout", error))
    return NULL;
  return kl;
}

VksPipeline *
vks_pipeline_get (VksContext *ctx, VksKernel kernel, const int32_t *spec, guint n_spec,
                  GError **error)
{
  g_return_val_if_fail (kernel < VKS_KERNEL_COUNT && n_spec >= 1 && n_spec <= VKS_MAX_SPEC, NULL);
  GString *key = g_string_new (kernel_info[kernel].name);
  for (guint i = 0; i < n_spec; i++)
    g_string_append_printf (key, "%c%d", i == 0 ? ':' : ',', spec[i]);
  VksPipeline *p = g_hash_table_lookup (ctx->pipelines, key->str);
  if (p != NULL) {
    g_string_free (key, TRUE);
    return p;
  }

  VksKernelLayout *kl = kernel_layout (ctx, kernel, error);
  if (kl == NULL) {
    g_string_free (key, TRUE);
    return NULL;
  }
  VkSpecializationMapEntry entries[VKS_MAX_SPEC];
  for (guint i = 0; i < n_spec; i++)
    entries[i] = (VkSpecializationMapEntry) {
      .constantID = i, .offset = i * sizeof (int32_t), .size = sizeof (int32_t),
    };
  VkSpecializationInfo sinfo = {
    .mapEntryCount = n_spec,
    .pMapEntries = entries,
    .dataSize = n_spec * sizeof (int32_t),
    .pData = spec,
  };
  VkComputePipelineCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
    .stage = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
      .module = kl->module,
      .pName = "main",
      .pSpecializationInfo = &sinfo,
    },
    .layout = kl->layout,
  };
  p = g_new0 (VksPipeline, 1);
  p->kernel = kernel;
  p->label = g_strdup (key->str);
  p->layout = kl->layout;
  p->set_layout = kl->set_layout;
  p->n_bindings = kernel_info[kernel].n_bindings;
  memcpy (p->binding_types, kernel_info[kernel].bindings, sizeof p->binding_types);
  if (!vks_check (vkCreateComputePipelines (ctx->device, ctx->pipeline_cache, 1, &info, NULL,
                                            &p->pipeline),
                  "Creating a compute pipeline", error)) {
    pipeline_destroy (ctx, p);
    g_string_free (key, TRUE);
    return NULL;
  }
  g_hash_table_insert (ctx->pipelines, g_string_free (key, FALSE), p);
  return p;
}

void
vks_kernels_release (VksContext *ctx)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, ctx->pipelines);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    pipeline_destroy (ctx, value);
    g_hash_table_iter_remove (&it);
  }
  if (ctx->layouts != NULL) {
    for (int k = 0; k < VKS_KERNEL_COUNT; k++) {
      VksKernelLayout *kl = &ctx->layouts[k];
      if (kl->layout != VK_NULL_HANDLE)
        vkDestroyPipelineLayout (ctx->device, kl->layout, NULL);
      if (kl->set_layout != VK_NULL_HANDLE)
        vkDestroyDescriptorSetLayout (ctx->device, kl->set_layout, NULL);
      if (kl->module != VK_NULL_HANDLE)
        vkDestroyShaderModule (ctx->device, kl->module, NULL);
    }
    g_clear_pointer (&ctx->layouts, g_free);
  }
}
