/* minGPT's key/value cache (engine/models/mingpt_cache.h) against the whole-window forward pass
 * it replaces (vks_mingpt_logits, one plan per window, as the samplers ran before the cache):
 * the logits bit for bit, whichever of its passes ran, for the access patterns of the samplers
 * (one token appended per call, a window sliding past the block, vq_fill's windows that stay or
 * move) and for random edits; and its errors. The prior is the fixture of tests/vqgan
 * (tests/fixtures/make_mingpt_fixture.py: vocab 33, block 16, 2 layers, 2 heads). */
#include <string.h>

#include "engine/error.h"
#include "engine/models/mingpt_cache.h"
#include "engine/nn/params.h"
#include "engine/nn/plan.h"
#include "tests/rig.h"

typedef struct {
  VksCheckpoint *ck;
  VksMinGptConfig cfg;
  VksGraph *g;
  VksPlan *plan;
  VksNode in, logits;
  int tokens;
  float *out;
} Reference;

static void
reference_init (Reference *r, int tokens)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "mingpt_small.safetensors", NULL);
  GError *error = NULL;
  r->ck = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (vks_mingpt_config_read (r->ck, &r->cfg, &error));
  r->tokens = tokens;
  r->g = vks_graph_new ();
  r->in = vks_input (r->g, "idx", vks_shape (1, 1, 1, tokens));
  r->logits = vks_mingpt_logits (r->g, &r->cfg, NULL, r->in);
  g_assert_true (vks_graph_check (r->g, &error));
  VksPlanOptions o = { .readback = &r->logits, .n_readback = 1 };
  r->plan = vks_plan_new (test_context (), r->g, &r->logits, 1, &o, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (r->plan, r->g, r->ck, &error));
  r->out = g_new (float, (gsize) tokens * r->cfg.vocab_size);
}

static void
reference_clear (Reference *r)
{
  vks_plan_free (r->plan);
  vks_graph_free (r->g);
  vks_checkpoint_free (r->ck);
  g_free (r->out);
}

/* the cache's logits at `at` equal the whole window's, bit for bit */
static void
check_at (Reference *r, VksMinGptCache *cache, const float *window, int at)
{
  GError *error = NULL;
  int vocab = r->cfg.vocab_size;
  g_autofree float *got = g_new (float, vocab);
  g_assert_true (vks_mingpt_cache_logits (cache, window, at, got, &error));
  g_assert_no_error (error);
  g_assert_true (vks_plan_set (r->plan, r->in, window, &error) && vks_plan_run (r->plan, &error) &&
                 vks_plan_get (r->plan, r->logits, r->out, &error));
  g_assert_cmpmem (got, vocab * sizeof *got, r->out + (gsize) at * vocab, vocab * sizeof *got);
}

/* vks_mingpt_sample's pattern: a token appended per call, then the window sliding */
static void
check_appending (gconstpointer data)
{
  int tokens = GPOINTER_TO_INT (data);
  Reference r;
  reference_init (&r, tokens);
  GError *error = NULL;
  g_autoptr (VksMinGptCache) cache = vks_mingpt_cache_new (test_context (), r.ck, &r.cfg,
                                                           tokens, &error);
  g_assert_no_error (error);
  GRand *rand = g_rand_new_with_seed (3);
  float seq[64] = { 0 };
  g_autofree float *window = g_new0 (float, tokens);
  for (int len = 1; len <= 40; len++) {
    int start = MAX (0, len - tokens), t = len - start;
    memset (window, 0, tokens * sizeof *window);
    memcpy (window, seq + start, t * sizeof *window);
    check_at (&r, cache, window, t - 1);
    /* a small vocabulary slice makes sliding windows share prefixes now and then */
    seq[len] = (float) g_rand_int_range (rand, 0, len % 3 == 0 ? 2 : r.cfg.vocab_size);
  }
  int whole, steps;
  vks_mingpt_cache_counts (cache, &whole, &steps);
  g_assert_cmpint (steps, >=, tokens - 1);   /* every call before the slide was one step */
  g_assert_cmpint (whole, >=, 1);
  g_rand_free (rand);
  reference_clear (&r);
}

/* random windows and positions: edits anywhere, near the end (steps) and far (whole passes) */
static void
check_random_edits (void)
{
  int tokens = 9;   /* vq_fill's 3 x 3 window of a 9-token block */
  Reference r;
  reference_init (&r, tokens);
  GError *error = NULL;
  g_autoptr (VksMinGptCache) cache = vks_mingpt_cache_new (test_context (), r.ck, &r.cfg,
                                                           tokens, &error);
  g_assert_no_error (error);
  GRand *rand = g_rand_new_with_seed (11);
  float window[9];
  for (int i = 0; i < tokens; i++)
    window[i] = (float) g_rand_int_range (rand, 0, r.cfg.vocab_size);
  int at = 0;
  for (int call = 0; call < 60; call++) {
    int kind = g_rand_int_range (rand, 0, 4);
    if (kind == 0)        /* vq_fill: the code just drawn, then a later position */
      window[MIN (at + 1, tokens - 1)] = (float) g_rand_int_range (rand, 0, r.cfg.vocab_size),
      at = g_rand_int_range (rand, at, tokens);
    else if (kind == 1)   /* anything anywhere */
      window[g_rand_int_range (rand, 0, tokens)] =
        (float) g_rand_int_range (rand, 0, r.cfg.vocab_size),
      at = g_rand_int_range (rand, 0, tokens);
    else if (kind == 2)   /* the same window again, a position asked before */
      at = g_rand_int_range (rand, 0, tokens);
    else                  /* a new window (vq_fill's moves) */
      for (int i = 0; i < tokens; i++)
        window[i] = (float) g_rand_int_range (rand, 0, r.cfg.vocab_size);
    check_at (&r, cache, window, at);
  }
  int whole, steps;
  vks_mingpt_cache_counts (cache, &whole, &steps);
  g_assert_cmpint (whole, >, 0);
  g_assert_cmpint (steps, >, 0);
  g_rand_free (rand);
  reference_clear (&r);
}

static void
check_errors (void)
{
  Reference r;
  reference_init (&r, 4);
  GError *error = NULL;
  g_assert_null (vks_mingpt_cache_new (test_context (), r.ck, &r.cfg, 0, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  g_assert_null (vks_mingpt_cache_new (test_context (), r.ck, &r.cfg, r.cfg.block_size + 1,
                                       &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  g_autoptr (VksMinGptCache) cache = vks_mingpt_cache_new (test_context (), r.ck, &r.cfg, 4,
                                                           &error);
  g_assert_no_error (error);
  float window[4] = { 1, 2, 3, 4 }, logits[64];
  g_assert_false (vks_mingpt_cache_logits (cache, window, 4, logits, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  g_assert_false (vks_mingpt_cache_logits (cache, window, -1, logits, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  /* a checkpoint without the prior's tensors */
  g_autoptr (VksCheckpoint) empty = vks_checkpoint_new ();
  g_assert_null (vks_mingpt_cache_new (test_context (), empty, &r.cfg, 4, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_clear_error (&error);
  check_at (&r, cache, window, 3);   /* still usable after the refusals */
  reference_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/mingpt-cache/appending/block", GINT_TO_POINTER (16), check_appending);
  g_test_add_data_func ("/mingpt-cache/appending/short", GINT_TO_POINTER (6), check_appending);
  g_test_add_func ("/mingpt-cache/random-edits", check_random_edits);
  g_test_add_func ("/mingpt-cache/errors", check_errors);
  int rc = g_test_run ();
  test_context_release ();
  return rc;
}
