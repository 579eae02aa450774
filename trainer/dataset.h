/* One side (A or B) of an unaligned training set: every image file under a folder, in sorted path
 * order, each resized once to load_size x load_size (bicubic, to the bit what the PyTorch
 * CycleGAN's Resize([load, load]) gives, see resize.h) and kept in memory (8 bits a channel) up
 * to a budget; then training samples cut from those
 * the way the reference transform does: random crop, random horizontal flip, scaled to [-1, 1].
 * Colour images come as R'G'B' (grey expanded to three channels, alpha dropped), as PIL's
 * convert("RGB") gives them. gegl_init must have been called. */
#pragma once
#include "trainer/rng.h"

#include <glib.h>

/* Resized images kept in memory per dataset by default; past it, images are decoded again when
 * they are used. */
#define VKS_DATASET_DEFAULT_CACHE_BYTES ((gsize) 512 << 20)

typedef struct VksDataset VksDataset;

/* Lists the files under folder the reference's make_dataset takes: recursively, hidden files
 * and folders included, links to folders not followed, names ending in .jpg .jpeg .png .ppm .bmp
 * .tif .tiff (all lower or all upper case); sorted by path, and loads each once. Unlike the
 * reference, which stops at the first bad file, a file that does not load is reported on stderr
 * ("skipping FILE: reason") and left out, so indices refer to the loadable images only. A
 * folder that is missing, holds no image file or no loadable one is an error naming it
 * (VKS_ERROR_IO / VKS_ERROR_IMAGE). */
VksDataset *vks_dataset_open (const char *folder, int load_size, gsize cache_bytes,
                              GError **error);
void vks_dataset_free (VksDataset *dataset);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksDataset, vks_dataset_free)

guint vks_dataset_size (const VksDataset *dataset);
const char *vks_dataset_path (const VksDataset *dataset, guint index);
int vks_dataset_load_size (const VksDataset *dataset);
/* Bytes of resized images held in memory. */
gsize vks_dataset_cached_bytes (const VksDataset *dataset);

/* One training sample of image `index`: a crop_size x crop_size window at a uniformly random
 * offset of the load_size x load_size image (no random draw when the sizes are equal), mirrored
 * left-right with probability 0.5 when allow_flip, written to chw as 3 x crop x crop floats in
 * [-1, 1] (channel planes R, G, B). Random draws, in this order: top, left, flip. The only error is
 * a file that no longer loads (it was read at open but did not fit the cache). */
gboolean vks_dataset_sample (VksDataset *dataset, guint index, int crop_size, gboolean allow_flip,
                             VksRng *rng, float *chw, GError **error);
