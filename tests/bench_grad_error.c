/* How far each convolution path's float32 results are from float64, next to PyTorch float32's
 * (not a test: a measurement for docs/performance.md). Usage:
 *   /usr/bin/python3 tools/conv_grad_error.py DIR && bench-grad-error DIR
 * tools/conv_grad_error.py writes, per trainer layer shape, the float32 inputs, PyTorch's float64
 * forward and gradients, and PyTorch float32's errors against them. For each shape this runs
 * the layer the way the trainer builds it, the way the engine would choose (inference), and
 * then with each other algorithm that applies
 * (forward forced to im2col+GEMM, implicit GEMM or Winograd; a 3x3 stride-1 input gradient by
 * the flipped kernel through im2col+GEMM instead of Winograd, or as the transposed convolution),
 * and prints the error of y, dx and dW, normwise (|g - g64|_2 / |g64|_2) and of the largest
 * element (max |g - g64| / max |g64|), with the ratio to PyTorch's normwise error. */
#include "rig.h"
#include "engine/backward.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  char name[64];
  int cin, cout, size, k, stride, pad, reflect, transposed, output_pad;
  double torch[6];   /* y, dx, dW: l2, max */
} Case;

static void *
read_array (const char *dir, const Case *c, const char *what, gsize bytes)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.%s", dir, c->name, what);
  char *data = NULL;
  gsize length = 0;
  GError *error = NULL;
  if (!g_file_get_contents (path, &data, &length, &error))
    g_error ("%s", error->message);
  if (length != bytes)
    g_error ("%s: %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT, path, length, bytes);
  return data;
}

static void
errors (const float *got, const double *want, long n, double *l2, double *max)
{
  double d2 = 0, w2 = 0, dmax = 0, wmax = 0;
  for (long i = 0; i < n; i++) {
    double d = got[i] - want[i];
    d2 += d * d;
    w2 += want[i] * want[i];
    dmax = MAX (dmax, fabs (d));
    wmax = MAX (wmax, fabs (want[i]));
  }
  *l2 = sqrt (d2 / w2);
  *max = dmax / wmax;
}

static const char *
forward_path (const VksConv *conv)
{
  return conv->d.transposed ? "phase-split transposed"
       : conv->algo == VKS_CONV_WINOGRAD ? "Winograd F(4x4,3x3)"
       : conv->algo == VKS_CONV_IMPLICIT ? "implicit GEMM" : "im2col+GEMM";
}

static char *
data_path (const VksConvBackward *bw)
{
  const VksConv *d = &bw->data;
  if (d->d.transposed)
    return g_strdup_printf ("transposed, %d phase%s", d->n_passes, d->n_passes > 1 ? "s" : "");
  return g_strdup_printf ("%s%s", bw->fwd.transposed ? "" : "flipped kernel, ", forward_path (d));
}

typedef struct {
  const char *fwd;
  char *dx;
  double err[6];
} Result;

/* One run of the layer: forward, input gradient, weight gradient. FALSE when the forced
 * algorithm does not apply to this shape. */
