#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/diffusion-settings.h"
#include "plug-in/settings.h"

static const char *const sampler_names[] = { [SPRITES_SAMPLER_DDIM] = "ddim",
                                             [SPRITES_SAMPLER_DDPM] = "ddpm" };

int
sprites_sampler_from_name (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (sampler_names); i++)
    if (g_strcmp0 (name, sampler_names[i]) == 0)
      return (int) i;
  return -1;
}

const char *
sprites_sampler_name (SpritesSampler sampler)
{
  return sampler_names[sampler == SPRITES_SAMPLER_DDPM];
}

/* Out-of-range numbers are refused, not clamped, as the other filters do: a script's mistake
 * should show, not run quietly with another value. */
static gboolean
check_whole (double value, double min, double max, const char *message, GError **error)
{
  if (!(value >= min && value <= max) || value != floor (value))
    {
      /* message: a whole sentence with %g for min, max and the value */
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, message, min, max, value);
      return FALSE;
    }
  return TRUE;
}

/* The strings both diffusion filters take: present where needed, fitting their arrays. */
static gboolean
copy_strings (const char *model, char *model_out, gsize model_size, const char *context,
              char *context_out, gsize context_size, const char *device, char *device_out,
              gsize device_size, GError **error)
{
  if (model == NULL || model[0] == '\0')
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO, _("No diffusion model was given."));
      return FALSE;
    }
  if (strlen (model) >= model_size || (context && strlen (context) >= context_size)
      || (device && strlen (device) >= device_size))
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO,
                           _("The model path, class mix or device name is too long."));
      return FALSE;
    }
  g_strlcpy (model_out, model, model_size);
  g_strlcpy (context_out, context ? context : "", context_size);
  g_strlcpy (device_out, device ? device : "", device_size);
  return TRUE;
}

void
sprites_settings_init_defaults (SpritesSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  settings->magic = VKSTYLE_SPRITES_SETTINGS_MAGIC;
  settings->sampler = SPRITES_SAMPLER_DDIM;
  settings->steps = DIFFUSION_DEFAULT_STEPS;
  settings->count = 16;
  settings->upscale = 4;
}

gboolean
sprites_settings_from_values (SpritesSettings *settings,
                              const FilterValue values[SPRITES_N_ARGS], GError **error)
{
  int sampler = sprites_sampler_from_name (values[SPRITES_ARG_SAMPLER].string);
  double guidance = values[SPRITES_ARG_GUIDANCE].number;

  if (sampler < 0)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("The sampler is “ddim” or “ddpm”, not “%s”."),
                   values[SPRITES_ARG_SAMPLER].string ? values[SPRITES_ARG_SAMPLER].string : "");
      return FALSE;
    }
  if (!check_whole (values[SPRITES_ARG_SEED].number, 0, VKSTYLE_SEED_MAX, _("The seed must be a whole number from %g to %g, not %g."), error)
      || !check_whole (values[SPRITES_ARG_STEPS].number, 1, DIFFUSION_STEPS_MAX, _("Steps must be a whole number from %g to %g, not %g."),
                       error)
      || !check_whole (values[SPRITES_ARG_COUNT].number, 1, SPRITES_COUNT_MAX, _("The number of sprites must be a whole number from %g to %g, not %g."),
                       error)
      || !check_whole (values[SPRITES_ARG_UPSCALE].number, 1, SPRITES_UPSCALE_MAX,
                       _("The upscale factor must be a whole number from %g to %g, not %g."), error))
    return FALSE;
  if (!(guidance >= 0.0 && guidance <= DIFFUSION_GUIDANCE_MAX))
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("Guidance must be between 0 and %g, not %g."), DIFFUSION_GUIDANCE_MAX,
                   guidance);
      return FALSE;
    }
  if (!copy_strings (values[SPRITES_ARG_MODEL].string, settings->model, sizeof settings->model,
                     values[SPRITES_ARG_CONTEXT].string, settings->context,
                     sizeof settings->context, values[SPRITES_ARG_DEVICE].string,
                     settings->device, sizeof settings->device, error))
    return FALSE;
  settings->seed = (gint32) values[SPRITES_ARG_SEED].number;
  settings->sampler = sampler;
  settings->steps = (gint32) values[SPRITES_ARG_STEPS].number;
  settings->count = (gint32) values[SPRITES_ARG_COUNT].number;
  settings->upscale = (gint32) values[SPRITES_ARG_UPSCALE].number;
  settings->guidance = guidance;
  return TRUE;
}

void
variation_settings_init_defaults (VariationSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  settings->magic = VKSTYLE_VARIATION_SETTINGS_MAGIC;
  settings->strength = 0.5;
  settings->steps = DIFFUSION_DEFAULT_STEPS;
}

gboolean
variation_settings_from_values (VariationSettings *settings,
                                const FilterValue values[VARIATION_N_ARGS], GError **error)
{
  double strength = values[VARIATION_ARG_STRENGTH].number;

  if (!(strength >= 0.0 && strength <= 1.0))
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("Strength must be between 0 and 1 (how much noise), not %g."), strength);
      return FALSE;
    }
  if (!check_whole (values[VARIATION_ARG_SEED].number, 0, VKSTYLE_SEED_MAX, _("The seed must be a whole number from %g to %g, not %g."),
                    error)
      || !check_whole (values[VARIATION_ARG_STEPS].number, 1, DIFFUSION_STEPS_MAX, _("Steps must be a whole number from %g to %g, not %g."),
                       error))
    return FALSE;
  if (!copy_strings (values[VARIATION_ARG_MODEL].string, settings->model,
                     sizeof settings->model, values[VARIATION_ARG_CONTEXT].string,
                     settings->context, sizeof settings->context,
                     values[VARIATION_ARG_DEVICE].string, settings->device,
                     sizeof settings->device, error))
    return FALSE;
  settings->strength = strength;
  settings->steps = (gint32) values[VARIATION_ARG_STEPS].number;
  settings->seed = (gint32) values[VARIATION_ARG_SEED].number;
  settings->new_layer = values[VARIATION_ARG_NEW_LAYER].number != 0.0;
  return TRUE;
}
