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
} FilterInfo;

/* A value of one argument, whichever GIMP it came from. */
typedef struct {
  const char *string;
  double number;           /* DOUBLE, INT, and BOOLEAN as 0/1 */
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

/* The filter procedure `name` names, or NULL. */
const FilterInfo *filter_find (const char *procedure);
