/* FID / KID of the generator during training (see gan_eval.h). */
#include "trainer/gan_eval.h"

#include "engine/error.h"
#include "trainer/gan_latents.h"
#include "engine/metrics.h"
#include "engine/models/inception.h"
#include "engine/texture.h"
#include "tools/image_folder.h"
#include "tools/image_io.h"
#include "trainer/eval_log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define IMAGE_FLOATS ((size_t) 3 * VKS_INCEPTION_SIZE * VKS_INCEPTION_SIZE)

struct VksGanEval {
  VksGanConfig net;
  VksGanEvalOptions o;
  char *fakes_dir;
  VksInception *inception;
  float *batch;                /* VKS_GAN_EVAL_BATCH prepared images */
  int n_real;
  float *real;                 /* [n_real][2048] */
  double *real_mean, *real_cov;
  float *fake;                 /* [count][2048] */
  float *z;                    /* the fixed latents, whole sample batches */
  float *generated;            /* one sample batch [sample_count][nc][s][s] */
  float *rgb;                  /* one image, packed R'G'B' */
  VksEvalLog *log;             /* vks_gan_eval_attach's */
  guint64 every;
};

void
vks_gan_eval_free (VksGanEval *ev)
{
  if (!ev)
    return;
  vks_inception_free (ev->inception);
  vks_eval_log_free (ev->log);
  g_free (ev->fakes_dir);
  g_free (ev->batch);
  g_free (ev->real);
  g_free (ev->real_mean);
  g_free (ev->real_cov);
  g_free (ev->fake);
  g_free (ev->z);
  g_free (ev->generated);
  g_free (ev->rgb);
  g_free (ev);
}

guint
vks_gan_eval_n_real (const VksGanEval *ev)
{
  return (guint) ev->n_real;
}

/* Runs the prepared images batch[0..n) and writes their features at out. */
static gboolean
run_batch (VksGanEval *ev, int n, float *out, GError **error)
{
  return vks_inception_run (ev->inception, ev->batch, n, out, NULL, error);
}

static gboolean
real_features (VksGanEval *ev, GPtrArray *files, GError **error)
{
  const int batch = vks_inception_batch (ev->inception);
  for (int start = 0; start < ev->n_real; start += batch) {
    int n = MIN (batch, ev->n_real - start);
    for (int i = 0; i < n; i++) {
      g_autoptr (VksImage) image = vks_image_load (g_ptr_array_index (files, start + i), error);
      if (!image)
        return FALSE;
      /* as `vkstyle metrics` takes a file: R'G'B' as loaded, alpha dropped */
      vks_inception_prepare_image (image->rgb, image->width, image->height,
                                   ev->batch + i * IMAGE_FLOATS);
    }
    if (!run_batch (ev, n, ev->real + (size_t) start * VKS_INCEPTION_FEATURES, error))
      return FALSE;
  }
  vks_feature_statistics (ev->real, ev->n_real, VKS_INCEPTION_FEATURES, ev->real_mean,
                          ev->real_cov);
  return TRUE;
}

