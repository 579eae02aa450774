/* Best-fit placement of blocks in one growing region, over a free list kept sorted by offset
 * (adjacent free blocks merge): how a plan places its values by liveness. */
#pragma once
#include <glib.h>
#include <vulkan/vulkan.h>

typedef struct {
  VkDeviceSize offset, bytes;
} Block;

/* A free list is a GArray of Block. Takes `bytes` from the smallest free block that holds them,
 * else grows the region (*end), starting inside a free block at its end if there is one. */
VkDeviceSize vks_free_list_take (GArray *free_list, VkDeviceSize *end, VkDeviceSize bytes);
void vks_free_list_give (GArray *free_list, VkDeviceSize offset, VkDeviceSize bytes);
