/* Which (A, B) image pair each training step uses, as the PyTorch CycleGAN's UnalignedDataset and
 * DataLoader choose them: an epoch has max(size_a, size_b) steps; step i of an epoch takes
 * dataset index k = i (serial) or k = perm[i] (a fresh random permutation of the epoch's indices,
 * the DataLoader's shuffle), A = k % size_a, and B = k % size_b (serial) or uniformly random.
 * Everything random is a pure function of (seed, epoch, position), so the state to save for a
 * bit-identical resume is a handful of integers. */
#pragma once
#include <glib.h>

/* seed, size_a, size_b, serial, epoch, position */
#define VKS_EPOCH_STATE_WORDS 6

typedef struct VksEpochIterator VksEpochIterator;

/* Sizes must be > 0. Starts at epoch 0, position 0. */
VksEpochIterator *vks_epoch_iterator_new (guint size_a, guint size_b, gboolean serial,
                                          guint64 seed);
void vks_epoch_iterator_free (VksEpochIterator *it);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksEpochIterator, vks_epoch_iterator_free)

/* Steps per epoch: max(size_a, size_b). */
guint vks_epoch_iterator_length (const VksEpochIterator *it);
/* Epoch and position within it of the pair the next call to _next returns. */
guint64 vks_epoch_iterator_epoch (const VksEpochIterator *it);
guint vks_epoch_iterator_position (const VksEpochIterator *it);

/* The next pair; after the last pair of an epoch the iterator moves to position 0 of the next. */
void vks_epoch_iterator_next (VksEpochIterator *it, guint *index_a, guint *index_b);

void vks_epoch_iterator_get_state (const VksEpochIterator *it,
                                   guint64 state[VKS_EPOCH_STATE_WORDS]);
/* Restores a saved state into an iterator made with the same sizes, serial flag and seed; a
 * mismatch (the image folders changed since the checkpoint, or another --seed) is a
 * VKS_ERROR_CHECKPOINT saying which. */
gboolean vks_epoch_iterator_set_state (VksEpochIterator *it,
                                       const guint64 state[VKS_EPOCH_STATE_WORDS],
                                       GError **error);
