/* What one run of the plug-in is asked to do: the PDB arguments, also what "Repeat" replays.
 * GIMP-free: the GIMP 2.10 front end stores it with gimp_set_data (gimp2/last-values.c), GIMP 3
 * keeps its procedure config itself. */
#pragma once
#include <glib.h>
#include "plug-in/filter.h"

#define VKSTYLE_PROC   "plug-in-vkstyle"
#define VKSTYLE_TEXTURE_PROC "plug-in-vkstyle-texture"
#define VKSTYLE_REFERENCE_PROC "plug-in-vkstyle-reference"
#define VKSTYLE_BINARY "vkstyle"
#define VKSTYLE_ROLE   "vkstyle"

#define VKSTYLE_SCALE_MIN 0.05
#define VKSTYLE_SCALE_MAX 1.0

/* GIMP 2.10 stores it verbatim with gimp_set_data(), so fixed-size arrays and no pointers; bump the magic when
 * the layout changes so an old blob from the previous version is ignored instead of misread. */
#define VKSTYLE_SETTINGS_MAGIC 0x766b7301u

typedef struct {
  guint32 magic;
  char model[4096];     /* a file path, or a style name / file stem found in the model folders */
  double strength;      /* 0..100 %: blend of the stylized result over the original */
  double scale;         /* VKSTYLE_SCALE_MIN..MAX: fraction of the region size the network sees */
  gint32 new_layer;     /* 0 replace the drawable's pixels, 1 put the result on a new layer */
  char device[256];     /* Vulkan device selector, "" = automatic */
  gint32 preview;       /* dialog only: "Preview on canvas" was on */
} VkstyleSettings;

void vkstyle_settings_init_defaults (VkstyleSettings *settings);
/* FALSE with a message when a number is out of range or a string does not fit its array. */
gboolean vkstyle_settings_set (VkstyleSettings *settings, const char *model, double strength,
                               double scale, int new_layer, const char *device, GError **error);
/* Same from the arguments of vkstyle_stylize_filter, in its order (STYLIZE_ARG_*). */
gboolean vkstyle_settings_from_values (VkstyleSettings *settings,
                                       const FilterValue values[STYLIZE_N_ARGS], GError **error);

/* The first interactive run picks a processing scale that keeps the network at about
 * VKSTYLE_FIRST_RUN_LONG_SIDE pixels on the long side of a width x height region: a CPU device
 * takes minutes beyond that. Whole percent, as the slider shows it. */
#define VKSTYLE_FIRST_RUN_LONG_SIDE 1024.0
double vkstyle_settings_first_run_scale (int width, int height);

/* Neural Texture's arguments (vkstyle_texture_filter), stored by GIMP 2.10 like VkstyleSettings
 * under VKSTYLE_TEXTURE_PROC. */
#define VKSTYLE_TEXTURE_SETTINGS_MAGIC 0x766b7401u
/* Seeds of both filters that take one (Neural Texture, Style from Reference). */
#define VKSTYLE_SEED_MAX G_MAXINT32

typedef struct {
  guint32 magic;
  char model[4096];     /* a file path, or a texture model's name / file stem */
  gint32 seed;          /* 0..VKSTYLE_SEED_MAX */
  gint32 tileable;      /* 0 or 1 */
  char codes[1024];     /* InfoGAN codes, "pattern=2,scale=0.5" (plug-in/codes.h) */
  char device[256];
  gint32 preview;       /* dialog only */
} TextureSettings;

void texture_settings_init_defaults (TextureSettings *settings);
/* From the arguments of vkstyle_texture_filter, in its order (TEXTURE_ARG_*). The codes are only
 * checked against the model when it is loaded. */
gboolean texture_settings_from_values (TextureSettings *settings,
                                       const FilterValue values[TEXTURE_N_ARGS], GError **error);

/* Style from Reference's arguments (vkstyle_reference_filter), stored by GIMP 2.10 under
 * VKSTYLE_REFERENCE_PROC. A reference layer is only remembered for the session's images: an ID
 * from a previous GIMP session would name another layer, so the front end checks it exists. */
#define VKSTYLE_REFERENCE_SETTINGS_MAGIC 0x766b7201u
/* Each variation is a new layer: a few are a choice, hundreds an accident. */
#define VKSTYLE_VARIATIONS_MAX 16

typedef struct {
  guint32 magic;
  char model[4096];     /* a file path, or a StarGAN v2 model's name / file stem */
  char domain[256];     /* a domain name of the model, or its index */
  gint32 reference;     /* drawable ID of the style source, -1: random styles from the seed */
  gint32 seed;          /* 0..VKSTYLE_SEED_MAX */
  double strength;      /* 0..100 % */
  gint32 new_layer;     /* 0 or 1; always new layers with variations > 1 */
  gint32 variations;    /* 1..VKSTYLE_VARIATIONS_MAX: random styles only */
  double scale;         /* VKSTYLE_SCALE_MIN..MAX */
  char device[256];
  gint32 preview;       /* dialog only */
} ReferenceSettings;

void reference_settings_init_defaults (ReferenceSettings *settings);
/* From the arguments of vkstyle_reference_filter, in its order (REFERENCE_ARG_*). The domain is
 * only checked against the model when it is loaded, the reference drawable by the front end. */
gboolean reference_settings_from_values (ReferenceSettings *settings,
                                         const FilterValue values[REFERENCE_N_ARGS],
                                         GError **error);