static gboolean
run (VksContext *ctx, const Case *c, VksConvAlgo fwd_algo, VksConvAlgo data_algo, const float *x,
     const float *w, const float *dy, const double *y64, const double *dx64, const double *dw64,
     Result *r)
{
  GError *error = NULL;
  TestRig rig;
  rig_init (&rig, ctx);
  VksConvDesc d = {
    .cin = c->cin, .cout = c->cout, .kh = c->k, .kw = c->k, .stride = c->stride, .pad = c->pad,
    .reflect = c->reflect, .transposed = c->transposed, .output_pad = c->output_pad,
    .algo = fwd_algo,
  };
  VksConv conv;
  VksConvBackward bw;
  if (!vks_conv_init (&conv, &d, &rig.arena, &error) ||
      !vks_conv_backward_init (&bw, &conv, c->size, c->size, &rig.arena, &error)) {
    g_clear_error (&error);
    rig_free (&rig);
    return FALSE;
  }
  if (data_algo != VKS_CONV_AUTO) {
    VksConvDesc dd = bw.data.d;
    dd.algo = data_algo;
    if (dd.transposed || !vks_conv_init (&bw.data, &dd, &rig.arena, &error)) {
      g_clear_error (&error);
      rig_free (&rig);
      return FALSE;
    }
  }
  const int n = c->size;
  VksTensor tx = rig_tensor (&rig, 1, c->cin, n, n), tdx = rig_tensor (&rig, 1, c->cin, n, n);
  VksTensor ty = rig_tensor (&rig, 1, c->cout, bw.ho, bw.wo);
  VksTensor tdy = rig_tensor (&rig, 1, c->cout, bw.ho, bw.wo);
  const long nx = (long) c->cin * n * n, ny = (long) c->cout * bw.ho * bw.wo;
  const long nw = (long) c->cin * c->cout * c->k * c->k;
  VkDeviceSize dw = rig_reserve (&rig, nw * sizeof (float));
  VkDeviceSize budget = 64u << 20;
  VkDeviceSize scratch = MAX (vks_conv_scratch_bytes (&conv, 1, n, n, budget),
                              vks_conv_backward_scratch_bytes (&bw, 1, budget));
  VkDeviceSize scratch_offset = rig_reserve (&rig, scratch);
  VksTensor *ts[] = { &tx, &tdx, &ty, &tdy };
  rig_alloc (&rig, ts, 4);
  conv.weights = rig.dev;
  bw.data.weights = rig.dev;
  rig_set (&rig, &tx, x);
  rig_set (&rig, &tdy, dy);
  vks_conv_pack (&conv, w, NULL, rig_host (&rig));
  vks_conv_backward_pack (&bw, w, rig_host (&rig));
  g_assert_true (vks_conv_forward (rig.rec, &conv, &tx, &ty, rig.dev, scratch_offset, scratch,
                                   &error));
  g_assert_true (vks_conv_backward_data (rig.rec, &bw, &tdy, &tdx, rig.dev, scratch_offset,
                                         scratch, &error));
  g_assert_true (vks_conv_backward_weight (rig.rec, &bw, &tx, &tdy, rig.dev, dw, FALSE, rig.dev,
                                           scratch_offset, scratch, &error));
  g_assert_no_error (error);
  rig_run (&rig);
  g_autofree float *got_y = g_new (float, ny), *got_dx = g_new (float, nx);
  rig_get (&rig, &ty, got_y);
  rig_get (&rig, &tdx, got_dx);
  const float *got_dw = (const float *) ((const guint8 *) rig.down->mapped + dw);
  errors (got_y, y64, ny, &r->err[0], &r->err[1]);
  errors (got_dx, dx64, nx, &r->err[2], &r->err[3]);
  errors (got_dw, dw64, nw, &r->err[4], &r->err[5]);
  r->fwd = forward_path (&conv);
  r->dx = data_path (&bw);
  rig_free (&rig);
  return TRUE;
}

typedef enum { OTHER, TRAINER, AUTO_ONLY } Role;

