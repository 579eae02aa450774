/* The graph engine's newer ops (issue 12), each against the reference interpreter on the device,
 * its gradient rule against finite differences and, where models need it (gradient penalties),
 * its second derivative; then the PyTorch fixture (tests/fixtures/make_ops_fixture.py). */
#include <math.h>
#include <string.h>

#include "engine/error.h"

#include "engine/nn/graph.h"
#include "engine/nn/params.h"
#include "tests/nn/graph_check.h"
#include "tests/rig.h"

typedef struct {
  const char *name;
  VksNode (*build) (VksGraph *g);
  GraphCaseFix fix;        /* NULL: leaves as drawn, in [-1, 1] */
  gboolean second_order;
} OpCase;

static void
check_case (gconstpointer data)
{
  const OpCase *c = data;
  VksGraph *g = vks_graph_new ();
  graph_check_op (g, c->build (g), c->fix, c->second_order);
}

/* ---- pointwise functions ---- */

static VksNode
build_smooth (VksGraph *g)
{
  /* every new unary function, each on its domain (log, sqrt, rsqrt and 1/x on values >= 0.5),
   * broadcast division included */
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 3, 5));
  VksNode b = vks_input (g, "b", vks_shape (1, 3, 1, 1));
  VksNode pos = vks_add_scalar (g, vks_square (g, x), 0.5f);
  VksNode y = vks_add (g, vks_sigmoid (g, vks_scale (g, x, 3.0f)), vks_silu (g, x));
  y = vks_add (g, y, vks_gelu (g, vks_scale (g, x, 2.5f)));
  y = vks_add (g, y, vks_mul (g, vks_exp (g, x), vks_log (g, pos)));
  y = vks_add (g, y, vks_sub (g, vks_sqrt (g, pos), vks_rsqrt (g, pos)));
  y = vks_add (g, y, vks_reciprocal (g, pos));
  return vks_add (g, y, vks_div (g, x, vks_add_scalar (g, vks_square (g, b), 0.7f)));
}

/* Each unary function alone, to second order, so its error is measured on its own. */
typedef struct {
  const char *name;
  VksNode (*fn) (VksGraph *g, VksNode x);
  gboolean positive;       /* on x^2 + 0.5 (log, sqrt, ...), else on 3x in [-3, 3] */
} Unary;

static void
check_unary (gconstpointer data)
{
  const Unary *u = data;
  VksGraph *g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 3, 5));
  x = u->positive ? vks_add_scalar (g, vks_square (g, x), 0.5f) : vks_scale (g, x, 3.0f);
  graph_check_op (g, u->fn (g, x), NULL, TRUE);
}

static VksNode
build_gelu_tails (VksGraph *g)
{
  /* GELU and SiLU far out on both sides (up to |x| = 6), where erf's approximation and the
   * sigmoid's exponent are at their extremes */
  VksNode x = vks_scale (g, vks_input (g, "x", vks_shape (1, 2, 4, 8)), 6.0f);
  return vks_add (g, vks_gelu (g, x), vks_silu (g, vks_scale (g, x, 2.0f)));
}

/* ---- reductions ---- */

static VksNode
build_mean (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 5, 6));
  VksNode per_channel = vks_mean_to (g, x, vks_shape (1, 3, 1, 1));
  VksNode rows = vks_mean_to (g, x, vks_shape (2, 3, 5, 1));
  return vks_add (g, vks_mul (g, vks_sub (g, x, per_channel), rows), vks_mean (g, x));
}

static VksNode
build_softmax (VksGraph *g)
{
  /* PLANES input with padded planes (5 x 7), scaled so rows are far from uniform */
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 5, 7));
  return vks_softmax (g, vks_scale (g, x, 4.0f));
}

static VksNode
build_softmax_long (VksGraph *g)
{
  /* long rows and large logits: the max subtraction keeps exp finite */
  VksNode x = vks_input (g, "x", vks_shape (1, 1, 3, 5000));
  return vks_softmax (g, vks_scale (g, x, 60.0f));
}

/* ---- max pooling ---- */

static VksNode
build_max_pool (VksGraph *g)
{
  /* odd sizes (the last row and column are dropped) and a smooth function before and after, so
   * that second derivatives pass through the mask; relu makes all-zero windows, ties that go to
   * the first element */
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 7, 5));
  VksNode y = vks_max_pool2 (g, vks_tanh (g, vks_scale (g, x, 2.0f)));
  VksNode ties = vks_max_pool2 (g, vks_relu (g, vks_add_scalar (g, x, -0.5f)));
  return vks_add (g, vks_square (g, y), ties);
}

