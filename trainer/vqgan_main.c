/* vkstyle-train --arch vqgan: taming-transformers' first stage (engine/models/vqgan_step.h) on
 * a folder of images. Defaults are taming's configs/custom_vqgan.yaml (ch 128, ch_mult
 * 1,1,2,2,4, 2 residual blocks, attention at 16, z 256, 1024 codes of 256, 256x256 images,
 * batch 5, disc_start 10000, disc_weight 0.8, codebook_weight 1; Adam lr 4.5e-6 x batch as its
 * main.py scales base_learning_rate, betas (0.5, 0.9)) with the NLayerDiscriminator (ndf 64, 3
 * layers, BatchNorm). The perceptual term is off (perceptual_weight 0): the engine has no LPIPS,
 * which the run says when it starts. Each step draws `batch` images uniformly (with
 * replacement; taming shuffles epochs) and crops them at random, without flips, from a stream
 * of the seed keyed by the step, so a resume needs only the state and the step count and
 * computes the same bits as a run that never stopped. Files in --out, each written atomically:
 *   latest.safetensors        the VQGAN (`vkstyle vq encode / decode / reconstruct --model`)
 *   latest_state.safetensors  both networks, both optimisers, the codes' last use, the step
 *   losses.csv, losses.png    taming's logged losses, the batch's code perplexity and the
 *                             dead codes (not used in the last --usage-window steps)
 *   samples/, index.html      fixed images over their reconstructions
 * Ctrl+C saves and stops. */
#include "config.h"
#include "trainer/vqgan_main.h"

#include "engine/error.h"
#include "engine/models/vqgan_step.h"
#include "trainer/dataset.h"
#include "trainer/report.h"
#include "trainer/rng.h"
#include "trainer/train_frame.h"
#include "trainer/train_loop.h"

#include <math.h>
#include <string.h>

#define STATE_ARCH "vkstyle_vqgan_train_state"
#define N_SAMPLES 4
#define LR_PER_IMAGE 4.5e-6
/* the report's columns after taming's losses */
enum { COL_PERPLEXITY = VKS_VQ_N_LOSSES, COL_DEAD, N_COLUMNS };

typedef struct {
  char *data, *out, *ch_mult, *attn;
  int steps, batch, size, ch, res_blocks, z_channels, n_embed, embed_dim, disc_ndf, disc_layers;
  int disc_start, usage_window, sample_every, print_every, seed, stop_after;
  double lr, disc_weight, disc_factor, codebook_weight;
  gboolean resume;
} Options;

typedef struct {
  Options o;
  VksVqganTrainConfig cfg;
  VksContext *ctx;
  VksDataset *data;
  VksVqganTrainer *tr;
  VksReport *report;
  float *last_used;          /* per code: the step (from 1) it was last chosen in, 0: never */
  float *samples;            /* N_SAMPLES fixed images */
  int n_samples;
  float *x, *indices;        /* a step's batch and its codes */
  long n_codes;
} Run;

static void
run_clear (Run *r)
{
  vks_report_free (r->report);
  vks_vqgan_trainer_free (r->tr);
  vks_dataset_free (r->data);
  vks_context_free (r->ctx);
  g_free (r->last_used);
  g_free (r->samples);
  g_free (r->x);
  g_free (r->indices);
  g_free (r->o.data);
  g_free (r->o.out);
  g_free (r->o.ch_mult);
  g_free (r->o.attn);
}

static int
image_floats (const Run *r)
{
  return r->cfg.net.in_channels * r->o.size * r->o.size;
}

/* What must not change across a resume. */
static char *
run_signature (const Run *r)
{
  const Options *o = &r->o;
  return g_strdup_printf ("steps=%d batch=%d size=%d ch=%d ch_mult=%s res_blocks=%d attn=%s "
                          "z=%d n_embed=%d embed_dim=%d disc=%d,%d disc_start=%d seed=%d",
                          o->steps, o->batch, o->size, o->ch, o->ch_mult, o->res_blocks,
                          o->attn, o->z_channels, o->n_embed, o->embed_dim, o->disc_ndf,
                          o->disc_layers, o->disc_start, o->seed);
}

