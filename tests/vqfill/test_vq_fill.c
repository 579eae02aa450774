/* Neural fill (engine/models/vq_fill.h) with the random-weight fixtures: the VQGAN of
 * tests/fixtures/make_vqgan_fixture.py (made in the run by test_vq_fill.sh into
 * $VKSTYLE_VQGAN_FIXTURE) and the minGPT prior tests/fixtures/mingpt_small.safetensors.
 *   codes: the sliding-window drawing against PyTorch (make_vqfill_fixture.py), greedy and with
 *          the seeded stream, on a grid larger than the window and one lower than it; a class
 *          token instead of SOS
 *   image: outside mask + feather bit-identical, an empty mask a plain copy, seeds, progress,
 *          cancel; the touched set; a prior of another vocabulary and bad options refused */
#include <string.h>

#include "engine/error.h"
#include "engine/models/vq_fill.h"
#include "tests/rig.h"

typedef struct {
  VksCheckpoint *vqgan, *prior, *io;
} Models;

static VksCheckpoint *
load (const char *path)
{
  GError *error = NULL;
  VksCheckpoint *ck = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ck;
}

static Models
load_models (void)
{
  const char *dir = g_getenv ("VKSTYLE_VQGAN_FIXTURE");
  g_assert_nonnull (dir);
  g_autofree char *vq = g_build_filename (dir, "vqgan_small.safetensors", NULL);
  g_autofree char *pr = g_test_build_filename (G_TEST_DIST, "fixtures",
                                               "mingpt_small.safetensors", NULL);
  g_autofree char *io = g_test_build_filename (G_TEST_DIST, "fixtures",
                                               "vqfill_codes.safetensors", NULL);
  return (Models) { load (vq), load (pr), load (io) };
}

static void
free_models (Models *m)
{
  vks_checkpoint_free (m->vqgan);
  vks_checkpoint_free (m->prior);
  vks_checkpoint_free (m->io);
}

static VksVqFill *
new_fill (const Models *m)
{
  GError *error = NULL;
  VksVqFill *fill = vks_vq_fill_new (test_context (), m->vqgan, m->prior, &error);
  g_assert_no_error (error);
  return fill;
}

static const VksCheckpointTensor *
tensor (const VksCheckpoint *io, const char *c, const char *what)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", c, what);
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (io, key);
  g_assert_nonnull (t);
  return t;
}

/* (3): the drawn codes are PyTorch's; the others as they were */
static void
check_codes (const char *c, gboolean greedy)
{
  Models m = load_models ();
  g_autoptr (VksVqFill) fill = new_fill (&m);
  const VksCheckpointTensor *codes = tensor (m.io, c, "codes");
  const VksCheckpointTensor *touched = tensor (m.io, c, "touched");
  const VksCheckpointTensor *want = tensor (m.io, c, greedy ? "greedy" : "sampled");
  int zh = (int) codes->shape[0], zw = (int) codes->shape[1], n = zh * zw;
  g_autofree float *got = g_memdup2 (codes->data, n * sizeof *got);
  g_autofree guint8 *mask = g_new (guint8, n);
  for (int k = 0; k < n; k++)
    mask[k] = touched->data[k] != 0;
  VksVqFillOptions o = { .seed = 12345, .top_k = greedy ? 1 : 5,
                         .temperature = greedy ? 1.0f : 0.8f, .cond_token = -1 };
  GError *error = NULL;
  g_assert_true (vks_vq_fill_codes (fill, got, mask, zh, zw, &o, NULL, NULL, &error));
  g_assert_no_error (error);
  int drawn = 0, changed = 0;
  for (int k = 0; k < n; k++) {
    if (!mask[k])
      g_assert_cmpfloat (got[k], ==, codes->data[k]);
    drawn += mask[k];
    changed += got[k] != codes->data[k];
    if (got[k] != want->data[k])
      g_error ("%s: code (%d, %d) is %g, PyTorch's %g", c, k / zw, k % zw, got[k],
               want->data[k]);
  }
  g_test_message ("%s %s: %d x %d grid, %d drawn, %d changed, all as PyTorch's", c,
                  greedy ? "greedy" : "sampled", zh, zw, drawn, changed);
  free_models (&m);
}

