/* The VQGAN's new graph ops (issue 17): vector quantisation (nearest code, lookup and its
 * scatter-add, the straight-through estimator and the two loss terms) and attention (causal
 * mask, softmax(q k^T / sqrt(d)) v), each against the reference interpreter on the device, its
 * gradient rule against finite differences and, for the linear ones, the second derivative. */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/nn/graph.h"
#include "tests/nn/graph_check.h"
#include "tests/reference/ref_vq.h"
#include "tests/rig.h"

typedef struct {
  const char *name;
  VksNode (*build) (VksGraph *g);
  GraphCaseFix fix;
  gboolean second_order;
} OpCase;

static void
check_case (gconstpointer data)
{
  const OpCase *c = data;
  VksGraph *g = vks_graph_new ();
  graph_check_op (g, c->build (g), c->fix, c->second_order);
}

/* ---- vector quantisation ---- */

static VksNode
build_lookup (VksGraph *g)
{
  /* 2 images of 3 x 3 positions (padded planes) into 5 codes of 3, repeats and one index out of
   * range; the scatter-add is differentiated again (second order) */
  VksNode code = vks_param (g, "code", vks_shape (1, 1, 5, 3));
  VksNode zq = vks_vq_lookup (g, code, vks_input (g, "indices", vks_shape (2, 1, 3, 3)));
  return vks_mul (g, vks_tanh (g, zq), vks_input (g, "x", vks_shape (2, 3, 3, 3)));
}

static void
fix_indices (GraphCase *gc)
{
  static const double idx[18] = { 3, 0, 3, 4, 1, 3, 5, 0, 2, 1, 1, 4, 0, 2, 2, 3, -1, 4 };
  memcpy (gc->leaves[vks_graph_find (gc->g, "indices")], idx, sizeof idx);
}

static VksNode
build_nearest (VksGraph *g)
{
  /* z from a convolution (PLANES, 3 x 5 planes padded to 16), 7 codes of 4: the indices on the
   * device equal the reference's, and the codebook's gradient goes through the lookup */
  VksNode x = vks_input (g, "x", vks_shape (2, 3, 3, 5));
  VksConvAttrs a = { .stride = 1, .pad = 1 };
  VksNode z = vks_conv2d (g, x, vks_param (g, "w", vks_shape (4, 3, 3, 3)), VKS_NONE, &a);
  VksNode code = vks_param (g, "code", vks_shape (1, 1, 7, 4));
  VksNode idx = vks_vq_nearest (g, vks_stop_gradient (g, z), code);
  VksNode zq = vks_vq_lookup (g, code, idx);
  VksNode both[2] = { vks_tanh (g, zq), vks_reshape (g, idx, vks_shape (2, 1, 3, 5)) };
  return vks_concat (g, both, 2);
}

/* The straight-through estimator and the loss terms have no finite-difference check (a stopped
 * gradient is not the function's derivative), so their gradients are checked against the closed
 * forms: with N = n * dim * h * w and the codes zq of the nearest indices,
 *   d/dz (loss + sum(r * quantized)) = r + w_commit * 2 (z - zq) / N
 *   d/dcode                          = scatter(w_code * 2 (zq - z) / N)
 * where (w_commit, w_code) = (1, beta) in taming's legacy form and (beta, 1) in the paper's. */
