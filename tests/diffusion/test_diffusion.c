/* The context U-Net and the DDPM / DDIM samplers against PyTorch (tests/fixtures/
 * make_diffusion_fixture.py, tools/diffusion_torch.py): the network with and without context,
 * DDIM from a given x_T (plain, with context, with classifier-free guidance) equal to the seed's
 * sample_ddim, DDPM with given noises, cancel from the progress callback, and hostile
 * checkpoints (missing, extra and misshapen tensors, absurd metadata, files that are not
 * checkpoints). */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "engine/error.h"
#include "engine/models/diffusion.h"
#include "engine/models/diffusion_step.h"
#include "tests/rig.h"

#define NET_TOL 1e-4           /* float32 network vs PyTorch's float32 */
#define PIXEL_TOL (2.0 / 255)  /* samples, after mapping [-1, 1] to [0, 1] */

static VksCheckpoint *
load_fixture (const char *file)
{
  GError *error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", file, NULL);
  VksCheckpoint *ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

static const float *
io (const char *name, gint64 n_elements)
{
  static VksCheckpoint *ckpt;
  if (ckpt == NULL)
    ckpt = load_fixture ("diffusion_unet16_io.safetensors");
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, name);
  if (t == NULL)
    g_error ("fixture tensor %s is missing", name);
  g_assert_cmpint (t->n_elements, ==, n_elements);
  return t->data;
}

static VksDiffusionModel *
load_model (void)
{
  GError *error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "diffusion_unet16.safetensors", NULL);
  VksDiffusionModel *m = vks_diffusion_model_load (test_context (), path, &error);
  g_assert_no_error (error);
  return m;
}

#define N 2
#define IMG (3 * 16 * 16)

static double
max_abs (const float *a, const float *b, long n)
{
  double m = 0.0;
  for (long i = 0; i < n; i++)
    m = fmax (m, fabs ((double) a[i] - b[i]));
  return m;
}

