#include "engine/optim.h"

#include <math.h>

void
vks_adam_hyper_fill (VksAdamHyper *hyper, double lr, double beta1, double beta2, double eps,
                     int64_t t)
{
  /* torch.optim.Adam (1.13, single-tensor path) computes these in Python floats; its CPU kernels
   * then convert each scalar to float. */
  double bias1 = 1.0 - pow (beta1, (double) t);
  double bias2 = 1.0 - pow (beta2, (double) t);
  *hyper = (VksAdamHyper) {
    .beta1 = (float) beta1, .one_minus_beta1 = (float) (1.0 - beta1),
    .beta2 = (float) beta2, .one_minus_beta2 = (float) (1.0 - beta2),
    .neg_step = (float) -(lr / bias1), .bias2_sqrt = (float) sqrt (bias2), .eps = (float) eps,
  };
}

void
vks_rmsprop_hyper_fill (VksAdamHyper *hyper, double lr, double alpha, double eps)
{
  /* torch.optim.RMSprop (1.13, single-tensor path): square_avg.mul_(alpha).addcmul_(g, g,
   * value=1 - alpha); avg = square_avg.sqrt().add_(eps); param.addcdiv_(g, avg, value=-lr). */
  *hyper = (VksAdamHyper) {
    .beta2 = (float) alpha, .one_minus_beta2 = (float) (1.0 - alpha),
    .neg_step = (float) -lr, .bias2_sqrt = 1.0f, .eps = (float) eps,
  };
}

void
vks_adam_hyper_set_decay (VksAdamHyper *hyper, VksAdamDecay decay, double lr, double weight_decay)
{
  switch (decay) {
  case VKS_ADAM_DECAY_L2: hyper->decay = (float) weight_decay; break;
  case VKS_ADAM_DECAY_DECOUPLED: hyper->decay = (float) (1.0 - lr * weight_decay); break;
  default: hyper->decay = 0.0f;
  }
}

static VksView
floats_view (const VksBuffer *buf, VkDeviceSize offset, long count)
{
  return (VksView) { buf, offset, (VkDeviceSize) count * sizeof (float), VK_FORMAT_R32_SFLOAT };
}

/* One dispatch of `kernel` over a 1-D grid of `count` invocations, split into rows of at most
 * 65535 workgroups; spec: the specialisation constants after the workgroup size. */
static gboolean
dispatch_1d (VksRecorder *rec, VksKernel kernel, const int32_t *spec, guint n_spec,
             const VksView *views, const int32_t *push, size_t push_size, long count,
             GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  int32_t all_spec[VKS_MAX_SPEC] = { (int32_t) ctx->workgroup_size };
  g_return_val_if_fail (n_spec < VKS_MAX_SPEC, FALSE);
  for (guint i = 0; i < n_spec; i++)
    all_spec[1 + i] = spec[i];
  VksPipeline *pipe = vks_pipeline_get (ctx, kernel, all_spec, 1 + n_spec, error);
  if (pipe == NULL)
    return FALSE;
  long total = vks_ceil_div (count, ctx->workgroup_size);
  uint32_t gx = (uint32_t) MIN (total, 65535);
  uint32_t groups[3] = { gx, (uint32_t) vks_ceil_div (total, gx), 1 };
  return vks_recorder_dispatch (rec, pipe, views, push, push_size, groups, error);
}

/* FALSE with VKS_ERROR_TOO_LARGE when `count` floats are past one dispatch's int indices. */
static gboolean
fits_dispatch (long count, const char *what, GError **error)
{
  if (count <= G_MAXINT32)
    return TRUE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE, "%ld floats are too many for one %s "
               "dispatch", count, what);
  return FALSE;
}

gboolean
vks_adam_record (VksRecorder *rec, const VksAdamArrays *a, GError **error)
{
  g_return_val_if_fail (a->hyper_ready ||
                        (a->hyper != NULL && a->hyper->mapped != NULL && a->hyper_offset % 4 == 0),
                        FALSE);
  if (a->count <= 0)
    return TRUE;
  if (!fits_dispatch (a->count, "Adam", error))
    return FALSE;
  if (!a->hyper_ready)
    vks_recorder_copy (rec, a->hyper, a->hyper_offset, a->hyper_device, a->hyper_device_offset,
                       VKS_ADAM_HYPER_BYTES);
  VksView views[] = {
    floats_view (a->hyper_device, a->hyper_device_offset, VKS_ADAM_HYPER_BYTES / 4),
    floats_view (a->grad, a->grad_offset, a->count),
    floats_view (a->param, a->param_offset, a->count),
    floats_view (a->exp_avg, a->exp_avg_offset, a->count),
    floats_view (a->exp_avg_sq, a->exp_avg_sq_offset, a->count),
  };
  int32_t spec[] = { (int32_t) a->decay, (int32_t) a->rule, a->clip ? 1 : 0 };
  int32_t push = (int32_t) a->count;
  return dispatch_1d (rec, VKS_KERNEL_ADAM, spec, G_N_ELEMENTS (spec), views, &push, sizeof push,
                      a->count, error);
}

gboolean
vks_moving_average_record (VksRecorder *rec, const VksBuffer *hyper, VkDeviceSize hyper_offset,
                           const VksBuffer *param, VkDeviceSize param_offset,
                           const VksBuffer *ema, VkDeviceSize ema_offset, long count,
                           GError **error)
{
  if (count <= 0)
    return TRUE;
  if (!fits_dispatch (count, "moving-average", error))
    return FALSE;
  VksView views[] = {
    floats_view (hyper, hyper_offset, 2),
    floats_view (param, param_offset, count),
    floats_view (ema, ema_offset, count),
  };
  int32_t push = (int32_t) count;
  return dispatch_1d (rec, VKS_KERNEL_EMA, NULL, 0, views, &push, sizeof push, count, error);
}

gboolean
vks_gather_record (VksRecorder *rec, const VksBuffer *src, VkDeviceSize src_offset,
                   long src_count, const VksBuffer *idx, VkDeviceSize idx_offset,
                   const VksBuffer *dst, VkDeviceSize dst_offset, long count, GError **error)
{
  if (count <= 0)
    return TRUE;
  if (!fits_dispatch (MAX (count, src_count), "gather", error))
    return FALSE;
  VksView views[] = {
    /* An empty source still needs a valid view: one float, never read (every index is past it). */
    floats_view (src, src_offset, MAX (src_count, 1)),
    { idx, idx_offset, (VkDeviceSize) count * 4, VK_FORMAT_R32_SINT },
    floats_view (dst, dst_offset, count),
  };
  int32_t push[] = { (int32_t) count, (int32_t) src_count,
                     (int32_t) (src_offset / sizeof (float)) };
  return dispatch_1d (rec, VKS_KERNEL_GATHER, NULL, 0, views, push, sizeof push, count, error);
}
