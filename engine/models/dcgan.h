/* PyTorch examples/dcgan's networks as graph builders, with the variants the GAN trainer and the
 * Neural Texture filter use: WGAN / WGAN-GP critics (no batch norm: none or layer norm) and
 * InfoGAN (latent codes, a Q head on the discriminator's body). Parameter names are `prefix` (may
 * be NULL) + the reference state_dict keys ("main.0.weight", ...), so the example's
 * netG_epoch_N.pth converts by name. Also the models' metadata (self-describing checkpoints) and
 * exact tensor lists. */
#pragma once
#include "engine/model_spec.h"
#include "engine/nn/graph.h"

#define VKS_ARCH_DCGAN "dcgan"
#define VKS_ARCH_INFOGAN "infogan"
#define VKS_GAN_MAX_CODES 8

typedef enum { VKS_GAN_DCGAN, VKS_GAN_INFOGAN } VksGanArch;

/* The discriminator's normalisation after its second and later convolutions. */
typedef enum {
  VKS_CRITIC_NORM_BATCH,   /* DCGAN's BatchNorm2d (training mode while training) */
  VKS_CRITIC_NORM_NONE,    /* WGAN-GP: no batch norm in a critic whose gradient is penalised */
  VKS_CRITIC_NORM_LAYER,   /* WGAN-GP's alternative: LayerNorm over [c][h][w] */
} VksCriticNorm;

typedef struct {
  VksGanArch arch;
  int nz;                  /* noise length: vkstyle.nz, 100 */
  int ngf, ndf, nc;        /* 64, 64, 3 */
  int image_size;          /* 32, 64 or 128: the number of (transposed) convolutions */
  VksCriticNorm d_norm;
  /* InfoGAN: one categorical code of n_categories values (10; 0: none) and n_continuous
   * continuous codes (2), uniform in [-1, 1] while training. The generator's input is
   * [noise (nz) | one-hot category | continuous codes]. */
  int n_categories, n_continuous;
  /* What the codes mean, for the filter's sliders ("digit", "rotation", ...); "" if unnamed. */
  char category_name[32];
  char continuous_names[VKS_GAN_MAX_CODES][32];
} VksGanConfig;

/* The example's defaults for arch (nz 100, ngf = ndf = 64, nc 3, 64x64, batch norm; InfoGAN:
 * 10 categories, 2 continuous codes). */
void vks_gan_config_default (VksGanConfig *cfg, VksGanArch arch);
/* nz + n_categories + n_continuous: the generator's input channels. */
int vks_gan_latent_size (const VksGanConfig *cfg);

/* A batch norm's new running statistics while training (PyTorch updates them in forward): the
 * caller copies value into param after each run. */
typedef struct {
  VksNode param, value;
} VksRunningUpdate;
/* A batch norm's running statistics after two passes in training mode (first, then second: a
 * discriminator on real images, then on generated ones), both built from the same parameter
 * nodes p: second + (1 - m)(first - p) is (1 - m) first + m batch_second, PyTorch's sequential
 * update. Appends to dst one update per entry of first. */
void vks_running_updates_chain (VksGraph *g, GArray *dst, const GArray *first,
                                const GArray *second, float momentum);

/* Generator: z [n][latent][gh][gw] -> images [n][nc][h][w] in [-1, 1] (tanh). gh = gw = 1 gives
 * the example's image_size x image_size; a larger latent grid gives a larger image from the
 * same fully convolutional network (spatial GAN: 16 (gh + 3) rows for image_size 64).
 * training: batch norms use the batch's statistics and append their running statistics' updates
 * to `updates` (a GArray of VksRunningUpdate; may be NULL); else the running statistics. */
VksNode vks_dcgan_generator (VksGraph *g, VksNode z, const VksGanConfig *cfg, gboolean training,
                             const char *prefix, GArray *updates);

/* Discriminator outputs. logit: before the example's final Sigmoid (the losses take logits;
 * the Sigmoid has no parameters, so the state_dict is the example's), [n][1][1][1] at
 * image_size, a patch map for larger images. InfoGAN's Q head (VKS_NONE for DCGAN): the
 * categorical code's logits [n][n_categories][1][1], the continuous codes' means and variances
 * [n][n_continuous][1][1]; q_logvar is log q_var before the exp (the Gaussian NLL's stable
 * form). */
typedef struct {
  VksNode logit;
  VksNode q_logits, q_mean, q_var, q_logvar;
} VksGanCritic;

VksGanCritic vks_dcgan_discriminator (VksGraph *g, VksNode x, const VksGanConfig *cfg,
                                      gboolean training, const char *prefix, GArray *updates);

/* Metadata: vkstyle.arch "dcgan" / "infogan", vkstyle.nz, .ngf, .ndf, .nc, .image_size,
 * .d_norm ("batch", "none", "layer"), .n_categories, .n_continuous, .category_name,
 * .continuous_names (comma-separated), and as for every model vkstyle.name / .description.
 * Range-checked strictly (model_spec.h). */
gboolean vks_gan_config_from_checkpoint (const VksCheckpoint *ckpt, VksGanConfig *cfg,
                                         GError **error);
void vks_gan_config_to_metadata (const VksGanConfig *cfg, VksCheckpoint *ckpt);
/* Exact tensor lists (VksTensorSpec*, forward order, state_dict names without prefix). */
GPtrArray *vks_gan_generator_tensors (const VksGanConfig *cfg);
GPtrArray *vks_gan_discriminator_tensors (const VksGanConfig *cfg);

/* Exactly the generator's (or the discriminator's) tensors with their shapes, nothing else; the
 * error names the first missing, extra or misshapen one (model_spec.h). */
gboolean vks_gan_check_tensors (const VksCheckpoint *ckpt, const VksGanConfig *cfg,
                                gboolean generator, GError **error);
