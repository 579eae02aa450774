/* The whole CycleGAN generator on the device against PyTorch: fixtures made by
 * tests/fixtures/make_fixtures.py (python3-torch) hold small random-weight generators and their
 * outputs on random inputs. Tolerance 1e-4 on outputs in [-1, 1] (tanh); observed ~1e-6. */
#include "rig.h"
#include "engine/generator.h"
#include "engine/stylize.h"

#include <math.h>
#include <string.h>

#define TOLERANCE 1e-4

static VksCheckpoint *
load_fixture (const char *name)
{
  GError *error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
  VksCheckpoint *ckpt = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

static void
check_plan (const char *model, const char *io, const char *in_name, const char *out_name)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load_fixture (model);
  g_autoptr (VksCheckpoint) ios = load_fixture (io);
  const VksCheckpointTensor *in = vks_checkpoint_get_tensor (ios, in_name);
  const VksCheckpointTensor *want = vks_checkpoint_get_tensor (ios, out_name);
  g_assert_nonnull (in);
  g_assert_nonnull (want);
  g_autoptr (VksGenerator) gen = vks_generator_new (test_context (), ckpt, &error);
  g_assert_no_error (error);
  int h = (int) in->shape[2], w = (int) in->shape[3];
  g_autoptr (VksGeneratorPlan) plan = vks_generator_plan_new (gen, h, w, &error);
  g_assert_no_error (error);
  g_autofree float *got = g_new (float, want->n_elements);
  /* Run twice: a recorded plan must be reusable. */
  for (int run = 0; run < 2; run++) {
    g_assert_true (vks_generator_plan_run (plan, in->data, got, &error));
    g_assert_no_error (error);
    double err = max_rel_error (got, want->data, want->n_elements);
    g_test_message ("%s %s: max error %g", model, in_name, err);
    g_assert_cmpfloat (err, <=, TOLERANCE);
  }
}

static void
test_generator_instance (void)
{
  check_plan ("gen_ngf8_nb2.safetensors", "gen_ngf8_nb2_io.safetensors", "input_0", "output_0");
}

static void
test_generator_batch_norm (void)
{
  check_plan ("gen_bn_ngf8_nb1.safetensors", "gen_bn_ngf8_nb1_io.safetensors", "input_0",
              "output_0");
}

/* vks_style_apply on an odd size: mirror-extends to multiples of 4 and crops back, as the
 * fixture's PyTorch side does with F.pad(mode='reflect'). Interleaved [0, 1] in and out. */
static void
check_style_odd_size (const char *model, const char *io)
{
  GError *error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", model, NULL);
  g_autoptr (VksCheckpoint) ios = load_fixture (io);
  const VksCheckpointTensor *in = vks_checkpoint_get_tensor (ios, "input_1");
  const VksCheckpointTensor *want = vks_checkpoint_get_tensor (ios, "output_1");
  g_assert_nonnull (in);
  g_assert_nonnull (want);
  int h = (int) in->shape[2], w = (int) in->shape[3];
  g_assert_true (h % 4 != 0 && w % 4 != 0);
  gsize n = (gsize) h * w;
  g_autofree float *rgb = g_new (float, 3 * n);
  g_autofree float *expect = g_new (float, 3 * n);
  for (gsize p = 0; p < n; p++)
    for (int c = 0; c < 3; c++) {
      rgb[p * 3 + c] = (in->data[c * n + p] + 1.0f) * 0.5f;
      expect[p * 3 + c] = (want->data[c * n + p] + 1.0f) * 0.5f;
    }
  g_autoptr (VksStyle) style = vks_style_load (test_context (), path, &error);
  g_assert_no_error (error);
  g_assert_true (vks_style_apply (style, rgb, rgb, w, h, NULL, NULL, &error));
  g_assert_no_error (error);
  double err = max_rel_error (rgb, expect, 3 * n);
  g_test_message ("%s odd size %dx%d: max error %g", model, w, h, err);
  g_assert_cmpfloat (err, <=, TOLERANCE);
}

static void
test_style_odd_size (void)
{
  check_style_odd_size ("gen_ngf8_nb2.safetensors", "gen_ngf8_nb2_io.safetensors");
  check_style_odd_size ("gen_bn_ngf8_nb1.safetensors", "gen_bn_ngf8_nb1_io.safetensors");
}

/* Resize-convolution up-sampling (vkstyle.upsample = "resize-conv"), through the same plan and
 * style API: tests/fixtures/make_resize_conv_fixtures.py. */
static void
test_resize_conv (void)
{
  check_plan ("resize_conv/gen_ngf8_nb2.safetensors", "resize_conv/gen_ngf8_nb2_io.safetensors",
              "input_0", "output_0");
  check_plan ("resize_conv/gen_bn_ngf8_nb1.safetensors",
              "resize_conv/gen_bn_ngf8_nb1_io.safetensors", "input_0", "output_0");
  check_style_odd_size ("resize_conv/gen_ngf8_nb2.safetensors",
                        "resize_conv/gen_ngf8_nb2_io.safetensors");
  check_style_odd_size ("resize_conv/gen_bn_ngf8_nb1.safetensors",
                        "resize_conv/gen_bn_ngf8_nb1_io.safetensors");
}

static gboolean
cancel_at_once (double fraction, const char *message, gpointer user_data)
{
  (void) fraction;
  (void) message;
  (*(int *) user_data)++;
  return FALSE;
}

static void
test_style_tiny_and_cancel (void)
{
  GError *error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures",
                                                 "gen_ngf8_nb2.safetensors", NULL);
  g_autoptr (VksStyle) style = vks_style_load (test_context (), path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vks_style_name (style), !=, "");
  /* 1x1, 1xN and 3x100000-like thin strips are extended to the network's minimum size. */
  static const int sizes[][2] = { { 1, 1 }, { 1, 9 }, { 5, 2 }, { 3, 301 } };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    int w = sizes[i][0], h = sizes[i][1];
    g_autofree float *rgb = g_new (float, (gsize) 3 * w * h);
    for (int p = 0; p < 3 * w * h; p++)
      rgb[p] = (float) (p % 7) / 7.0f;
    g_assert_true (vks_style_apply (style, rgb, rgb, w, h, NULL, NULL, &error));
    g_assert_no_error (error);
    for (int p = 0; p < 3 * w * h; p++)
      g_assert_true (rgb[p] >= 0.0f && rgb[p] <= 1.0f);
  }
  float px[3] = { 0.5f, 0.5f, 0.5f }, out[3] = { -1, -1, -1 };
  int calls = 0;
  g_assert_false (vks_style_apply (style, px, out, 1, 1, cancel_at_once, &calls, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (calls, ==, 1);
  g_assert_cmpfloat (out[0], ==, -1.0f);   /* untouched on cancel */
}

static void
test_style_bad_files (void)
{
  GError *error = NULL;
  g_assert_null (vks_style_load (test_context (), "/nonexistent/model.safetensors", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* A generator's inputs are not a generator. */
  g_autofree char *io = g_test_build_filename (G_TEST_DIST, "fixtures",
                                               "gen_ngf8_nb2_io.safetensors", NULL);
  g_assert_null (vks_style_load (test_context (), io, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/generator/instance-norm", test_generator_instance);
  g_test_add_func ("/generator/batch-norm", test_generator_batch_norm);
  g_test_add_func ("/style/odd-size", test_style_odd_size);
  g_test_add_func ("/generator/resize-conv", test_resize_conv);
  g_test_add_func ("/style/tiny-and-cancel", test_style_tiny_and_cancel);
  g_test_add_func ("/style/bad-files", test_style_bad_files);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