static gboolean
save (gpointer data, int step, GError **error)
{
  Run *r = data;
  g_autoptr (VksCheckpoint) model = vks_checkpoint_new ();
  g_autoptr (VksCheckpoint) st = vks_checkpoint_new ();
  if (!vks_vqgan_trainer_save_model (r->tr, model, error))
    return FALSE;
  vks_checkpoint_set_metadata (model, "vkstyle.name", "vqgan");
  vks_checkpoint_set_metadata (model, "vkstyle.description", "VQGAN trained by vkstyle-train");
  g_autofree char *path = g_build_filename (r->o.out, "latest.safetensors", NULL);
  int64_t codes = r->o.n_embed;
  g_autofree char *sig = run_signature (r);
  if (!vks_checkpoint_save (model, path, VKS_DTYPE_F32, error) ||
      !vks_vqgan_trainer_save_state (r->tr, st, error))
    return FALSE;
  vks_checkpoint_add_tensor (st, "vq.last_used", 1, &codes, r->last_used);
  return vks_train_save_state (st, r->o.out, STATE_ARCH, sig, step, error);
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
  if (st == NULL)
    return FALSE;
  const VksCheckpointTensor *used = vks_checkpoint_get_tensor (st, "vq.last_used");
  if (used == NULL || used->n_elements != r->o.n_embed) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "the state lacks vq.last_used [%d]",
                 r->o.n_embed);
    return FALSE;
  }
  memcpy (r->last_used, used->data, sizeof (float) * r->o.n_embed);
  return vks_vqgan_trainer_load_state (r->tr, st, error) &&
         vks_report_resume (r->report, (guint64) *step, error);
}

/* The fixed images over their reconstructions by the current weights. */
static gboolean
write_samples (gpointer data, guint64 step, GError **error)
{
  Run *r = data;
  int k = r->n_samples, s = r->o.size, img = image_floats (r);
  g_autofree float *rec = g_new (float, (size_t) k * img);
  VksSampleCell cells[2 * N_SAMPLES];
  if (!vks_vqgan_trainer_reconstruct (r->tr, r->samples, rec, error))
    return FALSE;
  for (int i = 0; i < k; i++) {
    cells[i] = (VksSampleCell) { i == 0 ? "inputs" : "", r->samples + (size_t) i * img, s, s };
    cells[k + i] = (VksSampleCell) { i == 0 ? "reconstructions" : "", rec + (size_t) i * img, s,
                                     s };
  }
  return vks_report_write_samples (r->report, step, cells, 2, k, error);
}

/* taming's VectorQuantizer2 logs the batch's perplexity exp(-sum p log p) of the code
 * histogram; the dead codes are those no batch chose in the last usage_window steps. */
static void
code_usage (Run *r, int step, const float *indices, long n, double *perplexity, double *dead)
{
  int e = r->o.n_embed;
  g_autofree long *count = g_new0 (long, e);
  for (long i = 0; i < n; i++) {
    if (!(indices[i] >= 0 && indices[i] < e))   /* never, short of NaNs in the network */
      continue;
    int c = (int) indices[i];
    count[c]++;
    r->last_used[c] = (float) step;
  }
  double h = 0;
  int unused = 0;
  for (int c = 0; c < e; c++) {
    if (count[c] > 0) {
      double p = (double) count[c] / n;
      h -= p * log (p);
    }
    unused += r->last_used[c] == 0 || step - r->last_used[c] >= r->o.usage_window;
  }
  *perplexity = exp (h);
  *dead = unused;
}

