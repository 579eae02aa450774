/* Test helper for tests/test_cli.sh, written directly against GEGL (not tools/image_io.c, which
 * is what is under test), so the CLI test needs no image tool beyond what the build has.
 *
 *   image_helper make FILE WIDTH HEIGHT FORMAT   seeded test picture; FORMAT is a babl format
 *                                                 such as "R'G'B'A u16" or "Y' u8"
 *   image_helper info FILE                        prints "WIDTHxHEIGHT FORMAT"
 *   image_helper compare A B                      prints the largest difference per channel,
 *                                                 R'G'B'A in units of 1/65535
 *   image_helper huge-png FILE WIDTH HEIGHT       a PNG header claiming that size, no pixels
 */
#include <gegl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail (const char *format, const char *detail)
{
  fprintf (stderr, "image_helper: ");
  fprintf (stderr, format, detail);
  fprintf (stderr, "\n");
  return 1;
}

static GeglBuffer *
load (const char *path)
{
  /* gegl:load would render the words "does not exist" instead. */
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  GeglBuffer *buffer = NULL;
  GeglNode *graph = gegl_node_new ();
  GeglNode *source = gegl_node_new_child (graph, "operation", "gegl:load", "path", path, NULL);
  GeglNode *sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink", "buffer", &buffer,
                                        NULL);
  gegl_node_link (source, sink);
  gegl_node_process (sink);
  g_object_unref (graph);
  if (buffer && gegl_buffer_get_extent (buffer)->width <= 0)
    g_clear_object (&buffer);
  return buffer;
}

/* A smooth picture with some texture and an alpha ramp that uses every level, so that a lost or
 * rounded channel shows up in a comparison. */
static void
fill (GeglBuffer *buffer, int width, int height)
{
  float *pixels = g_new (float, (gsize) width * height * 4);
  GRand *rand = g_rand_new_with_seed (7);
  for (int y = 0; y < height; y++) {
    for (int x = 0; x < width; x++) {
      float *p = pixels + ((gsize) y * width + x) * 4;
      float u = width > 1 ? (float) x / (width - 1) : 0.5f;
      float v = height > 1 ? (float) y / (height - 1) : 0.5f;
      p[0] = u;
      p[1] = v;
      p[2] = (float) g_rand_double (rand);
      p[3] = (float) (((gsize) y * width + x) % 65536) / 65535.0f;
    }
  }
  g_rand_free (rand);
  const GeglRectangle all = { 0, 0, width, height };
  gegl_buffer_set (buffer, &all, 0, babl_format ("R'G'B'A float"), pixels, GEGL_AUTO_ROWSTRIDE);
  g_free (pixels);
}

static int
make (const char *path, int width, int height, const char *format_name)
{
  if (!babl_format_exists (format_name))
    return fail ("unknown babl format \"%s\"", format_name);
  const Babl *format = babl_format (format_name);
  const GeglRectangle all = { 0, 0, width, height };
  GeglBuffer *buffer = gegl_buffer_new (&all, format);
  fill (buffer, width, height);

  const char *saver = g_str_has_suffix (path, ".png") ? "gegl:png-save"
                      : g_str_has_suffix (path, ".jpg") ? "gegl:jpg-save"
                      : g_str_has_suffix (path, ".tif") ? "gegl:tiff-save"
                      : NULL;
  if (!saver) {
    g_object_unref (buffer);
    return fail ("%s: use .png, .jpg or .tif", path);
  }
  int bits = 8 * babl_format_get_bytes_per_pixel (format) / babl_format_get_n_components (format);
  GeglNode *graph = gegl_node_new ();
  GeglNode *source = gegl_node_new_child (graph, "operation", "gegl:buffer-source",
                                          "buffer", buffer, NULL);
  GeglNode *save = gegl_node_new_child (graph, "operation", saver, "path", path, NULL);
  if (strcmp (saver, "gegl:png-save") == 0)
    gegl_node_set (save, "bitdepth", bits > 8 ? 16 : 8, NULL);
  gegl_node_link (source, save);
  gegl_node_process (save);
  g_object_unref (graph);
  g_object_unref (buffer);
  return 0;
}

