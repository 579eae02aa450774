#include "trainer/gan_options.h"

#include <string.h>

#include "engine/models/dcgan.h"      /* VKS_GAN_MAX_CODES */
#include "trainer/train_options.h"   /* vks_option_check_range */

void
vks_gan_options_clear (VksGanOptions *o)
{
  char **strings[] = { &o->data, &o->out, &o->init, &o->device, &o->name, &o->description,
                       &o->gan_mode, &o->dump_inputs, &o->category_name, &o->continuous_names,
                       &o->info_loss, &o->eval_real, &o->inception, &o->eval_fakes };
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
}

/* The names must read back from the generator's metadata (dcgan_spec.c): one per continuous
 * code, each shorter than VksGanConfig's fields, and without the '=' of --code NAME=VALUE. */
static gboolean
check_code_names (const VksGanOptions *o, GError **error)
{
  g_auto (GStrv) names = o->continuous_names ? g_strsplit (o->continuous_names, ",", -1)
                                             : g_new0 (char *, 1);
  if (o->continuous_names != NULL && (int) g_strv_length (names) != o->n_continuous) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--continuous-names names %u codes, --n-continuous is %d",
                 g_strv_length (names), o->n_continuous);
    return FALSE;
  }
  const VksGanConfig *cfg = NULL;
  gsize limit = sizeof cfg->category_name;
  guint n = g_strv_length (names);
  for (guint i = 0; i <= n; i++) {
    const char *name = i == n ? o->category_name : names[i];
    if (name == NULL)
      continue;
    if (strlen (name) >= limit || strchr (name, '=') != NULL) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "code name \"%s\": names are shorter than %u bytes and have no '='", name,
                   (unsigned) limit);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
