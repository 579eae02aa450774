#include "trainer/class_folders.h"

#include <stdlib.h>
#include <string.h>

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

char **
vks_class_folders (const char *dir, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  GPtrArray *names = g_ptr_array_new ();
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    /* a hidden folder is not a class: a recipe's downloads (.debs) or a tool's cache */
    if (name[0] == '.')
      continue;
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
      g_ptr_array_add (names, g_strdup (name));
  }
  qsort (names->pdata, names->len, sizeof (gpointer), compare_names);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}
