/* GAN generators as image and texture sources (texture.h).
 *
 * Latents. Every number comes from a counter-based generator, so latent i of a batch (or the
 * latent of texture cell (y, x)) depends on the seed and its index only: a key
 * k = mix(mix(seed + domain * G) ^ stream) (G the golden-ratio constant 0x9E3779B97F4A7C15,
 * mix SplitMix64's finaliser, domain 1 for batch latents with stream i, 2 for texture cells with
 * stream (uint32 y) << 32 | (uint32 x)), then the 64-bit words u_j = mix(k + (j + 1) * G), which
 * is SplitMix64's stream from state k. Each pair (u_2m, u_2m+1) gives two normals by Box-Muller in
 * double: r = sqrt(-2 ln((u_2m >> 11) + 1) 2^-53), t = 2 pi (u_2m+1 >> 11) 2^-53, r cos t and
 * r sin t, rounded to float. Integer arithmetic is exact everywhere; the double log/sin/cos of
 * glibc are within an ulp, which rounding to float hides.
 *
 * Textures. A DCGAN generator is fully convolutional: on a gh x gw latent grid it draws
 * (gh + 3) c x (gw + 3) c pixels, c = image_size / 4 (one "cell" per latent). The texture is the
 * generator run on an unbounded grid of latents, one per cell, and cropped: pixel (y, x) of
 * every texture of one seed is the same pixel. A window of latents [a, b) computes the rows
 * [a c, (b + 3) c) of the plane, of which all but MARGIN = 4 c - 1 at each end are exact (every
 * latent and activation they depend on lies inside the window; eval-mode batch norm is
 * pointwise), so pieces that each drop their margins join without a seam and equal one piece.
 * Tileable: the latent grid repeats with a period of round(size / c) cells, so the plane repeats
 * with period P = round(size / c) c; one period is cropped and, where P differs from the size,
 * resampled periodically (Catmull-Rom with wrap-around) to exactly width x height. */
#include "engine/texture-private.h"

#include <math.h>
#include <string.h>

#include "engine/error.h"

#define GOLDEN 0x9E3779B97F4A7C15ull
#define DOMAIN_BATCH 1
/* The most images one generate plan holds (fewer where the budget says so). */
#define MAX_BATCH 64

/* ---- latents ---- */

