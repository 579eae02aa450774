/* InfoGAN codes as text, the form the PDB's "codes" argument and the remembered settings take:
 * comma-separated NAME=VALUE, e.g. "pattern=2,scale=0.5,tilt=-1". The category is named by the
 * model's vkstyle.category_name or "category" and takes an index from 0; continuous code i (from
 * 1) by its vkstyle.continuous_names entry or "code<i>" and takes a number in
 * [-TEXTURE_CODE_LIMIT, TEXTURE_CODE_LIMIT]. Names compare case-insensitively, numbers are read
 * in the C locale whatever the user's. Omitted codes are 0. GIMP-free. */
#pragma once
#include "engine/texture.h"

/* Trained on [-1, 1]; a little beyond still gives textures, and exaggerates the code's effect. */
#define TEXTURE_CODE_LIMIT 2.0

/* FALSE with a message naming the model's codes when `text` does not fit cfg (an unknown or
 * repeated name, a value out of range, any code for a DCGAN). text NULL or "": defaults. */
gboolean texture_codes_parse (const VksGanConfig *cfg, const char *text, VksGanCodes *codes,
                              GError **error);

/* Every code of cfg with its name, in the form texture_codes_parse reads back exactly; "" for
 * a DCGAN. g_free. */
char *texture_codes_format (const VksGanConfig *cfg, const VksGanCodes *codes);

/* The name the text uses for the category (index -1) or continuous code i (from 0): the model's
 * name, else "category" / "code<i+1>". g_free. */
char *texture_code_name (const VksGanConfig *cfg, int index);
