/* The diffusion filters' jobs (job.h): Diffusion Sprites draws request->diffusion.count sprites
 * (no region), Diffusion Variation redraws the region as `vkstyle vary`. GIMP-free. */
#pragma once
#include "plug-in/diffusion-settings.h"
#include "plug-in/job.h"

/* For job_compute: sprites as count packed R'G'B' images of the model's size (region unused,
 * may be NULL), or the region-sized variation. */
float *diffusion_job_compute (Stylizer *stylizer, const PixelRegion *region,
                              const JobRequest *request, VksProgressFunc progress,
                              gpointer user_data, char **model_name, GError **error);

gboolean job_request_from_sprites_settings (JobRequest *request,
                                            const SpritesSettings *settings,
                                            const char *profile_dir, const char *plugin_dir,
                                            GError **error);
gboolean job_request_from_variation_settings (JobRequest *request,
                                              const VariationSettings *settings,
                                              const char *profile_dir, const char *plugin_dir,
                                              GError **error);

/* The side of a sprite request's images (the model's height, from its header), or 0 with an
 * error. */
int diffusion_request_sprite_size (const JobRequest *request, GError **error);
