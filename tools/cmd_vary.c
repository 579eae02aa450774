/* `vkstyle vary`: a variation of an image by a diffusion model: the image noised to the
 * timestep round(strength T) (the forward process, seeded), then denoised by DDIM, in tiles of
 * the model's size for larger images (engine/models/diffusion.h, vks_diffusion_vary). */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/models/diffusion.h"
#include "tools/cli.h"
#include "tools/generate-private.h"
#include "tools/image_io.h"

#define DEFAULT_STEPS 25

static const char description[] =
  "STRENGTH 0 returns the image, 1 ignores it (pure noise). An image larger than the model's\n"
  "size (e.g. 16x16) is done in overlapping tiles of that size, cross-faded; a smaller one is\n"
  "refused. Alpha is kept.\n"
  "--context \"hero=1\" steers the denoising toward a class mix (names or indices).";

typedef struct {
  char *model, *device, *seed, *context;
  double strength;
  int steps;
} Options;

static gboolean
report (int step, int n_steps, gpointer data)
{
  (void) data;
  g_autofree char *msg = g_strdup_printf ("Denoising step %d/%d", step, n_steps);
  return vks_cli_progress ((double) step / n_steps, msg, NULL);
}

static gboolean
run (const Options *o, const char *in, const char *out, GError **error)
{
  guint64 seed = 0;
  if (o->seed != NULL && !vks_generate_parse_seed (o->seed, &seed, error))
    return FALSE;
  if (!vks_image_check_output (out, error))
    return FALSE;
  g_autoptr (VksImage) image = vks_image_load (in, error);
  if (image == NULL)
    return FALSE;
  g_autoptr (VksContext) ctx = vks_context_new (o->device, error);
  if (ctx == NULL)
    return FALSE;
  g_autoptr (VksDiffusionModel) model = vks_diffusion_model_load (ctx, o->model, error);
  if (model == NULL)
    return FALSE;
  const VksUnetConfig *cfg = vks_diffusion_model_config (model);
  g_autofree float *c = g_new (float, cfg->n_cfeat);
  if (!vks_unet_parse_context (cfg, o->context, c, error))
    return FALSE;
  gboolean ok = vks_diffusion_vary (model, image->rgb, image->width, image->height, o->strength,
                                    o->steps > 0 ? o->steps : DEFAULT_STEPS, c, seed, report,
                                    NULL, image->rgb, error);
  vks_cli_progress_end ();
  if (!ok) {
    g_prefix_error (error, "%s: ", in);
    return FALSE;
  }
  return vks_image_save (image, out, error);
}

int
vks_cmd_vary (GStrv *args)
{
  Options o = { .strength = NAN };
  g_auto (GStrv) files = NULL;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &o.model, "Diffusion model (.safetensors)",
      "FILE" },
    { "strength", 0, 0, G_OPTION_ARG_DOUBLE, &o.strength, "How much noise: 0.0 to 1.0", "S" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &o.steps, "DDIM steps (default 25)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_STRING, &o.seed, "Seed of the noise (default 0)", "S" },
    { "context", 0, 0, G_OPTION_ARG_STRING, &o.context, "Class mix", "NAME=W,..." },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &o.device,
      "Vulkan device: index or part of its name", "DEVICE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  int status = VKS_EXIT_USAGE;
  if (!vks_cli_parse ("vary", "IN OUT", "A variation of an image by a diffusion model.",
                      description, entries, args))
    goto out;
  guint n_files = files ? g_strv_length (files) : 0;
  if (!o.model)
    status = vks_cli_usage_error ("vary", "--model is required");
  else if (n_files != 2)
    status = vks_cli_usage_error ("vary", "expected IN and OUT file names, got %u", n_files);
  else if (!(o.strength >= 0.0 && o.strength <= 1.0))
    status = vks_cli_usage_error ("vary", "--strength from 0.0 to 1.0 is required");
  else if (o.steps < 0 || o.steps > 10000)
    status = vks_cli_usage_error ("vary", "--steps must be from 1 to 10000");
  else {
    vks_cli_gegl_init ();
    GError *error = NULL;
    gboolean ok = run (&o, files[0], files[1], &error);
    gegl_exit ();
    status = ok ? VKS_EXIT_OK : vks_cli_fail (error);
  }
out:
  g_free (o.model);
  g_free (o.device);
  g_free (o.seed);
  g_free (o.context);
  return status;
}
