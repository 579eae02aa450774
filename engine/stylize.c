#include "engine/stylize.h"

#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/generator.h"

#include <math.h>
#include <string.h>

struct VksStyle {
  VksContext *ctx;
  VksGenerator *gen;
  char *name;
  char *description;
  VksGeneratorPlan *plan;   /* for the last size used: re-planning costs allocations */
  int plan_h, plan_w;
};

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
  vks_generator_plan_free (style->plan);
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

/* Index into [0, size) of position i >= 0 of the image extended by mirroring at its far edge,
 * the extension the PyTorch fixtures use (ReflectionPad: size, size+1 -> size-2, size-3);
 * a 1-pixel side is extended by repetition. */
static int
mirror (int i, int size)
{
  if (size == 1)
    return 0;
  int period = 2 * (size - 1);
  int m = i % period;
  return m < size ? m : period - m;
}

static int
network_side (int side)
{
  return MAX (VKS_GENERATOR_MIN_SIDE, (side + 3) / 4 * 4);
}

gboolean
vks_style_apply (VksStyle *style, const float *rgb_in, float *rgb_out, int width, int height,
                 VksProgressFunc progress, gpointer user_data, GError **error)
{
  if (width < 1 || height < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "cannot stylize an empty %dx%d image", width,
                 height);
    return FALSE;
  }
  /* Before any size arithmetic: a side near INT_MAX would overflow the padding below. */
  if (width > G_MAXINT - 8 || height > G_MAXINT - 8 || (gint64) width * height > (1 << 30)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a %dx%d image is too large to process in one piece (try a lower processing "
                 "scale)", width, height);
    return FALSE;
  }
  const VksGeneratorConfig *cfg = vks_generator_config (style->gen);
  if (cfg->input_nc != 3 || cfg->output_nc != 3) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "this model takes %d and gives %d channels; styles work on RGB (3)",
                 cfg->input_nc, cfg->output_nc);
    return FALSE;
  }
  int h = network_side (height), w = network_side (width);
  gsize plane = (gsize) h * w;
  g_autofree float *planar = NULL;
  if (progress && !progress (0.0, "Preparing the network", user_data))
    goto cancelled;
  if (style->plan == NULL || style->plan_h != h || style->plan_w != w) {
    g_clear_pointer (&style->plan, vks_generator_plan_free);
    style->plan = vks_generator_plan_new (style->gen, h, w, error);
    if (style->plan == NULL)
      return FALSE;
    style->plan_h = h;
    style->plan_w = w;
  }
  planar = g_try_new (float, 3 * plane);
  if (planar == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "out of memory for a %dx%d image (try a lower processing scale)", width, height);
    return FALSE;
  }
  for (int y = 0; y < h; y++) {
    const float *row = rgb_in + (gsize) mirror (y, height) * width * 3;
    for (int x = 0; x < w; x++) {
      const float *px = row + (gsize) mirror (x, width) * 3;
      for (int c = 0; c < 3; c++)
        planar[c * plane + (gsize) y * w + x] = px[c] * 2.0f - 1.0f;
    }
  }
  if (progress && !progress (0.05, "Stylizing", user_data))
    goto cancelled;
  if (!vks_generator_plan_run (style->plan, planar, planar, error))
    return FALSE;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++) {
        float v = (planar[c * plane + (gsize) y * w + x] + 1.0f) * 0.5f;
        rgb_out[((gsize) y * width + x) * 3 + c] = CLAMP (v, 0.0f, 1.0f);
      }
  if (progress)
    progress (1.0, "Done", user_data);
  return TRUE;

cancelled:
  g_set_error (error, VKS_ERROR, VKS_ERROR_CANCELLED, "cancelled");
  return FALSE;
}