vks_gan_options_parse (VksGanOptions *o, int *argc, char ***argv, GError **error)
{
  char *arch = NULL;
  *o = (VksGanOptions) {
    .image_size = 64, .batch_size = 64, .nz = 100, .ngf = 64, .ndf = 64, .n_critic = 5,
    .lr = -1, .clip = 0.01, .beta1 = -1, .beta2 = -1, .max_steps = 0, .save_every = 1000,
    .sample_every = 100, .print_every = 10, .n_categories = -1, .n_continuous = -1,
    .lambda_info = 1.0, .eval_every = 0, .eval_count = 1000,
  };
  GOptionEntry entries[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "dcgan, or infogan (codes in the generator's input, a Q head on the discriminator)", "ARCH" },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o->data, "Folder of training images", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out, "Output folder: checkpoints, samples, losses", "DIR" },
    { "gan-mode", 0, 0, G_OPTION_ARG_STRING, &o->gan_mode, "vanilla (default: the example's BCE), lsgan, hinge, wgan or wgan-gp", "MODE" },
    { "image-size", 0, 0, G_OPTION_ARG_INT, &o->image_size, "32, 64 (default) or 128", "N" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &o->batch_size, "Images per step (64)", "N" },
    { "nz", 0, 0, G_OPTION_ARG_INT, &o->nz, "Noise length (100)", "N" },
    { "ngf", 0, 0, G_OPTION_ARG_INT, &o->ngf, "Generator filters (64)", "N" },
    { "ndf", 0, 0, G_OPTION_ARG_INT, &o->ndf, "Discriminator filters (64)", "N" },
    { "n-critic", 0, 0, G_OPTION_ARG_INT, &o->n_critic, "WGAN, WGAN-GP: critic steps per generator step (5)", "N" },
    { "clip", 0, 0, G_OPTION_ARG_DOUBLE, &o->clip, "WGAN: the critic's weights are clipped to [-X, X] (0.01)", "X" },
    { "n-categories", 0, 0, G_OPTION_ARG_INT, &o->n_categories, "InfoGAN: values of the categorical code (10; 0: none)", "N" },
    { "n-continuous", 0, 0, G_OPTION_ARG_INT, &o->n_continuous, "InfoGAN: continuous codes, uniform in [-1, 1] (2)", "N" },
    { "lambda-info", 0, 0, G_OPTION_ARG_DOUBLE, &o->lambda_info, "InfoGAN: weight of the mutual information loss (1)", "X" },
    { "info-loss", 0, 0, G_OPTION_ARG_STRING, &o->info_loss, "InfoGAN: the continuous codes' loss, nll (Gaussian, default) or mse", "LOSS" },
    { "category-name", 0, 0, G_OPTION_ARG_STRING, &o->category_name, "InfoGAN: the categorical code's name in the generator file (for --code and the filter's slider)", "TEXT" },
    { "continuous-names", 0, 0, G_OPTION_ARG_STRING, &o->continuous_names, "InfoGAN: the continuous codes' names, comma-separated", "A,B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, "Learning rate (Adam 2e-4; WGAN-GP 1e-4; WGAN: RMSprop 5e-5)", "X" },
    { "beta1", 0, 0, G_OPTION_ARG_DOUBLE, &o->beta1, "Adam beta1 (0.5)", "X" },
    { "beta2", 0, 0, G_OPTION_ARG_DOUBLE, &o->beta2, "Adam beta2 (0.999; WGAN-GP 0.9); WGAN: RMSprop alpha (0.99)", "X" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "Random seed (0)", "N" },
    { "save-every", 0, 0, G_OPTION_ARG_INT64, &o->save_every, "Save checkpoints every N steps (1000)", "N" },
    { "sample-every", 0, 0, G_OPTION_ARG_INT64, &o->sample_every, "Write a sample grid every N steps (100)", "N" },
    { "print-every", 0, 0, G_OPTION_ARG_INT64, &o->print_every, "Print and log losses every N steps (10)", "N" },
    { "max-steps", 0, 0, G_OPTION_ARG_INT64, &o->max_steps, "Generator steps to train (required)", "N" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Continue from the state saved in --out", NULL },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &o->init, "Start from G.safetensors and D.safetensors in DIR", "DIR" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o->device, "Vulkan device index or name part", "DEV" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &o->name, "Model name stored in the generator file", "TEXT" },
    { "description", 0, 0, G_OPTION_ARG_STRING, &o->description, "Description stored in the generator file", "TEXT" },
    { "eval-real", 0, 0, G_OPTION_ARG_FILENAME, &o->eval_real, "Log FID and KID against this folder of real images (metrics.csv, metrics.png; needs --inception)", "DIR" },
    { "inception", 0, 0, G_OPTION_ARG_FILENAME, &o->inception, "The FID Inception-v3 for --eval-real (.safetensors, as `vkstyle metrics` takes)", "FILE" },
    { "eval-every", 0, 0, G_OPTION_ARG_INT64, &o->eval_every, "Evaluate every N steps (default: --save-every)", "N" },
    { "eval-count", 0, 0, G_OPTION_ARG_INT, &o->eval_count, "Images generated per evaluation (1000; FID is biased upwards by few images, 10000+ for figures to publish)", "N" },
    { "eval-fakes", 0, 0, G_OPTION_ARG_FILENAME, &o->eval_fakes, "Also save each evaluation's images in DIR/step_NNNNNN/", "DIR" },
    /* tests: every step's inputs, for a PyTorch replay */
    { "dump-inputs", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o->dump_inputs, NULL, "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("- train a DCGAN or InfoGAN on one "
                                                        "folder of images");
  g_option_context_add_main_entries (oc, entries, NULL);
  g_option_context_set_summary (oc, "Writes latest_G.safetensors, which `vkstyle generate "
                                "--model` and the Neural Texture filter load.\n\n"
                                "InfoGAN: the latent is noise (--nz), a one-hot category "
                                "(--n-categories) and continuous codes (--n-continuous), drawn "
                                "uniformly each step. The generator step adds --lambda-info "
                                "times the Q head's mutual information loss (cross entropy for "
                                "the category, Gaussian NLL or MSE for the continuous codes) on "
                                "the same fake batch; the Q head is trained with the generator's "
                                "optimiser, the discriminator's body by its adversarial loss "
                                "only. The codes' number and names land in the generator's "
                                "metadata: `vkstyle generate --code category=3 --code c1=0.5` "
                                "and the filter's sliders.");
  gboolean ok = g_option_context_parse (oc, argc, argv, error);
  if (ok && arch != NULL && g_strcmp0 (arch, "dcgan") && g_strcmp0 (arch, "infogan")) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--arch must be dcgan or infogan, not %s", arch);
    ok = FALSE;
  }
  o->infogan = g_strcmp0 (arch, "infogan") == 0;
  g_free (arch);
  if (!ok)
    return FALSE;
  if (!o->infogan && (o->n_categories >= 0 || o->n_continuous >= 0 || o->info_loss ||
                      o->category_name || o->continuous_names)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--n-categories, --n-continuous, --info-loss and the code names need --arch "
                 "infogan");
    return FALSE;
  }
  if (o->n_categories < 0)
    o->n_categories = o->infogan ? 10 : 0;
  if (o->n_continuous < 0)
    o->n_continuous = o->infogan ? 2 : 0;
  if (o->info_loss != NULL && g_strcmp0 (o->info_loss, "nll") && g_strcmp0 (o->info_loss, "mse")) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--info-loss must be nll or mse, not %s", o->info_loss);
    return FALSE;
  }
  o->info_mse = g_strcmp0 (o->info_loss, "mse") == 0;
  if (!check_code_names (o, error))
    return FALSE;
  if (o->gan_mode == NULL)
    o->gan_mode = g_strdup ("vanilla");
  if (o->data == NULL || o->out == NULL || o->max_steps <= 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--data, --out and --max-steps are required (see --help)");
    return FALSE;
  }
  o->wgan_gp = g_str_equal (o->gan_mode, "wgan-gp");
  o->wgan = g_str_equal (o->gan_mode, "wgan");
  o->critic_loop = o->wgan || o->wgan_gp;
  if (!o->critic_loop && g_strcmp0 (o->gan_mode, "lsgan") && g_strcmp0 (o->gan_mode, "vanilla")
      && g_strcmp0 (o->gan_mode, "hinge")) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--gan-mode must be vanilla, lsgan, hinge, wgan or wgan-gp, not %s", o->gan_mode);
    return FALSE;
  }
  if (o->image_size != 32 && o->image_size != 64 && o->image_size != 128) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--image-size must be 32, 64 or 128, not %d", o->image_size);
    return FALSE;
  }
  if (o->init != NULL && o->resume) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--init and --resume exclude each other");
    return FALSE;
  }
  /* WGAN-GP's paper (Gulrajani et al., Algorithm 1): Adam 1e-4, betas (0.5, 0.9) here as in
   * most DCGAN-architecture ports; WGAN's (Arjovsky et al., Algorithm 1): RMSprop 5e-5 (torch's
   * alpha 0.99 is --beta2 there); the example's 2e-4, (0.5, 0.999) otherwise. */
  if (o->lr < 0)
    o->lr = o->wgan ? 5e-5 : o->wgan_gp ? 1e-4 : 2e-4;
  if (o->beta1 < 0)
    o->beta1 = 0.5;
  if (o->beta2 < 0)
    o->beta2 = o->wgan ? 0.99 : o->wgan_gp ? 0.9 : 0.999;
  if (!o->critic_loop)
    o->n_critic = 1;
  if ((o->eval_real == NULL) != (o->inception == NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--eval-real and --inception go together");
    return FALSE;
  }
  if (o->eval_every == 0)
    o->eval_every = o->save_every;
  return vks_option_check_range ("ngf", o->ngf, 1, 512, error)
    && vks_option_check_range ("ndf", o->ndf, 1, 512, error)
    && vks_option_check_range ("nz", o->nz, 1, 4096, error)
    && vks_option_check_range ("batch-size", o->batch_size, 2, 512, error)
    && vks_option_check_range ("n-critic", o->n_critic, 1, 100, error)
    && vks_option_check_range ("clip", o->clip, 1e-6, 1e3, error)
    && vks_option_check_range ("lr", o->lr, 0, 1, error)
    && vks_option_check_range ("beta1", o->beta1, 0, 0.999999, error)
    && vks_option_check_range ("beta2", o->beta2, 0, 0.999999, error)
    && vks_option_check_range ("save-every", (double) o->save_every, 1, 1e15, error)
    && vks_option_check_range ("sample-every", (double) o->sample_every, 1, 1e15, error)
    && vks_option_check_range ("print-every", (double) o->print_every, 1, 1e15, error)
    && vks_option_check_range ("max-steps", (double) o->max_steps, 1, 1e15, error)
    && vks_option_check_range ("n-categories", o->n_categories, 0, 4096, error)
    && vks_option_check_range ("n-continuous", o->n_continuous, 0, VKS_GAN_MAX_CODES, error)
    && vks_option_check_range ("lambda-info", o->lambda_info, 0, 1e3, error)
    && vks_option_check_range ("eval-every", (double) o->eval_every, 1, 1e15, error)
    && vks_option_check_range ("eval-count", o->eval_count, 2, 1000000, error);
}

char *
vks_gan_options_architecture (const VksGanOptions *o)
{
  /* clip only for WGAN, so that the other modes' saved states still resume */
  g_autofree char *clip = o->wgan ? g_strdup_printf (" clip=%g", o->clip) : g_strdup ("");
  /* InfoGAN's only, so that DCGAN states saved before it still resume */
  g_autofree char *info = o->infogan
    ? g_strdup_printf (" n_categories=%d n_continuous=%d lambda_info=%g info_loss=%s",
                       o->n_categories, o->n_continuous, o->lambda_info,
                       o->info_mse ? "mse" : "nll")
    : g_strdup ("");
  return g_strdup_printf ("arch=%s gan_mode=%s image_size=%d nz=%d ngf=%d ndf=%d "
                          "batch_size=%d n_critic=%d%s%s seed=%" G_GINT64_FORMAT,
                          o->infogan ? "infogan" : "dcgan", o->gan_mode,
                          o->image_size, o->nz, o->ngf, o->ndf, o->batch_size, o->n_critic,
                          clip, info, o->seed);
}
