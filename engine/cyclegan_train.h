/* One CycleGAN optimisation step on the device, as pytorch-CycleGAN-and-pix2pix's
 * CycleGANModel.optimize_parameters: generators G_A (A->B) and G_B (B->A) updated from the GAN,
 * cycle and identity losses with the discriminators frozen, then the discriminators D_A (judges
 * B) and D_B (judges A) updated on real images and on generated ones from the image pool.
 *
 * Both halves are recorded once and re-submitted each step: the generator half is one submit
 * (upload, re-derive packed weights, 6 generator and 2 discriminator forwards, losses,
 * backward passes, Adam, readback of the generated images and losses); the host then runs the
 * image pool on the generated images (it is random, and the reference keeps it on the host too),
 * and the discriminator half is a second submit. The learning rate and Adam's step count are
 * written into a host-visible buffer before each submit, so nothing is re-recorded. */
#pragma once
#include "engine/loss.h"
#include "engine/nn/losses.h"   /* VksGanMode */
#include "engine/train_net.h"

typedef struct {
  int input_nc, output_nc;
  int ngf, n_blocks;       /* generators */
  int ndf, n_layers_d;     /* discriminators */
  VksGanMode gan_mode;
  float lambda_a, lambda_b, lambda_identity;
  double beta1, beta2, eps;
  int batch, height, width;
} VksCycleGanOptions;

typedef enum { VKS_NET_G_A, VKS_NET_G_B, VKS_NET_D_A, VKS_NET_D_B, VKS_N_NETS } VksCycleGanNet;

/* Loss names as the reference reports them. */
typedef enum {
  VKS_LOSS_D_A, VKS_LOSS_G_A, VKS_LOSS_CYCLE_A, VKS_LOSS_IDT_A,
  VKS_LOSS_D_B, VKS_LOSS_G_B, VKS_LOSS_CYCLE_B, VKS_LOSS_IDT_B,
  VKS_N_LOSSES
} VksCycleGanLoss;
extern const char *const vks_cyclegan_loss_names[VKS_N_LOSSES];

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

VksTrainNet *vks_cyclegan_net (VksCycleGan *cg, VksCycleGanNet which);
/* Floats of one batch of images (batch x 3 x h x w). */
gsize vks_cyclegan_batch_floats (const VksCycleGan *cg);

/* real_a, real_b: NCHW batches in [-1, 1]; t counts optimisation steps from 1. Fills the G and
 * cycle/identity entries of losses. */
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
