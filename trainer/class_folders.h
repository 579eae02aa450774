/* A training folder of class (or domain) subfolders: their names, sorted. */
#pragma once
#include <glib.h>

/* The subfolders of dir (links to folders not followed, hidden ".name" ones left out),
 * sorted by name; g_strfreev. NULL with the GFileError when dir cannot be read. */
char **vks_class_folders (const char *dir, GError **error);
