/* Two StarGAN v2 training iterations (engine/models/stargan2_train.h) against the reference's
 * compute_d_loss / compute_g_loss / Adam / moving_average loop in float64 PyTorch
 * (tests/fixtures/make_stargan2_train_fixture.py): the 14 logged losses of each iteration (R1
 * included), every parameter of the four networks and the three averages after each iteration.
 * (A resumed run's bits: tests/stargan2train/test_train_stargan2.sh.) */
#include <float.h>
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/models/stargan2_train.h"
#include "engine/nn/param_store.h"
#include "tests/nn/graph_check.h"
#include "tests/rig.h"

/* float32 against float64: each loss relatively */
#define LOSS_TOL 2e-4
/* Parameters and averages, per tensor, in units of what the iteration changed (tensor_error):
 * every element within UPDATE_TOL of it. The generator's are looser, for a reason of the
 * reference's own: its diversity loss mean |G(x, s) - G(x, s2)| takes the sign of differences
 * that are below 1e-4 at a few of the 6144 pixels, where float32's forward error (~1e-5) can
 * flip them; each flip moves the generator's gradient by ~2% (one pixel of a sum of 6144 signs),
 * and Adam's first steps are near lr sign(g), so an element whose gradient is near zero moves by
 * up to 2 lr (the style encoder, which sees those images, moves by up to 0.6% more than float32
 * alone explains). So: at most OUTLIER_FRACTION of each generator tensor's elements (at least one)
 * beyond LOOSE_TOL of its change and every element within FLIP_TOL of it. */
#define UPDATE_TOL 1e-2
#define LOOSE_TOL 5e-2
#define OUTLIER_FRACTION 0.02
#define FLIP_TOL 2.2

typedef struct {
  VksCheckpoint *ck;
  VksStarGan2TrainOptions o;
} Fixture;

static const VksCheckpointTensor *
tensor (const VksCheckpoint *ck, const char *prefix, const char *name)
{
  g_autofree char *full = g_strconcat (prefix, name, NULL);
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ck, full);
  if (t == NULL)
    g_error ("the fixture has no tensor %s", full);
  return t;
}

static void
fixture_init (Fixture *f)
{
  f->ck = graph_check_load_fixture ("stargan2_train.safetensors");
  VksStarGan2StepConfig step = { .batch = 2, .lambda_reg = 1, .lambda_sty = 1, .lambda_cyc = 1 };
  GError *error = NULL;
  g_assert_true (vks_stargan2_config_from_checkpoint (f->ck, &step.net, &error));
  g_assert_no_error (error);
  vks_stargan2_train_options_default (&f->o, &step);
}

static VksStarGan2Trainer *
trainer_new (Fixture *f)
{
  GError *error = NULL;
  VksStarGan2Trainer *tr = vks_stargan2_trainer_new (test_context (), &f->o, &error);
  g_assert_no_error (error);
  g_assert_true (vks_stargan2_trainer_load_params (tr, f->ck, &error));
  g_assert_true (vks_stargan2_trainer_load_ema (tr, f->ck, "init.", &error));
  g_assert_no_error (error);
  return tr;
}

static double
iterate (VksStarGan2Trainer *tr, const VksCheckpoint *ck, int it, float losses[VKS_SG2_N_LOSSES])
{
  g_autofree char *pre = g_strdup_printf ("it%d.", it);
  int y_org[2], y_trg[2];
  for (int i = 0; i < 2; i++) {
    y_org[i] = (int) tensor (ck, pre, "y_org")->data[i];
    y_trg[i] = (int) tensor (ck, pre, "y_trg")->data[i];
  }
  VksStarGan2Batch b = {
    .x_real = tensor (ck, pre, "x_real")->data, .x_ref = tensor (ck, pre, "x_ref")->data,
    .x_ref2 = tensor (ck, pre, "x_ref2")->data, .y_org = y_org, .y_trg = y_trg,
    .z = tensor (ck, pre, "z")->data, .z2 = tensor (ck, pre, "z2")->data,
  };
  double lambda_ds = tensor (ck, pre, "lambda_ds")->data[0];
  GError *error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (vks_stargan2_trainer_iteration (tr, &b, lambda_ds, losses, &error));
  g_assert_no_error (error);
  return (g_get_monotonic_time () - t0) / 1e3;
}

/* How far got is from want, measured against what the iteration changed (max |want - before|)
 * plus 4 ulp of max |want| (float32 cannot hold a 1e-6 step of a value near 1 more closely):
 * the largest |got - want| in units of `tol` of that, and the number of elements beyond it. */
