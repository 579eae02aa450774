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

/* The string arguments both filters have: present where needed, and fitting their arrays. */
static gboolean
check_strings (const char *model, gsize model_size, const char *no_model_message,
               const char *device, gsize device_size, GError **error)
{
  if (model == NULL || model[0] == '\0')
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO, no_model_message);
      return FALSE;
    }
  if (strlen (model) >= model_size)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("The model path is too long."));
      return FALSE;
    }
  if (device != NULL && strlen (device) >= device_size)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("The device name is too long."));
      return FALSE;
    }
  return TRUE;
}

/* Out-of-range numbers are refused rather than clamped: a script passing strength 0.5 most
 * likely meant 50 %, and silently running at 0.5 % would hide that. */
static gboolean
check_strength_scale (double strength, double scale, GError **error)
{
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
  return TRUE;
}

static gboolean
check_seed (double seed, GError **error)
{
  if (!(seed >= 0 && seed <= VKSTYLE_SEED_MAX) || seed != (gint32) seed)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("The seed must be a whole number from 0 to %d, not %g."),
                   VKSTYLE_SEED_MAX, seed);
      return FALSE;
    }
  return TRUE;
}

gboolean
vkstyle_settings_set (VkstyleSettings *settings, const char *model, double strength, double scale,
                      int new_layer, const char *device, GError **error)
{
  if (!check_strings (model, sizeof settings->model, _("No style model was given."), device,
                      sizeof settings->device, error))
    return FALSE;
  if (!check_strength_scale (strength, scale, error))
    return FALSE;
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

void
texture_settings_init_defaults (TextureSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  settings->magic = VKSTYLE_TEXTURE_SETTINGS_MAGIC;
}

gboolean
texture_settings_from_values (TextureSettings *settings,
                              const FilterValue values[TEXTURE_N_ARGS], GError **error)
{
  const char *codes = values[TEXTURE_ARG_CODES].string;
  double seed = values[TEXTURE_ARG_SEED].number;

  if (!check_strings (values[TEXTURE_ARG_MODEL].string, sizeof settings->model,
                      _("No texture model was given."), values[TEXTURE_ARG_DEVICE].string,
                      sizeof settings->device, error))
    return FALSE;
  if (codes != NULL && strlen (codes) >= sizeof settings->codes)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("The codes are too long."));
      return FALSE;
    }
  if (!check_seed (seed, error))
    return FALSE;
  g_strlcpy (settings->model, values[TEXTURE_ARG_MODEL].string, sizeof settings->model);
  g_strlcpy (settings->device, values[TEXTURE_ARG_DEVICE].string ? values[TEXTURE_ARG_DEVICE].string
                                                                 : "",
             sizeof settings->device);
  g_strlcpy (settings->codes, codes ? codes : "", sizeof settings->codes);
  settings->seed = (gint32) seed;
  settings->tileable = values[TEXTURE_ARG_TILEABLE].number != 0.0;
  return TRUE;
}

void
reference_settings_init_defaults (ReferenceSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  settings->magic = VKSTYLE_REFERENCE_SETTINGS_MAGIC;
  settings->reference = -1;
  settings->strength = 100.0;
  settings->variations = 1;
  settings->scale = 1.0;
}

gboolean
reference_settings_from_values (ReferenceSettings *settings,
                                const FilterValue values[REFERENCE_N_ARGS], GError **error)
{
  const char *domain = values[REFERENCE_ARG_DOMAIN].string;
  const char *device = values[REFERENCE_ARG_DEVICE].string;
  double variations = values[REFERENCE_ARG_VARIATIONS].number;
  double reference = values[REFERENCE_ARG_REFERENCE].number;

  if (!check_strings (values[REFERENCE_ARG_MODEL].string, sizeof settings->model,
                      _("No StarGAN v2 model was given."), device, sizeof settings->device,
                      error))
    return FALSE;
  if (domain == NULL || domain[0] == '\0')
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO,
                           _("No domain was given: name one of the model’s domains, or give "
                             "its index."));
      return FALSE;
    }
  if (strlen (domain) >= sizeof settings->domain)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("The domain name is too long."));
      return FALSE;
    }
  if (!check_seed (values[REFERENCE_ARG_SEED].number, error)
      || !check_strength_scale (values[REFERENCE_ARG_STRENGTH].number,
                                values[REFERENCE_ARG_SCALE].number, error))
    return FALSE;
  if (!(variations >= 1 && variations <= VKSTYLE_VARIATIONS_MAX)
      || variations != (gint32) variations)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("Variations must be a whole number from 1 to %d, not %g."),
                   VKSTYLE_VARIATIONS_MAX, variations);
      return FALSE;
    }
  /* each variation is a latent drawn from the seed; a reference layer has one style */
  if (variations > 1 && reference >= 0)
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO,
                           _("Variations are random styles: give no reference layer (-1) "
                             "with more than one variation."));
      return FALSE;
    }
  g_strlcpy (settings->model, values[REFERENCE_ARG_MODEL].string, sizeof settings->model);
  g_strlcpy (settings->domain, domain, sizeof settings->domain);
  g_strlcpy (settings->device, device ? device : "", sizeof settings->device);
  settings->reference = reference >= 0 ? (gint32) reference : -1;
  settings->seed = (gint32) values[REFERENCE_ARG_SEED].number;
  settings->strength = values[REFERENCE_ARG_STRENGTH].number;
  settings->new_layer = values[REFERENCE_ARG_NEW_LAYER].number != 0.0 || variations > 1;
  settings->variations = (gint32) variations;
  settings->scale = values[REFERENCE_ARG_SCALE].number;
  return TRUE;
}
