/* GIMP 2.10: the rows Style Transfer and Style from Reference share in their dialogs: strength,
 * processing size with its note, output (replace the layer or a new one). */
#pragma once
#include "plug-in/gimp2/dialog-frame.h"

typedef struct {
  DialogFrame *frame;
  GtkObject *strength_adj;
  GtkObject *scale_adj;
  GtkWidget *size_label;
  GtkWidget *replace_radio;
  GtkWidget *new_layer_radio;
} OutputRows;

/* Adds the rows to `table` from `row` on, starting at the values given; returns the next free
 * row. A change of any of them tells the frame (dialog_frame_changed). */
int output_rows_build (OutputRows *rows, DialogFrame *frame, GtkTable *table, int row,
                       double strength, double scale, gboolean new_layer);

double output_rows_strength (const OutputRows *rows);
/* The fraction of the region the network sees (VKSTYLE_SCALE_MIN..MAX). */
double output_rows_scale (const OutputRows *rows);
gboolean output_rows_new_layer (const OutputRows *rows);
/* Variations always go on new layers: the choice is then made and not offered. */
void output_rows_force_new_layer (OutputRows *rows, gboolean forced);
