/* The graph engine's optimiser (engine/nn/optimizer.h): Adam and AdamW steps bit-identical to a
 * C reference, three AdamW + EMA training steps of a tiny model against PyTorch
 * (tests/fixtures/make_optimizer_fixture.py), a resume from a checkpoint that gives the same
 * bytes as a run that never stopped, two optimisers in one plan with one held, hostile
 * checkpoints, and the learning-rate schedules against torch.optim.lr_scheduler. */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/nn/lr_schedule.h"
#include "engine/nn/optimizer.h"
#include "engine/nn/params.h"
#include "engine/optim.h"
#include "tests/rig.h"

/* float32 training against a float64 reference: per tensor max |a - b| / max |b| */
#define TORCH_TOL 1e-5

/* ---- Adam / AdamW against the C reference ---------------------------------------------- */

/* The shader's operations one by one, each rounded (volatile: no contraction, no excess
 * precision), with its weight decay. */
static void
ref_step (const VksAdamHyper *hp, VksAdamDecay decay, const float *grad, float *p, float *m,
          float *v, long n)
{
  for (long i = 0; i < n; i++) {
    volatile float p0 = p[i], g = grad[i];
    if (decay == VKS_ADAM_DECAY_L2) {
      volatile float wp = hp->decay * p0;
      g = g + wp;
    } else if (decay == VKS_ADAM_DECAY_DECOUPLED) {
      p0 = p0 * hp->decay;
    }
    volatile float mb = m[i] * hp->beta1, ag1 = hp->one_minus_beta1 * g;
    m[i] = mb + ag1;
    volatile float vb = v[i] * hp->beta2, ag = hp->one_minus_beta2 * g, agg = ag * g;
    v[i] = vb + agg;
    volatile float root = sqrtf (v[i]), q = root / hp->bias2_sqrt, denom = q + hp->eps;
    volatile float num = hp->neg_step * m[i], upd = num / denom;
    p[i] = p0 + upd;
  }
}

/* shaders/ema.comp: e = beta e + (1 - beta) p, each operation rounded */
static void
ref_ema (float beta, float one_minus_beta, const float *p, float *e, long n)
{
  for (long i = 0; i < n; i++) {
    volatile float be = beta * e[i], bp = one_minus_beta * p[i];
    e[i] = be + bp;
  }
}

/* The worst ulp distance of got from want over n floats, counting the floats whose bits
 * differ. */
static long
worst_ulps (const float *got, const float *want, long n, long *differ)
{
  long worst = 0;
  for (long i = 0; i < n; i++) {
    *differ += memcmp (&got[i], &want[i], sizeof (float)) != 0;
    worst = MAX (worst, ulp_distance (got[i], want[i]));
  }
  return worst;
}

#define N_REF 4

/* loss = sum_i sum(p_i * g_i) over inputs g_i: each gradient is exactly its input, so the
 * reference sees the very floats the device does. p3 is in no loss term (no gradient). An EMA
 * (beta 0.99) of every parameter follows each step. */
