#include "engine/models/stargan2_train.h"

#include <string.h>

#include "engine/error.h"
#include "engine/nn/param_store.h"

const char *const vks_stargan2_loss_names[VKS_SG2_N_LOSSES] = {
  "D/latent_real", "D/latent_fake", "D/latent_reg", "D/ref_real", "D/ref_fake", "D/ref_reg",
  "G/latent_adv", "G/latent_sty", "G/latent_ds", "G/latent_cyc",
  "G/ref_adv", "G/ref_sty", "G/ref_ds", "G/ref_cyc",
};

/* The optimisers, as the reference's optims: one per network. */
enum { OPT_G, OPT_M, OPT_E, OPT_D, N_OPTS };
static const char *const opt_scopes[N_OPTS] = {
  "optim.generator.", "optim.mapping_network.", "optim.style_encoder.",
  "optim.discriminator.",
};

struct VksStarGan2Trainer {
  VksContext *ctx;
  VksStarGan2TrainOptions o;
  VksStarGan2Step graphs;
  VksParamStore *store;
  VksOptimizer *opt[N_OPTS];
  VksEma *ema;
  VksPlan *d_plan, *g_plan;
  float *rows_org, *rows_trg;
};

void
vks_stargan2_train_options_default (VksStarGan2TrainOptions *o,
                                    const VksStarGan2StepConfig *step)
{
  *o = (VksStarGan2TrainOptions) { .step = *step, .lr = 1e-4, .f_lr = 1e-6, .beta1 = 0.0,
                                   .beta2 = 0.99, .weight_decay = 1e-4, .ema_beta = 0.999 };
}

void
vks_stargan2_trainer_free (VksStarGan2Trainer *tr)
{
  if (tr == NULL)
    return;
  vks_plan_free (tr->d_plan);
  vks_plan_free (tr->g_plan);
  for (int k = 0; k < N_OPTS; k++)
    vks_optimizer_free (tr->opt[k]);
  vks_ema_free (tr->ema);
  vks_param_store_free (tr->store);
  vks_stargan2_step_clear (&tr->graphs);
  g_free (tr->rows_org);
  g_free (tr->rows_trg);
  g_free (tr);
}

/* The optimiser of network `net` over those of s's parameters that belong to it. */
static VksOptimizer *
optimizer_for (VksStarGan2Trainer *tr, const VksStarGan2StepGraph *s, int net, GError **error)
{
  g_autofree VksNode *params = g_new (VksNode, s->n_params + 1);
  g_autofree VksNode *grads = g_new (VksNode, s->n_params + 1);
  int n = 0;
  for (int i = 0; i < s->n_params; i++)
    if (vks_stargan2_network_of (vks_graph_name (s->graph, s->params[i])) == net) {
      params[n] = s->params[i];
      grads[n++] = s->grads[i];
    }
  VksOptimizerConfig c = { .kind = VKS_OPTIMIZER_ADAM,
                           .lr = net == OPT_M ? tr->o.f_lr : tr->o.lr, .beta1 = tr->o.beta1,
                           .beta2 = tr->o.beta2, .eps = 1e-8,
                           .weight_decay = tr->o.weight_decay };
  return vks_optimizer_new (tr->ctx, s->graph, params, grads, n, &c, error);
}

/* The generator graph's tail: the mapping network's and style encoder's updates, then the
 * generator's with the average after it (all from gradients of the same forward pass). */
static gboolean
generator_tail (VksPlan *plan, VksRecorder *rec, gpointer data, GError **error)
{
  VksStarGan2Trainer *tr = data;
  return vks_optimizer_tail (plan, rec, tr->opt[OPT_M], error) &&
         vks_optimizer_tail (plan, rec, tr->opt[OPT_E], error) &&
         vks_optimizer_tail (plan, rec, tr->opt[OPT_G], error);
}

/* The outputs of a plan whose tail records opts[0..n): the losses, every parameter and
 * gradient they read (each once). */
static VksNode *
plan_outputs (VksOptimizer *const *opts, int n, const VksNode *losses, int n_losses,
              int *n_out)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (VksNode));
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  for (int k = 0; k < n; k++) {
    int m = 0;
    g_autofree VksNode *outs = vks_optimizer_plan_outputs (opts[k], k == 0 ? losses : NULL,
                                                           k == 0 ? n_losses : 0, &m);
    for (int i = 0; i < m; i++)
      if (g_hash_table_add (seen, GINT_TO_POINTER (outs[i] + 1)))
        g_array_append_val (all, outs[i]);
  }
  *n_out = (int) all->len;
  return (VksNode *) g_array_free (all, FALSE);
}

