/* GIMP 3: the drawable a filter works on (the part the selection covers), and writing a result
 * back as one undo step. The pixels themselves are a shared PixelRegion; this is the GIMP 3
 * counterpart of gimp2/target.c (objects instead of IDs). */
#pragma once
#include <libgimp/gimp.h>
#include "plug-in/region.h"

typedef struct {
  GimpImage *image;
  GimpDrawable *drawable;
  int x, y;             /* the region's origin in drawable coordinates */
  int image_x, image_y; /* and in image coordinates */
  PixelRegion *pixels;
} Target;

/* Reads the drawable where the selection (if any) covers it. Returns NULL with *error unset when
 * the selection does not touch the drawable (nothing to do), NULL with *error set on failure. */
Target *target_read (GimpDrawable *drawable, GError **error);
void target_free (Target *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Target, target_free)

/* Writes the blended result through the drawable's shadow buffer and merges it, so a soft
 * selection blends and the change is one undo step. `styled` holds n_results region-sized
 * results (job.h): more than one are variations, each on a new layer "<name> (variation i)". With new_layer the target is a copy of the
 * drawable inserted above it, named layer_name and selected. FALSE with an error on failure. */
gboolean target_commit (const Target *target, const float *styled, int n_results, double strength,
                        gboolean new_layer, const char *layer_name, GError **error);

/* The pixels of the drawable with ID `drawable_id` as a style source (region.h), or NULL with an
 * error when it is no drawable of an open image. */
ReferenceImage *target_read_reference (gint32 drawable_id, GError **error);

/* Inserts `layer` right above `drawable` (above the mask's layer for a layer mask; on top of the
 * image for a channel). */
gboolean target_insert_layer_above (GimpImage *image, GimpDrawable *drawable, GimpLayer *layer);

/* Selects `drawable` again after inserting layers made another one selected. */
void target_restore_selected (GimpImage *image, GimpDrawable *drawable);
