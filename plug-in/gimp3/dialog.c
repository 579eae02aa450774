#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
/* one of libgimpwidgets 3.0.4's headers returns a const value, which -Wextra reports */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#include <libgimp/gimpui.h>
#pragma GCC diagnostic pop

#include "plug-in/choices.h"
#include "plug-in/gimp3/dialog.h"
#include "plug-in/gimp3/preview.h"
#include "plug-in/gtk/domain-list.h"
#include "plug-in/gtk/status.h"
#include "plug-in/gtk/style-list.h"
#include "plug-in/gtk/texture-controls.h"
#include "plug-in/session.h"
#include "plug-in/settings.h"

typedef struct {
  ModelKind kind;
  const char *title;        /* N_() */
  const Target *target;
  GimpProcedureConfig *config;
  Session *session;
  Stylizer *stylizer;
  const char *plugin_dir;

  GtkWidget *dialog;
  StyleList *styles;
  GtkWidget *description_label;
  GtkWidget *size_label;
  SeedRow seed;             /* Neural Texture, Style from Reference */
  CodeSliders *codes;
  GtkWidget *domain_combo;  /* Style from Reference */
  GtkWidget *layer_radio;
  GtkWidget *layer_combo;
  GtkWidget *variations_widget;
  GtkWidget *new_layer_widget;
  gint32 reference_id;      /* the layer `reference` holds the pixels of, -1: none */
  ReferenceImage *reference;
  GtkWidget *device_combo;
  DeviceChoices *devices;   /* parallel to device_combo's rows */
  StatusWidgets status;

  gboolean syncing;         /* a widget follows the config: do not write it back */
  PreviewLayer preview;
  GMainLoop *loop;
} Dialog;

/* ---- the config ---------------------------------------------------------------------------- */

static char *
config_string (Dialog *d, const char *name)
{
  char *value = NULL;

  g_object_get (d->config, name, &value, NULL);
  return value;
}

static double
config_double (Dialog *d, const char *name)
{
  double value = 0.0;

  g_object_get (d->config, name, &value, NULL);
  return value;
}

static gboolean
config_boolean (Dialog *d, const char *name)
{
  gboolean value = FALSE;

  g_object_get (d->config, name, &value, NULL);
  return value;
}

/* ---- Style from Reference's source --------------------------------------------------------- */

/* The config's reference layer, -1 for none (random styles). */
static gint32
config_reference_id (Dialog *d)
{
  GimpDrawable *drawable = NULL;
  gint32 id;

  g_object_get (d->config, "reference", &drawable, NULL);
  id = drawable ? gimp_item_get_id (GIMP_ITEM (drawable)) : -1;
  g_clear_object (&drawable);
  return id;
}

/* The pixels of the config's reference, read once per layer: a preview re-run does not read
 * them again. */
static void
read_reference (Dialog *d, gint32 id)
{
  g_autoptr (GError) error = NULL;

  if (id == d->reference_id)
    return;
  g_clear_pointer (&d->reference, reference_image_free);
  d->reference_id = id;
  if (id < 0)
    return;
  d->reference = target_read_reference (id, &error);
  if (d->reference == NULL)
    g_message ("%s", error->message);
}

static void
fill_reference_request (Dialog *d, JobRequest *request)
{
  gint32 id = config_reference_id (d);

  request->domain = config_string (d, "domain");
  read_reference (d, id);
  if (id >= 0 && d->reference != NULL)
    {
      request->reference = g_bytes_ref (d->reference->rgb);
      request->reference_width = d->reference->width;
      request->reference_height = d->reference->height;
      /* a reference's style does not depend on the seed: no recomputing when it changes */
      request->seed = 0;
      request->variations = 1;
    }
  else
    g_object_get (d->config, "seed", &request->seed, "variations", &request->variations, NULL);
}

/* ---- what the session asks of the widgets -------------------------------------------------- */

static gboolean
get_request (gpointer ui, JobRequest *request)
{
  Dialog *d = ui;

  request->kind = d->kind;
  request->model_path = style_list_path (d->styles);
  request->device = config_string (d, "device");
  if (d->kind == MODEL_KIND_TEXTURE)
    {
      g_object_get (d->config, "seed", &request->seed, "tileable", &request->tileable, NULL);
      request->codes = config_string (d, "codes");
    }
  else
    request->scale = config_double (d, "scale");
  if (d->kind == MODEL_KIND_REFERENCE)
    fill_reference_request (d, request);
  if (request->device == NULL)
    request->device = g_strdup ("");
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
  Dialog *d = ui;

  return d->kind == MODEL_KIND_TEXTURE ? 100.0 : config_double (d, "strength");
}