static void
check_codes_greedy (gconstpointer c)
{
  check_codes (c, TRUE);
}

static void
check_codes_sampled (gconstpointer c)
{
  check_codes (c, FALSE);
}

/* a class label instead of the SOS token conditions every window: other codes */
static void
check_class_token (void)
{
  Models m = load_models ();
  g_autoptr (VksVqFill) fill = new_fill (&m);
  const VksCheckpointTensor *codes = tensor (m.io, "big", "codes");
  const VksCheckpointTensor *touched = tensor (m.io, "big", "touched");
  const VksCheckpointTensor *sos = tensor (m.io, "big", "greedy");
  int n = (int) codes->n_elements, differ = 0;
  g_autofree float *got = g_memdup2 (codes->data, n * sizeof *got);
  g_autofree guint8 *mask = g_new (guint8, n);
  for (int k = 0; k < n; k++)
    mask[k] = touched->data[k] != 0;
  VksVqFillOptions o = { .top_k = 1, .temperature = 1.0f, .cond_token = 5 };
  GError *error = NULL;
  g_assert_true (vks_vq_fill_codes (fill, got, mask, (int) codes->shape[0],
                                    (int) codes->shape[1], &o, NULL, NULL, &error));
  for (int k = 0; k < n; k++)
    differ += got[k] != sos->data[k];
  g_test_message ("class token 5: %d of %d codes differ from the SOS token's", differ, n);
  g_assert_cmpint (differ, >, 0);
  free_models (&m);
}

/* the touched set: the mask's cells and a ring of one code (factor 2, feather 2) */
static void
check_touched (void)
{
  float mask[7 * 9] = { 0 };
  guint8 touched[4 * 5];
  g_assert_cmpint (vks_vq_fill_touched (mask, 9, 7, 2, touched), ==, 0);
  mask[3 * 9 + 5] = 1.0f;      /* cell (1, 2) */
  mask[6 * 9 + 8] = 0.5f;      /* not > 0.5: not to fill */
  g_assert_cmpint (vks_vq_fill_touched (mask, 9, 7, 2, touched), ==, 9);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 5; j++)
      g_assert_cmpint (touched[i * 5 + j], ==, i <= 2 && j >= 1 && j <= 3);
  mask[6 * 9 + 8] = 0.9f;      /* the corner cell (3, 4), cut by the image edge */
  g_assert_cmpint (vks_vq_fill_touched (mask, 9, 7, 2, touched), ==, 9 + 3);
}

#define W 19   /* not multiples of the factor 2: mirror-extended and cropped back */
#define H 13

static void
test_image (float *rgb)
{
  GRand *rng = g_rand_new_with_seed (17);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        rgb[(y * W + x) * 3 + c] = (float) g_rand_int_range (rng, 0, 256) / 255.0f;
  g_rand_free (rng);
}

/* a 5 x 4 rectangle at (7, 4), and one pixel at the last column */
static void
test_mask (float *mask)
{
  memset (mask, 0, W * H * sizeof *mask);
  for (int y = 4; y < 8; y++)
    for (int x = 7; x < 12; x++)
      mask[y * W + x] = 1.0f;
  mask[10 * W + W - 1] = 0.75f;
}

static int
distance_to_mask (const float *mask, int x, int y)
{
  int best = G_MAXINT;
  for (int b = 0; b < H; b++)
    for (int a = 0; a < W; a++)
      if (mask[b * W + a] > 0.5f)
        best = MIN (best, MAX (ABS (a - x), ABS (b - y)));
  return best;
}

typedef struct {
  int calls, stop_at;
  double last;
} Progress;

static gboolean
on_progress (double fraction, const char *message, gpointer data)
{
  Progress *p = data;
  g_assert_cmpfloat (fraction, >=, p->last);
  p->last = fraction;
  p->calls++;
  g_test_message ("progress %.3f %s", fraction, message);
  return p->stop_at == 0 || p->calls < p->stop_at;
}

