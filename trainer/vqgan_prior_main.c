/* vkstyle-train --arch vqgan-transformer --vq MODEL: taming-transformers' second stage
 * (engine/models/mingpt_step.h), an unconditional minGPT prior over a trained VQGAN's codes.
 * The codes of every image of --data are computed once at the start (one random crop each,
 * from a fixed stream of the seed; taming encodes each batch under no_grad, the same thing for
 * a frozen first stage without augmentation), in raster order; the vocabulary is the VQGAN's
 * codebook and the SOS token --sos (0, sharing its index with code 0, as taming's unconditional
 * configs do); the block is one image's codes. Each step draws `batch` sequences uniformly
 * from a stream of the seed keyed by the step; AdamW lr 4.5e-6 x batch (taming's
 * base_learning_rate scaling), betas (0.9, 0.95), weight decay 0.01 on the Linear weights.
 * Files in --out, each written atomically:
 *   latest.safetensors        the prior (`vkstyle vq sample --model VQ --prior latest...`)
 *   latest_state.safetensors  parameters, AdamW's state and the step: what --resume continues
 *   losses.csv, losses.png, samples/ (images decoded from sampled codes), index.html
 * Ctrl+C saves and stops. */
#include "config.h"
#include "trainer/vqgan_main.h"

#include "engine/error.h"
#include "engine/models/mingpt_step.h"
#include "engine/models/vqgan.h"
#include "trainer/dataset.h"
#include "trainer/report.h"
#include "trainer/rng.h"
#include "trainer/train_frame.h"
#include "trainer/train_loop.h"

#include <string.h>

#define STATE_ARCH "vkstyle_vqgan_transformer_train_state"
#define N_SAMPLES 4
#define LR_PER_IMAGE 4.5e-6

typedef struct {
  char *data, *out, *vq;
  int steps, batch, size, n_layer, n_head, n_embd, sos, top_k, sample_every, print_every, seed;
  int stop_after;
  double lr, temperature;
  gboolean resume;
} Options;

typedef struct {
  Options o;
  VksVqganConfig vq_cfg;
  VksCheckpoint *vq;
  VksMinGptTrainConfig cfg;
  VksContext *ctx;
  VksMinGptTrainer *tr;
  VksReport *report;
  float *codes;              /* [n_images][length] */
  guint n_images;
  int zside;                 /* codes per image side */
  float *batch;              /* a step's sequences */
  char *codes_digest;
} Run;

static void
run_clear (Run *r)
{
  vks_report_free (r->report);
  vks_mingpt_trainer_free (r->tr);
  vks_checkpoint_free (r->vq);
  vks_context_free (r->ctx);
  g_free (r->codes);
  g_free (r->batch);
  g_free (r->codes_digest);
  g_free (r->o.data);
  g_free (r->o.out);
  g_free (r->o.vq);
}

/* Every image's codes, once. */
static gboolean
encode_data (Run *r, GError **error)
{
  g_autoptr (VksDataset) data = vks_dataset_open (r->o.data, r->o.size,
                                                  VKS_DATASET_DEFAULT_CACHE_BYTES, error);
  if (data == NULL)
    return FALSE;
  int s = r->o.size, len = r->cfg.length;
  r->n_images = vks_dataset_size (data);
  r->codes = g_new (float, (size_t) r->n_images * len);
  g_autofree float *x = g_new (float, (size_t) 3 * s * s);
  VksRng rng;
  vks_rng_init_stream (&rng, (guint64) r->o.seed, 0xc0de);
  for (guint i = 0; i < r->n_images; i++)
    if (!vks_dataset_sample (data, i, s, FALSE, &rng, x, error) ||
        !vks_vqgan_run_encode (r->ctx, r->vq, &r->vq_cfg, x, s, s,
                               r->codes + (size_t) i * len, error))
      return FALSE;
  /* the run's signature names the codes: a resume over other images or another VQGAN is
   * refused */
  r->codes_digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) r->codes,
                                                 sizeof (float) * r->n_images * len);
  g_print ("encoded %u images into %d codes each\n", r->n_images, len);
  return TRUE;
}

static char *
run_signature (const Run *r)
{
  const Options *o = &r->o;
  return g_strdup_printf ("steps=%d batch=%d size=%d n_layer=%d n_head=%d n_embd=%d sos=%d "
                          "seed=%d codes=%.16s", o->steps, o->batch, o->size, o->n_layer,
                          o->n_head, o->n_embd, o->sos, o->seed, r->codes_digest);
}

