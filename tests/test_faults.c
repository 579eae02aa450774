/* Device faults and hostile image sizes through the public entry points (vks_style_load and
 * vks_style_apply), the way the plug-in and the CLI call them.
 *
 * Faults come from the engine's test hook (VKSTYLE_FAULT, engine/context-private.h): a first run
 * counts the device allocations and submits of loading the small fixture model and stylizing one
 * image; then every allocation in turn fails with VK_ERROR_OUT_OF_DEVICE_MEMORY, and every submit
 * with VK_ERROR_DEVICE_LOST. Each must end in a GError with the right code and a message a user
 * can read, leave the output buffer untouched and free everything: run under valgrind or ASan
 * (scripts/sanitize-test.sh) for host memory; with VKSTYLE_VALIDATE=1 the validation layer
 * reports any Vulkan object still alive when the device is destroyed, which fails the test.
 * A full disk during a checkpoint save is simulated with RLIMIT_FSIZE. */
#include "engine/checkpoint.h"
#include "engine/context-private.h"
#include "engine/stylize.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define MODEL "gen_ngf8_nb2.safetensors"
/* Odd on purpose: the padded path is the one the plug-in takes most. */
#define WIDTH 23
#define HEIGHT 17
#define N_VALUES (3 * WIDTH * HEIGHT)
#define SENTINEL (-7.0f)

/* A hook value far beyond any run: counts calls, injects nothing. */
#define COUNT_ONLY "alloc:1000000000000"

static float reference[N_VALUES];
static guint64 n_allocs, n_submits;

static char *
model_path (void)
{
  return g_test_build_filename (G_TEST_DIST, "fixtures", MODEL, NULL);
}

static VksContext *
context_with_fault (const char *spec)
{
  GError *error = NULL;
  g_setenv ("VKSTYLE_FAULT", spec, TRUE);
  VksContext *ctx = vks_context_new (NULL, &error);
  g_unsetenv ("VKSTYLE_FAULT");
  g_assert_no_error (error);
  return ctx;
}

static void
fill_input (float *rgb)
{
  for (int i = 0; i < N_VALUES; i++)
    rgb[i] = (float) ((i * 37) % 101) / 100.0f;
}

static void
assert_untouched (const float *out)
{
  for (int i = 0; i < N_VALUES; i++)
    if (out[i] != SENTINEL)
      g_error ("output value %d was written (%g) although the call failed", i, out[i]);
}

/* A clean run that also counts what the faults will hit, and keeps the output to compare the
 * runs that recover from a fault against. */
static void
count_calls (void)
{
  g_autofree char *path = model_path ();
  GError *error = NULL;
  float in[N_VALUES];
  fill_input (in);
  VksContext *ctx = context_with_fault (COUNT_ONLY);
  VksStyle *style = vks_style_load (ctx, path, &error);
  g_assert_no_error (error);
  g_assert_true (vks_style_apply (style, in, reference, WIDTH, HEIGHT, NULL, NULL, &error));
  g_assert_no_error (error);
  n_allocs = ctx->fault.allocs;
  n_submits = ctx->fault.submits;
  vks_style_free (style);
  vks_context_free (ctx);
  g_test_message ("one load and one apply: %" G_GUINT64_FORMAT " allocations, %" G_GUINT64_FORMAT " submits",
                  n_allocs, n_submits);
  /* weights + their staging buffer; activations, upload, readback. One upload, one run. */
  g_assert_cmpuint (n_allocs, >=, 5);
  g_assert_cmpuint (n_submits, >=, 2);
}

static void
assert_fault_error (GError *error, const char *spec, VksErrorCode code, const char *text)
{
  g_assert_nonnull (error);
  g_test_message ("%s: %s", spec, error->message);
  g_assert_error (error, VKS_ERROR, (int) code);
  if (strstr (error->message, text) == NULL)
    g_error ("%s: message \"%s\" does not contain \"%s\"", spec, error->message, text);
}

/* Load and apply with one fault armed. Out of memory is transient: the same context must then
 * load and stylize correctly. A lost device stays lost: every later call fails the same way. */
