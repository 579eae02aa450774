/* Training losses recorded on the device: one call writes the gradient of scale * loss(x) with
 * respect to x and the value scale * loss(x), with no host wait (the host reads the value after
 * the submit that ran it). Every loss is a mean over the real elements of x (never the plane
 * padding) and follows PyTorch's definition, value and gradient. */
#pragma once
#include "engine/recorder.h"

typedef enum {
  VKS_LOSS_MSE = 0,         /* mean((x - target)^2), constant target (LSGAN: 0 or 1) */
  VKS_LOSS_BCE_LOGITS = 1,  /* BCEWithLogitsLoss against a constant target (vanilla GAN) */
  VKS_LOSS_HINGE_REAL = 2,  /* mean(relu(1 - x)): hinge discriminator, real images */
  VKS_LOSS_HINGE_FAKE = 3,  /* mean(relu(1 + x)): hinge discriminator, generated images */
  VKS_LOSS_HINGE_GEN = 4,   /* -mean(x): hinge generator */
  VKS_LOSS_L1 = 5,          /* mean(|x - target_tensor|) (cycle, identity); gradient sign(x - t),
                             * 0 where they are equal */
} VksLossKind;             /* values match shaders/loss.comp */

typedef struct {
  VksLossKind kind;
  float scale;              /* the loss weight (lambda): value and gradient are multiplied by it */
  float target;             /* MSE, BCE_LOGITS */
  const VksTensor *target_tensor;   /* L1: same shape as x */
  gboolean accumulate;      /* dx += gradient, else dx = gradient (padding: 0, or left as is) */
} VksLoss;

/* Scratch bytes vks_loss_record needs (the per-workgroup partial sums), at any tensor size. */
#define VKS_LOSS_SCRATCH_BYTES 4096

/* Writes d(scale * loss)/dx into dx (same shape as x; may alias x) and scale * loss as one float
 * at byte offset value_offset (a multiple of 4) of `value`, a device buffer. scratch_offset is a
 * multiple of vks_buffer_alignment(); two dispatches, the second a single workgroup. */
gboolean vks_loss_record (VksRecorder *rec, const VksLoss *loss, const VksTensor *x,
                          const VksTensor *dx, const VksBuffer *value, VkDeviceSize value_offset,
                          const VksBuffer *scratch, VkDeviceSize scratch_offset, GError **error);
