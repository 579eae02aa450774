#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/choices.h"
#include "plug-in/diffusion-job.h"
#include "plug-in/gtk/class-sliders.h"
#include "plug-in/gtk/status.h"
#include "plug-in/gtk/style-list.h"
#include "plug-in/gtk/texture-controls.h"
#include "plug-in/models.h"
#include "plug-in/sprite-sheet.h"
#include "plug-in/gtk/sprites-dialog.h"

#if GTK_CHECK_VERSION (3, 0, 0)
#define new_hbox(spacing) gtk_box_new (GTK_ORIENTATION_HORIZONTAL, spacing)
#define new_vbox(spacing) gtk_box_new (GTK_ORIENTATION_VERTICAL, spacing)
#define align_left(label) gtk_label_set_xalign (GTK_LABEL (label), 0.0)
#define new_table(rows) gtk_grid_new ()
#else
#define new_hbox(spacing) gtk_hbox_new (FALSE, spacing)
#define new_vbox(spacing) gtk_vbox_new (FALSE, spacing)
#define align_left(label) gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5)
#define new_table(rows) gtk_table_new (rows, 2, FALSE)
#endif

typedef struct {
  const SpritesDialogHost *host;
  Stylizer *stylizer;
  SpritesSettings *settings;
  GtkWidget *dialog, *table;
  int row;
  StyleList *styles;
  GtkWidget *description_label, *size_label;
  ClassSliders *classes;
  SeedRow seed;
  GtkWidget *sampler_combo, *steps_spin, *count_spin, *upscale_spin, *guidance_spin;
  GtkWidget *device_combo;
  DeviceChoices *devices;
  StatusWidgets status;
  GTask *task;             /* the running Generate, NULL when idle */
  gboolean made, closing;
  GMainLoop *loop;
} SpritesDialog;

/* ---- building ------------------------------------------------------------------------------ */

static void
attach (SpritesDialog *d, const char *label_text, GtkWidget *widget)
{
  GtkWidget *label = label_text ? gtk_label_new_with_mnemonic (label_text) : NULL;

  if (label != NULL)
    {
      align_left (label);
      gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
    }
#if GTK_CHECK_VERSION (3, 0, 0)
  gtk_widget_set_hexpand (widget, TRUE);
  if (label != NULL)
    gtk_grid_attach (GTK_GRID (d->table), label, 0, d->row, 1, 1);
  gtk_grid_attach (GTK_GRID (d->table), widget, 1, d->row, 1, 1);
#else
  if (label != NULL)
    gtk_table_attach (GTK_TABLE (d->table), label, 0, 1, d->row, d->row + 1, GTK_FILL, GTK_FILL,
                      0, 0);
  gtk_table_attach (GTK_TABLE (d->table), widget, 1, 2, d->row, d->row + 1,
                    GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
#endif
  d->row++;
}

static GtkWidget *
hint_label (void)
{
  GtkWidget *label = gtk_label_new ("");
  PangoAttrList *attrs = pango_attr_list_new ();

  align_left (label);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_size_request (label, 360, -1);
  pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
  pango_attr_list_insert (attrs, pango_attr_style_new (PANGO_STYLE_ITALIC));
  gtk_label_set_attributes (GTK_LABEL (label), attrs);
  pango_attr_list_unref (attrs);
  return label;
}

static GtkWidget *
spin (double value, double min, double max, double step, int digits, const char *tip)
{
  GtkWidget *widget = gtk_spin_button_new_with_range (min, max, step);

  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (widget), digits);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget), value);
  gtk_widget_set_tooltip_text (widget, tip);
  return widget;
}

static int
spin_int (GtkWidget *widget)
{
  return gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (widget));
}

static const char *
selected_device (SpritesDialog *d)
{
  int active = gtk_combo_box_get_active (GTK_COMBO_BOX (d->device_combo));

  if (active < 0 || (guint) active >= g_strv_length (d->devices->selectors))
    return "";
  return d->devices->selectors[active];
}

static SpritesSampler
selected_sampler (SpritesDialog *d)
{
  return gtk_combo_box_get_active (GTK_COMBO_BOX (d->sampler_combo)) == 1 ? SPRITES_SAMPLER_DDPM
                                                                          : SPRITES_SAMPLER_DDIM;
}

