/* The training kernels on the device against independent references (the losses are graph
 * nodes now: engine/nn/losses.c, tested with the other ops in tests/nn/):
 * - Adam (engine/optim.h): 5 steps with a linearly decaying lr against a float C reference doing
 *   torch.optim.Adam's operations in its order, each rounded (bit for bit on lavapipe; at most
 *   1 ulp allowed), and the distance to PyTorch's AVX2 (FMA) form reported.
 * - gather: random index maps, with zeros and out-of-range indices, exact. */
#include "rig.h"
#include "engine/optim.h"

#include <float.h>
#include <math.h>
#include <string.h>


/* --- Adam ------------------------------------------------------------------------------- */

/* torch.optim.Adam's single-tensor update (PyTorch 1.13) in float, operation by operation:
 * m.mul_(b1).add_(g, alpha=1-b1); v.mul_(b2).addcmul_(g, g, value=1-b2);
 * denom = v.sqrt() / sqrt(1-b2^t) + eps; p.addcdiv_(m, denom, value=-step) = p + (-step * m) / denom.
 * With `fused`, the last multiply-add of add_ and addcmul_ is one FMA, as in PyTorch's AVX2 CPU
 * kernels (checked against torch itself when this was written); the shader rounds every
 * operation separately (shaders/adam.comp), which is the unfused form. */
static void
ref_adam (const VksAdamHyper *hp, const float *g, float *p, float *m, float *v, long n,
          gboolean fused)
{
  for (long i = 0; i < n; i++) {
    volatile float mb = m[i] * hp->beta1;
    volatile float ag1 = hp->one_minus_beta1 * g[i];
    m[i] = fused ? fmaf (hp->one_minus_beta1, g[i], mb) : mb + ag1;
    volatile float vb = v[i] * hp->beta2;
    volatile float ag = hp->one_minus_beta2 * g[i];
    volatile float agg = ag * g[i];
    v[i] = fused ? fmaf (ag, g[i], vb) : vb + agg;
    volatile float root = sqrtf (v[i]);
    volatile float q = root / hp->bias2_sqrt;
    volatile float denom = q + hp->eps;
    volatile float num = hp->neg_step * m[i];
    volatile float upd = num / denom;
    p[i] = p[i] + upd;
  }
}

