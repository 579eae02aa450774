#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libgimp/gimpui.h>
#pragma GCC diagnostic pop

#include "plug-in/choices.h"
#include "plug-in/gimp2/dialog.h"
#include "plug-in/gimp2/preview.h"
#include "plug-in/gtk/status.h"
#include "plug-in/gtk/style-list.h"
#include "plug-in/gtk/texture-controls.h"
#include "plug-in/session.h"

typedef struct {
  ModelKind kind;
  const Target *target;
  VkstyleSettings *settings;        /* Style Transfer */
  TextureSettings *texture;         /* Neural Texture */
  const char *device_setting, *model_setting;
  gboolean preview_setting;
  Session *session;

  GtkWidget *dialog;
  StyleList *styles;
  GtkWidget *description_label;
  /* Style Transfer */
  GtkObject *strength_adj;
  GtkObject *scale_adj;
  GtkWidget *size_label;
  GtkWidget *new_layer_radio;
  /* Neural Texture */
  SeedRow seed;
  CodeSliders *codes;
  GtkWidget *tileable_check;

  GtkWidget *device_combo;
  DeviceChoices *devices;   /* parallel to device_combo's rows */
  GtkWidget *preview_toggle;
  StatusWidgets status;

  PreviewLayer preview;
  GMainLoop *loop;
} Dialog;

/* ---- reading the widgets ---------------------------------------------------------------- */

static const char *
selected_device (Dialog *d)
{
  int active = gtk_combo_box_get_active (GTK_COMBO_BOX (d->device_combo));

  if (active < 0 || (guint) active >= g_strv_length (d->devices->selectors))
    return "";
  return d->devices->selectors[active];
}

static double
selected_scale (Dialog *d)
{
  return gtk_adjustment_get_value (GTK_ADJUSTMENT (d->scale_adj)) / 100.0;
}

static double
selected_strength (Dialog *d)
{
  if (d->kind == MODEL_KIND_TEXTURE)
    return 100.0;
  return gtk_adjustment_get_value (GTK_ADJUSTMENT (d->strength_adj));
}

static gboolean
selected_tileable (Dialog *d)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->tileable_check));
}

/* ---- what the session asks of the widgets ------------------------------------------------ */

static gboolean
get_request (gpointer ui, JobRequest *request)
{
  Dialog *d = ui;

  request->kind = d->kind;
  request->model_path = style_list_path (d->styles);
  request->device = g_strdup (selected_device (d));
  if (d->kind == MODEL_KIND_TEXTURE)
    {
      request->seed = seed_row_get (&d->seed);
      request->tileable = selected_tileable (d);
      request->codes = code_sliders_codes (d->codes);
    }
  else
    request->scale = selected_scale (d);
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
  return selected_strength (ui);
}

static gboolean
get_preview (gpointer ui)
{
  Dialog *d = ui;

  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->preview_toggle));
}

static void
show_message (gpointer ui, const char *message)
{
  status_show_message (&((Dialog *) ui)->status, message);
}

static void
show_progress (gpointer ui, double fraction, const char *text)
{
  status_show_progress (&((Dialog *) ui)->status, fraction, text);
}

static void
show_state (gpointer ui, gboolean applying, gboolean running)
{
  Dialog *d = ui;
  g_autofree char *path = style_list_path (d->styles);

  status_show_state (&d->status, applying, running, path != NULL);
}

static void
update_size_label (Dialog *d)
{
  g_autofree char *text = choices_size_note (d->target->pixels, selected_scale (d));

  gtk_label_set_text (GTK_LABEL (d->size_label), text);
}

static void
update_description (Dialog *d)
{
  style_list_describe (d->styles, GTK_LABEL (d->description_label));
}

/* A texture model's codes get their sliders, at the values they had when the new model has the
 * same codes. */
static void
update_code_sliders (Dialog *d)
{
  g_autoptr (ModelInfo) info = style_list_info (d->styles);
  g_autofree char *shown = code_sliders_codes (d->codes);

  /* the first model starts from the remembered codes */
  code_sliders_set_model (d->codes, info ? &info->gan : NULL,
                          shown[0] ? shown : d->texture->codes);
}

static void
show_preview (gpointer ui, const float *styled, double strength, const char *name)
{
  Dialog *d = ui;

  preview_layer_show (&d->preview, d->target, styled, strength, name);
}

static void
remove_preview (gpointer ui)
{
  Dialog *d = ui;

  preview_layer_remove (&d->preview);
}

