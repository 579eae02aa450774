#include "engine/models/stargan2_step.h"

#include <string.h>

#include "engine/nn/losses.h"

const char *const vks_stargan2_d_loss_names[VKS_SG2_D_N] = { "real", "fake", "reg" };
const char *const vks_stargan2_g_loss_names[VKS_SG2_G_N] = { "adv", "sty", "ds", "cyc" };
const char *const vks_stargan2_network_prefixes[4] = {
  "generator.", "mapping_network.", "style_encoder.", "discriminator.",
};

#define G_PREFIX "generator."
#define M_PREFIX "mapping_network."
#define E_PREFIX "style_encoder."
#define D_PREFIX "discriminator."

int
vks_stargan2_network_of (const char *name)
{
  for (int k = 0; k < 4; k++)
    if (g_str_has_prefix (name, vks_stargan2_network_prefixes[k]))
      return k;
  return -1;
}

static VksNode
images (VksGraph *g, const VksStarGan2StepConfig *cfg, const char *name)
{
  int s = cfg->net.img_size;
  return vks_input (g, name, vks_shape (cfg->batch, 3, s, s));
}

static VksNode
latents (VksGraph *g, const VksStarGan2StepConfig *cfg, const char *name)
{
  return vks_input (g, name, vks_shape (1, 1, cfg->batch, cfg->net.latent_dim));
}

/* The inputs both graphs have. */
static void
common_inputs (VksStarGan2StepGraph *s, const VksStarGan2StepConfig *cfg)
{
  VksGraph *g = s->graph;
  s->x_real = images (g, cfg, "x_real");
  s->rows_org = vks_input (g, "rows_org", vks_shape (1, 1, 1, cfg->batch));
  s->rows_trg = vks_input (g, "rows_trg", vks_shape (1, 1, 1, cfg->batch));
  s->z = latents (g, cfg, "z");
  s->x_ref = images (g, cfg, "x_ref");
  s->latent = vks_input (g, "latent", vks_shape (1, 1, 1, 1));
}

/* latent M(z, rows) + (1 - latent) E(x_ref, rows): either style exactly, latent being 1 or 0 */
static VksNode
target_style (VksGraph *g, const VksStarGan2StepConfig *cfg, VksNode latent, VksNode z,
              VksNode x_ref, VksNode rows)
{
  VksNode from_z = vks_stargan2_mapping (g, z, rows, &cfg->net, M_PREFIX);
  VksNode from_ref = vks_stargan2_style_encoder (g, x_ref, rows, &cfg->net, E_PREFIX);
  VksNode other = vks_add_scalar (g, vks_scale (g, latent, -1.0f), 1.0f);
  return vks_add (g, vks_mul (g, from_z, latent), vks_mul (g, from_ref, other));
}

/* The parameters whose names belong to the networks in `trains` (indexed like
 * vks_stargan2_network_prefixes), with their gradients of s->total. */
static void
params_of (VksStarGan2StepGraph *s, const gboolean trains[4])
{
  int all = 0;
  g_autofree VksNode *every = vks_graph_params (s->graph, &all);
  s->params = g_new (VksNode, all + 1);
  s->n_params = 0;
  for (int i = 0; i < all; i++) {
    int net = vks_stargan2_network_of (vks_graph_name (s->graph, every[i]));
    if (net >= 0 && trains[net])
      s->params[s->n_params++] = every[i];
  }
  s->grads = g_new (VksNode, s->n_params + 1);
  vks_grad (s->graph, s->total, s->params, s->n_params, s->grads);
}

static void
build_discriminator (VksStarGan2StepGraph *s, const VksStarGan2StepConfig *cfg)
{
  VksGraph *g = s->graph = vks_graph_new ();
  const VksStarGan2Config *net = &cfg->net;
  common_inputs (s, cfg);

  VksNode out = vks_stargan2_discriminator (g, s->x_real, s->rows_org, net, D_PREFIX);
  s->loss[VKS_SG2_D_REAL] = vks_bce_with_logits_loss (g, out, 1.0f);
  VksNode grad_x = VKS_NONE;
  vks_grad (g, vks_sum (g, out), &s->x_real, 1, &grad_x);
  s->loss[VKS_SG2_D_REG] = vks_scale (g, vks_sum (g, vks_square (g, grad_x)),
                                      0.5f / (float) cfg->batch);

  /* the reference's torch.no_grad() around the fake */
  VksNode s_trg = target_style (g, cfg, s->latent, s->z, s->x_ref, s->rows_trg);
  VksNode x_fake = vks_stop_gradient (g, vks_stargan2_generator (g, s->x_real, s_trg, net,
                                                                 G_PREFIX));
  VksNode fake_out = vks_stargan2_discriminator (g, x_fake, s->rows_trg, net, D_PREFIX);
  s->loss[VKS_SG2_D_FAKE] = vks_bce_with_logits_loss (g, fake_out, 0.0f);
  s->total = vks_add (g, vks_add (g, s->loss[VKS_SG2_D_REAL], s->loss[VKS_SG2_D_FAKE]),
                      vks_scale (g, s->loss[VKS_SG2_D_REG], cfg->lambda_reg));
  params_of (s, (const gboolean[4]) { FALSE, FALSE, FALSE, TRUE });
}

