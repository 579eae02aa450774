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

static const FilterArg texture_args[TEXTURE_N_ARGS] = {
  [TEXTURE_ARG_MODEL] = {
    FILTER_ARG_STRING, "model", N_("Texture"),
    "Texture model: path of a .safetensors file (a DCGAN or InfoGAN generator), or the name of "
    "an installed texture model (its vkstyle.name metadata or its file name without extension)",
    0, 0, 0, "" },
  [TEXTURE_ARG_SEED] = {
    FILTER_ARG_INT, "seed", N_("_Seed"),
    "Random seed of the latent noise: the same seed gives the same texture on every machine",
    0, VKSTYLE_TEXTURE_SEED_MAX, 0, NULL },
  [TEXTURE_ARG_TILEABLE] = {
    FILTER_ARG_BOOLEAN, "tileable", N_("_Tileable"),
    "Make the texture repeat seamlessly with the period of the area it fills",
    0, 1, 0, NULL },
  [TEXTURE_ARG_CODES] = {
    FILTER_ARG_STRING, "codes", N_("Codes"),
    "InfoGAN codes, comma-separated NAME=VALUE: the category by the model's category name or "
    "\"category\" (an index from 0), each continuous code by its name or \"codeN\" (N from 1; "
    "-2 to 2), e.g. \"category=2,code1=0.5\"; omitted codes are 0; \"\" for a DCGAN",
    0, 0, 0, "" },
  [TEXTURE_ARG_DEVICE] = {
    FILTER_ARG_STRING, "device", N_("_Device"),
    "Vulkan device: an index or part of its name (\"llvmpipe\"); \"\" chooses automatically",
    0, 0, 0, "" },
};

const FilterInfo vkstyle_texture_filter = {
  VKSTYLE_TEXTURE_PROC,
  N_("Neural _Texture…"),
  "<Image>/Filters/Render/Pattern",
  N_("Fill the layer or the selection with a texture made by a trained generator"),
  "A texture of any size from a DCGAN or InfoGAN generator model (.safetensors), computed "
  "with Vulkan: it fills the selection's bounding box and is composited through the selection "
  "as GIMP's render filters do. The same seed gives the same texture; a tileable texture "
  "repeats seamlessly. Works on RGB and grayscale drawables of any precision.",
  "RGB*, GRAY*",
  "vkstyle contributors", "vkstyle contributors (GPL-3.0-or-later)", "2025",
  texture_args, TEXTURE_N_ARGS,
};

const FilterInfo *
filter_find (const char *procedure)
{
  static const FilterInfo *const filters[] = { &vkstyle_stylize_filter, &vkstyle_texture_filter };

  for (gsize i = 0; i < G_N_ELEMENTS (filters); i++)
    if (g_strcmp0 (filters[i]->procedure, procedure) == 0)
      return filters[i];
  return NULL;
}
