/* Time of the StarGAN v2 generator on one image (not run by meson test):
 *   bench-stargan2 MODEL SIZE [RUNS]
 * loads MODEL, takes the style of domain 0 from seed 1, and translates a SIZE x SIZE image RUNS
 * times (default 3) after one warm-up run (planning, first pipeline use). */
#include <stdio.h>
#include <stdlib.h>

#include "engine/models/stargan2_net.h"
#include "tests/rig.h"

int
main (int argc, char **argv)
{
  if (argc < 3) {
    fprintf (stderr, "usage: %s MODEL SIZE [RUNS]\n", argv[0]);
    return 2;
  }
  int size = atoi (argv[2]), runs = argc > 3 ? atoi (argv[3]) : 3;
  GError *error = NULL;
  VksStarGan2 *net = vks_stargan2_load (test_context (), argv[1], &error);
  if (net == NULL)
    g_error ("%s", error->message);
  const VksStarGan2Config *cfg = vks_stargan2_config (net);
  g_autofree float *z = g_new (float, cfg->latent_dim);
  g_autofree float *style = g_new (float, cfg->style_dim);
  vks_stargan2_latent (net, 1, 0, z);
  g_autofree float *rgb = g_new (float, (gsize) 3 * size * size);
  GRand *rng = g_rand_new_with_seed (1);
  fill_uniform (rgb, (long) 3 * size * size, 0.0f, 1.0f, rng);
  g_rand_free (rng);
  if (!vks_stargan2_style_from_latent (net, z, 0, style, &error) ||
      !vks_stargan2_translate (net, rgb, rgb, size, size, style, NULL, NULL, &error))
    g_error ("%s", error->message);
  double best = 1e30, total = 0;
  for (int i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    if (!vks_stargan2_translate (net, rgb, rgb, size, size, style, NULL, NULL, &error))
      g_error ("%s", error->message);
    double s = (g_get_monotonic_time () - t0) / 1e6;
    best = MIN (best, s);
    total += s;
  }
  printf ("%s: generator at %dx%d: best %.3f s, mean %.3f s over %d runs\n", argv[1], size, size,
          best, total / runs, runs);
  vks_stargan2_free (net);   /* before the context it lives on */
  test_context_release ();
  return 0;
}
