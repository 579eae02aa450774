#include "engine/nn/optimizer-private.h"

#include <string.h>

#include "engine/error.h"
#include "engine/nn/op.h"
#include "engine/nn/params.h"
#include "engine/nn/plan-private.h"
#include "engine/optim.h"
#include "engine/transfer.h"

struct VksOptimizer {
  VksContext *ctx;
  const VksGraph *g;
  VksOptimizerKind kind;
  double lr, beta1, beta2, eps, clip;
  int n_groups;
  VksParamGroup *groups;
  int n_params;
  VksNode *params, *grads;     /* grads in PyTorch's order; VKS_NONE: not updated */
  int *group_of;
  /* One device buffer: each group's Adam factors at group * hyper_stride, then each updated
   * parameter's exp_avg and exp_avg_sq (count[i] floats each) at m_offset[i], v_offset[i]. */
  VksBuffer *state;
  VkDeviceSize hyper_stride, *m_offset, *v_offset;
  long *count;
  VksBuffer *hyper;            /* UPLOAD, the same layout as the factors in `state` */
  gint64 step;
  VksPlan *plan;               /* the plan the tail was recorded into */
  VksEma *ema;
};

void
vks_optimizer_free (VksOptimizer *opt)
{
  if (opt == NULL)
    return;
  vks_buffer_free (opt->ctx, opt->state);
  vks_buffer_free (opt->ctx, opt->hyper);
  g_free (opt->groups);
  g_free (opt->params);
  g_free (opt->grads);
  g_free (opt->group_of);
  g_free (opt->m_offset);
  g_free (opt->v_offset);
  g_free (opt->count);
  g_free (opt);
}

static gboolean
check_config (const VksGraph *g, const VksNode *params, const VksNode *grads, int n_params,
              const VksOptimizerConfig *c, GError **error)
{
  if (!(c->lr >= 0 && c->beta1 >= 0 && c->beta1 < 1 && c->beta2 >= 0 && c->beta2 < 1 &&
        c->eps > 0 && c->clip >= 0 && c->n_groups >= 0 && (c->n_groups == 0 || c->groups != NULL) &&
        n_params >= 0)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "optimizer: lr %g, betas (%g, %g), eps %g, clip %g or %d groups are out of "
                 "range", c->lr, c->beta1, c->beta2, c->eps, c->clip, c->n_groups);
    return FALSE;
  }
  for (int k = 0; k < c->n_groups; k++)
    if (!(c->groups[k].lr_scale >= 0 && c->groups[k].weight_decay >= 0)) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "optimizer: group %d has lr scale %g and "
                   "weight decay %g; neither may be negative", k, c->groups[k].lr_scale,
                   c->groups[k].weight_decay);
      return FALSE;
    }
  if (c->n_groups == 0 && !(c->weight_decay >= 0)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "optimizer: weight decay %g is negative",
                 c->weight_decay);
    return FALSE;
  }
  int n_nodes = vks_graph_n_nodes (g);
  for (int i = 0; i < n_params; i++) {
    int group = c->group_of ? c->group_of[i] : 0;
    if (params[i] < 0 || params[i] >= n_nodes ||
        vks_node_info (g, params[i])->op != VKS_OP_PARAM ||
        group < 0 || group >= MAX (c->n_groups, 1) ||
        (grads[i] != VKS_NONE && (grads[i] < 0 || grads[i] >= n_nodes ||
                                  !vks_shape_equal (vks_graph_shape (g, grads[i]),
                                                    vks_graph_shape (g, params[i]))))) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                   "optimizer: entry %d is not a parameter with a gradient of its shape and a "
                   "group of the %d", i, MAX (c->n_groups, 1));
      return FALSE;
    }
  }
  return TRUE;
}

