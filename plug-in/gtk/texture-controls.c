#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "plug-in/codes.h"
#include "plug-in/gtk/texture-controls.h"
#include "plug-in/settings.h"

/* The few calls where GTK 2 and 3 differ. */
#if GTK_CHECK_VERSION (3, 0, 0)
#define new_hbox(spacing) gtk_box_new (GTK_ORIENTATION_HORIZONTAL, spacing)
#define new_vbox(spacing) gtk_box_new (GTK_ORIENTATION_VERTICAL, spacing)
#define new_hscale(adj) gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, adj)
#define align_left(label) gtk_label_set_xalign (GTK_LABEL (label), 0.0)
#else
#define new_hbox(spacing) gtk_hbox_new (FALSE, spacing)
#define new_vbox(spacing) gtk_vbox_new (FALSE, spacing)
#define new_hscale(adj) gtk_hscale_new (adj)
#define align_left(label) gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5)
#endif

/* ---- the seed ---------------------------------------------------------------------------- */

static void
on_dice (GtkButton *button, SeedRow *row)
{
  (void) button;
  seed_row_set (row, g_random_int_range (0, VKSTYLE_TEXTURE_SEED_MAX));
}

void
seed_row_init (SeedRow *row, gint32 seed)
{
  row->box = new_hbox (6);
  row->spin = gtk_spin_button_new_with_range (0, VKSTYLE_TEXTURE_SEED_MAX, 1);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (row->spin), 0);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (row->spin), seed);
  gtk_widget_set_tooltip_text (row->spin, _("The same seed gives the same texture"));
  /* GIMP's own filters call it so (its random seed widget) */
  row->dice = gtk_button_new_with_mnemonic (_("_New Seed"));
  gtk_widget_set_tooltip_text (row->dice, _("Roll the dice: a random seed, another texture"));
  g_signal_connect (row->dice, "clicked", G_CALLBACK (on_dice), row);
  gtk_box_pack_start (GTK_BOX (row->box), row->spin, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (row->box), row->dice, FALSE, FALSE, 0);
}

gint32
seed_row_get (const SeedRow *row)
{
  return gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (row->spin));
}

void
seed_row_set (const SeedRow *row, gint32 seed)
{
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (row->spin), seed);
}

/* ---- the codes ----------------------------------------------------------------------------- */

struct CodeSliders {
  GtkWidget *box;
  VksGanConfig cfg;
  gboolean have_model;
  GtkAdjustment *category;                     /* NULL without a categorical code */
  GtkAdjustment *continuous[VKS_GAN_MAX_CODES];
  GCallback changed;
  gpointer user_data;
  gboolean building;                           /* set_model's own changes are no user's */
};

CodeSliders *
code_sliders_new (GCallback changed, gpointer user_data)
{
  CodeSliders *sliders = g_new0 (CodeSliders, 1);

  sliders->box = g_object_ref_sink (new_vbox (6));
  sliders->changed = changed;
  sliders->user_data = user_data;
  gtk_widget_set_no_show_all (sliders->box, TRUE);
  return sliders;
}

void
code_sliders_free (CodeSliders *sliders)
{
  if (sliders == NULL)
    return;
  g_object_unref (sliders->box);
  g_free (sliders);
}

GtkWidget *
code_sliders_widget (CodeSliders *sliders)
{
  return sliders->box;
}

static void
on_slider_changed (GtkAdjustment *adj, CodeSliders *sliders)
{
  (void) adj;
  if (!sliders->building && sliders->changed != NULL)
    ((void (*) (gpointer)) sliders->changed) (sliders->user_data);
}

/* One row: "name:" and a slider with its value. */
static GtkAdjustment *
add_slider (CodeSliders *sliders, const char *name, double value, double lower, double upper,
            double step, int digits)
{
  GtkWidget *row = new_hbox (6);
  g_autofree char *text = g_strdup_printf ("%s:", name);
  GtkWidget *label = gtk_label_new (text);
  GtkAdjustment *adj = GTK_ADJUSTMENT (gtk_adjustment_new (value, lower, upper, step, step * 10,
                                                           0));
  GtkWidget *scale = new_hscale (adj);

  align_left (label);
  gtk_widget_set_size_request (label, 100, -1);
  gtk_scale_set_digits (GTK_SCALE (scale), digits);
  gtk_scale_set_value_pos (GTK_SCALE (scale), GTK_POS_RIGHT);
  gtk_box_pack_start (GTK_BOX (row), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), scale, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (sliders->box), row, FALSE, FALSE, 0);
  gtk_widget_show_all (row);
  g_signal_connect (adj, "value-changed", G_CALLBACK (on_slider_changed), sliders);
  return adj;
}

static void
destroy_row (GtkWidget *row, gpointer unused)
{
  (void) unused;
  gtk_widget_destroy (row);
}

void
code_sliders_set_model (CodeSliders *sliders, const VksGanConfig *cfg, const char *codes)
{
  VksGanCodes values;

  sliders->building = TRUE;
  gtk_container_foreach (GTK_CONTAINER (sliders->box), destroy_row, NULL);
  sliders->category = NULL;
  memset (sliders->continuous, 0, sizeof sliders->continuous);
  sliders->have_model = cfg != NULL && cfg->n_categories + cfg->n_continuous > 0;
  if (!sliders->have_model)
    {
      gtk_widget_hide (sliders->box);
      sliders->building = FALSE;
      return;
    }
  sliders->cfg = *cfg;
  if (!texture_codes_parse (cfg, codes, &values, NULL))
    memset (&values, 0, sizeof values);
  if (cfg->n_categories > 0)
    {
      g_autofree char *name = texture_code_name (cfg, -1);

      sliders->category = add_slider (sliders, name, values.category, 0, cfg->n_categories - 1,
                                      1, 0);
    }
  for (int i = 0; i < cfg->n_continuous; i++)
    {
      g_autofree char *name = texture_code_name (cfg, i);

      sliders->continuous[i] = add_slider (sliders, name, values.continuous[i],
                                           -TEXTURE_CODE_LIMIT, TEXTURE_CODE_LIMIT, 0.01, 2);
    }
  gtk_widget_show (sliders->box);
  sliders->building = FALSE;
}

char *
code_sliders_codes (CodeSliders *sliders)
{
  VksGanCodes values = { 0 };

  if (!sliders->have_model)
    return g_strdup ("");
  if (sliders->category != NULL)
    values.category = (int) (gtk_adjustment_get_value (sliders->category) + 0.5);
  /* two decimals, as the slider shows: the text (and the cached result) stays the same for a
   * value that looks the same */
  for (int i = 0; i < sliders->cfg.n_continuous; i++)
    values.continuous[i] = round (gtk_adjustment_get_value (sliders->continuous[i]) * 100.0)
                           / 100.0;
  return texture_codes_format (&sliders->cfg, &values);
}