static void
run_reference (VksOptimizerKind kind)
{
  static const VksShape shapes[N_REF] = { { 1, 1, 1, 37 }, { 2, 3, 3, 3 }, { 1, 1, 10, 100 },
                                          { 1, 1, 1, 5 } };
  static const int group_of[N_REF] = { 0, 0, 1, 1 };
  static const VksParamGroup groups[2] = { { 1.0, 0.05 }, { 0.1, 0.2 } };
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode p[N_REF], in[N_REF], grads[N_REF];
  VksNode loss = VKS_NONE;
  for (int i = 0; i < N_REF; i++) {
    g_autofree char *pname = g_strdup_printf ("p%d", i), *gname = g_strdup_printf ("g%d", i);
    p[i] = vks_param (g, pname, shapes[i]);
    in[i] = vks_input (g, gname, shapes[i]);
    if (i < N_REF - 1) {
      VksNode term = vks_sum (g, vks_mul (g, p[i], in[i]));
      loss = loss == VKS_NONE ? term : vks_add (g, loss, term);
    }
  }
  vks_grad (g, loss, p, N_REF, grads);
  g_assert_cmpint (grads[N_REF - 1], ==, VKS_NONE);
  VksOptimizerConfig cfg = { .kind = kind, .lr = 3e-3, .beta1 = 0.5, .beta2 = 0.999,
                             .eps = 1e-8, .n_groups = 2, .groups = groups,
                             .group_of = group_of };
  GError *error = NULL;
  VksContext *ctx = test_context ();
  g_autoptr (VksOptimizer) opt = vks_optimizer_new (ctx, g, p, grads, N_REF, &cfg, &error);
  g_assert_no_error (error);
  g_autoptr (VksEma) ema = vks_ema_new (ctx, g, p, N_REF, 0.99, &error);
  g_assert_no_error (error);
  vks_optimizer_attach_ema (opt, ema);
  int n_out;
  g_autofree VksNode *outputs = vks_optimizer_plan_outputs (opt, &loss, 1, &n_out);
  VksPlanOptions po = vks_optimizer_plan_options (opt, NULL);
  g_autoptr (VksPlan) plan = vks_plan_new (ctx, g, outputs, n_out, &po, &error);
  g_assert_no_error (error);

  GRand *rng = g_rand_new_with_seed (1201);
  float *want_p[N_REF], *want_m[N_REF], *want_v[N_REF], *want_e[N_REF], *grad[N_REF];
  long count[N_REF];
  for (int i = 0; i < N_REF; i++) {
    count[i] = vks_shape_elements (shapes[i]);
    want_p[i] = g_new (float, count[i]);
    want_m[i] = g_new0 (float, count[i]);
    want_v[i] = g_new0 (float, count[i]);
    grad[i] = g_new (float, count[i]);
    fill_uniform (want_p[i], count[i], -1, 1, rng);
    want_e[i] = g_memdup2 (want_p[i], count[i] * sizeof (float));
    g_assert_true (vks_plan_set (plan, p[i], want_p[i], &error));
  }
  g_assert_true (vks_ema_reset (ema, &error));
  long compared = 0, differ = 0, worst = 0;
  for (int step = 1; step <= 4; step++) {
    double lr = 3e-3 * (1.0 - (step - 1) / 8.0);
    vks_optimizer_set_lr (opt, lr);
    for (int i = 0; i < N_REF; i++) {
      fill_uniform (grad[i], count[i], -1, 1, rng);
      for (long j = 0; j < count[i]; j += 13)
        grad[i][j] *= 1e-5f;                        /* small gradients: eps matters */
      if (i < N_REF - 1)                            /* g3 is in no term: not in the plan */
        g_assert_true (vks_plan_set (plan, in[i], grad[i], &error));
    }
    g_assert_true (vks_optimizer_run (opt, &error));
    g_assert_no_error (error);
    for (int i = 0; i < N_REF - 1; i++) {
      int k = group_of[i];
      double group_lr = lr * groups[k].lr_scale;
      VksAdamDecay decay = kind == VKS_OPTIMIZER_ADAMW ? VKS_ADAM_DECAY_DECOUPLED
                                                       : VKS_ADAM_DECAY_L2;
      VksAdamHyper hp;
      vks_adam_hyper_fill (&hp, group_lr, 0.5, 0.999, 1e-8, step);
      vks_adam_hyper_set_decay (&hp, decay, group_lr, groups[k].weight_decay);
      ref_step (&hp, decay, grad[i], want_p[i], want_m[i], want_v[i], count[i]);
    }
    for (int i = 0; i < N_REF; i++)
      ref_ema (0.99f, (float) (1.0 - 0.99), want_p[i], want_e[i], count[i]);
    for (int i = 0; i < N_REF; i++) {
      g_autofree float *got_p = g_new (float, count[i]), *got_m = g_new (float, count[i]);
      g_autofree float *got_v = g_new (float, count[i]), *got_e = g_new (float, count[i]);
      g_assert_true (vks_plan_get (plan, p[i], got_p, &error));
      g_assert_true (vks_optimizer_get_moments (opt, i, got_m, got_v, &error));
      g_assert_true (vks_ema_get (ema, p[i], got_e, &error));
      worst = MAX (worst, worst_ulps (got_p, want_p[i], count[i], &differ));
      worst = MAX (worst, worst_ulps (got_m, want_m[i], count[i], &differ));
      worst = MAX (worst, worst_ulps (got_v, want_v[i], count[i], &differ));
      worst = MAX (worst, worst_ulps (got_e, want_e[i], count[i], &differ));
      compared += 4 * count[i];
    }
  }
  g_assert_cmpint (vks_optimizer_step_count (opt), ==, 4);
  g_test_message ("%s + EMA: 4 steps, 2 groups, %ld of %ld floats differ from the reference, worst "
                  "by %ld ulp", kind == VKS_OPTIMIZER_ADAMW ? "AdamW" : "Adam + L2", differ,
                  compared, worst);
  /* Bitwise where every operation is correctly rounded, as on lavapipe; 1 ulp elsewhere, as
   * tests/test_train_ops.c allows (Vulkan lets division be 2.5 ulp off and sqrt 3). */
  gboolean cpu = test_context ()->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
  g_assert_cmpint (cpu ? differ : worst, <=, cpu ? 0 : 1);
  for (int i = 0; i < N_REF; i++) {
    g_free (want_p[i]);
    g_free (want_m[i]);
    g_free (want_v[i]);
    g_free (want_e[i]);
    g_free (grad[i]);
  }
  g_rand_free (rng);
}

