/* Separable bicubic resize, PIL's 8-bit arithmetic (see resize.h). */
#include "trainer/resize.h"

#include <math.h>
#include <string.h>

#define CUBIC_A (-0.5)
#define CUBIC_SUPPORT 2.0
/* PIL's PRECISION_BITS for 8-bit images: 32 - 8 - 2, leaving room for 8-bit pixels times weights
 * whose absolute values sum to < 4 in a 32-bit accumulator. */
#define PRECISION_BITS 22

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

/* For each output position along one axis: the first input index and the fixed-point weights of
 * the `count` inputs that follow it. */
typedef struct {
  int taps;        /* row length of weights */
  int *first;      /* out_size first input indices */
  int *count;      /* out_size counts of used weights */
  gint32 *weights; /* out_size * taps */
} Kernel;

static Kernel
kernel_new (int in_size, int out_size)
{
  /* Every step as PIL computes it (same operations in double, same order), so that the rounded
   * fixed-point weights come out identical. */
  const double scale = (double) in_size / out_size;
  const double filter_scale = MAX (scale, 1.0);
  const double support = CUBIC_SUPPORT * filter_scale;
  const double inverse = 1.0 / filter_scale;
  Kernel k;
  k.taps = (int) ceil (support) * 2 + 1;
  k.first = g_new (int, out_size);
  k.count = g_new (int, out_size);
  k.weights = g_new0 (gint32, (gsize) out_size * k.taps);
  double *w = g_new (double, k.taps);
  for (int o = 0; o < out_size; o++) {
    /* Pixel centres: output o covers [o, o + 1) * scale of the input. */
    const double centre = (o + 0.5) * scale;
    int lo = (int) (centre - support + 0.5);
    int hi = (int) (centre + support + 0.5);
    lo = MAX (lo, 0);
    hi = MIN (hi, in_size);
    const int n = MIN (hi - lo, k.taps);
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
      w[i] = vks_bicubic_weight ((i + lo - centre + 0.5) * inverse);
      sum += w[i];
    }
    gint32 *fixed = k.weights + (gsize) o * k.taps;
    for (int i = 0; i < n; i++) {
      const double v = (sum != 0.0 ? w[i] / sum : w[i]) * (1 << PRECISION_BITS);
      fixed[i] = (gint32) (v < 0.0 ? v - 0.5 : v + 0.5);   /* rounded half away from zero */
    }
    k.first[o] = lo;
    k.count[o] = n;
  }
  g_free (w);
  return k;
}

static void
kernel_free (Kernel *k)
{
  g_free (k->first);
  g_free (k->count);
  g_free (k->weights);
}

/* acc holds the sum plus half a unit, so the shift rounds to nearest (halves up). */
static inline guint8
clip8 (gint64 acc)
{
  if (acc <= 0)
    return 0;
  if (acc >= (gint64) 256 << PRECISION_BITS)
    return 255;
  return (guint8) (acc >> PRECISION_BITS);
}

#define HALF ((gint64) 1 << (PRECISION_BITS - 1))

void
vks_resize_bicubic (const guint8 *src, int src_width, int src_height, int channels, guint8 *dst,
                    int dst_width, int dst_height)
{
  g_return_if_fail (src_width > 0 && src_height > 0 && dst_width > 0 && dst_height > 0);
  g_return_if_fail (channels > 0 && channels <= 4);
  if (src_width == dst_width && src_height == dst_height) {
    memcpy (dst, src, (gsize) src_width * src_height * channels);
    return;
  }

  /* Horizontal pass into a dst_width x src_height image (skipped when the width is unchanged,
   * as PIL does: a same-size pass would be the identity anyway). */
  guint8 *wide = NULL;
  const guint8 *rows = src;
  if (dst_width != src_width) {
    Kernel k = kernel_new (src_width, dst_width);
    wide = g_new (guint8, (gsize) dst_width * src_height * channels);
    for (int y = 0; y < src_height; y++) {
      const guint8 *in = src + (gsize) y * src_width * channels;
      guint8 *out = wide + (gsize) y * dst_width * channels;
      for (int x = 0; x < dst_width; x++) {
        const gint32 *w = k.weights + (gsize) x * k.taps;
        const guint8 *p = in + (gsize) k.first[x] * channels;
        gint64 acc[4] = { HALF, HALF, HALF, HALF };
        for (int i = 0; i < k.count[x]; i++)
          for (int c = 0; c < channels; c++)
            acc[c] += (gint64) w[i] * p[i * channels + c];
        for (int c = 0; c < channels; c++)
          out[x * channels + c] = clip8 (acc[c]);
      }
    }
    kernel_free (&k);
    rows = wide;
  }

  if (dst_height == src_height) {
    memcpy (dst, rows, (gsize) dst_width * dst_height * channels);
    g_free (wide);
    return;
  }
  Kernel k = kernel_new (src_height, dst_height);
  const gsize row_bytes = (gsize) dst_width * channels;
  gint64 *acc = g_new (gint64, row_bytes);
  for (int y = 0; y < dst_height; y++) {
    const gint32 *w = k.weights + (gsize) y * k.taps;
    for (gsize j = 0; j < row_bytes; j++)
      acc[j] = HALF;
    for (int i = 0; i < k.count[y]; i++) {
      const guint8 *in = rows + (gsize) (k.first[y] + i) * row_bytes;
      for (gsize j = 0; j < row_bytes; j++)
        acc[j] += (gint64) w[i] * in[j];
    }
    guint8 *out = dst + (gsize) y * row_bytes;
    for (gsize j = 0; j < row_bytes; j++)
      out[j] = clip8 (acc[j]);
  }
  g_free (acc);
  kernel_free (&k);
  g_free (wide);
}
