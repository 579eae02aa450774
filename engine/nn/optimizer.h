/* Training any graph: Adam, AdamW or RMSprop updates of its parameters from the gradients vks_grad made,
 * and a moving average (EMA) of parameters, both recorded into the plan's tail so that forward,
 * backward and update are one submission; training state saved to and loaded from a checkpoint
 * by name, so that a resumed run computes the same bits as one that never stopped.
 *
 * Use:
 *   opt = vks_optimizer_new (ctx, g, params, grads, n, &config, &error);
 *   outputs = vks_optimizer_plan_outputs (opt, &loss, 1, &n_outputs);
 *   options = vks_optimizer_plan_options (opt, store);
 *   plan = vks_plan_new (ctx, g, outputs, n_outputs, &options, &error);
 *   per step: set the inputs, vks_optimizer_set_lr if it changed, vks_optimizer_run.
 * The gradients must be outputs of the plan (vks_optimizer_plan_outputs makes sure): only then
 * are they still in the arena when the tail reads them. And the plan must re-pack weights in
 * every run (params_change_on_device; the tail refuses a plan without it), or the convolutions
 * would keep reading the weights of before the first update. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/nn/plan.h"

typedef enum {
  VKS_OPTIMIZER_ADAM,       /* torch.optim.Adam: weight_decay is an L2 term added to the gradient */
  VKS_OPTIMIZER_ADAMW,      /* torch.optim.AdamW: decoupled, p *= 1 - lr wd before the update */
  /* torch.optim.RMSprop, no momentum, not centered: beta2 is its alpha (0.99), beta1 unused;
   * weight_decay as Adam's. Its square_avg is saved as exp_avg_sq (exp_avg stays zero). */
  VKS_OPTIMIZER_RMSPROP,
} VksOptimizerKind;

/* A parameter group as in torch's param_groups: StarGAN v2 trains its mapping network with 100
 * times less learning rate than the rest. */
typedef struct {
  double lr_scale;          /* the group's learning rate is the optimiser's times this */
  double weight_decay;
} VksParamGroup;

typedef struct {
  VksOptimizerKind kind;
  double lr, beta1, beta2, eps;
  double weight_decay;      /* the one group's when n_groups is 0 */
  int n_groups;             /* 0: one group, lr_scale 1, weight_decay above */
  const VksParamGroup *groups;
  const int *group_of;      /* n_params entries, each parameter's group; NULL: all in group 0 */
  double clip;              /* > 0: every updated value is clamped to [-clip, clip] after the
                             * update (WGAN's weight clipping); 0: none */
} VksOptimizerConfig;

typedef struct VksOptimizer VksOptimizer;
typedef struct VksEma VksEma;

/* For params[0..n_params) of g and their gradients (vks_grad's; VKS_NONE: not updated, but
 * still saved and loaded). Appends to g a dense copy of any gradient not already laid out in
 * PyTorch's order, so the graph must not have been planned yet. The moments start at zero. */
VksOptimizer *vks_optimizer_new (VksContext *ctx, VksGraph *g, const VksNode *params,
                                 const VksNode *grads, int n_params,
                                 const VksOptimizerConfig *config, GError **error);
void vks_optimizer_free (VksOptimizer *opt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksOptimizer, vks_optimizer_free)

/* extra[0..n_extra) (the loss, images to look at), then every parameter and gradient the tail
 * reads, its EMA's included: the outputs to make the plan with. g_free the array. */
VksNode *vks_optimizer_plan_outputs (const VksOptimizer *opt, const VksNode *extra, int n_extra,
                                     int *n_outputs);
/* Options for the plan: this tail, parameters changing on the device, in `store` (may be NULL:
 * in the plan's arena). */
VksPlanOptions vks_optimizer_plan_options (VksOptimizer *opt, VksParamStore *store);
/* A VksPlanTail (data: the optimizer): records one update of every parameter with a gradient,
 * then the EMA's update if one is attached. The optimizer is then bound to that plan. */
