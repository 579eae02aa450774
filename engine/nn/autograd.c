/* Reverse-mode differentiation by per-op rules that emit ordinary nodes (op.h `backward`). */
#include "engine/nn/op.h"

static VksNode
sum_contributions (VksGraph *g, GArray *contrib)
{
  /* In the order the rules emitted them: the same graph gives the same sums every time. */
  VksNode sum = g_array_index (contrib, VksNode, 0);
  for (guint k = 1; k < contrib->len; k++)
    sum = vks_add (g, sum, g_array_index (contrib, VksNode, k));
  return sum;
}

void
vks_grad (VksGraph *g, VksNode loss, const VksNode *wrt, int n, VksNode *grads)
{
  for (int i = 0; i < n; i++)
    grads[i] = VKS_NONE;
  if (!vks_graph_ok (g, &loss, 1) || !vks_graph_ok (g, wrt, n))
    return;
  VksShape ls = vks_graph_shape (g, loss);
  if (vks_shape_elements (ls) != 1) {
    vks_graph_fail (g, "vks_grad: the loss must be a scalar, not [%d, %d, %d, %d]", ls.n, ls.c,
                    ls.h, ls.w);
    return;
  }

  /* Only nodes between some wrt and the loss get gradients. */
  int n_nodes = loss + 1;
  g_autofree gboolean *needs = g_new0 (gboolean, n_nodes);
  for (int i = 0; i < n; i++)
    if (wrt[i] < n_nodes)
      needs[wrt[i]] = TRUE;
  for (int v = 0; v < n_nodes; v++) {
    const VksNodeInfo *info = vks_node_info (g, v);
    for (int i = 0; i < info->n_in; i++)
      needs[v] |= needs[info->in[i]];
  }

  g_autofree GArray **contrib = g_new0 (GArray *, n_nodes);
  g_autofree VksNode *total = g_new (VksNode, n_nodes);
  for (int v = 0; v < n_nodes; v++)
    total[v] = VKS_NONE;
  if (needs[loss]) {
    contrib[loss] = g_array_new (FALSE, FALSE, sizeof (VksNode));
    VksNode one = vks_const (g, ls, 1.0f);
    g_array_append_val (contrib[loss], one);
  }

  for (int v = n_nodes - 1; v >= 0 && g->error == NULL; v--) {
    if (contrib[v] == NULL)
      continue;
    VksNode dy = sum_contributions (g, contrib[v]);
    g_array_free (contrib[v], TRUE);
    contrib[v] = NULL;
    total[v] = dy;
    /* Copies: the rule may append nodes, which moves the node array. */
    VksNodeInfo info = *vks_node_info (g, v);
    if (info.n_in == 0)
      continue;
    const VksOpClass *klass = vks_op_class (info.op);
    if (klass->backward == NULL) {
      vks_graph_fail (g, "vks_grad: %s has no gradient rule", klass->name);
      break;
    }
    gboolean wanted[VKS_MAX_INPUTS] = { FALSE };
    VksNode dx[VKS_MAX_INPUTS];
    for (int i = 0; i < VKS_MAX_INPUTS; i++)
      dx[i] = VKS_NONE;
    for (int i = 0; i < info.n_in; i++)
      wanted[i] = needs[info.in[i]];
    klass->backward (g, v, dy, wanted, dx);
    for (int i = 0; i < info.n_in && g->error == NULL; i++) {
      if (!wanted[i] || dx[i] == VKS_NONE)
        continue;
      VksShape want = vks_graph_shape (g, info.in[i]);
      VksShape got = vks_graph_shape (g, dx[i]);
      if (!vks_shape_equal (want, got)) {
        vks_graph_fail (g, "vks_grad: internal error: the %s rule gave input %d a gradient of "
                        "shape [%d, %d, %d, %d] for [%d, %d, %d, %d]", klass->name, i, got.n,
                        got.c, got.h, got.w, want.n, want.c, want.h, want.w);
        break;
      }
      VksNode in = info.in[i];
      if (contrib[in] == NULL)
        contrib[in] = g_array_new (FALSE, FALSE, sizeof (VksNode));
      g_array_append_val (contrib[in], dx[i]);
    }
  }
  for (int v = 0; v < n_nodes; v++)
    if (contrib[v] != NULL)
      g_array_free (contrib[v], TRUE);
  if (g->error != NULL)
    return;
  for (int i = 0; i < n; i++)
    if (wrt[i] < n_nodes)
      grads[i] = total[wrt[i]];
}
