/* vkstyle-train --arch dcgan|infogan's command line: PyTorch examples/dcgan's options
 * (--image-size, --nz, --ngf, --ndf, --batch-size, --lr, --beta1) plus the GAN losses, InfoGAN's
 * codes and loss, and ours (--max-steps, --init, --save-every, --sample-every, --device). */
#pragma once
#include <glib.h>

typedef struct {
  char *data, *out, *init, *device, *name, *description, *gan_mode, *dump_inputs;
  int image_size, batch_size, nz, ngf, ndf, n_critic;
  double lr, beta1, beta2, clip;
  /* --arch infogan: the codes (n_categories 10, n_continuous 2), their names for the generator's
   * metadata (category_name, continuous_names comma-separated; NULL: unnamed), lambda_info (1)
   * and the continuous codes' loss (info_mse: MSE, else Gaussian NLL). */
  gboolean infogan, info_mse;
  int n_categories, n_continuous;
  double lambda_info;
  char *category_name, *continuous_names, *info_loss;
  gboolean resume, wgan_gp;
  gboolean wgan;             /* --gan-mode wgan: weight clipping, RMSprop */
  gboolean critic_loop;      /* wgan or wgan-gp: n_critic critic steps, fresh noise for G */
  gint64 seed, max_steps, save_every, sample_every, print_every;
  /* --eval-real DIR --inception FILE: FID / KID every eval_every steps (trainer/gan_eval.h) */
  char *eval_real, *inception, *eval_fakes;
  gint64 eval_every;
  int eval_count;
} VksGanOptions;

gboolean vks_gan_options_parse (VksGanOptions *opts, int *argc, char ***argv, GError **error);
void vks_gan_options_clear (VksGanOptions *opts);
/* The options a resumed run must share with the saved one. */
char *vks_gan_options_architecture (const VksGanOptions *opts);
