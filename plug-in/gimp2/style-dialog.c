/* GIMP 2.10: Style Transfer's rows of the dialog (dialog-frame.h): strength, processing size
 * with its note, output (replace or new layer). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/choices.h"
#include "plug-in/gimp2/dialog-frame.h"
#include "plug-in/gimp2/dialog.h"

typedef struct {
  VkstyleSettings *settings;
  DialogFrame *frame;
  GtkObject *strength_adj;
  GtkObject *scale_adj;
  GtkWidget *size_label;
  GtkWidget *new_layer_radio;
} StyleRows;

static double
selected_scale (StyleRows *s)
{
  return gtk_adjustment_get_value (GTK_ADJUSTMENT (s->scale_adj)) / 100.0;
}

static double
selected_strength (gpointer filter)
{
  StyleRows *s = filter;

  return gtk_adjustment_get_value (GTK_ADJUSTMENT (s->strength_adj));
}

static gboolean
selected_new_layer (gpointer filter)
{
  StyleRows *s = filter;

  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (s->new_layer_radio));
}

static void
update_size_label (StyleRows *s)
{
  g_autofree char *text = choices_size_note (dialog_frame_target (s->frame)->pixels,
                                             selected_scale (s));

  gtk_label_set_text (GTK_LABEL (s->size_label), text);
}

static void
on_strength_changed (GtkAdjustment *adj, StyleRows *s)
{
  (void) adj;
  dialog_frame_changed (s->frame);
}

static void
on_scale_changed (GtkAdjustment *adj, StyleRows *s)
{
  (void) adj;
  update_size_label (s);
  dialog_frame_changed (s->frame);
}

static void
build_output_row (StyleRows *s, GtkTable *table, int row)
{
  GtkWidget *hbox = gtk_hbox_new (FALSE, 12);
  GtkWidget *replace = gtk_radio_button_new_with_mnemonic (NULL, _("_Replace layer"));

  s->new_layer_radio =
      gtk_radio_button_new_with_mnemonic_from_widget (GTK_RADIO_BUTTON (replace),
                                                      _("New _layer"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (s->new_layer_radio),
                                s->settings->new_layer != 0);
  gimp_help_set_help_data (s->new_layer_radio,
                           _("Put the result on a new layer above, named after the style"), NULL);
  gtk_box_pack_start (GTK_BOX (hbox), replace, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), s->new_layer_radio, FALSE, FALSE, 0);
  gtk_table_attach (table, dialog_left_label (_("Output:"), NULL), 0, 1, row, row + 1, GTK_FILL,
                    GTK_FILL, 0, 0);
  gtk_table_attach (table, hbox, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
}

static int
build_rows (gpointer filter, DialogFrame *frame, GtkTable *table, int row)
{
  StyleRows *s = filter;

  s->frame = frame;
  s->strength_adj = gimp_scale_entry_new (table, 0, row++, _("S_trength (%):"), 200, 6,
                                          s->settings->strength, 0.0, 100.0, 1.0, 10.0, 0,
                                          TRUE, 0, 0,
                                          _("How much of the style to mix over the original"),
                                          NULL);
  s->scale_adj = gimp_scale_entry_new (table, 0, row++, _("Processing si_ze (%):"), 200, 6,
                                       s->settings->scale * 100.0, VKSTYLE_SCALE_MIN * 100.0,
                                       VKSTYLE_SCALE_MAX * 100.0, 1.0, 10.0, 0, TRUE, 0, 0,
                                       _("Compute the style on a smaller copy and enlarge the "
                                         "result: much faster on big images, and the brush "
                                         "strokes get larger"), NULL);
  s->size_label = dialog_hint_label ();
  gtk_table_attach (table, s->size_label, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL,
                    0, 0);
  row++;
  build_output_row (s, table, row++);

  update_size_label (s);
  g_signal_connect (s->strength_adj, "value-changed", G_CALLBACK (on_strength_changed), s);
  g_signal_connect (s->scale_adj, "value-changed", G_CALLBACK (on_scale_changed), s);
  return row;
}

static void
fill_request (gpointer filter, JobRequest *request)
{
  request->scale = selected_scale (filter);
}

static void
store (gpointer filter, DialogFrame *frame)
{
  StyleRows *s = filter;

  dialog_frame_store (frame, s->settings->model, sizeof s->settings->model,
                      s->settings->device, sizeof s->settings->device, &s->settings->preview);
  s->settings->strength = selected_strength (s);
  s->settings->scale = selected_scale (s);
  s->settings->new_layer = selected_new_layer (s);
}

static const DialogFilter style_filter = {
  .kind = MODEL_KIND_STYLE,
  .title = N_("Style Transfer"),
  .model_label = N_("_Style:"),
  .file_tip = N_("Use any style model file (.safetensors)"),
  .device_tip = N_("The Vulkan device that computes the style. A CPU device (llvmpipe) works "
                   "everywhere but is slow."),
  .build_rows = build_rows,
  .fill_request = fill_request,
  .strength = selected_strength,
  .new_layer = selected_new_layer,
  .store = store,
};

gboolean
vkstyle_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                    VkstyleSettings *settings)
{
  StyleRows rows = { .settings = settings };

  return dialog_frame_run (&style_filter, &rows, target, stylizer, plugin_dir, settings->model,
                           settings->device, settings->preview);
}
