/* A network the tiler can run in pieces (engine/tiling.h, engine/stylize_tiled.c): fully
 * convolutional, its instance norms' statistics global to the image. A model describes itself
 * with a VksTileableSpec — its graph builder with every instance norm made by a hook, its
 * down-sampling grid, an optional condition vector (a style code) — and gets here, once for
 * every such model, the plans of each statistics mode (VksNormStats), their memory, the tile
 * context from the graph's receptive field, and whole-or-tiled application to an image. */
#pragma once
#include "engine/models/cyclegan.h"   /* VksInstanceNormHook */
#include "engine/nn/param_store.h"
#include "engine/recorder.h"          /* VksKeepGoing */
#include "engine/stylize.h"           /* VksProgressFunc */

typedef struct VksTileable VksTileable;
typedef struct VksTileablePlan VksTileablePlan;

/* Where a plan's instance-norm layers take their per-channel mean and variance from. Tiles of a
 * large image must share the statistics of the whole image, or each tile gets its own colours
 * (engine/tiling.h). Batch-norm models ignore this: their statistics are in the weights. */
typedef enum {
  VKS_NORM_STATS_OWN,      /* from the image itself, as the network was trained */
  VKS_NORM_STATS_RECORD,   /* the same, and kept for vks_tileable_plan_get_stats() */
  /* From vks_tileable_plan_set_stats(), and each layer's mean and variance over the region set
   * by vks_tileable_plan_set_region() measured as well, for vks_tileable_plan_get_stats(): the
   * tiler sums them over the parts of all tiles to refine full-resolution statistics. */
  VKS_NORM_STATS_GIVEN_MEASURE,
  /* From the image itself, each layer's corrected by vks_tileable_plan_set_corrections()
   * before use, and kept for vks_tileable_plan_get_stats(): a small copy of a large image
   * standing in for it (the tiler, engine/stylize_tiled.c). */
  VKS_NORM_STATS_CORRECTED,
} VksNormStats;

/* Builds the network on x ([1][input_nc][h][w], h and w multiples of the grid) with every
 * instance norm made by hook(g, y, act, residual, hook_data), or the builder's own instance
 * norm when hook is NULL (VKS_NORM_STATS_OWN plans); condition is the
 * [1][1][1][condition_floats] input, VKS_NONE when the spec has none. Returns the output
 * [1][output_nc][h][w]. */
typedef VksNode (*VksTileableBuild) (VksGraph *g, VksNode x, VksNode condition,
                                     VksInstanceNormHook hook, gpointer hook_data,
                                     gconstpointer model);

typedef struct {
  VksTileableBuild build;
  gconstpointer model;       /* the builder's configuration, borrowed for the net's lifetime */
  int input_nc, output_nc;
  int grid;                  /* sides and tile origins are multiples of it: 2^down-samplings */
  int min_side;              /* a multiple of grid */
  int condition_floats;      /* 0: no condition */
  gboolean instance_norm;    /* FALSE: batch norm, every plan runs as VKS_NORM_STATS_OWN */
  const char *verb;          /* progress: "Stylizing", "Translating" */
  /* TRUE: the memory budget bounds what a plan takes beyond a plan of the smallest side — the
   * packed weights and their gather map, which every plan holds whatever its size, come on
   * top: StarGAN v2's at the reference size (1 GiB) alone exceed the default budget. FALSE
   * (the CycleGAN generator): the whole plan counts. */
  gboolean weights_outside_budget;
} VksTileableSpec;

/* The parameters are the caller's, in store (borrowed); checks that the builder's graph is
 * sound and counts its norms. */
VksTileable *vks_tileable_new (VksContext *ctx, const VksTileableSpec *spec, VksParamStore *store,
                               GError **error);
void vks_tileable_free (VksTileable *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksTileable, vks_tileable_free)
const VksTileableSpec *vks_tileable_spec (const VksTileable *net);
VksContext *vks_tileable_context (const VksTileable *net);

/* Context a tile needs on each side: the receptive-field radius of the graph (engine/nn/
 * analysis.c), rounded up to the grid. $VKSTYLE_TILE_MARGIN overrides it (measurements). */
int vks_tileable_margin (const VksTileable *net);
/* The memory budget (vks_memory_budget) for this network's plans: with weights_outside_budget,
 * plus the bytes of a plan of the smallest side. In engine/stylize.c, with the budget. */
