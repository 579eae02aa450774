/* DCGAN / InfoGAN training on the device, as PyTorch examples/dcgan main.py's loop: per iteration a
 * discriminator step (real batch, then G(z) detached) and a generator step on the same z, each
 * one plan whose tail is its optimiser step (engine/models/dcgan_step.h). WGAN(-GP): the caller runs
 * n_critic discriminator steps (fresh real batches and noise) per generator step. The two
 * networks' parameters live in one store every plan reads; batch norms' running statistics are
 * copied back into it after each run (PyTorch updates them in forward). */
#pragma once
#include "engine/models/dcgan_step.h"
#include "engine/nn/optimizer.h"

typedef struct {
  VksGanConfig net;
  VksGanMode mode;
  gboolean wasserstein, wgan_gp;   /* VksDcganStepConfig's */
  /* Both networks' optimiser: Adam (beta1, beta2) or RMSprop (WGAN: beta2 is its alpha);
   * clip > 0: the critic's weights are clamped to [-clip, clip] after each of its updates. */
  VksOptimizerKind optimizer;
  double beta1, beta2, clip;
  /* InfoGAN (net.arch): VksDcganStepConfig's; the Q head is stepped by G's optimiser */
  float info_lambda;
  gboolean info_mse;
  int batch;
  int sample_count;          /* images of the fixed-noise sample plan */
} VksGanTrainOptions;

typedef struct VksGanTrainer VksGanTrainer;

VksGanTrainer *vks_gan_trainer_new (VksContext *ctx, const VksGanTrainOptions *opts,
                                    GError **error);
void vks_gan_trainer_free (VksGanTrainer *tr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksGanTrainer, vks_gan_trainer_free)

/* The example's weights_init: convolution weights N(0, 0.02), batch norm weights N(1, 0.02) from
 * `normal` (one call per value, G then D, each in layer order), biases 0, running mean 0,
 * running variance 1. */
gboolean vks_gan_trainer_init_normal (VksGanTrainer *tr, float (*normal) (gpointer),
                                      gpointer rng, GError **error);
/* One network's parameters by the example's state_dict names. */
gboolean vks_gan_trainer_load_net (VksGanTrainer *tr, gboolean generator,
                                   const VksCheckpoint *ckpt, GError **error);
gboolean vks_gan_trainer_save_net (VksGanTrainer *tr, gboolean generator, VksCheckpoint *ckpt,
                                   GError **error);
/* Parameters (running statistics included), Adam moments and step counts of both optimisers
 * ("G." and "D." scopes; InfoGAN's Q head is in G's); load checks every tensor before changing
 * anything. */
gboolean vks_gan_trainer_save_state (VksGanTrainer *tr, VksCheckpoint *ckpt, GError **error);
gboolean vks_gan_trainer_load_state (VksGanTrainer *tr, const VksCheckpoint *ckpt,
                                     GError **error);

/* real: [batch][nc][s][s] in [-1, 1]; z: [batch][latent]; eps: [batch] uniform in [0, 1)
 * (WGAN-GP only, else NULL). Fills the D entries of losses. */
gboolean vks_gan_trainer_d_step (VksGanTrainer *tr, const float *real, const float *z,
                                 const float *eps, double lr, float losses[VKS_GAN_N_LOSSES],
                                 GError **error);
/* z: [batch][latent], InfoGAN's codes included. Fills losses[VKS_GAN_LOSS_G] (InfoGAN: and
 * VKS_GAN_LOSS_INFO). */
gboolean vks_gan_trainer_g_step (VksGanTrainer *tr, const float *z, double lr,
                                 float losses[VKS_GAN_N_LOSSES], GError **error);
/* G(z) with the running statistics for sample_count latents. */
gboolean vks_gan_trainer_sample (VksGanTrainer *tr, const float *z, float *images,
                                 GError **error);
