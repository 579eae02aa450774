/* Image files in and out of the CLI, through GEGL: whatever GEGL's loaders read, as the packed
 * R'G'B' float pixels vks_style_apply takes, and back in the file's own kind (grey stays grey,
 * 16 bits stay 16 bits, alpha comes back unchanged). gegl_init must have been called. */
#pragma once
#include <gegl.h>

/* Beyond this many floats in one plane the pixel count no longer fits the engine's int sizes
 * and the allocation would be unreasonable for a CLI anyway. */
#define VKS_IMAGE_MAX_FLOATS ((gint64) 1 << 31)

typedef struct {
  int width;
  int height;
  float *rgb;                 /* width*height*3 floats, R'G'B' (sRGB, gamma-encoded) in [0,1] */
  float *alpha;               /* width*height floats, or NULL when the file has no alpha */
  const Babl *file_format;    /* pixel format GEGL loaded the file in; decides how we save */
} VksImage;

/* Errors are VKS_ERROR_IO (missing/unreadable file), VKS_ERROR_IMAGE ("not an image" and
 * friends, with GEGL's reason when it gave one) and VKS_ERROR_TOO_LARGE; every message starts
 * with the path. */
VksImage *vks_image_load (const char *path, GError **error);

/* A blank image in memory, in the given GEGL format (e.g. "R'G'B'A u16"); checks the size. */
VksImage *vks_image_new (int width, int height, const Babl *file_format, GError **error);
void vks_image_free (VksImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksImage, vks_image_free)

gboolean vks_image_is_grayscale (const VksImage *image);
/* Bits per channel of the file format: 8, 16, 32 or 64. */
int vks_image_bits_per_channel (const VksImage *image);

/* Cheap checks worth doing before any long computation: the extension names a format GEGL can
 * write and the folder accepts new files. */
gboolean vks_image_check_output (const char *path, GError **error);

/* Saves in the format the extension of path names, with the image's channel layout and bit depth
 * where that format allows. Atomic: written to a hidden temporary file in the same folder, synced,
 * then renamed over path; on failure nothing is left behind and an existing path is untouched. */
gboolean vks_image_save (const VksImage *image, const char *path, GError **error);
