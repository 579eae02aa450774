#include "trainer/train_options.h"

#include "engine/error.h"

void
vks_train_options_clear (VksTrainOptions *o)
{
  char **strings[] = { &o->data_a, &o->data_b, &o->out, &o->init, &o->device, &o->name,
                       &o->description, &o->gan_mode };
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
}

gboolean
vks_option_check_range (const char *name, double value, double lo, double hi, GError **error)
{
  if (value >= lo && value <= hi)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--%s must be in [%g, %g], not %g",
               name, lo, hi, value);
  return FALSE;
}

gboolean
vks_train_options_parse (VksTrainOptions *o, int *argc, char ***argv, GError **error)
{
  *o = (VksTrainOptions) {
    .ngf = 64, .ndf = 64, .n_blocks = 9, .n_layers_d = 3, .lambda_a = 10, .lambda_b = 10,
    .lambda_identity = 0.5, .lr = 2e-4, .beta1 = 0.5, .pool_size = 50, .batch_size = 1,
    .load_size = 286, .crop_size = 256, .n_epochs = 100, .n_epochs_decay = 100, .seed = 0,
    .max_steps = 0, .save_every = 1000, .sample_every = 100, .print_every = 10,
  };
  g_autofree char *arch = NULL;
  g_autofree char *upsample = NULL;
  GOptionEntry entries[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "cyclegan (default) or dcgan (see --arch dcgan --help)", "ARCH" },
    { "data-a", 0, 0, G_OPTION_ARG_FILENAME, &o->data_a, "Folder of domain A images (e.g. photos)", "DIR" },
    { "data-b", 0, 0, G_OPTION_ARG_FILENAME, &o->data_b, "Folder of domain B images (e.g. paintings)", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out, "Output folder: checkpoints, samples, losses", "DIR" },
    { "ngf", 0, 0, G_OPTION_ARG_INT, &o->ngf, "Generator filters in the first layer (64)", "N" },
    { "ndf", 0, 0, G_OPTION_ARG_INT, &o->ndf, "Discriminator filters in the first layer (64)", "N" },
    { "n-blocks", 0, 0, G_OPTION_ARG_INT, &o->n_blocks, "Generator residual blocks (9)", "N" },
    { "upsample", 0, 0, G_OPTION_ARG_STRING, &upsample, "Generator up-sampling: transposed (the reference's, default) or resize-conv (nearest x2 + 3x3 conv: no checkerboard)", "KIND" },
    { "n-layers-d", 0, 0, G_OPTION_ARG_INT, &o->n_layers_d, "Discriminator layers (3: 70x70 PatchGAN)", "N" },
    { "gan-mode", 0, 0, G_OPTION_ARG_STRING, &o->gan_mode, "lsgan (default), vanilla or hinge", "MODE" },
    { "lambda-a", 0, 0, G_OPTION_ARG_DOUBLE, &o->lambda_a, "Weight of the A->B->A cycle loss (10)", "X" },
    { "lambda-b", 0, 0, G_OPTION_ARG_DOUBLE, &o->lambda_b, "Weight of the B->A->B cycle loss (10)", "X" },
    { "lambda-identity", 0, 0, G_OPTION_ARG_DOUBLE, &o->lambda_identity, "Identity loss weight, relative to the cycle's (0.5)", "X" },
    { "pool-size", 0, 0, G_OPTION_ARG_INT, &o->pool_size, "Generated images kept for the discriminators (50)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, "Adam learning rate (2e-4)", "X" },
    { "beta1", 0, 0, G_OPTION_ARG_DOUBLE, &o->beta1, "Adam beta1 (0.5)", "X" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &o->batch_size, "Images per step (1)", "N" },
    { "load-size", 0, 0, G_OPTION_ARG_INT, &o->load_size, "Images are resized to this square first (286)", "N" },
    { "crop-size", 0, 0, G_OPTION_ARG_INT, &o->crop_size, "then cropped to this square (256)", "N" },
    { "n-epochs", 0, 0, G_OPTION_ARG_INT, &o->n_epochs, "Epochs at the initial learning rate (100)", "N" },
    { "n-epochs-decay", 0, 0, G_OPTION_ARG_INT, &o->n_epochs_decay, "Epochs of linear decay to zero (100)", "N" },
    { "no-flip", 0, 0, G_OPTION_ARG_NONE, &o->no_flip, "No random horizontal flips", NULL },
    { "serial-batches", 0, 0, G_OPTION_ARG_NONE, &o->serial_batches, "Images in sorted order, B paired by index", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "Random seed (0)", "N" },
    { "save-every", 0, 0, G_OPTION_ARG_INT64, &o->save_every, "Save checkpoints every N steps (1000)", "N" },
    { "sample-every", 0, 0, G_OPTION_ARG_INT64, &o->sample_every, "Write sample images and the loss plot every N steps (100)", "N" },
    { "print-every", 0, 0, G_OPTION_ARG_INT64, &o->print_every, "Print and log losses every N steps (10)", "N" },
    { "max-steps", 0, 0, G_OPTION_ARG_INT64, &o->max_steps, "Stop after N optimisation steps in all (0: run every epoch)", "N" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Continue from the state saved in --out", NULL },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &o->init, "Start from G_A/G_B/D_A/D_B.safetensors in DIR", "DIR" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o->device, "Vulkan device index or name part (default: $VKSTYLE_DEVICE)", "DEV" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &o->name, "Style name stored in the generator files", "TEXT" },
    { "description", 0, 0, G_OPTION_ARG_STRING, &o->description, "Style description stored in the generator files", "TEXT" },
    { NULL }
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("- train a CycleGAN style from two folders of images");
  g_option_context_add_main_entries (oc, entries, NULL);
  g_option_context_set_summary (oc, "Writes latest_G_A.safetensors (A->B) and latest_G_B.safetensors "
                                "(B->A), which the GIMP plug-in and `vkstyle apply` load.");
  if (!g_option_context_parse (oc, argc, argv, error))
    return FALSE;
  if (arch != NULL && !g_str_equal (arch, "cyclegan")) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--arch must be cyclegan or dcgan, not %s", arch);
    return FALSE;
  }
  if (o->gan_mode == NULL)
    o->gan_mode = g_strdup ("lsgan");
  if (upsample != NULL && !vks_upsample_from_name (upsample, &o->upsample)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--upsample must be transposed or resize-conv, not %s", upsample);
    return FALSE;
  }
  if (o->data_a == NULL || o->data_b == NULL || o->out == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--data-a, --data-b and --out are required (see --help)");
    return FALSE;
  }
  if (g_strcmp0 (o->gan_mode, "lsgan") && g_strcmp0 (o->gan_mode, "vanilla")
      && g_strcmp0 (o->gan_mode, "hinge")) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--gan-mode must be lsgan, vanilla or hinge, not %s", o->gan_mode);
    return FALSE;
  }
  if (o->init != NULL && o->resume) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--init and --resume exclude each other");
    return FALSE;
  }
  return vks_option_check_range ("ngf", o->ngf, 1, 256, error)
    && vks_option_check_range ("ndf", o->ndf, 1, 256, error)
    && vks_option_check_range ("n-blocks", o->n_blocks, 0, 64, error)
    && vks_option_check_range ("n-layers-d", o->n_layers_d, 1, 6, error)
    && vks_option_check_range ("batch-size", o->batch_size, 1, 64, error)
    && vks_option_check_range ("crop-size", o->crop_size, 8, 4096, error)
    && vks_option_check_range ("load-size", o->load_size, o->crop_size, 8192, error)
    && vks_option_check_range ("pool-size", o->pool_size, 0, 10000, error)
    && vks_option_check_range ("lr", o->lr, 0, 1, error)
    && vks_option_check_range ("beta1", o->beta1, 0, 0.999999, error)
    && vks_option_check_range ("n-epochs", o->n_epochs, 0, 1000000, error)
    && vks_option_check_range ("n-epochs-decay", o->n_epochs_decay, 0, 1000000, error)
    && vks_option_check_range ("lambda-a", o->lambda_a, 0, 1e6, error)
    && vks_option_check_range ("lambda-b", o->lambda_b, 0, 1e6, error)
    && vks_option_check_range ("lambda-identity", o->lambda_identity, 0, 1e6, error)
    && vks_option_check_range ("save-every", (double) o->save_every, 1, 1e15, error)
    && vks_option_check_range ("sample-every", (double) o->sample_every, 1, 1e15, error)
    && vks_option_check_range ("print-every", (double) o->print_every, 1, 1e15, error)
    && vks_option_check_range ("max-steps", (double) o->max_steps, 0, 1e15, error);
}

char *
vks_train_options_describe (const VksTrainOptions *o)
{
  return g_strdup_printf ("ngf=%d n_blocks=%d upsample=%s ndf=%d n_layers_d=%d gan_mode=%s lambda_a=%g "
                          "lambda_b=%g lambda_identity=%g pool_size=%d lr=%g beta1=%g "
                          "batch_size=%d load_size=%d crop_size=%d n_epochs=%d n_epochs_decay=%d "
                          "flip=%s serial_batches=%s seed=%" G_GINT64_FORMAT,
                          o->ngf, o->n_blocks, vks_upsample_name (o->upsample), o->ndf,
                          o->n_layers_d, o->gan_mode, o->lambda_a,
                          o->lambda_b, o->lambda_identity, o->pool_size, o->lr, o->beta1,
                          o->batch_size, o->load_size, o->crop_size, o->n_epochs,
                          o->n_epochs_decay, o->no_flip ? "no" : "yes",
                          o->serial_batches ? "yes" : "no", o->seed);
}
