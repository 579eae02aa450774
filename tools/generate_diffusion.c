/* `vkstyle generate` with a diffusion model (engine/models/diffusion.h): x_T from the seed or a
 * file, DDIM or DDPM, a class mix, classifier-free guidance; batches of VKS_DIFFUSION_BATCH
 * images (vks_diffusion_generate, which GIMP's Diffusion Sprites calls too). */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/models/diffusion_generate.h"
#include "tools/cli.h"
#include "tools/generate-private.h"
#include "tools/image_io.h"

#define DEFAULT_DDIM_STEPS 25

gboolean
vks_generate_is_diffusion (const char *path)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load_header (path, NULL);
  const char *arch = ckpt ? vks_checkpoint_get_metadata (ckpt, "vkstyle.arch") : NULL;
  return arch != NULL && strcmp (arch, VKS_ARCH_CONTEXT_UNET) == 0;
}

/* x_T [N][C][H][W] from tensor x of a safetensors file; *count becomes N. */
static float *
read_noise (const char *path, const VksUnetConfig *cfg, int *count, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, error);
  if (ckpt == NULL)
    return NULL;
  const VksCheckpointTensor *x = vks_checkpoint_get_tensor (ckpt, "x");
  int h = cfg->height;
  if (x == NULL || x->ndim != 4 || x->shape[1] != cfg->in_channels || x->shape[2] != h ||
      x->shape[3] != h || x->shape[0] < 1 || x->shape[0] > VKS_GENERATE_MAX_COUNT) {
    g_autofree char *shape = x ? vks_format_shape (x->ndim, x->shape) : g_strdup ("absent");
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "%s: tensor x must have shape [N, %d, %d, %d] with N from 1 to %d (it is %s)",
                 path, cfg->in_channels, h, h, VKS_GENERATE_MAX_COUNT, shape);
    return NULL;
  }
  *count = (int) x->shape[0];
  return g_memdup2 (x->data, x->n_elements * sizeof (float));
}

static gboolean
report (int step, int n_steps, gpointer data)
{
  (void) data;
  g_autofree char *msg = g_strdup_printf ("Denoising step %d/%d", step, n_steps);
  vks_cli_progress ((double) step / n_steps, msg, NULL);
  return TRUE;
}

gboolean
vks_generate_diffusion (const VksDiffusionArgs *a, const char *out, GError **error)
{
  guint64 seed = 0;
  if (a->seed != NULL && !vks_generate_parse_seed (a->seed, &seed, error))
    return FALSE;
  if (!vks_image_check_output (out, error))
    return FALSE;
  g_autoptr (VksContext) ctx = vks_context_new (a->device, error);
  if (ctx == NULL)
    return FALSE;
  g_autoptr (VksDiffusionModel) model = vks_diffusion_model_load (ctx, a->model, error);
  if (model == NULL)
    return FALSE;
  const VksUnetConfig *cfg = vks_diffusion_model_config (model);
  if (cfg->in_channels != 1 && cfg->in_channels != 3) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "%s draws %d channels; images need 1 (grey) or 3 (RGB)", a->model,
                 cfg->in_channels);
    return FALSE;
  }
  g_autofree float *c1 = g_new (float, cfg->n_cfeat);
  if (!vks_unet_parse_context (cfg, a->context, c1, error))
    return FALSE;
  int count = a->count, h = cfg->height, m = cfg->in_channels * h * h;
  g_autofree float *x = NULL;
  if (a->noise != NULL) {
    if ((x = read_noise (a->noise, cfg, &count, error)) == NULL)
      return FALSE;
  } else {
    x = g_new (float, (size_t) count * m);
    vks_diffusion_initial_noise (cfg, seed, 0, count, x);
  }
  VksGenerateOptions go = {
    .sampler = a->sampler && strcmp (a->sampler, "ddpm") == 0 ? VKS_SAMPLER_DDPM
                                                               : VKS_SAMPLER_DDIM,
    .steps = a->steps > 0 ? a->steps : DEFAULT_DDIM_STEPS, .context = c1,
    .guidance = a->guidance, .seed = seed, .progress = report,
  };
  gboolean ok = vks_diffusion_generate (model, count, x, &go, error);
  vks_cli_progress_end ();
  if (!ok)
    return FALSE;
  g_autofree float *rgb = g_new (float, (size_t) count * h * h * 3);
  vks_diffusion_to_rgb (cfg, count, x, rgb);
  return vks_generate_save_all (rgb, count, h, h, a->grid, out, error);
}
