/* Host functions that record the engine's operations into a VksRecorder. Each layer is
 * described once (…_init reserves its packed parameters in a model's weight arena and
 * …_pack fills them), then recorded for a given tensor shape (…_forward). Nothing here waits for
 * the device. */
#pragma once
#include "engine/recorder.h"
#include "engine/tensor.h"

typedef enum {
  VKS_ACT_NONE = 0,        /* values match shaders/common.glsl */
  VKS_ACT_RELU = 1,
  VKS_ACT_LEAKY_RELU = 2,
  VKS_ACT_TANH = 3,
} VksActivation;

#define VKS_MAX_KERNEL 7

typedef enum {
  VKS_CONV_AUTO = 0,       /* vks_conv_init picks the fastest that applies */
  VKS_CONV_DIRECT,         /* im2col + GEMM, any convolution */
  VKS_CONV_WINOGRAD,       /* F(4x4, 3x3), 3x3 stride-1 plain convolutions only */
  VKS_CONV_IMPLICIT,       /* GEMM gathering its columns from the input, no column matrix:
                            * plain convolutions with at most 4 output channels */
} VksConvAlgo;

/* im2col.comp's push block (std430), shared by the forward and backward convolutions. */
typedef struct {
  int32_t in_h, in_w, in_plane, src_base, grid_w, n_begin, n_count, col_row4, step_y, step_x;
  int32_t off_y[VKS_MAX_KERNEL], off_x[VKS_MAX_KERNEL];
  int32_t src_texels;
  int32_t col_seg4, src_image;   /* texels per image segment of a row; floats between images */
} VksIm2colPush;

/* norm.comp's push block in its NORM_BACKWARD build (std430): the backward modes (backward.c)
 * and the statistics modes of tiling (generator.c) use the same block. */
typedef struct {
  int32_t channels, count, plane, images;
  float eps, slope;
  int32_t pad, in_h, in_w, src_plane;
  int32_t region, shift, out_at, correct;   /* statistics modes only */
} VksNormBackwardPush;

typedef struct {
  int cin, cout, kh, kw;
  int stride, pad;
  /* Per-axis zero padding (Conv2d's padding=(pad_h, pad_w), plain convolutions only) when either
   * is nonzero; else `pad` on both axes. Zero keeps every older caller's meaning. */
  int pad_h, pad_w;
  gboolean reflect;        /* reflect padding (plain convolution only), else zeros */
  gboolean transposed;     /* ConvTranspose2d: weight [cin][cout][kh][kw] */
  int output_pad;          /* transposed only */
  VksActivation act;       /* applied after the bias */
  float slope;             /* LeakyReLU */
  VksConvAlgo algo;        /* normally VKS_CONV_AUTO; tests and benchmarks force one */
} VksConvDesc;

static inline int
vks_conv_pad_y (const VksConvDesc *d)
{
  return d->pad_h != 0 || d->pad_w != 0 ? d->pad_h : d->pad;
}

static inline int
vks_conv_pad_x (const VksConvDesc *d)
{
  return d->pad_h != 0 || d->pad_w != 0 ? d->pad_w : d->pad;
}

/* One GEMM over a column matrix: a plain convolution has one pass, a stride-s transposed
 * convolution s*s passes, one per output phase (sub-pixel decomposition), each using only the
 * kernel taps that land on its phase: no multiplications by inserted zeros. */
typedef struct {
  int k;                   /* reduction length: cin * taps_y * taps_x */
  int taps_y, taps_x;
  int tap_y[VKS_MAX_KERNEL], tap_x[VKS_MAX_KERNEL];   /* kernel indices used */
  int off_y[VKS_MAX_KERNEL], off_x[VKS_MAX_KERNEL];   /* input offset of each tap */
  int phase_y, phase_x;    /* output phase (transposed) */
  VkDeviceSize a_offset;   /* packed weights [k][m_pad] in the weight buffer */
} VksConvPass;

typedef struct {
  VksConvDesc d;
  VksConvAlgo algo;        /* chosen: DIRECT or WINOGRAD (then pass[0] holds the transformed
                            * weights [36][cin][m_pad] and its k is cin) */
  int rows;                /* output channels per GEMM invocation */
  int cols4;               /* column texels per GEMM invocation; column-matrix rows are padded
                            * to a multiple of it */
  int m_pad;               /* cout rounded up to rows */
  int n_passes;
  VksConvPass pass[4];
  VkDeviceSize bias_offset;
  const VksBuffer *weights;  /* set by the model once its weight buffer exists */
} VksConv;

gboolean vks_conv_init (VksConv *conv, const VksConvDesc *desc, VksArena *weights,
                        GError **error);
/* weight in PyTorch layout, bias may be NULL; host is the weight arena's host image. */
void vks_conv_pack (const VksConv *conv, const float *weight, const float *bias, guint8 *host);
gboolean vks_conv_output_size (const VksConv *conv, int h, int w, int *ho, int *wo,
                               GError **error);
/* Scratch this convolution wants for n images of h x w: the column matrices of as many whole
 * images as `budget` (the scratch a run provides) holds, or one image's in chunks of at most
 * `budget`; at least one chunk of the smallest size. Less scratch only means more dispatches. */
VkDeviceSize vks_conv_scratch_bytes (const VksConv *conv, int n, int h, int w,
                                     VkDeviceSize budget);
/* y must have the output shape; scratch is a device region of at least
 * vks_conv_scratch_bytes(); x and y must not overlap. */
gboolean vks_conv_forward (VksRecorder *rec, const VksConv *conv, const VksTensor *x,
                           const VksTensor *y, const VksBuffer *scratch,
                           VkDeviceSize scratch_offset, VkDeviceSize scratch_bytes,
                           GError **error);

typedef struct {
  int channels;
  gboolean instance;       /* statistics of each plane, else running statistics (batch norm) */
  gboolean affine;
  VksActivation act;
  float slope, eps;
  VkDeviceSize params_offset;  /* gamma, beta, mean, var: 4 * channels floats */
  const VksBuffer *params;
} VksNorm;

void vks_norm_init (VksNorm *norm, int channels, gboolean instance, gboolean affine,
                    VksActivation act, float slope, float eps, VksArena *weights);
/* Any of the arrays may be NULL (gamma 1, beta 0, mean 0, var 1). */
void vks_norm_pack (const VksNorm *norm, const float *gamma, const float *beta, const float *mean,
                    const float *var, guint8 *host);
/* y = act(norm(x)) (+ residual). y may alias x or residual. */
gboolean vks_norm_forward (VksRecorder *rec, const VksNorm *norm, const VksTensor *x,
                           const VksTensor *residual, const VksTensor *y, GError **error);
