/* vkstyle-train --arch ddpm: the sprites course's training loop (engine/models/diffusion_step.h)
 * on a folder of images. One subfolder per class gives one-hot contexts (named after the
 * subfolders, sorted); a folder without subfolders trains unconditionally (one context entry,
 * always 0). Each step draws `batch` images uniformly from all classes, timesteps uniform in
 * 1 .. T, Gaussian noise, and drops each context to 0 with probability --drop-context (0.1, the
 * course's mask: what classifier-free guidance needs). The learning rate decays linearly to 0
 * over --steps (the course decays per epoch). Files in --out, each written atomically:
 *   latest.safetensors   the model (complete metadata: `vkstyle generate --model`)
 *   losses.csv, losses.png, samples/ (one row of DDIM samples per class), index.html
 *   latest_state.safetensors  parameters, Adam's state and the step: what --resume continues
 * Ctrl+C saves and stops. Each step's draws come from a stream of the seed keyed by the step,
 * so a resumed run needs only the step count and computes the same bits as one that never
 * stopped. */
#include "config.h"
#include "trainer/ddpm_main.h"

#include "engine/error.h"
#include "engine/models/diffusion.h"
#include "engine/models/diffusion_step.h"
#include "engine/nn/params.h"
#include "trainer/class_folders.h"
#include "trainer/dataset.h"
#include "trainer/report.h"
#include "trainer/rng.h"
#include "trainer/train_frame.h"
#include "trainer/train_loop.h"
#include "trainer/weight_init.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STATE_ARCH "vkstyle_ddpm_train_state"
#define SAMPLES_PER_CLASS 4

typedef struct {
  char *data, *out, *dump;
  int steps, batch, n_feat, height, timesteps, sample_every, save_every, print_every;
  int sample_steps, seed, stop_after;
  gboolean resume;
  double lr, drop_context;
} Options;

typedef struct {
  Options o;
  VksUnetConfig cfg;
  VksContext *ctx;
  GPtrArray *classes;         /* VksDataset*, one per class (one: unconditional) */
  gboolean conditional;
  VksDiffusionTrainer *tr;
  VksReport *report;
  guint total;                /* images in all classes */
  float *x0, *noise, *c;      /* a step's batch */
  int *t;
} Run;

static void
run_clear (Run *r)
{
  vks_report_free (r->report);
  vks_diffusion_trainer_free (r->tr);
  if (r->classes != NULL)
    g_ptr_array_free (r->classes, TRUE);
  vks_context_free (r->ctx);
  g_free (r->x0);
  g_free (r->noise);
  g_free (r->c);
  g_free (r->t);
  g_free (r->o.data);
  g_free (r->o.out);
  g_free (r->o.dump);
}

/* The subfolders of data (sorted) as classes, or data itself. */
static gboolean
open_data (Run *r, GError **error)
{
  g_auto (GStrv) names = vks_class_folders (r->o.data, error);
  if (names == NULL)
    return FALSE;
  guint n_names = g_strv_length (names);
  r->classes = g_ptr_array_new_with_free_func ((GDestroyNotify) vks_dataset_free);
  r->conditional = n_names > 0;
  if (n_names > VKS_UNET_MAX_CLASSES) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s has %u class folders; at most %d",
                 r->o.data, n_names, VKS_UNET_MAX_CLASSES);
    return FALSE;
  }
  for (guint i = 0; i < MAX (n_names, 1); i++) {
    g_autofree char *path = r->conditional ? g_build_filename (r->o.data, names[i], NULL)
                                           : g_strdup (r->o.data);
    VksDataset *d = vks_dataset_open (path, r->o.height, VKS_DATASET_DEFAULT_CACHE_BYTES, error);
    if (d == NULL)
      return FALSE;
    g_ptr_array_add (r->classes, d);
    if (r->conditional) {
      const char *n = names[i];
      if (strlen (n) >= VKS_UNET_CLASS_NAME || strchr (n, ',') || strchr (n, '=') ||
          !g_utf8_validate (n, -1, NULL)) {
        g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                     "class folder \"%s\": a class name is at most %d bytes of UTF-8 without "
                     "',' or '='", n, VKS_UNET_CLASS_NAME - 1);
        return FALSE;
      }
      g_strlcpy (r->cfg.class_names[i], n, VKS_UNET_CLASS_NAME);
    }
  }
  r->cfg.n_cfeat = (int) r->classes->len;
  return TRUE;
}

/* PyTorch's default initialisation: Conv2d, ConvTranspose2d and Linear weights and biases
 * uniform in +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)), fan_in = size(1) x kernel
 * area; norms' weights 1, biases 0, running variance 1, mean 0. */
