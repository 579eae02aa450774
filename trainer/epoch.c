/* Unaligned-dataset step order (see epoch.h). */
#include "trainer/epoch.h"
#include "trainer/rng.h"
#include "engine/error.h"

/* Stream numbers: the epoch's permutation and each step's B index draw from separate streams of
 * the seed, so that neither depends on how many numbers the other used. */
#define PERMUTATION_STREAM 0x7065726dull   /* "perm" */
#define B_INDEX_STREAM 0x62696478ull       /* "bidx" */

struct VksEpochIterator {
  guint64 seed;
  guint size_a;
  guint size_b;
  gboolean serial;
  guint64 epoch;
  guint position;
  guint32 *permutation;   /* length entries for the current epoch; NULL when serial */
};

static guint
length_of (const VksEpochIterator *it)
{
  return MAX (it->size_a, it->size_b);
}

static void
make_permutation (VksEpochIterator *it)
{
  if (it->serial)
    return;
  const guint n = length_of (it);
  for (guint i = 0; i < n; i++)
    it->permutation[i] = i;
  VksRng rng;
  vks_rng_init_stream (&rng, it->seed, PERMUTATION_STREAM ^ (it->epoch << 32));
  vks_rng_shuffle (&rng, it->permutation, n);
}

VksEpochIterator *
vks_epoch_iterator_new (guint size_a, guint size_b, gboolean serial, guint64 seed)
{
  g_return_val_if_fail (size_a > 0 && size_b > 0, NULL);
  VksEpochIterator *it = g_new0 (VksEpochIterator, 1);
  it->seed = seed;
  it->size_a = size_a;
  it->size_b = size_b;
  it->serial = serial;
  if (!serial)
    it->permutation = g_new (guint32, length_of (it));
  make_permutation (it);
  return it;
}

void
vks_epoch_iterator_free (VksEpochIterator *it)
{
  if (!it)
    return;
  g_free (it->permutation);
  g_free (it);
}

guint
vks_epoch_iterator_length (const VksEpochIterator *it)
{
  return length_of (it);
}

guint64
vks_epoch_iterator_epoch (const VksEpochIterator *it)
{
  return it->epoch;
}

guint
vks_epoch_iterator_position (const VksEpochIterator *it)
{
  return it->position;
}

void
vks_epoch_iterator_next (VksEpochIterator *it, guint *index_a, guint *index_b)
{
  const guint i = it->position;
  if (it->serial) {
    *index_a = i % it->size_a;
    *index_b = i % it->size_b;
  } else {
    const guint k = it->permutation[i];
    *index_a = k % it->size_a;
    VksRng rng;
    vks_rng_init_stream (&rng, it->seed, B_INDEX_STREAM ^ (it->epoch << 32) ^ i);
    *index_b = vks_rng_below (&rng, it->size_b);
  }
  if (++it->position == length_of (it)) {
    it->position = 0;
    it->epoch++;
    make_permutation (it);
  }
}

void
vks_epoch_iterator_get_state (const VksEpochIterator *it, guint64 state[VKS_EPOCH_STATE_WORDS])
{
  state[0] = it->seed;
  state[1] = it->size_a;
  state[2] = it->size_b;
  state[3] = it->serial ? 1 : 0;
  state[4] = it->epoch;
  state[5] = it->position;
}

gboolean
vks_epoch_iterator_set_state (VksEpochIterator *it, const guint64 state[VKS_EPOCH_STATE_WORDS],
                              GError **error)
{
  if (state[1] != it->size_a || state[2] != it->size_b) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "the checkpoint was trained on %" G_GUINT64_FORMAT " A and %" G_GUINT64_FORMAT
                 " B images, the folders now hold %u and %u", state[1], state[2], it->size_a,
                 it->size_b);
    return FALSE;
  }
  if (state[0] != it->seed || state[3] != (it->serial ? 1u : 0u)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "the checkpoint was made with --seed %" G_GUINT64_FORMAT "%s; resume with the "
                 "same options", state[0], state[3] ? " --serial-batches" : "");
    return FALSE;
  }
  if (state[5] >= length_of (it) || state[4] > G_MAXUINT32) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "epoch position %" G_GUINT64_FORMAT " of epoch %" G_GUINT64_FORMAT
                 " is out of range", state[5], state[4]);
    return FALSE;
  }
  it->epoch = state[4];
  it->position = (guint) state[5];
  make_permutation (it);
  return TRUE;
}
