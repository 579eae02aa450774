/* vkstyle-train --arch stargan2 (stargan2_main.h). Each iteration's draws come from a stream of
 * the seed keyed by the step, so a resumed run needs only the step (and the state) to compute
 * the same bits as one that never stopped. The data as the reference's loaders give it, less
 * its augmentation: x_real of a uniformly drawn domain (the balanced sampler) and a uniformly
 * drawn image of it, y_trg likewise with two of its images (x_ref, x_ref2), z and z2 standard
 * normals; images resized to --image-size (trainer/dataset.c: bicubic, where the reference's
 * Resize is bilinear), flipped with probability 0.5; the reference's RandomResizedCrop (p 0.5)
 * is not done. */
#include "config.h"
#include "trainer/stargan2_main.h"

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/models/stargan2_net.h"
#include "engine/models/stargan2_train.h"
#include "trainer/class_folders.h"
#include "trainer/dataset.h"
#include "trainer/report.h"
#include "trainer/rng.h"
#include "trainer/state_stamp.h"
#include "trainer/train_frame.h"
#include "trainer/train_loop.h"
#include "trainer/weight_init.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STATE_ARCH "vkstyle_stargan2_train_state"
#define MAX_GRID 4            /* sources and references of the sample grid */
#define INIT_STREAM 0x5354524eull

typedef struct {
  char *data, *out;
  int steps, batch, image_size, max_conv_dim, style_dim, latent_dim, dim_in, mapping_dim;
  int ds_iter, sample_every, save_every, print_every, seed, stop_after;
  double lr, f_lr, lambda_reg, lambda_sty, lambda_ds, lambda_cyc;
  gboolean resume;
} Options;

typedef struct {
  float *x_real, *x_ref, *x_ref2, *z, *z2;
  int *y_org, *y_trg;
} Batch;

typedef struct {
  Options o;
  VksStarGan2Config cfg;
  char **domains;             /* the subfolders, sorted */
  GPtrArray *data;            /* VksDataset*, one per domain */
  VksContext *ctx;
  VksStarGan2Trainer *tr;
  VksReport *report;
  const char *loss_names[VKS_SG2_N_LOSSES + 1];   /* losses.csv's columns */
  Batch batch;                /* an iteration's inputs */
  double lambda_ds;           /* at the next iteration */
} Run;

static void
run_clear (Run *r)
{
  vks_report_free (r->report);
  vks_stargan2_trainer_free (r->tr);
  if (r->data != NULL)
    g_ptr_array_free (r->data, TRUE);
  vks_context_free (r->ctx);
  Batch *b = &r->batch;
  g_free (b->x_real);
  g_free (b->x_ref);
  g_free (b->x_ref2);
  g_free (b->z);
  g_free (b->z2);
  g_free (b->y_org);
  g_free (b->y_trg);
  g_strfreev (r->domains);
  g_free (r->o.data);
  g_free (r->o.out);
}

/* The subfolders of --data (sorted), one domain each. */
static gboolean
open_domains (Run *r, GError **error)
{
  r->domains = vks_class_folders (r->o.data, error);
  if (r->domains == NULL)
    return FALSE;
  guint n = g_strv_length (r->domains);
  if (n < 1 || n > VKS_STARGAN2_MAX_DOMAINS) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s must hold one subfolder of images per "
                 "domain (1 to %d); it has %u", r->o.data, VKS_STARGAN2_MAX_DOMAINS, n);
    return FALSE;
  }
  r->data = g_ptr_array_new_with_free_func ((GDestroyNotify) vks_dataset_free);
  for (guint i = 0; i < n; i++) {
    const char *d = r->domains[i];
    if (strchr (d, ',') != NULL || strlen (d) > 256 || !g_utf8_validate (d, -1, NULL)) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "domain folder \"%s\": a domain name is at "
                   "most 256 bytes of UTF-8 without ','", d);
      return FALSE;
    }
    g_autofree char *path = g_build_filename (r->o.data, d, NULL);
    VksDataset *set = vks_dataset_open (path, r->o.image_size, VKS_DATASET_DEFAULT_CACHE_BYTES,
                                        error);
    if (set == NULL)
      return FALSE;
    g_ptr_array_add (r->data, set);
  }
  return TRUE;
}

