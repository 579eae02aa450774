/* How much arithmetic one forward pass of the CycleGAN ResNet generator is, for GFLOP/s figures. */
#pragma once
#include "engine/generator_spec.h"

/* Floating-point operations (2 per multiply-add) of the convolutions, which dominate everything
 * else, for a height x width input. Sizes are first rounded up to a multiple of 4 as the engine
 * pads them. Transposed convolutions count only the useful products (2*Cin*Cout*k*k*Hin*Win),
 * not the zeros a naive implementation would multiply. */
guint64 vks_generator_flops (const VksGeneratorConfig *config, int height, int width);
