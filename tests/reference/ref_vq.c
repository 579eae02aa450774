#include "tests/reference/ref_vq.h"

#include <math.h>

static long
index_of (double v)
{
  return (long) floor (v + 0.5);
}

void
ref_vq_nearest (int n, int dim, long hw, int codes, const double *z, const double *code,
                double *idx)
{
  for (int b = 0; b < n; b++)
    for (long p = 0; p < hw; p++) {
      double best = INFINITY;
      int best_k = 0;
      for (int k = 0; k < codes; k++) {
        double d = 0;
        for (int c = 0; c < dim; c++) {
          double diff = z[((long) b * dim + c) * hw + p] - code[(long) k * dim + c];
          d += diff * diff;
        }
        if (d < best) {
          best = d;
          best_k = k;
        }
      }
      idx[b * hw + p] = best_k;
    }
}

void
ref_vq_lookup (int n, int dim, long hw, int codes, const double *code, const double *idx,
               double *out)
{
  for (int b = 0; b < n; b++)
    for (long p = 0; p < hw; p++) {
      long k = index_of (idx[b * hw + p]);
      for (int c = 0; c < dim; c++)
        out[((long) b * dim + c) * hw + p] = k >= 0 && k < codes ? code[k * dim + c] : 0.0;
    }
}

void
ref_vq_scatter (int n, int dim, long hw, int codes, const double *dy, const double *idx,
                double *dcode)
{
  for (int b = 0; b < n; b++)
    for (long p = 0; p < hw; p++) {
      long k = index_of (idx[b * hw + p]);
      if (k < 0 || k >= codes)
        continue;
      for (int c = 0; c < dim; c++)
        dcode[k * dim + c] += dy[((long) b * dim + c) * hw + p];
    }
}

void
ref_causal_mask (long batch, int queries, int keys, double fill, const double *x, double *out)
{
  for (long b = 0; b < batch; b++)
    for (int i = 0; i < queries; i++)
      for (int j = 0; j < keys; j++) {
        long at = (b * queries + i) * keys + j;
        out[at] = j <= i + keys - queries ? x[at] : fill;
      }
}
