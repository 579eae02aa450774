#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/filter.h"
#include "plug-in/settings.h"
#include "plug-in/diffusion-settings.h"

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
  N_("Style Transfer has not been used yet: open it from the Filters menu first."),
  N_("Indexed images cannot be stylized. Convert the image to RGB first (Image ▸ Mode ▸ RGB)."),
  N_("Style Transfer works on one layer at a time: select a single layer."),
  N_("Style transfer"),
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
    0, VKSTYLE_SEED_MAX, 0, NULL },
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
  N_("Neural Texture has not been used yet: open it from the Filters menu first."),
  N_("A texture cannot be rendered into an indexed image. Convert the image to RGB first "
     "(Image ▸ Mode ▸ RGB)."),
  N_("Neural Texture works on one layer at a time: select a single layer."),
  N_("Neural texture"),
};

static const FilterArg reference_args[REFERENCE_N_ARGS] = {
  [REFERENCE_ARG_MODEL] = {
    FILTER_ARG_STRING, "model", N_("Model"),
    "StarGAN v2 model: path of a .safetensors file, or the name of an installed one (its "
    "vkstyle.name metadata or its file name without extension)",
    0, 0, 0, "" },
  [REFERENCE_ARG_DOMAIN] = {
    FILTER_ARG_STRING, "domain", N_("_Domain"),
    "Target domain: one of the model's domain names (vkstyle.domains), or its index from 0",
    0, 0, 0, "0" },
  [REFERENCE_ARG_REFERENCE] = {
    FILTER_ARG_DRAWABLE, "reference", N_("_Reference"),
    "The layer whose style is taken (any layer of any open image; the style encoder reads it "
    "whole), or none (-1): random styles of the domain from the seed",
    0, 0, 0, NULL },
  [REFERENCE_ARG_SEED] = {
    FILTER_ARG_INT, "seed", N_("_Seed"),
    "Random seed of the latent styles when there is no reference: the same seed gives the same "
    "result on every machine",
    0, VKSTYLE_SEED_MAX, 0, NULL },
  [REFERENCE_ARG_STRENGTH] = {
    FILTER_ARG_DOUBLE, "strength", N_("S_trength (%)"),
    "How much of the result to blend over the original, 0 to 100 (%)",
    0.0, 100.0, 100.0, NULL },
  [REFERENCE_ARG_NEW_LAYER] = {
    FILTER_ARG_BOOLEAN, "new-layer", N_("New _layer"),
    "Put the result on a new layer above the drawable instead of replacing its pixels (always "
    "with more than one variation)",
    0, 1, 0, NULL },
  [REFERENCE_ARG_VARIATIONS] = {
    FILTER_ARG_INT, "variations", N_("_Variations"),
    "Number of random styles, each on a new layer (variation i of the seed): 1 to 16; more than "
    "one needs no reference",
    1, VKSTYLE_VARIATIONS_MAX, 1, NULL },
  [REFERENCE_ARG_SCALE] = {
    FILTER_ARG_DOUBLE, "scale", N_("Processing si_ze (%)"),
    "Processing scale, 0.05 to 1.0: the network runs on the region shrunk by this factor and "
    "the result is enlarged back",
    VKSTYLE_SCALE_MIN, VKSTYLE_SCALE_MAX, 1.0, NULL },
  [REFERENCE_ARG_DEVICE] = {
    FILTER_ARG_STRING, "device", N_("_Device"),
    "Vulkan device: an index or part of its name (\"llvmpipe\"); \"\" chooses automatically",
    0, 0, 0, "" },
};

const FilterInfo vkstyle_reference_filter = {
  VKSTYLE_REFERENCE_PROC,
  N_("Style from _Reference…"),
  "<Image>/Filters/Artistic",
  N_("Repaint the image into a domain of a StarGAN v2 model, with the style of another picture"),
  "Multi-domain image translation computed with Vulkan: a StarGAN v2 model (.safetensors) "
  "repaints the selection or the whole layer into one of its domains, in the style its style "
  "encoder reads from a reference layer of any open image, or in random styles of the domain "
  "(variations, one new layer each). Works on RGB and grayscale drawables of any precision; "
  "alpha is kept.",
  "RGB*, GRAY*",
  "vkstyle contributors", "vkstyle contributors (GPL-3.0-or-later)", "2026",
  reference_args, REFERENCE_N_ARGS,
  N_("Style from Reference has not been used yet: open it from the Filters menu first."),
  N_("Indexed images cannot be repainted. Convert the image to RGB first (Image ▸ Mode ▸ RGB)."),
  N_("Style from Reference works on one layer at a time: select a single layer."),
  N_("Style from reference"),
};

