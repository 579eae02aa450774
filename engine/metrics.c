/* FID, KID and IS from features (metrics.h), in double. */
#include "engine/metrics.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "engine/error.h"

/* ---- numpy's legacy RandomState ---- */

void
vks_numpy_random_seed (VksNumpyRandom *rng, guint32 seed)
{
  /* mt19937_seed: the reference init_genrand, which RandomState(int) uses */
  rng->mt[0] = seed;
  for (int i = 1; i < 624; i++)
    rng->mt[i] = 1812433253u * (rng->mt[i - 1] ^ (rng->mt[i - 1] >> 30)) + (guint32) i;
  rng->index = 624;
}

static guint32
next_uint32 (VksNumpyRandom *rng)
{
  if (rng->index >= 624) {
    for (int i = 0; i < 624; i++) {
      guint32 y = (rng->mt[i] & 0x80000000u) | (rng->mt[(i + 1) % 624] & 0x7fffffffu);
      rng->mt[i] = rng->mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    rng->index = 0;
  }
  guint32 y = rng->mt[rng->index++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  return y ^ (y >> 18);
}

/* random_interval: uniform in [0, max] by masking and rejection */
static guint32
random_interval (VksNumpyRandom *rng, guint32 max)
{
  if (max == 0)
    return 0;
  guint32 mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  guint32 v;
  while ((v = next_uint32 (rng) & mask) > max)
    ;
  return v;
}

void
vks_numpy_random_permutation (VksNumpyRandom *rng, int n, int *out)
{
  for (int i = 0; i < n; i++)
    out[i] = i;
  /* shuffle: Fisher-Yates from the end */
  for (int i = n - 1; i > 0; i--) {
    int j = (int) random_interval (rng, (guint32) i);
    int t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
}

/* ---- statistics and FID ---- */

void
vks_feature_statistics (const float *features, int n, int d, double *mean, double *cov)
{
  memset (mean, 0, sizeof (double) * d);
  memset (cov, 0, sizeof (double) * d * d);
  for (int r = 0; r < n; r++)
    for (int i = 0; i < d; i++)
      mean[i] += features[(size_t) r * d + i];
  for (int i = 0; i < d; i++)
    mean[i] /= n;
  double *row = g_new (double, d);
  for (int r = 0; r < n; r++) {
    for (int i = 0; i < d; i++)
      row[i] = features[(size_t) r * d + i] - mean[i];
    for (int i = 0; i < d; i++) {
      double ci = row[i];
      double *c = cov + (size_t) i * d;
      for (int j = i; j < d; j++)
        c[j] += ci * row[j];
    }
  }
  g_free (row);
  for (int i = 0; i < d; i++)
    for (int j = i; j < d; j++) {
      cov[(size_t) i * d + j] /= n - 1;
      cov[(size_t) j * d + i] = cov[(size_t) i * d + j];
    }
}

/* Pivoted Cholesky of a symmetric PSD a [d][d]: columns l[i][k] (rows in a's own order, d x d
 * storage) with a = L L^T to LAPACK dpstrf's tolerance d * eps * max diag; returns the rank. */
static int
pivoted_cholesky (const double *a, int d, double *l)
{
  double *diag = g_new (double, d);
  gboolean *used = g_new0 (gboolean, d);
  double top = 0;
  for (int i = 0; i < d; i++)
    top = MAX (top, diag[i] = a[(size_t) i * d + i]);
  double tol = d * DBL_EPSILON * top;
  memset (l, 0, sizeof (double) * d * d);
  int k = 0;
  for (; k < d; k++) {
    int p = -1;
    for (int i = 0; i < d; i++)
      if (!used[i] && (p < 0 || diag[i] > diag[p]))
        p = i;
    if (!(diag[p] > tol))
      break;
    used[p] = TRUE;
    double lpp = sqrt (diag[p]);
    const double *lp = l + (size_t) p * d;
    l[(size_t) p * d + k] = lpp;
    for (int i = 0; i < d; i++) {
      if (used[i])
        continue;
      double *li = l + (size_t) i * d;
      double s = a[(size_t) i * d + p];
      for (int j = 0; j < k; j++)
        s -= li[j] * lp[j];
      li[k] = s / lpp;
      diag[i] -= li[k] * li[k];
    }
  }
  g_free (diag);
  g_free (used);
  return k;
}

/* Householder reduction of the symmetric a [n][n] (destroyed) to tridiagonal form: diagonal
 * dg[n], off-diagonal e[n] (e[0] = 0). Eigenvalues only, so no transformation is kept. */
static void
tridiagonalize (double *a, int n, double *dg, double *e)
{
#define A(i, j) a[(size_t) (i) * n + (j)]
  for (int i = n - 1; i > 0; i--) {
    int l = i - 1;
    double h = 0, scale = 0;
    if (l > 0) {
      for (int k = 0; k <= l; k++)
        scale += fabs (A (i, k));
      if (scale == 0) {
        e[i] = A (i, l);
      } else {
        for (int k = 0; k <= l; k++) {
          A (i, k) /= scale;
          h += A (i, k) * A (i, k);
        }
        double f = A (i, l);
        double g = f >= 0 ? -sqrt (h) : sqrt (h);
        e[i] = scale * g;
        h -= f * g;
        A (i, l) = f - g;
        f = 0;
        for (int j = 0; j <= l; j++) {
          g = 0;
          for (int k = 0; k <= j; k++)
            g += A (j, k) * A (i, k);
          for (int k = j + 1; k <= l; k++)
            g += A (k, j) * A (i, k);
          e[j] = g / h;
          f += e[j] * A (i, j);
        }
        double hh = f / (h + h);
        for (int j = 0; j <= l; j++) {
          f = A (i, j);
          e[j] = g = e[j] - hh * f;
          for (int k = 0; k <= j; k++)
            A (j, k) -= f * e[k] + g * A (i, k);
        }
      }
    } else {
      e[i] = A (i, l);
    }
  }
  e[0] = 0;
  for (int i = 0; i < n; i++)
    dg[i] = A (i, i);
#undef A
}

/* Eigenvalues of the tridiagonal (dg, e) by the QL algorithm with implicit shifts, into dg. */
static gboolean
tridiagonal_eigenvalues (double *dg, double *e, int n)
{
  for (int i = 1; i < n; i++)
    e[i - 1] = e[i];
  if (n > 0)
    e[n - 1] = 0;
  for (int l = 0; l < n; l++) {
    int iter = 0, m;
    do {
      for (m = l; m < n - 1; m++) {
        double dd = fabs (dg[m]) + fabs (dg[m + 1]);
        if (fabs (e[m]) <= DBL_EPSILON * dd)
          break;
      }
      if (m != l) {
        if (iter++ == 100)
          return FALSE;
        double g = (dg[l + 1] - dg[l]) / (2.0 * e[l]);
        double r = hypot (g, 1.0);
        g = dg[m] - dg[l] + e[l] / (g + copysign (r, g));
        double s = 1, c = 1, p = 0;
        int i;
        for (i = m - 1; i >= l; i--) {
          double f = s * e[i], b = c * e[i];
          e[i + 1] = r = hypot (f, g);
          if (r == 0) {
            dg[i + 1] -= p;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = dg[i + 1] - p;
          r = (dg[i] - g) * s + 2.0 * c * b;
          dg[i + 1] = g + (p = s * r);
          g = c * r - b;
        }
        if (r == 0 && i >= l)
          continue;
        dg[l] -= p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m != l);
  }
  return TRUE;
}

double
vks_trace_sqrt_product (const double *s1, const double *s2, int d)
{
  /* eig(S1 S2) = eig(L L^T S2) = eig(L^T S2 L), which is symmetric PSD: the same as
   * eig(sqrt(S1) S2 sqrt(S1)) without S1's eigenvectors, and exact for a singular S1 (fewer
   * samples than dimensions), where L has only rank columns. */
  double *l = g_new (double, (size_t) d * d);
  int r = pivoted_cholesky (s1, d, l);
  double *t = g_new0 (double, (size_t) d * MAX (r, 1));   /* S2 L, [d][r] */
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      double sij = s2[(size_t) i * d + j];
      const double *lj = l + (size_t) j * d;
      double *ti = t + (size_t) i * r;
      for (int k = 0; k < r; k++)
        ti[k] += sij * lj[k];
    }
  double *m = g_new0 (double, (size_t) MAX (r, 1) * MAX (r, 1));   /* L^T S2 L */
  for (int i = 0; i < d; i++) {
    const double *li = l + (size_t) i * d, *ti = t + (size_t) i * r;
    for (int a = 0; a < r; a++) {
      double la = li[a];
      double *ma = m + (size_t) a * r;
      for (int b = 0; b < r; b++)
        ma[b] += la * ti[b];
    }
  }
  for (int a = 0; a < r; a++)
    for (int b = a + 1; b < r; b++)
      m[(size_t) a * r + b] = m[(size_t) b * r + a] =
        0.5 * (m[(size_t) a * r + b] + m[(size_t) b * r + a]);
  double *dg = g_new (double, MAX (r, 1)), *e = g_new (double, MAX (r, 1));
  tridiagonalize (m, r, dg, e);
  double trace = NAN;
  if (tridiagonal_eigenvalues (dg, e, r)) {
    trace = 0;
    for (int i = 0; i < r; i++)
      trace += dg[i] > 0 ? sqrt (dg[i]) : 0;   /* rounding makes zero eigenvalues ±tiny */
  }
  g_free (l);
  g_free (t);
  g_free (m);
  g_free (dg);
  g_free (e);
  return trace;
}

static double
frechet (const double *mu1, const double *s1, const double *mu2, const double *s2, int d)
{
  double dist = 0;
  for (int i = 0; i < d; i++) {
    dist += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
    dist += s1[(size_t) i * d + i] + s2[(size_t) i * d + i];
  }
  return dist - 2.0 * vks_trace_sqrt_product (s1, s2, d);
}

gboolean
vks_frechet_distance (const double *mu1, const double *s1, const double *mu2, const double *s2,
                      int d, double *fid, GError **error)
{
  *fid = frechet (mu1, s1, mu2, s2, d);
  if (isfinite (*fid))
    return TRUE;
  /* pytorch-fid: "adding 1e-06 to diagonal of cov estimates" */
  g_autofree double *o1 = g_memdup2 (s1, sizeof (double) * d * d);
  g_autofree double *o2 = g_memdup2 (s2, sizeof (double) * d * d);
  for (int i = 0; i < d; i++) {
    o1[(size_t) i * d + i] += 1e-6;
    o2[(size_t) i * d + i] += 1e-6;
  }
  *fid = frechet (mu1, o1, mu2, o2, d);
  if (isfinite (*fid))
    return TRUE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "the Frechet distance is not finite: the "
               "features hold NaN or infinite values");
  return FALSE;
}

gboolean
vks_fid (const float *f1, int n1, const float *f2, int n2, int d, double *fid, GError **error)
{
  if (n1 < 2 || n2 < 2) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "FID needs at least 2 samples per set, not "
                 "%d and %d", n1, n2);
    return FALSE;
  }
  g_autofree double *mu1 = g_new (double, d), *mu2 = g_new (double, d);
  g_autofree double *s1 = g_new (double, (size_t) d * d), *s2 = g_new (double, (size_t) d * d);
  vks_feature_statistics (f1, n1, d, mu1, s1);
  vks_feature_statistics (f2, n2, d, mu2, s2);
  return vks_frechet_distance (mu1, s1, mu2, s2, d, fid, error);
}

/* ---- KID ---- */

void
vks_kid_options_default (VksKidOptions *o)
{
  o->subsets = 100;
  o->subset_size = 1000;
  o->seed = 2020;
}

static double
dot (const double *a, const double *b, int d)
{
  /* four partial sums: the compiler may not reorder one, and d is 2048 */
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int i = 0;
  for (; i + 4 <= d; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < d; i++)
    s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

/* kernel_poly with torch-fidelity's defaults: (x.y gamma + 1)^3, gamma = 1 / d */
static double
kernel (const double *x, const double *y, int d)
{
  double k = dot (x, y, d) / d + 1.0;
  return k * k * k;
}

/* mmd2(..., mmd_est="unbiased") of rows x[idx_x], y[idx_y], m each */
static double
mmd2_unbiased (const double *x, const int *ix, const double *y, const int *iy, int m, int d)
{
  double xx = 0, yy = 0, xy = 0;
  for (int i = 0; i < m; i++) {
    const double *xi = x + (size_t) ix[i] * d, *yi = y + (size_t) iy[i] * d;
    for (int j = i + 1; j < m; j++) {
      xx += kernel (xi, x + (size_t) ix[j] * d, d);
      yy += kernel (yi, y + (size_t) iy[j] * d, d);
    }
    for (int j = 0; j < m; j++)
      xy += kernel (xi, y + (size_t) iy[j] * d, d);
  }
  return 2.0 * (xx + yy) / ((double) m * (m - 1)) - 2.0 * xy / ((double) m * m);
}

static double *
to_double (const float *f, size_t count)
{
  double *out = g_new (double, count);
  for (size_t i = 0; i < count; i++)
    out[i] = f[i];
  return out;
}

static void
mean_std (const double *v, int n, double *mean, double *std)
{
  double m = 0, s = 0;
  for (int i = 0; i < n; i++)
    m += v[i];
  m /= n;
  for (int i = 0; i < n; i++)
    s += (v[i] - m) * (v[i] - m);
  *mean = m;
  *std = sqrt (s / n);   /* np.std: ddof 0 */
}

gboolean
vks_kid (const float *f1, int n1, const float *f2, int n2, int d, const VksKidOptions *o,
         double *mean, double *std, GError **error)
{
  /* torch-fidelity refuses fewer samples than kid_subset_size; capping it is the same as
   * passing kid_subset_size = min(n1, n2) */
  int m = MIN (o->subset_size, MIN (n1, n2));
  if (m < 2 || o->subsets < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "KID needs at least 2 samples per set and "
                 "1 subset, not %d and %d samples, %d subsets", n1, n2, o->subsets);
    return FALSE;
  }
  g_autofree double *x = to_double (f1, (size_t) n1 * d), *y = to_double (f2, (size_t) n2 * d);
  g_autofree int *p1 = g_new (int, n1), *p2 = g_new (int, n2);
  g_autofree double *mmds = g_new (double, o->subsets);
  VksNumpyRandom rng;
  vks_numpy_random_seed (&rng, o->seed);
  for (int s = 0; s < o->subsets; s++) {
    /* RandomState.choice(n, m, replace=False) is permutation(n)[:m] */
    vks_numpy_random_permutation (&rng, n1, p1);
    vks_numpy_random_permutation (&rng, n2, p2);
    mmds[s] = mmd2_unbiased (x, p1, y, p2, m, d);
  }
  mean_std (mmds, o->subsets, mean, std);
  if (!isfinite (*mean)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "KID is not finite: the features hold NaN "
                 "or infinite values");
    return FALSE;
  }
  return TRUE;
}

