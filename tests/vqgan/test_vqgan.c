/* taming's VQModel on the graph engine against PyTorch (tests/fixtures/make_vqgan_fixture.py,
 * made in the run by test_vqgan.sh into $VKSTYLE_VQGAN_FIXTURE): encode -> indices identical,
 * z, the codes and the loss, decode and the whole reconstruction; then checkpoints that are
 * not this model, each refused with an error naming the problem. */
#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/models/vqgan.h"
#include "engine/nn/params.h"
#include "engine/nn/plan.h"
#include "tests/rig.h"

/* float32 against PyTorch's float32: max |a - b| / max |b| */
#define TORCH_TOL 2e-4

static VksCheckpoint *
load_fixture (const char *file)
{
  const char *dir = g_getenv ("VKSTYLE_VQGAN_FIXTURE");
  g_assert_nonnull (dir);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  GError *error = NULL;
  VksCheckpoint *ck = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ck;
}

static const VksCheckpointTensor *
want (const VksCheckpoint *io, const char *c, const char *what)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", c, what);
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (io, key);
  g_assert_nonnull (t);
  return t;
}

/* max |got - expect| / max |expect|, logged with the absolute difference */
static double
compare (VksPlan *plan, const VksGraph *g, VksNode node, const VksCheckpointTensor *t,
         const char *what)
{
  g_autofree float *got = g_new (float, t->n_elements);
  GError *error = NULL;
  g_assert_cmpint (vks_shape_elements (vks_graph_shape (g, node)), ==,
                   t->n_elements);
  g_assert_true (vks_plan_get (plan, node, got, &error));
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < t->n_elements; i++) {
    diff = MAX (diff, fabs (got[i] - t->data[i]));
    scale = MAX (scale, fabs (t->data[i]));
  }
  g_test_message ("%s: max |diff| %.3g (max |value| %.3g)", what, diff, scale);
  return scale > 0 ? diff / scale : diff;
}

static void
check_parity (gconstpointer data)
{
  const char *c = data;
  g_autoptr (VksCheckpoint) model = load_fixture ("vqgan_small.safetensors");
  g_autoptr (VksCheckpoint) io = load_fixture ("vqgan_small_io.safetensors");
  VksVqganConfig cfg;
  GError *error = NULL;
  g_assert_true (vks_vqgan_check_checkpoint (model, &cfg, &error));
  g_assert_no_error (error);
  const VksCheckpointTensor *x = want (io, c, "x"), *idx = want (io, c, "indices");

  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode in = vks_input (g, "x", vks_shape (1, 3, (int) x->shape[2], (int) x->shape[3]));
  VksVqganEncoded e = vks_vqgan_encode (g, &cfg, in);
  VksNode dec = vks_vqgan_decode (g, &cfg, e.quantized);
  /* decode_code: the reference's indices, looked up and decoded */
  VksNode given = vks_input (g, "indices", vks_shape (1, 1, (int) idx->shape[2],
                                                      (int) idx->shape[3]));
  VksNode dec_code = vks_vqgan_decode_indices (g, &cfg, given);
  g_assert_true (vks_graph_check (g, &error));
  VksNode outs[] = { e.z, e.indices, e.quantized, e.loss, dec, dec_code };
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, outs, G_N_ELEMENTS (outs), NULL,
                                           &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (plan, g, model, &error));
  g_assert_true (vks_plan_set (plan, in, x->data, &error));
  g_assert_true (vks_plan_set (plan, given, idx->data, &error));
  g_assert_true (vks_plan_run (plan, &error));

  g_autofree float *got = g_new (float, idx->n_elements);
  g_assert_true (vks_plan_get (plan, e.indices, got, &error));
  for (int64_t i = 0; i < idx->n_elements; i++)
    g_assert_cmpfloat (got[i], ==, idx->data[i]);
  g_test_message ("indices: %ld of %ld identical", (long) idx->n_elements,
                  (long) idx->n_elements);
  g_assert_cmpfloat (compare (plan, g, e.z, want (io, c, "z"), "z"), <=, TORCH_TOL);
  g_assert_cmpfloat (compare (plan, g, e.quantized, want (io, c, "quant"), "quant"), <=, TORCH_TOL);
  g_assert_cmpfloat (compare (plan, g, e.loss, want (io, c, "loss"), "loss"), <=, TORCH_TOL);
  g_assert_cmpfloat (compare (plan, g, dec, want (io, c, "dec"), "reconstruction"), <=, TORCH_TOL);
  g_assert_cmpfloat (compare (plan, g, dec_code, want (io, c, "dec"), "decode(indices)"), <=,
                     TORCH_TOL);
  VksPlanStats st;
  vks_plan_stats (plan, &st);
  g_test_message ("%d nodes computed, %d dispatches", st.n_nodes, st.n_dispatches);
}

