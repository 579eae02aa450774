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

void
stylizer_free (Stylizer *stylizer)
{
  if (stylizer == NULL)
    return;
  drop_style (stylizer);
  drop_texture (stylizer);
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
  gboolean texture = kind == MODEL_KIND_TEXTURE;

  if (error == NULL)
    return g_strdup (texture ? _("Rendering the texture failed for an unknown reason.")
                             : _("Style transfer failed for an unknown reason."));
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
      if (texture)
        return g_strdup_printf (_("%s\n\nThe area is too large for this device. Select a "
                                  "smaller area, or choose another device."),
                                error->message);
      return g_strdup_printf (_("%s\n\nThe image is too large for this device. Lower the "
                                "processing size (scale), select a smaller area, or choose "
                                "another device."),
                              error->message);
    case VKS_ERROR_DEVICE_LOST:
      return g_strdup_printf (_("%s\n\nThe graphics device stopped responding. Try again with a "
                                "lower processing size (scale) or another device."),
                              error->message);
    case VKS_ERROR_CHECKPOINT:
      if (texture)
        return g_strdup_printf (_("Could not use this texture model:\n%s"), error->message);
      return g_strdup_printf (_("Could not use this style model:\n%s"), error->message);
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
  if (sscanf (message, "Rendering texture piece %d/%d%c", &tile, &n_tiles, &tail) == 2)
    return g_strdup_printf (_("Rendering texture piece %d of %d"), tile, n_tiles);
  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (message, known[i]) == 0)
      return g_strdup (_(known[i]));
  return g_strdup (message);
}
