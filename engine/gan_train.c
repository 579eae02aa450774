#include "engine/gan_train.h"

#include <string.h>

#include "engine/error.h"
#include "engine/nn/param_store.h"

/* One step's plan with Adam as its tail, and where its running statistics go back to. */
typedef struct {
  VksGanStepGraph *s;
  VksOptimizer *opt;
  VksPlan *plan;
  int *store_index;          /* per update: the store entry of its parameter */
  float *scratch;            /* the largest update's values */
} Step;

struct VksGanTrainer {
  VksContext *ctx;
  VksGanTrainOptions opts;
  VksDcganStep graphs;
  VksParamStore *store;
  Step d, g;
  VksPlan *sample;
};

static void
step_clear (Step *st)
{
  vks_plan_free (st->plan);
  vks_optimizer_free (st->opt);
  g_free (st->store_index);
  g_free (st->scratch);
}

void
vks_gan_trainer_free (VksGanTrainer *tr)
{
  if (tr == NULL)
    return;
  step_clear (&tr->d);
  step_clear (&tr->g);
  vks_plan_free (tr->sample);
  vks_param_store_free (tr->store);
  vks_dcgan_step_clear (&tr->graphs);
  g_free (tr);
}

static gboolean
step_new (VksGanTrainer *tr, Step *st, VksGanStepGraph *s, double lr, double clip,
          GError **error)
{
  const VksGanTrainOptions *o = &tr->opts;
  st->s = s;
  VksOptimizerConfig config = { .kind = o->optimizer, .lr = lr, .beta1 = o->beta1,
                                .beta2 = o->beta2, .eps = 1e-8, .clip = clip };
  st->opt = vks_optimizer_new (tr->ctx, s->graph, s->params, s->grads, s->n_params, &config,
                               error);
  if (st->opt == NULL)
    return FALSE;
  /* the losses, then the running statistics' new values */
  guint n_updates = s->updates->len;
  g_autofree VksNode *extra = g_new (VksNode, VKS_GAN_N_LOSSES + n_updates + 1);
  int n_extra = 0;
  for (int i = 0; i < VKS_GAN_N_LOSSES; i++)
    if (s->loss[i] != VKS_NONE)
      extra[n_extra++] = s->loss[i];
  st->store_index = g_new (int, n_updates + 1);
  long largest = 0;
  for (guint i = 0; i < n_updates; i++) {
    VksRunningUpdate u = g_array_index (s->updates, VksRunningUpdate, i);
    extra[n_extra++] = u.value;
    st->store_index[i] = vks_param_store_find (tr->store, vks_graph_name (s->graph, u.param));
    largest = MAX (largest, vks_shape_elements (vks_graph_shape (s->graph, u.value)));
  }
  st->scratch = g_new (float, largest + 1);
  int n_out = 0;
  g_autofree VksNode *outs = vks_optimizer_plan_outputs (st->opt, extra, n_extra, &n_out);
  VksPlanOptions popts = vks_optimizer_plan_options (st->opt, tr->store);
  popts.readback = extra;
  popts.n_readback = n_extra;
  st->plan = vks_plan_new (tr->ctx, s->graph, outs, n_out, &popts, error);
  return st->plan != NULL;
}

VksGanTrainer *
vks_gan_trainer_new (VksContext *ctx, const VksGanTrainOptions *opts, GError **error)
{
  g_autoptr (VksGanTrainer) tr = g_new0 (VksGanTrainer, 1);
  tr->ctx = ctx;
  tr->opts = *opts;
  VksDcganStepConfig cfg = { .net = opts->net, .mode = opts->mode, .wasserstein = opts->wasserstein,
                             .wgan_gp = opts->wgan_gp, .gp_lambda = 10.0f,
                             .info_lambda = opts->info_lambda, .info_mse = opts->info_mse,
                             .batch = opts->batch,
                             .sample_count = opts->sample_count };
  if (!vks_dcgan_step_build (&tr->graphs, &cfg, error))
    return NULL;
  VksGraph *graphs[] = { tr->graphs.d.graph, tr->graphs.g.graph, tr->graphs.sample };
  tr->store = vks_param_store_new (ctx, graphs, G_N_ELEMENTS (graphs), error);
  if (tr->store == NULL || !step_new (tr, &tr->d, &tr->graphs.d, 2e-4, opts->clip, error) ||
      !step_new (tr, &tr->g, &tr->graphs.g, 2e-4, 0, error))
    return NULL;
  VksPlanOptions sopts = { .params = tr->store, .readback = &tr->graphs.sample_out,
                           .n_readback = 1 };
  tr->sample = vks_plan_new (ctx, tr->graphs.sample, &tr->graphs.sample_out, 1, &sopts, error);
  if (tr->sample == NULL)
    return NULL;
  return g_steal_pointer (&tr);
}

static const char *
prefix_of (gboolean generator)
{
  return generator ? VKS_GAN_PREFIX_G : VKS_GAN_PREFIX_D;
}