static void
test_adam_reference (void)
{
  run_reference (VKS_OPTIMIZER_ADAM);
}

static void
test_adamw_reference (void)
{
  run_reference (VKS_OPTIMIZER_ADAMW);
}

/* ---- several optimisers in one plan ------------------------------------------------------ */

typedef struct {
  VksOptimizer *first, *second;
} TwoOptimizers;

static gboolean
two_tails (VksPlan *plan, VksRecorder *rec, gpointer data, GError **error)
{
  TwoOptimizers *t = data;
  return vks_optimizer_tail (plan, rec, t->first, error) &&
         vks_optimizer_tail (plan, rec, t->second, error);
}

/* loss = sum(a * ga) + sum(b * gb), a stepped by Adam (L2 decay), b by AdamW (decoupled) in one
 * plan: a run holding b leaves b's values and moments as they were to the bit and does not
 * count its step, while a steps on. */
static void
test_run_several (void)
{
  GError *error = NULL;
  VksContext *ctx = test_context ();
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksShape shape = { 1, 1, 3, 7 };
  VksNode p[2] = { vks_param (g, "a", shape), vks_param (g, "b", shape) };
  VksNode in[2] = { vks_input (g, "ga", shape), vks_input (g, "gb", shape) };
  VksNode loss = vks_add (g, vks_sum (g, vks_mul (g, p[0], in[0])),
                          vks_sum (g, vks_mul (g, p[1], in[1])));
  VksNode grads[2];
  vks_grad (g, loss, p, 2, grads);
  VksOptimizerConfig adam = { .kind = VKS_OPTIMIZER_ADAM, .lr = 1e-2, .beta1 = 0.0, .beta2 = 0.99,
                              .eps = 1e-8, .weight_decay = 0.1 };
  VksOptimizerConfig adamw = adam;
  adamw.kind = VKS_OPTIMIZER_ADAMW;
  TwoOptimizers t = {
    vks_optimizer_new (ctx, g, &p[0], &grads[0], 1, &adam, &error),
    vks_optimizer_new (ctx, g, &p[1], &grads[1], 1, &adamw, &error),
  };
  g_assert_no_error (error);
  int n0, n1;
  g_autofree VksNode *o0 = vks_optimizer_plan_outputs (t.first, &loss, 1, &n0);
  g_autofree VksNode *o1 = vks_optimizer_plan_outputs (t.second, NULL, 0, &n1);
  g_autofree VksNode *outs = g_new (VksNode, n0 + n1);
  memcpy (outs, o0, n0 * sizeof (VksNode));
  memcpy (outs + n0, o1, n1 * sizeof (VksNode));
  VksPlanOptions po = vks_optimizer_plan_options (t.first, NULL);
  po.tail = two_tails;
  po.tail_data = &t;
  g_autoptr (VksPlan) plan = vks_plan_new (ctx, g, outs, n0 + n1, &po, &error);
  g_assert_no_error (error);
  GRand *rng = g_rand_new_with_seed (1203);
  long n = vks_shape_elements (shape);
  float values[2][21], before[3][21], after[3][21];
  for (int i = 0; i < 2; i++) {
    fill_uniform (values[i], n, -1, 1, rng);
    g_assert_true (vks_plan_set (plan, p[i], values[i], &error));
  }
  VksOptimizer *opts[] = { t.first, t.second };
  for (int run = 0; run < 3; run++) {
    for (int i = 0; i < 2; i++) {
      fill_uniform (values[i], n, -1, 1, rng);
      g_assert_true (vks_plan_set (plan, in[i], values[i], &error));
    }
    if (run == 1) {   /* b as it is before a held run */
      g_assert_true (vks_plan_get (plan, p[1], before[0], &error));
      g_assert_true (vks_optimizer_get_moments (t.second, 0, before[1], before[2], &error));
    }
    gboolean stepping[] = { TRUE, run != 1 };
    g_assert_true (vks_optimizer_run_several (opts, stepping, 2, &error));
    g_assert_no_error (error);
    if (run == 1) {
      g_assert_true (vks_plan_get (plan, p[1], after[0], &error));
      g_assert_true (vks_optimizer_get_moments (t.second, 0, after[1], after[2], &error));
      g_assert_cmpmem (before, sizeof before, after, sizeof after);
    }
  }
  g_assert_cmpint (vks_optimizer_step_count (t.first), ==, 3);
  g_assert_cmpint (vks_optimizer_step_count (t.second), ==, 2);
  g_rand_free (rng);
  vks_optimizer_free (t.first);
  vks_optimizer_free (t.second);
}

