/* The plug-in's GIMP-free code (the files directly in plug-in/), without GIMP: Style from Reference's argument
 * checks, the model kinds read from checkpoint headers and resolved by name, job requests
 * (copies share the reference pixels), a reference drawable read at a power-of-two scale, and
 * job_compute's StarGAN v2 results against the engine's own calls. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gegl.h>

#include "engine/error.h"
#include "plug-in/job.h"
#include "plug-in/models.h"
#include "plug-in/settings.h"

static char *
fixture (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
}

static void
reference_values (FilterValue v[REFERENCE_N_ARGS], const char *domain, double reference,
                  double variations)
{
  memset (v, 0, sizeof (FilterValue) * REFERENCE_N_ARGS);
  v[REFERENCE_ARG_MODEL].string = "model";
  v[REFERENCE_ARG_DOMAIN].string = domain;
  v[REFERENCE_ARG_REFERENCE].number = reference;
  v[REFERENCE_ARG_SEED].number = 7;
  v[REFERENCE_ARG_STRENGTH].number = 100;
  v[REFERENCE_ARG_VARIATIONS].number = variations;
  v[REFERENCE_ARG_SCALE].number = 1.0;
  v[REFERENCE_ARG_DEVICE].string = "";
}

static void
test_reference_settings (void)
{
  FilterValue v[REFERENCE_N_ARGS];
  ReferenceSettings s;
  struct { const char *domain; double reference, variations; const char *message; } bad[] = {
    { "", -1, 1, "No domain" },
    { "cat", -1, 0, "Variations must be a whole number from 1 to 16, not 0" },
    { "cat", -1, 17, "not 17" },
    { "cat", -1, 1.5, "not 1.5" },
    { "cat", 12, 2, "Variations are random styles" },
  };

  reference_settings_init_defaults (&s);
  g_assert_cmpint (s.reference, ==, -1);
  g_assert_cmpint (s.variations, ==, 1);
  reference_values (v, "dog", 12, 1);
  g_assert_true (reference_settings_from_values (&s, v, NULL));
  g_assert_cmpstr (s.domain, ==, "dog");
  g_assert_cmpint (s.reference, ==, 12);
  g_assert_cmpint (s.new_layer, ==, 0);
  /* variations always go on new layers */
  reference_values (v, "dog", -1, 3);
  g_assert_true (reference_settings_from_values (&s, v, NULL));
  g_assert_cmpint (s.new_layer, ==, 1);
  g_assert_cmpint (s.variations, ==, 3);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      reference_values (v, bad[i].domain, bad[i].reference, bad[i].variations);
      g_assert_false (reference_settings_from_values (&s, v, &error));
      g_assert_nonnull (strstr (error->message, bad[i].message));
    }
}

static void
test_model_kinds (void)
{
  g_autofree char *stargan = fixture ("stargan2_s32.safetensors");
  g_autofree char *texture = fixture ("texture_dcgan32.safetensors");
  g_autofree char *style = fixture ("gen_ngf8_nb2.safetensors");
  g_autoptr (ModelInfo) a = model_info_from_file (stargan, NULL);
  g_autoptr (ModelInfo) b = model_info_from_file (texture, NULL);
  g_autoptr (ModelInfo) c = model_info_from_file (style, NULL);
  const char *const domains[] = { "cat", "dog", "wild", NULL };

  g_assert_nonnull (a);
  g_assert_cmpint (a->kind, ==, MODEL_KIND_REFERENCE);
  g_assert_true (g_strv_equal ((const char *const *) a->domains, domains));
  g_assert_cmpint (b->kind, ==, MODEL_KIND_TEXTURE);
  g_assert_null (b->domains);
  g_assert_cmpint (c->kind, ==, MODEL_KIND_STYLE);
  /* every kind says what it is in every message */
  for (int kind = MODEL_KIND_STYLE; kind <= MODEL_KIND_REFERENCE; kind++)
    {
      const ModelKindTexts *t = model_kind_texts (kind);

      g_assert_nonnull (t->none_given);
      g_assert_nonnull (t->model_label);
      g_assert_nonnull (strstr (t->name_missing, "%s"));
    }
}

