#include "engine/nn/losses.h"

VksNode
vks_mse_loss (VksGraph *g, VksNode x, float target)
{
  return vks_mean (g, vks_square (g, vks_add_scalar (g, x, -target)));
}

VksNode
vks_bce_with_logits_loss (VksGraph *g, VksNode x, float target)
{
  /* log(1 + exp(-|x|)) never overflows; max(x, 0) - x t is the rest of softplus(x) - x t */
  VksNode soft = vks_log (g, vks_add_scalar (g, vks_exp (g, vks_scale (g, vks_abs (g, x), -1.0f)),
                                             1.0f));
  VksNode lin = vks_add (g, vks_relu (g, x), vks_scale (g, x, -target));
  return vks_mean (g, vks_add (g, lin, soft));
}

VksNode
vks_l1_loss (VksGraph *g, VksNode a, VksNode b)
{
  return vks_mean (g, vks_abs (g, vks_sub (g, a, b)));
}

VksNode
vks_hinge_loss (VksGraph *g, VksNode x, gboolean real)
{
  VksNode margin = vks_add_scalar (g, vks_scale (g, x, real ? -1.0f : 1.0f), 1.0f);
  return vks_mean (g, vks_relu (g, margin));
}

VksNode
vks_gan_loss (VksGraph *g, VksGanMode mode, VksNode prediction, gboolean target_is_real,
              gboolean for_generator)
{
  switch (mode) {
  case VKS_GAN_LSGAN:
    return vks_mse_loss (g, prediction, target_is_real ? 1.0f : 0.0f);
  case VKS_GAN_VANILLA:
    return vks_bce_with_logits_loss (g, prediction, target_is_real ? 1.0f : 0.0f);
  default:
    return for_generator ? vks_scale (g, vks_mean (g, prediction), -1.0f)
                         : vks_hinge_loss (g, prediction, target_is_real);
  }
}
