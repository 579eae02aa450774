#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libgimp/gimpui.h>
#pragma GCC diagnostic pop

#include "engine/error.h"
#include "plug-in/dialog.h"
#include "plug-in/job.h"
#include "plug-in/models.h"
#include "plug-in/preview.h"

/* Long enough that dragging a slider does not start a run per step, short enough to feel live. */
#define PREVIEW_DELAY_MS 400

enum { MODEL_COL_LABEL, MODEL_COL_DESCRIPTION, MODEL_COL_PATH, N_MODEL_COLS };

typedef struct {
  const RenderRegion *region;
  Stylizer *stylizer;
  VkstyleSettings *settings;

  GtkWidget *dialog;
  GtkWidget *controls;
  GtkWidget *apply_button;
  GtkListStore *models;
  GtkWidget *model_combo;
  GtkWidget *description_label;
  GtkObject *strength_adj;
  GtkObject *scale_adj;
  GtkWidget *size_label;
  GtkWidget *new_layer_radio;
  GtkWidget *device_combo;
  GStrv device_selectors;   /* parallel to device_combo's rows */
  GtkWidget *preview_toggle;
  GtkWidget *message_box;
  GtkWidget *message_label;
  GtkWidget *progress_bar;

  GTask *job;               /* the running worker, or NULL */
  JobRequest job_request;   /* what it computes */
  JobRequest cached_request;
  float *cached_styled;     /* region-sized result for cached_request */
  char *cached_name;
  JobRequest failed_request; /* not retried by the preview until a setting changes */
  gboolean want_apply;      /* commit as soon as the result for the current settings exists */
  gboolean closing;
  gboolean applied;
  guint preview_timeout;
  PreviewLayer preview;
  GMainLoop *loop;
} Dialog;

static void next_step (Dialog *d);

/* ---- reading the widgets ---------------------------------------------------------------- */

static char *
selected_model_path (Dialog *d)
{
  GtkTreeIter iter;
  char *path = NULL;

  if (gtk_combo_box_get_active_iter (GTK_COMBO_BOX (d->model_combo), &iter))
    gtk_tree_model_get (GTK_TREE_MODEL (d->models), &iter, MODEL_COL_PATH, &path, -1);
  return path;
}

static const char *
selected_device (Dialog *d)
{
  int active = gtk_combo_box_get_active (GTK_COMBO_BOX (d->device_combo));

  if (active < 0 || d->device_selectors == NULL
      || (guint) active >= g_strv_length (d->device_selectors))
    return "";
  return d->device_selectors[active];
}

static double
selected_scale (Dialog *d)
{
  return gtk_adjustment_get_value (GTK_ADJUSTMENT (d->scale_adj)) / 100.0;
}

static double
selected_strength (Dialog *d)
{
  return gtk_adjustment_get_value (GTK_ADJUSTMENT (d->strength_adj));
}

/* FALSE when no model is chosen yet. */
static gboolean
current_request (Dialog *d, JobRequest *request)
{
  request->model_path = selected_model_path (d);
  request->device = g_strdup (selected_device (d));
  request->scale = selected_scale (d);
  if (request->model_path == NULL)
    {
      job_request_clear (request);
      return FALSE;
    }
  return TRUE;
}

/* ---- showing state ------------------------------------------------------------------------ */

static void
show_message (Dialog *d, const char *message)
{
  if (message == NULL)
    {
      gtk_widget_hide (d->message_box);
      return;
    }
  gtk_label_set_text (GTK_LABEL (d->message_label), message);
  gtk_widget_show (d->message_box);
}

static void
show_progress (double fraction, const char *message, gpointer user_data)
{
  Dialog *d = user_data;
  g_autofree char *text = stylizer_translate_progress (message);

  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress_bar), CLAMP (fraction, 0.0, 1.0));
  /* never empty: an empty bar is thinner than one with text, and the dialog would jump */
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress_bar), text[0] ? text : " ");
}

