/* The VQGAN's training iteration (vqgan_step.h): two graphs over one parameter store, each one
 * plan whose tail is its Adam step, run one after the other in every iteration. */
#include "engine/models/vqgan_step.h"

#include <math.h>
#include <string.h>

#include "engine/discriminator_spec.h"
#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/models/dcgan.h"   /* VksRunningUpdate, vks_running_updates_chain */
#include "engine/nn/losses.h"
#include "engine/nn/optimizer.h"
#include "engine/nn/param_store.h"

/* BatchNorm2d's defaults, which NLayerDiscriminator keeps */
#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f
#define LEAKY_SLOPE 0.2f
/* calculate_adaptive_weight's constants */
#define D_WEIGHT_EPS 1e-4f
#define D_WEIGHT_MAX 1e4f
/* VQModel's Adam betas */
#define BETA1 0.5
#define BETA2 0.9

const char *const vks_vqgan_loss_names[VKS_VQ_N_LOSSES] = {
  "aeloss", "nll_loss", "quant_loss", "g_loss", "d_weight", "discloss", "logits_real",
  "logits_fake",
};

/* One step: its graph, what it trains, its plan, where its running statistics go back to. */
typedef struct {
  VksGraph *graph;
  VksNode x, disc_factor;
  VksNode loss[VKS_VQ_N_LOSSES];
  VksNode indices, xrec;
  VksNode *params, *grads;
  int n_params;
  GArray *updates;           /* VksRunningUpdate */
  int *store_index;
  float *scratch;
  VksOptimizer *opt;
  VksPlan *plan;
} Step;

struct VksVqganTrainer {
  VksContext *ctx;
  VksVqganTrainConfig cfg;
  Step ae, disc;
  VksParamStore *store;
  VksGraph *sample;          /* reconstruction of sample_count images */
  VksNode sample_x, sample_out;
  VksPlan *sample_plan;
};

static gboolean
is_disc (const char *name)
{
  return g_str_has_prefix (name, VKS_VQGAN_DISC_PREFIX);
}

static gboolean
is_ae (const char *name)
{
  return !is_disc (name);
}

/* NLayerDiscriminator(input_nc, ndf, n_layers, use_actnorm=False) in training mode: the same
 * layer list as pix2pix's (discriminator_spec.h) under "main." instead of "model.". */
static VksNode
discriminator (VksGraph *g, const VksVqganTrainConfig *cfg, VksNode x, GArray *updates)
{
  VksDiscriminatorConfig dc = { .input_nc = cfg->net.out_ch, .ndf = cfg->disc_ndf,
                                .n_layers = cfg->disc_layers, .norm = VKS_NORM_BATCH };
  VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS];
  int n = vks_discriminator_layers (&dc, layers);
  const char *pre = VKS_VQGAN_DISC_PREFIX;
  VksNode h = x;
  for (int i = 0; i < n; i++) {
    const VksDiscriminatorLayer *l = &layers[i];
    VksNode w = vks_param_printf (g, pre, vks_shape (l->cout, l->cin, l->kernel, l->kernel), 4,
                                  "main.%d.weight", l->index);
    VksNode b = l->has_bias ? vks_param_printf (g, pre, vks_shape (1, 1, 1, l->cout), 1,
                                                "main.%d.bias", l->index) : VKS_NONE;
    VksConvAttrs a = { .stride = l->stride, .pad = l->padding };
    h = vks_conv2d (g, h, w, b, &a);
    if (l->norm) {
      static const char *const what[4] = { "weight", "bias", "running_mean", "running_var" };
      VksNode p[4];
      for (int k = 0; k < 4; k++)
        p[k] = vks_param_printf (g, pre, vks_shape (1, 1, 1, l->cout), 1, "main.%d.%s",
                                 l->index + 1, what[k]);
      VksBatchNorm bn = vks_batch_norm_train (g, h, p[0], p[1], p[2], p[3], BN_MOMENTUM, BN_EPS);
      VksRunningUpdate u[2] = { { p[2], bn.running_mean }, { p[3], bn.running_var } };
      g_array_append_vals (updates, u, 2);
      h = bn.y;
    }
    if (l->leaky_relu)
      h = vks_leaky_relu (g, h, LEAKY_SLOPE);
  }
  return h;
}

