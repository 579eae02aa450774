/* Starting weights drawn on the host for the graph-engine trainers, from a model's exact tensor
 * list (VksTensorSpec, engine/model_spec.h), as PyTorch's initialisers draw them. */
#pragma once
#include "engine/checkpoint.h"
#include "trainer/rng.h"

typedef enum {
  /* nn.Conv2d / ConvTranspose2d / Linear's reset_parameters: weights and biases uniform in
   * +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)) */
  VKS_INIT_TORCH_DEFAULT,
  /* StarGAN v2's he_init: kaiming_normal (fan_in, relu) weights N(0, 2 / fan_in), biases 0 */
  VKS_INIT_HE_NORMAL,
} VksWeightInit;

/* Adds to ckpt one tensor per spec, named name_prefix + its name: weights of rank >= 2 and
 * their biases by `rule` (fan_in = size(1) x kernel area; a bias takes its weight's), norms'
 * rank-1 weights 1, their biases 0, running_var 1, running_mean 0. One draw per random value,
 * the specs in order. Every bias's weight must be in specs. */
void vks_weight_init (const GPtrArray *specs, VksWeightInit rule, VksRng *rng,
                      const char *name_prefix, VksCheckpoint *ckpt);