/* The run helpers the CLI uses: encode then decode equals the reconstruction. */
static void
check_run_helpers (void)
{
  g_autoptr (VksCheckpoint) model = load_fixture ("vqgan_small.safetensors");
  g_autoptr (VksCheckpoint) io = load_fixture ("vqgan_small_io.safetensors");
  VksVqganConfig cfg;
  GError *error = NULL;
  g_assert_true (vks_vqgan_check_checkpoint (model, &cfg, &error));
  const VksCheckpointTensor *x = want (io, "sq", "x"), *idx = want (io, "sq", "indices");
  const VksCheckpointTensor *dec = want (io, "sq", "dec");
  g_autofree float *codes = g_new (float, idx->n_elements);
  g_autofree float *img = g_new (float, dec->n_elements);
  g_autofree float *rec = g_new (float, dec->n_elements);
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (vks_vqgan_run_encode (test_context (), model, &cfg, x->data, 16, 16, codes,
                                       &error));
  g_assert_true (vks_vqgan_run_decode (test_context (), model, &cfg, codes, 8, 8, img, &error));
  g_test_message ("encode + decode of 16x16: %.0f ms (plans included)",
                  (g_get_monotonic_time () - t0) / 1e3);
  g_assert_true (vks_vqgan_run_reconstruct (test_context (), model, &cfg, x->data, 16, 16, rec,
                                            &error));
  g_assert_no_error (error);
  for (int64_t i = 0; i < idx->n_elements; i++)
    g_assert_cmpfloat (codes[i], ==, idx->data[i]);
  /* the reconstruction decodes z + (zq - z) (the straight-through codes), decode the codes
   * themselves: equal up to that sum's rounding */
  for (int64_t i = 0; i < dec->n_elements; i++)
    g_assert_cmpfloat (fabs (img[i] - rec[i]), <=, 1e-4);
  codes[3] = 32;   /* outside the codebook */
  g_assert_false (vks_vqgan_run_decode (test_context (), model, &cfg, codes, 8, 8, img, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "code 3 is 32, not one of the model's 32 codes"));
  g_clear_error (&error);
  /* a size the down-sampling cannot take */
  g_assert_false (vks_vqgan_run_encode (test_context (), model, &cfg, x->data, 15, 16, codes,
                                        &error));
  g_assert_nonnull (strstr (error->message, "multiples of 2"));
  g_clear_error (&error);
}

/* ---- hostile checkpoints ---- */

/* A copy of ck without `drop` (NULL: none), with metadata key set to value (NULL: unchanged),
 * and tensor `reshape` (NULL: none) given one more row. */
static VksCheckpoint *
variant (const VksCheckpoint *ck, const char *drop, const char *key, const char *value,
         const char *reshape)
{
  VksCheckpoint *out = vks_checkpoint_new ();
  g_autofree const char **keys = vks_checkpoint_metadata_keys (ck);
  for (int i = 0; keys[i] != NULL; i++)
    vks_checkpoint_set_metadata (out, keys[i], vks_checkpoint_get_metadata (ck, keys[i]));
  if (key != NULL)
    vks_checkpoint_set_metadata (out, key, value);
  for (guint i = 0; i < vks_checkpoint_n_tensors (ck); i++) {
    const VksCheckpointTensor *t = vks_checkpoint_tensor_at (ck, i);
    if (drop != NULL && strcmp (t->name, drop) == 0)
      continue;
    int64_t shape[VKS_CHECKPOINT_MAX_DIMS];
    memcpy (shape, t->shape, sizeof shape);
    gboolean grow = reshape != NULL && strcmp (t->name, reshape) == 0;
    if (grow)
      shape[0] += 1;
    vks_checkpoint_add_tensor (out, t->name, t->ndim, shape, grow ? NULL : t->data);
  }
  return out;
}