static void
run_adam (double beta1, double beta2, double eps, long count, GRand *rng)
{
  VksContext *ctx = test_context ();
  TestRig rig;
  rig_init (&rig, ctx);
  VkDeviceSize bytes = (VkDeviceSize) count * 4;
  VkDeviceSize off_p = rig_reserve (&rig, bytes), off_g = rig_reserve (&rig, bytes);
  VkDeviceSize off_m = rig_reserve (&rig, bytes), off_v = rig_reserve (&rig, bytes);
  VkDeviceSize off_h = rig_reserve (&rig, VKS_ADAM_HYPER_BYTES);
  rig_alloc (&rig, NULL, 0);
  GError *error = NULL;
  VksBuffer *hyper = vks_buffer_new (ctx, 256, VKS_MEMORY_UPLOAD, "adam hyper", &error);
  g_assert_no_error (error);

  float *p = g_new (float, count), *g = g_new (float, count);
  float *m = g_new0 (float, count), *v = g_new0 (float, count);
  fill_uniform (p, count, -1, 1, rng);
  float *pt = g_memdup2 (p, bytes), *mt = g_new0 (float, count), *vt = g_new0 (float, count);
  guint8 *up = rig_host (&rig);
  memcpy (up + off_p, p, bytes);
  memset (up + off_m, 0, bytes);
  memset (up + off_v, 0, bytes);

  VksAdamArrays arrays = {
    .param = rig.dev, .grad = rig.dev, .exp_avg = rig.dev, .exp_avg_sq = rig.dev,
    .param_offset = off_p, .grad_offset = off_g, .exp_avg_offset = off_m,
    .exp_avg_sq_offset = off_v, .count = count,
    .hyper = hyper, .hyper_offset = 32, .hyper_device = rig.dev, .hyper_device_offset = off_h,
  };
  gboolean ok = vks_adam_record (rig.rec, &arrays, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  /* rig_run records the readback and runs once; later steps run the same commands again. */
  long mismatches = 0, worst = 0;
  double torch_worst = 0;   /* in units of the largest element's ulp, per array */
  for (int step = 1; step <= 5; step++) {
    double lr = 2e-4 * (1.0 - (step - 1) / 5.0);   /* linear decay */
    VksAdamHyper hp;
    vks_adam_hyper_fill (&hp, lr, beta1, beta2, eps, step);
    memcpy ((guint8 *) hyper->mapped + 32, &hp, sizeof hp);
    fill_uniform (g, count, -1, 1, rng);
    for (long i = 0; i < count; i += 17)
      g[i] *= 1e-4f;                                 /* small gradients: eps matters */
    memcpy (up + off_g, g, bytes);
    if (step == 1) {
      rig_run (&rig);
    } else {
      ok = vks_recorder_run (rig.rec, &error);
      g_assert_no_error (error);
    }
    ref_adam (&hp, g, p, m, v, count, FALSE);
    ref_adam (&hp, g, pt, mt, vt, count, TRUE);
    const guint8 *down = rig.down->mapped;
    const float *arrays_got[] = { (const float *) (down + off_p), (const float *) (down + off_m),
                                  (const float *) (down + off_v) };
    const float *arrays_want[] = { p, m, v };
    const float *arrays_torch[] = { pt, mt, vt };
    for (int a = 0; a < 3; a++)
      for (long i = 0; i < count; i++) {
        long d = ulp_distance (arrays_got[a][i], arrays_want[a][i]);
        mismatches += d != 0;
        worst = MAX (worst, d);
      }
    for (int a = 0; a < 3; a++) {
      double big = 0, diff = 0;
      for (long i = 0; i < count; i++) {
        big = MAX (big, fabs (arrays_torch[a][i]));
        diff = MAX (diff, fabs ((double) arrays_got[a][i] - arrays_torch[a][i]));
      }
      torch_worst = MAX (torch_worst, diff / (big * FLT_EPSILON));
    }
    /* The next run re-uploads the whole arena: carry the device's state over. */
    memcpy (up + off_p, down + off_p, bytes);
    memcpy (up + off_m, down + off_m, bytes);
    memcpy (up + off_v, down + off_v, bytes);
  }
  g_test_message ("adam b1 %g b2 %g eps %g, %ld params x 5 steps: %ld floats differ from the "
                  "reference, worst by %ld ulp; from the FMA (PyTorch AVX2) form by up to %.2g ulp "
                  "of the array's largest element",
                  beta1, beta2, eps, count, mismatches, worst, torch_worst);
  /* Bitwise on lavapipe; 1 ulp of slack for devices whose division or sqrt is not correctly
   * rounded (Vulkan allows 2.5 ulp and 3 ulp). */
  if (worst > 1)
    g_error ("adam: %ld floats differ, worst by %ld ulp", mismatches, worst);

  g_free (p);
  g_free (g);
  g_free (m);
  g_free (v);
  g_free (pt);
  g_free (mt);
  g_free (vt);
  vks_buffer_free (ctx, hyper);
  rig_free (&rig);
}

static void
test_adam (void)
{
  GRand *rng = g_rand_new_with_seed (507);
  run_adam (0.5, 0.999, 1e-8, 1003, rng);   /* CycleGAN's betas */
  run_adam (0.9, 0.999, 1e-8, 4099, rng);   /* PyTorch's defaults */
  g_rand_free (rng);
}

/* --- gather ----------------------------------------------------------------------------- */

static void
run_gather (long src_count, long count, GRand *rng)
{
  VksContext *ctx = test_context ();
  TestRig rig;
  rig_init (&rig, ctx);
  /* floats before the window: indices count over the whole buffer, those outside read 0 */
  rig_reserve (&rig, 4096);
  VkDeviceSize off_src = rig_reserve (&rig, (VkDeviceSize) src_count * 4);
  const int32_t first = (int32_t) (off_src / 4);
  VkDeviceSize off_idx = rig_reserve (&rig, (VkDeviceSize) count * 4);
  VkDeviceSize off_dst = rig_reserve (&rig, (VkDeviceSize) (count + 4) * 4);
  rig_alloc (&rig, NULL, 0);
  guint8 *up = rig_host (&rig);
  float *src = (float *) (up + off_src), *dst = (float *) (up + off_dst);
  int32_t *idx = (int32_t *) (up + off_idx);
  fill_uniform (src, src_count, -5, 5, rng);
  for (long i = 0; i < count; i++) {
    guint32 r = g_rand_int_range (rng, 0, 10);
    idx[i] = r == 0   ? 0
             : r == 1 ? first + (int32_t) src_count + 1 + g_rand_int_range (rng, 0, 5)
             : r == 2 ? g_rand_int_range (rng, 1, first + 1)
                      : first + g_rand_int_range (rng, 1, (int32_t) src_count + 1);
  }
  for (long i = 0; i < count + 4; i++)
    dst[i] = 9.0f;
  GError *error = NULL;
  gboolean ok = vks_gather_record (rig.rec, rig.dev, off_src, src_count, rig.dev, off_idx,
                                   rig.dev, off_dst, count, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  rig_run (&rig);
  const float *got = (const float *) ((const guint8 *) rig.down->mapped + off_dst);
  long wrong = 0;
  for (long i = 0; i < count; i++) {
    long at = (long) idx[i] - 1 - first;
    float want = idx[i] > 0 && at >= 0 && at < src_count ? src[at] : 0.0f;
    wrong += memcmp (&got[i], &want, 4) != 0;
  }
  for (long i = count; i < count + 4; i++)
    g_assert_cmpfloat (got[i], ==, 9.0f);
  g_test_message ("gather %ld of %ld: %ld wrong", count, src_count, wrong);
  g_assert_cmpint (wrong, ==, 0);
  rig_free (&rig);
}

static void
test_gather (void)
{
  GRand *rng = g_rand_new_with_seed (508);
  run_gather (1000, 1001, rng);
  run_gather (7, 3, rng);
  /* More workgroups than one grid row holds: the 2-D split of the dispatch. */
  run_gather (4099, 65535L * test_context ()->workgroup_size + 101, rng);
  g_rand_free (rng);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-ops/adam", test_adam);
  g_test_add_func ("/train-ops/gather", test_gather);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
