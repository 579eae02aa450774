/* The training kernels on the device against independent references:
 * - losses (engine/loss.h): value and gradient against a double-precision CPU implementation of
 *   PyTorch's definitions, and the gradient also against central finite differences of that
 *   double loss at the very float inputs the device got (h = 1e-3, elements kept >= 2h from the
 *   kinks, plus elements exactly on them: hinge's are checked against the definition only, L1's
 *   x = t also against the central difference, 0 like PyTorch's sign).
 *   Shapes have odd planes (padding filled with NaN in x and the target: any padding element that
 *   counted would poison the value) and n = 2; a large case has more workgroups than the partial
 *   sums (grid-stride path). Both overwrite (dx padding must become 0) and accumulate (dx padding
 *   left as it was). Tolerances: value 1e-5 relative, gradient 1e-4 of max |dx| (the
 *   differences' own error is < 1e-8 there; observed errors are printed with --verbose).
 * - Adam (engine/optim.h): 5 steps with a linearly decaying lr against a float C reference doing
 *   torch.optim.Adam's operations in its order, each rounded (bit for bit on lavapipe; at most
 *   1 ulp allowed), and the distance to PyTorch's AVX2 (FMA) form reported.
 * - gather: random index maps, with zeros and out-of-range indices, exact. */
#include "rig.h"
#include "engine/loss.h"
#include "engine/optim.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define VALUE_TOLERANCE 1e-5
#define GRAD_TOLERANCE 1e-4
#define FD_STEP 1e-3

/* --- losses ----------------------------------------------------------------------------- */

/* One element's loss and derivative in double, PyTorch's definitions. */
static double
ref_element (VksLossKind kind, double x, double t, double *grad)
{
  switch (kind) {
  case VKS_LOSS_MSE:
    *grad = 2 * (x - t);
    return (x - t) * (x - t);
  case VKS_LOSS_BCE_LOGITS: {
    double m = fmax (-x, 0);
    *grad = 1 / (1 + exp (-x)) - t;
    return (1 - t) * x + m + log (exp (-m) + exp (-x - m));
  }
  case VKS_LOSS_HINGE_REAL:
    *grad = 1 - x > 0 ? -1 : 0;
    return fmax (1 - x, 0);
  case VKS_LOSS_HINGE_FAKE:
    *grad = 1 + x > 0 ? 1 : 0;
    return fmax (1 + x, 0);
  case VKS_LOSS_HINGE_GEN:
    *grad = -1;
    return -x;
  case VKS_LOSS_L1:
    *grad = x > t ? 1 : x < t ? -1 : 0;
    return fabs (x - t);
  }
  g_assert_not_reached ();
}

/* scale * mean over the n elements; grad (may be NULL) gets d(scale * mean)/dx. */
static double
ref_loss (VksLossKind kind, double scale, const double *x, const double *t, long n, double *grad)
{
  double sum = 0;
  for (long i = 0; i < n; i++) {
    double g;
    sum += ref_element (kind, x[i], t[i], &g);
    if (grad != NULL)
      grad[i] = scale * g / n;
  }
  return scale * sum / n;
}

/* The kinks finite differences cannot cross: hinge at 1 - x = 0 or 1 + x = 0, L1 at x = t. */
static gboolean
near_kink (VksLossKind kind, double x, double t, double h)
{
  switch (kind) {
  case VKS_LOSS_HINGE_REAL:
    return fabs (1 - x) < 2 * h;
  case VKS_LOSS_HINGE_FAKE:
    return fabs (1 + x) < 2 * h;
  case VKS_LOSS_L1:
    return fabs (x - t) < 2 * h;
  default:
    return FALSE;
  }
}

static const char *
kind_name (VksLossKind kind)
{
  static const char *names[] = { "mse", "bce-logits", "hinge-real", "hinge-fake", "hinge-gen",
                                 "l1" };
  return names[kind];
}

typedef struct {
  VksLossKind kind;
  float target;
  float scale;
} LossCase;

static void
fill_padding (const VksTensor *t, float *padded, float v)
{
  for (long p = 0; p < (long) t->n * t->c; p++)
    for (int i = t->h * t->w; i < t->plane; i++)
      padded[p * t->plane + i] = v;
}

