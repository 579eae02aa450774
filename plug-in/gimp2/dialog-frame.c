#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/choices.h"
#include "plug-in/gimp2/dialog-frame.h"
#include "plug-in/gimp2/preview.h"
#include "plug-in/gtk/status.h"
#include "plug-in/gtk/style-list.h"
#include "plug-in/session.h"
#include "plug-in/settings.h"

struct DialogFrame {
  const DialogFilter *ops;
  gpointer filter;
  const Target *target;
  const char *device_setting, *model_setting;
  gboolean preview_setting;
  Session *session;

  GtkWidget *dialog;
  StyleList *styles;
  GtkWidget *description_label;
  GtkWidget *device_combo;
  DeviceChoices *devices;   /* parallel to device_combo's rows */
  GtkWidget *preview_toggle;
  StatusWidgets status;

  PreviewLayer preview;
  GMainLoop *loop;
};

/* ---- reading the widgets ---------------------------------------------------------------- */

static const char *
selected_device (DialogFrame *d)
{
  int active = gtk_combo_box_get_active (GTK_COMBO_BOX (d->device_combo));

  if (active < 0 || (guint) active >= g_strv_length (d->devices->selectors))
    return "";
  return d->devices->selectors[active];
}

/* ---- what the session asks of the widgets ------------------------------------------------ */

static gboolean
get_request (gpointer ui, JobRequest *request)
{
  DialogFrame *d = ui;

  request->kind = d->ops->kind;
  request->model_path = style_list_path (d->styles);
  request->device = g_strdup (selected_device (d));
  d->ops->fill_request (d->filter, request);
  if (request->model_path == NULL)
    {
      job_request_clear (request);
      return FALSE;
    }
  return TRUE;
}

static double
get_strength (gpointer ui)
{
  DialogFrame *d = ui;

  return d->ops->strength (d->filter);
}

static gboolean
get_preview (gpointer ui)
{
  DialogFrame *d = ui;

  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->preview_toggle));
}

static void
show_message (gpointer ui, const char *message)
{
  status_show_message (&((DialogFrame *) ui)->status, message);
}

static void
show_progress (gpointer ui, double fraction, const char *text)
{
  status_show_progress (&((DialogFrame *) ui)->status, fraction, text);
}

static void
show_state (gpointer ui, gboolean applying, gboolean running)
{
  DialogFrame *d = ui;
  g_autofree char *path = style_list_path (d->styles);

  status_show_state (&d->status, applying, running, path != NULL);
}

static void
show_preview (gpointer ui, const float *styled, double strength, const char *name)
{
  DialogFrame *d = ui;

  preview_layer_show (&d->preview, d->target, styled, strength, name);
}

static void
remove_preview (gpointer ui)
{
  DialogFrame *d = ui;

  preview_layer_remove (&d->preview);
}

static gboolean
commit (gpointer ui, const float *result, int n_results, const char *name, GError **error)
{
  DialogFrame *d = ui;

  if (target_commit (d->target, result, n_results, d->ops->strength (d->filter),
                     d->ops->new_layer (d->filter), name, error) < 0)
    return FALSE;
  gimp_displays_flush ();
  d->ops->store (d->filter, d);
  return TRUE;
}

static void
finished (gpointer ui)
{
  DialogFrame *d = ui;

  gtk_widget_hide (d->dialog);
  g_main_loop_quit (d->loop);
}

static const SessionUi session_ui = {
  get_request, get_strength, get_preview, show_progress, show_message, show_state,
  show_preview, remove_preview, commit, finished,
};

/* ---- for the filters -------------------------------------------------------------------- */

const Target *
dialog_frame_target (DialogFrame *frame)
{
  return frame->target;
}

ModelInfo *
dialog_frame_model_info (DialogFrame *frame)
{
  return style_list_info (frame->styles);
}

void
dialog_frame_changed (DialogFrame *frame)
{
  /* widgets that report their first value while the dialog is built: the session starts from
   * what they show anyway */
  if (frame->session != NULL)
    session_changed (frame->session);
}