static gboolean
one_step (gpointer data, int step, VksRng *rng, double *row, GError **error)
{
  Run *r = data;
  const Options *o = &r->o;
  int img = image_floats (r);
  for (int i = 0; i < o->batch; i++)
    if (!vks_dataset_sample (r->data, vks_rng_below (rng, vks_dataset_size (r->data)), o->size,
                             FALSE, rng, r->x + (size_t) i * img, error))
      return FALSE;
  /* adopt_weight at Lightning's global_step, the batches done before this one (taming ran
   * pytorch-lightning 1.0, which counts one step per batch whatever the optimisers) */
  float disc_factor = step < o->disc_start ? 0.0f : (float) o->disc_factor;
  float losses[VKS_VQ_N_LOSSES];
  if (!vks_vqgan_trainer_step (r->tr, r->x, disc_factor, o->lr, losses, r->indices, NULL, error))
    return FALSE;
  for (int i = 0; i < VKS_VQ_N_LOSSES; i++)
    row[i] = losses[i];
  code_usage (r, step + 1, r->indices, r->n_codes, &row[COL_PERPLEXITY], &row[COL_DEAD]);
  return TRUE;
}

static gboolean
train (Run *r, GError **error)
{
  const Options *o = &r->o;
  int f = vks_vqgan_factor (&r->cfg.net);
  r->n_codes = (long) o->batch * (o->size / f) * (o->size / f);
  r->x = g_new (float, (size_t) o->batch * image_floats (r));
  r->indices = g_new (float, r->n_codes);
  int first;
  if (!resume (r, &first, error))
    return FALSE;
  g_print ("perceptual weight 0: no LPIPS in the engine, the reconstruction loss is L1 only\n");
  static const char *const shown[] = { "aeloss", "rec", "q", "disc", "perplexity", "dead" };
  static const int columns[] = { VKS_VQ_LOSS_AE, VKS_VQ_LOSS_NLL, VKS_VQ_LOSS_QUANT,
                                 VKS_VQ_LOSS_DISC, COL_PERPLEXITY, COL_DEAD };
  VksTrainLoop loop = { .run = r, .step = one_step, .samples = write_samples, .save = save,
                         .report = r->report, .out = o->out, .what = "model", .steps = o->steps,
                         .stop_after = o->stop_after, .sample_every = o->sample_every,
                         .print_every = o->print_every, .seed = o->seed, .lr = o->lr,
                         .shown = shown, .shown_columns = columns, .n_shown = G_N_ELEMENTS (shown),
                         .n_columns = N_COLUMNS };
  return vks_train_loop (&loop, first, error);
}

/* "1,2,4" into values (1 to VKS_VQGAN_MAX_LEVELS numbers from lo to hi); "" when allow_empty. */
static gboolean
parse_list (const char *s, gboolean allow_empty, int lo, int hi, int *values, int *n)
{
  *n = 0;
  if (*s == '\0')
    return allow_empty;
  g_auto (GStrv) parts = g_strsplit (s, ",", -1);
  for (int i = 0; parts[i] != NULL; i++) {
    guint64 v = 0;
    if (*n == VKS_VQGAN_MAX_LEVELS ||
        !g_ascii_string_to_unsigned (parts[i], 10, (guint64) lo, (guint64) hi, &v, NULL))
      return FALSE;
    values[(*n)++] = (int) v;
  }
  return TRUE;
}