static void
report (const Case *c, const Result *r, Role role)
{
  static const char *what[] = { "y ", "dx", "dW" };
  for (int q = 0; q < 3; q++) {
    const char *path = q == 0 ? r->fwd : q == 1 ? r->dx : "weight-gradient GEMM";
    g_print ("%-11s %s %-34s %9.2e %9.2e %6.1fx %9.2e %9.2e%s\n", c->name, what[q], path,
             r->err[2 * q], c->torch[2 * q], r->err[2 * q] / c->torch[2 * q], r->err[2 * q + 1],
             c->torch[2 * q + 1],
             role == TRAINER ? "  (trainer)"
             : role == AUTO_ONLY ? "  (engine default; trainer until now)" : "");
  }
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    g_printerr ("usage: %s DIR (from tools/conv_grad_error.py DIR)\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  g_autofree char *list_path = g_build_filename (dir, "cases.txt", NULL);
  g_autofree char *list = NULL;
  GError *error = NULL;
  if (!g_file_get_contents (list_path, &list, NULL, &error))
    g_error ("%s", error->message);
  VksContext *ctx = vks_context_new (NULL, &error);
  g_assert_no_error (error);
  g_print ("%-11s %-37s %9s %9s %7s %9s %9s\n", "layer", "   path", "ours l2", "torch l2",
           "ratio", "ours max", "torch max");
  g_auto (GStrv) lines = g_strsplit (list, "\n", -1);
  for (guint l = 0; lines[l]; l++) {
    Case c;
    if (lines[l][0] == '#' || sscanf (lines[l], "%63s %d %d %d %d %d %d %d %d %d %lf %lf %lf %lf "
                                      "%lf %lf", c.name, &c.cin, &c.cout, &c.size, &c.k,
                                      &c.stride, &c.pad, &c.reflect, &c.transposed,
                                      &c.output_pad, &c.torch[0], &c.torch[1], &c.torch[2],
                                      &c.torch[3], &c.torch[4], &c.torch[5]) != 16)
      continue;
    const int ho = c.transposed ? (c.size - 1) * c.stride - 2 * c.pad + c.k + c.output_pad
                                : (c.size + 2 * c.pad - c.k) / c.stride + 1;
    const long nx = (long) c.cin * c.size * c.size, ny = (long) c.cout * ho * ho;
    const long nw = (long) c.cin * c.cout * c.k * c.k;
    g_autofree float *x = read_array (dir, &c, "x.f32", nx * sizeof (float));
    g_autofree float *w = read_array (dir, &c, "w.f32", nw * sizeof (float));
    g_autofree float *dy = read_array (dir, &c, "dy.f32", ny * sizeof (float));
    g_autofree double *y64 = read_array (dir, &c, "y.f64", ny * sizeof (double));
    g_autofree double *dx64 = read_array (dir, &c, "dx.f64", nx * sizeof (double));
    g_autofree double *dw64 = read_array (dir, &c, "dw.f64", nw * sizeof (double));
    /* The trainer's choice first (engine/nn/ops/conv.c in training plans: no Winograd, i.e. a 3x3 stride-1
     * convolution forced to im2col+GEMM, which also makes its input gradient the transposed
     * convolution), then the engine's own choice (what inference runs), then each other path
     * once. */
    const gboolean winograd_shape = c.k == 3 && c.stride == 1 && !c.transposed;
    const VksConvAlgo variants[][2] = {
      { winograd_shape ? VKS_CONV_DIRECT : VKS_CONV_AUTO, VKS_CONV_AUTO },
      { VKS_CONV_AUTO, VKS_CONV_AUTO },     { VKS_CONV_DIRECT, VKS_CONV_AUTO },
      { VKS_CONV_IMPLICIT, VKS_CONV_AUTO }, { VKS_CONV_WINOGRAD, VKS_CONV_AUTO },
      { VKS_CONV_AUTO, VKS_CONV_DIRECT },   { VKS_CONV_AUTO, VKS_CONV_IMPLICIT },
    };
    GPtrArray *seen = g_ptr_array_new_with_free_func (g_free);
    for (guint v = 0; v < G_N_ELEMENTS (variants); v++) {
      Result r;
      if (!run (ctx, &c, variants[v][0], variants[v][1], x, w, dy, y64, dx64, dw64, &r))
        continue;
      char *key = g_strdup_printf ("%s|%s", r.fwd, r.dx);
      gboolean repeat = FALSE;
      for (guint s = 0; s < seen->len; s++)
        repeat = repeat || g_str_equal (key, g_ptr_array_index (seen, s));
      if (repeat)
        g_free (key);
      else {
        g_ptr_array_add (seen, key);
        report (&c, &r, v == 0 ? TRAINER : v == 1 ? AUTO_ONLY : OTHER);
      }
      g_free (r.dx);
    }
    g_ptr_array_unref (seen);
  }
  vks_context_free (ctx);
  return 0;
}
