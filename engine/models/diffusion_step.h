/* One training step of the context U-Net (the course's loop, with the fixed noising): x_t =
 * sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, the network in training mode (batch statistics,
 * running statistics updated as PyTorch's BatchNorm2d does), MSE between its output and eps,
 * the gradient, and torch.optim.Adam's update, all in one submission. The course's defaults: Adam
 * lr 1e-3 (decayed linearly by the caller: vks_diffusion_trainer_step's lr), MSE on the noise.
 * Dropping the context for classifier-free guidance (a row of c set to 0 with probability p) is
 * the caller's, as are the timesteps (uniform in 1 .. T) and the noise. */
#pragma once
#include "engine/context.h"
#include "engine/models/context_unet.h"

typedef struct VksDiffusionTrainer VksDiffusionTrainer;

/* Batches of `batch` images; parameters zero until loaded. */
VksDiffusionTrainer *vks_diffusion_trainer_new (VksContext *ctx, const VksUnetConfig *cfg,
                                                int batch, GError **error);
void vks_diffusion_trainer_free (VksDiffusionTrainer *tr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksDiffusionTrainer, vks_diffusion_trainer_free)

/* The network's tensors from a checkpoint (exactly the model's list), or into one. */
gboolean vks_diffusion_trainer_load (VksDiffusionTrainer *tr, const VksCheckpoint *ckpt,
                                     GError **error);
gboolean vks_diffusion_trainer_save (VksDiffusionTrainer *tr, VksCheckpoint *ckpt,
                                     GError **error);

/* One step on x0 [batch][C][H][W] in [-1, 1], noise (same shape), timesteps t[batch] in
 * [1, T] and context c [batch][n_cfeat]; *loss: the MSE before the update. */
gboolean vks_diffusion_trainer_step (VksDiffusionTrainer *tr, const float *x0,
                                     const float *noise, const int *t, const float *c, double lr,
                                     float *loss, GError **error);

/* Training state: every parameter (running statistics included), Adam's moments and step count
 * (vks_optimizer_save's names, no scope); load checks every tensor before changing anything. */
gboolean vks_diffusion_trainer_save_state (VksDiffusionTrainer *tr, VksCheckpoint *ckpt,
                                           GError **error);
gboolean vks_diffusion_trainer_load_state (VksDiffusionTrainer *tr, const VksCheckpoint *ckpt,
                                           GError **error);
