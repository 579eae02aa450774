/* vkstyle-train: trains a CycleGAN style from two folders of unpaired images on the engine's
 * Vulkan kernels (the same ones the GIMP plug-in runs). */
#include "config.h"

#include "engine/error.h"
#include "trainer/gan_main.h"
#include "trainer/ddpm_main.h"
#include "trainer/stargan2_main.h"
#include "trainer/vqgan_main.h"
#include "trainer/dataset.h"
#include "trainer/report.h"
#include "trainer/train_state.h"
#include "trainer/train_frame.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

typedef struct {
  VksTrainOptions o;
  VksContext *ctx;
  VksDataset *data_a, *data_b;
  VksTrainState st;
  VksReport *report;
  float *real_a, *real_b, *fake_a, *fake_b;
  GArray *step_ms;
} Trainer;

static void
trainer_clear (Trainer *t)
{
  vks_report_free (t->report);
  vks_cyclegan_free (t->st.cg);
  vks_image_pool_free (t->st.pool_a);
  vks_image_pool_free (t->st.pool_b);
  vks_epoch_iterator_free (t->st.epochs);
  vks_dataset_free (t->data_a);
  vks_dataset_free (t->data_b);
  vks_context_free (t->ctx);
  g_free (t->real_a);
  g_free (t->real_b);
  g_free (t->fake_a);
  g_free (t->fake_b);
  if (t->step_ms)
    g_array_unref (t->step_ms);
  vks_train_options_clear (&t->o);
}

/* The learning rate of epoch `epoch` (counted from 0), as the reference trains it: its 'linear'
 * policy is a LambdaLR with factor 1 - max(0, e + epoch_count - n_epochs) / (n_epochs_decay + 1)
 * after e scheduler steps, epoch_count 1, and the current train.py steps the scheduler at the end
 * of each epoch, so epoch 0 trains at e = 0 and the last one at 1 / (n_epochs_decay + 1) of lr.
 * (From 2020 until its 2025 rewrite train.py stepped at the start of each epoch instead, which
 * trained every epoch at the rate given here to the next one, and the last at 0.) Written as the
 * reference's Python evaluates it, in double, so losses.csv's lr column equals torch's exactly;
 * tests/test_lr_schedule.py checks that. */
static double
learning_rate (const VksTrainOptions *o, guint64 epoch)
{
  double factor = 1.0 - MAX (0.0, (double) epoch + 1 - o->n_epochs) / (o->n_epochs_decay + 1.0);
  return o->lr * MAX (0.0, factor);
}

