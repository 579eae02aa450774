#include "config.h"

#include <locale.h>
#include <glib/gi18n-lib.h>

#include "plug-in/i18n.h"

char *
vkstyle_plugin_dir (const char *argv0)
{
  g_autofree char *dir = g_path_get_dirname (argv0 ? argv0 : ".");

  return g_canonicalize_filename (dir, NULL);
}

char *
vkstyle_locale_dir (const char *plugin_dir)
{
  g_autofree char *local = g_build_filename (plugin_dir, "locale", NULL);

  return g_file_test (local, G_FILE_TEST_IS_DIR) ? g_steal_pointer (&local)
                                                 : g_strdup (VKSTYLE_LOCALEDIR);
}

void
vkstyle_i18n_init (const char *plugin_dir)
{
  g_autofree char *locale_dir = vkstyle_locale_dir (plugin_dir);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