static gboolean
init_weights (Run *r, GError **error)
{
  g_autoptr (GPtrArray) specs = vks_unet_tensors (&r->cfg);
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  VksRng rng;
  vks_rng_init_stream (&rng, (guint64) r->o.seed, 0x1417);
  vks_weight_init (specs, VKS_INIT_TORCH_DEFAULT, &rng, NULL, ckpt);
  if (r->o.dump != NULL) {
    g_autofree char *path = g_build_filename (r->o.dump, "init.safetensors", NULL);
    if (g_mkdir_with_parents (r->o.dump, 0777) != 0 ||
        !vks_checkpoint_save (ckpt, path, VKS_DTYPE_F32, error))
      return FALSE;
  }
  return vks_diffusion_trainer_load (r->tr, ckpt, error);
}

static gboolean
save (Run *r, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  if (!vks_diffusion_trainer_save (r->tr, ckpt, error))
    return FALSE;
  vks_checkpoint_set_metadata (ckpt, "vkstyle.name", "ddpm");
  vks_checkpoint_set_metadata (ckpt, "vkstyle.description",
                               r->conditional ? "context U-Net trained by vkstyle-train"
                                              : "unconditional U-Net trained by vkstyle-train");
  g_autofree char *path = g_build_filename (r->o.out, "latest.safetensors", NULL);
  return vks_checkpoint_save (ckpt, path, VKS_DTYPE_F32, error);
}

