#include "config.h"

#include <stdlib.h>

#include "plug-in/gtk/domain-list.h"

GtkWidget *
domain_list_new (void)
{
  return gtk_combo_box_text_new ();
}

/* The entry `wanted` means: a name first (a domain may be called "1"), then an index. */
static int
find_domain (char **domains, const char *wanted)
{
  char *end = NULL;
  long index;
  int n = (int) g_strv_length (domains);

  if (wanted == NULL || wanted[0] == '\0')
    return 0;
  for (int i = 0; i < n; i++)
    if (g_ascii_strcasecmp (domains[i], wanted) == 0)
      return i;
  index = strtol (wanted, &end, 10);
  return *end == '\0' && index >= 0 && index < n ? (int) index : 0;
}

void
domain_list_set (GtkWidget *combo, char **domains, const char *wanted)
{
  GtkTreeModel *model = gtk_combo_box_get_model (GTK_COMBO_BOX (combo));

  gtk_list_store_clear (GTK_LIST_STORE (model));
  if (domains == NULL)
    return;
  for (int i = 0; domains[i]; i++)
    gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (combo), domains[i]);
  if (domains[0] != NULL)
    gtk_combo_box_set_active (GTK_COMBO_BOX (combo), find_domain (domains, wanted));
}

char *
domain_list_get (GtkWidget *combo)
{
  return gtk_combo_box_text_get_active_text (GTK_COMBO_BOX_TEXT (combo));
}
