/* What the CLI and the GIMP plug-in call: load a style model once, stylize images with it. */
#pragma once
#include "engine/context.h"

typedef struct VksStyle VksStyle;

/* Return FALSE to cancel; fraction in [0,1]; message is translated-ready English
 * ("Compiling shaders (first use)", "Stylizing tile 3/12"). */
typedef gboolean (*VksProgressFunc) (double fraction, const char *message, gpointer user_data);

/* Loads and validates a generator checkpoint and uploads its weights to ctx's device. */
VksStyle *vks_style_load (VksContext *ctx, const char *path, GError **error);
/* Device memory one plan may take: $VKSTYLE_MEMORY_BUDGET (MiB), else half of what is free on the
 * device, at most 1 GiB (the texture source's pieces use the same bound). */
VkDeviceSize vks_memory_budget (VksContext *ctx);
void vks_style_free (VksStyle *style);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksStyle, vks_style_free)

/* Human name and description from the checkpoint metadata (vkstyle.name falls back to the file
 * name without extension; description may be ""). */
const char *vks_style_name (const VksStyle *style);
const char *vks_style_description (const VksStyle *style);

/* rgb_in and rgb_out: width*height pixels of 3 floats, interleaved R'G'B' (gamma-encoded sRGB) in
 * [0,1], rows packed; rgb_out may equal rgb_in. Any size >= 1x1: sizes not divisible by 4 are
 * reflect-padded internally and cropped back. Images whose network does not fit the memory
 * budget ($VKSTYLE_MEMORY_BUDGET MiB, default half the free device memory, at most 1 GiB) are
 * processed in tiles with the whole image's normalisation statistics (engine/tiling.h),
 * reporting "Measuring tile k/n" (refining the statistics) and "Stylizing tile k/n";
 * $VKSTYLE_TILE=N forces N-pixel tiles. progress is also called again with its last arguments
 * between segments of every run on the device (a few per tile), so returning FALSE cancels
 * within a fraction of a second. progress may be NULL. On error or cancel an image processed in
 * one piece leaves rgb_out untouched; a tiled one has rows written up to where it stopped (the
 * tiler writes finished rows as it goes, so that in-place use needs no second image), and if
 * rgb_out == rgb_in the content is unspecified either way. */
gboolean vks_style_apply (VksStyle *style, const float *rgb_in, float *rgb_out, int width,
                          int height, VksProgressFunc progress, gpointer user_data, GError **error);
