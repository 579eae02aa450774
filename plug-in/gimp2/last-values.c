#include "config.h"

#include <libgimp/gimp.h>

#include "plug-in/gimp2/last-values.h"

gboolean
last_values_load (VkstyleSettings *settings)
{
  VkstyleSettings stored;

  if (gimp_get_data_size (VKSTYLE_PROC) != sizeof stored)
    return FALSE;
  if (!gimp_get_data (VKSTYLE_PROC, &stored) || stored.magic != VKSTYLE_SETTINGS_MAGIC)
    return FALSE;
  /* Never trust a blob to be terminated: it came through another process. */
  stored.model[sizeof stored.model - 1] = '\0';
  stored.device[sizeof stored.device - 1] = '\0';
  *settings = stored;
  return TRUE;
}

void
last_values_save (const VkstyleSettings *settings)
{
  gimp_set_data (VKSTYLE_PROC, settings, sizeof *settings);
}
