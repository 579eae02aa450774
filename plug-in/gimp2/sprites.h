/* GIMP 2.10: Diffusion Sprites, the filter that makes a new image (Filters › Render): its PDB
 * procedure has no image arguments and returns the image, so it is registered and run here
 * rather than through main.c's FrontFilter rows. */
#pragma once
#include <libgimp/gimp.h>

#include "plug-in/diffusion-settings.h"
#include "plug-in/stylizer.h"

void sprites_install (void);

/* Runs the procedure when `name` is plug-in-vkstyle-sprites and returns TRUE; FALSE (nothing
 * done) for any other name. return_vals as GIMP's run() gives them. */
gboolean sprites_run (const char *name, int n_params, const GimpParam *params,
                      int *n_return_vals, GimpParam **return_vals, const char *plugin_dir);

/* The new image: `count` sprites of size x size R'G'B' (job.h), each enlarged `upscale` times
 * (nearest neighbour) on a layer of its own at its cell of sprite-sheet.h's grid, named after
 * the model, sprite 1 on top. Its undo history starts empty. -1 with an error. */
gint32 sprites_image_new (const float *rgb, int count, int size, int upscale,
                          const char *model_name, GError **error);

/* sprites-dialog.c: the dialog; on Generate it draws the sprites itself (progress, Cancel),
 * makes and shows the image, stores the chosen values in `settings` and returns TRUE with
 * *image set. FALSE when the user closed it. */
gboolean sprites_dialog_run (Stylizer *stylizer, const char *plugin_dir,
                             SpritesSettings *settings, gint32 *image);
