/* GIMP 2.10: the interactive dialog (GTK 2): choose a style and settings, preview on the canvas,
 * apply. Its behaviour is plug-in/session.c's; this file only builds and reads the widgets. */
#pragma once
#include "plug-in/gimp2/target.h"
#include "plug-in/settings.h"
#include "plug-in/stylizer.h"

/* Shows the dialog for `target` starting from `settings`. On Apply the dialog itself renders and
 * writes the result (so its progress bar and Cancel button cover the whole run), stores the
 * chosen values in `settings` and returns TRUE. On Cancel (or closing the window) the image is
 * left as it was and FALSE is returned. */
gboolean vkstyle_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                             VkstyleSettings *settings);