/* A model folder with a StarGAN v2 model and a style model: a name finds only its kind. */
static void
test_resolve (void)
{
  g_autofree char *profile = g_dir_make_tmp ("vkstyle-plugin-XXXXXX", NULL);
  g_autofree char *models = models_user_dir (profile);
  g_autofree char *stargan = fixture ("stargan2_s32.safetensors");
  g_autofree char *style = fixture ("gen_ngf8_nb2.safetensors");
  g_autofree char *stargan_copy = g_build_filename (models, "afhq.safetensors", NULL);
  g_autofree char *style_copy = g_build_filename (models, "cartoonish.safetensors", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize length;

  g_assert_cmpint (g_mkdir_with_parents (models, 0755), ==, 0);
  g_assert_true (g_file_get_contents (stargan, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (stargan_copy, contents, length, NULL));
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (style, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (style_copy, contents, length, NULL));

  {
    g_autofree char *by_stem = models_resolve (MODEL_KIND_REFERENCE, "AFHQ", profile, NULL,
                                               NULL);
    g_autoptr (GPtrArray) found = models_find_all (MODEL_KIND_REFERENCE, profile, NULL);

    g_assert_cmpstr (by_stem, ==, stargan_copy);
    g_assert_cmpuint (found->len, ==, 1);
  }
  g_assert_null (models_resolve (MODEL_KIND_REFERENCE, "cartoonish", profile, NULL, &error));
  g_assert_nonnull (strstr (error->message, "No StarGAN v2 model named “cartoonish”"));
  g_remove (stargan_copy);
  g_remove (style_copy);
  g_rmdir (models);
  {
    g_autofree char *vkstyle_dir = g_path_get_dirname (models);

    g_rmdir (vkstyle_dir);
  }
  g_rmdir (profile);
}

static void
test_request_copy (void)
{
  JobRequest a = { 0 }, b = { 0 };
  float pixels[12] = { 0 };

  a.kind = MODEL_KIND_REFERENCE;
  a.model_path = g_strdup ("m");
  a.domain = g_strdup ("cat");
  a.reference = g_bytes_new (pixels, sizeof pixels);
  a.reference_width = 2;
  a.reference_height = 2;
  a.variations = 3;
  job_request_copy (&b, &a);
  g_assert_true (job_request_equal (&a, &b));
  g_assert_true (a.reference == b.reference);
  g_assert_cmpint (job_request_n_results (&b), ==, 3);
  b.variations = 1;
  g_assert_false (job_request_equal (&a, &b));
  job_request_clear (&a);
  /* the copy still holds the pixels */
  g_assert_cmpuint (g_bytes_get_size (b.reference), ==, sizeof pixels);
  job_request_clear (&b);
  g_assert_null (b.reference);
  b.kind = MODEL_KIND_STYLE;
  b.variations = 5;
  g_assert_cmpint (job_request_n_results (&b), ==, 1);
}

/* A 5000 x 40 layer is read at a quarter (the first power of two under 2048 px), its colour
 * unchanged. */
static void
test_reference_read (void)
{
  GeglBuffer *buffer = gegl_buffer_new (GEGL_RECTANGLE (0, 0, 5000, 40),
                                        babl_format ("R'G'B'A float"));
  const float colour[4] = { 0.25f, 0.5f, 0.75f, 1.0f };
  g_autoptr (ReferenceImage) image = NULL;
  const float *rgb;

  gegl_buffer_set_color_from_pixel (buffer, GEGL_RECTANGLE (0, 0, 5000, 40), colour,
                                    babl_format ("R'G'B'A float"));
  image = reference_image_read (buffer, NULL);
  g_assert_nonnull (image);
  g_assert_cmpint (image->width, ==, 1250);
  g_assert_cmpint (image->height, ==, 10);
  rgb = g_bytes_get_data (image->rgb, NULL);
  for (int i = 0; i < image->width * image->height; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpfloat_with_epsilon (rgb[3 * i + c], colour[c], 1e-6);
  g_object_unref (buffer);
}

static PixelRegion *
test_region (int width, int height)
{
  PixelRegion *region = g_new0 (PixelRegion, 1);

  region->width = width;
  region->height = height;
  region->original = g_new (float, (gsize) width * height * 4);
  for (int i = 0; i < width * height * 4; i++)
    region->original[i] = (float) ((i * 37 + i / 7) % 101) / 100.0f;
  return region;
}

static double
max_difference (const float *a, const float *b, gsize n)
{
  double worst = 0.0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) a[i] - b[i]));
  return worst;
}

