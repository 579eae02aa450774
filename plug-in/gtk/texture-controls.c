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
#define new_hscale(adj) gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, adj)
#define align_left(label) gtk_label_set_xalign (GTK_LABEL (label), 0.0)
#else
#define new_hbox(spacing) gtk_hbox_new (FALSE, spacing)
#define new_hscale(adj) gtk_hscale_new (adj)
#define align_left(label) gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5)
#endif

/* ---- the seed ---------------------------------------------------------------------------- */

static void
on_dice (GtkButton *button, SeedRow *row)
{
  (void) button;
  seed_row_set (row, g_random_int_range (0, VKSTYLE_SEED_MAX));
}

void
seed_row_init (SeedRow *row, gint32 seed)
{
  row->box = new_hbox (6);
  row->spin = gtk_spin_button_new_with_range (0, VKSTYLE_SEED_MAX, 1);
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
  GtkWidget *table;                            /* the dialog's GtkTable (GTK 2) or GtkGrid */
  int first_row;
  GtkWidget *rows[CODE_SLIDERS_ROWS][2];       /* label and slider of each code in use */
  int n_rows;
  VksGanConfig cfg;
  gboolean have_model;
  GtkAdjustment *category;                     /* NULL without a categorical code */
  GtkAdjustment *continuous[VKS_GAN_MAX_CODES];
  GCallback changed;
  gpointer user_data;
  gboolean building;                           /* set_model's own changes are no user's */
};

CodeSliders *
code_sliders_new (GtkWidget *table, int first_row, GCallback changed, gpointer user_data)
{
  CodeSliders *sliders = g_new0 (CodeSliders, 1);

  sliders->table = table;
  sliders->first_row = first_row;
  sliders->changed = changed;
  sliders->user_data = user_data;
  return sliders;
}

/* The widgets belong to the table, which the dialog destroys. */
void
code_sliders_free (CodeSliders *sliders)
{
  g_free (sliders);
}

static void
on_slider_changed (GtkAdjustment *adj, CodeSliders *sliders)
{
  (void) adj;
  if (!sliders->building && sliders->changed != NULL)
    ((void (*) (gpointer)) sliders->changed) (sliders->user_data);
}

/* The label in the table's label column, the slider across the control columns. */
static void
attach_row (CodeSliders *sliders, GtkWidget *label, GtkWidget *scale)
{
  int row = sliders->first_row + sliders->n_rows;

#if GTK_CHECK_VERSION (3, 0, 0)
  gtk_widget_set_hexpand (scale, TRUE);
  gtk_grid_attach (GTK_GRID (sliders->table), label, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (sliders->table), scale, 1, row, 2, 1);
#else
  gtk_table_attach (GTK_TABLE (sliders->table), label, 0, 1, row, row + 1, GTK_FILL, GTK_FILL,
                    0, 0);
  gtk_table_attach (GTK_TABLE (sliders->table), scale, 1, 3, row, row + 1, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
#endif
  sliders->rows[sliders->n_rows][0] = label;
  sliders->rows[sliders->n_rows][1] = scale;
  sliders->n_rows++;
}

/* GTK 2's table keeps the spacing below a row that has no widgets (GTK 3's grid skips empty
 * rows): the reserved rows not in use get none. */
static void
space_rows (CodeSliders *sliders)
{
#if !GTK_CHECK_VERSION (3, 0, 0)
  GtkTable *table = GTK_TABLE (sliders->table);
  guint spacing = gtk_table_get_default_row_spacing (table);

  for (int i = 0; i < CODE_SLIDERS_ROWS; i++)
    gtk_table_set_row_spacing (table, sliders->first_row + i, i < sliders->n_rows ? spacing : 0);
#else
  (void) sliders;
#endif
}

/* One row: "name:" and a slider with its value. */
static GtkAdjustment *
add_slider (CodeSliders *sliders, const char *name, double value, double lower, double upper,
            double step, int digits)
{
  g_autofree char *text = g_strdup_printf ("%s:", name);
  GtkWidget *label = gtk_label_new (text);
  GtkAdjustment *adj = GTK_ADJUSTMENT (gtk_adjustment_new (value, lower, upper, step, step * 10,
                                                           0));
  GtkWidget *scale = new_hscale (adj);

  align_left (label);
  gtk_scale_set_digits (GTK_SCALE (scale), digits);
  gtk_scale_set_value_pos (GTK_SCALE (scale), GTK_POS_RIGHT);
  attach_row (sliders, label, scale);
  gtk_widget_show (label);
  gtk_widget_show (scale);
  g_signal_connect (adj, "value-changed", G_CALLBACK (on_slider_changed), sliders);
  return adj;
}

static void
remove_rows (CodeSliders *sliders)
{
  for (int i = 0; i < sliders->n_rows; i++) {
    gtk_widget_destroy (sliders->rows[i][0]);
    gtk_widget_destroy (sliders->rows[i][1]);
  }
  sliders->n_rows = 0;
}

void
code_sliders_set_model (CodeSliders *sliders, const VksGanConfig *cfg, const char *codes)
{
  VksGanCodes values;

  sliders->building = TRUE;
  remove_rows (sliders);
  sliders->category = NULL;
  memset (sliders->continuous, 0, sizeof sliders->continuous);
  sliders->have_model = cfg != NULL && cfg->n_categories + cfg->n_continuous > 0;
  if (!sliders->have_model)
    {
      space_rows (sliders);
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
  space_rows (sliders);
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
