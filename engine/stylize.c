/* The style API (stylize.h): loading a style, the memory budget, and applying a tileable network
 * (a style's, StarGAN v2's) to an image in one piece; images too large for that go to
 * stylize_tiled.c. */
#include "engine/stylize-private.h"

#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/tiling.h"

#include <string.h>

VksStyle *
vks_style_load (VksContext *ctx, const char *path, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, error);
  if (ckpt == NULL)
    return NULL;
  g_autoptr (VksStyle) style = g_new0 (VksStyle, 1);
  style->ctx = ctx;
  g_autoptr (GError) local = NULL;
  style->gen = vks_generator_new (ctx, ckpt, &local);
  if (style->gen == NULL) {
    g_autofree char *base = g_path_get_basename (path);
    g_set_error (error, local->domain, local->code, "%s: %s", base, local->message);
    return NULL;
  }
  const char *name = vks_checkpoint_get_metadata (ckpt, "vkstyle.name");
  const char *desc = vks_checkpoint_get_metadata (ckpt, "vkstyle.description");
  if (name != NULL && *name != '\0') {
    style->name = g_strdup (name);
  } else {
    g_autofree char *base = g_path_get_basename (path);
    char *dot = strrchr (base, '.');
    if (dot != NULL && dot != base)
      *dot = '\0';
    style->name = g_steal_pointer (&base);
  }
  style->description = g_strdup (desc ? desc : "");
  return g_steal_pointer (&style);
}

void
vks_style_free (VksStyle *style)
{
  if (style == NULL)
    return;
  vks_generator_free (style->gen);
  g_free (style->name);
  g_free (style->description);
  g_free (style);
}

const char *
vks_style_name (const VksStyle *style)
{
  return style->name;
}

const char *
vks_style_description (const VksStyle *style)
{
  return style->description;
}

static int
network_side (const VksTileableSpec *spec, int side)
{
  return MAX (spec->min_side, (side + spec->grid - 1) / spec->grid * spec->grid);
}

/* Device memory a plan may take unless $VKSTYLE_MEMORY_BUDGET (MiB) says otherwise: half of
 * what is free on the device (its heap where the driver cannot tell), at most 1 GiB. Images
 * whose plan fits run whole with exact statistics (one pass instead of three or four), larger
 * ones get a statistics copy closer to their size; on lavapipe (a 2 GiB heap in system memory,
 * shared with the image itself) 1 GiB keeps an 8000x6000 image under 2 GiB in all
 * (docs/performance.md). */
#define DEFAULT_BUDGET ((VkDeviceSize) 1 << 30)
/* Largest tile side chosen by default: tiles much larger than 1024² buy little. */
#define DEFAULT_MAX_TILE 1024

VkDeviceSize
vks_memory_budget (VksContext *ctx)
{
  const char *env = g_getenv ("VKSTYLE_MEMORY_BUDGET");
  if (env != NULL && *env != '\0')
    return (VkDeviceSize) MAX (1, g_ascii_strtoll (env, NULL, 10)) << 20;
  return MIN (DEFAULT_BUDGET, vks_context_free_memory (ctx) / 2);
}

/* $VKSTYLE_TILE: force tiles of this side (tests, measurements), on the network's grid; 0 when
 * unset. */
static int
forced_tile_side (const VksTileableSpec *spec)
{
  const char *env = g_getenv ("VKSTYLE_TILE");
  if (env == NULL || *env == '\0')
    return 0;
  int side = (int) CLAMP (g_ascii_strtoll (env, NULL, 10), spec->min_side, 1 << 15);
  return MAX (spec->min_side, side / spec->grid * spec->grid);
}

VkDeviceSize
vks_tileable_budget (VksTileable *net)
{
  VkDeviceSize budget = vks_memory_budget (vks_tileable_context (net)), fixed = 0;
  const VksTileableSpec *spec = vks_tileable_spec (net);
  if (spec->weights_outside_budget &&
      vks_tileable_plan_bytes (net, spec->min_side, spec->min_side, VKS_NORM_STATS_OWN, &fixed,
                               NULL))
    budget += fixed;
  return budget;
}

gboolean
vks_style_progress_report (VksStyleProgress *p, double fraction, const char *message,
                           GError **error)
{
  p->fraction = fraction;
  g_strlcpy (p->message, message, sizeof p->message);
  if (p->func != NULL && !p->func (fraction, message, p->user_data)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CANCELLED, "cancelled");
    return FALSE;
  }
  return TRUE;
}