static void
run_with_fault (const char *spec, VksErrorCode code, const char *text)
{
  g_autofree char *path = model_path ();
  GError *error = NULL;
  float in[N_VALUES], in_copy[N_VALUES], out[N_VALUES];
  fill_input (in);
  memcpy (in_copy, in, sizeof in);
  for (int i = 0; i < N_VALUES; i++)
    out[i] = SENTINEL;
  gboolean transient = code != VKS_ERROR_DEVICE_LOST;

  VksContext *ctx = context_with_fault (spec);
  VksStyle *style = vks_style_load (ctx, path, &error);
  gboolean failed_in_load = style == NULL;
  if (style != NULL)
    g_assert_false (vks_style_apply (style, in, out, WIDTH, HEIGHT, NULL, NULL, &error));
  assert_fault_error (error, spec, code, text);
  g_clear_error (&error);
  assert_untouched (out);
  g_assert_cmpmem (in, sizeof in, in_copy, sizeof in_copy);

  if (failed_in_load)
    {
      style = vks_style_load (ctx, path, &error);
      if (!transient)
        {
          g_assert_null (style);
          assert_fault_error (error, spec, code, text);
          g_clear_error (&error);
        }
      else
        g_assert_no_error (error);
    }
  if (style != NULL)
    {
      gboolean ok = vks_style_apply (style, in, out, WIDTH, HEIGHT, NULL, NULL, &error);
      if (transient)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpmem (out, sizeof out, reference, sizeof reference);
        }
      else
        {
          g_assert_false (ok);
          assert_fault_error (error, spec, code, text);
          g_clear_error (&error);
          assert_untouched (out);
        }
    }
  vks_style_free (style);
  vks_context_free (ctx);
}

static void
test_out_of_device_memory (void)
{
  if (n_allocs == 0)
    count_calls ();
  for (guint64 i = 1; i <= n_allocs; i++)
    {
      g_autofree char *spec = g_strdup_printf ("alloc:%" G_GUINT64_FORMAT, i);
      run_with_fault (spec, VKS_ERROR_OUT_OF_MEMORY, "out of memory on the Vulkan device");
    }
}

static void
test_device_lost (void)
{
  if (n_submits == 0)
    count_calls ();
  for (guint64 i = 1; i <= n_submits; i++)
    {
      g_autofree char *spec = g_strdup_printf ("submit:%" G_GUINT64_FORMAT, i);
      run_with_fault (spec, VKS_ERROR_DEVICE_LOST, "the Vulkan device was lost");
    }
}

/* A run cut into segments (a 1024² image of the fixture model: three) loses the device at each
 * segment's submit in turn, the next ones already in flight: an error, not a hang. Submit 1 is
 * the model's upload. */
static void
test_device_lost_between_segments (void)
{
  const int side = 1024;
  g_autofree char *path = model_path ();
  g_autofree float *in = g_new (float, (gsize) side * side * 3);
  g_autofree float *out = g_new0 (float, (gsize) side * side * 3);
  for (gsize i = 0; i < (gsize) side * side * 3; i++)
    in[i] = (float) (i % 251) / 250.0f;
  for (int k = 2; k <= 4; k++)
    {
      g_autofree char *spec = g_strdup_printf ("submit:%d", k);
      GError *error = NULL;
      VksContext *ctx = context_with_fault (spec);
      VksStyle *style = vks_style_load (ctx, path, &error);
      g_assert_no_error (error);
      g_assert_false (vks_style_apply (style, in, out, side, side, NULL, NULL, &error));
      assert_fault_error (error, spec, VKS_ERROR_DEVICE_LOST, "the Vulkan device was lost");
      g_clear_error (&error);
      for (gsize i = 0; i < (gsize) side * side * 3; i++)
        g_assert_cmpfloat (out[i], ==, 0.0f);
      vks_style_free (style);
      vks_context_free (ctx);
    }
}

