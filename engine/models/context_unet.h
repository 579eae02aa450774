/* The context U-Net of the "How Diffusion Models Work" sprites course (DeepLearning.AI;
 * diffusion_utilities.py's ResidualConvBlock, UnetDown, UnetUp, EmbedFC and the notebooks'
 * ContextUnet) as a graph builder: it predicts the noise in x_t from x_t, the timestep t / T and
 * a context vector (class weights). Parameter names are the course's state_dict keys
 * ("init_conv.conv1.0.weight", "down1.model.0.conv1.1.running_mean", "timeembed1.model.0.weight",
 * "up0.0.weight", "out.3.bias", ...), so model_trained.pth / context_model_trained.pth convert by
 * name (tools/convert_diffusion.py).
 *
 * Two deliberate differences from the course, both in the network's definition, not its names:
 * - The course's init_conv (ResidualConvBlock(in_channels, n_feat, is_res=True), the only block
 *   with is_res and in != out) adds a 1x1 convolution that forward() creates afresh, with random
 *   weights, on every call. Here it is a parameter, "init_conv.shortcut.weight" [n_feat][in][1][1]
 *   and "init_conv.shortcut.bias" [n_feat], trained and saved like any other (the converter's
 *   choice for the course's checkpoints, which have none, is in tools/convert_diffusion.py).
 * - to_vec pools with AvgPool2d(height / 4), which is the course's AvgPool2d(4) at its 16x16
 *   sprites and makes other heights work (with AvgPool2d(4) the course's network fails from 32
 *   up, and averages the top-left 4x4 only at 20, 24 and 28).
 * (The course's training noise (1 - abar) eps is the trainer's business: we train with
 * sqrt(1 - abar) eps, the schedule DDPM and DDIM sample with; engine/models/diffusion.h.) */
#pragma once
#include "engine/model_spec.h"
#include "engine/nn/graph.h"

#define VKS_ARCH_CONTEXT_UNET "context_unet"
#define VKS_UNET_MAX_CLASSES 64
#define VKS_UNET_CLASS_NAME 32

typedef struct {
  int in_channels;         /* 3 */
  int n_feat;              /* 64 in the course's sprites notebooks; a multiple of 8 (GroupNorm(8)) */
  int n_cfeat;             /* context length: 5 sprite classes */
  int height;              /* square images, a multiple of 4: 16 */
  /* The noise schedule (engine/models/diffusion.h): T steps, beta linear from beta1 to beta2. */
  int timesteps;           /* 500 */
  double beta1, beta2;     /* 1e-4, 0.02 */
  /* What the context's entries mean ("hero", "non-hero", ...; "" where unnamed). */
  char class_names[VKS_UNET_MAX_CLASSES][VKS_UNET_CLASS_NAME];
} VksUnetConfig;

/* The course's sprites configuration: 3 channels, n_feat 64, n_cfeat 5, height 16, T 500,
 * beta 1e-4 to 0.02, no class names. */
void vks_unet_config_default (VksUnetConfig *cfg);

/* A batch norm's new running statistics while training (the caller copies value into param). */
typedef struct {
  VksNode param, value;
} VksUnetRunningUpdate;

/* Predicted noise [n][in][h][h] for x [n][in][h][h], t [1][1][n][1] (the course's t / T) and
 * c [1][1][n][n_cfeat] (class weights), or c = VKS_NONE: the course's c=None (zero context),
 * computed without a context input. training: batch norms use the batch's statistics and
 * append their running statistics' updates to `updates` (a GArray of VksUnetRunningUpdate, may
 * be NULL); else the running statistics. prefix (may be NULL) goes before every name. */
VksNode vks_context_unet (VksGraph *g, VksNode x, VksNode t, VksNode c, const VksUnetConfig *cfg,
                          gboolean training, const char *prefix, GArray *updates);

/* Metadata: vkstyle.arch "context_unet", vkstyle.in_channels, .n_feat, .n_cfeat, .height,
 * .timesteps, .beta1, .beta2 (decimal numbers, beta1 <= beta2 in (0, 1)), .classes
 * (comma-separated names, as many as n_cfeat, or ""), and as for every model vkstyle.name /
 * .description. Range-checked strictly. */
gboolean vks_unet_config_from_checkpoint (const VksCheckpoint *ckpt, VksUnetConfig *cfg,
                                          GError **error);
void vks_unet_config_to_metadata (const VksUnetConfig *cfg, VksCheckpoint *ckpt);
/* The exact tensor list (VksTensorSpec*, creation order), taken from the builder. */
GPtrArray *vks_unet_tensors (const VksUnetConfig *cfg);
/* Exactly those tensors with their shapes; the error names the first offender. */
gboolean vks_unet_check_tensors (const VksCheckpoint *ckpt, const VksUnetConfig *cfg,
                                 GError **error);
/* The index of a class by name, else -1. */
int vks_unet_class_index (const VksUnetConfig *cfg, const char *name);
/* A class mix "hero=1,food=0.5" (class names or indices from 0: "0=1,2=0.5"; an entry without
 * "=VALUE" means 1) into c [n_cfeat], zero elsewhere; values finite in [-10, 10]. "" is the zero
 * context. VKS_ERROR_SHAPE names the offending entry and the classes. */
gboolean vks_unet_parse_context (const VksUnetConfig *cfg, const char *text, float *c,
                                 GError **error);