static gboolean
fill_image (VksVqFill *fill, const float *in, const float *mask, float *out, guint64 seed,
            Progress *p, GError **error)
{
  VksVqFillOptions o = { .seed = seed, .top_k = 0, .temperature = 1.0f, .cond_token = -1 };
  return vks_vq_fill_image (fill, in, mask, out, W, H, &o, p ? on_progress : NULL, p, error);
}

/* (1), (5) and progress: outside the feather the input's bits; inside new pixels; the same seed
 * the same image, another seed another */
static void
check_image (void)
{
  Models m = load_models ();
  g_autoptr (VksVqFill) fill = new_fill (&m);
  float in[W * H * 3], mask[W * H], a[W * H * 3], b[W * H * 3], c[W * H * 3];
  test_image (in);
  test_mask (mask);
  GError *error = NULL;
  Progress p = { 0 };
  g_assert_true (fill_image (fill, in, mask, a, 7, &p, &error));
  g_assert_no_error (error);
  /* touched rows of the 7 x 10 grid: 1 to 4 (the rectangle and its ring), 4 to 6 (the pixel);
   * one report per such row plus encoding, decoding and done */
  g_assert_cmpint (p.calls, ==, 6 + 3);
  g_assert_cmpfloat (p.last, ==, 1.0);
  int kept = 0, inside = 0, inside_changed = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int d = distance_to_mask (mask, x, y);
      for (int k = 0; k < 3; k++) {
        int i = (y * W + x) * 3 + k;
        if (d > VKS_VQ_FILL_FEATHER) {
          if (memcmp (&a[i], &in[i], sizeof *a) != 0)
            g_error ("pixel (%d, %d) %d pixels from the mask changed: %g -> %g", x, y, d, in[i],
                     a[i]);
          kept++;
        } else if (d == 0) {
          inside++;
          inside_changed += a[i] != in[i];
        }
        g_assert_cmpfloat (a[i], >=, 0.0f);
        g_assert_cmpfloat (a[i], <=, 1.0f);
      }
    }
  g_test_message ("%d values kept bit for bit, %d of %d inside the mask changed", kept,
                  inside_changed, inside);
  g_assert_cmpint (inside_changed, >, inside / 2);
  memcpy (b, in, sizeof b);   /* in place */
  g_assert_true (fill_image (fill, b, mask, b, 7, NULL, &error));
  g_assert_true (memcmp (a, b, sizeof a) == 0);
  g_assert_true (fill_image (fill, in, mask, c, 8, NULL, &error));
  g_assert_false (memcmp (a, c, sizeof a) == 0);
  free_models (&m);
}

/* (2): an empty mask (and one at exactly 0.5 everywhere) leaves the image as it was */
static void
check_empty_mask (void)
{
  Models m = load_models ();
  g_autoptr (VksVqFill) fill = new_fill (&m);
  float in[W * H * 3], mask[W * H], out[W * H * 3];
  test_image (in);
  for (int k = 0; k < W * H; k++)
    mask[k] = k % 2 ? 0.5f : 0.0f;
  GError *error = NULL;
  Progress p = { 0 };
  g_assert_true (fill_image (fill, in, mask, out, 7, &p, &error));
  g_assert_true (memcmp (in, out, sizeof in) == 0);
  g_assert_cmpint (p.calls, ==, 1);
  free_models (&m);
}