VksGanEval *
vks_gan_eval_new (VksContext *ctx, const VksGanConfig *net, const VksGanEvalOptions *opts,
                  GError **error)
{
  g_return_val_if_fail (opts->count >= 2 && opts->sample_count >= 1, NULL);
  /* cheap checks first: the folder, then the network file's kind */
  g_autoptr (GPtrArray) files = vks_image_folder_list (opts->real_dir, error);
  if (!files) {
    g_prefix_error (error, "--eval-real: ");
    return NULL;
  }
  if (files->len < 2) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "--eval-real: FID needs at least 2 real "
                 "images, %s has %u", opts->real_dir, files->len);
    return NULL;
  }
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (opts->inception, error);
  if (!ckpt) {
    g_prefix_error (error, "--inception: ");   /* the message names the file */
    return NULL;
  }
  if (!vks_inception_check_checkpoint (ckpt, error)) {
    g_prefix_error (error, "--inception %s: ", opts->inception);
    return NULL;
  }
  g_autoptr (VksGanEval) ev = g_new0 (VksGanEval, 1);
  ev->net = *net;
  ev->o = *opts;
  ev->fakes_dir = g_strdup (opts->fakes_dir);
  ev->o.fakes_dir = ev->fakes_dir;
  ev->o.real_dir = ev->o.inception = NULL;   /* not kept: the caller's strings */
  ev->n_real = (int) files->len;
  ev->inception = vks_inception_new (ctx, ckpt, MIN (VKS_GAN_EVAL_BATCH,
                                                     MAX (ev->n_real, opts->count)), error);
  if (!ev->inception) {
    g_prefix_error (error, "--inception %s: ", opts->inception);
    return NULL;
  }
  const int d = VKS_INCEPTION_FEATURES, s = net->image_size;
  const int chunks = (opts->count + opts->sample_count - 1) / opts->sample_count;
  ev->batch = g_try_new (float, IMAGE_FLOATS * vks_inception_batch (ev->inception));
  ev->real = g_try_new (float, (size_t) ev->n_real * d);
  ev->real_mean = g_try_new (double, d);
  ev->real_cov = g_try_new (double, (size_t) d * d);
  ev->fake = g_try_new (float, (size_t) opts->count * d);
  ev->z = g_try_new (float, (size_t) chunks * opts->sample_count * vks_gan_latent_size (net));
  ev->generated = g_try_new (float, (size_t) opts->sample_count * net->nc * s * s);
  ev->rgb = g_try_new (float, (size_t) 3 * s * s);
  if (!ev->batch || !ev->real || !ev->real_mean || !ev->real_cov || !ev->fake || !ev->z ||
      !ev->generated || !ev->rgb) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "not enough memory for the "
                 "features of %d real and %d generated images", ev->n_real, opts->count);
    return NULL;
  }
  /* Latent i depends only on the seed and i: the same noise (and InfoGAN codes, drawn as in
   * training) at every evaluation. */
  vks_gan_draw_latents (net, opts->seed, opts->seed, chunks * opts->sample_count, ev->z);
  g_print ("eval: Inception features of %d real images in %s\n", ev->n_real, opts->real_dir);
  if (!real_features (ev, files, error))
    return NULL;
  return g_steal_pointer (&ev);
}

/* [-1, 1] -> 8 bits, as the sample grids round (trainer/report_grid.c); NaN -> 0 */
static guint8
to_byte (float v)
{
  float t = (v + 1.0f) * 127.5f;
  return t > 0.0f ? (t < 255.0f ? (guint8) lrintf (t) : 255) : 0;
}

/* Image i of the generated batch as the packed R'G'B' a PNG of it loads back as. */
static void
quantize (const VksGanEval *ev, int i, float *rgb)
{
  const int s = ev->net.image_size, nc = ev->net.nc;
  const float *chw = ev->generated + (size_t) i * nc * s * s;
  for (int p = 0; p < s * s; p++)
    for (int c = 0; c < 3; c++)
      rgb[p * 3 + c] = (float) (to_byte (chw[(size_t) (c < nc ? c : 0) * s * s + p]) / 255.0);
}

static gboolean
save_fake (const VksGanEval *ev, const char *folder, int i, GError **error)
{
  const int s = ev->net.image_size;
  g_autoptr (VksImage) image = vks_image_new (s, s, babl_format ("R'G'B' u8"), error);
  if (!image)
    return FALSE;
  memcpy (image->rgb, ev->rgb, (size_t) 3 * s * s * sizeof (float));
  g_autofree char *name = g_strdup_printf ("%05d.png", i);
  g_autofree char *path = g_build_filename (folder, name, NULL);
  return vks_image_save (image, path, error);
}

