/* The FID Inception-v3 and the metrics against PyTorch / numpy, from a fixture the test run
 * makes (tests/fixtures/make_inception_fixture.py: random weights, converted by
 * tools/convert_pytorch.py --inception) in $VKSTYLE_INCEPTION_FIXTURE. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/metrics.h"
#include "engine/models/inception.h"
#include "tests/rig.h"

static VksCheckpoint *
load (const char *file)
{
  const char *dir = g_getenv ("VKSTYLE_INCEPTION_FIXTURE");
  g_assert_nonnull (dir);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  GError *error = NULL;
  VksCheckpoint *ck = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ck;
}

static const VksCheckpointTensor *
tensor (const VksCheckpoint *ck, const char *name)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ck, name);
  g_assert_nonnull (t);
  return t;
}

static double
expected (const VksCheckpoint *ck, const char *key)
{
  const char *v = vks_checkpoint_get_metadata (ck, key);
  g_assert_nonnull (v);
  return g_ascii_strtod (v, NULL);
}

/* max |a - b| / max |b| */
static double
rel_error (const float *a, const float *b, size_t n)
{
  double err = 0, top = 0;
  for (size_t i = 0; i < n; i++) {
    err = MAX (err, fabs ((double) a[i] - b[i]));
    top = MAX (top, fabs ((double) b[i]));
  }
  return err / top;
}

static void
test_prepare (void)
{
  g_autoptr (VksCheckpoint) ex = load ("expected.safetensors");
  const VksCheckpointTensor *img = tensor (ex, "image1"), *want = tensor (ex, "prepared1");
  size_t n = 3 * VKS_INCEPTION_SIZE * VKS_INCEPTION_SIZE;
  g_autofree float *out = g_new (float, n);
  vks_inception_prepare_image (img->data, (int) img->shape[1], (int) img->shape[0], out);
  double err = 0;
  for (size_t i = 0; i < n; i++)
    err = MAX (err, fabs ((double) out[i] - want->data[i]));
  g_test_message ("bilinear resize 83x61 -> 299: max error %.3g", err);
  /* float32 rounding of values in [-1, 1]: 6e-7 against torch 1.13 (Debian 12), 8.8e-6 against
   * torch 2.6 (Debian 13), whose bilinear kernel orders its arithmetic differently */
  g_assert_cmpfloat (err, <=, 2e-5);
}

static void
test_network (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ck = load ("inception.safetensors");
  g_autoptr (VksCheckpoint) ex = load ("expected.safetensors");
  g_autoptr (VksInception) net = vks_inception_new (test_context (), ck, 2, &error);
  g_assert_no_error (error);
  size_t image = 3 * VKS_INCEPTION_SIZE * VKS_INCEPTION_SIZE;
  g_autofree float *in = g_new (float, 2 * image);
  const VksCheckpointTensor *img0 = tensor (ex, "image0"), *img1 = tensor (ex, "image1");
  vks_inception_prepare_image (img0->data, 299, 299, in);
  vks_inception_prepare_image (img1->data, (int) img1->shape[1], (int) img1->shape[0], in + image);
  g_autofree float *pool3 = g_new (float, 2 * VKS_INCEPTION_FEATURES);
  g_autofree float *logits = g_new (float, 2 * VKS_INCEPTION_CLASSES);
  gint64 start = g_get_monotonic_time ();
  g_assert_true (vks_inception_run (net, in, 2, pool3, logits, &error));
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  double e_pool = rel_error (pool3, tensor (ex, "pool3")->data, 2 * VKS_INCEPTION_FEATURES);
  double e_logits = rel_error (logits, tensor (ex, "logits_unbiased")->data,
                               2 * VKS_INCEPTION_CLASSES);
  g_test_message ("pool3 error %.3g, logits %.3g (relative to the largest), %.2f s per image at "
                  "299x299 (first run, packing included)", e_pool, e_logits, seconds / 2);
  g_assert_cmpfloat (e_pool, <=, 1e-4);
  g_assert_cmpfloat (e_logits, <=, 1e-4);
  /* a partial batch gives the same first row */
  g_autofree float *one = g_new (float, VKS_INCEPTION_FEATURES);
  g_assert_true (vks_inception_run (net, in, 1, one, NULL, &error));
  g_assert_cmpfloat (rel_error (one, pool3, VKS_INCEPTION_FEATURES), <=, 1e-6);
}

