/* A plan's buffers at creation, its host-visible inputs and outputs, host access and runs. */
#include "engine/nn/plan-struct.h"

#include <string.h>

#include "engine/transfer.h"

/* One submit: the gather map uploaded, and the arena zeroed, since leaves may be read before
 * they are set: start from zeros, never from whatever the memory held (the poison fault hook
 * checks this). */
gboolean
vks_plan_init_buffers (VksPlan *plan, GError **error)
{
  VkDeviceSize map_bytes = plan->map_len * sizeof (gint32);
  g_autoptr (VksRecorder) rec = vks_recorder_new (plan->ctx, error);
  if (rec == NULL)
    return FALSE;
  VksBuffer *staging = NULL;
  if (map_bytes > 0) {
    staging = vks_buffer_new (plan->ctx, map_bytes, VKS_MEMORY_UPLOAD, "repack map upload",
                              error);
    if (staging == NULL)
      return FALSE;
    memcpy (staging->mapped, plan->map, map_bytes);
    vks_recorder_copy (rec, staging, 0, plan->index_buf, 0, map_bytes);
  }
  vks_recorder_fill (rec, plan->arena, 0, VK_WHOLE_SIZE, 0);
  gboolean ok = vks_recorder_finish (rec, error) && vks_recorder_run (rec, error);
  vks_buffer_free (plan->ctx, staging);
  return ok;
}

static gboolean
is_input (const VksPlan *plan, VksNode v)
{
  return plan->live[v] && vks_node_info (plan->g, v)->op == VKS_OP_INPUT;
}

/* Host-visible places of every input and of the outputs read back. */
gboolean
vks_plan_create_staging (VksPlan *plan, const VksPlanOptions *options, GError **error)
{
  VkDeviceSize align = vks_buffer_alignment (plan->ctx), up = 0, down = 0;
  plan->host_at = g_new (VkDeviceSize, MAX (plan->n_nodes, 1));
  for (int v = 0; v < plan->n_nodes; v++) {
    plan->host_at[v] = NO_HOST;
    if (is_input (plan, v)) {
      plan->host_at[v] = up;
      up += (plan->bytes[v] + align - 1) / align * align;
    }
  }
  for (int i = 0; options != NULL && i < options->n_readback; i++) {
    VksNode v = options->readback[i];
    if (v < 0 || v >= plan->n_nodes || !plan->live[v] || plan->host_at[v] != NO_HOST)
      continue;
    plan->host_at[v] = down;
    down += (node_bytes (vks_node_info (plan->g, v)) + align - 1) / align * align;
  }
  if (up > 0 &&
      (plan->upload = vks_buffer_new (plan->ctx, up, VKS_MEMORY_UPLOAD, "graph inputs",
                                      error)) == NULL)
    return FALSE;
  if (up > 0)
    memset (plan->upload->mapped, 0, up);
  if (down > 0 &&
      (plan->readback = vks_buffer_new (plan->ctx, down, VKS_MEMORY_READBACK, "graph outputs",
                                        error)) == NULL)
    return FALSE;
  return TRUE;
}

/* Copies the inputs in (first) or the read-back outputs out. */
void
vks_plan_record_staging (VksPlan *plan, gboolean first)
{
  for (int v = 0; v < plan->n_nodes; v++) {
    if (plan->host_at[v] == NO_HOST || is_input (plan, v) != first)
      continue;
    VkDeviceSize bytes = node_bytes (vks_node_info (plan->g, v));
    if (first)
      vks_recorder_copy (plan->rec, plan->upload, plan->host_at[v], plan->arena, plan->offset[v],
                         bytes);
    else
      vks_recorder_copy (plan->rec, buffer_of (plan, v), plan->offset[v], plan->readback,
                         plan->host_at[v], bytes);
  }
}

