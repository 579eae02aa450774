#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/region.h"
#include "plug-in/resample.h"

/* Gamma-encoded sRGB in floats, as the network was trained on (what PIL gives PyTorch); babl
 * converts from whatever the image stores (8/16/32-bit, gray, another profile) and back, so
 * gray images go through R=G=B and come back as luminance, and 16/32-bit keep their precision. */
#define PIXEL_FORMAT "R'G'B'A float"

/* Rows written at a time: bounds the extra memory on huge images. */
#define CHUNK_BYTES (8u << 20)

void
pixel_region_free (PixelRegion *region)
{
  if (region == NULL)
    return;
  g_free (region->original);
  g_free (region->selection);
  g_free (region);
}

static float *
try_alloc_floats (gsize n_pixels, int channels, int width, int height, GError **error)
{
  float *data = g_try_new (float, n_pixels * channels);

  if (data == NULL)
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 _("Not enough memory to process an area of %d × %d pixels."), width, height);
  return data;
}

PixelRegion *
pixel_region_read (GeglBuffer *pixels, const GeglRectangle *rect, GeglBuffer *selection,
                   int selection_x, int selection_y, GError **error)
{
  g_autoptr (PixelRegion) region = g_new0 (PixelRegion, 1);
  gsize n_pixels = (gsize) rect->width * rect->height;

  region->width = rect->width;
  region->height = rect->height;
  region->original = try_alloc_floats (n_pixels, 4, rect->width, rect->height, error);
  if (region->original == NULL)
    return NULL;
  gegl_buffer_get (pixels, rect, 1.0, babl_format (PIXEL_FORMAT), region->original,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  if (selection != NULL)
    {
      region->selection = try_alloc_floats (n_pixels, 1, rect->width, rect->height, error);
      if (region->selection == NULL)
        return NULL;
      gegl_buffer_get (selection,
                       GEGL_RECTANGLE (selection_x, selection_y, rect->width, rect->height), 1.0,
                       babl_format ("Y float"), region->selection, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
    }
  return g_steal_pointer (&region);
}

ReferenceImage *
reference_image_read (GeglBuffer *pixels, GError **error)
{
  const GeglRectangle *extent = gegl_buffer_get_extent (pixels);
  int level = 0, width, height;
  double scale;
  float *rgb;
  ReferenceImage *image;

  while (MAX (extent->width, extent->height) > (REFERENCE_MAX_SIDE << level))
    level++;
  scale = 1.0 / (double) (1 << level);
  width = MAX (1, extent->width >> level);
  height = MAX (1, extent->height >> level);
  rgb = try_alloc_floats ((gsize) width * height, 3, width, height, error);
  if (rgb == NULL)
    return NULL;
  /* a scaled get takes its rectangle in the scaled coordinates */
  gegl_buffer_get (pixels,
                   GEGL_RECTANGLE ((int) (extent->x * scale), (int) (extent->y * scale), width,
                                   height),
                   scale, babl_format ("R'G'B' float"), rgb, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_CLAMP);
  image = g_new0 (ReferenceImage, 1);
  image->width = width;
  image->height = height;
  image->rgb = g_bytes_new_take (rgb, (gsize) width * height * 3 * sizeof (float));
  return image;
}

void
reference_image_free (ReferenceImage *image)
{
  if (image == NULL)
    return;
  g_bytes_unref (image->rgb);
  g_free (image);
}

void
pixel_region_make_opaque (PixelRegion *region)
{
  gsize n_pixels = (gsize) region->width * region->height;

  for (gsize i = 0; i < n_pixels; i++)
    region->original[4 * i + 3] = 1.0f;
}

void
pixel_region_network_size (const PixelRegion *region, double scale, int *width, int *height)
{
  *width = MAX (1, (int) (region->width * scale + 0.5));
  *height = MAX (1, (int) (region->height * scale + 0.5));
}

float *
pixel_region_network_input (const PixelRegion *region, int width, int height)
{
  gsize n_pixels = (gsize) region->width * region->height;
  g_autofree float *rgb = g_new (float, n_pixels * 3);

  for (gsize i = 0; i < n_pixels; i++)
    memcpy (rgb + 3 * i, region->original + 4 * i, 3 * sizeof (float));
  return resample_rgb (rgb, region->width, region->height, width, height);
}

void
pixel_region_blend_rows (const PixelRegion *region, const float *styled, double strength,
                         gboolean use_selection, int row, int n_rows, float *rgba_out)
{
  const float s = (float) (strength / 100.0);
  gsize first = (gsize) row * region->width;
  gsize n_pixels = (gsize) n_rows * region->width;

  for (gsize i = 0; i < n_pixels; i++)
    {
      const float *orig = region->original + 4 * (first + i);
      const float *style = styled + 3 * (first + i);
      float *out = rgba_out + 4 * i;

      for (int c = 0; c < 3; c++)
        out[c] = orig[c] + s * (style[c] - orig[c]);
      out[3] = orig[3];
      if (use_selection && region->selection != NULL)
        out[3] *= region->selection[first + i];
    }
}

void
pixel_region_write (const PixelRegion *region, const float *styled, double strength,
                    gboolean use_selection, GeglBuffer *target, int x, int y)
{
  int rows_per_chunk = MAX (1, (int) (CHUNK_BYTES / (region->width * 4 * sizeof (float))));
  g_autofree float *chunk = g_new (float, (gsize) MIN (rows_per_chunk, region->height)
                                          * region->width * 4);

  for (int row = 0; row < region->height; row += rows_per_chunk)
    {
      int n_rows = MIN (rows_per_chunk, region->height - row);

      pixel_region_blend_rows (region, styled, strength, use_selection, row, n_rows, chunk);
      gegl_buffer_set (target, GEGL_RECTANGLE (x, y + row, region->width, n_rows), 0,
                       babl_format (PIXEL_FORMAT), chunk, GEGL_AUTO_ROWSTRIDE);
    }
  gegl_buffer_flush (target);
}
