/* The two halves of a CycleGAN optimisation step (pytorch-CycleGAN-and-pix2pix
 * CycleGANModel.optimize_parameters) as graphs over one set of parameter names: "G_A.", "G_B.",
 * "D_A.", "D_B." + each network's state_dict keys.
 *  - generator half: fake_B = G_A(real_A), rec_A = G_B(fake_B), fake_A = G_B(real_B),
 *    rec_B = G_A(fake_A), identity images, the six generator losses, and their sum's gradient
 *    with respect to the generators' parameters (the discriminators pass gradients through and
 *    collect none);
 *  - discriminator half: the two discriminator losses on real images and on the image pools'
 *    picks, and their gradients with respect to the discriminators' parameters.
 * The host runs the image pools between the halves (they are random, as in the reference). */
#pragma once
#include "engine/models/cyclegan.h"
#include "engine/nn/losses.h"

typedef struct {
  VksGeneratorConfig g;
  VksDiscriminatorConfig d;
  VksGanMode gan_mode;
  float lambda_a, lambda_b, lambda_identity;
  int batch, height, width;
} VksCycleGanStepConfig;

typedef enum { VKS_NET_G_A, VKS_NET_G_B, VKS_NET_D_A, VKS_NET_D_B, VKS_N_NETS } VksCycleGanNet;

/* The reference's loss names and order (vks_cyclegan_loss_names). */
typedef enum {
  VKS_LOSS_D_A, VKS_LOSS_G_A, VKS_LOSS_CYCLE_A, VKS_LOSS_IDT_A,
  VKS_LOSS_D_B, VKS_LOSS_G_B, VKS_LOSS_CYCLE_B, VKS_LOSS_IDT_B,
  VKS_N_LOSSES
} VksCycleGanLoss;

extern const char *const vks_cyclegan_net_prefixes[VKS_N_NETS];   /* "G_A." ... */
extern const char *const vks_cyclegan_loss_names[VKS_N_LOSSES];

typedef struct {
  VksGraph *g_half, *d_half;
  /* generator half */
  VksNode real_a, real_b;
  VksNode fake_b, rec_a, idt_b, fake_a, rec_b, idt_a;
  VksNode loss[VKS_N_LOSSES];   /* the generator half's six and the discriminator half's two */
  VksNode *g_params, *g_grads;     /* grads[i]: VKS_NONE where a parameter gets none */
  int n_g;
  /* discriminator half */
  VksNode d_real_a, d_real_b, pool_fake_a, pool_fake_b;
  VksNode *d_params, *d_grads;
  int n_d;
} VksCycleGanStep;

gboolean vks_cyclegan_step_build (VksCycleGanStep *step, const VksCycleGanStepConfig *cfg,
                                  GError **error);
void vks_cyclegan_step_clear (VksCycleGanStep *step);
