#include "engine/recorder.h"

#include <string.h>

#define SETS_PER_POOL 128

struct VksRecorder {
  VksContext *ctx;
  VkCommandBuffer cmd;    /* the one being recorded */
  GArray *segments;       /* VkCommandBuffer: the finished ones, in order (vks_recorder_split) */
  VkFence fences[2];      /* segment i signals fences[i % 2]: at most two in flight */
  GArray *pools;          /* VkDescriptorPool */
  GHashTable *views;      /* ViewKey -> VkBufferView */
  guint n_commands;
  guint n_dispatches;
  gboolean finished;
  /* VKSTYLE_PROFILE=1: a timestamp after every dispatch, summed per kernel after each run. */
  VkQueryPool timestamps;
  GPtrArray *labels;      /* label of the dispatch ending at timestamp i + 1 */
};

#define MAX_TIMESTAMPS 8192

typedef struct {
  VkBuffer buffer;
  VkDeviceSize offset, range;
  VkFormat format;
} ViewKey;

static guint
view_key_hash (gconstpointer p)
{
  const ViewKey *k = p;
  return g_direct_hash (k->buffer) ^ (guint) (k->offset * 2654435761u) ^ (guint) k->range ^
         (guint) k->format;
}

static gboolean
view_key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, sizeof (ViewKey)) == 0;
}

/* A new command buffer in rec->cmd, recording. */
static gboolean
begin_segment (VksRecorder *rec, GError **error)
{
  VkCommandBufferAllocateInfo ainfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = rec->ctx->command_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  if (!vks_check (vkAllocateCommandBuffers (rec->ctx->device, &ainfo, &rec->cmd),
                  "Allocating a command buffer", error))
    return FALSE;
  VkCommandBufferBeginInfo binfo = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
  return vks_check (vkBeginCommandBuffer (rec->cmd, &binfo), "Recording commands", error);
}

/* Moves the recorded rec->cmd to the finished segments. */
static gboolean
end_segment (VksRecorder *rec, GError **error)
{
  VkCommandBuffer cmd = rec->cmd;
  rec->cmd = VK_NULL_HANDLE;
  g_array_append_val (rec->segments, cmd);
  return vks_check (vkEndCommandBuffer (cmd), "Recording commands", error);
}

VksRecorder *
vks_recorder_new (VksContext *ctx, GError **error)
{
  g_autoptr (VksRecorder) rec = g_new0 (VksRecorder, 1);
  rec->ctx = ctx;
  rec->pools = g_array_new (FALSE, FALSE, sizeof (VkDescriptorPool));
  rec->views = g_hash_table_new_full (view_key_hash, view_key_equal, g_free, g_free);
  rec->segments = g_array_new (FALSE, FALSE, sizeof (VkCommandBuffer));
  VkFenceCreateInfo finfo = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  for (int i = 0; i < 2; i++)
    if (!vks_check (vkCreateFence (ctx->device, &finfo, NULL, &rec->fences[i]),
                    "Creating a fence", error))
      return NULL;
  if (!begin_segment (rec, error))
    return NULL;
  if (g_getenv ("VKSTYLE_PROFILE") != NULL && ctx->props.limits.timestampComputeAndGraphics) {
    VkQueryPoolCreateInfo qinfo = {
      .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
      .queryType = VK_QUERY_TYPE_TIMESTAMP,
      .queryCount = MAX_TIMESTAMPS,
    };
    if (vkCreateQueryPool (ctx->device, &qinfo, NULL, &rec->timestamps) == VK_SUCCESS) {
      rec->labels = g_ptr_array_new_with_free_func (g_free);
      vkCmdResetQueryPool (rec->cmd, rec->timestamps, 0, MAX_TIMESTAMPS);
      vkCmdWriteTimestamp (rec->cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, rec->timestamps, 0);
    }
  }
  return g_steal_pointer (&rec);
}

