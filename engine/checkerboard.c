/* The checkerboard measure of checkerboard.h: fold the windowed luma by pixel phase mod 4, then
 * a 4x4 DFT. */
#include "engine/checkerboard.h"

#include <math.h>

#include "engine/error.h"

#define PHASES 4

int
vks_checkerboard_group (int u, int v)
{
  u &= 3;
  v &= 3;
  if (u == 0 && v == 0)
    return -1;
  /* only 0 and 2 (frequencies 0 and 1/2): a pattern of period 2 */
  return (u % 2 == 0 && v % 2 == 0) ? VKS_CHECKERBOARD_PERIOD2 : VKS_CHECKERBOARD_PERIOD4;
}

double
vks_checkerboard_window (int i, int n)
{
  return 0.5 - 0.5 * cos (2.0 * G_PI * (i + 0.5) / n);
}

static double
luma (const float *p)
{
  return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

gboolean
vks_checkerboard_spectrum (const float *rgb, int width, int height, VksCheckerboardSpectrum *out,
                           GError **error)
{
  g_return_val_if_fail (rgb != NULL && out != NULL, FALSE);
  if (width < PHASES || height < PHASES) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "a %dx%d image is too small for the "
                 "checkerboard measure (at least %dx%d)", width, height, PHASES, PHASES);
    return FALSE;
  }
  g_autofree double *wx = g_new (double, width);
  g_autofree double *wy = g_new (double, height);
  double sum_wx = 0, sum_wy = 0, sum_wx2 = 0, sum_wy2 = 0;
  for (int x = 0; x < width; x++) {
    wx[x] = vks_checkerboard_window (x, width);
    sum_wx += wx[x];
    sum_wx2 += wx[x] * wx[x];
  }
  for (int y = 0; y < height; y++) {
    wy[y] = vks_checkerboard_window (y, height);
    sum_wy += wy[y];
    sum_wy2 += wy[y] * wy[y];
  }
  /* The windowed mean, removed so that DC cannot leak into the bins. */
  double weighted = 0;
  for (int y = 0; y < height; y++) {
    double row = 0;
    for (int x = 0; x < width; x++)
      row += wx[x] * luma (rgb + ((size_t) y * width + x) * 3);
    weighted += wy[y] * row;
  }
  double mean = weighted / (sum_wx * sum_wy);

  double fold[PHASES][PHASES] = { { 0 } };  /* [y mod 4][x mod 4] */
  for (int y = 0; y < height; y++) {
    double row[PHASES] = { 0 };
    for (int x = 0; x < width; x++)
      row[x % PHASES] += wx[x] * (luma (rgb + ((size_t) y * width + x) * 3) - mean);
    for (int a = 0; a < PHASES; a++)
      fold[y % PHASES][a] += wy[y] * row[a];
  }

  for (int g = 0; g < VKS_CHECKERBOARD_GROUPS; g++)
    out->power[g] = out->floor[g] = 0;
  /* white noise of variance s2 gives E|X(f)|^2 = s2 * sum (wx wy)^2 at every frequency */
  const double rounding = 1.0 / (255.0 * 255.0 * 12.0);
  for (int v = 0; v < PHASES; v++)
    for (int u = 0; u < PHASES; u++) {
      int g = vks_checkerboard_group (u, v);
      if (g < 0)
        continue;
      double re = 0, im = 0;
      for (int b = 0; b < PHASES; b++)
        for (int a = 0; a < PHASES; a++) {
          /* e^{-2 pi i (u a + v b) / 4}: the angle is a multiple of a quarter turn */
          int quarter = (u * a + v * b) % PHASES;
          static const int cos_q[PHASES] = { 1, 0, -1, 0 }, sin_q[PHASES] = { 0, 1, 0, -1 };
          re += fold[b][a] * cos_q[quarter];
          im -= fold[b][a] * sin_q[quarter];
        }
      out->power[g] += re * re + im * im;
      out->floor[g] += rounding * sum_wx2 * sum_wy2;
    }
  return TRUE;
}

gboolean
vks_checkerboard_db (const float *in_rgb, const float *styled_rgb, int width, int height,
                     double db[VKS_CHECKERBOARD_GROUPS], GError **error)
{
  VksCheckerboardSpectrum in, styled;
  if (!vks_checkerboard_spectrum (in_rgb, width, height, &in, error) ||
      !vks_checkerboard_spectrum (styled_rgb, width, height, &styled, error))
    return FALSE;
  for (int g = 0; g < VKS_CHECKERBOARD_GROUPS; g++)
    db[g] = 10.0 * log10 ((styled.power[g] + styled.floor[g]) / (in.power[g] + in.floor[g]));
  return TRUE;
}
