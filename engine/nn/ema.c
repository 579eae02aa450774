/* The moving average of parameters (optimizer.h), kept in a device buffer of its own and
 * updated by the plan's tail after the optimiser's step. */
#include "engine/nn/optimizer-private.h"

#include "engine/error.h"
#include "engine/nn/op.h"
#include "engine/nn/params.h"
#include "engine/optim.h"
#include "engine/transfer.h"

struct VksEma {
  VksContext *ctx;
  const VksGraph *g;
  int n_params;
  VksNode *params;
  long *count;
  /* beta and 1 - beta at 0 (the shader's factors), each parameter's average at offset[i] */
  VksBuffer *state;
  VkDeviceSize *offset;
  VksPlan *plan;
};

void
vks_ema_free (VksEma *ema)
{
  if (ema == NULL)
    return;
  vks_buffer_free (ema->ctx, ema->state);
  g_free (ema->params);
  g_free (ema->count);
  g_free (ema->offset);
  g_free (ema);
}

VksEma *
vks_ema_new (VksContext *ctx, const VksGraph *g, const VksNode *params, int n_params,
             double beta, GError **error)
{
  for (int i = 0; i < n_params; i++)
    if (params[i] < 0 || params[i] >= vks_graph_n_nodes (g) ||
        vks_node_info (g, params[i])->op != VKS_OP_PARAM) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "EMA: entry %d is not a parameter", i);
      return NULL;
    }
  if (n_params < 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "EMA: %d parameters", n_params);
    return NULL;
  }
  g_autoptr (VksEma) ema = g_new0 (VksEma, 1);
  *ema = (VksEma) { .ctx = ctx, .g = g, .n_params = n_params };
  ema->params = g_memdup2 (params, sizeof (VksNode) * n_params);
  ema->count = g_new (long, n_params);
  ema->offset = g_new (VkDeviceSize, n_params);
  VksArena arena;
  vks_arena_init (&arena, ctx);
  vks_arena_reserve (&arena, 2 * sizeof (float));
  for (int i = 0; i < n_params; i++) {
    ema->count[i] = vks_shape_elements (vks_graph_shape (g, params[i]));
    ema->offset[i] = vks_arena_reserve (&arena, ema->count[i] * sizeof (float));
  }
  ema->state = vks_state_buffer_new (ctx, arena.size, "parameter average", error);
  if (ema->state == NULL || !vks_ema_set_beta (ema, beta, error))
    return NULL;
  return g_steal_pointer (&ema);
}

const VksNode *
vks_ema_params (const VksEma *ema, int *n_params)
{
  *n_params = ema->n_params;
  return ema->params;
}

gboolean
vks_ema_set_beta (VksEma *ema, double beta, GError **error)
{
  if (!(beta >= 0 && beta <= 1)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "EMA: beta %g is not in [0, 1]", beta);
    return FALSE;
  }
  /* 1 - beta in double, rounded once, as for Adam's (1 - beta1) */
  float factors[2] = { (float) beta, (float) (1.0 - beta) };
  return vks_buffer_upload (ema->ctx, ema->state, 0, factors, sizeof factors, error);
}

gboolean
vks_ema_tail (VksPlan *plan, VksRecorder *rec, gpointer data, GError **error)
{
  VksEma *ema = data;
  if (!vks_state_check_plan (plan, ema->g, ema->plan, "EMA", error))
    return FALSE;
  for (int i = 0; i < ema->n_params; i++) {
    const VksBuffer *buf;
    VkDeviceSize offset, bytes;
    vks_plan_storage (plan, ema->params[i], &buf, &offset, &bytes);
    if (!vks_moving_average_record (rec, ema->state, 0, buf, offset, ema->state, ema->offset[i],
                                    ema->count[i], error))
      return FALSE;
  }
  ema->plan = plan;
  return TRUE;
}

gboolean
vks_ema_reset (VksEma *ema, GError **error)
{
  g_return_val_if_fail (ema->plan != NULL, FALSE);
  g_autoptr (VksRecorder) rec = vks_recorder_new (ema->ctx, error);
  if (rec == NULL)
    return FALSE;
  for (int i = 0; i < ema->n_params; i++) {
    const VksBuffer *buf;
    VkDeviceSize offset, bytes;
    vks_plan_storage (ema->plan, ema->params[i], &buf, &offset, &bytes);
    vks_recorder_copy (rec, buf, offset, ema->state, ema->offset[i],
                       ema->count[i] * sizeof (float));
  }
  return vks_recorder_finish (rec, error) && vks_recorder_run (rec, error);
}

static int
index_of (const VksEma *ema, VksNode param)
{
  for (int i = 0; i < ema->n_params; i++)
    if (ema->params[i] == param)
      return i;
  return -1;
}

gboolean
vks_ema_get (VksEma *ema, VksNode param, float *values, GError **error)
{
  int i = index_of (ema, param);
  if (i < 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "EMA: node %d is not averaged", param);
    return FALSE;
  }
  return vks_buffer_download (ema->ctx, ema->state, ema->offset[i], values,
                              ema->count[i] * sizeof (float), error);
}

gboolean
vks_ema_save (VksEma *ema, VksCheckpoint *ckpt, const char *scope, GError **error)
{
  for (int i = 0; i < ema->n_params; i++) {
    g_autofree char *name = vks_state_name (scope, "ema", vks_graph_name (ema->g, ema->params[i]));
    if (!vks_state_save (ema->ctx, ema->state, ema->offset[i], ema->g, ema->params[i], ckpt, name,
                         error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_ema_load (VksEma *ema, const VksCheckpoint *ckpt, const char *scope, GError **error)
{
  g_autofree const VksCheckpointTensor **found = g_new0 (const VksCheckpointTensor *,
                                                         MAX (ema->n_params, 1));
  for (int i = 0; i < ema->n_params; i++) {
    g_autofree char *name = vks_state_name (scope, "ema", vks_graph_name (ema->g, ema->params[i]));
    found[i] = vks_checkpoint_get_shaped (ckpt, name, vks_graph_shape (ema->g, ema->params[i]),
                                          error);
    if (found[i] == NULL)
      return FALSE;
  }
  for (int i = 0; i < ema->n_params; i++)
    if (!vks_buffer_upload (ema->ctx, ema->state, ema->offset[i], found[i]->data,
                            ema->count[i] * sizeof (float), error))
      return FALSE;
  return TRUE;
}
