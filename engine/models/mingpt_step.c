/* The minGPT prior's training step (mingpt_step.h): one graph, one plan with AdamW's tail. The
 * targets come in as one-hot rows, so the cross entropy is log-sum-exp minus the picked logit,
 * both differentiable by the graph's own rules. */
#include "engine/models/mingpt_step.h"

#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/nn/optimizer.h"
#include "engine/nn/param_store.h"

#define INIT_STD 0.02

struct VksMinGptTrainer {
  VksMinGptTrainConfig cfg;
  VksGraph *graph;
  VksNode idx, target, loss;
  VksParamStore *store;
  VksOptimizer *opt;
  VksPlan *plan;
  float *idx_values, *onehot;
};

void
vks_mingpt_trainer_free (VksMinGptTrainer *tr)
{
  if (tr == NULL)
    return;
  vks_plan_free (tr->plan);
  vks_optimizer_free (tr->opt);
  vks_param_store_free (tr->store);
  vks_graph_free (tr->graph);
  g_free (tr->idx_values);
  g_free (tr->onehot);
  g_free (tr);
}

/* configure_optimizers' decay set: the weights of the Linear layers (attention, MLP, head);
 * LayerNorm and Embedding weights, biases and pos_emb are the no-decay set. */
static gboolean
decays (const char *name)
{
  return g_str_has_suffix (name, ".weight") && strstr (name, "ln") == NULL &&
         strcmp (name, "tok_emb.weight") != 0;
}

/* F.cross_entropy(logits, target) averaged over the rows: log-sum-exp (shifted by the row's
 * mean, which changes neither value nor gradient and keeps exp in range) minus the target's
 * logit. */
static VksNode
cross_entropy (VksGraph *g, VksNode logits, VksNode onehot)
{
  VksShape s = vks_graph_shape (g, logits);
  VksShape rows = vks_shape (s.n, s.c, s.h, 1);
  VksNode shift = vks_stop_gradient (g, vks_mean_to (g, logits, rows));
  VksNode e = vks_exp (g, vks_sub (g, logits, shift));
  VksNode lse = vks_add (g, vks_log (g, vks_sum_to (g, e, rows)), shift);
  VksNode picked = vks_sum_to (g, vks_mul (g, onehot, logits), rows);
  return vks_mean (g, vks_sub (g, lse, picked));
}

VksMinGptTrainer *
vks_mingpt_trainer_new (VksContext *ctx, const VksMinGptTrainConfig *cfg, GError **error)
{
  g_autoptr (VksMinGptTrainer) tr = g_new0 (VksMinGptTrainer, 1);
  tr->cfg = *cfg;
  int b = cfg->batch, t = cfg->length, v = cfg->net.vocab_size;
  if (b < 1 || t < 1 || t > cfg->net.block_size) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "minGPT training: batch %d of %d codes "
                 "(at most the block size %d)", b, t, cfg->net.block_size);
    return NULL;
  }
  VksGraph *g = tr->graph = vks_graph_new ();
  tr->idx = vks_input (g, "idx", vks_shape (1, b, 1, t));
  tr->target = vks_input (g, "target", vks_shape (1, b, t, v));
  tr->loss = cross_entropy (g, vks_mingpt_logits (g, &cfg->net, NULL, tr->idx), tr->target);
  int n = 0;
  g_autofree VksNode *params = vks_graph_params (g, &n);
  g_autofree VksNode *grads = g_new (VksNode, n + 1);
  g_autofree int *group_of = g_new (int, n + 1);
  vks_grad (g, tr->loss, params, n, grads);
  for (int i = 0; i < n; i++)
    group_of[i] = decays (vks_graph_name (g, params[i])) ? 0 : 1;
  if (!vks_graph_check (g, error) ||
      (tr->store = vks_param_store_new (ctx, &tr->graph, 1, error)) == NULL)
    return NULL;
  static const VksParamGroup groups[2] = { { 1.0, VKS_MINGPT_WEIGHT_DECAY }, { 1.0, 0.0 } };
  VksOptimizerConfig oc = { .kind = VKS_OPTIMIZER_ADAMW, .lr = 1e-4, .beta1 = 0.9,
                            .beta2 = 0.95, .eps = 1e-8, .n_groups = 2, .groups = groups,
                            .group_of = group_of };
  if ((tr->opt = vks_optimizer_new (ctx, g, params, grads, n, &oc, error)) == NULL)
    return NULL;
  int n_out = 0;
  g_autofree VksNode *outs = vks_optimizer_plan_outputs (tr->opt, &tr->loss, 1, &n_out);
  VksPlanOptions po = vks_optimizer_plan_options (tr->opt, tr->store);
  po.readback = &tr->loss;
  po.n_readback = 1;
  if ((tr->plan = vks_plan_new (ctx, g, outs, n_out, &po, error)) == NULL)
    return NULL;
  tr->idx_values = g_new (float, (gsize) b * t);
  tr->onehot = g_new0 (float, (gsize) b * t * v);
  return g_steal_pointer (&tr);
}