/* ---- the fixture's tiny model ----------------------------------------------------------- */

#define N_TINY 4

typedef struct {
  VksGraph *g;
  VksNode x, target, loss;
  VksNode params[N_TINY], grads[N_TINY];
  VksOptimizer *opt;
  VksEma *ema;
  VksParamStore *store;        /* NULL: parameters in the plan's arena */
  VksPlan *plan;
} Tiny;

static const int tiny_group_of[N_TINY] = { 0, 0, 1, 1 };
static const VksParamGroup tiny_groups[2] = { { 1.0, 0.1 }, { 0.1, 0.01 } };
#define TINY_LR 1e-2

/* Conv2d(3, 4, 3, 2, 1) - LeakyReLU(0.2) - flatten - Linear(36, 5), MSE against a target; AdamW
 * with the fixture's groups and an EMA (beta 0.9), parameters from the fixture, kept in a
 * parameter store or in the plan. */
static void
tiny_new_in (Tiny *t, const VksCheckpoint *fixture, gboolean use_store)
{
  VksGraph *g = t->g = vks_graph_new ();
  t->x = vks_input (g, "x", vks_shape (2, 3, 6, 6));
  t->target = vks_input (g, "target", vks_shape (1, 1, 2, 5));
  VksNode cw = t->params[0] = vks_param (g, "conv.weight", vks_shape (4, 3, 3, 3));
  VksNode cb = t->params[1] = vks_param (g, "conv.bias", vks_shape (1, 1, 1, 4));
  VksNode fw = t->params[2] = vks_param (g, "fc.weight", vks_shape (1, 1, 5, 36));
  VksNode fb = t->params[3] = vks_param (g, "fc.bias", vks_shape (1, 1, 1, 5));
  VksConvAttrs a = { .stride = 2, .pad = 1 };
  VksNode h = vks_leaky_relu (g, vks_conv2d (g, t->x, cw, cb, &a), 0.2f);
  VksNode y = vks_linear (g, vks_reshape (g, h, vks_shape (1, 1, 2, 36)), fw, fb);
  t->loss = vks_scale (g, vks_sum (g, vks_square (g, vks_sub (g, y, t->target))), 1.0f / 10);
  vks_grad (g, t->loss, t->params, N_TINY, t->grads);

  VksOptimizerConfig cfg = { .kind = VKS_OPTIMIZER_ADAMW, .lr = TINY_LR, .beta1 = 0.5,
                             .beta2 = 0.999, .eps = 1e-8, .n_groups = 2, .groups = tiny_groups,
                             .group_of = tiny_group_of };
  GError *error = NULL;
  VksContext *ctx = test_context ();
  t->opt = vks_optimizer_new (ctx, g, t->params, t->grads, N_TINY, &cfg, &error);
  g_assert_no_error (error);
  t->ema = vks_ema_new (ctx, g, t->params, N_TINY, 0.9, &error);
  g_assert_no_error (error);
  vks_optimizer_attach_ema (t->opt, t->ema);
  t->store = use_store ? vks_param_store_new (ctx, &t->g, 1, &error) : NULL;
  g_assert_no_error (error);
  int n_out;
  g_autofree VksNode *outputs = vks_optimizer_plan_outputs (t->opt, &t->loss, 1, &n_out);
  VksPlanOptions po = vks_optimizer_plan_options (t->opt, t->store);
  po.readback = &t->loss;                  /* read after every step: a memcpy */
  po.n_readback = 1;
  t->plan = vks_plan_new (ctx, g, outputs, n_out, &po, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (t->plan, g, fixture, &error));
  g_assert_true (vks_ema_reset (t->ema, &error));
  g_assert_no_error (error);
}

