#include "engine/nn/param_store.h"

#include <string.h>

#include "engine/error.h"
#include "engine/nn/params.h"
#include "engine/transfer.h"

typedef struct {
  char *name;
  VksShape shape;
  VkDeviceSize offset;
  int rank;                /* the checkpoint's */
} Entry;

struct VksParamStore {
  VksContext *ctx;
  GArray *entries;         /* of Entry, sorted by name */
  VksBuffer *buf;
  guint64 version;
};

static void
entry_clear (gpointer data)
{
  g_free (((Entry *) data)->name);
}

static int
entry_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Entry *) a)->name, ((const Entry *) b)->name);
}

void
vks_param_store_free (VksParamStore *store)
{
  if (store == NULL)
    return;
  g_array_free (store->entries, TRUE);
  vks_buffer_free (store->ctx, store->buf);
  g_free (store);
}

int
vks_param_store_find (const VksParamStore *store, const char *name)
{
  int lo = 0, hi = (int) store->entries->len - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    int c = strcmp (name, g_array_index (store->entries, Entry, mid).name);
    if (c == 0)
      return mid;
    if (c < 0)
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return -1;
}

static long
entry_floats (const Entry *e)
{
  return vks_shape_elements (e->shape);
}

VksParamStore *
vks_param_store_new (VksContext *ctx, VksGraph *const *graphs, int n_graphs, GError **error)
{
  g_autoptr (VksParamStore) store = g_new0 (VksParamStore, 1);
  store->ctx = ctx;
  store->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_array_set_clear_func (store->entries, entry_clear);
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);  /* name -> i + 1 */
  for (int k = 0; k < n_graphs; k++) {
    int n = 0;
    g_autofree VksNode *params = vks_graph_params (graphs[k], &n);
    for (int i = 0; i < n; i++) {
      const char *name = vks_graph_name (graphs[k], params[i]);
      VksShape s = vks_graph_shape (graphs[k], params[i]);
      int at = GPOINTER_TO_INT (g_hash_table_lookup (index, name)) - 1;
      if (at >= 0) {
        VksShape have = g_array_index (store->entries, Entry, at).shape;
        if (!vks_shape_equal (have, s)) {
          g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                       "parameter \"%s\" has two shapes: [%d, %d, %d, %d] and [%d, %d, %d, %d]",
                       name, have.n, have.c, have.h, have.w, s.n, s.c, s.h, s.w);
          return NULL;
        }
        continue;
      }
      Entry e = { g_strdup (name), s, 0, vks_graph_param_rank (graphs[k], params[i]) };
      g_array_append_val (store->entries, e);
      g_hash_table_insert (index, e.name, GINT_TO_POINTER (store->entries->len));
    }
  }
  g_array_sort (store->entries, entry_cmp);
  VksArena arena;
  vks_arena_init (&arena, ctx);
  for (guint i = 0; i < store->entries->len; i++) {
    Entry *e = &g_array_index (store->entries, Entry, i);
    /* Whole aligned blocks: a plan views a parameter as its bytes rounded up to the alignment,
     * which must stay inside the buffer for the last entry too. */
    VkDeviceSize bytes = ((VkDeviceSize) entry_floats (e) + 3) / 4 * 16;
    e->offset = vks_arena_reserve (&arena, (bytes + arena.alignment - 1) / arena.alignment
                                           * arena.alignment);
  }
  store->buf = vks_buffer_new (ctx, MAX (arena.size, 16), VKS_MEMORY_DEVICE, "parameters", error);
  if (store->buf == NULL)
    return NULL;
  g_autofree guint8 *zeros = g_malloc0 (arena.size);
  if (arena.size > 0 && !vks_buffer_upload (ctx, store->buf, 0, zeros, arena.size, error))
    return NULL;
  return g_steal_pointer (&store);
}

int
vks_param_store_n (const VksParamStore *store)
{
  return (int) store->entries->len;
}

static const Entry *
entry (const VksParamStore *store, int i)
{
  g_return_val_if_fail (i >= 0 && i < (int) store->entries->len, NULL);
  return &g_array_index (store->entries, Entry, i);
}

const char *
vks_param_store_name (const VksParamStore *store, int i)
{
  return entry (store, i)->name;
}

VksShape
vks_param_store_shape (const VksParamStore *store, int i)
{
  return entry (store, i)->shape;
}

const VksBuffer *
vks_param_store_buffer (const VksParamStore *store)
{
  return store->buf;
}

VkDeviceSize
vks_param_store_offset (const VksParamStore *store, int i)
{
  return entry (store, i)->offset;
}

guint64
vks_param_store_version (const VksParamStore *store)
{
  return store->version;
}

gboolean
vks_param_store_set (VksParamStore *store, int i, const float *values, GError **error)
{
  const Entry *e = entry (store, i);
  store->version++;
  return vks_buffer_upload (store->ctx, store->buf, e->offset, values,
                            (VkDeviceSize) entry_floats (e) * sizeof (float), error);
}

gboolean
vks_param_store_get (VksParamStore *store, int i, float *values, GError **error)
{
  const Entry *e = entry (store, i);
  return vks_buffer_download (store->ctx, store->buf, e->offset, values,
                              (VkDeviceSize) entry_floats (e) * sizeof (float), error);
}

/* The checkpoint name of an entry, or NULL if it lacks the prefix. */
static const char *
unprefixed (const Entry *e, const char *prefix)
{
  if (prefix == NULL)
    return e->name;
  return g_str_has_prefix (e->name, prefix) ? e->name + strlen (prefix) : NULL;
}

gboolean
vks_param_store_load (VksParamStore *store, const VksCheckpoint *ckpt, const char *prefix,
                      GError **error)
{
  for (guint i = 0; i < store->entries->len; i++) {
    const Entry *e = entry (store, (int) i);
    const char *key = unprefixed (e, prefix);
    if (key == NULL)
      continue;
    const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, key);
    VksShape got;
    if (t == NULL) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "the checkpoint has no tensor \"%s\"",
                   key);
      return FALSE;
    }
    if (!vks_shape_from_dims (t->ndim, t->shape, &got) || !vks_shape_equal (got, e->shape)) {
      g_autofree char *have = vks_format_shape (t->ndim, t->shape);
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "tensor \"%s\" has shape %s; the model needs [%d, %d, %d, %d]", key, have,
                   e->shape.n, e->shape.c, e->shape.h, e->shape.w);
      return FALSE;
    }
    if (!vks_param_store_set (store, (int) i, t->data, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_param_store_save (VksParamStore *store, VksCheckpoint *ckpt, const char *prefix,
                      GError **error)
{
  for (guint i = 0; i < store->entries->len; i++) {
    const Entry *e = entry (store, (int) i);
    const char *key = unprefixed (e, prefix);
    if (key == NULL)
      continue;
    g_autofree float *values = g_new (float, entry_floats (e));
    if (!vks_param_store_get (store, (int) i, values, error))
      return FALSE;
    int64_t dims[4] = { e->shape.n, e->shape.c, e->shape.h, e->shape.w };
    vks_checkpoint_add_tensor (ckpt, key, e->rank, dims + 4 - e->rank, values);
  }
  return TRUE;
}
