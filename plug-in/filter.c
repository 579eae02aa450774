#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/filter.h"
#include "plug-in/settings.h"

static const FilterArg stylize_args[STYLIZE_N_ARGS] = {
  [STYLIZE_ARG_MODEL] = {
    FILTER_ARG_STRING, "model", N_("Style"),
    "Style model: path of a .safetensors file, or the name of an installed style (its "
    "vkstyle.name metadata or its file name without extension)",
    0, 0, 0, "" },
  [STYLIZE_ARG_STRENGTH] = {
    FILTER_ARG_DOUBLE, "strength", N_("S_trength (%)"),
    "How much of the style to blend over the original, 0 to 100 (%)",
    0.0, 100.0, 100.0, NULL },
  [STYLIZE_ARG_SCALE] = {
    FILTER_ARG_DOUBLE, "scale", N_("Processing si_ze (%)"),
    "Processing scale, 0.05 to 1.0: the network runs on the region shrunk by this factor and "
    "the result is enlarged back (faster, larger brush strokes)",
    VKSTYLE_SCALE_MIN, VKSTYLE_SCALE_MAX, 1.0, NULL },
  [STYLIZE_ARG_NEW_LAYER] = {
    FILTER_ARG_BOOLEAN, "new-layer", N_("New _layer"),
    "Put the result on a new layer above the drawable instead of replacing its pixels",
    0, 1, 0, NULL },
  [STYLIZE_ARG_DEVICE] = {
    FILTER_ARG_STRING, "device", N_("_Device"),
    "Vulkan device: an index or part of its name (\"llvmpipe\"); \"\" chooses automatically",
    0, 0, 0, "" },
};

const FilterInfo vkstyle_stylize_filter = {
  VKSTYLE_PROC,
  N_("Style _Transfer…"),
  "<Image>/Filters/Artistic",
  N_("Repaint the image in the style of a trained model"),
  "Neural style transfer computed with Vulkan: a CycleGAN generator model (.safetensors) "
  "repaints the selection or the whole layer. Works on RGB and grayscale drawables of any "
  "precision; alpha is kept.",
  "RGB*, GRAY*",
  "vkstyle contributors", "vkstyle contributors (GPL-3.0-or-later)", "2025",
  stylize_args, STYLIZE_N_ARGS,
};