static gboolean
get_preview (gpointer ui)
{
  return config_boolean (ui, "preview");
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
commit (gpointer ui, const float *styled, int n_results, const char *name, GError **error)
{
  Dialog *d = ui;
  gboolean texture = d->kind == MODEL_KIND_TEXTURE;

  if (!target_commit (d->target, styled, n_results, get_strength (d),
                      !texture && config_boolean (d, "new-layer"), name, error))
    return FALSE;
  gimp_displays_flush ();
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

/* ---- the texture's seed and codes ---------------------------------------------------------- */

/* A texture model's codes get their sliders, at the config's values when they fit the model;
 * the config then holds the sliders' codes (all of them, by the model's names). */
static void
update_code_sliders (Dialog *d)
{
  g_autoptr (ModelInfo) info = style_list_info (d->styles);
  g_autofree char *codes = config_string (d, "codes");
  g_autofree char *shown = NULL;

  code_sliders_set_model (d->codes, info ? &info->gan : NULL, codes);
  shown = code_sliders_codes (d->codes);
  if (g_strcmp0 (shown, codes) != 0)
    g_object_set (d->config, "codes", shown, NULL);
}

static void
on_codes_changed (Dialog *d)
{
  g_autofree char *codes = code_sliders_codes (d->codes);

  g_object_set (d->config, "codes", codes, NULL);
}

static void
on_seed_changed (GtkSpinButton *spin, Dialog *d)
{
  (void) spin;
  if (!d->syncing)
    g_object_set (d->config, "seed", seed_row_get (&d->seed), NULL);
}

/* ---- Style from Reference's domain and source ---------------------------------------------- */

/* The model's domains, the config's one selected when the model has it; the config then holds
 * the list's choice. */
static void
update_domain_list (Dialog *d)
{
  g_autoptr (ModelInfo) info = style_list_info (d->styles);
  g_autofree char *domain = config_string (d, "domain");
  g_autofree char *shown = NULL;

  d->syncing = TRUE;
  domain_list_set (d->domain_combo, info ? info->domains : NULL, domain);
  d->syncing = FALSE;
  shown = domain_list_get (d->domain_combo);
  if (shown != NULL && g_strcmp0 (shown, domain) != 0)
    g_object_set (d->config, "domain", shown, NULL);
}

static void
on_domain_changed (GtkComboBox *combo, Dialog *d)
{
  g_autofree char *shown = domain_list_get (GTK_WIDGET (combo));

  if (!d->syncing && shown != NULL)
    g_object_set (d->config, "domain", shown, NULL);
}

/* The source widgets say what the config holds; variations always go on new layers. */
static void
update_source_widgets (Dialog *d)
{
  gint32 id = config_reference_id (d);
  int variations = 1;

  g_object_get (d->config, "variations", &variations, NULL);
  d->syncing = TRUE;
  if (id >= 0)
    gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (d->layer_combo), id);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->layer_radio), id >= 0);
  d->syncing = FALSE;
  gtk_widget_set_sensitive (d->layer_combo, id >= 0);
  gtk_widget_set_sensitive (d->seed.box, id < 0);
  gtk_widget_set_sensitive (d->variations_widget, id < 0);
  gtk_widget_set_sensitive (d->new_layer_widget, id >= 0 || variations <= 1);
  if (id < 0 && variations > 1 && !config_boolean (d, "new-layer"))
    g_object_set (d->config, "new-layer", TRUE, NULL);
}

/* The radio buttons and the layer list into the config: a layer, or none for random styles. */
static void
on_source_changed (GtkWidget *widget, Dialog *d)
{
  gint32 id = -1;
  GimpDrawable *drawable = NULL;

  (void) widget;
  if (d->syncing)
    return;
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->layer_radio))
      && gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (d->layer_combo), &id))
    drawable = gimp_drawable_get_by_id (id);
  g_object_set (d->config, "reference", drawable, NULL);
  if (drawable != NULL)
    g_object_set (d->config, "variations", 1, NULL);
}

