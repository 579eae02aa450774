/* vkstyle-train's command line: the option names and defaults of pytorch-CycleGAN-and-pix2pix
 * (with hyphens), plus ours (--max-steps, --init, --save-every, --sample-every, --device). */
#pragma once
#include <glib.h>

#include "engine/generator_spec.h"

typedef struct {
  char *data_a, *data_b, *out, *init, *device, *name, *description, *gan_mode;
  int ngf, ndf, n_blocks, n_layers_d;
  VksUpsample upsample;    /* --upsample transposed (default) | resize-conv */
  double lambda_a, lambda_b, lambda_identity, lr, beta1;
  int pool_size, batch_size, load_size, crop_size, n_epochs, n_epochs_decay;
  gboolean no_flip, serial_batches, resume;
  gint64 seed, max_steps, save_every, sample_every, print_every;
} VksTrainOptions;

/* Parses argv (consumed) into opts; on --help prints and returns FALSE with no error. */
gboolean vks_train_options_parse (VksTrainOptions *opts, int *argc, char ***argv, GError **error);
void vks_train_options_clear (VksTrainOptions *opts);
/* "--NAME must be in [lo, hi], not VALUE" (G_OPTION_ERROR_BAD_VALUE) unless lo <= value <= hi;
 * every trainer's options check their numbers with it. */
gboolean vks_option_check_range (const char *name, double value, double lo, double hi,
                                 GError **error);
/* "ngf=64 n_blocks=9 ..." — the options a checkpoint's metadata records. */
char *vks_train_options_describe (const VksTrainOptions *opts);
