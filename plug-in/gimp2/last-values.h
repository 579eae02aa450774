/* The last values of the GIMP 2.10 plug-in, kept for the GIMP session with gimp_set_data (what
 * Filters › Repeat replays), one blob per filter under its procedure name. GIMP 3 keeps its
 * procedure config itself. */
#pragma once
#include "plug-in/settings.h"
#include "plug-in/diffusion-settings.h"

/* Returns FALSE when nothing (or an incompatible blob) was stored. */
gboolean last_values_load (VkstyleSettings *settings);
void last_values_save (const VkstyleSettings *settings);
gboolean texture_last_values_load (TextureSettings *settings);
void texture_last_values_save (const TextureSettings *settings);
/* A remembered reference layer that no longer exists becomes -1 (random styles). */
gboolean reference_last_values_load (ReferenceSettings *settings);
void reference_last_values_save (const ReferenceSettings *settings);

/* The diffusion filters' (plug-in/diffusion-settings.h). */
gboolean sprites_last_values_load (SpritesSettings *settings);
void sprites_last_values_save (const SpritesSettings *settings);
gboolean variation_last_values_load (VariationSettings *settings);
void variation_last_values_save (const VariationSettings *settings);
