/* The graphs of one DCGAN / InfoGAN optimisation step (PyTorch examples/dcgan main.py), over one set of
 * parameter names: "G." and "D." + the example's state_dict keys.
 *  - discriminator step: fake = G(z) (batch norm in training mode, not differentiated: the
 *    example's fake.detach()), errD_real = loss(D(real), real) and errD_fake = loss(D(fake), fake)
 *    as two forward passes of D (each updating D's running statistics, in that order), and the
 *    gradient of their sum with respect to D's parameters. WGAN-GP instead: mean(D(fake)) -
 *    mean(D(real)) + lambda ((|dD(x^)/dx^|_2 - 1)^2).mean(), x^ = eps real + (1 - eps) fake, eps
 *    per sample (an input, drawn on the host). WGAN (weight clipping): the same without the
 *    penalty.
 *  - generator step: G(z) and D(G(z)) in training mode (G's running statistics move in the
 *    discriminator step's pass, and here only for WGAN-GP, whose step draws its own noise), errG = loss(D(G(z)), real) (WGAN-GP:
 *    -mean(D(G(z)))), gradient with respect to G's parameters only.
 *  - InfoGAN (net.arch): z carries the codes ([noise | one-hot category | continuous], as
 *    vks_gan_latents lays them out). The discriminator step is the adversarial one above and
 *    trains D's body and logit head only. The generator step adds lambda_info times the mutual
 *    information loss of D's Q head on the same G(z, c): cross entropy of q_logits against the
 *    category plus, per continuous code, the Gaussian NLL 0.5 (log 2 pi + log var) +
 *    (c - mean)^2 / (2 var) (or, info_mse, (c - mean)^2); each summed over the codes and
 *    averaged over the batch. The Q head's parameters (head_q, q_logits, q_mean, q_logvar) are
 *    trained by that step with G's (InfoGAN-PyTorch's optimG over netG and netQ); the shared
 *    body gets no gradient from it (its optimiser belongs to the discriminator step).
 *  - sample: G(z) with the running statistics (what `vkstyle generate` computes). */
#pragma once
#include "engine/models/dcgan.h"
#include "engine/nn/losses.h"

typedef struct {
  VksGanConfig net;
  VksGanMode mode;         /* vanilla, lsgan, hinge (ignored when wasserstein) */
  /* WGAN's critic loss mean(D(fake)) - mean(D(real)), G's -mean(D(G(z))) on fresh noise;
   * wgan_gp (implies it) adds the gradient penalty, plain WGAN clips weights instead (the
   * optimiser's clip). */
  gboolean wasserstein, wgan_gp;
  float gp_lambda;         /* 10 */
  float info_lambda;       /* InfoGAN: the mutual information loss's weight (1) */
  gboolean info_mse;       /* InfoGAN: MSE for the continuous codes instead of Gaussian NLL */
  int batch, sample_count;
} VksDcganStepConfig;

/* What the steps report (the D step's four, the G step's G, InfoGAN's G step also Info: G is
 * the adversarial part, the step minimises G + info_lambda Info). GP is 0 but for WGAN-GP and
 * Info 0 but for InfoGAN; the trainer's report leaves those out. */
typedef enum {
  VKS_GAN_LOSS_D, VKS_GAN_LOSS_G, VKS_GAN_LOSS_D_REAL, VKS_GAN_LOSS_D_FAKE, VKS_GAN_LOSS_GP,
  VKS_GAN_LOSS_INFO, VKS_GAN_N_LOSSES
} VksGanLoss;
extern const char *const vks_gan_loss_names[VKS_GAN_N_LOSSES];

#define VKS_GAN_PREFIX_G "G."
#define VKS_GAN_PREFIX_D "D."

typedef struct {
  VksGraph *graph;
  VksNode real, z, eps;       /* inputs (real, eps: VKS_NONE in the generator step) */
  VksNode fake;
  VksNode loss[VKS_GAN_N_LOSSES];   /* VKS_NONE where the step has none */
  /* every parameter of the network the step trains (running statistics too: grad VKS_NONE) */
  VksNode *params, *grads;
  int n_params;
  GArray *updates;            /* VksRunningUpdate to copy back after each run */
} VksGanStepGraph;

typedef struct {
  VksGanStepGraph d, g;
  VksGraph *sample;
  VksNode sample_z, sample_out;
} VksDcganStep;

gboolean vks_dcgan_step_build (VksDcganStep *step, const VksDcganStepConfig *cfg,
                               GError **error);
void vks_dcgan_step_clear (VksDcganStep *step);