static VksNode
build_max_pool_dense (VksGraph *g)
{
  /* a DENSE input (a parameter) with a plane of 6 x 6 floats, not a multiple of 4 */
  VksNode w = vks_param (g, "w", vks_shape (1, 2, 6, 6));
  return vks_max_pool2 (g, vks_max_pool2 (g, vks_exp (g, w)));
}

/* ---- Inception's windows and kernels (forward only: no gradient rules yet) ---- */

typedef struct {
  const char *name;
  VksNode (*build) (VksGraph *g);
} ForwardCase;

static void
check_forward (gconstpointer data)
{
  const ForwardCase *c = data;
  VksGraph *g = vks_graph_new ();
  VksNode out = c->build (g);
  GError *error = NULL;
  g_assert_true (vks_graph_check (g, &error));
  GraphCase gc;
  graph_case_init (&gc, g, 23);
  g_assert_cmpfloat (graph_case_device_error (&gc, &out, 1), <=, GRAPH_CHECK_DEVICE_TOL);
  graph_case_clear (&gc);
}

/* The four pooling layers of the FID Inception on one odd-sized input (padded planes), each
 * flattened and concatenated along w so one output checks them all. relu makes ties and windows
 * of zeros; a window of only padding cannot occur (padding <= kernel / 2). */
static VksNode
build_pool2d (VksGraph *g)
{
  VksNode x = vks_relu (g, vks_input (g, "x", vks_shape (2, 3, 9, 11)));
  static const VksPoolAttrs pools[] = {
    { 3, 2, 0, TRUE, FALSE },    /* MaxPool2d(3, stride=2) */
    { 3, 1, 1, FALSE, FALSE },   /* avg_pool2d(3, 1, 1, count_include_pad=False) */
    { 3, 1, 1, TRUE, FALSE },    /* max_pool2d(3, 1, 1) (Mixed_7c) */
    { 3, 1, 1, FALSE, TRUE },    /* PyTorch's default average */
    { 4, 3, 2, FALSE, FALSE },   /* an even window, stride 3 */
  };
  VksNode parts[G_N_ELEMENTS (pools)];
  for (guint i = 0; i < G_N_ELEMENTS (pools); i++) {
    VksNode y = vks_pool2d (g, x, &pools[i]);
    VksShape s = vks_graph_shape (g, y);
    parts[i] = vks_reshape (g, y, vks_shape (s.n, s.c, 1, s.h * s.w));
  }
  return vks_concat_dim (g, 3, parts, G_N_ELEMENTS (parts));
}

/* A conv with a rectangular kernel and Conv2d's padding=(ph, pw), each convolution path:
 * im2col + GEMM (many channels), implicit GEMM (<= 4 outputs; <= 4 inputs at stride 1, which
 * takes the row-segment variant) and equal per-axis padding (canonical: Winograd). */
static VksNode
rect_conv (VksGraph *g, VksNode x, int cout, int kh, int kw, int stride, int ph, int pw,
           const char *name)
{
  int cin = vks_graph_shape (g, x).c;
  g_autofree char *wn = g_strconcat (name, ".weight", NULL);
  g_autofree char *bn = g_strconcat (name, ".bias", NULL);
  VksConvAttrs a = { .stride = stride, .pad_h = ph, .pad_w = pw, .act = VKS_ACT_RELU };
  return vks_conv2d (g, x, vks_param (g, wn, vks_shape (cout, cin, kh, kw)),
                     vks_param (g, bn, vks_shape (1, 1, 1, cout)), &a);
}

static VksNode
build_rect_conv (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 6, 9, 10));
  VksNode y = rect_conv (g, x, 8, 1, 7, 1, 0, 3, "a");       /* [2, 8, 9, 10] */
  y = rect_conv (g, y, 8, 7, 1, 1, 3, 0, "b");
  VksNode z = rect_conv (g, y, 5, 1, 3, 1, 0, 1, "c");
  z = rect_conv (g, z, 6, 3, 1, 1, 1, 0, "d");
  VksNode w = rect_conv (g, z, 6, 3, 3, 1, 1, 1, "e");       /* Winograd */
  return vks_add (g, w, rect_conv (g, x, 6, 3, 1, 1, 1, 0, "f"));
}