static double
tensor_error (const float *got, const float *want, const float *before, long n, double tol,
              double *outside)
{
  double change = 0, scale = 0;
  for (long i = 0; i < n; i++) {
    change = MAX (change, fabs ((double) want[i] - before[i]));
    scale = MAX (scale, fabs (want[i]));
  }
  double unit = tol * change + 4 * FLT_EPSILON * scale + 1e-30, worst = 0;
  long beyond = 0;
  for (long i = 0; i < n; i++) {
    double e = fabs ((double) got[i] - want[i]) / unit;
    worst = MAX (worst, e);
    beyond += e > 1;
  }
  *outside = beyond;
  return worst;
}

/* One tensor (`name` in the store or the average) against the fixture's values after iteration
 * `it` (itK.<name>) and before it. */
static void
check_tensor (const VksCheckpoint *ck, int it, const char *kind, const char *name,
              const float *got)
{
  g_autofree char *after = g_strdup_printf ("it%d.%s%s", it, kind, name);
  g_autofree char *before = it == 1 ? g_strdup_printf ("%s%s", *kind ? "init.ema." : "", name)
                                    : g_strdup_printf ("it%d.%s%s", it - 1, kind, name);
  const VksCheckpointTensor *want = tensor (ck, "", after), *was = tensor (ck, "", before);
  double outside;
  if (*kind == '\0' && vks_stargan2_network_of (name) == 0) {
    double flip = tensor_error (got, want->data, was->data, want->n_elements, FLIP_TOL, &outside);
    double loose = tensor_error (got, want->data, was->data, want->n_elements, LOOSE_TOL,
                                 &outside);
    if (outside > MAX (1, OUTLIER_FRACTION * want->n_elements) || flip > 1)
      g_error ("iteration %d: %s is %.2f x %g of its change off, %.0f of %ld elements "
               "beyond", it, after, loose, LOOSE_TOL, outside, (long) want->n_elements);
  } else {
    double e = tensor_error (got, want->data, was->data, want->n_elements, UPDATE_TOL, &outside);
    if (e > 1)
      g_error ("iteration %d: %s is %.2f x %g of its change off", it, after, e, UPDATE_TOL);
  }
}

/* Every parameter and average after iteration `it` against the fixture. */
static void
check_params (VksStarGan2Trainer *tr, const VksCheckpoint *ck, int it)
{
  GError *error = NULL;
  VksParamStore *store = vks_stargan2_trainer_store (tr);
  for (int i = 0; i < vks_param_store_n (store); i++) {
    VksShape s = vks_param_store_shape (store, i);
    g_autofree float *got = g_new (float, vks_shape_elements (s));
    g_assert_true (vks_param_store_get (store, i, got, &error));
    check_tensor (ck, it, "", vks_param_store_name (store, i), got);
  }
  const VksStarGan2StepGraph *g = &vks_stargan2_trainer_graphs (tr)->g;
  for (int i = 0; i < g->n_params; i++) {
    g_autofree float *got = g_new (float, vks_shape_elements (vks_graph_shape (g->graph,
                                                                               g->params[i])));
    g_assert_true (vks_ema_get (vks_stargan2_trainer_ema (tr), g->params[i], got, &error));
    check_tensor (ck, it, "ema.", vks_graph_name (g->graph, g->params[i]), got);
  }
}

static double
check_losses (const float *losses, const VksCheckpoint *ck, int it)
{
  g_autofree char *pre = g_strdup_printf ("it%d.loss.", it);
  double worst = 0;
  for (int i = 0; i < VKS_SG2_N_LOSSES; i++) {
    double want = tensor (ck, pre, vks_stargan2_loss_names[i])->data[0];
    double rel = fabs (losses[i] - want) / fabs (want);
    g_test_message ("iteration %d %-14s %.6f (PyTorch %.6f, relative error %.1e)", it,
                    vks_stargan2_loss_names[i], losses[i], want, rel);
    worst = MAX (worst, rel);
  }
  return worst;
}

static void
test_two_iterations (void)
{
  Fixture f;
  fixture_init (&f);
  g_autoptr (VksStarGan2Trainer) tr = trainer_new (&f);
  float losses[VKS_SG2_N_LOSSES];
  g_test_message ("iteration 1: %.0f ms", iterate (tr, f.ck, 1, losses));
  g_assert_cmpfloat (check_losses (losses, f.ck, 1), <=, LOSS_TOL);
  check_params (tr, f.ck, 1);

  g_test_message ("iteration 2: %.0f ms", iterate (tr, f.ck, 2, losses));
  g_assert_cmpfloat (check_losses (losses, f.ck, 2), <=, LOSS_TOL);
  check_params (tr, f.ck, 2);
  vks_checkpoint_free (f.ck);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stargan2-train/two-iterations-vs-pytorch", test_two_iterations);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