void
dialog_frame_store (DialogFrame *frame, char *model, gsize model_size, char *device,
                    gsize device_size, gint32 *preview)
{
  g_autofree char *model_path = style_list_path (frame->styles);

  g_strlcpy (model, model_path ? model_path : "", model_size);
  g_strlcpy (device, selected_device (frame), device_size);
  *preview = get_preview (frame);
}

GtkWidget *
dialog_left_label (const char *text, GtkWidget *mnemonic_widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  if (mnemonic_widget)
    gtk_label_set_mnemonic_widget (GTK_LABEL (label), mnemonic_widget);
  return label;
}

GtkWidget *
dialog_hint_label (void)
{
  GtkWidget *label = gtk_label_new ("");

  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_size_request (label, 360, -1);
  gimp_label_set_attributes (GTK_LABEL (label), PANGO_ATTR_SCALE, PANGO_SCALE_SMALL,
                             PANGO_ATTR_STYLE, PANGO_STYLE_ITALIC, -1);
  return label;
}

/* ---- signal handlers ---------------------------------------------------------------------- */

static void
on_model_changed (GtkComboBox *combo, DialogFrame *d)
{
  (void) combo;
  style_list_describe (d->styles, GTK_LABEL (d->description_label));
  if (d->ops->model_changed)
    d->ops->model_changed (d->filter, d);
  session_changed (d->session);
}

static void
on_device_changed (GtkComboBox *combo, DialogFrame *d)
{
  (void) combo;
  session_changed (d->session);
}

static void
on_preview_toggled (GtkToggleButton *toggle, DialogFrame *d)
{
  (void) toggle;
  session_preview_toggled (d->session);
}

static void
on_choose_file (GtkButton *button, DialogFrame *d)
{
  g_autoptr (GError) error = NULL;

  (void) button;
  if (!style_list_choose_file (d->styles, GTK_WINDOW (d->dialog), &error))
    {
      g_autofree char *message = stylizer_describe_error_for (error, d->ops->kind);

      show_message (d, message);
    }
}

/* ---- building the dialog ------------------------------------------------------------------ */

static void
build_model_row (DialogFrame *d, GtkTable *table, int row, const char *plugin_dir)
{
  GtkWidget *hbox = gtk_hbox_new (FALSE, 6);
  GtkWidget *button = gtk_button_new_with_mnemonic (_("Choose _File…"));
  GtkWidget *combo;

  d->styles = style_list_new (d->ops->kind, gimp_directory (), plugin_dir);
  combo = style_list_combo (d->styles);
  gtk_box_pack_start (GTK_BOX (hbox), combo, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), button, FALSE, FALSE, 0);
  gimp_help_set_help_data (button, _(model_kind_texts (d->ops->kind)->file_tip), NULL);
  g_signal_connect (button, "clicked", G_CALLBACK (on_choose_file), d);

  gtk_table_attach (table, dialog_left_label (_(model_kind_texts (d->ops->kind)->model_label),
                                              combo), 0, 1, row,
                    row + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, hbox, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);

  d->description_label = dialog_hint_label ();
  gtk_table_attach (table, d->description_label, 1, 3, row + 1, row + 2, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
}

static void
build_device_row (DialogFrame *d, GtkTable *table, int row)
{
  d->device_combo = gtk_combo_box_text_new ();
  d->devices = device_choices_new (d->device_setting);
  for (int i = 0; d->devices->labels[i]; i++)
    gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->device_combo),
                                    d->devices->labels[i]);
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->device_combo), d->devices->active);
  gimp_help_set_help_data (d->device_combo, _(model_kind_texts (d->ops->kind)->device_tip),
                           NULL);
  gtk_table_attach (table, dialog_left_label (_("_Device:"), d->device_combo), 0, 1, row,
                    row + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, d->device_combo, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
}