static VksNode
build_rect_conv_implicit (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 9, 21));
  VksNode y = rect_conv (g, x, 8, 1, 7, 1, 0, 3, "a");       /* <= 4 inputs, stride 1 */
  VksNode z = rect_conv (g, y, 3, 7, 1, 1, 3, 0, "b");       /* <= 4 outputs */
  VksNode s = rect_conv (g, y, 4, 3, 1, 2, 1, 0, "c");       /* strided */
  VksShape ss = vks_graph_shape (g, s), sz = vks_graph_shape (g, z);
  VksNode parts[2] = { vks_reshape (g, z, vks_shape (sz.n, 1, 1, sz.c * sz.h * sz.w)),
                       vks_reshape (g, s, vks_shape (ss.n, 1, 1, ss.c * ss.h * ss.w)) };
  return vks_concat_dim (g, 3, parts, 2);
}

/* ---- concatenation and slices ---- */

static VksNode
build_concat (VksGraph *g)
{
  /* five tensors along c (two nodes), mixed layouts (a 5 x 3 plane is padded in PLANES, not in
   * a DENSE parameter); slices of the result, one per dimension */
  VksNode xs[5] = {
    vks_input (g, "a", vks_shape (2, 1, 5, 3)), vks_param (g, "b", vks_shape (2, 2, 5, 3)),
    vks_input (g, "c", vks_shape (2, 3, 5, 3)), vks_input (g, "d", vks_shape (2, 1, 5, 3)),
    vks_param (g, "e", vks_shape (2, 2, 5, 3)),
  };
  VksNode y = vks_tanh (g, vks_concat (g, xs, 5));                   /* [2, 9, 5, 3] */
  VksNode mid = vks_slice_channels (g, y, 2, 4);
  VksNode s = vks_add (g, mid, vks_slice (g, vks_slice (g, y, 0, 1, 1), 1, 5, 4));
  s = vks_add (g, s, vks_slice (g, vks_slice (g, y, 2, 1, 1), 1, 0, 4));
  return vks_mul (g, s, vks_slice (g, vks_slice (g, y, 3, 2, 1), 1, 1, 4));
}

static VksNode
build_concat_dims (VksGraph *g)
{
  /* along n, h and w; rows of a DENSE matrix; second derivatives through both ops */
  VksNode a = vks_input (g, "a", vks_shape (1, 2, 3, 4));
  VksNode b = vks_input (g, "b", vks_shape (1, 2, 2, 4));
  VksNode c = vks_input (g, "c", vks_shape (1, 2, 5, 3));
  VksNode ab[2] = { a, b }, hw[2];
  hw[0] = vks_concat_dim (g, 2, ab, 2);                             /* [1, 2, 5, 4] */
  hw[1] = c;
  VksNode y = vks_concat_dim (g, 3, hw, 2);                          /* [1, 2, 5, 7] */
  VksNode yy[2] = { y, vks_scale (g, y, -1.0f) };
  y = vks_concat_dim (g, 0, yy, 2);                                  /* [2, 2, 5, 7] */
  return vks_square (g, vks_slice (g, vks_slice (g, y, 3, 1, 5), 2, 1, 3));
}

/* ---- embedding ---- */

static VksNode
build_embedding (VksGraph *g)
{
  /* 9 indices (a PLANES input, 3 x 3 planes: padded) into 5 rows of 6, repeats and one out of
   * range; second derivatives through the lookup and the scatter-add */
  VksNode w = vks_param (g, "weight", vks_shape (1, 1, 5, 6));
  VksNode rows = vks_embedding (g, w, vks_input (g, "indices", vks_shape (1, 1, 3, 3)));
  return vks_mul (g, vks_tanh (g, rows), vks_input (g, "x", vks_shape (1, 1, 9, 6)));
}

static void
fix_indices (GraphCase *gc)
{
  static const double idx[9] = { 3, 0, 3, 4, 1, 3, 5, 0, 2 };   /* 5: out of range */
  memcpy (gc->leaves[vks_graph_find (gc->g, "indices")], idx, sizeof idx);
}

