/* The VQGAN's and the minGPT prior's training steps against PyTorch
 * (tests/fixtures/make_vqgan_train_fixture.py, made by test_vqtrain.sh in $VKSTYLE_VQTRAIN_FIXTURE):
 * after one and after two iterations the reported losses, the codes, and every parameter,
 * running statistic and Adam / AdamW moment. Comparing exp_avg (0.5 g after the first Adam step
 * with beta1 0.5) tests the gradients themselves, which the parameters alone would not: Adam's
 * first step moves each value by about lr sign(g) whatever g's size. */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/models/mingpt_step.h"
#include "engine/models/vqgan_step.h"
#include "tests/rig.h"

#define LR 1e-3
#define LOSS_TOL 2e-5          /* relative, float32 against float32 */

static VksCheckpoint *
load_fixture (const char *file)
{
  GError *error = NULL;
  const char *dir = g_getenv ("VKSTYLE_VQTRAIN_FIXTURE");
  g_assert_nonnull (dir);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  VksCheckpoint *ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

static const VksCheckpointTensor *
tensor (const VksCheckpoint *ckpt, const char *name)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, name);
  if (t == NULL)
    g_error ("fixture tensor %s is missing", name);
  return t;
}

static void
check_loss (const char *what, float got, float want)
{
  g_test_message ("%s %.7f, PyTorch %.7f", what, got, want);
  g_assert_cmpfloat (fabs ((double) got - want), <=, LOSS_TOL * (1 + fabs (want)));
}

static double
max_abs (const float *v, long n)
{
  double m = 0;
  for (long i = 0; i < n; i++)
    m = fmax (m, fabs (v[i]));
  return m;
}

/* The expected tensor "<pre><scope>.<kind>.<key>" of the state tensor "<scope>.param.<key>"
 * (NULL when PyTorch keeps no moments for it: a running statistic). */
static const VksCheckpointTensor *
moment_of (const VksCheckpoint *want, const char *pre, const char *param_name, const char *kind)
{
  const char *p = strstr (param_name, ".param.");
  g_autofree char *name = g_strdup_printf ("%s%.*s.%s.%s", pre, (int) (p - param_name),
                                           param_name, kind, p + 7);
  return vks_checkpoint_get_tensor (want, name);
}

/* The largest exp_avg_sq of the whole network after step s. A tensor whose largest is below
 * 1e-12 of it (1e-6 in gradient) has a true gradient of 0: what both sides hold is rounding. */
static double
network_top (const VksCheckpoint *want, int s)
{
  g_autofree char *pre = g_strdup_printf ("%d.", s);
  double top = 0;
  for (guint i = 0; i < vks_checkpoint_n_tensors (want); i++) {
    const VksCheckpointTensor *w = vks_checkpoint_tensor_at (want, i);
    if (g_str_has_prefix (w->name, pre) && strstr (w->name, ".exp_avg_sq.") != NULL)
      top = fmax (top, max_abs (w->data, w->n_elements));
  }
  return top;
}
#define ZERO_GRADIENT 1e-12

/* Per value of the state tensor param_name ("<scope>.param.<key>"): whether its gradient was
 * within rounding of 0 in any of the steps 1 .. k, sqrt(exp_avg_sq) below 1e-3 of its tensor's
 * largest (or the whole tensor's gradient 0, network_top). Adam's step divides
 * by it, so such a value moves by up to lr either way whatever the rounding; later steps carry
 * that difference along. All FALSE for tensors without moments (running statistics). */
static gboolean *
noisy_values (const VksCheckpoint *want, int k, const char *param_name, long n)
{
  gboolean *noisy = g_new0 (gboolean, n);
  for (int s = 1; s <= k; s++) {
    g_autofree char *pre = g_strdup_printf ("%d.", s);
    const VksCheckpointTensor *v = moment_of (want, pre, param_name, "exp_avg_sq");
    if (v == NULL)
      continue;
    double top = max_abs (v->data, v->n_elements);
    gboolean zero = top < ZERO_GRADIENT * network_top (want, s);
    for (long j = 0; j < n; j++)
      noisy[j] |= zero || v->data[j] < 1e-6 * top;
  }
  return noisy;
}

