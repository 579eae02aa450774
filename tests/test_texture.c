/* The texture source (engine/texture.h): latents from a seed (pinned bits, batch-independent),
 * images against PyTorch, textures in pieces equal to one piece, tileable textures seamless,
 * cancel, sizes from 1x1 to refused. The generators are the DCGAN fixtures of
 * tests/fixtures/make_dcgan_fixture.py, saved without their "G." prefix. */
#include <math.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/texture.h"
#include "tests/rig.h"

static VksCheckpoint *
load_fixture (const char *name)
{
  GError *error = NULL;
  g_autofree char *file = g_strdup_printf ("dcgan_%s.safetensors", name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", file, NULL);
  VksCheckpoint *ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

/* The fixture's generator (or discriminator) as a file of its own; returns its path (g_free). */
static char *
write_network (const char *name, const char *prefix)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) fx = load_fixture (name);
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  g_autofree const char **keys = vks_checkpoint_metadata_keys (fx);
  for (int i = 0; keys[i] != NULL; i++)
    vks_checkpoint_set_metadata (ckpt, keys[i], vks_checkpoint_get_metadata (fx, keys[i]));
  for (guint i = 0; i < vks_checkpoint_n_tensors (fx); i++) {
    const VksCheckpointTensor *t = vks_checkpoint_tensor_at (fx, i);
    if (g_str_has_prefix (t->name, prefix))
      vks_checkpoint_add_tensor (ckpt, t->name + strlen (prefix), t->ndim, t->shape, t->data);
  }
  char *path = g_build_filename (g_get_tmp_dir (), "vkstyle-test-texture-XXXXXX.safetensors",
                                 NULL);
  int fd = g_mkstemp (path);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (vks_checkpoint_save (ckpt, path, VKS_DTYPE_F32, &error));
  return path;
}

static VksTextureModel *
load_model (const char *name)
{
  GError *error = NULL;
  g_autofree char *path = write_network (name, "G.");
  VksTextureModel *model = vks_texture_model_load (test_context (), path, &error);
  g_assert_no_error (error);
  g_unlink (path);
  return model;
}

/* The generator's first values, as an independent Python implementation of texture.c's
 * description computes them (SplitMix64 + Box-Muller in double). */
static void
test_latents (void)
{
  VksGanConfig cfg;
  vks_gan_config_default (&cfg, VKS_GAN_INFOGAN);
  int latent = vks_gan_latent_size (&cfg);
  g_assert_cmpint (latent, ==, 112);
  g_autofree float *z = g_new (float, 64 * latent), *z3 = g_new (float, 3 * latent);
  VksGanCodes codes = { .category = 7, .continuous = { 0.5, -1.25 } };
  vks_gan_latents (&cfg, 42, 64, &codes, z);
  vks_gan_latents (&cfg, 42, 3, &codes, z3);
  g_assert_cmpmem (z, 3 * latent * sizeof (float), z3, 3 * latent * sizeof (float));
  const float pinned[4] = { -0.52942872f, 0.486929476f, -0.670214057f, -0.49752298f };
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (z[i], ==, pinned[i]);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < 64; i++) {
    const float *v = z + i * latent;
    for (int c = 0; c < 100; c++) {
      sum += v[c];
      sum2 += v[c] * v[c];
    }
    for (int c = 0; c < 10; c++)
      g_assert_cmpfloat (v[100 + c], ==, c == 7 ? 1.0f : 0.0f);
    g_assert_cmpfloat (v[110], ==, 0.5f);
    g_assert_cmpfloat (v[111], ==, -1.25f);
  }
  double mean = sum / 6400, var = sum2 / 6400 - mean * mean;
  g_test_message ("6400 normals: mean %+.4f, variance %.4f", mean, var);
  g_assert_cmpfloat (fabs (mean), <, 0.05);
  g_assert_cmpfloat (fabs (var - 1.0), <, 0.06);
  /* another seed, other numbers; no codes: category 0, continuous 0 */
  vks_gan_latents (&cfg, 43, 1, NULL, z3);
  g_assert_cmpfloat (z3[0], !=, z[0]);
  g_assert_cmpfloat (z3[100], ==, 1.0f);
  g_assert_cmpfloat (z3[111], ==, 0.0f);
}

