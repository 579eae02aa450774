/* Loading and saving images with GEGL for the CLI (see image_io.h). */
#include "tools/image_io.h"
#include "engine/error.h"
#include "tools/gegl_chatter.h"
#include "tools/jpeg_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <operation/gegl-operation-handlers.h>

/* Pixels converted per gegl_buffer_get/set call: bounds the scratch memory for images with alpha. */
#define BAND_PIXELS (1 << 20)

/* ---- VksImage ---- */

/* path may be NULL (an image made in memory). */
static gboolean
check_size (const char *path, gint64 width, gint64 height, GError **error)
{
  if (width * height * 3 > VKS_IMAGE_MAX_FLOATS) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "%s%simage too large (%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                 " pixels); at most %" G_GINT64_FORMAT " pixels can be processed",
                 path ? path : "", path ? ": " : "", width, height, VKS_IMAGE_MAX_FLOATS / 3);
    return FALSE;
  }
  return TRUE;
}

VksImage *
vks_image_new (int width, int height, const Babl *file_format, GError **error)
{
  if (width < 1 || height < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "image size %dx%d is empty", width, height);
    return NULL;
  }
  if (!check_size (NULL, width, height, error))
    return NULL;
  gsize n_pixels = (gsize) width * (gsize) height;
  float *rgb = g_try_new0 (float, n_pixels * 3);
  float *alpha = babl_format_has_alpha (file_format) ? g_try_new0 (float, n_pixels) : NULL;
  if (!rgb || (babl_format_has_alpha (file_format) && !alpha)) {
    g_free (rgb);
    g_free (alpha);
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "not enough memory for a %dx%d image", width, height);
    return NULL;
  }
  VksImage *image = g_new0 (VksImage, 1);
  image->width = width;
  image->height = height;
  image->rgb = rgb;
  image->alpha = alpha;
  image->file_format = file_format;
  return image;
}

void
vks_image_free (VksImage *image)
{
  if (!image)
    return;
  g_free (image->rgb);
  g_free (image->alpha);
  g_free (image);
}

static int
colour_channels (const Babl *format)
{
  return babl_format_get_n_components (format) - (babl_format_has_alpha (format) ? 1 : 0);
}

gboolean
vks_image_is_grayscale (const VksImage *image)
{
  return colour_channels (image->file_format) == 1;
}

int
vks_image_bits_per_channel (const VksImage *image)
{
  const Babl *format = image->file_format;
  return 8 * babl_format_get_bytes_per_pixel (format) / babl_format_get_n_components (format);
}

static int
band_rows (int width)
{
  return MAX (1, BAND_PIXELS / width);
}

/* ---- loading ---- */

static gboolean
check_readable (const char *path, GError **error)
{
  int fd = g_open (path, O_RDONLY, 0);
  if (fd < 0) {
    int saved = errno;
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: cannot read image: %s", path,
                 g_strerror (saved));
    return FALSE;
  }
  struct stat st;
  int stat_result = fstat (fd, &st);
  close (fd);
  if (stat_result == 0 && S_ISDIR (st.st_mode)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: cannot read image: it is a folder", path);
    return FALSE;
  }
  if (stat_result == 0 && S_ISREG (st.st_mode) && st.st_size == 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "%s: cannot read image: the file is empty",
                 path);
    return FALSE;
  }
  return TRUE;
}

