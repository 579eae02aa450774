/* Safetensors reader/writer: round trips, F16 conversion, atomic save, and hostile files built in
 * memory (each must fail with a message that names the problem). */
#include "engine/checkpoint.h"
#include "engine/error.h"

#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---- */

/* A file whose header-length field says `claimed` and whose body is json + data. */
static GBytes *
raw_file (guint64 claimed, const char *json, const void *data, gsize data_len)
{
  GByteArray *b = g_byte_array_new ();
  guint8 le[8];
  for (int i = 0; i < 8; i++)
    le[i] = (guint8) (claimed >> (8 * i));
  g_byte_array_append (b, le, 8);
  g_byte_array_append (b, (const guint8 *) json, (guint) strlen (json));
  if (data_len > 0)
    g_byte_array_append (b, data, (guint) data_len);
  return g_byte_array_free_to_bytes (b);
}

static GBytes *
file_with (const char *json, const void *data, gsize data_len)
{
  return raw_file (strlen (json), json, data, data_len);
}

static VksCheckpoint *
load_bytes (GBytes *bytes, GError **error)
{
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  return vks_checkpoint_load_from_data (p, size, error);
}

static void
assert_rejected (GBytes *bytes, const char *expected)
{
  GError *error = NULL;
  VksCheckpoint *ckpt = load_bytes (bytes, &error);
  g_assert_null (ckpt);
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_test_message ("message: %s", error->message);
  if (strstr (error->message, expected) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, expected);
  g_error_free (error);
  g_bytes_unref (bytes);
}

static void
assert_same_floats (const float *a, const float *b, gsize n)
{
  /* Bitwise, so that -0.0 and subnormals are checked exactly. */
  g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));
}

static void
assert_same_checkpoint (const VksCheckpoint *a, const VksCheckpoint *b)
{
  g_assert_cmpuint (vks_checkpoint_n_tensors (a), ==, vks_checkpoint_n_tensors (b));
  for (guint i = 0; i < vks_checkpoint_n_tensors (a); i++)
    {
      const VksCheckpointTensor *x = vks_checkpoint_tensor_at (a, i);
      const VksCheckpointTensor *y = vks_checkpoint_tensor_at (b, i);
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpint (x->ndim, ==, y->ndim);
      g_assert_cmpmem (x->shape, x->ndim * sizeof (int64_t), y->shape, y->ndim * sizeof (int64_t));
      g_assert_cmpint (x->n_elements, ==, y->n_elements);
      if (x->n_elements > 0)
        assert_same_floats (x->data, y->data, (gsize) x->n_elements);
    }
  g_autofree const char **ka = vks_checkpoint_metadata_keys (a);
  g_autofree const char **kb = vks_checkpoint_metadata_keys (b);
  g_assert_cmpuint (g_strv_length ((char **) ka), ==, g_strv_length ((char **) kb));
  for (guint i = 0; ka[i] != NULL; i++)
    {
      g_assert_cmpstr (ka[i], ==, kb[i]);
      g_assert_cmpstr (vks_checkpoint_get_metadata (a, ka[i]), ==, vks_checkpoint_get_metadata (b, kb[i]));
    }
}

/* A checkpoint with awkward tensors: odd sizes, a scalar, an empty tensor, extreme values. */
static VksCheckpoint *
sample_checkpoint (void)
{
  VksCheckpoint *ckpt = vks_checkpoint_new ();
  GRand *rand = g_rand_new_with_seed (42);
  const int64_t conv[4] = { 5, 3, 3, 3 }, bias[1] = { 5 }, empty[2] = { 4, 0 };
  VksCheckpointTensor *t = vks_checkpoint_add_tensor (ckpt, "model.1.weight", 4, conv, NULL);
  for (int64_t i = 0; i < t->n_elements; i++)
    t->data[i] = (float) g_rand_double_range (rand, -2.0, 2.0);
  const float bias_values[5] = { 0.0f, -0.0f, FLT_MAX, -FLT_MIN, 1e-45f /* subnormal */ };
  vks_checkpoint_add_tensor (ckpt, "model.1.bias", 1, bias, bias_values);
  const float scalar = 3.25f;
  vks_checkpoint_add_tensor (ckpt, "scale", 0, NULL, &scalar);
  vks_checkpoint_add_tensor (ckpt, "empty", 2, empty, NULL);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.name", "Monet \"water lilies\" \\ ünïcödé\n\ttab \x01");
  vks_checkpoint_set_metadata (ckpt, "format", "pt");
  g_rand_free (rand);
  return ckpt;
}