VksOptimizer *
vks_optimizer_new (VksContext *ctx, VksGraph *g, const VksNode *params, const VksNode *grads,
                   int n_params, const VksOptimizerConfig *c, GError **error)
{
  if (!vks_graph_check (g, error) || !check_config (g, params, grads, n_params, c, error))
    return NULL;
  g_autoptr (VksOptimizer) opt = g_new0 (VksOptimizer, 1);
  *opt = (VksOptimizer) { .ctx = ctx, .g = g, .kind = c->kind, .lr = c->lr, .beta1 = c->beta1,
                          .beta2 = c->beta2, .eps = c->eps, .clip = c->clip,
                          .n_params = n_params };
  opt->n_groups = MAX (c->n_groups, 1);
  opt->groups = g_new (VksParamGroup, opt->n_groups);
  if (c->n_groups == 0)
    opt->groups[0] = (VksParamGroup) { 1.0, c->weight_decay };
  else
    memcpy (opt->groups, c->groups, sizeof (VksParamGroup) * opt->n_groups);
  opt->params = g_memdup2 (params, sizeof (VksNode) * n_params);
  opt->grads = g_new (VksNode, n_params);
  opt->group_of = g_new0 (int, n_params);
  opt->m_offset = g_new0 (VkDeviceSize, n_params);
  opt->v_offset = g_new0 (VkDeviceSize, n_params);
  opt->count = g_new0 (long, n_params);

  /* Adam reads flat arrays: a gradient in the planes layout gets a dense copy. */
  for (int i = 0; i < n_params; i++)
    opt->grads[i] = grads[i] == VKS_NONE ? VKS_NONE
                                         : vks_as_layout (g, grads[i], VKS_LAYOUT_DENSE);
  if (!vks_graph_check (g, error))
    return NULL;

  VksArena arena;
  vks_arena_init (&arena, ctx);
  opt->hyper_stride = (VKS_ADAM_HYPER_BYTES + arena.alignment - 1) / arena.alignment
                      * arena.alignment;
  vks_arena_reserve (&arena, opt->hyper_stride * opt->n_groups);
  for (int i = 0; i < n_params; i++) {
    opt->group_of[i] = c->group_of ? c->group_of[i] : 0;
    opt->count[i] = vks_shape_elements (vks_graph_shape (g, params[i]));
    if (opt->grads[i] == VKS_NONE)
      continue;
    opt->m_offset[i] = vks_arena_reserve (&arena, opt->count[i] * sizeof (float));
    opt->v_offset[i] = vks_arena_reserve (&arena, opt->count[i] * sizeof (float));
  }
  opt->state = vks_state_buffer_new (ctx, arena.size, "optimizer state", error);
  if (opt->state == NULL)
    return NULL;
  opt->hyper = vks_buffer_new (ctx, opt->hyper_stride * opt->n_groups, VKS_MEMORY_UPLOAD,
                               "optimizer factors", error);
  if (opt->hyper == NULL)
    return NULL;
  return g_steal_pointer (&opt);
}

VksNode *
vks_optimizer_plan_outputs (const VksOptimizer *opt, const VksNode *extra, int n_extra,
                            int *n_outputs)
{
  int n_ema = 0;
  const VksNode *ema = opt->ema ? vks_ema_params (opt->ema, &n_ema) : NULL;
  VksNode *out = g_new (VksNode, n_extra + 2 * opt->n_params + n_ema);
  int n = 0;
  for (int i = 0; i < n_extra; i++)
    out[n++] = extra[i];
  /* The parameters too: one only a gradient reads (a bias of a sum) would not be in the plan. */
  for (int i = 0; i < opt->n_params; i++) {
    out[n++] = opt->params[i];
    if (opt->grads[i] != VKS_NONE)
      out[n++] = opt->grads[i];
  }
  for (int i = 0; i < n_ema; i++)
    out[n++] = ema[i];
  *n_outputs = n;
  return out;
}

VksPlanOptions
vks_optimizer_plan_options (VksOptimizer *opt, VksParamStore *store)
{
  return (VksPlanOptions) { .tail = vks_optimizer_tail, .tail_data = opt,
                            .params_change_on_device = TRUE, .params = store };
}

void
vks_optimizer_attach_ema (VksOptimizer *opt, VksEma *ema)
{
  g_return_if_fail (opt->plan == NULL);
  opt->ema = ema;
}

/* The decay mode of a group; none where its weight decay is 0 (the same numbers, less work). */
static VksAdamDecay
group_decay (const VksOptimizer *opt, int group)
{
  if (opt->groups[group].weight_decay == 0)
    return VKS_ADAM_DECAY_NONE;
  return opt->kind == VKS_OPTIMIZER_ADAMW ? VKS_ADAM_DECAY_DECOUPLED : VKS_ADAM_DECAY_L2;
}

gboolean
vks_optimizer_tail (VksPlan *plan, VksRecorder *rec, gpointer data, GError **error)
{
  VksOptimizer *opt = data;
  if (!vks_state_check_plan (plan, opt->g, opt->plan, "optimizer", error))
    return FALSE;
  if (!vks_plan_params_change_on_device (plan)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "optimizer: the plan must re-pack weights "
                 "in every run (params_change_on_device, vks_optimizer_plan_options)");
    return FALSE;
  }
  /* This step's factors of every group, once for all the dispatches after it. */
  vks_recorder_copy (rec, opt->hyper, 0, opt->state, 0, opt->hyper_stride * opt->n_groups);
  for (int i = 0; i < opt->n_params; i++) {
    if (opt->grads[i] == VKS_NONE)
      continue;
    VksAdamArrays a = {
      .exp_avg = opt->state, .exp_avg_sq = opt->state,
      .exp_avg_offset = opt->m_offset[i], .exp_avg_sq_offset = opt->v_offset[i],
      .count = opt->count[i],
      .hyper_device = opt->state, .hyper_device_offset = opt->group_of[i] * opt->hyper_stride,
      .hyper_ready = TRUE, .decay = group_decay (opt, opt->group_of[i]),
      .rule = opt->kind == VKS_OPTIMIZER_RMSPROP ? VKS_ADAM_RULE_RMSPROP : VKS_ADAM_RULE_ADAM,
      .clip = opt->clip > 0,
    };
    VkDeviceSize bytes;
    vks_plan_storage (plan, opt->params[i], &a.param, &a.param_offset, &bytes);
    vks_plan_storage (plan, opt->grads[i], &a.grad, &a.grad_offset, &bytes);
    if (!vks_adam_record (rec, &a, error))
      return FALSE;
  }
  opt->plan = plan;
  return opt->ema == NULL || vks_ema_tail (plan, rec, opt->ema, error);
}

