/* GIMP 3: the "Preview on canvas" layer, a temporary layer above the drawable showing the result
 * with the current settings. The image's undo is frozen while it exists, so neither its creation
 * nor the user's undo presses while the dialog is open can leave a trace in the undo history. */
#pragma once
#include "plug-in/gimp3/target.h"

typedef struct {
  GimpImage *image;
  GimpLayer *layer;  /* NULL when not shown */
  gboolean was_clean; /* the image had no unsaved changes before the preview */
  gboolean frozen;   /* we hold one undo freeze on image */
} PreviewLayer;

void preview_layer_init (PreviewLayer *preview, GimpImage *image);
/* Creates the layer (first call) or repaints it; named after the style. */
void preview_layer_show (PreviewLayer *preview, const Target *target, const float *styled,
                         double strength, const char *style_name);
/* Deletes the layer and thaws undo; the image is as before the first show, clean again if it
 * was (adding a layer marks an image dirty even while its undo is frozen). */
void preview_layer_remove (PreviewLayer *preview);
