/* Times VQModel encode + decode (one plan, reconstruct) on a random image: not a test.
 *   bench-vqgan MODEL.safetensors SIZE [RUNS]   (VKSTYLE_PROFILE=1 for per-kernel times) */
#include <stdio.h>
#include <stdlib.h>

#include "engine/models/vqgan.h"
#include "engine/nn/params.h"
#include "engine/nn/plan.h"

int
main (int argc, char **argv)
{
  if (argc < 3)
    return fprintf (stderr, "usage: %s MODEL SIZE [RUNS]\n", argv[0]), 2;
  int size = atoi (argv[2]), runs = argc > 3 ? atoi (argv[3]) : 3;
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ck = vks_checkpoint_load (argv[1], &error);
  VksVqganConfig cfg;
  if (ck == NULL || !vks_vqgan_check_checkpoint (ck, &cfg, &error))
    return fprintf (stderr, "%s\n", error->message), 1;
  g_autoptr (VksContext) ctx = vks_context_new (NULL, &error);
  if (ctx == NULL)
    return fprintf (stderr, "%s\n", error->message), 1;
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, cfg.in_channels, size, size));
  VksNode y = vks_vqgan_decode (g, &cfg, vks_vqgan_encode (g, &cfg, x).quantized);
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (VksPlan) plan = vks_graph_check (g, &error)
                               ? vks_plan_new (ctx, g, &y, 1, NULL, &error) : NULL;
  if (plan == NULL || !vks_plan_load_params (plan, g, ck, &error))
    return fprintf (stderr, "%s\n", error->message), 1;
  g_autofree float *img = g_new (float, (size_t) cfg.in_channels * size * size);
  GRand *rng = g_rand_new_with_seed (1);
  for (long i = 0; i < (long) cfg.in_channels * size * size; i++)
    img[i] = (float) g_rand_double_range (rng, -1, 1);
  g_rand_free (rng);
  VksPlanStats st;
  vks_plan_stats (plan, &st);
  printf ("%dx%d: plan %.2f s, %d dispatches, arena %.1f MiB\n", size, size,
          (g_get_monotonic_time () - t0) / 1e6, st.n_dispatches, st.arena_bytes / 1048576.0);
  for (int r = 0; r < runs; r++) {
    t0 = g_get_monotonic_time ();
    if (!vks_plan_set (plan, x, img, &error) || !vks_plan_run (plan, &error))
      return fprintf (stderr, "%s\n", error->message), 1;
    printf ("run %d: %.3f s\n", r, (g_get_monotonic_time () - t0) / 1e6);
  }
  return 0;
}