gboolean vks_optimizer_tail (VksPlan *plan, VksRecorder *rec, gpointer data, GError **error);
/* The EMA the tail updates after the step (not owned; attach before the plan is made). */
void vks_optimizer_attach_ema (VksOptimizer *opt, VksEma *ema);

/* The learning rate of the next steps (each group's is this times its lr_scale). */
void vks_optimizer_set_lr (VksOptimizer *opt, double lr);
double vks_optimizer_lr (const VksOptimizer *opt);
/* Updates done so far (torch's state["step"]); the next run is step count + 1. */
gint64 vks_optimizer_step_count (const VksOptimizer *opt);
/* One training step: writes this step's Adam factors for every group, runs the plan (forward,
 * backward, update, EMA) and counts the step. */
gboolean vks_optimizer_run (VksOptimizer *opt, GError **error);

/* One run of a plan whose tail records several optimisers (a tail calling vks_optimizer_tail
 * for each; opts[0]'s plan, which must be all of theirs): opts[i] steps where stepping[i], and
 * is held otherwise: its parameters and moments stay exactly as they are and its step is not
 * counted. torch steps only some optimisers after a backward (StarGAN v2's reference-guided
 * generator step updates the generator, not the mapping network and style encoder it also
 * differentiated). */
gboolean vks_optimizer_run_several (VksOptimizer *const *opts, const gboolean *stepping, int n,
                                    GError **error);

/* params[i]'s moments (vks_shape_elements floats each, PyTorch's order); zeros for a parameter
 * without gradient. Blocking copies. */
gboolean vks_optimizer_get_moments (VksOptimizer *opt, int i, float *exp_avg, float *exp_avg_sq,
                                    GError **error);

/* Adds to ckpt, each name prefixed with scope (NULL: none; "D." keeps two optimisers apart in
 * one file): "param.<name>" for every parameter, "exp_avg.<name>", "exp_avg_sq.<name>" for each
 * one with a gradient (the parameter's checkpoint shape, vks_graph_param_rank), and the step
 * count as metadata "vkstyle.<scope>optimizer.step". */
gboolean vks_optimizer_save (VksOptimizer *opt, VksCheckpoint *ckpt, const char *scope,
                             GError **error);
/* The reverse: every tensor above must be there with its shape, and the step count valid, else
 * VKS_ERROR_CHECKPOINT naming the first that is not, before anything is changed. */
gboolean vks_optimizer_load (VksOptimizer *opt, const VksCheckpoint *ckpt, const char *scope,
                             GError **error);

/* ---- EMA: ema = beta ema + (1 - beta) param after every step (StarGAN v2: beta 0.999) ---- */

/* For params[0..n_params) of g; the average starts at zero until vks_ema_reset. */
VksEma *vks_ema_new (VksContext *ctx, const VksGraph *g, const VksNode *params, int n_params,
                     double beta, GError **error);
void vks_ema_free (VksEma *ema);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksEma, vks_ema_free)

/* A VksPlanTail (data: the EMA) for a plan that updates its parameters otherwise; with an
 * optimizer, attach the EMA to it instead. Binds the EMA to the plan. */
gboolean vks_ema_tail (VksPlan *plan, VksRecorder *rec, gpointer data, GError **error);
/* beta of the next updates (no re-recording); blocking. */
gboolean vks_ema_set_beta (VksEma *ema, double beta, GError **error);
/* Copies the plan's current parameters into the average (StarGAN v2 starts it as a copy of the
 * networks). Blocking; the EMA must be bound to a plan. */
gboolean vks_ema_reset (VksEma *ema, GError **error);
/* The average of one parameter by its graph node, PyTorch's order. */
gboolean vks_ema_get (VksEma *ema, VksNode param, float *values, GError **error);
/* "ema.<name>" for every parameter, prefixed with scope; load checks every tensor first. */
gboolean vks_ema_save (VksEma *ema, VksCheckpoint *ckpt, const char *scope, GError **error);
gboolean vks_ema_load (VksEma *ema, const VksCheckpoint *ckpt, const char *scope,
                       GError **error);
