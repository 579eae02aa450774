/* The Diffusion Sprites dialog, plain GTK that GTK 2 and GTK 3 share (compiled into each front
 * end like style-list.c): model list with Choose File…, one slider per class, seed with its
 * dice, sampler, steps, count, upscale, guidance, device; Generate draws the sprites in a
 * worker thread (job.h) with the step count in the progress bar, Cancel stops it and returns
 * to the dialog. There is nothing to preview on a canvas: the result is a new image, which the
 * front end makes (make_image). */
#pragma once
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <gtk/gtk.h>
#pragma GCC diagnostic pop
#include "plug-in/diffusion-settings.h"
#include "plug-in/stylizer.h"

/* Makes the image of `count` sprites of size x size (sprites_image_new); FALSE with an error
 * keeps the dialog open with the message. */
typedef gboolean (*SpritesMakeImage) (const float *rgb, int count, int size,
                                      const SpritesSettings *settings, const char *model_name,
                                      gpointer user_data, GError **error);

typedef struct {
  const char *profile_dir, *plugin_dir;
  /* gimp_window_set_transient: the dialog stays above GIMP's window (may be NULL) */
  void (*set_transient) (GtkWindow *window);
  SpritesMakeImage make_image;
  gpointer user_data;
} SpritesDialogHost;

/* Runs the dialog from `settings` until the image is made (TRUE, the chosen values stored in
 * `settings`) or the dialog is closed (FALSE). The toolkit must be initialised. */
gboolean sprites_dialog_show (const SpritesDialogHost *host, Stylizer *stylizer,
                              SpritesSettings *settings);
