/* The graph engine op by op: each op's device result against the reference interpreter, its
 * gradient rule against finite differences of the reference (double precision), the gradient
 * graph on the device against the reference; then second derivatives, planning and builder
 * errors. */
#include <math.h>
#include <string.h>

#include "engine/error.h"

#include "engine/nn/graph.h"
#include "tests/nn/graph_check.h"
#include "tests/rig.h"

#define DEVICE_TOL GRAPH_CHECK_DEVICE_TOL
#define FD_TOL GRAPH_CHECK_FD_TOL

typedef VksNode (*Builder) (VksGraph *g);

static void
check_op (gconstpointer data)
{
  Builder build = (Builder) data;
  VksGraph *g = vks_graph_new ();
  graph_check_op (g, build (g), NULL, FALSE);
}

static VksNode
conv_case (VksGraph *g, VksShape x, VksShape w, gboolean bias, VksConvAttrs a)
{
  VksNode b = bias ? vks_param (g, "b", vks_shape (1, 1, 1, a.transposed ? w.c : w.n)) : VKS_NONE;
  return vks_conv2d (g, vks_input (g, "x", x), vks_param (g, "w", w), b, &a);
}

static VksNode
build_conv_direct (VksGraph *g)
{
  return conv_case (g, vks_shape (2, 3, 7, 6), vks_shape (4, 3, 3, 3), TRUE,
                    (VksConvAttrs) { .stride = 1, .pad = 1 });
}

static VksNode
build_conv_winograd (VksGraph *g)
{
  /* 3x3 stride 1 with >= 4 input channels: the engine's Winograd path, forward and input
   * gradient */
  return conv_case (g, vks_shape (1, 5, 9, 8), vks_shape (6, 5, 3, 3), TRUE,
                    (VksConvAttrs) { .stride = 1, .pad = 1 });
}

static VksNode
build_conv_reflect_stride2 (VksGraph *g)
{
  return conv_case (g, vks_shape (2, 4, 9, 9), vks_shape (3, 4, 3, 3), FALSE,
                    (VksConvAttrs) { .stride = 2, .pad = 1, .reflect = TRUE });
}

static VksNode
build_conv_4x4_stride2 (VksGraph *g)
{
  return conv_case (g, vks_shape (1, 3, 8, 8), vks_shape (5, 3, 4, 4), TRUE,
                    (VksConvAttrs) { .stride = 2, .pad = 1 });
}

static VksNode
build_conv_7x7_reflect (VksGraph *g)
{
  /* the generators' first layer: implicit GEMM, reflect padding 3 */
  return conv_case (g, vks_shape (1, 3, 10, 9), vks_shape (4, 3, 7, 7), TRUE,
                    (VksConvAttrs) { .stride = 1, .pad = 3, .reflect = TRUE });
}

static VksNode
build_conv_transposed (VksGraph *g)
{
  return conv_case (g, vks_shape (1, 4, 5, 5), vks_shape (4, 3, 3, 3), TRUE,
                    (VksConvAttrs) { .stride = 2, .pad = 1, .transposed = TRUE,
                                     .output_pad = 1 });
}

static VksNode
build_conv_act (VksGraph *g)
{
  /* fused activations: the gradient reads the mask from the output */
  VksNode x = vks_input (g, "x", vks_shape (1, 3, 6, 6));
  VksConvAttrs a = { .stride = 1, .pad = 1, .act = VKS_ACT_LEAKY_RELU, .slope = 0.2f };
  VksNode h = vks_conv2d (g, x, vks_param (g, "w1", vks_shape (4, 3, 3, 3)),
                          vks_param (g, "b1", vks_shape (1, 1, 1, 4)), &a);
  a.act = VKS_ACT_TANH;
  h = vks_conv2d (g, h, vks_param (g, "w2", vks_shape (4, 4, 3, 3)), VKS_NONE, &a);
  a.act = VKS_ACT_RELU;
  return vks_conv2d (g, h, vks_param (g, "w3", vks_shape (2, 4, 3, 3)), VKS_NONE, &a);
}

