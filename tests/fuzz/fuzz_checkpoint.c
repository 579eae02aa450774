/* libFuzzer harness for the safetensors reader and the generator checks that follow it: what a
 * user's plug-in does with a style file downloaded from a stranger.
 *
 * Besides "no crash, no leak, no sanitizer report" it checks what the reader promises:
 * - exactly one of (checkpoint, error) comes back; the error is ours and reads as UTF-8;
 * - an accepted checkpoint is self-consistent (element counts, finite data, sorted names);
 * - it survives a save/load round trip, bit for bit in F32 and loadably in F16;
 * - the header-only reader agrees with the full reader;
 * - the generator check returns a config in range, or an error, never both or neither.
 * A broken promise aborts, which libFuzzer reports as a crash with the input saved. */
#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/generator_spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                       \
  do                                                                                        \
    {                                                                                       \
      if (!(cond))                                                                          \
        {                                                                                   \
          fprintf (stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond);       \
          abort ();                                                                         \
        }                                                                                   \
    }                                                                                       \
  while (0)

static void
require_our_error (const GError *error, gboolean header_only)
{
  REQUIRE (error != NULL);
  REQUIRE (error->domain == VKS_ERROR);
  /* Everything in memory is a checkpoint problem; reading a file may also fail as I/O. */
  REQUIRE (error->code == VKS_ERROR_CHECKPOINT || error->code == VKS_ERROR_OUT_OF_MEMORY
           || (header_only && error->code == VKS_ERROR_IO));
  REQUIRE (error->message != NULL && error->message[0] != '\0');
  /* The plug-in shows it in a GTK dialog, which needs UTF-8. */
  REQUIRE (g_utf8_validate (error->message, -1, NULL));
}

/* size: of the input, which bounds every tensor's element count. */
static void
check_consistent (const VksCheckpoint *ckpt, gboolean has_data, size_t size)
{
  const char *previous = NULL;
  for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++)
    {
      const VksCheckpointTensor *t = vks_checkpoint_tensor_at (ckpt, i);
      REQUIRE (t->name != NULL && g_utf8_validate (t->name, -1, NULL));
      REQUIRE (strcmp (t->name, "__metadata__") != 0);
      REQUIRE (previous == NULL || strcmp (previous, t->name) < 0);
      previous = t->name;
      REQUIRE (vks_checkpoint_get_tensor (ckpt, t->name) == t);
      REQUIRE (t->ndim >= 0 && t->ndim <= VKS_CHECKPOINT_MAX_DIMS);
      gboolean empty = FALSE;
      for (int d = 0; d < t->ndim; d++)
        {
          REQUIRE (t->shape[d] >= 0);
          empty = empty || t->shape[d] == 0;
        }
      /* Without a zero the count is bounded by the input size, so the product cannot overflow. */
      guint64 n = empty ? 0 : 1;
      for (int d = 0; !empty && d < t->ndim; d++)
        REQUIRE (g_uint64_checked_mul (&n, n, (guint64) t->shape[d]) && n <= size);
      REQUIRE ((guint64) t->n_elements == n);
      if (!has_data || n == 0)
        {
          REQUIRE (t->data == NULL);
          continue;
        }
      REQUIRE (t->data != NULL);
      for (guint64 k = 0; k < n; k++)
        REQUIRE (isfinite (t->data[k]));
    }
  g_autofree const char **keys = vks_checkpoint_metadata_keys (ckpt);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      REQUIRE (g_utf8_validate (keys[i], -1, NULL));
      REQUIRE (g_utf8_validate (vks_checkpoint_get_metadata (ckpt, keys[i]), -1, NULL));
    }
}

static gboolean
same_tensor_shapes (const VksCheckpoint *a, const VksCheckpoint *b)
{
  if (vks_checkpoint_n_tensors (a) != vks_checkpoint_n_tensors (b))
    return FALSE;
  for (guint i = 0; i < vks_checkpoint_n_tensors (a); i++)
    {
      const VksCheckpointTensor *x = vks_checkpoint_tensor_at (a, i), *y = vks_checkpoint_tensor_at (b, i);
      if (strcmp (x->name, y->name) != 0 || x->ndim != y->ndim || x->n_elements != y->n_elements
          || memcmp (x->shape, y->shape, (gsize) x->ndim * sizeof x->shape[0]) != 0)
        return FALSE;
    }
  g_autofree const char **ka = vks_checkpoint_metadata_keys (a);
  g_autofree const char **kb = vks_checkpoint_metadata_keys (b);
  guint i = 0;
  for (; ka[i] != NULL && kb[i] != NULL; i++)
    if (strcmp (ka[i], kb[i]) != 0
        || strcmp (vks_checkpoint_get_metadata (a, ka[i]), vks_checkpoint_get_metadata (b, kb[i])) != 0)
      return FALSE;
  return ka[i] == NULL && kb[i] == NULL;
}