/* The layer a reference most likely is: the config's, else the selected layer of another open
 * image, else the one being changed. */
static gint32
initial_layer (Dialog *d)
{
  gint32 id = config_reference_id (d);
  GimpImage **images = NULL;

  if (id >= 0)
    return id;
  images = gimp_get_images ();
  for (int i = 0; images[i] != NULL && id < 0; i++)
    {
      GimpLayer **layers = images[i] == d->target->image ? NULL
                                                          : gimp_image_get_selected_layers (images[i]);

      if (layers != NULL && layers[0] != NULL)
        id = gimp_item_get_id (GIMP_ITEM (layers[0]));
      g_free (layers);
    }
  g_free (images);
  return id >= 0 ? id : gimp_item_get_id (GIMP_ITEM (d->target->drawable));
}

/* ---- the style list ------------------------------------------------------------------------ */

static void
on_model_changed (GtkComboBox *combo, Dialog *d)
{
  g_autofree char *path = style_list_path (d->styles);

  (void) combo;
  style_list_describe (d->styles, GTK_LABEL (d->description_label));
  if (d->kind == MODEL_KIND_TEXTURE)
    update_code_sliders (d);
  if (d->kind == MODEL_KIND_REFERENCE)
    update_domain_list (d);
  if (!d->syncing && path != NULL)
    g_object_set (d->config, "model", path, NULL);
}

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

/* The config's "model" may be a style name from a script: the list shows the file it means. */
static void
select_config_model (Dialog *d)
{
  g_autofree char *model = config_string (d, "model");

  style_list_select (d->styles, model);
}

/* ---- the device list ----------------------------------------------------------------------- */

static void
select_config_device (Dialog *d)
{
  g_autofree char *device = config_string (d, "device");

  for (int i = 0; d->devices->selectors[i]; i++)
    if (g_strcmp0 (d->devices->selectors[i], device ? device : "") == 0)
      {
        gtk_combo_box_set_active (GTK_COMBO_BOX (d->device_combo), i);
        return;
      }
}

static void
on_device_changed (GtkComboBox *combo, Dialog *d)
{
  int active = gtk_combo_box_get_active (combo);

  if (!d->syncing && active >= 0 && (guint) active < g_strv_length (d->devices->selectors))
    g_object_set (d->config, "device", d->devices->selectors[active], NULL);
}

/* ---- following the config ------------------------------------------------------------------ */

static void
update_size_label (Dialog *d)
{
  g_autofree char *text = choices_size_note (d->target->pixels, config_double (d, "scale"));

  gtk_label_set_text (GTK_LABEL (d->size_label), text);
}

/* Every change, from our widgets, GIMP's generated ones or the Reset button, comes here. */
static void
on_config_notify (GObject *config, GParamSpec *pspec, Dialog *d)
{
  const char *name = g_param_spec_get_name (pspec);

  (void) config;
  d->syncing = TRUE;
  if (strcmp (name, "model") == 0)
    {
      g_autofree char *path = style_list_path (d->styles);
      g_autofree char *model = config_string (d, "model");

      if (g_strcmp0 (path, model) != 0)
        select_config_model (d);
    }
  else if (strcmp (name, "device") == 0)
    select_config_device (d);
  else if (strcmp (name, "scale") == 0 && d->kind != MODEL_KIND_TEXTURE)
    update_size_label (d);
  else if (strcmp (name, "domain") == 0 && d->kind == MODEL_KIND_REFERENCE)
    {
      g_autofree char *shown = domain_list_get (d->domain_combo);
      g_autofree char *domain = config_string (d, "domain");

      if (g_strcmp0 (shown, domain) != 0)
        {
          g_autoptr (ModelInfo) info = style_list_info (d->styles);

          domain_list_set (d->domain_combo, info ? info->domains : NULL, domain);
        }
    }
  else if (strcmp (name, "seed") == 0)
    {
      int seed = 0;

      g_object_get (config, "seed", &seed, NULL);
      if (seed != seed_row_get (&d->seed))
        seed_row_set (&d->seed, seed);
    }
  d->syncing = FALSE;
  if (d->kind == MODEL_KIND_REFERENCE
      && (strcmp (name, "reference") == 0 || strcmp (name, "variations") == 0))
    update_source_widgets (d);

  if (d->session == NULL)
    return;  /* still building the dialog */
  if (strcmp (name, "preview") == 0)
    session_preview_toggled (d->session);
  else if (strcmp (name, "used") != 0)
    session_changed (d->session);
}