/* a FALSE from progress: VKS_ERROR_CANCELLED, the output untouched */
static void
check_cancel (void)
{
  Models m = load_models ();
  g_autoptr (VksVqFill) fill = new_fill (&m);
  float in[W * H * 3], mask[W * H], out[W * H * 3];
  test_image (in);
  test_mask (mask);
  memset (out, 0, sizeof out);
  GError *error = NULL;
  Progress p = { .stop_at = 3 };   /* encoding, row 1, then stop at row 2 */
  g_assert_false (fill_image (fill, in, mask, out, 7, &p, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
  g_clear_error (&error);
  for (guint k = 0; k < G_N_ELEMENTS (out); k++)
    g_assert_cmpfloat (out[k], ==, 0.0f);
  free_models (&m);
}

/* options the sampler cannot take: refused before any model runs (even for an empty mask), the
 * output untouched */
static void
check_bad_options (void)
{
  Models m = load_models ();
  g_autoptr (VksVqFill) fill = new_fill (&m);
  float in[W * H * 3], mask[W * H], out[W * H * 3];
  test_image (in);
  test_mask (mask);
  static const VksVqFillOptions cases[] = {
    { .top_k = 1, .temperature = 0.0f, .cond_token = -1 },
    { .top_k = -1, .temperature = 1.0f, .cond_token = -1 },
    { .top_k = 1, .temperature = 1.0f, .cond_token = 33 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    memset (out, 0, sizeof out);
    GError *error = NULL;
    Progress p = { 0 };
    g_assert_false (vks_vq_fill_image (fill, in, mask, out, W, H, &cases[i], on_progress, &p,
                                       &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "temperature > 0, top-k >= 0, the token below 33"));
    g_clear_error (&error);
    g_assert_cmpint (p.calls, ==, 0);
    for (guint k = 0; k < G_N_ELEMENTS (out); k++)
      g_assert_cmpfloat (out[k], ==, 0.0f);
  }
  /* refused with nothing to draw as well, not only when the prior would run */
  float empty[W * H] = { 0 };
  GError *error = NULL;
  g_assert_false (vks_vq_fill_image (fill, in, empty, out, W, H, &cases[0], NULL, NULL, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  free_models (&m);
}

/* (4): a prior of another vocabulary, and a start token outside it */
static void
check_mismatch (void)
{
  Models m = load_models ();
  static const struct {
    const char *key, *value, *message;
  } cases[] = {
    { "vkstyle.vocab_size", "31", "the prior's vocabulary of 31 tokens does not match the "
      "VQGAN's 32 codes" },
    { "vkstyle.vocab_size", "1024", "vocabulary of 1024 tokens does not match" },
    { "vkstyle.sos_token", "33", "vkstyle.sos_token 33 is not below its vocabulary of 33" },
    { "vkstyle.arch", "vqgan", "the prior: " },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *saved = g_strdup (vks_checkpoint_get_metadata (m.prior, cases[i].key));
    vks_checkpoint_set_metadata (m.prior, cases[i].key, cases[i].value);
    GError *error = NULL;
    g_assert_null (vks_vq_fill_new (test_context (), m.vqgan, m.prior, &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("case %u: \"%s\" does not contain \"%s\"", i, error->message, cases[i].message);
    g_clear_error (&error);
    if (saved != NULL)
      vks_checkpoint_set_metadata (m.prior, cases[i].key, saved);
    else
      vks_checkpoint_set_metadata (m.prior, cases[i].key, "0");
  }
  /* the models swapped */
  GError *error = NULL;
  g_assert_null (vks_vq_fill_new (test_context (), m.prior, m.vqgan, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_clear_error (&error);
  free_models (&m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/vqfill/codes/greedy/big", "big", check_codes_greedy);
  g_test_add_data_func ("/vqfill/codes/greedy/low", "low", check_codes_greedy);
  g_test_add_data_func ("/vqfill/codes/sampled/big", "big", check_codes_sampled);
  g_test_add_data_func ("/vqfill/codes/sampled/low", "low", check_codes_sampled);
  g_test_add_func ("/vqfill/codes/class-token", check_class_token);
  g_test_add_func ("/vqfill/touched", check_touched);
  g_test_add_func ("/vqfill/image", check_image);
  g_test_add_func ("/vqfill/empty-mask", check_empty_mask);
  g_test_add_func ("/vqfill/cancel", check_cancel);
  g_test_add_func ("/vqfill/mismatch", check_mismatch);
  g_test_add_func ("/vqfill/bad-options", check_bad_options);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
