/* The context U-Net's training step (diffusion_step.h): one graph, one plan with Adam's tail. */
#include "engine/models/diffusion_step.h"

#include <math.h>

#include "engine/error.h"
#include "engine/models/diffusion.h"
#include "engine/nn/optimizer.h"
#include "engine/nn/param_store.h"

struct VksDiffusionTrainer {
  VksUnetConfig cfg;
  int batch;
  VksNoiseSchedule *schedule;
  VksGraph *graph;
  VksNode x0, noise, sa, sn, t, c, loss;
  GArray *updates;             /* VksUnetRunningUpdate */
  int *store_index;            /* of each update's parameter */
  float *scratch;
  VksParamStore *store;
  VksOptimizer *opt;
  VksPlan *plan;
};

void
vks_diffusion_trainer_free (VksDiffusionTrainer *tr)
{
  if (tr == NULL)
    return;
  vks_plan_free (tr->plan);
  vks_optimizer_free (tr->opt);
  vks_param_store_free (tr->store);
  vks_graph_free (tr->graph);
  if (tr->updates != NULL)
    g_array_free (tr->updates, TRUE);
  vks_noise_schedule_free (tr->schedule);
  g_free (tr->store_index);
  g_free (tr->scratch);
  g_free (tr);
}

VksDiffusionTrainer *
vks_diffusion_trainer_new (VksContext *ctx, const VksUnetConfig *cfg, int batch, GError **error)
{
  g_autoptr (VksDiffusionTrainer) tr = g_new0 (VksDiffusionTrainer, 1);
  tr->cfg = *cfg;
  tr->batch = batch;
  tr->schedule = vks_noise_schedule_new (cfg);
  tr->updates = g_array_new (FALSE, FALSE, sizeof (VksUnetRunningUpdate));
  VksGraph *g = tr->graph = vks_graph_new ();
  int h = cfg->height;
  VksShape img = vks_shape (batch, cfg->in_channels, h, h), per = vks_shape (batch, 1, 1, 1);
  tr->x0 = vks_input (g, "x0", img);
  tr->noise = vks_input (g, "noise", img);
  tr->sa = vks_input (g, "sqrt_abar", per);
  tr->sn = vks_input (g, "sqrt_one_minus_abar", per);
  tr->t = vks_input (g, "t", vks_shape (1, 1, batch, 1));
  tr->c = vks_input (g, "c", vks_shape (1, 1, batch, cfg->n_cfeat));
  VksNode xt = vks_add (g, vks_mul (g, tr->sa, tr->x0), vks_mul (g, tr->sn, tr->noise));
  VksNode eps = vks_context_unet (g, xt, tr->t, tr->c, cfg, TRUE, NULL, tr->updates);
  tr->loss = vks_mean (g, vks_square (g, vks_sub (g, eps, tr->noise)));
  int n = 0;
  g_autofree VksNode *params = vks_graph_params (g, &n);
  g_autofree VksNode *grads = g_new (VksNode, n);
  vks_grad (g, tr->loss, params, n, grads);
  if (!vks_graph_check (g, error) ||
      (tr->store = vks_param_store_new (ctx, &tr->graph, 1, error)) == NULL)
    return NULL;
  VksOptimizerConfig oc = { .kind = VKS_OPTIMIZER_ADAM, .lr = 1e-3, .beta1 = 0.9,
                            .beta2 = 0.999, .eps = 1e-8 };
  if ((tr->opt = vks_optimizer_new (ctx, g, params, grads, n, &oc, error)) == NULL)
    return NULL;
  /* the loss, then the running statistics' new values */
  guint nu = tr->updates->len;
  g_autofree VksNode *extra = g_new (VksNode, nu + 1);
  extra[0] = tr->loss;
  tr->store_index = g_new (int, nu + 1);
  long largest = 1;
  for (guint i = 0; i < nu; i++) {
    VksUnetRunningUpdate u = g_array_index (tr->updates, VksUnetRunningUpdate, i);
    extra[i + 1] = u.value;
    tr->store_index[i] = vks_param_store_find (tr->store, vks_graph_name (g, u.param));
    largest = MAX (largest, vks_shape_elements (vks_graph_shape (g, u.value)));
  }
  tr->scratch = g_new (float, largest);
  int n_out = 0;
  g_autofree VksNode *outs = vks_optimizer_plan_outputs (tr->opt, extra, nu + 1, &n_out);
  VksPlanOptions po = vks_optimizer_plan_options (tr->opt, tr->store);
  po.readback = extra;
  po.n_readback = nu + 1;
  if ((tr->plan = vks_plan_new (ctx, g, outs, n_out, &po, error)) == NULL)
    return NULL;
  return g_steal_pointer (&tr);
}

gboolean
vks_diffusion_trainer_load (VksDiffusionTrainer *tr, const VksCheckpoint *ckpt, GError **error)
{
  return vks_unet_check_tensors (ckpt, &tr->cfg, error) &&
         vks_param_store_load (tr->store, ckpt, NULL, error);
}

gboolean
vks_diffusion_trainer_save (VksDiffusionTrainer *tr, VksCheckpoint *ckpt, GError **error)
{
  vks_unet_config_to_metadata (&tr->cfg, ckpt);
  return vks_param_store_save (tr->store, ckpt, NULL, error);
}

gboolean
vks_diffusion_trainer_step (VksDiffusionTrainer *tr, const float *x0, const float *noise,
                            const int *t, const float *c, double lr, float *loss, GError **error)
{
  int n = tr->batch, T = tr->cfg.timesteps;
  g_autofree float *sa = g_new (float, n), *sn = g_new (float, n), *tt = g_new (float, n);
  for (int i = 0; i < n; i++) {
    if (t[i] < 1 || t[i] > T) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "timestep %d is outside 1 .. %d", t[i], T);
      return FALSE;
    }
    double ab = tr->schedule->alpha_bar[t[i]];
    sa[i] = (float) sqrt (ab);
    sn[i] = (float) sqrt (1.0 - ab);
    tt[i] = (float) ((double) t[i] / T);
  }
  vks_optimizer_set_lr (tr->opt, lr);
  if (!vks_plan_set (tr->plan, tr->x0, x0, error) ||
      !vks_plan_set (tr->plan, tr->noise, noise, error) ||
      !vks_plan_set (tr->plan, tr->sa, sa, error) || !vks_plan_set (tr->plan, tr->sn, sn, error) ||
      !vks_plan_set (tr->plan, tr->t, tt, error) || !vks_plan_set (tr->plan, tr->c, c, error) ||
      !vks_optimizer_run (tr->opt, error) ||
      (loss != NULL && !vks_plan_get (tr->plan, tr->loss, loss, error)))
    return FALSE;
  for (guint i = 0; i < tr->updates->len; i++) {
    VksUnetRunningUpdate u = g_array_index (tr->updates, VksUnetRunningUpdate, i);
    if (!vks_plan_get (tr->plan, u.value, tr->scratch, error) ||
        !vks_param_store_set (tr->store, tr->store_index[i], tr->scratch, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_diffusion_trainer_save_state (VksDiffusionTrainer *tr, VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_save (tr->opt, ckpt, NULL, error);
}

gboolean
vks_diffusion_trainer_load_state (VksDiffusionTrainer *tr, const VksCheckpoint *ckpt,
                                  GError **error)
{
  return vks_optimizer_load (tr->opt, ckpt, NULL, error);
}
