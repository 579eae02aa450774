/* Training losses as graph nodes (scalars [1][1][1][1]), PyTorch's definitions: their gradients
 * come from vks_grad like any other node's. */
#pragma once
#include "engine/nn/graph.h"

/* mean((x - target)^2): nn.MSELoss against a constant (LSGAN). */
VksNode vks_mse_loss (VksGraph *g, VksNode x, float target);
/* nn.BCEWithLogitsLoss against a constant 0 or 1, in the stable form
 * mean(max(x, 0) - x * target + log(1 + exp(-|x|))). */
VksNode vks_bce_with_logits_loss (VksGraph *g, VksNode x, float target);
/* mean(|a - b|): nn.L1Loss (its gradient is sign(a - b), 0 where equal, as PyTorch's). */
VksNode vks_l1_loss (VksGraph *g, VksNode a, VksNode b);
/* Hinge GAN: mean(relu(1 - x)) for real, mean(relu(1 + x)) for generated images. */
VksNode vks_hinge_loss (VksGraph *g, VksNode x, gboolean real);

typedef enum { VKS_GAN_LSGAN, VKS_GAN_VANILLA, VKS_GAN_HINGE } VksGanMode;

/* pytorch-CycleGAN-and-pix2pix's GANLoss(mode)(prediction, target_is_real); for the hinge
 * generator loss (for_generator) it is -mean(prediction). */
VksNode vks_gan_loss (VksGraph *g, VksGanMode mode, VksNode prediction, gboolean target_is_real,
                      gboolean for_generator);