/* Native-size images of PyTorch's latents are PyTorch's images. */
static void
test_generate (void)
{
  GError *error = NULL;
  g_autoptr (VksTextureModel) model = load_model ("dcgan64");
  g_assert_cmpstr (vks_texture_model_name (model), ==, "dcgan64");
  g_autoptr (VksCheckpoint) fx = load_fixture ("dcgan64");
  const VksCheckpointTensor *z = vks_checkpoint_get_tensor (fx, "z");
  const VksCheckpointTensor *want = vks_checkpoint_get_tensor (fx, "g_eval");
  int n = (int) z->shape[0], s = 64;
  g_autofree float *rgb = g_new (float, (size_t) n * s * s * 3);
  g_assert_true (vks_texture_generate (model, n, z->data, rgb, NULL, NULL, &error));
  double err = 0;
  for (int i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      for (int p = 0; p < s * s; p++) {
        float w = CLAMP (0.5f * (want->data[((size_t) i * 3 + c) * s * s + p] + 1.0f), 0, 1);
        err = MAX (err, fabs (rgb[((size_t) i * s * s + p) * 3 + c] - w));
      }
  g_test_message ("images vs PyTorch: %.2e", err);
  g_assert_cmpfloat (err, <=, 1e-4);
}

typedef struct {
  int calls, cancel_at;
  GHashTable *messages;
} Watch;

static gboolean
watch (double fraction, const char *message, gpointer data)
{
  Watch *w = data;
  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  if (w->messages != NULL)
    g_hash_table_add (w->messages, g_strdup (message));
  return ++w->calls != w->cancel_at;
}

static float *
render (VksTextureModel *model, const VksTextureOptions *o, int w, int h, Watch *watcher)
{
  GError *error = NULL;
  float *rgb = g_new (float, (size_t) w * h * 3);
  g_assert_true (vks_texture_render (model, o, w, h, rgb, watcher ? watch : NULL, watcher,
                                     &error));
  g_assert_no_error (error);
  return rgb;
}

/* With a budget that forces pieces the texture is the same as in one piece. */
static void
test_pieces (void)
{
  g_autoptr (VksTextureModel) model = load_model ("dcgan32");
  VksTextureOptions o = { .seed = 7 };
  const int w = 150, h = 97;
  g_autofree float *one = render (model, &o, w, h, NULL);
  g_setenv ("VKSTYLE_MEMORY_BUDGET", "1", TRUE);
  Watch watcher = { 0, -1, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };
  g_autofree float *pieces = render (model, &o, w, h, &watcher);
  g_unsetenv ("VKSTYLE_MEMORY_BUDGET");
  guint n_messages = g_hash_table_size (watcher.messages);
  g_hash_table_unref (watcher.messages);
  double diff = 0;
  for (long i = 0; i < 3L * w * h; i++)
    diff = MAX (diff, fabs (one[i] - pieces[i]));
  g_test_message ("%dx%d: %u progress messages, pieces vs one piece %.2e", w, h, n_messages,
                  diff);
  g_assert_cmpuint (n_messages, >=, 4);   /* several pieces were rendered */
  g_assert_cmpfloat (diff, <=, 1e-6);
  /* a texture is a window of the seed's plane: a smaller one is its top-left corner */
  g_autofree float *corner = render (model, &o, 40, 30, NULL);
  for (int y = 0; y < 30; y++)
    for (int x = 0; x < 40 * 3; x++)
      g_assert_cmpfloat (fabs (corner[y * 120 + x] - one[y * w * 3 + x]), <=, 1e-6);
}

/* The wrap-around seam against the interior: the mean |difference| across the seam (last
 * column against the first) divided by the largest mean |difference| between two adjacent
 * interior columns; the same for rows. About 1 or less: the seam is like a line of the interior.
 * (A smooth texture's line differences vary slowly, so the seam sits among its neighbours.) */
static double
seam_ratio (const float *rgb, int w, int h, gboolean rows)
{
  int lines = rows ? h : w, along = rows ? w : h;
  double seam = 0, worst = 0;
  for (int l = 0; l < lines; l++) {
    double d = 0;
    for (int a = 0; a < along; a++) {
      int y = rows ? l : a, x = rows ? a : l;
      int py = rows ? (y + h - 1) % h : y, px = rows ? x : (x + w - 1) % w;
      for (int c = 0; c < 3; c++)
        d += fabs (rgb[((size_t) y * w + x) * 3 + c] - rgb[((size_t) py * w + px) * 3 + c]);
    }
    if (l == 0)
      seam = d;
    else
      worst = MAX (worst, d);
  }
  return seam / worst;
}

/* A generator whose textures are smooth, so that a seam shows: channel-constant kernels make
 * every channel the sum of the latent channels, upsampled by bilinear-like filters; batch norm
 * shifts keep the ReLUs open; the last norm's scales differ per channel so the alternating
 * last kernel keeps the field. (The random fixtures draw noise, whose seams look like the
 * interior anyway.) */
static VksTextureModel *
smooth_model (void)
{
  GError *error = NULL;
  VksGanConfig cfg;
  vks_gan_config_default (&cfg, VKS_GAN_DCGAN);
  cfg.nz = 12;
  cfg.ngf = 4;
  cfg.image_size = 32;
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  vks_gan_config_to_metadata (&cfg, ckpt);
  g_autoptr (GPtrArray) specs = vks_gan_generator_tensors (&cfg);
  for (guint i = 0; i < specs->len; i++) {
    const VksTensorSpec *t = g_ptr_array_index (specs, i);
    gint64 n = 1;
    for (int d = 0; d < t->ndim; d++)
      n *= t->shape[d];
    g_autofree float *v = g_new (float, n);
    gboolean last = i + 1 == specs->len, last_bn = i + 5 == specs->len;
    for (gint64 k = 0; k < n; k++) {
      if (t->ndim == 4) {   /* [in][out][4][4]: bilinear-like kernels, summing to 1 */
        static const float tap[4] = { 0.25f, 0.75f, 0.75f, 0.25f };
        int cin = (int) t->shape[0], out = (int) (k / 16 % t->shape[1]);
        int in = (int) (k / (16 * t->shape[1]));
        v[k] = tap[k / 4 % 4] * tap[k % 4] / cin / (i == 0 ? 4 : 1);
        if (last)
          v[k] *= 0.5f * (in % 2 ? -1 : 1) * (out + 1);
      } else if (g_str_has_suffix (t->name, ".weight")) {
        v[k] = last_bn ? 1.0f + k : 1.0f;
      } else if (g_str_has_suffix (t->name, ".bias")) {
        v[k] = 3.0f;
      } else {
        v[k] = g_str_has_suffix (t->name, "running_var") ? 1.0f : 0.0f;
      }
    }
    vks_checkpoint_add_tensor (ckpt, t->name, t->ndim, t->shape, v);
  }
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "vkstyle-smooth-XXXXXX", NULL);
  int fd = g_mkstemp (path);
  close (fd);
  g_assert_true (vks_checkpoint_save (ckpt, path, VKS_DTYPE_F32, &error));
  VksTextureModel *model = vks_texture_model_load (test_context (), path, &error);
  g_assert_no_error (error);
  g_unlink (path);
  return model;
}

