/* The graph engine's training pieces (engine/nn/optimizer.h, lr_schedule.h): the
 * learning-rate schedules against torch.optim.lr_scheduler. */
#include <math.h>

#include "engine/nn/lr_schedule.h"

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
  g_test_add_func ("/optimizer/lr-schedules", test_schedules);
  return g_test_run ();
}
