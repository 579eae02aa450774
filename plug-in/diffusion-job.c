#include "config.h"

#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/diffusion-job.h"
#include "plug-in/models.h"

float *
diffusion_job_compute (Stylizer *stylizer, const PixelRegion *region, const JobRequest *request,
                       VksProgressFunc progress, gpointer user_data, char **model_name,
                       GError **error)
{
  const DiffusionRequest *d = &request->diffusion;
  g_autofree float *rgb = NULL;
  int size;

  if (d->sprites)
    rgb = stylizer_diffusion_sprites (stylizer, request->device, request->model_path,
                                      d->context, (guint64) request->seed,
                                      d->sampler == SPRITES_SAMPLER_DDPM ? VKS_SAMPLER_DDPM
                                                                         : VKS_SAMPLER_DDIM,
                                      d->steps, d->guidance, d->count, &size, progress,
                                      user_data, error);
  else
    {
      /* the network sees the region at its own size: a variation keeps the pixels' scale */
      rgb = pixel_region_network_input (region, region->width, region->height);
      if (!stylizer_diffusion_vary (stylizer, request->device, request->model_path, d->context,
                                    d->strength, d->steps, (guint64) request->seed, rgb, rgb,
                                    region->width, region->height, progress, user_data, error))
        g_clear_pointer (&rgb, g_free);
    }
  if (rgb != NULL)
    *model_name = g_strdup (stylizer_diffusion_name (stylizer));
  return g_steal_pointer (&rgb);
}

static gboolean
request_from (JobRequest *request, const char *model, const char *device, gint32 seed,
              const char *profile_dir, const char *plugin_dir, GError **error)
{
  char *path = models_resolve (MODEL_KIND_DIFFUSION, model, profile_dir, plugin_dir, error);

  if (path == NULL)
    return FALSE;
  job_request_clear (request);
  request->kind = MODEL_KIND_DIFFUSION;
  request->model_path = path;
  request->device = g_strdup (device);
  request->seed = seed;
  return TRUE;
}

gboolean
job_request_from_sprites_settings (JobRequest *request, const SpritesSettings *settings,
                                   const char *profile_dir, const char *plugin_dir,
                                   GError **error)
{
  DiffusionRequest *d = &request->diffusion;

  if (!request_from (request, settings->model, settings->device, settings->seed, profile_dir,
                     plugin_dir, error))
    return FALSE;
  d->sprites = TRUE;
  g_strlcpy (d->context, settings->context, sizeof d->context);
  d->steps = settings->steps;
  d->sampler = settings->sampler;
  d->count = settings->count;
  d->guidance = settings->guidance;
  return TRUE;
}

gboolean
job_request_from_variation_settings (JobRequest *request, const VariationSettings *settings,
                                     const char *profile_dir, const char *plugin_dir,
                                     GError **error)
{
  DiffusionRequest *d = &request->diffusion;

  if (!request_from (request, settings->model, settings->device, settings->seed, profile_dir,
                     plugin_dir, error))
    return FALSE;
  g_strlcpy (d->context, settings->context, sizeof d->context);
  d->steps = settings->steps;
  d->strength = settings->strength;
  return TRUE;
}

int
diffusion_request_sprite_size (const JobRequest *request, GError **error)
{
  g_autoptr (ModelInfo) info = model_info_from_file (request->model_path, error);

  if (info == NULL)
    return 0;
  if (info->kind != MODEL_KIND_DIFFUSION)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   _(model_kind_texts (MODEL_KIND_DIFFUSION)->wrong_kind), request->model_path);
      return 0;
    }
  return info->unet.height;
}
