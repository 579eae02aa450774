#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/codes.h"
#include "plug-in/stylizer.h"

struct Stylizer {
  VksContext *context;
  char *device;       /* the selector `context` was made with */
  VksStyle *style;
  char *model_path;   /* the file `style` was loaded from */
  VksTextureModel *texture;
  char *texture_path; /* the file `texture` was loaded from */
  VksStarGan2 *reference;
  char *reference_path;
  char *reference_name;
  VksDiffusionModel *diffusion;   /* Diffusion Sprites and Variation */
  char *diffusion_path;
};

Stylizer *
stylizer_new (void)
{
  return g_new0 (Stylizer, 1);
}

static void
drop_style (Stylizer *stylizer)
{
  g_clear_pointer (&stylizer->style, vks_style_free);
  g_clear_pointer (&stylizer->model_path, g_free);
}

static void
drop_texture (Stylizer *stylizer)
{
  g_clear_pointer (&stylizer->texture, vks_texture_model_free);
  g_clear_pointer (&stylizer->texture_path, g_free);
}

static void
drop_reference (Stylizer *stylizer)
{
  g_clear_pointer (&stylizer->reference, vks_stargan2_free);
  g_clear_pointer (&stylizer->reference_path, g_free);
  g_clear_pointer (&stylizer->reference_name, g_free);
}

static void
drop_diffusion (Stylizer *stylizer)
{
  g_clear_pointer (&stylizer->diffusion, vks_diffusion_model_free);
  g_clear_pointer (&stylizer->diffusion_path, g_free);
}

void
stylizer_free (Stylizer *stylizer)
{
  if (stylizer == NULL)
    return;
  drop_style (stylizer);
  drop_texture (stylizer);
  drop_reference (stylizer);
  drop_diffusion (stylizer);
  g_clear_pointer (&stylizer->context, vks_context_free);
  g_free (stylizer->device);
  g_free (stylizer);
}

static gboolean
report (VksProgressFunc progress, gpointer user_data, const char *message)
{
  return progress == NULL || progress (0.0, message, user_data);
}

static gboolean
cancelled (GError **error)
{
  g_set_error_literal (error, VKS_ERROR, VKS_ERROR_CANCELLED, "Cancelled");
  return FALSE;
}

/* The context for `device`, made anew when the device changed. */
static gboolean
ensure_context (Stylizer *stylizer, const char *device, VksProgressFunc progress,
                gpointer user_data, GError **error)
{
  if (device == NULL)
    device = "";
  if (stylizer->context != NULL && g_strcmp0 (stylizer->device, device) == 0)
    return TRUE;
  /* the models' weights live on the old device: they go with it */
  drop_style (stylizer);
  drop_texture (stylizer);
  drop_reference (stylizer);
  drop_diffusion (stylizer);
  g_clear_pointer (&stylizer->context, vks_context_free);
  g_clear_pointer (&stylizer->device, g_free);
  if (!report (progress, user_data, "Starting Vulkan"))
    return cancelled (error);
  stylizer->context = vks_context_new (device, error);
  if (stylizer->context == NULL)
    return FALSE;
  stylizer->device = g_strdup (device);
  return TRUE;
}

gboolean
stylizer_run (Stylizer *stylizer, const char *device, const char *model_path,
              const float *rgb_in, float *rgb_out, int width, int height,
              VksProgressFunc progress, gpointer user_data, GError **error)
{
  if (!ensure_context (stylizer, device, progress, user_data, error))
    return FALSE;
  if (stylizer->style == NULL || g_strcmp0 (stylizer->model_path, model_path) != 0)
    {
      drop_style (stylizer);
      if (!report (progress, user_data, "Loading model"))
        return cancelled (error);
      stylizer->style = vks_style_load (stylizer->context, model_path, error);
      if (stylizer->style == NULL)
        return FALSE;
      stylizer->model_path = g_strdup (model_path);
    }
  return vks_style_apply (stylizer->style, rgb_in, rgb_out, width, height, progress, user_data,
                          error);
}

const char *
stylizer_style_name (const Stylizer *stylizer)
{
  return stylizer->style ? vks_style_name (stylizer->style) : NULL;
}

