/* Sanity checks of the naive reference itself, against values worked out by hand and against
 * second formulations of the same definition: every engine op test trusts these functions. */
#include "tests/reference/ref_ops.h"

#include <glib.h>
#include <math.h>

#define TOL 1e-5

static void
fill_random (GRand *rng, float *v, int count)
{
  for (int i = 0; i < count; i++)
    v[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
}

static void
assert_close (const float *got, const double *want, int count, double tol)
{
  for (int i = 0; i < count; i++)
    if (fabs (got[i] - want[i]) > tol * (1.0 + fabs (want[i])))
      g_error ("element %d: got %.9g, want %.9g", i, got[i], want[i]);
}

/* A 1x1 convolution is a matrix product: y[co][p] = sum_ci W[co][ci] x[ci][p] + b[co]. */
static void
test_conv1x1_is_matmul (void)
{
  enum { N = 2, CIN = 5, COUT = 3, H = 4, W = 3, P = H * W };
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);
  float x[N * CIN * P], wt[COUT * CIN], bias[COUT], y[N * COUT * P];
  double want[N * COUT * P];

  fill_random (rng, x, G_N_ELEMENTS (x));
  fill_random (rng, wt, G_N_ELEMENTS (wt));
  fill_random (rng, bias, G_N_ELEMENTS (bias));
  ref_conv2d (x, N, CIN, H, W, wt, bias, COUT, 1, 1, 1, 0, REF_PAD_ZERO, y);

  for (int b = 0; b < N; b++)
    for (int co = 0; co < COUT; co++)
      for (int p = 0; p < P; p++)
        {
          double s = bias[co];
          for (int ci = 0; ci < CIN; ci++)
            s += (double) wt[co * CIN + ci] * x[(b * CIN + ci) * P + p];
          want[(b * COUT + co) * P + p] = s;
        }
  assert_close (y, want, G_N_ELEMENTS (y), TOL);
}

/* Input 1..9 in a 3x3 grid, all-ones 3x3 kernel, zero padding 1: each output is the sum of the
 * in-bounds 3x3 neighbourhood. Stride 2 keeps the four corners. */
static void
test_conv3x3_by_hand (void)
{
  const float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  float ones[9], y[9], y2[4];
  for (int i = 0; i < 9; i++)
    ones[i] = 1.0f;

  ref_conv2d (x, 1, 1, 3, 3, ones, NULL, 1, 3, 3, 1, 1, REF_PAD_ZERO, y);
  const double want[9] = { 12, 21, 16, 27, 45, 33, 24, 39, 28 };
  assert_close (y, want, 9, TOL);

  const float bias = 0.5f;
  ref_conv2d (x, 1, 1, 3, 3, ones, &bias, 1, 3, 3, 2, 1, REF_PAD_ZERO, y2);
  const double want2[4] = { 12.5, 16.5, 24.5, 28.5 };
  assert_close (y2, want2, 4, TOL);

  /* No padding, 2 input channels (second = 10x first), one output: the valid 3x3 sum. */
  float x2[18], w2[18], y3[1];
  for (int i = 0; i < 9; i++)
    {
      x2[i] = x[i];
      x2[9 + i] = 10.0f * x[i];
      w2[i] = 1.0f;
      w2[9 + i] = -0.5f;
    }
  ref_conv2d (x2, 1, 2, 3, 3, w2, NULL, 1, 3, 3, 1, 0, REF_PAD_ZERO, y3);
  const double want3[1] = { 45.0 - 0.5 * 450.0 };
  assert_close (y3, want3, 1, TOL);
}

/* A kernel with a single 1 at tap (ty, tx) copies the padded input shifted by (ty - pad, tx - pad),
 * so the output shows which source pixel reflection picked. PyTorch ReflectionPad2d: -1 -> 1,
 * -2 -> 2, len -> len-2, len+1 -> len-3. */