/* Fresh device memory may hold anything, NaN included: a result must not depend on it. */
static void
test_poisoned_memory (void)
{
  if (n_allocs == 0)
    count_calls ();
  g_autofree char *path = model_path ();
  GError *error = NULL;
  float in[N_VALUES], out[N_VALUES];
  fill_input (in);
  VksContext *ctx = context_with_fault ("poison");
  VksStyle *style = vks_style_load (ctx, path, &error);
  g_assert_no_error (error);
  g_assert_true (vks_style_apply (style, in, out, WIDTH, HEIGHT, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, sizeof out, reference, sizeof reference);
  vks_style_free (style);
  vks_context_free (ctx);
}

/* ---- a full disk while saving a checkpoint ---- */

/* RLIMIT_FSIZE makes write() fail with EFBIG past the limit, as a full disk fails with ENOSPC:
 * the same path in vks_checkpoint_save, without needing a small file system. */
static void
test_disk_full_on_save (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vks-faults-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "style.safetensors", NULL);

  g_autoptr (VksCheckpoint) small = vks_checkpoint_new ();
  const int64_t one[1] = { 1 };
  const float value = 0.5f;
  vks_checkpoint_add_tensor (small, "w", 1, one, &value);
  g_assert_true (vks_checkpoint_save (small, path, VKS_DTYPE_F32, &error));
  g_autofree char *before = NULL;
  gsize before_size = 0;
  g_assert_true (g_file_get_contents (path, &before, &before_size, NULL));

  g_autoptr (VksCheckpoint) big = vks_checkpoint_new ();
  const int64_t many[1] = { 1 << 16 };
  vks_checkpoint_add_tensor (big, "w", 1, many, NULL);

  struct rlimit saved, limit;
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limit = saved;
  limit.rlim_cur = 64 * 1024;
  void (*previous) (int) = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  gboolean saved_ok = vks_checkpoint_save (big, path, VKS_DTYPE_F32, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, previous);

  g_assert_false (saved_ok);
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "cannot save"));
  /* The previous file is intact and no temporary file is left behind. */
  g_autofree char *after = NULL;
  gsize after_size = 0;
  g_assert_true (g_file_get_contents (path, &after, &after_size, NULL));
  g_assert_cmpmem (before, before_size, after, after_size);
  GDir *listing = g_dir_open (dir, 0, NULL);
  guint entries = 0;
  while (g_dir_read_name (listing) != NULL)
    entries++;
  g_dir_close (listing);
  g_assert_cmpuint (entries, ==, 1);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- hostile image sizes ---- */

static VksContext *shared_ctx;
static VksStyle *shared_style;

static VksStyle *
style_for_sizes (void)
{
  if (shared_style == NULL)
    {
      g_autofree char *path = model_path ();
      GError *error = NULL;
      shared_ctx = vks_context_new (NULL, &error);
      g_assert_no_error (error);
      shared_style = vks_style_load (shared_ctx, path, &error);
      g_assert_no_error (error);
    }
  return shared_style;
}

