#include "engine/memory.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* The page size file-backed device memory is counted in (see vks_memory_probe_file_limit). */
#define FILE_PAGE ((VkDeviceSize) 4096)

static gboolean
pick_memory_type (const VksContext *ctx, uint32_t type_bits, VkMemoryPropertyFlags want,
                  VkMemoryPropertyFlags need, uint32_t *index)
{
  const VkPhysicalDeviceMemoryProperties *mp = &ctx->memory_props;
  for (int pass = 0; pass < 2; pass++) {
    VkMemoryPropertyFlags flags = pass == 0 ? (want | need) : need;
    for (uint32_t i = 0; i < mp->memoryTypeCount; i++)
      if ((type_bits & (1u << i)) && (mp->memoryTypes[i].propertyFlags & flags) == flags) {
        *index = i;
        return TRUE;
      }
  }
  return FALSE;
}

VkDeviceSize
vks_buffer_alignment (const VksContext *ctx)
{
  const VkPhysicalDeviceLimits *l = &ctx->props.limits;
  VkDeviceSize a = 256;
  a = MAX (a, l->minTexelBufferOffsetAlignment);
  a = MAX (a, l->minStorageBufferOffsetAlignment);
  return a;
}

void
vks_arena_init (VksArena *arena, const VksContext *ctx)
{
  arena->size = 0;
  arena->alignment = vks_buffer_alignment (ctx);
}

VkDeviceSize
vks_arena_reserve (VksArena *arena, VkDeviceSize bytes)
{
  VkDeviceSize offset = (arena->size + arena->alignment - 1) / arena->alignment * arena->alignment;
  arena->size = offset + MAX (bytes, 16);
  return offset;
}

/* Test hook (VKSTYLE_FAULT=poison): fills new memory with NaN bytes where the host can reach it. */
static void
poison (VksContext *ctx, VksBuffer *buf, uint32_t type)
{
  VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  if ((ctx->memory_props.memoryTypes[type].propertyFlags & host) != host)
    return;
  void *p = buf->mapped;
  if (p == NULL && vkMapMemory (ctx->device, buf->memory, 0, VK_WHOLE_SIZE, 0, &p) != VK_SUCCESS)
    return;
  memset (p, 0xff, buf->size);
  if (buf->mapped == NULL)
    vkUnmapMemory (ctx->device, buf->memory);
}

VksBuffer *
vks_buffer_new (VksContext *ctx, VkDeviceSize size, VksMemoryKind kind, const char *what,
                GError **error)
{
  size = MAX (size, 16);
  if (size > ctx->max_allocation) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "%s needs %.0f MiB in one allocation; this device allows at most %.0f MiB "
                 "(try a smaller image or processing scale)",
                 what, size / 1048576.0, ctx->max_allocation / 1048576.0);
    return NULL;
  }
  VksBuffer *buf = g_new0 (VksBuffer, 1);
  buf->size = size;
  VkBufferUsageFlags usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  if (kind == VKS_MEMORY_DEVICE)
    usage |= VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
             VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  VkBufferCreateInfo binfo = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = usage,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  g_autofree char *creating = g_strdup_printf ("Creating %s", what);
  if (!vks_check (vkCreateBuffer (ctx->device, &binfo, NULL, &buf->buffer), creating, error)) {
    vks_buffer_free (ctx, buf);
    return NULL;
  }
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements (ctx->device, buf->buffer, &req);
  VkMemoryPropertyFlags want = 0, need = 0;
  switch (kind) {
  case VKS_MEMORY_DEVICE:
    want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    break;
  case VKS_MEMORY_UPLOAD:
    need = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    break;
  case VKS_MEMORY_READBACK:
    need = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    want = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    break;
  }
  uint32_t type;
  if (!pick_memory_type (ctx, req.memoryTypeBits, want, need, &type)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_VULKAN, "%s: the device has no suitable memory type",
                 creating);
    vks_buffer_free (ctx, buf);
    return NULL;
  }
  VkMemoryAllocateInfo ainfo = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
    .allocationSize = req.size,
    .memoryTypeIndex = type,
  };
  g_autofree char *allocating = g_strdup_printf ("Allocating %.1f MiB for %s",
                                                 req.size / 1048576.0, what);
  /* The driver rounds to pages and never uses the file's first page (its heap starts there). */
  VkDeviceSize charge = ctx->file_limit ? (req.size + FILE_PAGE - 1) / FILE_PAGE * FILE_PAGE : 0;
  if (ctx->file_limit && ctx->file_bytes + charge + FILE_PAGE > ctx->file_limit) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "%s: the file size limit (ulimit -f) of %.1f MiB is too small: this Vulkan "
                 "driver keeps device memory in a file, which the limit applies to (%.1f MiB in "
                 "use already); raise it, e.g. ulimit -f unlimited",
                 allocating, ctx->file_limit / 1048576.0, ctx->file_bytes / 1048576.0);
    vks_buffer_free (ctx, buf);
    return NULL;
  }
  VkResult allocated = vks_fault_injected (ctx, VKS_FAULT_ALLOC); /* test hook */
  if (allocated == VK_SUCCESS)
    allocated = vkAllocateMemory (ctx->device, &ainfo, NULL, &buf->memory);
  if (!vks_check (allocated, allocating, error) ||
      !vks_check (vkBindBufferMemory (ctx->device, buf->buffer, buf->memory, 0), allocating,
                  error)) {
    vks_buffer_free (ctx, buf);
    return NULL;
  }
  if (kind != VKS_MEMORY_DEVICE &&
      !vks_check (vkMapMemory (ctx->device, buf->memory, 0, VK_WHOLE_SIZE, 0, &buf->mapped),
                  allocating, error)) {
    vks_buffer_free (ctx, buf);
    return NULL;
  }
  buf->charged = charge;
  ctx->file_bytes += charge;
  if (G_UNLIKELY (ctx->fault.kind == VKS_FAULT_POISON))
    poison (ctx, buf, type);
  return buf;
}

