#include "engine/models/cyclegan_step.h"

#include <string.h>

const char *const vks_cyclegan_net_prefixes[VKS_N_NETS] = { "G_A.", "G_B.", "D_A.", "D_B." };
const char *const vks_cyclegan_loss_names[VKS_N_LOSSES] = {
  "D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B",
};

static VksNode
generator (VksGraph *g, const VksCycleGanStepConfig *cfg, VksCycleGanNet which, VksNode x)
{
  return vks_cyclegan_generator (g, x, &cfg->g, vks_cyclegan_net_prefixes[which]);
}

static VksNode
discriminator (VksGraph *g, const VksCycleGanStepConfig *cfg, VksCycleGanNet which, VksNode x)
{
  return vks_patchgan_discriminator (g, x, &cfg->d, vks_cyclegan_net_prefixes[which]);
}

/* Parameters whose names start with one of the prefixes, with their gradients of loss. */
static void
params_of (VksGraph *g, VksNode loss, VksCycleGanNet first, VksNode **params, VksNode **grads,
           int *n)
{
  int all = 0;
  g_autofree VksNode *every = vks_graph_params (g, &all);
  *params = g_new (VksNode, all + 1);
  *n = 0;
  for (int i = 0; i < all; i++) {
    const char *name = vks_graph_name (g, every[i]);
    if (g_str_has_prefix (name, vks_cyclegan_net_prefixes[first]) ||
        g_str_has_prefix (name, vks_cyclegan_net_prefixes[first + 1]))
      (*params)[(*n)++] = every[i];
  }
  *grads = g_new (VksNode, *n + 1);
  vks_grad (g, loss, *params, *n, *grads);
}

static VksNode
sum_losses (VksGraph *g, const VksNode *losses, const int *which, int n)
{
  VksNode total = losses[which[0]];
  for (int i = 1; i < n; i++)
    total = vks_add (g, total, losses[which[i]]);
  return total;
}

static void
build_generator_half (VksCycleGanStep *s, const VksCycleGanStepConfig *cfg)
{
  VksGraph *g = s->g_half = vks_graph_new ();
  VksShape img = vks_shape (cfg->batch, cfg->g.input_nc, cfg->height, cfg->width);
  s->real_a = vks_input (g, "real_A", img);
  s->real_b = vks_input (g, "real_B", img);
  s->fake_b = generator (g, cfg, VKS_NET_G_A, s->real_a);
  s->rec_a = generator (g, cfg, VKS_NET_G_B, s->fake_b);
  s->fake_a = generator (g, cfg, VKS_NET_G_B, s->real_b);
  s->rec_b = generator (g, cfg, VKS_NET_G_A, s->fake_a);
  s->idt_a = generator (g, cfg, VKS_NET_G_A, s->real_b);
  s->idt_b = generator (g, cfg, VKS_NET_G_B, s->real_a);
  VksGanMode mode = cfg->gan_mode;
  VksNode *l = s->loss;
  l[VKS_LOSS_IDT_A] = vks_scale (g, vks_l1_loss (g, s->idt_a, s->real_b),
                                    cfg->lambda_b * cfg->lambda_identity);
  l[VKS_LOSS_IDT_B] = vks_scale (g, vks_l1_loss (g, s->idt_b, s->real_a),
                                    cfg->lambda_a * cfg->lambda_identity);
  l[VKS_LOSS_G_A] = vks_gan_loss (g, mode, discriminator (g, cfg, VKS_NET_D_A, s->fake_b), TRUE,
                                     TRUE);
  l[VKS_LOSS_G_B] = vks_gan_loss (g, mode, discriminator (g, cfg, VKS_NET_D_B, s->fake_a), TRUE,
                                     TRUE);
  l[VKS_LOSS_CYCLE_A] = vks_scale (g, vks_l1_loss (g, s->rec_a, s->real_a), cfg->lambda_a);
  l[VKS_LOSS_CYCLE_B] = vks_scale (g, vks_l1_loss (g, s->rec_b, s->real_b), cfg->lambda_b);
  /* the reference's order of the sum */
  static const int order[] = { VKS_LOSS_G_A, VKS_LOSS_G_B, VKS_LOSS_CYCLE_A,
                               VKS_LOSS_CYCLE_B, VKS_LOSS_IDT_A, VKS_LOSS_IDT_B };
  VksNode total = sum_losses (g, l, order, G_N_ELEMENTS (order));
  params_of (g, total, VKS_NET_G_A, &s->g_params, &s->g_grads, &s->n_g);
}

static VksNode
discriminator_loss (VksGraph *g, const VksCycleGanStepConfig *cfg, VksCycleGanNet which,
                    VksNode real, VksNode fake)
{
  VksNode on_real = vks_gan_loss (g, cfg->gan_mode, discriminator (g, cfg, which, real), TRUE,
                                  FALSE);
  VksNode on_fake = vks_gan_loss (g, cfg->gan_mode, discriminator (g, cfg, which, fake), FALSE,
                                  FALSE);
  return vks_scale (g, vks_add (g, on_real, on_fake), 0.5f);
}

static void
build_discriminator_half (VksCycleGanStep *s, const VksCycleGanStepConfig *cfg)
{
  VksGraph *g = s->d_half = vks_graph_new ();
  VksShape img = vks_shape (cfg->batch, cfg->g.input_nc, cfg->height, cfg->width);
  VksShape out = vks_shape (cfg->batch, cfg->g.output_nc, cfg->height, cfg->width);
  s->d_real_a = vks_input (g, "real_A", img);
  s->d_real_b = vks_input (g, "real_B", img);
  s->pool_fake_a = vks_input (g, "pool_fake_A", out);
  s->pool_fake_b = vks_input (g, "pool_fake_B", out);
  s->loss[VKS_LOSS_D_A] = discriminator_loss (g, cfg, VKS_NET_D_A, s->d_real_b, s->pool_fake_b);
  s->loss[VKS_LOSS_D_B] = discriminator_loss (g, cfg, VKS_NET_D_B, s->d_real_a, s->pool_fake_a);
  VksNode total = vks_add (g, s->loss[VKS_LOSS_D_A], s->loss[VKS_LOSS_D_B]);
  params_of (g, total, VKS_NET_D_A, &s->d_params, &s->d_grads, &s->n_d);
}

gboolean
vks_cyclegan_step_build (VksCycleGanStep *step, const VksCycleGanStepConfig *cfg, GError **error)
{
  memset (step, 0, sizeof *step);
  build_generator_half (step, cfg);
  build_discriminator_half (step, cfg);
  if (vks_graph_check (step->g_half, error) && vks_graph_check (step->d_half, error))
    return TRUE;
  vks_cyclegan_step_clear (step);
  return FALSE;
}

void
vks_cyclegan_step_clear (VksCycleGanStep *step)
{
  vks_graph_free (step->g_half);
  vks_graph_free (step->d_half);
  g_free (step->g_params);
  g_free (step->g_grads);
  g_free (step->d_params);
  g_free (step->d_grads);
  memset (step, 0, sizeof *step);
}