/* What must not change across a resume, as one string. */
static char *
run_signature (const Run *r)
{
  GString *s = g_string_new ("");
  g_string_append_printf (s, "steps=%d batch=%d n_feat=%d height=%d T=%d seed=%d classes=",
                          r->o.steps, r->o.batch, r->cfg.n_feat, r->cfg.height,
                          r->cfg.timesteps, r->o.seed);
  for (int i = 0; i < r->cfg.n_cfeat; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", r->cfg.class_names[i]);
  return g_string_free (s, FALSE);
}

static gboolean
save_state (Run *r, int step, GError **error)
{
  g_autoptr (VksCheckpoint) st = vks_checkpoint_new ();
  g_autofree char *sig = run_signature (r);
  return vks_diffusion_trainer_save_state (r->tr, st, error) &&
         vks_train_save_state (st, r->o.out, STATE_ARCH, sig, step, error);
}

/* --resume: the state's step (0 without --resume). */
static gboolean
load_state (Run *r, int *step, GError **error)
{
  *step = 0;
  if (!r->o.resume)
    return TRUE;
  g_autofree char *sig = run_signature (r);
  g_autoptr (VksCheckpoint) st = vks_train_load_state (r->o.out, STATE_ARCH,
                                                       "vkstyle-train --arch ddpm", sig,
                                                       r->o.steps, step, error);
  return st != NULL && vks_diffusion_trainer_load_state (r->tr, st, error) &&
         vks_report_resume (r->report, (guint64) *step, error);
}

/* One row of DDIM samples per class from the current weights (fixed x_T). */
static gboolean
write_samples (Run *r, guint64 step, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  if (!vks_diffusion_trainer_save (r->tr, ckpt, error))
    return FALSE;
  g_autoptr (VksDiffusionModel) m = vks_diffusion_model_new (r->ctx, ckpt, error);
  if (m == NULL)
    return FALSE;
  int k = SAMPLES_PER_CLASS, rows = (int) r->classes->len, h = r->cfg.height;
  int img = r->cfg.in_channels * h * h;
  g_autofree float *x = g_new (float, (size_t) rows * k * img);
  g_autofree float *c = g_new0 (float, (size_t) k * r->cfg.n_cfeat);
  g_autofree VksSampleCell *cells = g_new0 (VksSampleCell, rows * k);
  for (int row = 0; row < rows; row++) {
    for (int i = 0; i < k; i++) {
      memset (c + (size_t) i * r->cfg.n_cfeat, 0, sizeof (float) * r->cfg.n_cfeat);
      if (r->conditional)
        c[(size_t) i * r->cfg.n_cfeat + row] = 1.0f;
    }
    float *xr = x + (size_t) row * k * img;
    vks_diffusion_initial_noise (&r->cfg, 1, 0, k, xr);
    VksSampleOptions so = { .sampler = VKS_SAMPLER_DDIM, .steps = r->o.sample_steps,
                            .context = c };
    if (!vks_diffusion_sample (m, k, xr, &so, error))
      return FALSE;
    for (int i = 0; i < k; i++)
      cells[row * k + i] = (VksSampleCell) {
        i == 0 ? (r->conditional ? r->cfg.class_names[row] : "samples") : "", xr + (size_t) i * img,
        h, h };
  }
  return vks_report_write_samples (r->report, step, cells, rows, k, error);
}

/* --dump-inputs: step N's inputs (x0, noise, t, c), loss and lr, for tests that replay the run
 * in PyTorch (tests/diffusion/test_ddpm_train.py). */
static gboolean
dump_step (Run *r, int step, const float *x0, const float *noise, const int *t, const float *c,
           float loss, double lr, GError **error)
{
  int n = r->o.batch, h = r->cfg.height;
  g_autoptr (VksCheckpoint) d = vks_checkpoint_new ();
  int64_t img[4] = { n, 3, h, h }, per[1] = { n }, ctx[2] = { n, r->cfg.n_cfeat }, one[1] = { 1 };
  g_autofree float *tf = g_new (float, n);
  for (int i = 0; i < n; i++)
    tf[i] = (float) t[i];
  float lrf = (float) lr;
  vks_checkpoint_add_tensor (d, "x0", 4, img, x0);
  vks_checkpoint_add_tensor (d, "noise", 4, img, noise);
  vks_checkpoint_add_tensor (d, "t", 1, per, tf);
  vks_checkpoint_add_tensor (d, "c", 2, ctx, c);
  vks_checkpoint_add_tensor (d, "loss", 1, one, &loss);
  vks_checkpoint_add_tensor (d, "lr", 1, one, &lrf);
  g_autofree char *name = g_strdup_printf ("step_%d.safetensors", step);
  g_autofree char *path = g_build_filename (r->o.dump, name, NULL);
  return vks_checkpoint_save (d, path, VKS_DTYPE_F32, error);
}

static double
lr_at (gpointer data, int step)
{
  const Run *r = data;
  return r->o.lr * (1.0 - (double) step / r->o.steps);
}

/* One step: a batch drawn across the classes in proportion to their sizes, the context dropped
 * with probability drop_context, t uniform in 1..T, the noise; Adam at the linearly decayed lr. */
static gboolean
one_step (gpointer data, int step, VksRng *rng, double *row, GError **error)
{
  Run *r = data;
  const Options *o = &r->o;
  int n = o->batch, h = r->cfg.height, img = 3 * h * h, ncf = r->cfg.n_cfeat;
  memset (r->c, 0, sizeof (float) * n * ncf);
  for (int i = 0; i < n; i++) {
    guint pick = vks_rng_below (rng, r->total), cls = 0;
    while (pick >= vks_dataset_size (r->classes->pdata[cls]))
      pick -= vks_dataset_size (r->classes->pdata[cls++]);
    if (!vks_dataset_sample (r->classes->pdata[cls], pick, h, FALSE, rng,
                             r->x0 + (size_t) i * img, error))
      return FALSE;
    if (r->conditional && vks_rng_uniform (rng) >= o->drop_context)
      r->c[(size_t) i * ncf + cls] = 1.0f;
    r->t[i] = 1 + (int) vks_rng_below (rng, (guint32) r->cfg.timesteps);
  }
  for (int j = 0; j < n * img; j++)
    r->noise[j] = (float) vks_rng_normal (rng, 0.0, 1.0);
  double lr = lr_at (r, step);
  float loss;
  if (!vks_diffusion_trainer_step (r->tr, r->x0, r->noise, r->t, r->c, lr, &loss, error))
    return FALSE;
  row[0] = loss;
  return o->dump == NULL || dump_step (r, step + 1, r->x0, r->noise, r->t, r->c, loss, lr, error);
}

static gboolean
samples_cb (gpointer r, guint64 step, GError **error)
{
  return write_samples (r, step, error);
}

static gboolean
save_cb (gpointer r, int step, GError **error)
{
  return save (r, error) && save_state (r, step, error);
}

static gboolean
train (Run *r, GError **error)
{
  const Options *o = &r->o;
  int n = o->batch, img = 3 * r->cfg.height * r->cfg.height;
  for (guint i = 0; i < r->classes->len; i++)
    r->total += vks_dataset_size (r->classes->pdata[i]);
  r->x0 = g_new (float, (size_t) n * img);
  r->noise = g_new (float, (size_t) n * img);
  r->c = g_new (float, (size_t) n * r->cfg.n_cfeat);
  r->t = g_new (int, n);
  int first;
  if (!load_state (r, &first, error))
    return FALSE;
  static const char *const shown[] = { "MSE" };
  static const int columns[] = { 0 };
  VksTrainLoop loop = { .run = r, .step = one_step, .samples = samples_cb, .save = save_cb,
                        .lr_at = lr_at, .report = r->report, .out = o->out, .what = "model",
                        .steps = o->steps, .stop_after = o->stop_after,
                        .sample_every = o->sample_every, .save_every = o->save_every,
                        .print_every = o->print_every, .seed = o->seed, .lr = o->lr,
                        .shown = shown, .shown_columns = columns, .n_shown = 1, .n_columns = 1 };
  return vks_train_loop (&loop, first, error);
}

static gboolean
parse (Options *o, int *argc, char ***argv, GError **error)
{
  *o = (Options) { .steps = 1000, .batch = 100, .n_feat = 64, .height = 16, .timesteps = 500,
                   .lr = 1e-3, .drop_context = 0.1, .sample_steps = 25,
                   .print_every = 10 };
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o->data, "Images, one subfolder per class", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out, "Output folder", "DIR" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &o->steps, "Training steps (1000)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "Batch size (100)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, "Adam's learning rate (1e-3, decayed linearly)",
      "LR" },
    { "n-feat", 0, 0, G_OPTION_ARG_INT, &o->n_feat, "U-Net width (64)", "N" },
    { "height", 0, 0, G_OPTION_ARG_INT, &o->height, "Image side, a multiple of 4 (16)", "N" },
    { "timesteps", 0, 0, G_OPTION_ARG_INT, &o->timesteps, "T (500)", "N" },
    { "drop-context", 0, 0, G_OPTION_ARG_DOUBLE, &o->drop_context,
      "Probability of training without the context (0.1)", "P" },
    { "sample-every", 0, 0, G_OPTION_ARG_INT, &o->sample_every, "Sample grids every N steps",
      "N" },
    { "save-every", 0, 0, G_OPTION_ARG_INT, &o->save_every,
      "Save the model and the state every N steps (0: at the end only)", "N" },
    { "print-every", 0, 0, G_OPTION_ARG_INT, &o->print_every, "Progress every N steps (10)", "N" },
    { "sample-steps", 0, 0, G_OPTION_ARG_INT, &o->sample_steps,
      "DDIM steps of the sample grids (25)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &o->seed, "Random seed (0)", "S" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Continue from --out's saved state",
      NULL },
    { "dump-inputs", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o->dump, NULL, "DIR" },
    /* tests: stop (and save) after that many steps of a longer run */
    { "stop-after", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->stop_after, NULL, "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (!vks_train_parse_options (entries, "ddpm", "- train a diffusion model", argc, argv, error))
    return FALSE;
  const char *bad = !o->data ? "--data is required"
                    : !o->out ? "--out is required"
                    : o->steps < 1 ? "--steps must be at least 1"
                    : o->batch < 1 || o->batch > 1024 ? "--batch must be from 1 to 1024"
                    : o->n_feat < 8 || o->n_feat % 8 || o->n_feat > 1024
                      ? "--n-feat must be a multiple of 8 up to 1024"
                    : o->height < 4 || o->height % 4 || o->height > 256
                      ? "--height must be a multiple of 4 up to 256"
                    : o->timesteps < 1 || o->timesteps > 10000 ? "--timesteps must be 1 to 10000"
                    : o->sample_every < 0 ? "--sample-every must not be negative"
                    : o->save_every < 0 ? "--save-every must not be negative"
                    : o->print_every < 1 ? "--print-every must be at least 1"
                    : o->sample_steps < 1 || o->sample_steps > 10000
                      ? "--sample-steps must be 1 to 10000"
                    : !(o->lr > 0 && o->lr < 1) ? "--lr must be in (0, 1)"
                    : !(o->drop_context >= 0 && o->drop_context <= 1)
                      ? "--drop-context must be in [0, 1]"
                    : NULL;
  return vks_train_check_option (bad, error);
}

int
vks_ddpm_train_main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  Run r = { 0 };
  if (!parse (&r.o, &argc, &argv, &error)) {
    g_printerr ("vkstyle-train: %s\n", error->message);
    run_clear (&r);
    return 2;
  }
  vks_train_begin ();
  vks_unet_config_default (&r.cfg);
  r.cfg.n_feat = r.o.n_feat;
  r.cfg.height = r.o.height;
  r.cfg.timesteps = r.o.timesteps;
  static const char *const loss_names[] = { "MSE" };
  gboolean ok = g_mkdir_with_parents (r.o.out, 0777) == 0 && open_data (&r, &error) &&
                (r.ctx = vks_context_new (NULL, &error)) != NULL &&
                (r.tr = vks_diffusion_trainer_new (r.ctx, &r.cfg, r.o.batch, &error)) != NULL &&
                init_weights (&r, &error) &&
                (r.report = vks_report_new (r.o.out, loss_names, 1, &error)) != NULL &&
                train (&r, &error);
  if (!ok && error == NULL)
    g_set_error (&error, VKS_ERROR, VKS_ERROR_IO, "cannot create %s", r.o.out);
  run_clear (&r);
  return vks_train_end (ok, error);
}
