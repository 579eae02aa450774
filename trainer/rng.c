/* xoshiro256** (Blackman & Vigna) with splitmix64 seeding; see rng.h. */
#include "trainer/rng.h"
#include "engine/error.h"

#include <math.h>

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void
vks_rng_init (VksRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (int i = 0; i < VKS_RNG_STATE_WORDS; i++)
    rng->s[i] = splitmix64 (&x);
  /* splitmix64 is a bijection of distinct counters, so four zeros cannot come out; be safe. */
  if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
    rng->s[0] = 1;
}

void
vks_rng_init_stream (VksRng *rng, guint64 seed, guint64 stream)
{
  /* Hash the stream number first so that (seed, stream) and (seed + 1, stream - 1) differ. */
  guint64 x = stream ^ 0x5851f42d4c957f2dull;
  guint64 mixed = splitmix64 (&x);
  vks_rng_init (rng, seed ^ mixed);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

guint64
vks_rng_next_u64 (VksRng *rng)
{
  guint64 *s = rng->s;
  const guint64 result = rotl (s[1] * 5, 7) * 9;
  const guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

guint32
vks_rng_next_u32 (VksRng *rng)
{
  return (guint32) (vks_rng_next_u64 (rng) >> 32);
}

double
vks_rng_uniform (VksRng *rng)
{
  return (double) (vks_rng_next_u64 (rng) >> 11) * 0x1.0p-53;
}

guint32
vks_rng_below (VksRng *rng, guint32 n)
{
  g_return_val_if_fail (n > 0, 0);
  guint64 m = (guint64) vks_rng_next_u32 (rng) * n;
  guint32 low = (guint32) m;
  if (low < n) {
    /* 2^32 mod n values of the low half would make some results more likely: redraw them. */
    const guint32 threshold = (guint32) (-n) % n;
    while (low < threshold) {
      m = (guint64) vks_rng_next_u32 (rng) * n;
      low = (guint32) m;
    }
  }
  return (guint32) (m >> 32);
}

double
vks_rng_normal (VksRng *rng, double mean, double std)
{
  /* 1 - u lies in (0, 1], so the log is finite. */
  const double u1 = 1.0 - vks_rng_uniform (rng);
  const double u2 = vks_rng_uniform (rng);
  return mean + std * sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

void
vks_rng_shuffle (VksRng *rng, guint32 *items, guint32 n)
{
  for (guint32 i = n; i > 1; i--) {
    guint32 j = vks_rng_below (rng, i);
    guint32 t = items[i - 1];
    items[i - 1] = items[j];
    items[j] = t;
  }
}

void
vks_rng_get_state (const VksRng *rng, guint64 state[VKS_RNG_STATE_WORDS])
{
  for (int i = 0; i < VKS_RNG_STATE_WORDS; i++)
    state[i] = rng->s[i];
}

gboolean
vks_rng_set_state (VksRng *rng, const guint64 state[VKS_RNG_STATE_WORDS], GError **error)
{
  if ((state[0] | state[1] | state[2] | state[3]) == 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "random number generator state is all zero (not a saved state)");
    return FALSE;
  }
  for (int i = 0; i < VKS_RNG_STATE_WORDS; i++)
    rng->s[i] = state[i];
  return TRUE;
}