static guint64
read_le64 (const guint8 *p)
{
  guint64 n = 0;
  for (int i = 7; i >= 0; i--)
    n = (n << 8) | p[i];
  return n;
}

static char *
make_temp_dir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("vks-checkpoint-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static guint
count_entries (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  g_assert_nonnull (dir);
  guint n = 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

/* ---- round trips ---- */

static void
test_roundtrip_f32 (void)
{
  g_autoptr (VksCheckpoint) ckpt = sample_checkpoint ();
  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F32);
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);

  /* Layout: header padded so the data area starts 8-aligned, __metadata__ first. */
  guint64 n = read_le64 (p);
  g_assert_cmpuint ((8 + n) % 8, ==, 0);
  g_assert_true (strncmp ((const char *) p + 8, "{\"__metadata__\":{\"format\":", 26) == 0);

  GError *error = NULL;
  g_autoptr (VksCheckpoint) back = vks_checkpoint_load_from_data (p, size, &error);
  g_assert_no_error (error);
  assert_same_checkpoint (ckpt, back);

  /* Tensors come back in name order, the empty tensor with no data. */
  g_assert_cmpstr (vks_checkpoint_tensor_at (back, 0)->name, ==, "empty");
  g_assert_cmpstr (vks_checkpoint_tensor_at (back, 3)->name, ==, "scale");
  g_assert_cmpint (vks_checkpoint_get_tensor (back, "empty")->n_elements, ==, 0);
  g_assert_cmpint (vks_checkpoint_get_tensor (back, "scale")->ndim, ==, 0);
  g_assert_cmpfloat (vks_checkpoint_get_tensor (back, "scale")->data[0], ==, 3.25f);
}

/* The reference safetensors reader demands tensors packed back to back from offset 0 up to the
 * end of the file; we write that way so our files load there too. */
static void
test_layout_contiguous (void)
{
  g_autoptr (VksCheckpoint) ckpt = sample_checkpoint ();
  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F32);
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  guint64 n = read_le64 (p);
  /* Offsets in name order: empty [0,0], model.1.bias [0,20], model.1.weight [20,560], scale [560,564]. */
  g_autofree char *json = g_strndup ((const char *) p + 8, n);
  g_assert_nonnull (strstr (json, "\"empty\":{\"dtype\":\"F32\",\"shape\":[4,0],\"data_offsets\":[0,0]}"));
  g_assert_nonnull (strstr (json, "\"model.1.bias\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,20]}"));
  g_assert_nonnull (strstr (json, "\"model.1.weight\":{\"dtype\":\"F32\",\"shape\":[5,3,3,3],\"data_offsets\":[20,560]}"));
  g_assert_nonnull (strstr (json, "\"scale\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[560,564]}"));
  g_assert_cmpuint (size, ==, 8 + n + 564);
}

static void
test_roundtrip_f16 (void)
{
  /* Values a half holds exactly come back exactly. */
  const float values[] = { 0.0f, -0.0f, 1.0f, -2.5f, 0.333251953125f, 65504.0f, -65504.0f,
                           6.103515625e-05f /* 2^-14 */, 5.9604644775390625e-08f /* 2^-24 */,
                           -3.0517578125e-05f /* subnormal */ };
  const int64_t shape[1] = { G_N_ELEMENTS (values) };
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  vks_checkpoint_add_tensor (ckpt, "w", 1, shape, values);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.ngf", "64");

  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F16);
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  g_assert_nonnull (g_strstr_len ((const char *) p + 8, (gssize) read_le64 (p), "\"dtype\":\"F16\""));
  g_assert_cmpuint (size, ==, 8 + read_le64 (p) + 2 * G_N_ELEMENTS (values));

  GError *error = NULL;
  g_autoptr (VksCheckpoint) back = load_bytes (bytes, &error);
  g_assert_no_error (error);
  assert_same_checkpoint (ckpt, back);
}