static guint64
mix (guint64 z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void
vks_texture_normals (guint64 seed, guint64 domain, guint64 stream, int count, float *out)
{
  guint64 key = mix (mix (seed + domain * GOLDEN) ^ stream);
  for (int j = 0; j < count; j += 2) {
    guint64 a = mix (key + (guint64) (j + 1) * GOLDEN), b = mix (key + (guint64) (j + 2) * GOLDEN);
    double u1 = ((double) (a >> 11) + 1.0) * 0x1p-53, u2 = (double) (b >> 11) * 0x1p-53;
    double r = sqrt (-2.0 * log (u1)), t = 2.0 * G_PI * u2;
    out[j] = (float) (r * cos (t));
    if (j + 1 < count)
      out[j + 1] = (float) (r * sin (t));
  }
}

void
vks_texture_put_codes (const VksGanConfig *cfg, const VksGanCodes *codes, float *v)
{
  float *cat = v + cfg->nz, *cont = cat + cfg->n_categories;
  memset (cat, 0, (size_t) (cfg->n_categories + cfg->n_continuous) * sizeof (float));
  if (cfg->n_categories > 0)
    cat[codes ? CLAMP (codes->category, 0, cfg->n_categories - 1) : 0] = 1.0f;
  for (int j = 0; j < cfg->n_continuous && codes != NULL; j++)
    cont[j] = (float) codes->continuous[j];
}

void
vks_gan_latents (const VksGanConfig *cfg, guint64 seed, int count, const VksGanCodes *codes,
                 float *z)
{
  int latent = vks_gan_latent_size (cfg);
  for (int i = 0; i < count; i++) {
    vks_texture_normals (seed, DOMAIN_BATCH, (guint64) i, cfg->nz, z + (size_t) i * latent);
    vks_texture_put_codes (cfg, codes, z + (size_t) i * latent);
  }
}

/* ---- the model ---- */

VksTextureModel *
vks_texture_model_load (VksContext *ctx, const char *path, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, error);
  if (ckpt == NULL)
    return NULL;
  g_autoptr (VksTextureModel) model = g_new0 (VksTextureModel, 1);
  model->ctx = ctx;
  g_autoptr (GError) local = NULL;
  gboolean ok = vks_gan_config_from_checkpoint (ckpt, &model->cfg, &local);
  /* a discriminator's main.1 is a LeakyReLU, a generator's a batch norm */
  if (ok && vks_checkpoint_get_tensor (ckpt, "main.1.weight") == NULL &&
      (vks_checkpoint_get_tensor (ckpt, "main.0.weight") != NULL)) {
    g_set_error (&local, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "this is a GAN discriminator (critic); images and textures need its generator");
    ok = FALSE;
  }
  ok = ok && vks_gan_check_tensors (ckpt, &model->cfg, TRUE, &local);
  if (ok && model->cfg.nc != 1 && model->cfg.nc != 3) {
    g_set_error (&local, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "the generator draws %d channels; images and textures need 1 (grey) or 3 (RGB)",
                 model->cfg.nc);
    ok = FALSE;
  }
  g_autoptr (VksGraph) proto = vks_graph_new ();
  if (ok) {
    VksNode z = vks_input (proto, "z", vks_shape (1, vks_gan_latent_size (&model->cfg), 1, 1));
    vks_dcgan_generator (proto, z, &model->cfg, FALSE, NULL, NULL);
    ok = vks_graph_check (proto, &local) &&
         (model->store = vks_param_store_new (ctx, &proto, 1, &local)) != NULL &&
         vks_param_store_load (model->store, ckpt, NULL, &local);
  }
  if (!ok) {
    g_autofree char *base = g_path_get_basename (path);
    g_set_error (error, local->domain, local->code, "%s: %s", base, local->message);
    return NULL;
  }
  const char *name = vks_checkpoint_get_metadata (ckpt, "vkstyle.name");
  const char *desc = vks_checkpoint_get_metadata (ckpt, "vkstyle.description");
  if (name != NULL && *name != '\0') {
    model->name = g_strdup (name);
  } else {
    model->name = g_path_get_basename (path);
    char *dot = strrchr (model->name, '.');
    if (dot != NULL && dot != model->name)
      *dot = '\0';
  }
  model->description = g_strdup (desc ? desc : "");
  return g_steal_pointer (&model);
}

static void
drop_plan (VksTextureModel *model)
{
  g_clear_pointer (&model->plan, vks_plan_free);
  g_clear_pointer (&model->graph, vks_graph_free);
  model->n = 0;
}

void
vks_texture_model_free (VksTextureModel *model)
{
  if (model == NULL)
    return;
  drop_plan (model);
  g_clear_pointer (&model->store, vks_param_store_free);
  g_free (model->name);
  g_free (model->description);
  g_free (model);
}

const char *
vks_texture_model_name (const VksTextureModel *model)
{
  return model->name;
}

const char *
vks_texture_model_description (const VksTextureModel *model)
{
  return model->description;
}

const VksGanConfig *
vks_texture_model_config (const VksTextureModel *model)
{
  return &model->cfg;
}

/* The generator on n grids of gh x gw, in eval mode. */
static VksGraph *
generator_graph (const VksTextureModel *model, int n, int gh, int gw, VksNode *z, VksNode *y)
{
  VksGraph *g = vks_graph_new ();
  *z = vks_input (g, "z", vks_shape (n, vks_gan_latent_size (&model->cfg), gh, gw));
  *y = vks_dcgan_generator (g, *z, &model->cfg, FALSE, NULL, NULL);
  return g;
}

gboolean
vks_texture_plan_fits (VksTextureModel *model, int n, int gh, int gw, VkDeviceSize budget)
{
  VksNode z, y;
  g_autoptr (VksGraph) g = generator_graph (model, n, gh, gw, &z, &y);
  VksPlanOptions opts = { .params = model->store };
  VksPlanStats st;
  return vks_graph_check (g, NULL) &&
         vks_plan_measure (model->ctx, g, &y, 1, &opts, &st, NULL) && st.arena_bytes <= budget;
}

gboolean
vks_texture_use_plan (VksTextureModel *model, int n, int gh, int gw, GError **error)
{
  if (model->plan != NULL && model->n == n && model->gh == gh && model->gw == gw)
    return TRUE;
  drop_plan (model);
  model->graph = generator_graph (model, n, gh, gw, &model->z, &model->y);
  VksPlanOptions opts = { .params = model->store, .readback = &model->y, .n_readback = 1 };
  if (!vks_graph_check (model->graph, error) ||
      (model->plan = vks_plan_new (model->ctx, model->graph, &model->y, 1, &opts, error)) ==
        NULL) {
    drop_plan (model);
    return FALSE;
  }
  model->n = n;
  model->gh = gh;
  model->gw = gw;
  return TRUE;
}

