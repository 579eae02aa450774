#include "trainer/gan_latents.h"
#include "trainer/rng.h"

void
vks_gan_draw_latents (const VksGanConfig *net, guint64 seed, guint64 key, int count, float *z)
{
  vks_gan_latents (net, key, count, NULL, z);
  if (net->n_categories + net->n_continuous == 0)
    return;
  VksRng rng;
  vks_rng_init_stream (&rng, seed, key);
  int latent = vks_gan_latent_size (net);
  for (int i = 0; i < count; i++) {
    VksGanCodes codes = { 0 };
    if (net->n_categories > 0)
      codes.category = (int) vks_rng_below (&rng, (guint32) net->n_categories);
    for (int j = 0; j < net->n_continuous; j++)
      codes.continuous[j] = 2.0 * vks_rng_uniform (&rng) - 1.0;
    vks_texture_put_codes (net, &codes, z + (gsize) i * latent);
  }
}
