/* A loaded StarGAN v2 model for inference (the CLI's `apply --domain`): the EMA generator,
 * mapping network and style encoder of one checkpoint in one parameter store, a plan for each
 * style source and one generator plan for the last image size. */
#pragma once
#include "engine/context.h"
#include "engine/models/stargan2.h"
#include "engine/stylize.h"   /* VksProgressFunc */
#include "engine/tileable.h"

typedef struct VksStarGan2 VksStarGan2;

/* Checks the checkpoint (stargan2.h) and uploads its weights. */
VksStarGan2 *vks_stargan2_new (VksContext *ctx, const VksCheckpoint *ckpt, GError **error);
/* The same from a file; errors are prefixed with its base name. */
VksStarGan2 *vks_stargan2_load (VksContext *ctx, const char *path, GError **error);
void vks_stargan2_free (VksStarGan2 *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksStarGan2, vks_stargan2_free)

const VksStarGan2Config *vks_stargan2_config (const VksStarGan2 *net);
/* num_domains names, owned by net. */
const char *const *vks_stargan2_domain_names (const VksStarGan2 *net);
/* The domain called `name`, else the one whose index `name` is in decimal; -1 and
 * VKS_ERROR_SHAPE listing the names otherwise. */
int vks_stargan2_find_domain (const VksStarGan2 *net, const char *name, GError **error);

/* The style code (style_dim floats) of domain from a latent z (latent_dim floats): the mapping
 * network. */
gboolean vks_stargan2_style_from_latent (VksStarGan2 *net, const float *z, int domain,
                                         float *style, GError **error);
/* z for variation `index` of `seed`: standard normals of texture.c's counter-based generator
 * (its own stream family), the same on every machine. */
void vks_stargan2_latent (const VksStarGan2 *net, guint64 seed, guint64 index, float *z);
/* The mean style of domain over the first `count` latents of a fixed seed (the reference's
 * s_avg for the truncation trick: its 10000 draws of z). */
#define VKS_STARGAN2_MEAN_STYLE_SEED 0x5354415247414e32ull   /* "STARGAN2" */
gboolean vks_stargan2_mean_style (VksStarGan2 *net, int domain, int count, float *style,
                                  GError **error);
/* The style code of domain for a reference image: the style encoder on the image resized to
 * img_size x img_size as the reference's loader does (PIL's bilinear Resize, antialiased when
 * shrinking, here in float), scaled to [-1, 1]. rgb: width x height pixels of 3 floats in
 * [0, 1]. */
gboolean vks_stargan2_style_from_image (VksStarGan2 *net, const float *rgb, int width, int height,
                                        int domain, float *style, GError **error);

/* The generator on an image of any size with a style code, through the CycleGAN path's
 * vks_tileable_apply (engine/tileable.h): the image is mirror-extended to multiples of
 * 2^downsamplings and the result cropped back, (y + 1) / 2 clamped to [0, 1]. An image whose
 * plan exceeds the memory budget (its weights not counted: vks_tileable_budget) runs in tiles with the whole image's instance-norm statistics
 * (engine/stylize_tiled.c), progress "Measuring tile k/n" and "Translating tile k/n". rgb_out may
 * equal rgb_in; on error an image run whole leaves it untouched, a tiled one has rows written up
 * to where it stopped. */
gboolean vks_stargan2_translate (VksStarGan2 *net, const float *rgb_in, float *rgb_out, int width,
                                 int height, const float *style, VksProgressFunc progress,
                                 gpointer user_data, GError **error);

/* The generator as the tiler takes it (engine/tileable.h; its condition is the style code),
 * owned by net: for its plan sizes and tile context. */
VksTileable *vks_stargan2_generator_tileable (VksStarGan2 *net);

/* PIL's Image.resize(BILINEAR) in float: a triangle filter, widened by the scale when shrinking,
 * taps renormalised at the borders. src and dst: packed rows of `channels` floats. */
void vks_resize_bilinear_pil (const float *src, int src_width, int src_height, int channels,
                              float *dst, int dst_width, int dst_height);