static VksNode
build_domain_gather (VksGraph *g)
{
  /* StarGAN v2's out[idx, y]: per sample, the style of its domain from a mapping network's
   * [n][domains][dim] output, as a lookup in its [n * domains][dim] rows at n * domains + y */
  VksNode z = vks_input (g, "z", vks_shape (1, 1, 3, 4));
  VksNode h = vks_linear (g, z, vks_param (g, "w", vks_shape (1, 1, 2 * 5, 4)), VKS_NONE);
  VksNode rows = vks_reshape (g, h, vks_shape (1, 1, 3 * 2, 5));     /* 3 samples, 2 domains */
  return vks_embedding (g, rows, vks_input (g, "indices", vks_shape (1, 1, 1, 3)));
}

static void
fix_domains (GraphCase *gc)
{
  static const double idx[3] = { 0 * 2 + 1, 1 * 2 + 0, 2 * 2 + 1 };
  memcpy (gc->leaves[vks_graph_find (gc->g, "indices")], idx, sizeof idx);
}

/* ---- normalisations (first order is what training needs; the composition gives more) ---- */

#define EPS 1e-5f

static VksNode
build_layer_norm (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 4, 5));
  VksNode y = vks_layer_norm (g, x, 3, vks_param (g, "w", vks_shape (1, 3, 4, 5)),
                              vks_param (g, "b", vks_shape (1, 3, 4, 5)), EPS);
  /* rows of a matrix, no affine part (a transformer's pre-norm without elementwise_affine) */
  VksNode rows = vks_layer_norm (g, vks_input (g, "r", vks_shape (1, 1, 4, 5)), 1, VKS_NONE,
                                 VKS_NONE, EPS);
  return vks_mul (g, y, rows);
}

static VksNode
build_group_norm (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 6, 3, 5));
  return vks_group_norm (g, x, 3, vks_param (g, "w", vks_shape (1, 1, 1, 6)),
                         vks_param (g, "b", vks_shape (1, 1, 1, 6)), EPS);
}

static VksNode
build_group_norm_large (VksGraph *g)
{
  /* a group's 2 x 130 x 130 values are more than one sum may loop over: split sums */
  VksNode x = vks_input (g, "x", vks_shape (1, 4, 130, 130));
  return vks_group_norm (g, x, 2, VKS_NONE, VKS_NONE, EPS);
}

static VksNode
build_adain (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 4, 5, 5));
  return vks_adain_style (g, x, vks_input (g, "s", vks_shape (1, 1, 2, 3)),
                          vks_param (g, "fc.w", vks_shape (1, 1, 8, 3)),
                          vks_param (g, "fc.b", vks_shape (1, 1, 1, 8)), EPS);
}

static VksNode
build_batch_norm (VksGraph *g)
{
  /* y plus the running statistics' updates, so both are checked (shape [1, 1, 1, c] given,
   * [1, c, 1, 1] to broadcast; 3 channels: the PLANES inputs are padded, reshaping copies) */
  VksNode x = vks_input (g, "x", vks_shape (3, 3, 3, 5));
  VksShape c = vks_shape (1, 1, 1, 3), bc = vks_shape (1, 3, 1, 1);
  VksBatchNorm bn = vks_batch_norm_train (g, x, vks_param (g, "w", c), vks_param (g, "b", c),
                                          vks_input (g, "rm", c), vks_input (g, "rv", c), 0.1f,
                                          EPS);
  VksNode stats = vks_add (g, vks_reshape (g, bn.running_mean, bc),
                           vks_scale (g, vks_reshape (g, bn.running_var, bc), 3.0f));
  return vks_mul (g, bn.y, stats);
}

static VksNode
build_batch_norm_eval (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 4, 3));
  VksShape c = vks_shape (1, 3, 1, 1);
  VksNode var = vks_add_scalar (g, vks_square (g, vks_input (g, "rv", c)), 0.1f);
  return vks_batch_norm_eval (g, x, vks_param (g, "w", c), vks_param (g, "b", c),
                              vks_input (g, "rm", c), var, EPS);
}

/* ---- builder errors: each constructor's message names the op ---- */

static VksNode
bad_softmax (VksGraph *g)
{
  return vks_softmax (g, vks_input (g, "x", vks_shape (1, 1, 1, 20000)));
}

static VksNode
bad_slice (VksGraph *g)
{
  return vks_slice_channels (g, vks_input (g, "x", vks_shape (1, 4, 2, 2)), 3, 2);
}

