/* The checkpoint object: tensors in name order, metadata, and the error helper every checkpoint
 * file uses. Reading is in checkpoint_load.c, checkpoint_header.c and checkpoint_json.c, writing in
 * checkpoint_save.c; format notes and the validation rules are in docs/checkpoints.md. */
#include "engine/checkpoint-private.h"
#include "engine/error.h"

#include <stdarg.h>
#include <string.h>

void
vks_checkpoint_set_error (GError **error, int code, const char *source, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  if (source != NULL)
    g_set_error (error, VKS_ERROR, code, "%s: %s", source, message);
  else
    g_set_error_literal (error, VKS_ERROR, code, message);
}

char *
vks_format_shape (int ndim, const int64_t *shape)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static void
tensor_free (gpointer p)
{
  VksCheckpointTensor *t = p;
  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

VksCheckpoint *
vks_checkpoint_new (void)
{
  VksCheckpoint *ckpt = g_new0 (VksCheckpoint, 1);
  ckpt->tensors = g_ptr_array_new_with_free_func (tensor_free);
  ckpt->tensor_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  ckpt->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return ckpt;
}

void
vks_checkpoint_free (VksCheckpoint *ckpt)
{
  if (ckpt == NULL)
    return;
  g_hash_table_unref (ckpt->tensor_by_name);
  g_ptr_array_unref (ckpt->tensors);
  g_hash_table_unref (ckpt->metadata);
  g_free (ckpt);
}

/* Index of the first tensor whose name is >= name. */
static guint
lower_bound (const VksCheckpoint *ckpt, const char *name)
{
  guint lo = 0, hi = ckpt->tensors->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, mid);
      if (strcmp (t->name, name) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

void
vks_checkpoint_insert_tensor (VksCheckpoint *ckpt, VksCheckpointTensor *t)
{
  guint i = lower_bound (ckpt, t->name);
  if (i < ckpt->tensors->len)
    {
      VksCheckpointTensor *old = g_ptr_array_index (ckpt->tensors, i);
      if (strcmp (old->name, t->name) == 0)
        {
          g_hash_table_remove (ckpt->tensor_by_name, old->name);
          tensor_free (old);
          ckpt->tensors->pdata[i] = t;
          g_hash_table_insert (ckpt->tensor_by_name, t->name, t);
          return;
        }
    }
  g_ptr_array_insert (ckpt->tensors, (gint) i, t);
  g_hash_table_insert (ckpt->tensor_by_name, t->name, t);
}

const char *
vks_checkpoint_get_metadata (const VksCheckpoint *ckpt, const char *key)
{
  g_return_val_if_fail (ckpt != NULL && key != NULL, NULL);
  return g_hash_table_lookup (ckpt->metadata, key);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

const char **
vks_checkpoint_metadata_keys (const VksCheckpoint *ckpt)
{
  g_return_val_if_fail (ckpt != NULL, NULL);
  guint n = 0;
  const char **keys = (const char **) g_hash_table_get_keys_as_array (ckpt->metadata, &n);
  qsort (keys, n, sizeof *keys, compare_strings);
  return keys;
}

void
vks_checkpoint_set_metadata (VksCheckpoint *ckpt, const char *key, const char *value)
{
  g_return_if_fail (ckpt != NULL && key != NULL && value != NULL);
  g_return_if_fail (g_utf8_validate (key, -1, NULL) && g_utf8_validate (value, -1, NULL));
  g_hash_table_insert (ckpt->metadata, g_strdup (key), g_strdup (value));
}

guint
vks_checkpoint_n_tensors (const VksCheckpoint *ckpt)
{
  g_return_val_if_fail (ckpt != NULL, 0);
  return ckpt->tensors->len;
}

const VksCheckpointTensor *
vks_checkpoint_tensor_at (const VksCheckpoint *ckpt, guint i)
{
  g_return_val_if_fail (ckpt != NULL && i < ckpt->tensors->len, NULL);
  return g_ptr_array_index (ckpt->tensors, i);
}

const VksCheckpointTensor *
vks_checkpoint_get_tensor (const VksCheckpoint *ckpt, const char *name)
{
  g_return_val_if_fail (ckpt != NULL && name != NULL, NULL);
  return g_hash_table_lookup (ckpt->tensor_by_name, name);
}

gboolean
vks_checkpoint_count_elements (int ndim, const int64_t *shape, int64_t *n_elements)
{
  for (int i = 0; i < ndim; i++)
    if (shape[i] == 0)
      {
        *n_elements = 0;
        return TRUE;
      }
  guint64 n = 1;
  for (int i = 0; i < ndim; i++)
    if (!g_uint64_checked_mul (&n, n, (guint64) shape[i]) || n > (guint64) G_MAXINT64)
      return FALSE;
  *n_elements = (int64_t) n;
  return TRUE;
}

VksCheckpointTensor *
vks_checkpoint_add_tensor (VksCheckpoint *ckpt, const char *name, int ndim, const int64_t *shape,
                           const float *data)
{
  g_return_val_if_fail (ckpt != NULL && name != NULL, NULL);
  g_return_val_if_fail (g_utf8_validate (name, -1, NULL) && strcmp (name, VKS_CHECKPOINT_METADATA_KEY) != 0, NULL);
  g_return_val_if_fail (ndim >= 0 && ndim <= VKS_CHECKPOINT_MAX_DIMS, NULL);
  g_return_val_if_fail (ndim == 0 || shape != NULL, NULL);
  for (int i = 0; i < ndim; i++)
    g_return_val_if_fail (shape[i] >= 0, NULL);
  int64_t n = 0;
  gboolean countable = vks_checkpoint_count_elements (ndim, shape, &n);
  g_return_val_if_fail (countable && (guint64) n <= G_MAXSIZE / sizeof (float), NULL);

  VksCheckpointTensor *t = g_new0 (VksCheckpointTensor, 1);
  t->name = g_strdup (name);
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    t->shape[i] = shape[i];
  t->n_elements = n;
  if (n > 0)
    {
      t->data = g_new0 (float, (gsize) n);
      if (data != NULL)
        memcpy (t->data, data, (gsize) n * sizeof (float));
    }
  vks_checkpoint_insert_tensor (ckpt, t);
  return t;
}
