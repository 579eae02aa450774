/* Writing checkpoints: the header and data as bytes, and the atomic save (temp file in the same
 * folder, fsync, rename). */
#include "engine/checkpoint-private.h"
#include "engine/error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) *p);
        }
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p); /* UTF-8 passes through as is */
    }
  g_string_append_c (out, '"');
}

/* The whole prefix: 8-byte length, then the JSON padded with spaces to a multiple of 8, so the
 * data area starts 8-aligned. Tensors follow in name order, back to back: the reference reader
 * rejects any gap between tensors, so each tensor is aligned to its element size only. */
static GString *
build_prefix (const VksCheckpoint *ckpt, VksDtype dtype)
{
  GString *json = g_string_new ("{");
  const char **keys = vks_checkpoint_metadata_keys (ckpt);
  if (keys[0] != NULL)
    {
      g_string_append (json, "\"" VKS_CHECKPOINT_METADATA_KEY "\":{");
      for (guint i = 0; keys[i] != NULL; i++)
        {
          if (i > 0)
            g_string_append_c (json, ',');
          append_json_string (json, keys[i]);
          g_string_append_c (json, ':');
          append_json_string (json, g_hash_table_lookup (ckpt->metadata, keys[i]));
        }
      g_string_append_c (json, '}');
    }
  g_free (keys);

  guint64 offset = 0;
  for (guint i = 0; i < ckpt->tensors->len; i++)
    {
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, i);
      guint64 bytes = (guint64) t->n_elements * vks_dtype_size (dtype);
      if (json->len > 1)
        g_string_append_c (json, ',');
      append_json_string (json, t->name);
      g_string_append_printf (json, ":{\"dtype\":\"%s\",\"shape\":[", vks_dtype_name (dtype));
      for (int d = 0; d < t->ndim; d++)
        g_string_append_printf (json, "%s%" G_GINT64_FORMAT, d ? "," : "", t->shape[d]);
      g_string_append_printf (json, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                              offset, offset + bytes);
      offset += bytes;
    }
  g_string_append_c (json, '}');
  while (json->len % 8 != 0)
    g_string_append_c (json, ' ');

  guint8 length_le[8];
  guint64 n = json->len;
  for (int i = 0; i < 8; i++)
    length_le[i] = (guint8) (n >> (8 * i));
  g_string_prepend_len (json, (const char *) length_le, 8);
  return json;
}

/* Where serialized bytes go: a memory buffer or a file. */
typedef gboolean (*SinkFunc) (const void *bytes, gsize length, gpointer sink, GError **error);

static gboolean
emit_checkpoint (const VksCheckpoint *ckpt, VksDtype dtype, SinkFunc write_fn, gpointer sink, GError **error)
{
  GString *prefix = build_prefix (ckpt, dtype);
  gboolean ok = write_fn (prefix->str, prefix->len, sink, error);
  g_string_free (prefix, TRUE);

  /* Converted in chunks so that saving never holds a second copy of the weights. */
  enum { CHUNK = 16384 };
  guint8 *buffer = g_malloc (CHUNK * 4);
  for (guint i = 0; ok && i < ckpt->tensors->len; i++)
    {
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, i);
      for (gsize start = 0; ok && start < (gsize) t->n_elements; start += CHUNK)
        {
          gsize count = MIN ((gsize) CHUNK, (gsize) t->n_elements - start);
          const float *src = t->data + start;
          for (gsize k = 0; k < count; k++)
            {
              if (dtype == VKS_DTYPE_F16)
                {
                  guint16 h = vks_float_to_half (src[k]);
                  buffer[2 * k] = (guint8) h;
                  buffer[2 * k + 1] = (guint8) (h >> 8);
                }
              else
                {
                  guint32 w;
                  memcpy (&w, &src[k], 4);
                  for (int b = 0; b < 4; b++)
                    buffer[4 * k + b] = (guint8) (w >> (8 * b));
                }
            }
          ok = write_fn (buffer, count * vks_dtype_size (dtype), sink, error);
        }
    }
  g_free (buffer);
  return ok;
}