static void
check_quantize (gconstpointer data)
{
  gboolean legacy = GPOINTER_TO_INT (data);
  const int n = 2, dim = 3, h = 3, w = 5, codes = 6;
  const long hw = h * w, len = (long) n * dim * hw;
  const float beta = 0.25f;
  VksGraph *g = vks_graph_new ();
  VksNode z = vks_input (g, "z", vks_shape (n, dim, h, w));
  VksNode code = vks_param (g, "code", vks_shape (1, 1, codes, dim));
  VksNode r = vks_input (g, "r", vks_shape (n, dim, h, w));
  VksVectorQuantized vq = vks_vector_quantize (g, z, code, beta, legacy);
  VksNode total = vks_add (g, vq.loss, vks_sum (g, vks_mul (g, vq.quantized, r)));
  VksNode wrt[2] = { z, code }, grads[2];
  vks_grad (g, total, wrt, 2, grads);
  VksNode outs[] = { vq.indices, vq.quantized, vq.loss, grads[0], grads[1] };
  GraphCase gc;
  graph_case_init (&gc, g, 17);

  /* the closed forms from the leaves, in double */
  const double *zv = gc.leaves[z], *cv = gc.leaves[code], *rv = gc.leaves[r];
  double idx[2 * 15], zq[2 * 3 * 15], dz[2 * 3 * 15], diff[2 * 3 * 15], dcode[6 * 3] = { 0 };
  ref_vq_nearest (n, dim, hw, codes, zv, cv, idx);
  ref_vq_lookup (n, dim, hw, codes, cv, idx, zq);
  double w_commit = legacy ? 1 : beta, w_code = legacy ? beta : 1, mse = 0;
  for (long i = 0; i < len; i++) {
    mse += (zq[i] - zv[i]) * (zq[i] - zv[i]) / len;
    dz[i] = rv[i] + w_commit * 2 * (zv[i] - zq[i]) / len;
    diff[i] = w_code * 2 * (zq[i] - zv[i]) / len;
  }
  ref_vq_scatter (n, dim, hw, codes, diff, idx, dcode);
  double loss = (w_commit + w_code) * mse;

  GError *error = NULL;
  g_assert_true (vks_graph_check (g, &error));
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, outs, G_N_ELEMENTS (outs), NULL,
                                           &error);
  g_assert_no_error (error);
  const VksNode leaves[] = { z, code, r };
  for (guint k = 0; k < G_N_ELEMENTS (leaves); k++) {
    long m = vks_shape_elements (vks_graph_shape (g, leaves[k]));
    g_autofree float *f = g_new (float, m);
    for (long i = 0; i < m; i++)
      f[i] = (float) gc.leaves[leaves[k]][i];
    g_assert_true (vks_plan_set (plan, leaves[k], f, &error));
  }
  g_assert_true (vks_plan_run (plan, &error));
  const double *expect[] = { idx, zq, &loss, dz, dcode };
  double worst = 0;
  for (guint k = 0; k < G_N_ELEMENTS (outs); k++) {
    long m = vks_shape_elements (vks_graph_shape (g, outs[k]));
    g_autofree float *got = g_new (float, m);
    g_assert_true (vks_plan_get (plan, outs[k], got, &error));
    for (long i = 0; i < m; i++) {
      if (k == 0)
        g_assert_cmpfloat (got[i], ==, expect[k][i]);   /* indices: identical */
      worst = MAX (worst, fabs (got[i] - expect[k][i]));
    }
  }
  g_test_message ("max |device - closed form| %.2e", worst);
  g_assert_cmpfloat (worst, <=, GRAPH_CHECK_DEVICE_TOL);
  graph_case_clear (&gc);
}

/* ---- attention ---- */

static VksNode
build_causal_mask (VksGraph *g)
{
  /* 3 queries over 5 keys (the last query sees all), then softmax: masked entries are 0 */
  VksNode s = vks_input (g, "s", vks_shape (1, 2, 3, 5));
  return vks_softmax (g, vks_causal_mask (g, vks_scale (g, s, 2.0f), -INFINITY));
}

static VksNode
build_attention (VksGraph *g)
{
  /* minGPT's layout: 2 heads, 5 tokens of 4, causal; and the same without the mask */
  VksAttentionAttrs causal = { .causal = TRUE }, full = { 0 };
  VksNode q = vks_input (g, "q", vks_shape (1, 2, 5, 4));
  VksNode k = vks_input (g, "k", vks_shape (1, 2, 5, 4));
  VksNode v = vks_input (g, "v", vks_shape (1, 2, 5, 3));
  VksNode both[2] = { vks_attention (g, q, k, v, &causal), vks_attention (g, q, k, v, &full) };
  return vks_concat_dim (g, 3, both, 2);
}

