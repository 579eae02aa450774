/* What a training run saves and how it resumes.
 *
 * Files in the output folder, each written atomically (temp file + rename):
 *   latest_G_A.safetensors, latest_G_B.safetensors  generators, loadable by the plug-in
 *   latest_D_A.safetensors, latest_D_B.safetensors  discriminators (for --init)
 *   latest_state.safetensors  everything a resume needs, in ONE file so a kill between two
 *                             saves can never pair step k's weights with step k+1's moments:
 *                             the four nets' parameters and Adam moments, both image pools,
 *                             the random streams, the epoch position and the step. */
#pragma once
#include "engine/cyclegan_train.h"
#include "trainer/epoch.h"
#include "trainer/image_pool.h"
#include "trainer/rng.h"
#include "trainer/train_options.h"

typedef struct {
  VksCycleGan *cg;
  VksImagePool *pool_a, *pool_b;   /* generated A (fake_A) and B images */
  VksRng data_rng, pool_rng;
  VksEpochIterator *epochs;
  guint64 step;
} VksTrainState;

/* Starting weights: from --init DIR (G_A.safetensors, G_B, D_A, D_B) or N(0, 0.02) drawn from a
 * stream of the seed. */
gboolean vks_train_state_init_weights (VksTrainState *st, const VksTrainOptions *opts,
                                       GError **error);
gboolean vks_train_state_save (const VksTrainState *st, const VksTrainOptions *opts,
                               GError **error);
/* Loads latest_state.safetensors from opts->out; its architecture options must match opts. */
gboolean vks_train_state_resume (VksTrainState *st, const VksTrainOptions *opts, GError **error);
