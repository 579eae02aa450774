/* Tests of the CLI's image I/O (tools/image_io.c, gegl_chatter.c, jpeg_check.c): round trips
 * per format and depth, alpha kept bit-exact, grey kept grey, errors that name the file, and
 * atomic saving that leaves no temporary file behind. */
#include "engine/error.h"
#include "tools/gegl_chatter.h"
#include "tools/image_io.h"
#include "tools/jpeg_check.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

static char *work_dir;

static char *
work_path (const char *name)
{
  return g_build_filename (work_dir, name, NULL);
}

/* Smooth colours plus an alpha ramp through many levels, all on the format's integer grid so
 * that a lossless round trip gives back the very same numbers. */
static VksImage *
make_image (int width, int height, const char *format)
{
  GError *error = NULL;
  VksImage *image = vks_image_new (width, height, babl_format (format), &error);
  g_assert_no_error (error);
  const float levels = vks_image_bits_per_channel (image) == 8 ? 255.0f : 65535.0f;
  for (int i = 0; i < width * height; i++) {
    float *rgb = image->rgb + i * 3;
    rgb[0] = roundf (levels * (i % width) / MAX (width - 1, 1)) / levels;
    rgb[1] = roundf (levels * (i / width) / MAX (height - 1, 1)) / levels;
    rgb[2] = (float) ((i * 7919) % ((int) levels + 1)) / levels;
    if (image->alpha)
      image->alpha[i] = (float) ((i * 257) % ((int) levels + 1)) / levels;
  }
  return image;
}

/* Without the fsync of g_file_set_contents: the truncation test writes a thousand files. The
 * unlink is needed because this mode of GLib 2.74 does not truncate an existing file. */
static void
write_file (const char *path, const char *contents, gssize length)
{
  GError *error = NULL;
  g_unlink (path);
  g_file_set_contents_full (path, contents, length, G_FILE_SET_CONTENTS_NONE, 0644, &error);
  g_assert_no_error (error);
}

static int
count_hidden_files (void)
{
  GDir *dir = g_dir_open (work_dir, 0, NULL);
  int n = 0;
  const char *name;
  while ((name = g_dir_read_name (dir)))
    n += name[0] == '.';
  g_dir_close (dir);
  return n;
}

static float
max_difference (const float *a, const float *b, gsize n)
{
  float worst = 0.0f;
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabsf (a[i] - b[i]));
  return worst;
}

typedef struct {
  const char *file;
  const char *format;       /* what we save as */
  const char *loaded_as;    /* encoding expected back */
  float rgb_tolerance;      /* quantisation of the file format */
} RoundTrip;

static void
test_round_trip (gconstpointer data)
{
  const RoundTrip *trip = data;
  g_autofree char *path = work_path (trip->file);
  g_autoptr (VksImage) image = make_image (23, 17, trip->format);
  GError *error = NULL;

  g_assert_true (vks_image_save (image, path, &error));
  g_assert_no_error (error);
  g_autoptr (VksImage) back = vks_image_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpint (back->width, ==, 23);
  g_assert_cmpint (back->height, ==, 17);
  g_assert_cmpstr (babl_format_get_encoding (back->file_format), ==, trip->loaded_as);
  g_assert_cmpint (vks_image_bits_per_channel (back), ==, vks_image_bits_per_channel (image));
  g_assert_cmpint (back->alpha != NULL, ==, image->alpha != NULL);
  /* Exact on the file's integer grid: babl may pick a float conversion path that is off by an
   * ulp (it chooses by timing, cached in XDG_CACHE_HOME), so compare to within half a 16-bit
   * step, which still tells every stored value apart. */
  if (image->alpha)
    g_assert_cmpfloat (max_difference (image->alpha, back->alpha, 23 * 17), <, 0.5f / 65535);
  if (!vks_image_is_grayscale (image))
    g_assert_cmpfloat (max_difference (image->rgb, back->rgb, 23 * 17 * 3), <=,
                       trip->rgb_tolerance);
  g_assert_cmpint (count_hidden_files (), ==, 0);
  g_unlink (path);
}