static void
build_preview_row (DialogFrame *d, GtkTable *table, int row)
{
  d->preview_toggle = gtk_check_button_new_with_mnemonic (_("_Preview on canvas"));
  gimp_help_set_help_data (d->preview_toggle,
                           _("Show the result in a temporary layer above the layer; it is "
                             "removed when you cancel"), NULL);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->preview_toggle), d->preview_setting);
  gtk_table_attach (table, d->preview_toggle, 0, 3, row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
}

static GtkWidget *
build_message_box (DialogFrame *d)
{
  GtkWidget *icon = gtk_image_new_from_icon_name (GIMP_ICON_DIALOG_WARNING,
                                                  GTK_ICON_SIZE_DIALOG);
  GtkWidget *label = gtk_label_new ("");

  gtk_misc_set_alignment (GTK_MISC (icon), 0.5, 0.0);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.0);
  gtk_widget_set_size_request (label, 380, -1);
  return status_message_box_init (&d->status, gtk_hbox_new (FALSE, 12), icon, label);
}

static void
build_dialog (DialogFrame *d, const char *plugin_dir)
{
  GtkWidget *vbox, *table;
  int row = 0;

  d->dialog = gimp_dialog_new (_(d->ops->title), VKSTYLE_ROLE, NULL, 0,
                               /* no help pages are installed: no Help button leading nowhere */
                               NULL, NULL, _("_Cancel"), GTK_RESPONSE_CANCEL, _("_Apply"),
                               GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (d->dialog), GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  d->status.apply_button = gtk_dialog_get_widget_for_response (GTK_DIALOG (d->dialog),
                                                               GTK_RESPONSE_OK);
  gtk_dialog_set_default_response (GTK_DIALOG (d->dialog), GTK_RESPONSE_OK);
  gimp_window_set_transient (GTK_WINDOW (d->dialog));

  vbox = gtk_vbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (d->dialog))), vbox,
                      TRUE, TRUE, 0);

  table = gtk_table_new (12, 3, FALSE);
  d->status.controls = table;
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  build_model_row (d, GTK_TABLE (table), row, plugin_dir);
  row += 2;
  row = d->ops->build_rows (d->filter, d, GTK_TABLE (table), row);
  build_device_row (d, GTK_TABLE (table), row++);
  build_preview_row (d, GTK_TABLE (table), row++);

  gtk_box_pack_start (GTK_BOX (vbox), build_message_box (d), FALSE, FALSE, 0);
  d->status.progress_bar = gtk_progress_bar_new ();
  gtk_box_pack_start (GTK_BOX (vbox), d->status.progress_bar, FALSE, FALSE, 0);

  style_list_select (d->styles, d->model_setting);
  style_list_describe (d->styles, GTK_LABEL (d->description_label));
  if (d->ops->model_changed)
    d->ops->model_changed (d->filter, d);

  g_signal_connect (style_list_combo (d->styles), "changed", G_CALLBACK (on_model_changed), d);
  g_signal_connect (d->device_combo, "changed", G_CALLBACK (on_device_changed), d);
  g_signal_connect (d->preview_toggle, "toggled", G_CALLBACK (on_preview_toggled), d);
}

gboolean
dialog_frame_run (const DialogFilter *ops, gpointer filter, const Target *target,
                  Stylizer *stylizer, const char *plugin_dir, const char *model,
                  const char *device, gboolean preview)
{
  DialogFrame d = {
    .ops = ops, .filter = filter, .target = target,
    .model_setting = model, .device_setting = device, .preview_setting = preview,
  };
  gboolean applied;

  d.loop = g_main_loop_new (NULL, FALSE);
  preview_layer_init (&d.preview, target->image);

  gimp_ui_init (VKSTYLE_BINARY, FALSE);
  build_dialog (&d, plugin_dir);
  d.session = session_new (target->pixels, stylizer, &session_ui, &d);
  status_connect_session (d.dialog, d.session);
  gtk_widget_show_all (d.dialog);
  session_start (d.session);

  g_main_loop_run (d.loop);

  applied = session_applied (d.session);
  session_free (d.session);
  gtk_widget_destroy (d.dialog);
  style_list_free (d.styles);
  device_choices_free (d.devices);
  g_main_loop_unref (d.loop);
  return applied;
}