static gboolean
progress_keep_going (gpointer data)
{
  VksStyleProgress *p = data;
  return p->func == NULL || p->func (p->fraction, p->message, p->user_data);
}

gboolean
vks_style_run_plan (VksTileablePlan *plan, const float *input, float *output,
                    VksStyleProgress *progress, GError **error)
{
  return vks_tileable_plan_run_until (plan, input, output, progress_keep_going, progress, error);
}

gboolean
vks_style_apply (VksStyle *style, const float *rgb_in, float *rgb_out, int width, int height,
                 VksProgressFunc progress, gpointer user_data, GError **error)
{
  return vks_tileable_apply (vks_generator_tileable (style->gen), NULL, rgb_in, rgb_out, width,
                             height, progress, user_data, error);
}

gboolean
vks_tileable_apply (VksTileable *net, const float *condition, const float *rgb_in,
                    float *rgb_out, int width, int height, VksProgressFunc progress,
                    gpointer user_data, GError **error)
{
  const VksTileableSpec *spec = vks_tileable_spec (net);
  if (width < 1 || height < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "cannot stylize an empty %dx%d image", width,
                 height);
    return FALSE;
  }
  /* Before any size arithmetic: a side near INT_MAX would overflow the padding below. */
  if (width > G_MAXINT - 8 || height > G_MAXINT - 8 || (gint64) width * height > (1 << 30)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a %dx%d image is too large to process (try a lower processing scale)", width,
                 height);
    return FALSE;
  }
  if (spec->input_nc != 3 || spec->output_nc != 3) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "this model takes %d and gives %d channels; styles work on RGB (3)",
                 spec->input_nc, spec->output_nc);
    return FALSE;
  }
  int h = network_side (spec, height), w = network_side (spec, width);
  gsize plane = (gsize) h * w;
  g_autofree float *planar = NULL;
  VksStyleProgress report = { .func = progress, .user_data = user_data };
  if (!vks_style_progress_report (&report, 0.0, "Preparing the network", error))
    return FALSE;
  VkDeviceSize budget = vks_tileable_budget (net);
  int forced = forced_tile_side (spec);
  VkDeviceSize bytes = 0;
  gboolean whole = vks_tileable_has_whole_plan (net, h, w) ||
                   (vks_tileable_plan_bytes (net, h, w, VKS_NORM_STATS_OWN, &bytes, NULL) &&
                    bytes <= budget);
  if (forced > 0 ? (forced < h || forced < w) : !whole) {
    /* The cached whole-image plan would only take memory from the tiles. */
    vks_tileable_drop_whole (net);
    int side = forced > 0 ? forced : vks_tile_side_for_budget (net, budget, DEFAULT_MAX_TILE);
    if (side == 0) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                   "not even a %dx%d tile of this model fits in %.0f MiB of device memory",
                   spec->min_side, spec->min_side, budget / 1048576.0);
      return FALSE;
    }
    if (!vks_style_apply_tiled (net, condition, rgb_in, rgb_out, width, height, h, w, side,
                                budget, &report, error))
      return FALSE;
    vks_style_progress_report (&report, 1.0, "Done", NULL);
    return TRUE;
  }
  VksTileablePlan *plan = vks_tileable_whole_plan (net, h, w, error);
  if (plan == NULL)
    return FALSE;
  vks_tileable_plan_set_condition (plan, condition);
  planar = g_try_new (float, 3 * plane);
  if (planar == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "out of memory for a %dx%d image (try a lower processing scale)", width, height);
    return FALSE;
  }
  vks_style_read_region (rgb_in, width, height, 0, 0, h, w, planar);
  if (!vks_style_progress_report (&report, 0.05, spec->verb, error) ||
      !vks_style_run_plan (plan, planar, planar, &report, error))
    return FALSE;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++) {
        float v = (planar[c * plane + (gsize) y * w + x] + 1.0f) * 0.5f;
        rgb_out[((gsize) y * width + x) * 3 + c] = CLAMP (v, 0.0f, 1.0f);
      }
  /* Finished: a cancel now comes too late to matter. */
  vks_style_progress_report (&report, 1.0, "Done", NULL);
  return TRUE;
}
