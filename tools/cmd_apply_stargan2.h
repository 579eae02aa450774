/* `vkstyle apply` with a StarGAN v2 model: the options that choose the target domain and the
 * style source, and the run. */
#pragma once
#include <glib.h>

typedef struct {
  char *domain;        /* --domain NAME|INDEX */
  char *reference;     /* --reference IMAGE */
  char *seed;          /* --seed S */
  char *latent;        /* --latent z.safetensors */
  double psi;          /* --psi; NAN: none */
  int count;           /* --count; G_MININT: none */
} VksApplyStarGan2;

/* Whether any of the options above was given. */
gboolean vks_apply_stargan2_requested (const VksApplyStarGan2 *o);
/* The combination's usage error (a message to g_free), or NULL when it is valid. */
char *vks_apply_stargan2_usage (const VksApplyStarGan2 *o);
/* INPUT through the model into OUTPUT (with --count N: OUTPUT-0 ... OUTPUT-(N-1)). */
gboolean vks_apply_stargan2_run (const VksApplyStarGan2 *o, const char *model, const char *device,
                                 const char *input, const char *output, GError **error);
