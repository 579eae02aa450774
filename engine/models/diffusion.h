/* Denoising diffusion with the sprites course's context U-Net (context_unet.h): the noise
 * schedule, DDPM and DDIM (eta = 0) sampling, classifier-free guidance, and variations of an
 * image by partial noising. What `vkstyle generate` / `vkstyle vary` call.
 *
 * Schedule (the course's): beta_i = beta1 + (beta2 - beta1) i / T for i = 0 .. T, alpha_i =
 * 1 - beta_i, abar_i = exp(sum_{j <= i} log alpha_j), abar_0 = 1; computed in double. The
 * network is told the time as i / T. Training noises x_0 into sqrt(abar) x_0 + sqrt(1 - abar) eps
 * (the course mixes (1 - abar) eps, a slip we do not copy), which is what both samplers assume.
 *
 * Each denoising step is one plan run: the network and the update x <- ca x + cb eps + cs z in
 * one recording, the coefficients written into host-visible inputs, so a step is one
 * submission and nothing is re-recorded between steps. */
#pragma once
#include "engine/context.h"
#include "engine/models/context_unet.h"

typedef struct {
  int timesteps;
  double *beta, *alpha, *alpha_bar;   /* timesteps + 1 entries each */
} VksNoiseSchedule;

VksNoiseSchedule *vks_noise_schedule_new (const VksUnetConfig *cfg);
void vks_noise_schedule_free (VksNoiseSchedule *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksNoiseSchedule, vks_noise_schedule_free)

typedef struct VksDiffusionModel VksDiffusionModel;

/* Loads and validates a context U-Net checkpoint (metadata, exactly its tensors) and uploads its
 * weights; errors name the file and the problem. */
VksDiffusionModel *vks_diffusion_model_load (VksContext *ctx, const char *path, GError **error);
VksDiffusionModel *vks_diffusion_model_new (VksContext *ctx, const VksCheckpoint *ckpt,
                                            GError **error);
void vks_diffusion_model_free (VksDiffusionModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksDiffusionModel, vks_diffusion_model_free)

const VksUnetConfig *vks_diffusion_model_config (const VksDiffusionModel *model);
const VksNoiseSchedule *vks_diffusion_model_schedule (const VksDiffusionModel *model);
/* vkstyle.name (else the file name without extension) and vkstyle.description (may be ""). */
const char *vks_diffusion_model_name (const VksDiffusionModel *model);
const char *vks_diffusion_model_description (const VksDiffusionModel *model);

/* The network once: eps [n][C][H][W] for x [n][C][H][W], t[n] (i / T) and context c
 * [n][n_cfeat], or c NULL: the course's c=None (a graph without the context input). */
gboolean vks_diffusion_predict (VksDiffusionModel *model, int n, const float *x, const float *t,
                                const float *c, float *eps, GError **error);

typedef enum { VKS_SAMPLER_DDPM, VKS_SAMPLER_DDIM } VksSampler;

/* DDPM's fresh noise for the step from timestep t: z [n][C][H][W]. */
typedef void (*VksDiffusionNoiseFunc) (int t, int n, float *z, gpointer user_data);
/* After each step (1 .. n_steps); FALSE cancels (VKS_ERROR_CANCELLED). */
typedef gboolean (*VksDiffusionProgress) (int step, int n_steps, gpointer user_data);

typedef struct {
  VksSampler sampler;
  /* DDIM: timesteps t_start, t_start - k, ... > 0 with k = max(1, t_start / steps), each going to
   * max(t - k, 0) (the course's sample_ddim when steps divides T). DDPM: every timestep. */
  int steps;
  int t_start;                /* 0: T (x is pure noise); less: x is x_{t_start} (variations) */
  const float *context;       /* [n][n_cfeat]; NULL: zero context (unconditional) */
  /* Classifier-free guidance: eps = (1 + w) eps(x, c) - w eps(x, 0); 0: off (one network run
   * per step, else one of twice the batch). */
  double guidance;
  /* DDPM's noise: from noise() if set, else vks_diffusion_normals (seed, VKS_DIFFUSION_STEP, t
   * << 32 | (first + image)): image i depends on the seed and i only. */
  guint64 seed;
  int first;                  /* the index of this batch's image 0 in the whole job */
  VksDiffusionNoiseFunc noise;
  gpointer noise_data;
  VksDiffusionProgress progress;
  gpointer user_data;
} VksSampleOptions;

/* Denoises x [n][C][H][W] in place: x_{t_start} (pure noise for generation) to x_0 in [-1, 1]
 * (not clamped). */
gboolean vks_diffusion_sample (VksDiffusionModel *model, int n, float *x,
                               const VksSampleOptions *options, GError **error);
/* Number of network runs vks_diffusion_sample makes (its progress's n_steps). */
int vks_diffusion_n_steps (const VksDiffusionModel *model, const VksSampleOptions *options);

/* The random streams: x_T of image i is stream i of VKS_DIFFUSION_INITIAL, a variation's noise
 * stream i of VKS_DIFFUSION_VARY; count standard normals (texture.c's documented generator). */
enum { VKS_DIFFUSION_INITIAL = 3, VKS_DIFFUSION_STEP = 4, VKS_DIFFUSION_VARY = 5 };
void vks_diffusion_normals (guint64 seed, int domain, guint64 stream, int count, float *out);
/* x_T for images first .. first + n - 1 of the seed: [n][C][H][W]. */
void vks_diffusion_initial_noise (const VksUnetConfig *cfg, guint64 seed, int first, int n,
                                  float *x);
/* x <- sqrt(abar_t) x + sqrt(1 - abar_t) z with z from VKS_DIFFUSION_VARY (image first + i):
 * the forward process to timestep t, for variations. */
void vks_diffusion_noise_to (const VksDiffusionModel *model, int t, guint64 seed, int first,
                             int n, float *x);

/* Images: n planar samples [n][C][H][W] in [-1, 1] to packed R'G'B' [n][H][W][3] in [0, 1]
 * ((x + 1) / 2 clamped; 1 or 3 channels, one is grey), and packed R'G'B' to planar [-1, 1] (2 v - 1; a
 * one-channel model takes the mean of R, G, B). */
void vks_diffusion_to_rgb (const VksUnetConfig *cfg, int n, const float *x, float *rgb);
void vks_diffusion_from_rgb (const VksUnetConfig *cfg, int n, const float *rgb, float *x);

/* A variation of a packed R'G'B' image [height][width][3] in [0, 1] (1 or 3 channel models):
 * noised to timestep round(strength T) and denoised by DDIM in `steps` steps toward the context
 * (NULL: zero). An image of the model's size is one sample; a larger one is cut into model-size
 * tiles overlapping by at least a quarter of a side, each noised with its own stream (tile k:
 * VKS_DIFFUSION_VARY stream k) and denoised in batches, then cross-faded with linear ramps
 * (weights normalised to 1 at every pixel). Smaller than the model: VKS_ERROR_SHAPE. progress
 * counts network runs over all batches; FALSE cancels. out may be rgb. */
gboolean vks_diffusion_vary (VksDiffusionModel *model, const float *rgb, int width, int height,
                             double strength, int steps, const float *context, guint64 seed,
                             VksDiffusionProgress progress, gpointer user_data, float *out,
                             GError **error);