static void
update_sensitivity (Dialog *d)
{
  g_autofree char *path = selected_model_path (d);

  gtk_widget_set_sensitive (d->controls, !d->want_apply);
  gtk_widget_set_sensitive (d->apply_button, !d->want_apply && path != NULL);
  /* greyed out while idle, so an empty bar does not look like something stuck */
  gtk_widget_set_sensitive (d->progress_bar, d->job != NULL);
  if (d->job == NULL)
    {
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress_bar), 0.0);
      gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress_bar), " ");
    }
}

static void
update_size_label (Dialog *d)
{
  int width, height;
  g_autofree char *text = NULL;

  render_network_size (d->region, selected_scale (d), &width, &height);
  /* short enough for one line even for huge images: a wrapping label would make the dialog
   * jump while the slider moves */
  text = g_strdup_printf (_("Computed at %d × %d px, then enlarged to %d × %d px."), width,
                          height, d->region->width, d->region->height);
  if (width == d->region->width && height == d->region->height)
    {
      g_free (text);
      text = g_strdup_printf (_("Computed at full size, %d × %d px."), width, height);
    }
  gtk_label_set_text (GTK_LABEL (d->size_label), text);
}

static void
update_description (Dialog *d)
{
  GtkTreeIter iter;
  g_autofree char *description = NULL;
  g_autofree char *path = NULL;

  if (gtk_combo_box_get_active_iter (GTK_COMBO_BOX (d->model_combo), &iter))
    gtk_tree_model_get (GTK_TREE_MODEL (d->models), &iter, MODEL_COL_DESCRIPTION, &description,
                        MODEL_COL_PATH, &path, -1);
  if (path == NULL)
    {
      g_autofree char *user_dir = g_build_filename (gimp_directory (), "vkstyle", "models", NULL);

      description = g_strdup_printf (_("No style models were found. Choose a .safetensors file, "
                                       "or put style models into %s."), user_dir);
      gtk_label_set_text (GTK_LABEL (d->description_label), description);
      return;
    }
  gtk_label_set_text (GTK_LABEL (d->description_label),
                      description && description[0] ? description : "");
  gimp_help_set_help_data (d->model_combo, path, NULL);
}

/* ---- running the worker ------------------------------------------------------------------- */

static void
job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Dialog *d = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) job_result = job_finish (G_TASK (result), &error);

  (void) source;
  g_clear_object (&d->job);
  if (job_result != NULL)
    {
      job_request_copy (&d->cached_request, &d->job_request);
      g_free (d->cached_styled);
      g_free (d->cached_name);
      d->cached_styled = g_steal_pointer (&job_result->styled);
      d->cached_name = g_steal_pointer (&job_result->style_name);
    }
  else if (!g_error_matches (error, VKS_ERROR, VKS_ERROR_CANCELLED))
    {
      g_autofree char *message = stylizer_describe_error (error);

      job_request_copy (&d->failed_request, &d->job_request);
      d->want_apply = FALSE;
      if (!d->closing)
        show_message (d, message);
    }
  job_request_clear (&d->job_request);
  if (d->closing)
    {
      g_main_loop_quit (d->loop);
      return;
    }
  update_sensitivity (d);
  next_step (d);
}

static void
start_job (Dialog *d, const JobRequest *request)
{
  show_message (d, NULL);
  job_request_copy (&d->job_request, request);
  show_progress (0.0, "", d);
  d->job = job_start (d->stylizer, d->region, request, show_progress, job_done, d);
  gtk_widget_set_sensitive (d->progress_bar, TRUE);
}

static void
cancel_job (Dialog *d)
{
  if (d->job == NULL || g_cancellable_is_cancelled (g_task_get_cancellable (d->job)))
    return;
  g_cancellable_cancel (g_task_get_cancellable (d->job));
  /* the engine notices between tiles, which may take a moment */
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress_bar), _("Cancelling…"));
}

static void
close_dialog (Dialog *d)
{
  d->closing = TRUE;
  g_clear_handle_id (&d->preview_timeout, g_source_remove);
  preview_layer_remove (&d->preview);
  gtk_widget_hide (d->dialog);
  /* the worker may be inside a tile for a while; the image is already as it was, so the user
   * does not wait for it, only this process does */
  if (d->job != NULL)
    cancel_job (d);
  else
    g_main_loop_quit (d->loop);
}

