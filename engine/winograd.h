/* Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions: 36 multiplications per 4x4 output tile and
 * channel pair instead of 144. Three dispatches per tile chunk: the input transform
 * (shaders/winograd.comp), 36 independent GEMMs as one batched gemm.comp dispatch, the output
 * transform with bias and activation. The weights are transformed once, at pack time (or by
 * vks_winograd_record_weights on the device, for training). Used by ops.c when a VksConv chose
 * this algorithm (vks_conv_init). */
#pragma once
#include "engine/ops.h"

#define VKS_WINO_TILE 4                       /* output tile side */
#define VKS_WINO_ALPHA (VKS_WINO_TILE + 2)    /* input tile side */
#define VKS_WINO_POINTS (VKS_WINO_ALPHA * VKS_WINO_ALPHA)

/* gemm.comp's register tile: up to 16 output channels x 4 * 2 columns (VksConv.rows, .cols4).
 * Measured on lavapipe (CPU time per conv): 16 x 8 is 25-35 % faster than 32 x 4 (fewer texel
 * fetches per multiply-add), 32 x 8 is 4x slower (spills), and for 4-channel layers 4 x 8 beats
 * 4 x 4 and 4 x 16. */
#define VKS_GEMM_COLS4 2
#define VKS_GEMM_MAX_ROWS 16

/* gemm.comp's push block (std430), shared by the direct and the Winograd paths. The batch
 * strides apply per gl_WorkGroupID.z. */
typedef struct {
  int32_t m, k, n_begin, n_count, w_row4, col_row4, dst_base, dst_plane;
  float slope;
  int32_t a_batch4, b_batch4, dst_batch;
  /* IMPLICIT: where the columns are gathered from (the input tensor, bound as the columns) */
  int32_t in_h, in_w, in_plane, src_base, grid_w, stride, pad, kh, kw;
  int32_t pad_x;           /* IMPLICIT: the padding of the width axis (pad: of the height) */
  /* several images per dispatch (see gemm.comp): column segment texels, input floats between
   * images (IMPLICIT), WEIGHT_GRAD's image count and A's texels between images */
  int32_t col_seg4, src_image, images, a_image4;
} VksGemmPush;

gboolean vks_winograd_applies (const VksConvDesc *d);
/* Floats of transformed weights: [36][cin][m_pad]. */
VkDeviceSize vks_winograd_weight_floats (const VksConv *conv);
/* weight in PyTorch layout [cout][cin][3][3]; u receives vks_winograd_weight_floats() floats. */
void vks_winograd_pack (const VksConv *conv, const float *weight, float *u);
/* The same transform on the device, for training (the weights change every step): from
 * PyTorch-layout weights, floats [first, first + cin * cout * 9) of the R32F view of `src_floats`
 * floats at src_offset, into conv->weights. flipped: the weights given are those of the
 * convolution whose input gradient `conv` computes ([conv.cout][conv.cin][3][3]), read rotated
 * by 180 degrees, as vks_conv_backward_pack does on the host. Float arithmetic: within a few
 * ulps of the terms' magnitudes of vks_winograd_pack's double result. */
gboolean vks_winograd_record_weights (VksRecorder *rec, const VksConv *conv, const VksBuffer *src,
                                      VkDeviceSize src_offset, VkDeviceSize src_floats,
                                      VkDeviceSize first, gboolean flipped, GError **error);
VkDeviceSize vks_winograd_scratch_bytes (const VksConv *conv, int ho, int wo, VkDeviceSize budget);
gboolean vks_winograd_forward (VksRecorder *rec, const VksConv *conv, const VksTensor *x,
                               const VksTensor *y, const VksBuffer *scratch,
                               VkDeviceSize scratch_offset, VkDeviceSize scratch_bytes,
                               GError **error);
