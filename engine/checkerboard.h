/* A checkerboard measure: how much a filter adds to an image's luma at the periods a
 * stride-2 up-sampling network leaves patterns at (2 and 4 px; the CycleGAN ResNet generator has
 * two ×2 up-samplings), as Odena et al. 2016 ("Deconvolution and Checkerboard Artifacts")
 * describe them. Pure host code, double precision.
 *
 * A pattern with period 2 or 4 px in x and y puts all its energy at the 15 non-zero frequencies
 * (u/4, v/4) cycles/px, u, v in 0..3. The DFT at those frequencies only needs each pixel's phase
 * (x mod 4, y mod 4), so the image is folded into a 4x4 table of sums and that table's DFT is the
 * image's, exactly, for any image size. Before folding, luma Y' = 0.299 R' + 0.587 G' + 0.114 B'
 * minus its weighted mean is multiplied by a separable Hann window, so the strong low frequencies
 * and the image border do not leak into those bins (Hann side lobes fall as 1/f^3).
 *
 * The groups:
 *   period 2: (1/2, 0), (0, 1/2), (1/2, 1/2)      (the 2-px checkerboard and stripes)
 *   period 4: the 12 others (a component of 1/4 or 3/4): patterns of period 4 but not 2
 * Power of a group = sum of |X(f)|^2 over its frequencies; the figure is
 *   10 log10 ((P_out + floor) / (P_in + floor))   dB,
 * with floor = the power an 8-bit file's rounding noise (variance (1/255)^2 / 12) gives the
 * group, so a flat input has a finite reference instead of 0. */
#pragma once
#include <glib.h>

typedef enum {
  VKS_CHECKERBOARD_PERIOD2,
  VKS_CHECKERBOARD_PERIOD4,
  VKS_CHECKERBOARD_GROUPS
} VksCheckerboardGroup;

typedef struct {
  double power[VKS_CHECKERBOARD_GROUPS];  /* sum of |X(f)|^2 of the windowed, zero-mean luma */
  double floor[VKS_CHECKERBOARD_GROUPS];  /* that of 8-bit rounding noise over the same window */
} VksCheckerboardSpectrum;

/* The 4x4 DFT of a packed R'G'B' float image [h][w][3]; w, h >= 4 (else VKS_ERROR_SHAPE). */
gboolean vks_checkerboard_spectrum (const float *rgb, int width, int height,
                                    VksCheckerboardSpectrum *out, GError **error);

/* STYLED's power over IN's per group, in dB (see above); both images are width x height. */
gboolean vks_checkerboard_db (const float *in_rgb, const float *styled_rgb, int width, int height,
                              double db[VKS_CHECKERBOARD_GROUPS], GError **error);

/* Which group the frequency (u/4, v/4) belongs to; -1 for DC. */
int vks_checkerboard_group (int u, int v);

/* The Hann weight of pixel i of n (symmetric: 0.5 - 0.5 cos (2 pi (i + 0.5) / n), never 0). */
double vks_checkerboard_window (int i, int n);