static void
tiny_new (Tiny *t, const VksCheckpoint *fixture)
{
  tiny_new_in (t, fixture, FALSE);
}

static void
tiny_free (Tiny *t)
{
  vks_plan_free (t->plan);
  vks_param_store_free (t->store);
  vks_ema_free (t->ema);
  vks_optimizer_free (t->opt);
  vks_graph_free (t->g);
}

static VksCheckpoint *
load_fixture (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "optimizer_train.safetensors", NULL);
  GError *error = NULL;
  VksCheckpoint *ck = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ck;
}

/* Step k (0-based) with the fixture's data for k < 3, seeded noise after; returns the loss. */
static float
tiny_step (Tiny *t, const VksCheckpoint *fixture, int k)
{
  float x[2 * 3 * 6 * 6], target[10];
  g_autofree char *xname = g_strdup_printf ("x.%d", k % 3);
  g_autofree char *tname = g_strdup_printf ("target.%d", k % 3);
  memcpy (x, vks_checkpoint_get_tensor (fixture, xname)->data, sizeof x);
  memcpy (target, vks_checkpoint_get_tensor (fixture, tname)->data, sizeof target);
  if (k >= 3) {
    GRand *rng = g_rand_new_with_seed (1300 + k);
    fill_uniform (x, G_N_ELEMENTS (x), -1, 1, rng);
    g_rand_free (rng);
  }
  GError *error = NULL;
  vks_optimizer_set_lr (t->opt, vks_lr_linear_decay (TINY_LR, k, 1, 1, 3));
  g_assert_true (vks_plan_set (t->plan, t->x, x, &error));
  g_assert_true (vks_plan_set (t->plan, t->target, target, &error));
  g_assert_true (vks_optimizer_run (t->opt, &error));
  g_assert_no_error (error);
  float loss;
  g_assert_true (vks_plan_get (t->plan, t->loss, &loss, &error));
  return loss;
}

static VksCheckpoint *
tiny_save (Tiny *t, const char *scope)
{
  VksCheckpoint *ck = vks_checkpoint_new ();
  GError *error = NULL;
  g_assert_true (vks_optimizer_save (t->opt, ck, scope, &error));
  g_assert_true (vks_ema_save (t->ema, ck, scope, &error));
  g_assert_no_error (error);
  return ck;
}

static double
rel_error (const VksCheckpointTensor *got, const VksCheckpointTensor *want)
{
  g_assert_cmpint (got->n_elements, ==, want->n_elements);
  double scale = 0, err = 0;
  for (long i = 0; i < want->n_elements; i++) {
    scale = MAX (scale, fabs (want->data[i]));
    err = MAX (err, fabs ((double) got->data[i] - want->data[i]));
  }
  return scale > 0 ? err / scale : err;
}

