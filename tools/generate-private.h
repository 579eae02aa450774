/* What `vkstyle generate` (GAN generators, cmd_generate.c), its diffusion half
 * (generate_diffusion.c) and `vkstyle vary` share. */
#pragma once
#include <glib.h>

/* The most images one command writes. */
#define VKS_GENERATE_MAX_COUNT 4096

/* Packed R'G'B' [h][w][3] in [0, 1] to an 8-bit file. */
gboolean vks_generate_save_rgb (const float *rgb, int w, int h, const char *path,
                                GError **error);
/* count images of w x h: one file, one grid (grid) or OUT-0 ... OUT-<count-1>. */
gboolean vks_generate_save_all (const float *rgb, int count, int w, int h, gboolean grid,
                                const char *out, GError **error);
gboolean vks_generate_parse_seed (const char *text, guint64 *seed, GError **error);

typedef struct {
  const char *model, *device, *seed, *sampler, *context, *noise;
  int steps, count;          /* steps 0: the sampler's default */
  double guidance;
  gboolean grid;
} VksDiffusionArgs;

/* TRUE if path is a context U-Net checkpoint (its header says so); FALSE for anything else,
 * which the GAN path then reports on. */
gboolean vks_generate_is_diffusion (const char *path);
gboolean vks_generate_diffusion (const VksDiffusionArgs *a, const char *out, GError **error);
