/* Images from pure noise in batches: what `vkstyle generate` with a diffusion model and GIMP's
 * Diffusion Sprites both call, so that the same seed and settings give the same pixels in both
 * (engine/models/diffusion.h has the sampler itself). */
#pragma once
#include "engine/models/diffusion.h"

/* The most images one vks_diffusion_sample call denoises: a batch of the sprites course's
 * size, which keeps a 16x16 model's activations small on any device. */
#define VKS_DIFFUSION_BATCH 16

typedef struct {
  VksSampler sampler;
  int steps;                   /* DDIM steps; DDPM takes every timestep */
  const float *context;        /* [n_cfeat], the same for every image; NULL: zero context */
  double guidance;             /* classifier-free guidance, 0: off */
  guint64 seed;                /* DDPM's step noise (vks_diffusion_sample's) */
  /* Over all batches: step 1 .. n_steps of the whole run; FALSE cancels. */
  VksDiffusionProgress progress;
  gpointer user_data;
} VksGenerateOptions;

/* Network runs of the whole job (its progress's n_steps). */
int vks_diffusion_generate_n_steps (const VksDiffusionModel *model, int count,
                                    const VksGenerateOptions *options);

/* Denoises count images x [count][C][H][W] in place, x_T (from vks_diffusion_initial_noise or a
 * file) to x_0 in [-1, 1], VKS_DIFFUSION_BATCH at a time; image i's DDPM noise depends on the
 * seed and i only. */
gboolean vks_diffusion_generate (VksDiffusionModel *model, int count, float *x,
                                 const VksGenerateOptions *options, GError **error);
