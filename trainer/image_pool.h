/* The history of generated images the discriminators also see (Shrivastava et al.), as the
 * PyTorch CycleGAN's ImagePool: until the pool is full every image is stored and passed on; once
 * full, with probability 1/2 the image is swapped with a random stored one (the stored one is
 * passed on instead), else passed on unchanged. Capacity 0 passes everything through. Host
 * floats; the contents are one contiguous [count][image_floats] array, ready to be saved in a
 * resume checkpoint. */
#pragma once
#include "trainer/rng.h"

#include <glib.h>

typedef struct VksImagePool VksImagePool;

/* image_floats: floats per image (e.g. 3 * 256 * 256). The storage is reserved up front
 * (capacity * image_floats floats); NULL with VKS_ERROR_OUT_OF_MEMORY if that fails. */
VksImagePool *vks_image_pool_new (guint capacity, gsize image_floats, GError **error);
void vks_image_pool_free (VksImagePool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksImagePool, vks_image_pool_free)

/* Replaces image (image_floats floats) in place by the image the discriminator should see.
 * Draws from rng only when the pool is full: one uniform, then one index when it swaps. */
void vks_image_pool_query (VksImagePool *pool, float *image, VksRng *rng);

guint vks_image_pool_capacity (const VksImagePool *pool);
guint vks_image_pool_count (const VksImagePool *pool);
gsize vks_image_pool_image_floats (const VksImagePool *pool);
/* count * image_floats floats, image i at i * image_floats (NULL when count is 0). */
const float *vks_image_pool_data (const VksImagePool *pool);

/* Puts back saved contents: count images (≤ capacity) of image_floats each; VKS_ERROR_CHECKPOINT
 * when they do not fit this pool. */
gboolean vks_image_pool_restore (VksImagePool *pool, const float *data, guint count,
                                 GError **error);