static gboolean
plans_new (VksStarGan2Trainer *tr, GError **error)
{
  VksStarGan2StepGraph *d = &tr->graphs.d, *g = &tr->graphs.g;
  int n_out = 0;
  g_autofree VksNode *d_out = plan_outputs (&tr->opt[OPT_D], 1, d->loss, VKS_SG2_D_N, &n_out);
  VksPlanOptions dopts = vks_optimizer_plan_options (tr->opt[OPT_D], tr->store);
  dopts.readback = d->loss;
  dopts.n_readback = VKS_SG2_D_N;
  tr->d_plan = vks_plan_new (tr->ctx, d->graph, d_out, n_out, &dopts, error);
  if (tr->d_plan == NULL)
    return FALSE;

  VksOptimizer *gen[] = { tr->opt[OPT_G], tr->opt[OPT_M], tr->opt[OPT_E] };
  g_autofree VksNode *g_out = plan_outputs (gen, 3, g->loss, VKS_SG2_G_N, &n_out);
  VksPlanOptions gopts = vks_optimizer_plan_options (tr->opt[OPT_G], tr->store);
  gopts.tail = generator_tail;
  gopts.tail_data = tr;
  gopts.readback = g->loss;
  gopts.n_readback = VKS_SG2_G_N;
  tr->g_plan = vks_plan_new (tr->ctx, g->graph, g_out, n_out, &gopts, error);
  return tr->g_plan != NULL;
}

VksStarGan2Trainer *
vks_stargan2_trainer_new (VksContext *ctx, const VksStarGan2TrainOptions *o, GError **error)
{
  g_autoptr (VksStarGan2Trainer) tr = g_new0 (VksStarGan2Trainer, 1);
  tr->ctx = ctx;
  tr->o = *o;
  tr->o.step.net.has_discriminator = TRUE;
  if (!vks_stargan2_step_build (&tr->graphs, &tr->o.step, error))
    return NULL;
  VksGraph *graphs[] = { tr->graphs.d.graph, tr->graphs.g.graph };
  tr->store = vks_param_store_new (ctx, graphs, G_N_ELEMENTS (graphs), error);
  if (tr->store == NULL)
    return NULL;
  for (int k = 0; k < N_OPTS; k++) {
    tr->opt[k] = optimizer_for (tr, k == OPT_D ? &tr->graphs.d : &tr->graphs.g, k, error);
    if (tr->opt[k] == NULL)
      return NULL;
  }
  /* the average of what the generator graph trains: G, the mapping network, the encoder */
  const VksStarGan2StepGraph *g = &tr->graphs.g;
  tr->ema = vks_ema_new (ctx, g->graph, g->params, g->n_params, o->ema_beta, error);
  if (tr->ema == NULL)
    return NULL;
  vks_optimizer_attach_ema (tr->opt[OPT_G], tr->ema);
  tr->rows_org = g_new (float, o->step.batch);
  tr->rows_trg = g_new (float, o->step.batch);
  if (!plans_new (tr, error) || !vks_param_store_ready (tr->store, error))
    return NULL;
  return g_steal_pointer (&tr);
}

VksParamStore *
vks_stargan2_trainer_store (VksStarGan2Trainer *tr)
{
  return tr->store;
}

VksEma *
vks_stargan2_trainer_ema (VksStarGan2Trainer *tr)
{
  return tr->ema;
}

const VksStarGan2Step *
vks_stargan2_trainer_graphs (const VksStarGan2Trainer *tr)
{
  return &tr->graphs;
}

gboolean
vks_stargan2_trainer_load_params (VksStarGan2Trainer *tr, const VksCheckpoint *ckpt,
                                  GError **error)
{
  return vks_param_store_load (tr->store, ckpt, NULL, error);
}

gboolean
vks_stargan2_trainer_load_ema (VksStarGan2Trainer *tr, const VksCheckpoint *ckpt,
                               const char *scope, GError **error)
{
  return vks_ema_load (tr->ema, ckpt, scope, error);
}

static gboolean
set_scalar (VksPlan *plan, VksNode node, double value, GError **error)
{
  float v = (float) value;
  return vks_plan_set (plan, node, &v, error);
}