static gboolean
save (gpointer data, int step, GError **error)
{
  Run *r = data;
  g_autoptr (VksCheckpoint) model = vks_checkpoint_new ();
  g_autoptr (VksCheckpoint) st = vks_checkpoint_new ();
  if (!vks_mingpt_trainer_save_model (r->tr, r->o.sos, model, error))
    return FALSE;
  vks_checkpoint_set_metadata (model, "vkstyle.name", "vqgan-transformer");
  vks_checkpoint_set_metadata (model, "vkstyle.description",
                               "minGPT prior over VQGAN codes trained by vkstyle-train");
  g_autofree char *path = g_build_filename (r->o.out, "latest.safetensors", NULL);
  g_autofree char *sig = run_signature (r);
  return vks_checkpoint_save (model, path, VKS_DTYPE_F32, error) &&
         vks_mingpt_trainer_save_state (r->tr, st, error) &&
         vks_train_save_state (st, r->o.out, STATE_ARCH, sig, step, error);
}

static gboolean
resume (Run *r, int *step, GError **error)
{
  *step = 0;
  if (!r->o.resume)
    return TRUE;
  g_autofree char *sig = run_signature (r);
  g_autoptr (VksCheckpoint) st = vks_train_load_state (r->o.out, STATE_ARCH, STATE_ARCH, sig,
                                                       r->o.steps, step, error);
  return st != NULL && vks_mingpt_trainer_load_state (r->tr, st, error) &&
         vks_report_resume (r->report, (guint64) *step, error);
}

/* Images decoded from codes the prior samples (taming's log_images: temperature 1, top-k 100),
 * a fixed seed per cell. */
static gboolean
write_samples (gpointer data, guint64 step, GError **error)
{
  Run *r = data;
  g_autoptr (VksCheckpoint) prior = vks_checkpoint_new ();
  if (!vks_mingpt_trainer_save_model (r->tr, r->o.sos, prior, error))
    return FALSE;
  int s = r->o.size, len = r->cfg.length, img = r->vq_cfg.out_ch * s * s;
  g_autofree float *tokens = g_new (float, len);
  g_autofree float *images = g_new (float, (size_t) N_SAMPLES * img);
  VksSampleCell cells[N_SAMPLES];
  for (int i = 0; i < N_SAMPLES; i++) {
    float *im = images + (size_t) i * img;
    if (!vks_mingpt_sample (r->ctx, prior, &r->cfg.net, r->o.sos, len, (float) r->o.temperature,
                            r->o.top_k, (guint64) r->o.seed * N_SAMPLES + i, tokens, error) ||
        !vks_vqgan_run_decode (r->ctx, r->vq, &r->vq_cfg, tokens, r->zside, r->zside, im, error))
      return FALSE;
    cells[i] = (VksSampleCell) { i == 0 ? "samples" : "", im, s, s };
  }
  return vks_report_write_samples (r->report, step, cells, 1, N_SAMPLES, error);
}

static gboolean
one_step (gpointer data, int step, VksRng *rng, double *row, GError **error)
{
  Run *r = data;
  int len = r->cfg.length;
  (void) step;
  for (int i = 0; i < r->o.batch; i++)
    memcpy (r->batch + (size_t) i * len,
            r->codes + (size_t) vks_rng_below (rng, r->n_images) * len, sizeof (float) * len);
  float loss;
  if (!vks_mingpt_trainer_step (r->tr, r->batch, r->o.sos, r->o.lr, &loss, error))
    return FALSE;
  row[0] = loss;
  return TRUE;
}

static gboolean
train (Run *r, GError **error)
{
  const Options *o = &r->o;
  r->batch = g_new (float, (size_t) o->batch * r->cfg.length);
  int first;
  if (!resume (r, &first, error))
    return FALSE;
  static const char *const shown[] = { "loss" };
  static const int columns[] = { 0 };
  VksTrainLoop loop = { .run = r, .step = one_step, .samples = write_samples, .save = save,
                         .report = r->report, .out = o->out, .what = "prior", .steps = o->steps,
                         .stop_after = o->stop_after, .sample_every = o->sample_every,
                         .print_every = o->print_every, .seed = o->seed, .lr = o->lr,
                         .shown = shown, .shown_columns = columns, .n_shown = 1,
                         .n_columns = 1 };
  return vks_train_loop (&loop, first, error);
}

