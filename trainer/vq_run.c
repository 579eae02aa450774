#include "trainer/vq_run.h"

#include "engine/error.h"

gboolean
vks_vq_run_save_state (VksCheckpoint *state, const char *out, const char *arch,
                       const char *signature, int step, GError **error)
{
  g_autofree char *steps = g_strdup_printf ("%d", step);
  vks_checkpoint_set_metadata (state, "vkstyle.arch", arch);
  vks_checkpoint_set_metadata (state, "vkstyle.run", signature);
  vks_checkpoint_set_metadata (state, "vkstyle.step", steps);
  g_autofree char *path = g_build_filename (out, "latest_state.safetensors", NULL);
  return vks_checkpoint_save (state, path, VKS_DTYPE_F32, error);
}

VksCheckpoint *
vks_vq_run_load_state (const char *out, const char *arch, const char *signature, int max_step,
                       int *step, GError **error)
{
  g_autofree char *path = g_build_filename (out, "latest_state.safetensors", NULL);
  g_autoptr (VksCheckpoint) st = vks_checkpoint_load (path, error);
  if (st == NULL)
    return NULL;
  const char *saved = vks_checkpoint_get_metadata (st, "vkstyle.run");
  guint64 s = 0;
  if (g_strcmp0 (vks_checkpoint_get_metadata (st, "vkstyle.arch"), arch) != 0 ||
      !g_ascii_string_to_unsigned (vks_checkpoint_get_metadata (st, "vkstyle.step"), 10, 0,
                                   (guint64) max_step, &s, NULL)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "%s is not a %s state of at most %d steps", path, arch, max_step);
    return NULL;
  }
  if (g_strcmp0 (saved, signature) != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "%s was saved by another run (%s); this one is %s", path, saved, signature);
    return NULL;
  }
  *step = (int) s;
  return g_steal_pointer (&st);
}

void
vks_vq_run_progress (int step, int steps, double its, const char *const *names,
                     const double *values, int n)
{
  int eta = its > 0 ? (int) MIN ((steps - step) / its, 1e8) : 0;
  g_print ("step %d/%d %.2f it/s ETA %d:%02d:%02d", step, steps, its, eta / 3600, eta / 60 % 60,
           eta % 60);
  for (int i = 0; i < n; i++)
    g_print (" %s %.4f", names[i], values[i]);
  g_print ("\n");
}

double
vks_vq_run_uniform (gpointer rng)
{
  return vks_rng_uniform (rng);
}

double
vks_vq_run_normal (gpointer rng)
{
  return vks_rng_normal (rng, 0.0, 1.0);
}
