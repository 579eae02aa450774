/* Naive CPU reference implementations of every engine op, written for obviousness, not speed:
 * the independent side of the op tests. Layout NCHW, float in/out, double accumulation. */
#pragma once

typedef enum { REF_PAD_ZERO, REF_PAD_REFLECT } RefPadMode;

/* weight [cout][cin][kh][kw], bias [cout] or NULL. Output size ho = (h + 2*pad - kh)/stride + 1. */
void ref_conv2d (const float *x, int n, int cin, int h, int w, const float *weight,
                 const float *bias, int cout, int kh, int kw, int stride, int pad, RefPadMode mode,
                 float *y);
/* PyTorch ConvTranspose2d: weight [cin][cout][kh][kw]; ho = (h-1)*stride - 2*pad + kh + output_pad. */
void ref_conv_transpose2d (const float *x, int n, int cin, int h, int w, const float *weight,
                           const float *bias, int cout, int kh, int kw, int stride, int pad,
                           int output_pad, float *y);
/* Per (n, c) over h*w, biased variance; gamma/beta NULL for no affine. */
void ref_instance_norm (const float *x, int n, int c, int h, int w, const float *gamma,
                        const float *beta, float eps, float *y);
/* Inference batch norm with running statistics. */
void ref_batch_norm (const float *x, int n, int c, int h, int w, const float *mean,
                     const float *var, const float *gamma, const float *beta, float eps, float *y);
void ref_relu (const float *x, long count, float *y);
void ref_leaky_relu (const float *x, long count, float slope, float *y);
void ref_tanh (const float *x, long count, float *y);
void ref_add (const float *a, const float *b, long count, float *y);