void
vks_optimizer_set_lr (VksOptimizer *opt, double lr)
{
  opt->lr = lr;
}

double
vks_optimizer_lr (const VksOptimizer *opt)
{
  return opt->lr;
}

gint64
vks_optimizer_step_count (const VksOptimizer *opt)
{
  return opt->step;
}

/* This run's factors of every group into the upload buffer the tail copies from; held: factors
 * under which the shader leaves parameters and moments as they are (m = 1 m + 0 g, v = 1 v +
 * 0 g^2, p = p + 0, a decoupled decay's factor 1). */
static void
write_factors (VksOptimizer *opt, gboolean held)
{
  for (int k = 0; k < opt->n_groups; k++) {
    double lr = opt->lr * opt->groups[k].lr_scale;
    VksAdamHyper h;
    if (held) {
      h = (VksAdamHyper) { .beta1 = 1.0f, .beta2 = 1.0f, .bias2_sqrt = 1.0f, .eps = 1.0f,
                           .decay = group_decay (opt, k) == VKS_ADAM_DECAY_DECOUPLED ? 1.0f
                                                                                      : 0.0f };
    } else {
      if (opt->kind == VKS_OPTIMIZER_RMSPROP)
        vks_rmsprop_hyper_fill (&h, lr, opt->beta2, opt->eps);
      else
        vks_adam_hyper_fill (&h, lr, opt->beta1, opt->beta2, opt->eps, opt->step + 1);
      vks_adam_hyper_set_decay (&h, group_decay (opt, k), lr, opt->groups[k].weight_decay);
    }
    h.clip = (float) opt->clip;
    memcpy ((guint8 *) opt->hyper->mapped + k * opt->hyper_stride, &h, sizeof h);
  }
}

gboolean
vks_optimizer_run (VksOptimizer *opt, GError **error)
{
  gboolean stepping = TRUE;
  return vks_optimizer_run_several (&opt, &stepping, 1, error);
}

gboolean
vks_optimizer_run_several (VksOptimizer *const *opts, const gboolean *stepping, int n,
                           GError **error)
{
  g_return_val_if_fail (n >= 1 && opts[0]->plan != NULL, FALSE);
  for (int i = 0; i < n; i++) {
    g_return_val_if_fail (opts[i]->plan == opts[0]->plan, FALSE);
    write_factors (opts[i], !stepping[i]);
  }
  if (!vks_plan_run (opts[0]->plan, error))
    return FALSE;
  for (int i = 0; i < n; i++)
    if (stepping[i])
      opts[i]->step++;
  return TRUE;
}

gboolean
vks_optimizer_get_moments (VksOptimizer *opt, int i, float *exp_avg, float *exp_avg_sq,
                           GError **error)
{
  g_return_val_if_fail (i >= 0 && i < opt->n_params, FALSE);
  VkDeviceSize bytes = opt->count[i] * sizeof (float);
  if (opt->grads[i] == VKS_NONE) {
    memset (exp_avg, 0, bytes);
    memset (exp_avg_sq, 0, bytes);
    return TRUE;
  }
  return vks_buffer_download (opt->ctx, opt->state, opt->m_offset[i], exp_avg, bytes, error) &&
         vks_buffer_download (opt->ctx, opt->state, opt->v_offset[i], exp_avg_sq, bytes, error);
}

/* ---- checkpoints ---- */

static char *
step_key (const char *scope)
{
  return g_strconcat ("vkstyle.", scope ? scope : "", "optimizer.step", NULL);
}

