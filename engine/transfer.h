/* Blocking host <-> device copies through a temporary staging buffer: for uploads done once
 * (model weights, initial training state) and for saving, never on a per-image path. */
#pragma once
#include "engine/memory.h"

gboolean vks_buffer_upload (VksContext *ctx, const VksBuffer *dst, VkDeviceSize offset,
                            const void *data, VkDeviceSize size, GError **error);
gboolean vks_buffer_download (VksContext *ctx, const VksBuffer *src, VkDeviceSize offset,
                              void *data, VkDeviceSize size, GError **error);
