/* Image pool for the discriminators (see image_pool.h). */
#include "trainer/image_pool.h"
#include "engine/error.h"

#include <string.h>

struct VksImagePool {
  guint capacity;
  guint count;
  gsize image_floats;
  float *images;   /* capacity * image_floats */
  float *scratch;  /* one image, for swapping */
};

VksImagePool *
vks_image_pool_new (guint capacity, gsize image_floats, GError **error)
{
  g_return_val_if_fail (image_floats > 0, NULL);
  VksImagePool *pool = g_new0 (VksImagePool, 1);
  pool->capacity = capacity;
  pool->image_floats = image_floats;
  if (capacity > 0) {
    if (image_floats > G_MAXSIZE / sizeof (float) / ((gsize) capacity + 1)) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "image pool of %u images is too "
                   "large", capacity);
      g_free (pool);
      return NULL;
    }
    pool->images = g_try_new (float, (gsize) capacity * image_floats);
    pool->scratch = g_try_new (float, image_floats);
    if (!pool->images || !pool->scratch) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                   "not enough memory for an image pool of %u images (%" G_GSIZE_FORMAT
                   " MiB)", capacity,
                   (gsize) capacity * image_floats * sizeof (float) >> 20);
      vks_image_pool_free (pool);
      return NULL;
    }
  }
  return pool;
}

void
vks_image_pool_free (VksImagePool *pool)
{
  if (!pool)
    return;
  g_free (pool->images);
  g_free (pool->scratch);
  g_free (pool);
}

void
vks_image_pool_query (VksImagePool *pool, float *image, VksRng *rng)
{
  if (pool->capacity == 0)
    return;
  const gsize bytes = pool->image_floats * sizeof (float);
  if (pool->count < pool->capacity) {
    memcpy (pool->images + (gsize) pool->count * pool->image_floats, image, bytes);
    pool->count++;
    return;
  }
  if (vks_rng_uniform (rng) > 0.5) {
    float *stored = pool->images + (gsize) vks_rng_below (rng, pool->capacity) * pool->image_floats;
    memcpy (pool->scratch, stored, bytes);
    memcpy (stored, image, bytes);
    memcpy (image, pool->scratch, bytes);
  }
}

guint
vks_image_pool_capacity (const VksImagePool *pool)
{
  return pool->capacity;
}

guint
vks_image_pool_count (const VksImagePool *pool)
{
  return pool->count;
}

gsize
vks_image_pool_image_floats (const VksImagePool *pool)
{
  return pool->image_floats;
}

const float *
vks_image_pool_data (const VksImagePool *pool)
{
  return pool->count > 0 ? pool->images : NULL;
}

gboolean
vks_image_pool_restore (VksImagePool *pool, const float *data, guint count, GError **error)
{
  if (count > pool->capacity) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "the checkpoint's image pool holds %u images, more than --pool-size %u",
                 count, pool->capacity);
    return FALSE;
  }
  if (count > 0)
    memcpy (pool->images, data, (gsize) count * pool->image_floats * sizeof (float));
  pool->count = count;
  return TRUE;
}
