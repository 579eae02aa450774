#include "engine/nn/lr_schedule.h"

#include <math.h>

double
vks_lr_linear_decay (double base_lr, int epoch, int epoch_count, int n_epochs, int n_epochs_decay)
{
  /* LambdaLR: base_lr * lambda(epoch), lambda_rule's operations in its order */
  double past = MAX (0, epoch + epoch_count - n_epochs);
  return base_lr * (1.0 - past / (double) (n_epochs_decay + 1));
}

double
vks_lr_step (double base_lr, int epoch, int step_size, double gamma)
{
  double lr = base_lr;
  for (int k = step_size; step_size > 0 && k <= epoch; k += step_size)
    lr *= gamma;
  return lr;
}

double
vks_lr_cosine (double base_lr, int epoch, int t_max, double eta_min)
{
  /* CosineAnnealingLR.get_lr from last_epoch 1 to epoch, each from the previous lr */
  double lr = base_lr;
  for (int e = 1; t_max > 0 && e <= epoch; e++) {
    if ((e - 1 - t_max) % (2 * t_max) == 0)
      lr = lr + (base_lr - eta_min) * (1 - cos (M_PI / t_max)) / 2;
    else
      lr = (1 + cos (M_PI * e / t_max)) / (1 + cos (M_PI * (e - 1) / t_max)) * (lr - eta_min)
           + eta_min;
  }
  return lr;
}

double
vks_lr_at (const VksLrSchedule *s, double base_lr, int epoch)
{
  switch (s->policy) {
  case VKS_LR_LINEAR_DECAY:
    return vks_lr_linear_decay (base_lr, epoch, s->epoch_count, s->n_epochs, s->n_epochs_decay);
  case VKS_LR_STEP:
    return vks_lr_step (base_lr, epoch, s->step_size, s->gamma);
  case VKS_LR_COSINE:
    return vks_lr_cosine (base_lr, epoch, s->t_max, s->eta_min);
  default:
    return base_lr;
  }
}
