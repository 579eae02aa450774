/* Every forward op on the device against the naive CPU reference (tests/reference/), on seeded
 * random data and shapes: odd sizes, 1x1 planes, channel counts that are not multiples of 4,
 * batches of 2. Tolerance: max |gpu - ref| / (1 + |ref|) <= 1e-4 (fp32 sums of at most a few
 * thousand products of values in [-1, 1]; observed errors are ~1e-6). Every 3x3 stride-1
 * convolution runs through both algorithms; Winograd F(4,3) gets 1e-3: its transforms multiply
 * and divide by up to 8 and 24 and sum 36 terms with cancellation, so fp32 rounding grows by about
 * two orders of magnitude (observed ~1e-5 at 256 channels). */
#include "rig.h"
#include "reference/ref_ops.h"

#include <math.h>
#include <string.h>

#define TOLERANCE 1e-4
#define WINOGRAD_TOLERANCE 1e-3

typedef struct {
  int n, cin, h, w, cout, k, stride, pad;
  gboolean reflect, transposed;
  int output_pad;
  VksActivation act;
  gboolean bias;
  gboolean tiny_scratch;   /* force many column (or tile) chunks */
  int scratch_images;      /* > 0: scratch for this many of the n images (groups of them) */
} ConvCase;

static void
ref_activate (VksActivation act, float slope, float *y, long n)
{
  if (act == VKS_ACT_RELU) ref_relu (y, n, y);
  if (act == VKS_ACT_LEAKY_RELU) ref_leaky_relu (y, n, slope, y);
  if (act == VKS_ACT_TANH) ref_tanh (y, n, y);
}

static void
check_conv (const ConvCase *c, VksConvAlgo algo, GRand *rng)
{
  GError *error = NULL;
  TestRig rig;
  rig_init (&rig, test_context ());
  VksConvDesc d = {
    .cin = c->cin, .cout = c->cout, .kh = c->k, .kw = c->k, .stride = c->stride, .pad = c->pad,
    .reflect = c->reflect, .transposed = c->transposed, .output_pad = c->output_pad,
    .act = c->act, .slope = 0.2f, .algo = algo,
  };
  VksConv conv;
  g_assert_true (vks_conv_init (&conv, &d, &rig.arena, &error));
  g_assert_no_error (error);
  g_assert_true (conv.algo == algo);
  int ho, wo;
  g_assert_true (vks_conv_output_size (&conv, c->h, c->w, &ho, &wo, &error));
  VksTensor x = rig_tensor (&rig, c->n, c->cin, c->h, c->w);
  VksTensor y = rig_tensor (&rig, c->n, c->cout, ho, wo);
  int kmax = 0;
  for (int p = 0; p < conv.n_passes; p++)
    kmax = MAX (kmax, conv.pass[p].k);
  VkDeviceSize budget = c->tiny_scratch ? (VkDeviceSize) kmax * 16 * 2 : G_MAXUINT64;
  VkDeviceSize scratch = vks_conv_scratch_bytes (&conv, c->scratch_images ? c->scratch_images : c->n,
                                                 c->h, c->w, budget);
  VkDeviceSize scratch_offset = rig_reserve (&rig, scratch);
  VksTensor *ts[] = { &x, &y };
  rig_alloc (&rig, ts, 2);
  conv.weights = rig.dev;

  long nx = (long) c->n * c->cin * c->h * c->w, ny = (long) c->n * c->cout * ho * wo;
  long nw = (long) c->cin * c->cout * c->k * c->k;
  float *xs = g_new (float, nx), *ws = g_new (float, nw), *bs = g_new (float, c->cout);
  float *got = g_new (float, ny), *want = g_new (float, ny);
  fill_uniform (xs, nx, -1, 1, rng);
  float scale = 1.0f / sqrtf ((float) c->cin * c->k * c->k);
  fill_uniform (ws, nw, -2 * scale, 2 * scale, rng);
  fill_uniform (bs, c->cout, -0.5, 0.5, rng);
  rig_set (&rig, &x, xs);
  vks_conv_pack (&conv, ws, c->bias ? bs : NULL, rig_host (&rig));
  vks_conv_forward (rig.rec, &conv, &x, &y, rig.dev, scratch_offset, scratch, &error);
  g_assert_no_error (error);
  rig_run (&rig);
  rig_get (&rig, &y, got);

  if (c->transposed)
    ref_conv_transpose2d (xs, c->n, c->cin, c->h, c->w, ws, c->bias ? bs : NULL, c->cout, c->k,
                          c->k, c->stride, c->pad, c->output_pad, want);
  else
    ref_conv2d (xs, c->n, c->cin, c->h, c->w, ws, c->bias ? bs : NULL, c->cout, c->k, c->k,
                c->stride, c->pad, c->reflect ? REF_PAD_REFLECT : REF_PAD_ZERO, want);
  ref_activate (c->act, 0.2f, want, ny);
  double err = max_rel_error (got, want, ny);
  gboolean winograd = conv.algo == VKS_CONV_WINOGRAD;
  if (err > (winograd ? WINOGRAD_TOLERANCE : TOLERANCE))
    g_error ("conv n%d %d->%d %dx%d k%d s%d p%d%s%s%s: error %g", c->n, c->cin, c->cout, c->h,
             c->w, c->k, c->stride, c->pad, c->reflect ? " reflect" : "",
             c->transposed ? " transposed" : "", winograd ? " winograd" : "", err);
  if (g_test_verbose ())
    g_printerr ("conv n%d %d->%d %dx%d k%d s%d p%d %s: error %.2g\n", c->n, c->cin, c->cout, c->h,
                c->w, c->k, c->stride, c->pad, winograd ? "winograd" : "direct", err);
  g_free (xs); g_free (ws); g_free (bs); g_free (got); g_free (want);
  rig_free (&rig);
}

