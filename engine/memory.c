#include "engine/memory.h"

#include <string.h>

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
  g_free (buf);
}
