#include "engine/models/dcgan_step.h"

#include <math.h>
#include <string.h>

const char *const vks_gan_loss_names[VKS_GAN_N_LOSSES] = {
  "D", "G", "D_real", "D_fake", "GP", "Info",
};

/* dcgan.c's batch norm momentum (PyTorch's default). */
#define BN_MOMENTUM 0.1f

/* InfoGAN's Q head (dcgan_layers.h's head_q, q_logits, q_mean, q_logvar): the generator
 * step trains it. */
static gboolean
is_q_head (const char *name)
{
  return g_str_has_prefix (name, VKS_GAN_PREFIX_D "head_q.") ||
         g_str_has_prefix (name, VKS_GAN_PREFIX_D "q_");
}

static gboolean
trained_by_d (const char *name)
{
  return g_str_has_prefix (name, VKS_GAN_PREFIX_D) && !is_q_head (name);
}

static gboolean
trained_by_g (const char *name)
{
  return g_str_has_prefix (name, VKS_GAN_PREFIX_G) || is_q_head (name);
}

/* The parameters of the graph the step trains, with their gradients of loss. */
static void
params_of (VksGanStepGraph *s, VksNode loss, gboolean (*trains) (const char *name))
{
  int all = 0;
  g_autofree VksNode *every = vks_graph_params (s->graph, &all);
  s->params = g_new (VksNode, all + 1);
  s->n_params = 0;
  for (int i = 0; i < all; i++)
    if (trains (vks_graph_name (s->graph, every[i])))
      s->params[s->n_params++] = every[i];
  s->grads = g_new (VksNode, s->n_params + 1);
  vks_grad (s->graph, loss, s->params, s->n_params, s->grads);
}

static VksNode
critic (VksGraph *g, const VksDcganStepConfig *cfg, VksNode x, GArray *updates)
{
  return vks_dcgan_discriminator (g, x, &cfg->net, TRUE, VKS_GAN_PREFIX_D, updates).logit;
}

/* InfoGAN's mutual information loss of the Q head's outputs q for the codes in z: the
 * category's cross entropy plus the continuous codes' Gaussian NLL (or squared error), each
 * summed over the codes and averaged over the batch. */
static VksNode
info_loss (VksGraph *g, const VksDcganStepConfig *cfg, VksNode z, VksGanCritic q)
{
  const VksGanConfig *net = &cfg->net;
  VksShape per_sample = vks_shape (cfg->batch, 1, 1, 1);
  VksNode loss = VKS_NONE;
  if (net->n_categories > 0) {
    VksNode onehot = vks_slice_channels (g, z, net->nz, net->n_categories);
    /* log-sum-exp shifted by the logits' mean: its value and gradient do not depend on the
     * shift, which keeps exp in range */
    VksNode shift = vks_mean_to (g, q.q_logits, per_sample);
    VksNode e = vks_exp (g, vks_sub (g, q.q_logits, shift));
    VksNode lse = vks_add (g, vks_log (g, vks_sum_to (g, e, per_sample)), shift);
    VksNode picked = vks_sum_to (g, vks_mul (g, onehot, q.q_logits), per_sample);
    loss = vks_mean (g, vks_sub (g, lse, picked));
  }
  if (net->n_continuous > 0) {
    VksNode c = vks_slice_channels (g, z, net->nz + net->n_categories, net->n_continuous);
    VksNode sq = vks_square (g, vks_sub (g, c, q.q_mean));
    VksNode per_code = sq;
    if (!cfg->info_mse) {
      /* 0.5 log(2 pi var) + (c - mean)^2 / (2 var) with var = exp(logvar) */
      VksNode inv_var = vks_exp (g, vks_scale (g, q.q_logvar, -1.0f));
      per_code = vks_add_scalar (g, vks_scale (g, vks_add (g, q.q_logvar, vks_mul (g, sq, inv_var)),
                                               0.5f),
                                 (float) (0.5 * log (2.0 * G_PI)));
    }
    VksNode cont = vks_scale (g, vks_sum (g, per_code), 1.0f / (float) cfg->batch);
    loss = loss == VKS_NONE ? cont : vks_add (g, loss, cont);
  }
  return loss;
}

/* lambda ((|grad_x^ D(x^)|_2 - 1)^2).mean() over the batch, x^ = eps real + (1 - eps) fake. */
static VksNode
gradient_penalty (VksGraph *g, const VksDcganStepConfig *cfg, VksNode real, VksNode fake,
                  VksNode eps)
{
  VksNode one_minus = vks_add_scalar (g, vks_scale (g, eps, -1.0f), 1.0f);
  VksNode mixed = vks_add (g, vks_mul (g, eps, real), vks_mul (g, one_minus, fake));
  VksNode out = critic (g, cfg, mixed, NULL);
  VksNode grad = VKS_NONE;
  vks_grad (g, vks_sum (g, out), &mixed, 1, &grad);
  VksNode norm = vks_sqrt (g, vks_sum_to (g, vks_square (g, grad),
                                          vks_shape (cfg->batch, 1, 1, 1)));
  VksNode gp = vks_mean (g, vks_square (g, vks_add_scalar (g, norm, -1.0f)));
  return vks_scale (g, gp, cfg->gp_lambda);
}

static VksShape
image_shape (const VksDcganStepConfig *cfg, int n)
{
  return vks_shape (n, cfg->net.nc, cfg->net.image_size, cfg->net.image_size);
}

static VksNode
noise_input (VksGraph *g, const VksDcganStepConfig *cfg, int n)
{
  return vks_input (g, "z", vks_shape (n, vks_gan_latent_size (&cfg->net), 1, 1));
}