static gboolean
commit_texture (Dialog *d, const float *texture, const char *name, GError **error)
{
  g_autofree char *model_path = style_list_path (d->styles);
  g_autofree char *codes = code_sliders_codes (d->codes);

  if (target_commit (d->target, texture, 100.0, FALSE, name, error) < 0)
    return FALSE;
  gimp_displays_flush ();
  g_strlcpy (d->texture->model, model_path, sizeof d->texture->model);
  g_strlcpy (d->texture->device, selected_device (d), sizeof d->texture->device);
  g_strlcpy (d->texture->codes, codes, sizeof d->texture->codes);
  d->texture->seed = seed_row_get (&d->seed);
  d->texture->tileable = selected_tileable (d);
  d->texture->preview = get_preview (d);
  return TRUE;
}

static gboolean
commit (gpointer ui, const float *styled, const char *name, GError **error)
{
  Dialog *d = ui;
  gboolean new_layer;
  g_autofree char *model_path = NULL;

  if (d->kind == MODEL_KIND_TEXTURE)
    return commit_texture (d, styled, name, error);
  new_layer = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->new_layer_radio));
  model_path = style_list_path (d->styles);
  if (target_commit (d->target, styled, selected_strength (d), new_layer, name, error) < 0)
    return FALSE;
  gimp_displays_flush ();
  g_strlcpy (d->settings->model, model_path, sizeof d->settings->model);
  g_strlcpy (d->settings->device, selected_device (d), sizeof d->settings->device);
  d->settings->strength = selected_strength (d);
  d->settings->scale = selected_scale (d);
  d->settings->new_layer = new_layer;
  d->settings->preview = get_preview (d);
  return TRUE;
}

static void
finished (gpointer ui)
{
  Dialog *d = ui;

  gtk_widget_hide (d->dialog);
  g_main_loop_quit (d->loop);
}

static const SessionUi session_ui = {
  get_request, get_strength, get_preview, show_progress, show_message, show_state,
  show_preview, remove_preview, commit, finished,
};

/* ---- signal handlers ---------------------------------------------------------------------- */

static void
on_model_changed (GtkComboBox *combo, Dialog *d)
{
  (void) combo;
  update_description (d);
  if (d->kind == MODEL_KIND_TEXTURE)
    update_code_sliders (d);
  session_changed (d->session);
}

static void
on_scale_changed (GtkAdjustment *adj, Dialog *d)
{
  (void) adj;
  update_size_label (d);
  session_changed (d->session);
}

static void
on_setting_changed (GtkWidget *widget, Dialog *d)
{
  (void) widget;
  session_changed (d->session);
}

static void
on_codes_changed (Dialog *d)
{
  session_changed (d->session);
}

static void
on_preview_toggled (GtkToggleButton *toggle, Dialog *d)
{
  (void) toggle;
  session_preview_toggled (d->session);
}

/* ---- the style list ----------------------------------------------------------------------- */

static void
on_choose_file (GtkButton *button, Dialog *d)
{
  g_autoptr (GError) error = NULL;

  (void) button;
  if (!style_list_choose_file (d->styles, GTK_WINDOW (d->dialog), &error))
    {
      g_autofree char *message = stylizer_describe_error_for (error, d->kind);

      show_message (d, message);
    }
}

/* ---- the device list ---------------------------------------------------------------------- */

static void
fill_devices (Dialog *d)
{
  d->devices = device_choices_new (d->device_setting);
  for (int i = 0; d->devices->labels[i]; i++)
    gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->device_combo),
                                    d->devices->labels[i]);
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->device_combo), d->devices->active);
}

/* ---- building the dialog ------------------------------------------------------------------ */

static GtkWidget *
left_label (const char *text, GtkWidget *mnemonic_widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  if (mnemonic_widget)
    gtk_label_set_mnemonic_widget (GTK_LABEL (label), mnemonic_widget);
  return label;
}

static GtkWidget *
hint_label (void)
{
  GtkWidget *label = gtk_label_new ("");

  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_size_request (label, 360, -1);
  gimp_label_set_attributes (GTK_LABEL (label), PANGO_ATTR_SCALE, PANGO_SCALE_SMALL,
                             PANGO_ATTR_STYLE, PANGO_STYLE_ITALIC, -1);
  return label;
}

static void
build_style_row (Dialog *d, GtkTable *table, int row, const char *plugin_dir)
{
  GtkWidget *hbox = gtk_hbox_new (FALSE, 6);
  GtkWidget *button = gtk_button_new_with_mnemonic (_("Choose _File…"));
  GtkWidget *combo;

  gboolean texture = d->kind == MODEL_KIND_TEXTURE;

  d->styles = style_list_new (d->kind, gimp_directory (), plugin_dir);
  combo = style_list_combo (d->styles);
  gtk_box_pack_start (GTK_BOX (hbox), combo, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), button, FALSE, FALSE, 0);
  gimp_help_set_help_data (button, texture ? _("Use any texture model file (.safetensors)")
                                           : _("Use any style model file (.safetensors)"),
                           NULL);
  g_signal_connect (button, "clicked", G_CALLBACK (on_choose_file), d);

  gtk_table_attach (table, left_label (texture ? _("_Texture:") : _("_Style:"), combo), 0, 1,
                    row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, hbox, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);

  d->description_label = hint_label ();
  gtk_table_attach (table, d->description_label, 1, 3, row + 1, row + 2, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
}