static void
read_pixels (GeglBuffer *buffer, const GeglRectangle *box, VksImage *image)
{
  const int width = image->width;
  const int rows_per_band = band_rows (width);
  float *rgba = image->alpha ? g_new (float, (gsize) rows_per_band * width * 4) : NULL;

  for (int y0 = 0; y0 < image->height; y0 += rows_per_band) {
    const int rows = MIN (rows_per_band, image->height - y0);
    const GeglRectangle band = { box->x, box->y + y0, width, rows };
    const gsize first = (gsize) y0 * width;
    if (!rgba) {
      gegl_buffer_get (buffer, &band, 1.0, babl_format ("R'G'B' float"), image->rgb + first * 3,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      continue;
    }
    gegl_buffer_get (buffer, &band, 1.0, babl_format ("R'G'B'A float"), rgba,
                     GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
    for (gsize i = 0; i < (gsize) rows * width; i++) {
      memcpy (image->rgb + (first + i) * 3, rgba + i * 4, 3 * sizeof (float));
      image->alpha[first + i] = rgba[i * 4 + 3];
    }
  }
  g_free (rgba);

  /* The network is defined on [0,1]; float files (EXR, TIFF) may hold anything, NaN included. */
  for (gsize i = 0; i < (gsize) image->width * image->height * 3; i++) {
    float v = image->rgb[i];
    image->rgb[i] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
  }
}

/* GEGL registers which operation handles a file type when that operation's class is first
 * created; gegl:load and gegl:save walk all of them for the same reason. */
static void
register_handlers (void)
{
  static gsize done = 0;
  if (!g_once_init_enter (&done))
    return;
  guint n_ops = 0;
  gchar **ops = gegl_list_operations (&n_ops);
  for (guint i = 0; i < n_ops; i++) {
    if (g_str_has_suffix (ops[i], "-load") || g_str_has_suffix (ops[i], "-save")) {
      guint n_props = 0;
      g_free (gegl_operation_list_properties (ops[i], &n_props));
    }
  }
  g_free (ops);
  g_once_init_leave (&done, 1);
}

/* MIME type of a file: its first bytes when they are conclusive (a PNG named .jpg is a PNG),
 * else its name; failing both, the bare lower-case extension, which GEGL also registers. */
static char *
file_type (const char *path)
{
  guchar head[4096];
  gsize length = 0;
  FILE *file = g_fopen (path, "rb");
  if (file) {
    length = fread (head, 1, sizeof head, file);
    fclose (file);
  }
  gboolean uncertain = TRUE;
  char *type = g_content_type_guess (NULL, head, length, &uncertain);
  if (!uncertain && g_str_has_prefix (type, "image/"))
    return type;
  g_free (type);
  type = g_content_type_guess (path, NULL, 0, NULL);
  if (g_str_has_prefix (type, "image/"))
    return type;
  g_free (type);
  g_autofree char *base = g_path_get_basename (path);
  const char *dot = strrchr (base, '.');
  return dot ? g_ascii_strdown (dot, -1) : NULL;
}

/* The loader for path, picked here rather than by gegl:load so that we can refuse what gegl:load
 * would quietly turn into something else: a picture of the words "Failed to find a loader" (via
 * gegl:text), or gegl:magick-load, which passes the file name through a shell to ImageMagick and
 * writes a fixed name in /tmp. NULL when there is no proper loader. */
static const char *
loader_for_file (const char *path)
{
  register_handlers ();
  g_autofree char *type = file_type (path);
  if (!type)
    return NULL;
  /* GEGL warns about every type it has no loader for; that is our error to report. */
  VksGeglChatter *chatter = vks_gegl_chatter_begin ("cannot choose an image loader", NULL);
  const char *loader = gegl_operation_handlers_get_loader (type);
  g_free (vks_gegl_chatter_end (chatter));
  if (!loader || strcmp (loader, "gegl:magick-load") == 0 || !gegl_has_operation (loader) ||
      !gegl_operation_find_property (loader, "path"))
    return NULL;
  return loader;
}

/* Runs the loader into a buffer in the file's own pixel format; NULL with an error when it
 * produced nothing. */
static GeglBuffer *
run_loader (const char *path, const char *loader, GError **error)
{
  g_autofree char *failure = g_strdup_printf ("%s: cannot read image", path);
  VksGeglChatter *chatter = vks_gegl_chatter_begin (failure, NULL);
  GeglNode *graph = gegl_node_new ();
  GeglNode *load = gegl_node_new_child (graph, "operation", loader, "path", path, NULL);
  /* Loaders read only the header here, so an absurd size is refused before any decoding. */
  const GeglRectangle box = gegl_node_get_bounding_box (load);
  const gboolean has_size = box.width > 0 && box.height > 0;
  GeglBuffer *buffer = NULL;
  if (has_size && check_size (path, box.width, box.height, NULL)) {
    GeglNode *sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink",
                                          "buffer", &buffer, NULL);
    gegl_node_link (load, sink);
    gegl_node_process (sink);
  }
  g_object_unref (graph);
  g_autofree char *messages = vks_gegl_chatter_end (chatter);

  if (has_size && !check_size (path, box.width, box.height, error))
    return NULL;
  const GeglRectangle *extent = buffer ? gegl_buffer_get_extent (buffer) : NULL;
  if (!extent || extent->width <= 0 || extent->height <= 0) {
    g_autofree char *reason = vks_gegl_chatter_reason (messages);
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "%s: %s", failure,
                 reason ? reason : "not an image GEGL can read");
    g_clear_object (&buffer);
  }
  return buffer;
}