static void
check_net (const char *want, gboolean context, gboolean zeros)
{
  GError *error = NULL;
  g_autoptr (VksDiffusionModel) m = load_model ();
  float eps[N * IMG], zero[N * 5] = { 0 };
  const float *c = context ? io ("c", N * 5) : zeros ? zero : NULL;
  gboolean ok = vks_diffusion_predict (m, N, io ("x", N * IMG), io ("t", N), c, eps, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  double err = max_abs (eps, io (want, N * IMG), N * IMG);
  g_test_message ("%s: max |diff| vs PyTorch %.2e", want, err);
  g_assert_cmpfloat (err, <=, NET_TOL);
}

static void
test_forward_context (void)
{
  check_net ("eps_c", TRUE, FALSE);
}

static void
test_forward_none (void)
{
  check_net ("eps_none", FALSE, FALSE);
}

/* the course's c=None is a zero context */
static void
test_forward_zero_context (void)
{
  check_net ("eps_none", FALSE, TRUE);
}

static int progress_calls;

static gboolean
count_steps (int step, int n_steps, gpointer data)
{
  progress_calls++;
  g_assert_cmpint (step, ==, progress_calls);
  g_assert_cmpint (n_steps, ==, GPOINTER_TO_INT (data));
  return TRUE;
}

static void
check_samples (const float *got, const char *want, int n)
{
  const float *w = io (want, (gint64) n * IMG);
  double err = max_abs (got, w, (long) n * IMG), pixel = 0.0;
  for (long i = 0; i < (long) n * IMG; i++)
    pixel = fmax (pixel, fabs (CLAMP ((got[i] + 1) / 2, 0, 1) - CLAMP ((w[i] + 1) / 2, 0, 1)));
  g_test_message ("%s: max |diff| %.2e, in pixels %.3f/255", want, err, pixel * 255);
  g_assert_cmpfloat (pixel, <=, PIXEL_TOL);
}

static void
run_ddim (const char *want, gboolean context, double guidance)
{
  GError *error = NULL;
  g_autoptr (VksDiffusionModel) m = load_model ();
  float x[N * IMG];
  memcpy (x, io ("xT", N * IMG), sizeof x);
  VksSampleOptions o = {
    .sampler = VKS_SAMPLER_DDIM, .steps = 10, .context = context ? io ("c", N * 5) : NULL,
    .guidance = guidance, .progress = count_steps, .user_data = GINT_TO_POINTER (10),
  };
  g_assert_cmpint (vks_diffusion_n_steps (m, &o), ==, 10);
  progress_calls = 0;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = vks_diffusion_sample (m, N, x, &o, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_test_message ("%s: %.1f ms per step (%d images)", want,
                  (g_get_monotonic_time () - t0) / 1e3 / 10, N);
  g_assert_cmpint (progress_calls, ==, 10);
  check_samples (x, want, N);
}

static void
test_ddim (void)
{
  run_ddim ("ddim", FALSE, 0.0);
}

static void
test_ddim_context (void)
{
  run_ddim ("ddim_c", TRUE, 0.0);
}

static void
test_ddim_guided (void)
{
  run_ddim ("ddim_g", TRUE, 2.0);
}

/* the fixture's z of timestep t: row T - t */
static void
given_noise (int t, int n, float *z, gpointer data)
{
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpint (t, >=, 2);
  memcpy (z, (const float *) data + (size_t) (50 - t) * IMG, sizeof (float) * IMG);
}

static void
test_ddpm (void)
{
  GError *error = NULL;
  g_autoptr (VksDiffusionModel) m = load_model ();
  g_assert_cmpint (vks_diffusion_model_config (m)->timesteps, ==, 50);
  float x[IMG];
  memcpy (x, io ("xT", N * IMG), sizeof x);
  VksSampleOptions o = {
    .sampler = VKS_SAMPLER_DDPM, .context = io ("c", N * 5), .noise = given_noise,
    .noise_data = (gpointer) io ("ddpm_noise", 49 * IMG),
  };
  g_assert_cmpint (vks_diffusion_n_steps (m, &o), ==, 50);
  gboolean ok = vks_diffusion_sample (m, 1, x, &o, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  check_samples (x, "ddpm_c", 1);
}

static gboolean
stop_at_3 (int step, int n_steps, gpointer data)
{
  (void) n_steps;
  (void) data;
  return step < 3;
}

static void
test_cancel (void)
{
  GError *error = NULL;
  g_autoptr (VksDiffusionModel) m = load_model ();
  float x[IMG];
  vks_diffusion_initial_noise (vks_diffusion_model_config (m), 7, 0, 1, x);
  VksSampleOptions o = { .sampler = VKS_SAMPLER_DDPM, .seed = 7, .progress = stop_at_3 };
  g_assert_false (vks_diffusion_sample (m, 1, x, &o, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* the model stays usable */
  o.progress = NULL;
  o.sampler = VKS_SAMPLER_DDIM;
  o.steps = 5;
  gboolean ok = vks_diffusion_sample (m, 1, x, &o, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* seeded noise: image i of a batch is image i of any batch */
static void
test_noise_streams (void)
{
  VksUnetConfig cfg;
  vks_unet_config_default (&cfg);
  g_autofree float *a = g_new (float, 3 * IMG), *b = g_new (float, IMG);
  vks_diffusion_initial_noise (&cfg, 42, 0, 3, a);
  vks_diffusion_initial_noise (&cfg, 42, 2, 1, b);
  g_assert_cmpmem (a + 2 * IMG, sizeof (float) * IMG, b, sizeof (float) * IMG);
}

/* One training step (train-mode batch norm, MSE on the noise, Adam) against PyTorch's: the
 * loss, every parameter and running statistic after the update. */
static void
test_train_step (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) init = load_fixture ("diffusion_unet16.safetensors");
  g_autoptr (VksCheckpoint) want = load_fixture ("diffusion_unet16_step.safetensors");
  VksUnetConfig cfg;
  g_assert_true (vks_unet_config_from_checkpoint (init, &cfg, &error));
  g_autoptr (VksDiffusionTrainer) tr = vks_diffusion_trainer_new (test_context (), &cfg, 4,
                                                                  &error);
  g_assert_no_error (error);
  g_assert_true (vks_diffusion_trainer_load (tr, init, &error));
  const VksCheckpointTensor *tt = vks_checkpoint_get_tensor (want, "t");
  int t[4];
  for (int i = 0; i < 4; i++)
    t[i] = (int) tt->data[i];
  float loss;
  gboolean ok = vks_diffusion_trainer_step (
    tr, vks_checkpoint_get_tensor (want, "x0")->data,
    vks_checkpoint_get_tensor (want, "noise")->data, t,
    vks_checkpoint_get_tensor (want, "c")->data, 1e-3, &loss, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  float want_loss = vks_checkpoint_get_tensor (want, "loss")->data[0];
  g_test_message ("loss %.7f, PyTorch %.7f", loss, want_loss);
  g_assert_cmpfloat (fabs (loss - want_loss), <=, 1e-5 * (1 + fabs (want_loss)));
  g_autoptr (VksCheckpoint) got = vks_checkpoint_new ();
  g_assert_true (vks_diffusion_trainer_save (tr, got, &error));
  double worst = 0.0;
  const char *worst_name = "";
  guint n = 0, n_noise = 0;
  for (guint i = 0; i < vks_checkpoint_n_tensors (want); i++) {
    const VksCheckpointTensor *w = vks_checkpoint_tensor_at (want, i);
    if (!g_str_has_prefix (w->name, "after."))
      continue;
    const VksCheckpointTensor *g = vks_checkpoint_get_tensor (got, w->name + 6);
    g_assert_nonnull (g);
    g_assert_cmpint (g->n_elements, ==, w->n_elements);
    double e = max_abs (g->data, w->data, w->n_elements);
    /* A convolution's bias before a train-mode batch norm has a true gradient of 0 (the norm
     * subtracts the batch mean): both sides hold rounding noise of ~1e-9, which Adam's first
     * step, g / (sqrt(g^2) + eps), turns into moves of up to lr either way. Within lr of
     * PyTorch's is all that can be asked there. */
    if (g_str_has_suffix (w->name, ".0.bias") && strstr (w->name, ".conv") != NULL) {
      g_assert_cmpfloat (e, <=, 2e-3 + 1e-6);
      n_noise++;
      continue;
    }
    if (e > worst) {
      worst = e;
      worst_name = w->name + 6;
    }
    n++;
  }
  g_assert_cmpuint (n + n_noise, ==, vks_checkpoint_n_tensors (got));
  g_test_message ("%u tensors after one Adam step: max |diff| %.2e (%s); %u biases before a "
                  "batch norm within lr", n, worst, worst_name, n_noise);
  /* Adam's first step moves each entry by lr g / (|g| + eps): where |g| is near eps (the time
   * embedding's, ~1e-8) float rounding of g shows at a few percent of lr */
  g_assert_cmpfloat (worst, <=, 5e-5);
}

/* variations in tiles: strength 0 returns the image, a real one stays in range, too small is
 * refused */
static void
test_vary_tiles (void)
{
  GError *error = NULL;
  g_autoptr (VksDiffusionModel) m = load_model ();
  int w = 24, h = 20;
  g_autofree float *rgb = g_new (float, w * h * 3), *out = g_new (float, w * h * 3);
  GRand *rng = g_rand_new_with_seed (5);
  for (int i = 0; i < w * h * 3; i++)
    rgb[i] = (float) g_rand_double (rng);
  g_rand_free (rng);
  g_assert_true (vks_diffusion_vary (m, rgb, w, h, 0.0, 5, NULL, 1, NULL, NULL, out, &error));
  g_assert_cmpfloat (max_abs (out, rgb, w * h * 3), <=, 1e-6);
  g_assert_true (vks_diffusion_vary (m, rgb, w, h, 0.4, 4, io ("c", N * 5), 1, NULL, NULL, out,
                                     &error));
  g_assert_no_error (error);
  double moved = max_abs (out, rgb, w * h * 3);
  g_test_message ("strength 0.4 in 2x2 tiles: max change %.3f", moved);
  g_assert_cmpfloat (moved, >, 0.01);
  for (int i = 0; i < w * h * 3; i++)
    g_assert_true (out[i] >= 0.0f && out[i] <= 1.0f);
  g_assert_false (vks_diffusion_vary (m, rgb, 15, 20, 0.4, 4, NULL, 1, NULL, NULL, out, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
}

/* ---- hostile checkpoints ---- */

/* The fixture model with `drop` left out, `reshape` given a wrong shape, `extra` added and one
 * metadata key changed (each may be NULL). */
static VksCheckpoint *
altered (const char *drop, const char *reshape, const char *extra, const char *key,
         const char *value)
{
  g_autoptr (VksCheckpoint) src = load_fixture ("diffusion_unet16.safetensors");
  VksCheckpoint *ckpt = vks_checkpoint_new ();
  g_autofree const char **keys = vks_checkpoint_metadata_keys (src);
  for (int i = 0; keys[i] != NULL; i++)
    vks_checkpoint_set_metadata (ckpt, keys[i], vks_checkpoint_get_metadata (src, keys[i]));
  if (key != NULL)
    vks_checkpoint_set_metadata (ckpt, key, value);
  for (guint i = 0; i < vks_checkpoint_n_tensors (src); i++) {
    const VksCheckpointTensor *t = vks_checkpoint_tensor_at (src, i);
    if (drop != NULL && strcmp (t->name, drop) == 0)
      continue;
    if (reshape != NULL && strcmp (t->name, reshape) == 0) {
      int64_t shape[1] = { t->n_elements };
      vks_checkpoint_add_tensor (ckpt, t->name, 1, shape, t->data);
      continue;
    }
    vks_checkpoint_add_tensor (ckpt, t->name, t->ndim, t->shape, t->data);
  }
  if (extra != NULL) {
    int64_t shape[1] = { 4 };
    vks_checkpoint_add_tensor (ckpt, extra, 1, shape, NULL);
  }
  return ckpt;
}

static void
expect_refused (VksCheckpoint *ckpt, const char *words)
{
  GError *error = NULL;
  g_autoptr (VksDiffusionModel) m = vks_diffusion_model_new (test_context (), ckpt, &error);
  g_assert_null (m);
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("refused: %s", error->message);
  if (strstr (error->message, words) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", error->message, words);
  g_error_free (error);
  vks_checkpoint_free (ckpt);
}

static void
test_hostile (void)
{
  expect_refused (altered ("init_conv.shortcut.weight", NULL, NULL, NULL, NULL),
                  "init_conv.shortcut.weight");
  expect_refused (altered (NULL, "up0.0.weight", NULL, NULL, NULL), "up0.0.weight");
  expect_refused (altered (NULL, NULL, "init_conv.conv1.1.num_batches_tracked", NULL, NULL),
                  "num_batches_tracked");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.arch", "dcgan"), "context_unet");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.n_feat", "12"), "multiple of 8");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.n_feat", "32"), "shape");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.height", "18"), "height");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.height", "99999999"), "height");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.n_cfeat", "0"), "n_cfeat");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.timesteps", "-5"), "timesteps");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.beta1", "2"), "beta1");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.beta2", "nan"), "beta2");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.beta1", "0.5"), "above");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.classes", "a,b"), "names 2 classes");
  expect_refused (altered (NULL, NULL, NULL, "vkstyle.classes", "a,b,a,c,d"), "twice");

  /* files that are not checkpoints */
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vks-diffusion-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "junk.safetensors", NULL);
  g_assert_true (g_file_set_contents (path, "\x10\0\0\0\0\0\0\0{\"a\":", 13, NULL));
  g_assert_null (vks_diffusion_model_load (test_context (), path, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "junk.safetensors"));
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
  g_unlink (path);
  g_rmdir (dir);
  g_autofree char *gan = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                "texture_dcgan32.safetensors", NULL);
  g_assert_null (vks_diffusion_model_load (test_context (), gan, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/diffusion/forward/context", test_forward_context);
  g_test_add_func ("/diffusion/forward/none", test_forward_none);
  g_test_add_func ("/diffusion/forward/zero-context", test_forward_zero_context);
  g_test_add_func ("/diffusion/ddim", test_ddim);
  g_test_add_func ("/diffusion/ddim/context", test_ddim_context);
  g_test_add_func ("/diffusion/ddim/guided", test_ddim_guided);
  g_test_add_func ("/diffusion/ddpm", test_ddpm);
  g_test_add_func ("/diffusion/cancel", test_cancel);
  g_test_add_func ("/diffusion/noise-streams", test_noise_streams);
  g_test_add_func ("/diffusion/hostile", test_hostile);
  g_test_add_func ("/diffusion/train-step", test_train_step);
  g_test_add_func ("/diffusion/vary-tiles", test_vary_tiles);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
