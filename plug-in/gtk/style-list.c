#include "config.h"

#include <glib/gi18n-lib.h>

#include "engine/error.h"

#include "plug-in/choices.h"
#include "plug-in/gtk/style-list.h"
#include "plug-in/models.h"

enum { COL_LABEL, COL_DESCRIPTION, COL_PATH, N_COLS };

struct StyleList {
  ModelKind kind;
  char *profile_dir;
  char *plugin_dir;
  GtkListStore *store;
  GtkWidget *combo;
};

static void
add_row (StyleList *list, const ModelInfo *info, const char *label, GtkTreeIter *iter)
{
  gtk_list_store_append (list->store, iter);
  gtk_list_store_set (list->store, iter, COL_LABEL, label, COL_DESCRIPTION, info->description,
                      COL_PATH, info->path, -1);
}

StyleList *
style_list_new (ModelKind kind, const char *profile_dir, const char *plugin_dir)
{
  StyleList *list = g_new0 (StyleList, 1);
  g_autoptr (GPtrArray) found = models_find_all (kind, profile_dir, plugin_dir);
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
  GtkTreeIter iter;

  list->kind = kind;
  list->profile_dir = g_strdup (profile_dir);
  list->plugin_dir = g_strdup (plugin_dir);
  list->store = gtk_list_store_new (N_COLS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  for (guint i = 0; i < found->len; i++)
    {
      g_autofree char *label = choices_model_label (found, i);

      add_row (list, found->pdata[i], label, &iter);
    }
  list->combo = gtk_combo_box_new_with_model (GTK_TREE_MODEL (list->store));
  /* wide enough for usual names, so the dialog does not change width with the style list */
  g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, "width-chars", 36, NULL);
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (list->combo), cell, TRUE);
  gtk_cell_layout_set_attributes (GTK_CELL_LAYOUT (list->combo), cell, "text", COL_LABEL, NULL);
  return list;
}

void
style_list_free (StyleList *list)
{
  if (list == NULL)
    return;
  g_object_unref (list->store);
  g_free (list->profile_dir);
  g_free (list->plugin_dir);
  g_free (list);
}

GtkWidget *
style_list_combo (StyleList *list)
{
  return list->combo;
}

static char *
active_column (StyleList *list, int column)
{
  GtkTreeIter iter;
  char *value = NULL;

  if (gtk_combo_box_get_active_iter (GTK_COMBO_BOX (list->combo), &iter))
    gtk_tree_model_get (GTK_TREE_MODEL (list->store), &iter, column, &value, -1);
  return value;
}

char *
style_list_path (StyleList *list)
{
  return active_column (list, COL_PATH);
}

ModelInfo *
style_list_info (StyleList *list)
{
  g_autofree char *path = style_list_path (list);

  return path ? model_info_from_file (path, NULL) : NULL;
}

static gboolean
find_row (StyleList *list, const char *path, GtkTreeIter *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (list->store);

  if (path == NULL || !gtk_tree_model_get_iter_first (model, iter))
    return FALSE;
  do
    {
      g_autofree char *row_path = NULL;

      gtk_tree_model_get (model, iter, COL_PATH, &row_path, -1);
      if (g_strcmp0 (row_path, path) == 0)
        return TRUE;
    }
  while (gtk_tree_model_iter_next (model, iter));
  return FALSE;
}

/* Selects `path`, adding it to the list when it is a readable model from elsewhere. */
static gboolean
select_file (StyleList *list, const char *path, GError **error)
{
  GtkTreeIter iter;

  if (!find_row (list, path, &iter))
    {
      g_autoptr (ModelInfo) info = model_info_from_file (path, error);
      g_autofree char *label = NULL;

      if (info == NULL)
        return FALSE;
      if (info->kind != list->kind)
        {
          g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                       _(model_kind_texts (list->kind)->wrong_kind), path);
          return FALSE;
        }
      label = choices_model_file_label (info);
      add_row (list, info, label, &iter);
    }
  gtk_combo_box_set_active_iter (GTK_COMBO_BOX (list->combo), &iter);
  return TRUE;
}

void
style_list_select (StyleList *list, const char *model)
{
  g_autofree char *path = NULL;

  if (model != NULL && model[0] != '\0')
    path = models_resolve (list->kind, model, list->profile_dir, list->plugin_dir, NULL);
  if (path == NULL || !select_file (list, path, NULL))
    gtk_combo_box_set_active (GTK_COMBO_BOX (list->combo), 0);
}

void
style_list_describe (StyleList *list, GtkLabel *label)
{
  g_autofree char *path = style_list_path (list);
  g_autofree char *description = active_column (list, COL_DESCRIPTION);

  if (path == NULL)
    {
      g_autofree char *text = choices_no_models_text (list->kind, list->profile_dir);

      gtk_label_set_text (label, text);
      return;
    }
  gtk_label_set_text (label, description ? description : "");
  gtk_widget_set_tooltip_text (list->combo, path);
}

gboolean
style_list_choose_file (StyleList *list, GtkWindow *parent, GError **error)
{
  g_autofree char *user_dir = models_user_dir (list->profile_dir);
  g_autofree char *current = style_list_path (list);
  g_autofree char *path = NULL;
  const ModelKindTexts *texts = model_kind_texts (list->kind);
  GtkWidget *chooser;
  GtkFileFilter *filter;

  chooser = gtk_file_chooser_dialog_new (_(texts->chooser_title), parent,
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Cancel"), GTK_RESPONSE_CANCEL,
                                         _("_Open"), GTK_RESPONSE_ACCEPT, NULL);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _(texts->chooser_filter));
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
    path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
  gtk_widget_destroy (chooser);
  return path == NULL || select_file (list, path, error);
}