/* ---- IS ---- */

gboolean
vks_inception_score (const float *logits, int n, int classes, int splits, guint32 seed,
                     double *mean, double *std, GError **error)
{
  if (splits < 1 || n < splits) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "the Inception Score needs at least %d "
                 "samples (one per split), not %d", MAX (splits, 1), n);
    return FALSE;
  }
  g_autofree int *perm = g_new (int, n);
  VksNumpyRandom rng;
  vks_numpy_random_seed (&rng, seed);
  vks_numpy_random_permutation (&rng, n, perm);
  /* p and log p of each shuffled row, as torch's softmax / log_softmax in double */
  g_autofree double *p = g_new (double, (size_t) n * classes);
  g_autofree double *logp = g_new (double, (size_t) n * classes);
  for (int r = 0; r < n; r++) {
    const float *row = logits + (size_t) perm[r] * classes;
    double top = -INFINITY, sum = 0;
    for (int c = 0; c < classes; c++)
      top = MAX (top, (double) row[c]);
    for (int c = 0; c < classes; c++)
      sum += exp ((double) row[c] - top);
    double lse = log (sum);
    for (int c = 0; c < classes; c++) {
      logp[(size_t) r * classes + c] = (double) row[c] - top - lse;
      p[(size_t) r * classes + c] = exp ((double) row[c] - top) / sum;
    }
  }
  g_autofree double *scores = g_new (double, splits);
  g_autofree double *logq = g_new (double, classes);
  for (int s = 0; s < splits; s++) {
    int begin = (int) ((long) s * n / splits), end = (int) ((long) (s + 1) * n / splits);
    for (int c = 0; c < classes; c++) {
      double q = 0;
      for (int r = begin; r < end; r++)
        q += p[(size_t) r * classes + c];
      logq[c] = log (q / (end - begin));
    }
    double kl = 0;
    for (int r = begin; r < end; r++) {
      double row = 0;
      for (int c = 0; c < classes; c++)
        row += p[(size_t) r * classes + c] * (logp[(size_t) r * classes + c] - logq[c]);
      kl += row;
    }
    scores[s] = exp (kl / (end - begin));
  }
  mean_std (scores, splits, mean, std);
  if (!isfinite (*mean)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "the Inception Score is not finite: the "
                 "logits hold NaN or infinite values");
    return FALSE;
  }
  return TRUE;
}