static void
test_f16_rounding (void)
{
  const struct { float in, out; } cases[] = {
    { 1.0f + 0x1p-11f, 1.0f },                 /* tie, to even */
    { 1.0f + 3 * 0x1p-11f, 1.0f + 0x1p-9f },   /* tie, to even (up) */
    { 1.0f + 0x1p-11f + 0x1p-20f, 1.0f + 0x1p-10f },
    { 65519.0f, 65504.0f },
    { 65520.0f, 65504.0f },                    /* would be infinity: clamped */
    { 1e6f, 65504.0f },
    { -1e30f, -65504.0f },
    { 0x1p-25f, 0.0f },                        /* tie between 0 and 2^-24, to even */
    { 0x1.8p-25f, 0x1p-24f },
    { 0x1p-26f, 0.0f },
    { 1e-30f, 0.0f },
    { -1e-30f, -0.0f },
    { 1023.5f * 0x1p-24f, 0x1p-14f },          /* tie, to even: out of the subnormals into 2^-14 */
    { 1022.5f * 0x1p-24f, 1022.0f * 0x1p-24f }, /* tie, to even (down) */
    { 1022.75f * 0x1p-24f, 1023.0f * 0x1p-24f },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const int64_t shape[1] = { 1 };
      g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
      vks_checkpoint_add_tensor (ckpt, "x", 1, shape, &cases[i].in);
      g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F16);
      GError *error = NULL;
      g_autoptr (VksCheckpoint) back = load_bytes (bytes, &error);
      g_assert_no_error (error);
      float got = vks_checkpoint_get_tensor (back, "x")->data[0];
      if (memcmp (&got, &cases[i].out, sizeof got) != 0)
        g_error ("F16 of %a gave %a, expected %a", cases[i].in, got, cases[i].out);
    }
}

/* An independent decoder: value = mantissa * 2^exponent, by ldexp. */
static float
reference_half (guint16 h)
{
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  float v = e == 0 ? ldexpf ((float) m, -24) : ldexpf ((float) (1024 + m), e - 25);
  return (h & 0x8000) ? -v : v;
}

/* Every finite half decodes exactly, and encodes back to the same bits. */
static void
test_f16_exhaustive (void)
{
  GArray *halves = g_array_new (FALSE, FALSE, sizeof (guint8));
  guint n = 0;
  for (guint h = 0; h < 65536; h++)
    if (((h >> 10) & 0x1f) != 0x1f)
      {
        guint8 le[2] = { (guint8) h, (guint8) (h >> 8) };
        g_array_append_vals (halves, le, 2);
        n++;
      }
  g_autofree char *json = g_strdup_printf ("{\"all\":{\"dtype\":\"F16\",\"shape\":[%u],\"data_offsets\":[0,%u]}}",
                                           n, 2 * n);
  g_autoptr (GBytes) file = file_with (json, halves->data, halves->len);
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load_bytes (file, &error);
  g_assert_no_error (error);

  const float *decoded = vks_checkpoint_get_tensor (ckpt, "all")->data;
  for (guint i = 0; i < n; i++)
    {
      const guint8 *le = (const guint8 *) halves->data + 2 * i;
      guint16 h = (guint16) (le[0] | (le[1] << 8));
      float want = reference_half (h);
      if (memcmp (&decoded[i], &want, sizeof want) != 0)
        g_error ("half 0x%04x decoded to %a, expected %a", h, decoded[i], want);
    }

  g_autoptr (GBytes) again = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F16);
  gsize size;
  const guint8 *p = g_bytes_get_data (again, &size);
  guint64 header = read_le64 (p);
  g_assert_cmpmem (p + 8 + header, size - 8 - header, halves->data, halves->len);
  g_array_unref (halves);
}

static void
test_metadata (void)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  g_assert_null (vks_checkpoint_get_metadata (ckpt, "missing"));
  g_autofree const char **none = vks_checkpoint_metadata_keys (ckpt);
  g_assert_null (none[0]);

  vks_checkpoint_set_metadata (ckpt, "b", "2");
  vks_checkpoint_set_metadata (ckpt, "a", "1");
  vks_checkpoint_set_metadata (ckpt, "c", "");
  vks_checkpoint_set_metadata (ckpt, "b", "two");
  g_autofree const char **keys = vks_checkpoint_metadata_keys (ckpt);
  g_assert_cmpuint (g_strv_length ((char **) keys), ==, 3);
  g_assert_cmpstr (keys[0], ==, "a");
  g_assert_cmpstr (keys[1], ==, "b");
  g_assert_cmpstr (keys[2], ==, "c");
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "b"), ==, "two");

  /* Metadata only, no tensors; odd characters survive the JSON escaping. */
  vks_checkpoint_set_metadata (ckpt, "vkstyle.description", "quote \" backslash \\ slash / nl \n cr \r \x1f é 猫");
  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F32);
  GError *error = NULL;
  g_autoptr (VksCheckpoint) back = load_bytes (bytes, &error);
  g_assert_no_error (error);
  assert_same_checkpoint (ckpt, back);
  g_assert_cmpuint (vks_checkpoint_n_tensors (back), ==, 0);

  /* Metadata written by others (unsorted, escapes) reads fine. */
  g_autoptr (GBytes) other = file_with ("{\"__metadata__\":{\"z\":\"\\u00e9\",\"format\":\"pt\"}}", NULL, 0);
  g_autoptr (VksCheckpoint) ckpt2 = load_bytes (other, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt2, "z"), ==, "é");
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt2, "format"), ==, "pt");
}