/* ---- building the dialog ------------------------------------------------------------------- */

static GtkWidget *
hint_label (void)
{
  GtkWidget *label = gtk_label_new ("");

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 56);
  gimp_label_set_attributes (GTK_LABEL (label), PANGO_ATTR_SCALE, PANGO_SCALE_SMALL,
                             PANGO_ATTR_STYLE, PANGO_STYLE_ITALIC, -1);
  return label;
}

static GtkWidget *
row_label (const char *text, GtkWidget *mnemonic_widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), mnemonic_widget);
  return label;
}

static void
build_style_rows (Dialog *d, GtkGrid *grid, int row)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (_("Choose _File…"));
  const ModelKindTexts *texts = model_kind_texts (d->kind);
  GtkWidget *combo;

  d->styles = style_list_new (d->kind, gimp_directory (), d->plugin_dir);
  combo = style_list_combo (d->styles);
  gtk_widget_set_hexpand (combo, TRUE);
  gtk_widget_set_tooltip_text (button, _(texts->file_tip));
  g_signal_connect (button, "clicked", G_CALLBACK (on_choose_file), d);

  gtk_grid_attach (grid, row_label (_(texts->model_label), combo), 0, row, 1, 1);
  gtk_grid_attach (grid, combo, 1, row, 1, 1);
  gtk_grid_attach (grid, button, 2, row, 1, 1);
  d->description_label = hint_label ();
  gtk_grid_attach (grid, d->description_label, 1, row + 1, 2, 1);
}

static void
build_device_row (Dialog *d, GtkGrid *grid, int row)
{
  g_autofree char *device = config_string (d, "device");

  d->device_combo = gtk_combo_box_text_new ();
  d->devices = device_choices_new (device);
  for (int i = 0; d->devices->labels[i]; i++)
    gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->device_combo),
                                    d->devices->labels[i]);
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->device_combo), d->devices->active);
  gtk_widget_set_tooltip_text (d->device_combo, _(model_kind_texts (d->kind)->device_tip));
  gtk_grid_attach (grid, row_label (_("_Device:"), d->device_combo), 0, row, 1, 1);
  gtk_grid_attach (grid, d->device_combo, 1, row, 2, 1);
}

static GtkWidget *
build_message_box (Dialog *d)
{
  GtkWidget *icon = gtk_image_new_from_icon_name (GIMP_ICON_DIALOG_WARNING,
                                                  GTK_ICON_SIZE_DIALOG);

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new ("");

  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 56);
  gtk_box_pack_start (GTK_BOX (box), icon, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
  gtk_widget_show_all (box);
  gtk_widget_set_no_show_all (box, TRUE);
  gtk_widget_hide (box);
  d->status.message_box = box;
  d->status.message_label = label;
  return box;
}

/* GIMP's generated widget for a config property, placed in our grid across all columns. */
static void
attach_generated (Dialog *d, GtkGrid *grid, GtkWidget *widget, int row, const char *tooltip)
{
  (void) d;
  gtk_widget_set_hexpand (widget, TRUE);
  if (tooltip != NULL)
    gtk_widget_set_tooltip_text (widget, tooltip);
  gtk_grid_attach (grid, widget, 0, row, 3, 1);
}

/* Strength, processing size and its note, new layer (Style Transfer, Style from Reference).
 * Returns the next row. */
static int
build_output_rows (Dialog *d, GimpProcedureDialog *pd, GtkWidget *grid, int row)
{
  attach_generated (d, GTK_GRID (grid), gimp_procedure_dialog_get_scale_entry (pd, "strength",
                                                                               1.0),
                    row++, _("How much of the result to mix over the original"));
  /* a fraction in the PDB, a percentage on screen as in the GIMP 2.10 dialog */
  attach_generated (d, GTK_GRID (grid), gimp_procedure_dialog_get_scale_entry (pd, "scale",
                                                                               100.0),
                    row++, _("Compute on a smaller copy and enlarge the result: much faster on "
                             "big images, and the brush strokes get larger"));
  d->size_label = hint_label ();
  gtk_grid_attach (GTK_GRID (grid), d->size_label, 1, row++, 2, 1);
  d->new_layer_widget = gimp_procedure_dialog_get_widget (pd, "new-layer", GTK_TYPE_CHECK_BUTTON);
  attach_generated (d, GTK_GRID (grid), d->new_layer_widget, row++,
                    _("Put the result on a new layer above, named after the model"));
  return row;
}

