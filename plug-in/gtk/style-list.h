/* The model list of the dialogs: a combo box of the models of one kind found (models.c), styles
 * or textures, each with its description and file, plus "Choose File…" for one from elsewhere. Plain GTK that GTK 2 and
 * GTK 3 share, so it is compiled into each front end with its own toolkit; no libgimp. */
#pragma once
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <gtk/gtk.h>
#pragma GCC diagnostic pop
#include "plug-in/models.h"

typedef struct StyleList StyleList;

/* Lists the models of `kind` in the search folders (models_search_dirs). */
StyleList *style_list_new (ModelKind kind, const char *profile_dir, const char *plugin_dir);
void style_list_free (StyleList *list);

GtkWidget *style_list_combo (StyleList *list);
/* The chosen model's file, or NULL when the list is empty. g_free. */
char *style_list_path (StyleList *list);
/* The chosen model's header (a texture model's codes), or NULL. model_info_free. */
ModelInfo *style_list_info (StyleList *list);

/* Selects `model`: a file (added to the list when it is not in it) or a style name; the first
 * entry when it is neither. */
void style_list_select (StyleList *list, const char *model);

/* Shows the chosen model's description in `label` and its file as the combo's tooltip; when
 * nothing was found, where to put models. */
void style_list_describe (StyleList *list, GtkLabel *label);

/* The file chooser of "Choose File…". FALSE with an error when the file chosen is no model of
 * the list's kind; TRUE (nothing changed) when the user cancels. */
gboolean style_list_choose_file (StyleList *list, GtkWindow *parent, GError **error);