static int
info (const char *path)
{
  GeglBuffer *buffer = load (path);
  if (!buffer)
    return fail ("%s: cannot load", path);
  const GeglRectangle *extent = gegl_buffer_get_extent (buffer);
  /* The encoding, not the full name, which also spells out the colour space. */
  printf ("%dx%d %s\n", extent->width, extent->height,
          babl_format_get_encoding (gegl_buffer_get_format (buffer)));
  g_object_unref (buffer);
  return 0;
}

static int
compare (const char *path_a, const char *path_b)
{
  GeglBuffer *a = load (path_a);
  GeglBuffer *b = load (path_b);
  int status = 0;
  if (!a || !b) {
    status = fail ("%s: cannot load", !a ? path_a : path_b);
  } else if (!gegl_rectangle_equal (gegl_buffer_get_extent (a), gegl_buffer_get_extent (b))) {
    status = fail ("%s: sizes differ", path_b);
  } else {
    const GeglRectangle *extent = gegl_buffer_get_extent (a);
    gsize n = (gsize) extent->width * extent->height * 4;
    double *pa = g_new (double, n), *pb = g_new (double, n);
    gegl_buffer_get (a, extent, 1.0, babl_format ("R'G'B'A double"), pa, GEGL_AUTO_ROWSTRIDE,
                     GEGL_ABYSS_NONE);
    gegl_buffer_get (b, extent, 1.0, babl_format ("R'G'B'A double"), pb, GEGL_AUTO_ROWSTRIDE,
                     GEGL_ABYSS_NONE);
    double worst[4] = { 0, 0, 0, 0 };
    for (gsize i = 0; i < n; i++)
      worst[i % 4] = MAX (worst[i % 4], fabs (pa[i] - pb[i]));
    printf ("r=%.0f g=%.0f b=%.0f a=%.0f\n", worst[0] * 65535, worst[1] * 65535, worst[2] * 65535,
            worst[3] * 65535);
    g_free (pa);
    g_free (pb);
  }
  g_clear_object (&a);
  g_clear_object (&b);
  return status;
}

static uint32_t
crc32_of (const uint8_t *data, size_t length)
{
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < length; i++) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; bit++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

static void
put_be32 (uint8_t *at, uint32_t value)
{
  at[0] = value >> 24;
  at[1] = value >> 16;
  at[2] = value >> 8;
  at[3] = value;
}

/* Valid signature, IHDR (8-bit RGB) with the given size, an empty IDAT (libpng reads the header
 * up to the first IDAT) and IEND: enough for a loader to report the size, no pixels to decode. */
static int
huge_png (const char *path, uint32_t width, uint32_t height)
{
  uint8_t file[8 + 25 + 12 + 12] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  uint8_t *ihdr = file + 8;
  put_be32 (ihdr, 13);
  memcpy (ihdr + 4, "IHDR", 4);
  put_be32 (ihdr + 8, width);
  put_be32 (ihdr + 12, height);
  ihdr[16] = 8;   /* bit depth */
  ihdr[17] = 2;   /* colour type RGB */
  put_be32 (ihdr + 21, crc32_of (ihdr + 4, 17));
  uint8_t *idat = ihdr + 25;
  memcpy (idat + 4, "IDAT", 4);
  put_be32 (idat + 8, crc32_of (idat + 4, 4));
  uint8_t *iend = idat + 12;
  memcpy (iend + 4, "IEND", 4);
  put_be32 (iend + 8, crc32_of (iend + 4, 4));
  GError *error = NULL;
  if (!g_file_set_contents (path, (const char *) file, sizeof file, &error)) {
    int status = fail ("%s", error->message);
    g_error_free (error);
    return status;
  }
  return 0;
}

int
main (int argc, char **argv)
{
  g_setenv ("GEGL_USE_OPENCL", "no", FALSE);
  gegl_init (NULL, NULL);
  int status = 2;
  if (argc == 6 && strcmp (argv[1], "make") == 0)
    status = make (argv[2], atoi (argv[3]), atoi (argv[4]), argv[5]);
  else if (argc == 3 && strcmp (argv[1], "info") == 0)
    status = info (argv[2]);
  else if (argc == 4 && strcmp (argv[1], "compare") == 0)
    status = compare (argv[2], argv[3]);
  else if (argc == 5 && strcmp (argv[1], "huge-png") == 0)
    status = huge_png (argv[2], strtoul (argv[3], NULL, 10), strtoul (argv[4], NULL, 10));
  else
    fprintf (stderr, "usage: image_helper make|info|compare|huge-png ... (see the source)\n");
  gegl_exit ();
  return status;
}
