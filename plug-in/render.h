/* Between GIMP drawables and the engine's packed R'G'B' floats: reading the part of a drawable
 * the selection covers, and writing a stylized result back as one undo step. */
#pragma once
#include <glib.h>

typedef struct {
  gint32 image;
  gint32 drawable;
  int x, y, width, height;  /* the region, in drawable coordinates */
  int image_x, image_y;     /* its origin in image coordinates */
  float *original;          /* width*height pixels of R'G'B'A float, as read */
  float *selection;         /* width*height selection values in [0,1], NULL without selection */
} RenderRegion;

/* Reads the drawable where the selection (if any) covers it. Returns NULL with *error unset when
 * the selection does not touch the drawable (nothing to do), NULL with *error set on failure. */
RenderRegion *render_region_read (gint32 drawable, GError **error);
void render_region_free (RenderRegion *region);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RenderRegion, render_region_free)

/* Size the network runs at for a processing scale: region size * scale, at least 1 pixel. */
void render_network_size (const RenderRegion *region, double scale, int *width, int *height);

/* The region's colour (alpha dropped) resized to the network size: width*height*3, g_free. */
float *render_network_input (const RenderRegion *region, int width, int height);

/* Blends `styled` (region-sized R'G'B') over the original for rows [row, row+n_rows):
 * out = original + strength/100 * (styled - original), alpha copied. With use_selection, alpha
 * is also multiplied by the selection (what the preview layer shows). */
void render_blend_rows (const RenderRegion *region, const float *styled, double strength,
                        gboolean use_selection, int row, int n_rows, float *rgba_out);

/* Writes the blended result through the drawable's shadow buffer and merges it, so a soft
 * selection blends and the change is one undo step. With new_layer the target is a copy of the
 * drawable inserted above it and named layer_name. Returns the drawable written, -1 on error. */
gint32 render_commit (const RenderRegion *region, const float *styled, double strength,
                      gboolean new_layer, const char *layer_name, GError **error);

/* Inserts `layer` right above `drawable` (above the mask's layer for a layer mask; on top of the
 * image for a channel). */
gboolean render_insert_layer_above (gint32 image, gint32 drawable, gint32 layer);

/* Makes `drawable` the active one again after inserting layers made another one active. */
void render_restore_active (gint32 image, gint32 drawable);