gboolean
vks_gan_eval_run (VksGanEval *ev, VksGanTrainer *tr, guint64 step, double *fid, double *kid,
                  double *kid_std, GError **error)
{
  const int count = ev->o.count, chunk = ev->o.sample_count;
  const int batch = vks_inception_batch (ev->inception), latent = vks_gan_latent_size (&ev->net);
  g_autofree char *folder = NULL;
  if (ev->fakes_dir) {
    g_autofree char *name = g_strdup_printf ("step_%06" G_GUINT64_FORMAT, step);
    folder = g_build_filename (ev->fakes_dir, name, NULL);
    if (g_mkdir_with_parents (folder, 0755) != 0) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "cannot create %s: %s", folder,
                   g_strerror (errno));
      return FALSE;
    }
  }
  for (int i = 0; i < count; i++) {
    if (i % chunk == 0 &&
        !vks_gan_trainer_sample (tr, ev->z + (size_t) i * latent, ev->generated, error))
      return FALSE;
    quantize (ev, i % chunk, ev->rgb);
    if (folder && !save_fake (ev, folder, i, error))
      return FALSE;
    vks_inception_prepare_image (ev->rgb, ev->net.image_size, ev->net.image_size,
                                 ev->batch + (i % batch) * IMAGE_FLOATS);
    if ((i % batch == batch - 1 || i == count - 1) &&
        !run_batch (ev, i % batch + 1,
                    ev->fake + (size_t) (i - i % batch) * VKS_INCEPTION_FEATURES, error))
      return FALSE;
  }
  const int d = VKS_INCEPTION_FEATURES;
  g_autofree double *mean = g_try_new (double, d);
  g_autofree double *cov = g_try_new (double, (size_t) d * d);
  if (!mean || !cov) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "not enough memory for FID");
    return FALSE;
  }
  /* vks_fid (real, fake) with the real statistics computed once */
  vks_feature_statistics (ev->fake, count, d, mean, cov);
  VksKidOptions kid_options;
  vks_kid_options_default (&kid_options);
  return vks_frechet_distance (ev->real_mean, ev->real_cov, mean, cov, d, fid, error) &&
         vks_kid (ev->real, ev->n_real, ev->fake, count, d, &kid_options, kid, kid_std, error);
}

/* ---- the trainer's hooks ---- */

gboolean
vks_gan_eval_start (VksGanEval **ev, VksContext *ctx, const VksGanConfig *net,
                    const VksGanOptions *o, int sample_count, GError **error)
{
  *ev = NULL;
  if (o->eval_real == NULL)
    return TRUE;
  /* one seed for the run, apart from the training noise's streams */
  VksGanEvalOptions eo = { o->eval_real, o->inception, o->eval_fakes, o->eval_count,
                           (guint64) o->seed ^ G_GUINT64_CONSTANT (0x6576616c75617465),
                           sample_count };
  *ev = vks_gan_eval_new (ctx, net, &eo, error);
  if (*ev)
    (*ev)->every = (guint64) o->eval_every;
  return *ev != NULL;
}

gboolean
vks_gan_eval_attach (VksGanEval *ev, VksReport *report, const char *out_dir, gboolean resume,
                     guint64 resumed_step, GError **error)
{
  if (!ev)
    return TRUE;
  ev->log = vks_eval_log_new (out_dir);
  vks_report_add_figure (report, "FID and KID", "metrics.png", "metrics.csv");
  return !resume || vks_eval_log_resume (ev->log, resumed_step, error);
}

gboolean
vks_gan_eval_step (VksGanEval *ev, VksGanTrainer *tr, guint64 step, gboolean final,
                   GError **error)
{
  if (!ev || (step % ev->every != 0 && !final))
    return TRUE;
  double fid, kid, kid_std;
  gint64 start = g_get_monotonic_time ();
  if (!vks_gan_eval_run (ev, tr, step, &fid, &kid, &kid_std, error)) {
    g_prefix_error (error, "evaluation at step %" G_GUINT64_FORMAT ": ", step);
    return FALSE;
  }
  g_print ("eval step %" G_GUINT64_FORMAT " fid %.4f kid %.6f (std %.6f) %d images %.1f s\n",
           step, fid, kid, kid_std, ev->o.count, (g_get_monotonic_time () - start) / 1e6);
  return vks_eval_log_append (ev->log, step, fid, kid, kid_std, error);
}