static void
test_tileable (void)
{
  g_autoptr (VksTextureModel) model = smooth_model ();
  /* whole cells (8 pixels), and not */
  const int sizes[][2] = { { 96, 64 }, { 101, 70 }, { 45, 123 } };
  for (gsize k = 0; k < G_N_ELEMENTS (sizes); k++) {
    int w = sizes[k][0], h = sizes[k][1];
    VksTextureOptions tiled = { .seed = 3, .tileable = TRUE }, plain = { .seed = 3 };
    g_autofree float *t = render (model, &tiled, w, h, NULL);
    g_autofree float *p = render (model, &plain, w, h, NULL);
    double cr = seam_ratio (t, w, h, FALSE), rr = seam_ratio (t, w, h, TRUE);
    double plain_cr = seam_ratio (p, w, h, FALSE), plain_rr = seam_ratio (p, w, h, TRUE);
    g_test_message ("%dx%d: seam / largest interior line difference, tileable %.3f (columns) "
                    "%.3f (rows); not tileable %.3f %.3f", w, h, cr, rr, plain_cr, plain_rr);
    /* the plain texture's wrap-around is a visible seam, the tileable one's is not */
    g_assert_cmpfloat (MIN (plain_cr, plain_rr), >, 4.0);
    g_assert_cmpfloat (cr, <=, 1.25);
    g_assert_cmpfloat (rr, <=, 1.25);
  }
}

