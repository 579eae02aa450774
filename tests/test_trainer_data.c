/* Tests of the trainer's host-side pieces (trainer/): the random number generator, image folders
 * with files that do not load (the resize has test_trainer_resize.c), the unaligned epoch order and its resume, the image
 * pool, and the report files. */
#include "engine/error.h"
#include "tools/image_io.h"
#include "trainer/dataset.h"
#include "trainer/epoch.h"
#include "trainer/image_pool.h"
#include "trainer/report.h"
#include "trainer/resize.h"
#include "trainer/rng.h"

#include <cairo.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

static char *work_dir;

static char *
work_path (const char *name)
{
  return g_build_filename (work_dir, name, NULL);
}

/* ---- random numbers ---- */

static void
test_rng_known_answer (void)
{
  /* The first outputs of xoshiro256** from the state {1, 2, 3, 4}, as published with it. */
  static const guint64 state[4] = { 1, 2, 3, 4 };
  static const guint64 expected[] = { 11520u, 0u, 1509978240u, 1215971899390074240u };
  VksRng rng;
  g_assert_true (vks_rng_set_state (&rng, state, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpuint (vks_rng_next_u64 (&rng), ==, expected[i]);
}

static void
test_rng_reproducible (void)
{
  VksRng a, b, c;
  vks_rng_init (&a, 42);
  vks_rng_init (&b, 42);
  vks_rng_init (&c, 43);
  int same_as_other_seed = 0;
  for (int i = 0; i < 1000; i++) {
    guint64 x = vks_rng_next_u64 (&a);
    g_assert_cmpuint (x, ==, vks_rng_next_u64 (&b));
    same_as_other_seed += x == vks_rng_next_u64 (&c);
  }
  g_assert_cmpint (same_as_other_seed, ==, 0);

  /* Streams of one seed differ from each other and from the plain seed. */
  VksRng s0, s1;
  vks_rng_init_stream (&s0, 42, 0);
  vks_rng_init_stream (&s1, 42, 1);
  vks_rng_init (&a, 42);
  guint64 x0 = vks_rng_next_u64 (&s0), x1 = vks_rng_next_u64 (&s1), xa = vks_rng_next_u64 (&a);
  g_assert_cmpuint (x0, !=, x1);
  g_assert_cmpuint (x0, !=, xa);
}

static void
test_rng_state_restore (void)
{
  VksRng rng;
  vks_rng_init (&rng, 7);
  for (int i = 0; i < 37; i++)
    vks_rng_normal (&rng, 0.0, 1.0);
  guint64 saved[VKS_RNG_STATE_WORDS];
  vks_rng_get_state (&rng, saved);
  double first[64];
  for (int i = 0; i < 64; i++)
    first[i] = i % 3 == 0 ? vks_rng_normal (&rng, 1.0, 0.02)
             : i % 3 == 1 ? vks_rng_uniform (&rng) : vks_rng_below (&rng, 1000 + i);

  VksRng resumed;
  vks_rng_init (&resumed, 999);
  GError *error = NULL;
  g_assert_true (vks_rng_set_state (&resumed, saved, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 64; i++) {
    double again = i % 3 == 0 ? vks_rng_normal (&resumed, 1.0, 0.02)
                 : i % 3 == 1 ? vks_rng_uniform (&resumed) : vks_rng_below (&resumed, 1000 + i);
    g_assert_true (memcmp (&again, &first[i], sizeof again) == 0);   /* bit-identical */
  }

  static const guint64 zero[VKS_RNG_STATE_WORDS] = { 0 };
  g_assert_false (vks_rng_set_state (&resumed, zero, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_clear_error (&error);
}

static void
test_rng_distributions (void)
{
  VksRng rng;
  vks_rng_init (&rng, 1234);

  /* below(n): in range, every value about equally often (chi-square, 9 degrees of freedom:
   * 27.9 is the 0.999 quantile, and the seed is fixed, so this is not flaky). */
  enum { BINS = 10, DRAWS = 100000 };
  int counts[BINS] = { 0 };
  for (int i = 0; i < DRAWS; i++) {
    guint32 v = vks_rng_below (&rng, BINS);
    g_assert_cmpuint (v, <, BINS);
    counts[v]++;
  }
  double chi2 = 0.0;
  for (int i = 0; i < BINS; i++)
    chi2 += pow (counts[i] - DRAWS / BINS, 2) / (DRAWS / BINS);
  g_test_message ("below(10): chi-square %.2f", chi2);
  g_assert_cmpfloat (chi2, <, 27.9);
  g_assert_cmpuint (vks_rng_below (&rng, 1), ==, 0);
  /* The largest n, where the rejection matters most. */
  for (int i = 0; i < 1000; i++)
    g_assert_cmpuint (vks_rng_below (&rng, 0xffffffffu), <, 0xffffffffu);

  double lo = 1.0, hi = 0.0, sum = 0.0;
  for (int i = 0; i < DRAWS; i++) {
    double u = vks_rng_uniform (&rng);
    g_assert_cmpfloat (u, >=, 0.0);
    g_assert_cmpfloat (u, <, 1.0);
    lo = MIN (lo, u);
    hi = MAX (hi, u);
    sum += u;
  }
  g_assert_cmpfloat (lo, <, 1e-3);
  g_assert_cmpfloat (hi, >, 1.0 - 1e-3);
  g_assert_cmpfloat (fabs (sum / DRAWS - 0.5), <, 0.005);

  /* normal(mean, std): sample mean and standard deviation within 5 standard errors. */
  double s1 = 0.0, s2 = 0.0;
  const double mean = 0.0, std = 0.02;
  for (int i = 0; i < DRAWS; i++) {
    double v = vks_rng_normal (&rng, mean, std);
    s1 += v;
    s2 += v * v;
  }
  double m = s1 / DRAWS, sd = sqrt (s2 / DRAWS - m * m);
  g_test_message ("normal(0, 0.02): mean %.3g, std %.5f", m, sd);
  g_assert_cmpfloat (fabs (m - mean), <, 5 * std / sqrt (DRAWS));
  g_assert_cmpfloat (fabs (sd - std), <, 5 * std / sqrt (2.0 * DRAWS));

  /* shuffle gives a permutation. */
  guint32 items[50];
  for (guint32 i = 0; i < 50; i++)
    items[i] = i;
  vks_rng_shuffle (&rng, items, 50);
  gboolean seen[50] = { FALSE };
  int moved = 0;
  for (guint32 i = 0; i < 50; i++) {
    g_assert_false (seen[items[i]]);
    seen[items[i]] = TRUE;
    moved += items[i] != i;
  }
  g_assert_cmpint (moved, >, 10);
}

/* 8-bit file pixels as bytes (exact: they are k / 255). */
static guint8 *
image_bytes (const VksImage *image)
{
  const gsize n = (gsize) image->width * image->height * 3;
  guint8 *b = g_new (guint8, n);
  for (gsize i = 0; i < n; i++)
    b[i] = (guint8) lrintf (image->rgb[i] * 255.0f);
  return b;
}

/* ---- image folders ---- */

/* A file with pixels we know: colour from the position, on the 8-bit grid. */
static void
save_known (const char *path, int width, int height, const char *format)
{
  GError *error = NULL;
  g_autoptr (VksImage) image = vks_image_new (width, height, babl_format (format), &error);
  g_assert_no_error (error);
  for (int i = 0; i < width * height; i++) {
    float v = (float) ((i * 37) % 256) / 255.0f;
    image->rgb[i * 3 + 0] = v;
    image->rgb[i * 3 + 1] = vks_image_is_grayscale (image) ? v : (float) (i % 256) / 255.0f;
    image->rgb[i * 3 + 2] = vks_image_is_grayscale (image) ? v : (float) (255 - i % 256) / 255.0f;
    if (image->alpha)
      image->alpha[i] = (float) (i % 2);
  }
  g_assert_true (vks_image_save (image, path, &error));
  g_assert_no_error (error);
}

static void
write_text (const char *path, const char *contents, gssize length)
{
  GError *error = NULL;
  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_assert_no_error (error);
}

static GString *captured_stderr;

static void
capture_printerr (const char *text)
{
  g_string_append (captured_stderr, text);
}

/* folder/: a.png (RGB), b_grey.png, c_rgba.png (alpha 0 on every other pixel), notes.txt,
 * broken.jpg (cut short), .hidden.png, .cache/x.png, sub/d.png (40x24), sub/e.PNG, and files the
 * reference's extension list leaves out although they would load: sub/f.Png, sub/g.webp,
 * sub/h.png.txt. */
static char *
make_mixed_folder (void)
{
  char *folder = work_path ("mixed");
  g_autofree char *sub = g_build_filename (folder, "sub", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_autofree char *a = g_build_filename (folder, "a.png", NULL);
  g_autofree char *b = g_build_filename (folder, "b_grey.png", NULL);
  g_autofree char *c = g_build_filename (folder, "c_rgba.png", NULL);
  g_autofree char *d = g_build_filename (sub, "d.png", NULL);
  g_autofree char *hidden = g_build_filename (folder, ".hidden.png", NULL);
  g_autofree char *notes = g_build_filename (folder, "notes.txt", NULL);
  g_autofree char *jpeg = g_build_filename (folder, "broken.jpg", NULL);
  g_autofree char *cache = g_build_filename (folder, ".cache", NULL);
  g_assert_cmpint (g_mkdir_with_parents (cache, 0755), ==, 0);
  static const char *const more[] = { ".cache/x.png", "sub/e.PNG", "sub/f.Png", "sub/g.webp",
                                      "sub/h.png.txt" };
  for (guint i = 0; i < G_N_ELEMENTS (more); i++) {
    /* PNG data under each name (the saver goes by the extension). */
    g_autofree char *path = g_build_filename (folder, more[i], NULL);
    g_autofree char *png = work_path ("mixed-file.png");
    save_known (png, 32, 32, "R'G'B' u8");
    g_assert_cmpint (g_rename (png, path), ==, 0);
  }
  save_known (a, 32, 32, "R'G'B' u8");
  save_known (b, 32, 32, "Y' u8");
  save_known (c, 32, 32, "R'G'B'A u8");
  save_known (d, 40, 24, "R'G'B' u8");
  save_known (hidden, 32, 32, "R'G'B' u8");
  write_text (notes, "these are not pixels\n", -1);

  save_known (jpeg, 32, 32, "R'G'B' u8");
  g_autofree char *whole = NULL;
  gsize length = 0;
  g_assert_true (g_file_get_contents (jpeg, &whole, &length, NULL));
  g_unlink (jpeg);
  write_text (jpeg, whole, (gssize) length / 2);
  return folder;
}

static VksDataset *
open_quietly (const char *folder, int load_size, gsize cache, GString *messages, GError **error)
{
  captured_stderr = messages;
  GPrintFunc old = g_set_printerr_handler (capture_printerr);
  VksDataset *dataset = vks_dataset_open (folder, load_size, cache, error);
  g_set_printerr_handler (old);
  captured_stderr = NULL;
  return dataset;
}

static void
test_dataset_mixed_folder (void)
{
  g_autofree char *folder = make_mixed_folder ();
  GError *error = NULL;
  g_autoptr (GString) messages = g_string_new (NULL);
  g_autoptr (VksDataset) dataset = open_quietly (folder, 32, VKS_DATASET_DEFAULT_CACHE_BYTES,
                                                 messages, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", messages->str);

  /* Sorted paths (byte order: "." < "E" < "a"), hidden files and folders included as the
   * reference's os.walk has them, names outside its extension list never opened, the broken
   * file left out. */
  static const char *const expected[] = { ".cache/x.png", ".hidden.png", "a.png", "b_grey.png",
                                          "c_rgba.png", "sub/d.png", "sub/e.PNG" };
  g_assert_cmpuint (vks_dataset_size (dataset), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    g_autofree char *path = g_build_filename (folder, expected[i], NULL);
    g_assert_cmpstr (vks_dataset_path (dataset, i), ==, path);
  }
  g_assert_cmpuint (vks_dataset_cached_bytes (dataset), ==, G_N_ELEMENTS (expected) * 32 * 32 * 3);

  /* The broken image reported once, by name, on stderr; nothing about the other names. */
  g_auto (GStrv) lines = g_strsplit (g_strchomp (messages->str), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_autofree char *jpeg = g_build_filename (folder, "broken.jpg", NULL);
  g_autofree char *jpeg_line = g_strdup_printf ("skipping %s: ", jpeg);
  g_assert_true (g_str_has_prefix (lines[0], jpeg_line));

  /* Equal load and crop size, no flip: exactly the file's pixels in [-1, 1]; grey expanded,
   * alpha dropped. No random numbers are used. */
  VksRng rng, untouched;
  vks_rng_init (&rng, 3);
  untouched = rng;
  float sample[3 * 32 * 32];
  for (guint index = 0; index < 5; index++) {
    const gboolean grey = index == 3;
    g_assert_true (vks_dataset_sample (dataset, index, 32, FALSE, &rng, sample, &error));
    g_assert_no_error (error);
    for (int i = 0; i < 32 * 32; i++) {
      float v = (float) ((i * 37) % 256) / 255.0f;
      float g = grey ? v : (float) (i % 256) / 255.0f;
      float b = grey ? v : (float) (255 - i % 256) / 255.0f;
      g_assert_cmpfloat (sample[i], ==, (v - 0.5f) / 0.5f);
      g_assert_cmpfloat (sample[1024 + i], ==, (g - 0.5f) / 0.5f);
      g_assert_cmpfloat (sample[2048 + i], ==, (b - 0.5f) / 0.5f);
    }
  }
  g_assert_true (memcmp (&rng, &untouched, sizeof rng) == 0);

  /* The 40x24 image is resized to 32x32 like any other. */
  g_assert_true (vks_dataset_sample (dataset, 5, 32, FALSE, &rng, sample, &error));
  g_autoptr (VksImage) d = vks_image_load (vks_dataset_path (dataset, 5), &error);
  g_assert_no_error (error);
  g_autofree guint8 *d_bytes = image_bytes (d);
  guint8 resized[32 * 32 * 3];
  vks_resize_bicubic (d_bytes, 40, 24, 3, resized, 32, 32);
  for (int i = 0; i < 32 * 32; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpfloat (sample[c * 1024 + i], ==, (resized[i * 3 + c] / 255.0f - 0.5f) / 0.5f);
}

/* Which (top, left, flip) window of full (load² packed RGB) the sample is; FALSE when none. */
static gboolean
find_window (const float *full, int load, const float *sample, int crop, int *top, int *left,
             gboolean *flipped)
{
  const gsize plane = (gsize) crop * crop;
  for (int flip = 0; flip < 2; flip++)
    for (int t = 0; t <= load - crop; t++)
      for (int l = 0; l <= load - crop; l++) {
        gboolean match = TRUE;
        for (int y = 0; match && y < crop; y++)
          for (int x = 0; match && x < crop; x++) {
            int sx = l + (flip ? crop - 1 - x : x);
            for (int c = 0; c < 3; c++)
              match = match && sample[c * plane + y * crop + x] ==
                               (full[((gsize) (t + y) * load + sx) * 3 + c] - 0.5f) / 0.5f;
          }
        if (match) {
          *top = t;
          *left = l;
          *flipped = flip;
          return TRUE;
        }
      }
  return FALSE;
}

static void
test_dataset_crop_flip (void)
{
  g_autofree char *folder = work_path ("crops");
  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  g_autofree char *a = g_build_filename (folder, "a.png", NULL);
  save_known (a, 20, 20, "R'G'B' u8");
  GError *error = NULL;
  /* Cache 0: every sample decodes the file again, and must give the same as the cached one. */
  g_autoptr (VksDataset) cached = vks_dataset_open (folder, 23, VKS_DATASET_DEFAULT_CACHE_BYTES,
                                                    &error);
  g_assert_no_error (error);
  g_autoptr (VksDataset) uncached = vks_dataset_open (folder, 23, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vks_dataset_cached_bytes (uncached), ==, 0);

  g_autoptr (VksImage) image = vks_image_load (a, &error);
  g_assert_no_error (error);
  g_autofree guint8 *bytes = image_bytes (image);
  guint8 full_bytes[23 * 23 * 3];
  vks_resize_bicubic (bytes, 20, 20, 3, full_bytes, 23, 23);
  float full[23 * 23 * 3];
  for (int i = 0; i < 23 * 23 * 3; i++)
    full[i] = full_bytes[i] / 255.0f;

  VksRng r1, r2;
  vks_rng_init (&r1, 11);
  vks_rng_init (&r2, 11);
  gboolean seen_top[4] = { FALSE }, seen_left[4] = { FALSE }, seen_flip[2] = { FALSE };
  for (int i = 0; i < 64; i++) {
    float s1[3 * 20 * 20], s2[3 * 20 * 20];
    g_assert_true (vks_dataset_sample (cached, 0, 20, TRUE, &r1, s1, &error));
    g_assert_true (vks_dataset_sample (uncached, 0, 20, TRUE, &r2, s2, &error));
    g_assert_no_error (error);
    g_assert_true (memcmp (s1, s2, sizeof s1) == 0);
    int top = -1, left = -1;
    gboolean flipped = FALSE;
    g_assert_true (find_window (full, 23, s1, 20, &top, &left, &flipped));
    seen_top[top] = seen_left[left] = seen_flip[flipped] = TRUE;
  }
  for (int i = 0; i < 4; i++)
    g_assert_true (seen_top[i] && seen_left[i]);
  g_assert_true (seen_flip[0] && seen_flip[1]);

  float s[3 * 30 * 30];
  g_assert_false (vks_dataset_sample (cached, 0, 30, TRUE, &r1, s, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_SHAPE);
  g_clear_error (&error);
}

static void
test_dataset_errors (void)
{
  GError *error = NULL;
  g_autofree char *empty = work_path ("empty");
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  g_assert_null (vks_dataset_open (empty, 32, 0, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IMAGE);
  g_assert_nonnull (strstr (error->message, empty));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_autofree char *useless = work_path ("useless");
  g_autofree char *sub = g_build_filename (useless, "sub", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_autofree char *text = g_build_filename (sub, "readme.txt", NULL);
  write_text (text, "hello", -1);
  /* Only names outside the extension list: no image file at all, nothing tried. */
  g_autoptr (GString) messages = g_string_new (NULL);
  g_assert_null (open_quietly (useless, 32, 0, messages, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IMAGE);
  g_assert_nonnull (strstr (error->message, useless));
  g_assert_nonnull (strstr (error->message, "no image files"));
  g_assert_cmpstr (messages->str, ==, "");
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  /* An image name that does not load: tried, reported, and then nothing is left. */
  g_autofree char *fake = g_build_filename (sub, "photo.jpeg", NULL);
  write_text (fake, "hello", -1);
  g_assert_null (open_quietly (useless, 32, 0, messages, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IMAGE);
  g_assert_nonnull (strstr (error->message, "none of its 1 image file can be loaded"));
  g_assert_true (g_str_has_prefix (messages->str, "skipping "));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_autofree char *missing = work_path ("no-such-folder");
  g_assert_null (vks_dataset_open (missing, 32, 0, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
}

/* ---- epoch order ---- */

static void
test_epoch_serial (void)
{
  g_autoptr (VksEpochIterator) it = vks_epoch_iterator_new (3, 5, TRUE, 1);
  g_assert_cmpuint (vks_epoch_iterator_length (it), ==, 5);
  for (guint step = 0; step < 12; step++) {
    g_assert_cmpuint (vks_epoch_iterator_epoch (it), ==, step / 5);
    g_assert_cmpuint (vks_epoch_iterator_position (it), ==, step % 5);
    guint a, b;
    vks_epoch_iterator_next (it, &a, &b);
    g_assert_cmpuint (a, ==, (step % 5) % 3);
    g_assert_cmpuint (b, ==, (step % 5) % 5);
  }
}

static void
test_epoch_shuffled (void)
{
  /* More A than B: every A image exactly once per epoch, in a new order each epoch. */
  g_autoptr (VksEpochIterator) it = vks_epoch_iterator_new (7, 3, FALSE, 99);
  g_assert_cmpuint (vks_epoch_iterator_length (it), ==, 7);
  guint orders[3][7];
  int b_counts[3] = { 0 };
  for (int e = 0; e < 3; e++) {
    gboolean seen[7] = { FALSE };
    for (int i = 0; i < 7; i++) {
      guint a, b;
      vks_epoch_iterator_next (it, &a, &b);
      g_assert_cmpuint (a, <, 7);
      g_assert_cmpuint (b, <, 3);
      g_assert_false (seen[a]);
      seen[a] = TRUE;
      orders[e][i] = a;
      b_counts[b]++;
    }
  }
  g_assert_true (memcmp (orders[0], orders[1], sizeof orders[0]) != 0 ||
                 memcmp (orders[1], orders[2], sizeof orders[0]) != 0);
  for (int b = 0; b < 3; b++)
    g_assert_cmpint (b_counts[b], >, 0);

  /* More B than A: an epoch is as long as B, A indices wrap (k % size_a), so each A image
   * comes up 2 or 3 times in 8 steps. */
  g_autoptr (VksEpochIterator) wide = vks_epoch_iterator_new (3, 8, FALSE, 5);
  int a_counts[3] = { 0 };
  for (int i = 0; i < 8; i++) {
    guint a, b;
    vks_epoch_iterator_next (wide, &a, &b);
    a_counts[a]++;
  }
  g_assert_cmpint (a_counts[0], ==, 3);
  g_assert_cmpint (a_counts[1], ==, 3);
  g_assert_cmpint (a_counts[2], ==, 2);
}

static void
test_epoch_resume (void)
{
  g_autoptr (VksEpochIterator) it = vks_epoch_iterator_new (11, 6, FALSE, 2024);
  guint a, b;
  for (int i = 0; i < 25; i++)   /* into the third epoch */
    vks_epoch_iterator_next (it, &a, &b);
  guint64 state[VKS_EPOCH_STATE_WORDS];
  vks_epoch_iterator_get_state (it, state);

  g_autoptr (VksEpochIterator) resumed = vks_epoch_iterator_new (11, 6, FALSE, 2024);
  GError *error = NULL;
  g_assert_true (vks_epoch_iterator_set_state (resumed, state, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vks_epoch_iterator_epoch (resumed), ==, 2);
  g_assert_cmpuint (vks_epoch_iterator_position (resumed), ==, 3);
  for (int i = 0; i < 40; i++) {
    guint a2, b2;
    vks_epoch_iterator_next (it, &a, &b);
    vks_epoch_iterator_next (resumed, &a2, &b2);
    g_assert_cmpuint (a, ==, a2);
    g_assert_cmpuint (b, ==, b2);
  }

  /* The folders changed, or another seed. */
  g_autoptr (VksEpochIterator) other = vks_epoch_iterator_new (12, 6, FALSE, 2024);
  g_assert_false (vks_epoch_iterator_set_state (other, state, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_autoptr (VksEpochIterator) reseeded = vks_epoch_iterator_new (11, 6, FALSE, 2025);
  g_assert_false (vks_epoch_iterator_set_state (reseeded, state, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_clear_error (&error);
}

/* ---- image pool ---- */

#define POOL_FLOATS 5

static void
fill_image (float *image, int id)
{
  for (int i = 0; i < POOL_FLOATS; i++)
    image[i] = id * 10.0f + i;
}

static void
test_pool_pass_through (void)
{
  GError *error = NULL;
  g_autoptr (VksImagePool) pool = vks_image_pool_new (0, POOL_FLOATS, &error);
  g_assert_no_error (error);
  VksRng rng, before;
  vks_rng_init (&rng, 1);
  before = rng;
  float image[POOL_FLOATS], original[POOL_FLOATS];
  for (int id = 0; id < 10; id++) {
    fill_image (image, id);
    memcpy (original, image, sizeof image);
    vks_image_pool_query (pool, image, &rng);
    g_assert_true (memcmp (image, original, sizeof image) == 0);
  }
  g_assert_cmpuint (vks_image_pool_count (pool), ==, 0);
  g_assert_null (vks_image_pool_data (pool));
  g_assert_true (memcmp (&rng, &before, sizeof rng) == 0);
}

static void
test_pool_semantics (void)
{
  GError *error = NULL;
  g_autoptr (VksImagePool) pool = vks_image_pool_new (4, POOL_FLOATS, &error);
  g_assert_no_error (error);
  VksRng rng, before;
  vks_rng_init (&rng, 8);
  float image[POOL_FLOATS], original[POOL_FLOATS];

  /* Filling: each image stored and returned as it is, no random numbers used. */
  before = rng;
  for (int id = 0; id < 4; id++) {
    fill_image (image, id);
    vks_image_pool_query (pool, image, &rng);
    fill_image (original, id);
    g_assert_true (memcmp (image, original, sizeof image) == 0);
    g_assert_cmpuint (vks_image_pool_count (pool), ==, id + 1);
  }
  g_assert_true (memcmp (&rng, &before, sizeof rng) == 0);

  /* Full: either the image comes back unchanged and the pool is as it was, or a stored image
   * comes back and the new one takes its place. */
  int swapped = 0, passed = 0;
  for (int id = 4; id < 200; id++) {
    float stored[4 * POOL_FLOATS];
    memcpy (stored, vks_image_pool_data (pool), sizeof stored);
    fill_image (image, id);
    memcpy (original, image, sizeof image);
    vks_image_pool_query (pool, image, &rng);
    const float *now = vks_image_pool_data (pool);
    if (memcmp (image, original, sizeof image) == 0) {
      g_assert_true (memcmp (now, stored, sizeof stored) == 0);
      passed++;
      continue;
    }
    int slot = -1;
    for (int s = 0; s < 4; s++)
      if (memcmp (now + s * POOL_FLOATS, stored + s * POOL_FLOATS, sizeof image) != 0) {
        g_assert_cmpint (slot, ==, -1);
        slot = s;
      }
    g_assert_cmpint (slot, >=, 0);
    g_assert_true (memcmp (now + slot * POOL_FLOATS, original, sizeof image) == 0);
    g_assert_true (memcmp (image, stored + slot * POOL_FLOATS, sizeof image) == 0);
    swapped++;
  }
  g_test_message ("full pool: %d swapped, %d passed through", swapped, passed);
  g_assert_cmpint (swapped, >, 60);
  g_assert_cmpint (passed, >, 60);
  g_assert_cmpuint (vks_image_pool_count (pool), ==, 4);
}

static void
test_pool_restore (void)
{
  GError *error = NULL;
  g_autoptr (VksImagePool) pool = vks_image_pool_new (5, POOL_FLOATS, &error);
  VksRng rng;
  vks_rng_init (&rng, 77);
  float image[POOL_FLOATS];
  for (int id = 0; id < 3; id++) {
    fill_image (image, id);
    vks_image_pool_query (pool, image, &rng);
  }

  /* Half full, then full: both continue identically after a save and restore. */
  for (int round = 0; round < 2; round++) {
    guint count = vks_image_pool_count (pool);
    g_autofree float *saved = g_memdup2 (vks_image_pool_data (pool),
                                         count * POOL_FLOATS * sizeof (float));
    guint64 rng_state[VKS_RNG_STATE_WORDS];
    vks_rng_get_state (&rng, rng_state);

    g_autoptr (VksImagePool) restored = vks_image_pool_new (5, POOL_FLOATS, &error);
    g_assert_true (vks_image_pool_restore (restored, saved, count, &error));
    g_assert_no_error (error);
    VksRng rng2;
    g_assert_true (vks_rng_set_state (&rng2, rng_state, &error));
    for (int id = 10; id < 40; id++) {
      float a[POOL_FLOATS], b[POOL_FLOATS];
      fill_image (a, id);
      fill_image (b, id);
      vks_image_pool_query (pool, a, &rng);
      vks_image_pool_query (restored, b, &rng2);
      g_assert_true (memcmp (a, b, sizeof a) == 0);
    }
    g_assert_cmpuint (vks_image_pool_count (restored), ==, vks_image_pool_count (pool));
    g_assert_true (memcmp (vks_image_pool_data (pool), vks_image_pool_data (restored),
                           5 * POOL_FLOATS * sizeof (float)) == 0);
  }

  float too_many[6 * POOL_FLOATS] = { 0 };
  g_assert_false (vks_image_pool_restore (pool, too_many, 6, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_clear_error (&error);
}

/* ---- report ---- */

static const char *const loss_names[] = { "D_A", "G_A", "cycle_A" };

static int
count_hidden_files (const char *folder)
{
  GDir *dir = g_dir_open (folder, 0, NULL);
  int n = 0;
  const char *name;
  while (dir && (name = g_dir_read_name (dir)))
    n += name[0] == '.';
  if (dir)
    g_dir_close (dir);
  return n;
}

static void
test_report_files (void)
{
  g_autofree char *out = work_path ("run/output");
  GError *error = NULL;
  g_autoptr (VksReport) report = vks_report_new (out, loss_names, 3, &error);
  g_assert_no_error (error);

  /* Before anything is logged the plot and page still work. */
  g_assert_true (vks_report_write_plot (report, &error));
  g_assert_true (vks_report_write_index (report, &error));
  g_assert_no_error (error);

  for (int step = 1; step <= 120; step++) {
    double losses[3] = { 0.25 + 0.05 * sin (step), 1.0 / (1 + step * 0.05),
                         5.0 * exp (-step / 40.0) + 0.3 };
    if (step == 17)
      losses[1] = NAN;
    g_assert_true (vks_report_log (report, step, step / 50, losses, 2e-4 / step, 1.5, &error));
    g_assert_no_error (error);
  }
  g_assert_true (vks_report_write_plot (report, &error));
  g_assert_no_error (error);

  /* A 2 x 4 grid of 24x16 images, one cell empty. */
  float images[7][3 * 16 * 24];
  for (int k = 0; k < 7; k++)
    for (int i = 0; i < 3 * 16 * 24; i++)
      images[k][i] = -1.0f + 2.0f * ((i * (k + 3)) % 97) / 96.0f;
  const VksSampleCell cells[8] = {
    { "real A", images[0], 24, 16 }, { "fake B", images[1], 24, 16 },
    { "rec A", images[2], 24, 16 },  { "idt B", images[3], 24, 16 },
    { "real B", images[4], 24, 16 }, { "fake A", images[5], 24, 16 },
    { "rec B", images[6], 24, 16 },  { "idt A", NULL, 0, 0 },
  };
  g_assert_true (vks_report_write_samples (report, 120, cells, 2, 4, &error));
  g_assert_no_error (error);
  g_assert_true (vks_report_write_index (report, &error));
  g_assert_no_error (error);

  /* losses.csv: header and one row per step, NaN kept. */
  g_autofree char *csv_path = g_build_filename (out, "losses.csv", NULL);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (g_strchomp (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 121);
  g_assert_cmpstr (lines[0], ==, "step,epoch,D_A,G_A,cycle_A,lr,it_per_s");
  g_assert_true (g_str_has_prefix (lines[17], "17,0,"));
  g_assert_nonnull (strstr (lines[17], ",nan,"));

  /* The pictures are PNGs GEGL reads, of the expected sizes. */
  g_autofree char *plot = g_build_filename (out, "losses.png", NULL);
  g_autoptr (VksImage) plot_image = vks_image_load (plot, &error);
  g_assert_no_error (error);
  g_assert_cmpint (plot_image->width, ==, 960);
  g_assert_cmpint (plot_image->height, ==, 540);
  /* Something besides white and grey was drawn: the coloured curves. */
  int coloured = 0;
  for (int i = 0; i < 960 * 540; i++) {
    const float *p = plot_image->rgb + i * 3;
    coloured += fabsf (p[0] - p[1]) > 0.2f || fabsf (p[1] - p[2]) > 0.2f;
  }
  g_test_message ("losses.png: %d coloured pixels", coloured);
  g_assert_cmpint (coloured, >, 1000);

  g_autofree char *step_png = g_build_filename (out, "samples", "step_000120.png", NULL);
  g_autofree char *latest_png = g_build_filename (out, "samples", "latest.png", NULL);
  g_autoptr (VksImage) grid = vks_image_load (step_png, &error);
  g_assert_no_error (error);
  g_autoptr (VksImage) latest = vks_image_load (latest_png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (grid->width, ==, 4 * (24 + 6) + 6);
  g_assert_cmpint (grid->height, ==, 2 * (16 + 20 + 6) + 6);
  g_assert_cmpint (latest->width, ==, grid->width);
  g_assert_true (memcmp (grid->rgb, latest->rgb,
                         sizeof (float) * grid->width * grid->height * 3) == 0);
  /* The first image's pixels are in its cell (8-bit rounding of [-1, 1]). */
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 24; x++)
      for (int c = 0; c < 3; c++) {
        float want = (images[0][c * 16 * 24 + y * 24 + x] + 1.0f) / 2.0f;
        float got = grid->rgb[((gsize) (6 + 20 + y) * grid->width + 6 + x) * 3 + c];
        g_assert_cmpfloat (fabsf (want - got), <=, 0.5f / 255.0f + 1e-6f);
      }

  g_autofree char *index = g_build_filename (out, "index.html", NULL);
  g_autofree char *html = NULL;
  g_assert_true (g_file_get_contents (index, &html, NULL, NULL));
  g_assert_nonnull (strstr (html, "samples/latest.png"));
  g_assert_nonnull (strstr (html, "losses.png"));
  g_assert_nonnull (strstr (html, "cycle_A"));
  g_assert_nonnull (strstr (html, "step 120"));

  g_autofree char *samples_dir = g_build_filename (out, "samples", NULL);
  g_assert_cmpint (count_hidden_files (out), ==, 0);
  g_assert_cmpint (count_hidden_files (samples_dir), ==, 0);

  /* Resuming at step 60 keeps the rows up to it and drops the later ones. */
  g_autoptr (VksReport) resumed = vks_report_new (out, loss_names, 3, &error);
  g_assert_true (vks_report_resume (resumed, 60, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vks_report_n_rows (resumed), ==, 60);
  double more[3] = { 1, 2, 3 };
  g_assert_true (vks_report_log (resumed, 61, 1, more, 1e-4, 2.0, &error));
  g_autofree char *csv2 = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv2, NULL, NULL));
  g_auto (GStrv) lines2 = g_strsplit (g_strchomp (csv2), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines2), ==, 62);
  g_assert_cmpstr (lines2[17], ==, lines[17]);
  g_assert_cmpstr (lines2[61], ==, "61,1,1,2,3,0.0001,2");
  /* The lr column round-trips exactly (tests/test_lr_schedule.py compares it with torch's). */
  g_autofree char *lr_text = g_strdup_printf (",%s,1.5", "6.666666666666667e-05");
  g_assert_true (g_str_has_suffix (lines2[3], lr_text));
  g_assert_cmpfloat (g_ascii_strtod ("6.666666666666667e-05", NULL), ==, 2e-4 / 3);

  /* Other loss columns: an error, not a silent mix. */
  static const char *const other_names[] = { "D_A", "G_A" };
  g_autoptr (VksReport) other = vks_report_new (out, other_names, 2, &error);
  g_assert_false (vks_report_resume (other, 60, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);

  /* A losses.csv from before the lr column still resumes; its rows get lr nan. */
  g_autofree char *legacy = work_path ("legacy");
  g_assert_cmpint (g_mkdir_with_parents (legacy, 0755), ==, 0);
  g_autofree char *legacy_csv = g_build_filename (legacy, "losses.csv", NULL);
  write_text (legacy_csv, "step,epoch,D_A,G_A,cycle_A,it_per_s\n1,1,0.5,0.25,2,3\n", -1);
  g_autoptr (VksReport) old = vks_report_new (legacy, loss_names, 3, &error);
  g_assert_true (vks_report_resume (old, 60, &error));
  g_assert_no_error (error);
  g_assert_true (vks_report_log (old, 2, 1, more, 2e-4, 3.0, &error));
  g_autofree char *csv3 = NULL;
  g_assert_true (g_file_get_contents (legacy_csv, &csv3, NULL, NULL));
  g_assert_cmpstr (csv3, ==, "step,epoch,D_A,G_A,cycle_A,lr,it_per_s\n1,1,0.5,0.25,2,nan,3\n"
                             "2,1,1,2,3,0.0002,3\n");

  /* A fresh folder has nothing to resume, which is fine. */
  g_autofree char *fresh = work_path ("fresh");
  g_autoptr (VksReport) first = vks_report_new (fresh, loss_names, 3, &error);
  g_assert_true (vks_report_resume (first, 60, &error));
  g_assert_cmpuint (vks_report_n_rows (first), ==, 0);
}

static void
test_report_unwritable (void)
{
  GError *error = NULL;
  /* A file where a folder should be: refused even for root, who ignores permissions. */
  g_autofree char *blocker = work_path ("blocker");
  write_text (blocker, "x", -1);
  g_autofree char *below = g_build_filename (blocker, "out", NULL);
  g_assert_null (vks_report_new (below, loss_names, 3, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, below));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* The folder disappears under a running report (replaced by a file). */
  g_autofree char *out = work_path ("vanishing");
  g_autoptr (VksReport) report = vks_report_new (out, loss_names, 3, &error);
  g_assert_no_error (error);
  g_autofree char *moved = work_path ("vanishing.moved");
  g_assert_cmpint (g_rename (out, moved), ==, 0);
  write_text (out, "not a folder", -1);
  double losses[3] = { 1, 2, 3 };
  g_assert_false (vks_report_log (report, 1, 0, losses, 2e-4, 1.0, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "losses.csv"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (vks_report_write_plot (report, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);
  float image[3 * 4 * 4] = { 0 };
  const VksSampleCell cell = { "real A", image, 4, 4 };
  g_assert_false (vks_report_write_samples (report, 1, &cell, 1, 1, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (vks_report_write_index (report, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);

  /* Permissions, where they apply (not as root). */
  if (geteuid () != 0) {
    g_autofree char *locked = work_path ("locked");
    g_autoptr (VksReport) r = vks_report_new (locked, loss_names, 3, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_chmod (locked, 0500), ==, 0);
    g_assert_false (vks_report_write_index (r, &error));
    g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
    g_clear_error (&error);
    g_chmod (locked, 0755);
  }
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    GDir *dir = g_dir_open (path, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name (dir))) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
    if (dir)
      g_dir_close (dir);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gegl_init (&argc, &argv);
  work_dir = g_dir_make_tmp ("vkstyle-trainer-XXXXXX", NULL);
  g_assert_nonnull (work_dir);

  g_test_add_func ("/rng/known-answer", test_rng_known_answer);
  g_test_add_func ("/rng/reproducible", test_rng_reproducible);
  g_test_add_func ("/rng/state-restore", test_rng_state_restore);
  g_test_add_func ("/rng/distributions", test_rng_distributions);
  g_test_add_func ("/dataset/mixed-folder", test_dataset_mixed_folder);
  g_test_add_func ("/dataset/crop-flip", test_dataset_crop_flip);
  g_test_add_func ("/dataset/errors", test_dataset_errors);
  g_test_add_func ("/epoch/serial", test_epoch_serial);
  g_test_add_func ("/epoch/shuffled", test_epoch_shuffled);
  g_test_add_func ("/epoch/resume", test_epoch_resume);
  g_test_add_func ("/pool/pass-through", test_pool_pass_through);
  g_test_add_func ("/pool/semantics", test_pool_semantics);
  g_test_add_func ("/pool/restore", test_pool_restore);
  g_test_add_func ("/report/files", test_report_files);
  g_test_add_func ("/report/unwritable", test_report_unwritable);

  int result = g_test_run ();
  remove_tree (work_dir);
  g_free (work_dir);
  gegl_exit ();
  /* cairo keeps the fonts of the report's labels cached for the life of the process. */
  cairo_debug_reset_static_data ();
  return result;
}
