#include "engine/nn/free_list.h"

VkDeviceSize
vks_free_list_take (GArray *free_list, VkDeviceSize *end, VkDeviceSize bytes)
{
  int best = -1;
  for (guint i = 0; i < free_list->len; i++) {
    Block *b = &g_array_index (free_list, Block, i);
    if (b->bytes >= bytes && (best < 0 || b->bytes < g_array_index (free_list, Block, best).bytes))
      best = (int) i;
  }
  if (best < 0) {
    /* Grow the arena, starting inside a free block at its end if there is one. */
    VkDeviceSize at = *end;
    if (free_list->len > 0) {
      Block *last = &g_array_index (free_list, Block, free_list->len - 1);
      if (last->offset + last->bytes == *end) {
        at = last->offset;
        g_array_set_size (free_list, free_list->len - 1);
      }
    }
    *end = at + bytes;
    return at;
  }
  Block *b = &g_array_index (free_list, Block, best);
  VkDeviceSize at = b->offset;
  b->offset += bytes;
  b->bytes -= bytes;
  if (b->bytes == 0)
    g_array_remove_index (free_list, (guint) best);
  return at;
}

void
vks_free_list_give (GArray *free_list, VkDeviceSize offset, VkDeviceSize bytes)
{
  guint i = 0;
  while (i < free_list->len && g_array_index (free_list, Block, i).offset < offset)
    i++;
  Block b = { offset, bytes };
  g_array_insert_val (free_list, i, b);
  if (i + 1 < free_list->len) {
    Block *cur = &g_array_index (free_list, Block, i), *next = cur + 1;
    if (cur->offset + cur->bytes == next->offset) {
      cur->bytes += next->bytes;
      g_array_remove_index (free_list, i + 1);
    }
  }
  if (i > 0) {
    Block *prev = &g_array_index (free_list, Block, i - 1), *cur = prev + 1;
    if (prev->offset + prev->bytes == cur->offset) {
      prev->bytes += cur->bytes;
      g_array_remove_index (free_list, i);
    }
  }
}