static gboolean
parse (Options *o, VksVqganTrainConfig *cfg, int *argc, char ***argv, GError **error)
{
  *o = (Options) { .steps = 1000, .batch = 5, .size = 256, .ch = 128, .res_blocks = 2,
                   .z_channels = 256, .n_embed = 1024, .embed_dim = 256, .disc_ndf = 64,
                   .disc_layers = 3, .disc_start = 10000, .disc_weight = 0.8, .disc_factor = 1.0,
                   .codebook_weight = 1.0, .usage_window = 100, .print_every = 10 };
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o->data, "Folder of images", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out, "Output folder", "DIR" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &o->steps, "Training steps (1000)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "Batch size (5)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, "Adam's learning rate (4.5e-6 x batch)", "LR" },
    { "size", 0, 0, G_OPTION_ARG_INT, &o->size, "Image side, the model's resolution (256)",
      "N" },
    { "ch", 0, 0, G_OPTION_ARG_INT, &o->ch, "Base channels, a multiple of 32 (128)", "N" },
    { "ch-mult", 0, 0, G_OPTION_ARG_STRING, &o->ch_mult, "Channel multipliers (1,1,2,2,4)",
      "LIST" },
    { "res-blocks", 0, 0, G_OPTION_ARG_INT, &o->res_blocks, "Residual blocks per level (2)",
      "N" },
    { "attn", 0, 0, G_OPTION_ARG_STRING, &o->attn, "Attention resolutions (16; \"\": none)",
      "LIST" },
    { "z-channels", 0, 0, G_OPTION_ARG_INT, &o->z_channels, "z channels (256)", "N" },
    { "n-embed", 0, 0, G_OPTION_ARG_INT, &o->n_embed, "Codebook size (1024)", "N" },
    { "embed-dim", 0, 0, G_OPTION_ARG_INT, &o->embed_dim, "Code dimension (256)", "N" },
    { "disc-ndf", 0, 0, G_OPTION_ARG_INT, &o->disc_ndf, "Discriminator width (64)", "N" },
    { "disc-layers", 0, 0, G_OPTION_ARG_INT, &o->disc_layers, "Discriminator layers (3)", "N" },
    { "disc-start", 0, 0, G_OPTION_ARG_INT, &o->disc_start,
      "Step from which the GAN losses count (10000)", "N" },
    { "disc-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o->disc_weight, "Adaptive weight factor (0.8)",
      "W" },
    { "disc-factor", 0, 0, G_OPTION_ARG_DOUBLE, &o->disc_factor, "GAN loss factor (1)", "W" },
    { "codebook-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o->codebook_weight,
      "Codebook loss weight (1)", "W" },
    { "usage-window", 0, 0, G_OPTION_ARG_INT, &o->usage_window,
      "Steps without use after which a code counts as dead (100)", "N" },
    { "sample-every", 0, 0, G_OPTION_ARG_INT, &o->sample_every,
      "Reconstruction grids every N steps", "N" },
    { "print-every", 0, 0, G_OPTION_ARG_INT, &o->print_every, "Progress line every N steps (10)",
      "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &o->seed, "Random seed (0)", "S" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Continue from --out's saved state", NULL },
    /* tests: stop (and save) after that many steps of a longer run */
    { "stop-after", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->stop_after, NULL, "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (!vks_train_parse_options (entries, "vqgan", "- train a VQGAN", argc, argv, error))
    return FALSE;
  if (o->ch_mult == NULL)
    o->ch_mult = g_strdup ("1,1,2,2,4");
  if (o->attn == NULL)
    o->attn = g_strdup ("16");
  VksVqganConfig *net = &cfg->net;
  *cfg = (VksVqganTrainConfig) { .disc_ndf = o->disc_ndf, .disc_layers = o->disc_layers,
                                 .codebook_weight = (float) o->codebook_weight,
                                 .disc_weight = (float) o->disc_weight, .batch = o->batch,
                                 .size = o->size };
  *net = (VksVqganConfig) { .in_channels = 3, .out_ch = 3, .ch = o->ch, .resolution = o->size,
                            .z_channels = o->z_channels, .num_res_blocks = o->res_blocks,
                            .n_embed = o->n_embed, .embed_dim = o->embed_dim };
  gboolean mult_ok = parse_list (o->ch_mult, FALSE, 1, 64, net->ch_mult, &net->n_levels);
  gboolean attn_ok = parse_list (o->attn, TRUE, 1, 65536, net->attn_resolutions, &net->n_attn);
  int f = mult_ok ? 1 << (net->n_levels - 1) : 1;
  if (o->lr == 0)
    o->lr = LR_PER_IMAGE * o->batch;
  const char *bad = !o->data ? "--data is required"
                    : !o->out ? "--out is required"
                    : o->steps < 1 ? "--steps must be at least 1"
                    : o->batch < 1 || o->batch > 256 ? "--batch must be from 1 to 256"
                    : !mult_ok ? "--ch-mult must be 1 to 8 numbers from 1 to 64, like 1,2,4"
                    : !attn_ok ? "--attn must be a list of resolutions, like 16, or \"\""
                    : o->size < f || o->size % f || o->size > 1024
                      ? "--size must be a multiple of 2^(levels - 1) up to 1024"
                    : o->ch < 32 || o->ch % 32 || o->ch > 1024
                      ? "--ch must be a multiple of 32 (GroupNorm's groups) up to 1024"
                    : o->res_blocks < 1 || o->res_blocks > 16 ? "--res-blocks must be 1 to 16"
                    : o->z_channels < 1 || o->z_channels > 4096 ? "--z-channels must be 1 to 4096"
                    : o->n_embed < 2 || o->n_embed > 16384 ? "--n-embed must be 2 to 16384"
                    : o->embed_dim < 1 || o->embed_dim > 4096 ? "--embed-dim must be 1 to 4096"
                    : o->disc_ndf < 1 || o->disc_ndf > 1024 ? "--disc-ndf must be 1 to 1024"
                    : o->disc_layers < 0 || o->disc_layers > 8 ? "--disc-layers must be 0 to 8"
                    : o->disc_start < 0 ? "--disc-start must not be negative"
                    : !(o->lr > 0 && o->lr < 1) ? "--lr must be in (0, 1)"
                    : !(o->disc_weight >= 0) || !(o->disc_factor >= 0) ||
                      !(o->codebook_weight >= 0) ? "loss weights must not be negative"
                    : o->usage_window < 1 ? "--usage-window must be at least 1"
                    : o->print_every < 1 ? "--print-every must be at least 1"
                    : NULL;
  return vks_train_check_option (bad, error);
}

