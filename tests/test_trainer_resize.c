/* Tests of the trainer's bicubic resize (trainer/resize.h): against a naive double reference,
 * and bit for bit against PIL itself when /usr/bin/python3 has it (python3-pil). */
#include "tools/image_io.h"
#include "trainer/resize.h"
#include "trainer/rng.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

static char *work_dir;

static char *
work_path (const char *name)
{
  return g_build_filename (work_dir, name, NULL);
}

/* One pass along an axis, written from the definition: every input sample weighted by the cubic
 * stretched by the shrink factor (so no support bounds to get wrong), normalised, then rounded to
 * 8 bits and clamped as each of PIL's passes does; in double, not PIL's fixed point. */
static void
reference_pass (const double *in, int in_size, int count, gsize in_stride, gsize in_step,
                double *out, int out_size, gsize out_stride, gsize out_step)
{
  const double scale = (double) in_size / out_size;
  const double stretch = MAX (scale, 1.0);
  for (int line = 0; line < count; line++)
    for (int o = 0; o < out_size; o++) {
      const double centre = (o + 0.5) * scale;
      double sum = 0.0, weights = 0.0;
      for (int i = 0; i < in_size; i++) {
        double w = vks_bicubic_weight ((i + 0.5 - centre) / stretch);
        sum += w * in[line * in_stride + i * in_step];
        weights += w;
      }
      double v = floor (sum / weights + 0.5);
      out[line * out_stride + o * out_step] = v < 0.0 ? 0.0 : v > 255.0 ? 255.0 : v;
    }
}

/* The independent reference of vks_resize_bicubic: horizontal then vertical, in double. */
static double *
reference_resize (const guint8 *src, int sw, int sh, int channels, int dw, int dh)
{
  const gsize n_in = (gsize) sw * sh * channels;
  double *in = g_new (double, n_in);
  for (gsize i = 0; i < n_in; i++)
    in[i] = src[i];
  double *wide = g_new (double, (gsize) dw * sh * channels);
  double *out = g_new (double, (gsize) dw * dh * channels);
  for (int c = 0; c < channels; c++) {
    if (dw != sw)
      reference_pass (in + c, sw, sh, (gsize) sw * channels, channels, wide + c, dw,
                      (gsize) dw * channels, channels);
    else
      for (gsize i = c; i < (gsize) sw * sh * channels; i += channels)
        wide[i] = in[i];
    if (dh != sh)
      reference_pass (wide + c, sh, dw, channels, (gsize) dw * channels, out + c, dh, channels,
                      (gsize) dw * channels);
    else
      for (gsize i = c; i < (gsize) dw * dh * channels; i += channels)
        out[i] = wide[i];
  }
  g_free (in);
  g_free (wide);
  return out;
}

static float *
random_pixels (int width, int height, int channels, guint64 seed)
{
  VksRng rng;
  vks_rng_init (&rng, seed);
  float *p = g_new (float, (gsize) width * height * channels);
  /* Smooth ramps plus noise, and some hard edges at 0 and 1 so the clamping is exercised. */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < channels; c++) {
        float v = 0.5f * x / width + 0.3f * y / height + 0.4f * (float) vks_rng_uniform (&rng);
        if ((x / 3 + y / 5 + c) % 7 == 0)
          v = (x + y) % 2 ? 1.0f : 0.0f;
        p[((gsize) y * width + x) * channels + c] = CLAMP (v, 0.0f, 1.0f);
      }
  return p;
}

static guint8 *
random_bytes (int width, int height, int channels, guint64 seed)
{
  g_autofree float *p = random_pixels (width, height, channels, seed);
  const gsize n = (gsize) width * height * channels;
  guint8 *b = g_new (guint8, n);
  for (gsize i = 0; i < n; i++)
    b[i] = (guint8) lrintf (p[i] * 255.0f);
  return b;
}

/* Fixed-point weights and a double reference can round a value that lies within about 2^-14 of
 * a half level differently, and the first pass's difference then feeds the second: at most a
 * level or two apart, and rarely. Bit-exactness is what /resize/pil checks. */