static gboolean
setup (Trainer *t, GError **error)
{
  const VksTrainOptions *o = &t->o;
  t->ctx = vks_context_new (o->device, error);
  if (t->ctx == NULL)
    return FALSE;
  t->data_a = vks_dataset_open (o->data_a, o->load_size, VKS_DATASET_DEFAULT_CACHE_BYTES, error);
  if (t->data_a == NULL)
    return FALSE;
  t->data_b = vks_dataset_open (o->data_b, o->load_size, VKS_DATASET_DEFAULT_CACHE_BYTES, error);
  if (t->data_b == NULL)
    return FALSE;
  VksGanMode mode = g_str_equal (o->gan_mode, "vanilla") ? VKS_GAN_VANILLA
                  : g_str_equal (o->gan_mode, "hinge") ? VKS_GAN_HINGE : VKS_GAN_LSGAN;
  VksCycleGanOptions cgo = {
    .input_nc = 3, .output_nc = 3, .ngf = o->ngf, .n_blocks = o->n_blocks,
    .upsample = o->upsample, .ndf = o->ndf,
    .n_layers_d = o->n_layers_d, .gan_mode = mode, .lambda_a = o->lambda_a,
    .lambda_b = o->lambda_b, .lambda_identity = o->lambda_identity, .beta1 = o->beta1,
    .beta2 = 0.999, .eps = 1e-8, .batch = o->batch_size, .height = o->crop_size,
    .width = o->crop_size,
  };
  t->st.cg = vks_cyclegan_new (t->ctx, &cgo, error);
  if (t->st.cg == NULL)
    return FALSE;
  gsize image = (gsize) 3 * o->crop_size * o->crop_size;
  t->st.pool_a = vks_image_pool_new (o->pool_size, image, error);
  t->st.pool_b = t->st.pool_a ? vks_image_pool_new (o->pool_size, image, error) : NULL;
  if (t->st.pool_b == NULL)
    return FALSE;
  t->st.epochs = vks_epoch_iterator_new (vks_dataset_size (t->data_a),
                                         vks_dataset_size (t->data_b), o->serial_batches,
                                         (guint64) o->seed);
  vks_rng_init_stream (&t->st.data_rng, (guint64) o->seed, 1);
  vks_rng_init_stream (&t->st.pool_rng, (guint64) o->seed, 2);
  gsize batch = image * o->batch_size;
  t->real_a = g_new (float, batch);
  t->real_b = g_new (float, batch);
  t->fake_a = g_new (float, batch);
  t->fake_b = g_new (float, batch);
  t->step_ms = g_array_new (FALSE, FALSE, sizeof (double));
  /* Weights first: a run that cannot start must not leave an output folder behind. */
  if (o->resume ? !vks_train_state_resume (&t->st, o, error)
                : !vks_train_state_init_weights (&t->st, o, error))
    return FALSE;
  t->report = vks_report_new (o->out, vks_cyclegan_loss_names, VKS_N_LOSSES, error);
  return t->report != NULL && (!o->resume || vks_report_resume (t->report, t->st.step, error));
}

/* A save killed mid-write leaves its temporary file (NAME.XXXXXX, see vks_checkpoint_save and
 * g_file_set_contents); nothing ever reads those, but a state file can be hundreds of MB. */
static void
remove_stale_temporaries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    const char *dot = strrchr (name, '.');
    if (dot == NULL || strlen (dot + 1) != 6)
      continue;
    g_autofree char *final = g_strndup (name, dot - name);
    gboolean ours = g_str_has_prefix (final, "latest_") || g_str_has_prefix (final, "step_")
                    || g_str_equal (final, "losses.csv") || g_str_equal (final, "losses.png")
                    || g_str_equal (final, "index.html");
    if (ours) {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  }
}