static void
test_add_tensor_replaces (void)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  const int64_t s2[1] = { 2 }, s3[1] = { 3 };
  const float v[3] = { 1, 2, 3 };
  vks_checkpoint_add_tensor (ckpt, "b", 1, s2, v);
  vks_checkpoint_add_tensor (ckpt, "a", 1, s2, NULL);
  VksCheckpointTensor *t = vks_checkpoint_add_tensor (ckpt, "b", 1, s3, v);
  g_assert_cmpuint (vks_checkpoint_n_tensors (ckpt), ==, 2);
  g_assert_true (vks_checkpoint_get_tensor (ckpt, "b") == t);
  g_assert_cmpint (t->n_elements, ==, 3);
  g_assert_cmpfloat (t->data[2], ==, 3.0f);
  g_assert_cmpstr (vks_checkpoint_tensor_at (ckpt, 0)->name, ==, "a");
  g_assert_cmpfloat (vks_checkpoint_get_tensor (ckpt, "a")->data[1], ==, 0.0f);
}

/* ---- files ---- */

static void
test_save_and_load_file (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr (VksCheckpoint) ckpt = sample_checkpoint ();
  GError *error = NULL;

  g_assert_true (vks_checkpoint_save (ckpt, path, VKS_DTYPE_F32, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1); /* no temporary file left behind */

  g_autoptr (VksCheckpoint) back = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  assert_same_checkpoint (ckpt, back);

  /* Same bytes as serialize. */
  g_autofree char *contents = NULL;
  gsize length;
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F32);
  g_assert_cmpmem (contents, length, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  /* Header only: shapes and metadata, no data. */
  g_autoptr (VksCheckpoint) header = vks_checkpoint_load_header (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vks_checkpoint_n_tensors (header), ==, 4);
  const VksCheckpointTensor *w = vks_checkpoint_get_tensor (header, "model.1.weight");
  g_assert_cmpint (w->shape[0], ==, 5);
  g_assert_cmpint (w->n_elements, ==, 135);
  g_assert_null (w->data);
  g_assert_cmpstr (vks_checkpoint_get_metadata (header, "format"), ==, "pt");

  /* A header-only checkpoint has nothing to save. */
  g_autofree char *other = g_build_filename (dir, "other.safetensors", NULL);
  g_assert_false (vks_checkpoint_save (header, other, VKS_DTYPE_F32, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);

  /* A save over an existing file replaces it. */
  vks_checkpoint_set_metadata (ckpt, "format", "vkstyle");
  g_assert_true (vks_checkpoint_save (ckpt, path, VKS_DTYPE_F16, &error));
  g_assert_no_error (error);
  g_autoptr (VksCheckpoint) replaced = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vks_checkpoint_get_metadata (replaced, "format"), ==, "vkstyle");
  g_assert_cmpuint (count_entries (dir), ==, 1);

  remove_tree (dir);
}

static void
test_load_header_checks_offsets (void)
{
  /* The header promises 8 bytes of data; the file has 4. load_header must notice without the data. */
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "short.safetensors", NULL);
  g_autoptr (GBytes) file = file_with ("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                                       "\0\0\0\0", 4);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (file, NULL), (gssize) g_bytes_get_size (file), NULL));
  GError *error = NULL;
  g_assert_null (vks_checkpoint_load_header (path, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "short.safetensors: tensor w: data_offsets [0, 8] go past the end"));
  g_clear_error (&error);
  g_assert_null (vks_checkpoint_load (path, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_clear_error (&error);

  /* Truncated header, through the file path. */
  g_autoptr (GBytes) cut = raw_file (1234, "{}", NULL, 0);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (cut, NULL), (gssize) g_bytes_get_size (cut), NULL));
  g_assert_null (vks_checkpoint_load_header (path, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "short.safetensors: truncated file: header says 1234 bytes of JSON but only 2 follow"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  g_assert_null (vks_checkpoint_load_header (path, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_clear_error (&error);
  remove_tree (dir);
}

static void
test_load_missing_or_folder (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *missing = g_build_filename (dir, "nope.safetensors", NULL);
  GError *error = NULL;
  g_assert_null (vks_checkpoint_load (missing, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "nope.safetensors"));
  g_clear_error (&error);
  g_assert_null (vks_checkpoint_load_header (missing, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_clear_error (&error);
  g_assert_null (vks_checkpoint_load (dir, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "is a folder"));
  g_clear_error (&error);
  remove_tree (dir);
}

/* The target is a folder: rename fails after the temporary file is written; it must go away. */
static void
test_save_onto_folder (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *target = g_build_filename (dir, "model.safetensors", NULL);
  g_assert_cmpint (g_mkdir (target, 0755), ==, 0);
  g_autoptr (VksCheckpoint) ckpt = sample_checkpoint ();
  GError *error = NULL;
  g_assert_false (vks_checkpoint_save (ckpt, target, VKS_DTYPE_F32, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_test_message ("message: %s", error->message);
  g_assert_nonnull (strstr (error->message, target));
  g_clear_error (&error);
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (count_entries (dir), ==, 1);
  remove_tree (dir);
}

static void
test_save_read_only_folder (void)
{
  if (geteuid () == 0)
    {
      g_test_skip ("root ignores folder permissions");
      return;
    }
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr (VksCheckpoint) old = sample_checkpoint ();
  GError *error = NULL;
  g_assert_true (vks_checkpoint_save (old, path, VKS_DTYPE_F32, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);

  g_autoptr (VksCheckpoint) newer = vks_checkpoint_new ();
  vks_checkpoint_set_metadata (newer, "format", "new");
  g_assert_false (vks_checkpoint_save (newer, path, VKS_DTYPE_F32, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_test_message ("message: %s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  g_autoptr (VksCheckpoint) still = vks_checkpoint_load (path, &error);
  g_assert_no_error (error);
  assert_same_checkpoint (old, still);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  g_chmod (dir, 0755);
  remove_tree (dir);
}

static void
test_save_refuses_non_finite (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  const int64_t shape[1] = { 2 };
  const float values[2] = { 1.0f, NAN };
  vks_checkpoint_add_tensor (ckpt, "w", 1, shape, values);
  GError *error = NULL;
  g_assert_false (vks_checkpoint_save (ckpt, path, VKS_DTYPE_F32, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "tensor w holds a non-finite value"));
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 0);

  /* serialize has no error path: the NaN is written, and the reader refuses it. */
  g_autoptr (GBytes) f32 = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F32);
  assert_rejected (g_bytes_ref (f32), "tensor w holds a non-finite value (NaN) at element 1");
  g_autoptr (GBytes) f16 = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F16);
  assert_rejected (g_bytes_ref (f16), "tensor w holds a non-finite value (NaN) at element 1");
  remove_tree (dir);
}

/* ---- files that must load ---- */

static void
test_accepts_zero_elements (void)
{
  const float w[2] = { 1.5f, -1.5f };
  g_autoptr (GBytes) file = file_with (
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"z\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[4,4]},"
      "\"big_zero\":{\"dtype\":\"F16\",\"shape\":[1099511627776,0,1099511627776],\"data_offsets\":[8,8]}}",
      w, sizeof w);
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load_bytes (file, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vks_checkpoint_n_tensors (ckpt), ==, 3);
  const VksCheckpointTensor *z = vks_checkpoint_get_tensor (ckpt, "z");
  g_assert_cmpint (z->n_elements, ==, 0);
  g_assert_cmpint (z->ndim, ==, 2);
  g_assert_cmpfloat (vks_checkpoint_get_tensor (ckpt, "w")->data[1], ==, -1.5f);

  /* No tensors at all, and padding spaces after the JSON, and a gap before a tensor. */
  g_autoptr (GBytes) empty = file_with ("{}      ", NULL, 0);
  g_autoptr (VksCheckpoint) e = load_bytes (empty, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vks_checkpoint_n_tensors (e), ==, 0);
  const guint8 gap_data[8] = { 0, 0, 0, 0, 0, 0, 0x80, 0x3f };
  g_autoptr (GBytes) gap = file_with ("{\"one\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                                      gap_data, sizeof gap_data);
  g_autoptr (VksCheckpoint) g = load_bytes (gap, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (vks_checkpoint_get_tensor (g, "one")->data[0], ==, 1.0f);
}

/* ---- hostile files ---- */

typedef struct {
  const char *name;
  guint64 claimed; /* 0: the JSON's length */
  const char *json;
  const char *data;
  gsize data_len;
  const char *expected;
} Hostile;

static const float f32_nan_data[2] = { 0.0f, NAN };
static const float f32_inf_data[2] = { -INFINITY, 0.0f };

static const Hostile hostile_cases[] = {
  { "header-length-max", G_MAXUINT64, "{}", NULL, 0, "header length 18446744073709551615 is over the 100 MiB limit" },
  { "header-length-past-end", 1234, "{\"a\":1}", NULL, 0, "truncated file: header says 1234 bytes of JSON but only 7 follow" },
  { "header-not-json", 0, "{\"a\":", NULL, 0, "header is not valid JSON" },
  { "header-garbage", 0, "hello", NULL, 0, "header is not" },
  { "header-empty", 0, "", NULL, 0, "header is not a JSON object" },
  { "header-array", 0, "[1,2]", NULL, 0, "header is not a JSON object" },
  { "header-string", 0, "\"x\"", NULL, 0, "header is not a JSON object" },
  { "header-two-objects", 0, "{}{}", NULL, 0, "extra text after the top-level object" },
  { "header-trailing", 0, "{} x", NULL, 0, "extra text after the top-level object" },
  { "header-comment", 0, "/* hi */ {}", NULL, 0, "unexpected character 0x2f" },
  { "header-single-quotes", 0, "{'a':1}", NULL, 0, "unexpected character 0x27" },
  { "header-unterminated-string", 0, "{\"a", NULL, 0, "unterminated string" },
  { "header-control-char", 0, "{\"a\x01\":{}}", NULL, 0, "control character inside a string" },
  { "header-nul", 0, NULL, NULL, 0, "unexpected character 0x00" }, /* built in the test */
  { "entry-not-object", 0, "{\"a\":5}", NULL, 0, "header entry \"a\" is not an object" },
  { "entry-no-dtype", 0, "{\"a\":{\"shape\":[],\"data_offsets\":[0,0]}}", NULL, 0, "tensor a: no dtype" },
  { "dtype-unknown", 0, "{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4,
    "tensor a: unknown dtype \"F33\"" },
  { "dtype-bf16", 0, "{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", "\0\0", 2,
    "unsupported dtype BF16" },
  { "dtype-f64", 0, "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "\0\0\0\0\0\0\0\0", 8,
    "unsupported dtype F64" },
  { "dtype-number", 0, "{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4,
    "tensor a: dtype is not a string" },
  { "shape-negative", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4,
    "tensor a: shape must be a list of non-negative whole numbers" },
  { "shape-float", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4,
    "non-negative whole numbers" },
  { "shape-beyond-int64", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,4]}}",
    "\0\0\0\0", 4, "the integer 18446744073709551616 at byte 29 is beyond the 64-bit range" },
  { "offsets-below-int64", 0,
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-9223372036854775809,4]}}", "\0\0\0\0", 4,
    "the integer -9223372036854775809 at byte 48 is beyond the 64-bit range" },
  { "number-long-digits", 0,
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[123456789012345678901234567890],\"data_offsets\":[0,4]}}",
    "\0\0\0\0", 4, "the integer 123456789012345678901234... at byte 29" },
  { "shape-not-array", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", NULL, 0,
    "tensor a: shape is missing or not an array" },
  { "shape-too-many-dims", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
    "\0\0\0\0", 4, "shape has 9 dimensions, at most 8" },
  { "shape-product-overflow", 0,
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4,
    "tensor a: shape [1099511627776, 1099511627776] has too many elements" },
  { "shape-bytes-overflow", 0,
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4,
    "shape [4611686018427387904] has too many elements" },
  { "size-mismatch", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4,
    "tensor a: shape [2] of F32 needs 8 bytes but data_offsets give 4" },
  { "zero-elements-with-bytes", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,4]}}",
    "\0\0\0\0", 4, "needs 0 bytes but data_offsets give 4" },
  { "offsets-past-end", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "\0\0\0\0", 4,
    "tensor a: data_offsets [0, 8] go past the end of the data (4 bytes)" },
  { "offsets-huge", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775800,9223372036854775804]}}",
    "\0\0\0\0", 4, "go past the end" },
  { "offsets-reversed", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", "\0\0\0\0", 4,
    "end before they begin" },
  { "offsets-three", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", "\0\0\0\0\0\0\0\0", 8,
    "data_offsets must be two non-negative whole numbers" },
  { "offsets-missing", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "\0\0\0\0", 4,
    "data_offsets must be two" },
  { "offsets-overlap", 0,
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "\0\0\0\0\0\0\0\0\0\0\0\0", 12,
    "tensors a and b overlap in the file" },
  { "offsets-alias", 0,
    "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "\0\0\0\0", 4,
    "overlap in the file" },
  { "offsets-inside", 0,
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
    "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
    "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16,
    "tensors a and b overlap" },
  { "duplicate-names", 0,
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "\0\0\0\0\0\0\0\0", 8,
    "header lists \"a\" twice" },
  { "duplicate-names-nul-escape", 0,
    "{\"a\\u0000x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
    "\"a\\u0000y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "\0\0\0\0\0\0\0\0", 8,
    "twice" },
  { "duplicate-field", 0, "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}",
    "\0\0", 2, "header lists \"dtype\" twice" },
  { "duplicate-metadata", 0, "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", NULL, 0, "header lists \"k\" twice" },
  { "nan-f32", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", (const char *) f32_nan_data, 8,
    "tensor a holds a non-finite value (NaN) at element 1" },
  { "inf-f32", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", (const char *) f32_inf_data, 8,
    "tensor a holds a non-finite value (-inf) at element 0" },
  { "nan-f16", 0, "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "\0\x3c\x01\x7e", 4,
    "tensor h holds a non-finite value (NaN) at element 1" },
  { "inf-f16", 0, "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "\0\x7c\0\0", 4,
    "tensor h holds a non-finite value (+inf) at element 0" },
  { "metadata-not-string", 0, "{\"__metadata__\":{\"k\":5}}", NULL, 0, "metadata value of \"k\" is not a string" },
  { "metadata-null", 0, "{\"__metadata__\":{\"k\":null}}", NULL, 0, "metadata value of \"k\" is not a string" },
  { "metadata-not-object", 0, "{\"__metadata__\":\"x\"}", NULL, 0, "__metadata__ is not an object" },
  { "assignment", 0, "var x = {}", NULL, 0, "unexpected character 0x3d" },
  /* Found by tests/fuzz (each also in tests/fuzz/corpus/regression-*): */
  /* json-glib decodes an unpaired surrogate into bytes that are not UTF-8 */
  { "surrogate-high-alone", 0, "{\"__metadata__\":{\"k\":\"[{\\ud83dUTF-8\"}}", NULL, 0,
    "unpaired UTF-16 surrogate \\ud83d" },
  { "surrogate-low-alone", 0, "{\"__metadata__\":{\"k\":\"\\ude00\"}}", NULL, 0, "unpaired UTF-16 surrogate \\ude00" },
  /* json-glib leaks on a high surrogate followed by an escape that is not a low one */
  { "surrogate-pair-malformed", 0, "{\"a\":\"\\ud800\\u0041\"}", NULL, 0, "unpaired UTF-16 surrogate \\ud800" },
  { "escape-unknown", 0, "{\"a\\q\":{}}", NULL, 0, "bad escape sequence in a string (byte 3)" },
  { "escape-short", 0, "{\"a\":\"\\u12\"}", NULL, 0, "bad escape sequence" },
  /* json-glib parses on past a bare top-level value and leaks what follows */
  { "bare-value-then-object", 0, "\"a\"{\"b\":[]}", NULL, 0, "header is not a JSON object" },
  { "bare-number-then-object", 0, "1 {}", NULL, 0, "header is not a JSON object" },
  /* 2^32 elements: refused from the offsets alone, before any allocation */
  { "elements-2-32-f32", 0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,17179869184]}}",
    "\0\0\0\0", 4, "data_offsets [0, 17179869184] go past the end of the data (4 bytes)" },
  { "elements-2-32-f16", 0, "{\"a\":{\"dtype\":\"F16\",\"shape\":[4294967296],\"data_offsets\":[0,8589934592]}}",
    NULL, 0, "go past the end" },
};

