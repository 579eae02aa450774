/* Naive CPU reference ops (see ref_ops.h). Every output element is computed on its own, straight
 * from the textbook formula, in double precision: no tiling, no reuse, nothing clever, so that a
 * disagreement with the engine points at the engine. */
#include "tests/reference/ref_ops.h"

#include <math.h>
#include <stddef.h>

/* Index into an NCHW tensor. size_t arithmetic so large test shapes cannot overflow int. */
static size_t
idx4 (int a, int b, int c, int d, int nb, int nc, int nd)
{
  return (((size_t) a * nb + b) * nc + c) * nd + d;
}

/* PyTorch ReflectionPad semantics: the border pixel is not repeated (-1 -> 1, len -> len-2).
 * PyTorch refuses pads >= len; we keep reflecting so the reference is total, which only matters
 * for shapes the engine should reject anyway. */
static int
reflect_index (int i, int len)
{
  if (len == 1)
    return 0;
  while (i < 0 || i >= len)
    {
      if (i < 0)
        i = -i;
      if (i >= len)
        i = 2 * (len - 1) - i;
    }
  return i;
}

void
ref_conv2d (const float *x, int n, int cin, int h, int w, const float *weight, const float *bias,
            int cout, int kh, int kw, int stride, int pad, RefPadMode mode, float *y)
{
  int ho = (h + 2 * pad - kh) / stride + 1;
  int wo = (w + 2 * pad - kw) / stride + 1;

  for (int b = 0; b < n; b++)
    for (int co = 0; co < cout; co++)
      for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
          {
            double acc = bias ? bias[co] : 0.0;
            for (int ci = 0; ci < cin; ci++)
              for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                  {
                    int iy = oy * stride - pad + ky;
                    int ix = ox * stride - pad + kx;
                    if (mode == REF_PAD_REFLECT)
                      {
                        iy = reflect_index (iy, h);
                        ix = reflect_index (ix, w);
                      }
                    else if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                      continue;
                    acc += (double) x[idx4 (b, ci, iy, ix, cin, h, w)]
                           * weight[idx4 (co, ci, ky, kx, cin, kh, kw)];
                  }
            y[idx4 (b, co, oy, ox, cout, ho, wo)] = (float) acc;
          }
}

/* Gather form: output (oy, ox) receives input (iy, ix) through tap (ky, kx) exactly when
 * oy = iy*stride - pad + ky. The test checks this against the scatter form of the definition. */
void
ref_conv_transpose2d (const float *x, int n, int cin, int h, int w, const float *weight,
                      const float *bias, int cout, int kh, int kw, int stride, int pad,
                      int output_pad, float *y)
{
  int ho = (h - 1) * stride - 2 * pad + kh + output_pad;
  int wo = (w - 1) * stride - 2 * pad + kw + output_pad;

  for (int b = 0; b < n; b++)
    for (int co = 0; co < cout; co++)
      for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
          {
            double acc = bias ? bias[co] : 0.0;
            for (int ci = 0; ci < cin; ci++)
              for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                  {
                    int ty = oy + pad - ky;
                    int tx = ox + pad - kx;
                    if (ty < 0 || tx < 0 || ty % stride != 0 || tx % stride != 0)
                      continue;
                    int iy = ty / stride;
                    int ix = tx / stride;
                    if (iy >= h || ix >= w)
                      continue;
                    acc += (double) x[idx4 (b, ci, iy, ix, cin, h, w)]
                           * weight[idx4 (ci, co, ky, kx, cout, kh, kw)];
                  }
            y[idx4 (b, co, oy, ox, cout, ho, wo)] = (float) acc;
          }
}

void
ref_instance_norm (const float *x, int n, int c, int h, int w, const float *gamma,
                   const float *beta, float eps, float *y)
{
  size_t plane = (size_t) h * w;

  for (int b = 0; b < n; b++)
    for (int ch = 0; ch < c; ch++)
      {
        const float *xp = x + ((size_t) b * c + ch) * plane;
        float *yp = y + ((size_t) b * c + ch) * plane;
        double sum = 0.0, sq = 0.0;

        /* Two passes (mean, then squared deviations): the reference must not lose precision
         * the engine keeps. */
        for (size_t i = 0; i < plane; i++)
          sum += xp[i];
        double mean = sum / (double) plane;
        for (size_t i = 0; i < plane; i++)
          sq += ((double) xp[i] - mean) * ((double) xp[i] - mean);
        double inv_std = 1.0 / sqrt (sq / (double) plane + (double) eps);
        double g = gamma ? gamma[ch] : 1.0;
        double be = beta ? beta[ch] : 0.0;

        for (size_t i = 0; i < plane; i++)
          yp[i] = (float) (((double) xp[i] - mean) * inv_std * g + be);
      }
}

void
ref_batch_norm (const float *x, int n, int c, int h, int w, const float *mean, const float *var,
                const float *gamma, const float *beta, float eps, float *y)
{
  size_t plane = (size_t) h * w;

  for (int b = 0; b < n; b++)
    for (int ch = 0; ch < c; ch++)
      {
        double inv_std = 1.0 / sqrt ((double) var[ch] + (double) eps);
        double g = gamma ? gamma[ch] : 1.0;
        double be = beta ? beta[ch] : 0.0;
        size_t base = ((size_t) b * c + ch) * plane;

        for (size_t i = 0; i < plane; i++)
          y[base + i] = (float) (((double) x[base + i] - mean[ch]) * inv_std * g + be);
      }
}

void
ref_relu (const float *x, long count, float *y)
{
  for (long i = 0; i < count; i++)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
ref_leaky_relu (const float *x, long count, float slope, float *y)
{
  for (long i = 0; i < count; i++)
    y[i] = x[i] > 0.0f ? x[i] : (float) ((double) slope * x[i]);
}

void
ref_tanh (const float *x, long count, float *y)
{
  for (long i = 0; i < count; i++)
    y[i] = (float) tanh ((double) x[i]);
}

void
ref_add (const float *a, const float *b, long count, float *y)
{
  for (long i = 0; i < count; i++)
    y[i] = (float) ((double) a[i] + b[i]);
}
