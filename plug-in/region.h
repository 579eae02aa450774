/* The pixels a filter works on, taken out of GIMP: the part of a drawable the selection covers,
 * as R'G'B'A floats, and the selection's values there. Plain GEGL, no libgimp, so both front
 * ends (GIMP 2.10 and GIMP 3) read and write through the same code; they only hand over the
 * drawable's and the selection's GeglBuffers. */
#pragma once
#include <gegl.h>

typedef struct {
  int width, height;
  float *original;   /* width*height pixels of R'G'B'A float, as read */
  float *selection;  /* width*height selection values in [0,1], NULL without selection */
} PixelRegion;

/* Reads `rect` of `pixels` (drawable coordinates). With a selection buffer, also reads the same
 * area of it, at (selection_x, selection_y) in the selection's (image) coordinates. */
PixelRegion *pixel_region_read (GeglBuffer *pixels, const GeglRectangle *rect,
                                GeglBuffer *selection, int selection_x, int selection_y,
                                GError **error);
void pixel_region_free (PixelRegion *region);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PixelRegion, pixel_region_free)

/* A style source (Style from Reference): a whole drawable as R'G'B' floats, alpha dropped as
 * the reference's loader (PIL's convert("RGB")) drops it. The style encoder sees it shrunk to
 * its img_size, so a drawable longer than REFERENCE_MAX_SIDE is first read at a power-of-two
 * scale (GEGL's mipmap, a box filter) that brings it under: a 20000-px layer costs 24 MB, not
 * 4.8 GB. Below that size the pixels are exactly what `vkstyle apply --reference` reads. */
#define REFERENCE_MAX_SIDE 2048

typedef struct {
  int width, height;
  GBytes *rgb;       /* width*height*3 floats; shared by the requests that use it */
} ReferenceImage;

/* NULL with an error when memory runs out. */
ReferenceImage *reference_image_read (GeglBuffer *pixels, GError **error);
void reference_image_free (ReferenceImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReferenceImage, reference_image_free)

/* Sets the original's alpha to 1: a texture fills its area whatever was there, as GIMP's render
 * filters do (pixel_region_write then writes the texture opaque; the selection still blends). */
void pixel_region_make_opaque (PixelRegion *region);

/* Size the network runs at for a processing scale: region size * scale, at least 1 pixel. */
void pixel_region_network_size (const PixelRegion *region, double scale, int *width,
                                int *height);

/* The region's colour (alpha dropped) resized to the network size: width*height*3, g_free. */
float *pixel_region_network_input (const PixelRegion *region, int width, int height);

/* Blends `styled` (region-sized R'G'B') over the original for rows [row, row+n_rows):
 * out = original + strength/100 * (styled - original), alpha copied. With use_selection, alpha
 * is also multiplied by the selection (what the preview layer shows). */
void pixel_region_blend_rows (const PixelRegion *region, const float *styled, double strength,
                              gboolean use_selection, int row, int n_rows, float *rgba_out);

/* Writes the blend into `target` at (x, y), a few rows at a time so a huge image needs little
 * extra memory, and flushes it: a GIMP buffer's tiles travel to GIMP on flush. */
void pixel_region_write (const PixelRegion *region, const float *styled, double strength,
                         gboolean use_selection, GeglBuffer *target, int x, int y);