static VksNode
bad_concat (VksGraph *g)
{
  VksNode xs[2] = { vks_input (g, "a", vks_shape (1, 2, 3, 3)),
                    vks_input (g, "b", vks_shape (1, 2, 3, 4)) };
  return vks_concat (g, xs, 2);
}

static VksNode
bad_embedding (VksGraph *g)
{
  return vks_embedding (g, vks_param (g, "w", vks_shape (1, 2, 5, 6)),
                        vks_input (g, "i", vks_shape (1, 1, 1, 3)));
}

static VksNode
bad_group_norm (VksGraph *g)
{
  return vks_group_norm (g, vks_input (g, "x", vks_shape (1, 6, 2, 2)), 4, VKS_NONE, VKS_NONE,
                         EPS);
}

static VksNode
bad_batch_norm (VksGraph *g)
{
  VksNode x = vks_input (g, "x", vks_shape (1, 3, 1, 1));
  return vks_batch_norm_train (g, x, VKS_NONE, VKS_NONE, VKS_NONE, VKS_NONE, 0.1f, EPS).y;
}

static VksNode
bad_max_pool (VksGraph *g)
{
  return vks_max_pool2 (g, vks_input (g, "x", vks_shape (1, 1, 1, 4)));
}

static VksNode
bad_pool2d (VksGraph *g)
{
  /* padding over half the kernel (PyTorch refuses it too) */
  VksPoolAttrs a = { 3, 1, 2, TRUE, FALSE };
  return vks_pool2d (g, vks_input (g, "x", vks_shape (1, 1, 5, 5)), &a);
}

static VksNode
bad_rect_conv_grad (VksGraph *g)
{
  VksNode w = vks_param (g, "w", vks_shape (2, 2, 1, 3));
  VksConvAttrs a = { .stride = 1, .pad_w = 1 };
  VksNode y = vks_conv2d (g, vks_input (g, "x", vks_shape (1, 2, 4, 4)), w, VKS_NONE, &a);
  VksNode dw;
  vks_grad (g, vks_sum (g, y), &w, 1, &dw);
  return dw;
}