/* The Solver's he_init of the networks, and the averages' start: PyTorch's default
 * initialisation, since build_model copies the networks before he_init (weight_init.h). */
static gboolean
init_weights (Run *r, GError **error)
{
  g_autoptr (GPtrArray) specs = vks_stargan2_tensors (&r->cfg);
  g_autoptr (GPtrArray) averaged = g_ptr_array_new ();
  for (guint i = 0; i < specs->len; i++)
    if (vks_stargan2_network_of (((const VksTensorSpec *) specs->pdata[i])->name) != 3)
      g_ptr_array_add (averaged, specs->pdata[i]);   /* the discriminator is not averaged */
  g_autoptr (VksCheckpoint) nets = vks_checkpoint_new ();
  g_autoptr (VksCheckpoint) ema = vks_checkpoint_new ();
  VksRng rng;
  vks_rng_init_stream (&rng, (guint64) r->o.seed, INIT_STREAM);
  vks_weight_init (specs, VKS_INIT_HE_NORMAL, &rng, NULL, nets);
  vks_weight_init (averaged, VKS_INIT_TORCH_DEFAULT, &rng, "ema.", ema);
  return vks_stargan2_trainer_load_params (r->tr, nets, error) &&
         vks_stargan2_trainer_load_ema (r->tr, ema, NULL, error);
}

/* The averaged networks as an inference model. */
static VksCheckpoint *
export_model (Run *r, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  if (!vks_stargan2_trainer_export (r->tr, ckpt, error))
    return NULL;
  vks_stargan2_config_to_checkpoint (&r->cfg, ckpt);
  g_autofree char *domains = g_strjoinv (",", r->domains);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.domains", domains);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.name", "stargan2");
  vks_checkpoint_set_metadata (ckpt, "vkstyle.description",
                               "StarGAN v2 trained by vkstyle-train (the averaged networks)");
  return g_steal_pointer (&ckpt);
}

static char *
out_file (const Run *r, const char *name)
{
  return g_build_filename (r->o.out, name, NULL);
}

/* What must not change across a resume, as one string (--steps may: a run can be extended). */
static char *
run_signature (const Run *r)
{
  const Options *o = &r->o;
  g_autofree char *domains = g_strjoinv (",", r->domains);
  return g_strdup_printf ("batch=%d size=%d max_conv_dim=%d style=%d latent=%d dim_in=%d "
                          "mapping=%d ds_iter=%d lr=%g f_lr=%g lambdas=%g,%g,%g,%g seed=%d "
                          "domains=%s", o->batch, r->cfg.img_size, r->cfg.max_conv_dim,
                          r->cfg.style_dim, r->cfg.latent_dim, r->cfg.dim_in,
                          r->cfg.mapping_dim, o->ds_iter, o->lr, o->f_lr, o->lambda_reg,
                          o->lambda_sty, o->lambda_ds, o->lambda_cyc, o->seed, domains);
}

static gboolean
save (Run *r, int step, GError **error)
{
  g_autoptr (VksCheckpoint) model = export_model (r, error);
  g_autoptr (VksCheckpoint) st = vks_checkpoint_new ();
  if (model == NULL || !vks_stargan2_trainer_save_state (r->tr, st, error))
    return FALSE;
  g_autofree char *sig = run_signature (r);
  g_autofree char *model_path = out_file (r, "latest.safetensors");
  /* the state last: a kill between the two leaves a model at least as new as the state */
  return vks_checkpoint_save (model, model_path, VKS_DTYPE_F32, error) &&
         vks_train_save_state (st, r->o.out, STATE_ARCH, sig, step, error);
}

/* --resume: the saved state's step, checked against this run before anything is built (0
 * without --resume). */
