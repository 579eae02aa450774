#include "trainer/weight_init.h"

#include <math.h>
#include <string.h>

#include "engine/model_spec.h"

void
vks_weight_init (const GPtrArray *specs, VksWeightInit rule, VksRng *rng,
                 const char *name_prefix, VksCheckpoint *ckpt)
{
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < specs->len; i++)
    g_hash_table_insert (by_name, (gpointer) ((const VksTensorSpec *) specs->pdata[i])->name,
                         specs->pdata[i]);
  for (guint i = 0; i < specs->len; i++) {
    const VksTensorSpec *s = specs->pdata[i];
    gint64 n = 1;
    for (int d = 0; d < s->ndim; d++)
      n *= s->shape[d];
    g_autofree float *v = g_new (float, n);
    /* a bias takes its weight's fan_in; only norms have rank-1 weights */
    const VksTensorSpec *w = s;
    if (g_str_has_suffix (s->name, ".bias")) {
      g_autofree char *stem = g_strndup (s->name, strlen (s->name) - 4);
      g_autofree char *wn = g_strconcat (stem, "weight", NULL);
      w = g_hash_table_lookup (by_name, wn);
      g_assert (w != NULL);
    }
    float fill = g_str_has_suffix (s->name, "running_var") ||
                 (s->ndim == 1 && g_str_has_suffix (s->name, ".weight")) ? 1.0f : 0.0f;
    gboolean random = w->ndim >= 2 && (rule == VKS_INIT_TORCH_DEFAULT || w == s);
    gint64 fan_in = 1;
    for (int d = 1; d < w->ndim; d++)
      fan_in *= w->shape[d];
    double bound = 1.0 / sqrt ((double) fan_in), std = sqrt (2.0 / (double) fan_in);
    for (gint64 j = 0; j < n; j++)
      v[j] = !random ? fill
             : rule == VKS_INIT_HE_NORMAL ? (float) vks_rng_normal (rng, 0.0, std)
             : (float) ((vks_rng_uniform (rng) * 2.0 - 1.0) * bound);
    g_autofree char *name = g_strconcat (name_prefix ? name_prefix : "", s->name, NULL);
    vks_checkpoint_add_tensor (ckpt, name, s->ndim, s->shape, v);
  }
}