static void
test_reflect_padding_indices (void)
{
  enum { H = 3, W = 4 };
  float x[H * W];
  for (int i = 0; i < H * W; i++)
    x[i] = (float) i;   /* value = row * W + col: the output names its source */

  /* pad 1, tap (0,0): output (oy,ox) = x[refl(oy-1)][refl(ox-1)]. */
  float k[9] = { 0 };
  float y[H * W];
  k[0] = 1.0f;
  ref_conv2d (x, 1, 1, H, W, k, NULL, 1, 3, 3, 1, 1, REF_PAD_REFLECT, y);
  g_assert_cmpfloat (y[0], ==, 1 * W + 1);          /* (-1,-1) -> (1,1) */
  g_assert_cmpfloat (y[1], ==, 1 * W + 0);          /* (-1, 0) -> (1,0) */
  g_assert_cmpfloat (y[W], ==, 0 * W + 1);          /* ( 0,-1) -> (0,1) */

  /* pad 1, tap (2,2): output (oy,ox) = x[refl(oy+1)][refl(ox+1)]; bottom-right reaches (H, W). */
  k[0] = 0.0f;
  k[8] = 1.0f;
  ref_conv2d (x, 1, 1, H, W, k, NULL, 1, 3, 3, 1, 1, REF_PAD_REFLECT, y);
  g_assert_cmpfloat (y[(H - 1) * W + (W - 1)], ==, (H - 2) * W + (W - 2)); /* (3,4) -> (1,2) */
  g_assert_cmpfloat (y[0], ==, 1 * W + 1);

  /* pad 3 with a 7x7 kernel (the generator's first layer) on a 4x5 input, tap (0,0):
   * output (0,0) reads (-3,-3) -> (3,3); tap (6,6) at output (3,4) reads (6,7) -> (0,1). */
  enum { H2 = 4, W2 = 5 };
  float x2[H2 * W2], k7[49] = { 0 }, y2[H2 * W2];
  for (int i = 0; i < H2 * W2; i++)
    x2[i] = (float) i;
  k7[0] = 1.0f;
  ref_conv2d (x2, 1, 1, H2, W2, k7, NULL, 1, 7, 7, 1, 3, REF_PAD_REFLECT, y2);
  g_assert_cmpfloat (y2[0], ==, 3 * W2 + 3);
  k7[0] = 0.0f;
  k7[48] = 1.0f;
  ref_conv2d (x2, 1, 1, H2, W2, k7, NULL, 1, 7, 7, 1, 3, REF_PAD_REFLECT, y2);
  g_assert_cmpfloat (y2[3 * W2 + 4], ==, 0 * W2 + 1);

  /* Zero padding at the same place reads nothing. */
  ref_conv2d (x2, 1, 1, H2, W2, k7, NULL, 1, 7, 7, 1, 3, REF_PAD_ZERO, y2);
  g_assert_cmpfloat (y2[3 * W2 + 4], ==, 0.0);
}

/* Scatter form of the transposed convolution, the way PyTorch documents it: each input pixel
 * adds weight * x into the output window starting at (iy*stride - pad, ix*stride - pad). */
static void
scatter_conv_transpose (const float *x, int n, int cin, int h, int w, const float *wt,
                        const float *bias, int cout, int k, int stride, int pad, int opad,
                        double *y)
{
  int ho = (h - 1) * stride - 2 * pad + k + opad;
  int wo = (w - 1) * stride - 2 * pad + k + opad;

  for (int b = 0; b < n; b++)
    for (int co = 0; co < cout; co++)
      for (int i = 0; i < ho * wo; i++)
        y[(b * cout + co) * ho * wo + i] = bias ? bias[co] : 0.0;
  for (int b = 0; b < n; b++)
    for (int ci = 0; ci < cin; ci++)
      for (int iy = 0; iy < h; iy++)
        for (int ix = 0; ix < w; ix++)
          for (int co = 0; co < cout; co++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  int oy = iy * stride - pad + ky, ox = ix * stride - pad + kx;
                  if (oy < 0 || oy >= ho || ox < 0 || ox >= wo)
                    continue;
                  y[((b * cout + co) * ho + oy) * wo + ox] +=
                      (double) x[((b * cin + ci) * h + iy) * w + ix]
                      * wt[((ci * cout + co) * k + ky) * k + kx];
                }
}