static void
test_hostile (gconstpointer user_data)
{
  const Hostile *h = user_data;
  if (h->json == NULL)
    {
      /* A NUL byte inside the header: built here since a C string cannot hold it. */
      static const char with_nul[] = "{\"a\":\0}";
      GByteArray *b = g_byte_array_new ();
      guint8 le[8] = { sizeof with_nul - 1, 0, 0, 0, 0, 0, 0, 0 };
      g_byte_array_append (b, le, 8);
      g_byte_array_append (b, (const guint8 *) with_nul, sizeof with_nul - 1);
      assert_rejected (g_byte_array_free_to_bytes (b), h->expected);
      return;
    }
  guint64 claimed = h->claimed ? h->claimed : strlen (h->json);
  assert_rejected (raw_file (claimed, h->json, h->data, h->data_len), h->expected);
}

static void
test_hostile_short_files (void)
{
  assert_rejected (g_bytes_new (NULL, 0), "empty file");
  assert_rejected (g_bytes_new ("\x02\0\0\0\0\0\0", 7), "truncated file: 7 bytes, too short for the 8-byte header length");
  assert_rejected (g_bytes_new ("\x08\0\0\0\0\0\0\0", 8), "truncated file: header says 8 bytes of JSON but only 0 follow");
}

/* json-glib 1.6 recurses once per level with no limit: 100 000 '[' crash it unless we refuse. */
static void
test_hostile_deep_nesting (void)
{
  const gsize depth = 100000;
  GString *json = g_string_new (NULL);
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (json, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (json, ']');
  assert_rejected (file_with (json->str, NULL, 0), "nested more than 16 levels deep");
  /* Brackets inside strings do not count. */
  g_string_assign (json, "{\"__metadata__\":{\"[[[[[[[[[[[[[[[[[[[[\":\"{{{{{{{{{{{{{{{{{{{{{{{{\\\"\"}}");
  GError *error = NULL;
  GBytes *ok_file = file_with (json->str, NULL, 0);
  VksCheckpoint *ckpt = load_bytes (ok_file, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "[[[[[[[[[[[[[[[[[[[["), ==, "{{{{{{{{{{{{{{{{{{{{{{{{\"");
  vks_checkpoint_free (ckpt);
  g_bytes_unref (ok_file);
  g_string_free (json, TRUE);
}

