#include "config.h"
#include "trainer/gan_main.h"

#include "engine/error.h"
#include "engine/gan_train.h"
#include "engine/texture.h"
#include "trainer/dataset.h"
#include "trainer/epoch.h"
#include "trainer/gan_eval.h"
#include "trainer/gan_latents.h"
#include "trainer/gan_options.h"
#include "trainer/report.h"
#include "trainer/rng.h"
#include "trainer/train_frame.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STATE_ARCH "vkstyle_gan_train_state"
#define SAMPLE_SIDE 4          /* the sample grid: 4 x 4 images of fixed noise */

typedef struct {
  VksGanOptions o;
  VksGanConfig net;
  VksContext *ctx;
  VksDataset *data;
  VksEpochIterator *epochs;
  VksGanTrainer *tr;
  VksReport *report;
  VksGanEval *eval;           /* NULL without --eval-real */
  guint64 step, d_steps;      /* generator steps done; discriminator steps done */
  /* The losses reported, as indices into VksGanLoss: GP only for WGAN-GP, Info only for
   * InfoGAN, so that losses.csv and its plot show no line that is 0 by construction. */
  int reported[VKS_GAN_N_LOSSES], n_reported;
  const char *reported_names[VKS_GAN_N_LOSSES];
  float *real, *z, *eps, *fixed_z, *samples;
} Run;

static void
run_clear (Run *r)
{
  vks_report_free (r->report);
  vks_gan_eval_free (r->eval);
  vks_gan_trainer_free (r->tr);
  vks_epoch_iterator_free (r->epochs);
  vks_dataset_free (r->data);
  vks_context_free (r->ctx);
  g_free (r->real);
  g_free (r->z);
  g_free (r->eps);
  g_free (r->fixed_z);
  g_free (r->samples);
  vks_gan_options_clear (&r->o);
}

/* Noise and mixing factors are pure functions of (seed, what, counter): a resumed run draws the
 * same numbers with no generator state to save. */
enum { DRAW_D_NOISE, DRAW_G_NOISE, DRAW_EPS, DRAW_FIXED };

static guint64
draw_seed (const Run *r, int what, guint64 counter)
{
  return (guint64) r->o.seed * 0x100000001B3ull + (counter << 2 | (guint64) what);
}

/* count latents for (what, counter), codes included (gan_latents.h). */
static void
draw_latents (const Run *r, int what, guint64 counter, int count, float *z)
{
  vks_gan_draw_latents (&r->net, (guint64) r->o.seed, draw_seed (r, what, counter), count, z);
}

/* The sample grid's fixed latents: image i shows category i mod n_categories; the continuous
 * codes sweep [-1, 1] down the grid's rows, so one grid shows what the codes do. */
static void
fixed_latents (const Run *r, float *z)
{
  int count = SAMPLE_SIDE * SAMPLE_SIDE, latent = vks_gan_latent_size (&r->net);
  vks_gan_latents (&r->net, draw_seed (r, DRAW_FIXED, 0), count, NULL, z);
  for (int i = 0; i < count && r->net.arch == VKS_GAN_INFOGAN; i++) {
    VksGanCodes codes = { .category = r->net.n_categories ? i % r->net.n_categories : 0 };
    for (int j = 0; j < r->net.n_continuous; j++)
      codes.continuous[j] = -1.0 + 2.0 * (i / SAMPLE_SIDE) / (SAMPLE_SIDE - 1);
    vks_texture_put_codes (&r->net, &codes, z + (gsize) i * latent);
  }
}

static float
normal_draw (gpointer rng)
{
  return (float) vks_rng_normal (rng, 0.0, 1.0);
}

