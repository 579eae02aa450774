#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

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

gboolean
vkstyle_settings_from_values (VkstyleSettings *settings, const FilterValue values[STYLIZE_N_ARGS],
                              GError **error)
{
  return vkstyle_settings_set (settings, values[STYLIZE_ARG_MODEL].string,
                               values[STYLIZE_ARG_STRENGTH].number,
                               values[STYLIZE_ARG_SCALE].number,
                               values[STYLIZE_ARG_NEW_LAYER].number != 0.0,
                               values[STYLIZE_ARG_DEVICE].string, error);
}

double
vkstyle_settings_first_run_scale (int width, int height)
{
  double long_side = MAX (width, height);

  if (long_side <= VKSTYLE_FIRST_RUN_LONG_SIDE)
    return VKSTYLE_SCALE_MAX;
  return CLAMP (((int) (100.0 * VKSTYLE_FIRST_RUN_LONG_SIDE / long_side)) / 100.0,
                VKSTYLE_SCALE_MIN, VKSTYLE_SCALE_MAX);
}
