#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "engine/error.h"
#include "plug-in/render.h"
#include "plug-in/resample.h"

/* Gamma-encoded sRGB in floats, as the network was trained on (what PIL gives PyTorch); babl
 * converts from whatever the image stores (8/16/32-bit, gray, another profile) and back, so
 * gray images go through R=G=B and come back as luminance, and 16/32-bit keep their precision. */
#define PIXEL_FORMAT "R'G'B'A float"

/* Rows written to the shadow buffer at a time: bounds the extra memory on huge images. */
#define CHUNK_BYTES (8u << 20)

void
render_region_free (RenderRegion *region)
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
                 _("Not enough memory to stylize an area of %d × %d pixels."), width, height);
  return data;
}

RenderRegion *
render_region_read (gint32 drawable, GError **error)
{
  g_autoptr (RenderRegion) region = g_new0 (RenderRegion, 1);
  GeglBuffer *buffer;
  int off_x, off_y;
  gsize n_pixels;

  if (gimp_item_is_group (drawable))
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                   _("A layer group cannot be stylized. Choose one of its layers."));
      return NULL;
    }
  if (!gimp_drawable_mask_intersect (drawable, &region->x, &region->y, &region->width,
                                     &region->height)
      || region->width <= 0 || region->height <= 0)
    return NULL;

  region->drawable = drawable;
  region->image = gimp_item_get_image (drawable);
  gimp_drawable_offsets (drawable, &off_x, &off_y);
  region->image_x = off_x + region->x;
  region->image_y = off_y + region->y;
  n_pixels = (gsize) region->width * region->height;

  region->original = try_alloc_floats (n_pixels, 4, region->width, region->height, error);
  if (region->original == NULL)
    return NULL;
  buffer = gimp_drawable_get_buffer (drawable);
  gegl_buffer_get (buffer,
                   GEGL_RECTANGLE (region->x, region->y, region->width, region->height), 1.0,
                   babl_format (PIXEL_FORMAT), region->original, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  g_object_unref (buffer);

  if (!gimp_selection_is_empty (region->image))
    {
      gint32 selection = gimp_image_get_selection (region->image);

      region->selection = try_alloc_floats (n_pixels, 1, region->width, region->height, error);
      if (region->selection == NULL)
        return NULL;
      buffer = gimp_drawable_get_buffer (selection);
      gegl_buffer_get (buffer,
                       GEGL_RECTANGLE (region->image_x, region->image_y, region->width,
                                       region->height), 1.0,
                       babl_format ("Y float"), region->selection, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      g_object_unref (buffer);
    }
  return g_steal_pointer (&region);
}

void
render_network_size (const RenderRegion *region, double scale, int *width, int *height)
{
  *width = MAX (1, (int) (region->width * scale + 0.5));
  *height = MAX (1, (int) (region->height * scale + 0.5));
}

float *
render_network_input (const RenderRegion *region, int width, int height)
{
  gsize n_pixels = (gsize) region->width * region->height;
  g_autofree float *rgb = g_new (float, n_pixels * 3);

  for (gsize i = 0; i < n_pixels; i++)
    memcpy (rgb + 3 * i, region->original + 4 * i, 3 * sizeof (float));
  return resample_rgb (rgb, region->width, region->height, width, height);
}

void
render_blend_rows (const RenderRegion *region, const float *styled, double strength,
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
render_restore_active (gint32 image, gint32 drawable)
{
  if (gimp_item_is_layer_mask (drawable))
    {
      gint32 layer = gimp_layer_from_mask (drawable);

      gimp_image_set_active_layer (image, layer);
      gimp_layer_set_edit_mask (layer, TRUE);
    }
  else if (gimp_item_is_layer (drawable))
    gimp_image_set_active_layer (image, drawable);
  else if (gimp_item_is_channel (drawable))
    gimp_image_set_active_channel (image, drawable);
}

/* Where a layer made from `drawable` goes: right above it (above the mask's layer for a layer
 * mask); on top of the image for a channel. */
static void
insertion_point (gint32 image, gint32 drawable, gint32 *parent, int *position)
{
  gint32 item = gimp_item_is_layer_mask (drawable) ? gimp_layer_from_mask (drawable) : drawable;

  *parent = -1;
  *position = 0;
  if (gimp_item_is_layer (item))
    {
      *parent = gimp_item_get_parent (item);
      *position = gimp_image_get_item_position (image, item);
    }
}

gboolean
render_insert_layer_above (gint32 image, gint32 drawable, gint32 layer)
{
  gint32 parent;
  int position;

  insertion_point (image, drawable, &parent, &position);
  return gimp_image_insert_layer (image, layer, parent, position);
}

static void
write_blended (const RenderRegion *region, const float *styled, double strength,
               GeglBuffer *target)
{
  int rows_per_chunk = MAX (1, (int) (CHUNK_BYTES / (region->width * 4 * sizeof (float))));
  g_autofree float *chunk = g_new (float, (gsize) MIN (rows_per_chunk, region->height)
                                          * region->width * 4);

  for (int row = 0; row < region->height; row += rows_per_chunk)
    {
      int n_rows = MIN (rows_per_chunk, region->height - row);

      render_blend_rows (region, styled, strength, FALSE, row, n_rows, chunk);
      gegl_buffer_set (target,
                       GEGL_RECTANGLE (region->x, region->y + row, region->width, n_rows), 0,
                       babl_format (PIXEL_FORMAT), chunk, GEGL_AUTO_ROWSTRIDE);
    }
}

gint32
render_commit (const RenderRegion *region, const float *styled, double strength,
               gboolean new_layer, const char *layer_name, GError **error)
{
  gint32 target = region->drawable;
  GeglBuffer *shadow;

  gimp_image_undo_group_start (region->image);
  if (new_layer)
    {
      target = gimp_layer_new_from_drawable (region->drawable, region->image);
      if (target < 0 || !render_insert_layer_above (region->image, region->drawable, target))
        {
          if (target >= 0)
            gimp_item_delete (target);
          gimp_image_undo_group_end (region->image);
          g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                       _("Could not create a new layer for the result."));
          return -1;
        }
      gimp_item_set_name (target, layer_name);
    }

  shadow = gimp_drawable_get_shadow_buffer (target);
  write_blended (region, styled, strength, shadow);
  /* the shadow's tiles travel to GIMP on flush: they must be there before the merge */
  gegl_buffer_flush (shadow);
  g_object_unref (shadow);
  gimp_drawable_merge_shadow (target, TRUE);
  gimp_drawable_update (target, region->x, region->y, region->width, region->height);
  gimp_image_undo_group_end (region->image);
  if (new_layer)
    render_restore_active (region->image, target);
  return target;
}
