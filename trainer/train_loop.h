/* The step loop the graph-engine trainers share (ddpm_main.c, stargan2_main.c, vqgan_main.c,
 * vqgan_prior_main.c), their resumable state file with a run signature and step, and the
 * random-number callbacks their weight initialisers take. */
#pragma once
#include "engine/checkpoint.h"
#include "trainer/report.h"
#include "trainer/rng.h"

/* Writes state (already holding the training tensors) as out/latest_state.safetensors with
 * vkstyle.arch = arch, vkstyle.run = signature and vkstyle.step = step. */
gboolean vks_train_save_state (VksCheckpoint *state, const char *out, const char *arch,
                               const char *signature, int step, GError **error);
/* The reverse: out/latest_state.safetensors, which must have that arch and signature and a step
 * of at most max_step (VKS_ERROR_CHECKPOINT saying which is not so; `what` names the trainer,
 * "vkstyle-train --arch ddpm"). */
VksCheckpoint *vks_train_load_state (const char *out, const char *arch, const char *what,
                                     const char *signature, int max_step, int *step,
                                     GError **error);

/* Per step a random stream of the seed keyed by the step (so a resumed run draws what an
 * uninterrupted one would), the row logged to losses.csv, a progress line with ETA every
 * print_every steps, sample grids (with the plot and index.html) every sample_every, a save
 * every save_every (0: never); at the end, or after Ctrl+C, the save, the plot, index.html and
 * a grid unless one was just made (so sample_every 0 gives the final grid only). */
typedef struct {
  gpointer run;
  /* one step at `step` (from 0) drawing from rng: the report's row */
  gboolean (*step) (gpointer run, int step, VksRng *rng, double *row, GError **error);
  gboolean (*samples) (gpointer run, guint64 step, GError **error);
  gboolean (*save) (gpointer run, int step, GError **error);
  /* the learning rate at a step, for losses.csv (NULL: lr throughout) */
  double (*lr_at) (gpointer run, int step);
  VksReport *report;
  const char *out, *what;   /* "the model is in OUT/latest.safetensors" */
  int steps, stop_after, sample_every, save_every, print_every, seed;
  double lr;
  /* the progress line's values: columns of the row, under short names */
  const char *const *shown;
  const int *shown_columns;
  int n_shown, n_columns;
} VksTrainLoop;
gboolean vks_train_loop (const VksTrainLoop *loop, int first, GError **error);

/* Callbacks for the trainers' init functions over a VksRng. */
double vks_train_uniform (gpointer rng);
double vks_train_normal (gpointer rng);
