/* The checkerboard measure (engine/checkerboard.h) against a naive DFT written out pixel by pixel
 * and against figures known in closed form: patterns of known amplitude at 2 and 4 px, and an
 * unchanged image. */
#include <math.h>
#include <string.h>

#include "engine/checkerboard.h"
#include "engine/error.h"

/* An R'G'B' image whose three channels are equal, so its luma is the value itself. */
static float *
grey_image (int w, int h, double (*value) (int x, int y, gpointer data), gpointer data)
{
  float *rgb = g_new (float, (size_t) w * h * 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        rgb[((size_t) y * w + x) * 3 + c] = (float) value (x, y, data);
  return rgb;
}

typedef struct {
  double a2, a4;   /* amplitudes of a 2-px checkerboard and of 4-px stripes in x */
} Pattern;

static double
pattern_value (int x, int y, gpointer data)
{
  const Pattern *p = data;
  return 0.5 + p->a2 * ((x + y) % 2 ? -1 : 1) + p->a4 * cos (G_PI * x / 2);
}

static double
noise_value (int x, int y, gpointer data)
{
  (void) x;
  (void) y;
  return g_rand_double (data);
}

/* Every pixel's own complex exponential, with the window and mean the measure uses. */
static void
naive_spectrum (const float *rgb, int w, int h, VksCheckerboardSpectrum *out)
{
  double mean = 0, sum_w = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float *p = rgb + ((size_t) y * w + x) * 3;
      double wt = vks_checkerboard_window (x, w) * vks_checkerboard_window (y, h);
      mean += wt * (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
      sum_w += wt;
    }
  mean /= sum_w;
  for (int g = 0; g < VKS_CHECKERBOARD_GROUPS; g++)
    out->power[g] = 0;
  for (int v = 0; v < 4; v++)
    for (int u = 0; u < 4; u++) {
      int g = vks_checkerboard_group (u, v);
      if (g < 0)
        continue;
      double re = 0, im = 0;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          const float *p = rgb + ((size_t) y * w + x) * 3;
          double wt = vks_checkerboard_window (x, w) * vks_checkerboard_window (y, h);
          double l = wt * (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] - mean);
          double angle = -2 * G_PI * (u * x / 4.0 + v * y / 4.0);
          re += l * cos (angle);
          im += l * sin (angle);
        }
      out->power[g] += re * re + im * im;
    }
}

static void
test_groups (void)
{
  g_assert_cmpint (vks_checkerboard_group (0, 0), ==, -1);
  int counts[VKS_CHECKERBOARD_GROUPS] = { 0 };
  for (int v = 0; v < 4; v++)
    for (int u = 0; u < 4; u++)
      if (vks_checkerboard_group (u, v) >= 0)
        counts[vks_checkerboard_group (u, v)]++;
  g_assert_cmpint (counts[VKS_CHECKERBOARD_PERIOD2], ==, 3);
  g_assert_cmpint (counts[VKS_CHECKERBOARD_PERIOD4], ==, 12);
}

/* Sizes that are no multiple of 4, colour noise: the fold equals the pixel-by-pixel DFT. */
static void
test_naive_dft (void)
{
  const int w = 37, h = 29;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autofree float *rgb = g_new (float, (size_t) w * h * 3);
  for (int i = 0; i < w * h * 3; i++)
    rgb[i] = (float) g_rand_double (rand);
  VksCheckerboardSpectrum fast, naive;
  g_assert_true (vks_checkerboard_spectrum (rgb, w, h, &fast, NULL));
  naive_spectrum (rgb, w, h, &naive);
  for (int g = 0; g < VKS_CHECKERBOARD_GROUPS; g++) {
    g_test_message ("group %d: fold %.12g, naive %.12g", g, fast.power[g], naive.power[g]);
    g_assert_cmpfloat_with_epsilon (fast.power[g], naive.power[g], 1e-9 * naive.power[g]);
  }
}