static gboolean
check_host_node (VksPlan *plan, VksNode node, gboolean leaf_only, GError **error)
{
  if (node < 0 || node >= plan->n_nodes || !plan->live[node]) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "node %d is not part of this plan", node);
    return FALSE;
  }
  VksOpKind op = vks_node_info (plan->g, node)->op;
  if (leaf_only && op != VKS_OP_INPUT && op != VKS_OP_PARAM) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "only inputs and parameters can be set");
    return FALSE;
  }
  return TRUE;
}

gboolean
vks_plan_set (VksPlan *plan, VksNode node, const float *values, GError **error)
{
  if (!check_host_node (plan, node, TRUE, error))
    return FALSE;
  if (in_store (plan, node))
    return vks_param_store_set (plan->store, plan->store_index[node], values, error);
  VksTensor t = vks_plan_tensor (plan, node);
  if (is_input (plan, node)) {
    vks_tensor_pack (&t, values, (float *) ((guint8 *) plan->upload->mapped + plan->host_at[node]));
    return TRUE;
  }
  g_autofree float *padded = g_malloc0 (plan->bytes[node]);
  vks_tensor_pack (&t, values, padded);
  if (vks_node_info (plan->g, node)->op == VKS_OP_PARAM)
    plan->prologue_due = plan->prologue != NULL;
  return vks_buffer_upload (plan->ctx, plan->arena, t.offset, padded, plan->bytes[node], error);
}

gboolean
vks_plan_get (VksPlan *plan, VksNode node, float *values, GError **error)
{
  if (!check_host_node (plan, node, FALSE, error))
    return FALSE;
  if (in_store (plan, node))
    return vks_param_store_get (plan->store, plan->store_index[node], values, error);
  VksTensor t = vks_plan_tensor (plan, node);
  if (plan->host_at[node] != NO_HOST && !is_input (plan, node)) {
    vks_tensor_unpack (&t, (float *) ((guint8 *) plan->readback->mapped + plan->host_at[node]),
                       values);
    return TRUE;
  }
  VkDeviceSize bytes = node_bytes (vks_node_info (plan->g, node));
  g_autofree float *padded = g_malloc (bytes);
  if (!vks_buffer_download (plan->ctx, plan->arena, t.offset, padded, bytes, error))
    return FALSE;
  vks_tensor_unpack (&t, padded, values);
  return TRUE;
}

void
vks_plan_storage (VksPlan *plan, VksNode node, const VksBuffer **buf, VkDeviceSize *offset,
                  VkDeviceSize *bytes)
{
  g_return_if_fail (node >= 0 && node < plan->n_nodes && plan->live[node]);
  *buf = buffer_of (plan, node);
  *offset = plan->offset[node];
  *bytes = node_bytes (vks_node_info (plan->g, node));
}

gboolean
vks_plan_run (VksPlan *plan, GError **error)
{
  return vks_plan_run_until (plan, NULL, NULL, error);
}

gboolean
vks_plan_run_until (VksPlan *plan, VksKeepGoing keep_going, gpointer user_data, GError **error)
{
  guint64 version = plan->store ? vks_param_store_version (plan->store) : 0;
  if (plan->prologue != NULL && (plan->prologue_due || version != plan->store_version)) {
    if (!vks_recorder_run (plan->prologue, error))
      return FALSE;
    plan->prologue_due = FALSE;
    plan->store_version = version;
  }
  return vks_recorder_run_until (plan->rec, keep_going, user_data, error);
}

void
vks_plan_stats (const VksPlan *plan, VksPlanStats *stats)
{
  *stats = (VksPlanStats) {
    .arena_bytes = plan->scratch_offset + plan->scratch_bytes,
    .leaf_bytes = plan->leaf_bytes,
    .packed_bytes = plan->packed.size,
    .naive_bytes = plan->naive_bytes + plan->scratch_bytes,
    .n_nodes = plan->n_computed,
    .n_dispatches = plan->rec ? (int) vks_recorder_n_dispatches (plan->rec) : 0,
  };
}
