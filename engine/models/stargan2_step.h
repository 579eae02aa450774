/* The graphs of one StarGAN v2 training iteration (clovaai/stargan-v2 core/solver.py:
 * compute_d_loss, compute_g_loss), over the parameter names of stargan2.h ("generator.",
 * "mapping_network.", "style_encoder.", "discriminator." + the state_dict keys).
 *
 * The reference steps the discriminator twice an iteration (latent-guided fake, then
 * reference-guided) with one optimiser, and the generator twice (latent-guided, which also steps
 * the mapping network and style encoder, then reference-guided, generator only) with another.
 * An optimiser's moments belong to one plan here, so each pair is ONE graph whose target style
 * is chosen by an input: s_trg = latent MappingNetwork(z, y_trg) + (1 - latent)
 * StyleEncoder(x_ref, y_trg), latent 1 or 0, which gives either style to the bit (the other
 * term is an exact 0). The unused branch costs a forward (and, in the generator graph, a
 * backward of zeros).
 *  - discriminator graph: loss_real = BCE(D(x_real, y_org), 1); loss_reg = R1, 0.5 sum(dD/dx)^2
 *    / batch by double backward; x_fake = G(x_real, s_trg) without gradient; loss_fake =
 *    BCE(D(x_fake, y_trg), 0); loss = real + fake + lambda_reg reg; gradients of D's
 *    parameters.
 *  - generator graph: x_fake = G(x_real, s_trg); adv = BCE(D(x_fake, y_trg), 1); sty =
 *    mean |E(x_fake, y_trg) - s_trg|; ds = mean |x_fake - G(x_real, s_trg2)| (the second image
 *    detached, s_trg2 from z2 / x_ref2 as s_trg); cyc = mean |G(x_fake, E(x_real, y_org)) -
 *    x_real|; loss = adv + lambda_sty sty - lambda_ds ds + lambda_cyc cyc, lambda_ds an input
 *    (it decays over the run); gradients of G's, the mapping network's and the style encoder's
 *    parameters (D's are not wanted: the reference zeroes them before D's next step).
 * Domains are given as rows (vks_stargan2_domain_rows). w_hpf is 0 (no face masks). */
#pragma once
#include "engine/models/stargan2.h"

typedef enum {
  VKS_SG2_D_REAL, VKS_SG2_D_FAKE, VKS_SG2_D_REG, VKS_SG2_D_N
} VksStarGan2DLoss;

typedef enum {
  VKS_SG2_G_ADV, VKS_SG2_G_STY, VKS_SG2_G_DS, VKS_SG2_G_CYC, VKS_SG2_G_N
} VksStarGan2GLoss;

extern const char *const vks_stargan2_d_loss_names[VKS_SG2_D_N];   /* real, fake, reg */
extern const char *const vks_stargan2_g_loss_names[VKS_SG2_G_N];   /* adv, sty, ds, cyc */

typedef struct {
  VksStarGan2Config net;
  int batch;
  float lambda_reg, lambda_sty, lambda_cyc;   /* 1, 1, 1 in the reference */
} VksStarGan2StepConfig;

typedef struct {
  VksGraph *graph;
  /* inputs: images [batch][3][S][S], rows [1][1][1][batch], latents [1][1][batch][latent_dim],
   * latent and lambda_ds [1][1][1][1] (lambda_ds and z2 / x_ref2: VKS_NONE in the D graph) */
  VksNode x_real, rows_org, rows_trg, z, z2, x_ref, x_ref2, latent, lambda_ds;
  VksNode loss[VKS_SG2_G_N];   /* the D graph's first VKS_SG2_D_N */
  VksNode total;
  int n_params;                /* the trained parameters and their gradients */
  VksNode *params, *grads;
} VksStarGan2StepGraph;

typedef struct {
  VksStarGan2StepGraph d, g;
} VksStarGan2Step;

gboolean vks_stargan2_step_build (VksStarGan2Step *step, const VksStarGan2StepConfig *cfg,
                                  GError **error);
void vks_stargan2_step_clear (VksStarGan2Step *step);

/* The network a parameter name belongs to: 0 generator, 1 mapping network, 2 style encoder,
 * 3 discriminator, -1 none. */
int vks_stargan2_network_of (const char *name);
extern const char *const vks_stargan2_network_prefixes[4];