static gboolean
parse (Options *o, int *argc, char ***argv, GError **error)
{
  *o = (Options) { .steps = 1000, .batch = 8, .n_layer = 8, .n_head = 8, .n_embd = 256,
                   .top_k = 100, .temperature = 1.0, .print_every = 10 };
  const GOptionEntry entries[] = {
    { "vq", 0, 0, G_OPTION_ARG_FILENAME, &o->vq, "The VQGAN (.safetensors)", "MODEL" },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o->data, "Folder of images", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out, "Output folder", "DIR" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &o->steps, "Training steps (1000)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "Batch size (8)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, "AdamW's learning rate (4.5e-6 x batch)", "LR" },
    { "size", 0, 0, G_OPTION_ARG_INT, &o->size, "Image side (the VQGAN's resolution)", "N" },
    { "n-layer", 0, 0, G_OPTION_ARG_INT, &o->n_layer, "Transformer blocks (8)", "N" },
    { "n-head", 0, 0, G_OPTION_ARG_INT, &o->n_head, "Attention heads (8)", "N" },
    { "n-embd", 0, 0, G_OPTION_ARG_INT, &o->n_embd, "Embedding width (256)", "N" },
    { "sos", 0, 0, G_OPTION_ARG_INT, &o->sos, "The start token (0)", "N" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &o->top_k, "Samples: top-k (100; 0: all)", "K" },
    { "temperature", 0, 0, G_OPTION_ARG_DOUBLE, &o->temperature, "Samples: temperature (1)",
      "T" },
    { "sample-every", 0, 0, G_OPTION_ARG_INT, &o->sample_every, "Sample grids every N steps",
      "N" },
    { "print-every", 0, 0, G_OPTION_ARG_INT, &o->print_every, "Progress line every N steps (10)",
      "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &o->seed, "Random seed (0)", "S" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Continue from --out's saved state", NULL },
    { "stop-after", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->stop_after, NULL, "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (!vks_train_parse_options (entries, "vqgan-transformer", "- train a VQGAN's transformer prior", argc, argv, error))
    return FALSE;
  if (o->lr == 0)
    o->lr = LR_PER_IMAGE * o->batch;
  const char *bad = !o->vq ? "--vq is required"
                    : !o->data ? "--data is required"
                    : !o->out ? "--out is required"
                    : o->steps < 1 ? "--steps must be at least 1"
                    : o->batch < 1 || o->batch > 1024 ? "--batch must be from 1 to 1024"
                    : o->n_layer < 1 || o->n_layer > 256 ? "--n-layer must be 1 to 256"
                    : o->n_head < 1 || o->n_head > 64 ? "--n-head must be 1 to 64"
                    : o->n_embd < 1 || o->n_embd > 16384 || o->n_embd % o->n_head
                      ? "--n-embd must be a multiple of --n-head up to 16384"
                    : !(o->lr > 0 && o->lr < 1) ? "--lr must be in (0, 1)"
                    : o->top_k < 0 ? "--top-k must not be negative"
                    : !(o->temperature > 0) ? "--temperature must be positive"
                    : o->print_every < 1 ? "--print-every must be at least 1"
                    : NULL;
  return vks_train_check_option (bad, error);
}

/* The VQGAN, and from it the image size and the prior's vocabulary and block. */
static gboolean
load_vq (Run *r, GError **error)
{
  r->vq = vks_checkpoint_load (r->o.vq, error);
  if (r->vq == NULL || !vks_vqgan_check_checkpoint (r->vq, &r->vq_cfg, error)) {
    g_prefix_error (error, "%s: ", r->o.vq);
    return FALSE;
  }
  int f = vks_vqgan_factor (&r->vq_cfg);
  if (r->o.size == 0)
    r->o.size = r->vq_cfg.resolution;
  r->zside = r->o.size / f;
  long len = (long) r->zside * r->zside;
  if (r->o.size % f != 0 || r->o.size > 1024 || len > 16384) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--size %d: must be a "
                 "multiple of the VQGAN's factor %d with at most 16384 codes", r->o.size, f);
    return FALSE;
  }
  if (r->o.sos < 0 || r->o.sos >= r->vq_cfg.n_embed) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--sos %d: the vocabulary is the VQGAN's %d codes", r->o.sos, r->vq_cfg.n_embed);
    return FALSE;
  }
  r->cfg = (VksMinGptTrainConfig) {
    .net = { .vocab_size = r->vq_cfg.n_embed, .block_size = (int) len, .n_layer = r->o.n_layer,
             .n_head = r->o.n_head, .n_embd = r->o.n_embd },
    .batch = r->o.batch, .length = (int) len };
  return TRUE;
}

static gboolean
init_weights (Run *r, GError **error)
{
  VksRng rng;
  vks_rng_init_stream (&rng, (guint64) r->o.seed, 0x6e7);
  return vks_mingpt_trainer_init (r->tr, vks_train_normal, &rng, error);
}

int
vks_vqgan_prior_train_main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  Run r = { 0 };
  if (!parse (&r.o, &argc, &argv, &error)) {
    g_printerr ("vkstyle-train: %s\n", error->message);
    run_clear (&r);
    return 2;
  }
  vks_train_begin ();
  static const char *const loss_names[] = { "cross_entropy" };
  gboolean ok = load_vq (&r, &error) && g_mkdir_with_parents (r.o.out, 0777) == 0 &&
                (r.ctx = vks_context_new (NULL, &error)) != NULL && encode_data (&r, &error) &&
                (r.tr = vks_mingpt_trainer_new (r.ctx, &r.cfg, &error)) != NULL &&
                init_weights (&r, &error) &&
                (r.report = vks_report_new (r.o.out, loss_names, 1, &error)) != NULL &&
                train (&r, &error);
  if (!ok && error == NULL)
    g_set_error (&error, VKS_ERROR, VKS_ERROR_IO, "cannot create %s", r.o.out);
  run_clear (&r);
  return vks_train_end (ok, error);
}
