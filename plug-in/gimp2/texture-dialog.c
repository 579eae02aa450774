/* GIMP 2.10: Neural Texture's rows of the dialog (dialog-frame.h): the seed with its dice
 * button, the InfoGAN code sliders (none for a DCGAN), tileable. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/gimp2/dialog-frame.h"
#include "plug-in/gimp2/dialog.h"
#include "plug-in/gtk/texture-controls.h"

typedef struct {
  TextureSettings *settings;
  DialogFrame *frame;
  SeedRow seed;
  CodeSliders *codes;
  GtkWidget *tileable_check;
} TextureRows;

static gboolean
selected_tileable (TextureRows *t)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (t->tileable_check));
}

static void
on_setting_changed (GtkWidget *widget, TextureRows *t)
{
  (void) widget;
  dialog_frame_changed (t->frame);
}

static void
on_codes_changed (TextureRows *t)
{
  dialog_frame_changed (t->frame);
}

static int
build_rows (gpointer filter, DialogFrame *frame, GtkTable *table, int row)
{
  TextureRows *t = filter;

  t->frame = frame;
  seed_row_init (&t->seed, t->settings->seed);
  gtk_table_attach (table, dialog_left_label (_("_Seed:"), t->seed.spin), 0, 1, row, row + 1,
                    GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, t->seed.box, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0,
                    0);
  row++;
  t->codes = code_sliders_new (GTK_WIDGET (table), row, G_CALLBACK (on_codes_changed), t);
  row += CODE_SLIDERS_ROWS;
  t->tileable_check = gtk_check_button_new_with_mnemonic (_("T_ileable"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (t->tileable_check), t->settings->tileable);
  gimp_help_set_help_data (t->tileable_check,
                           _("Make the texture repeat seamlessly, as a pattern to tile"), NULL);
  gtk_table_attach (table, t->tileable_check, 0, 3, row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
  row++;

  g_signal_connect (t->seed.spin, "value-changed", G_CALLBACK (on_setting_changed), t);
  g_signal_connect (t->tileable_check, "toggled", G_CALLBACK (on_setting_changed), t);
  return row;
}

/* A texture model's codes get their sliders, at the values they had when the new model has the
 * same codes. */
static void
model_changed (gpointer filter, DialogFrame *frame)
{
  TextureRows *t = filter;
  g_autoptr (ModelInfo) info = dialog_frame_model_info (frame);
  g_autofree char *shown = code_sliders_codes (t->codes);

  /* the first model starts from the remembered codes */
  code_sliders_set_model (t->codes, info ? &info->gan : NULL,
                          shown[0] ? shown : t->settings->codes);
}

static void
fill_request (gpointer filter, JobRequest *request)
{
  TextureRows *t = filter;

  request->seed = seed_row_get (&t->seed);
  request->tileable = selected_tileable (t);
  request->codes = code_sliders_codes (t->codes);
}

/* a texture replaces what it is rendered into */
static double
full_strength (gpointer filter)
{
  (void) filter;
  return 100.0;
}

static gboolean
no_new_layer (gpointer filter)
{
  (void) filter;
  return FALSE;
}

static void
store (gpointer filter, DialogFrame *frame)
{
  TextureRows *t = filter;
  g_autofree char *codes = code_sliders_codes (t->codes);

  dialog_frame_store (frame, t->settings->model, sizeof t->settings->model,
                      t->settings->device, sizeof t->settings->device, &t->settings->preview);
  g_strlcpy (t->settings->codes, codes, sizeof t->settings->codes);
  t->settings->seed = seed_row_get (&t->seed);
  t->settings->tileable = selected_tileable (t);
}

static const DialogFilter texture_filter = {
  .kind = MODEL_KIND_TEXTURE,
  .title = N_("Neural Texture"),
  .build_rows = build_rows,
  .model_changed = model_changed,
  .fill_request = fill_request,
  .strength = full_strength,
  .new_layer = no_new_layer,
  .store = store,
};

gboolean
texture_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                    TextureSettings *settings)
{
  TextureRows rows = { .settings = settings };
  gboolean applied = dialog_frame_run (&texture_filter, &rows, target, stylizer, plugin_dir,
                                       settings->model, settings->device, settings->preview);

  code_sliders_free (rows.codes);
  return applied;
}