static gboolean
has_all_data (const VksCheckpoint *ckpt)
{
  for (guint i = 0; i < ckpt->tensors->len; i++)
    {
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, i);
      if (t->n_elements > 0 && t->data == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
sink_to_bytes (const void *bytes, gsize length, gpointer sink, GError **error)
{
  (void) error;
  g_byte_array_append (sink, bytes, (guint) length);
  return TRUE;
}

GBytes *
vks_checkpoint_serialize (const VksCheckpoint *ckpt, VksDtype dtype)
{
  g_return_val_if_fail (ckpt != NULL, NULL);
  /* A checkpoint from vks_checkpoint_load_header has shapes but no data to write. */
  g_return_val_if_fail (has_all_data (ckpt), NULL);
  GByteArray *out = g_byte_array_new ();
  emit_checkpoint (ckpt, dtype, sink_to_bytes, out, NULL);
  return g_byte_array_free_to_bytes (out);
}

typedef struct {
  int fd;
  const char *source;
} FileSink;

static gboolean
sink_to_file (const void *bytes, gsize length, gpointer sink, GError **error)
{
  FileSink *file = sink;
  const guint8 *p = bytes;
  while (length > 0)
    {
      gssize written = write (file->fd, p, length);
      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        {
          int err = errno;
          vks_checkpoint_set_error (error, VKS_ERROR_IO, file->source, "cannot save: %s", g_strerror (err));
          return FALSE;
        }
      p += written;
      length -= (gsize) written;
    }
  return TRUE;
}

static gboolean
check_finite_for_save (const VksCheckpoint *ckpt, const char *source, GError **error)
{
  for (guint i = 0; i < ckpt->tensors->len; i++)
    {
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, i);
      for (int64_t k = 0; k < t->n_elements; k++)
        if (!isfinite (t->data[k]))
          {
            vks_checkpoint_set_error (error, VKS_ERROR_IO, source,
                                      "not saved: tensor %s holds a non-finite value (NaN or infinity); "
                                      "such a file could not be loaded again",
                                      t->name);
            return FALSE;
          }
    }
  return TRUE;
}

/* Makes the rename itself durable; failure here does not undo a completed save. */
static void
sync_parent_folder (const char *path)
{
  g_autofree char *folder = g_path_get_dirname (path);
  int fd = g_open (folder, O_RDONLY | O_CLOEXEC | O_DIRECTORY, 0);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

gboolean
vks_checkpoint_save (const VksCheckpoint *ckpt, const char *path, VksDtype dtype, GError **error)
{
  g_return_val_if_fail (ckpt != NULL && path != NULL, FALSE);
  g_autofree char *source = g_filename_display_name (path);
  if (!has_all_data (ckpt))
    {
      vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "not saved: the checkpoint holds shapes only, no tensor data");
      return FALSE;
    }
  if (!check_finite_for_save (ckpt, source, error))
    return FALSE;

  /* Same folder as the target, so that rename() is atomic (same file system). */
  g_autofree char *temp_path = g_strconcat (path, ".XXXXXX", NULL);
  int fd = g_mkstemp_full (temp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int err = errno;
      g_autofree char *folder = g_path_get_dirname (path);
      g_autofree char *folder_name = g_filename_display_name (folder);
      vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "cannot save: cannot create a file in %s: %s", folder_name,
                                g_strerror (err));
      return FALSE;
    }

  FileSink sink = { fd, source };
  gboolean ok = emit_checkpoint (ckpt, dtype, sink_to_file, &sink, error);
  if (ok && fsync (fd) != 0)
    {
      int err = errno;
      vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "cannot save: %s", g_strerror (err));
      ok = FALSE;
    }
  if (close (fd) != 0 && ok)
    {
      int err = errno;
      vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "cannot save: %s", g_strerror (err));
      ok = FALSE;
    }
  if (ok && g_rename (temp_path, path) != 0)
    {
      int err = errno;
      vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "cannot save: %s", g_strerror (err));
      ok = FALSE;
    }
  if (!ok)
    {
      g_unlink (temp_path);
      return FALSE;
    }
  sync_parent_folder (path);
  return TRUE;
}