static gboolean
load_init (Run *r, GError **error)
{
  for (int generator = 1; generator >= 0; generator--) {
    g_autofree char *path = g_build_filename (r->o.init, generator ? "G.safetensors"
                                                                   : "D.safetensors", NULL);
    g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, error);
    if (ckpt == NULL || !vks_gan_trainer_load_net (r->tr, generator, ckpt, error)) {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
resume (Run *r, GError **error)
{
  g_autofree char *path = g_build_filename (r->o.out, "latest_state.safetensors", NULL);
  g_autoptr (VksCheckpoint) state = vks_checkpoint_load (path, error);
  if (state == NULL)
    return FALSE;
  g_autofree char *arch = vks_gan_options_architecture (&r->o);
  const char *saved = vks_checkpoint_get_metadata (state, "vkstyle.architecture");
  if (g_strcmp0 (vks_checkpoint_get_metadata (state, "vkstyle.arch"), STATE_ARCH) != 0 ||
      g_strcmp0 (saved, arch) != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "%s is not the state of a run with %s (it has %s)", path, arch,
                 saved ? saved : "no vkstyle.architecture");
    return FALSE;
  }
  guint64 words[VKS_EPOCH_STATE_WORDS];
  g_auto (GStrv) parts = g_strsplit (vks_checkpoint_get_metadata (state, "vkstyle.epoch_state")
                                     ? vks_checkpoint_get_metadata (state, "vkstyle.epoch_state")
                                     : "", " ", -1);
  const char *step = vks_checkpoint_get_metadata (state, "vkstyle.step");
  const char *d_steps = vks_checkpoint_get_metadata (state, "vkstyle.d_steps");
  gboolean ok = g_strv_length (parts) == VKS_EPOCH_STATE_WORDS && step && d_steps &&
                g_ascii_string_to_unsigned (step, 10, 0, G_MAXUINT64, &r->step, NULL) &&
                g_ascii_string_to_unsigned (d_steps, 10, 0, G_MAXUINT64, &r->d_steps, NULL);
  for (int i = 0; ok && i < VKS_EPOCH_STATE_WORDS; i++)
    ok = g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT64, &words[i], NULL);
  if (!ok) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "%s: bad step or epoch state", path);
    return FALSE;
  }
  if (!vks_epoch_iterator_set_state (r->epochs, words, error) ||
      !vks_gan_trainer_load_state (r->tr, state, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  return TRUE;
}

static gboolean
setup (Run *r, GError **error)
{
  const VksGanOptions *o = &r->o;
  vks_gan_config_default (&r->net, o->infogan ? VKS_GAN_INFOGAN : VKS_GAN_DCGAN);
  r->net.n_categories = o->n_categories;
  r->net.n_continuous = o->n_continuous;
  if (o->category_name != NULL)
    g_strlcpy (r->net.category_name, o->category_name, sizeof r->net.category_name);
  g_auto (GStrv) names = o->continuous_names ? g_strsplit (o->continuous_names, ",", -1) : NULL;
  for (int i = 0; names != NULL && names[i] != NULL && i < VKS_GAN_MAX_CODES; i++)
    g_strlcpy (r->net.continuous_names[i], names[i], sizeof r->net.continuous_names[i]);
  r->net.nz = o->nz;
  r->net.ngf = o->ngf;
  r->net.ndf = o->ndf;
  r->net.image_size = o->image_size;
  r->net.d_norm = o->wgan_gp ? VKS_CRITIC_NORM_NONE : VKS_CRITIC_NORM_BATCH;
  r->ctx = vks_context_new (o->device, error);
  if (r->ctx == NULL)
    return FALSE;
  /* The example's Resize(image_size) + CenterCrop(image_size); here a square resize. */
  r->data = vks_dataset_open (o->data, o->image_size, VKS_DATASET_DEFAULT_CACHE_BYTES, error);
  if (r->data == NULL)
    return FALSE;
  guint n = vks_dataset_size (r->data);
  r->epochs = vks_epoch_iterator_new (n, n, FALSE, (guint64) o->seed);
  VksGanMode mode = g_str_equal (o->gan_mode, "lsgan") ? VKS_GAN_LSGAN
                  : g_str_equal (o->gan_mode, "hinge") ? VKS_GAN_HINGE : VKS_GAN_VANILLA;
  VksGanTrainOptions to = { .net = r->net, .mode = mode, .wasserstein = o->wgan,
                            .wgan_gp = o->wgan_gp,
                            .optimizer = o->wgan ? VKS_OPTIMIZER_RMSPROP : VKS_OPTIMIZER_ADAM,
                            .beta1 = o->beta1, .beta2 = o->beta2, .clip = o->wgan ? o->clip : 0,
                            .info_lambda = (float) o->lambda_info, .info_mse = o->info_mse,
                            .batch = o->batch_size,
                            .sample_count = SAMPLE_SIDE * SAMPLE_SIDE };
  r->tr = vks_gan_trainer_new (r->ctx, &to, error);
  if (r->tr == NULL)
    return FALSE;
  gsize image = (gsize) r->net.nc * o->image_size * o->image_size;
  int latent = vks_gan_latent_size (&r->net);
  r->real = g_new (float, image * o->batch_size);
  r->z = g_new (float, (gsize) latent * o->batch_size);
  r->eps = g_new (float, o->batch_size);
  r->fixed_z = g_new (float, (gsize) latent * SAMPLE_SIDE * SAMPLE_SIDE);
  r->samples = g_new (float, image * SAMPLE_SIDE * SAMPLE_SIDE);
  fixed_latents (r, r->fixed_z);
  /* Weights first: a run that cannot start must not leave an output folder behind. */
  if (o->resume) {
    if (!resume (r, error))
      return FALSE;
  } else if (o->init != NULL) {
    if (!load_init (r, error))
      return FALSE;
  } else {
    VksRng rng;
    vks_rng_init_stream (&rng, (guint64) o->seed, 0);
    if (!vks_gan_trainer_init_normal (r->tr, normal_draw, &rng, error))
      return FALSE;
  }
  r->n_reported = 0;
  for (int i = 0; i < VKS_GAN_N_LOSSES; i++)
    if ((i != VKS_GAN_LOSS_GP || o->wgan_gp) && (i != VKS_GAN_LOSS_INFO || o->infogan)) {
      r->reported_names[r->n_reported] = vks_gan_loss_names[i];
      r->reported[r->n_reported++] = i;
    }
  if (!vks_gan_eval_start (&r->eval, r->ctx, &r->net, o, SAMPLE_SIDE * SAMPLE_SIDE, error))
    return FALSE;
  r->report = vks_report_new (o->out, r->reported_names, r->n_reported, error);
  return r->report != NULL && (!o->resume || vks_report_resume (r->report, r->step, error)) &&
         vks_gan_eval_attach (r->eval, r->report, o->out, o->resume, r->step, error);
}

static gboolean
load_batch (Run *r, GError **error)
{
  gsize image = (gsize) r->net.nc * r->o.image_size * r->o.image_size;
  VksRng unused;   /* no crop or flip: the sampler draws nothing */
  vks_rng_init (&unused, 0);
  for (int b = 0; b < r->o.batch_size; b++) {
    guint index, ignored;
    vks_epoch_iterator_next (r->epochs, &index, &ignored);
    if (!vks_dataset_sample (r->data, index, r->o.image_size, FALSE, &unused,
                             r->real + b * image, error))
      return FALSE;
  }
  return TRUE;
}

/* --dump-inputs: this step's inputs as a safetensors file, for tests that replay it in PyTorch. */
static void
dump_add (Run *r, VksCheckpoint *ckpt, const char *name, const float *v, int c, int hw)
{
  (void) r;
  int64_t shape[4] = { r->o.batch_size, c, hw, hw };
  vks_checkpoint_add_tensor (ckpt, name, 4, shape, v);
}

static gboolean
train_iteration (Run *r, float losses[VKS_GAN_N_LOSSES], GError **error)
{
  const VksGanOptions *o = &r->o;
  int latent = vks_gan_latent_size (&r->net);
  g_autoptr (VksCheckpoint) dump = o->dump_inputs ? vks_checkpoint_new () : NULL;
  for (int k = 0; k < o->n_critic; k++) {
    if (!load_batch (r, error))
      return FALSE;
    draw_latents (r, DRAW_D_NOISE, r->d_steps, o->batch_size, r->z);
    VksRng rng;
    vks_rng_init_stream (&rng, (guint64) o->seed, draw_seed (r, DRAW_EPS, r->d_steps));
    for (int b = 0; b < o->batch_size; b++)
      r->eps[b] = (float) vks_rng_uniform (&rng);
    if (dump) {
      g_autofree char *real = g_strdup_printf ("d%d.real", k);
      g_autofree char *z = g_strdup_printf ("d%d.z", k);
      g_autofree char *eps = g_strdup_printf ("d%d.eps", k);
      dump_add (r, dump, real, r->real, r->net.nc, o->image_size);
      dump_add (r, dump, z, r->z, latent, 1);
      dump_add (r, dump, eps, r->eps, 1, 1);
    }
    if (!vks_gan_trainer_d_step (r->tr, r->real, r->z, o->wgan_gp ? r->eps : NULL, o->lr, losses,
                                 error))
      return FALSE;
    r->d_steps++;
  }
  /* The example's generator step judges the discriminator step's fake again (same z); WGAN and
   * WGAN-GP draw fresh noise. */
  if (o->critic_loop)
    draw_latents (r, DRAW_G_NOISE, r->step, o->batch_size, r->z);
  if (dump) {
    dump_add (r, dump, "g.z", r->z, latent, 1);
    g_autofree char *file = g_strdup_printf ("inputs_%06" G_GUINT64_FORMAT ".safetensors",
                                             r->step + 1);
    g_autofree char *path = g_build_filename (o->dump_inputs, file, NULL);
    if (g_mkdir_with_parents (o->dump_inputs, 0755) != 0 ||
        !vks_checkpoint_save (dump, path, VKS_DTYPE_F32, error))
      return FALSE;
  }
  if (!vks_gan_trainer_g_step (r->tr, r->z, o->lr, losses, error))
    return FALSE;
  r->step++;
  return TRUE;
}

static void
set_u64 (VksCheckpoint *ckpt, const char *key, guint64 v)
{
  g_autofree char *s = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
  vks_checkpoint_set_metadata (ckpt, key, s);
}

static gboolean
save_net (Run *r, gboolean generator, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  if (!vks_gan_trainer_save_net (r->tr, generator, ckpt, error))
    return FALSE;
  vks_gan_config_to_metadata (&r->net, ckpt);
  if (generator) {
    g_autofree char *base = g_path_get_basename (r->o.out);
    vks_checkpoint_set_metadata (ckpt, "vkstyle.name", r->o.name ? r->o.name : base);
    g_autofree char *desc = g_strdup_printf ("%s%s%s (%s) trained by vkstyle-train for %"
                                             G_GUINT64_FORMAT " steps.",
                                             r->o.description ? r->o.description : "",
                                             r->o.description ? " " : "",
                                             r->o.infogan ? "InfoGAN" : "DCGAN", r->o.gan_mode,
                                             r->step);
    vks_checkpoint_set_metadata (ckpt, "vkstyle.description", desc);
  }
  g_autofree char *arch = vks_gan_options_architecture (&r->o);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.training", arch);
  set_u64 (ckpt, "vkstyle.step", r->step);
  g_autofree char *path = g_build_filename (r->o.out, generator ? "latest_G.safetensors"
                                                                : "latest_D.safetensors", NULL);
  return vks_checkpoint_save (ckpt, path, VKS_DTYPE_F32, error);
}

static gboolean
save_all (Run *r, GError **error)
{
  g_autoptr (VksCheckpoint) state = vks_checkpoint_new ();
  if (!vks_gan_trainer_save_state (r->tr, state, error))
    return FALSE;
  vks_checkpoint_set_metadata (state, "vkstyle.arch", STATE_ARCH);
  g_autofree char *arch = vks_gan_options_architecture (&r->o);
  vks_checkpoint_set_metadata (state, "vkstyle.architecture", arch);
  set_u64 (state, "vkstyle.step", r->step);
  set_u64 (state, "vkstyle.d_steps", r->d_steps);
  guint64 words[VKS_EPOCH_STATE_WORDS];
  vks_epoch_iterator_get_state (r->epochs, words);
  GString *s = g_string_new (NULL);
  for (int i = 0; i < VKS_EPOCH_STATE_WORDS; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? " " : "", words[i]);
  vks_checkpoint_set_metadata (state, "vkstyle.epoch_state", s->str);
  g_string_free (s, TRUE);
  g_autofree char *path = g_build_filename (r->o.out, "latest_state.safetensors", NULL);
  return save_net (r, TRUE, error) && save_net (r, FALSE, error) &&
         vks_checkpoint_save (state, path, VKS_DTYPE_F32, error);
}

static gboolean
write_samples (Run *r, GError **error)
{
  int s = r->o.image_size;
  gsize image = (gsize) r->net.nc * s * s;
  if (!vks_gan_trainer_sample (r->tr, r->fixed_z, r->samples, error))
    return FALSE;
  VksSampleCell cells[SAMPLE_SIDE * SAMPLE_SIDE];
  for (int i = 0; i < SAMPLE_SIDE * SAMPLE_SIDE; i++)
    cells[i] = (VksSampleCell) { "", r->samples + i * image, s, s };
  return vks_report_write_samples (r->report, r->step, cells, SAMPLE_SIDE, SAMPLE_SIDE, error) &&
         vks_report_write_plot (r->report, error) && vks_report_write_index (r->report, error);
}

static gboolean
train (Run *r, GError **error)
{
  const VksGanOptions *o = &r->o;
  guint64 total = (guint64) o->max_steps;
  float losses[VKS_GAN_N_LOSSES] = { 0 };
  gint64 window_start = g_get_monotonic_time ();
  guint64 window_steps = 0, saved = G_MAXUINT64;
  while (r->step < total && !vks_train_interrupted ()) {
    guint64 epoch = vks_epoch_iterator_epoch (r->epochs);
    if (!train_iteration (r, losses, error))
      return FALSE;
    window_steps++;
    for (int i = 0; i < VKS_GAN_N_LOSSES; i++)
      if (!isfinite (losses[i])) {
        g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                     "loss %s is %g at step %" G_GUINT64_FORMAT ": training diverged (try a lower "
                     "--lr); the last saved checkpoint is kept", vks_gan_loss_names[i],
                     losses[i], r->step);
        return FALSE;
      }
    gboolean last = r->step == total || vks_train_interrupted ();
    if (r->step % o->print_every == 0 || last) {
      double its = window_steps / ((g_get_monotonic_time () - window_start) / 1e6);
      double row[VKS_GAN_N_LOSSES];
      g_print ("epoch %" G_GUINT64_FORMAT " step %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
               " %.2f it/s", epoch + 1, r->step, total, its);
      for (int i = 0; i < r->n_reported; i++) {
        row[i] = losses[r->reported[i]];
        g_print (" %s %.4f", r->reported_names[i], row[i]);
      }
      g_print ("\n");
      if (!vks_report_log (r->report, r->step, epoch + 1, row, o->lr, its, error))
        return FALSE;
      window_start = g_get_monotonic_time ();
      window_steps = 0;
    }
    if ((r->step % o->sample_every == 0 || last) && !write_samples (r, error))
      return FALSE;
    if (!vks_gan_eval_step (r->eval, r->tr, r->step, r->step == total, error))
      return FALSE;
    if (r->step % o->save_every == 0 || last) {
      if (!save_all (r, error))
        return FALSE;
      saved = r->step;
    }
  }
  if (saved != r->step && !save_all (r, error))
    return FALSE;
  if (vks_train_interrupted ())
    g_print ("interrupted: saved the state at step %" G_GUINT64_FORMAT " in %s\n", r->step,
             o->out);
  return TRUE;
}

int
vks_gan_train_main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  Run r = { 0 };
  if (!vks_gan_options_parse (&r.o, &argc, &argv, &error)) {
    if (error == NULL)
      return 0;
    g_printerr ("vkstyle-train: %s\n", error->message);
    return 2;
  }
  vks_train_begin ();
  gboolean ok = setup (&r, &error) && train (&r, &error);
  run_clear (&r);
  return vks_train_end (ok, error);
}