gboolean
vks_texture_keep_going (gpointer data)
{
  VksTextureProgress *p = data;
  if (p->func != NULL && !p->cancelled && !p->func (p->fraction, p->message, p->data))
    p->cancelled = TRUE;
  return !p->cancelled;
}

gboolean
vks_texture_cancelled (VksTextureProgress *p, GError **error)
{
  if (vks_texture_keep_going (p))
    return FALSE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_CANCELLED, "cancelled");
  return TRUE;
}

gboolean
vks_texture_run_plan (VksTextureModel *model, const float *z, float *out, VksTextureProgress *p,
                      GError **error)
{
  return vks_plan_set (model->plan, model->z, z, error) &&
         vks_plan_run_until (model->plan, vks_texture_keep_going, p, error) &&
         vks_plan_get (model->plan, model->y, out, error);
}

/* Planar tanh output -> packed R'G'B' in [0, 1] (grey repeated). */
static float
to_unit (float v)
{
  return CLAMP (0.5f * (v + 1.0f), 0.0f, 1.0f);
}

void
vks_texture_planar_to_rgb (const float *planes, int nc, int oh, int ow, int y0, int x0, int h,
                           int w, float *rgb, int stride)
{
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        int src = nc == 1 ? 0 : c;
        rgb[((size_t) y * stride + x) * 3 + c] =
          to_unit (planes[((size_t) src * oh + y0 + y) * ow + x0 + x]);
      }
}

gboolean
vks_texture_generate (VksTextureModel *model, int count, const float *z, float *rgb,
                      VksProgressFunc progress, gpointer user_data, GError **error)
{
  g_return_val_if_fail (model != NULL && count >= 0 && (count == 0 || (z && rgb)), FALSE);
  const VksGanConfig *cfg = &model->cfg;
  int latent = vks_gan_latent_size (cfg), size = cfg->image_size;
  VkDeviceSize budget = vks_memory_budget (model->ctx);
  int batch = MIN (MAX (count, 1), MAX_BATCH);
  while (batch > 1 && !vks_texture_plan_fits (model, batch, 1, 1, budget))
    batch /= 2;
  if (!vks_texture_use_plan (model, batch, 1, 1, error))
    return FALSE;
  /* A short last batch is padded with zeros: eval-mode batch norm treats images apart. */
  g_autofree float *zb = g_new0 (float, (size_t) batch * latent);
  g_autofree float *out = g_new (float, (size_t) batch * cfg->nc * size * size);
  VksTextureProgress p = { progress, user_data, 0.0, "Generating images", FALSE };
  for (int done = 0; done < count; done += batch) {
    int k = MIN (batch, count - done);
    p.fraction = (double) done / count;
    if (vks_texture_cancelled (&p, error))
      return FALSE;
    memset (zb, 0, (size_t) batch * latent * sizeof (float));
    memcpy (zb, z + (size_t) done * latent, (size_t) k * latent * sizeof (float));
    if (!vks_texture_run_plan (model, zb, out, &p, error))
      return FALSE;
    for (int i = 0; i < k; i++)
      vks_texture_planar_to_rgb (out + (size_t) i * cfg->nc * size * size, cfg->nc, size, size,
                                 0, 0, size, size, rgb + (size_t) (done + i) * size * size * 3,
                                 size);
  }
  p.fraction = 1.0;
  return !vks_texture_cancelled (&p, error);
}

gboolean
vks_texture_check_size (int width, int height, GError **error)
{
  if (width < 1 || height < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "a texture of %dx%d pixels is empty", width,
                 height);
    return FALSE;
  }
  if (width > VKS_TEXTURE_MAX_SIDE || height > VKS_TEXTURE_MAX_SIDE ||
      (gint64) width * height > VKS_TEXTURE_MAX_PIXELS) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a texture of %dx%d pixels is too large: at most %d pixels a side and %"
                 G_GINT64_FORMAT " megapixels", width, height, VKS_TEXTURE_MAX_SIDE,
                 VKS_TEXTURE_MAX_PIXELS >> 20);
    return FALSE;
  }
  return TRUE;
}