static void
check_round_trip (const VksCheckpoint *ckpt, VksDtype dtype)
{
  g_autoptr (GBytes) bytes = vks_checkpoint_serialize (ckpt, dtype);
  REQUIRE (bytes != NULL);
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  GError *error = NULL;
  VksCheckpoint *again = vks_checkpoint_load_from_data (p, size, &error);
  if (again == NULL)
    fprintf (stderr, "reload after save failed: %s\n", error->message);
  REQUIRE (again != NULL && error == NULL);
  REQUIRE (same_tensor_shapes (ckpt, again));
  if (dtype == VKS_DTYPE_F32)
    for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++)
      {
        const VksCheckpointTensor *x = vks_checkpoint_tensor_at (ckpt, i), *y = vks_checkpoint_tensor_at (again, i);
        if (x->n_elements > 0)
          REQUIRE (memcmp (x->data, y->data, (gsize) x->n_elements * sizeof (float)) == 0);
      }
  vks_checkpoint_free (again);
}

/* The header-only reader takes a path: the input goes into an in-memory file, reused. */
static int
scratch_file (void)
{
  static int fd = -1;
  if (fd < 0)
    {
      fd = memfd_create ("fuzz-checkpoint", MFD_CLOEXEC);
      REQUIRE (fd >= 0);
    }
  return fd;
}

static VksCheckpoint *
load_header_of (const uint8_t *data, size_t size, GError **error)
{
  int fd = scratch_file ();
  REQUIRE (ftruncate (fd, 0) == 0);
  REQUIRE (size == 0 || pwrite (fd, data, size, 0) == (ssize_t) size);
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  return vks_checkpoint_load_header (path, error);
}

static void
check_generator (const VksCheckpoint *ckpt)
{
  VksGeneratorConfig cfg;
  memset (&cfg, 0x5a, sizeof cfg);
  GError *error = NULL;
  gboolean ok = vks_generator_config_from_checkpoint (ckpt, &cfg, &error);
  if (g_getenv ("FUZZ_CHECKPOINT_VERBOSE") != NULL)
    fprintf (stderr, "  generator: %s\n", ok ? "valid" : error->message);
  if (!ok)
    {
      require_our_error (error, FALSE);
      REQUIRE (error->code == VKS_ERROR_CHECKPOINT);
      g_error_free (error);
      return;
    }
  REQUIRE (error == NULL);
  REQUIRE (cfg.ngf >= 1 && cfg.ngf <= 1024 && cfg.n_blocks >= 0 && cfg.n_blocks <= 64);
  REQUIRE (cfg.input_nc >= 1 && cfg.input_nc <= 4 && cfg.output_nc >= 1 && cfg.output_nc <= 4);
  REQUIRE (cfg.norm == VKS_NORM_INSTANCE || cfg.norm == VKS_NORM_BATCH);
  g_autoptr (GPtrArray) specs = vks_generator_expected_tensors (&cfg);
  REQUIRE (specs->len == vks_checkpoint_n_tensors (ckpt));

  /* Writing the config back into a copy of the metadata must give the same config. */
  g_autoptr (VksCheckpoint) copy = vks_checkpoint_new ();
  for (guint i = 0; i < specs->len; i++)
    {
      const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, ((VksTensorSpec *) specs->pdata[i])->name);
      REQUIRE (t != NULL);
      vks_checkpoint_add_tensor (copy, t->name, t->ndim, t->shape, NULL);
    }
  vks_generator_config_to_metadata (&cfg, copy);
  VksGeneratorConfig again;
  REQUIRE (vks_generator_config_from_checkpoint (copy, &again, NULL));
  REQUIRE (memcmp (&cfg, &again, sizeof cfg) == 0);
}

static void
on_log (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  (void) user_data;
  /* A g_return_if_fail or a library warning on some input is a bug too: GIMP would print it. */
  fprintf (stderr, "unexpected log message (%s, level %d): %s\n", domain ? domain : "", (int) level, message);
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialised = FALSE, verbose = FALSE;
  if (!initialised)
    {
      g_log_set_default_handler (on_log, NULL);
      /* For looking at what a corpus exercises: each input's outcome on stderr. */
      verbose = g_getenv ("FUZZ_CHECKPOINT_VERBOSE") != NULL;
      initialised = TRUE;
    }

  GError *error = NULL;
  VksCheckpoint *ckpt = vks_checkpoint_load_from_data (data, size, &error);
  GError *header_error = NULL;
  VksCheckpoint *header = load_header_of (data, size, &header_error);
  if (verbose)
    fprintf (stderr, "  %s\n", ckpt != NULL ? "loaded" : error->message);

  if (header == NULL)
    require_our_error (header_error, TRUE);
  else
    {
      REQUIRE (header_error == NULL);
      check_consistent (header, FALSE, size);
    }

  if (ckpt == NULL)
    require_our_error (error, FALSE);
  else
    {
      REQUIRE (error == NULL);
      check_consistent (ckpt, TRUE, size);
      /* The full reader checks everything the header reader checks, and more. */
      REQUIRE (header != NULL && same_tensor_shapes (ckpt, header));
      check_round_trip (ckpt, VKS_DTYPE_F32);
      check_round_trip (ckpt, VKS_DTYPE_F16);
      check_generator (ckpt);
    }

  g_clear_error (&error);
  g_clear_error (&header_error);
  vks_checkpoint_free (ckpt);
  vks_checkpoint_free (header);
  return 0;
}
