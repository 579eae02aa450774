/* The controls of the Neural Texture dialogs that GIMP has no widget for: the seed with its
 * dice button, and one slider per InfoGAN code, named from the model's metadata (none for a
 * DCGAN). Plain GTK that GTK 2 and GTK 3 share, compiled into each front end like style-list.c;
 * the codes travel as the PDB's text (plug-in/codes.h). */
#pragma once
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <gtk/gtk.h>
#pragma GCC diagnostic pop
#include "engine/models/dcgan.h"

/* ---- the seed: a spin button and a button that draws a random one ---- */

typedef struct {
  GtkWidget *box;       /* what the dialog packs */
  GtkWidget *spin;      /* "value-changed" tells of every change, the dice's too */
  GtkWidget *dice;
} SeedRow;

void seed_row_init (SeedRow *row, gint32 seed);
gint32 seed_row_get (const SeedRow *row);
void seed_row_set (const SeedRow *row, gint32 seed);

/* ---- the InfoGAN codes ---- */

typedef struct CodeSliders CodeSliders;

/* The rows the sliders may take: one per code, a category and VKS_GAN_MAX_CODES continuous. */
#define CODE_SLIDERS_ROWS (1 + VKS_GAN_MAX_CODES)

/* The sliders go into `table` (the dialog's GtkTable in GTK 2, GtkGrid in GTK 3), rows
 * first_row .. first_row + CODE_SLIDERS_ROWS - 1, which the dialog keeps for them: each code's
 * name in column 0 and its slider across columns 1-2, so that they line up with the dialog's
 * other rows (none for a DCGAN). `changed` runs after the user moved a slider (not after
 * code_sliders_set_model). */
CodeSliders *code_sliders_new (GtkWidget *table, int first_row, GCallback changed,
                               gpointer user_data);
void code_sliders_free (CodeSliders *sliders);

/* Rebuilds the sliders for `cfg` (NULL: none) at the values of `codes` (text as the PDB takes
 * it; codes the text does not give, or text that does not fit cfg, start at 0). */
void code_sliders_set_model (CodeSliders *sliders, const VksGanConfig *cfg, const char *codes);
/* The sliders' values as text (texture_codes_format); "" without codes. g_free. */
char *code_sliders_codes (CodeSliders *sliders);
