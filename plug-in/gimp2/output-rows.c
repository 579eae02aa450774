#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/choices.h"
#include "plug-in/gimp2/output-rows.h"
#include "plug-in/settings.h"

double
output_rows_strength (const OutputRows *rows)
{
  return gtk_adjustment_get_value (GTK_ADJUSTMENT (rows->strength_adj));
}

double
output_rows_scale (const OutputRows *rows)
{
  return gtk_adjustment_get_value (GTK_ADJUSTMENT (rows->scale_adj)) / 100.0;
}

gboolean
output_rows_new_layer (const OutputRows *rows)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (rows->new_layer_radio));
}

void
output_rows_force_new_layer (OutputRows *rows, gboolean forced)
{
  if (forced)
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (rows->new_layer_radio), TRUE);
  gtk_widget_set_sensitive (rows->replace_radio, !forced);
}

static void
update_size_label (OutputRows *rows)
{
  g_autofree char *text = choices_size_note (dialog_frame_target (rows->frame)->pixels,
                                             output_rows_scale (rows));

  gtk_label_set_text (GTK_LABEL (rows->size_label), text);
}

static void
on_strength_changed (GtkAdjustment *adj, OutputRows *rows)
{
  (void) adj;
  dialog_frame_changed (rows->frame);
}

static void
on_scale_changed (GtkAdjustment *adj, OutputRows *rows)
{
  (void) adj;
  update_size_label (rows);
  dialog_frame_changed (rows->frame);
}

static void
build_output_row (OutputRows *rows, GtkTable *table, int row, gboolean new_layer)
{
  GtkWidget *hbox = gtk_hbox_new (FALSE, 12);

  rows->replace_radio = gtk_radio_button_new_with_mnemonic (NULL, _("_Replace layer"));
  rows->new_layer_radio =
      gtk_radio_button_new_with_mnemonic_from_widget (GTK_RADIO_BUTTON (rows->replace_radio),
                                                      _("New _layer"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (rows->new_layer_radio), new_layer);
  gimp_help_set_help_data (rows->new_layer_radio,
                           _("Put the result on a new layer above, named after the model"),
                           NULL);
  gtk_box_pack_start (GTK_BOX (hbox), rows->replace_radio, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), rows->new_layer_radio, FALSE, FALSE, 0);
  gtk_table_attach (table, dialog_left_label (_("Output:"), NULL), 0, 1, row, row + 1, GTK_FILL,
                    GTK_FILL, 0, 0);
  gtk_table_attach (table, hbox, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
}

int
output_rows_build (OutputRows *rows, DialogFrame *frame, GtkTable *table, int row,
                   double strength, double scale, gboolean new_layer)
{
  rows->frame = frame;
  rows->strength_adj = gimp_scale_entry_new (table, 0, row++, _("S_trength (%):"), 200, 6,
                                             strength, 0.0, 100.0, 1.0, 10.0, 0, TRUE, 0, 0,
                                             _("How much of the result to mix over the "
                                               "original"), NULL);
  rows->scale_adj = gimp_scale_entry_new (table, 0, row++, _("Processing si_ze (%):"), 200, 6,
                                          scale * 100.0, VKSTYLE_SCALE_MIN * 100.0,
                                          VKSTYLE_SCALE_MAX * 100.0, 1.0, 10.0, 0, TRUE, 0, 0,
                                          _("Compute on a smaller copy and enlarge the result: "
                                            "much faster on big images, and the brush strokes "
                                            "get larger"), NULL);
  rows->size_label = dialog_hint_label ();
  gtk_table_attach (table, rows->size_label, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
  row++;
  build_output_row (rows, table, row++, new_layer);

  update_size_label (rows);
  g_signal_connect (rows->strength_adj, "value-changed", G_CALLBACK (on_strength_changed), rows);
  g_signal_connect (rows->scale_adj, "value-changed", G_CALLBACK (on_scale_changed), rows);
  return row;
}