static void
test_conv_transpose_vs_scatter (void)
{
  /* (k, stride, pad, output_pad): the generator's up-sampling layer first, then others. */
  const int cases[][4] = { { 3, 2, 1, 1 }, { 3, 1, 0, 0 }, { 3, 1, 1, 0 }, { 2, 3, 0, 2 },
                           { 4, 2, 1, 0 }, { 1, 2, 0, 1 } };
  enum { N = 2, CIN = 3, COUT = 2, H = 4, W = 5 };
  g_autoptr (GRand) rng = g_rand_new_with_seed (2);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      int k = cases[c][0], s = cases[c][1], p = cases[c][2], op = cases[c][3];
      int ho = (H - 1) * s - 2 * p + k + op, wo = (W - 1) * s - 2 * p + k + op;
      int count = N * COUT * ho * wo;
      float x[N * CIN * H * W], bias[COUT];
      g_autofree float *wt = g_new (float, CIN * COUT * k * k);
      g_autofree float *y = g_new (float, count);
      g_autofree double *want = g_new (double, count);

      fill_random (rng, x, G_N_ELEMENTS (x));
      fill_random (rng, wt, CIN * COUT * k * k);
      fill_random (rng, bias, COUT);
      ref_conv_transpose2d (x, N, CIN, H, W, wt, bias, COUT, k, k, s, p, op, y);
      scatter_conv_transpose (x, N, CIN, H, W, wt, bias, COUT, k, s, p, op, want);
      assert_close (y, want, count, TOL);
    }
}

/* The transposed convolution is the adjoint of the zero-padded convolution with the same weight
 * tensor: <conv(x), g> = <x, conv_transpose(g)>, given output_pad restores the input size. */
static void
test_conv_transpose_is_adjoint (void)
{
  enum { CIN = 3, COUT = 4, H = 7, W = 5, K = 3, S = 2, P = 1 }; /* H, W same parity: one output_pad */
  enum { HO = (H + 2 * P - K) / S + 1, WO = (W + 2 * P - K) / S + 1 };
  G_STATIC_ASSERT ((H + 2 * P - K) % S == (W + 2 * P - K) % S);
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  float x[CIN * H * W], wt[COUT * CIN * K * K], g[COUT * HO * WO];
  float cx[COUT * HO * WO], tg[CIN * H * W];

  fill_random (rng, x, G_N_ELEMENTS (x));
  fill_random (rng, wt, G_N_ELEMENTS (wt));
  fill_random (rng, g, G_N_ELEMENTS (g));
  ref_conv2d (x, 1, CIN, H, W, wt, NULL, COUT, K, K, S, P, REF_PAD_ZERO, cx);
  /* conv weight [cout][cin] read as conv_transpose weight [in = cout][out = cin]. */
  ref_conv_transpose2d (g, 1, COUT, HO, WO, wt, NULL, CIN, K, K, S, P, (H + 2 * P - K) % S, tg);

  double lhs = 0.0, rhs = 0.0;
  for (guint i = 0; i < G_N_ELEMENTS (cx); i++)
    lhs += (double) cx[i] * g[i];
  for (guint i = 0; i < G_N_ELEMENTS (tg); i++)
    rhs += (double) x[i] * tg[i];
  g_assert_cmpfloat_with_epsilon (lhs, rhs, 1e-4);
}