/* Domain, style source (a layer, or random with the seed), variations, then the output rows.
 * Returns the next row. */
static int
build_reference_rows (Dialog *d, GimpProcedureDialog *pd, GtkWidget *grid, int row)
{
  GtkWidget *random_radio;
  int seed = 0;

  d->domain_combo = domain_list_new ();
  gtk_widget_set_tooltip_text (d->domain_combo,
                               _("The kind of picture the result becomes: the model's domains"));
  gtk_grid_attach (GTK_GRID (grid), row_label (_("Doma_in:"), d->domain_combo), 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), d->domain_combo, 1, row++, 2, 1);

  d->layer_radio = gtk_radio_button_new_with_mnemonic (NULL, _("From a la_yer:"));
  gtk_widget_set_tooltip_text (d->layer_radio,
                               _("Take the style of a layer of any open image: the model's style "
                                 "encoder reads it whole"));
  d->layer_combo = gimp_layer_combo_box_new (NULL, NULL, NULL);
  gtk_widget_set_hexpand (d->layer_combo, TRUE);
  gtk_grid_attach (GTK_GRID (grid), d->layer_radio, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), d->layer_combo, 1, row++, 2, 1);

  random_radio = gtk_radio_button_new_with_mnemonic_from_widget (GTK_RADIO_BUTTON (d->layer_radio),
                                                                 _("Rand_om, seed:"));
  gtk_widget_set_tooltip_text (random_radio,
                               _("Random styles of the domain: the same seed gives the same "
                                 "result on every machine"));
  g_object_get (d->config, "seed", &seed, NULL);
  seed_row_init (&d->seed, seed);
  g_signal_connect (d->seed.spin, "value-changed", G_CALLBACK (on_seed_changed), d);
  gtk_grid_attach (GTK_GRID (grid), random_radio, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), d->seed.box, 1, row++, 2, 1);

  d->variations_widget = gimp_procedure_dialog_get_widget (pd, "variations",
                                                           GIMP_TYPE_LABEL_SPIN);
  attach_generated (d, GTK_GRID (grid), d->variations_widget, row++,
                    _("How many random styles to make, each on a new layer (the preview shows "
                      "the first)"));
  row = build_output_rows (d, pd, grid, row);

  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (d->layer_combo), initial_layer (d));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (config_reference_id (d) >= 0
                                                       ? d->layer_radio : random_radio), TRUE);
  g_signal_connect (d->layer_radio, "toggled", G_CALLBACK (on_source_changed), d);
  g_signal_connect (d->layer_combo, "changed", G_CALLBACK (on_source_changed), d);
  g_signal_connect (d->domain_combo, "changed", G_CALLBACK (on_domain_changed), d);
  return row;
}

/* Seed, codes, tileable. Returns the next row. */
static int
build_texture_rows (Dialog *d, GimpProcedureDialog *pd, GtkWidget *grid, int row)
{
  int seed = 0;

  g_object_get (d->config, "seed", &seed, NULL);
  seed_row_init (&d->seed, seed);
  g_signal_connect (d->seed.spin, "value-changed", G_CALLBACK (on_seed_changed), d);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("_Seed:"), d->seed.spin), 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), d->seed.box, 1, row++, 2, 1);
  d->codes = code_sliders_new (grid, row, G_CALLBACK (on_codes_changed), d);
  row += CODE_SLIDERS_ROWS;
  attach_generated (d, GTK_GRID (grid),
                    gimp_procedure_dialog_get_widget (pd, "tileable", GTK_TYPE_CHECK_BUTTON),
                    row++, _("Make the texture repeat seamlessly, as a pattern to tile"));
  return row;
}