static gboolean
check_resume (Run *r, int *step, GError **error)
{
  *step = 0;
  if (!r->o.resume)
    return TRUE;
  g_autofree char *path = out_file (r, "latest_state.safetensors");
  g_autoptr (VksCheckpoint) st = vks_checkpoint_load_header (path, error);
  if (st == NULL)
    return FALSE;
  g_autofree char *sig = run_signature (r);
  guint64 s = 0;
  if (!vks_state_check_stamp (st, path, STATE_ARCH, "vkstyle-train --arch stargan2", sig,
                              G_MAXINT, &s, error))
    return FALSE;
  *step = (int) s;
  return TRUE;
}

/* --resume, once the trainer exists: the state and the report's rows up to its step. */
static gboolean
load_state (Run *r, int step, GError **error)
{
  if (!r->o.resume)
    return TRUE;
  g_autofree char *path = out_file (r, "latest_state.safetensors");
  g_autoptr (VksCheckpoint) st = vks_checkpoint_load (path, error);
  return st != NULL && vks_stargan2_trainer_load_state (r->tr, st, error) &&
         vks_report_resume (r->report, (guint64) step, error);
}

/* Image `k` of the grid's sources (or references, shifted by one image): domain k mod n, its
 * image k / n, unflipped. */
static gboolean
grid_image (Run *r, int k, gboolean reference, float *chw, GError **error)
{
  guint nd = r->data->len;
  VksDataset *set = r->data->pdata[k % nd];
  guint index = (guint) (k / nd + (reference ? 1 : 0)) % vks_dataset_size (set);
  VksRng unused;
  vks_rng_init (&unused, 0);
  return vks_dataset_sample (set, index, r->cfg.img_size, FALSE, &unused, chw, error);
}

/* The reference's translate_using_reference with the averaged networks: a row of references
 * (each into its own domain) over a column of sources, each cell G(source, E(reference)); the
 * images labelled with their domains. */
