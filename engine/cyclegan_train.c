#include "engine/cyclegan_train.h"

#include <string.h>

#include "engine/error.h"

/* One half of the step: its plan with Adam as its tail. */
typedef struct {
  VksOptimizer *opt;
  VksPlan *plan;
} Half;

struct VksCycleGan {
  VksContext *ctx;
  VksCycleGanOptions opts;
  VksCycleGanStep step;
  VksParamStore *store;
  Half g, d;
  VksNode image[VKS_N_IMAGES];
};

static void
half_clear (Half *h)
{
  vks_plan_free (h->plan);
  vks_optimizer_free (h->opt);
}

void
vks_cyclegan_free (VksCycleGan *cg)
{
  if (cg == NULL)
    return;
  half_clear (&cg->g);
  half_clear (&cg->d);
  vks_param_store_free (cg->store);
  vks_cyclegan_step_clear (&cg->step);
  g_free (cg);
}

gsize
vks_cyclegan_batch_floats (const VksCycleGan *cg)
{
  return (gsize) cg->opts.batch * 3 * cg->opts.height * cg->opts.width;
}

/* Adam over the half's parameters, its plan computing `extra` too and reading them back. */
static gboolean
half_new (VksCycleGan *cg, Half *h, VksGraph *g, const VksNode *params, const VksNode *grads,
          int n, const VksNode *extra, int n_extra, GError **error)
{
  const VksCycleGanOptions *o = &cg->opts;
  VksOptimizerConfig config = { .kind = VKS_OPTIMIZER_ADAM, .lr = 2e-4, .beta1 = o->beta1,
                                .beta2 = o->beta2, .eps = o->eps };
  h->opt = vks_optimizer_new (cg->ctx, g, params, grads, n, &config, error);
  if (h->opt == NULL)
    return FALSE;
  int n_out = 0;
  g_autofree VksNode *outs = vks_optimizer_plan_outputs (h->opt, extra, n_extra, &n_out);
  VksPlanOptions opts = vks_optimizer_plan_options (h->opt, cg->store);
  opts.readback = extra;
  opts.n_readback = n_extra;
  h->plan = vks_plan_new (cg->ctx, g, outs, n_out, &opts, error);
  return h->plan != NULL;
}

VksCycleGan *
vks_cyclegan_new (VksContext *ctx, const VksCycleGanOptions *opts, GError **error)
{
  if (opts->input_nc != opts->output_nc) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "CycleGAN training takes as many channels in as out (%d, %d)", opts->input_nc,
                 opts->output_nc);
    return NULL;
  }
  g_autoptr (VksCycleGan) cg = g_new0 (VksCycleGan, 1);
  cg->ctx = ctx;
  cg->opts = *opts;
  VksCycleGanStepConfig cfg = {
    .g = { .input_nc = opts->input_nc, .output_nc = opts->output_nc, .ngf = opts->ngf,
           .n_blocks = opts->n_blocks, .norm = VKS_NORM_INSTANCE, .upsample = opts->upsample },
    .d = { .input_nc = opts->input_nc, .ndf = opts->ndf, .n_layers = opts->n_layers_d,
           .norm = VKS_NORM_INSTANCE },
    .gan_mode = opts->gan_mode, .lambda_a = opts->lambda_a, .lambda_b = opts->lambda_b,
    .lambda_identity = opts->lambda_identity, .batch = opts->batch, .height = opts->height,
    .width = opts->width,
  };
  VksCycleGanStep *s = &cg->step;
  GError *local = NULL;
  if (!vks_cyclegan_step_build (s, &cfg, &local)) {
    if (local->code == VKS_ERROR_TOO_LARGE)
      g_prefix_error (&local, "batches of %d x %d x %d are too large to train on this device: ",
                      opts->batch, opts->height, opts->width);
    g_propagate_error (error, local);
    return NULL;
  }
  VksGraph *graphs[] = { s->g_half, s->d_half };
  cg->store = vks_param_store_new (ctx, graphs, 2, error);
  if (cg->store == NULL)
    return NULL;
  const VksNode images[VKS_N_IMAGES] = { s->real_a, s->fake_b, s->rec_a, s->idt_b,
                                         s->real_b, s->fake_a, s->rec_b, s->idt_a };
  memcpy (cg->image, images, sizeof images);
  VksNode g_extra[VKS_N_IMAGES + 6];
  memcpy (g_extra, images, sizeof images);
  static const int g_losses[] = { VKS_LOSS_G_A, VKS_LOSS_CYCLE_A, VKS_LOSS_IDT_A, VKS_LOSS_G_B,
                                  VKS_LOSS_CYCLE_B, VKS_LOSS_IDT_B };
  for (guint i = 0; i < G_N_ELEMENTS (g_losses); i++)
    g_extra[VKS_N_IMAGES + i] = s->loss[g_losses[i]];
  VksNode d_extra[] = { s->loss[VKS_LOSS_D_A], s->loss[VKS_LOSS_D_B] };
  if (!half_new (cg, &cg->g, s->g_half, s->g_params, s->g_grads, s->n_g, g_extra,
                 G_N_ELEMENTS (g_extra), error) ||
      !half_new (cg, &cg->d, s->d_half, s->d_params, s->d_grads, s->n_d, d_extra,
                 G_N_ELEMENTS (d_extra), error))
    return NULL;
  return g_steal_pointer (&cg);
}

/* The graph whose parameters (in creation order: the layer order) are one network's. */
static const VksGraph *
graph_of (const VksCycleGan *cg, VksCycleGanNet which)
{
  return which <= VKS_NET_G_B ? cg->step.g_half : cg->step.d_half;
}