void
vks_buffer_free (VksContext *ctx, VksBuffer *buf)
{
  if (buf == NULL)
    return;
  if (buf->buffer != VK_NULL_HANDLE)
    vkDestroyBuffer (ctx->device, buf->buffer, NULL);
  if (buf->memory != VK_NULL_HANDLE)
    vkFreeMemory (ctx->device, buf->memory, NULL);  /* unmaps implicitly */
  ctx->file_bytes -= buf->charged;
  g_free (buf);
}

/* Whether the mapping that holds address p comes from a file (not a device node, not anonymous
 * memory), from /proc/self/maps: "start-end perms offset dev inode path". FALSE where unknown. */
static gboolean
mapped_from_file (const void *p)
{
  g_autofree char *maps = NULL;
  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return FALSE;
  guint64 at = (guint64) (uintptr_t) p;
  g_auto (GStrv) lines = g_strsplit (maps, "\n", -1);
  for (char **line = lines; *line != NULL; line++) {
    unsigned long long start, end, inode;
    int path_at = -1;
    if (sscanf (*line, "%llx-%llx %*s %*s %*s %llu %n", &start, &end, &inode, &path_at) < 3)
      continue;
    if (at < start || at >= end)
      continue;
    const char *path = path_at >= 0 ? *line + path_at : "";
    return inode != 0 && path[0] == '/' && !g_str_has_prefix (path, "/dev/");
  }
  return FALSE;
}

void
vks_memory_probe_file_limit (VksContext *ctx)
{
  ctx->file_limit = 0;
  struct rlimit limit;
  if (getrlimit (RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return;
  uint32_t type;
  if (!pick_memory_type (ctx, ~0u, 0, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, &type))
    return;
  VkMemoryAllocateInfo info = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
    .allocationSize = FILE_PAGE,
    .memoryTypeIndex = type,
  };
  VkDeviceMemory memory;
  if (vkAllocateMemory (ctx->device, &info, NULL, &memory) != VK_SUCCESS)
    return;
  void *p = NULL;
  /* Mapped, never touched: touching is what would fault if the limit were below a page. */
  if (vkMapMemory (ctx->device, memory, 0, VK_WHOLE_SIZE, 0, &p) == VK_SUCCESS) {
    if (mapped_from_file (p))
      ctx->file_limit = MAX ((VkDeviceSize) limit.rlim_cur, 1);
    vkUnmapMemory (ctx->device, memory);
  }
  vkFreeMemory (ctx->device, memory, NULL);
}
