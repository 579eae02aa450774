/* What a filter is to GIMP, described once for both front ends: its procedure, menu entry and
 * named arguments. gimp2/ turns this into a GimpParamDef table, gimp3/ into
 * gimp_procedure_add_*_argument calls, so a new filter (texture, fill, …) is one more table here
 * and one run function, not two hand-written registrations that drift apart. */
#pragma once
#include <glib.h>

typedef enum {
  FILTER_ARG_STRING,
  FILTER_ARG_DOUBLE,
  FILTER_ARG_BOOLEAN,  /* GIMP 2.10 has no boolean: an INT32 0/1 there */
  FILTER_ARG_INT,      /* an INT32 in [min, max] in both GIMPs */
  FILTER_ARG_DRAWABLE, /* a drawable of any open image, or none (-1 in scripts) */
} FilterArgType;

typedef struct {
  FilterArgType type;
  const char *name;        /* the same in both GIMPs, so scripts read alike */
  const char *nick;        /* N_(): the label of GIMP 3's generated widget */
  const char *blurb;       /* the PDB description (untranslated, as GIMP's own) */
  double min, max;         /* FILTER_ARG_DOUBLE, FILTER_ARG_INT */
  double default_value;    /* DOUBLE, INT, BOOLEAN (0/1) */
  const char *default_string;
} FilterArg;

typedef struct {
  const char *procedure;   /* "plug-in-vkstyle" */
  const char *menu_label;  /* N_() */
  const char *menu_path;   /* GIMP 3 form, "<Image>/Filters/Artistic" (2.10 reads it alike) */
  const char *blurb;       /* N_() */
  const char *help;
  const char *image_types; /* "RGB*, GRAY*" */
  const char *author, *copyright, *date;
  const FilterArg *args;
  int n_args;
  /* N_(): the messages both front ends give when the filter cannot run */
  const char *not_used_message;   /* Repeat before the first use */
  const char *indexed_message;    /* an indexed drawable */
  const char *one_layer_message;  /* GIMP 3: several drawables selected */
  const char *progress_title;     /* GIMP's progress bar when there is no dialog */
} FilterInfo;

/* The most arguments a filter has, the image ones included (GIMP 2.10 counts those). */
#define FILTER_MAX_ARGS 16

/* A value of one argument, whichever GIMP it came from. */
typedef struct {
  const char *string;
  double number;           /* DOUBLE, INT, BOOLEAN as 0/1, DRAWABLE as its ID (-1: none) */
} FilterValue;

/* Style transfer: model, strength, scale, new-layer, device. */
extern const FilterInfo vkstyle_stylize_filter;
/* Its argument positions in vkstyle_stylize_filter.args. */
enum { STYLIZE_ARG_MODEL, STYLIZE_ARG_STRENGTH, STYLIZE_ARG_SCALE, STYLIZE_ARG_NEW_LAYER,
       STYLIZE_ARG_DEVICE, STYLIZE_N_ARGS };

/* Neural Texture: model, seed, tileable, codes, device (docs/plugin.md). */
extern const FilterInfo vkstyle_texture_filter;
enum { TEXTURE_ARG_MODEL, TEXTURE_ARG_SEED, TEXTURE_ARG_TILEABLE, TEXTURE_ARG_CODES,
       TEXTURE_ARG_DEVICE, TEXTURE_N_ARGS };

/* Style from Reference: a StarGAN v2 model repaints the region into a domain, with the style of
 * a reference layer or of a seed's latent codes (docs/plugin.md). */
extern const FilterInfo vkstyle_reference_filter;
enum { REFERENCE_ARG_MODEL, REFERENCE_ARG_DOMAIN, REFERENCE_ARG_REFERENCE, REFERENCE_ARG_SEED,
       REFERENCE_ARG_STRENGTH, REFERENCE_ARG_NEW_LAYER, REFERENCE_ARG_VARIATIONS,
       REFERENCE_ARG_SCALE, REFERENCE_ARG_DEVICE, REFERENCE_N_ARGS };

/* Diffusion Sprites (Filters › Render): a context U-Net draws sprites of a class mix into a new
 * image; no image arguments (plug-in/gimp2/sprites.c, plug-in/gimp3/sprites.c register it), so
 * it is not in vkstyle_filters. Diffusion Variation (Filters › Artistic): the region noised and
 * denoised again, as `vkstyle vary` (docs/plugin.md). */
extern const FilterInfo vkstyle_sprites_filter;
enum { SPRITES_ARG_MODEL, SPRITES_ARG_CONTEXT, SPRITES_ARG_SEED, SPRITES_ARG_SAMPLER,
       SPRITES_ARG_STEPS, SPRITES_ARG_COUNT, SPRITES_ARG_UPSCALE, SPRITES_ARG_GUIDANCE,
       SPRITES_ARG_DEVICE, SPRITES_N_ARGS };
extern const FilterInfo vkstyle_variation_filter;
enum { VARIATION_ARG_MODEL, VARIATION_ARG_STRENGTH, VARIATION_ARG_STEPS, VARIATION_ARG_SEED,
       VARIATION_ARG_CONTEXT, VARIATION_ARG_NEW_LAYER, VARIATION_ARG_DEVICE, VARIATION_N_ARGS };

/* Every filter, for registration. */
extern const FilterInfo *const vkstyle_filters[];
extern const int vkstyle_n_filters;

/* The filter procedure `name` names, or NULL. */
const FilterInfo *filter_find (const char *procedure);