/* Runs a case with every algorithm that applies to it. */
static void
run_conv (const ConvCase *c, GRand *rng)
{
  check_conv (c, VKS_CONV_DIRECT, rng);
  if (!c->transposed && c->k == 3 && c->stride == 1)
    check_conv (c, VKS_CONV_WINOGRAD, rng);
  if (!c->transposed && (c->cout <= 4 || (c->cin <= 4 && c->stride == 1)))
    check_conv (c, VKS_CONV_IMPLICIT, rng);
}

static void
test_conv_fixed (void)
{
  static const ConvCase cases[] = {
    /* n cin  h   w cout k s p reflect transposed op act bias tiny scratch_images */
    { 1, 1, 1, 1, 1, 1, 1, 0, FALSE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },
    { 1, 3, 1, 1, 5, 1, 1, 0, FALSE, FALSE, 0, VKS_ACT_RELU, TRUE, FALSE, 0 },
    { 1, 3, 12, 16, 8, 7, 1, 3, TRUE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },    /* c7s1 */
    { 1, 8, 12, 16, 16, 3, 2, 1, FALSE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },  /* down */
    { 1, 32, 3, 4, 32, 3, 1, 1, TRUE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },    /* block */
    { 1, 16, 3, 4, 8, 3, 2, 1, FALSE, TRUE, 1, VKS_ACT_NONE, TRUE, FALSE, 0 },     /* up */
    { 1, 8, 12, 16, 3, 7, 1, 3, TRUE, FALSE, 0, VKS_ACT_TANH, TRUE, FALSE, 0 },    /* c7s1 out */
    { 2, 5, 9, 7, 33, 3, 1, 1, TRUE, FALSE, 0, VKS_ACT_LEAKY_RELU, TRUE, FALSE, 0 },
    { 2, 5, 9, 7, 33, 3, 2, 1, FALSE, FALSE, 0, VKS_ACT_RELU, FALSE, TRUE, 0 },
    { 1, 6, 5, 7, 7, 4, 2, 1, FALSE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },     /* PatchGAN k4 */
    { 1, 6, 5, 7, 7, 4, 1, 1, FALSE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },
    { 1, 6, 5, 7, 7, 4, 2, 1, FALSE, TRUE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },      /* k4 s2 up */
    { 2, 3, 5, 6, 4, 3, 2, 1, FALSE, TRUE, 1, VKS_ACT_NONE, FALSE, TRUE, 0 },
    { 1, 4, 6, 5, 3, 3, 1, 1, FALSE, TRUE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },      /* stride 1 */
    { 1, 7, 11, 13, 9, 5, 1, 2, TRUE, FALSE, 0, VKS_ACT_NONE, TRUE, TRUE, 0 },
    /* implicit GEMM: row segments inside and at the borders, rows that are not a multiple of
     * its 8 columns, zero padding, a second image */
    { 2, 5, 6, 40, 3, 7, 1, 3, TRUE, FALSE, 0, VKS_ACT_TANH, TRUE, FALSE, 0 },
    { 2, 3, 5, 37, 4, 7, 1, 3, FALSE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },
    { 1, 2, 7, 29, 1, 5, 1, 1, FALSE, FALSE, 0, VKS_ACT_RELU, FALSE, FALSE, 0 },
    { 2, 3, 9, 35, 40, 7, 1, 3, TRUE, FALSE, 0, VKS_ACT_RELU, TRUE, FALSE, 0 },   /* c7s1 in */
    /* DCGAN's layers on a batch: images side by side in one column matrix, all of them or in
     * groups of 2 (the last group smaller) */
    { 5, 6, 1, 1, 8, 4, 1, 0, FALSE, TRUE, 0, VKS_ACT_RELU, FALSE, FALSE, 0 },    /* z -> 4x4 */
    { 5, 8, 4, 4, 6, 4, 2, 1, FALSE, TRUE, 0, VKS_ACT_NONE, FALSE, FALSE, 2 }, /* 4 -> 8 */
    { 3, 3, 9, 7, 10, 4, 2, 1, FALSE, TRUE, 0, VKS_ACT_TANH, FALSE, FALSE, 0 },
    { 5, 3, 8, 8, 9, 4, 2, 1, FALSE, FALSE, 0, VKS_ACT_LEAKY_RELU, FALSE, FALSE, 2 },
    { 4, 9, 4, 4, 1, 4, 1, 0, FALSE, FALSE, 0, VKS_ACT_NONE, FALSE, FALSE, 0 },   /* 4x4 -> 1 */
    { 3, 5, 7, 9, 6, 3, 1, 1, TRUE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 2 },
  };
  GRand *rng = g_rand_new_with_seed (1);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    run_conv (&cases[i], rng);
  g_rand_free (rng);
}