/* Grey files store luminance: three equal channels come back equal to what went in. */
static void
test_grey_stays_grey (void)
{
  g_autofree char *path = work_path ("grey.png");
  g_autoptr (VksImage) image = make_image (9, 5, "Y' u16");
  for (int i = 0; i < 9 * 5; i++)
    image->rgb[i * 3 + 1] = image->rgb[i * 3 + 2] = image->rgb[i * 3];
  GError *error = NULL;
  g_assert_true (vks_image_save (image, path, &error));
  g_autoptr (VksImage) back = vks_image_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (vks_image_is_grayscale (back));
  g_assert_cmpint (vks_image_bits_per_channel (back), ==, 16);
  g_assert_cmpfloat (max_difference (image->rgb, back->rgb, 9 * 5 * 3), <=, 1.0f / 65535 + 1e-6f);
  g_unlink (path);
}

static void
test_save_replaces_atomically (void)
{
  g_autofree char *path = work_path ("replace.png");
  GError *error = NULL;
  write_file (path, "old", -1);
  g_assert_cmpint (g_chmod (path, 0640), ==, 0);
  g_autoptr (VksImage) image = make_image (4, 4, "R'G'B' u8");
  g_assert_true (vks_image_save (image, path, &error));
  g_assert_no_error (error);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);   /* an existing file keeps its permissions */
  g_assert_cmpint (count_hidden_files (), ==, 0);
  g_unlink (path);

  /* A new file gets what the umask allows, not mkstemp's 0600. */
  mode_t mask = umask (022);
  g_assert_true (vks_image_save (image, path, &error));
  umask (mask);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  g_unlink (path);
}