gboolean
stylizer_render_texture (Stylizer *stylizer, const char *device, const char *model_path,
                         guint64 seed, gboolean tileable, const char *codes, float *rgb,
                         int width, int height, VksProgressFunc progress, gpointer user_data,
                         GError **error)
{
  VksGanCodes parsed;
  VksTextureOptions options = { seed, &parsed, tileable };

  if (!ensure_context (stylizer, device, progress, user_data, error))
    return FALSE;
  if (stylizer->texture == NULL || g_strcmp0 (stylizer->texture_path, model_path) != 0)
    {
      drop_texture (stylizer);
      if (!report (progress, user_data, "Loading model"))
        return cancelled (error);
      stylizer->texture = vks_texture_model_load (stylizer->context, model_path, error);
      if (stylizer->texture == NULL)
        return FALSE;
      stylizer->texture_path = g_strdup (model_path);
    }
  if (!texture_codes_parse (vks_texture_model_config (stylizer->texture), codes, &parsed, error))
    return FALSE;
  return vks_texture_render (stylizer->texture, &options, width, height, rgb, progress,
                             user_data, error);
}

const char *
stylizer_texture_name (const Stylizer *stylizer)
{
  return stylizer->texture ? vks_texture_model_name (stylizer->texture) : NULL;
}

/* The model's vkstyle.name, else its file name without extension, as models.c names it. */
static char *
reference_model_name (const char *path)
{
  g_autoptr (ModelInfo) info = model_info_from_file (path, NULL);

  return info ? g_strdup (info->name) : g_path_get_basename (path);
}

gboolean
stylizer_translate_reference (Stylizer *stylizer, const char *device, const char *model_path,
                              const char *domain, const float *reference, int reference_width,
                              int reference_height, guint64 seed, int variation,
                              const float *rgb_in, float *rgb_out, int width, int height,
                              VksProgressFunc progress, gpointer user_data, GError **error)
{
  g_autofree float *style = NULL;
  int domain_index;
  gboolean ok;

  if (!ensure_context (stylizer, device, progress, user_data, error))
    return FALSE;
  if (stylizer->reference == NULL || g_strcmp0 (stylizer->reference_path, model_path) != 0)
    {
      drop_reference (stylizer);
      if (!report (progress, user_data, "Loading model"))
        return cancelled (error);
      stylizer->reference = vks_stargan2_load (stylizer->context, model_path, error);
      if (stylizer->reference == NULL)
        return FALSE;
      stylizer->reference_path = g_strdup (model_path);
      stylizer->reference_name = reference_model_name (model_path);
    }
  domain_index = vks_stargan2_find_domain (stylizer->reference, domain, error);
  if (domain_index < 0)
    return FALSE;
  style = g_new (float, vks_stargan2_config (stylizer->reference)->style_dim);
  if (reference != NULL)
    ok = vks_stargan2_style_from_image (stylizer->reference, reference, reference_width,
                                        reference_height, domain_index, style, error);
  else
    {
      g_autofree float *z = g_new (float, vks_stargan2_config (stylizer->reference)->latent_dim);

      vks_stargan2_latent (stylizer->reference, seed, (guint64) variation, z);
      ok = vks_stargan2_style_from_latent (stylizer->reference, z, domain_index, style, error);
    }
  return ok && vks_stargan2_translate (stylizer->reference, rgb_in, rgb_out, width, height, style,
                                       progress, user_data, error);
}

const char *
stylizer_reference_name (const Stylizer *stylizer)
{
  return stylizer->reference ? stylizer->reference_name : NULL;
}

/* ---- the diffusion filters ---- */

static gboolean
ensure_diffusion (Stylizer *stylizer, const char *device, const char *model_path,
                  VksProgressFunc progress, gpointer user_data, GError **error)
{
  const VksUnetConfig *cfg;

  if (!ensure_context (stylizer, device, progress, user_data, error))
    return FALSE;
  if (stylizer->diffusion != NULL && g_strcmp0 (stylizer->diffusion_path, model_path) == 0)
    return TRUE;
  drop_diffusion (stylizer);
  if (!report (progress, user_data, "Loading model"))
    return cancelled (error);
  stylizer->diffusion = vks_diffusion_model_load (stylizer->context, model_path, error);
  if (stylizer->diffusion == NULL)
    return FALSE;
  cfg = vks_diffusion_model_config (stylizer->diffusion);
  if (cfg->in_channels != 1 && cfg->in_channels != 3)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "%s draws %d channels; images need 1 (grey) or 3 (RGB)", model_path,
                   cfg->in_channels);
      drop_diffusion (stylizer);
      return FALSE;
    }
  stylizer->diffusion_path = g_strdup (model_path);
  return TRUE;
}

