/* What texture.c (latents, the model, batches of images) and texture_render.c (textures of any
 * size) share. */
#pragma once
#include "engine/nn/param_store.h"
#include "engine/nn/plan.h"
#include "engine/texture.h"

#define VKS_TEXTURE_DOMAIN_CELL 2   /* the latents of texture cells (texture.c's RNG) */

struct VksTextureModel {
  VksContext *ctx;
  VksGanConfig cfg;
  char *name, *description;
  VksParamStore *store;
  /* The last plan made: n latent grids of gh x gw (a batch of images, or a texture piece). */
  VksGraph *graph;
  VksPlan *plan;
  VksNode z, y;
  int n, gh, gw;
};

/* count standard normals of the stream (seed, domain, stream): texture.c's generator. */
void vks_texture_normals (guint64 seed, guint64 domain, guint64 stream, int count, float *out);
/* Whether an eval-mode generator plan of n grids of gh x gw fits budget bytes and the device. */
gboolean vks_texture_plan_fits (VksTextureModel *model, int n, int gh, int gw,
                                VkDeviceSize budget);
/* Makes the model's plan one of n grids of gh x gw (kept when it already is). */
gboolean vks_texture_use_plan (VksTextureModel *model, int n, int gh, int gw, GError **error);

/* Progress of one job, also the plans' cancel check. */
typedef struct {
  VksProgressFunc func;
  gpointer data;
  double fraction;
  const char *message;
  gboolean cancelled;
} VksTextureProgress;

gboolean vks_texture_keep_going (gpointer progress);
/* TRUE (with VKS_ERROR_CANCELLED) if the user cancelled. */
gboolean vks_texture_cancelled (VksTextureProgress *p, GError **error);
/* Runs the plan on z (its whole input), its output [n][nc][oh][ow] into out. */
gboolean vks_texture_run_plan (VksTextureModel *model, const float *z, float *out,
                               VksTextureProgress *p, GError **error);
/* The h x w window at (y0, x0) of a planar tanh image [nc][oh][ow] as packed R'G'B' in [0, 1]
 * (grey repeated), rows `stride` pixels apart. */
void vks_texture_planar_to_rgb (const float *planes, int nc, int oh, int ow, int y0, int x0,
                                int h, int w, float *rgb, int stride);
