/* Loading checkpoints from a buffer or a file: the 8-byte prefix, bounded reads of regular files
 * only; the header itself is checkpoint_header.c's. */
#include "engine/checkpoint-private.h"
#include "engine/error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* The limit the reference implementation uses; real headers are kilobytes. */
#define MAX_HEADER_BYTES ((guint64) 100 * 1024 * 1024)

/* Checks the 8-byte prefix of a file of file_size bytes; first8 may be NULL if file_size < 8. */
static gboolean
check_prefix (const guint8 *first8, guint64 file_size, const char *source, guint64 *header_length,
              GError **error)
{
  if (file_size == 0)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "empty file, not a safetensors checkpoint");
      return FALSE;
    }
  if (file_size < 8)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "truncated file: %" G_GUINT64_FORMAT " bytes, too short for the 8-byte header length",
                                file_size);
      return FALSE;
    }
  guint64 n = 0;
  for (int i = 7; i >= 0; i--)
    n = (n << 8) | first8[i];
  if (n > MAX_HEADER_BYTES)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "header length %" G_GUINT64_FORMAT " is over the 100 MiB limit: "
                                "not a safetensors file, or a damaged one", n);
      return FALSE;
    }
  if (n > file_size - 8)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "truncated file: header says %" G_GUINT64_FORMAT " bytes of JSON but only %"
                                G_GUINT64_FORMAT " follow",
                                n, file_size - 8);
      return FALSE;
    }
  *header_length = n;
  return TRUE;
}

static VksCheckpoint *
load_from_data_named (const guint8 *data, gsize size, const char *source, GError **error)
{
  guint64 n;
  if (!check_prefix (data, size, source, &n, error))
    return NULL;
  return vks_checkpoint_parse ((const char *) data + 8, (gsize) n, data + 8 + n, size - 8 - n, source, error);
}

VksCheckpoint *
vks_checkpoint_load_from_data (const guint8 *data, gsize size, GError **error)
{
  g_return_val_if_fail (data != NULL || size == 0, NULL);
  return load_from_data_named (data, size, NULL, error);
}

/* Opens a regular file for reading; O_NONBLOCK so that a FIFO does not hang us before fstat. */
static int
open_regular_file (const char *path, const char *source, guint64 *size, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int err = errno;
      vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "cannot open: %s", g_strerror (err));
      return -1;
    }
  struct stat st;
  if (fstat (fd, &st) != 0)
    {
      int err = errno;
      vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "cannot read: %s", g_strerror (err));
      close (fd);
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "%s",
                                S_ISDIR (st.st_mode) ? "is a folder, not a checkpoint file" : "is not a regular file");
      close (fd);
      return -1;
    }
  *size = (guint64) st.st_size;
  return fd;
}

/* Reads exactly length bytes from offset; a short read means the file shrank meanwhile. */
static gboolean
read_exactly (int fd, guint8 *buffer, gsize length, const char *source, GError **error)
{
  gsize done = 0;
  while (done < length)
    {
      gssize got = read (fd, buffer + done, length - done);
      if (got < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (got < 0)
        {
          int err = errno;
          vks_checkpoint_set_error (error, VKS_ERROR_IO, source, "cannot read: %s", g_strerror (err));
          return FALSE;
        }
      if (got == 0)
        {
          vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "truncated file: it changed while being read");
          return FALSE;
        }
      done += (gsize) got;
    }
  return TRUE;
}

VksCheckpoint *
vks_checkpoint_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *source = g_filename_display_name (path);
  guint64 size;
  int fd = open_regular_file (path, source, &size, error);
  if (fd < 0)
    return NULL;

  /* Read, not mmap: a file truncated by someone else while mapped would kill us with SIGBUS. */
  VksCheckpoint *ckpt = NULL;
  guint8 *bytes = size > G_MAXSIZE ? NULL : g_try_malloc (size ? (gsize) size : 1);
  if (bytes == NULL)
    vks_checkpoint_set_error (error, VKS_ERROR_OUT_OF_MEMORY, source,
                              "not enough memory to read the file (%" G_GUINT64_FORMAT " MiB)",
                              size / (1024 * 1024));
  else if (read_exactly (fd, bytes, (gsize) size, source, error))
    ckpt = load_from_data_named (bytes, (gsize) size, source, error);
  g_free (bytes);
  close (fd);
  return ckpt;
}

VksCheckpoint *
vks_checkpoint_load_header (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *source = g_filename_display_name (path);
  guint64 size, n = 0;
  guint8 first8[8];
  int fd = open_regular_file (path, source, &size, error);
  if (fd < 0)
    return NULL;

  VksCheckpoint *ckpt = NULL;
  if ((size < 8 || read_exactly (fd, first8, 8, source, error))
      && check_prefix (first8, size, source, &n, error))
    {
      char *json = g_try_malloc (n ? (gsize) n : 1);
      if (json == NULL)
        vks_checkpoint_set_error (error, VKS_ERROR_OUT_OF_MEMORY, source, "not enough memory to read the header");
      else if (read_exactly (fd, (guint8 *) json, (gsize) n, source, error))
        ckpt = vks_checkpoint_parse (json, (gsize) n, NULL, size - 8 - n, source, error);
      g_free (json);
    }
  close (fd);
  return ckpt;
}
