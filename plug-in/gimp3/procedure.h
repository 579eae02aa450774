/* GIMP 3: turns a filter of plug-in/filter.h into a GimpImageProcedure with named arguments,
 * and reads the arguments back from its config, so every filter registers the same way. */
#pragma once
#include <libgimp/gimp.h>
#include "plug-in/filter.h"

/* The procedure for `filter`: documentation, menu entry, image types, one argument per
 * FilterArg (texts translated here: GIMP 3 asks the plug-in in the user's language). */
GimpProcedure *filter_procedure_new (GimpPlugIn *plug_in, const FilterInfo *filter,
                                     GimpRunImageFunc run);

/* The values of filter's arguments in `config`, in table order. The strings are owned by
 * *strings (g_strfreev); values must hold filter->n_args entries. */
void filter_values_from_config (const FilterInfo *filter, GimpProcedureConfig *config,
                                FilterValue *values, char ***strings);