gboolean
vks_cyclegan_init_normal (VksCycleGan *cg, float (*normal) (gpointer), gpointer rng, float std,
                          GError **error)
{
  for (int net = 0; net < VKS_N_NETS; net++) {
    const char *prefix = vks_cyclegan_net_prefixes[net];
    const VksGraph *g = graph_of (cg, net);
    int n = 0;
    g_autofree VksNode *params = vks_graph_params (g, &n);
    g_autoptr (VksCheckpoint) init = vks_checkpoint_new ();
    for (int i = 0; i < n; i++) {
      const char *name = vks_graph_name (g, params[i]);
      if (!g_str_has_prefix (name, prefix))
        continue;
      VksShape s = vks_graph_shape (g, params[i]);
      long count = vks_shape_elements (s);
      g_autofree float *values = g_new0 (float, count);
      /* convolution weights are the 4-D parameters; biases (and nothing else here) stay 0 */
      if (vks_graph_param_rank (g, params[i]) == 4)
        for (long k = 0; k < count; k++)
          values[k] = std * normal (rng);
      int64_t dims[4] = { s.n, s.c, s.h, s.w };
      vks_checkpoint_add_tensor (init, name + strlen (prefix), 4, dims, values);
    }
    if (!vks_param_store_load (cg->store, init, prefix, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_cyclegan_load_net (VksCycleGan *cg, VksCycleGanNet which, const VksCheckpoint *ckpt,
                       GError **error)
{
  return vks_param_store_load (cg->store, ckpt, vks_cyclegan_net_prefixes[which], error);
}

gboolean
vks_cyclegan_save_net (VksCycleGan *cg, VksCycleGanNet which, VksCheckpoint *ckpt,
                       GError **error)
{
  return vks_param_store_save (cg->store, ckpt, vks_cyclegan_net_prefixes[which], error);
}

gboolean
vks_cyclegan_save_state (VksCycleGan *cg, VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_save (cg->g.opt, ckpt, "G.", error) &&
         vks_optimizer_save (cg->d.opt, ckpt, "D.", error);
}

gboolean
vks_cyclegan_load_state (VksCycleGan *cg, const VksCheckpoint *ckpt, GError **error)
{
  return vks_optimizer_load (cg->g.opt, ckpt, "G.", error) &&
         vks_optimizer_load (cg->d.opt, ckpt, "D.", error);
}

static gboolean
check_step (Half *h, int64_t t, GError **error)
{
  if (t == vks_optimizer_step_count (h->opt) + 1)
    return TRUE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "internal error: step %" G_GINT64_FORMAT
               " after %" G_GINT64_FORMAT, t, vks_optimizer_step_count (h->opt));
  return FALSE;
}

static void
read_losses (Half *h, const VksCycleGan *cg, const int *which, int n, float *losses)
{
  for (int i = 0; i < n; i++) {
    gboolean ok = vks_plan_get (h->plan, cg->step.loss[which[i]], &losses[which[i]], NULL);
    g_assert_true (ok);   /* read back: a memcpy */
  }
}

gboolean
vks_cyclegan_generator_step (VksCycleGan *cg, const float *real_a, const float *real_b,
                             double lr, int64_t t, float losses[VKS_N_LOSSES], GError **error)
{
  VksCycleGanStep *s = &cg->step;
  if (!check_step (&cg->g, t, error))
    return FALSE;
  vks_optimizer_set_lr (cg->g.opt, lr);
  /* the discriminator half judges the same real images */
  if (!vks_plan_set (cg->g.plan, s->real_a, real_a, error) ||
      !vks_plan_set (cg->g.plan, s->real_b, real_b, error) ||
      !vks_plan_set (cg->d.plan, s->d_real_a, real_a, error) ||
      !vks_plan_set (cg->d.plan, s->d_real_b, real_b, error) ||
      !vks_optimizer_run (cg->g.opt, error))
    return FALSE;
  static const int g_losses[] = { VKS_LOSS_G_A, VKS_LOSS_CYCLE_A, VKS_LOSS_IDT_A, VKS_LOSS_G_B,
                                  VKS_LOSS_CYCLE_B, VKS_LOSS_IDT_B };
  read_losses (&cg->g, cg, g_losses, G_N_ELEMENTS (g_losses), losses);
  return TRUE;
}

void
vks_cyclegan_image (const VksCycleGan *cg, VksCycleGanImage which, float *dst)
{
  gboolean ok = vks_plan_get (cg->g.plan, cg->image[which], dst, NULL);
  g_assert_true (ok);
}

gboolean
vks_cyclegan_discriminator_step (VksCycleGan *cg, const float *pooled_fake_b,
                                 const float *pooled_fake_a, double lr, int64_t t,
                                 float losses[VKS_N_LOSSES], GError **error)
{
  VksCycleGanStep *s = &cg->step;
  if (!check_step (&cg->d, t, error))
    return FALSE;
  vks_optimizer_set_lr (cg->d.opt, lr);
  if (!vks_plan_set (cg->d.plan, s->pool_fake_b, pooled_fake_b, error) ||
      !vks_plan_set (cg->d.plan, s->pool_fake_a, pooled_fake_a, error) ||
      !vks_optimizer_run (cg->d.opt, error))
    return FALSE;
  static const int d_losses[] = { VKS_LOSS_D_A, VKS_LOSS_D_B };
  read_losses (&cg->d, cg, d_losses, G_N_ELEMENTS (d_losses), losses);
  return TRUE;
}