/* The escapes RFC 8259 allows still load, a surrogate pair included. */
static void
test_accepts_escapes (void)
{
  g_autoptr (GBytes) file = file_with (
      "{\"__metadata__\":{\"k\\u00e9\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00\"}}", NULL, 0);
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ckpt = load_bytes (file, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vks_checkpoint_get_metadata (ckpt, "k\xc3\xa9"), ==, "\"\\/\b\f\n\r\t\xf0\x9f\x98\x80");
}

/* Every prefix of a valid file is rejected cleanly (under ASan this also proves no overread). */
static void
test_hostile_every_truncation (void)
{
  g_autoptr (VksCheckpoint) ckpt = sample_checkpoint ();
  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, VKS_DTYPE_F16);
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  for (gsize len = 0; len < size; len++)
    {
      guint8 *copy = g_memdup2 (p, len); /* exact-size heap block so ASan sees any overread */
      GError *error = NULL;
      VksCheckpoint *partial = vks_checkpoint_load_from_data (copy, len, &error);
      g_assert_null (partial);
      g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
      g_clear_error (&error);
      g_free (copy);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/checkpoint/roundtrip/f32", test_roundtrip_f32);
  g_test_add_func ("/checkpoint/roundtrip/f16", test_roundtrip_f16);
  g_test_add_func ("/checkpoint/layout/contiguous", test_layout_contiguous);
  g_test_add_func ("/checkpoint/f16/rounding", test_f16_rounding);
  g_test_add_func ("/checkpoint/f16/exhaustive", test_f16_exhaustive);
  g_test_add_func ("/checkpoint/metadata", test_metadata);
  g_test_add_func ("/checkpoint/add-tensor-replaces", test_add_tensor_replaces);
  g_test_add_func ("/checkpoint/file/save-and-load", test_save_and_load_file);
  g_test_add_func ("/checkpoint/file/load-header-checks-offsets", test_load_header_checks_offsets);
  g_test_add_func ("/checkpoint/file/missing-or-folder", test_load_missing_or_folder);
  g_test_add_func ("/checkpoint/save/onto-folder", test_save_onto_folder);
  g_test_add_func ("/checkpoint/save/read-only-folder", test_save_read_only_folder);
  g_test_add_func ("/checkpoint/save/refuses-non-finite", test_save_refuses_non_finite);
  g_test_add_func ("/checkpoint/accepts/zero-elements", test_accepts_zero_elements);
  g_test_add_func ("/checkpoint/accepts/escapes", test_accepts_escapes);
  g_test_add_func ("/checkpoint/hostile/short-files", test_hostile_short_files);
  g_test_add_func ("/checkpoint/hostile/deep-nesting", test_hostile_deep_nesting);
  g_test_add_func ("/checkpoint/hostile/every-truncation", test_hostile_every_truncation);
  for (gsize i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/checkpoint/hostile/%s", hostile_cases[i].name);
      g_test_add_data_func (path, &hostile_cases[i], test_hostile);
    }
  return g_test_run ();
}
