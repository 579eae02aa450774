/* Bicubic resampling exactly as PIL's Image.resize(..., BICUBIC) does it on an 8-bit RGB image,
 * which is what torchvision's Resize does to the PIL images of the PyTorch CycleGAN: the Keys
 * cubic with a = -0.5, separable (horizontal pass, then vertical, a pass skipped when its size is
 * unchanged); when shrinking, the kernel is widened by the scale factor (antialiasing); near the
 * borders the taps that fall outside are dropped and the rest renormalised. As in PIL's 8-bit
 * path the weights are rounded to 22-bit fixed point and each pass rounds its result to 8 bits
 * (clamped to 0-255), so the output equals PIL's to the bit (tests/test_trainer_resize.c checks
 * that against PIL itself). Keeping floats between the passes instead, as we once did, lands up
 * to about one level of 255 away from what the reference trains on. */
#pragma once
#include <glib.h>

/* src: src_width x src_height pixels of `channels` (1 to 4) interleaved bytes (packed rows); dst:
 * dst_width x dst_height likewise. Equal sizes copy the image unchanged. */
void vks_resize_bicubic (const guint8 *src, int src_width, int src_height, int channels,
                         guint8 *dst, int dst_width, int dst_height);

/* The cubic itself (exposed for the tests' independent reference). */
double vks_bicubic_weight (double x);