/* Every tensor of the saved state against PyTorch's "<k>.<name>".
 * Moments within moment_tol of the largest value of the same tensor. A tensor whose true
 * gradient is 0 (a convolution bias before a one-channel group norm, attention's key bias)
 * holds rounding noise on both sides (below 1e-6 of the network's largest): it is exempt, and
 * its values may differ by 2 k lr, as Adam's step g / (|g| + eps) moves each by up to lr
 * whichever sign the noise has.
 * Parameters within param_tol, except values whose gradient was within rounding of 0 in any
 * step so far (noisy_values): those too may differ by 2 k lr. */
static void
check_state (const VksCheckpoint *got, const VksCheckpoint *want, int k, double param_tol,
             double moment_tol)
{
  g_autofree char *pre = g_strdup_printf ("%d.", k);
  double global = network_top (want, k);
  double worst_param = 0, worst_moment = 0;
  const char *worst_param_name = "", *worst_moment_name = "";
  guint n = 0, n_zero = 0;
  long loose = 0;
  for (guint i = 0; i < vks_checkpoint_n_tensors (got); i++) {
    const VksCheckpointTensor *g = vks_checkpoint_tensor_at (got, i);
    g_autofree char *wn = g_strconcat (pre, g->name, NULL);
    const VksCheckpointTensor *w = tensor (want, wn);
    g_assert_cmpint (g->n_elements, ==, w->n_elements);
    n++;
    if (strstr (g->name, ".exp_avg") != NULL)
      continue;   /* with its parameter */
    const VksCheckpointTensor *v = moment_of (want, pre, g->name, "exp_avg_sq");
    double top = v != NULL ? max_abs (v->data, v->n_elements) : 0;
    gboolean zero_grad = v != NULL && top < ZERO_GRADIENT * global;
    n_zero += zero_grad;
    if (v != NULL && !zero_grad) {
      static const char *const kinds[2] = { "exp_avg", "exp_avg_sq" };
      for (int m = 0; m < 2; m++) {
        const char *p = strstr (g->name, ".param.");
        g_autofree char *gn = g_strdup_printf ("%.*s.%s.%s", (int) (p - g->name), g->name,
                                               kinds[m], p + 7);
        const VksCheckpointTensor *gm = vks_checkpoint_get_tensor (got, gn);
        const VksCheckpointTensor *wm = moment_of (want, pre, g->name, kinds[m]);
        g_assert_nonnull (gm);
        double e = 0;
        for (long j = 0; j < gm->n_elements; j++)
          e = fmax (e, fabs ((double) gm->data[j] - wm->data[j]));
        e /= max_abs (wm->data, wm->n_elements);
        if (e > worst_moment)
          worst_moment = e, worst_moment_name = wm->name;
      }
    }
    g_autofree gboolean *noisy = noisy_values (want, k, g->name, g->n_elements);
    for (long j = 0; j < g->n_elements; j++) {
      double e = fabs ((double) g->data[j] - w->data[j]);
      if (noisy[j]) {
        g_assert_cmpfloat (e, <=, 2 * k * LR * 1.01);
        loose++;
      } else if (e > worst_param) {
        worst_param = e, worst_param_name = g->name;
      }
    }
  }
  g_test_message ("iteration %d, %u tensors: parameters max |diff| %.2e (%s), moments %.2e of "
                  "their tensor's largest (%s); %u parameters with a zero gradient, %ld values "
                  "held to 2 k lr", k, n, worst_param, worst_param_name, worst_moment,
                  worst_moment_name, n_zero, loose);
  g_assert_cmpfloat (worst_param, <=, param_tol);
  g_assert_cmpfloat (worst_moment, <=, moment_tol);
}

static double
uniform (gpointer rng)
{
  return g_rand_double (rng);
}

/* Box-Muller from two of rng's uniforms */
static double
normal (gpointer rng)
{
  double u = 1.0 - g_rand_double (rng), v = g_rand_double (rng);
  return sqrt (-2 * log (u)) * cos (2 * G_PI * v);
}

/* every value of the tensor within [lo, hi] (plus float rounding), and not all equal unless
 * lo == hi */
