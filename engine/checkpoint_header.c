/* The checkpoint reader's header checks: each entry's dtype, shape and data offsets, the
 * metadata, offsets that overlap; then the tensors' data converted to F32 and checked finite. */
#include "engine/checkpoint-private.h"
#include "engine/error.h"

#include <math.h>
#include <string.h>

/* One header entry after validation, before its data is converted. */
typedef struct {
  const char *name; /* borrowed from the JSON tree */
  VksDtype dtype;
  int ndim;
  int64_t shape[VKS_CHECKPOINT_MAX_DIMS];
  int64_t n_elements;
  guint64 begin, end;
} HeaderEntry;

static gboolean
node_get_int (JsonNode *node, gint64 *value)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_dtype (JsonObject *entry, const char *name, VksDtype *dtype, const char *source, GError **error)
{
  /* Known safetensors dtypes we cannot load, named as such so the message is helpful. */
  static const char *const unsupported[] = { "F64", "BF16", "F8_E4M3", "F8_E5M2", "I64", "I32",
                                             "I16", "I8", "U64", "U32", "U16", "U8", "BOOL" };
  JsonNode *node = json_object_get_member (entry, "dtype");
  if (node == NULL)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: no dtype", name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: dtype is not a string", name);
      return FALSE;
    }
  const char *s = json_node_get_string (node);
  if (strcmp (s, "F32") == 0)
    *dtype = VKS_DTYPE_F32;
  else if (strcmp (s, "F16") == 0)
    *dtype = VKS_DTYPE_F16;
  else
    {
      for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++)
        if (strcmp (s, unsupported[i]) == 0)
          {
            vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                      "tensor %s: unsupported dtype %s (only F32 and F16 can be loaded)", name, s);
            return FALSE;
          }
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: unknown dtype \"%s\"", name, s);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_shape (JsonObject *entry, HeaderEntry *e, const char *source, GError **error)
{
  JsonNode *node = json_object_get_member (entry, "shape");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: shape is missing or not an array", e->name);
      return FALSE;
    }
  JsonArray *array = json_node_get_array (node);
  guint ndim = json_array_get_length (array);
  if (ndim > VKS_CHECKPOINT_MAX_DIMS)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "tensor %s: shape has %u dimensions, at most %d are supported", e->name, ndim,
                                VKS_CHECKPOINT_MAX_DIMS);
      return FALSE;
    }
  e->ndim = (int) ndim;
  for (guint i = 0; i < ndim; i++)
    {
      gint64 v;
      if (!node_get_int (json_array_get_element (array, i), &v) || v < 0)
        {
          vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                    "tensor %s: shape must be a list of non-negative whole numbers", e->name);
          return FALSE;
        }
      e->shape[i] = v;
    }
  if (!vks_checkpoint_count_elements (e->ndim, e->shape, &e->n_elements))
    {
      g_autofree char *shape = vks_format_shape (e->ndim, e->shape);
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: shape %s has too many elements",
                                e->name, shape);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_offsets (JsonObject *entry, HeaderEntry *e, guint64 data_size, const char *source, GError **error)
{
  JsonNode *node = json_object_get_member (entry, "data_offsets");
  gint64 begin = -1, end = -1;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (json_node_get_array (node)) != 2
      || !node_get_int (json_array_get_element (json_node_get_array (node), 0), &begin)
      || !node_get_int (json_array_get_element (json_node_get_array (node), 1), &end)
      || begin < 0 || end < 0)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "tensor %s: data_offsets must be two non-negative whole numbers [begin, end]", e->name);
      return FALSE;
    }
  e->begin = (guint64) begin;
  e->end = (guint64) end;
  if (e->begin > e->end)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "tensor %s: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] end before they begin",
                                e->name, e->begin, e->end);
      return FALSE;
    }
  if (e->end > data_size)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "tensor %s: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] go past the end of "
                                "the data (%" G_GUINT64_FORMAT " bytes); the file is truncated or damaged",
                                e->name, e->begin, e->end, data_size);
      return FALSE;
    }
  g_autofree char *shape = vks_format_shape (e->ndim, e->shape);
  guint64 needed;
  if (!g_uint64_checked_mul (&needed, (guint64) e->n_elements, vks_dtype_size (e->dtype)))
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "tensor %s: shape %s has too many elements", e->name, shape);
      return FALSE;
    }
  if (needed != e->end - e->begin)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "tensor %s: shape %s of %s needs %" G_GUINT64_FORMAT " bytes but data_offsets give %"
                                G_GUINT64_FORMAT, e->name, shape, vks_dtype_name (e->dtype), needed, e->end - e->begin);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_entry (const char *name, JsonNode *node, guint64 data_size, HeaderEntry *e, const char *source,
             GError **error)
{
  memset (e, 0, sizeof *e);
  e->name = name;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "header entry \"%s\" is not an object", name);
      return FALSE;
    }
  JsonObject *entry = json_node_get_object (node);
  return parse_dtype (entry, name, &e->dtype, source, error)
         && parse_shape (entry, e, source, error)
         && parse_offsets (entry, e, data_size, source, error);
}

