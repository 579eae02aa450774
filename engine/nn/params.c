#include "engine/nn/params.h"

#include "engine/error.h"

gboolean
vks_shape_from_dims (int ndim, const int64_t *dims, VksShape *shape)
{
  int d[4] = { 1, 1, 1, 1 };
  if (ndim > 4)
    return FALSE;
  for (int i = 0; i < ndim; i++) {
    if (dims[i] < 1 || dims[i] > G_MAXINT)
      return FALSE;
    d[4 - ndim + i] = (int) dims[i];
  }
  *shape = vks_shape (d[0], d[1], d[2], d[3]);
  return TRUE;
}

const VksCheckpointTensor *
vks_checkpoint_get_shaped (const VksCheckpoint *ckpt, const char *name, VksShape want,
                           GError **error)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, name);
  VksShape got;
  if (t == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "the checkpoint has no tensor \"%s\"",
                 name);
    return NULL;
  }
  if (!vks_shape_from_dims (t->ndim, t->shape, &got) || !vks_shape_equal (got, want)) {
    g_autofree char *have = vks_format_shape (t->ndim, t->shape);
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "tensor \"%s\" has shape %s; the model needs [%d, %d, %d, %d]", name, have,
                 want.n, want.c, want.h, want.w);
    return NULL;
  }
  return t;
}

gboolean
vks_plan_load_params (VksPlan *plan, const VksGraph *g, const VksCheckpoint *ckpt,
                      GError **error)
{
  int n = 0;
  g_autofree VksNode *params = vks_graph_params (g, &n);
  for (int i = 0; i < n; i++) {
    const VksCheckpointTensor *t = vks_checkpoint_get_shaped (ckpt, vks_graph_name (g, params[i]),
                                                              vks_graph_shape (g, params[i]),
                                                              error);
    if (t == NULL || !vks_plan_set (plan, params[i], t->data, error))
      return FALSE;
  }
  return TRUE;
}

GPtrArray *
vks_graph_tensor_specs (const VksGraph *g)
{
  int n = 0;
  g_autofree VksNode *params = vks_graph_params (g, &n);
  GPtrArray *specs = vks_tensor_specs_new ();
  for (int i = 0; i < n; i++) {
    VksShape s = vks_graph_shape (g, params[i]);
    int rank = vks_graph_param_rank (g, params[i]);
    int64_t d[4] = { s.n, s.c, s.h, s.w };
    vks_tensor_specs_add (specs, g_strdup (vks_graph_name (g, params[i])), rank,
                          rank > 0 ? d[4 - rank] : 0, rank > 1 ? d[5 - rank] : 0,
                          rank > 2 ? d[6 - rank] : 0, rank > 3 ? d[3] : 0);
  }
  return specs;
}
