/* The CycleGAN networks as layer chains for training (engine/train_net.h), with the state_dict
 * key names of pytorch-CycleGAN-and-pix2pix. Instance norm only (the training default): its
 * convolutions carry biases and its norms have no parameters. */
#pragma once
#include "engine/discriminator_spec.h"
#include "engine/generator_spec.h"
#include "engine/train_net.h"

/* ResnetGenerator (reflect padding, no dropout). Free with vks_net_layers_free. */
VksNetLayer *vks_generator_net_layers (const VksGeneratorConfig *cfg, int *n_layers);
/* NLayerDiscriminator (PatchGAN): 4x4 convolutions, LeakyReLU 0.2. */
VksNetLayer *vks_patchgan_net_layers (const VksDiscriminatorConfig *cfg, int *n_layers);