/* What the widgets say, as the PDB's arguments would. */
static void
read_settings (SpritesDialog *d, SpritesSettings *out)
{
  g_autofree char *path = style_list_path (d->styles);
  g_autofree char *context = class_sliders_context (d->classes);

  *out = *d->settings;
  g_strlcpy (out->model, path ? path : "", sizeof out->model);
  g_strlcpy (out->context, context, sizeof out->context);
  g_strlcpy (out->device, selected_device (d), sizeof out->device);
  out->seed = seed_row_get (&d->seed);
  out->sampler = selected_sampler (d);
  out->steps = spin_int (d->steps_spin);
  out->count = spin_int (d->count_spin);
  out->upscale = spin_int (d->upscale_spin);
  out->guidance = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->guidance_spin));
}

/* "16 sprites of 64 × 64 px, in a 4 × 4 grid (256 × 256 px)." */
static void
update_size_note (SpritesDialog *d)
{
  g_autoptr (ModelInfo) info = style_list_info (d->styles);
  int count = spin_int (d->count_spin), upscale = spin_int (d->upscale_spin), columns, rows;
  int cell;
  g_autofree char *text = NULL;

  if (info == NULL || info->kind != MODEL_KIND_DIFFUSION)
    {
      gtk_label_set_text (GTK_LABEL (d->size_label), "");
      return;
    }
  cell = info->unet.height * upscale;
  sprite_sheet_grid (count, &columns, &rows);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%d sprite of %d × %d px, in a %d × %d grid "
                                       "(%d × %d px).",
                                       "%d sprites of %d × %d px, in a %d × %d grid "
                                       "(%d × %d px).", count),
                          count, cell, cell, columns, rows, columns * cell, rows * cell);
  gtk_label_set_text (GTK_LABEL (d->size_label), text);
}

static void
on_sampler_changed (GtkComboBox *combo, SpritesDialog *d)
{
  (void) combo;
  /* DDPM takes every timestep of the model */
  gtk_widget_set_sensitive (d->steps_spin, selected_sampler (d) == SPRITES_SAMPLER_DDIM);
}

static void
on_size_changed (GtkWidget *widget, SpritesDialog *d)
{
  (void) widget;
  update_size_note (d);
}

static void
on_model_changed (GtkComboBox *combo, SpritesDialog *d)
{
  g_autoptr (ModelInfo) info = style_list_info (d->styles);
  g_autofree char *shown = class_sliders_context (d->classes);

  (void) combo;
  style_list_describe (d->styles, GTK_LABEL (d->description_label));
  /* the first model starts from the remembered mix, a later one from what the sliders show */
  class_sliders_set_model (d->classes, info ? &info->unet : NULL,
                           combo != NULL && shown[0] ? shown : d->settings->context);
  update_size_note (d);
  status_show_state (&d->status, FALSE, FALSE, info != NULL);
}

static void
on_choose_file (GtkButton *button, SpritesDialog *d)
{
  g_autoptr (GError) error = NULL;

  (void) button;
  if (!style_list_choose_file (d->styles, GTK_WINDOW (d->dialog), &error))
    {
      g_autofree char *message = stylizer_describe_error_for (error, MODEL_KIND_DIFFUSION);

      status_show_message (&d->status, message);
    }
}

static void
build_model_rows (SpritesDialog *d)
{
  GtkWidget *box = new_hbox (6);
  GtkWidget *button = gtk_button_new_with_mnemonic (_("Choose _File…"));
  const ModelKindTexts *texts = model_kind_texts (MODEL_KIND_DIFFUSION);
  GtkWidget *combo;

  d->styles = style_list_new (MODEL_KIND_DIFFUSION, d->host->profile_dir, d->host->plugin_dir);
  combo = style_list_combo (d->styles);
  gtk_box_pack_start (GTK_BOX (box), combo, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (box), button, FALSE, FALSE, 0);
  gtk_widget_set_tooltip_text (button, _(texts->file_tip));
  g_signal_connect (button, "clicked", G_CALLBACK (on_choose_file), d);
  attach (d, _(texts->model_label), box);
  d->description_label = hint_label ();
  attach (d, NULL, d->description_label);
}

