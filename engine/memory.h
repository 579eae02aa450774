/* Device buffers. The engine allocates few and large: a model's weights live in one buffer, a
 * run's activations in one arena buffer sub-allocated by offset, and uploads/readbacks go through
 * one staging buffer per run. */
#pragma once
#include "engine/context-private.h"

typedef enum {
  VKS_MEMORY_DEVICE,    /* compute data; device-local where the device has such memory */
  VKS_MEMORY_UPLOAD,    /* host-visible, written by the CPU, copied to DEVICE buffers */
  VKS_MEMORY_READBACK,  /* host-visible (cached when possible), read by the CPU */
} VksMemoryKind;

typedef struct {
  VkBuffer buffer;
  VkDeviceMemory memory;
  VkDeviceSize size;
  void *mapped;         /* UPLOAD/READBACK only */
  VkDeviceSize charged; /* bytes counted against VksContext.file_limit */
} VksBuffer;

VksBuffer *vks_buffer_new (VksContext *ctx, VkDeviceSize size, VksMemoryKind kind,
                           const char *what, GError **error);
void vks_buffer_free (VksContext *ctx, VksBuffer *buf);

/* Offsets of sub-allocations are multiples of this (texel-view and storage alignment). */
VkDeviceSize vks_buffer_alignment (const VksContext *ctx);

/* A bump allocator over a size computed before the buffer exists: reserve regions, then create
 * the one buffer that holds them all. */
typedef struct {
  VkDeviceSize size;
  VkDeviceSize alignment;
} VksArena;

void vks_arena_init (VksArena *arena, const VksContext *ctx);
VkDeviceSize vks_arena_reserve (VksArena *arena, VkDeviceSize bytes);
