/* taming's minGPT prior on the graph engine: logits against PyTorch
 * (tests/fixtures/make_mingpt_fixture.py) for a full block and a shorter sequence, and
 * metadata that is not this model. */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/models/mingpt.h"
#include "engine/nn/params.h"
#include "engine/nn/plan.h"
#include "tests/rig.h"

#define TORCH_TOL 2e-5   /* max |a - b| / max |b|, float32 against PyTorch's float32 */

static VksCheckpoint *
load_fixture (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "mingpt_small.safetensors", NULL);
  GError *error = NULL;
  VksCheckpoint *ck = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ck;
}

static void
check_logits (gconstpointer data)
{
  const char *c = data;
  g_autoptr (VksCheckpoint) ck = load_fixture ();
  VksMinGptConfig cfg;
  GError *error = NULL;
  g_assert_true (vks_mingpt_config_read (ck, &cfg, &error));
  g_autofree char *ik = g_strdup_printf ("%s.idx", c), *lk = g_strdup_printf ("%s.logits", c);
  const VksCheckpointTensor *idx = vks_checkpoint_get_tensor (ck, ik);
  const VksCheckpointTensor *want = vks_checkpoint_get_tensor (ck, lk);
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode in = vks_input (g, "idx", vks_shape (1, (int) idx->shape[1], 1, (int) idx->shape[3]));
  VksNode logits = vks_mingpt_logits (g, &cfg, NULL, in);
  g_assert_true (vks_graph_check (g, &error));
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, &logits, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (plan, g, ck, &error));
  g_assert_true (vks_plan_set (plan, in, idx->data, &error));
  g_assert_true (vks_plan_run (plan, &error));
  g_assert_cmpint (vks_shape_elements (vks_graph_shape (g, logits)), ==, want->n_elements);
  g_autofree float *got = g_new (float, want->n_elements);
  g_assert_true (vks_plan_get (plan, logits, got, &error));
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < want->n_elements; i++) {
    diff = MAX (diff, fabs (got[i] - want->data[i]));
    scale = MAX (scale, fabs (want->data[i]));
  }
  VksPlanStats st;
  vks_plan_stats (plan, &st);
  g_test_message ("logits: max |diff| %.3g (max |value| %.3g), %d dispatches", diff, scale,
                  st.n_dispatches);
  g_assert_cmpfloat (diff / scale, <=, TORCH_TOL);
}

static void
check_errors (void)
{
  g_autoptr (VksCheckpoint) ck = load_fixture ();
  static const struct {
    const char *key, *value, *message;
  } cases[] = {
    { "vkstyle.arch", "vqgan", "not a minGPT transformer" },
    { "vkstyle.n_head", "3", "n_embd 32 is not a multiple of n_head 3" },
    { "vkstyle.n_unmasked", "4", "vkstyle.n_unmasked is 4, it must be between 0 and 0" },
    { "vkstyle.block_size", "-1", "not a whole number" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const char *old = vks_checkpoint_get_metadata (ck, cases[i].key);
    g_autofree char *saved = g_strdup (old);
    vks_checkpoint_set_metadata (ck, cases[i].key, cases[i].value);
    VksMinGptConfig cfg;
    GError *error = NULL;
    g_assert_false (vks_mingpt_config_read (ck, &cfg, &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("\"%s\" does not contain \"%s\"", error->message, cases[i].message);
    g_clear_error (&error);
    vks_checkpoint_set_metadata (ck, cases[i].key, saved);
  }
  /* a sequence longer than the block */
  VksMinGptConfig cfg;
  g_assert_true (vks_mingpt_config_read (ck, &cfg, NULL));
  g_autoptr (VksGraph) g = vks_graph_new ();
  g_assert_cmpint (vks_mingpt_logits (g, &cfg, NULL, vks_input (g, "i", vks_shape (1, 1, 1, 17))),
                   ==, VKS_NONE);
  GError *error = NULL;
  g_assert_false (vks_graph_check (g, &error));
  g_assert_nonnull (strstr (error->message, "at most the block size 16"));
  g_clear_error (&error);
}

/* top-k and temperature against torch's top_k_logits + softmax + inverse CDF */
static void
check_pick (void)
{
  g_autoptr (VksCheckpoint) ck = load_fixture ();
  const VksCheckpointTensor *logits = vks_checkpoint_get_tensor (ck, "pick.logits");
  const VksCheckpointTensor *u = vks_checkpoint_get_tensor (ck, "pick.u");
  static const struct {
    float t;
    int k;
    const char *key;
  } cases[] = {
    { 1.0f, 0, "pick.index_t1_k0" }, { 0.7f, 5, "pick.index_t0.7_k5" },
    { 2.0f, 1, "pick.index_t2_k1" },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    const VksCheckpointTensor *want = vks_checkpoint_get_tensor (ck, cases[c].key);
    for (int i = 0; i < u->n_elements; i++)
      g_assert_cmpint (vks_mingpt_pick (logits->data, (int) logits->n_elements, cases[c].t,
                                        cases[c].k, u->data[i]), ==, (int) want->data[i]);
  }
}

/* greedy sampling (top-k 1) over 20 steps, the window sliding past the block of 16 */
static void
check_greedy (void)
{
  g_autoptr (VksCheckpoint) ck = load_fixture ();
  VksMinGptConfig cfg;
  GError *error = NULL;
  g_assert_true (vks_mingpt_config_read (ck, &cfg, &error));
  const VksCheckpointTensor *want = vks_checkpoint_get_tensor (ck, "greedy.tokens");
  float tokens[20];
  g_assert_true (vks_mingpt_sample (test_context (), ck, &cfg, 0, 20, 1.0f, 1, 7, tokens,
                                    &error));
  g_assert_no_error (error);
  for (int i = 0; i < 20; i++)
    g_assert_cmpfloat (tokens[i], ==, want->data[i]);
  /* seeded sampling: the same seed the same tokens, in the vocabulary */
  float a[20], b[20];
  g_assert_true (vks_mingpt_sample (test_context (), ck, &cfg, 0, 20, 1.0f, 5, 42, a, &error));
  g_assert_true (vks_mingpt_sample (test_context (), ck, &cfg, 0, 20, 1.0f, 5, 42, b, &error));
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  for (int i = 0; i < 20; i++)
    g_assert_true (a[i] >= 0 && a[i] < cfg.vocab_size);
  g_assert_false (vks_mingpt_sample (test_context (), ck, &cfg, 0, 4, 0.0f, 5, 42, a, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/mingpt/logits/full-block", "full", check_logits);
  g_test_add_data_func ("/mingpt/logits/short", "short", check_logits);
  g_test_add_func ("/mingpt/errors", check_errors);
  g_test_add_func ("/mingpt/sample/pick", check_pick);
  g_test_add_func ("/mingpt/sample/greedy", check_greedy);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
