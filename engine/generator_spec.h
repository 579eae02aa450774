/* The CycleGAN ResNet generator's hyper-parameters, read from / written to checkpoint metadata,
 * and the exact list of tensors such a checkpoint must hold (the state_dict key names of
 * pytorch-CycleGAN-and-pix2pix models/networks.py ResnetGenerator). Pure host code. */
#pragma once
#include "engine/model_spec.h"

typedef struct {
  int input_nc;   /* vkstyle.input_nc, default 3 */
  int output_nc;  /* vkstyle.output_nc, default 3 */
  int ngf;        /* vkstyle.ngf */
  int n_blocks;   /* vkstyle.n_blocks */
  VksNormKind norm; /* vkstyle.norm: "instance" (no affine, no running stats) or "batch" */
} VksGeneratorConfig;

/* Metadata keys: vkstyle.arch = "cyclegan_resnet_generator", vkstyle.ngf, vkstyle.n_blocks,
 * vkstyle.norm, vkstyle.input_nc, vkstyle.output_nc, vkstyle.name, vkstyle.description. */
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