void
vks_recorder_free (VksRecorder *rec)
{
  if (rec == NULL)
    return;
  VkDevice dev = rec->ctx->device;
  for (int i = 0; i < 2; i++)
    if (rec->fences[i] != VK_NULL_HANDLE)
      vkDestroyFence (dev, rec->fences[i], NULL);
  if (rec->timestamps != VK_NULL_HANDLE)
    vkDestroyQueryPool (dev, rec->timestamps, NULL);
  if (rec->labels != NULL)
    g_ptr_array_unref (rec->labels);
  if (rec->cmd != VK_NULL_HANDLE)
    vkFreeCommandBuffers (dev, rec->ctx->command_pool, 1, &rec->cmd);
  if (rec->segments->len > 0)
    vkFreeCommandBuffers (dev, rec->ctx->command_pool, rec->segments->len,
                          (VkCommandBuffer *) rec->segments->data);
  g_array_unref (rec->segments);
  for (guint i = 0; i < rec->pools->len; i++)
    vkDestroyDescriptorPool (dev, g_array_index (rec->pools, VkDescriptorPool, i), NULL);
  g_array_unref (rec->pools);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, rec->views);
  while (g_hash_table_iter_next (&it, NULL, &value))
    vkDestroyBufferView (dev, *(VkBufferView *) value, NULL);
  g_hash_table_unref (rec->views);
  g_free (rec);
}

VksContext *
vks_recorder_context (VksRecorder *rec)
{
  return rec->ctx;
}

guint
vks_recorder_n_dispatches (const VksRecorder *rec)
{
  return rec->n_dispatches;
}

static gboolean
add_pool (VksRecorder *rec, GError **error)
{
  VkDescriptorPoolSize sizes[] = {
    { VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, SETS_PER_POOL * VKS_MAX_BINDINGS },
    { VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER, SETS_PER_POOL * VKS_MAX_BINDINGS },
  };
  VkDescriptorPoolCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = SETS_PER_POOL,
    .poolSizeCount = G_N_ELEMENTS (sizes),
    .pPoolSizes = sizes,
  };
  VkDescriptorPool pool;
  if (!vks_check (vkCreateDescriptorPool (rec->ctx->device, &info, NULL, &pool),
                  "Creating a descriptor pool", error))
    return FALSE;
  g_array_append_val (rec->pools, pool);
  return TRUE;
}

static VkDescriptorSet
allocate_set (VksRecorder *rec, VkDescriptorSetLayout layout, GError **error)
{
  VkDescriptorSetAllocateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorSetCount = 1,
    .pSetLayouts = &layout,
  };
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (rec->pools->len > 0) {
    info.descriptorPool = g_array_index (rec->pools, VkDescriptorPool, rec->pools->len - 1);
    VkResult r = vkAllocateDescriptorSets (rec->ctx->device, &info, &set);
    if (r == VK_SUCCESS)
      return set;
    if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL) {
      vks_check (r, "Allocating a descriptor set", error);
      return VK_NULL_HANDLE;
    }
  }
  if (!add_pool (rec, error))
    return VK_NULL_HANDLE;
  info.descriptorPool = g_array_index (rec->pools, VkDescriptorPool, rec->pools->len - 1);
  if (!vks_check (vkAllocateDescriptorSets (rec->ctx->device, &info, &set),
                  "Allocating a descriptor set", error))
    return VK_NULL_HANDLE;
  return set;
}

static VkBufferView
get_view (VksRecorder *rec, const VksView *v, GError **error)
{
  VkDeviceSize texel = v->format == VK_FORMAT_R32G32B32A32_SFLOAT ? 16 : 4;
  const VkPhysicalDeviceLimits *lim = &rec->ctx->props.limits;
  if (v->range == 0 || v->range % texel != 0 || v->offset % lim->minTexelBufferOffsetAlignment ||
      v->offset + v->range > v->buf->size) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_VULKAN,
                 "internal error: bad texel view (offset %" G_GUINT64_FORMAT ", range %"
                 G_GUINT64_FORMAT ", buffer %" G_GUINT64_FORMAT ")",
                 (guint64) v->offset, (guint64) v->range, (guint64) v->buf->size);
    return VK_NULL_HANDLE;
  }
  if (v->range / texel > lim->maxTexelBufferElements) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a tensor of %.0f MiB exceeds this device's texel buffer limit of %u elements "
                 "(try a smaller image or processing scale)",
                 v->range / 1048576.0, lim->maxTexelBufferElements);
    return VK_NULL_HANDLE;
  }
  /* Zeroed first: the struct has padding, and the hash table compares keys with memcmp. */
  ViewKey key;
  memset (&key, 0, sizeof key);
  key.buffer = v->buf->buffer;
  key.offset = v->offset;
  key.range = v->range;
  key.format = v->format;
  VkBufferView *found = g_hash_table_lookup (rec->views, &key);
  if (found != NULL)
    return *found;
  VkBufferViewCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
    .buffer = v->buf->buffer,
    .format = v->format,
    .offset = v->offset,
    .range = v->range,
  };
  VkBufferView view;
  if (!vks_check (vkCreateBufferView (rec->ctx->device, &info, NULL, &view),
                  "Creating a buffer view", error))
    return VK_NULL_HANDLE;
  g_hash_table_insert (rec->views, g_memdup2 (&key, sizeof key), g_memdup2 (&view, sizeof view));
  return view;
}

