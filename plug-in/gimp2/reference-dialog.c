/* GIMP 2.10: Style from Reference's rows of the dialog (dialog-frame.h): the target domain, the
 * style source (a layer of any open image, or random styles from a seed), variations, then
 * Style Transfer's strength, processing size and output (output-rows.c). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/gimp2/dialog.h"
#include "plug-in/gimp2/output-rows.h"
#include "plug-in/gtk/domain-list.h"
#include "plug-in/gtk/texture-controls.h"

typedef struct {
  ReferenceSettings *settings;
  DialogFrame *frame;
  GtkWidget *domain_combo;
  gboolean filling_domains;   /* the list is refilled for a new model: no change of ours */
  GtkWidget *layer_radio;
  GtkWidget *layer_combo;
  SeedRow seed;
  GtkObject *variations_adj;
  GtkWidget *variations_box;
  OutputRows output;
  /* the chosen layer's pixels, read when it is chosen, so that a preview re-run does not read
   * them again */
  gint32 reference_id;
  ReferenceImage *reference;
} ReferenceRows;

static gboolean
from_layer (ReferenceRows *r)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (r->layer_radio));
}

static int
selected_variations (ReferenceRows *r)
{
  return from_layer (r) ? 1 : (int) gtk_adjustment_get_value (GTK_ADJUSTMENT (r->variations_adj));
}

static gint32
selected_layer (ReferenceRows *r)
{
  gint32 id = -1;

  if (!gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (r->layer_combo), &id))
    return -1;
  return id;
}

/* Reads the chosen layer unless it is the one read last. */
static void
read_reference (ReferenceRows *r)
{
  gint32 id = selected_layer (r);
  g_autoptr (GError) error = NULL;

  if (id == r->reference_id && r->reference != NULL)
    return;
  g_clear_pointer (&r->reference, reference_image_free);
  r->reference_id = id;
  if (id < 0)
    return;
  r->reference = target_read_reference (id, &error);
  if (r->reference == NULL)
    g_message ("%s", error->message);
}

static void
update_sensitivity (ReferenceRows *r)
{
  gboolean layer = from_layer (r);

  gtk_widget_set_sensitive (r->layer_combo, layer);
  gtk_widget_set_sensitive (r->seed.box, !layer);
  gtk_widget_set_sensitive (r->variations_box, !layer);
  output_rows_force_new_layer (&r->output, selected_variations (r) > 1);
}

static void
on_source_changed (GtkWidget *widget, ReferenceRows *r)
{
  (void) widget;
  if (from_layer (r))
    read_reference (r);
  update_sensitivity (r);
  dialog_frame_changed (r->frame);
}

static void
on_setting_changed (GtkWidget *widget, ReferenceRows *r)
{
  (void) widget;
  update_sensitivity (r);
  dialog_frame_changed (r->frame);
}

static void
on_domain_changed (GtkComboBox *combo, ReferenceRows *r)
{
  (void) combo;
  if (!r->filling_domains)
    dialog_frame_changed (r->frame);
}

/* The layer a reference most likely is: the remembered one, else the active layer of another
 * open image, else the one being changed. */
static gint32
initial_layer (ReferenceRows *r)
{
  const Target *target = dialog_frame_target (r->frame);
  gint n_images = 0;
  g_autofree gint32 *images = gimp_image_list (&n_images);

  if (r->settings->reference >= 0)
    return r->settings->reference;
  for (int i = 0; i < n_images; i++)
    if (images[i] != target->image && gimp_image_get_active_layer (images[i]) >= 0)
      return gimp_image_get_active_layer (images[i]);
  return target->drawable;
}

static int
build_source_rows (ReferenceRows *r, GtkTable *table, int row)
{
  GtkWidget *random_radio;
  GtkWidget *spin;

  r->layer_radio = gtk_radio_button_new_with_mnemonic (NULL, _("From a la_yer:"));
  gimp_help_set_help_data (r->layer_radio,
                           _("Take the style of a layer of any open image: the model's style "
                             "encoder reads it whole"), NULL);
  r->layer_combo = gimp_layer_combo_box_new (NULL, NULL);
  gtk_table_attach (table, r->layer_radio, 0, 1, row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, r->layer_combo, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL,
                    0, 0);
  row++;

  random_radio = gtk_radio_button_new_with_mnemonic_from_widget (GTK_RADIO_BUTTON (r->layer_radio),
                                                                 _("Rand_om, seed:"));
  gimp_help_set_help_data (random_radio,
                           _("Random styles of the domain: the same seed gives the same result "
                             "on every machine"), NULL);
  seed_row_init (&r->seed, r->settings->seed);
  gtk_table_attach (table, random_radio, 0, 1, row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, r->seed.box, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0,
                    0);
  row++;

  r->variations_adj = gtk_adjustment_new (r->settings->variations, 1, VKSTYLE_VARIATIONS_MAX, 1,
                                          4, 0);
  spin = gtk_spin_button_new (GTK_ADJUSTMENT (r->variations_adj), 1, 0);
  gimp_help_set_help_data (spin, _("How many random styles to make, each on a new layer (the "
                                   "preview shows the first)"), NULL);
  r->variations_box = gtk_hbox_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (r->variations_box),
                      dialog_left_label (_("_Variations:"), spin), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (r->variations_box), spin, FALSE, FALSE, 0);
  gtk_table_attach (table, r->variations_box, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
  row++;

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (r->settings->reference >= 0 ? r->layer_radio
                                                                                : random_radio),
                                TRUE);
  g_signal_connect (r->layer_radio, "toggled", G_CALLBACK (on_source_changed), r);
  g_signal_connect (r->seed.spin, "value-changed", G_CALLBACK (on_setting_changed), r);
  g_signal_connect (r->variations_adj, "value-changed", G_CALLBACK (on_setting_changed), r);
  return row;
}

