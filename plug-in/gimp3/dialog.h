/* GIMP 3: the interactive dialogs, a GimpProcedureDialog (GTK 3), one for every filter as in
 * GIMP 2.10. GIMP's generated widgets edit the config directly (strength, scale, new layer,
 * tileable, variations, preview); the model list with descriptions, the device list, the
 * processing-size note, the seed with its dice, the InfoGAN code sliders, the domain list, the
 * style source (a layer or random), the message area and the progress bar are ours.
 * Its behaviour is plug-in/session.c's, as in the GIMP 2.10 dialog. */
#pragma once
#include <libgimp/gimp.h>
#include "plug-in/gimp3/target.h"
#include "plug-in/stylizer.h"

/* Shows the dialog for `target` on `config`. On Apply the dialog itself renders and writes the
 * result (so its progress bar and Cancel button cover the whole run) and returns TRUE, with the
 * chosen values in `config`. On Cancel (or closing the window) the image is left as it was and
 * FALSE is returned. */
gboolean vkstyle_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                             const Target *target, Stylizer *stylizer, const char *plugin_dir);

/* The same for Neural Texture (its config: model, seed, tileable, codes, device, preview). */
gboolean texture_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                             const Target *target, Stylizer *stylizer, const char *plugin_dir);

/* The same for Style from Reference (its config: model, domain, reference, seed, strength,
 * new-layer, variations, scale, device, preview). */
gboolean reference_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                               const Target *target, Stylizer *stylizer, const char *plugin_dir);
