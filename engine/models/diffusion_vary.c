/* Variations of images of any size by partial noising and DDIM, in overlapping model-size tiles
 * (diffusion.h, vks_diffusion_vary). */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/models/diffusion.h"

#define BATCH 16

/* Tile origins along one axis: n tiles of `size` covering `extent`, neighbours overlapping by
 * at least size / 4, spread evenly, the last one at the edge. */
static int *
axis_starts (int extent, int size, int *n)
{
  int overlap = MAX (1, size / 4);
  /* the fewest n with (n - 1) (size - overlap) + size >= extent */
  *n = 1;
  while ((*n - 1) * (size - overlap) + size < extent)
    (*n)++;
  int *start = g_new (int, *n);
  for (int k = 0; k < *n; k++)
    start[k] = *n == 1 ? 0 : (int) lround ((double) k * (extent - size) / (*n - 1));
  return start;
}

/* Weight of a tile's pixel i (of size) along an axis: a ramp over the overlap on sides that
 * have a neighbour. */
static float
ramp (int i, int size, gboolean before, gboolean after, int ramp_len)
{
  float w = 1.0f;
  if (before)
    w = MIN (w, (float) (i + 1) / (ramp_len + 1));
  if (after)
    w = MIN (w, (float) (size - i) / (ramp_len + 1));
  return w;
}

typedef struct {
  VksDiffusionProgress func;
  gpointer data;
  int done, total;
} Progress;

static gboolean
batch_progress (int step, int n_steps, gpointer data)
{
  (void) n_steps;
  Progress *p = data;
  return p->func == NULL || p->func (p->done + step, p->total, p->data);
}

gboolean
vks_diffusion_vary (VksDiffusionModel *model, const float *rgb, int width, int height,
                    double strength, int steps, const float *context, guint64 seed,
                    VksDiffusionProgress progress, gpointer user_data, float *out,
                    GError **error)
{
  const VksUnetConfig *cfg = vks_diffusion_model_config (model);
  int s = cfg->height, m = cfg->in_channels * s * s;
  if (cfg->in_channels != 1 && cfg->in_channels != 3) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "the model draws %d channels; images need 1 (grey) or 3 (RGB)",
                 cfg->in_channels);
    return FALSE;
  }
  if (width < s || height < s) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "the image is %dx%d; the model needs at least %dx%d", width, height, s, s);
    return FALSE;
  }
  int nx, ny;
  g_autofree int *sx = axis_starts (width, s, &nx), *sy = axis_starts (height, s, &ny);
  int n = nx * ny;
  if ((gint64) n * m > G_MAXINT / 2) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE, "the image is too large (%d tiles)", n);
    return FALSE;
  }
  g_autofree float *x = g_try_new (float, (size_t) n * m);
  g_autofree float *tile_rgb = g_try_new (float, (size_t) n * s * s * 3);
  g_autofree double *acc = g_try_new0 (double, (size_t) width * height * 3);
  g_autofree double *wsum = g_try_new0 (double, (size_t) width * height);
  if (x == NULL || tile_rgb == NULL || acc == NULL || wsum == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "not enough memory for %d tiles", n);
    return FALSE;
  }
  /* the tiles' pixels, row-major over tiles */
  for (int ty = 0; ty < ny; ty++)
    for (int tx = 0; tx < nx; tx++) {
      float *dst = tile_rgb + (size_t) (ty * nx + tx) * s * s * 3;
      for (int y = 0; y < s; y++)
        memcpy (dst + (size_t) y * s * 3, rgb + ((size_t) (sy[ty] + y) * width + sx[tx]) * 3,
                sizeof (float) * s * 3);
    }
  vks_diffusion_from_rgb (cfg, n, tile_rgb, x);
  int t = (int) lround (CLAMP (strength, 0.0, 1.0) * cfg->timesteps);
  if (t > 0) {
    vks_diffusion_noise_to (model, t, seed, 0, n, x);
    g_autofree float *c = g_new0 (float, (size_t) BATCH * cfg->n_cfeat);
    for (int i = 0; context != NULL && i < BATCH; i++)
      memcpy (c + (size_t) i * cfg->n_cfeat, context, sizeof (float) * cfg->n_cfeat);
    Progress p = { progress, user_data, 0, 0 };
    VksSampleOptions so = { .sampler = VKS_SAMPLER_DDIM, .steps = steps, .t_start = t,
                            .context = c, .seed = seed, .progress = batch_progress,
                            .user_data = &p };
    int per = vks_diffusion_n_steps (model, &so);
    p.total = per * ((n + BATCH - 1) / BATCH);
    for (int first = 0; first < n; first += BATCH) {
      so.first = first;
      if (!vks_diffusion_sample (model, MIN (BATCH, n - first), x + (size_t) first * m, &so,
                                 error))
        return FALSE;
      p.done += per;
    }
    vks_diffusion_to_rgb (cfg, n, x, tile_rgb);
  }
  int ov = MAX (1, s / 4);
  for (int ty = 0; ty < ny; ty++)
    for (int tx = 0; tx < nx; tx++) {
      const float *src = tile_rgb + (size_t) (ty * nx + tx) * s * s * 3;
      for (int y = 0; y < s; y++) {
        float wy = ramp (y, s, ty > 0, ty < ny - 1, ov);
        for (int xx = 0; xx < s; xx++) {
          double w = (double) wy * ramp (xx, s, tx > 0, tx < nx - 1, ov);
          size_t p = (size_t) (sy[ty] + y) * width + sx[tx] + xx;
          wsum[p] += w;
          for (int ch = 0; ch < 3; ch++)
            acc[p * 3 + ch] += w * src[((size_t) y * s + xx) * 3 + ch];
        }
      }
    }
  for (size_t p = 0; p < (size_t) width * height; p++)
    for (int ch = 0; ch < 3; ch++)
      out[p * 3 + ch] = (float) (acc[p * 3 + ch] / wsum[p]);
  return TRUE;
}