static int
build_rows (gpointer filter, DialogFrame *frame, GtkTable *table, int row)
{
  ReferenceRows *r = filter;

  r->frame = frame;
  r->reference_id = -1;
  r->domain_combo = domain_list_new ();
  gimp_help_set_help_data (r->domain_combo, _("The kind of picture the result becomes: the "
                                              "model's domains"), NULL);
  gtk_table_attach (table, dialog_left_label (_("Doma_in:"), r->domain_combo), 0, 1, row,
                    row + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (table, r->domain_combo, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL,
                    0, 0);
  row++;
  g_signal_connect (r->domain_combo, "changed", G_CALLBACK (on_domain_changed), r);

  row = build_source_rows (r, table, row);
  row = output_rows_build (&r->output, frame, table, row, r->settings->strength,
                           r->settings->scale, r->settings->new_layer != 0);
  /* also reports the first choice, which reads its pixels and sets the sensitivity */
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (r->layer_combo), initial_layer (r),
                              G_CALLBACK (on_source_changed), r);
  update_sensitivity (r);
  return row;
}

/* A new model brings its domains; the one shown stays chosen when the new model has it. */
static void
model_changed (gpointer filter, DialogFrame *frame)
{
  ReferenceRows *r = filter;
  g_autoptr (ModelInfo) info = dialog_frame_model_info (frame);
  g_autofree char *shown = domain_list_get (r->domain_combo);

  r->filling_domains = TRUE;
  domain_list_set (r->domain_combo, info ? info->domains : NULL,
                   shown ? shown : r->settings->domain);
  r->filling_domains = FALSE;
}

static void
fill_request (gpointer filter, JobRequest *request)
{
  ReferenceRows *r = filter;

  request->scale = output_rows_scale (&r->output);
  request->domain = domain_list_get (r->domain_combo);
  request->variations = selected_variations (r);
  if (from_layer (r) && r->reference != NULL)
    {
      request->reference = g_bytes_ref (r->reference->rgb);
      request->reference_width = r->reference->width;
      request->reference_height = r->reference->height;
    }
  else
    /* a reference's style does not depend on the seed: no recomputing when it changes */
    request->seed = from_layer (r) ? 0 : seed_row_get (&r->seed);
}

static double
selected_strength (gpointer filter)
{
  return output_rows_strength (&((ReferenceRows *) filter)->output);
}

static gboolean
selected_new_layer (gpointer filter)
{
  return output_rows_new_layer (&((ReferenceRows *) filter)->output);
}

static void
store (gpointer filter, DialogFrame *frame)
{
  ReferenceRows *r = filter;
  g_autofree char *domain = domain_list_get (r->domain_combo);

  dialog_frame_store (frame, r->settings->model, sizeof r->settings->model,
                      r->settings->device, sizeof r->settings->device, &r->settings->preview);
  g_strlcpy (r->settings->domain, domain ? domain : "", sizeof r->settings->domain);
  r->settings->reference = from_layer (r) ? selected_layer (r) : -1;
  r->settings->seed = seed_row_get (&r->seed);
  r->settings->variations = selected_variations (r);
  r->settings->strength = output_rows_strength (&r->output);
  r->settings->scale = output_rows_scale (&r->output);
  r->settings->new_layer = output_rows_new_layer (&r->output);
}

static const DialogFilter reference_filter = {
  .kind = MODEL_KIND_REFERENCE,
  .title = N_("Style from Reference"),
  .build_rows = build_rows,
  .model_changed = model_changed,
  .fill_request = fill_request,
  .strength = selected_strength,
  .new_layer = selected_new_layer,
  .store = store,
};

gboolean
reference_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                      ReferenceSettings *settings)
{
  ReferenceRows rows = { .settings = settings };
  gboolean applied = dialog_frame_run (&reference_filter, &rows, target, stylizer, plugin_dir,
                                       settings->model, settings->device, settings->preview);

  reference_image_free (rows.reference);
  return applied;
}