static void
commit (Dialog *d)
{
  g_autoptr (GError) error = NULL;
  gboolean new_layer = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->new_layer_radio));
  g_autofree char *model_path = selected_model_path (d);

  preview_layer_remove (&d->preview);
  if (render_commit (d->region, d->cached_styled, selected_strength (d), new_layer,
                     d->cached_name, &error) < 0)
    {
      d->want_apply = FALSE;
      show_message (d, error->message);
      update_sensitivity (d);
      return;
    }
  gimp_displays_flush ();
  g_strlcpy (d->settings->model, model_path, sizeof d->settings->model);
  g_strlcpy (d->settings->device, selected_device (d), sizeof d->settings->device);
  d->settings->strength = selected_strength (d);
  d->settings->scale = selected_scale (d);
  d->settings->new_layer = new_layer;
  d->settings->preview =
      gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->preview_toggle));
  d->applied = TRUE;
  close_dialog (d);
}

/* Decides what to do now that something changed: commit, show a cached result, or compute. */
static void
next_step (Dialog *d)
{
  JobRequest request = { 0 };
  gboolean preview_on = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->preview_toggle));
  gboolean have_request = current_request (d, &request);
  gboolean cached = have_request && d->cached_styled != NULL
                    && job_request_equal (&request, &d->cached_request);

  if (d->closing)
    goto out;
  if (!have_request)
    {
      d->want_apply = FALSE;
      goto out;
    }
  if (d->want_apply)
    {
      if (cached)
        commit (d);
      else if (d->job == NULL)
        start_job (d, &request);
      goto out;
    }
  if (!preview_on)
    goto out;
  if (cached)
    preview_layer_show (&d->preview, d->region, d->cached_styled, selected_strength (d),
                        d->cached_name);
  else if (d->job == NULL && !job_request_equal (&request, &d->failed_request))
    start_job (d, &request);
out:
  job_request_clear (&request);
}

static gboolean
preview_timeout (gpointer user_data)
{
  Dialog *d = user_data;

  d->preview_timeout = 0;
  next_step (d);
  return G_SOURCE_REMOVE;
}

/* A setting changed: stop work for the old settings, preview the new ones after a pause. */
static void
settings_changed (Dialog *d)
{
  JobRequest request = { 0 };

  job_request_clear (&d->failed_request);
  show_message (d, NULL);
  if (d->job != NULL && !d->want_apply
      && (!current_request (d, &request) || !job_request_equal (&request, &d->job_request)))
    cancel_job (d);
  job_request_clear (&request);
  g_clear_handle_id (&d->preview_timeout, g_source_remove);
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->preview_toggle)))
    d->preview_timeout = g_timeout_add (PREVIEW_DELAY_MS, preview_timeout, d);
  update_sensitivity (d);
}

/* ---- signal handlers ---------------------------------------------------------------------- */

static void
on_model_changed (GtkComboBox *combo, Dialog *d)
{
  (void) combo;
  update_description (d);
  settings_changed (d);
}

static void
on_scale_changed (GtkAdjustment *adj, Dialog *d)
{
  (void) adj;
  update_size_label (d);
  settings_changed (d);
}

static void
on_setting_changed (GtkWidget *widget, Dialog *d)
{
  (void) widget;
  settings_changed (d);
}

static void
on_preview_toggled (GtkToggleButton *toggle, Dialog *d)
{
  if (gtk_toggle_button_get_active (toggle))
    {
      job_request_clear (&d->failed_request);
      next_step (d);
      return;
    }
  g_clear_handle_id (&d->preview_timeout, g_source_remove);
  if (!d->want_apply)
    cancel_job (d);
  preview_layer_remove (&d->preview);
}

static void
on_response (GtkDialog *dialog, int response, Dialog *d)
{
  (void) dialog;
  if (response == GTK_RESPONSE_OK)
    {
      d->want_apply = TRUE;
      g_clear_handle_id (&d->preview_timeout, g_source_remove);
      show_message (d, NULL);
      job_request_clear (&d->failed_request);
      update_sensitivity (d);
      next_step (d);
      return;
    }
  if (response == GTK_RESPONSE_CANCEL && d->want_apply && d->job != NULL)
    {
      /* Cancel during Apply stops the run and returns to the dialog. */
      d->want_apply = FALSE;
      cancel_job (d);
      update_sensitivity (d);
      return;
    }
  close_dialog (d);
}