/* What the filter computes equals the engine's own calls: variation i of the seed is latent i
 * through the mapping network; a reference's style is the style encoder's. */
static void
test_reference_job (void)
{
  g_autofree char *path = fixture ("stargan2_s32.safetensors");
  g_autoptr (PixelRegion) region = test_region (23, 19);
  g_autoptr (Stylizer) stylizer = stylizer_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VksContext) ctx = vks_context_new ("", &error);
  g_autoptr (VksStarGan2) net = NULL;
  gsize n = (gsize) region->width * region->height * 3;
  g_autofree float *input = g_new (float, n);
  g_autofree float *expected = g_new (float, n);
  g_autofree float *reference = g_new (float, 40 * 30 * 3);
  float z[64], style[64];
  JobRequest request = { 0 };
  g_autofree char *name = NULL;
  g_autofree float *results = NULL;

  g_assert_no_error (error);
  net = vks_stargan2_load (ctx, path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vks_stargan2_config (net)->latent_dim, <=, 64);
  g_assert_cmpint (vks_stargan2_config (net)->style_dim, <=, 64);
  for (gsize i = 0; i < n / 3; i++)
    memcpy (input + 3 * i, region->original + 4 * i, 3 * sizeof (float));
  for (int i = 0; i < 40 * 30 * 3; i++)
    reference[i] = (float) ((i * 13) % 97) / 96.0f;

  request.kind = MODEL_KIND_REFERENCE;
  request.model_path = g_strdup (path);
  request.device = g_strdup ("");
  request.scale = 1.0;
  request.seed = 9;
  request.domain = g_strdup ("dog");
  request.variations = 2;
  results = job_compute (stylizer, region, &request, NULL, NULL, &name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "StarGAN v2 fixture s32");
  for (int v = 0; v < 2; v++)
    {
      vks_stargan2_latent (net, 9, v, z);
      g_assert_true (vks_stargan2_style_from_latent (net, z, 1, style, &error));
      g_assert_true (vks_stargan2_translate (net, input, expected, region->width,
                                             region->height, style, NULL, NULL, &error));
      g_assert_cmpfloat (max_difference (results + n * v, expected, n), <, 1e-6);
    }
  /* the fixture's random weights give styles little effect: 4e-4 apart, but apart */
  g_assert_cmpfloat (max_difference (results, results + n, n), >, 1e-5);
  g_clear_pointer (&results, g_free);
  g_clear_pointer (&name, g_free);

  request.variations = 1;
  request.reference = g_bytes_new (reference, 40 * 30 * 3 * sizeof (float));
  request.reference_width = 40;
  request.reference_height = 30;
  results = job_compute (stylizer, region, &request, NULL, NULL, &name, &error);
  g_assert_no_error (error);
  g_assert_true (vks_stargan2_style_from_image (net, reference, 40, 30, 1, style, &error));
  g_assert_true (vks_stargan2_translate (net, input, expected, region->width, region->height,
                                         style, NULL, NULL, &error));
  g_assert_cmpfloat (max_difference (results, expected, n), <, 1e-6);
  g_clear_pointer (&results, g_free);

  g_free (request.domain);
  request.domain = g_strdup ("horse");
  g_assert_null (job_compute (stylizer, region, &request, NULL, NULL, &name, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "cat, dog, wild"));
  job_request_clear (&request);
}

int
main (int argc, char **argv)
{
  int status;

  gegl_init (NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plugin/reference-settings", test_reference_settings);
  g_test_add_func ("/plugin/model-kinds", test_model_kinds);
  g_test_add_func ("/plugin/resolve", test_resolve);
  g_test_add_func ("/plugin/request-copy", test_request_copy);
  g_test_add_func ("/plugin/reference-read", test_reference_read);
  g_test_add_func ("/plugin/reference-job", test_reference_job);
  status = g_test_run ();
  gegl_exit ();
  return status;
}
