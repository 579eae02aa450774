/* GAN generators (DCGAN, InfoGAN checkpoints, engine/models/dcgan.h) as image and texture
 * sources: what `vkstyle generate` and Filters > Render > Pattern > Neural Texture call. */
#pragma once
#include "engine/models/dcgan.h"
#include "engine/stylize.h"   /* VksProgressFunc */

typedef struct VksTextureModel VksTextureModel;

/* Loads and validates a generator checkpoint (its metadata names the architecture; every tensor
 * checked) and uploads its weights. */
VksTextureModel *vks_texture_model_load (VksContext *ctx, const char *path, GError **error);
void vks_texture_model_free (VksTextureModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksTextureModel, vks_texture_model_free)

/* vkstyle.name (else the file name without extension) and vkstyle.description (may be ""). */
const char *vks_texture_model_name (const VksTextureModel *model);
const char *vks_texture_model_description (const VksTextureModel *model);
const VksGanConfig *vks_texture_model_config (const VksTextureModel *model);

/* InfoGAN codes: the category (an index in [0, n_categories)) then each continuous code (in
 * [-1, 1]; the filter allows [-2, 2]): 1 + n_continuous values, or 0 values for DCGAN. */
typedef struct {
  int category;
  double continuous[VKS_GAN_MAX_CODES];
} VksGanCodes;

/* Latent vectors [count][vks_gan_latent_size] for `seed`: standard normal noise from a fixed,
 * documented generator (the same bits on every machine), then the codes (one-hot category,
 * continuous values); codes NULL: category 0, continuous 0. Latent i depends only on seed and
 * i, so image 3 of a batch is image 3 of any larger batch. */
void vks_gan_latents (const VksGanConfig *cfg, guint64 seed, int count, const VksGanCodes *codes,
                      float *z);
/* The codes after one latent's nz noise values: one-hot category, then the continuous values
 * (codes NULL: the defaults). The trainer writes its random codes with it. */
void vks_texture_put_codes (const VksGanConfig *cfg, const VksGanCodes *codes, float *latent);

/* count images of image_size x image_size from z [count][latent] (the example's generator with
 * running batch statistics): rgb [count][size][size][3], R'G'B' in [0, 1]. */
gboolean vks_texture_generate (VksTextureModel *model, int count, const float *z, float *rgb,
                               VksProgressFunc progress, gpointer user_data, GError **error);

typedef struct {
  guint64 seed;
  const VksGanCodes *codes;   /* NULL: defaults */
  /* The result repeats seamlessly with period width x height: a periodic latent grid, and the
   * network run on it as on a circle. */
  gboolean tileable;
} VksTextureOptions;

/* The largest texture vks_texture_render makes: a side of 65536 and 2^28 pixels (3 GiB of float
 * RGB in the caller's buffer; the device works in pieces of the memory budget whatever the
 * size). vks_texture_check_size says so before anyone allocates (VKS_ERROR_TOO_LARGE, or
 * VKS_ERROR_SHAPE below 1x1). */
#define VKS_TEXTURE_MAX_SIDE 65536
#define VKS_TEXTURE_MAX_PIXELS ((gint64) 1 << 28)
gboolean vks_texture_check_size (int width, int height, GError **error);

/* A texture of any size >= 1x1 (a spatial GAN: the generator on a latent grid, in pieces that
 * fit the memory budget, the same pixels whatever the pieces): rgb [height][width][3], R'G'B' in
 * [0, 1]. progress may be NULL; returning FALSE from it cancels (VKS_ERROR_CANCELLED) within a
 * fraction of a second, leaving rgb unspecified. */
gboolean vks_texture_render (VksTextureModel *model, const VksTextureOptions *options, int width,
                             int height, float *rgb, VksProgressFunc progress, gpointer user_data,
                             GError **error);
