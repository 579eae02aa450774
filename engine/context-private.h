/* What the engine's own files see of a VksContext. Not for the CLI or the plug-in. */
#pragma once
#include "engine/context.h"
#include "engine/error.h"

typedef struct VksKernelLayout VksKernelLayout;

/* ---- Test hook: device-fault injection (tests/test_faults.c) ----
 * VKSTYLE_FAULT="alloc:N": the N-th vkAllocateMemory of a context returns
 * VK_ERROR_OUT_OF_DEVICE_MEMORY (that call only); "submit:N": the N-th vkQueueSubmit and every
 * later one return VK_ERROR_DEVICE_LOST, as a lost device stays lost. N counts from 1.
 * "poison": every new host-visible allocation is filled with 0xff bytes (NaN as floats), as a GPU
 * may hand out memory holding anything; results must not depend on it. "texels:N": the device
 * reports maxTexelBufferElements = N (if lower), as a smaller GPU does, so that a test of
 * modest size meets that limit. Read once by vks_context_new; unset means no fault and one
 * integer compare per call. */
typedef enum {
  VKS_FAULT_NONE, VKS_FAULT_ALLOC, VKS_FAULT_SUBMIT, VKS_FAULT_POISON, VKS_FAULT_TEXELS
} VksFaultKind;

typedef struct {
  VksFaultKind kind;
  guint64 at;
  guint64 allocs, submits;   /* calls so far */
} VksFaultHook;

/* Bytes of the device heap that are free now (VK_EXT_memory_budget), or its whole size where
 * the driver cannot tell (lavapipe in Mesa 22). */
VkDeviceSize vks_context_free_memory (const VksContext *ctx);

/* Loop iterations one invocation may run. Mesa 22's llvmpipe silently ends longer loops (its
 * loop limiter; measured: instance-norm statistics went wrong from 32 768 iterations on), so
 * kernels that loop over a plane size their workgroups and plans their planes to stay below
 * this, on every device. */
#define VKS_MAX_LOOP_ITERATIONS 16384

struct VksContext {
  VkInstance instance;
  VkDebugUtilsMessengerEXT messenger;
  VkPhysicalDevice physical;
  VkPhysicalDeviceProperties props;
  VkPhysicalDeviceMemoryProperties memory_props;
  VkDeviceSize max_allocation;      /* VkPhysicalDeviceMaintenance3Properties */
  uint32_t device_heap;             /* the largest device-local heap: where buffers go */
  gboolean memory_budget_ext;       /* VK_EXT_memory_budget enabled: free memory is known */
  VkDevice device;
  VkQueue queue;
  uint32_t queue_family;
  VkCommandPool command_pool;
  VkPipelineCache pipeline_cache;
  char *pipeline_cache_path;        /* NULL: do not persist */
  GHashTable *pipelines;            /* "kernel:spec,..." -> VksPipeline* */
  VksKernelLayout *layouts;         /* one per kernel, created lazily (kernels.c) */
  guint workgroup_size;             /* invocations per workgroup for our 1-D kernels */
  guint reduction_size;             /* the same for kernels that reduce a plane per workgroup */
  VksFaultHook fault;               /* test hook, see above */
  VkDeviceSize file_limit;          /* 0, or the file size limit device memory lives under */
  VkDeviceSize file_bytes;          /* what our live allocations hold of it */
};

/* Lavapipe in Mesa 25 (Debian 13) keeps all device memory of a process in one memory file
 * (memfd) that it grows with ftruncate without checking the result: under a file size limit
 * (RLIMIT_FSIZE, `ulimit -f`) the growth fails silently and the first touch of memory past the
 * limit kills the process with SIGBUS. Mesa 22 (Debian 12) used malloc. So where that limit is
 * finite, one page is allocated and mapped to see whether device memory comes from a file; if
 * it does, file_limit is set and vks_buffer_new refuses, with a clear error, an allocation that
 * would take the sum of ours past it. */
void vks_memory_probe_file_limit (VksContext *ctx);

/* Invocations of a kernel that reduces `floats` values (a plane, or a channel over all images)
 * in one workgroup: reduction_size on GPUs; on a CPU device the smallest power of two from 32
 * that keeps each invocation's loop within VKS_MAX_LOOP_ITERATIONS. Why: llvmpipe runs a
 * workgroup's invocations as coroutines switched at every barrier, so the tree reductions of a
 * 256-wide group over a small plane cost far more than the arithmetic (instance-norm backward of
 * a 128 x 16 x 16 PatchGAN layer: 9 ms). */
static inline guint
vks_reduction_workgroup (const VksContext *ctx, gint64 floats)
{
  if (ctx->props.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU)
    return ctx->reduction_size;
  guint wg = MIN (32u, ctx->reduction_size);
  while (wg < ctx->reduction_size && floats > (gint64) wg * VKS_MAX_LOOP_ITERATIONS)
    wg *= 2;
  return wg;
}

/* Test hook: the result the next call of this kind must return instead of calling Vulkan, or
 * VK_SUCCESS to call it. */
static inline VkResult
vks_fault_injected (VksContext *ctx, VksFaultKind kind)
{
  if (G_LIKELY (ctx->fault.kind == VKS_FAULT_NONE))
    return VK_SUCCESS;
  if (kind == VKS_FAULT_ALLOC && ++ctx->fault.allocs == ctx->fault.at && ctx->fault.kind == kind)
    return VK_ERROR_OUT_OF_DEVICE_MEMORY;
  if (kind == VKS_FAULT_SUBMIT && ++ctx->fault.submits >= ctx->fault.at && ctx->fault.kind == kind)
    return VK_ERROR_DEVICE_LOST;
  return VK_SUCCESS;
}

/* Turns a VkResult into a GError with a message a user can act on. Returns FALSE. */
gboolean vks_check (VkResult result, const char *what, GError **error);