/* One network's initial values, as weights_init draws them (its modules in order). */
static gboolean
init_net (VksGanTrainer *tr, const VksGanStepGraph *s, const char *prefix,
          float (*normal) (gpointer), gpointer rng, GError **error)
{
  int n = 0;
  g_autofree VksNode *params = vks_graph_params (s->graph, &n);
  g_autoptr (VksCheckpoint) init = vks_checkpoint_new ();
  for (int i = 0; i < n; i++) {
    const char *name = vks_graph_name (s->graph, params[i]);
    if (!g_str_has_prefix (name, prefix))
      continue;
    VksShape shape = vks_graph_shape (s->graph, params[i]);
    long count = vks_shape_elements (shape);
    g_autofree float *values = g_new0 (float, count);
    int rank = vks_graph_param_rank (s->graph, params[i]);
    gboolean bn_weight = rank == 1 && g_str_has_suffix (name, ".weight");
    if (rank == 4 || bn_weight)
      for (long k = 0; k < count; k++)
        values[k] = (bn_weight ? 1.0f : 0.0f) + 0.02f * normal (rng);
    else if (g_str_has_suffix (name, ".running_var"))
      for (long k = 0; k < count; k++)
        values[k] = 1.0f;
    int64_t all[4] = { shape.n, shape.c, shape.h, shape.w };
    vks_checkpoint_add_tensor (init, name + strlen (prefix), rank, all + 4 - rank, values);
  }
  return vks_param_store_load (tr->store, init, prefix, error);
}

gboolean
vks_gan_trainer_init_normal (VksGanTrainer *tr, float (*normal) (gpointer), gpointer rng,
                             GError **error)
{
  /* The generator step's graph holds every parameter of both networks. */
  return init_net (tr, &tr->graphs.g, VKS_GAN_PREFIX_G, normal, rng, error) &&
         init_net (tr, &tr->graphs.g, VKS_GAN_PREFIX_D, normal, rng, error);
}

gboolean
vks_gan_trainer_load_net (VksGanTrainer *tr, gboolean generator, const VksCheckpoint *ckpt,
                          GError **error)
{
  return vks_gan_check_tensors (ckpt, &tr->opts.net, generator, error) &&
         vks_param_store_load (tr->store, ckpt, prefix_of (generator), error);
}

gboolean
vks_gan_trainer_save_net (VksGanTrainer *tr, gboolean generator, VksCheckpoint *ckpt,
                          GError **error)
{
  return vks_param_store_save (tr->store, ckpt, prefix_of (generator), error);
}

gboolean
vks_gan_trainer_save_state (VksGanTrainer *tr, VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_save (tr->g.opt, ckpt, "G.", error) &&
         vks_optimizer_save (tr->d.opt, ckpt, "D.", error);
}

gboolean
vks_gan_trainer_load_state (VksGanTrainer *tr, const VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_load (tr->g.opt, ckpt, "G.", error) &&
         vks_optimizer_load (tr->d.opt, ckpt, "D.", error);
}

/* Runs the step, reads its losses and copies its running statistics back into the store. */
static gboolean
step_run (VksGanTrainer *tr, Step *st, double lr, float losses[VKS_GAN_N_LOSSES],
          GError **error)
{
  vks_optimizer_set_lr (st->opt, lr);
  if (!vks_optimizer_run (st->opt, error))
    return FALSE;
  for (int i = 0; i < VKS_GAN_N_LOSSES; i++)
    if (st->s->loss[i] != VKS_NONE && !vks_plan_get (st->plan, st->s->loss[i], &losses[i], error))
      return FALSE;
  for (guint i = 0; i < st->s->updates->len; i++) {
    VksRunningUpdate u = g_array_index (st->s->updates, VksRunningUpdate, i);
    if (!vks_plan_get (st->plan, u.value, st->scratch, error) ||
        !vks_param_store_set (tr->store, st->store_index[i], st->scratch, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_gan_trainer_d_step (VksGanTrainer *tr, const float *real, const float *z, const float *eps,
                        double lr, float losses[VKS_GAN_N_LOSSES], GError **error)
{
  VksGanStepGraph *s = &tr->graphs.d;
  if (!vks_plan_set (tr->d.plan, s->real, real, error) ||
      !vks_plan_set (tr->d.plan, s->z, z, error) ||
      (s->eps != VKS_NONE && !vks_plan_set (tr->d.plan, s->eps, eps, error)))
    return FALSE;
  return step_run (tr, &tr->d, lr, losses, error);
}

gboolean
vks_gan_trainer_g_step (VksGanTrainer *tr, const float *z, double lr,
                        float losses[VKS_GAN_N_LOSSES], GError **error)
{
  return vks_plan_set (tr->g.plan, tr->graphs.g.z, z, error) &&
         step_run (tr, &tr->g, lr, losses, error);
}

gboolean
vks_gan_trainer_sample (VksGanTrainer *tr, const float *z, float *images, GError **error)
{
  return vks_plan_set (tr->sample, tr->graphs.sample_z, z, error) &&
         vks_plan_run (tr->sample, error) &&
         vks_plan_get (tr->sample, tr->graphs.sample_out, images, error);
}