/* Shapes aimed at Winograd's tiling: planes smaller than one 4x4 tile, sizes that are not
 * multiples of 4 (partial edge tiles, unaligned output rows), widths that are (whole-row
 * stores), several row groups of output channels, chunks of tiles, padding 0. */
static void
test_conv_winograd (void)
{
  static const ConvCase cases[] = {
    /* n cin  h   w cout k s p reflect transposed op act bias tiny scratch_images */
    { 1, 3, 1, 1, 4, 3, 1, 1, FALSE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },    /* 1x1 plane */
    { 2, 4, 2, 2, 5, 3, 1, 1, TRUE, FALSE, 0, VKS_ACT_RELU, TRUE, FALSE, 0 },     /* 2x2 plane */
    { 1, 6, 2, 3, 7, 3, 1, 1, FALSE, FALSE, 0, VKS_ACT_NONE, FALSE, FALSE, 0 },
    { 1, 5, 3, 3, 2, 3, 1, 0, FALSE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },    /* 1x1 output */
    { 1, 9, 13, 11, 35, 3, 1, 1, TRUE, FALSE, 0, VKS_ACT_LEAKY_RELU, TRUE, FALSE, 0 },
    { 2, 9, 13, 11, 35, 3, 1, 1, FALSE, FALSE, 0, VKS_ACT_TANH, TRUE, TRUE, 0 },
    { 2, 16, 16, 16, 16, 3, 1, 1, TRUE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },  /* aligned */
    { 1, 16, 18, 14, 24, 3, 1, 0, FALSE, FALSE, 0, VKS_ACT_RELU, TRUE, TRUE, 0 },
    { 1, 7, 21, 9, 3, 3, 1, 2, FALSE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },   /* padding 2 */
    { 1, 64, 32, 36, 72, 3, 1, 1, TRUE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 },  /* > 1 group */
    { 1, 256, 12, 12, 256, 3, 1, 1, TRUE, FALSE, 0, VKS_ACT_NONE, TRUE, FALSE, 0 }, /* ResNet */
  };
  GRand *rng = g_rand_new_with_seed (5);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    run_conv (&cases[i], rng);
  g_rand_free (rng);
}

