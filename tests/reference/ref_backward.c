#include "reference/ref_backward.h"

#include <math.h>
#include <stdlib.h>

double
ref_activate_d (RefActivation act, double slope, double v)
{
  switch (act) {
  case REF_ACT_RELU: return v > 0 ? v : 0;
  case REF_ACT_LEAKY_RELU: return v >= 0 ? v : v * slope;
  case REF_ACT_TANH: return tanh (v);
  default: return v;
  }
}

static int
reflect (int i, int size)
{
  if (i < 0) i = -i;
  if (i >= size) i = 2 * size - 2 - i;
  return i;
}

void
ref_conv2d_d (const double *x, int n, int cin, int h, int w, const double *weight,
              const double *bias, int cout, int kh, int kw, int stride, int pad, RefPadMode mode,
              double *y)
{
  int ho = (h + 2 * pad - kh) / stride + 1, wo = (w + 2 * pad - kw) / stride + 1;
  for (int b = 0; b < n; b++)
    for (int co = 0; co < cout; co++)
      for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++) {
          double s = bias ? bias[co] : 0;
          for (int ci = 0; ci < cin; ci++)
            for (int ky = 0; ky < kh; ky++)
              for (int kx = 0; kx < kw; kx++) {
                int iy = oy * stride + ky - pad, ix = ox * stride + kx - pad;
                if (mode == REF_PAD_REFLECT) {
                  iy = reflect (iy, h);
                  ix = reflect (ix, w);
                } else if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                  continue;
                }
                s += x[(((long) b * cin + ci) * h + iy) * w + ix] *
                     weight[(((long) co * cin + ci) * kh + ky) * kw + kx];
              }
          y[(((long) b * cout + co) * ho + oy) * wo + ox] = s;
        }
}

void
ref_conv_transpose2d_d (const double *x, int n, int cin, int h, int w, const double *weight,
                        const double *bias, int cout, int kh, int kw, int stride, int pad,
                        int output_pad, double *y)
{
  int ho = (h - 1) * stride - 2 * pad + kh + output_pad;
  int wo = (w - 1) * stride - 2 * pad + kw + output_pad;
  for (int b = 0; b < n; b++)
    for (int co = 0; co < cout; co++)
      for (long i = 0; i < (long) ho * wo; i++)
        y[((long) b * cout + co) * ho * wo + i] = bias ? bias[co] : 0;
  /* Scatter form, the definition: every input pixel adds its weighted kernel to the output. */
  for (int b = 0; b < n; b++)
    for (int ci = 0; ci < cin; ci++)
      for (int iy = 0; iy < h; iy++)
        for (int ix = 0; ix < w; ix++) {
          double v = x[(((long) b * cin + ci) * h + iy) * w + ix];
          for (int co = 0; co < cout; co++)
            for (int ky = 0; ky < kh; ky++)
              for (int kx = 0; kx < kw; kx++) {
                int oy = iy * stride - pad + ky, ox = ix * stride - pad + kx;
                if (oy < 0 || oy >= ho || ox < 0 || ox >= wo)
                  continue;
                y[(((long) b * cout + co) * ho + oy) * wo + ox] +=
                  v * weight[(((long) ci * cout + co) * kh + ky) * kw + kx];
              }
        }
}

void
ref_instance_norm_d (const double *x, int n, int c, int h, int w, const double *gamma,
                     const double *beta, double eps, RefActivation act, double slope, double *y)
{
  long count = (long) h * w;
  for (long p = 0; p < (long) n * c; p++) {
    const double *xp = x + p * count;
    double mean = 0, var = 0;
    for (long i = 0; i < count; i++)
      mean += xp[i];
    mean /= count;
    for (long i = 0; i < count; i++)
      var += (xp[i] - mean) * (xp[i] - mean);
    var /= count;
    int ch = (int) (p % c);
    double g = gamma ? gamma[ch] : 1, be = beta ? beta[ch] : 0;
    for (long i = 0; i < count; i++)
      y[p * count + i] = ref_activate_d (act, slope, (xp[i] - mean) / sqrt (var + eps) * g + be);
  }
}

void
ref_finite_differences (RefLossFunc f, void *data, double *v, long count, double h, double *grad)
{
  for (long i = 0; i < count; i++) {
    double keep = v[i];
    v[i] = keep + h;
    double plus = f (data);
    v[i] = keep - h;
    double minus = f (data);
    v[i] = keep;
    grad[i] = (plus - minus) / (2 * h);
  }
}