static gboolean
parse_metadata (JsonNode *node, VksCheckpoint *ckpt, const char *source, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "__metadata__ is not an object");
      return FALSE;
    }
  JsonObject *object = json_node_get_object (node);
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "metadata value of \"%s\" is not a string", key);
          return FALSE;
        }
      g_hash_table_insert (ckpt->metadata, g_strdup (key), g_strdup (json_node_get_string (value)));
    }
  return TRUE;
}

static gint
compare_by_begin (gconstpointer a, gconstpointer b)
{
  const HeaderEntry *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* entries must be sorted by begin. Empty ranges hold no bytes and overlap nothing. */
static gboolean
check_overlaps (GArray *entries, const char *source, GError **error)
{
  const HeaderEntry *reach = NULL; /* the non-empty entry that extends furthest so far */
  for (guint i = 0; i < entries->len; i++)
    {
      const HeaderEntry *e = &g_array_index (entries, HeaderEntry, i);
      if (e->begin == e->end)
        continue;
      if (reach != NULL && e->begin < reach->end)
        {
          vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                    "tensors %s and %s overlap in the file (data_offsets [%" G_GUINT64_FORMAT
                                    ", %" G_GUINT64_FORMAT "] and [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "])",
                                    reach->name, e->name, reach->begin, reach->end, e->begin, e->end);
          return FALSE;
        }
      if (reach == NULL || e->end > reach->end)
        reach = e;
    }
  return TRUE;
}

static gboolean
convert_data (const HeaderEntry *e, const guint8 *bytes, float *out, const char *source, GError **error)
{
  gsize n = (gsize) e->n_elements;
  if (e->dtype == VKS_DTYPE_F32)
    {
      memcpy (out, bytes, n * sizeof (float));
#if G_BYTE_ORDER == G_BIG_ENDIAN
      guint32 *words = (guint32 *) out;
      for (gsize i = 0; i < n; i++)
        words[i] = GUINT32_SWAP_LE_BE (words[i]);
#endif
    }
  else
    for (gsize i = 0; i < n; i++)
      out[i] = vks_half_to_float ((guint16) (bytes[2 * i] | (bytes[2 * i + 1] << 8)));

  for (gsize i = 0; i < n; i++)
    if (!isfinite (out[i]))
      {
        vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                  "tensor %s holds a non-finite value (%s) at element %" G_GSIZE_FORMAT
                                  "; the checkpoint is damaged (training may have diverged)",
                                  e->name, isnan (out[i]) ? "NaN" : out[i] > 0 ? "+inf" : "-inf", i);
        return FALSE;
      }
  return TRUE;
}

VksCheckpoint *
vks_checkpoint_parse (const char *json, gsize json_length, const guint8 *data, guint64 data_size,
                  const char *source, GError **error)
{
  JsonParser *parser = vks_checkpoint_parse_json (json, json_length, source, error);
  if (parser == NULL)
    return NULL;

  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  VksCheckpoint *ckpt = vks_checkpoint_new ();
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (HeaderEntry));
  gboolean ok = TRUE;

  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  json_object_iter_init (&iter, root);
  while (ok && json_object_iter_next (&iter, &name, &node))
    {
      if (strcmp (name, VKS_CHECKPOINT_METADATA_KEY) == 0)
        ok = parse_metadata (node, ckpt, source, error);
      else
        {
          HeaderEntry e;
          ok = parse_entry (name, node, data_size, &e, source, error);
          if (ok)
            g_array_append_val (entries, e);
        }
    }
  if (ok)
    {
      g_array_sort (entries, compare_by_begin);
      ok = check_overlaps (entries, source, error);
    }

  for (guint i = 0; ok && i < entries->len; i++)
    {
      const HeaderEntry *e = &g_array_index (entries, HeaderEntry, i);
      VksCheckpointTensor *t = g_new0 (VksCheckpointTensor, 1);
      t->name = g_strdup (e->name);
      t->ndim = e->ndim;
      memcpy (t->shape, e->shape, sizeof t->shape);
      t->n_elements = e->n_elements;
      vks_checkpoint_insert_tensor (ckpt, t);
      if (data == NULL || e->n_elements == 0)
        continue;
      /* n_elements * dtype size fits the data area, so n_elements * 4 fits a gsize too */
      t->data = g_try_new (float, (gsize) e->n_elements);
      if (t->data == NULL)
        {
          vks_checkpoint_set_error (error, VKS_ERROR_OUT_OF_MEMORY, source,
                                    "not enough memory to load tensor %s (%" G_GINT64_FORMAT " MiB)",
                                    e->name, e->n_elements * 4 / (1024 * 1024));
          ok = FALSE;
        }
      else
        ok = convert_data (e, data + e->begin, t->data, source, error);
    }

  g_array_unref (entries);
  g_object_unref (parser);
  if (!ok)
    {
      vks_checkpoint_free (ckpt);
      return NULL;
    }
  return ckpt;
}
