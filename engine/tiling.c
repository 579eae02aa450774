#include "engine/tiling.h"

#include <stdlib.h>

gboolean
vks_tile_axis_init (VksTileAxis *a, int extent, int size, int margin, int blend, GError **error)
{
  g_return_val_if_fail (extent % 4 == 0 && size % 4 == 0 && size > 0, FALSE);
  a->extent = extent;
  a->size = MIN (size, extent);
  a->margin = margin;
  a->blend = blend;
  a->start = NULL;
  a->cut = NULL;
  if (a->size == extent) {
    a->n = 1;
    a->start = g_new0 (int, 1);
    return TRUE;
  }
  /* Starts are spread evenly, at most `stride` apart, so that neighbouring kept parts overlap by
   * at least the blend; seams then lie at least about stride / 2 apart, which must exceed the
   * blend so that cross-fades never overlap. */
  int stride = (size - 2 * margin - blend) / 4 * 4;
  if (size < 2 * margin + 3 * blend + 8 || stride < 4) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "a %d-pixel tile cannot hold %d pixels of context on both sides and a %d-pixel "
                 "blend", size, margin, blend);
    return FALSE;
  }
  int span = extent - size;
  a->n = 1 + (span + stride - 1) / stride;
  a->start = g_new (int, a->n);
  a->cut = g_new (int, a->n - 1);
  for (int k = 0; k < a->n; k++)
    a->start[k] = (int) ((gint64) k * span / (a->n - 1)) / 4 * 4;
  for (int k = 0; k + 1 < a->n; k++)
    a->cut[k] = (a->start[k] + a->start[k + 1] + size) / 2;
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

int
vks_tile_margin (const VksGeneratorConfig *cfg)
{
  const char *env = g_getenv ("VKSTYLE_TILE_MARGIN");
  if (env != NULL && *env != '\0')
    return (int) CLAMP (strtol (env, NULL, 10), 0, 4096) / 4 * 4;
  /* The receptive-field radius in input pixels: 3 (7x7) + 1 + 2 (two stride-2 3x3) + 4 per
   * quarter-resolution 3x3 + 4 + 2 (the up-sampling) + 3 (7x7). */
  int radius = 15 + 8 * cfg->n_blocks;
  return (radius + 3) / 4 * 4;
}

int
vks_tile_side_for_budget (VksGenerator *gen, VkDeviceSize budget, int max_side)
{
  /* Plan bytes grow with the area: bisect on the side (in units of 4 pixels). */
  int lo = VKS_GENERATOR_MIN_SIDE / 4, hi = MAX (lo, max_side / 4), best = 0;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    VkDeviceSize bytes;
    if (vks_generator_plan_bytes (gen, 4 * mid, 4 * mid, VKS_NORM_STATS_GIVEN, &bytes, NULL) &&
        bytes <= budget) {
      best = 4 * mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}
