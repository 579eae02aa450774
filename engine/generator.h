/* The CycleGAN ResNet generator on the device: weights uploaded once per model, and one plan per
 * input size holding the activations and the recorded forward pass. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/generator_spec.h"
#include "engine/ops.h"

typedef struct VksGenerator VksGenerator;
typedef struct VksGeneratorPlan VksGeneratorPlan;

/* Validates the checkpoint against its metadata (generator_spec.h) and uploads the weights. */
VksGenerator *vks_generator_new (VksContext *ctx, const VksCheckpoint *ckpt, GError **error);
void vks_generator_free (VksGenerator *gen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksGenerator, vks_generator_free)
const VksGeneratorConfig *vks_generator_config (const VksGenerator *gen);

/* Smallest side the network takes: the 3-pixel reflect padding of the first layer and the
 * 1-pixel padding at quarter resolution need 8. Sides must also be multiples of 4. */
#define VKS_GENERATOR_MIN_SIDE 8

/* Plans a forward pass for one image of height x width (multiples of 4, >= 8). */
VksGeneratorPlan *vks_generator_plan_new (VksGenerator *gen, int height, int width,
                                          GError **error);
void vks_generator_plan_free (VksGeneratorPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksGeneratorPlan, vks_generator_plan_free)
/* input: input_nc x h x w floats (NCHW, values in [-1, 1]); output: output_nc x h x w. One submit,
 * one wait. */
gboolean vks_generator_plan_run (VksGeneratorPlan *plan, const float *input, float *output,
                                 GError **error);
/* Multiply-adds x 2 of one forward pass at h x w (for GFLOP/s figures). */
double vks_generator_flops (const VksGeneratorConfig *cfg, int height, int width);
