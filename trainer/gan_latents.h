/* The trainer's latents: noise as `vkstyle generate` draws it, then InfoGAN's codes drawn at
 * random as training sees them (the training steps and the FID evaluation both use it). */
#pragma once
#include "engine/texture.h"

/* count latents: the noise of vks_gan_latents (net, key, ...), then per latent a category
 * uniform in [0, n_categories) and continuous codes uniform in [-1, 1) from the trainer's RNG
 * on stream `key` of `seed`. */
void vks_gan_draw_latents (const VksGanConfig *net, guint64 seed, guint64 key, int count,
                           float *z);