static void
barrier (VksRecorder *rec)
{
  if (rec->n_commands == 0)
    return;
  VkMemoryBarrier mb = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                                VK_PIPELINE_STAGE_TRANSFER_BIT;
  vkCmdPipelineBarrier (rec->cmd, stages, stages, 0, 1, &mb, 0, NULL, 0, NULL);
}

gboolean
vks_recorder_dispatch (VksRecorder *rec, VksPipeline *pipeline, const VksView *views,
                       const void *push, size_t push_size, const uint32_t groups[3],
                       GError **error)
{
  g_return_val_if_fail (!rec->finished && push_size <= VKS_PUSH_BYTES, FALSE);
  const VkPhysicalDeviceLimits *lim = &rec->ctx->props.limits;
  for (int i = 0; i < 3; i++)
    if (groups[i] > lim->maxComputeWorkGroupCount[i]) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                   "this image needs %u workgroups in dimension %d; the device allows %u "
                   "(try a smaller image or processing scale)",
                   groups[i], i, lim->maxComputeWorkGroupCount[i]);
      return FALSE;
    }
  if (groups[0] == 0 || groups[1] == 0 || groups[2] == 0)
    return TRUE;

  VkDescriptorSet set = allocate_set (rec, pipeline->set_layout, error);
  if (set == VK_NULL_HANDLE)
    return FALSE;
  VkWriteDescriptorSet writes[VKS_MAX_BINDINGS];
  VkBufferView bviews[VKS_MAX_BINDINGS];
  for (guint i = 0; i < pipeline->n_bindings; i++) {
    writes[i] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
      .dstSet = set,
      .dstBinding = i,
      .descriptorCount = 1,
      .descriptorType = pipeline->binding_types[i],
    };
    bviews[i] = get_view (rec, &views[i], error);
    if (bviews[i] == VK_NULL_HANDLE)
      return FALSE;
    writes[i].pTexelBufferView = &bviews[i];
  }
  vkUpdateDescriptorSets (rec->ctx->device, pipeline->n_bindings, writes, 0, NULL);

  barrier (rec);
  vkCmdBindPipeline (rec->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
  vkCmdBindDescriptorSets (rec->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout, 0, 1, &set,
                           0, NULL);
  uint8_t pushed[VKS_PUSH_BYTES] = { 0 };
  memcpy (pushed, push, push_size);
  vkCmdPushConstants (rec->cmd, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, VKS_PUSH_BYTES,
                      pushed);
  vkCmdDispatch (rec->cmd, groups[0], groups[1], groups[2]);
  rec->n_commands++;
  rec->n_dispatches++;
  if (rec->labels != NULL && rec->labels->len + 1 < MAX_TIMESTAMPS) {
    vkCmdWriteTimestamp (rec->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, rec->timestamps,
                         rec->labels->len + 1);
    g_ptr_array_add (rec->labels, g_strdup (pipeline->label));
  }
  return TRUE;
}

void
vks_recorder_copy (VksRecorder *rec, const VksBuffer *src, VkDeviceSize src_offset,
                   const VksBuffer *dst, VkDeviceSize dst_offset, VkDeviceSize size)
{
  g_return_if_fail (!rec->finished);
  barrier (rec);
  VkBufferCopy region = { src_offset, dst_offset, size };
  vkCmdCopyBuffer (rec->cmd, src->buffer, dst->buffer, 1, &region);
  rec->n_commands++;
}

void
vks_recorder_fill (VksRecorder *rec, const VksBuffer *dst, VkDeviceSize offset, VkDeviceSize size,
                   uint32_t value)
{
  g_return_if_fail (!rec->finished);
  barrier (rec);
  vkCmdFillBuffer (rec->cmd, dst->buffer, offset, size, value);
  rec->n_commands++;
}