static void
test_conv_random (void)
{
  GRand *rng = g_rand_new_with_seed (2);
  for (int i = 0; i < 40; i++) {
    ConvCase c = { 0 };
    c.n = g_rand_int_range (rng, 1, 5);
    c.cin = g_rand_int_range (rng, 1, 10);
    c.cout = g_rand_int_range (rng, 1, 40);
    c.transposed = g_rand_int_range (rng, 0, 4) == 0;
    c.k = c.transposed ? g_rand_int_range (rng, 2, 5) : 1 + 2 * g_rand_int_range (rng, 0, 4);
    c.stride = g_rand_int_range (rng, 1, c.transposed ? 3 : 3);
    c.pad = g_rand_int_range (rng, 0, c.k / 2 + 1);
    c.h = g_rand_int_range (rng, c.pad + 1, 14);
    c.w = g_rand_int_range (rng, c.pad + 1, 14);
    if (!c.transposed) {
      c.reflect = g_rand_boolean (rng);
      c.h = MAX (c.h, c.k);
      c.w = MAX (c.w, c.k);
    } else {
      c.k = MAX (c.k, c.stride);
      c.output_pad = g_rand_int_range (rng, 0, c.stride);
      if ((c.h - 1) * c.stride - 2 * c.pad + c.k + c.output_pad < 1)
        c.pad = 0;
    }
    c.act = (VksActivation) g_rand_int_range (rng, 0, 4);
    c.bias = g_rand_boolean (rng);
    c.tiny_scratch = g_rand_int_range (rng, 0, 3) == 0;
    c.scratch_images = c.n > 2 && g_rand_boolean (rng) ? 2 : 0;
    run_conv (&c, rng);
  }
  g_rand_free (rng);
}

typedef struct {
  int n, c, h, w;
  gboolean instance, affine, residual;
  VksActivation act;
} NormCase;