static void
build_output_row (Dialog *d, GtkTable *table, int row)
{
  GtkWidget *hbox = gtk_hbox_new (FALSE, 12);
  GtkWidget *replace = gtk_radio_button_new_with_mnemonic (NULL, _("_Replace layer"));

  d->new_layer_radio =
      gtk_radio_button_new_with_mnemonic_from_widget (GTK_RADIO_BUTTON (replace),
                                                      _("New _layer"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->new_layer_radio),
                                d->settings->new_layer != 0);
  gimp_help_set_help_data (d->new_layer_radio,
                           _("Put the result on a new layer above, named after the style"), NULL);
  gtk_box_pack_start (GTK_BOX (hbox), replace, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->new_layer_radio, FALSE, FALSE, 0);
  gtk_table_attach (table, left_label (_("Output:"), NULL), 0, 1, row, row + 1, GTK_FILL,
                    GTK_FILL, 0, 0);
  gtk_table_attach (table, hbox, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
}

static void
build_device_row (Dialog *d, GtkTable *table, int row)
{
  d->device_combo = gtk_combo_box_text_new ();
  fill_devices (d);
  gimp_help_set_help_data (d->device_combo,
                           d->kind == MODEL_KIND_TEXTURE
                               ? _("The Vulkan device that computes the texture. A CPU device "
                                   "(llvmpipe) works everywhere but is slow.")
                               : _("The Vulkan device that computes the style. A CPU device "
                                   "(llvmpipe) works everywhere but is slow."), NULL);
  gtk_table_attach (table, left_label (_("_Device:"), d->device_combo), 0, 1, row, row + 1,
                    GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, d->device_combo, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
}

static GtkWidget *
build_message_box (Dialog *d)
{
  GtkWidget *icon = gtk_image_new_from_icon_name (GIMP_ICON_DIALOG_WARNING,
                                                  GTK_ICON_SIZE_DIALOG);

  GtkWidget *box = gtk_hbox_new (FALSE, 12);
  GtkWidget *label = gtk_label_new ("");

  gtk_misc_set_alignment (GTK_MISC (icon), 0.5, 0.0);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_size_request (label, 380, -1);
  gtk_box_pack_start (GTK_BOX (box), icon, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
  gtk_widget_show_all (box);
  gtk_widget_set_no_show_all (box, TRUE);
  gtk_widget_hide (box);
  d->status.message_box = box;
  d->status.message_label = label;
  return box;
}

/* Strength, processing size and its note, output. Returns the next row. */
static int
build_style_rows (Dialog *d, GtkWidget *table, int row)
{
  d->strength_adj = gimp_scale_entry_new (GTK_TABLE (table), 0, row++, _("S_trength (%):"), 200,
                                          6, d->settings->strength, 0.0, 100.0, 1.0, 10.0, 0,
                                          TRUE, 0, 0,
                                          _("How much of the style to mix over the original"),
                                          NULL);
  d->scale_adj = gimp_scale_entry_new (GTK_TABLE (table), 0, row++, _("Processing si_ze (%):"),
                                       200, 6, d->settings->scale * 100.0,
                                       VKSTYLE_SCALE_MIN * 100.0, VKSTYLE_SCALE_MAX * 100.0, 1.0,
                                       10.0, 0, TRUE, 0, 0,
                                       _("Compute the style on a smaller copy and enlarge the "
                                         "result: much faster on big images, and the brush "
                                         "strokes get larger"), NULL);
  d->size_label = hint_label ();
  gtk_table_attach (GTK_TABLE (table), d->size_label, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
  row++;

  build_output_row (d, GTK_TABLE (table), row++);
  return row;
}

/* Seed, codes, tileable. Returns the next row. */
static int
build_texture_rows (Dialog *d, GtkWidget *table, int row)
{
  seed_row_init (&d->seed, d->texture->seed);
  gtk_table_attach (GTK_TABLE (table), left_label (_("_Seed:"), d->seed.spin), 0, 1, row,
                    row + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (GTK_TABLE (table), d->seed.box, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
  row++;
  d->codes = code_sliders_new (G_CALLBACK (on_codes_changed), d);
  gtk_table_attach (GTK_TABLE (table), code_sliders_widget (d->codes), 0, 3, row, row + 1,
                    GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
  row++;
  d->tileable_check = gtk_check_button_new_with_mnemonic (_("T_ileable"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->tileable_check), d->texture->tileable);
  gimp_help_set_help_data (d->tileable_check,
                           _("Make the texture repeat seamlessly, as a pattern to tile"), NULL);
  gtk_table_attach (GTK_TABLE (table), d->tileable_check, 0, 3, row, row + 1, GTK_FILL, GTK_FILL,
                    0, 0);
  return row + 1;
}

static void
build_dialog (Dialog *d, const char *plugin_dir)
{
  GtkWidget *vbox, *table;
  int row = 0;

  d->dialog = gimp_dialog_new (d->kind == MODEL_KIND_TEXTURE ? _("Neural Texture")
                                                              : _("Style Transfer"),
                               VKSTYLE_ROLE, NULL, 0,
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

  table = gtk_table_new (9, 3, FALSE);
  d->status.controls = table;
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  build_style_row (d, GTK_TABLE (table), row, plugin_dir);
  row += 2;

  row = (d->kind == MODEL_KIND_TEXTURE ? build_texture_rows : build_style_rows) (d, table, row);
  build_device_row (d, GTK_TABLE (table), row++);

  d->preview_toggle = gtk_check_button_new_with_mnemonic (_("_Preview on canvas"));
  gimp_help_set_help_data (d->preview_toggle,
                           _("Show the result in a temporary layer above the layer; it is "
                             "removed when you cancel"), NULL);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->preview_toggle), d->preview_setting);
  gtk_table_attach (GTK_TABLE (table), d->preview_toggle, 0, 3, row, row + 1, GTK_FILL, GTK_FILL,
                    0, 0);
  row++;

  gtk_box_pack_start (GTK_BOX (vbox), build_message_box (d), FALSE, FALSE, 0);
  d->status.progress_bar = gtk_progress_bar_new ();
  gtk_box_pack_start (GTK_BOX (vbox), d->status.progress_bar, FALSE, FALSE, 0);

  style_list_select (d->styles, d->model_setting);
  update_description (d);
  if (d->kind == MODEL_KIND_TEXTURE)
    {
      update_code_sliders (d);
      g_signal_connect (d->seed.spin, "value-changed", G_CALLBACK (on_setting_changed), d);
      g_signal_connect (d->tileable_check, "toggled", G_CALLBACK (on_setting_changed), d);
    }
  else
    {
      update_size_label (d);
      g_signal_connect (d->strength_adj, "value-changed", G_CALLBACK (on_setting_changed), d);
      g_signal_connect (d->scale_adj, "value-changed", G_CALLBACK (on_scale_changed), d);
    }

  g_signal_connect (style_list_combo (d->styles), "changed", G_CALLBACK (on_model_changed), d);
  g_signal_connect (d->device_combo, "changed", G_CALLBACK (on_setting_changed), d);
  g_signal_connect (d->preview_toggle, "toggled", G_CALLBACK (on_preview_toggled), d);
}

static gboolean
run_dialog (Dialog *d, Stylizer *stylizer, const char *plugin_dir)
{
  gboolean applied;

  d->loop = g_main_loop_new (NULL, FALSE);
  preview_layer_init (&d->preview, d->target->image);

  gimp_ui_init (VKSTYLE_BINARY, FALSE);
  build_dialog (d, plugin_dir);
  d->session = session_new (d->target->pixels, stylizer, &session_ui, d);
  status_connect_session (d->dialog, d->session);
  gtk_widget_show_all (d->dialog);
  session_start (d->session);

  g_main_loop_run (d->loop);

  applied = session_applied (d->session);
  session_free (d->session);
  gtk_widget_destroy (d->dialog);
  style_list_free (d->styles);
  code_sliders_free (d->codes);
  device_choices_free (d->devices);
  g_main_loop_unref (d->loop);
  return applied;
}

gboolean
vkstyle_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                    VkstyleSettings *settings)
{
  Dialog d = { 0 };

  d.kind = MODEL_KIND_STYLE;
  d.target = target;
  d.settings = settings;
  d.model_setting = settings->model;
  d.device_setting = settings->device;
  d.preview_setting = settings->preview;
  return run_dialog (&d, stylizer, plugin_dir);
}

gboolean
texture_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                    TextureSettings *settings)
{
  Dialog d = { 0 };

  d.kind = MODEL_KIND_TEXTURE;
  d.target = target;
  d.texture = settings;
  d.model_setting = settings->model;
  d.device_setting = settings->device;
  d.preview_setting = settings->preview;
  return run_dialog (&d, stylizer, plugin_dir);
}
