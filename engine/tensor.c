#include "engine/tensor.h"

#include <string.h>

void
vks_tensor_pack (const VksTensor *t, const float *nchw, float *padded)
{
  size_t hw = (size_t) t->h * t->w;
  for (size_t p = 0; p < (size_t) t->n * t->c; p++) {
    memcpy (padded + p * t->plane, nchw + p * hw, hw * sizeof (float));
    memset (padded + p * t->plane + hw, 0, (t->plane - hw) * sizeof (float));
  }
}

void
vks_tensor_unpack (const VksTensor *t, const float *padded, float *nchw)
{
  size_t hw = (size_t) t->h * t->w;
  for (size_t p = 0; p < (size_t) t->n * t->c; p++)
    memcpy (nchw + p * hw, padded + p * t->plane, hw * sizeof (float));
}
