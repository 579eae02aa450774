/* The CycleGAN ResNet generator on the device: weights uploaded once per model, and one plan per
 * input size holding the activations and the recorded forward pass. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/generator_spec.h"
#include "engine/ops.h"
#include "engine/tileable.h"   /* VksNormStats; a generator plan is a tileable network's plan */

typedef struct VksGenerator VksGenerator;
typedef struct VksTileablePlan VksGeneratorPlan;

/* Validates the checkpoint against its metadata (generator_spec.h) and uploads the weights. */
VksGenerator *vks_generator_new (VksContext *ctx, const VksCheckpoint *ckpt, GError **error);
void vks_generator_free (VksGenerator *gen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksGenerator, vks_generator_free)
const VksGeneratorConfig *vks_generator_config (const VksGenerator *gen);
/* The generator as the tiler takes it (grid 4, no condition), owned by gen. The functions below
 * are the vks_tileable_* ones on it. */
VksTileable *vks_generator_tileable (VksGenerator *gen);

/* Smallest side the network takes: the 3-pixel reflect padding of the first layer and the
 * 1-pixel padding at quarter resolution need 8. Sides must also be multiples of 4. */
#define VKS_GENERATOR_MIN_SIDE 8
#define VKS_GENERATOR_GRID 4

/* Plans a forward pass for one image of height x width (multiples of 4, >= 8). Checks every
 * tensor against maxTexelBufferElements, every buffer against maxMemoryAllocationSize and the
 * sum against the device heap before allocating anything: VKS_ERROR_TOO_LARGE if one does not
 * fit. */
VksGeneratorPlan *vks_generator_plan_new (VksGenerator *gen, int height, int width,
                                          GError **error);
VksGeneratorPlan *vks_generator_plan_new_with_stats (VksGenerator *gen, int height, int width,
                                                     VksNormStats stats, GError **error);
/* Device bytes (activation arena plus staging) a plan of this size would allocate; FALSE with
 * VKS_ERROR_TOO_LARGE when it exceeds one of the device limits above. Allocates nothing. */
gboolean vks_generator_plan_bytes (VksGenerator *gen, int height, int width, VksNormStats stats,
                                   VkDeviceSize *bytes, GError **error);
/* Floats of one set of norm statistics: mean[C] then var[C] for each instance-norm layer in
 * network order; 0 when the model has none. */
gsize vks_generator_stats_floats (const VksGenerator *gen);
/* Number of instance-norm layers; their channel counts into channels[] unless NULL. */
int vks_generator_stats_channels (const VksGenerator *gen, int *channels);
/* GIVEN and GIVEN_MEASURE plans: the statistics the next runs use. RECORD and CORRECTED plans:
 * those the last run used; GIVEN_MEASURE plans: those of the last run's region (each layer's
 * activations taken as they were computed, with the given statistics upstream). */
void vks_generator_plan_set_stats (VksGeneratorPlan *plan, const float *stats);
void vks_generator_plan_get_stats (const VksGeneratorPlan *plan, float *stats);
/* CORRECTED plans: per layer offset[C] then factor[C] (packed like the statistics); each
 * layer's measured mean m and variance v become m + offset and v * factor. Default 0 and 1. */
void vks_generator_plan_set_corrections (VksGeneratorPlan *plan, const float *corrections);
/* GIVEN_MEASURE plans: rows [y0, y1) and columns [x0, x1) of the input, multiples of 4 within
 * the plan's size, are the region the next runs measure; each layer measures the same rectangle
 * at its own resolution. The default is the whole plan. */
void vks_generator_plan_set_region (VksGeneratorPlan *plan, int y0, int y1, int x0, int x1);
void vks_generator_plan_free (VksGeneratorPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksGeneratorPlan, vks_generator_plan_free)
/* input: input_nc x h x w floats (NCHW, values in [-1, 1]); output: output_nc x h x w. Submits
 * the recorded work and waits for it. */
gboolean vks_generator_plan_run (VksGeneratorPlan *plan, const float *input, float *output,
                                 GError **error);
/* The same, asking keep_going between segments of the recorded work (each about SEGMENT_FLOPS
 * of engine/generator.c, split between layers): FALSE stops the run within about two of them,
 * with VKS_ERROR_CANCELLED. */
gboolean vks_generator_plan_run_until (VksGeneratorPlan *plan, const float *input, float *output,
                                       VksKeepGoing keep_going, gpointer user_data,
                                       GError **error);
/* Multiply-adds x 2 of one forward pass at h x w (for GFLOP/s figures). */
double vks_generator_flops (const VksGeneratorConfig *cfg, int height, int width);
