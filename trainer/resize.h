/* Bicubic resampling as PIL's Image.resize(..., BICUBIC) does it, which is what torchvision's
 * Resize does to the PIL images of the PyTorch CycleGAN: the Keys cubic with a = -0.5, separable
 * (horizontal pass, then vertical), and when shrinking the kernel is widened by the scale factor,
 * which low-pass filters the image (antialiasing). Near the borders the taps that fall outside are
 * dropped and the rest renormalised, as in PIL. Each pass clamps to [0, 1] as PIL's 8-bit path
 * clips; unlike PIL we keep floats between the passes rather than rounding to 8 bits. */
#pragma once
#include <glib.h>

/* src: src_width x src_height pixels of `channels` interleaved floats (packed rows); dst:
 * dst_width x dst_height likewise. Equal sizes copy the image unchanged. */
void vks_resize_bicubic (const float *src, int src_width, int src_height, int channels,
                         float *dst, int dst_width, int dst_height);

/* The cubic itself (exposed for the tests' independent reference). */
double vks_bicubic_weight (double x);
