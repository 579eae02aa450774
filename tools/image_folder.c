/* Image files of a folder (see image_folder.h). */
#include "tools/image_folder.h"
#include "engine/error.h"

#include <string.h>

/* Recursion stops here: deeper trees are certainly a mistake (or a link cycle through bind
 * mounts, since we never follow symbolic links to folders). */
#define MAX_DEPTH 64

/* The reference's IMG_EXTENSIONS (data/image_folder.py): a name ending in one of these, in
 * lower case or in upper case exactly (".JPG" is taken, ".Jpg" is not, as str.endswith does). */
static const char *const image_extensions[] = {
  ".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".tif", ".tiff",
};

static gboolean
has_image_extension (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (image_extensions); i++) {
    g_autofree char *upper = g_ascii_strup (image_extensions[i], -1);
    if (g_str_has_suffix (name, image_extensions[i]) || g_str_has_suffix (name, upper))
      return TRUE;
  }
  return FALSE;
}

static gboolean
list_files (const char *folder, int depth, GPtrArray *paths, GError **error)
{
  GDir *dir = g_dir_open (folder, 0, error);
  if (!dir)
    return FALSE;
  const char *name;
  gboolean ok = TRUE;
  /* Like the reference's os.walk: hidden files and folders are walked too, links to folders are
   * not followed (os.walk's followlinks=False), links to files are. */
  while (ok && (name = g_dir_read_name (dir))) {
    char *path = g_build_filename (folder, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
      if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && depth < MAX_DEPTH)
        ok = list_files (path, depth + 1, paths, error);
      g_free (path);
    } else if (has_image_extension (name) && g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      g_ptr_array_add (paths, path);
    } else {
      g_free (path);
    }
  }
  g_dir_close (dir);
  return ok;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  /* Byte order, like Python's sorted() of the reference's UTF-8 paths, and locale-independent. */
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
vks_image_folder_list (const char *folder, GError **error)
{
  if (!g_file_test (folder, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: %s", folder,
                 g_file_test (folder, G_FILE_TEST_EXISTS) ? "not a folder" : "no such folder");
    return NULL;
  }
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  GError *list_error = NULL;
  if (!list_files (folder, 0, paths, &list_error)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: cannot list the images: %s", folder,
                 list_error->message);
    g_error_free (list_error);
    return NULL;
  }
  if (paths->len == 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "%s: the folder holds no image files (names "
                 "ending in .jpg, .jpeg, .png, .ppm, .bmp, .tif or .tiff)", folder);
    return NULL;
  }
  g_ptr_array_sort (paths, compare_paths);
  return g_steal_pointer (&paths);
}
