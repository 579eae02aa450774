/* GIMP 2.10: Diffusion Variation's rows of the dialog (dialog-frame.h): strength (how much
 * noise), DDIM steps, the seed with its dice, one slider per class of the model, new layer. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/diffusion-settings.h"
#include "plug-in/gimp2/dialog-frame.h"
#include "plug-in/gimp2/dialog.h"
#include "plug-in/gtk/class-sliders.h"
#include "plug-in/gtk/texture-controls.h"

typedef struct {
  VariationSettings *settings;
  DialogFrame *frame;
  GtkObject *strength_adj, *steps_adj;
  SeedRow seed;
  ClassSliders *classes;
  GtkWidget *new_layer_check;
} VariationRows;

static void
on_changed (gpointer unused, VariationRows *v)
{
  (void) unused;
  dialog_frame_changed (v->frame);
}

static void
on_classes_changed (VariationRows *v)
{
  dialog_frame_changed (v->frame);
}

static int
build_rows (gpointer filter, DialogFrame *frame, GtkTable *table, int row)
{
  VariationRows *v = filter;

  v->frame = frame;
  v->strength_adj = gimp_scale_entry_new (table, 0, row++, _("S_trength:"), 200, 6,
                                          v->settings->strength, 0.0, 1.0, 0.01, 0.1, 2, TRUE,
                                          0, 0, _("How much noise: 0 keeps the pixels, 1 draws "
                                                  "them anew"), NULL);
  v->steps_adj = gimp_scale_entry_new (table, 0, row++, _("St_eps:"), 200, 6,
                                       v->settings->steps, 1, 100, 1, 10, 0, FALSE, 1,
                                       DIFFUSION_STEPS_MAX,
                                       _("DDIM denoising steps: more are slower and finer"),
                                       NULL);
  seed_row_init (&v->seed, v->settings->seed);
  gtk_widget_set_tooltip_text (v->seed.spin, _("The same seed gives the same variation"));
  gtk_widget_set_tooltip_text (v->seed.dice, _("Roll the dice: a random seed, another variation"));
  gtk_table_attach (table, dialog_left_label (_("_Seed:"), v->seed.spin), 0, 1, row, row + 1,
                    GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, v->seed.box, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0,
                    0);
  row++;
  v->classes = class_sliders_new (G_CALLBACK (on_classes_changed), v);
  gtk_table_attach (table, dialog_left_label (_("Classes:"), NULL), 0, 1, row, row + 1,
                    GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, class_sliders_widget (v->classes), 1, 3, row, row + 1,
                    GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
  row++;
  v->new_layer_check = gtk_check_button_new_with_mnemonic (_("New _layer"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (v->new_layer_check), v->settings->new_layer);
  gimp_help_set_help_data (v->new_layer_check,
                           _("Put the result on a new layer above, named after the model"),
                           NULL);
  gtk_table_attach (table, v->new_layer_check, 0, 3, row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
  row++;

  g_signal_connect (v->strength_adj, "value-changed", G_CALLBACK (on_changed), v);
  g_signal_connect (v->steps_adj, "value-changed", G_CALLBACK (on_changed), v);
  g_signal_connect (v->seed.spin, "value-changed", G_CALLBACK (on_changed), v);
  return row;
}

/* The model's classes get their sliders, at the weights they had when it has the same ones. */
static void
model_changed (gpointer filter, DialogFrame *frame)
{
  VariationRows *v = filter;
  g_autoptr (ModelInfo) info = dialog_frame_model_info (frame);
  g_autofree char *shown = class_sliders_context (v->classes);

  class_sliders_set_model (v->classes, info ? &info->unet : NULL,
                           shown[0] ? shown : v->settings->context);
}

static double
selected_strength (VariationRows *v)
{
  /* two decimals, as shown */
  return gtk_adjustment_get_value (GTK_ADJUSTMENT (v->strength_adj));
}

static void
fill_request (gpointer filter, JobRequest *request)
{
  VariationRows *v = filter;
  g_autofree char *context = class_sliders_context (v->classes);

  request->seed = seed_row_get (&v->seed);
  request->diffusion.strength = selected_strength (v);
  request->diffusion.steps = (int) gtk_adjustment_get_value (GTK_ADJUSTMENT (v->steps_adj));
  g_strlcpy (request->diffusion.context, context, sizeof request->diffusion.context);
}

/* the variation replaces the region (through the selection) */
static double
full_strength (gpointer filter)
{
  (void) filter;
  return 100.0;
}

static gboolean
selected_new_layer (gpointer filter)
{
  VariationRows *v = filter;

  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (v->new_layer_check));
}

static void
store (gpointer filter, DialogFrame *frame)
{
  VariationRows *v = filter;
  g_autofree char *context = class_sliders_context (v->classes);

  dialog_frame_store (frame, v->settings->model, sizeof v->settings->model,
                      v->settings->device, sizeof v->settings->device, &v->settings->preview);
  g_strlcpy (v->settings->context, context, sizeof v->settings->context);
  v->settings->strength = selected_strength (v);
  v->settings->steps = (gint32) gtk_adjustment_get_value (GTK_ADJUSTMENT (v->steps_adj));
  v->settings->seed = seed_row_get (&v->seed);
  v->settings->new_layer = selected_new_layer (v);
}

static const DialogFilter variation_filter = {
  .kind = MODEL_KIND_DIFFUSION,
  .title = N_("Diffusion Variation"),
  .build_rows = build_rows,
  .model_changed = model_changed,
  .fill_request = fill_request,
  .strength = full_strength,
  .new_layer = selected_new_layer,
  .store = store,
};

gboolean
variation_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                      VariationSettings *settings)
{
  VariationRows rows = { .settings = settings };
  gboolean applied = dialog_frame_run (&variation_filter, &rows, target, stylizer, plugin_dir,
                                       settings->model, settings->device, settings->preview);

  class_sliders_free (rows.classes);
  return applied;
}