gboolean
vks_mingpt_trainer_init (VksMinGptTrainer *tr, double (*normal) (gpointer), gpointer rng,
                         GError **error)
{
  VksParamStore *st = tr->store;
  for (int i = 0; i < vks_param_store_n (st); i++) {
    const char *name = vks_param_store_name (st, i);
    long n = vks_shape_elements (vks_param_store_shape (st, i));
    g_autofree float *v = g_new (float, n);
    gboolean layer_norm = strstr (name, "ln") != NULL;
    gboolean drawn = !layer_norm && g_str_has_suffix (name, ".weight");
    float fill = layer_norm && g_str_has_suffix (name, ".weight") ? 1.0f : 0.0f;
    for (long k = 0; k < n; k++)
      v[k] = drawn ? (float) (INIT_STD * normal (rng)) : fill;
    if (!vks_param_store_set (st, i, v, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_mingpt_trainer_load_model (VksMinGptTrainer *tr, const VksCheckpoint *ckpt, GError **error)
{
  return vks_param_store_load (tr->store, ckpt, NULL, error);
}

gboolean
vks_mingpt_trainer_save_model (VksMinGptTrainer *tr, int sos, VksCheckpoint *ckpt,
                               GError **error)
{
  const VksMinGptConfig *c = &tr->cfg.net;
  vks_checkpoint_set_metadata (ckpt, "vkstyle.arch", VKS_ARCH_MINGPT);
  vks_metadata_set_int (ckpt, "vkstyle.vocab_size", c->vocab_size);
  vks_metadata_set_int (ckpt, "vkstyle.block_size", c->block_size);
  vks_metadata_set_int (ckpt, "vkstyle.n_layer", c->n_layer);
  vks_metadata_set_int (ckpt, "vkstyle.n_head", c->n_head);
  vks_metadata_set_int (ckpt, "vkstyle.n_embd", c->n_embd);
  vks_metadata_set_int (ckpt, "vkstyle.n_unmasked", 0);
  vks_metadata_set_int (ckpt, "vkstyle.sos_token", sos);
  return vks_param_store_save (tr->store, ckpt, NULL, error);
}

gboolean
vks_mingpt_trainer_save_state (VksMinGptTrainer *tr, VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_save (tr->opt, ckpt, "gpt.", error);
}

gboolean
vks_mingpt_trainer_load_state (VksMinGptTrainer *tr, const VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_load (tr->opt, ckpt, "gpt.", error);
}

gboolean
vks_mingpt_trainer_step (VksMinGptTrainer *tr, const float *codes, int sos, double lr,
                         float *loss, GError **error)
{
  int b = tr->cfg.batch, t = tr->cfg.length, v = tr->cfg.net.vocab_size;
  if (sos < 0 || sos >= v) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "SOS token %d is not below the vocabulary "
                 "size %d", sos, v);
    return FALSE;
  }
  memset (tr->onehot, 0, (gsize) b * t * v * sizeof *tr->onehot);
  for (int i = 0; i < b; i++)
    for (int j = 0; j < t; j++) {
      float c = codes[(gsize) i * t + j];
      if (!(c >= 0 && c < v && c == (int) c)) {
        g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "code %g is not one of the %d tokens",
                     c, v);
        return FALSE;
      }
      tr->onehot[((gsize) i * t + j) * v + (int) c] = 1.0f;
      /* cat(sos, z)[:, :-1]: the input at j is the code before it */
      tr->idx_values[(gsize) i * t + j] = j == 0 ? (float) sos : codes[(gsize) i * t + j - 1];
    }
  vks_optimizer_set_lr (tr->opt, lr);
  return vks_plan_set (tr->plan, tr->idx, tr->idx_values, error) &&
         vks_plan_set (tr->plan, tr->target, tr->onehot, error) &&
         vks_optimizer_run (tr->opt, error) &&
         (loss == NULL || vks_plan_get (tr->plan, tr->loss, loss, error));
}