static gboolean
load_batch (Trainer *t, GError **error)
{
  const VksTrainOptions *o = &t->o;
  gsize image = (gsize) 3 * o->crop_size * o->crop_size;
  for (int b = 0; b < o->batch_size; b++) {
    guint ia, ib;
    vks_epoch_iterator_next (t->st.epochs, &ia, &ib);
    if (!vks_dataset_sample (t->data_a, ia, o->crop_size, !o->no_flip, &t->st.data_rng,
                             t->real_a + b * image, error) ||
        !vks_dataset_sample (t->data_b, ib, o->crop_size, !o->no_flip, &t->st.data_rng,
                             t->real_b + b * image, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
train_step (Trainer *t, double lr, float losses[VKS_N_LOSSES], GError **error)
{
  const VksTrainOptions *o = &t->o;
  int64_t step = (int64_t) t->st.step + 1;
  if (!load_batch (t, error) ||
      !vks_cyclegan_generator_step (t->st.cg, t->real_a, t->real_b, lr, step, losses, error))
    return FALSE;
  gsize image = (gsize) 3 * o->crop_size * o->crop_size;
  vks_cyclegan_image (t->st.cg, VKS_IMG_FAKE_B, t->fake_b);
  vks_cyclegan_image (t->st.cg, VKS_IMG_FAKE_A, t->fake_a);
  /* The reference queries fake_B's pool first, in backward_D_A. */
  for (int b = 0; b < o->batch_size; b++)
    vks_image_pool_query (t->st.pool_b, t->fake_b + b * image, &t->st.pool_rng);
  for (int b = 0; b < o->batch_size; b++)
    vks_image_pool_query (t->st.pool_a, t->fake_a + b * image, &t->st.pool_rng);
  if (!vks_cyclegan_discriminator_step (t->st.cg, t->fake_b, t->fake_a, lr, step, losses, error))
    return FALSE;
  t->st.step++;
  return TRUE;
}

static gboolean
write_samples (Trainer *t, GError **error)
{
  int s = t->o.crop_size;
  gsize image = (gsize) 3 * s * s * t->o.batch_size;
  static const struct { VksCycleGanImage which; const char *label; } grid[] = {
    { VKS_IMG_REAL_A, "real A" }, { VKS_IMG_FAKE_B, "fake B" }, { VKS_IMG_REC_A, "rec A" },
    { VKS_IMG_IDT_B, "idt B" }, { VKS_IMG_REAL_B, "real B" }, { VKS_IMG_FAKE_A, "fake A" },
    { VKS_IMG_REC_B, "rec B" }, { VKS_IMG_IDT_A, "idt A" },
  };
  g_autofree float *pixels = g_new (float, image * G_N_ELEMENTS (grid));
  VksSampleCell cells[G_N_ELEMENTS (grid)];
  gboolean identity = t->o.lambda_identity > 0;
  for (guint i = 0; i < G_N_ELEMENTS (grid); i++) {
    float *dst = pixels + i * image;
    gboolean idt = grid[i].which == VKS_IMG_IDT_A || grid[i].which == VKS_IMG_IDT_B;
    vks_cyclegan_image (t->st.cg, grid[i].which, dst);
    /* the first image of the batch */
    cells[i] = (VksSampleCell) { grid[i].label, idt && !identity ? NULL : dst, s, s };
  }
  return vks_report_write_samples (t->report, t->st.step, cells, 2, 4, error) &&
         vks_report_write_plot (t->report, error) && vks_report_write_index (t->report, error);
}

static guint64
total_steps (const Trainer *t)
{
  guint64 per_epoch = vks_epoch_iterator_length (t->st.epochs);
  guint64 all = (per_epoch * (guint64) (t->o.n_epochs + t->o.n_epochs_decay)
                 + t->o.batch_size - 1) / t->o.batch_size;
  return t->o.max_steps > 0 ? MIN (all, (guint64) t->o.max_steps) : all;
}

static void
print_progress (Trainer *t, guint64 epoch, const float *losses, double its, guint64 total)
{
  double eta = its > 0 ? (double) (total - t->st.step) / its : 0;
  int eta_s = (int) MIN (eta, 1e8);
  g_print ("epoch %" G_GUINT64_FORMAT " step %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
           " %.2f it/s ETA %d:%02d:%02d", epoch + 1,
           t->st.step, total, its, eta_s / 3600, eta_s / 60 % 60, eta_s % 60);
  for (int i = 0; i < VKS_N_LOSSES; i++)
    g_print (" %s %.4f", vks_cyclegan_loss_names[i], losses[i]);
  g_print ("\n");
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static gboolean
train (Trainer *t, GError **error)
{
  const VksTrainOptions *o = &t->o;
  guint64 total = total_steps (t);
  float losses[VKS_N_LOSSES] = { 0 };
  gint64 window_start = g_get_monotonic_time ();
  guint64 window_steps = 0;
  guint64 saved_step = G_MAXUINT64;
  while (t->st.step < total && !vks_train_interrupted ()) {
    gint64 t0 = g_get_monotonic_time ();
    guint64 epoch = vks_epoch_iterator_epoch (t->st.epochs);
    double lr = learning_rate (o, epoch);
    if (!train_step (t, lr, losses, error))
      return FALSE;
    double ms = (g_get_monotonic_time () - t0) / 1000.0;
    g_array_append_val (t->step_ms, ms);
    window_steps++;
    for (int i = 0; i < VKS_N_LOSSES; i++)
      if (!isfinite (losses[i])) {
        g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                     "loss %s is %g at step %" G_GUINT64_FORMAT ": training diverged (try a lower "
                     "--lr); the last saved checkpoint is kept", vks_cyclegan_loss_names[i],
                     losses[i], t->st.step);
        return FALSE;
      }
    gboolean last = t->st.step == total || vks_train_interrupted ();
    if (t->st.step % o->print_every == 0 || last) {
      double its = window_steps / ((g_get_monotonic_time () - window_start) / 1e6);
      double row[VKS_N_LOSSES];
      for (int i = 0; i < VKS_N_LOSSES; i++)
        row[i] = losses[i];
      print_progress (t, epoch, losses, its, total);
      if (!vks_report_log (t->report, t->st.step, epoch + 1, row, lr, its, error))
        return FALSE;
      window_start = g_get_monotonic_time ();
      window_steps = 0;
    }
    if (t->st.step % o->sample_every == 0 || last)
      if (!write_samples (t, error))
        return FALSE;
    if (t->st.step % o->save_every == 0 || last) {
      if (!vks_train_state_save (&t->st, o, error))
        return FALSE;
      saved_step = t->st.step;
    }
  }
  /* Also when a signal came between two steps, or no step was left to run. */
  if (saved_step != t->st.step && !vks_train_state_save (&t->st, o, error))
    return FALSE;
  guint n = t->step_ms->len;
  if (n > 1) {
    /* The first step compiles the shaders: left out. */
    double *ms = &g_array_index (t->step_ms, double, 1);
    qsort (ms, n - 1, sizeof *ms, compare_double);
    g_print ("steps %u, median step time %.1f ms\n", n - 1, ms[(n - 1) / 2]);
  }
  if (vks_train_interrupted ())
    g_print ("interrupted: saved the state at step %" G_GUINT64_FORMAT " in %s\n", t->st.step,
             o->out);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  for (int i = 1; i < argc; i++)
    if ((g_str_equal (argv[i], "--arch") && i + 1 < argc &&
         (g_str_equal (argv[i + 1], "dcgan") || g_str_equal (argv[i + 1], "infogan"))) ||
        g_str_equal (argv[i], "--arch=dcgan") || g_str_equal (argv[i], "--arch=infogan"))
      return vks_gan_train_main (argc, argv);
  for (int i = 1; i < argc; i++)
    if ((g_str_equal (argv[i], "--arch") && i + 1 < argc && g_str_equal (argv[i + 1], "ddpm")) ||
        g_str_equal (argv[i], "--arch=ddpm"))
      return vks_ddpm_train_main (argc, argv);
  for (int i = 1; i < argc; i++)
    if ((g_str_equal (argv[i], "--arch") && i + 1 < argc &&
         g_str_equal (argv[i + 1], "stargan2")) || g_str_equal (argv[i], "--arch=stargan2"))
      return vks_stargan2_train_main (argc, argv);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : "";
    if ((g_str_equal (a, "--arch") && g_str_equal (next, "vqgan")) ||
        g_str_equal (a, "--arch=vqgan"))
      return vks_vqgan_train_main (argc, argv);
    if ((g_str_equal (a, "--arch") && g_str_equal (next, "vqgan-transformer")) ||
        g_str_equal (a, "--arch=vqgan-transformer"))
      return vks_vqgan_prior_train_main (argc, argv);
  }
  Trainer t = { 0 };
  if (!vks_train_options_parse (&t.o, &argc, &argv, &error)) {
    g_printerr ("vkstyle-train: %s\n", error->message);
    return 2;
  }
  vks_train_begin ();
  remove_stale_temporaries (t.o.out);
  g_autofree char *samples = g_build_filename (t.o.out, "samples", NULL);
  remove_stale_temporaries (samples);
  gboolean ok = setup (&t, &error) && train (&t, &error);
  trainer_clear (&t);
  return vks_train_end (ok, error);
}