static VksNode
build_instance_norm (VksGraph *g)
{
  /* CycleGAN's residual block: x + norm(conv(relu(norm(conv(x))))) */
  VksNode x = vks_input (g, "x", vks_shape (2, 4, 7, 6));
  VksConvAttrs a = { .stride = 1, .pad = 1, .reflect = TRUE };
  VksNode h = vks_conv2d (g, x, vks_param (g, "w1", vks_shape (4, 4, 3, 3)),
                          vks_param (g, "b1", vks_shape (1, 1, 1, 4)), &a);
  h = vks_instance_norm (g, h, VKS_ACT_RELU, VKS_NONE);
  h = vks_conv2d (g, h, vks_param (g, "w2", vks_shape (4, 4, 3, 3)),
                  vks_param (g, "b2", vks_shape (1, 1, 1, 4)), &a);
  return vks_instance_norm (g, h, VKS_ACT_NONE, x);
}

static VksNode
build_matmul (VksGraph *g)
{
  /* all four transpose cases, batch broadcast on both sides */
  VksNode a = vks_input (g, "a", vks_shape (2, 1, 3, 4));
  VksNode b = vks_input (g, "b", vks_shape (1, 2, 4, 5));
  VksNode at = vks_input (g, "at", vks_shape (1, 2, 4, 3));
  VksNode bt = vks_input (g, "bt", vks_shape (2, 1, 5, 4));
  VksNode y = vks_add (g, vks_matmul (g, a, b, FALSE, FALSE), vks_matmul (g, at, bt, TRUE, TRUE));
  return vks_add (g, y, vks_add (g, vks_matmul (g, a, bt, FALSE, TRUE),
                                 vks_matmul (g, at, b, TRUE, FALSE)));
}

static VksNode
build_linear (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (1, 1, 3, 6));
  return vks_linear (g, x, vks_param (g, "w", vks_shape (1, 1, 4, 6)),
                     vks_param (g, "b", vks_shape (1, 1, 1, 4)));
}

static VksNode
build_pointwise (VksGraph *g)
{
  VksNode a = vks_input (g, "a", vks_shape (2, 3, 4, 5));
  VksNode b = vks_input (g, "b", vks_shape (1, 3, 1, 1));
  VksNode c = vks_input (g, "c", vks_shape (2, 1, 4, 1));
  VksNode y = vks_mul (g, vks_add (g, a, b), vks_sub (g, c, vks_scale (g, a, 0.5f)));
  y = vks_add (g, vks_leaky_relu (g, y, 0.2f), vks_square (g, b));
  return vks_add (g, vks_tanh (g, y), vks_relu (g, vks_scale (g, y, -1.0f)));
}

static VksNode
build_pool (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 7, 5));
  VksNode p = vks_avg_pool2 (g, x);                     /* 3 x 2, odd rows dropped */
  VksNode u = vks_upsample2 (g, vks_input (g, "u", vks_shape (2, 3, 3, 2)));
  return vks_mul (g, p, vks_avg_pool2 (g, u));
}

static VksNode
build_shape (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 5, 5));
  VksNode flat = vks_reshape (g, x, vks_shape (1, 1, 2, 75));   /* PLANES -> DENSE copy */
  VksNode rows = vks_sum_to (g, flat, vks_shape (1, 1, 2, 1));
  VksNode back = vks_reshape (g, vks_broadcast_to (g, rows, vks_shape (1, 1, 2, 75)),
                              vks_shape (2, 3, 5, 5));
  VksNode per_channel = vks_sum_to (g, x, vks_shape (1, 3, 1, 1));
  return vks_add (g, vks_mul (g, back, x), per_channel);
}

static VksNode
build_long_sum (VksGraph *g)
{
  /* more terms than one invocation may loop over: split into several sums */
  VksNode x = vks_input (g, "x", vks_shape (3, 2, 80, 90));
  return vks_sum_to (g, x, vks_shape (1, 2, 1, 1));
}

/* A critic with every op a gradient penalty's second derivative passes through: the penalty
 * 0.5 * sum (dD/dx)^2, differentiated with respect to the weights, against finite differences of
 * the reference's first derivative. */
static VksNode
critic (VksGraph *g, VksNode x)
{
  VksConvAttrs c1 = { .stride = 1, .pad = 1 }, c2 = { .stride = 2, .pad = 1 };
  VksNode h = vks_conv2d (g, x, vks_param (g, "c1.w", vks_shape (4, 2, 3, 3)),
                          vks_param (g, "c1.b", vks_shape (1, 1, 1, 4)), &c1);
  h = vks_avg_pool2 (g, vks_leaky_relu (g, h, 0.2f));
  h = vks_conv2d (g, h, vks_param (g, "c2.w", vks_shape (4, 4, 3, 3)), VKS_NONE, &c1);
  h = vks_leaky_relu (g, h, 0.2f);
  h = vks_conv2d (g, h, vks_param (g, "c3.w", vks_shape (3, 4, 4, 4)), VKS_NONE, &c2);
  h = vks_reshape (g, vks_leaky_relu (g, h, 0.2f), vks_shape (1, 1, 2, 12));
  return vks_linear (g, h, vks_param (g, "fc.w", vks_shape (1, 1, 1, 12)),
                     vks_param (g, "fc.b", vks_shape (1, 1, 1, 1)));
}

