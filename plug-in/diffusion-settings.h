/* The arguments of the two diffusion filters (plug-in/filter.h: vkstyle_sprites_filter,
 * vkstyle_variation_filter), checked as `vkstyle generate` / `vkstyle vary` check theirs, and
 * stored by GIMP 2.10 with gimp_set_data under their procedure names like VkstyleSettings
 * (fixed-size arrays, a magic to bump when the layout changes). GIMP-free. */
#pragma once
#include <glib.h>
#include "plug-in/filter.h"

#define VKSTYLE_SPRITES_PROC "plug-in-vkstyle-sprites"
#define VKSTYLE_VARIATION_PROC "plug-in-vkstyle-variation"

#define VKSTYLE_SPRITES_SETTINGS_MAGIC 0x766b6401u
#define VKSTYLE_VARIATION_SETTINGS_MAGIC 0x766b7601u

/* DDIM steps as the CLI's default; more than a model's T only repeats timesteps. */
#define DIFFUSION_DEFAULT_STEPS 25
#define DIFFUSION_STEPS_MAX 1000
/* Sprites of one run: a sheet of 8 x 8 is what fits a screen at the usual 4x upscale. */
#define SPRITES_COUNT_MAX 64
#define SPRITES_UPSCALE_MAX 16
#define DIFFUSION_GUIDANCE_MAX 100.0

typedef enum { SPRITES_SAMPLER_DDIM, SPRITES_SAMPLER_DDPM } SpritesSampler;

typedef struct {
  guint32 magic;
  char model[4096];     /* a file path, or a diffusion model's name / file stem */
  char context[1024];   /* the class mix, "hero=1,food=0.5" (vks_unet_parse_context) */
  gint32 seed;          /* 0..VKSTYLE_SEED_MAX */
  gint32 sampler;       /* SpritesSampler */
  gint32 steps;         /* DDIM: 1..DIFFUSION_STEPS_MAX; DDPM takes every timestep */
  gint32 count;         /* 1..SPRITES_COUNT_MAX */
  gint32 upscale;       /* 1..SPRITES_UPSCALE_MAX, nearest neighbour */
  double guidance;      /* classifier-free guidance, 0 (off)..DIFFUSION_GUIDANCE_MAX */
  char device[256];
} SpritesSettings;

void sprites_settings_init_defaults (SpritesSettings *settings);
/* From the arguments of vkstyle_sprites_filter, in its order (SPRITES_ARG_*). The context is
 * only checked against the model when it is loaded. */
gboolean sprites_settings_from_values (SpritesSettings *settings,
                                       const FilterValue values[SPRITES_N_ARGS], GError **error);
/* "ddim" / "ddpm" as the CLI's --sampler; -1 for anything else. */
int sprites_sampler_from_name (const char *name);
const char *sprites_sampler_name (SpritesSampler sampler);

typedef struct {
  guint32 magic;
  char model[4096];
  double strength;      /* 0..1: how far the region is noised (the timestep round(strength T)) */
  gint32 steps;         /* DDIM steps back, 1..DIFFUSION_STEPS_MAX */
  gint32 seed;
  char context[1024];
  gint32 new_layer;
  char device[256];
  gint32 preview;       /* dialog only */
} VariationSettings;

void variation_settings_init_defaults (VariationSettings *settings);
gboolean variation_settings_from_values (VariationSettings *settings,
                                         const FilterValue values[VARIATION_N_ARGS],
                                         GError **error);
