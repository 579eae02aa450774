/* The trainer's random numbers: xoshiro256** seeded through splitmix64. Deterministic on every
 * platform (integer arithmetic only, except that normal() uses libm's log/cos/sqrt), small enough
 * to live on the stack, and its whole state is four 64-bit words, so a checkpoint can save it and
 * a resumed run continues with the very same numbers. */
#pragma once
#include <glib.h>

#define VKS_RNG_STATE_WORDS 4

typedef struct {
  guint64 s[VKS_RNG_STATE_WORDS];
} VksRng;

void vks_rng_init (VksRng *rng, guint64 seed);
/* An independent stream of the same seed (e.g. one per epoch or per purpose): the generator is
 * seeded from seed and stream together, so neighbouring streams are unrelated. */
void vks_rng_init_stream (VksRng *rng, guint64 seed, guint64 stream);

guint64 vks_rng_next_u64 (VksRng *rng);
/* The high 32 bits of the next u64 (the better bits of xoshiro256**). */
guint32 vks_rng_next_u32 (VksRng *rng);
/* Uniform in [0, 1), 53 random bits. */
double vks_rng_uniform (VksRng *rng);
/* Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject); n must be > 0. */
guint32 vks_rng_below (VksRng *rng, guint32 n);
/* N(mean, std²) by Box-Muller; uses two uniforms per call and keeps no spare, so the state stays
 * just the four words. */
double vks_rng_normal (VksRng *rng, double mean, double std);
/* Fisher-Yates shuffle of n items. */
void vks_rng_shuffle (VksRng *rng, guint32 *items, guint32 n);

void vks_rng_get_state (const VksRng *rng, guint64 state[VKS_RNG_STATE_WORDS]);
/* Fails (VKS_ERROR_CHECKPOINT) on the all-zero state, which xoshiro can never leave. */
gboolean vks_rng_set_state (VksRng *rng, const guint64 state[VKS_RNG_STATE_WORDS],
                            GError **error);