static gboolean
on_delete (GtkWidget *widget, GdkEvent *event, Dialog *d)
{
  (void) widget;
  (void) event;
  close_dialog (d);
  return TRUE;
}

/* ---- the style list ----------------------------------------------------------------------- */

static gboolean
find_model_row (Dialog *d, const char *path, GtkTreeIter *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (d->models);

  if (path == NULL || !gtk_tree_model_get_iter_first (model, iter))
    return FALSE;
  do
    {
      g_autofree char *row_path = NULL;

      gtk_tree_model_get (model, iter, MODEL_COL_PATH, &row_path, -1);
      if (g_strcmp0 (row_path, path) == 0)
        return TRUE;
    }
  while (gtk_tree_model_iter_next (model, iter));
  return FALSE;
}

static void
add_model_row (Dialog *d, const ModelInfo *info, gboolean show_file, GtkTreeIter *iter)
{
  g_autofree char *base = g_path_get_basename (info->path);
  g_autofree char *label = show_file ? g_strdup_printf ("%s (%s)", info->name, base)
                                     : g_strdup (info->name);

  gtk_list_store_append (d->models, iter);
  gtk_list_store_set (d->models, iter, MODEL_COL_LABEL, label, MODEL_COL_DESCRIPTION,
                      info->description, MODEL_COL_PATH, info->path, -1);
}

static void
fill_models (Dialog *d, const char *plugin_dir)
{
  g_autoptr (GPtrArray) found = models_find_all (plugin_dir);
  GtkTreeIter iter;

  for (guint i = 0; i < found->len; i++)
    {
      const ModelInfo *info = found->pdata[i];
      /* two files may carry the same name (an installed and a personal copy): tell them apart */
      gboolean twin = (i > 0 && strcmp (((ModelInfo *) found->pdata[i - 1])->name, info->name) == 0)
                      || (i + 1 < found->len
                          && strcmp (((ModelInfo *) found->pdata[i + 1])->name, info->name) == 0);

      add_model_row (d, info, twin, &iter);
    }
}

/* Selects `path`, adding it to the list when it is a readable model from elsewhere. */
static gboolean
select_model_file (Dialog *d, const char *path, GError **error)
{
  GtkTreeIter iter;

  if (!find_model_row (d, path, &iter))
    {
      g_autoptr (ModelInfo) info = model_info_from_file (path, error);

      if (info == NULL)
        return FALSE;
      add_model_row (d, info, TRUE, &iter);
    }
  gtk_combo_box_set_active_iter (GTK_COMBO_BOX (d->model_combo), &iter);
  return TRUE;
}

static void
on_choose_file (GtkButton *button, Dialog *d)
{
  GtkWidget *chooser;
  GtkFileFilter *filter;
  g_autofree char *user_dir = g_build_filename (gimp_directory (), "vkstyle", "models", NULL);
  g_autofree char *current = selected_model_path (d);

  (void) button;
  chooser = gtk_file_chooser_dialog_new (_("Choose a Style Model"), GTK_WINDOW (d->dialog),
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Cancel"), GTK_RESPONSE_CANCEL,
                                         _("_Open"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT,
                                           GTK_RESPONSE_CANCEL, -1);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Style models (*.safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("All files"));
  gtk_file_filter_add_pattern (filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  if (current != NULL)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (chooser), current);
  else if (g_file_test (user_dir, G_FILE_TEST_IS_DIR))
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), user_dir);

  if (gtk_dialog_run (GTK_DIALOG (chooser)) == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
      g_autoptr (GError) error = NULL;

      if (path != NULL && !select_model_file (d, path, &error))
        {
          g_autofree char *message = stylizer_describe_error (error);

          show_message (d, message);
        }
    }
  gtk_widget_destroy (chooser);
}

