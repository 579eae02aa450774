#include "trainer/train_loop.h"

#include "engine/error.h"
#include "trainer/state_stamp.h"
#include "trainer/train_frame.h"

gboolean
vks_train_save_state (VksCheckpoint *state, const char *out, const char *arch,
                      const char *signature, int step, GError **error)
{
  vks_state_stamp (state, arch, signature, (guint64) step);
  g_autofree char *path = g_build_filename (out, "latest_state.safetensors", NULL);
  return vks_checkpoint_save (state, path, VKS_DTYPE_F32, error);
}

VksCheckpoint *
vks_train_load_state (const char *out, const char *arch, const char *what, const char *signature,
                      int max_step, int *step, GError **error)
{
  g_autofree char *path = g_build_filename (out, "latest_state.safetensors", NULL);
  g_autoptr (VksCheckpoint) st = vks_checkpoint_load (path, error);
  guint64 s = 0;
  if (st == NULL ||
      !vks_state_check_stamp (st, path, arch, what, signature, (guint64) max_step, &s, error))
    return NULL;
  *step = (int) s;
  return g_steal_pointer (&st);
}

static void
progress (const VksTrainLoop *l, int step, double its, const double *row)
{
  int eta = its > 0 ? (int) MIN ((l->steps - step) / its, 1e8) : 0;
  g_print ("step %d/%d %.2f it/s ETA %d:%02d:%02d", step, l->steps, its, eta / 3600,
           eta / 60 % 60, eta % 60);
  for (int i = 0; i < l->n_shown; i++)
    g_print (" %s %.4f", l->shown[i], row[l->shown_columns[i]]);
  g_print ("\n");
}

static gboolean
due (int every, int step)
{
  return every > 0 && step % every == 0;
}

static gboolean
write_views (const VksTrainLoop *l, guint64 step, gboolean with_samples, GError **error)
{
  return (!with_samples || l->samples (l->run, step, error)) &&
         vks_report_write_plot (l->report, error) && vks_report_write_index (l->report, error);
}

gboolean
vks_train_loop (const VksTrainLoop *l, int first, GError **error)
{
  int last = l->stop_after > 0 ? MIN (l->steps, l->stop_after) : l->steps, step = first;
  g_autofree double *row = g_new (double, l->n_columns);
  gint64 t0 = g_get_monotonic_time ();
  for (; step < last && !vks_train_interrupted (); step++) {
    VksRng rng;
    vks_rng_init_stream (&rng, (guint64) l->seed, (guint64) step);
    if (!l->step (l->run, step, &rng, row, error))
      return FALSE;
    double its = (step + 1 - first) / ((g_get_monotonic_time () - t0) / 1e6 + 1e-9);
    double lr = l->lr_at != NULL ? l->lr_at (l->run, step) : l->lr;
    if (!vks_report_log (l->report, step + 1, 0, row, lr, its, error))
      return FALSE;
    if (due (l->print_every, step + 1) || step + 1 == last)
      progress (l, step + 1, its, row);
    if (due (l->sample_every, step + 1) && !write_views (l, step + 1, TRUE, error))
      return FALSE;
    if (due (l->save_every, step + 1) && step + 1 < last && !l->save (l->run, step + 1, error))
      return FALSE;
  }
  gboolean sampled = step > first && due (l->sample_every, step);
  if (!l->save (l->run, step, error) ||
      !write_views (l, step, !sampled, error))
    return FALSE;
  g_print ("%s %d steps; the %s is in %s/latest.safetensors\n",
           vks_train_interrupted () ? "interrupted after" : "trained", step, l->what, l->out);
  return TRUE;
}

double
vks_train_uniform (gpointer rng)
{
  return vks_rng_uniform (rng);
}

double
vks_train_normal (gpointer rng)
{
  return vks_rng_normal (rng, 0.0, 1.0);
}
