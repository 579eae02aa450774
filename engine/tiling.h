/* Geometry of tiled inference (issue #6): an image too large for one generator plan is cut into
 * overlapping tiles of one size, so one plan serves them all. Each tile reads `margin` pixels of
 * context beyond the part of it that is kept (the receptive field that matters, measured in
 * docs/performance.md), and neighbouring tiles are cross-faded over `blend` pixels with linear
 * ramps. The cut is separable: rows and columns each have a VksTileAxis, and a tile's weight is
 * the product of its row and column weights, which sum to 1 over all tiles at every pixel. */
#pragma once
#include "engine/tileable.h"

typedef struct {
  int extent;      /* pixels along this axis, a multiple of grid */
  int size;        /* tile side, a multiple of grid, <= extent and <= the size asked for */
  int n;           /* tiles along this axis */
  int margin, blend;
  int grid;        /* the network's down-sampling grid (VksTileableSpec) */
  int *start;      /* n starts: multiples of grid, start[0] = 0, start[n-1] + size = extent */
  int *cut;        /* n - 1 seams: the centre of the cross-fade between tile k and k + 1 */
} VksTileAxis;

/* extent and size multiples of grid. The fewest tiles of at most `size` pixels, each as small
 * as that number allows. FALSE with VKS_ERROR_SHAPE when size cannot hold the margins and the
 * blend (size < 2 * margin + max (blend, grid) + 2 * blend + 2 * grid and size < extent: for
 * grid 4, 2 * margin + 3 * blend + 8). */
gboolean vks_tile_axis_init (VksTileAxis *axis, int extent, int size, int margin, int blend,
                             int grid, GError **error);
void vks_tile_axis_clear (VksTileAxis *axis);
/* Weight of tile k at pixel x (0 <= x < extent). */
float vks_tile_axis_weight (const VksTileAxis *axis, int k, int x);
/* [*first, *end): the pixels where tile k's weight is not 0; inside the tile, at least
 * `margin` pixels from any side of it that is not an image edge. */
void vks_tile_axis_span (const VksTileAxis *axis, int k, int *first, int *end);

/* [*first, *end): the pixels whose statistics tile k accounts for when the instance-norm
 * statistics are summed over tiles: multiples of grid (so every layer's resolution divides them),
 * a partition of [0, extent) over k, and inside the tile at least `margin` pixels from any side
 * of it that is not an image edge, where its activations are those of the whole image. */
void vks_tile_axis_own (const VksTileAxis *axis, int k, int *first, int *end);

/* One set of norm statistics (vks_tileable_stats_floats: mean[C], var[C] per layer) combined
 * over disjoint regions, in double: each part comes with its weight (its pixel count at input
 * resolution, proportional to its count at every layer's resolution) and is merged through the
 * pairwise update of mean and summed squared deviations, so nothing cancels. */
typedef struct {
  int n_layers;
  int *channels;       /* per layer (vks_tileable_stats_channels) */
  gsize n;             /* channels summed over layers */
  double weight;
  double *mean, *m2;   /* per (layer, channel) */
} VksStatsSum;

void vks_stats_sum_init (VksStatsSum *sum, const VksTileable *net);
void vks_stats_sum_clear (VksStatsSum *sum);
void vks_stats_sum_reset (VksStatsSum *sum);
void vks_stats_sum_add (VksStatsSum *sum, const float *stats, double weight);
/* The combined statistics (biased variance, as instance norm takes it), packed like the parts. */
void vks_stats_sum_get (const VksStatsSum *sum, float *stats);

/* Cross-fade between neighbouring tiles (the context is vks_tileable_margin). */
#define VKS_TILE_BLEND 16

/* Largest square tile side (multiple of the grid, at least min_side, at most max_side) whose
 * plan, with statistics given, fits in budget bytes and the device limits; 0 if not even the
 * smallest does. */
int vks_tile_side_for_budget (VksTileable *net, VkDeviceSize budget, int max_side);