static void
step_inputs (Step *s, const VksVqganTrainConfig *cfg)
{
  s->graph = vks_graph_new ();
  s->updates = g_array_new (FALSE, FALSE, sizeof (VksRunningUpdate));
  for (int i = 0; i < VKS_VQ_N_LOSSES; i++)
    s->loss[i] = VKS_NONE;
  s->x = vks_input (s->graph, "x", vks_shape (cfg->batch, cfg->net.in_channels, cfg->size,
                                               cfg->size));
  s->disc_factor = vks_input (s->graph, "disc_factor", vks_shape (1, 1, 1, 1));
}

/* The parameters trains() selects, in creation order, with their gradients of loss. */
static void
select_params (Step *s, VksNode loss, gboolean (*trains) (const char *name))
{
  int all = 0;
  g_autofree VksNode *every = vks_graph_params (s->graph, &all);
  s->params = g_new (VksNode, all + 1);
  s->grads = g_new (VksNode, all + 1);
  for (int i = 0; i < all; i++)
    if (trains (vks_graph_name (s->graph, every[i])))
      s->params[s->n_params++] = every[i];
  vks_grad (s->graph, loss, s->params, s->n_params, s->grads);
}

static VksNode
l2_norm (VksGraph *g, VksNode x)
{
  return vks_sqrt (g, vks_sum (g, vks_square (g, x)));
}

static void
build_autoencoder_step (Step *s, const VksVqganTrainConfig *cfg)
{
  step_inputs (s, cfg);
  VksGraph *g = s->graph;
  VksVqganEncoded e = vks_vqgan_encode (g, &cfg->net, s->x);
  s->indices = e.indices;
  s->xrec = vks_vqgan_decode (g, &cfg->net, e.quantized);
  VksNode *l = s->loss;
  l[VKS_VQ_LOSS_NLL] = vks_l1_loss (g, s->x, s->xrec);
  l[VKS_VQ_LOSS_QUANT] = e.loss;
  l[VKS_VQ_LOSS_G] = vks_scale (g, vks_mean (g, discriminator (g, cfg, s->xrec, s->updates)),
                                -1.0f);
  VksNode last = vks_graph_find (g, "decoder.conv_out.weight"), nll_grad, g_grad;
  vks_grad (g, l[VKS_VQ_LOSS_NLL], &last, 1, &nll_grad);
  vks_grad (g, l[VKS_VQ_LOSS_G], &last, 1, &g_grad);
  VksNode w = vks_div (g, l2_norm (g, nll_grad), vks_add_scalar (g, l2_norm (g, g_grad),
                                                                  D_WEIGHT_EPS));
  /* clamp(w, 0, 1e4): w is a ratio of norms, never negative; min(w, m) = w - relu(w - m) */
  w = vks_sub (g, w, vks_relu (g, vks_add_scalar (g, w, -D_WEIGHT_MAX)));
  w = vks_scale (g, vks_stop_gradient (g, w), cfg->disc_weight);
  l[VKS_VQ_LOSS_D_WEIGHT] = w;
  VksNode adv = vks_mul (g, vks_mul (g, w, s->disc_factor), l[VKS_VQ_LOSS_G]);
  l[VKS_VQ_LOSS_AE] = vks_add (g, vks_add (g, l[VKS_VQ_LOSS_NLL], adv),
                               vks_scale (g, e.loss, cfg->codebook_weight));
  select_params (s, l[VKS_VQ_LOSS_AE], is_ae);
}

static void
build_discriminator_step (Step *s, const VksVqganTrainConfig *cfg)
{
  step_inputs (s, cfg);
  VksGraph *g = s->graph;
  /* the autoencoder's forward again, with the weights its step just updated */
  VksVqganEncoded e = vks_vqgan_encode (g, &cfg->net, s->x);
  s->indices = s->xrec = VKS_NONE;
  VksNode xrec = vks_stop_gradient (g, vks_vqgan_decode (g, &cfg->net, e.quantized));
  g_autoptr (GArray) on_real = g_array_new (FALSE, FALSE, sizeof (VksRunningUpdate));
  g_autoptr (GArray) on_fake = g_array_new (FALSE, FALSE, sizeof (VksRunningUpdate));
  VksNode real = discriminator (g, cfg, s->x, on_real);
  VksNode fake = discriminator (g, cfg, xrec, on_fake);
  vks_running_updates_chain (g, s->updates, on_real, on_fake, BN_MOMENTUM);
  VksNode *l = s->loss;
  l[VKS_VQ_LOSS_LOGITS_REAL] = vks_mean (g, real);
  l[VKS_VQ_LOSS_LOGITS_FAKE] = vks_mean (g, fake);
  VksNode hinge = vks_scale (g, vks_add (g, vks_hinge_loss (g, real, TRUE),
                                         vks_hinge_loss (g, fake, FALSE)), 0.5f);
  l[VKS_VQ_LOSS_DISC] = vks_mul (g, s->disc_factor, hinge);
  select_params (s, l[VKS_VQ_LOSS_DISC], is_disc);
}

