/* What stylize.c (the API, whole images), stylize_input.c (what the network reads) and
 * stylize_tiled.c (large images in tiles) share, for any tileable network (engine/tileable.h):
 * the CycleGAN generator of a VksStyle, StarGAN v2's (engine/models/stargan2_net.c). */
#pragma once
#include "engine/generator.h"
#include "engine/stylize.h"
#include "engine/tileable.h"

struct VksStyle {
  VksContext *ctx;
  VksGenerator *gen;
  char *name;
  char *description;
};

/* The caller's progress callback and what it was last told. Plan runs ask it again between
 * segments of their work (vks_generator_plan_run_until), so that a cancel is seen within a
 * fraction of a second even while one large image or copy runs. */
typedef struct {
  VksProgressFunc func;
  gpointer user_data;
  double fraction;
  char message[64];
} VksStyleProgress;

gboolean vks_style_progress_report (VksStyleProgress *p, double fraction, const char *message,
                                    GError **error);
/* Runs plan, asking progress between segments; FALSE and a cancelled error when it says stop. */
gboolean vks_style_run_plan (VksTileablePlan *plan, const float *input, float *output,
                             VksStyleProgress *progress, GError **error);

/* The network's input for rows [y0, y0 + th) and columns [x0, x0 + tw) of the image mirror-
 * extended to the network size, planar, in [-1, 1]. */
void vks_style_read_region (const float *rgb, int width, int height, int y0, int x0, int th, int tw,
                            float *planar);
/* The copy of the network-size (h x w) image the statistics are measured on, planar, sh x sw. */
gboolean vks_style_make_stats_copy (VksTileable *net, const float *rgb, int width, int height,
                                    int h, int w, VkDeviceSize budget, float **planar, int *sh_out,
                                    int *sw_out, GError **error);

/* The image in tiles of side (at most) `side`, h x w its network size, every plan run with
 * condition (vks_tileable_plan_set_condition; NULL when the network has none). */
gboolean vks_style_apply_tiled (VksTileable *net, const float *condition, const float *rgb_in,
                                float *rgb_out, int width, int height, int h, int w, int side,
                                VkDeviceSize budget, VksStyleProgress *progress, GError **error);