/* The diffusion filters' arguments are the CLI's options (`vkstyle generate --sampler`, `vkstyle
 * vary`), so a script and a command line with the same values give the same pixels. */
#define DIFFUSION_MODEL_BLURB \
  "Diffusion model: path of a .safetensors file (a context U-Net), or the name of an installed " \
  "one (its vkstyle.name metadata or its file name without extension)"
#define DIFFUSION_CONTEXT_BLURB \
  "Class mix, comma-separated NAME=WEIGHT with the model's class names (vkstyle.classes) or " \
  "indices from 0, e.g. \"hero=1,food=0.5\"; a name alone means 1; \"\" is no class"
#define DEVICE_BLURB \
  "Vulkan device: an index or part of its name (\"llvmpipe\"); \"\" chooses automatically"

static const FilterArg sprites_args[SPRITES_N_ARGS] = {
  [SPRITES_ARG_MODEL] = { FILTER_ARG_STRING, "model", N_("Model"), DIFFUSION_MODEL_BLURB,
                          0, 0, 0, "" },
  [SPRITES_ARG_CONTEXT] = { FILTER_ARG_STRING, "context", N_("_Classes"),
                            DIFFUSION_CONTEXT_BLURB, 0, 0, 0, "" },
  [SPRITES_ARG_SEED] = {
    FILTER_ARG_INT, "seed", N_("_Seed"),
    "Random seed of the starting noise: sprite i depends only on the seed and i",
    0, VKSTYLE_SEED_MAX, 0, NULL },
  [SPRITES_ARG_SAMPLER] = {
    FILTER_ARG_STRING, "sampler", N_("Sa_mpler"),
    "\"ddim\" (deterministic, in the given steps) or \"ddpm\" (every timestep of the model, "
    "fresh noise each step)",
    0, 0, 0, "ddim" },
  [SPRITES_ARG_STEPS] = {
    FILTER_ARG_INT, "steps", N_("S_teps"),
    "DDIM denoising steps, 1 to 1000 (DDPM always takes every timestep)",
    1, DIFFUSION_STEPS_MAX, DIFFUSION_DEFAULT_STEPS, NULL },
  [SPRITES_ARG_COUNT] = {
    FILTER_ARG_INT, "count", N_("C_ount"),
    "Number of sprites, 1 to 64: one layer each, laid out in a grid",
    1, SPRITES_COUNT_MAX, 16, NULL },
  [SPRITES_ARG_UPSCALE] = {
    FILTER_ARG_INT, "upscale", N_("_Upscale"),
    "Integer enlargement of each sprite, nearest neighbour (pixel art stays sharp), 1 to 16",
    1, SPRITES_UPSCALE_MAX, 4, NULL },
  [SPRITES_ARG_GUIDANCE] = {
    FILTER_ARG_DOUBLE, "guidance", N_("_Guidance"),
    "Classifier-free guidance scale, 0 (off) to 100: eps = (1 + w) eps(x, c) - w eps(x, 0)",
    0.0, DIFFUSION_GUIDANCE_MAX, 0.0, NULL },
  [SPRITES_ARG_DEVICE] = { FILTER_ARG_STRING, "device", N_("_Device"), DEVICE_BLURB,
                           0, 0, 0, "" },
};