static void
build_generator (VksStarGan2StepGraph *s, const VksStarGan2StepConfig *cfg)
{
  VksGraph *g = s->graph = vks_graph_new ();
  const VksStarGan2Config *net = &cfg->net;
  common_inputs (s, cfg);
  s->z2 = latents (g, cfg, "z2");
  s->x_ref2 = images (g, cfg, "x_ref2");
  s->lambda_ds = vks_input (g, "lambda_ds", vks_shape (1, 1, 1, 1));

  VksNode s_trg = target_style (g, cfg, s->latent, s->z, s->x_ref, s->rows_trg);
  VksNode x_fake = vks_stargan2_generator (g, s->x_real, s_trg, net, G_PREFIX);
  VksNode out = vks_stargan2_discriminator (g, x_fake, s->rows_trg, net, D_PREFIX);
  s->loss[VKS_SG2_G_ADV] = vks_bce_with_logits_loss (g, out, 1.0f);

  VksNode s_pred = vks_stargan2_style_encoder (g, x_fake, s->rows_trg, net, E_PREFIX);
  s->loss[VKS_SG2_G_STY] = vks_l1_loss (g, s_pred, s_trg);

  VksNode s_trg2 = target_style (g, cfg, s->latent, s->z2, s->x_ref2, s->rows_trg);
  VksNode x_fake2 = vks_stop_gradient (g, vks_stargan2_generator (g, s->x_real, s_trg2, net,
                                                                  G_PREFIX));
  s->loss[VKS_SG2_G_DS] = vks_l1_loss (g, x_fake, x_fake2);

  VksNode s_org = vks_stargan2_style_encoder (g, s->x_real, s->rows_org, net, E_PREFIX);
  VksNode x_rec = vks_stargan2_generator (g, x_fake, s_org, net, G_PREFIX);
  s->loss[VKS_SG2_G_CYC] = vks_l1_loss (g, x_rec, s->x_real);

  VksNode total = vks_add (g, s->loss[VKS_SG2_G_ADV],
                           vks_scale (g, s->loss[VKS_SG2_G_STY], cfg->lambda_sty));
  total = vks_sub (g, total, vks_mul (g, s->loss[VKS_SG2_G_DS], s->lambda_ds));
  s->total = vks_add (g, total, vks_scale (g, s->loss[VKS_SG2_G_CYC], cfg->lambda_cyc));
  params_of (s, (const gboolean[4]) { TRUE, TRUE, TRUE, FALSE });
}

static void
graph_clear (VksStarGan2StepGraph *s)
{
  vks_graph_free (s->graph);
  g_free (s->params);
  g_free (s->grads);
}

static void
graph_init (VksStarGan2StepGraph *s)
{
  memset (s, 0, sizeof *s);
  s->x_real = s->rows_org = s->rows_trg = s->z = s->z2 = s->x_ref = s->x_ref2 = VKS_NONE;
  s->latent = s->lambda_ds = s->total = VKS_NONE;
  for (int i = 0; i < VKS_SG2_G_N; i++)
    s->loss[i] = VKS_NONE;
}

gboolean
vks_stargan2_step_build (VksStarGan2Step *step, const VksStarGan2StepConfig *cfg,
                         GError **error)
{
  graph_init (&step->d);
  graph_init (&step->g);
  if (!vks_stargan2_config_check (&cfg->net, error))
    return FALSE;
  build_discriminator (&step->d, cfg);
  build_generator (&step->g, cfg);
  if (vks_graph_check (step->d.graph, error) && vks_graph_check (step->g.graph, error))
    return TRUE;
  vks_stargan2_step_clear (step);
  return FALSE;
}

void
vks_stargan2_step_clear (VksStarGan2Step *step)
{
  graph_clear (&step->d);
  graph_clear (&step->g);
  graph_init (&step->d);
  graph_init (&step->g);
}