static void
build_rows (SpritesDialog *d)
{
  const SpritesSettings *s = d->settings;

  build_model_rows (d);
  /* no callback: nothing is computed before Generate */
  d->classes = class_sliders_new (NULL, NULL);
  attach (d, _("Classes:"), class_sliders_widget (d->classes));

  seed_row_init (&d->seed, s->seed);
  gtk_widget_set_tooltip_text (d->seed.spin, _("Sprite i depends only on the seed and i"));
  gtk_widget_set_tooltip_text (d->seed.dice, _("Roll the dice: a random seed, other sprites"));
  attach (d, _("_Seed:"), d->seed.box);

  d->sampler_combo = gtk_combo_box_text_new ();
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->sampler_combo),
                                  _("DDIM (deterministic, the steps below)"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->sampler_combo),
                                  _("DDPM (every timestep, slower)"));
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->sampler_combo),
                            s->sampler == SPRITES_SAMPLER_DDPM ? 1 : 0);
  attach (d, _("Sa_mpler:"), d->sampler_combo);
  d->steps_spin = spin (s->steps, 1, DIFFUSION_STEPS_MAX, 1, 0,
                        _("DDIM denoising steps: more are slower and finer"));
  attach (d, _("S_teps:"), d->steps_spin);
  d->count_spin = spin (s->count, 1, SPRITES_COUNT_MAX, 1, 0,
                        _("How many sprites: one layer each, in a grid"));
  attach (d, _("C_ount:"), d->count_spin);
  d->upscale_spin = spin (s->upscale, 1, SPRITES_UPSCALE_MAX, 1, 0,
                          _("Enlarge each sprite this many times, nearest neighbour: pixel art "
                            "stays sharp"));
  attach (d, _("_Upscale:"), d->upscale_spin);
  d->guidance_spin = spin (s->guidance, 0.0, DIFFUSION_GUIDANCE_MAX, 0.5, 1,
                           _("Classifier-free guidance: above 0 the class mix weighs more "
                             "(each step costs twice as much); 0 is off"));
  attach (d, _("_Guidance:"), d->guidance_spin);
  d->size_label = hint_label ();
  attach (d, NULL, d->size_label);

  d->device_combo = gtk_combo_box_text_new ();
  d->devices = device_choices_new (s->device);
  for (int i = 0; d->devices->labels[i]; i++)
    gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->device_combo),
                                    d->devices->labels[i]);
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->device_combo), d->devices->active);
  gtk_widget_set_tooltip_text (d->device_combo,
                               _(model_kind_texts (MODEL_KIND_DIFFUSION)->device_tip));
  attach (d, _("_Device:"), d->device_combo);

  style_list_select (d->styles, s->model);
  on_model_changed (NULL, d);
  on_sampler_changed (NULL, d);
  g_signal_connect (style_list_combo (d->styles), "changed", G_CALLBACK (on_model_changed), d);
  g_signal_connect (d->sampler_combo, "changed", G_CALLBACK (on_sampler_changed), d);
  g_signal_connect (d->count_spin, "value-changed", G_CALLBACK (on_size_changed), d);
  g_signal_connect (d->upscale_spin, "value-changed", G_CALLBACK (on_size_changed), d);
}

static GtkWidget *
build_message_box (SpritesDialog *d)
{
  GtkWidget *label = gtk_label_new ("");

  align_left (label);
  gtk_widget_set_size_request (label, 380, -1);
  return status_message_box_init (&d->status, new_hbox (12), NULL, label);
}

/* ---- Generate, Cancel ------------------------------------------------------------------------ */

static void
on_progress (double fraction, const char *message, gpointer user_data)
{
  SpritesDialog *d = user_data;
  g_autofree char *text = stylizer_translate_progress (message);

  status_show_progress (&d->status, fraction, text);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SpritesDialog *d = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) done = job_finish (G_TASK (result), &error);
  g_autoptr (GTask) task = g_steal_pointer (&d->task);
  SpritesSettings chosen;
  g_autoptr (ModelInfo) info = style_list_info (d->styles);

  (void) source;
  status_show_state (&d->status, FALSE, FALSE, info != NULL);
  if (d->closing)
    {
      g_main_loop_quit (d->loop);
      return;
    }
  read_settings (d, &chosen);
  if (done != NULL && info != NULL
      && d->host->make_image (done->styled, done->n_results, info->unet.height, &chosen,
                              done->style_name, d->host->user_data, &error))
    {
      *d->settings = chosen;
      d->made = TRUE;
      gtk_widget_hide (d->dialog);
      g_main_loop_quit (d->loop);
      return;
    }
  if (error != NULL)
    {
      g_autofree char *message = stylizer_describe_error_for (error, MODEL_KIND_DIFFUSION);

      /* NULL: cancelled, back to the dialog with nothing to say */
      status_show_message (&d->status, message);
    }
}