static void
test_instance_norm (void)
{
  /* A constant channel has zero deviation: output 0 (or beta with affine). */
  float c[12], y[12];
  for (int i = 0; i < 12; i++)
    c[i] = 3.25f;
  ref_instance_norm (c, 1, 1, 3, 4, NULL, NULL, 1e-5f, y);
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat (y[i], ==, 0.0f);

  /* Channel [1,2,3,4]: mean 2.5, biased variance 1.25. Second channel with gamma 2, beta -1,
   * second batch item shifted by 100 (normalised separately, so the same result). */
  const float x[16] = { 1, 2, 3, 4, 4, 4, 8, 8, 101, 102, 103, 104, 4, 4, 8, 8 };
  const float gamma[2] = { 1.0f, 2.0f }, beta[2] = { 0.0f, -1.0f };
  float out[16];
  double want[16];
  ref_instance_norm (x, 2, 2, 2, 2, gamma, beta, 1e-5f, out);
  double s1 = sqrt (1.25 + 1e-5), s2 = sqrt (4.0 + 1e-5);
  for (int b = 0; b < 2; b++)
    {
      for (int i = 0; i < 4; i++)
        want[b * 8 + i] = (i + 1 - 2.5) / s1;
      want[b * 8 + 4] = want[b * 8 + 5] = 2.0 * (-2.0 / s2) - 1.0;
      want[b * 8 + 6] = want[b * 8 + 7] = 2.0 * (2.0 / s2) - 1.0;
    }
  assert_close (out, want, 16, TOL);
}

static void
test_batch_norm (void)
{
  const float x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  const float mean[2] = { 2.0f, 0.0f }, var[2] = { 4.0f, 0.25f };
  const float gamma[2] = { 0.5f, 1.0f }, beta[2] = { 1.0f, 0.0f };
  float y[8];
  double want[8];
  ref_batch_norm (x, 1, 2, 2, 2, mean, var, gamma, beta, 0.0f, y);
  for (int i = 0; i < 4; i++)
    {
      want[i] = (x[i] - 2.0) / 2.0 * 0.5 + 1.0;
      want[4 + i] = x[4 + i] / 0.5;
    }
  assert_close (y, want, 8, TOL);
}

static void
test_elementwise (void)
{
  const float x[5] = { -2.0f, -0.5f, 0.0f, 0.5f, 3.0f };
  const float b[5] = { 1.0f, 1.0f, 1.0f, 1.0f, -3.0f };
  float y[5];

  ref_relu (x, 5, y);
  const double relu_want[5] = { 0, 0, 0, 0.5, 3 };
  assert_close (y, relu_want, 5, 0);

  ref_leaky_relu (x, 5, 0.2f, y);
  const double leaky_want[5] = { -0.4, -0.1, 0, 0.5, 3 };
  assert_close (y, leaky_want, 5, 1e-7);

  ref_tanh (x, 5, y);
  double tanh_want[5];
  for (int i = 0; i < 5; i++)
    tanh_want[i] = tanh (x[i]);
  assert_close (y, tanh_want, 5, 1e-7);

  ref_add (x, b, 5, y);
  const double add_want[5] = { -1, 0.5, 1, 1.5, 0 };
  assert_close (y, add_want, 5, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reference/conv2d/1x1-is-matmul", test_conv1x1_is_matmul);
  g_test_add_func ("/reference/conv2d/3x3-by-hand", test_conv3x3_by_hand);
  g_test_add_func ("/reference/conv2d/reflect-padding", test_reflect_padding_indices);
  g_test_add_func ("/reference/conv-transpose/vs-scatter", test_conv_transpose_vs_scatter);
  g_test_add_func ("/reference/conv-transpose/adjoint", test_conv_transpose_is_adjoint);
  g_test_add_func ("/reference/instance-norm", test_instance_norm);
  g_test_add_func ("/reference/batch-norm", test_batch_norm);
  g_test_add_func ("/reference/elementwise", test_elementwise);
  return g_test_run ();
}