/* ---- the device list ---------------------------------------------------------------------- */

static void
fill_devices (Dialog *d)
{
  g_autoptr (GError) error = NULL;
  int chosen = -1;
  g_auto (GStrv) devices = vks_list_devices ("", &chosen, &error);
  GPtrArray *selectors = g_ptr_array_new ();
  int active = 0;
  g_autofree char *automatic = NULL;

  /* "Automatic" names the device it stands for, so nobody has to guess */
  for (int i = 0; devices && devices[i]; i++)
    {
      const char *colon = strchr (devices[i], ':');
      const char *label = colon ? colon + 1 + strspn (colon + 1, " ") : devices[i];

      if (i == chosen)
        automatic = g_strdup_printf (_("Automatic: %s"), label);
    }
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->device_combo),
                                  automatic ? automatic : _("Automatic"));
  g_ptr_array_add (selectors, g_strdup (""));

  for (int i = 0; devices && devices[i]; i++)
    {
      const char *colon = strchr (devices[i], ':');
      const char *label = colon ? colon + 1 + strspn (colon + 1, " ") : devices[i];
      char *selector = colon ? g_strndup (devices[i], colon - devices[i])
                             : g_strdup_printf ("%d", i);

      gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->device_combo), label);
      g_ptr_array_add (selectors, selector);
      if (strcmp (selector, d->settings->device) == 0)
        active = selectors->len - 1;
    }
  /* a selector from a script ("nvidia") that is not an index: keep it selectable */
  if (active == 0 && d->settings->device[0] != '\0')
    {
      g_autofree char *label = g_strdup_printf (_("Matching “%s”"), d->settings->device);

      gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->device_combo), label);
      g_ptr_array_add (selectors, g_strdup (d->settings->device));
      active = selectors->len - 1;
    }
  g_ptr_array_add (selectors, NULL);
  d->device_selectors = (GStrv) g_ptr_array_free (selectors, FALSE);
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->device_combo), active);
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
build_style_row (Dialog *d, GtkTable *table, int row)
{
  GtkWidget *hbox = gtk_hbox_new (FALSE, 6);
  GtkWidget *button = gtk_button_new_with_mnemonic (_("Choose _File…"));
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();

  d->models = gtk_list_store_new (N_MODEL_COLS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  d->model_combo = gtk_combo_box_new_with_model (GTK_TREE_MODEL (d->models));
  /* wide enough for usual names, so the dialog does not change width with the style list */
  g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, "width-chars", 36, NULL);
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (d->model_combo), cell, TRUE);
  gtk_cell_layout_set_attributes (GTK_CELL_LAYOUT (d->model_combo), cell, "text",
                                  MODEL_COL_LABEL, NULL);
  gtk_box_pack_start (GTK_BOX (hbox), d->model_combo, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), button, FALSE, FALSE, 0);
  gimp_help_set_help_data (button, _("Use any style model file (.safetensors)"), NULL);
  g_signal_connect (button, "clicked", G_CALLBACK (on_choose_file), d);

  gtk_table_attach (table, left_label (_("_Style:"), d->model_combo), 0, 1, row, row + 1,
                    GTK_FILL, GTK_FILL, 0, 0);
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
                           _("The Vulkan device that computes the style. A CPU device "
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

  d->message_box = gtk_hbox_new (FALSE, 12);
  d->message_label = gtk_label_new ("");
  gtk_misc_set_alignment (GTK_MISC (icon), 0.5, 0.0);
  gtk_misc_set_alignment (GTK_MISC (d->message_label), 0.0, 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (d->message_label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (d->message_label), TRUE);
  gtk_widget_set_size_request (d->message_label, 380, -1);
  gtk_box_pack_start (GTK_BOX (d->message_box), icon, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (d->message_box), d->message_label, TRUE, TRUE, 0);
  gtk_widget_show_all (d->message_box);
  gtk_widget_set_no_show_all (d->message_box, TRUE);
  gtk_widget_hide (d->message_box);
  return d->message_box;
}

static void
select_initial_model (Dialog *d, const char *plugin_dir)
{
  g_autofree char *path = NULL;

  if (d->settings->model[0] != '\0')
    path = models_resolve (d->settings->model, plugin_dir, NULL);
  if (path == NULL || !select_model_file (d, path, NULL))
    gtk_combo_box_set_active (GTK_COMBO_BOX (d->model_combo), 0);
}

static void
build_dialog (Dialog *d, const char *plugin_dir)
{
  GtkWidget *vbox, *table;
  int row = 0;

  d->dialog = gimp_dialog_new (_("Style Transfer"), VKSTYLE_ROLE, NULL, 0,
                               /* no help pages are installed: no Help button leading nowhere */
                               NULL, NULL, _("_Cancel"), GTK_RESPONSE_CANCEL, _("_Apply"),
                               GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (d->dialog), GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  d->apply_button = gtk_dialog_get_widget_for_response (GTK_DIALOG (d->dialog), GTK_RESPONSE_OK);
  gtk_dialog_set_default_response (GTK_DIALOG (d->dialog), GTK_RESPONSE_OK);
  gimp_window_set_transient (GTK_WINDOW (d->dialog));

  vbox = gtk_vbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (d->dialog))), vbox,
                      TRUE, TRUE, 0);

  table = gtk_table_new (9, 3, FALSE);
  d->controls = table;
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  build_style_row (d, GTK_TABLE (table), row);
  row += 2;

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
  build_device_row (d, GTK_TABLE (table), row++);

  d->preview_toggle = gtk_check_button_new_with_mnemonic (_("_Preview on canvas"));
  gimp_help_set_help_data (d->preview_toggle,
                           _("Show the result in a temporary layer above the layer; it is "
                             "removed when you cancel"), NULL);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->preview_toggle), d->settings->preview);
  gtk_table_attach (GTK_TABLE (table), d->preview_toggle, 0, 3, row, row + 1, GTK_FILL, GTK_FILL,
                    0, 0);
  row++;

  gtk_box_pack_start (GTK_BOX (vbox), build_message_box (d), FALSE, FALSE, 0);
  d->progress_bar = gtk_progress_bar_new ();
  gtk_box_pack_start (GTK_BOX (vbox), d->progress_bar, FALSE, FALSE, 0);

  fill_models (d, plugin_dir);
  select_initial_model (d, plugin_dir);
  update_description (d);
  update_size_label (d);
  update_sensitivity (d);

  g_signal_connect (d->model_combo, "changed", G_CALLBACK (on_model_changed), d);
  g_signal_connect (d->strength_adj, "value-changed", G_CALLBACK (on_setting_changed), d);
  g_signal_connect (d->scale_adj, "value-changed", G_CALLBACK (on_scale_changed), d);
  g_signal_connect (d->device_combo, "changed", G_CALLBACK (on_setting_changed), d);
  g_signal_connect (d->preview_toggle, "toggled", G_CALLBACK (on_preview_toggled), d);
  g_signal_connect (d->dialog, "response", G_CALLBACK (on_response), d);
  g_signal_connect (d->dialog, "delete-event", G_CALLBACK (on_delete), d);
}

gboolean
vkstyle_dialog_run (const RenderRegion *region, Stylizer *stylizer, const char *plugin_dir,
                    VkstyleSettings *settings)
{
  Dialog d = { 0 };

  d.region = region;
  d.stylizer = stylizer;
  d.settings = settings;
  d.loop = g_main_loop_new (NULL, FALSE);
  preview_layer_init (&d.preview, region->image);

  gimp_ui_init (VKSTYLE_BINARY, FALSE);
  build_dialog (&d, plugin_dir);
  gtk_widget_show_all (d.dialog);
  if (settings->preview)
    next_step (&d);

  g_main_loop_run (d.loop);

  g_clear_handle_id (&d.preview_timeout, g_source_remove);
  gtk_widget_destroy (d.dialog);
  g_object_unref (d.models);
  g_strfreev (d.device_selectors);
  job_request_clear (&d.job_request);
  job_request_clear (&d.cached_request);
  job_request_clear (&d.failed_request);
  g_free (d.cached_styled);
  g_free (d.cached_name);
  g_main_loop_unref (d.loop);
  return d.applied;
}
