/* The CycleGAN ResNet generator's hyper-parameters, read from / written to checkpoint metadata,
 * and the exact list of tensors such a checkpoint must hold (the state_dict key names of
 * pytorch-CycleGAN-and-pix2pix models/networks.py ResnetGenerator). Pure host code. */
#pragma once
#include "engine/model_spec.h"

/* How the two x2 up-samplings are made. Transposed: ConvTranspose2d(k3, s2, p1, output_padding 1),
 * the reference's and every official checkpoint's. Resize-conv (Odena et al. 2016): nearest x2
 * (nn.Upsample(scale_factor=2, mode='nearest')) then Conv2d(k3, p1, zero padding), which cannot
 * leave the transposed convolution's uneven-overlap checkerboard. */
typedef enum { VKS_UPSAMPLE_TRANSPOSED, VKS_UPSAMPLE_RESIZE_CONV } VksUpsample;

typedef struct {
  int input_nc;   /* vkstyle.input_nc, default 3 */
  int output_nc;  /* vkstyle.output_nc, default 3 */
  int ngf;        /* vkstyle.ngf */
  int n_blocks;   /* vkstyle.n_blocks */
  VksNormKind norm; /* vkstyle.norm: "instance" (no affine, no running stats) or "batch" */
  VksUpsample upsample; /* vkstyle.upsample: "transposed" (default, also when absent) or
                         * "resize-conv" */
} VksGeneratorConfig;

/* "transposed" or "resize-conv"; from_name is FALSE for any other string. */
const char *vks_upsample_name (VksUpsample upsample);
gboolean vks_upsample_from_name (const char *name, VksUpsample *upsample);

/* Metadata keys: vkstyle.arch = "cyclegan_resnet_generator", vkstyle.ngf, vkstyle.n_blocks,
 * vkstyle.norm, vkstyle.input_nc, vkstyle.output_nc, vkstyle.upsample (written only for
 * resize-conv, so transposed checkpoints stay as they were), vkstyle.name, vkstyle.description. */
#define VKS_ARCH_RESNET_GENERATOR "cyclegan_resnet_generator"

/* Reads and range-checks the config from metadata (1 <= ngf <= 1024, 0 <= n_blocks <= 64,
 * 1 <= nc <= 4), then checks that the checkpoint holds exactly the expected tensors with the
 * expected shapes; the error names the first tensor that is missing, extra or misshapen, e.g.
 * "tensor model.1.weight has shape [64, 4, 7, 7], this model needs [64, 3, 7, 7]". */
gboolean vks_generator_config_from_checkpoint (const VksCheckpoint *ckpt, VksGeneratorConfig *cfg,
                                               GError **error);
void vks_generator_config_to_metadata (const VksGeneratorConfig *cfg, VksCheckpoint *ckpt);


/* All expected tensors of a config, in forward order. Free with g_ptr_array_unref. Elements are
 * VksTensorSpec* with owned names. */
GPtrArray *vks_generator_expected_tensors (const VksGeneratorConfig *cfg);
/* The index in `model` of the 7x7 output conv: 17 + n_blocks (transposed), 19 + n_blocks
 * (resize-conv). */
int vks_generator_head_index (const VksGeneratorConfig *cfg);