static void
build_dialog (Dialog *d, GimpProcedure *procedure)
{
  GimpProcedureDialog *pd;
  GtkWidget *vbox, *grid;
  int row = 0;

  d->dialog = gimp_procedure_dialog_new (procedure, d->config, _(d->title));
  pd = GIMP_PROCEDURE_DIALOG (d->dialog);
  gimp_procedure_dialog_set_ok_label (pd, _("_Apply"));
  d->status.apply_button = gtk_dialog_get_widget_for_response (GTK_DIALOG (d->dialog),
                                                               GTK_RESPONSE_OK);

  vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (d->dialog))), vbox,
                      TRUE, TRUE, 0);
  grid = gtk_grid_new ();
  d->status.controls = grid;
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
  gtk_box_pack_start (GTK_BOX (vbox), grid, FALSE, FALSE, 0);

  build_style_rows (d, GTK_GRID (grid), row);
  row += 2;
  if (d->kind == MODEL_KIND_TEXTURE)
    row = build_texture_rows (d, pd, grid, row);
  else if (d->kind == MODEL_KIND_REFERENCE)
    row = build_reference_rows (d, pd, grid, row);
  else
    row = build_output_rows (d, pd, grid, row);
  build_device_row (d, GTK_GRID (grid), row++);
  attach_generated (d, GTK_GRID (grid),
                    gimp_procedure_dialog_get_widget (pd, "preview", GTK_TYPE_CHECK_BUTTON),
                    row++, _("Show the result in a temporary layer above the layer; it is "
                             "removed when you cancel"));

  gtk_box_pack_start (GTK_BOX (vbox), build_message_box (d), FALSE, FALSE, 0);
  d->status.progress_bar = gtk_progress_bar_new ();
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (d->status.progress_bar), TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), d->status.progress_bar, FALSE, FALSE, 0);

  select_config_model (d);
  style_list_describe (d->styles, GTK_LABEL (d->description_label));
  if (d->kind == MODEL_KIND_TEXTURE)
    update_code_sliders (d);
  else
    update_size_label (d);
  if (d->kind == MODEL_KIND_REFERENCE)
    {
      update_domain_list (d);
      update_source_widgets (d);
    }

  g_signal_connect (style_list_combo (d->styles), "changed", G_CALLBACK (on_model_changed), d);
  g_signal_connect (d->device_combo, "changed", G_CALLBACK (on_device_changed), d);
  g_signal_connect (d->config, "notify", G_CALLBACK (on_config_notify), d);
}

static gboolean
run_dialog (Dialog *d, GimpProcedure *procedure)
{
  gboolean applied;
  g_autofree char *path = NULL;

  d->loop = g_main_loop_new (NULL, FALSE);
  preview_layer_init (&d->preview, d->target->image);

  gimp_ui_init (VKSTYLE_BINARY);
  build_dialog (d, procedure);
  /* the list's choice is what the config holds from now on (a model name becomes its file) */
  path = style_list_path (d->styles);
  if (path != NULL)
    g_object_set (d->config, "model", path, NULL);
  d->session = session_new (d->target->pixels, d->stylizer, &session_ui, d);
  status_connect_session (d->dialog, d->session);
  gtk_widget_show_all (d->dialog);
  session_start (d->session);

  g_main_loop_run (d->loop);

  applied = session_applied (d->session);
  g_signal_handlers_disconnect_by_data (d->config, d);
  session_free (d->session);
  gtk_widget_destroy (d->dialog);
  style_list_free (d->styles);
  code_sliders_free (d->codes);
  reference_image_free (d->reference);
  device_choices_free (d->devices);
  g_main_loop_unref (d->loop);
  return applied;
}

gboolean
vkstyle_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config, const Target *target,
                    Stylizer *stylizer, const char *plugin_dir)
{
  Dialog d = { .kind = MODEL_KIND_STYLE, .title = N_("Style Transfer"), .target = target,
               .config = config, .stylizer = stylizer, .plugin_dir = plugin_dir };

  return run_dialog (&d, procedure);
}

gboolean
texture_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config, const Target *target,
                    Stylizer *stylizer, const char *plugin_dir)
{
  Dialog d = { .kind = MODEL_KIND_TEXTURE, .title = N_("Neural Texture"), .target = target,
               .config = config, .stylizer = stylizer, .plugin_dir = plugin_dir };

  return run_dialog (&d, procedure);
}

gboolean
reference_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                      const Target *target, Stylizer *stylizer, const char *plugin_dir)
{
  Dialog d = { .kind = MODEL_KIND_REFERENCE, .title = N_("Style from Reference"),
               .target = target, .config = config, .stylizer = stylizer,
               .plugin_dir = plugin_dir, .reference_id = -1 };

  return run_dialog (&d, procedure);
}