gboolean
vks_optimizer_save (VksOptimizer *opt, VksCheckpoint *ckpt, const char *scope, GError **error)
{
  g_return_val_if_fail (opt->plan != NULL, FALSE);
  for (int i = 0; i < opt->n_params; i++) {
    VksNode p = opt->params[i];
    const char *name = vks_graph_name (opt->g, p);
    g_autofree char *pname = vks_state_name (scope, "param", name);
    if (!vks_plan_get (opt->plan, p, vks_state_add (ckpt, pname, opt->g, p), error))
      return FALSE;
    if (opt->grads[i] == VKS_NONE)
      continue;
    g_autofree char *mname = vks_state_name (scope, "exp_avg", name);
    g_autofree char *vname = vks_state_name (scope, "exp_avg_sq", name);
    if (!vks_state_save (opt->ctx, opt->state, opt->m_offset[i], opt->g, p, ckpt, mname, error) ||
        !vks_state_save (opt->ctx, opt->state, opt->v_offset[i], opt->g, p, ckpt, vname, error))
      return FALSE;
  }
  g_autofree char *key = step_key (scope);
  g_autofree char *step = g_strdup_printf ("%" G_GINT64_FORMAT, opt->step);
  vks_checkpoint_set_metadata (ckpt, key, step);
  return TRUE;
}

gboolean
vks_optimizer_load (VksOptimizer *opt, const VksCheckpoint *ckpt, const char *scope,
                    GError **error)
{
  g_return_val_if_fail (opt->plan != NULL, FALSE);
  g_autofree char *key = step_key (scope);
  const char *text = vks_checkpoint_get_metadata (ckpt, key);
  guint64 step;
  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &step, NULL)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "the checkpoint has no valid step count \"%s\"", key);
    return FALSE;
  }
  /* Every tensor checked before the first is used: a bad file changes nothing. */
  static const char *const kinds[] = { "param", "exp_avg", "exp_avg_sq" };
  int n = opt->n_params;
  g_autofree const VksCheckpointTensor **found = g_new0 (const VksCheckpointTensor *, 3 * n);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < (opt->grads[i] == VKS_NONE ? 1 : 3); k++) {
      g_autofree char *name = vks_state_name (scope, kinds[k],
                                              vks_graph_name (opt->g, opt->params[i]));
      found[3 * i + k] = vks_checkpoint_get_shaped (ckpt, name,
                                                    vks_graph_shape (opt->g, opt->params[i]),
                                                    error);
      if (found[3 * i + k] == NULL)
        return FALSE;
    }
  for (int i = 0; i < n; i++) {
    if (!vks_plan_set (opt->plan, opt->params[i], found[3 * i]->data, error))
      return FALSE;
    VkDeviceSize bytes = opt->count[i] * sizeof (float);
    if (opt->grads[i] != VKS_NONE &&
        (!vks_buffer_upload (opt->ctx, opt->state, opt->m_offset[i], found[3 * i + 1]->data,
                             bytes, error) ||
         !vks_buffer_upload (opt->ctx, opt->state, opt->v_offset[i], found[3 * i + 2]->data,
                             bytes, error)))
      return FALSE;
  }
  opt->step = (gint64) step;
  return TRUE;
}

/* ---- shared with ema.c ---- */

VksBuffer *
vks_state_buffer_new (VksContext *ctx, VkDeviceSize bytes, const char *what, GError **error)
{
  VksBuffer *buf = vks_buffer_new (ctx, MAX (bytes, 16), VKS_MEMORY_DEVICE, what, error);
  if (buf == NULL)
    return NULL;
  g_autoptr (VksRecorder) zero = vks_recorder_new (ctx, error);
  if (zero != NULL) {
    vks_recorder_fill (zero, buf, 0, VK_WHOLE_SIZE, 0);
    if (vks_recorder_finish (zero, error) && vks_recorder_run (zero, error))
      return buf;
  }
  vks_buffer_free (ctx, buf);
  return NULL;
}

gboolean
vks_state_check_plan (VksPlan *plan, const VksGraph *g, VksPlan *bound, const char *who,
                      GError **error)
{
  if (vks_plan_graph (plan) == g && (bound == NULL || bound == plan))
    return TRUE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
               "%s: the plan is of another graph, or it is in another plan already", who);
  return FALSE;
}

char *
vks_state_name (const char *scope, const char *kind, const char *name)
{
  return g_strconcat (scope ? scope : "", kind, ".", name, NULL);
}

float *
vks_state_add (VksCheckpoint *ckpt, const char *name, const VksGraph *g, VksNode param)
{
  VksShape s = vks_graph_shape (g, param);
  int64_t dims[4] = { s.n, s.c, s.h, s.w };
  int rank = vks_graph_param_rank (g, param);
  return vks_checkpoint_add_tensor (ckpt, name, rank, dims + 4 - rank, NULL)->data;
}

gboolean
vks_state_save (VksContext *ctx, const VksBuffer *buf, VkDeviceSize offset, const VksGraph *g,
                VksNode param, VksCheckpoint *ckpt, const char *name, GError **error)
{
  return vks_buffer_download (ctx, buf, offset, vks_state_add (ckpt, name, g, param),
                              vks_shape_elements (vks_graph_shape (g, param)) * sizeof (float),
                              error);
}