static void
test_resize_reference (void)
{
  static const int sizes[][4] = {
    { 17, 13, 7, 5 },     /* shrink (antialiased, wide kernel) */
    { 13, 11, 29, 31 },   /* enlarge */
    { 40, 9, 23, 20 },    /* shrink in x, enlarge in y */
    { 16, 16, 16, 9 },    /* height only */
    { 20, 7, 286, 3 },    /* big factors both ways */
    { 1, 1, 5, 4 },       /* a single pixel */
    { 64, 48, 1, 1 },     /* down to a single pixel */
  };
  double worst = 0.0;
  gsize off = 0, total = 0;
  for (guint t = 0; t < G_N_ELEMENTS (sizes); t++) {
    const int sw = sizes[t][0], sh = sizes[t][1], dw = sizes[t][2], dh = sizes[t][3];
    g_autofree guint8 *src = random_bytes (sw, sh, 3, t);
    g_autofree guint8 *dst = g_new (guint8, (gsize) dw * dh * 3);
    vks_resize_bicubic (src, sw, sh, 3, dst, dw, dh);
    g_autofree double *ref = reference_resize (src, sw, sh, 3, dw, dh);
    double err = 0.0;
    for (gsize i = 0; i < (gsize) dw * dh * 3; i++) {
      err = MAX (err, fabs (dst[i] - ref[i]));
      off += dst[i] != ref[i];
    }
    total += (gsize) dw * dh * 3;
    g_test_message ("%dx%d -> %dx%d: max |ours - reference| %.0f levels", sw, sh, dw, dh, err);
    worst = MAX (worst, err);
  }
  g_test_message ("%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " values differ", off, total);
  g_assert_cmpfloat (worst, <=, 2.0);
  g_assert_cmpuint (off * 100, <, total);
}

static void
test_resize_identity (void)
{
  g_autofree guint8 *src = random_bytes (31, 17, 3, 5);
  g_autofree guint8 *dst = g_new (guint8, 31 * 17 * 3);
  vks_resize_bicubic (src, 31, 17, 3, dst, 31, 17);
  g_assert_true (memcmp (src, dst, 31 * 17 * 3) == 0);
}

/* 8-bit RGB file of random pixels. */
static void
save_rgb8 (const char *path, int width, int height, guint64 seed)
{
  GError *error = NULL;
  g_autoptr (VksImage) image = vks_image_new (width, height, babl_format ("R'G'B' u8"), &error);
  g_assert_no_error (error);
  g_autofree float *p = random_pixels (width, height, 3, seed);
  for (gsize i = 0; i < (gsize) width * height * 3; i++)
    image->rgb[i] = roundf (p[i] * 255.0f) / 255.0f;
  g_assert_true (vks_image_save (image, path, &error));
  g_assert_no_error (error);
}

static gboolean
have_pil (void)
{
  if (!g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  const char *argv[] = { "/usr/bin/python3", "-c", "import PIL", NULL };
  int status = 1;
  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                       NULL, &status, NULL) && g_spawn_check_wait_status (status, NULL);
}

/* 8-bit file pixels as bytes (exact: they are k / 255). */
static guint8 *
image_bytes (const VksImage *image)
{
  const gsize n = (gsize) image->width * image->height * 3;
  guint8 *b = g_new (guint8, n);
  for (gsize i = 0; i < n; i++)
    b[i] = (guint8) lrintf (image->rgb[i] * 255.0f);
  return b;
}

/* PIL (python3-pil) resizes the same 8-bit file: every byte must be equal. */
static void
test_resize_against_pil (void)
{
  if (!have_pil ()) {
    g_test_skip ("/usr/bin/python3 with PIL is not installed");
    return;
  }
  static const int sizes[][4] = {
    { 256, 200, 286, 286 },   /* the trainer's defaults (load 286) */
    { 64, 48, 72, 72 },       /* enlargement */
    { 300, 211, 143, 143 },   /* shrink by 2.1 and 1.5 */
    { 60, 50, 37, 23 },       /* shrink */
    { 30, 40, 50, 17 },       /* mixed */
    { 90, 33, 90, 64 },       /* height only */
    { 7, 300, 1, 5 },         /* extreme shrink, down to one column */
  };
  for (guint t = 0; t < G_N_ELEMENTS (sizes); t++) {
    const int sw = sizes[t][0], sh = sizes[t][1], dw = sizes[t][2], dh = sizes[t][3];
    g_autofree char *in_path = work_path ("pil_in.png");
    g_autofree char *out_path = work_path ("pil_out.png");
    save_rgb8 (in_path, sw, sh, 100 + t);
    g_autofree char *w = g_strdup_printf ("%d", dw);
    g_autofree char *h = g_strdup_printf ("%d", dh);
    const char *argv[] = {
      "/usr/bin/python3", "-c",
      "import sys\nfrom PIL import Image\n"
      "Image.open(sys.argv[1]).convert('RGB').resize((int(sys.argv[3]), int(sys.argv[4])), "
      "Image.BICUBIC).save(sys.argv[2])\n",
      in_path, out_path, w, h, NULL
    };
    int status = 1;
    GError *error = NULL;
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                                 NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));

    g_autoptr (VksImage) in = vks_image_load (in_path, &error);
    g_assert_no_error (error);
    g_autoptr (VksImage) pil = vks_image_load (out_path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (pil->width, ==, dw);
    g_assert_cmpint (pil->height, ==, dh);
    g_autofree guint8 *src = image_bytes (in);
    g_autofree guint8 *want = image_bytes (pil);
    g_autofree guint8 *ours = g_new (guint8, (gsize) dw * dh * 3);
    vks_resize_bicubic (src, sw, sh, 3, ours, dw, dh);
    gsize off = 0;
    for (gsize i = 0; i < (gsize) dw * dh * 3; i++)
      off += ours[i] != want[i];
    g_test_message ("%dx%d -> %dx%d vs PIL: %" G_GSIZE_FORMAT " bytes differ", sw, sh, dw, dh,
                    off);
    g_assert_cmpuint (off, ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gegl_init (&argc, &argv);
  work_dir = g_dir_make_tmp ("vkstyle-resize-XXXXXX", NULL);
  g_assert_nonnull (work_dir);

  g_test_add_func ("/resize/reference", test_resize_reference);
  g_test_add_func ("/resize/identity", test_resize_identity);
  g_test_add_func ("/resize/pil", test_resize_against_pil);

  int result = g_test_run ();
  static const char *const files[] = { "pil_in.png", "pil_out.png" };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *path = work_path (files[i]);
    g_unlink (path);
  }
  g_rmdir (work_dir);
  g_free (work_dir);
  gegl_exit ();
  return result;
}