static void
step_clear (Step *s)
{
  vks_plan_free (s->plan);
  vks_optimizer_free (s->opt);
  vks_graph_free (s->graph);
  if (s->updates != NULL)
    g_array_unref (s->updates);
  g_free (s->params);
  g_free (s->grads);
  g_free (s->store_index);
  g_free (s->scratch);
}

void
vks_vqgan_trainer_free (VksVqganTrainer *tr)
{
  if (tr == NULL)
    return;
  step_clear (&tr->ae);
  step_clear (&tr->disc);
  vks_plan_free (tr->sample_plan);
  vks_graph_free (tr->sample);
  vks_param_store_free (tr->store);
  g_free (tr);
}

static gboolean
step_plan (VksVqganTrainer *tr, Step *s, GError **error)
{
  VksOptimizerConfig oc = { .kind = VKS_OPTIMIZER_ADAM, .lr = 1e-4, .beta1 = BETA1,
                            .beta2 = BETA2, .eps = 1e-8 };
  s->opt = vks_optimizer_new (tr->ctx, s->graph, s->params, s->grads, s->n_params, &oc, error);
  if (s->opt == NULL)
    return FALSE;
  /* the losses, the codes and reconstruction, then the running statistics' new values */
  guint nu = s->updates->len;
  g_autofree VksNode *extra = g_new (VksNode, VKS_VQ_N_LOSSES + 2 + nu);
  int n_extra = 0;
  for (int i = 0; i < VKS_VQ_N_LOSSES; i++)
    if (s->loss[i] != VKS_NONE)
      extra[n_extra++] = s->loss[i];
  if (s->indices != VKS_NONE) {
    extra[n_extra++] = s->indices;
    extra[n_extra++] = s->xrec;
  }
  s->store_index = g_new (int, nu + 1);
  long largest = 1;
  for (guint i = 0; i < nu; i++) {
    VksRunningUpdate u = g_array_index (s->updates, VksRunningUpdate, i);
    extra[n_extra++] = u.value;
    s->store_index[i] = vks_param_store_find (tr->store, vks_graph_name (s->graph, u.param));
    largest = MAX (largest, vks_shape_elements (vks_graph_shape (s->graph, u.value)));
  }
  s->scratch = g_new (float, largest);
  int n_out = 0;
  g_autofree VksNode *outs = vks_optimizer_plan_outputs (s->opt, extra, n_extra, &n_out);
  VksPlanOptions po = vks_optimizer_plan_options (s->opt, tr->store);
  po.readback = extra;
  po.n_readback = n_extra;
  s->plan = vks_plan_new (tr->ctx, s->graph, outs, n_out, &po, error);
  return s->plan != NULL;
}

VksVqganTrainer *
vks_vqgan_trainer_new (VksContext *ctx, const VksVqganTrainConfig *cfg, GError **error)
{
  g_autoptr (VksVqganTrainer) tr = g_new0 (VksVqganTrainer, 1);
  tr->ctx = ctx;
  tr->cfg = *cfg;
  if (cfg->batch < 1 || cfg->size < 1 || cfg->disc_ndf < 1 ||
      cfg->disc_layers < 0 || cfg->disc_layers > VKS_DISCRIMINATOR_MAX_LAYERS) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "vqgan training: batch %d, size %d, "
                 "discriminator ndf %d and %d layers", cfg->batch, cfg->size, cfg->disc_ndf,
                 cfg->disc_layers);
    return NULL;
  }
  if (vks_discriminator_output_side (&(VksDiscriminatorConfig) { .n_layers = cfg->disc_layers },
                                     cfg->size) < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "vqgan training: %dx%d images are too small "
                 "for a discriminator of %d layers", cfg->size, cfg->size, cfg->disc_layers);
    return NULL;
  }
  build_autoencoder_step (&tr->ae, cfg);
  build_discriminator_step (&tr->disc, cfg);
  if (!vks_graph_check (tr->ae.graph, error) || !vks_graph_check (tr->disc.graph, error))
    return NULL;
  VksGraph *graphs[2] = { tr->ae.graph, tr->disc.graph };
  if ((tr->store = vks_param_store_new (ctx, graphs, 2, error)) == NULL ||
      !step_plan (tr, &tr->ae, error) || !step_plan (tr, &tr->disc, error))
    return NULL;
  if (cfg->sample_count > 0) {
    VksGraph *g = tr->sample = vks_graph_new ();
    tr->sample_x = vks_input (g, "x", vks_shape (cfg->sample_count, cfg->net.in_channels,
                                                  cfg->size, cfg->size));
    tr->sample_out = vks_vqgan_decode (g, &cfg->net,
                                       vks_vqgan_encode (g, &cfg->net, tr->sample_x).quantized);
    VksPlanOptions po = { .params = tr->store, .readback = &tr->sample_out, .n_readback = 1 };
    if (!vks_graph_check (g, error) ||
        (tr->sample_plan = vks_plan_new (ctx, g, &tr->sample_out, 1, &po, error)) == NULL)
      return NULL;
  }
  return g_steal_pointer (&tr);
}

