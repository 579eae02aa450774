#include "config.h"

#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/gimp3/target.h"

void
target_free (Target *target)
{
  if (target == NULL)
    return;
  pixel_region_free (target->pixels);
  g_free (target);
}

Target *
target_read (GimpDrawable *drawable, GError **error)
{
  g_autoptr (Target) target = g_new0 (Target, 1);
  GeglBuffer *buffer, *selection = NULL;
  int width, height, off_x, off_y;

  if (gimp_item_is_group (GIMP_ITEM (drawable)))
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                   _("This filter does not work on a layer group. Choose one of its layers."));
      return NULL;
    }
  if (!gimp_drawable_mask_intersect (drawable, &target->x, &target->y, &width, &height)
      || width <= 0 || height <= 0)
    return NULL;

  target->drawable = drawable;
  target->image = gimp_item_get_image (GIMP_ITEM (drawable));
  gimp_drawable_get_offsets (drawable, &off_x, &off_y);
  target->image_x = off_x + target->x;
  target->image_y = off_y + target->y;

  buffer = gimp_drawable_get_buffer (drawable);
  if (!gimp_selection_is_empty (target->image))
    selection = gimp_drawable_get_buffer (GIMP_DRAWABLE (gimp_image_get_selection (target->image)));
  target->pixels = pixel_region_read (buffer, GEGL_RECTANGLE (target->x, target->y, width,
                                                              height),
                                      selection, target->image_x, target->image_y, error);
  g_object_unref (buffer);
  g_clear_object (&selection);
  return target->pixels ? g_steal_pointer (&target) : NULL;
}

ReferenceImage *
target_read_reference (gint32 drawable_id, GError **error)
{
  GimpDrawable *drawable = gimp_drawable_get_by_id (drawable_id);
  GeglBuffer *buffer;
  ReferenceImage *image;

  if (drawable == NULL)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                   _("The reference (ID %d) is not a layer of an open image."), drawable_id);
      return NULL;
    }
  buffer = gimp_drawable_get_buffer (drawable);
  image = reference_image_read (buffer, error);
  g_object_unref (buffer);
  return image;
}

void
target_restore_selected (GimpImage *image, GimpDrawable *drawable)
{
  GimpItem *item = GIMP_ITEM (drawable);

  if (gimp_item_is_layer_mask (item))
    {
      GimpLayer *layer = gimp_layer_from_mask (GIMP_LAYER_MASK (drawable));
      const GimpLayer *layers[] = { layer, NULL };

      gimp_image_set_selected_layers (image, layers);
      gimp_layer_set_edit_mask (layer, TRUE);
    }
  else if (gimp_item_is_layer (item))
    {
      const GimpLayer *layers[] = { GIMP_LAYER (drawable), NULL };

      gimp_image_set_selected_layers (image, layers);
    }
  else if (gimp_item_is_channel (item))
    {
      const GimpChannel *channels[] = { GIMP_CHANNEL (drawable), NULL };

      gimp_image_set_selected_channels (image, channels);
    }
}

gboolean
target_insert_layer_above (GimpImage *image, GimpDrawable *drawable, GimpLayer *layer)
{
  GimpItem *item = GIMP_ITEM (drawable);
  GimpLayer *parent = NULL;
  int position = 0;

  if (gimp_item_is_layer_mask (item))
    item = GIMP_ITEM (gimp_layer_from_mask (GIMP_LAYER_MASK (drawable)));
  if (gimp_item_is_layer (item))
    {
      parent = GIMP_LAYER (gimp_item_get_parent (item));
      position = gimp_image_get_item_position (image, item);
    }
  return gimp_image_insert_layer (image, layer, parent, position);
}

static GimpDrawable *
commit_one (const Target *target, const float *styled, double strength, gboolean new_layer,
            const char *layer_name, GError **error)
{
  const PixelRegion *pixels = target->pixels;
  GimpDrawable *written = target->drawable;
  GeglBuffer *shadow;

  gimp_image_undo_group_start (target->image);
  if (new_layer)
    {
      GimpLayer *layer = gimp_layer_new_from_drawable (target->drawable, target->image);

      if (layer == NULL || !target_insert_layer_above (target->image, target->drawable, layer))
        {
          if (layer != NULL)
            gimp_item_delete (GIMP_ITEM (layer));
          gimp_image_undo_group_end (target->image);
          g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                       _("Could not create a new layer for the result."));
          return NULL;
        }
      gimp_item_set_name (GIMP_ITEM (layer), layer_name);
      written = GIMP_DRAWABLE (layer);
    }

  shadow = gimp_drawable_get_shadow_buffer (written);
  /* flushed inside: the shadow's tiles must be in GIMP before the merge */
  pixel_region_write (pixels, styled, strength, FALSE, shadow, target->x, target->y);
  g_object_unref (shadow);
  gimp_drawable_merge_shadow (written, TRUE);
  gimp_drawable_update (written, target->x, target->y, pixels->width, pixels->height);
  gimp_image_undo_group_end (target->image);
  return written;
}

gboolean
target_commit (const Target *target, const float *styled, int n_results, double strength,
               gboolean new_layer, const char *layer_name, GError **error)
{
  gsize floats = (gsize) target->pixels->width * target->pixels->height * 3;
  GimpDrawable *first = NULL;

  /* variations: their layers are one undo step */
  gimp_image_undo_group_start (target->image);
  /* each goes right above the drawable, below the ones before: the first ends on top */
  for (int i = 0; i < n_results; i++)
    {
      g_autofree char *name = n_results > 1 ? g_strdup_printf (_("%s (variation %d)"),
                                                               layer_name, i + 1)
                                            : g_strdup (layer_name);

      GimpDrawable *written = commit_one (target, styled + floats * i, strength,
                                          new_layer || n_results > 1, name, error);

      if (written == NULL)
        {
          first = NULL;
          break;
        }
      if (i == 0)
        first = written;
    }
  gimp_image_undo_group_end (target->image);
  if (first != NULL && (new_layer || n_results > 1))
    target_restore_selected (target->image, first);
  return first != NULL;
}