typedef struct {
  VksProgressFunc func;
  gpointer user_data;
} StepProgress;

/* The engine counts network runs; the dialog shows them as the CLI does. */
static gboolean
step_progress (int step, int n_steps, gpointer data)
{
  StepProgress *p = data;
  g_autofree char *message = NULL;

  if (p->func == NULL)
    return TRUE;
  message = g_strdup_printf ("Denoising step %d/%d", step, n_steps);
  return p->func ((double) step / MAX (n_steps, 1), message, p->user_data);
}

float *
stylizer_diffusion_sprites (Stylizer *stylizer, const char *device, const char *model_path,
                            const char *context, guint64 seed, VksSampler sampler, int steps,
                            double guidance, int count, int *size, VksProgressFunc progress,
                            gpointer user_data, GError **error)
{
  StepProgress p = { progress, user_data };
  const VksUnetConfig *cfg;
  g_autofree float *c = NULL, *x = NULL;
  float *rgb;
  int m;

  if (!ensure_diffusion (stylizer, device, model_path, progress, user_data, error))
    return NULL;
  cfg = vks_diffusion_model_config (stylizer->diffusion);
  c = g_new (float, cfg->n_cfeat);
  if (!vks_unet_parse_context (cfg, context, c, error))
    return NULL;
  m = cfg->in_channels * cfg->height * cfg->height;
  x = g_try_new (float, (gsize) count * m);
  rgb = g_try_new (float, (gsize) count * cfg->height * cfg->height * 3);
  if (x == NULL || rgb == NULL)
    {
      g_free (rgb);
      g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                   "not enough memory for %d images of %dx%d", count, cfg->height, cfg->height);
      return NULL;
    }
  /* exactly `vkstyle generate --seed`: x_T of image i from the seed, then the same batches */
  vks_diffusion_initial_noise (cfg, seed, 0, count, x);
  {
    VksGenerateOptions options = {
      .sampler = sampler, .steps = steps, .context = c, .guidance = guidance, .seed = seed,
      .progress = step_progress, .user_data = &p,
    };

    if (!vks_diffusion_generate (stylizer->diffusion, count, x, &options, error))
      {
        g_free (rgb);
        return NULL;
      }
  }
  vks_diffusion_to_rgb (cfg, count, x, rgb);
  *size = cfg->height;
  return rgb;
}

gboolean
stylizer_diffusion_vary (Stylizer *stylizer, const char *device, const char *model_path,
                         const char *context, double strength, int steps, guint64 seed,
                         const float *rgb_in, float *rgb_out, int width, int height,
                         VksProgressFunc progress, gpointer user_data, GError **error)
{
  StepProgress p = { progress, user_data };
  g_autofree float *c = NULL;
  const VksUnetConfig *cfg;

  if (!ensure_diffusion (stylizer, device, model_path, progress, user_data, error))
    return FALSE;
  cfg = vks_diffusion_model_config (stylizer->diffusion);
  c = g_new (float, cfg->n_cfeat);
  return vks_unet_parse_context (cfg, context, c, error)
         && vks_diffusion_vary (stylizer->diffusion, rgb_in, width, height, strength, steps, c,
                                seed, step_progress, &p, rgb_out, error);
}

const char *
stylizer_diffusion_name (const Stylizer *stylizer)
{
  return stylizer->diffusion ? vks_diffusion_model_name (stylizer->diffusion) : NULL;
}

static gboolean
any_device_exists (void)
{
  g_auto (GStrv) devices = vks_list_devices (NULL, NULL, NULL);

  return devices != NULL && devices[0] != NULL;
}