static void
run_loss_case (const LossCase *lc, int n, int c, int h, int w, gboolean accumulate, GRand *rng,
               long fd_samples)
{
  VksContext *ctx = test_context ();
  TestRig rig;
  rig_init (&rig, ctx);
  VksTensor x = rig_tensor (&rig, n, c, h, w);
  VksTensor t = rig_tensor (&rig, n, c, h, w);
  VksTensor dx = rig_tensor (&rig, n, c, h, w);
  VkDeviceSize scratch = rig_reserve (&rig, VKS_LOSS_SCRATCH_BYTES);
  VkDeviceSize values = rig_reserve (&rig, 64);
  VksTensor *all[] = { &x, &t, &dx };
  rig_alloc (&rig, all, G_N_ELEMENTS (all));

  long count = (long) n * c * h * w;
  float *xf = g_new (float, count), *tf = g_new (float, count), *base = g_new (float, count);
  fill_uniform (xf, count, -2.5f, 2.5f, rng);
  fill_uniform (tf, count, -2.5f, 2.5f, rng);
  fill_uniform (base, count, -1, 1, rng);
  for (long i = 0; i < count; i++) {
    if (near_kink (lc->kind, xf[i], lc->kind == VKS_LOSS_L1 ? tf[i] : lc->target, FD_STEP))
      xf[i] += 0.1f;
    if (lc->kind == VKS_LOSS_BCE_LOGITS && i % 11 == 0)
      xf[i] *= 20;   /* large logits: the stable form must not overflow */
  }
  /* Elements exactly on the kinks: the gradient there is PyTorch's choice (0). */
  for (long i = 5; i < count; i += 37) {
    if (lc->kind == VKS_LOSS_HINGE_REAL)
      xf[i] = 1.0f;
    else if (lc->kind == VKS_LOSS_HINGE_FAKE)
      xf[i] = -1.0f;
    else if (lc->kind == VKS_LOSS_L1)
      xf[i] = tf[i];
  }
  rig_set (&rig, &x, xf);
  rig_set (&rig, &t, tf);
  rig_set (&rig, &dx, base);
  float *host_x = (float *) (rig_host (&rig) + x.offset);
  float *host_t = (float *) (rig_host (&rig) + t.offset);
  float *host_dx = (float *) (rig_host (&rig) + dx.offset);
  fill_padding (&x, host_x, NAN);
  fill_padding (&t, host_t, NAN);
  fill_padding (&dx, host_dx, 7.0f);
  float *host_values = (float *) (rig_host (&rig) + values);
  for (int i = 0; i < 16; i++)
    host_values[i] = -1.0f;

  VksLoss loss = {
    .kind = lc->kind, .scale = lc->scale, .target = lc->target, .target_tensor = &t,
    .accumulate = accumulate,
  };
  GError *error = NULL;
  gboolean ok = vks_loss_record (rig.rec, &loss, &x, &dx, rig.dev, values + 12, rig.dev, scratch,
                                 &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  rig_run (&rig);

  double *xd = g_new (double, count), *td = g_new (double, count), *want = g_new (double, count);
  for (long i = 0; i < count; i++) {
    xd[i] = xf[i];
    td[i] = lc->kind == VKS_LOSS_L1 ? tf[i] : lc->target;
  }
  double want_value = ref_loss (lc->kind, lc->scale, xd, td, count, want);
  const float *got_values = (const float *) ((const guint8 *) rig.down->mapped + values);
  for (int i = 0; i < 16; i++)
    if (i != 3)
      g_assert_cmpfloat (got_values[i], ==, -1.0f);
  double value_err = fabs (got_values[3] - want_value) / MAX (1e-3, fabs (want_value));

  float *got = g_new (float, count);
  rig_get (&rig, &dx, got);
  double gscale = 0, grad_err = 0, fd_err = 0;
  /* Accumulated: the sum base + gradient is what is rounded, so errors are relative to it. */
  for (long i = 0; i < count; i++)
    gscale = MAX (gscale, fabs (want[i] + (accumulate ? base[i] : 0)));
  for (long i = 0; i < count; i++) {
    double g = (double) got[i] - (accumulate ? base[i] : 0);
    double e = fabs (g - want[i]);
    if (!(e <= grad_err))
      grad_err = isnan (e) ? INFINITY : e;
  }
  /* Finite differences of the whole double loss, one element at a time (all of them, or an
   * even sample of fd_samples). */
  long fd_step = fd_samples > 0 && fd_samples < count ? count / fd_samples : 1;
  for (long i = 0; i < count; i += fd_step) {
    if (near_kink (lc->kind, xd[i], td[i], FD_STEP) && !(lc->kind == VKS_LOSS_L1 && xd[i] == td[i]))
      continue;
    double keep = xd[i];
    xd[i] = keep + FD_STEP;
    double up = ref_loss (lc->kind, lc->scale, xd, td, count, NULL);
    xd[i] = keep - FD_STEP;
    double down = ref_loss (lc->kind, lc->scale, xd, td, count, NULL);
    xd[i] = keep;
    double fd = (up - down) / (2 * FD_STEP);
    double e = fabs ((double) got[i] - (accumulate ? base[i] : 0) - fd);
    if (!(e <= fd_err))
      fd_err = isnan (e) ? INFINITY : e;
  }
  grad_err /= MAX (gscale, 1e-30);
  fd_err /= MAX (gscale, 1e-30);

  /* The padding of dx: zeros when overwritten, untouched when accumulated onto. */
  const float *raw_dx = (const float *) ((const guint8 *) rig.down->mapped + dx.offset);
  for (long p = 0; p < (long) n * c; p++)
    for (int i = h * w; i < dx.plane; i++)
      g_assert_cmpfloat (raw_dx[p * dx.plane + i], ==, accumulate ? 7.0f : 0.0f);

  g_test_message ("%s target %g scale %g %dx%dx%dx%d %s: value %.6g (ref %.6g, rel err %.2g), "
                  "gradient err %.2g vs analytic, %.2g vs finite differences",
                  kind_name (lc->kind), lc->target, lc->scale, n, c, h, w,
                  accumulate ? "accumulate" : "overwrite", got_values[3], want_value, value_err,
                  grad_err, fd_err);
  if (!(value_err <= VALUE_TOLERANCE) || !(grad_err <= GRAD_TOLERANCE) ||
      !(fd_err <= GRAD_TOLERANCE))
    g_error ("%s %s: value err %g, gradient err %g, finite-difference err %g",
             kind_name (lc->kind), accumulate ? "accumulate" : "overwrite", value_err, grad_err,
             fd_err);

  g_free (xf);
  g_free (tf);
  g_free (base);
  g_free (xd);
  g_free (td);
  g_free (want);
  g_free (got);
  rig_free (&rig);
}

static const LossCase loss_cases[] = {
  { VKS_LOSS_MSE, 1.0f, 1.0f },
  { VKS_LOSS_MSE, 0.0f, 0.5f },
  { VKS_LOSS_BCE_LOGITS, 1.0f, 1.0f },
  { VKS_LOSS_BCE_LOGITS, 0.0f, 0.5f },
  { VKS_LOSS_HINGE_REAL, 0.0f, 1.0f },
  { VKS_LOSS_HINGE_FAKE, 0.0f, 1.0f },
  { VKS_LOSS_HINGE_GEN, 0.0f, 2.0f },
  { VKS_LOSS_L1, 0.0f, 10.0f },
};

static void
test_losses (void)
{
  GRand *rng = g_rand_new_with_seed (505);
  for (guint k = 0; k < G_N_ELEMENTS (loss_cases); k++)
    for (int acc = 0; acc < 2; acc++) {
      run_loss_case (&loss_cases[k], 2, 3, 5, 7, acc, rng, 0);   /* planes 35 of 36 */
      run_loss_case (&loss_cases[k], 2, 1, 3, 3, acc, rng, 0);   /* planes 9 of 12 */
    }
  g_rand_free (rng);
}

/* More texels than workgroups x partial sums: each invocation loops (grid stride). */
static void
test_losses_large (void)
{
  GRand *rng = g_rand_new_with_seed (506);
  for (guint k = 0; k < G_N_ELEMENTS (loss_cases); k++)
    run_loss_case (&loss_cases[k], 2, 3, 211, 211, k % 2, rng, 97);
  g_rand_free (rng);
}

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
  VkDeviceSize off_src = rig_reserve (&rig, (VkDeviceSize) src_count * 4);
  VkDeviceSize off_idx = rig_reserve (&rig, (VkDeviceSize) count * 4);
  VkDeviceSize off_dst = rig_reserve (&rig, (VkDeviceSize) (count + 4) * 4);
  rig_alloc (&rig, NULL, 0);
  guint8 *up = rig_host (&rig);
  float *src = (float *) (up + off_src), *dst = (float *) (up + off_dst);
  int32_t *idx = (int32_t *) (up + off_idx);
  fill_uniform (src, src_count, -5, 5, rng);
  for (long i = 0; i < count; i++) {
    guint32 r = g_rand_int_range (rng, 0, 10);
    idx[i] = r == 0 ? 0 : r == 1 ? (int32_t) src_count + 1 + g_rand_int_range (rng, 0, 5)
                                 : g_rand_int_range (rng, 1, (int32_t) src_count + 1);
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
    float want = idx[i] > 0 && idx[i] <= src_count ? src[idx[i] - 1] : 0.0f;
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
  g_test_add_func ("/train-ops/loss", test_losses);
  g_test_add_func ("/train-ops/loss/large", test_losses_large);
  g_test_add_func ("/train-ops/adam", test_adam);
  g_test_add_func ("/train-ops/gather", test_gather);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
