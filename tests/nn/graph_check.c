#include "tests/nn/graph_check.h"

#include <math.h>

#include "engine/nn/op.h"
#include "engine/nn/plan-private.h"
#include "tests/rig.h"

static gboolean
is_leaf (const VksGraph *g, VksNode v)
{
  VksOpKind op = vks_node_info (g, v)->op;
  return op == VKS_OP_INPUT || op == VKS_OP_PARAM;
}

static void
fill_leaves (GraphCase *gc, GRand *rng, int from)
{
  int count = vks_graph_n_nodes (gc->g);
  gc->leaves = g_renew (double *, gc->leaves, count);
  for (int v = from; v < count; v++) {
    gc->leaves[v] = NULL;
    if (!is_leaf (gc->g, v))
      continue;
    long len = vks_shape_elements (vks_graph_shape (gc->g, v));
    gc->leaves[v] = g_new (double, len);
    /* float-representable, so the device sees exactly the reference's values */
    for (long i = 0; i < len; i++)
      gc->leaves[v][i] = (float) g_rand_double_range (rng, -1.0, 1.0);
  }
}

void
graph_case_init (GraphCase *gc, VksGraph *g, guint32 seed)
{
  gc->g = g;
  gc->leaves = NULL;
  gc->n_checked = vks_graph_n_nodes (g);
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  fill_leaves (gc, rng, 0);
}

void
graph_case_clear (GraphCase *gc)
{
  for (int v = 0; v < vks_graph_n_nodes (gc->g); v++)
    g_free (gc->leaves[v]);
  g_free (gc->leaves);
  vks_graph_free (gc->g);
}

double
graph_case_device_error (GraphCase *gc, const VksNode *nodes, int n)
{
  GError *error = NULL;
  g_assert_true (vks_graph_check (gc->g, &error));
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), gc->g, nodes, n, NULL, &error);
  g_assert_no_error (error);
  int count = vks_graph_n_nodes (gc->g);
  for (int v = 0; v < count; v++) {
    if (gc->leaves[v] == NULL)
      continue;
    long len = vks_shape_elements (vks_graph_shape (gc->g, v));
    g_autofree float *f = g_new (float, len);
    for (long i = 0; i < len; i++)
      f[i] = (float) gc->leaves[v][i];
    /* Leaves the outputs do not read are not part of the plan. */
    GError *set_error = NULL;
    if (!vks_plan_set (plan, v, f, &set_error))
      g_clear_error (&set_error);
  }
  g_assert_true (vks_plan_run (plan, &error));
  double **ref = ref_graph_eval (gc->g, gc->leaves);
  double worst = 0;
  for (int k = 0; k < n; k++) {
    long len = vks_shape_elements (vks_graph_shape (gc->g, nodes[k]));
    g_autofree float *got = g_new (float, len);
    g_assert_true (vks_plan_get (plan, nodes[k], got, &error));
    double scale = 0, err = 0;
    for (long i = 0; i < len; i++)
      scale = MAX (scale, fabs (ref[nodes[k]][i]));
    long where = 0;
    for (long i = 0; i < len; i++) {
      double e = fabs (got[i] - ref[nodes[k]][i]) / (1 + scale);
      if (e > err)
        err = e, where = i;
    }
    if (err > 1e-4)
      g_test_message ("node %d (%s): error %.2e at element %ld: %g, expected %g", nodes[k],
                      vks_op_class (vks_node_info (gc->g, nodes[k])->op)->name, err, where,
                      got[where], ref[nodes[k]][where]);
    worst = MAX (worst, err);
  }
  ref_graph_free (gc->g, ref);
  return worst;
}

VksNode
graph_case_add_loss_grads (GraphCase *gc, VksNode out, VksNode *grads)
{
  int count = vks_graph_n_nodes (gc->g);
  g_autofree VksNode *wrt = g_new (VksNode, count);
  int n = 0;
  for (int v = 0; v < count; v++)
    if (is_leaf (gc->g, v))
      wrt[n++] = v;
  gc->n_checked = count;
  VksNode r = vks_input (gc->g, "loss weights", vks_graph_shape (gc->g, out));
  VksNode loss = vks_sum (gc->g, vks_mul (gc->g, out, r));
  g_autofree VksNode *g = g_new (VksNode, n);
  vks_grad (gc->g, loss, wrt, n, g);
  for (int v = 0; v < count; v++)
    grads[v] = VKS_NONE;
  for (int i = 0; i < n; i++)
    grads[wrt[i]] = g[i];
  g_autoptr (GRand) rng = g_rand_new_with_seed (77);
  fill_leaves (gc, rng, count);
  return loss;
}

static double
ref_value (GraphCase *gc, VksNode node)
{
  double **val = ref_graph_eval (gc->g, gc->leaves);
  double v = val[node][0];
  ref_graph_free (gc->g, val);
  return v;
}