VksImage *
vks_image_load (const char *path, GError **error)
{
  if (!check_readable (path, error))
    return NULL;
  const char *loader = loader_for_file (path);
  if (!loader) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                 "%s: cannot read image: not a format GEGL has a loader for", path);
    return NULL;
  }
  if (strcmp (loader, "gegl:jpg-load") == 0 && !vks_jpeg_check_complete (path, error))
    return NULL;
  GeglBuffer *buffer = run_loader (path, loader, error);
  if (!buffer)
    return NULL;

  const GeglRectangle *extent = gegl_buffer_get_extent (buffer);
  VksImage *image = vks_image_new (extent->width, extent->height, gegl_buffer_get_format (buffer),
                                   error);
  if (image)
    read_pixels (buffer, extent, image);
  else
    g_prefix_error (error, "%s: ", path);
  g_object_unref (buffer);
  return image;
}

/* ---- saving ---- */

/* The GEGL operation that writes path's format, or NULL with an error. */
static const char *
saver_for_path (const char *path, GError **error)
{
  static const char *const hint = "use .png, .jpg, .tif, .webp, .exr, .ppm or .hdr";
  g_autofree char *base = g_path_get_basename (path);
  const char *dot = strrchr (base, '.');
  if (!dot || dot == base || dot[1] == '\0') {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                 "%s: no file extension to choose the image format by; %s", path, hint);
    return NULL;
  }
  g_autofree char *ext = g_ascii_strdown (dot, -1);
  register_handlers ();

  /* For an extension it does not know GEGL warns and answers gegl:png-save anyway. */
  VksGeglChatter *chatter = vks_gegl_chatter_begin ("cannot choose an image saver", NULL);
  const char *saver = gegl_operation_handlers_get_saver (ext);
  g_free (vks_gegl_chatter_end (chatter));

  gboolean fallback = saver && strcmp (saver, "gegl:png-save") == 0 && strcmp (ext, ".png") != 0;
  /* Video and colour-profile writers are savers too, but not of a still image. */
  gboolean not_an_image = saver && (strcmp (saver, "gegl:ff-save") == 0 ||
                                    strcmp (saver, "gegl:icc-save") == 0);
  if (!saver || fallback || not_an_image || !gegl_has_operation (saver)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "%s: unknown output image format \"%s\"; %s",
                 path, dot, hint);
    return NULL;
  }
  return saver;
}

/* "dir/.name.XXXXXX.ext": hidden, same folder (so rename is atomic), same extension (so GEGL
 * picks the same saver). Returns the open descriptor or -1 with an error. */
static int
create_temp_file (const char *path, char **temp_path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  const char *dot = strrchr (base, '.');
  int stem = dot ? (int) (dot - base) : (int) strlen (base);
  g_autofree char *name = g_strdup_printf (".%.*s.XXXXXX%s", stem, base, dot ? dot : "");
  char *template = g_build_filename (dir, name, NULL);
  int fd = g_mkstemp (template);
  if (fd < 0) {
    int saved = errno;
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "cannot write %s: %s", path, g_strerror (saved));
    g_free (template);
    return -1;
  }
  *temp_path = template;
  return fd;
}

gboolean
vks_image_check_output (const char *path, GError **error)
{
  if (!saver_for_path (path, error))
    return FALSE;
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "cannot write %s: it is a folder", path);
    return FALSE;
  }
  char *temp_path = NULL;
  int fd = create_temp_file (path, &temp_path, error);
  if (fd < 0)
    return FALSE;
  close (fd);
  g_unlink (temp_path);
  g_free (temp_path);
  return TRUE;
}

/* The file's own format when we can write it back (grey or RGB, any depth, any colour space);
 * otherwise (CMYK, ...) RGB of the same component type. */
static const Babl *
output_format (const VksImage *image)
{
  const Babl *format = image->file_format;
  int colours = colour_channels (format);
  if (colours == 1 || colours == 3)
    return format;
  g_autofree char *name = g_strdup_printf ("R'G'B'%s %s", image->alpha ? "A" : "",
                                           babl_get_name (babl_format_get_type (format, 0)));
  return babl_format (name);
}

