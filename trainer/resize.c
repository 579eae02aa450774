/* Separable bicubic resize (see resize.h). */
#include "trainer/resize.h"

#include <math.h>
#include <string.h>

#define CUBIC_A (-0.5)
#define CUBIC_SUPPORT 2.0

double
vks_bicubic_weight (double x)
{
  x = fabs (x);
  if (x < 1.0)
    return ((CUBIC_A + 2.0) * x - (CUBIC_A + 3.0)) * x * x + 1.0;
  if (x < 2.0)
    return (((x - 5.0) * x + 8.0) * x - 4.0) * CUBIC_A;
  return 0.0;
}

/* For each output position along one axis: the first input index and the normalised weights of
 * the `taps` inputs that follow it (fewer near the borders; the rest of the row is zero). */
typedef struct {
  int taps;          /* weights per output position (row length of weights) */
  int *first;        /* out_size first input indices */
  int *count;        /* out_size counts of used weights */
  double *weights;   /* out_size * taps */
} Kernel;

static Kernel
kernel_new (int in_size, int out_size)
{
  const double scale = (double) in_size / out_size;
  const double filter_scale = MAX (scale, 1.0);
  const double support = CUBIC_SUPPORT * filter_scale;
  Kernel k;
  k.taps = (int) ceil (support) * 2 + 1;
  k.first = g_new (int, out_size);
  k.count = g_new (int, out_size);
  k.weights = g_new0 (double, (gsize) out_size * k.taps);
  for (int o = 0; o < out_size; o++) {
    /* Pixel centres: output o covers [o, o + 1) * scale of the input. */
    const double centre = (o + 0.5) * scale;
    int lo = (int) (centre - support + 0.5);
    int hi = (int) (centre + support + 0.5);
    lo = MAX (lo, 0);
    hi = MIN (hi, in_size);
    double *w = k.weights + (gsize) o * k.taps;
    double sum = 0.0;
    const int n = MIN (hi - lo, k.taps);
    for (int i = 0; i < n; i++) {
      w[i] = vks_bicubic_weight ((lo + i - centre + 0.5) / filter_scale);
      sum += w[i];
    }
    if (sum != 0.0)
      for (int i = 0; i < n; i++)
        w[i] /= sum;
    k.first[o] = lo;
    k.count[o] = n;
  }
  return k;
}

static void
kernel_free (Kernel *k)
{
  g_free (k->first);
  g_free (k->count);
  g_free (k->weights);
}

static inline float
clamp01 (double v)
{
  return v > 0.0 ? (v < 1.0 ? (float) v : 1.0f) : 0.0f;
}

void
vks_resize_bicubic (const float *src, int src_width, int src_height, int channels, float *dst,
                    int dst_width, int dst_height)
{
  g_return_if_fail (src_width > 0 && src_height > 0 && dst_width > 0 && dst_height > 0);
  g_return_if_fail (channels > 0 && channels <= 4);
  if (src_width == dst_width && src_height == dst_height) {
    memcpy (dst, src, (gsize) src_width * src_height * channels * sizeof (float));
    return;
  }

  /* Horizontal pass into a dst_width x src_height image (skipped when the width is unchanged,
   * as PIL does: a same-size pass would be the identity anyway). */
  float *wide = NULL;
  const float *rows = src;
  if (dst_width != src_width) {
    Kernel k = kernel_new (src_width, dst_width);
    wide = g_new (float, (gsize) dst_width * src_height * channels);
    for (int y = 0; y < src_height; y++) {
      const float *in = src + (gsize) y * src_width * channels;
      float *out = wide + (gsize) y * dst_width * channels;
      for (int x = 0; x < dst_width; x++) {
        const double *w = k.weights + (gsize) x * k.taps;
        const float *p = in + (gsize) k.first[x] * channels;
        double acc[4] = { 0.0, 0.0, 0.0, 0.0 };
        for (int i = 0; i < k.count[x]; i++)
          for (int c = 0; c < channels; c++)
            acc[c] += w[i] * p[i * channels + c];
        for (int c = 0; c < channels; c++)
          out[x * channels + c] = clamp01 (acc[c]);
      }
    }
    kernel_free (&k);
    rows = wide;
  }

  if (dst_height == src_height) {
    memcpy (dst, rows, (gsize) dst_width * dst_height * channels * sizeof (float));
    g_free (wide);
    return;
  }
  Kernel k = kernel_new (src_height, dst_height);
  const gsize row_floats = (gsize) dst_width * channels;
  double *acc = g_new (double, row_floats);
  for (int y = 0; y < dst_height; y++) {
    const double *w = k.weights + (gsize) y * k.taps;
    memset (acc, 0, row_floats * sizeof (double));
    for (int i = 0; i < k.count[y]; i++) {
      const float *in = rows + (gsize) (k.first[y] + i) * row_floats;
      for (gsize j = 0; j < row_floats; j++)
        acc[j] += w[i] * in[j];
    }
    float *out = dst + (gsize) y * row_floats;
    for (gsize j = 0; j < row_floats; j++)
      out[j] = clamp01 (acc[j]);
  }
  g_free (acc);
  kernel_free (&k);
  g_free (wide);
}
