/* What the two VQGAN trainers (vqgan_main.c, vqgan_prior_main.c) share: the resumable state
 * file with a run signature and step, the per-step progress line, and the uniform random
 * numbers their weight initialisers draw. */
#pragma once
#include "engine/checkpoint.h"
#include "trainer/report.h"
#include "trainer/rng.h"

/* Writes state (already holding the training tensors) as out/latest_state.safetensors with
 * vkstyle.arch = arch, vkstyle.run = signature and vkstyle.step = step. */
gboolean vks_vq_run_save_state (VksCheckpoint *state, const char *out, const char *arch,
                                const char *signature, int step, GError **error);
/* The reverse: out/latest_state.safetensors, which must have that arch and signature and a step
 * of at most max_step (VKS_ERROR_CHECKPOINT saying which is not so). */
VksCheckpoint *vks_vq_run_load_state (const char *out, const char *arch, const char *signature,
                                      int max_step, int *step, GError **error);

/* The training loop both share: per step a random stream of the seed keyed by the step (so a
 * resumed run draws what an uninterrupted one would), the row logged to losses.csv, a progress
 * line with ETA every print_every steps, sample grids (with the plot and index.html) every
 * sample_every; at the end, or on Ctrl+C, the save, the plot, a grid and index.html. */
typedef struct {
  gpointer run;
  /* one step at `step` (from 0) drawing from rng: the report's row */
  gboolean (*step) (gpointer run, int step, VksRng *rng, double *row, GError **error);
  gboolean (*samples) (gpointer run, guint64 step, GError **error);
  gboolean (*save) (gpointer run, int step, GError **error);
  VksReport *report;
  const char *out, *what;   /* "the model is in OUT/latest.safetensors" */
  int steps, stop_after, sample_every, print_every, seed;
  double lr;
  /* the progress line's values: columns of the row, under short names */
  const char *const *shown;
  const int *shown_columns;
  int n_shown, n_columns;
} VksVqLoop;
gboolean vks_vq_run_loop (const VksVqLoop *loop, int first, GError **error);

/* main's frame: GEGL (no OpenCL) and SIGINT / SIGTERM setting the flag the loop stops on, and
 * at the end the error line and the exit status (1 on error, 130 when interrupted). */
void vks_vq_run_begin (void);
int vks_vq_run_end (gboolean ok, const GError *error);

/* Callbacks for the trainers' init functions over a VksRng. */
double vks_vq_run_uniform (gpointer rng);
double vks_vq_run_normal (gpointer rng);