static void
check_norm (const NormCase *nc, GRand *rng)
{
  GError *error = NULL;
  TestRig rig;
  rig_init (&rig, test_context ());
  VksNorm norm;
  vks_norm_init (&norm, nc->c, nc->instance, nc->affine, nc->act, 0.2f, 1e-5f, &rig.arena);
  VksTensor x = rig_tensor (&rig, nc->n, nc->c, nc->h, nc->w);
  VksTensor r = rig_tensor (&rig, nc->n, nc->c, nc->h, nc->w);
  VksTensor y = rig_tensor (&rig, nc->n, nc->c, nc->h, nc->w);
  VksTensor *ts[] = { &x, &r, &y };
  rig_alloc (&rig, ts, 3);
  norm.params = rig.dev;
  long count = (long) nc->n * nc->c * nc->h * nc->w;
  float *xs = g_new (float, count), *rs = g_new (float, count);
  float *got = g_new (float, count), *want = g_new (float, count);
  float *gamma = g_new (float, nc->c), *beta = g_new (float, nc->c);
  float *mean = g_new (float, nc->c), *var = g_new (float, nc->c);
  fill_uniform (xs, count, -3, 5, rng);
  fill_uniform (rs, count, -1, 1, rng);
  fill_uniform (gamma, nc->c, 0.5, 1.5, rng);
  fill_uniform (beta, nc->c, -0.5, 0.5, rng);
  fill_uniform (mean, nc->c, -1, 1, rng);
  fill_uniform (var, nc->c, 0.1, 2, rng);
  rig_set (&rig, &x, xs);
  rig_set (&rig, &r, rs);
  vks_norm_pack (&norm, nc->affine ? gamma : NULL, nc->affine ? beta : NULL, mean, var,
                 rig_host (&rig));
  g_assert_true (vks_norm_forward (rig.rec, &norm, &x, nc->residual ? &r : NULL, &y, &error));
  g_assert_no_error (error);
  rig_run (&rig);
  rig_get (&rig, &y, got);

  if (nc->instance)
    ref_instance_norm (xs, nc->n, nc->c, nc->h, nc->w, nc->affine ? gamma : NULL,
                       nc->affine ? beta : NULL, 1e-5f, want);
  else
    ref_batch_norm (xs, nc->n, nc->c, nc->h, nc->w, mean, var, nc->affine ? gamma : NULL,
                    nc->affine ? beta : NULL, 1e-5f, want);
  ref_activate (nc->act, 0.2f, want, count);
  if (nc->residual)
    ref_add (want, rs, count, want);
  double err = max_rel_error (got, want, count);
  if (err > TOLERANCE)
    g_error ("norm n%d c%d %dx%d instance %d affine %d residual %d act %d: error %g", nc->n, nc->c,
             nc->h, nc->w, nc->instance, nc->affine, nc->residual, nc->act, err);
  g_free (xs); g_free (rs); g_free (got); g_free (want);
  g_free (gamma); g_free (beta); g_free (mean); g_free (var);
  rig_free (&rig);
}

static void
test_norm (void)
{
  static const NormCase cases[] = {
    { 1, 1, 1, 1, TRUE, FALSE, FALSE, VKS_ACT_NONE },      /* constant plane: output 0 */
    { 1, 3, 3, 5, TRUE, FALSE, FALSE, VKS_ACT_RELU },      /* 15 floats: padded plane */
    { 2, 5, 17, 9, TRUE, TRUE, FALSE, VKS_ACT_LEAKY_RELU },
    { 1, 8, 64, 64, TRUE, FALSE, TRUE, VKS_ACT_NONE },     /* residual block tail */
    { 2, 3, 7, 7, FALSE, TRUE, FALSE, VKS_ACT_RELU },      /* batch norm, inference */
    { 1, 4, 1, 3, FALSE, FALSE, TRUE, VKS_ACT_TANH },
    { 1, 2, 300, 301, TRUE, FALSE, FALSE, VKS_ACT_NONE },  /* long reduction */
  };
  GRand *rng = g_rand_new_with_seed (3);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_norm (&cases[i], rng);
  g_rand_free (rng);
}


static void
test_bad_conv_desc (void)
{
  VksArena arena;
  vks_arena_init (&arena, test_context ());
  GError *error = NULL;
  VksConv conv;
  VksConvDesc d = { .cin = 3, .cout = 8, .kh = 9, .kw = 9, .stride = 1 };
  g_assert_false (vks_conv_init (&conv, &d, &arena, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  VksConvDesc w = { .cin = 3, .cout = 8, .kh = 3, .kw = 3, .stride = 2, .pad = 1,
                    .algo = VKS_CONV_WINOGRAD };
  g_assert_false (vks_conv_init (&conv, &w, &arena, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  VksConvDesc r = { .cin = 3, .cout = 8, .kh = 7, .kw = 7, .stride = 1, .pad = 3, .reflect = TRUE };
  g_assert_true (vks_conv_init (&conv, &r, &arena, &error));
  int ho, wo;
  /* PyTorch refuses reflect padding as wide as the input; so do we. */
  g_assert_false (vks_conv_output_size (&conv, 3, 20, &ho, &wo, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ops/conv/fixed", test_conv_fixed);
  g_test_add_func ("/ops/conv/random", test_conv_random);
  g_test_add_func ("/ops/conv/winograd", test_conv_winograd);
  g_test_add_func ("/ops/norm", test_norm);
  g_test_add_func ("/ops/conv/bad-desc", test_bad_conv_desc);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
