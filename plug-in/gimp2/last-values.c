#include "config.h"

#include <string.h>
#include <libgimp/gimp.h>

#include "plug-in/gimp2/last-values.h"

/* The blob under `procedure` into `data` when it has this size and starts with `magic` (both
 * settings structs start with their magic, so an old layout is ignored instead of misread). */
static gboolean
load_blob (const char *procedure, gpointer data, gsize size, guint32 magic)
{
  g_autofree guint8 *stored = NULL;
  guint32 stored_magic;

  if (gimp_get_data_size (procedure) != (gint) size)
    return FALSE;
  stored = g_malloc (size);
  if (!gimp_get_data (procedure, stored))
    return FALSE;
  memcpy (&stored_magic, stored, sizeof stored_magic);
  if (stored_magic != magic)
    return FALSE;
  memcpy (data, stored, size);
  return TRUE;
}

/* Never trust a blob to be terminated: it came through another process. */
#define TERMINATE(array) ((array)[sizeof (array) - 1] = '\0')

gboolean
last_values_load (VkstyleSettings *settings)
{
  VkstyleSettings stored;

  if (!load_blob (VKSTYLE_PROC, &stored, sizeof stored, VKSTYLE_SETTINGS_MAGIC))
    return FALSE;
  TERMINATE (stored.model);
  TERMINATE (stored.device);
  *settings = stored;
  return TRUE;
}

void
last_values_save (const VkstyleSettings *settings)
{
  gimp_set_data (VKSTYLE_PROC, settings, sizeof *settings);
}

gboolean
texture_last_values_load (TextureSettings *settings)
{
  TextureSettings stored;

  if (!load_blob (VKSTYLE_TEXTURE_PROC, &stored, sizeof stored, VKSTYLE_TEXTURE_SETTINGS_MAGIC))
    return FALSE;
  TERMINATE (stored.model);
  TERMINATE (stored.codes);
  TERMINATE (stored.device);
  *settings = stored;
  return TRUE;
}

void
texture_last_values_save (const TextureSettings *settings)
{
  gimp_set_data (VKSTYLE_TEXTURE_PROC, settings, sizeof *settings);
}

gboolean
reference_last_values_load (ReferenceSettings *settings)
{
  ReferenceSettings stored;

  if (!load_blob (VKSTYLE_REFERENCE_PROC, &stored, sizeof stored,
                  VKSTYLE_REFERENCE_SETTINGS_MAGIC))
    return FALSE;
  TERMINATE (stored.model);
  TERMINATE (stored.domain);
  TERMINATE (stored.device);
  /* the layer may have been closed with its image since */
  if (stored.reference >= 0
      && !(gimp_item_is_valid (stored.reference) && gimp_item_is_drawable (stored.reference)))
    stored.reference = -1;
  *settings = stored;
  return TRUE;
}

void
reference_last_values_save (const ReferenceSettings *settings)
{
  gimp_set_data (VKSTYLE_REFERENCE_PROC, settings, sizeof *settings);
}

gboolean
sprites_last_values_load (SpritesSettings *settings)
{
  SpritesSettings stored;

  if (!load_blob (VKSTYLE_SPRITES_PROC, &stored, sizeof stored, VKSTYLE_SPRITES_SETTINGS_MAGIC))
    return FALSE;
  TERMINATE (stored.model);
  TERMINATE (stored.context);
  TERMINATE (stored.device);
  *settings = stored;
  return TRUE;
}

void
sprites_last_values_save (const SpritesSettings *settings)
{
  gimp_set_data (VKSTYLE_SPRITES_PROC, settings, sizeof *settings);
}

gboolean
variation_last_values_load (VariationSettings *settings)
{
  VariationSettings stored;

  if (!load_blob (VKSTYLE_VARIATION_PROC, &stored, sizeof stored,
                  VKSTYLE_VARIATION_SETTINGS_MAGIC))
    return FALSE;
  TERMINATE (stored.model);
  TERMINATE (stored.context);
  TERMINATE (stored.device);
  *settings = stored;
  return TRUE;
}

void
variation_last_values_save (const VariationSettings *settings)
{
  gimp_set_data (VKSTYLE_VARIATION_PROC, settings, sizeof *settings);
}