static GBytes *
run_vs_pytorch (const VksCheckpoint *fixture, gboolean use_store)
{
  Tiny t;
  tiny_new_in (&t, fixture, use_store);
  const float *want_loss = vks_checkpoint_get_tensor (fixture, "expected.loss")->data;
  for (int k = 0; k < 3; k++) {
    float loss = tiny_step (&t, fixture, k);
    g_test_message ("step %d: loss %.7f, PyTorch %.7f", k + 1, loss, want_loss[k]);
    g_assert_cmpfloat (fabs (loss - want_loss[k]), <=, TORCH_TOL * fabs (want_loss[k]));
  }
  g_autoptr (VksCheckpoint) state = tiny_save (&t, NULL);
  g_assert_cmpstr (vks_checkpoint_get_metadata (state, "vkstyle.optimizer.step"), ==, "3");
  static const char *const kinds[] = { "param", "exp_avg", "exp_avg_sq", "ema" };
  for (int i = 0; i < N_TINY; i++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
      g_autofree char *name = g_strdup_printf ("%s.%s", kinds[k],
                                               vks_graph_name (t.g, t.params[i]));
      g_autofree char *expected = g_strconcat ("expected.", name, NULL);
      double rel = rel_error (vks_checkpoint_get_tensor (state, name),
                              vks_checkpoint_get_tensor (fixture, expected));
      g_test_message ("%-24s relative error %.2e", name, rel);
      g_assert_cmpfloat (rel, <=, TORCH_TOL);
    }
  VksPlanStats st;
  vks_plan_stats (t.plan, &st);
  g_test_message ("parameters in %s; one submission per step: %d nodes, %d dispatches",
                  use_store ? "a store" : "the plan", st.n_nodes, st.n_dispatches);
  tiny_free (&t);
  return vks_checkpoint_serialize (state, VKS_DTYPE_F32);
}

static void
test_vs_pytorch (void)
{
  g_autoptr (VksCheckpoint) fixture = load_fixture ();
  g_autoptr (GBytes) in_plan = run_vs_pytorch (fixture, FALSE);
  g_autoptr (GBytes) in_store = run_vs_pytorch (fixture, TRUE);
  /* where the parameters live changes no bit */
  g_assert_true (g_bytes_equal (in_plan, in_store));
}

/* ---- resume --------------------------------------------------------------------------- */

static GBytes *
serialized_state (Tiny *t)
{
  g_autoptr (VksCheckpoint) ck = tiny_save (t, "G.");
  return vks_checkpoint_serialize (ck, VKS_DTYPE_F32);
}

/* A fresh model, as a new process would make it, resumed from `resume` (NULL: none) and
 * trained over steps [from, to): its state, serialised. */
static GBytes *
train_steps (const VksCheckpoint *fixture, const VksCheckpoint *resume, int from, int to)
{
  Tiny t;
  tiny_new (&t, fixture);
  GError *error = NULL;
  if (resume != NULL) {
    g_assert_true (vks_optimizer_load (t.opt, resume, "G.", &error));
    g_assert_true (vks_ema_load (t.ema, resume, "G.", &error));
    g_assert_no_error (error);
    g_assert_cmpint (vks_optimizer_step_count (t.opt), ==, from);
  }
  for (int k = from; k < to; k++)
    tiny_step (&t, fixture, k);
  GBytes *state = serialized_state (&t);
  tiny_free (&t);
  return state;
}

static void
test_resume (void)
{
  g_autoptr (VksCheckpoint) fixture = load_fixture ();
  g_autoptr (GBytes) want = train_steps (fixture, NULL, 0, 6);
  g_autoptr (GBytes) saved = train_steps (fixture, NULL, 0, 3);
  GError *error = NULL;
  g_autoptr (VksCheckpoint) file = vks_checkpoint_load_from_data (
    g_bytes_get_data (saved, NULL), g_bytes_get_size (saved), &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) got = train_steps (fixture, file, 3, 6);
  g_test_message ("state after 6 steps: %zu bytes, resumed after 3 %s", g_bytes_get_size (want),
                  g_bytes_equal (got, want) ? "identical" : "DIFFERENT");
  g_assert_true (g_bytes_equal (got, want));
}

/* ---- hostile checkpoints --------------------------------------------------------------- */

/* ck without tensor `drop` (NULL: none), tensor `reshape` (if any) given a wrong shape, and
 * metadata `step` in place of the step count (NULL: kept). */
