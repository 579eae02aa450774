/* vkstyle-train --arch dcgan --eval-real DIR --inception FILE: FID and KID of the generator
 * during training, as `vkstyle metrics fid|kid DIR FAKES` would give them for the same images.
 *
 * At the start the real folder's images (chosen as `vkstyle metrics` chooses them, each at its
 * own size) go through the FID Inception-v3 once; their features stay in memory (8 KiB an image)
 * with their mean and covariance (32 MiB). Each evaluation draws `count` latents from one fixed
 * seed (every evaluation judges the same noise, so rows compare), runs the generator with its
 * running batch statistics (evaluation mode) in batches of the sample plan, rounds the images to
 * 8 bits as a PNG of them would hold (so the figures are those of the saved files), resizes
 * them to 299 x 299 as pytorch-fid does (vks_inception_prepare_image) and computes FID
 * (pytorch-fid's) and KID (torch-fidelity's: 100 subsets of min(1000, real, fakes) images,
 * seed 2020, real set first as in `vkstyle metrics kid REAL FAKE`). Inception runs in batches
 * of VKS_GAN_EVAL_BATCH images. */
#pragma once
#include "engine/gan_train.h"
#include "trainer/gan_options.h"
#include "trainer/report.h"

#define VKS_GAN_EVAL_BATCH 8

typedef struct {
  const char *real_dir;     /* the real images */
  const char *inception;    /* the converted pytorch-fid network (.safetensors) */
  const char *fakes_dir;    /* NULL, or each evaluation's images go to DIR/step_NNNNNN/NNNNN.png */
  int count;                /* generated images per evaluation, >= 2 */
  guint64 seed;             /* of the evaluation latents */
  int sample_count;         /* images of the trainer's sample plan (vks_gan_trainer_sample) */
} VksGanEvalOptions;

typedef struct VksGanEval VksGanEval;

/* Checks the network file and the folder, loads the network and computes the real features:
 * every failure here is an error before training starts. */
VksGanEval *vks_gan_eval_new (VksContext *ctx, const VksGanConfig *net,
                              const VksGanEvalOptions *opts, GError **error);
void vks_gan_eval_free (VksGanEval *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksGanEval, vks_gan_eval_free)
guint vks_gan_eval_n_real (const VksGanEval *ev);

/* One evaluation of tr's generator; step names the fakes' folder. */
gboolean vks_gan_eval_run (VksGanEval *ev, VksGanTrainer *tr, guint64 step, double *fid,
                           double *kid, double *kid_std, GError **error);

/* The trainer's hooks (trainer/gan_main.c); each does nothing for ev NULL, i.e. without
 * --eval-real. */
/* *ev: a new evaluator for the options, or NULL when they ask for none. */
gboolean vks_gan_eval_start (VksGanEval **ev, VksContext *ctx, const VksGanConfig *net,
                             const VksGanOptions *opts, int sample_count, GError **error);
/* metrics.csv and metrics.png in out_dir (trainer/eval_log.h), on index.html; a resumed run
 * keeps the rows up to resumed_step. */
gboolean vks_gan_eval_attach (VksGanEval *ev, VksReport *report, const char *out_dir,
                              gboolean resume, guint64 resumed_step, GError **error);
/* Evaluates, prints and logs at every eval_every-th step and at the last (final) step. */
gboolean vks_gan_eval_step (VksGanEval *ev, VksGanTrainer *tr, guint64 step, gboolean final,
                            GError **error);