static void
test_cancel (void)
{
  GError *error = NULL;
  g_autoptr (VksTextureModel) model = load_model ("dcgan32");
  VksTextureOptions o = { .seed = 1 };
  g_autofree float *rgb = g_new (float, 200 * 200 * 3);
  g_setenv ("VKSTYLE_MEMORY_BUDGET", "1", TRUE);
  for (int at = 1; at <= 3; at++) {
    Watch w = { 0, at, NULL };
    g_assert_false (vks_texture_render (model, &o, 200, 200, rgb, watch, &w, &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpint (w.calls, ==, at);   /* no question asked after the answer */
  }
  g_unsetenv ("VKSTYLE_MEMORY_BUDGET");
  Watch w = { 0, 1, NULL };
  float z[12] = { 0 };
  g_assert_false (vks_texture_generate (model, 1, z, rgb, watch, &w, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
  g_clear_error (&error);
}

static void
test_sizes (void)
{
  GError *error = NULL;
  g_autoptr (VksTextureModel) model = load_model ("infogan32");
  VksGanCodes codes = { .category = 2, .continuous = { 1.0, -1.0 } };
  VksTextureOptions o = { .seed = 5, .codes = &codes };
  for (int tileable = 0; tileable < 2; tileable++) {
    o.tileable = tileable;
    g_autofree float *px = render (model, &o, 1, 1, NULL);
    g_assert_cmpfloat (px[0], ==, px[1]);   /* grey */
    g_assert_cmpfloat (px[0], >=, 0.0f);
    g_assert_cmpfloat (px[0], <=, 1.0f);
  }
  float dummy[3];
  g_assert_false (vks_texture_render (model, &o, 20000, 20000, dummy, NULL, NULL, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (vks_texture_check_size (0, 5, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
  g_assert_true (vks_texture_check_size (16384, 16384, NULL));
  g_assert_false (vks_texture_check_size (70000, 2, NULL));
  /* the codes reach the network */
  VksTextureOptions other = o;
  VksGanCodes codes2 = codes;
  codes2.category = 3;
  other.codes = &codes2;
  o.tileable = other.tileable = FALSE;
  g_autofree float *a = render (model, &o, 24, 24, NULL), *b = render (model, &other, 24, 24, NULL);
  g_assert_cmpint (memcmp (a, b, 24 * 24 * 3 * sizeof (float)), !=, 0);
}

static void
test_load_errors (void)
{
  GError *error = NULL;
  g_autofree char *path = write_network ("wgan32_none", "D.");
  g_assert_null (vks_texture_model_load (test_context (), path, &error));
  g_unlink (path);
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "discriminator"));
  g_clear_error (&error);
  g_autofree char *style = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                  "gen_ngf8_nb2.safetensors", NULL);
  g_assert_null (vks_texture_model_load (test_context (), style, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "expected \"dcgan\""));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/texture/latents", test_latents);
  g_test_add_func ("/texture/generate", test_generate);
  g_test_add_func ("/texture/pieces", test_pieces);
  g_test_add_func ("/texture/tileable", test_tileable);
  g_test_add_func ("/texture/cancel", test_cancel);
  g_test_add_func ("/texture/sizes", test_sizes);
  g_test_add_func ("/texture/load-errors", test_load_errors);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