static void
test_second_order (void)
{
  GraphCase gc;
  VksGraph *g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (2, 2, 8, 8));
  VksNode out = critic (g, x);
  int n_params = 0;
  g_autofree VksNode *params = vks_graph_params (g, &n_params);
  int n_before = vks_graph_n_nodes (g);
  VksNode dx;
  vks_grad (g, vks_sum (g, out), &x, 1, &dx);
  VksNode r1 = vks_scale (g, vks_sum (g, vks_square (g, dx)), 0.5f);
  g_autofree VksNode *pg = g_new (VksNode, n_params);
  vks_grad (g, r1, params, n_params, pg);
  GError *error = NULL;
  g_assert_true (vks_graph_check (g, &error));
  graph_case_init (&gc, g, 5);
  gc.n_checked = n_before;
  g_autofree VksNode *grads = g_new (VksNode, vks_graph_n_nodes (g));
  for (int v = 0; v < vks_graph_n_nodes (g); v++)
    grads[v] = VKS_NONE;
  for (int i = 0; i < n_params; i++)
    grads[params[i]] = pg[i];
  grads[x] = GRAPH_CASE_UNCHECKED;    /* x's derivative was not asked for */
  double fd = graph_case_fd_error (&gc, r1, grads);
  g_test_message ("second derivative: finite-difference error %.2e", fd);
  g_assert_cmpfloat (fd, <=, FD_TOL);
  VksNode wanted[8];
  int n = 0;
  for (int i = 0; i < n_params; i++)
    if (pg[i] != VKS_NONE)
      wanted[n++] = pg[i];
  wanted[n++] = r1;
  double dev = graph_case_device_error (&gc, wanted, n);
  g_test_message ("second derivative: device error %.2e", dev);
  g_assert_cmpfloat (dev, <=, DEVICE_TOL);
  graph_case_clear (&gc);
}

static void
test_plan_memory (void)
{
  /* A chain reuses storage: the arena holds far less than every node's values. */
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, 4, 32, 32));
  VksNode w = vks_param (g, "w", vks_shape (4, 4, 3, 3));
  VksConvAttrs a = { .stride = 1, .pad = 1 };
  VksNode h = x;
  for (int i = 0; i < 8; i++)
    h = vks_leaky_relu (g, vks_conv2d (g, h, w, VKS_NONE, &a), 0.2f);
  VksNode unused = vks_scale (g, x, 2.0f);
  (void) unused;
  GError *error = NULL;
  VksPlanStats measured, made;
  g_assert_true (vks_plan_measure (test_context (), g, &h, 1, &measured, &error));
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, &h, 1, NULL, &error);
  g_assert_no_error (error);
  vks_plan_stats (plan, &made);
  g_test_message ("arena %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT " without reuse; "
                  "%d nodes, %d dispatches", made.arena_bytes, made.naive_bytes, made.n_nodes,
                  made.n_dispatches);
  g_assert_cmpuint (measured.arena_bytes, ==, made.arena_bytes);
  g_assert_cmpint (made.n_nodes, ==, 2 + 16);      /* the unused scale is not computed */
  g_assert_cmpuint (made.arena_bytes * 2, <, made.naive_bytes);
}