static VksCheckpoint *
doctored (const VksCheckpoint *ck, const char *drop, const char *reshape, const char *step)
{
  VksCheckpoint *out = vks_checkpoint_new ();
  for (guint i = 0; i < vks_checkpoint_n_tensors (ck); i++) {
    const VksCheckpointTensor *t = vks_checkpoint_tensor_at (ck, i);
    if (g_strcmp0 (t->name, drop) == 0)
      continue;
    int64_t flat = t->n_elements;
    if (g_strcmp0 (t->name, reshape) == 0)
      vks_checkpoint_add_tensor (out, t->name, 1, &flat, t->data);
    else
      vks_checkpoint_add_tensor (out, t->name, t->ndim, t->shape, t->data);
  }
  g_autofree const char **keys = vks_checkpoint_metadata_keys (ck);
  for (int i = 0; keys[i] != NULL; i++)
    vks_checkpoint_set_metadata (out, keys[i], vks_checkpoint_get_metadata (ck, keys[i]));
  if (step != NULL)
    vks_checkpoint_set_metadata (out, "vkstyle.optimizer.step", step);
  return out;
}

static void
expect_refused (Tiny *t, const VksCheckpoint *bad, gboolean ema, const char *words)
{
  GError *error = NULL;
  gboolean ok = ema ? vks_ema_load (t->ema, bad, NULL, &error)
                    : vks_optimizer_load (t->opt, bad, NULL, &error);
  g_assert_false (ok);
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, words));
  g_clear_error (&error);
}

static void
test_hostile (void)
{
  g_autoptr (VksCheckpoint) fixture = load_fixture ();
  Tiny t;
  tiny_new (&t, fixture);
  tiny_step (&t, fixture, 0);
  g_autoptr (VksCheckpoint) good = tiny_save (&t, NULL);
  tiny_step (&t, fixture, 1);
  g_autoptr (VksCheckpoint) before = tiny_save (&t, NULL);

  g_autoptr (VksCheckpoint) missing = doctored (good, "exp_avg_sq.fc.weight", NULL, NULL);
  expect_refused (&t, missing, FALSE, "no tensor \"exp_avg_sq.fc.weight\"");
  g_autoptr (VksCheckpoint) shape = doctored (good, NULL, "param.conv.weight", NULL);
  expect_refused (&t, shape, FALSE, "\"param.conv.weight\" has shape [108]");
  g_autoptr (VksCheckpoint) no_step = doctored (good, NULL, NULL, "");
  expect_refused (&t, no_step, FALSE, "vkstyle.optimizer.step");
  g_autoptr (VksCheckpoint) bad_step = doctored (good, NULL, NULL, "3x");
  expect_refused (&t, bad_step, FALSE, "vkstyle.optimizer.step");
  g_autoptr (VksCheckpoint) no_ema = doctored (good, "ema.conv.bias", NULL, NULL);
  expect_refused (&t, no_ema, TRUE, "no tensor \"ema.conv.bias\"");

  /* Refused files changed nothing: the state is still that of two steps. */
  g_autoptr (VksCheckpoint) after = tiny_save (&t, NULL);
  g_autoptr (GBytes) a = vks_checkpoint_serialize (before, VKS_DTYPE_F32);
  g_autoptr (GBytes) b = vks_checkpoint_serialize (after, VKS_DTYPE_F32);
  g_assert_true (g_bytes_equal (a, b));
  tiny_free (&t);
}

/* Configurations out of range, and a tail on a plan that re-packs weights only after host
 * writes (it would train convolutions against stale weights), are refused. */
static void
test_refusals (void)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode p = vks_param (g, "p", vks_shape (1, 1, 1, 8));
  VksNode loss = vks_sum (g, vks_square (g, p)), grad;
  vks_grad (g, loss, &p, 1, &grad);
  VksOptimizerConfig cfg = { .kind = VKS_OPTIMIZER_ADAM, .lr = 1e-3, .beta1 = 0.9,
                             .beta2 = 0.999, .eps = 1e-8 };
  GError *error = NULL;
  VksParamGroup negative = { 1.0, -0.1 };
  VksOptimizerConfig bad[] = { cfg, cfg, cfg };
  bad[0].beta2 = 1.0;
  bad[1].eps = 0;
  bad[2].n_groups = 1;
  bad[2].groups = &negative;
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_null (vks_optimizer_new (test_context (), g, &p, &grad, 1, &bad[i], &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
    g_clear_error (&error);
  }
  g_autoptr (VksOptimizer) opt = vks_optimizer_new (test_context (), g, &p, &grad, 1, &cfg,
                                                    &error);
  g_assert_no_error (error);
  int n_out;
  g_autofree VksNode *outputs = vks_optimizer_plan_outputs (opt, &loss, 1, &n_out);
  VksPlanOptions po = { .tail = vks_optimizer_tail, .tail_data = opt };
  VksPlan *plan = vks_plan_new (test_context (), g, outputs, n_out, &po, &error);
  g_assert_null (plan);
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "params_change_on_device"));
  g_clear_error (&error);
}