static void
check_hostile (void)
{
  g_autoptr (VksCheckpoint) model = load_fixture ("vqgan_small.safetensors");
  static const struct {
    const char *drop, *key, *value, *reshape, *message;
  } cases[] = {
    { NULL, "vkstyle.arch", "cyclegan_resnet", NULL, "not a VQGAN (taming VQModel)" },
    { NULL, "vkstyle.ch", NULL, NULL, "" },   /* placeholder, replaced below */
    { NULL, "vkstyle.ch", "48", NULL, "GroupNorm(32) needs a multiple of 32" },
    { NULL, "vkstyle.ch", "032", NULL, "not a whole number" },
    { NULL, "vkstyle.ch_mult", "1,,2", NULL, "vkstyle.ch_mult is \"1,,2\", not a list" },
    { NULL, "vkstyle.ch_mult", "1,2,3,4,5,6,7,8,9", NULL, "not a list of at most 8" },
    { NULL, "vkstyle.ch_mult", "", NULL, "not a list" },
    { NULL, "vkstyle.ch_mult", "1,99999", NULL, "between 1 and 64" },
    { NULL, "vkstyle.attn_resolutions", "8,x", NULL, "attn_resolutions is \"8,x\"" },
    { NULL, "vkstyle.double_z", "true", NULL, "double_z false" },
    { NULL, "vkstyle.n_embed", "99999999", NULL, "between 1 and 16384" },
    { NULL, "vkstyle.n_embed", "64", NULL, "quantize.embedding.weight has shape [32, 8]" },
    { NULL, "vkstyle.num_res_blocks", "2", NULL, "tensor encoder.down.0.block.1.norm1.bias is missing" },
    { NULL, "vkstyle.ch_mult", "1,2,2", NULL, "is missing" },
    { "decoder.up.1.attn.0.q.weight", NULL, NULL, NULL,
      "tensor decoder.up.1.attn.0.q.weight is missing" },
    { NULL, NULL, NULL, "encoder.down.1.block.0.nin_shortcut.weight",
      "encoder.down.1.block.0.nin_shortcut.weight has shape [65, 32, 1, 1]" },
    { NULL, "vkstyle.attn_resolutions", "", NULL, "unexpected tensor" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (VksCheckpoint) bad = NULL;
    const char *message = cases[i].message;
    if (i == 1) {
      /* a required key missing: a copy without it */
      bad = vks_checkpoint_new ();
      g_autofree const char **keys = vks_checkpoint_metadata_keys (model);
      for (int k = 0; keys[k] != NULL; k++)
        if (strcmp (keys[k], "vkstyle.ch") != 0)
          vks_checkpoint_set_metadata (bad, keys[k], vks_checkpoint_get_metadata (model, keys[k]));
      message = "metadata lacks vkstyle.ch";
    } else {
      bad = variant (model, cases[i].drop, cases[i].key, cases[i].value, cases[i].reshape);
    }
    VksVqganConfig cfg;
    GError *error = NULL;
    g_assert_false (vks_vqgan_check_checkpoint (bad, &cfg, &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
    g_test_message ("%s", error->message);
    if (strstr (error->message, message) == NULL)
      g_error ("case %u: \"%s\" does not contain \"%s\"", i, error->message, message);
    g_clear_error (&error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/vqgan/parity/square", "sq", check_parity);
  g_test_add_data_func ("/vqgan/parity/wide", "wide", check_parity);
  g_test_add_func ("/vqgan/run-helpers", check_run_helpers);
  g_test_add_func ("/vqgan/hostile-checkpoints", check_hostile);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
