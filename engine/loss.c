#include "engine/loss.h"

/* loss.comp's push block (std430). */
typedef struct {
  int32_t texels, plane, valid, n_partials, value_index;
  float t, grad_scale, scale, count;
} LossPush;

#define MAX_PARTIALS (VKS_LOSS_SCRATCH_BYTES / 4)

static gboolean
same_shape (const VksTensor *a, const VksTensor *b)
{
  return a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w;
}

gboolean
vks_loss_record (VksRecorder *rec, const VksLoss *loss, const VksTensor *x, const VksTensor *dx,
                 const VksBuffer *value, VkDeviceSize value_offset, const VksBuffer *scratch,
                 VkDeviceSize scratch_offset, GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  g_return_val_if_fail (loss->kind >= VKS_LOSS_MSE && loss->kind <= VKS_LOSS_L1, FALSE);
  g_return_val_if_fail (same_shape (x, dx) && value_offset % 4 == 0, FALSE);
  g_return_val_if_fail (loss->kind != VKS_LOSS_L1 ||
                        (loss->target_tensor != NULL && same_shape (x, loss->target_tensor)),
                        FALSE);
  const guint wg = ctx->workgroup_size;
  long texels = (long) (vks_tensor_bytes (x) / 16);
  double count = (double) x->n * x->c * x->h * x->w;
  if (count == 0)
    return TRUE;
  uint32_t n_partials = (uint32_t) MIN (vks_ceil_div (texels, wg), MAX_PARTIALS);

  /* The value is written through a view that starts at an aligned offset at or before it. */
  VkDeviceSize align = vks_buffer_alignment (ctx);
  VkDeviceSize value_base = value_offset / align * align;
  VksView views[6] = {
    vks_tensor_view (x, VK_FORMAT_R32G32B32A32_SFLOAT),
    vks_tensor_view (loss->kind == VKS_LOSS_L1 ? loss->target_tensor : x,
                     VK_FORMAT_R32G32B32A32_SFLOAT),
    vks_tensor_view (dx, VK_FORMAT_R32G32B32A32_SFLOAT),
    vks_tensor_view (dx, VK_FORMAT_R32G32B32A32_SFLOAT),
    { scratch, scratch_offset, (VkDeviceSize) n_partials * 4, VK_FORMAT_R32_SFLOAT },
    { value, value_base, value_offset - value_base + 4, VK_FORMAT_R32_SFLOAT },
  };
  LossPush push = {
    .texels = (int32_t) texels, .plane = x->plane, .valid = x->h * x->w,
    .n_partials = (int32_t) n_partials,
    .value_index = (int32_t) ((value_offset - value_base) / 4),
    .t = loss->target, .grad_scale = (float) (loss->scale / count), .scale = loss->scale,
    .count = (float) count,
  };
  for (int stage = 0; stage < 2; stage++) {
    int32_t spec[] = { (int32_t) wg, loss->kind, loss->accumulate, stage };
    VksPipeline *pipe = vks_pipeline_get (ctx, VKS_KERNEL_LOSS, spec, G_N_ELEMENTS (spec), error);
    if (pipe == NULL)
      return FALSE;
    uint32_t groups[3] = { stage == 0 ? n_partials : 1, 1, 1 };
    if (!vks_recorder_dispatch (rec, pipe, views, &push, sizeof push, groups, error))
      return FALSE;
  }
  return TRUE;
}
