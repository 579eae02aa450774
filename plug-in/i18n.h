/* Where the plug-in's translations are: a per-user install (scripts/demo.sh) puts locale/ beside
 * the executable, a system install uses the configured locale folder. */
#pragma once
#include <glib.h>

/* The folder of the running executable, canonical. g_free. */
char *vkstyle_plugin_dir (const char *argv0);
/* <plugin_dir>/locale when it exists, else VKSTYLE_LOCALEDIR. g_free. */
char *vkstyle_locale_dir (const char *plugin_dir);
/* setlocale and binds the gettext domain to vkstyle_locale_dir (UTF-8). */
void vkstyle_i18n_init (const char *plugin_dir);