/* ---- learning-rate schedules ------------------------------------------------------------ */

typedef struct {
  int epoch;
  double lr;
} LrAt;

/* torch.optim.lr_scheduler (PyTorch 1.13) from lr 2e-4: the lr each epoch ran with, printed
 * with repr() (a double's exact round trip). Linear: LambdaLR with CycleGAN's lambda_rule,
 * n_epochs 100, n_epochs_decay 100, epoch_count 1. */
static const LrAt linear_want[] = {
  { 0, 0.0002 }, { 50, 0.0002 }, { 99, 0.0002 }, { 100, 0.00019801980198019803 },
  { 101, 0.00019603960396039606 }, { 150, 9.900990099009902e-05 }, { 199, 1.980198019801982e-06 },
};
/* StepLR(step_size 7, gamma 0.1) */
static const LrAt step_want[] = {
  { 0, 0.0002 }, { 6, 0.0002 }, { 7, 2e-05 }, { 13, 2e-05 }, { 14, 2.0000000000000003e-06 },
  { 21, 2.0000000000000004e-07 }, { 28, 2.0000000000000007e-08 }, { 35, 2.000000000000001e-09 },
  { 39, 2.000000000000001e-09 },
};
/* CosineAnnealingLR(T_max 10, eta_min 1e-6), past T_max too */
static const LrAt cosine_want[] = {
  { 0, 0.0002 }, { 1, 0.0001951301233713678 }, { 5, 0.00010050000000000002 },
  { 9, 5.869876628632225e-06 }, { 10, 1e-06 }, { 11, 5.8698766286322235e-06 },
  { 15, 0.00010050000000000042 }, { 20, 0.00020000000000000088 },
  { 21, 0.00019513012337136863 }, { 25, 0.00010050000000000045 }, { 30, 1e-06 },
  { 31, 5.8698766286322235e-06 }, { 34, 6.975280905969284e-05 },
};

static void
check_schedule (const VksLrSchedule *s, const LrAt *want, guint n, double tol)
{
  for (guint i = 0; i < n; i++) {
    double got = vks_lr_at (s, 2e-4, want[i].epoch);
    if (fabs (got - want[i].lr) > tol * want[i].lr)
      g_error ("policy %d epoch %d: lr %.17g, PyTorch %.17g", s->policy, want[i].epoch, got,
               want[i].lr);
  }
}

static void
test_schedules (void)
{
  VksLrSchedule linear = { .policy = VKS_LR_LINEAR_DECAY, .epoch_count = 1, .n_epochs = 100,
                           .n_epochs_decay = 100 };
  VksLrSchedule step = { .policy = VKS_LR_STEP, .step_size = 7, .gamma = 0.1 };
  VksLrSchedule cosine = { .policy = VKS_LR_COSINE, .t_max = 10, .eta_min = 1e-6 };
  /* The same arithmetic in the same order: the same doubles (cos within an ulp or two of
   * another C library's). */
  check_schedule (&linear, linear_want, G_N_ELEMENTS (linear_want), 0);
  check_schedule (&step, step_want, G_N_ELEMENTS (step_want), 0);
  check_schedule (&cosine, cosine_want, G_N_ELEMENTS (cosine_want), 1e-15);
  VksLrSchedule constant = { .policy = VKS_LR_CONSTANT };
  g_assert_cmpfloat (vks_lr_at (&constant, 2e-4, 1000), ==, 2e-4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/optimizer/adam/reference", test_adam_reference);
  g_test_add_func ("/optimizer/adamw/reference", test_adamw_reference);
  g_test_add_func ("/optimizer/run-several/hold", test_run_several);
  g_test_add_func ("/optimizer/adamw-ema/vs-pytorch", test_vs_pytorch);
  g_test_add_func ("/optimizer/resume", test_resume);
  g_test_add_func ("/optimizer/hostile-checkpoint", test_hostile);
  g_test_add_func ("/optimizer/refusals", test_refusals);
  g_test_add_func ("/optimizer/lr-schedules", test_schedules);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
