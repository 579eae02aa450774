#include "config.h"

#include <libgimp/gimp.h>

#include "plug-in/gimp2/preview.h"

void
preview_layer_init (PreviewLayer *preview, gint32 image)
{
  preview->image = image;
  preview->layer = -1;
  preview->frozen = FALSE;
  preview->was_clean = !gimp_image_is_dirty (image);
}

static gint32
create_layer (PreviewLayer *preview, const Target *target, const char *name)
{
  GimpImageType type = gimp_image_base_type (preview->image) == GIMP_GRAY ? GIMP_GRAYA_IMAGE
                                                                           : GIMP_RGBA_IMAGE;
  gint32 layer = gimp_layer_new (preview->image, name, target->pixels->width,
                                 target->pixels->height, type,
                                 100.0, GIMP_LAYER_MODE_NORMAL);

  if (layer < 0)
    return -1;
  gimp_layer_set_offsets (layer, target->image_x, target->image_y);
  if (!target_insert_layer_above (preview->image, target->drawable, layer))
    {
      gimp_item_delete (layer);
      return -1;
    }
  /* the new layer became the active one; the user is still working on the drawable */
  target_restore_active (preview->image, target->drawable);
  return layer;
}

void
preview_layer_show (PreviewLayer *preview, const Target *target, const float *styled,
                    double strength, const char *style_name)
{
  const PixelRegion *pixels = target->pixels;
  GeglBuffer *buffer;

  /* the user may have deleted it by hand meanwhile */
  if (preview->layer >= 0 && !gimp_item_is_valid (preview->layer))
    preview->layer = -1;
  if (!preview->frozen)
    {
      gimp_image_undo_freeze (preview->image);
      preview->frozen = TRUE;
    }
  if (preview->layer < 0)
    {
      preview->layer = create_layer (preview, target, style_name);
      if (preview->layer < 0)
        return;
    }
  else
    gimp_item_set_name (preview->layer, style_name);

  /* the preview layer is the region's size, so its own coordinates start at 0,0 */
  buffer = gimp_drawable_get_buffer (preview->layer);
  pixel_region_write (pixels, styled, strength, TRUE, buffer, 0, 0);
  g_object_unref (buffer);
  gimp_drawable_update (preview->layer, 0, 0, pixels->width, pixels->height);
  gimp_displays_flush ();
}

void
preview_layer_remove (PreviewLayer *preview)
{
  if (preview->layer >= 0 && gimp_item_is_valid (preview->layer))
    gimp_image_remove_layer (preview->image, preview->layer);
  preview->layer = -1;
  if (preview->frozen)
    {
      gimp_image_undo_thaw (preview->image);
      preview->frozen = FALSE;
      if (preview->was_clean)
        gimp_image_clean_all (preview->image);
    }
  gimp_displays_flush ();
}
