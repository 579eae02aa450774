/* Records a whole computation once per shape; running it is then a submit and a fence wait, as
 * often as wanted. Dispatches are separated by full compute memory barriers: our networks are
 * chains where each step reads what the previous wrote. A long computation may be split into
 * segments (command buffers) so that a run can stop between them (cancel). */
#pragma once
#include "engine/kernels.h"
#include "engine/memory.h"
#include "engine/tensor.h"

/* A texel-buffer view of part of a buffer; format RGBA32F (4 floats per texel) or R32F. */
typedef struct {
  const VksBuffer *buf;
  VkDeviceSize offset;
  VkDeviceSize range;
  VkFormat format;
} VksView;

/* A view of a whole tensor. */
static inline VksView
vks_tensor_view (const VksTensor *t, VkFormat format)
{
  return (VksView) { t->buf, t->offset, vks_tensor_bytes (t), format };
}

typedef struct VksRecorder VksRecorder;

VksRecorder *vks_recorder_new (VksContext *ctx, GError **error);
void vks_recorder_free (VksRecorder *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksRecorder, vks_recorder_free)

VksContext *vks_recorder_context (VksRecorder *rec);

/* Binds views[i] to binding i of the pipeline (types must match its layout), pushes `push`
 * (<= VKS_PUSH_BYTES) and dispatches groups[0..2] workgroups. Checks every limit it depends on
 * (texel-buffer size, workgroup counts) and fails with VKS_ERROR_TOO_LARGE instead of handing the
 * device an invalid command. */
gboolean vks_recorder_dispatch (VksRecorder *rec, VksPipeline *pipeline, const VksView *views,
                                const void *push, size_t push_size, const uint32_t groups[3],
                                GError **error);
void vks_recorder_copy (VksRecorder *rec, const VksBuffer *src, VkDeviceSize src_offset,
                        const VksBuffer *dst, VkDeviceSize dst_offset, VkDeviceSize size);
/* Fills size bytes (a multiple of 4, or VK_WHOLE_SIZE) with a 32-bit pattern. */
void vks_recorder_fill (VksRecorder *rec, const VksBuffer *dst, VkDeviceSize offset,
                        VkDeviceSize size, uint32_t value);
/* Ends recording. */
gboolean vks_recorder_finish (VksRecorder *rec, GError **error);
/* Ends a segment here (not after vks_recorder_finish). */
gboolean vks_recorder_split (VksRecorder *rec, GError **error);
/* Submits the recorded commands and waits for them. */
gboolean vks_recorder_run (VksRecorder *rec, GError **error);
/* FALSE stops a run between segments. */
typedef gboolean (*VksKeepGoing) (gpointer user_data);
/* The same, asking keep_going (may be NULL) after each segment that has another after it; with
 * two segments in flight the device never waits for the host. Stopped: VKS_ERROR_CANCELLED
 * once the segments already submitted are done. */
gboolean vks_recorder_run_until (VksRecorder *rec, VksKeepGoing keep_going, gpointer user_data,
                                 GError **error);
guint vks_recorder_n_dispatches (const VksRecorder *rec);