static void
check_range (const VksCheckpoint *ckpt, const char *name, double lo, double hi)
{
  const VksCheckpointTensor *t = tensor (ckpt, name);
  double min = INFINITY, max = -INFINITY;
  for (long i = 0; i < t->n_elements; i++)
    min = fmin (min, t->data[i]), max = fmax (max, t->data[i]);
  g_test_message ("%s in [%.4g, %.4g]", name, min, max);
  g_assert_cmpfloat (min, >=, lo - 1e-6);
  g_assert_cmpfloat (max, <=, hi + 1e-6);
  if (lo != hi)
    g_assert_cmpfloat (max, >, min);
}

static void
test_vqgan_iterations (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) model = load_fixture ("vqtrain_model.safetensors");
  g_autoptr (VksCheckpoint) disc = load_fixture ("vqtrain_disc.safetensors");
  g_autoptr (VksCheckpoint) want = load_fixture ("vqtrain_expect.safetensors");
  VksVqganTrainConfig cfg = { .disc_ndf = 8, .disc_layers = 2, .codebook_weight = 1.0f,
                              .disc_weight = 1.0f, .batch = 2, .size = 16 };
  g_assert_true (vks_vqgan_check_checkpoint (model, &cfg.net, &error));
  g_autoptr (VksVqganTrainer) tr = vks_vqgan_trainer_new (test_context (), &cfg, &error);
  g_assert_no_error (error);
  g_assert_true (vks_vqgan_trainer_load_model (tr, model, &error));
  g_assert_true (vks_vqgan_trainer_load_discriminator (tr, disc, &error));
  g_assert_no_error (error);
  const float *x = tensor (want, "x")->data;
  for (int k = 1; k <= 2; k++) {
    float losses[VKS_VQ_N_LOSSES], indices[2 * 8 * 8];
    gint64 t0 = g_get_monotonic_time ();
    gboolean ok = vks_vqgan_trainer_step (tr, x, 1.0f, LR, losses, indices, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (ok);
    g_test_message ("iteration %d: %.0f ms", k, (g_get_monotonic_time () - t0) / 1e3);
    for (int i = 0; i < VKS_VQ_N_LOSSES; i++) {
      g_autofree char *name = g_strdup_printf ("%d.loss.%s", k, vks_vqgan_loss_names[i]);
      check_loss (name, losses[i], tensor (want, name)->data[0]);
    }
    g_autofree char *in = g_strdup_printf ("%d.indices", k);
    g_assert_cmpmem (indices, sizeof indices, tensor (want, in)->data, sizeof indices);
    g_autoptr (VksCheckpoint) got = vks_checkpoint_new ();
    g_assert_true (vks_vqgan_trainer_save_state (tr, got, &error));
    check_state (got, want, k, 5e-5, 1e-3);
  }
  /* fresh weights as taming's modules get them */
  GRand *rng = g_rand_new_with_seed (7);
  g_assert_true (vks_vqgan_trainer_init (tr, uniform, normal, rng, &error));
  g_rand_free (rng);
  g_autoptr (VksCheckpoint) fresh = vks_checkpoint_new ();
  g_assert_true (vks_vqgan_trainer_save_state (tr, fresh, &error));
  check_range (fresh, "ae.param.quantize.embedding.weight", -1.0 / 16, 1.0 / 16);
  check_range (fresh, "ae.param.encoder.conv_in.weight", -1 / sqrt (27), 1 / sqrt (27));
  check_range (fresh, "ae.param.decoder.conv_out.bias", -1 / sqrt (32 * 9), 1 / sqrt (32 * 9));
  check_range (fresh, "ae.param.encoder.norm_out.weight", 1, 1);
  check_range (fresh, "ae.param.encoder.norm_out.bias", 0, 0);
  check_range (fresh, "disc.param.loss.discriminator.main.0.weight", -0.2, 0.2);
  check_range (fresh, "disc.param.loss.discriminator.main.0.bias", -1 / sqrt (48), 1 / sqrt (48));
  check_range (fresh, "disc.param.loss.discriminator.main.3.weight", 0.8, 1.2);
  check_range (fresh, "disc.param.loss.discriminator.main.3.bias", 0, 0);
  check_range (fresh, "disc.param.loss.discriminator.main.3.running_var", 1, 1);
  check_range (fresh, "disc.param.loss.discriminator.main.3.running_mean", 0, 0);
  /* the trained autoencoder, as `vkstyle vq` loads it */
  g_autoptr (VksCheckpoint) saved = vks_checkpoint_new ();
  g_assert_true (vks_vqgan_trainer_save_model (tr, saved, &error));
  VksVqganConfig back;
  g_assert_true (vks_vqgan_check_checkpoint (saved, &back, &error));
  g_assert_no_error (error);
}