static VksNode
build_attention_channels (VksGraph *g)
{
  /* taming's AttnBlock: q, k, v from 1x1 convolutions as [n][1][c][h * w] */
  VksNode x = vks_input (g, "x", vks_shape (2, 4, 3, 3));
  VksConvAttrs a = { .stride = 1 };
  VksNode qkv[3];
  const char *names[3] = { "q", "k", "v" };
  for (int i = 0; i < 3; i++) {
    VksNode y = vks_conv2d (g, x, vks_param (g, names[i], vks_shape (4, 4, 1, 1)), VKS_NONE, &a);
    qkv[i] = vks_reshape (g, y, vks_shape (2, 1, 4, 9));
  }
  VksAttentionAttrs cf = { .channels_first = TRUE };
  return vks_reshape (g, vks_attention (g, qkv[0], qkv[1], qkv[2], &cf), vks_shape (2, 4, 3, 3));
}

static VksNode
build_tiled_products (VksGraph *g)
{
  /* matmul_tiled.comp (products of at least 4 x 4): edge tiles (7 x 6 outputs), every
   * transpose, a broadcast batch dimension; their gradients are products of the same sizes */
  VksNode a = vks_input (g, "a", vks_shape (2, 1, 7, 5));
  VksNode at = vks_input (g, "at", vks_shape (1, 3, 5, 7));
  VksNode b = vks_param (g, "b", vks_shape (1, 3, 5, 6));
  VksNode bt = vks_param (g, "bt", vks_shape (2, 3, 6, 5));
  VksNode prods[4] = {
    vks_matmul (g, a, b, FALSE, FALSE), vks_matmul (g, at, b, TRUE, FALSE),
    vks_matmul (g, a, bt, FALSE, TRUE), vks_matmul (g, at, bt, TRUE, TRUE),
  };
  for (int i = 0; i < 4; i++)
    prods[i] = vks_broadcast_to (g, prods[i], vks_shape (2, 3, 7, 6));
  return vks_concat_dim (g, 3, prods, 4);
}

/* ---- builder errors ---- */

static VksNode
bad_codebook (VksGraph *g)
{
  return vks_vq_nearest (g, vks_input (g, "z", vks_shape (1, 3, 2, 2)),
                         vks_param (g, "e", vks_shape (1, 2, 5, 3)));
}

static VksNode
bad_code_dim (VksGraph *g)
{
  return vks_vq_nearest (g, vks_input (g, "z", vks_shape (1, 3, 2, 2)),
                         vks_param (g, "e", vks_shape (1, 1, 5, 4)));
}

static VksNode
bad_indices (VksGraph *g)
{
  return vks_vq_lookup (g, vks_param (g, "e", vks_shape (1, 1, 5, 4)),
                        vks_input (g, "i", vks_shape (1, 2, 2, 2)));
}

static VksNode
bad_mask (VksGraph *g)
{
  return vks_causal_mask (g, vks_input (g, "s", vks_shape (1, 1, 5, 3)), -INFINITY);
}

static void
test_builder_errors (void)
{
  static const struct {
    VksNode (*build) (VksGraph *g);
    const char *message;
  } cases[] = {
    { bad_codebook, "vq_nearest: the codebook must be [1, 1, codes, dim]" },
    { bad_code_dim, "z has 3 channels, the codes 4" },
    { bad_indices, "vq_lookup: indices must be [n, 1, h, w]" },
    { bad_mask, "causal_mask: 5 queries see only 3 keys" },
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  static const OpCase cases[] = {
    { "/vqgan/ops/lookup", build_lookup, fix_indices, TRUE },
    { "/vqgan/ops/nearest", build_nearest, NULL, FALSE },
    { "/vqgan/ops/causal-mask", build_causal_mask, NULL, TRUE },
    { "/vqgan/ops/attention", build_attention, NULL, FALSE },
    { "/vqgan/ops/attention-channels", build_attention_channels, NULL, FALSE },
    { "/vqgan/ops/tiled-products", build_tiled_products, NULL, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].name, &cases[i], check_case);
  g_test_add_data_func ("/vqgan/ops/quantize-legacy", GINT_TO_POINTER (TRUE), check_quantize);
  g_test_add_data_func ("/vqgan/ops/quantize-paper", GINT_TO_POINTER (FALSE), check_quantize);
  g_test_add_func ("/vqgan/ops/builder-errors", test_builder_errors);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
