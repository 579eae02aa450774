#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "plug-in/gtk/class-sliders.h"

#if GTK_CHECK_VERSION (3, 0, 0)
#define new_hscale(adj) gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, adj)
#define align_left(label) gtk_label_set_xalign (GTK_LABEL (label), 0.0)
#else
#define new_hscale(adj) gtk_hscale_new (adj)
#define align_left(label) gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5)
#endif

/* The course's contexts are one-hot rows and mixes of them: weights from 0 to 1. */
#define CLASS_WEIGHT_MAX 1.0

struct ClassSliders {
  GtkWidget *table;                  /* GtkTable (GTK 2) or GtkGrid (GTK 3) */
  VksUnetConfig cfg;
  int n_classes;                     /* 0: no model */
  GtkAdjustment *weights[VKS_UNET_MAX_CLASSES];
  GCallback changed;
  gpointer user_data;
  gboolean building;
};

ClassSliders *
class_sliders_new (GCallback changed, gpointer user_data)
{
  ClassSliders *sliders = g_new0 (ClassSliders, 1);

#if GTK_CHECK_VERSION (3, 0, 0)
  sliders->table = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (sliders->table), 6);
  gtk_grid_set_row_spacing (GTK_GRID (sliders->table), 2);
#else
  sliders->table = gtk_table_new (1, 2, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (sliders->table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (sliders->table), 2);
#endif
  sliders->changed = changed;
  sliders->user_data = user_data;
  return sliders;
}

/* The widgets belong to the dialog, which destroys them. */
void
class_sliders_free (ClassSliders *sliders)
{
  g_free (sliders);
}

GtkWidget *
class_sliders_widget (ClassSliders *sliders)
{
  return sliders->table;
}

static void
on_weight_changed (GtkAdjustment *adj, ClassSliders *sliders)
{
  (void) adj;
  if (!sliders->building && sliders->changed != NULL)
    ((void (*) (gpointer)) sliders->changed) (sliders->user_data);
}

static void
remove_child (GtkWidget *child, gpointer unused)
{
  (void) unused;
  gtk_widget_destroy (child);
}

static char *
class_label (const VksUnetConfig *cfg, int i)
{
  if (cfg->class_names[i][0] != '\0')
    return g_strdup_printf ("%s:", cfg->class_names[i]);
  /* TRANSLATORS: a class of a diffusion model that has no name, counted from 0 */
  return g_strdup_printf (_("Class %d:"), i);
}

static void
add_slider (ClassSliders *sliders, int i, double value)
{
  g_autofree char *text = class_label (&sliders->cfg, i);
  GtkWidget *label = gtk_label_new (text);
  GtkAdjustment *adj = GTK_ADJUSTMENT (gtk_adjustment_new (value, 0.0, CLASS_WEIGHT_MAX, 0.01,
                                                           0.1, 0));
  GtkWidget *scale = new_hscale (adj);

  align_left (label);
  gtk_scale_set_digits (GTK_SCALE (scale), 2);
  gtk_scale_set_value_pos (GTK_SCALE (scale), GTK_POS_RIGHT);
#if GTK_CHECK_VERSION (3, 0, 0)
  gtk_widget_set_hexpand (scale, TRUE);
  gtk_grid_attach (GTK_GRID (sliders->table), label, 0, i, 1, 1);
  gtk_grid_attach (GTK_GRID (sliders->table), scale, 1, i, 1, 1);
#else
  gtk_table_attach (GTK_TABLE (sliders->table), label, 0, 1, i, i + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (GTK_TABLE (sliders->table), scale, 1, 2, i, i + 1, GTK_EXPAND | GTK_FILL,
                    GTK_FILL, 0, 0);
#endif
  gtk_widget_show (label);
  gtk_widget_show (scale);
  g_signal_connect (adj, "value-changed", G_CALLBACK (on_weight_changed), sliders);
  sliders->weights[i] = adj;
}

void
class_sliders_set_model (ClassSliders *sliders, const VksUnetConfig *cfg, const char *context)
{
  float weights[VKS_UNET_MAX_CLASSES] = { 0 };

  sliders->building = TRUE;
  gtk_container_foreach (GTK_CONTAINER (sliders->table), remove_child, NULL);
  sliders->n_classes = 0;
  if (cfg != NULL && cfg->n_cfeat > 0 && cfg->n_cfeat <= VKS_UNET_MAX_CLASSES)
    {
      sliders->cfg = *cfg;
      sliders->n_classes = cfg->n_cfeat;
      if (!vks_unet_parse_context (cfg, context ? context : "", weights, NULL))
        for (int i = 0; i < cfg->n_cfeat; i++)
          weights[i] = 0.0f;
      for (int i = 0; i < cfg->n_cfeat; i++)
        add_slider (sliders, i, CLAMP (weights[i], 0.0, CLASS_WEIGHT_MAX));
    }
  sliders->building = FALSE;
}

char *
class_sliders_context (ClassSliders *sliders)
{
  GString *text = g_string_new ("");

  for (int i = 0; i < sliders->n_classes; i++)
    {
      /* two decimals, as the slider shows: the same look gives the same text (and result) */
      double value = round (gtk_adjustment_get_value (sliders->weights[i]) * 100.0) / 100.0;
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      if (value == 0.0)
        continue;
      if (text->len > 0)
        g_string_append_c (text, ',');
      /* a name with a comma or "=" would not parse back: its index means the same */
      if (sliders->cfg.class_names[i][0] != '\0'
          && strpbrk (sliders->cfg.class_names[i], ",=") == NULL)
        g_string_append (text, sliders->cfg.class_names[i]);
      else
        g_string_append_printf (text, "%d", i);
      g_string_append_printf (text, "=%s", g_ascii_formatd (number, sizeof number, "%.2f",
                                                            value));
    }
  return g_string_free (text, FALSE);
}
