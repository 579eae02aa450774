#include "engine/context-private.h"
#include "engine/kernels.h"

#include <string.h>

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"
#define NO_DRIVER_HINT \
  "Install a Vulkan driver: on Debian the package mesa-vulkan-drivers provides one for every " \
  "machine (lavapipe runs on the CPU); GPU vendors ship their own."

gboolean
vks_check (VkResult result, const char *what, GError **error)
{
  if (result == VK_SUCCESS)
    return TRUE;
  switch (result) {
  case VK_ERROR_OUT_OF_HOST_MEMORY:
  case VK_ERROR_OUT_OF_DEVICE_MEMORY:
  case VK_ERROR_OUT_OF_POOL_MEMORY:
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "%s: out of memory on the Vulkan device (try a smaller image or processing scale)",
                 what);
    break;
  case VK_ERROR_DEVICE_LOST:
    g_set_error (error, VKS_ERROR, VKS_ERROR_DEVICE_LOST,
                 "%s: the Vulkan device was lost (driver reset or crash)", what);
    break;
  case VK_ERROR_INCOMPATIBLE_DRIVER:
  case VK_ERROR_INITIALIZATION_FAILED:
    g_set_error (error, VKS_ERROR, VKS_ERROR_NO_DEVICE, "%s: no usable Vulkan driver. %s", what,
                 NO_DRIVER_HINT);
    break;
  default:
    g_set_error (error, VKS_ERROR, VKS_ERROR_VULKAN, "%s failed (VkResult %d)", what, (int) result);
  }
  return FALSE;
}

static VkBool32 VKAPI_PTR
log_validation_message (VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                        VkDebugUtilsMessageTypeFlagsEXT types,
                        const VkDebugUtilsMessengerCallbackDataEXT *data, void *user_data)
{
  (void) types;
  (void) user_data;
  /* g_warning: the GLib test harness treats it as fatal, so a validation message fails a test. */
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
    g_warning ("Vulkan validation: %s", data->pMessage);
  return VK_FALSE;
}

static gboolean
validation_requested (void)
{
  const char *v = g_getenv ("VKSTYLE_VALIDATE");
  return v != NULL && strcmp (v, "") != 0 && strcmp (v, "0") != 0;
}

static gboolean
layer_available (const char *name)
{
  uint32_t n = 0;
  vkEnumerateInstanceLayerProperties (&n, NULL);
  g_autofree VkLayerProperties *layers = g_new0 (VkLayerProperties, MAX (n, 1));
  vkEnumerateInstanceLayerProperties (&n, layers);
  for (uint32_t i = 0; i < n; i++)
    if (strcmp (layers[i].layerName, name) == 0)
      return TRUE;
  return FALSE;
}

static VkDebugUtilsMessengerCreateInfoEXT
messenger_info (void)
{
  VkDebugUtilsMessengerCreateInfoEXT info = {
    .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
    .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
    .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
    .pfnUserCallback = log_validation_message,
  };
  return info;
}

static VkInstance
create_instance (gboolean validate, GError **error)
{
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "vkstyle",
    .pEngineName = "vkstyle",
    .apiVersion = VK_API_VERSION_1_1,
  };
  const char *layers[] = { VALIDATION_LAYER };
  const char *extensions[] = { VK_EXT_DEBUG_UTILS_EXTENSION_NAME };
  VkDebugUtilsMessengerCreateInfoEXT dbg = messenger_info ();
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  if (validate) {
    if (!layer_available (VALIDATION_LAYER)) {
      g_warning ("VKSTYLE_VALIDATE is set but the Vulkan validation layer is not installed "
                 "(Debian package vulkan-validationlayers)");
    } else {
      info.enabledLayerCount = 1;
      info.ppEnabledLayerNames = layers;
      info.enabledExtensionCount = 1;
      info.ppEnabledExtensionNames = extensions;
      info.pNext = &dbg;
    }
  }
  VkInstance instance = VK_NULL_HANDLE;
  VkResult r = vkCreateInstance (&info, NULL, &instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER || r == VK_ERROR_INITIALIZATION_FAILED) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_NO_DEVICE, "No Vulkan driver found. %s",
                 NO_DRIVER_HINT);
    return VK_NULL_HANDLE;
  }
  if (!vks_check (r, "Creating the Vulkan instance", error))
    return VK_NULL_HANDLE;
  return instance;
}