/* The inputs both graphs share. */
static gboolean
set_common (VksStarGan2Trainer *tr, VksPlan *plan, const VksStarGan2StepGraph *s,
            const VksStarGan2Batch *b, GError **error)
{
  return vks_plan_set (plan, s->x_real, b->x_real, error) &&
         vks_plan_set (plan, s->rows_org, tr->rows_org, error) &&
         vks_plan_set (plan, s->rows_trg, tr->rows_trg, error) &&
         vks_plan_set (plan, s->z, b->z, error) && vks_plan_set (plan, s->x_ref, b->x_ref, error);
}

static gboolean
read_losses (VksPlan *plan, const VksNode *nodes, int n, float *losses, GError **error)
{
  for (int i = 0; i < n; i++)
    if (!vks_plan_get (plan, nodes[i], &losses[i], error))
      return FALSE;
  return TRUE;
}

gboolean
vks_stargan2_trainer_iteration (VksStarGan2Trainer *tr, const VksStarGan2Batch *b,
                                double lambda_ds, float losses[VKS_SG2_N_LOSSES],
                                GError **error)
{
  const VksStarGan2StepConfig *c = &tr->o.step;
  vks_stargan2_domain_rows (b->y_org, c->batch, c->net.num_domains, tr->rows_org);
  vks_stargan2_domain_rows (b->y_trg, c->batch, c->net.num_domains, tr->rows_trg);
  const VksStarGan2StepGraph *d = &tr->graphs.d, *g = &tr->graphs.g;
  if (!set_common (tr, tr->d_plan, d, b, error))
    return FALSE;
  for (int pass = 0; pass < 2; pass++)   /* latent-guided, then reference-guided */
    if (!set_scalar (tr->d_plan, d->latent, pass == 0, error) ||
        !vks_optimizer_run (tr->opt[OPT_D], error) ||
        !read_losses (tr->d_plan, d->loss, VKS_SG2_D_N, losses + pass * VKS_SG2_D_N, error))
      return FALSE;

  if (!set_common (tr, tr->g_plan, g, b, error) ||
      !vks_plan_set (tr->g_plan, g->z2, b->z2, error) ||
      !vks_plan_set (tr->g_plan, g->x_ref2, b->x_ref2, error) ||
      !set_scalar (tr->g_plan, g->lambda_ds, lambda_ds, error))
    return FALSE;
  VksOptimizer *opts[] = { tr->opt[OPT_G], tr->opt[OPT_M], tr->opt[OPT_E] };
  for (int pass = 0; pass < 2; pass++) {
    /* the reference-guided step updates the generator only; the average moves once, after it
     * (beta 1 leaves it exactly as it is) */
    gboolean stepping[] = { TRUE, pass == 0, pass == 0 };
    float *out = losses + 2 * VKS_SG2_D_N + pass * VKS_SG2_G_N;
    if (!set_scalar (tr->g_plan, g->latent, pass == 0, error) ||
        !vks_ema_set_beta (tr->ema, pass == 0 ? 1.0 : tr->o.ema_beta, error) ||
        !vks_optimizer_run_several (opts, stepping, 3, error) ||
        !read_losses (tr->g_plan, g->loss, VKS_SG2_G_N, out, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_stargan2_trainer_export (VksStarGan2Trainer *tr, VksCheckpoint *ckpt, GError **error)
{
  const VksStarGan2StepGraph *g = &tr->graphs.g;
  for (int i = 0; i < g->n_params; i++) {
    VksNode p = g->params[i];
    VksShape s = vks_graph_shape (g->graph, p);
    int rank = vks_graph_param_rank (g->graph, p);
    int64_t dims[4] = { s.n, s.c, s.h, s.w };
    VksCheckpointTensor *t = vks_checkpoint_add_tensor (ckpt, vks_graph_name (g->graph, p), rank,
                                                        dims + 4 - rank, NULL);
    if (!vks_ema_get (tr->ema, p, t->data, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_stargan2_trainer_save_state (VksStarGan2Trainer *tr, VksCheckpoint *ckpt, GError **error)
{
  for (int k = 0; k < N_OPTS; k++)
    if (!vks_optimizer_save (tr->opt[k], ckpt, opt_scopes[k], error))
      return FALSE;
  return vks_ema_save (tr->ema, ckpt, NULL, error);
}

gboolean
vks_stargan2_trainer_load_state (VksStarGan2Trainer *tr, const VksCheckpoint *ckpt,
                                 GError **error)
{
  for (int k = 0; k < N_OPTS; k++)
    if (!vks_optimizer_load (tr->opt[k], ckpt, opt_scopes[k], error))
      return FALSE;
  return vks_ema_load (tr->ema, ckpt, NULL, error);
}
