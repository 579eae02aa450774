/* Every backward op on the device against finite differences: for a random upstream gradient R,
 * the loss L = sum(R * op(inputs)) has dL/d(inputs) = backward(dy = R), and the reference is the
 * central difference (L(v + h) - L(v - h)) / 2h of a double-precision CPU forward
 * (tests/reference/ref_backward.c) at the very float inputs the device got, one input element at
 * a time, h = 1e-4. Shapes are small and awkward: odd sizes, batches of 2, channel counts that are
 * not multiples of 4, both strides, both paddings.
 *
 * Tolerance: max |device - fd| / max(1, max |fd|) <= 1e-4 per gradient tensor. The differences'
 * own error is ~1e-8 (truncation h^2 f''' and rounding 1e-16 L / h, L ~ 10^2), so what is measured
 * is the device's fp32 arithmetic: sums of up to a few thousand products; observed errors are
 * ~1e-7..1e-6 (printed with --verbose). ReLU-family inputs keep |x| >= 0.01 off the kink. */
#include "rig.h"
#include "engine/backward.h"
#include "engine/winograd.h"
#include "reference/ref_backward.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define TOLERANCE 1e-4
#define FD_STEP 1e-4

static double *
to_double (const float *v, long n)
{
  double *d = g_new (double, n);
  for (long i = 0; i < n; i++)
    d[i] = v[i];
  return d;
}