static gboolean
write_samples (Run *r, guint64 step, GError **error)
{
  g_autoptr (VksCheckpoint) model = export_model (r, error);
  if (model == NULL)
    return FALSE;
  g_autoptr (VksStarGan2) net = vks_stargan2_new (r->ctx, model, error);
  if (net == NULL)
    return FALSE;
  int s = r->cfg.img_size, n = MAX_GRID, cols = n + 1;
  gsize plane = (gsize) s * s, img = 3 * plane;
  g_autofree float *pix = g_new (float, img * cols * cols);
  g_autofree float *rgb = g_new (float, img), *style = g_new (float, r->cfg.style_dim);
  g_autofree VksSampleCell *cells = g_new0 (VksSampleCell, cols * cols);
  g_autofree float *src_rgb = g_new (float, img * n);
  for (int k = 0; k < n; k++) {
    float *ref = pix + img * (k + 1), *src = pix + img * (k + 1) * cols;
    if (!grid_image (r, k, TRUE, ref, error) || !grid_image (r, k, FALSE, src, error))
      return FALSE;
    cells[k + 1] = (VksSampleCell) { r->domains[k % r->data->len], ref, s, s };
    cells[(k + 1) * cols] = (VksSampleCell) { r->domains[k % r->data->len], src, s, s };
    for (gsize i = 0; i < plane; i++)
      for (int c = 0; c < 3; c++)
        src_rgb[img * k + i * 3 + c] = (src[c * plane + i] + 1.0f) * 0.5f;
  }
  for (int j = 0; j < n; j++) {
    const float *ref = pix + img * (j + 1);
    for (gsize i = 0; i < plane; i++)
      for (int c = 0; c < 3; c++)
        rgb[i * 3 + c] = (ref[c * plane + i] + 1.0f) * 0.5f;
    if (!vks_stargan2_style_from_image (net, rgb, s, s, j % (int) r->data->len, style, error))
      return FALSE;
    for (int k = 0; k < n; k++) {
      float *cell = pix + img * ((k + 1) * cols + j + 1);
      if (!vks_stargan2_translate (net, src_rgb + img * k, rgb, s, s, style, NULL, NULL, error))
        return FALSE;
      for (gsize i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
          cell[c * plane + i] = rgb[i * 3 + c] * 2.0f - 1.0f;
      cells[(k + 1) * cols + j + 1] = (VksSampleCell) { "", cell, s, s };
    }
  }
  return vks_report_write_samples (r->report, step, cells, cols, cols, error);
}

/* An iteration's inputs, from the seed's stream of that step. */
static gboolean
draw_batch (Run *r, VksRng *rng, Batch *b, GError **error)
{
  int n = r->o.batch, s = r->cfg.img_size, nd = (int) r->data->len;
  gsize img = (gsize) 3 * s * s;
  for (int i = 0; i < n; i++) {
    b->y_org[i] = (int) vks_rng_below (rng, (guint32) nd);
    VksDataset *set = r->data->pdata[b->y_org[i]];
    if (!vks_dataset_sample (set, vks_rng_below (rng, vks_dataset_size (set)), s, TRUE, rng,
                             b->x_real + img * i, error))
      return FALSE;
  }
  for (int i = 0; i < n; i++) {
    b->y_trg[i] = (int) vks_rng_below (rng, (guint32) nd);
    VksDataset *set = r->data->pdata[b->y_trg[i]];
    if (!vks_dataset_sample (set, vks_rng_below (rng, vks_dataset_size (set)), s, TRUE, rng,
                             b->x_ref + img * i, error) ||
        !vks_dataset_sample (set, vks_rng_below (rng, vks_dataset_size (set)), s, TRUE, rng,
                             b->x_ref2 + img * i, error))
      return FALSE;
  }
  for (int i = 0; i < n * r->cfg.latent_dim; i++)
    b->z[i] = (float) vks_rng_normal (rng, 0.0, 1.0);
  for (int i = 0; i < n * r->cfg.latent_dim; i++)
    b->z2[i] = (float) vks_rng_normal (rng, 0.0, 1.0);
  return TRUE;
}

static gboolean
one_step (gpointer data, int step, VksRng *rng, double *row, GError **error)
{
  Run *r = data;
  const Options *o = &r->o;
  VksStarGan2Batch in = { r->batch.x_real, r->batch.x_ref, r->batch.x_ref2, r->batch.y_org,
                          r->batch.y_trg, r->batch.z, r->batch.z2 };
  float losses[VKS_SG2_N_LOSSES] = { 0 };
  if (!draw_batch (r, rng, &r->batch, error) ||
      !vks_stargan2_trainer_iteration (r->tr, &in, r->lambda_ds, losses, error))
    return FALSE;
  for (int i = 0; i < VKS_SG2_N_LOSSES; i++) {
    row[i] = losses[i];
    if (!isfinite (row[i])) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "loss %s is %g at step %d: training "
                   "diverged; the last saved state is kept", vks_stargan2_loss_names[i],
                   row[i], step + 1);
      return FALSE;
    }
  }
  row[VKS_SG2_N_LOSSES] = r->lambda_ds;
  if (r->lambda_ds > 0)
    r->lambda_ds -= o->lambda_ds / o->ds_iter;
  return TRUE;
}

static gboolean
samples_cb (gpointer r, guint64 step, GError **error)
{
  return write_samples (r, step, error);
}

static gboolean
save_cb (gpointer r, int step, GError **error)
{
  return save (r, step, error);
}

static gboolean
train (Run *r, int first, GError **error)
{
  const Options *o = &r->o;
  int n = o->batch, s = r->cfg.img_size;
  gsize img = (gsize) 3 * s * s * n, lat = (gsize) n * r->cfg.latent_dim;
  r->batch = (Batch) { g_new (float, img), g_new (float, img), g_new (float, img),
                       g_new (float, lat), g_new (float, lat), g_new (int, n), g_new (int, n) };
  if (!load_state (r, first, error))
    return FALSE;
  /* the reference's lambda_ds -= initial / ds_iter after each iteration while positive, in
   * Python's doubles: replayed up to the first step */
  r->lambda_ds = o->lambda_ds;
  for (int i = 0; i < first; i++)
    if (r->lambda_ds > 0)
      r->lambda_ds -= o->lambda_ds / o->ds_iter;
  int columns[VKS_SG2_N_LOSSES + 1];
  for (int i = 0; i <= VKS_SG2_N_LOSSES; i++)
    columns[i] = i;
  VksTrainLoop loop = { .run = r, .step = one_step, .samples = samples_cb, .save = save_cb,
                        .report = r->report, .out = o->out, .what = "model", .steps = o->steps,
                        .stop_after = o->stop_after, .sample_every = o->sample_every,
                        .save_every = o->save_every, .print_every = o->print_every,
                        .seed = o->seed, .lr = o->lr, .shown = r->loss_names,
                        .shown_columns = columns, .n_shown = VKS_SG2_N_LOSSES + 1,
                        .n_columns = VKS_SG2_N_LOSSES + 1 };
  return vks_train_loop (&loop, first, error);
}

