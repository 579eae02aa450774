/* Learning-rate schedules as pure functions of the scheduler step ("epoch": how many times
 * PyTorch's scheduler.step() has been called), giving the learning rate torch.optim.lr_scheduler
 * would have set, in double, computed the way it computes it (so the same bits as far as the C
 * library's cos agrees with Python's). A trainer calls one after each epoch and hands the result
 * to vks_optimizer_set_lr. */
#pragma once
#include <glib.h>

/* pytorch-CycleGAN-and-pix2pix's "linear" policy (LambdaLR with its lambda_rule): base_lr for
 * n_epochs epochs, then linearly to zero over n_epochs_decay:
 *   base_lr * (1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)) */
double vks_lr_linear_decay (double base_lr, int epoch, int epoch_count, int n_epochs,
                            int n_epochs_decay);
/* StepLR(step_size, gamma): multiplied by gamma every step_size epochs (as PyTorch does it, one
 * multiplication at a time, not gamma ** k). */
double vks_lr_step (double base_lr, int epoch, int step_size, double gamma);
/* CosineAnnealingLR(T_max, eta_min), by PyTorch's recursive form (get_lr), which is what a run
 * of scheduler.step() calls produces; it differs from the closed form in the last bits. */
double vks_lr_cosine (double base_lr, int epoch, int t_max, double eta_min);

/* The policies by name, as a trainer's options select them (CycleGAN's --lr_policy). */
typedef enum {
  VKS_LR_CONSTANT,
  VKS_LR_LINEAR_DECAY,      /* epoch_count, n_epochs, n_epochs_decay */
  VKS_LR_STEP,              /* step_size, gamma */
  VKS_LR_COSINE,            /* t_max, eta_min */
} VksLrPolicy;

typedef struct {
  VksLrPolicy policy;
  int epoch_count, n_epochs, n_epochs_decay;
  int step_size;
  double gamma;
  int t_max;
  double eta_min;
} VksLrSchedule;

double vks_lr_at (const VksLrSchedule *s, double base_lr, int epoch);
