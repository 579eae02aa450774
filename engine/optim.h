/* The optimiser step on the device: Adam over flat float arrays, and the gather that re-derives
 * packed (forward/backward layout) weights from the PyTorch-layout master weights it updated.
 * Recorded once and re-submitted every training step; nothing here waits for the device. */
#pragma once
#include "engine/recorder.h"

/* The step-dependent Adam (or RMSprop) factors, as the shader reads them (R32F, in this order). The host
 * writes them into an upload buffer before every submit (vks_adam_hyper_fill); the recorded
 * commands copy them to a device region first, since only device buffers are texel-viewable. */
typedef struct {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float neg_step;           /* -lr / (1 - beta1^t) */
  float bias2_sqrt;         /* sqrt(1 - beta2^t) */
  float eps;
  float decay;              /* the weight decay's factor: see VksAdamDecay */
  float clip;               /* CLIP: every updated value is clamped to [-clip, clip] */
} VksAdamHyper;

/* The update rule, the shader's specialisation constant RULE (shaders/adam.comp). */
typedef enum {
  VKS_ADAM_RULE_ADAM = 0,
  /* torch.optim.RMSprop (no momentum, not centered): v = alpha v + (1 - alpha) g^2,
   * p = p + (-lr g) / (sqrt(v) + eps); alpha in beta2, 1 - alpha in one_minus_beta2, -lr in
   * neg_step; exp_avg is not used. */
  VKS_ADAM_RULE_RMSPROP = 1,
} VksAdamRule;

/* Weight decay, the shader's specialisation constant DECAY (shaders/adam.comp). */
typedef enum {
  VKS_ADAM_DECAY_NONE = 0,
  VKS_ADAM_DECAY_L2 = 1,        /* torch.optim.Adam's weight_decay: g += wd p; decay = wd */
  VKS_ADAM_DECAY_DECOUPLED = 2, /* torch.optim.AdamW: p *= 1 - lr wd first; decay = 1 - lr wd */
} VksAdamDecay;

#define VKS_ADAM_HYPER_BYTES ((VkDeviceSize) sizeof (VksAdamHyper))

/* Fills *hyper for step t (1 for the first update) with learning rate lr, computed in double
 * and rounded to float as torch.optim.Adam does with its Python-float hyperparameters. */
void vks_adam_hyper_fill (VksAdamHyper *hyper, double lr, double beta1, double beta2, double eps,
                          int64_t t);
/* The same for VKS_ADAM_RULE_RMSPROP (torch.optim.RMSprop's factors do not depend on the step). */
void vks_rmsprop_hyper_fill (VksAdamHyper *hyper, double lr, double alpha, double eps);
/* Sets hyper->decay for that kind of weight decay (factors in double, rounded once, as
 * torch.optim.Adam and AdamW compute them from their Python floats). */
void vks_adam_hyper_set_decay (VksAdamHyper *hyper, VksAdamDecay decay, double lr,
                               double weight_decay);

/* Where one Adam dispatch finds its arrays: device buffers, byte offsets that are multiples of
 * vks_buffer_alignment(), `count` floats each. */
typedef struct {
  const VksBuffer *param, *grad, *exp_avg, *exp_avg_sq;
  VkDeviceSize param_offset, grad_offset, exp_avg_offset, exp_avg_sq_offset;
  long count;
  const VksBuffer *hyper;          /* VKS_MEMORY_UPLOAD, a VksAdamHyper at hyper_offset */
  VkDeviceSize hyper_offset;       /* a multiple of 4 */
  const VksBuffer *hyper_device;   /* device copy of it: VKS_ADAM_HYPER_BYTES at an aligned */
  VkDeviceSize hyper_device_offset;/* offset, may be shared by every Adam dispatch of a step */
  gboolean hyper_ready;            /* the device copy was made by an earlier command of the same
                                    * submission: no copy is recorded, hyper is not read */
  VksAdamDecay decay;
  VksAdamRule rule;
  gboolean clip;                   /* clamp the new values to [-hyper.clip, hyper.clip] (WGAN) */
} VksAdamArrays;

/* Records the hyperparameter copy and one dispatch: exactly torch.optim.Adam's update (amsgrad
 * off; AdamW's with VKS_ADAM_DECAY_DECOUPLED) of param, exp_avg and exp_avg_sq in place from
 * grad. */
gboolean vks_adam_record (VksRecorder *rec, const VksAdamArrays *arrays, GError **error);

/* The parameters' moving average, in place: ema = beta ema + (1 - beta) param over `count`
 * floats (shaders/ema.comp). hyper: a device region of two floats, beta and 1 - beta, at an
 * offset like the arrays' (a multiple of vks_buffer_alignment()). */
gboolean vks_moving_average_record (VksRecorder *rec, const VksBuffer *hyper,
                                    VkDeviceSize hyper_offset, const VksBuffer *param,
                                    VkDeviceSize param_offset, const VksBuffer *ema,
                                    VkDeviceSize ema_offset, long count, GError **error);

/* dst[i] = idx[i] > 0 ? src[idx[i] - 1] : 0 for i < count, idx int32 and 1-based over the whole
 * src buffer; only the window of src_count floats from src_offset is read (indices outside it
 * give 0), so the view stays within the texel-buffer limit however large src is. Device
 * buffers, offsets multiples of vks_buffer_alignment(); dst must not overlap src or idx. */
gboolean vks_gather_record (VksRecorder *rec, const VksBuffer *src, VkDeviceSize src_offset,
                            long src_count, const VksBuffer *idx, VkDeviceSize idx_offset,
                            const VksBuffer *dst, VkDeviceSize dst_offset, long count,
                            GError **error);
