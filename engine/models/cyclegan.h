/* pytorch-CycleGAN-and-pix2pix's networks as graph builders (models/networks.py): the parameter
 * names are its state_dict keys, so its checkpoints (converted by tools/convert_pytorch.py) load
 * by name. */
#pragma once
#include "engine/discriminator_spec.h"
#include "engine/generator_spec.h"
#include "engine/nn/graph.h"

/* ResnetGenerator (reflect padding, no dropout) applied to x [n][input_nc][h][w]; h and w
 * multiples of 4, at least 8. Instance norm: affine-free norms and biased convolutions; batch
 * norm (inference, running statistics): norms with parameters and unbiased convolutions
 * before them. Parameter names are `prefix` (may be NULL) + the state_dict key. Returns the
 * output node [n][output_nc][h][w] (tanh). */
VksNode vks_cyclegan_generator (VksGraph *g, VksNode x, const VksGeneratorConfig *cfg,
                                const char *prefix);
/* NLayerDiscriminator (PatchGAN): the patch logits [n][1][h'][w'] of x. */
VksNode vks_patchgan_discriminator (VksGraph *g, VksNode x, const VksDiscriminatorConfig *cfg,
                                    const char *prefix);