static int
device_type_rank (VkPhysicalDeviceType type)
{
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
  case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
  default: return 4;
  }
}

static const char *
device_type_name (VkPhysicalDeviceType type)
{
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
  case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
  default: return "other";
  }
}

static gboolean
device_has_extension (VkPhysicalDevice dev, const char *name)
{
  uint32_t n = 0;
  if (vkEnumerateDeviceExtensionProperties (dev, NULL, &n, NULL) != VK_SUCCESS)
    return FALSE;
  g_autofree VkExtensionProperties *ext = g_new0 (VkExtensionProperties, MAX (n, 1));
  if (vkEnumerateDeviceExtensionProperties (dev, NULL, &n, ext) != VK_SUCCESS)
    return FALSE;
  for (uint32_t i = 0; i < n; i++)
    if (strcmp (ext[i].extensionName, name) == 0)
      return TRUE;
  return FALSE;
}

/* The largest device-local heap (lavapipe: system memory), where buffers go; the largest heap
 * if none is device-local. */
static uint32_t
largest_device_heap (const VkPhysicalDeviceMemoryProperties *mp)
{
  uint32_t best = 0;
  gboolean local = FALSE;
  for (uint32_t i = 0; i < mp->memoryHeapCount; i++) {
    gboolean l = (mp->memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0;
    if ((l && !local) || (l == local && mp->memoryHeaps[i].size > mp->memoryHeaps[best].size)) {
      best = i;
      local = l;
    }
  }
  return best;
}

static gboolean
find_compute_queue (VkPhysicalDevice dev, uint32_t *family)
{
  uint32_t n = 0;
  vkGetPhysicalDeviceQueueFamilyProperties (dev, &n, NULL);
  g_autofree VkQueueFamilyProperties *q = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (dev, &n, q);
  for (uint32_t i = 0; i < n; i++)
    if (q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      *family = i;
      return TRUE;
    }
  return FALSE;
}

/* Our kernels read tensors as RGBA32F/R32F uniform texel buffers and write them as storage texel
 * buffers; Vulkan makes these formats mandatory, but a driver may still lack the compute queue
 * or the API version we need. */
static gboolean
device_usable (VkPhysicalDevice dev)
{
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties (dev, &props);
  if (props.apiVersion < VK_API_VERSION_1_1)
    return FALSE;
  uint32_t family;
  if (!find_compute_queue (dev, &family))
    return FALSE;
  const VkFormat formats[] = { VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32_SFLOAT };
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    VkFormatProperties fp;
    vkGetPhysicalDeviceFormatProperties (dev, formats[i], &fp);
    VkFormatFeatureFlags need = VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT |
                                VK_FORMAT_FEATURE_STORAGE_TEXEL_BUFFER_BIT;
    if ((fp.bufferFeatures & need) != need)
      return FALSE;
  }
  return TRUE;
}