/* The sample grid's fixed images: the first ones of the folder, cropped by a fixed stream. */
static gboolean
pick_samples (Run *r, GError **error)
{
  r->n_samples = r->cfg.sample_count = (int) MIN ((guint) N_SAMPLES, vks_dataset_size (r->data));
  r->samples = g_new (float, (size_t) r->n_samples * image_floats (r));
  VksRng rng;
  vks_rng_init_stream (&rng, (guint64) r->o.seed, 0x5a3d1e);
  for (int i = 0; i < r->n_samples; i++)
    if (!vks_dataset_sample (r->data, i, r->o.size, FALSE, &rng,
                             r->samples + (size_t) i * image_floats (r), error))
      return FALSE;
  return TRUE;
}

static gboolean
init_weights (Run *r, GError **error)
{
  VksRng rng;
  vks_rng_init_stream (&rng, (guint64) r->o.seed, 0x7a11);
  return vks_vqgan_trainer_init (r->tr, vks_train_uniform, vks_train_normal, &rng, error);
}

int
vks_vqgan_train_main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  Run r = { 0 };
  if (!parse (&r.o, &r.cfg, &argc, &argv, &error)) {
    g_printerr ("vkstyle-train: %s\n", error->message);
    run_clear (&r);
    return 2;
  }
  vks_train_begin ();
  const char *names[N_COLUMNS];
  for (int i = 0; i < VKS_VQ_N_LOSSES; i++)
    names[i] = vks_vqgan_loss_names[i];
  names[COL_PERPLEXITY] = "perplexity";
  names[COL_DEAD] = "dead_codes";
  r.last_used = g_new0 (float, r.o.n_embed);
  gboolean ok = g_mkdir_with_parents (r.o.out, 0777) == 0 &&
                (r.data = vks_dataset_open (r.o.data, r.o.size, VKS_DATASET_DEFAULT_CACHE_BYTES,
                                            &error)) != NULL &&
                pick_samples (&r, &error) && (r.ctx = vks_context_new (NULL, &error)) != NULL &&
                (r.tr = vks_vqgan_trainer_new (r.ctx, &r.cfg, &error)) != NULL &&
                init_weights (&r, &error) &&
                (r.report = vks_report_new (r.o.out, names, N_COLUMNS, &error)) != NULL &&
                train (&r, &error);
  if (!ok && error == NULL)
    g_set_error (&error, VKS_ERROR, VKS_ERROR_IO, "cannot create %s", r.o.out);
  run_clear (&r);
  return vks_train_end (ok, error);
}
