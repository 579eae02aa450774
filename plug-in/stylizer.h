/* The engine side of the plug-in: keeps the Vulkan context and the loaded style or texture model
 * between runs (the dialog's preview re-runs often), and turns engine errors into advice for
 * GIMP users. Knows nothing of GIMP's images, so it may run in a worker thread; one call at a
 * time. */
#pragma once
#include "engine/models/diffusion_generate.h"
#include "engine/models/stargan2_net.h"
#include "engine/stylize.h"
#include "engine/texture.h"
#include "plug-in/models.h"

typedef struct Stylizer Stylizer;

Stylizer *stylizer_new (void);
void stylizer_free (Stylizer *stylizer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stylizer, stylizer_free)

/* Creates the context for `device` ("" = automatic) and loads `model_path` unless the ones from
 * the previous call still fit, then stylizes rgb_in (see vks_style_apply) into rgb_out.
 * progress also receives "loading" messages before the engine's own. */
gboolean stylizer_run (Stylizer *stylizer, const char *device, const char *model_path,
                       const float *rgb_in, float *rgb_out, int width, int height,
                       VksProgressFunc progress, gpointer user_data, GError **error);

/* Name of the style loaded by the last successful run, or NULL. */
const char *stylizer_style_name (const Stylizer *stylizer);

/* Neural Texture: like stylizer_run, with a texture model: parses `codes` (plug-in/codes.h)
 * against it and renders width x height R'G'B' into rgb (vks_texture_render). */
gboolean stylizer_render_texture (Stylizer *stylizer, const char *device, const char *model_path,
                                  guint64 seed, gboolean tileable, const char *codes, float *rgb,
                                  int width, int height, VksProgressFunc progress,
                                  gpointer user_data, GError **error);
/* Name of the texture model loaded by the last successful render, or NULL. */
const char *stylizer_texture_name (const Stylizer *stylizer);

/* Style from Reference: like stylizer_run, with a StarGAN v2 model: translates rgb_in into
 * `domain` (a name or an index, vks_stargan2_find_domain) with the style the style encoder
 * reads from `reference` (reference_width x reference_height R'G'B' floats), or without one
 * with the mapping network's style of latent `variation` of `seed` (vks_stargan2_latent, as
 * `vkstyle apply --seed --count`). rgb_out may equal rgb_in. */
gboolean stylizer_translate_reference (Stylizer *stylizer, const char *device,
                                       const char *model_path, const char *domain,
                                       const float *reference, int reference_width,
                                       int reference_height, guint64 seed, int variation,
                                       const float *rgb_in, float *rgb_out, int width,
                                       int height, VksProgressFunc progress,
                                       gpointer user_data, GError **error);
/* Name of the StarGAN v2 model loaded by the last successful translation, or NULL. */
const char *stylizer_reference_name (const Stylizer *stylizer);

/* Diffusion Sprites: like stylizer_run, with a diffusion model (a context U-Net): `count`
 * images of the class mix `context` (vks_unet_parse_context), exactly what `vkstyle generate
 * --seed --sampler --steps --guidance --context --count` draws. Returns count packed R'G'B'
 * images of *size x *size (g_free), or NULL. Progress messages "Denoising step i/n". */
float *stylizer_diffusion_sprites (Stylizer *stylizer, const char *device,
                                   const char *model_path, const char *context, guint64 seed,
                                   VksSampler sampler, int steps, double guidance, int count,
                                   int *size, VksProgressFunc progress, gpointer user_data,
                                   GError **error);
/* Diffusion Variation: vks_diffusion_vary of width x height R'G'B' (at least the model's size),
 * as `vkstyle vary`. rgb_out may equal rgb_in. */
gboolean stylizer_diffusion_vary (Stylizer *stylizer, const char *device,
                                  const char *model_path, const char *context, double strength,
                                  int steps, guint64 seed, const float *rgb_in, float *rgb_out,
                                  int width, int height, VksProgressFunc progress,
                                  gpointer user_data, GError **error);
/* Name of the diffusion model loaded by the last successful run, or NULL. */
const char *stylizer_diffusion_name (const Stylizer *stylizer);

/* A message for people, not programmers: the engine's message plus what to do about it, for a
 * run with a model of `kind`. Returns NULL for a cancellation (nothing to tell). g_free. */
char *stylizer_describe_error_for (const GError *error, ModelKind kind);
/* The same for Style Transfer. */
char *stylizer_describe_error (const GError *error);

/* The engine reports progress in English ("Stylizing tile 3/12"); this gives the same text in
 * the user's language when we know it, else the English. g_free. */
char *stylizer_translate_progress (const char *message);