const FilterInfo vkstyle_sprites_filter = {
  VKSTYLE_SPRITES_PROC,
  N_("_Diffusion Sprites…"),
  "<Image>/Filters/Render",
  N_("Draw sprites of a class mix with a diffusion model, into a new image"),
  "Small images (sprites, icons, tiles) drawn by a denoising diffusion model (a context U-Net, "
  ".safetensors) computed with Vulkan, DDIM or DDPM, steered by a mix of the model's classes. "
  "The result is a new image with one layer per sprite, laid out in a grid, each enlarged by "
  "an integer factor with nearest neighbour. Returns the new image.",
  "",
  "vkstyle contributors", "vkstyle contributors (GPL-3.0-or-later)", "2026",
  sprites_args, SPRITES_N_ARGS,
  N_("Diffusion Sprites has not been used yet: open it from the Filters menu first."),
  NULL,
  NULL,
  N_("Diffusion sprites"),
};

static const FilterArg variation_args[VARIATION_N_ARGS] = {
  [VARIATION_ARG_MODEL] = { FILTER_ARG_STRING, "model", N_("Model"), DIFFUSION_MODEL_BLURB,
                            0, 0, 0, "" },
  [VARIATION_ARG_STRENGTH] = {
    FILTER_ARG_DOUBLE, "strength", N_("S_trength"),
    "How much noise, 0.0 to 1.0: the region is noised to timestep round(strength T) and "
    "denoised again; 0 keeps it, 1 draws anew",
    0.0, 1.0, 0.5, NULL },
  [VARIATION_ARG_STEPS] = {
    FILTER_ARG_INT, "steps", N_("St_eps"), "DDIM denoising steps, 1 to 1000",
    1, DIFFUSION_STEPS_MAX, DIFFUSION_DEFAULT_STEPS, NULL },
  [VARIATION_ARG_SEED] = {
    FILTER_ARG_INT, "seed", N_("_Seed"),
    "Random seed of the noise: the same seed gives the same variation on every machine",
    0, VKSTYLE_SEED_MAX, 0, NULL },
  [VARIATION_ARG_CONTEXT] = { FILTER_ARG_STRING, "context", N_("_Classes"),
                              DIFFUSION_CONTEXT_BLURB, 0, 0, 0, "" },
  [VARIATION_ARG_NEW_LAYER] = {
    FILTER_ARG_BOOLEAN, "new-layer", N_("New _layer"),
    "Put the result on a new layer above the drawable instead of replacing its pixels",
    0, 1, 0, NULL },
  [VARIATION_ARG_DEVICE] = { FILTER_ARG_STRING, "device", N_("_Device"), DEVICE_BLURB,
                             0, 0, 0, "" },
};

const FilterInfo vkstyle_variation_filter = {
  VKSTYLE_VARIATION_PROC,
  N_("Diffusion _Variation…"),
  "<Image>/Filters/Artistic",
  N_("Redraw the layer or the selection with a diffusion model: partly noised, then denoised"),
  "A variation by a denoising diffusion model (a context U-Net, .safetensors) computed with "
  "Vulkan: the selection's bounding box (at least the model's size) is noised to the chosen "
  "strength and denoised by DDIM toward a mix of the model's classes, in overlapping tiles of "
  "the model's size when larger, and composited through the selection. The same as `vkstyle "
  "vary` on the same pixels. Works on RGB and grayscale drawables of any precision; alpha is "
  "kept.",
  "RGB*, GRAY*",
  "vkstyle contributors", "vkstyle contributors (GPL-3.0-or-later)", "2026",
  variation_args, VARIATION_N_ARGS,
  N_("Diffusion Variation has not been used yet: open it from the Filters menu first."),
  N_("Indexed images cannot be varied. Convert the image to RGB first (Image ▸ Mode ▸ RGB)."),
  N_("Diffusion Variation works on one layer at a time: select a single layer."),
  N_("Diffusion variation"),
};

const FilterInfo *const vkstyle_filters[] = {
  &vkstyle_stylize_filter, &vkstyle_texture_filter, &vkstyle_reference_filter,
  &vkstyle_variation_filter,
};
const int vkstyle_n_filters = G_N_ELEMENTS (vkstyle_filters);

const FilterInfo *
filter_find (const char *procedure)
{
  for (int i = 0; i < vkstyle_n_filters; i++)
    if (g_strcmp0 (vkstyle_filters[i]->procedure, procedure) == 0)
      return vkstyle_filters[i];
  return NULL;
}
