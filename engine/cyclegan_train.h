/* One CycleGAN optimisation step on the device, as pytorch-CycleGAN-and-pix2pix's
 * CycleGANModel.optimize_parameters: generators G_A (A->B) and G_B (B->A) updated from the GAN,
 * cycle and identity losses with the discriminators frozen, then the discriminators D_A (judges
 * B) and D_B (judges A) updated on real images and on generated ones from the image pool.
 *
 * Built on the graph engine (engine/models/cyclegan_step.h): each half is a plan whose tail is
 * its Adam step, so a half is one submission (forward, backward, update); the host runs the
 * image pools in between (they are random, and the reference keeps them on the host too). The
 * four networks' parameters live in one store both plans read. */
#pragma once
#include "engine/models/cyclegan_step.h"
#include "engine/nn/optimizer.h"

typedef struct {
  int input_nc, output_nc;
  int ngf, n_blocks;       /* generators */
  VksUpsample upsample;    /* generators: transposed (0, the reference's) or resize-conv */
  int ndf, n_layers_d;     /* discriminators */
  VksGanMode gan_mode;
  float lambda_a, lambda_b, lambda_identity;
  double beta1, beta2, eps;
  int batch, height, width;
} VksCycleGanOptions;

/* Images of the last generator step, NCHW batches in [-1, 1]. */
typedef enum {
  VKS_IMG_REAL_A, VKS_IMG_FAKE_B, VKS_IMG_REC_A, VKS_IMG_IDT_B,
  VKS_IMG_REAL_B, VKS_IMG_FAKE_A, VKS_IMG_REC_B, VKS_IMG_IDT_A,
  VKS_N_IMAGES
} VksCycleGanImage;

typedef struct VksCycleGan VksCycleGan;

VksCycleGan *vks_cyclegan_new (VksContext *ctx, const VksCycleGanOptions *opts, GError **error);
void vks_cyclegan_free (VksCycleGan *cg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksCycleGan, vks_cyclegan_free)

/* Floats of one batch of images (batch x 3 x h x w). */
gsize vks_cyclegan_batch_floats (const VksCycleGan *cg);

/* pytorch-CycleGAN-and-pix2pix's init_weights('normal') for a new VksCycleGan: every
 * convolution weight N(0, std) from `normal` (one call per value: G_A, G_B, D_A, D_B, each in
 * layer order), biases 0. */
gboolean vks_cyclegan_init_normal (VksCycleGan *cg, float (*normal) (gpointer), gpointer rng,
                                   float std, GError **error);
/* One network's parameters by its state_dict names (a generator or PatchGAN checkpoint). */
gboolean vks_cyclegan_load_net (VksCycleGan *cg, VksCycleGanNet which, const VksCheckpoint *ckpt,
                                GError **error);
gboolean vks_cyclegan_save_net (VksCycleGan *cg, VksCycleGanNet which, VksCheckpoint *ckpt,
                                GError **error);
/* Everything a resume needs of the networks: parameters, Adam moments and step counts of both
 * optimisers ("G." and "D." scopes). Load checks every tensor before changing anything. */
gboolean vks_cyclegan_save_state (VksCycleGan *cg, VksCheckpoint *ckpt, GError **error);
gboolean vks_cyclegan_load_state (VksCycleGan *cg, const VksCheckpoint *ckpt, GError **error);

/* real_a, real_b: NCHW batches in [-1, 1]; t counts optimisation steps from 1 (it must be the
 * generators' optimiser's next step). Fills the G and cycle/identity entries of losses. */
gboolean vks_cyclegan_generator_step (VksCycleGan *cg, const float *real_a, const float *real_b,
                                      double lr, int64_t t, float losses[VKS_N_LOSSES],
                                      GError **error);
/* After a generator step: copies an image batch it produced (or its input). */
void vks_cyclegan_image (const VksCycleGan *cg, VksCycleGanImage which, float *dst);
/* pooled_fake_b / pooled_fake_a: what the image pools returned for FAKE_B / FAKE_A. Fills the D
 * entries of losses. */
gboolean vks_cyclegan_discriminator_step (VksCycleGan *cg, const float *pooled_fake_b,
                                          const float *pooled_fake_a, double lr, int64_t t,
                                          float losses[VKS_N_LOSSES], GError **error);
