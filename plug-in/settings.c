#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "engine/error.h"
#include "plug-in/settings.h"

void
vkstyle_settings_init_defaults (VkstyleSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  settings->magic = VKSTYLE_SETTINGS_MAGIC;
  settings->strength = 100.0;
  settings->scale = 1.0;
}

gboolean
vkstyle_settings_load_last (VkstyleSettings *settings)
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
vkstyle_settings_save_last (const VkstyleSettings *settings)
{
  gimp_set_data (VKSTYLE_PROC, settings, sizeof *settings);
}

gboolean
vkstyle_settings_set (VkstyleSettings *settings, const char *model, double strength, double scale,
                      int new_layer, const char *device, GError **error)
{
  if (model == NULL || model[0] == '\0')
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("No style model was given."));
      return FALSE;
    }
  if (strlen (model) >= sizeof settings->model)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("The model path is too long."));
      return FALSE;
    }
  if (device != NULL && strlen (device) >= sizeof settings->device)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("The device name is too long."));
      return FALSE;
    }
  /* Out-of-range numbers are refused rather than clamped: a script passing strength 0.5 most
   * likely meant 50 %, and silently running at 0.5 % would hide that. */
  if (!isfinite (strength) || strength < 0.0 || strength > 100.0)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("Strength must be between 0 and 100 (%%), not %g."), strength);
      return FALSE;
    }
  if (!isfinite (scale) || scale < VKSTYLE_SCALE_MIN || scale > VKSTYLE_SCALE_MAX)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("Processing scale must be between %g and %g, not %g."),
                   VKSTYLE_SCALE_MIN, VKSTYLE_SCALE_MAX, scale);
      return FALSE;
    }
  g_strlcpy (settings->model, model, sizeof settings->model);
  g_strlcpy (settings->device, device ? device : "", sizeof settings->device);
  settings->strength = strength;
  settings->scale = scale;
  settings->new_layer = new_layer ? 1 : 0;
  return TRUE;
}
