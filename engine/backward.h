/* Host functions that record the backward passes of the engine's operations, for training. Like
 * ops.h they only record dispatches into a VksRecorder; nothing here waits for the device.
 *
 * Conventions:
 * - dy is the gradient of the loss with respect to an op's output, dx with respect to its input;
 *   tensors are the engine's one layout (tensor.h).
 * - Parameter gradients are plain float arrays in PyTorch's layout (a convolution's dW is
 *   [cout][cin][kh][kw], a transposed one's [cin][cout][kh][kw]; a bias's [cout]; a norm's
 *   dgamma[C] followed by dbeta[C]) at an offset that is a multiple of vks_buffer_alignment().
 *   With `accumulate` they are added to what the region holds (a weight used twice in one step,
 *   e.g. a generator applied to real and to fake images), else overwritten.
 * - Activations fused into a forward op are undone by the caller with vks_activation_backward on
 *   that op's output before calling the op's backward, except for normalisation, whose backward
 *   takes the fused activation itself (it recomputes the pre-activation from x).
 * - Residual add: both inputs' gradient is dy itself. Where a tensor feeds two consumers, sum
 *   the two gradients with vks_add_accumulate. */
#pragma once
#include "engine/ops.h"

/* Instance norm (norm->instance; the inference-only batch norm has no backward) with its fused
 * activation, from the forward's input x: dx, and when norm->affine dgamma/dbeta into `dparams`
 * (2 * channels floats, see above; ignored otherwise). norm->params must hold gamma and beta as
 * packed for the forward. dx may alias dy but not x. A fused residual's gradient is dy. */
gboolean vks_norm_backward (VksRecorder *rec, const VksNorm *norm, const VksTensor *x,
                            const VksTensor *dy, const VksTensor *dx, const VksBuffer *dparams,
                            VkDeviceSize dparams_offset, gboolean accumulate, GError **error);

/* The backward of one convolution at one input size h x w. The input gradient is itself a
 * convolution of dy with the same weights:
 * - of a 3x3 stride-1 plain convolution (unless its desc forces VKS_CONV_DIRECT), a plain
 *   convolution with the kernel rotated by 180 degrees, cin and cout swapped and padding 2 - pad,
 *   so that it can use Winograd like the forward;
 * - of any other plain convolution (stride 1 or 2; zero or reflect padding), a transposed one;
 *   the rows and columns the forward's stride left over at the bottom/right edge are covered by
 *   extra zero kernel taps rather than output_pad, which the engine has only one of for both
 *   axes. Reflect padding: the gradient of the padded input, folded back onto the border.
 * - of a transposed convolution, a plain convolution with zero padding.
 * That convolution's weights are a repacking of the forward's (…_pack, from the PyTorch-layout
 * weights) and live in a weight arena like any layer's; `data.weights` is set by the caller. */
typedef struct {
  VksConvDesc fwd;
  int h, w;                /* forward input size */
  int ho, wo;              /* forward output size */
  VksConv data;            /* computes dx from dy */
  int data_kh, data_kw;    /* data's kernel: the forward's plus the zero taps */
} VksConvBackward;

gboolean vks_conv_backward_init (VksConvBackward *bw, const VksConv *conv, int h, int w,
                                 VksArena *weights, GError **error);
/* weight in PyTorch layout (as given to vks_conv_pack); host is the weight arena's host image. */
void vks_conv_backward_pack (const VksConvBackward *bw, const float *weight, guint8 *host);
/* Scratch bytes the three functions below need for a batch of n images (the input-gradient
 * column chunks are capped at `budget`, as in vks_conv_scratch_bytes). */
VkDeviceSize vks_conv_backward_scratch_bytes (const VksConvBackward *bw, int n,
                                              VkDeviceSize budget);
/* dx from dy (dy: the forward output's shape, after the fused activation's backward). */
gboolean vks_conv_backward_data (VksRecorder *rec, const VksConvBackward *bw, const VksTensor *dy,
                                 const VksTensor *dx, const VksBuffer *scratch,
                                 VkDeviceSize scratch_offset, VkDeviceSize scratch_bytes,
                                 GError **error);
/* dW from the forward's input x and dy. */
gboolean vks_conv_backward_weight (VksRecorder *rec, const VksConvBackward *bw,
                                   const VksTensor *x, const VksTensor *dy, const VksBuffer *dw,
                                   VkDeviceSize dw_offset, gboolean accumulate,
                                   const VksBuffer *scratch, VkDeviceSize scratch_offset,
                                   VkDeviceSize scratch_bytes, GError **error);
/* db[c] = sum of dy over images and pixels. */
gboolean vks_conv_backward_bias (VksRecorder *rec, const VksTensor *dy, const VksBuffer *db,
                                 VkDeviceSize db_offset, gboolean accumulate, GError **error);

/* Per-channel mean and biased variance of image 0 of x (norm.comp's statistics mode, as the
 * instance norm takes them), into mean[C] then var[C] at dst_offset of dst (an R32F region of
 * 2 * C floats). aux: NULL; or the rectangle rows [r0, r1), columns [c0, c1) (4 floats at the
 * network's input resolution, divided by 2^shift for x) when region; or offset[C], factor[C]
 * applied to mean and variance when correct. */
gboolean vks_norm_statistics_record (VksRecorder *rec, const VksTensor *x, const VksView *aux,
                                     gboolean region, int shift, gboolean correct,
                                     const VksBuffer *dst, VkDeviceSize dst_offset,
                                     GError **error);
