/* The PatchGAN discriminator's hyper-parameters, read from / written to checkpoint metadata,
 * the exact list of tensors such a checkpoint must hold (the state_dict key names of
 * pytorch-CycleGAN-and-pix2pix models/networks.py NLayerDiscriminator) and the list of its
 * convolutions, from which a trainer builds the network. Pure host code. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/generator_spec.h" /* VksNormKind, VksTensorSpec */

typedef struct {
  int input_nc;     /* vkstyle.input_nc, default 3 */
  int ndf;          /* vkstyle.ndf */
  int n_layers;     /* vkstyle.n_layers (the reference's default is 3) */
  VksNormKind norm; /* vkstyle.norm: "instance" (no affine, no running stats) or "batch" */
} VksDiscriminatorConfig;

/* Metadata keys: vkstyle.arch = "patchgan_discriminator", vkstyle.ndf, vkstyle.n_layers,
 * vkstyle.norm, vkstyle.input_nc (as tools/cyclegan_torch.py discriminator_metadata writes). */
#define VKS_ARCH_PATCHGAN_DISCRIMINATOR "patchgan_discriminator"

#define VKS_DISCRIMINATOR_MAX_NDF 1024
#define VKS_DISCRIMINATOR_MAX_LAYERS 8 /* n_layers; beyond it the patch outgrows any image we train on */
#define VKS_DISCRIMINATOR_MAX_CONVS (VKS_DISCRIMINATOR_MAX_LAYERS + 2)

/* Reads and range-checks the config from metadata (1 <= ndf <= 1024, 0 <= n_layers <= 8,
 * 1 <= input_nc <= 4), then checks that the checkpoint holds exactly the expected tensors with
 * the expected shapes; the error names the first tensor that is missing, extra or misshapen.
 * cfg is untouched on failure. */
gboolean vks_discriminator_config_from_checkpoint (const VksCheckpoint *ckpt, VksDiscriminatorConfig *cfg,
                                                   GError **error);
/* Writes vkstyle.arch, ndf, n_layers, norm and input_nc. */
void vks_discriminator_config_to_metadata (const VksDiscriminatorConfig *cfg, VksCheckpoint *ckpt);

/* One 4x4 convolution of nn.Sequential "model", in forward order. Every convolution pads with
 * zeros (nn.Conv2d's default), unlike the generator's reflection padding. */
typedef struct {
  int index;          /* N of "model.N": the weight is "model.N.weight" [cout, cin, 4, 4] */
  char prefix[24];    /* "model.N." */
  int cin, cout;
  int kernel;         /* 4 */
  int stride;         /* 2 or 1 */
  int padding;        /* 1, zeros */
  gboolean has_bias;  /* "model.N.bias" [cout] */
  gboolean norm;      /* followed by cfg->norm at model.(N+1); with batch norm that layer holds
                       * weight, bias, running_mean, running_var [cout] */
  char norm_prefix[24]; /* "model.(N+1)." when norm, else "" */
  gboolean leaky_relu;  /* followed by LeakyReLU(0.2) (after the norm, if any) */
} VksDiscriminatorLayer;

/* Fills layers[0 .. n-1] and returns n = n_layers + 2 (3 for n_layers 0: the reference still adds
 * its stride-1 conv). The layers are:
 *   model.0: cin=input_nc -> ndf, stride 2, bias, LeakyReLU (no norm)
 *   model.3k-1 for k = 1 .. n_layers: ndf*min(2^(k-1),8) -> ndf*min(2^k,8), stride 2 except the
 *     last (k = n_layers) which has stride 1; bias only with instance norm; norm, LeakyReLU
 *   model.3*n_layers+2: -> 1 channel, stride 1, bias, nothing after (the raw patch logits).
 * n_layers 0 has model.0, model.2 (ndf -> ndf, stride 1) and model.5, like n_layers 1 but narrower. */
int vks_discriminator_layers (const VksDiscriminatorConfig *cfg,
                              VksDiscriminatorLayer layers[VKS_DISCRIMINATOR_MAX_CONVS]);

/* Side of the output patch map for an input of side `in` (each conv: (s + 2 - 4) / stride + 1),
 * e.g. 30 for 256 and 2 for 32 with n_layers 3; 0 if the input is too small for every conv to
 * have at least one output. */
int vks_discriminator_output_side (const VksDiscriminatorConfig *cfg, int in);

/* All expected tensors of a config, in forward order (per conv: weight, bias, then the norm's
 * weight, bias, running_mean, running_var with batch norm). Free with g_ptr_array_unref.
 * Elements are VksTensorSpec* with owned names. */
GPtrArray *vks_discriminator_expected_tensors (const VksDiscriminatorConfig *cfg);