static void
build_discriminator_step (VksGanStepGraph *s, const VksDcganStepConfig *cfg)
{
  VksGraph *g = s->graph = vks_graph_new ();
  s->updates = g_array_new (FALSE, FALSE, sizeof (VksRunningUpdate));
  s->real = vks_input (g, "real", image_shape (cfg, cfg->batch));
  s->z = noise_input (g, cfg, cfg->batch);
  /* G's running statistics move with this forward pass, as with the example's netG(noise) */
  s->fake = vks_dcgan_generator (g, s->z, &cfg->net, TRUE, VKS_GAN_PREFIX_G, s->updates);
  g_autoptr (GArray) on_real = g_array_new (FALSE, FALSE, sizeof (VksRunningUpdate));
  g_autoptr (GArray) on_fake = g_array_new (FALSE, FALSE, sizeof (VksRunningUpdate));
  VksNode real_out = critic (g, cfg, s->real, on_real);
  VksNode fake_out = critic (g, cfg, s->fake, on_fake);
  vks_running_updates_chain (g, s->updates, on_real, on_fake, BN_MOMENTUM);
  VksNode *l = s->loss;
  if (cfg->wasserstein || cfg->wgan_gp) {
    l[VKS_GAN_LOSS_D_REAL] = vks_scale (g, vks_mean (g, real_out), -1.0f);
    l[VKS_GAN_LOSS_D_FAKE] = vks_mean (g, fake_out);
    l[VKS_GAN_LOSS_D] = vks_add (g, l[VKS_GAN_LOSS_D_FAKE], l[VKS_GAN_LOSS_D_REAL]);
    if (cfg->wgan_gp) {
      s->eps = vks_input (g, "eps", vks_shape (cfg->batch, 1, 1, 1));
      l[VKS_GAN_LOSS_GP] = gradient_penalty (g, cfg, s->real, s->fake, s->eps);
      l[VKS_GAN_LOSS_D] = vks_add (g, l[VKS_GAN_LOSS_D], l[VKS_GAN_LOSS_GP]);
    }
  } else {
    l[VKS_GAN_LOSS_D_REAL] = vks_gan_loss (g, cfg->mode, real_out, TRUE, FALSE);
    l[VKS_GAN_LOSS_D_FAKE] = vks_gan_loss (g, cfg->mode, fake_out, FALSE, FALSE);
    l[VKS_GAN_LOSS_D] = vks_add (g, l[VKS_GAN_LOSS_D_REAL], l[VKS_GAN_LOSS_D_FAKE]);
  }
  params_of (s, l[VKS_GAN_LOSS_D], trained_by_d);
}

static void
build_generator_step (VksGanStepGraph *s, const VksDcganStepConfig *cfg)
{
  VksGraph *g = s->graph = vks_graph_new ();
  s->updates = g_array_new (FALSE, FALSE, sizeof (VksRunningUpdate));
  s->z = noise_input (g, cfg, cfg->batch);
  /* The example judges the discriminator step's fake again: its G ran once an iteration, so
   * G's statistics move here only when this step draws its own noise (WGAN, WGAN-GP). */
  gboolean critic_loss = cfg->wasserstein || cfg->wgan_gp;
  s->fake = vks_dcgan_generator (g, s->z, &cfg->net, TRUE, VKS_GAN_PREFIX_G,
                                 critic_loss ? s->updates : NULL);
  VksGanCritic d = vks_dcgan_discriminator (g, s->fake, &cfg->net, TRUE, VKS_GAN_PREFIX_D,
                                            s->updates);
  VksNode *l = s->loss;
  l[VKS_GAN_LOSS_G] = critic_loss ? vks_scale (g, vks_mean (g, d.logit), -1.0f)
                                  : vks_gan_loss (g, cfg->mode, d.logit, TRUE, TRUE);
  VksNode total = l[VKS_GAN_LOSS_G];
  if (cfg->net.arch == VKS_GAN_INFOGAN) {
    l[VKS_GAN_LOSS_INFO] = info_loss (g, cfg, s->z, d);
    if (l[VKS_GAN_LOSS_INFO] != VKS_NONE)
      total = vks_add (g, total, vks_scale (g, l[VKS_GAN_LOSS_INFO], cfg->info_lambda));
  }
  params_of (s, total, trained_by_g);
}

static void
graph_clear (VksGanStepGraph *s)
{
  vks_graph_free (s->graph);
  g_free (s->params);
  g_free (s->grads);
  if (s->updates)
    g_array_unref (s->updates);
}

gboolean
vks_dcgan_step_build (VksDcganStep *step, const VksDcganStepConfig *cfg, GError **error)
{
  memset (step, 0, sizeof *step);
  for (int i = 0; i < VKS_GAN_N_LOSSES; i++)
    step->d.loss[i] = step->g.loss[i] = VKS_NONE;
  step->d.eps = step->g.eps = step->g.real = VKS_NONE;
  build_discriminator_step (&step->d, cfg);
  build_generator_step (&step->g, cfg);
  VksGraph *g = step->sample = vks_graph_new ();
  step->sample_z = noise_input (g, cfg, cfg->sample_count);
  step->sample_out = vks_dcgan_generator (g, step->sample_z, &cfg->net, FALSE, VKS_GAN_PREFIX_G,
                                          NULL);
  if (vks_graph_check (step->d.graph, error) && vks_graph_check (step->g.graph, error) &&
      vks_graph_check (g, error))
    return TRUE;
  vks_dcgan_step_clear (step);
  return FALSE;
}

void
vks_dcgan_step_clear (VksDcganStep *step)
{
  graph_clear (&step->d);
  graph_clear (&step->g);
  vks_graph_free (step->sample);
  memset (step, 0, sizeof *step);
}