static void
test_wrong_checkpoint (void)
{
  g_autoptr (VksCheckpoint) ck = load ("inception.safetensors");
  vks_checkpoint_set_metadata (ck, "vkstyle.arch", "dcgan");
  GError *error = NULL;
  g_assert_null (vks_inception_new (test_context (), ck, 1, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_clear_error (&error);
}

static void
test_permutation (void)
{
  g_autoptr (VksCheckpoint) ex = load ("expected.safetensors");
  const VksCheckpointTensor *want = tensor (ex, "permutation");
  int perm[1000];
  VksNumpyRandom rng;
  vks_numpy_random_seed (&rng, 2020);
  vks_numpy_random_permutation (&rng, 1000, perm);
  for (int i = 0; i < 1000; i++)
    g_assert_cmpint (perm[i], ==, (int) want->data[i]);
}

static void
check_close (const char *what, double got, double want, double tol)
{
  double err = fabs (got - want) / MAX (1.0, fabs (want));
  g_test_message ("%s: %.12g, numpy %.12g, error %.3g", what, got, want, err);
  g_assert_cmpfloat (err, <=, tol);
}

static void
test_statistics (gconstpointer data)
{
  const char *set = data;
  g_autoptr (VksCheckpoint) ex = load ("expected.safetensors");
  g_autofree char *k1 = g_strconcat (set, ".f1", NULL), *k2 = g_strconcat (set, ".f2", NULL);
  const VksCheckpointTensor *f1 = tensor (ex, k1), *f2 = tensor (ex, k2);
  int n1 = (int) f1->shape[0], n2 = (int) f2->shape[0], d = (int) f1->shape[1];
  GError *error = NULL;
  double fid, mean, std;
  g_assert_true (vks_fid (f1->data, n1, f2->data, n2, d, &fid, &error));
  g_autofree char *kf = g_strdup_printf ("expected.%s.fid", set);
  /* d = 2048 from 100-odd samples: ~1900 zero eigenvalues, which numpy's eigh turns into noise
   * whose square roots (~3e-7 each) add up in the reference; ours drops them (rank-sized
   * Cholesky), so the two agree only to that noise */
  check_close ("FID", fid, expected (ex, kf), d > n1 ? 1e-6 : 1e-9);
  VksKidOptions o;
  vks_kid_options_default (&o);
  g_assert_true (vks_kid (f1->data, n1, f2->data, n2, d, &o, &mean, &std, &error));
  g_autofree char *km = g_strdup_printf ("expected.%s.kid_mean", set);
  g_autofree char *ks = g_strdup_printf ("expected.%s.kid_std", set);
  check_close ("KID mean", mean, expected (ex, km), 1e-9);
  check_close ("KID std", std, expected (ex, ks), 1e-9);
}

static void
test_inception_score (void)
{
  g_autoptr (VksCheckpoint) ex = load ("expected.safetensors");
  const VksCheckpointTensor *lg = tensor (ex, "is.logits");
  GError *error = NULL;
  double mean, std;
  g_assert_true (vks_inception_score (lg->data, (int) lg->shape[0], (int) lg->shape[1], 10, 2020,
                                      &mean, &std, &error));
  check_close ("IS mean", mean, expected (ex, "expected.is_mean"), 1e-10);
  check_close ("IS std", std, expected (ex, "expected.is_std"), 1e-10);
}

static void
test_metric_errors (void)
{
  GError *error = NULL;
  float one[4] = { 0 };
  double v, s;
  g_assert_false (vks_fid (one, 1, one, 1, 4, &v, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  g_assert_false (vks_inception_score (one, 1, 4, 10, 2020, &v, &s, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/inception/prepare", test_prepare);
  g_test_add_func ("/inception/network", test_network);
  g_test_add_func ("/inception/wrong-checkpoint", test_wrong_checkpoint);
  g_test_add_func ("/metrics/permutation", test_permutation);
  g_test_add_data_func ("/metrics/fid-kid/d2048", "big", test_statistics);
  g_test_add_data_func ("/metrics/fid-kid/d12", "small", test_statistics);
  g_test_add_func ("/metrics/inception-score", test_inception_score);
  g_test_add_func ("/metrics/errors", test_metric_errors);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