static void
test_mingpt_steps (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) model = load_fixture ("gpttrain_model.safetensors");
  g_autoptr (VksCheckpoint) want = load_fixture ("gpttrain_expect.safetensors");
  VksMinGptTrainConfig cfg = { .batch = 2, .length = 16 };
  g_assert_true (vks_mingpt_config_read (model, &cfg.net, &error));
  g_autoptr (VksMinGptTrainer) tr = vks_mingpt_trainer_new (test_context (), &cfg, &error);
  g_assert_no_error (error);
  g_assert_true (vks_mingpt_trainer_load_model (tr, model, &error));
  const float *codes = tensor (want, "codes")->data;
  for (int k = 1; k <= 2; k++) {
    float loss;
    gboolean ok = vks_mingpt_trainer_step (tr, codes, 0, LR, &loss, &error);
    g_assert_no_error (error);
    g_assert_true (ok);
    g_autofree char *name = g_strdup_printf ("%d.loss", k);
    check_loss (name, loss, tensor (want, name)->data[0]);
    g_autoptr (VksCheckpoint) got = vks_checkpoint_new ();
    g_assert_true (vks_mingpt_trainer_save_state (tr, got, &error));
    check_state (got, want, k, 5e-5, 1e-3);
  }
  GRand *rng = g_rand_new_with_seed (8);
  g_assert_true (vks_mingpt_trainer_init (tr, normal, rng, &error));
  g_rand_free (rng);
  g_autoptr (VksCheckpoint) fresh = vks_checkpoint_new ();
  g_assert_true (vks_mingpt_trainer_save_state (tr, fresh, &error));
  check_range (fresh, "gpt.param.tok_emb.weight", -0.2, 0.2);     /* N(0, 0.02) */
  check_range (fresh, "gpt.param.blocks.0.attn.key.weight", -0.2, 0.2);
  check_range (fresh, "gpt.param.blocks.0.attn.key.bias", 0, 0);
  check_range (fresh, "gpt.param.blocks.1.ln2.weight", 1, 1);
  check_range (fresh, "gpt.param.pos_emb", 0, 0);
  g_autoptr (VksCheckpoint) saved = vks_checkpoint_new ();
  g_assert_true (vks_mingpt_trainer_save_model (tr, 0, saved, &error));
  VksMinGptConfig back;
  g_assert_true (vks_mingpt_config_read (saved, &back, &error));
  g_assert_cmpint (back.vocab_size, ==, 16);
}

/* bad input is refused with an error, not a crash */
static void
test_refused (void)
{
  GError *error = NULL;
  VksVqganTrainConfig cfg = { .disc_ndf = 8, .disc_layers = 3, .batch = 2, .size = 16 };
  g_autoptr (VksCheckpoint) model = load_fixture ("vqtrain_model.safetensors");
  g_assert_true (vks_vqgan_check_checkpoint (model, &cfg.net, &error));
  g_assert_null (vks_vqgan_trainer_new (test_context (), &cfg, &error));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  VksMinGptTrainConfig gc = { .net = { 16, 8, 1, 1, 32 }, .batch = 1, .length = 9 };
  g_assert_null (vks_mingpt_trainer_new (test_context (), &gc, &error));
  g_clear_error (&error);
  gc.length = 4;
  g_autoptr (VksMinGptTrainer) tr = vks_mingpt_trainer_new (test_context (), &gc, &error);
  g_assert_no_error (error);
  float codes[4] = { 1, 2, 16, 3 };
  g_assert_false (vks_mingpt_trainer_step (tr, codes, 0, LR, NULL, &error));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vqtrain/vqgan-iterations", test_vqgan_iterations);
  g_test_add_func ("/vqtrain/mingpt-steps", test_mingpt_steps);
  g_test_add_func ("/vqtrain/refused", test_refused);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