double
graph_case_fd_error (GraphCase *gc, VksNode loss, const VksNode *grads)
{
  double **val = ref_graph_eval (gc->g, gc->leaves);
  double worst = 0;
  const double h = 1e-6;
  for (int v = 0; v < gc->n_checked; v++) {
    if (gc->leaves[v] == NULL || grads[v] == GRAPH_CASE_UNCHECKED)
      continue;
    long len = vks_shape_elements (vks_graph_shape (gc->g, v));
    const double *an = grads[v] != VKS_NONE ? val[grads[v]] : NULL;
    double scale = 0;
    for (long i = 0; an != NULL && i < len; i++)
      scale = MAX (scale, fabs (an[i]));
    long step = MAX (1, len / 40);
    for (long i = 0; i < len; i += step) {
      double keep = gc->leaves[v][i];
      gc->leaves[v][i] = keep + h;
      double up = ref_value (gc, loss);
      gc->leaves[v][i] = keep - h;
      double down = ref_value (gc, loss);
      gc->leaves[v][i] = keep;
      double fd = (up - down) / (2 * h);
      worst = MAX (worst, fabs (fd - (an ? an[i] : 0)) / (1 + scale));
    }
  }
  ref_graph_free (gc->g, val);
  return worst;
}

VksCheckpoint *
graph_check_load_fixture (const char *file)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", file, NULL);
  GError *error = NULL;
  VksCheckpoint *ck = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ck;
}

double
graph_check_against (VksPlan *plan, VksNode node, const VksCheckpoint *ck, const char *name)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ck, name);
  g_assert_nonnull (t);
  g_autofree float *got = g_new0 (float, t->n_elements);
  GError *error = NULL;
  if (node != VKS_NONE) {
    g_assert_cmpint (vks_shape_elements (vks_graph_shape (vks_plan_graph (plan), node)), ==,
                     t->n_elements);
    g_assert_true (vks_plan_get (plan, node, got, &error));
  }
  double scale = 0, err = 0;
  for (long i = 0; i < t->n_elements; i++)
    scale = MAX (scale, fabs (t->data[i]));
  for (long i = 0; i < t->n_elements; i++)
    err = MAX (err, fabs (got[i] - t->data[i]));
  double rel = scale > 0 ? err / scale : err;
  g_test_message ("%-36s max |expected| %.3e, relative error %.2e", name, scale, rel);
  return rel;
}

static void
check_device (GraphCase *gc, const char *what, const VksNode *nodes, int n)
{
  double err = graph_case_device_error (gc, nodes, n);
  g_test_message ("%s: device error %.2e", what, err);
  g_assert_cmpfloat (err, <=, GRAPH_CHECK_DEVICE_TOL);
}

static void
check_fd (GraphCase *gc, const char *what, VksNode loss, const VksNode *grads)
{
  double err = graph_case_fd_error (gc, loss, grads);
  g_test_message ("%s: finite-difference error %.2e", what, err);
  g_assert_cmpfloat (err, <=, GRAPH_CHECK_FD_TOL);
}

/* The non-VKS_NONE entries of grads[0..count) (at most max of them). */
static int
present (const VksNode *grads, int count, VksNode *out, int max)
{
  int n = 0;
  for (int v = 0; v < count && n < max; v++)
    if (grads[v] >= 0)
      out[n++] = grads[v];
  return n;
}

void
graph_check_op (VksGraph *g, VksNode out, GraphCaseFix fix, gboolean second_order)
{
  GError *error = NULL;
  g_assert_true (vks_graph_check (g, &error));
  GraphCase gc;
  graph_case_init (&gc, g, 1);
  if (fix != NULL)
    fix (&gc);
  check_device (&gc, "forward", &out, 1);

  int count = vks_graph_n_nodes (gc.g);
  g_autofree VksNode *grads = g_new (VksNode, count);
  VksNode loss = graph_case_add_loss_grads (&gc, out, grads);
  int filled = vks_graph_n_nodes (gc.g);
  g_assert_true (vks_graph_check (gc.g, &error));
  check_fd (&gc, "gradient rule", loss, grads);
  VksNode wanted[16];
  int n = present (grads, count, wanted, 16);
  g_assert_cmpint (n, >, 0);
  check_device (&gc, "backward", wanted, n);
  if (second_order) {
    /* penalty = 0.5 * sum of the squared first derivatives, differentiated w.r.t. the leaves */
    VksNode penalty = VKS_NONE;
    for (int i = 0; i < n; i++) {
      VksNode sq = vks_sum (gc.g, vks_square (gc.g, wanted[i]));
      penalty = penalty == VKS_NONE ? sq : vks_add (gc.g, penalty, sq);
    }
    penalty = vks_scale (gc.g, penalty, 0.5f);
    g_autofree VksNode *leaves = g_new (VksNode, count);
    int n_leaves = 0;
    for (int v = 0; v < count; v++)
      if (gc.leaves[v] != NULL)
        leaves[n_leaves++] = v;
    g_autofree VksNode *second = g_new (VksNode, n_leaves);
    vks_grad (gc.g, penalty, leaves, n_leaves, second);
    g_assert_true (vks_graph_check (gc.g, &error));
    /* the penalty's nodes are no leaves: only the leaf table grows */
    fill_leaves (&gc, NULL, filled);
    g_autofree VksNode *by_leaf = g_new (VksNode, count);
    for (int v = 0; v < count; v++)
      by_leaf[v] = VKS_NONE;
    for (int i = 0; i < n_leaves; i++)
      by_leaf[leaves[i]] = second[i];
    check_fd (&gc, "second derivative", penalty, by_leaf);
    VksNode dev[17];
    int m = present (by_leaf, count, dev, 16);
    dev[m++] = penalty;
    check_device (&gc, "second derivative", dev, m);
  }
  graph_case_clear (&gc);
}