static void
test_output_errors (void)
{
  g_autoptr (VksImage) image = make_image (2, 2, "R'G'B' u8");
  GError *error = NULL;
  g_autofree char *unknown = work_path ("out.xyz");
  g_assert_false (vks_image_check_output (unknown, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IMAGE);
  g_assert_nonnull (strstr (error->message, "out.xyz"));
  g_clear_error (&error);
  g_assert_false (vks_image_save (image, unknown, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IMAGE);
  g_clear_error (&error);
  g_assert_false (g_file_test (unknown, G_FILE_TEST_EXISTS));

  g_autofree char *no_ext = work_path ("out");
  g_assert_false (vks_image_check_output (no_ext, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IMAGE);
  g_clear_error (&error);

  g_autofree char *no_dir = work_path ("missing/out.png");
  g_assert_false (vks_image_check_output (no_dir, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (vks_image_save (image, no_dir, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);

  g_autofree char *folder = work_path ("folder.png");
  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  g_assert_false (vks_image_check_output (folder, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);
  g_rmdir (folder);
  g_assert_cmpint (count_hidden_files (), ==, 0);
}

static void
assert_load_fails (const char *name, const char *contents, gssize length, int code,
                   const char *expected)
{
  g_autofree char *path = work_path (name);
  if (contents)
    write_file (path, contents, length);
  GError *error = NULL;
  g_assert_null (vks_image_load (path, &error));
  g_assert_error (error, VKS_ERROR, code);
  g_assert_nonnull (strstr (error->message, name));
  if (!strstr (error->message, expected))
    g_error ("\"%s\" does not contain \"%s\"", error->message, expected);
  g_error_free (error);
  g_unlink (path);
}

static void
test_load_errors (void)
{
  assert_load_fails ("absent.png", NULL, 0, VKS_ERROR_IO, "No such file");
  assert_load_fails ("empty.png", "", 0, VKS_ERROR_IMAGE, "empty");
  assert_load_fails ("text.png", "hello, world\n", -1, VKS_ERROR_IMAGE, "cannot read image");
  assert_load_fails ("text.txt", "hello, world\n", -1, VKS_ERROR_IMAGE, "cannot read image");
  assert_load_fails ("noextension", "hello, world\n", -1, VKS_ERROR_IMAGE, "cannot read image");
  /* BMP has only the ImageMagick fallback, which we refuse (it runs a shell on the name). */
  assert_load_fails ("picture.bmp", "BM\x10\0\0\0\0\0\0\0", 10, VKS_ERROR_IMAGE,
                     "cannot read image");
  g_assert_false (g_file_test ("/tmp/gegl-magick.png", G_FILE_TEST_EXISTS));
}

/* Every truncation of a real JPEG is refused, the whole file and trailing junk are accepted. */
static void
test_jpeg_truncations (void)
{
  g_autofree char *path = work_path ("whole.jpg");
  g_autoptr (VksImage) image = make_image (24, 16, "R'G'B' u8");
  GError *error = NULL;
  g_assert_true (vks_image_save (image, path, &error));
  g_autofree char *data = NULL;
  gsize length = 0;
  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  g_assert_true (vks_jpeg_check_complete (path, &error));
  g_assert_no_error (error);

  g_autofree char *cut = work_path ("cut.jpg");
  for (gsize n = 0; n < length; n++) {
    write_file (cut, data, n);
    g_assert_false (vks_jpeg_check_complete (cut, &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_IMAGE);
    g_clear_error (&error);
  }
  GString *junk = g_string_new_len (data, length);
  g_string_append (junk, "trailing junk");
  write_file (cut, junk->str, junk->len);
  g_assert_true (vks_jpeg_check_complete (cut, &error));
  g_string_free (junk, TRUE);

  /* Through the loader too: an error, not GEGL's endless loop. */
  write_file (cut, data, length * 2 / 3);
  g_assert_null (vks_image_load (cut, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IMAGE);
  g_clear_error (&error);
  g_unlink (cut);
  g_unlink (path);
}

static void
test_chatter_reason (void)
{
  g_autofree char *png = vks_gegl_chatter_reason (
    "LIBPNG ERROR: IDAT: CRC errorlibpng error: IDAT: CRC error\n"
    "LIBPNG ERROR: IDAT: CRC errorlibpng error: IDAT: CRC error\n"
    "../gegl/operation/gegl-operation.c:153 Eeek: processing 0px rectangle\n");
  g_assert_cmpstr (png, ==, "IDAT: CRC error");
  g_autofree char *two = vks_gegl_chatter_reason ("first.\n\nsecond\nthird\n");
  g_assert_cmpstr (two, ==, "first; second");
  g_assert_null (vks_gegl_chatter_reason ("\n \n"));
  g_assert_true (vks_gegl_chatter_reports_failure ("libpng error: x"));
  g_assert_false (vks_gegl_chatter_reports_failure ("iCCP: known incorrect sRGB profile"));
}

static const RoundTrip trips[] = {
  { "rgb8.png", "R'G'B' u8", "R'G'B' u8", 1e-6f },
  { "rgba8.png", "R'G'B'A u8", "R'G'B'A u8", 1e-6f },
  { "rgb16.png", "R'G'B' u16", "R'G'B' u16", 1e-6f },
  { "rgba16.png", "R'G'B'A u16", "R'G'B'A u16", 1e-6f },
  { "ya8.png", "Y'A u8", "Y'A u8", 1.0f },              /* grey: colours not comparable */
  { "rgba16.tif", "R'G'B'A u16", "R'G'B'A u16", 1e-6f },
  { "rgb8.jpg", "R'G'B' u8", "R'G'B' u8", 1.0f },       /* lossy: format and size only */
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("GEGL_USE_OPENCL", "no", FALSE);
  gegl_init (NULL, NULL);
  work_dir = g_dir_make_tmp ("vkstyle-image-io-XXXXXX", NULL);
  g_assert_nonnull (work_dir);

  for (gsize i = 0; i < G_N_ELEMENTS (trips); i++) {
    g_autofree char *name = g_strdup_printf ("/image-io/round-trip/%s", trips[i].file);
    g_test_add_data_func (name, &trips[i], test_round_trip);
  }
  g_test_add_func ("/image-io/grey-stays-grey", test_grey_stays_grey);
  g_test_add_func ("/image-io/save-replaces-atomically", test_save_replaces_atomically);
  g_test_add_func ("/image-io/output-errors", test_output_errors);
  g_test_add_func ("/image-io/load-errors", test_load_errors);
  g_test_add_func ("/image-io/jpeg-truncations", test_jpeg_truncations);
  g_test_add_func ("/image-io/chatter-reason", test_chatter_reason);
  int status = g_test_run ();

  g_rmdir (work_dir);
  g_free (work_dir);
  gegl_exit ();
  return status;
}