static void
test_unchanged (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autofree float *rgb = grey_image (50, 38, noise_value, rand);
  double db[VKS_CHECKERBOARD_GROUPS];
  g_assert_true (vks_checkerboard_db (rgb, rgb, 50, 38, db, NULL));
  for (int g = 0; g < VKS_CHECKERBOARD_GROUPS; g++)
    g_assert_cmpfloat (fabs (db[g]), <, 1e-12);
}

/* Ten times the 2-px checkerboard is +20 dB at period 2, twice the 4-px stripes +6.02 dB at
 * period 4, each leaving the other group alone (the rounding floor is 1e-5 of these powers). */
static void
test_known_patterns (void)
{
  const int w = 64, h = 48;
  const Pattern in = { 0.01, 0.01 }, twice4 = { 0.01, 0.02 }, ten2 = { 0.1, 0.01 };
  g_autofree float *a = grey_image (w, h, pattern_value, (gpointer) &in);
  g_autofree float *b = grey_image (w, h, pattern_value, (gpointer) &ten2);
  g_autofree float *c = grey_image (w, h, pattern_value, (gpointer) &twice4);
  double db[VKS_CHECKERBOARD_GROUPS];
  g_assert_true (vks_checkerboard_db (a, b, w, h, db, NULL));
  g_test_message ("x10 at 2 px: %.6f / %.6f dB", db[0], db[1]);
  g_assert_cmpfloat_with_epsilon (db[VKS_CHECKERBOARD_PERIOD2], 20.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (db[VKS_CHECKERBOARD_PERIOD4], 0.0, 1e-3);
  g_assert_true (vks_checkerboard_db (a, c, w, h, db, NULL));
  g_test_message ("x2 at 4 px: %.6f / %.6f dB", db[0], db[1]);
  g_assert_cmpfloat_with_epsilon (db[VKS_CHECKERBOARD_PERIOD2], 0.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (db[VKS_CHECKERBOARD_PERIOD4], 20 * log10 (2.0), 1e-3);
}

/* A flat input is measured against the rounding floor: a checkerboard of one 8-bit level
 * (amplitude 1/255) gives 10 log10 (1 + (sum w)^2 / (3 s2 (sum w^2)^2)) with s2 = 1 / (12 255^2),
 * the window's sums written out here. */
static void
test_flat_input (void)
{
  const int w = 40, h = 40;
  const Pattern flat = { 0, 0 }, level = { 1.0 / 255, 0 };
  g_autofree float *a = grey_image (w, h, pattern_value, (gpointer) &flat);
  g_autofree float *b = grey_image (w, h, pattern_value, (gpointer) &level);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < w; i++) {
    sum += vks_checkerboard_window (i, w);
    sum2 += pow (vks_checkerboard_window (i, w), 2);
  }
  /* power a^2 (sum w)^4 (both axes) over 3 s2 (sum w^2)^4 */
  double expected = 10 * log10 (1 + pow (sum, 4) / pow (255, 2) /
                                (3.0 / (12 * pow (255, 2)) * pow (sum2, 2)));
  double db[VKS_CHECKERBOARD_GROUPS];
  g_assert_true (vks_checkerboard_db (a, b, w, h, db, NULL));
  g_test_message ("one level on flat: %.6f dB, expected %.6f", db[0], expected);
  g_assert_cmpfloat_with_epsilon (db[VKS_CHECKERBOARD_PERIOD2], expected, 1e-4);
  g_assert_cmpfloat_with_epsilon (db[VKS_CHECKERBOARD_PERIOD4], 0.0, 1e-4);
}

static void
test_too_small (void)
{
  float rgb[3 * 4 * 3] = { 0 };
  VksCheckerboardSpectrum s;
  GError *error = NULL;
  g_assert_false (vks_checkerboard_spectrum (rgb, 4, 3, &s, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "4x3"));
  g_error_free (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/checkerboard/groups", test_groups);
  g_test_add_func ("/checkerboard/naive-dft", test_naive_dft);
  g_test_add_func ("/checkerboard/unchanged", test_unchanged);
  g_test_add_func ("/checkerboard/known-patterns", test_known_patterns);
  g_test_add_func ("/checkerboard/flat-input", test_flat_input);
  g_test_add_func ("/checkerboard/too-small", test_too_small);
  return g_test_run ();
}