static double
dot (const double *a, const double *b, long n)
{
  double s = 0;
  for (long i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

/* Fails the test if the device gradient `got` (plus `base` when it accumulated onto it) is
 * further from `want` than the tolerance; returns the error. */
static double
check_grad (const char *what, const float *got, const float *base, const double *want, long n)
{
  double scale = 1, worst = 0;
  for (long i = 0; i < n; i++)
    scale = MAX (scale, fabs (want[i]));
  for (long i = 0; i < n; i++) {
    double e = fabs ((double) got[i] - (base ? base[i] : 0) - want[i]);
    if (!(e <= worst))
      worst = isnan (e) ? INFINITY : e;
  }
  double err = worst / scale;
  if (err > TOLERANCE)
    g_error ("%s: gradient error %g (scale %g)", what, err, scale);
  g_test_message ("%s: max gradient error %.2g", what, err);
  return err;
}

static const float *
region (TestRig *rig, VkDeviceSize offset)
{
  return (const float *) ((const guint8 *) rig->down->mapped + offset);
}

/* --- instance norm ---------------------------------------------------------------------- */

typedef struct {
  int n, c, h, w;
  gboolean affine;
  VksActivation act;
  gboolean accumulate;
} NormCase;

typedef struct {
  const NormCase *nc;
  double *x, *gamma, *beta, *r, *y;
} NormLoss;

static double
norm_loss (void *data)
{
  NormLoss *l = data;
  const NormCase *nc = l->nc;
  long count = (long) nc->n * nc->c * nc->h * nc->w;
  ref_instance_norm_d (l->x, nc->n, nc->c, nc->h, nc->w, nc->affine ? l->gamma : NULL,
                       nc->affine ? l->beta : NULL, 1e-5, (RefActivation) nc->act, 0.2, l->y);
  return dot (l->r, l->y, count);
}

static void
check_norm (const NormCase *nc, GRand *rng)
{
  GError *error = NULL;
  TestRig rig;
  rig_init (&rig, test_context ());
  VksNorm norm;
  vks_norm_init (&norm, nc->c, TRUE, nc->affine, nc->act, 0.2f, 1e-5f, &rig.arena);
  VksTensor x = rig_tensor (&rig, nc->n, nc->c, nc->h, nc->w);
  VksTensor dy = rig_tensor (&rig, nc->n, nc->c, nc->h, nc->w);
  VksTensor dx = rig_tensor (&rig, nc->n, nc->c, nc->h, nc->w);
  VkDeviceSize dp = rig_reserve (&rig, 2 * nc->c * sizeof (float));
  VksTensor *ts[] = { &x, &dy, &dx };
  rig_alloc (&rig, ts, 3);
  norm.params = rig.dev;
  long count = (long) nc->n * nc->c * nc->h * nc->w;
  float *xs = g_new (float, count), *rs = g_new (float, count), *got = g_new (float, count);
  float *gamma = g_new (float, nc->c), *beta = g_new (float, nc->c);
  float *prior = g_new (float, 2 * nc->c);
  fill_uniform (xs, count, -3, 5, rng);
  fill_uniform (rs, count, -1, 1, rng);
  fill_uniform (gamma, nc->c, 0.5, 1.5, rng);
  fill_uniform (beta, nc->c, -0.5, 0.5, rng);
  fill_uniform (prior, 2 * nc->c, -1, 1, rng);
  rig_set (&rig, &x, xs);
  rig_set (&rig, &dy, rs);
  vks_norm_pack (&norm, gamma, beta, NULL, NULL, rig_host (&rig));
  memcpy (rig_host (&rig) + dp, prior, 2 * nc->c * sizeof (float));
  g_assert_true (vks_norm_backward (rig.rec, &norm, &x, &dy, &dx, rig.dev, dp, nc->accumulate,
                                    &error));
  g_assert_no_error (error);
  rig_run (&rig);
  rig_get (&rig, &dx, got);

  NormLoss l = { nc, to_double (xs, count), to_double (gamma, nc->c), to_double (beta, nc->c),
                 to_double (rs, count), g_new (double, count) };
  double *want = g_new (double, count);
  char *what = g_strdup_printf ("norm n%d c%d %dx%d affine %d act %d", nc->n, nc->c, nc->h, nc->w,
                                nc->affine, nc->act);
  ref_finite_differences (norm_loss, &l, l.x, count, FD_STEP, want);
  char *label = g_strconcat (what, " dx", NULL);
  check_grad (label, got, NULL, want, count);
  g_free (label);
  if (nc->affine) {
    const float *dparams = region (&rig, dp);
    const float *base = nc->accumulate ? prior : NULL;
    ref_finite_differences (norm_loss, &l, l.gamma, nc->c, FD_STEP, want);
    label = g_strconcat (what, " dgamma", NULL);
    check_grad (label, dparams, base, want, nc->c);
    g_free (label);
    ref_finite_differences (norm_loss, &l, l.beta, nc->c, FD_STEP, want);
    label = g_strconcat (what, " dbeta", NULL);
    check_grad (label, dparams + nc->c, base ? base + nc->c : NULL, want, nc->c);
    g_free (label);
  }
  g_free (what);
  g_free (l.x); g_free (l.gamma); g_free (l.beta); g_free (l.r); g_free (l.y); g_free (want);
  g_free (xs); g_free (rs); g_free (got); g_free (gamma); g_free (beta); g_free (prior);
  rig_free (&rig);
}

static void
test_norm (void)
{
  static const NormCase cases[] = {
    { 2, 3, 5, 7, FALSE, VKS_ACT_NONE, FALSE },
    { 2, 5, 3, 3, TRUE, VKS_ACT_RELU, FALSE },
    { 1, 3, 9, 11, TRUE, VKS_ACT_LEAKY_RELU, TRUE },
    { 2, 2, 4, 5, FALSE, VKS_ACT_TANH, FALSE },
    { 1, 4, 1, 3, TRUE, VKS_ACT_TANH, FALSE },
    { 2, 6, 16, 17, TRUE, VKS_ACT_RELU, TRUE },   /* more texels than a workgroup */
    { 1, 2, 1, 1, TRUE, VKS_ACT_NONE, FALSE },    /* constant plane: only beta matters */
  };
  GRand *rng = g_rand_new_with_seed (12);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_norm (&cases[i], rng);
  g_rand_free (rng);
}

static void
test_norm_batch_refused (void)
{
  TestRig rig;
  rig_init (&rig, test_context ());
  VksNorm norm;
  vks_norm_init (&norm, 1, FALSE, FALSE, VKS_ACT_NONE, 0, 1e-5f, &rig.arena);
  VksTensor t = rig_tensor (&rig, 1, 1, 2, 2);
  VksTensor *ts[] = { &t };
  rig_alloc (&rig, ts, 1);
  norm.params = rig.dev;
  GError *error = NULL;
  g_assert_false (vks_norm_backward (rig.rec, &norm, &t, &t, &t, NULL, 0, FALSE, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  rig_run (&rig);
  rig_free (&rig);
}

/* --- convolution ------------------------------------------------------------------------ */

typedef struct {
  int n, cin, h, w, cout, k, stride, pad;
  gboolean reflect, transposed;
  int output_pad;
  gboolean accumulate;
  gboolean tiny_scratch;   /* many column chunks */
  VksConvAlgo algo;        /* forced for the forward; DIRECT also keeps a 3x3 stride-1
                            * convolution's dx a transposed convolution */
} ConvCase;

typedef struct {
  const ConvCase *c;
  int ho, wo;
  double *x, *wt, *b, *r, *y;
} ConvLoss;

static double
conv_loss (void *data)
{
  ConvLoss *l = data;
  const ConvCase *c = l->c;
  if (c->transposed)
    ref_conv_transpose2d_d (l->x, c->n, c->cin, c->h, c->w, l->wt, l->b, c->cout, c->k, c->k,
                            c->stride, c->pad, c->output_pad, l->y);
  else
    ref_conv2d_d (l->x, c->n, c->cin, c->h, c->w, l->wt, l->b, c->cout, c->k, c->k, c->stride,
                  c->pad, c->reflect ? REF_PAD_REFLECT : REF_PAD_ZERO, l->y);
  return dot (l->r, l->y, (long) c->n * c->cout * l->ho * l->wo);
}

static void
check_conv (const ConvCase *c, GRand *rng)
{
  GError *error = NULL;
  TestRig rig;
  rig_init (&rig, test_context ());
  VksConvDesc d = {
    .cin = c->cin, .cout = c->cout, .kh = c->k, .kw = c->k, .stride = c->stride, .pad = c->pad,
    .reflect = c->reflect, .transposed = c->transposed, .output_pad = c->output_pad,
    .algo = c->algo,
  };
  VksConv conv;
  g_assert_true (vks_conv_init (&conv, &d, &rig.arena, &error));
  VksConvBackward bw;
  g_assert_true (vks_conv_backward_init (&bw, &conv, c->h, c->w, &rig.arena, &error));
  g_assert_no_error (error);
  VksTensor x = rig_tensor (&rig, c->n, c->cin, c->h, c->w);
  VksTensor dx = rig_tensor (&rig, c->n, c->cin, c->h, c->w);
  VksTensor dy = rig_tensor (&rig, c->n, c->cout, bw.ho, bw.wo);
  long nw = (long) c->cin * c->cout * c->k * c->k;
  VkDeviceSize dw = rig_reserve (&rig, nw * sizeof (float));
  VkDeviceSize db = rig_reserve (&rig, c->cout * sizeof (float));
  VkDeviceSize budget = c->tiny_scratch ? 2 * 16 * (VkDeviceSize) c->cin * c->cout * c->k * c->k
                                        : G_MAXUINT64;
  VkDeviceSize scratch = vks_conv_backward_scratch_bytes (&bw, c->n, budget);
  VkDeviceSize scratch_offset = rig_reserve (&rig, scratch);
  VksTensor *ts[] = { &x, &dx, &dy };
  rig_alloc (&rig, ts, 3);
  bw.data.weights = rig.dev;

  long nx = (long) c->n * c->cin * c->h * c->w, ny = (long) c->n * c->cout * bw.ho * bw.wo;
  float *xs = g_new (float, nx), *ws = g_new (float, nw), *bs = g_new (float, c->cout);
  float *rs = g_new (float, ny), *got = g_new (float, nx);
  float *prior_w = g_new (float, nw), *prior_b = g_new (float, c->cout);
  fill_uniform (xs, nx, -1, 1, rng);
  fill_uniform (ws, nw, -0.5, 0.5, rng);
  fill_uniform (bs, c->cout, -0.5, 0.5, rng);
  fill_uniform (rs, ny, -1, 1, rng);
  fill_uniform (prior_w, nw, -1, 1, rng);
  fill_uniform (prior_b, c->cout, -1, 1, rng);
  rig_set (&rig, &x, xs);
  rig_set (&rig, &dy, rs);
  vks_conv_backward_pack (&bw, ws, rig_host (&rig));
  memcpy (rig_host (&rig) + dw, prior_w, nw * sizeof (float));
  memcpy (rig_host (&rig) + db, prior_b, c->cout * sizeof (float));
  g_assert_true (vks_conv_backward_data (rig.rec, &bw, &dy, &dx, rig.dev, scratch_offset, scratch,
                                         &error));
  g_assert_true (vks_conv_backward_weight (rig.rec, &bw, &x, &dy, rig.dev, dw, c->accumulate,
                                           rig.dev, scratch_offset, scratch, &error));
  g_assert_true (vks_conv_backward_bias (rig.rec, &dy, rig.dev, db, c->accumulate, &error));
  g_assert_no_error (error);
  rig_run (&rig);
  rig_get (&rig, &dx, got);

  ConvLoss l = { c, bw.ho, bw.wo, to_double (xs, nx), to_double (ws, nw), to_double (bs, c->cout),
                 to_double (rs, ny), g_new (double, ny) };
  double *want = g_new (double, MAX (nx, nw));
  static const char *algo_names[] = { "auto", "direct", "winograd", "implicit" };
  char *what = g_strdup_printf ("conv n%d %d->%d %dx%d k%d s%d p%d%s%s (dx: %s%s)", c->n, c->cin,
                                c->cout, c->h, c->w, c->k, c->stride, c->pad,
                                c->reflect ? " reflect" : "", c->transposed ? " transposed" : "",
                                bw.data.d.transposed ? "transposed " : "",
                                algo_names[bw.data.algo]);
  ref_finite_differences (conv_loss, &l, l.x, nx, FD_STEP, want);
  char *label = g_strconcat (what, " dx", NULL);
  check_grad (label, got, NULL, want, nx);
  g_free (label);
  ref_finite_differences (conv_loss, &l, l.wt, nw, FD_STEP, want);
  label = g_strconcat (what, " dW", NULL);
  check_grad (label, region (&rig, dw), c->accumulate ? prior_w : NULL, want, nw);
  g_free (label);
  ref_finite_differences (conv_loss, &l, l.b, c->cout, FD_STEP, want);
  label = g_strconcat (what, " db", NULL);
  check_grad (label, region (&rig, db), c->accumulate ? prior_b : NULL, want, c->cout);
  g_free (label);
  g_free (what);
  g_free (l.x); g_free (l.wt); g_free (l.b); g_free (l.r); g_free (l.y); g_free (want);
  g_free (xs); g_free (ws); g_free (bs); g_free (rs); g_free (got);
  g_free (prior_w); g_free (prior_b);
  rig_free (&rig);
}

#define AUTO VKS_CONV_AUTO
#define DIRECT VKS_CONV_DIRECT

static void
test_conv (void)
{
  static const ConvCase cases[] = {
    /* n cin h  w cout k s p reflect transposed op accumulate tiny algo */
    { 2, 3, 5, 6, 5, 3, 1, 1, FALSE, FALSE, 0, FALSE, FALSE, AUTO },
    { 2, 3, 7, 6, 5, 3, 2, 1, FALSE, FALSE, 0, TRUE, FALSE, AUTO },   /* rows fit, a column left over */
    { 1, 5, 8, 9, 3, 3, 2, 1, FALSE, FALSE, 0, FALSE, FALSE, AUTO },  /* the other way round */
    { 2, 3, 6, 5, 4, 3, 1, 1, TRUE, FALSE, 0, FALSE, FALSE, AUTO },   /* residual block conv */
    { 1, 3, 9, 8, 2, 7, 1, 3, TRUE, FALSE, 0, TRUE, FALSE, AUTO },    /* c7s1 */
    { 1, 3, 7, 9, 3, 3, 2, 1, TRUE, FALSE, 0, FALSE, FALSE, AUTO },   /* reflect, stride 2 */
    { 2, 3, 9, 7, 5, 4, 2, 1, FALSE, FALSE, 0, FALSE, FALSE, AUTO },  /* PatchGAN k4 s2 */
    { 1, 5, 6, 7, 1, 4, 1, 1, FALSE, FALSE, 0, FALSE, FALSE, AUTO },  /* PatchGAN k4 s1 */
    { 1, 6, 5, 5, 3, 1, 1, 0, FALSE, FALSE, 0, FALSE, FALSE, AUTO },  /* 1x1 */
    { 2, 5, 4, 5, 3, 3, 2, 1, FALSE, TRUE, 1, TRUE, FALSE, AUTO },    /* generator upsampling */
    { 1, 4, 3, 4, 6, 4, 2, 1, FALSE, TRUE, 0, FALSE, FALSE, AUTO },
    { 1, 3, 5, 4, 2, 3, 1, 1, FALSE, TRUE, 0, FALSE, FALSE, AUTO },   /* transposed, stride 1 */
    { 1, 3, 5, 6, 5, 3, 1, 1, FALSE, TRUE, 0, FALSE, FALSE, AUTO },   /* its dx by Winograd */
    { 2, 9, 11, 13, 6, 3, 1, 1, TRUE, FALSE, 0, FALSE, TRUE, AUTO },  /* column chunks */
    { 2, 5, 7, 6, 3, 3, 2, 1, FALSE, TRUE, 1, TRUE, TRUE, AUTO },
    /* 3x3 stride 1: dx by the flipped kernel, Winograd from 4 output channels on */
    { 1, 6, 9, 7, 5, 3, 1, 0, FALSE, FALSE, 0, FALSE, FALSE, AUTO },  /* dx padding 2 */
    { 2, 5, 6, 9, 7, 3, 1, 2, FALSE, FALSE, 0, TRUE, FALSE, AUTO },   /* dx padding 0 */
    { 1, 17, 10, 11, 13, 3, 1, 1, TRUE, FALSE, 0, FALSE, FALSE, AUTO }, /* m_pad > cout both ways */
    { 2, 7, 5, 6, 4, 3, 1, 1, FALSE, FALSE, 0, FALSE, TRUE, AUTO },   /* Winograd tile chunks */
    { 1, 6, 7, 5, 3, 3, 1, 1, TRUE, FALSE, 0, FALSE, FALSE, AUTO },   /* flipped, direct */
    { 1, 3, 7, 5, 2, 3, 1, 1, FALSE, FALSE, 0, FALSE, FALSE, AUTO },  /* flipped, implicit */
    { 2, 3, 6, 5, 4, 3, 1, 1, TRUE, FALSE, 0, FALSE, FALSE, DIRECT },  /* transposed */
    { 1, 6, 9, 7, 5, 3, 1, 0, FALSE, FALSE, 0, FALSE, FALSE, DIRECT },
    /* DCGAN's layers on a batch: whole images side by side in the column matrices */
    { 5, 6, 1, 1, 8, 4, 1, 0, FALSE, TRUE, 0, FALSE, FALSE, AUTO },   /* z -> 4x4 */
    { 5, 8, 4, 4, 6, 4, 2, 1, FALSE, TRUE, 0, TRUE, FALSE, AUTO },    /* 4 -> 8 */
    { 5, 3, 8, 8, 9, 4, 2, 1, FALSE, FALSE, 0, FALSE, FALSE, AUTO },  /* 8 -> 4 */
    { 4, 9, 4, 4, 1, 4, 1, 0, FALSE, FALSE, 0, TRUE, FALSE, AUTO },   /* 4x4 -> 1 */
    { 5, 4, 6, 5, 3, 4, 2, 1, FALSE, FALSE, 0, FALSE, TRUE, AUTO },   /* chunks of one image */
  };
  GRand *rng = g_rand_new_with_seed (13);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_conv (&cases[i], rng);
  g_rand_free (rng);
}
#undef AUTO
#undef DIRECT

/* --- Winograd weight transform on the device -------------------------------------------- */

/* Lavin & Gray's G for F(4x4, 3x3), written out here independently of engine/winograd.c. */
static const double wino_g[6][3] = {
  { 1.0 / 4, 0, 0 },
  { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
  { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
  { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
  { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
  { 0, 0, 1 },
};

/* vks_winograd_record_weights against vks_winograd_pack (double arithmetic, then rounded) of the
 * same weights, flipped on the host for `flipped`. Tolerance per element: 8 float ulps of the
 * sum of the absolute products G[a][ky] G[b][kx] |g[ky][kx]| (the float evaluation's error
 * bound with margin); channels past cout must be exactly 0. */
static void
check_winograd_weights (int cin, int cout, gboolean flipped, GRand *rng)
{
  GError *error = NULL;
  TestRig rig;
  rig_init (&rig, test_context ());
  VksConvDesc d = { .cin = cin, .cout = cout, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
                    .algo = VKS_CONV_WINOGRAD };
  VksConv conv;
  g_assert_true (vks_conv_init (&conv, &d, &rig.arena, &error));
  g_assert_no_error (error);
  const int first = 5;   /* the weights do not start the view */
  long nw = (long) cin * cout * 9;
  VkDeviceSize src = rig_reserve (&rig, (first + nw + 3) * sizeof (float));
  rig_alloc (&rig, NULL, 0);
  conv.weights = rig.dev;
  long nu = (long) vks_winograd_weight_floats (&conv);
  float *master = g_new (float, nw), *w = g_new (float, nw), *want = g_new (float, nu);
  fill_uniform (master, nw, -1, 1, rng);
  /* flipped: master is [cin][cout][3][3] of the convolution conv differentiates */
  for (int m = 0; m < cout; m++)
    for (int ci = 0; ci < cin; ci++)
      for (int k = 0; k < 9; k++)
        w[((long) m * cin + ci) * 9 + k] = flipped ? master[((long) ci * cout + m) * 9 + 8 - k]
                                                   : master[((long) m * cin + ci) * 9 + k];
  vks_winograd_pack (&conv, w, want);
  float *u = (float *) (rig_host (&rig) + conv.pass[0].a_offset);
  for (long i = 0; i < nu; i++)
    u[i] = NAN;   /* everything must be written */
  memcpy (rig_host (&rig) + src + first * sizeof (float), master, nw * sizeof (float));
  g_assert_true (vks_winograd_record_weights (rig.rec, &conv, rig.dev, src, first + nw + 3, first,
                                              flipped, &error));
  g_assert_no_error (error);
  rig_run (&rig);
  const float *got = region (&rig, conv.pass[0].a_offset);
  double worst = 0;
  for (int a = 0; a < 6; a++)
    for (int b = 0; b < 6; b++)
      for (int ci = 0; ci < cin; ci++)
        for (int m = 0; m < conv.m_pad; m++) {
          long at = ((long) (a * 6 + b) * cin + ci) * conv.m_pad + m;
          double bound = 0;
          for (int k = 0; m < cout && k < 9; k++)
            bound += fabs (wino_g[a][k / 3] * wino_g[b][k % 3] * w[((long) m * cin + ci) * 9 + k]);
          bound *= 8 * FLT_EPSILON;
          double e = fabs ((double) got[at] - want[at]);
          if (!(e <= bound))
            g_error ("winograd weights %d->%d%s: U[%d][%d][%d] = %.9g, want %.9g", cin, cout,
                     flipped ? " flipped" : "", a * 6 + b, ci, m, got[at], want[at]);
          if (bound > 0)
            worst = MAX (worst, e / bound * 8);
        }
  g_test_message ("winograd weights %d->%d%s: worst error %.2g float ulps of the terms' sum",
                  cin, cout, flipped ? " flipped" : "", worst);
  g_free (master); g_free (w); g_free (want);
  rig_free (&rig);
}

static void
test_winograd_weights (void)
{
  GRand *rng = g_rand_new_with_seed (14);
  static const int shapes[][2] = { { 4, 4 }, { 5, 7 }, { 16, 16 }, { 3, 17 }, { 40, 33 } };
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    for (int flipped = 0; flipped < 2; flipped++)
      check_winograd_weights (shapes[i][0], shapes[i][1], flipped, rng);
  g_rand_free (rng);
}

static void
test_conv_refused (void)
{
  VksArena arena;
  vks_arena_init (&arena, test_context ());
  GError *error = NULL;
  VksConvDesc d = { .cin = 3, .cout = 4, .kh = 3, .kw = 3, .stride = 3, .pad = 1 };
  VksConv conv;
  VksConvBackward bw;
  g_assert_true (vks_conv_init (&conv, &d, &arena, &error));
  g_assert_false (vks_conv_backward_init (&bw, &conv, 8, 8, &arena, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/backward/norm", test_norm);
  g_test_add_func ("/backward/norm/batch-refused", test_norm_batch_refused);
  g_test_add_func ("/backward/conv", test_conv);
  g_test_add_func ("/backward/conv/refused", test_conv_refused);
  g_test_add_func ("/backward/winograd-weights", test_winograd_weights);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
