/* The class mix of the diffusion dialogs: one slider per class of the model, named from its
 * metadata (vkstyle.classes; "class N" where unnamed), whose values travel as the PDB's
 * "context" text ("hero=1,food=0.5"). Plain GTK that GTK 2 and GTK 3 share, compiled into each
 * front end like texture-controls.c. */
#pragma once
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <gtk/gtk.h>
#pragma GCC diagnostic pop
#include "engine/models/context_unet.h"

typedef struct ClassSliders ClassSliders;

/* `changed` (a void (*) (gpointer user_data)) runs after the user moved a slider, not after
 * class_sliders_set_model. */
ClassSliders *class_sliders_new (GCallback changed, gpointer user_data);
void class_sliders_free (ClassSliders *sliders);
/* What the dialog packs: a table of its own, so a model with many classes needs no rows of the
 * dialog's. */
GtkWidget *class_sliders_widget (ClassSliders *sliders);

/* Rebuilds the sliders for `cfg` (NULL: none) at the weights `context` gives (text that does
 * not fit the model starts at 0). */
void class_sliders_set_model (ClassSliders *sliders, const VksUnetConfig *cfg,
                              const char *context);
/* "name=0.5,..." of the non-zero sliders, two decimals as shown; "" for none. g_free. */
char *class_sliders_context (ClassSliders *sliders);