VkDeviceSize vks_tileable_budget (VksTileable *net);
/* Floats of one set of norm statistics: mean[C] then var[C] for each instance-norm layer in
 * network order; 0 when the model has none. */
gsize vks_tileable_stats_floats (const VksTileable *net);
/* Number of instance-norm layers; their channel counts into channels[] unless NULL. */
int vks_tileable_stats_channels (const VksTileable *net, int *channels);

/* Plans a forward pass for one image of height x width (multiples of the grid, >= min_side).
 * Checks every tensor against maxTexelBufferElements, every buffer against
 * maxMemoryAllocationSize and the sum against the device heap before allocating anything:
 * VKS_ERROR_TOO_LARGE if one does not fit. */
VksTileablePlan *vks_tileable_plan_new (VksTileable *net, int height, int width,
                                        VksNormStats stats, GError **error);
/* Device bytes (activation arena plus staging) a plan of this size would allocate; FALSE with
 * VKS_ERROR_TOO_LARGE when it exceeds one of the device limits above. Allocates nothing. */
gboolean vks_tileable_plan_bytes (VksTileable *net, int height, int width, VksNormStats stats,
                                  VkDeviceSize *bytes, GError **error);
/* GIVEN_MEASURE plans: the statistics the next runs use. RECORD and CORRECTED plans: those the
 * last run used; GIVEN_MEASURE plans: those of the last run's region (each layer's activations
 * taken as they were computed, with the given statistics upstream). */
void vks_tileable_plan_set_stats (VksTileablePlan *plan, const float *stats);
void vks_tileable_plan_get_stats (const VksTileablePlan *plan, float *stats);
/* CORRECTED plans: per layer offset[C] then factor[C] (packed like the statistics); each
 * layer's measured mean m and variance v become m + offset and v * factor. Default 0 and 1. */
void vks_tileable_plan_set_corrections (VksTileablePlan *plan, const float *corrections);
/* GIVEN_MEASURE plans: rows [y0, y1) and columns [x0, x1) of the input, multiples of the grid
 * within the plan's size, are the region the next runs measure; each layer measures the same
 * rectangle at its own resolution. The default is the whole plan. */
void vks_tileable_plan_set_region (VksTileablePlan *plan, int y0, int y1, int x0, int x1);
/* The condition vector (condition_floats) the next runs use; no-op without one. */
void vks_tileable_plan_set_condition (VksTileablePlan *plan, const float *condition);
/* input: input_nc x h x w floats (NCHW); output: output_nc x h x w. Asks keep_going (may be
 * NULL) between segments of the recorded work: FALSE stops within about two of them, with
 * VKS_ERROR_CANCELLED. */
gboolean vks_tileable_plan_run_until (VksTileablePlan *plan, const float *input, float *output,
                                      VksKeepGoing keep_going, gpointer user_data,
                                      GError **error);
void vks_tileable_plan_free (VksTileablePlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksTileablePlan, vks_tileable_plan_free)

/* The whole-image plan (VKS_NORM_STATS_OWN) for height x width, kept by net until another size
 * is asked for or vks_tileable_drop_whole: re-planning costs allocations. Borrowed; NULL and
 * error when it cannot be made. */
VksTileablePlan *vks_tileable_whole_plan (VksTileable *net, int height, int width,
                                          GError **error);
gboolean vks_tileable_has_whole_plan (const VksTileable *net, int height, int width);
void vks_tileable_drop_whole (VksTileable *net);

/* Applies the network to an RGB image of any size >= 1x1 (rgb_in, rgb_out: width*height pixels
 * of 3 floats in [0,1], interleaved; rgb_out may equal rgb_in), with condition (or NULL): the
 * image mirror-extended to multiples of the grid (at least min_side), scaled to [-1, 1], the
 * output (y + 1) / 2 clamped and cropped back. In one plan when it fits the memory budget
 * (vks_tileable_budget; the plan is kept for the next image of that size), else in tiles with the
 * whole image's norm statistics (engine/stylize_tiled.c); $VKSTYLE_TILE=N forces N-pixel
 * tiles. Progress and cancel as vks_style_apply (stylize.h) describes. In engine/stylize.c,
 * with the memory budget it depends on. */
gboolean vks_tileable_apply (VksTileable *net, const float *condition, const float *rgb_in,
                             float *rgb_out, int width, int height, VksProgressFunc progress,
                             gpointer user_data, GError **error);