static gboolean
is_index (const char *s)
{
  if (!*s)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

/* Index into devs[] of the device the selector names, or -1 with error set. */
static int
choose_device (VkPhysicalDevice *devs, uint32_t n, const char *selector, GError **error)
{
  if (selector == NULL || *selector == '\0')
    selector = g_getenv ("VKSTYLE_DEVICE");
  if (selector != NULL && *selector != '\0') {
    if (is_index (selector)) {
      guint64 idx = g_ascii_strtoull (selector, NULL, 10);
      if (idx < n && device_usable (devs[idx]))
        return (int) idx;
      g_set_error (error, VKS_ERROR, VKS_ERROR_NO_DEVICE,
                   "Vulkan device %s does not exist or cannot run vkstyle (%u device(s) found; "
                   "`vkstyle devices` lists them)", selector, n);
      return -1;
    }
    g_autofree char *want = g_utf8_casefold (selector, -1);
    for (uint32_t i = 0; i < n; i++) {
      VkPhysicalDeviceProperties p;
      vkGetPhysicalDeviceProperties (devs[i], &p);
      g_autofree char *name = g_utf8_casefold (p.deviceName, -1);
      if (strstr (name, want) != NULL && device_usable (devs[i]))
        return (int) i;
    }
    g_set_error (error, VKS_ERROR, VKS_ERROR_NO_DEVICE,
                 "No usable Vulkan device matches \"%s\" (`vkstyle devices` lists them)", selector);
    return -1;
  }
  int best = -1, best_rank = G_MAXINT;
  for (uint32_t i = 0; i < n; i++) {
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties (devs[i], &p);
    int rank = device_type_rank (p.deviceType);
    if (device_usable (devs[i]) && rank < best_rank) {
      best = (int) i;
      best_rank = rank;
    }
  }
  if (best < 0)
    g_set_error (error, VKS_ERROR, VKS_ERROR_NO_DEVICE,
                 "No Vulkan device can run vkstyle (it needs Vulkan 1.1 and a compute queue). %s",
                 NO_DRIVER_HINT);
  return best;
}

static VkPhysicalDevice *
enumerate_devices (VkInstance instance, uint32_t *n, GError **error)
{
  *n = 0;
  if (!vks_check (vkEnumeratePhysicalDevices (instance, n, NULL), "Listing Vulkan devices", error))
    return NULL;
  if (*n == 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_NO_DEVICE, "No Vulkan device found. %s",
                 NO_DRIVER_HINT);
    return NULL;
  }
  VkPhysicalDevice *devs = g_new0 (VkPhysicalDevice, *n);
  if (!vks_check (vkEnumeratePhysicalDevices (instance, n, devs), "Listing Vulkan devices",
                  error)) {
    g_free (devs);
    return NULL;
  }
  return devs;
}

char **
vks_list_devices (const char *selector, int *chosen, GError **error)
{
  VkInstance instance = create_instance (FALSE, error);
  if (instance == VK_NULL_HANDLE)
    return NULL;
  uint32_t n;
  g_autofree VkPhysicalDevice *devs = enumerate_devices (instance, &n, error);
  if (devs == NULL) {
    vkDestroyInstance (instance, NULL);
    return NULL;
  }
  GStrvBuilder *b = g_strv_builder_new ();
  for (uint32_t i = 0; i < n; i++) {
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties (devs[i], &p);
    g_autofree char *line = g_strdup_printf ("%u: %s (%s%s)", i, p.deviceName,
                                             device_type_name (p.deviceType),
                                             device_usable (devs[i]) ? "" : ", unusable");
    g_strv_builder_add (b, line);
  }
  if (chosen != NULL)
    *chosen = choose_device (devs, n, selector, NULL);
  vkDestroyInstance (instance, NULL);
  char **result = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return result;
}

static char *
pipeline_cache_path (const VkPhysicalDeviceProperties *p)
{
  GString *uuid = g_string_new (NULL);
  for (guint i = 0; i < VK_UUID_SIZE; i++)
    g_string_append_printf (uuid, "%02x", p->pipelineCacheUUID[i]);
  g_autofree char *file = g_strdup_printf ("pipelines-%04x-%04x-%s.bin", p->vendorID,
                                           p->deviceID, uuid->str);
  g_string_free (uuid, TRUE);
  return g_build_filename (g_get_user_cache_dir (), "vkstyle", file, NULL);
}

static void
load_pipeline_cache (VksContext *ctx)
{
  g_autofree char *data = NULL;
  gsize size = 0;
  if (ctx->pipeline_cache_path != NULL)
    g_file_get_contents (ctx->pipeline_cache_path, &data, &size, NULL);
  /* The driver checks the header (vendor, device, cache UUID) and ignores a stale cache. */
  VkPipelineCacheCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
    .initialDataSize = size,
    .pInitialData = data,
  };
  if (vkCreatePipelineCache (ctx->device, &info, NULL, &ctx->pipeline_cache) != VK_SUCCESS) {
    info.initialDataSize = 0;
    info.pInitialData = NULL;
    if (vkCreatePipelineCache (ctx->device, &info, NULL, &ctx->pipeline_cache) != VK_SUCCESS)
      ctx->pipeline_cache = VK_NULL_HANDLE;
  }
}

