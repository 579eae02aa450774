/* FLOP count of the ResNet generator (see generator_flops.h); the layer list follows
 * ResnetGenerator in pytorch-CycleGAN-and-pix2pix models/networks.py. */
#include "tools/generator_flops.h"

static guint64
conv (guint64 c_in, guint64 c_out, guint64 kernel, guint64 h_out, guint64 w_out)
{
  return 2 * c_out * c_in * kernel * kernel * h_out * w_out;
}

/* A transposed convolution scatters each input pixel through the kernel once. */
static guint64
conv_transpose (guint64 c_in, guint64 c_out, guint64 kernel, guint64 h_in, guint64 w_in)
{
  return 2 * c_in * c_out * kernel * kernel * h_in * w_in;
}

guint64
vks_generator_flops (const VksGeneratorConfig *config, int height, int width)
{
  const guint64 h = ((guint64) height + 3) / 4 * 4;
  const guint64 w = ((guint64) width + 3) / 4 * 4;
  const guint64 ngf = config->ngf;
  guint64 flops = 0;

  flops += conv (config->input_nc, ngf, 7, h, w);             /* reflect pad 3, 7x7 */
  flops += conv (ngf, 2 * ngf, 3, h / 2, w / 2);              /* downsample, stride 2 */
  flops += conv (2 * ngf, 4 * ngf, 3, h / 4, w / 4);
  flops += (guint64) config->n_blocks * 2 * conv (4 * ngf, 4 * ngf, 3, h / 4, w / 4);
  flops += conv_transpose (4 * ngf, 2 * ngf, 3, h / 4, w / 4); /* upsample, stride 2 */
  flops += conv_transpose (2 * ngf, ngf, 3, h / 2, w / 2);
  flops += conv (ngf, config->output_nc, 7, h, w);            /* reflect pad 3, 7x7 */
  return flops;
}
