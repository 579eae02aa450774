/* GIMP 2.10: the interactive dialogs (GTK 2): choose a model and settings, preview on the canvas,
 * apply. One dialog for both filters: the model list, device, preview and status are common
 * (dialog-frame.c), Style Transfer adds strength, processing size and output (style-dialog.c,
 * output-rows.c), Neural Texture the seed, the InfoGAN codes and tileable (texture-dialog.c),
 * Style from Reference the domain, the style source, variations and Style Transfer's rows
 * (reference-dialog.c). Their behaviour is
 * plug-in/session.c's; these files only build and read the widgets. */
#pragma once
#include "plug-in/gimp2/target.h"
#include "plug-in/settings.h"
#include "plug-in/diffusion-settings.h"
#include "plug-in/stylizer.h"

/* Shows the dialog for `target` starting from `settings`. On Apply the dialog itself renders and
 * writes the result (so its progress bar and Cancel button cover the whole run), stores the
 * chosen values in `settings` and returns TRUE. On Cancel (or closing the window) the image is
 * left as it was and FALSE is returned. */
gboolean vkstyle_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                             VkstyleSettings *settings);

/* The same for Neural Texture, starting from and storing into `settings`. */
gboolean texture_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                             TextureSettings *settings);

/* The same for Style from Reference. */
gboolean reference_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                               ReferenceSettings *settings);

/* The same for Diffusion Variation. */
gboolean variation_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                               VariationSettings *settings);
