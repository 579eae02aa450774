#include "engine/tiling.h"

#include <string.h>

/* Tiles of side `size` that cover `extent`, or 0 if such a tile cannot hold the margins and the
 * blend. Starts are spread evenly, at most `stride` apart, so that neighbouring kept parts
 * overlap by at least the blend, and by the grid where that is larger: a seam is a multiple of
 * grid / 2, and the statistics' boundary near it (vks_tile_axis_own) is rounded down to the
 * grid. Seams then lie at least about stride / 2 apart, which must exceed the blend so that
 * cross-fades never overlap. */
static int
axis_tiles (int extent, int size, int margin, int blend, int grid)
{
  int overlap = 2 * margin + MAX (blend, grid);
  int stride = (size - overlap) / grid * grid;
  if (size < overlap + 2 * blend + 2 * grid || stride < grid)
    return 0;
  return 1 + (extent - size + stride - 1) / stride;
}

gboolean
vks_tile_axis_init (VksTileAxis *a, int extent, int size, int margin, int blend, int grid,
                    GError **error)
{
  g_return_val_if_fail (grid > 0 && extent % grid == 0 && size % grid == 0 && size > 0, FALSE);
  a->extent = extent;
  a->size = MIN (size, extent);
  a->margin = margin;
  a->blend = blend;
  a->grid = grid;
  a->start = NULL;
  a->cut = NULL;
  if (a->size == extent) {
    a->n = 1;
    a->start = g_new0 (int, 1);
    return TRUE;
  }
  a->n = axis_tiles (extent, size, margin, blend, grid);
  if (a->n == 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "a %d-pixel tile cannot hold %d pixels of context on both sides and a %d-pixel "
                 "blend", size, margin, blend);
    return FALSE;
  }
  /* The fewest tiles decide n; the smallest side that still covers the extent with n of them
   * recomputes the least context (2000 pixels in tiles of up to 1024: 3 of 764, not 3 of
   * 1024, 44 % less work in two dimensions). */
  while (axis_tiles (extent, a->size - grid, margin, blend, grid) == a->n)
    a->size -= grid;
  int span = extent - a->size;
  a->start = g_new (int, a->n);
  a->cut = g_new (int, a->n - 1);
  for (int k = 0; k < a->n; k++)
    a->start[k] = (int) ((gint64) k * span / (a->n - 1)) / grid * grid;
  for (int k = 0; k + 1 < a->n; k++)
    a->cut[k] = (a->start[k] + a->start[k + 1] + a->size) / 2;
  return TRUE;
}

void
vks_tile_axis_clear (VksTileAxis *a)
{
  g_clear_pointer (&a->start, g_free);
  g_clear_pointer (&a->cut, g_free);
}

/* 0 before the ramp around `seam`, 1 after it, linear in between (pixel centres). */
static float
ramp (int seam, int blend, int x)
{
  if (blend == 0)
    return x >= seam ? 1.0f : 0.0f;
  float t = ((float) x + 0.5f - ((float) seam - 0.5f * (float) blend)) / (float) blend;
  return CLAMP (t, 0.0f, 1.0f);
}

float
vks_tile_axis_weight (const VksTileAxis *a, int k, int x)
{
  float w = 1.0f;
  if (k > 0)
    w *= ramp (a->cut[k - 1], a->blend, x);
  if (k + 1 < a->n)
    w *= 1.0f - ramp (a->cut[k], a->blend, x);
  return w;
}

void
vks_tile_axis_span (const VksTileAxis *a, int k, int *first, int *end)
{
  *first = k > 0 ? a->cut[k - 1] - a->blend / 2 : 0;
  *end = k + 1 < a->n ? a->cut[k] + (a->blend + 1) / 2 : a->extent;
}

void
vks_tile_axis_own (const VksTileAxis *a, int k, int *first, int *end)
{
  /* Seams are multiples of grid / 2, not always of grid: rounding down keeps the boundary
   * within grid / 2 px of the seam, inside both tiles' kept parts (axis_tiles). */
  *first = k > 0 ? a->cut[k - 1] / a->grid * a->grid : 0;
  *end = k + 1 < a->n ? a->cut[k] / a->grid * a->grid : a->extent;
}

void
vks_stats_sum_init (VksStatsSum *sum, const VksTileable *net)
{
  sum->n_layers = vks_tileable_stats_channels (net, NULL);
  sum->channels = g_new0 (int, MAX (sum->n_layers, 1));
  vks_tileable_stats_channels (net, sum->channels);
  sum->n = 0;
  for (int l = 0; l < sum->n_layers; l++)
    sum->n += sum->channels[l];
  sum->mean = g_new0 (double, MAX (sum->n, 1));
  sum->m2 = g_new0 (double, MAX (sum->n, 1));
  sum->weight = 0;
}

void
vks_stats_sum_clear (VksStatsSum *sum)
{
  g_clear_pointer (&sum->channels, g_free);
  g_clear_pointer (&sum->mean, g_free);
  g_clear_pointer (&sum->m2, g_free);
}

void
vks_stats_sum_reset (VksStatsSum *sum)
{
  sum->weight = 0;
  memset (sum->mean, 0, sum->n * sizeof (double));
  memset (sum->m2, 0, sum->n * sizeof (double));
}

void
vks_stats_sum_add (VksStatsSum *sum, const float *stats, double weight)
{
  if (weight <= 0)
    return;
  double total = sum->weight + weight, share = weight / total;
  gsize at = 0, i = 0;
  for (int l = 0; l < sum->n_layers; l++) {
    int ch = sum->channels[l];
    for (int c = 0; c < ch; c++, i++) {
      double mean = stats[at + c], m2 = (double) stats[at + ch + c] * weight;
      double delta = mean - sum->mean[i];
      sum->m2[i] += m2 + delta * delta * sum->weight * share;
      sum->mean[i] += delta * share;
    }
    at += 2 * (gsize) ch;
  }
  sum->weight = total;
}

void
vks_stats_sum_get (const VksStatsSum *sum, float *stats)
{
  gsize at = 0, i = 0;
  for (int l = 0; l < sum->n_layers; l++) {
    int ch = sum->channels[l];
    for (int c = 0; c < ch; c++, i++) {
      stats[at + c] = (float) sum->mean[i];
      stats[at + ch + c] = sum->weight > 0 ? (float) (sum->m2[i] / sum->weight) : 0.0f;
    }
    at += 2 * (gsize) ch;
  }
}

int
vks_tile_side_for_budget (VksTileable *net, VkDeviceSize budget, int max_side)
{
  /* Plan bytes grow with the area: bisect on the side (in units of the grid). */
  const VksTileableSpec *spec = vks_tileable_spec (net);
  int grid = spec->grid;
  int lo = spec->min_side / grid, hi = MAX (lo, max_side / grid), best = 0;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    VkDeviceSize bytes;
    if (vks_tileable_plan_bytes (net, grid * mid, grid * mid, VKS_NORM_STATS_GIVEN_MEASURE,
                                 &bytes, NULL) && bytes <= budget) {
      best = grid * mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}