static gboolean
parse (Options *o, int *argc, char ***argv, GError **error)
{
  /* the reference's defaults, but a CPU-sized image */
  *o = (Options) { .steps = 100000, .batch = 8, .image_size = 64, .max_conv_dim = 512,
                   .style_dim = 64, .latent_dim = 16, .mapping_dim = 512, .ds_iter = 100000,
                   .sample_every = 5000, .save_every = 10000, .print_every = 10, .lr = 1e-4,
                   .f_lr = 1e-6, .lambda_reg = 1, .lambda_sty = 1, .lambda_ds = 1,
                   .lambda_cyc = 1 };
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o->data, "Images, one subfolder per domain", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out, "Output folder", "DIR" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &o->steps, "Iterations (100000)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "Batch size (8)", "N" },
    { "image-size", 0, 0, G_OPTION_ARG_INT, &o->image_size,
      "Image side, a power of two from 32 (64)", "N" },
    { "max-conv-dim", 0, 0, G_OPTION_ARG_INT, &o->max_conv_dim, "Widest convolution (512)",
      "N" },
    { "dim-in", 0, 0, G_OPTION_ARG_INT, &o->dim_in,
      "First convolutions' width (2^14 / image size)", "N" },
    { "mapping-dim", 0, 0, G_OPTION_ARG_INT, &o->mapping_dim,
      "Mapping network's hidden width (512)", "N" },
    { "style-dim", 0, 0, G_OPTION_ARG_INT, &o->style_dim, "Style code size (64)", "N" },
    { "latent-dim", 0, 0, G_OPTION_ARG_INT, &o->latent_dim, "Latent size (16)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, "Adam's learning rate (1e-4)", "LR" },
    { "f-lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->f_lr, "The mapping network's (1e-6)", "LR" },
    { "lambda-reg", 0, 0, G_OPTION_ARG_DOUBLE, &o->lambda_reg, "R1 weight (1)", "W" },
    { "lambda-sty", 0, 0, G_OPTION_ARG_DOUBLE, &o->lambda_sty, "Style reconstruction (1)", "W" },
    { "lambda-ds", 0, 0, G_OPTION_ARG_DOUBLE, &o->lambda_ds,
      "Diversity sensitive, decayed to 0 over --ds-iter (1)", "W" },
    { "lambda-cyc", 0, 0, G_OPTION_ARG_DOUBLE, &o->lambda_cyc, "Cycle consistency (1)", "W" },
    { "ds-iter", 0, 0, G_OPTION_ARG_INT, &o->ds_iter, "Iterations of lambda-ds's decay (100000)",
      "N" },
    { "sample-every", 0, 0, G_OPTION_ARG_INT, &o->sample_every,
      "Sample grid every N steps and at the end (5000; 0: none)", "N" },
    { "save-every", 0, 0, G_OPTION_ARG_INT, &o->save_every,
      "Save model and state every N steps (10000; 0: at the end only)", "N" },
    { "print-every", 0, 0, G_OPTION_ARG_INT, &o->print_every, "Progress every N steps (10)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &o->seed, "Random seed (0)", "S" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Continue from --out's saved state",
      NULL },
    /* tests: stop (and save) after that many steps of a longer run */
    { "stop-after", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->stop_after, NULL, "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (!vks_train_parse_options (entries, "stargan2", "- train StarGAN v2", argc, argv, error))
    return FALSE;
  const char *bad = !o->data ? "--data is required"
                    : !o->out ? "--out is required"
                    : o->steps < 1 ? "--steps must be at least 1"
                    : o->batch < 1 || o->batch > 256 ? "--batch must be from 1 to 256"
                    : o->ds_iter < 1 ? "--ds-iter must be at least 1"
                    : o->print_every < 1 ? "--print-every must be at least 1"
                    : o->sample_every < 0 || o->save_every < 0
                      ? "--sample-every and --save-every must not be negative"
                    : !(o->lr > 0 && o->lr < 1) || !(o->f_lr > 0 && o->f_lr < 1)
                      ? "--lr and --f-lr must be in (0, 1)"
                    : !(o->lambda_reg >= 0 && o->lambda_sty >= 0 && o->lambda_ds >= 0 &&
                        o->lambda_cyc >= 0 && o->lambda_reg < 1e6 && o->lambda_sty < 1e6 &&
                        o->lambda_ds < 1e6 && o->lambda_cyc < 1e6)
                      ? "the --lambda-* weights must be from 0 to 1e6"
                    : NULL;
  return vks_train_check_option (bad, error);
}

/* The model's configuration from the options (the domains are known by then). */
static gboolean
configure (Run *r, GError **error)
{
  const Options *o = &r->o;
  vks_stargan2_config_default (&r->cfg, o->image_size, (int) g_strv_length (r->domains));
  r->cfg.max_conv_dim = o->max_conv_dim;
  r->cfg.style_dim = o->style_dim;
  r->cfg.latent_dim = o->latent_dim;
  r->cfg.mapping_dim = o->mapping_dim;
  if (o->dim_in > 0)
    r->cfg.dim_in = o->dim_in;
  r->cfg.has_discriminator = TRUE;
  g_autoptr (GError) local = NULL;
  if (vks_stargan2_config_check (&r->cfg, &local))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s", local->message);
  return FALSE;
}

static gboolean
setup (Run *r, GError **error)
{
  const Options *o = &r->o;
  VksStarGan2StepConfig step = { .net = r->cfg, .batch = o->batch,
                                 .lambda_reg = (float) o->lambda_reg,
                                 .lambda_sty = (float) o->lambda_sty,
                                 .lambda_cyc = (float) o->lambda_cyc };
  VksStarGan2TrainOptions to;
  vks_stargan2_train_options_default (&to, &step);
  to.lr = o->lr;
  to.f_lr = o->f_lr;
  for (int i = 0; i < VKS_SG2_N_LOSSES; i++)
    r->loss_names[i] = vks_stargan2_loss_names[i];
  r->loss_names[VKS_SG2_N_LOSSES] = "G/lambda_ds";
  return (r->ctx = vks_context_new (NULL, error)) != NULL &&
         (r->tr = vks_stargan2_trainer_new (r->ctx, &to, error)) != NULL &&
         init_weights (r, error) &&
         (r->report = vks_report_new (o->out, r->loss_names, VKS_SG2_N_LOSSES + 1, error)) != NULL;
}

int
vks_stargan2_train_main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  Run r = { 0 };
  if (!parse (&r.o, &argc, &argv, &error)) {
    g_printerr ("vkstyle-train: %s\n", error->message);
    run_clear (&r);
    return 2;
  }
  vks_train_begin ();
  int first = 0;
  gboolean usage = FALSE, ok = open_domains (&r, &error);
  if (ok && !configure (&r, &error))
    ok = FALSE, usage = TRUE;
  if (ok && g_mkdir_with_parents (r.o.out, 0777) != 0) {
    g_set_error (&error, VKS_ERROR, VKS_ERROR_IO, "cannot create %s", r.o.out);
    ok = FALSE;
  }
  ok = ok && check_resume (&r, &first, &error) && setup (&r, &error) &&
       train (&r, first, &error);
  run_clear (&r);
  int status = vks_train_end (ok, error);
  return usage ? 2 : status;
}
