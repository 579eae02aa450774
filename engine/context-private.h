/* What the engine's own files see of a VksContext. Not for the CLI or the plug-in. */
#pragma once
#include "engine/context.h"
#include "engine/error.h"

typedef struct VksKernelLayout VksKernelLayout;

struct VksContext {
  VkInstance instance;
  VkDebugUtilsMessengerEXT messenger;
  VkPhysicalDevice physical;
  VkPhysicalDeviceProperties props;
  VkPhysicalDeviceMemoryProperties memory_props;
  VkDeviceSize max_allocation;      /* VkPhysicalDeviceMaintenance3Properties */
  VkDevice device;
  VkQueue queue;
  uint32_t queue_family;
  VkCommandPool command_pool;
  VkPipelineCache pipeline_cache;
  char *pipeline_cache_path;        /* NULL: do not persist */
  GHashTable *pipelines;            /* "kernel:spec,..." -> VksPipeline* */
  VksKernelLayout *layouts;         /* one per kernel, created lazily (kernels.c) */
  guint workgroup_size;             /* invocations per workgroup for our 1-D kernels */
};

/* Turns a VkResult into a GError with a message a user can act on. Returns FALSE. */
gboolean vks_check (VkResult result, const char *what, GError **error);
