/* `vkstyle apply --domain`: a StarGAN v2 model translates INPUT into a domain with the style
 * of a reference image, of a seed's latents (N variations) or of a given latent z. */
#include "tools/cmd_apply_stargan2.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/error.h"
#include "engine/models/stargan2_net.h"
#include "tools/cli.h"
#include "tools/image_io.h"

#define MAX_COUNT 1000
/* the reference's s_avg: the mean of 10000 mapped latents */
#define MEAN_STYLE_COUNT 10000

gboolean
vks_apply_stargan2_requested (const VksApplyStarGan2 *o)
{
  return o->domain || o->reference || o->seed || o->latent || !isnan (o->psi) ||
         o->count != G_MININT;
}

char *
vks_apply_stargan2_usage (const VksApplyStarGan2 *o)
{
  int sources = !!o->reference + !!o->seed + !!o->latent;
  if (!o->domain)
    return g_strdup ("a StarGAN v2 model needs --domain NAME or INDEX");
  if (sources != 1)
    return g_strdup ("give one style source: --reference IMAGE, --seed S or --latent FILE");
  if (o->count != G_MININT && !o->seed)
    return g_strdup ("--count takes --seed (variations are new latents)");
  if (o->count != G_MININT && (o->count < 1 || o->count > MAX_COUNT))
    return g_strdup_printf ("--count must be from 1 to %d", MAX_COUNT);
  if (!isnan (o->psi) && o->reference)
    return g_strdup ("--psi truncates latent styles: it takes --seed or --latent");
  if (!isnan (o->psi) && !(o->psi >= 0.0 && o->psi <= 1.0))
    return g_strdup ("--psi must be from 0 to 1");
  return NULL;
}

/* z from --latent: tensor z of shape [1, latent_dim] (or [latent_dim]). */
static gboolean
read_latent (const char *path, int latent, float *z, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, error);
  if (ckpt == NULL)
    return FALSE;
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, "z");
  gboolean ok = t != NULL && t->n_elements == latent &&
                ((t->ndim == 2 && t->shape[0] == 1) || t->ndim == 1);
  if (!ok) {
    g_autofree char *shape = t ? vks_format_shape (t->ndim, t->shape) : g_strdup ("absent");
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "%s: tensor z must have shape [1, %d] (it is %s)", path, latent, shape);
    return FALSE;
  }
  memcpy (z, t->data, sizeof (float) * latent);
  return TRUE;
}

/* The style codes (count x style_dim) the options ask for. */
static gboolean
make_styles (VksStarGan2 *net, const VksApplyStarGan2 *o, int domain, int count, float *styles,
             GError **error)
{
  const VksStarGan2Config *cfg = vks_stargan2_config (net);
  if (o->reference) {
    g_autoptr (VksImage) ref = vks_image_load (o->reference, error);
    return ref != NULL && vks_stargan2_style_from_image (net, ref->rgb, ref->width, ref->height,
                                                         domain, styles, error);
  }
  guint64 seed = 0;
  if (o->seed && !g_ascii_string_to_unsigned (o->seed, 10, 0, G_MAXUINT64, &seed, error))
    return FALSE;
  g_autofree float *z = g_new (float, cfg->latent_dim);
  for (int i = 0; i < count; i++) {
    if (o->seed)
      vks_stargan2_latent (net, seed, (guint64) i, z);
    else if (!read_latent (o->latent, cfg->latent_dim, z, error))
      return FALSE;
    if (!vks_stargan2_style_from_latent (net, z, domain, styles + (gsize) i * cfg->style_dim,
                                         error))
      return FALSE;
  }
  if (isnan (o->psi))
    return TRUE;
  /* torch.lerp(s_avg, s, psi) */
  g_autofree float *mean = g_new (float, cfg->style_dim);
  if (!vks_stargan2_mean_style (net, domain, MEAN_STYLE_COUNT, mean, error))
    return FALSE;
  for (int i = 0; i < count; i++)
    for (int k = 0; k < cfg->style_dim; k++) {
      float *s = styles + (gsize) i * cfg->style_dim + k;
      *s = mean[k] + (float) o->psi * (*s - mean[k]);
    }
  return TRUE;
}

gboolean
vks_apply_stargan2_run (const VksApplyStarGan2 *o, const char *model, const char *device,
                        const char *input, const char *output, GError **error)
{
  gint64 start = g_get_monotonic_time ();
  int count = o->count == G_MININT ? 1 : o->count;
  if (!vks_image_check_output (output, error))
    return FALSE;
  g_autoptr (VksImage) image = vks_image_load (input, error);
  if (image == NULL)
    return FALSE;
  g_autoptr (VksContext) ctx = vks_context_new (device, error);
  if (ctx == NULL)
    return FALSE;
  g_autoptr (VksStarGan2) net = vks_stargan2_load (ctx, model, error);
  if (net == NULL)
    return FALSE;
  int domain = vks_stargan2_find_domain (net, o->domain, error);
  if (domain < 0)
    return FALSE;
  const VksStarGan2Config *cfg = vks_stargan2_config (net);
  g_autofree float *styles = g_new (float, (gsize) count * cfg->style_dim);
  if (!make_styles (net, o, domain, count, styles, error))
    return FALSE;
  gsize floats = (gsize) image->width * image->height * 3;
  g_autofree float *source = g_memdup2 (image->rgb, floats * sizeof (float));
  for (int i = 0; i < count; i++) {
    g_autofree char *path = count == 1 ? g_strdup (output) : vks_cli_numbered_path (output, i);
    gboolean ok = vks_stargan2_translate (net, source, image->rgb, image->width, image->height,
                                          styles + (gsize) i * cfg->style_dim, vks_cli_progress,
                                          NULL, error);
    vks_cli_progress_end ();
    if (!ok || !vks_image_save (image, path, error))
      return FALSE;
    if (vks_cli_stderr_is_terminal ())
      fprintf (stderr, "%s: %dx%d, domain \"%s\" on %s, %.1f s\n", path, image->width,
               image->height, vks_stargan2_domain_names (net)[domain],
               vks_context_device_name (ctx),
               (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  }
  return TRUE;
}
