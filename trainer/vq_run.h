/* What the two VQGAN trainers (vqgan_main.c, vqgan_prior_main.c) share: the resumable state
 * file with a run signature and step, the per-step progress line, and the uniform random
 * numbers their weight initialisers draw. */
#pragma once
#include "engine/checkpoint.h"
#include "trainer/rng.h"

/* Writes state (already holding the training tensors) as out/latest_state.safetensors with
 * vkstyle.arch = arch, vkstyle.run = signature and vkstyle.step = step. */
gboolean vks_vq_run_save_state (VksCheckpoint *state, const char *out, const char *arch,
                                const char *signature, int step, GError **error);
/* The reverse: out/latest_state.safetensors, which must have that arch and signature and a step
 * of at most max_step (VKS_ERROR_CHECKPOINT saying which is not so). */
VksCheckpoint *vks_vq_run_load_state (const char *out, const char *arch, const char *signature,
                                      int max_step, int *step, GError **error);

/* "step 12/1000 3.10 it/s ETA 0:05:12 aeloss 0.1234 ..." on stdout. */
void vks_vq_run_progress (int step, int steps, double its, const char *const *names,
                          const double *values, int n);

/* Callbacks for the trainers' init functions over a VksRng. */
double vks_vq_run_uniform (gpointer rng);
double vks_vq_run_normal (gpointer rng);
