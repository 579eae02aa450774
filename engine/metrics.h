/* Feature statistics for generative-model metrics, in double, pure host code:
 *   FID as pytorch-fid's calculate_frechet_distance (np.mean, np.cov, |mu1 - mu2|^2 +
 *     Tr(S1 + S2 - 2 sqrtm(S1 S2))), with its rule of retrying with eps = 1e-6 on the diagonals
 *     when the first result is not finite;
 *   KID as torch-fidelity's kid_features_to_metric (polynomial kernel (x.y / d + 1)^3, unbiased
 *     MMD^2, subsets drawn by numpy's RandomState(seed).choice without replacement);
 *   IS as torch-fidelity's isc_features_to_metric (rows shuffled by RandomState(seed), softmax,
 *     splits, exp of the mean KL to the split's marginal).
 * Features are rows of floats, [n][d]. */
#pragma once
#include <glib.h>

/* numpy's legacy RandomState(seed).permutation(n) (MT19937 + its bounded-interval rejection):
 * what torch-fidelity's subsets and shuffles are made of. */
typedef struct {
  guint32 mt[624];
  int index;
} VksNumpyRandom;

void vks_numpy_random_seed (VksNumpyRandom *rng, guint32 seed);
void vks_numpy_random_permutation (VksNumpyRandom *rng, int n, int *out);

/* Mean [d] and unbiased covariance [d][d] (np.cov, rowvar=False) of n >= 2 rows. */
void vks_feature_statistics (const float *features, int n, int d, double *mean, double *cov);

/* Tr sqrtm(S1 S2) for symmetric positive semi-definite S1, S2 [d][d]: the sum of the square roots
 * of the eigenvalues of L^T S2 L, S1 = L L^T (a pivoted Cholesky factor of S1's numerical rank). */
double vks_trace_sqrt_product (const double *s1, const double *s2, int d);
/* FID from statistics; FALSE (VKS_ERROR_SHAPE) if not finite even with the offset. */
gboolean vks_frechet_distance (const double *mu1, const double *s1, const double *mu2,
                               const double *s2, int d, double *fid, GError **error);
gboolean vks_fid (const float *f1, int n1, const float *f2, int n2, int d, double *fid,
                  GError **error);

typedef struct {
  int subsets;             /* 100 */
  int subset_size;         /* 1000, capped at both sample counts */
  guint32 seed;            /* 2020 */
} VksKidOptions;

void vks_kid_options_default (VksKidOptions *o);
gboolean vks_kid (const float *f1, int n1, const float *f2, int n2, int d, const VksKidOptions *o,
                  double *mean, double *std, GError **error);
/* splits 10, shuffled with `seed` (2020). n >= splits. */
gboolean vks_inception_score (const float *logits, int n, int classes, int splits, guint32 seed,
                              double *mean, double *std, GError **error);