static long
peak_rss_mib (void)
{
  struct rusage usage;
  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

/* Address space for an image that is never allocated: any read or write of it crashes, so a
 * refusal is proven to come before the engine touches the pixels. */
static float *
untouchable (gsize n_floats)
{
  void *p = mmap (NULL, n_floats * sizeof (float), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
  return p == MAP_FAILED ? NULL : p;   /* e.g. a 32-bit address space */
}

/* An image beyond the size guard must be refused from its size alone, before any large
 * allocation, host or device. */
static void
check_refused_size (int width, int height)
{
  VksStyle *style = style_for_sizes ();
  gsize n = (gsize) 3 * width * height;
  float *in = untouchable (n), *out = untouchable (n);
  if (in == NULL || out == NULL)
    {
      g_test_skip ("no address space for the image");
      if (in != NULL)
        munmap (in, n * sizeof (float));
      if (out != NULL)
        munmap (out, n * sizeof (float));
      return;
    }
  long rss_before = peak_rss_mib ();
  GError *error = NULL;
  g_assert_false (vks_style_apply (style, in, out, width, height, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%dx%d: %s", width, height, error->message);
  g_assert_true (error->domain == VKS_ERROR);
  g_assert_true (error->code == VKS_ERROR_TOO_LARGE || error->code == VKS_ERROR_OUT_OF_MEMORY);
  g_clear_error (&error);
  /* The peak is process-wide: this only shows something if nothing before grew it as much. */
  g_assert_cmpint (peak_rss_mib () - rss_before, <, 256);
  munmap (in, n * sizeof (float));
  munmap (out, n * sizeof (float));

  /* The style still works after the refusal. */
  float px[3] = { 0.25f, 0.5f, 0.75f };
  g_assert_true (vks_style_apply (style, px, px, 1, 1, NULL, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
cancel_at_first_tile_work (double fraction, const char *message, gpointer user_data)
{
  (void) fraction;
  (void) user_data;
  return !g_str_has_prefix (message, "Stylizing");
}

/* 30000x30000 (900 MP) is below the size guard, so it is tiled rather than refused: the plan and
 * tile buffers come from the memory budget, not the image size. Cancelling when the first tile
 * work starts proves it got there without touching the (unmapped) pixels or growing the process
 * by anything like the image's 10 GB. */
static void
test_size_30000 (void)
{
  VksStyle *style = style_for_sizes ();
  gsize n = (gsize) 3 * 30000 * 30000;
  float *img = untouchable (n);
  if (img == NULL) {
    g_test_skip ("no address space for the image");
    return;
  }
  long rss_before = peak_rss_mib ();
  GError *error = NULL;
  g_assert_false (vks_style_apply (style, img, img, 30000, 30000, cancel_at_first_tile_work, NULL,
                                   &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CANCELLED);
  g_clear_error (&error);
  g_test_message ("peak RSS grew by %ld MiB", peak_rss_mib () - rss_before);
  g_assert_cmpint (peak_rss_mib () - rss_before, <, 512);
  munmap (img, n * sizeof (float));
}

static void
test_size_beyond_int (void)
{
  check_refused_size (100000, 100000);
}

/* A side near INT_MAX: rounding it up to a multiple of 4 must not overflow. */
static void
test_size_int_max (void)
{
  check_refused_size (G_MAXINT, 1);
}

/* Thin strips: extended to the network's minimum side, processed in one piece. */
static void
check_strip (int width, int height)
{
  VksStyle *style = style_for_sizes ();
  gsize n = (gsize) 3 * width * height;
  g_autofree float *rgb = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    rgb[i] = (float) (i % 251) / 250.0f;
  GError *error = NULL;
  gboolean ok = vks_style_apply (style, rgb, rgb, width, height, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  for (gsize i = 0; i < n; i++)
    if (!(rgb[i] >= 0.0f && rgb[i] <= 1.0f))
      g_error ("%dx%d: value %" G_GSIZE_FORMAT " is %g, outside [0, 1]", width, height, i, rgb[i]);
}

static void
test_strip_tall (void)
{
  check_strip (3, 100000);
}

static void
test_strip_wide (void)
{
  check_strip (100000, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Sizes first, while the process's peak memory is still low (see check_refused_size). */
  g_test_add_func ("/hostile/image/30000x30000", test_size_30000);
  g_test_add_func ("/hostile/image/100000x100000", test_size_beyond_int);
  g_test_add_func ("/hostile/image/2147483647x1", test_size_int_max);
  g_test_add_func ("/hostile/image/3x100000", test_strip_tall);
  g_test_add_func ("/hostile/image/100000x3", test_strip_wide);
  g_test_add_func ("/faults/out-of-device-memory", test_out_of_device_memory);
  g_test_add_func ("/faults/device-lost", test_device_lost);
  g_test_add_func ("/faults/device-lost-between-segments", test_device_lost_between_segments);
  g_test_add_func ("/faults/poisoned-memory", test_poisoned_memory);
  g_test_add_func ("/faults/disk-full-on-save", test_disk_full_on_save);
  int status = g_test_run ();
  vks_style_free (shared_style);
  vks_context_free (shared_ctx);
  return status;
}