static void
test_builder_errors (void)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode a = vks_input (g, "a", vks_shape (1, 2, 3, 4));
  VksNode b = vks_input (g, "b", vks_shape (1, 3, 3, 4));
  VksNode bad = vks_add (g, a, b);
  g_assert_cmpint (bad, ==, VKS_NONE);
  /* sticky: later constructors give VKS_NONE, the first message is kept */
  g_assert_cmpint (vks_scale (g, a, 2.0f), ==, VKS_NONE);
  g_assert_cmpint (vks_input (g, "a", vks_shape (1, 1, 1, 1)), ==, VKS_NONE);
  GError *error = NULL;
  g_assert_false (vks_graph_check (g, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "do not broadcast"));
  g_clear_error (&error);
  VksNode out = a;
  g_assert_null (vks_plan_new (test_context (), g, &out, 1, NULL, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);

  g_autoptr (VksGraph) g2 = vks_graph_new ();
  VksNode x = vks_input (g2, "x", vks_shape (1, 2, 3, 4));
  VksNode grad;
  vks_grad (g2, x, &x, 1, &grad);   /* not a scalar */
  g_assert_false (vks_graph_check (g2, &error));
  g_assert_nonnull (strstr (error->message, "scalar"));
  g_clear_error (&error);

  g_autoptr (VksGraph) g3 = vks_graph_new ();
  VksConvAttrs c = { .stride = 1, .pad = 1 };
  vks_conv2d (g3, vks_input (g3, "x", vks_shape (1, 3, 8, 8)),
              vks_param (g3, "w", vks_shape (4, 5, 3, 3)), VKS_NONE, &c);
  g_assert_false (vks_graph_check (g3, &error));
  g_assert_nonnull (strstr (error->message, "conv2d"));
  g_clear_error (&error);
}

/* The tiler's norm statistics: measured over the plane and used as given, they are the
 * instance norm; over a region and corrected, as the reference computes them. */
static void
test_norm_statistics (void)
{
  GraphCase gc;
  VksGraph *g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, 5, 12, 16));
  VksNode region = vks_input (g, "region", vks_shape (1, 1, 1, 4));
  VksNode corr = vks_input (g, "corrections", vks_shape (1, 1, 1, 10));
  VksNode whole = vks_norm_statistics (g, x, VKS_NONE, VKS_NONE, 0);
  VksNode given = vks_norm_given (g, x, whole, VKS_ACT_RELU, 0.0f, x);
  VksNode own = vks_instance_norm (g, x, VKS_ACT_RELU, x);
  VksNode part = vks_norm_statistics (g, x, region, VKS_NONE, 1);
  VksNode fixed = vks_norm_statistics (g, x, VKS_NONE, corr, 0);
  GError *error = NULL;
  g_assert_true (vks_graph_check (g, &error));
  graph_case_init (&gc, g, 9);
  const double rect[4] = { 4, 20, 8, 28 };   /* rows 2..10, columns 4..14 of x */
  memcpy (gc.leaves[region], rect, sizeof rect);
  for (int i = 5; i < 10; i++)
    gc.leaves[corr][i] = 1 + 0.5 * gc.leaves[corr][i];   /* variance factors near 1 */
  VksNode outs[] = { given, own, part, fixed };
  double err = graph_case_device_error (&gc, outs, G_N_ELEMENTS (outs));
  g_test_message ("statistics: device error %.2e", err);
  g_assert_cmpfloat (err, <=, DEVICE_TOL);
  double **ref = ref_graph_eval (gc.g, gc.leaves);
  long n = vks_shape_elements (vks_graph_shape (g, own));
  for (long i = 0; i < n; i++)
    g_assert_cmpfloat (fabs (ref[given][i] - ref[own][i]), <=, 1e-12);
  ref_graph_free (gc.g, ref);
  graph_case_clear (&gc);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  struct {
    const char *name;
    Builder build;
  } ops[] = {
    { "/graph/op/conv-direct", build_conv_direct },
    { "/graph/op/conv-winograd", build_conv_winograd },
    { "/graph/op/conv-reflect-stride2", build_conv_reflect_stride2 },
    { "/graph/op/conv-4x4-stride2", build_conv_4x4_stride2 },
    { "/graph/op/conv-7x7-reflect", build_conv_7x7_reflect },
    { "/graph/op/conv-transposed", build_conv_transposed },
    { "/graph/op/conv-act", build_conv_act },
    { "/graph/op/instance-norm", build_instance_norm },
    { "/graph/op/matmul", build_matmul },
    { "/graph/op/linear", build_linear },
    { "/graph/op/pointwise", build_pointwise },
    { "/graph/op/pool", build_pool },
    { "/graph/op/shape", build_shape },
    { "/graph/op/long-sum", build_long_sum },
  };
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    g_test_add_data_func (ops[i].name, (gconstpointer) ops[i].build, check_op);
  g_test_add_func ("/graph/second-order", test_second_order);
  g_test_add_func ("/graph/plan-memory", test_plan_memory);
  g_test_add_func ("/graph/builder-errors", test_builder_errors);
  g_test_add_func ("/graph/norm-statistics", test_norm_statistics);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