/* ---- parameters in and out ---- */

/* Store entry i from the checkpoint tensor `name`, which must have the entry's elements. */
static gboolean
set_entry (VksParamStore *store, int i, const VksCheckpoint *ckpt, const char *name,
           GError **error)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, name);
  if (t == NULL || t->n_elements != vks_shape_elements (vks_param_store_shape (store, i))) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "the checkpoint %s tensor %s",
                 t == NULL ? "lacks" : "has a misshapen", name);
    return FALSE;
  }
  return vks_param_store_set (store, i, t->data, error);
}

gboolean
vks_vqgan_trainer_load_model (VksVqganTrainer *tr, const VksCheckpoint *ckpt, GError **error)
{
  g_autoptr (GPtrArray) specs = vks_vqgan_tensors (&tr->cfg.net);
  if (!vks_check_tensors (ckpt, specs, "VQGAN", "the VQGAN being trained", error))
    return FALSE;
  for (int i = 0; i < vks_param_store_n (tr->store); i++) {
    const char *name = vks_param_store_name (tr->store, i);
    if (is_ae (name) && !set_entry (tr->store, i, ckpt, name, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_vqgan_trainer_load_discriminator (VksVqganTrainer *tr, const VksCheckpoint *ckpt,
                                      GError **error)
{
  return vks_param_store_load (tr->store, ckpt, VKS_VQGAN_DISC_PREFIX, error);
}

gboolean
vks_vqgan_trainer_save_model (VksVqganTrainer *tr, VksCheckpoint *ckpt, GError **error)
{
  g_autoptr (VksCheckpoint) all = vks_checkpoint_new ();
  if (!vks_param_store_save (tr->store, all, NULL, error))
    return FALSE;
  for (guint i = 0; i < vks_checkpoint_n_tensors (all); i++) {
    const VksCheckpointTensor *t = vks_checkpoint_tensor_at (all, i);
    if (is_ae (t->name))
      vks_checkpoint_add_tensor (ckpt, t->name, t->ndim, t->shape, t->data);
  }
  vks_vqgan_config_write (&tr->cfg.net, ckpt);
  return TRUE;
}

gboolean
vks_vqgan_trainer_save_state (VksVqganTrainer *tr, VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_save (tr->ae.opt, ckpt, "ae.", error) &&
         vks_optimizer_save (tr->disc.opt, ckpt, "disc.", error);
}

gboolean
vks_vqgan_trainer_load_state (VksVqganTrainer *tr, const VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_load (tr->ae.opt, ckpt, "ae.", error) &&
         vks_optimizer_load (tr->disc.opt, ckpt, "disc.", error);
}

/* fan_in of the convolution whose weight is `weight` (cout, cin, kh, kw) */
static double
fan_in_bound (VksShape weight)
{
  return 1.0 / sqrt ((double) weight.c * weight.h * weight.w);
}

/* A per-channel tensor ([c]: a norm's, a bias) rather than a convolution's weight. */
static gboolean
is_vector (VksShape s)
{
  return s.n == 1 && s.c == 1 && s.h == 1;
}

/* The values of one tensor as the reference's modules initialise it (vqgan_step.h). */
static void
init_values (VksVqganTrainer *tr, int i, float *v, double (*uniform) (gpointer),
             double (*normal) (gpointer), gpointer rng)
{
  VksParamStore *st = tr->store;
  const char *name = vks_param_store_name (st, i);
  VksShape s = vks_param_store_shape (st, i);
  long n = vks_shape_elements (s);
  gboolean weight = g_str_has_suffix (name, ".weight");
  gboolean bias = g_str_has_suffix (name, ".bias");
  VksShape w = s;                               /* a bias's weight */
  if (bias) {
    g_autofree char *stem = g_strndup (name, strlen (name) - strlen ("bias"));
    g_autofree char *wn = g_strconcat (stem, "weight", NULL);
    w = vks_param_store_shape (st, vks_param_store_find (st, wn));
  }
  double mean = 0.0, std = 0.0, bound = 0.0;
  if (is_disc (name)) {
    /* weights_init draws the convolutions' weights and the batch norms' (1, 0.02), zeroes
     * the norms' biases and leaves the convolutions' biases at Conv2d's default */
    if (weight)
      mean = is_vector (s) ? 1.0 : 0.0, std = 0.02;
    else if (bias && !is_vector (w))
      bound = fan_in_bound (w);
    else if (g_str_has_suffix (name, ".running_var"))
      mean = 1.0;
  } else if (g_str_has_prefix (name, "quantize.")) {
    bound = 1.0 / tr->cfg.net.n_embed;
  } else if (strstr (name, "norm") != NULL) {   /* GroupNorm's affine (1, 0) */
    mean = weight ? 1.0 : 0.0;
  } else {                                      /* Conv2d.reset_parameters, bias by its weight */
    bound = fan_in_bound (w);
  }
  for (long k = 0; k < n; k++)
    v[k] = (float) (bound > 0 ? (uniform (rng) * 2.0 - 1.0) * bound
                    : std > 0 ? mean + std * normal (rng) : mean);
}

gboolean
vks_vqgan_trainer_init (VksVqganTrainer *tr, double (*uniform) (gpointer),
                        double (*normal) (gpointer), gpointer rng, GError **error)
{
  for (int i = 0; i < vks_param_store_n (tr->store); i++) {
    g_autofree float *v = g_new (float, vks_shape_elements (vks_param_store_shape (tr->store, i)));
    init_values (tr, i, v, uniform, normal, rng);
    if (!vks_param_store_set (tr->store, i, v, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_vqgan_trainer_reconstruct (VksVqganTrainer *tr, const float *x, float *xrec, GError **error)
{
  if (tr->sample_plan == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "the trainer was made without samples");
    return FALSE;
  }
  return vks_plan_set (tr->sample_plan, tr->sample_x, x, error) &&
         vks_plan_run (tr->sample_plan, error) &&
         vks_plan_get (tr->sample_plan, tr->sample_out, xrec, error);
}

/* ---- one iteration ---- */

static gboolean
step_run (VksVqganTrainer *tr, Step *s, const float *x, float disc_factor, double lr,
          float losses[VKS_VQ_N_LOSSES], GError **error)
{
  vks_optimizer_set_lr (s->opt, lr);
  if (!vks_plan_set (s->plan, s->x, x, error) ||
      !vks_plan_set (s->plan, s->disc_factor, &disc_factor, error) ||
      !vks_optimizer_run (s->opt, error))
    return FALSE;
  for (int i = 0; i < VKS_VQ_N_LOSSES; i++)
    if (s->loss[i] != VKS_NONE && !vks_plan_get (s->plan, s->loss[i], &losses[i], error))
      return FALSE;
  for (guint i = 0; i < s->updates->len; i++) {
    VksRunningUpdate u = g_array_index (s->updates, VksRunningUpdate, i);
    if (!vks_plan_get (s->plan, u.value, s->scratch, error) ||
        !vks_param_store_set (tr->store, s->store_index[i], s->scratch, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_vqgan_trainer_step (VksVqganTrainer *tr, const float *x, float disc_factor, double lr,
                        float losses[VKS_VQ_N_LOSSES], float *indices, float *xrec,
                        GError **error)
{
  if (!step_run (tr, &tr->ae, x, disc_factor, lr, losses, error) ||
      (indices != NULL && !vks_plan_get (tr->ae.plan, tr->ae.indices, indices, error)) ||
      (xrec != NULL && !vks_plan_get (tr->ae.plan, tr->ae.xrec, xrec, error)))
    return FALSE;
  return step_run (tr, &tr->disc, x, disc_factor, lr, losses, error);
}
