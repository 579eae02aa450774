/* pytorch-CycleGAN-and-pix2pix's networks as graph builders (models/networks.py): the parameter
 * names are its state_dict keys, so its checkpoints (converted by tools/convert_pytorch.py) load
 * by name. */
#pragma once
#include "engine/generator_spec.h"
#include "engine/nn/graph.h"

/* ResnetGenerator (reflect padding, no dropout) applied to x [n][input_nc][h][w]; h and w
 * multiples of 4, at least 8. Instance norm: affine-free norms and biased convolutions; batch
 * norm (inference, running statistics): norms with parameters and unbiased convolutions
 * before them. Returns the output node [n][output_nc][h][w] (tanh). */
VksNode vks_cyclegan_generator (VksGraph *g, VksNode x, const VksGeneratorConfig *cfg);