gboolean
vks_recorder_finish (VksRecorder *rec, GError **error)
{
  g_return_val_if_fail (!rec->finished, FALSE);
  /* Make the last writes visible to the host, which maps the readback buffer after the fence. */
  VkMemoryBarrier mb = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
  };
  vkCmdPipelineBarrier (rec->cmd,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
  rec->finished = TRUE;
  return end_segment (rec, error);
}

gboolean
vks_recorder_split (VksRecorder *rec, GError **error)
{
  g_return_val_if_fail (!rec->finished, FALSE);
  /* The next command's barrier covers this segment: a barrier's first scope is everything
   * earlier in submission order on the queue, not only in its command buffer. */
  return end_segment (rec, error) && begin_segment (rec, error);
}

static void
print_profile (VksRecorder *rec)
{
  guint n = rec->labels->len + 1;
  g_autofree guint64 *ts = g_new0 (guint64, n);
  if (vkGetQueryPoolResults (rec->ctx->device, rec->timestamps, 0, n, n * sizeof (guint64), ts,
                             sizeof (guint64), VK_QUERY_RESULT_64_BIT) != VK_SUCCESS)
    return;
  g_autoptr (GHashTable) sums = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  double period = rec->ctx->props.limits.timestampPeriod * 1e-6;   /* ns -> ms */
  for (guint i = 1; i < n; i++) {
    const char *label = rec->labels->pdata[i - 1];
    double *sum = g_hash_table_lookup (sums, label);
    if (sum == NULL) {
      sum = g_new0 (double, 2);
      g_hash_table_insert (sums, (gpointer) label, sum);
    }
    sum[0] += (ts[i] - ts[i - 1]) * period;
    sum[1] += 1;
  }
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, sums);
  g_printerr ("profile: %.1f ms in %u dispatches\n", (ts[n - 1] - ts[0]) * period, n - 1);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    double *sum = value;
    g_printerr ("profile: %9.1f ms %5.0fx %s\n", sum[0], sum[1], (const char *) key);
  }
}

static gboolean
submit_segment (VksRecorder *rec, guint i, GError **error)
{
  VkFence fence = rec->fences[i % 2];
  VkSubmitInfo info = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &g_array_index (rec->segments, VkCommandBuffer, i),
  };
  if (!vks_check (vkResetFences (rec->ctx->device, 1, &fence), "Resetting a fence", error))
    return FALSE;
  VkResult submitted = vks_fault_injected (rec->ctx, VKS_FAULT_SUBMIT); /* test hook */
  if (submitted == VK_SUCCESS)
    submitted = vkQueueSubmit (rec->ctx->queue, 1, &info, fence);
  return vks_check (submitted, "Submitting work to the device", error);
}

static gboolean
wait_segment (VksRecorder *rec, guint i, GError **error)
{
  return vks_check (vkWaitForFences (rec->ctx->device, 1, &rec->fences[i % 2], VK_TRUE,
                                     UINT64_MAX), "Waiting for the device", error);
}

gboolean
vks_recorder_run_until (VksRecorder *rec, VksKeepGoing keep_going, gpointer user_data,
                        GError **error)
{
  g_return_val_if_fail (rec->finished, FALSE);
  guint n = rec->segments->len, submitted = 0;
  gboolean ok = TRUE, cancelled = FALSE;
  /* Two segments in flight: the device always has the next one queued while the host looks at
   * whether to go on. */
  while (ok && submitted < MIN (n, 2))
    if ((ok = submit_segment (rec, submitted, error)))
      submitted++;
  for (guint done = 0; done < submitted; done++) {
    /* Every submitted segment is waited for, also after an error or a cancel: the caller may
     * free the buffers as soon as this returns. */
    if (!wait_segment (rec, done, ok ? error : NULL))
      ok = FALSE;
    if (!ok || cancelled || submitted == n)
      continue;
    if (keep_going != NULL && !keep_going (user_data))
      cancelled = TRUE;
    else if ((ok = submit_segment (rec, submitted, error)))
      submitted++;
  }
  if (ok && cancelled) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CANCELLED, "cancelled");
    return FALSE;
  }
  if (ok && rec->labels != NULL)
    print_profile (rec);
  return ok;
}

gboolean
vks_recorder_run (VksRecorder *rec, GError **error)
{
  return vks_recorder_run_until (rec, NULL, NULL, error);
}