char *
stylizer_describe_error (const GError *error)
{
  return stylizer_describe_error_for (error, MODEL_KIND_STYLE);
}

char *
stylizer_describe_error_for (const GError *error, ModelKind kind)
{
  const ModelKindTexts *texts = model_kind_texts (kind);

  if (error == NULL)
    return g_strdup (_(texts->failed));
  if (error->domain != VKS_ERROR)
    return g_strdup (error->message);
  switch ((VksErrorCode) error->code)
    {
    case VKS_ERROR_CANCELLED:
      return NULL;
    case VKS_ERROR_NO_DEVICE:
      /* a driver is there: the choice (Device list or $VKSTYLE_DEVICE) matched nothing */
      if (any_device_exists () && g_getenv ("VKSTYLE_DEVICE") && *g_getenv ("VKSTYLE_DEVICE"))
        return g_strdup_printf (_("%s\n\n“Automatic” follows the environment variable "
                                  "VKSTYLE_DEVICE, which is set to “%s”. Choose a device in "
                                  "the Device list, or correct or unset the variable."),
                                error->message, g_getenv ("VKSTYLE_DEVICE"));
      if (any_device_exists ())
        return g_strdup_printf (_("%s\n\nChoose another device in the Device list."),
                                error->message);
      return g_strdup_printf (_("%s\n\nNo usable Vulkan device was found. Install a Vulkan "
                                "driver: on Debian and Ubuntu the package mesa-vulkan-drivers "
                                "provides one for every computer (it runs on the CPU if there "
                                "is no supported GPU)."),
                              error->message);
    case VKS_ERROR_OUT_OF_MEMORY:
    case VKS_ERROR_TOO_LARGE:
      return g_strdup_printf (_(texts->too_large), error->message);
    case VKS_ERROR_DEVICE_LOST:
      return g_strdup_printf (_("%s\n\nThe graphics device stopped responding. Try again with a "
                                "lower processing size (scale) or another device."),
                              error->message);
    case VKS_ERROR_CHECKPOINT:
      return g_strdup_printf (_(texts->unusable), error->message);
    case VKS_ERROR_IO:
    case VKS_ERROR_VULKAN:
    case VKS_ERROR_SHAPE:
    case VKS_ERROR_IMAGE:
    default:
      return g_strdup (error->message);
    }
}

char *
stylizer_translate_progress (const char *message)
{
  /* The engine's messages, listed so xgettext finds them; keep in step with engine/stylize.c and
   * engine/texture_render.c. */
  static const char *const known[] = {
    N_("Starting Vulkan"),
    N_("Loading model"),
    N_("Preparing the network"),
    N_("Compiling shaders (first use)"),
    N_("Stylizing"),
    N_("Rendering texture"),
    N_("Translating"),
    N_("Done"),
  };
  int tile, n_tiles;
  char tail;

  if (message == NULL)
    return g_strdup ("");
  if (sscanf (message, "Stylizing tile %d/%d%c", &tile, &n_tiles, &tail) == 2)
    return g_strdup_printf (_("Stylizing tile %d of %d"), tile, n_tiles);
  /* A pass that refines the colour statistics of an image too large to normalise whole. */
  if (sscanf (message, "Measuring tile %d/%d%c", &tile, &n_tiles, &tail) == 2)
    return g_strdup_printf (_("Measuring tile %d of %d"), tile, n_tiles);
  if (sscanf (message, "Translating tile %d/%d%c", &tile, &n_tiles, &tail) == 2)
    return g_strdup_printf (_("Translating tile %d of %d"), tile, n_tiles);
  if (sscanf (message, "Rendering texture piece %d/%d%c", &tile, &n_tiles, &tail) == 2)
    return g_strdup_printf (_("Rendering texture piece %d of %d"), tile, n_tiles);
  /* the diffusion filters: one network run of all of the job's (stylizer_diffusion_*) */
  if (sscanf (message, "Denoising step %d/%d%c", &tile, &n_tiles, &tail) == 2)
    return g_strdup_printf (_("Denoising step %d of %d"), tile, n_tiles);
  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (message, known[i]) == 0)
      return g_strdup (_(known[i]));
  return g_strdup (message);
}