static void
generate (SpritesDialog *d)
{
  SpritesSettings chosen;
  JobRequest request = { 0 };
  g_autoptr (GError) error = NULL;

  status_show_message (&d->status, NULL);
  read_settings (d, &chosen);
  if (!job_request_from_sprites_settings (&request, &chosen, d->host->profile_dir,
                                          d->host->plugin_dir, &error))
    {
      g_autofree char *message = stylizer_describe_error_for (error, MODEL_KIND_DIFFUSION);

      status_show_message (&d->status, message);
      return;
    }
  status_show_state (&d->status, TRUE, TRUE, TRUE);
  d->task = job_start (d->stylizer, NULL, &request, on_progress, on_done, d);
  job_request_clear (&request);
}

static void
cancel_or_close (SpritesDialog *d, gboolean close)
{
  if (d->task != NULL)
    {
      /* the worker finishes its step; on_done follows and, when closing, ends the loop */
      g_cancellable_cancel (g_task_get_cancellable (d->task));
      status_show_progress (&d->status, -1.0, _("Cancelling…"));
      d->closing = d->closing || close;
      return;
    }
  gtk_widget_hide (d->dialog);
  g_main_loop_quit (d->loop);
}

static void
on_response (GtkDialog *dialog, int response, SpritesDialog *d)
{
  (void) dialog;
  if (response == GTK_RESPONSE_OK && d->task == NULL)
    generate (d);
  else if (response == GTK_RESPONSE_CANCEL)
    cancel_or_close (d, FALSE);
  else if (response == GTK_RESPONSE_DELETE_EVENT)
    cancel_or_close (d, TRUE);
}

static gboolean
on_delete (GtkWidget *widget, GdkEvent *event, SpritesDialog *d)
{
  (void) widget;
  (void) event;
  cancel_or_close (d, TRUE);
  return TRUE;
}

gboolean
sprites_dialog_show (const SpritesDialogHost *host, Stylizer *stylizer,
                     SpritesSettings *settings)
{
  SpritesDialog d = { .host = host, .stylizer = stylizer, .settings = settings };
  GtkWidget *vbox;

  d.loop = g_main_loop_new (NULL, FALSE);
  d.dialog = gtk_dialog_new_with_buttons (_("Diffusion Sprites"), NULL, 0, _("_Cancel"),
                                          GTK_RESPONSE_CANCEL, _("_Generate"), GTK_RESPONSE_OK,
                                          NULL);
  gtk_window_set_role (GTK_WINDOW (d.dialog), VKSTYLE_ROLE);
  gtk_dialog_set_default_response (GTK_DIALOG (d.dialog), GTK_RESPONSE_OK);
  if (host->set_transient != NULL)
    host->set_transient (GTK_WINDOW (d.dialog));
  d.status.apply_button = gtk_dialog_get_widget_for_response (GTK_DIALOG (d.dialog),
                                                              GTK_RESPONSE_OK);
  vbox = new_vbox (12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (d.dialog))), vbox, TRUE,
                      TRUE, 0);
  d.table = new_table (12);
#if GTK_CHECK_VERSION (3, 0, 0)
  gtk_grid_set_column_spacing (GTK_GRID (d.table), 6);
  gtk_grid_set_row_spacing (GTK_GRID (d.table), 6);
#else
  gtk_table_set_col_spacings (GTK_TABLE (d.table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (d.table), 6);
#endif
  d.status.controls = d.table;
  gtk_box_pack_start (GTK_BOX (vbox), d.table, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), build_message_box (&d), FALSE, FALSE, 0);
  d.status.progress_bar = gtk_progress_bar_new ();
#if GTK_CHECK_VERSION (3, 0, 0)
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (d.status.progress_bar), TRUE);
#endif
  gtk_box_pack_start (GTK_BOX (vbox), d.status.progress_bar, FALSE, FALSE, 0);
  build_rows (&d);

  g_signal_connect (d.dialog, "response", G_CALLBACK (on_response), &d);
  g_signal_connect (d.dialog, "delete-event", G_CALLBACK (on_delete), &d);
  gtk_widget_show_all (d.dialog);
  {
    g_autoptr (ModelInfo) info = style_list_info (d.styles);

    status_show_state (&d.status, FALSE, FALSE, info != NULL);
  }
  g_main_loop_run (d.loop);

  gtk_widget_destroy (d.dialog);
  class_sliders_free (d.classes);
  style_list_free (d.styles);
  device_choices_free (d.devices);
  g_main_loop_unref (d.loop);
  return d.made;
}