static void
save_pipeline_cache (VksContext *ctx)
{
  if (ctx->pipeline_cache == VK_NULL_HANDLE || ctx->pipeline_cache_path == NULL)
    return;
  size_t size = 0;
  if (vkGetPipelineCacheData (ctx->device, ctx->pipeline_cache, &size, NULL) != VK_SUCCESS ||
      size == 0)
    return;
  g_autofree char *data = g_malloc (size);
  if (vkGetPipelineCacheData (ctx->device, ctx->pipeline_cache, &size, data) != VK_SUCCESS)
    return;
  g_autofree char *dir = g_path_get_dirname (ctx->pipeline_cache_path);
  /* A cache is an optimisation: failing to save it is not worth bothering the user with.
   * g_file_set_contents writes a temp file and renames it, so readers never see half a cache. */
  if (g_mkdir_with_parents (dir, 0700) == 0)
    g_file_set_contents (ctx->pipeline_cache_path, data, (gssize) size, NULL);
}

/* Test hook: parses VKSTYLE_FAULT (context-private.h). A malformed value is a mistake in a test,
 * so it is reported rather than ignored. */
static void
read_fault_hook (VksFaultHook *fault)
{
  const char *spec = g_getenv ("VKSTYLE_FAULT");
  if (spec == NULL || *spec == '\0')
    return;
  if (strcmp (spec, "poison") == 0) {
    fault->kind = VKS_FAULT_POISON;
    return;
  }
  VksFaultKind kind = g_str_has_prefix (spec, "alloc:") ? VKS_FAULT_ALLOC
                     : g_str_has_prefix (spec, "submit:") ? VKS_FAULT_SUBMIT
                     : g_str_has_prefix (spec, "texels:") ? VKS_FAULT_TEXELS
                     : VKS_FAULT_NONE;
  guint64 at = 0;
  if (kind == VKS_FAULT_NONE ||
      !g_ascii_string_to_unsigned (strchr (spec, ':') + 1, 10, 1, G_MAXUINT64, &at, NULL)) {
    g_warning ("VKSTYLE_FAULT=\"%s\" is not \"alloc:N\", \"submit:N\", \"texels:N\" (N >= 1) "
               "or \"poison\"; ignored", spec);
    return;
  }
  fault->kind = kind;
  fault->at = at;
}

