#include "rig.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static VksContext *shared_ctx;

VksContext *
test_context (void)
{
  if (shared_ctx == NULL) {
    GError *error = NULL;
    shared_ctx = vks_context_new (NULL, &error);
    g_assert_no_error (error);
  }
  return shared_ctx;
}

void
test_context_release (void)
{
  g_clear_pointer (&shared_ctx, vks_context_free);
}

void
rig_init (TestRig *rig, VksContext *ctx)
{
  memset (rig, 0, sizeof *rig);
  rig->ctx = ctx;
  vks_arena_init (&rig->arena, ctx);
}

VksTensor
rig_tensor (TestRig *rig, int n, int c, int h, int w)
{
  VksTensor t = vks_tensor_shape (n, c, h, w);
  t.offset = vks_arena_reserve (&rig->arena, vks_tensor_bytes (&t));
  return t;
}

VkDeviceSize
rig_reserve (TestRig *rig, VkDeviceSize bytes)
{
  return vks_arena_reserve (&rig->arena, bytes);
}

void
rig_alloc (TestRig *rig, VksTensor **tensors, int n)
{
  GError *error = NULL;
  VkDeviceSize size = rig->arena.size;
  rig->dev = vks_buffer_new (rig->ctx, size, VKS_MEMORY_DEVICE, "test tensors", &error);
  g_assert_no_error (error);
  rig->up = vks_buffer_new (rig->ctx, size, VKS_MEMORY_UPLOAD, "test upload", &error);
  g_assert_no_error (error);
  rig->down = vks_buffer_new (rig->ctx, size, VKS_MEMORY_READBACK, "test readback", &error);
  g_assert_no_error (error);
  memset (rig->up->mapped, 0, size);
  for (int i = 0; i < n; i++)
    tensors[i]->buf = rig->dev;
  rig->rec = vks_recorder_new (rig->ctx, &error);
  g_assert_no_error (error);
  vks_recorder_copy (rig->rec, rig->up, 0, rig->dev, 0, size);
}

guint8 *
rig_host (TestRig *rig)
{
  return rig->up->mapped;
}

void
rig_set (TestRig *rig, const VksTensor *t, const float *nchw)
{
  vks_tensor_pack (t, nchw, (float *) (rig_host (rig) + t->offset));
}

void
rig_run (TestRig *rig)
{
  GError *error = NULL;
  vks_recorder_copy (rig->rec, rig->dev, 0, rig->down, 0, rig->arena.size);
  vks_recorder_finish (rig->rec, &error);
  g_assert_no_error (error);
  vks_recorder_run (rig->rec, &error);
  g_assert_no_error (error);
}

void
rig_get (TestRig *rig, const VksTensor *t, float *nchw)
{
  vks_tensor_unpack (t, (const float *) ((guint8 *) rig->down->mapped + t->offset), nchw);
}

void
rig_free (TestRig *rig)
{
  vks_recorder_free (rig->rec);
  vks_buffer_free (rig->ctx, rig->dev);
  vks_buffer_free (rig->ctx, rig->up);
  vks_buffer_free (rig->ctx, rig->down);
  memset (rig, 0, sizeof *rig);
}

void
fill_uniform (float *x, long n, float lo, float hi, GRand *rng)
{
  for (long i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rng, lo, hi);
}

double
max_rel_error (const float *a, const float *b, long n)
{
  double worst = 0;
  for (long i = 0; i < n; i++) {
    double e = fabs ((double) a[i] - b[i]) / (1.0 + fabs ((double) b[i]));
    if (!(e <= worst))   /* NaN counts as the worst */
      worst = isnan (e) ? INFINITY : e;
  }
  return worst;
}

long
ulp_distance (float a, float b)
{
  /* sign-magnitude bits to a monotonic integer line: adjacent floats differ by 1 */
  int32_t ia, ib;
  memcpy (&ia, &a, 4);
  memcpy (&ib, &b, 4);
  if (ia < 0)
    ia = INT32_MIN - ia;
  if (ib < 0)
    ib = INT32_MIN - ib;
  return labs ((long) ia - ib);
}

VksConvDesc
bench_conv_args (int argc, char **argv, int *size, int *runs)
{
  if (argc < 6) {
    g_printerr ("usage: %s CIN COUT SIZE K STRIDE [RUNS] [transposed]\n", argv[0]);
    exit (2);
  }
  int k = atoi (argv[4]), stride = atoi (argv[5]);
  gboolean transposed = argc > 7;
  *size = atoi (argv[3]);
  *runs = argc > 6 ? atoi (argv[6]) : 5;
  VksConvDesc d = { .cin = atoi (argv[1]), .cout = atoi (argv[2]), .kh = k, .kw = k,
                    .stride = stride, .pad = k / 2, .reflect = !transposed && stride == 1,
                    .transposed = transposed, .output_pad = transposed ? stride - 1 : 0 };
  const char *algo = g_getenv ("VKSTYLE_BENCH_ALGO");
  if (algo != NULL)
    d.algo = strcmp (algo, "winograd") == 0 ? VKS_CONV_WINOGRAD
           : strcmp (algo, "direct") == 0 ? VKS_CONV_DIRECT
           : strcmp (algo, "implicit") == 0 ? VKS_CONV_IMPLICIT : VKS_CONV_AUTO;
  return d;
}

float *
tiling_test_image (int width, int height, guint32 seed)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  float *rgb = g_new (float, (gsize) width * height * 3);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++) {
        double v = 0.5 + 0.3 * sin (x * (0.011 + 0.004 * c) + y * 0.007 * (c - 1)) +
                   0.15 * cos (y * 0.019 + c) * (x > width / 2 ? 1.0 : -0.5) +
                   g_rand_double_range (rng, -0.08, 0.08);
        rgb[((gsize) y * width + x) * 3 + c] = (float) CLAMP (v, 0.0, 1.0);
      }
  return rgb;
}

double
max_diff_255 (const float *a, const float *b, gsize n, double *mean)
{
  double m = 0, s = 0;
  for (gsize i = 0; i < n; i++) {
    double d = fabs ((double) a[i] - b[i]);
    m = MAX (m, d);
    s += d;
  }
  if (mean)
    *mean = s / n * 255.0;
  return m * 255.0;
}