static GeglBuffer *
buffer_from_image (const VksImage *image)
{
  const int width = image->width;
  const GeglRectangle all = { 0, 0, width, image->height };
  GeglBuffer *buffer = gegl_buffer_new (&all, output_format (image));
  const int rows_per_band = band_rows (width);
  float *rgba = image->alpha ? g_new (float, (gsize) rows_per_band * width * 4) : NULL;

  /* Grey files get babl's R'G'B' -> Y' conversion (luminance) here. */
  for (int y0 = 0; y0 < image->height; y0 += rows_per_band) {
    const int rows = MIN (rows_per_band, image->height - y0);
    const GeglRectangle band = { 0, y0, width, rows };
    const gsize first = (gsize) y0 * width;
    if (!rgba) {
      gegl_buffer_set (buffer, &band, 0, babl_format ("R'G'B' float"), image->rgb + first * 3,
                       GEGL_AUTO_ROWSTRIDE);
      continue;
    }
    for (gsize i = 0; i < (gsize) rows * width; i++) {
      memcpy (rgba + i * 4, image->rgb + (first + i) * 3, 3 * sizeof (float));
      rgba[i * 4 + 3] = image->alpha[first + i];
    }
    gegl_buffer_set (buffer, &band, 0, babl_format ("R'G'B'A float"), rgba, GEGL_AUTO_ROWSTRIDE);
  }
  g_free (rgba);
  return buffer;
}

static void
set_saver_options (GeglNode *save, const char *saver, const VksImage *image)
{
  /* png-save and ppm-save default to 16 bits whatever the input; tiff-save (minimum -1) follows
   * the buffer's own type, which already is the file's. */
  GParamSpec *bitdepth = gegl_operation_find_property (saver, "bitdepth");
  if (bitdepth && G_IS_PARAM_SPEC_INT (bitdepth) && G_PARAM_SPEC_INT (bitdepth)->minimum >= 8) {
    const GParamSpecInt *range = G_PARAM_SPEC_INT (bitdepth);
    int bits = vks_image_bits_per_channel (image) > 8 ? 16 : 8;
    gegl_node_set (save, "bitdepth", CLAMP (bits, range->minimum, range->maximum), NULL);
  }
  /* jpg-save writes colour unless told otherwise. */
  if (vks_image_is_grayscale (image) && gegl_operation_find_property (saver, "grayscale"))
    gegl_node_set (save, "grayscale", TRUE, NULL);
}

/* Permissions the result should get: an existing file keeps its own, a new one gets what the
 * umask allows (mkstemp's 0600 would surprise). */
static mode_t
result_mode (const char *path)
{
  GStatBuf st;
  if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode))
    return st.st_mode & 07777;
  mode_t mask = umask (0);
  umask (mask);
  return 0666 & ~mask;
}

static gboolean
sync_file (const char *path)
{
  int fd = g_open (path, O_RDONLY, 0);
  if (fd < 0)
    return FALSE;
  gboolean ok = fsync (fd) == 0;
  close (fd);
  return ok;
}

gboolean
vks_image_save (const VksImage *image, const char *path, GError **error)
{
  const char *saver = saver_for_path (path, error);
  if (!saver)
    return FALSE;
  char *temp_path = NULL;
  int fd = create_temp_file (path, &temp_path, error);
  if (fd < 0)
    return FALSE;
  close (fd);

  GeglBuffer *buffer = buffer_from_image (image);
  GeglNode *graph = gegl_node_new ();
  GeglNode *source = gegl_node_new_child (graph, "operation", "gegl:buffer-source",
                                          "buffer", buffer, NULL);
  GeglNode *save = gegl_node_new_child (graph, "operation", saver, "path", temp_path, NULL);
  set_saver_options (save, saver, image);
  gegl_node_link (source, save);

  g_autofree char *failure = g_strdup_printf ("cannot write %s", path);
  VksGeglChatter *chatter = vks_gegl_chatter_begin (failure, temp_path);
  gegl_node_process (save);
  g_object_unref (graph);
  g_object_unref (buffer);
  g_autofree char *messages = vks_gegl_chatter_end (chatter);

  GStatBuf st;
  gboolean ok = TRUE;
  if (g_stat (temp_path, &st) != 0 || st.st_size == 0 || vks_gegl_chatter_reports_failure (messages)) {
    g_autofree char *reason = vks_gegl_chatter_reason (messages);
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "cannot write %s: %s", path,
                 reason ? reason : "GEGL wrote no image");
    ok = FALSE;
  } else if (!sync_file (temp_path) || g_chmod (temp_path, result_mode (path)) != 0 ||
             g_rename (temp_path, path) != 0) {
    int saved = errno;
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "cannot write %s: %s", path, g_strerror (saved));
    ok = FALSE;
  }
  if (!ok)
    g_unlink (temp_path);
  g_free (temp_path);
  return ok;
}