static void
test_builder_errors (void)
{
  static const struct {
    VksNode (*build) (VksGraph *g);
    const char *message;
  } cases[] = {
    { bad_softmax, "softmax: rows of 20000" }, { bad_slice, "slice: [3, 5)" },
    { bad_concat, "concat:" }, { bad_embedding, "embedding: the weight" },
    { bad_group_norm, "group_norm: 6 channels" }, { bad_batch_norm, "batch_norm: training" },
    { bad_max_pool, "max_pool2: a 1 x 4 plane" },
    { bad_pool2d, "pool2d: a 5 x 5 plane does not fit a 3 x 3 window" },
    { bad_rect_conv_grad, "no gradient for per-axis padding 0x1" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (VksGraph) g = vks_graph_new ();
    g_assert_cmpint (cases[i].build (g), ==, VKS_NONE);
    GError *error = NULL;
    g_assert_false (vks_graph_check (g, &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("\"%s\" does not contain \"%s\"", error->message, cases[i].message);
    g_clear_error (&error);
  }
}

/* ---- against PyTorch in float64 (tests/fixtures/make_ops_fixture.py) ---- */

/* float32 arithmetic against a float64 reference: per tensor max |a - b| / max |b| */
#define TORCH_TOL 2e-5
#define MAX_LEAVES 8

typedef struct {
  VksGraph *g;
  const VksCheckpoint *ck;
  const char *name;                  /* the case, its tensors' prefix */
  VksNode leaves[MAX_LEAVES];
  int n_leaves;
  VksNode running_mean, running_var; /* batch norm's updated statistics, else VKS_NONE */
} TorchCase;

/* The fixture tensor "<case>.<suffix>" (NULL if absent). */
static const VksCheckpointTensor *
torch_tensor (const TorchCase *tc, const char *suffix)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", tc->name, suffix);
  return vks_checkpoint_get_tensor (tc->ck, key);
}

/* A graph leaf named and shaped as the case's tensor of that name. */
static VksNode
torch_leaf (TorchCase *tc, const char *name, gboolean param)
{
  const VksCheckpointTensor *t = torch_tensor (tc, name);
  g_assert_nonnull (t);
  VksShape s;
  g_assert_true (vks_shape_from_dims (t->ndim, t->shape, &s));
  g_assert_cmpint (tc->n_leaves, <, MAX_LEAVES);
  VksNode v = param ? vks_param_rank (tc->g, name, s, t->ndim) : vks_input (tc->g, name, s);
  tc->leaves[tc->n_leaves++] = v;
  return v;
}

static VksNode
torch_layer_norm (TorchCase *tc)
{
  return vks_layer_norm (tc->g, torch_leaf (tc, "x", FALSE), 3, torch_leaf (tc, "weight", TRUE),
                         torch_leaf (tc, "bias", TRUE), EPS);
}

static VksNode
torch_group_norm (TorchCase *tc)
{
  return vks_group_norm (tc->g, torch_leaf (tc, "x", FALSE), 3, torch_leaf (tc, "weight", TRUE),
                         torch_leaf (tc, "bias", TRUE), EPS);
}

static VksNode
torch_batch_norm (TorchCase *tc)
{
  VksNode x = torch_leaf (tc, "x", FALSE);
  VksNode w = torch_leaf (tc, "weight", TRUE), b = torch_leaf (tc, "bias", TRUE);
  VksBatchNorm bn = vks_batch_norm_train (tc->g, x, w, b, torch_leaf (tc, "running_mean", FALSE),
                                          torch_leaf (tc, "running_var", FALSE), 0.1f, EPS);
  tc->running_mean = bn.running_mean;
  tc->running_var = bn.running_var;
  return bn.y;
}

static VksNode
torch_adain (TorchCase *tc)
{
  VksNode x = torch_leaf (tc, "x", FALSE), s = torch_leaf (tc, "s", FALSE);
  return vks_adain_style (tc->g, x, s, torch_leaf (tc, "fc.weight", TRUE),
                          torch_leaf (tc, "fc.bias", TRUE), EPS);
}

typedef struct {
  const char *name;
  VksNode (*build) (TorchCase *tc);
  VksNode (*unary) (VksGraph *g, VksNode x);   /* instead of build: the function of input x */
} TorchBuilder;

/* out, and the gradients of sum(out * r) with respect to every leaf the fixture has a gradient
 * for, on the device against PyTorch's. */
static void
check_torch_case (gconstpointer data)
{
  const TorchBuilder *b = data;
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ck = graph_check_load_fixture ("ops.safetensors");
  g_autoptr (VksGraph) g = vks_graph_new ();
  TorchCase tc = { g, ck, b->name, { 0 }, 0, VKS_NONE, VKS_NONE };
  VksNode out = b->build ? b->build (&tc) : b->unary (g, torch_leaf (&tc, "x", FALSE));
  int n_fwd = tc.n_leaves;
  VksNode loss = vks_sum (g, vks_mul (g, out, torch_leaf (&tc, "r", FALSE)));
  VksNode wrt[MAX_LEAVES], grads[MAX_LEAVES];
  const char *grad_names[MAX_LEAVES];
  int n = 0;
  for (int i = 0; i < n_fwd; i++) {
    const char *leaf = vks_graph_name (g, tc.leaves[i]);
    g_autofree char *key = g_strconcat ("expected.grad.", leaf, NULL);
    if (torch_tensor (&tc, key) != NULL) {
      grad_names[n] = leaf;
      wrt[n++] = tc.leaves[i];
    }
  }
  vks_grad (g, loss, wrt, n, grads);
  g_assert_true (vks_graph_check (g, &error));

  VksNode outputs[MAX_LEAVES + 3] = { out };
  int n_out = 1;
  for (int i = 0; i < n; i++)
    if (grads[i] != VKS_NONE)
      outputs[n_out++] = grads[i];
  if (tc.running_mean != VKS_NONE) {
    outputs[n_out++] = tc.running_mean;
    outputs[n_out++] = tc.running_var;
  }
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, outputs, n_out, NULL, &error);
  g_assert_no_error (error);
  for (int i = 0; i < tc.n_leaves; i++) {
    const VksCheckpointTensor *t = torch_tensor (&tc, vks_graph_name (g, tc.leaves[i]));
    g_assert_true (vks_plan_set (plan, tc.leaves[i], t->data, &error));
  }
  g_assert_true (vks_plan_run (plan, &error));

  g_autofree char *prefix = g_strconcat (b->name, ".expected.", NULL);
  g_autofree char *key = g_strconcat (prefix, "out", NULL);
  g_assert_cmpfloat (graph_check_against (plan, out, ck, key), <=, TORCH_TOL);
  for (int i = 0; i < n; i++) {
    g_autofree char *gkey = g_strconcat (prefix, "grad.", grad_names[i], NULL);
    g_assert_cmpfloat (graph_check_against (plan, grads[i], ck, gkey), <=, TORCH_TOL);
  }
  if (tc.running_mean != VKS_NONE) {
    g_autofree char *mkey = g_strconcat (prefix, "running_mean", NULL);
    g_autofree char *vkey = g_strconcat (prefix, "running_var", NULL);
    g_assert_cmpfloat (graph_check_against (plan, tc.running_mean, ck, mkey), <=, TORCH_TOL);
    g_assert_cmpfloat (graph_check_against (plan, tc.running_var, ck, vkey), <=, TORCH_TOL);
  }
  VksPlanStats st;
  vks_plan_stats (plan, &st);
  g_test_message ("%d nodes computed, %d dispatches", st.n_nodes, st.n_dispatches);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  static const OpCase cases[] = {
    { "/graph/ops/smooth", build_smooth, NULL, TRUE },
    { "/graph/ops/gelu-tails", build_gelu_tails, NULL, FALSE },
    { "/graph/ops/mean", build_mean, NULL, TRUE },
    { "/graph/ops/softmax", build_softmax, NULL, TRUE },
    { "/graph/ops/softmax-long", build_softmax_long, NULL, FALSE },
    { "/graph/ops/max-pool", build_max_pool, NULL, TRUE },
    { "/graph/ops/max-pool-dense", build_max_pool_dense, NULL, TRUE },
    { "/graph/ops/concat", build_concat, NULL, FALSE },
    { "/graph/ops/concat-dims", build_concat_dims, NULL, TRUE },
    { "/graph/ops/embedding", build_embedding, fix_indices, TRUE },
    { "/graph/ops/domain-gather", build_domain_gather, fix_domains, TRUE },
    { "/graph/ops/layer-norm", build_layer_norm, NULL, FALSE },
    { "/graph/ops/group-norm", build_group_norm, NULL, FALSE },
    { "/graph/ops/group-norm-large", build_group_norm_large, NULL, FALSE },
    { "/graph/ops/adain", build_adain, NULL, FALSE },
    { "/graph/ops/batch-norm", build_batch_norm, NULL, FALSE },
    { "/graph/ops/batch-norm-eval", build_batch_norm_eval, NULL, FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].name, &cases[i], check_case);
  static const Unary unary[] = {
    { "tanh", vks_tanh, FALSE }, { "sigmoid", vks_sigmoid, FALSE }, { "silu", vks_silu, FALSE },
    { "gelu", vks_gelu, FALSE }, { "erf", vks_erf, FALSE }, { "exp", vks_exp, FALSE },
    { "log", vks_log, TRUE }, { "sqrt", vks_sqrt, TRUE }, { "rsqrt", vks_rsqrt, TRUE },
    { "reciprocal", vks_reciprocal, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (unary); i++) {
    g_autofree char *path = g_strconcat ("/graph/ops/unary/", unary[i].name, NULL);
    g_test_add_data_func (path, &unary[i], check_unary);
  }
  static const ForwardCase forward[] = {
    { "/graph/ops/pool2d", build_pool2d },
    { "/graph/ops/rect-conv", build_rect_conv },
    { "/graph/ops/rect-conv-implicit", build_rect_conv_implicit },
  };
  for (guint i = 0; i < G_N_ELEMENTS (forward); i++)
    g_test_add_data_func (forward[i].name, &forward[i], check_forward);
  g_test_add_func ("/graph/ops/builder-errors", test_builder_errors);
  static const TorchBuilder torch_cases[] = {
    { "layer_norm", torch_layer_norm, NULL }, { "group_norm", torch_group_norm, NULL },
    { "batch_norm", torch_batch_norm, NULL }, { "adain", torch_adain, NULL },
    { "gelu", NULL, vks_gelu }, { "silu", NULL, vks_silu }, { "softmax", NULL, vks_softmax },
    { "max_pool", NULL, vks_max_pool2 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (torch_cases); i++) {
    g_autofree char *path = g_strconcat ("/graph/ops/vs-pytorch/", torch_cases[i].name, NULL);
    g_test_add_data_func (path, &torch_cases[i], check_torch_case);
  }
  int status = g_test_run ();
  test_context_release ();
  return status;
}