VksContext *
vks_context_new (const char *selector, GError **error)
{
  g_autoptr (VksContext) ctx = g_new0 (VksContext, 1);
  gboolean validate = validation_requested ();
  ctx->instance = create_instance (validate, error);
  if (ctx->instance == VK_NULL_HANDLE)
    return NULL;
  if (validate && layer_available (VALIDATION_LAYER)) {
    PFN_vkCreateDebugUtilsMessengerEXT create = (PFN_vkCreateDebugUtilsMessengerEXT)
      vkGetInstanceProcAddr (ctx->instance, "vkCreateDebugUtilsMessengerEXT");
    VkDebugUtilsMessengerCreateInfoEXT info = messenger_info ();
    if (create != NULL)
      create (ctx->instance, &info, NULL, &ctx->messenger);
  }

  uint32_t n;
  g_autofree VkPhysicalDevice *devs = enumerate_devices (ctx->instance, &n, error);
  if (devs == NULL)
    return NULL;
  int idx = choose_device (devs, n, selector, error);
  if (idx < 0)
    return NULL;
  ctx->physical = devs[idx];

  VkPhysicalDeviceMaintenance3Properties m3 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
  };
  VkPhysicalDeviceProperties2 props2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3,
  };
  vkGetPhysicalDeviceProperties2 (ctx->physical, &props2);
  ctx->props = props2.properties;
  ctx->max_allocation = m3.maxMemoryAllocationSize;
  vkGetPhysicalDeviceMemoryProperties (ctx->physical, &ctx->memory_props);
  ctx->device_heap = largest_device_heap (&ctx->memory_props);
  find_compute_queue (ctx->physical, &ctx->queue_family);

  /* 64 invocations: a multiple of every subgroup size in use (8 on llvmpipe, 32 NVIDIA/Intel,
   * 64 AMD) and within the guaranteed minimum limits (128 invocations, 16 KiB shared). */
  ctx->workgroup_size = MIN (64u, ctx->props.limits.maxComputeWorkGroupSize[0]);
  /* Per-channel reductions loop over a whole plane in one workgroup: a larger one keeps the
   * loops short (VKS_MAX_LOOP_ITERATIONS); 256 floats of shared memory fit every device. */
  ctx->reduction_size = MIN (256u, MIN (ctx->props.limits.maxComputeWorkGroupSize[0],
                                        ctx->props.limits.maxComputeWorkGroupInvocations));

  float priority = 1.0f;
  VkDeviceQueueCreateInfo qinfo = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = ctx->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  const char *budget_ext = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
  ctx->memory_budget_ext = device_has_extension (ctx->physical, budget_ext);
  VkDeviceCreateInfo dinfo = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &qinfo,
    .enabledExtensionCount = ctx->memory_budget_ext ? 1 : 0,
    .ppEnabledExtensionNames = &budget_ext,
  };
  if (!vks_check (vkCreateDevice (ctx->physical, &dinfo, NULL, &ctx->device),
                  "Opening the Vulkan device", error))
    return NULL;
  vkGetDeviceQueue (ctx->device, ctx->queue_family, 0, &ctx->queue);

  VkCommandPoolCreateInfo pinfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .queueFamilyIndex = ctx->queue_family,
  };
  if (!vks_check (vkCreateCommandPool (ctx->device, &pinfo, NULL, &ctx->command_pool),
                  "Creating a command pool", error))
    return NULL;

  if (g_getenv ("VKSTYLE_NO_PIPELINE_CACHE") == NULL)
    ctx->pipeline_cache_path = pipeline_cache_path (&ctx->props);
  load_pipeline_cache (ctx);
  ctx->pipelines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  read_fault_hook (&ctx->fault);
  if (ctx->fault.kind == VKS_FAULT_TEXELS &&
      ctx->fault.at < ctx->props.limits.maxTexelBufferElements)
    ctx->props.limits.maxTexelBufferElements = (uint32_t) ctx->fault.at;
  vks_memory_probe_file_limit (ctx);
  return g_steal_pointer (&ctx);
}

VkDeviceSize
vks_context_free_memory (const VksContext *ctx)
{
  VkDeviceSize size = ctx->memory_props.memoryHeaps[ctx->device_heap].size;
  if (!ctx->memory_budget_ext)
    return size;
  VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
  };
  VkPhysicalDeviceMemoryProperties2 props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2, .pNext = &budget,
  };
  vkGetPhysicalDeviceMemoryProperties2 (ctx->physical, &props);
  VkDeviceSize limit = budget.heapBudget[ctx->device_heap];
  VkDeviceSize used = budget.heapUsage[ctx->device_heap];
  return limit > used ? MIN (limit - used, size) : 0;
}

const char *
vks_context_device_name (const VksContext *ctx)
{
  return ctx->props.deviceName;
}

void
vks_context_free (VksContext *ctx)
{
  if (ctx == NULL)
    return;
  if (ctx->device != VK_NULL_HANDLE) {
    vkDeviceWaitIdle (ctx->device);
    vks_kernels_release (ctx);
    save_pipeline_cache (ctx);
    if (ctx->pipeline_cache != VK_NULL_HANDLE)
      vkDestroyPipelineCache (ctx->device, ctx->pipeline_cache, NULL);
    if (ctx->command_pool != VK_NULL_HANDLE)
      vkDestroyCommandPool (ctx->device, ctx->command_pool, NULL);
    vkDestroyDevice (ctx->device, NULL);
  }
  if (ctx->pipelines != NULL)
    g_hash_table_unref (ctx->pipelines);
  if (ctx->messenger != VK_NULL_HANDLE) {
    PFN_vkDestroyDebugUtilsMessengerEXT destroy = (PFN_vkDestroyDebugUtilsMessengerEXT)
      vkGetInstanceProcAddr (ctx->instance, "vkDestroyDebugUtilsMessengerEXT");
    if (destroy != NULL)
      destroy (ctx->instance, ctx->messenger, NULL);
  }
  if (ctx->instance != VK_NULL_HANDLE)
    vkDestroyInstance (ctx->instance, NULL);
  g_free (ctx->pipeline_cache_path);
  g_free (ctx);
}
