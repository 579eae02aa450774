/* Image folders for training (see dataset.h). */
#include "trainer/dataset.h"
#include "trainer/resize.h"
#include "engine/error.h"
#include "tools/image_folder.h"
#include "tools/image_io.h"

#include <math.h>
#include <string.h>

typedef struct {
  char *path;
  guint8 *pixels;   /* load_size² x 3 packed 8-bit R'G'B', or NULL when not cached */
} Entry;

struct VksDataset {
  char *folder;
  int load_size;
  gsize cache_limit;
  gsize cached;
  GArray *entries;   /* of Entry */
};

/* The image at path resized to size², as packed 8-bit RGB; NULL with an error. The reference
 * resizes PIL's 8-bit image: an 8-bit file's pixels come back exactly, a deeper one is rounded
 * to the nearest 8-bit value (PIL itself keeps the high byte of 16-bit RGB). */
static guint8 *
load_resized (const char *path, int size, GError **error)
{
  g_autoptr (VksImage) image = vks_image_load (path, error);
  if (!image)
    return NULL;
  const gsize n = (gsize) image->width * image->height * 3;
  g_autofree guint8 *bytes = g_try_malloc (n);
  guint8 *pixels = g_try_malloc ((gsize) size * size * 3);
  if (!bytes || !pixels) {
    g_free (pixels);
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "%s: not enough memory", path);
    return NULL;
  }
  for (gsize i = 0; i < n; i++)
    bytes[i] = (guint8) lrintf (CLAMP (image->rgb[i], 0.0f, 1.0f) * 255.0f);
  vks_resize_bicubic (bytes, image->width, image->height, 3, pixels, size, size);
  return pixels;
}

static void
clear_entry (gpointer data)
{
  Entry *entry = data;
  g_free (entry->path);
  g_free (entry->pixels);
}

VksDataset *
vks_dataset_open (const char *folder, int load_size, gsize cache_bytes, GError **error)
{
  if (load_size < 1 || load_size > 16384) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "load size %d is out of range (1 to 16384)",
                 load_size);
    return NULL;
  }
  g_autoptr (GPtrArray) paths = vks_image_folder_list (folder, error);
  if (!paths)
    return NULL;

  VksDataset *dataset = g_new0 (VksDataset, 1);
  dataset->folder = g_strdup (folder);
  dataset->load_size = load_size;
  dataset->cache_limit = cache_bytes;
  dataset->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (dataset->entries, clear_entry);

  const gsize image_bytes = (gsize) load_size * load_size * 3;
  for (guint i = 0; i < paths->len; i++) {
    const char *path = g_ptr_array_index (paths, i);
    GError *load_error = NULL;
    guint8 *pixels = load_resized (path, load_size, &load_error);
    if (!pixels) {
      /* Messages from image_io already start with the path. */
      const char *reason = load_error->message;
      if (g_str_has_prefix (reason, path) && reason[strlen (path)] == ':')
        reason += strlen (path) + 1;
      while (*reason == ' ')
        reason++;
      g_printerr ("skipping %s: %s\n", path, reason);
      g_error_free (load_error);
      continue;
    }
    Entry entry = { g_strdup (path), NULL };
    if (dataset->cached + image_bytes <= dataset->cache_limit) {
      entry.pixels = pixels;
      dataset->cached += image_bytes;
    } else {
      g_free (pixels);
    }
    g_array_append_val (dataset->entries, entry);
  }
  if (dataset->entries->len == 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                 "%s: none of its %u image file%s can be loaded", folder, paths->len,
                 paths->len == 1 ? "" : "s");
    vks_dataset_free (dataset);
    return NULL;
  }
  return dataset;
}

void
vks_dataset_free (VksDataset *dataset)
{
  if (!dataset)
    return;
  g_array_unref (dataset->entries);
  g_free (dataset->folder);
  g_free (dataset);
}

guint
vks_dataset_size (const VksDataset *dataset)
{
  return dataset->entries->len;
}

const char *
vks_dataset_path (const VksDataset *dataset, guint index)
{
  g_return_val_if_fail (index < dataset->entries->len, NULL);
  return g_array_index (dataset->entries, Entry, index).path;
}

int
vks_dataset_load_size (const VksDataset *dataset)
{
  return dataset->load_size;
}

gsize
vks_dataset_cached_bytes (const VksDataset *dataset)
{
  return dataset->cached;
}

gboolean
vks_dataset_sample (VksDataset *dataset, guint index, int crop_size, gboolean allow_flip,
                    VksRng *rng, float *chw, GError **error)
{
  g_return_val_if_fail (index < dataset->entries->len, FALSE);
  const int load = dataset->load_size;
  if (crop_size < 1 || crop_size > load) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "crop size %d must be between 1 and the load size %d", crop_size, load);
    return FALSE;
  }
  const Entry *entry = &g_array_index (dataset->entries, Entry, index);
  g_autofree guint8 *loaded = NULL;
  const guint8 *pixels = entry->pixels;
  if (!pixels) {
    loaded = load_resized (entry->path, load, error);
    if (!loaded)
      return FALSE;
    pixels = loaded;
  }

  /* torchvision's RandomCrop draws the top first, then the left, and nothing at all when the
   * crop is the whole image; RandomHorizontalFlip then draws once. */
  int top = 0, left = 0;
  if (crop_size < load) {
    top = (int) vks_rng_below (rng, (guint32) (load - crop_size + 1));
    left = (int) vks_rng_below (rng, (guint32) (load - crop_size + 1));
  }
  const gboolean flip = allow_flip && vks_rng_uniform (rng) < 0.5;

  const gsize plane = (gsize) crop_size * crop_size;
  for (int y = 0; y < crop_size; y++) {
    const guint8 *row = pixels + ((gsize) (top + y) * load + left) * 3;
    for (int x = 0; x < crop_size; x++) {
      const guint8 *p = row + (gsize) (flip ? crop_size - 1 - x : x) * 3;
      const gsize at = (gsize) y * crop_size + x;
      /* ToTensor (byte / 255 in float) then Normalize(0.5, 0.5): (v - 0.5) / 0.5, the same
       * float operations as torch's. */
      for (int c = 0; c < 3; c++)
        chw[c * plane + at] = ((float) p[c] / 255.0f - 0.5f) / 0.5f;
    }
  }
  return TRUE;
}
