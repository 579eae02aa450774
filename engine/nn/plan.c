#include "engine/nn/plan-struct.h"

#include "engine/nn/analysis.h"

/* Work after which the recording ends a segment, so that a run can stop between segments
 * (vks_plan_run_until): about 0.1 s on lavapipe here, as the hand-written generator does. */
#define SEGMENT_FLOPS 4e9

#include <string.h>

#include "engine/nn/free_list.h"
#include "engine/optim.h"

VksContext *
vks_plan_context (VksPlan *plan)
{
  return plan->ctx;
}

const VksGraph *
vks_plan_graph (VksPlan *plan)
{
  return plan->g;
}

VksRecorder *
vks_plan_recorder (VksPlan *plan)
{
  return plan->rec;
}

gboolean
vks_plan_measuring (VksPlan *plan)
{
  return plan->measuring;
}

gboolean
vks_plan_params_change_on_device (VksPlan *plan)
{
  return plan->params_change_on_device;
}

gboolean
vks_plan_conv_gemm (VksPlan *plan)
{
  return plan->conv_gemm || plan->params_change_on_device;
}






const VksBuffer *
vks_plan_node_buffer (VksPlan *plan, VksNode node, VkDeviceSize *buffer_floats,
                      VkDeviceSize *first_float)
{
  const VksBuffer *buf = buffer_of (plan, node);
  if (buffer_floats != NULL)
    *buffer_floats = (in_store (plan, node) ? buf->size : arena_total (plan)) / sizeof (float);
  if (first_float != NULL)
    *first_float = plan->offset[node] / sizeof (float);
  return buf;
}

VksTensor
vks_plan_tensor (VksPlan *plan, VksNode node)
{
  const VksNodeInfo *info = vks_node_info (plan->g, node);
  VksTensor t = vks_tensor_shape (info->shape.n, info->shape.c, info->shape.h, info->shape.w);
  t.plane = node_plane (info);
  t.buf = (VksBuffer *) buffer_of (plan, node);
  t.offset = plan->offset[node];
  return t;
}

gboolean
vks_plan_is_view (VksPlan *plan, VksNode node)
{
  return plan->root[node] != node;
}

VksView
vks_plan_view (VksPlan *plan, VksNode node, VkFormat format)
{
  return (VksView) { buffer_of (plan, node), plan->offset[node], plan->bytes[plan->root[node]],
                     format };
}

VksPushShape
vks_plan_push_shape (VksPlan *plan, VksNode node)
{
  const VksNodeInfo *info = vks_node_info (plan->g, node);
  return (VksPushShape) { info->shape.n, info->shape.c, info->shape.h, info->shape.w,
                          node_plane (info) };
}

void
vks_plan_set_data (VksPlan *plan, VksNode node, gpointer data)
{
  g_free (plan->data[node]);
  plan->data[node] = data;
}

gpointer
vks_plan_data (VksPlan *plan, VksNode node)
{
  return plan->data[node];
}

VksArena *
vks_plan_packed_arena (VksPlan *plan)
{
  return &plan->packed;
}

/* Entries [0, need) exist (new ones 0); the arrays grow geometrically, since nodes map their
 * packed floats one by one. */
static void
grow_map (VksPlan *plan, gsize need)
{
  if (need <= plan->map_len)
    return;
  if (need > plan->map_cap) {
    gsize cap = MAX (need, 2 * plan->map_cap);
    plan->map = g_renew (gint32, plan->map, cap);
    plan->map_store = g_renew (guint8, plan->map_store, cap);
    plan->map_cap = cap;
  }
  memset (plan->map + plan->map_len, 0, (need - plan->map_len) * sizeof (gint32));
  memset (plan->map_store + plan->map_len, 0, need - plan->map_len);
  plan->map_len = need;
}

void
vks_plan_map_element (VksPlan *plan, VkDeviceSize packed_float, VksNode node, gint64 k)
{
  grow_map (plan, (gsize) packed_float + 1);
  plan->map[packed_float] = (gint32) (1 + plan->offset[node] / sizeof (float) + k);
  plan->map_store[packed_float] = in_store (plan, node);
}

/* One gather per run of entries whose values are in the same buffer (zeros join any run). */
gboolean
vks_plan_record_gather (VksPlan *plan, VksRecorder *rec, VkDeviceSize offset, VkDeviceSize bytes,
                        GError **error)
{
  gsize first = offset / sizeof (float), end = first + bytes / sizeof (float);
  grow_map (plan, end);
  const VksBuffer *store_buf = plan->store ? vks_param_store_buffer (plan->store) : NULL;
  gsize align = vks_buffer_alignment (plan->ctx) / sizeof (float);
  gsize i = first;
  while (i < end) {
    int src = -1;
    gsize j = i, lo = G_MAXSIZE, hi = 0;   /* the source floats the run reads */
    for (; j < end; j++) {
      if (plan->map[j] == 0)
        continue;
      if (src >= 0 && plan->map_store[j] != src)
        break;
      src = plan->map_store[j];
      lo = MIN (lo, (gsize) plan->map[j] - 1);
      hi = MAX (hi, (gsize) plan->map[j]);
    }
    /* Packed regions start aligned, and a node puts each source's values in regions of their
     * own: a run may end only on an alignment boundary. */
    if (j < end && j % align != 0) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_VULKAN, "internal error: packed weights mix "
                   "parameter-store and arena values within one aligned block");
      return FALSE;
    }
    /* A view of just the floats the run reads: a view of the whole arena would pass the
     * texel-buffer limit for a large image (a norm's statistics gathered from a 1 GiB arena). */
    const VksBuffer *buf = src == 1 ? store_buf : plan->arena;
    gsize window = 0;
    if (lo < hi) {
      lo -= lo % align;
      window = hi - lo;
    } else {
      lo = 0;   /* a run of zeros only */
    }
    if (!vks_gather_record (rec, buf, lo * sizeof (float), (long) window, plan->index_buf,
                            i * sizeof (float), plan->packed_buf, i * sizeof (float),
                            (long) (j - i), error))
      return FALSE;
    i = j;
  }
  return TRUE;
}

VksRecorder *
vks_plan_repack_recorder (VksPlan *plan, const VksNode *sources, int n_sources, GError **error)
{
  gboolean leaves = !plan->params_change_on_device;
  for (int i = 0; i < n_sources && leaves; i++)
    leaves = vks_node_info (plan->g, sources[i])->op == VKS_OP_PARAM;
  if (!leaves)
    return plan->rec;
  if (plan->prologue == NULL)
    plan->prologue = vks_recorder_new (plan->ctx, error);
  return plan->prologue;
}

const VksBuffer *
vks_plan_packed_buffer (VksPlan *plan)
{
  return plan->packed_buf;
}

void
vks_plan_need_scratch (VksPlan *plan, VkDeviceSize bytes)
{
  plan->scratch_bytes = MAX (plan->scratch_bytes, (bytes + 15) / 16 * 16);
}

void
vks_plan_scratch (VksPlan *plan, const VksBuffer **buf, VkDeviceSize *offset, VkDeviceSize *bytes)
{
  *buf = plan->arena;
  *offset = plan->scratch_offset;
  *bytes = plan->scratch_bytes;
}



gboolean
vks_plan_dispatch (VksPlan *plan, VksKernel kernel, int32_t *spec, guint n_spec,
                   const VksView *views, const void *push, size_t push_size, long items,
                   GError **error)
{
  guint wg = plan->ctx->workgroup_size;
  spec[0] = (int32_t) wg;
  VksPipeline *pipe = vks_pipeline_get (plan->ctx, kernel, spec, n_spec, error);
  if (pipe == NULL)
    return FALSE;
  long total = MAX (vks_ceil_div (items, wg), 1);
  uint32_t groups[3] = { (uint32_t) MIN (total, 65535), 0, 1 };
  groups[1] = (uint32_t) vks_ceil_div (total, groups[0]);
  return vks_recorder_dispatch (plan->rec, pipe, views, push, push_size, groups, error);
}

void
vks_plan_free (VksPlan *plan)
{
  if (plan == NULL)
    return;
  for (int i = 0; i < plan->n_nodes; i++)
    g_free (plan->data[i]);
  g_free (plan->data);
  g_free (plan->live);
  g_free (plan->root);
  g_free (plan->offset);
  g_free (plan->bytes);
  g_free (plan->map);
  g_free (plan->map_store);
  g_free (plan->store_index);
  vks_recorder_free (plan->rec);
  vks_recorder_free (plan->prologue);
  vks_buffer_free (plan->ctx, plan->arena);
  vks_buffer_free (plan->ctx, plan->packed_buf);
  vks_buffer_free (plan->ctx, plan->index_buf);
  vks_buffer_free (plan->ctx, plan->upload);
  vks_buffer_free (plan->ctx, plan->readback);
  g_free (plan->host_at);
  g_free (plan);
}



/* A reshape is a view when both sides lie in memory in PyTorch order. */
static gboolean
is_view (const VksGraph *g, const VksNodeInfo *info)
{
  if (info->op != VKS_OP_RESHAPE)
    return FALSE;
  const VksNodeInfo *src = vks_node_info (g, info->in[0]);
  return node_plane (src) == src->shape.h * src->shape.w &&
         node_plane (info) == info->shape.h * info->shape.w;
}

static gboolean
check_limits (VksPlan *plan, GError **error)
{
  const VkPhysicalDeviceLimits *lim = &plan->ctx->props.limits;
  for (int v = 0; v < plan->n_nodes; v++) {
    if (!plan->live[v] || plan->root[v] != v)
      continue;
    /* Kernels read every node through R32F views. */
    if (plan->bytes[v] / sizeof (float) > lim->maxTexelBufferElements) {
      VksShape s = vks_graph_shape (plan->g, v);
      g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                   "a [%d, %d, %d, %d] tensor exceeds this device's %u texel-buffer elements",
                   s.n, s.c, s.h, s.w, lim->maxTexelBufferElements);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
too_large (GError **error, const char *what, double need, double limit, const char *limit_name)
{
  g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
               "this network at this size needs %.0f MiB for %s; the device allows %.0f (%s)",
               need / 1048576.0, what, limit / 1048576.0, limit_name);
  return FALSE;
}

/* Before anything is allocated: each buffer within the largest allocation, all of them within
 * the device heap. */
static gboolean
check_buffers (VksPlan *plan, GError **error)
{
  const VksContext *ctx = plan->ctx;
  VkDeviceSize arena = arena_total (plan), packed = plan->packed.size;
  if (arena > ctx->max_allocation)
    return too_large (error, "its activations", arena, ctx->max_allocation,
                      "maxMemoryAllocationSize");
  if (packed > ctx->max_allocation)
    return too_large (error, "its packed weights", packed, ctx->max_allocation,
                      "maxMemoryAllocationSize");
  VkDeviceSize heap = ctx->memory_props.memoryHeaps[ctx->device_heap].size;
  if (arena + 2 * packed > heap)   /* packed weights and their gather map */
    return too_large (error, "its buffers", arena + 2 * packed, heap, "memory heap size");
  return TRUE;
}

/* Liveness: a node's storage is taken when it is computed and given back after its last
 * reader; leaves and outputs keep theirs for the whole plan. */
static void
assign_storage (VksPlan *plan, const VksNode *outputs, int n_outputs)
{
  const VksGraph *g = plan->g;
  int n = plan->n_nodes;
  g_autofree int *last_use = g_new (int, MAX (n, 1));
  VkDeviceSize align = vks_buffer_alignment (plan->ctx);
  for (int v = 0; v < n; v++) {
    const VksNodeInfo *info = vks_node_info (g, v);
    plan->root[v] = is_view (g, info) ? plan->root[info->in[0]] : v;
    plan->bytes[v] = (node_bytes (info) + align - 1) / align * align;
    gboolean permanent = info->op == VKS_OP_INPUT || info->op == VKS_OP_PARAM;
    last_use[v] = permanent ? G_MAXINT : -1;
  }
  for (int i = 0; i < n_outputs; i++)
    last_use[plan->root[outputs[i]]] = G_MAXINT;
  for (int v = 0; v < n; v++) {
    if (!plan->live[v])
      continue;
    const VksNodeInfo *info = vks_node_info (g, v);
    for (int i = 0; i < info->n_in; i++) {
      int r = plan->root[info->in[i]];
      if (last_use[r] != G_MAXINT)
        last_use[r] = MAX (last_use[r], v);
    }
  }

  /* Leaves first: the host writes them before a run, so no computed node may have used their
   * place earlier in the same run. */
  g_autoptr (GArray) free_list = g_array_new (FALSE, FALSE, sizeof (Block));
  VkDeviceSize end = 0;
  for (int v = 0; v < n; v++) {
    VksOpKind op = vks_node_info (g, v)->op;
    /* the parameter itself: a view of one (a batch norm's weight as [1][c][1][1]) is placed
     * with the computed nodes below, at its root's offset */
    if (plan->live[v] && plan->store_index != NULL && plan->store_index[v] >= 0) {
      plan->offset[v] = vks_param_store_offset (plan->store, plan->store_index[v]);
    } else if (plan->live[v] && (op == VKS_OP_INPUT || op == VKS_OP_PARAM)) {
      plan->offset[v] = vks_free_list_take (free_list, &end, plan->bytes[v]);
      plan->naive_bytes += plan->bytes[v];
      plan->leaf_bytes += plan->bytes[v];
    }
  }
  for (int v = 0; v < n; v++) {
    if (!plan->live[v])
      continue;
    VksOpKind op = vks_node_info (g, v)->op;
    if (op == VKS_OP_INPUT || op == VKS_OP_PARAM) {
      /* placed above */
    } else if (plan->root[v] == v) {
      plan->offset[v] = vks_free_list_take (free_list, &end, plan->bytes[v]);
      plan->naive_bytes += plan->bytes[v];
    } else {
      plan->offset[v] = plan->offset[plan->root[v]];
    }
    /* Free what v was the last reader of, after v's own output was placed: a kernel's output
     * never overlaps its inputs. */
    const VksNodeInfo *info = vks_node_info (g, v);
    for (int i = 0; i < info->n_in; i++) {
      int r = plan->root[info->in[i]];
      if (last_use[r] == v) {
        vks_free_list_give (free_list, plan->offset[r], plan->bytes[r]);
        last_use[r] = -2;    /* freed; an op reading one input twice frees it once */
      }
    }
    if (last_use[v] == -1 && plan->root[v] == v)
      vks_free_list_give (free_list, plan->offset[v], plan->bytes[v]);   /* computed, never read */
  }
  plan->scratch_offset = (end + align - 1) / align * align;
  plan->arena_bytes = end;
}

/* Parameter nodes -> store entries by name. */
static gboolean
bind_store (VksPlan *plan, GError **error)
{
  plan->store_index = g_new (int, plan->n_nodes);
  for (int v = 0; v < plan->n_nodes; v++) {
    plan->store_index[v] = -1;
    if (!plan->live[v] || vks_node_info (plan->g, v)->op != VKS_OP_PARAM)
      continue;
    const char *name = vks_graph_name (plan->g, v);
    int i = vks_param_store_find (plan->store, name);
    if (i < 0 || !vks_shape_equal (vks_param_store_shape (plan->store, i),
                                   vks_graph_shape (plan->g, v))) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                   "the parameter store has no \"%s\" of this shape", name);
      return FALSE;
    }
    plan->store_index[v] = i;
  }
  return TRUE;
}

static VksPlan *
plan_layout (VksContext *ctx, const VksGraph *g, const VksNode *outputs, int n_outputs,
             const VksPlanOptions *options, gboolean measuring, GError **error)
{
  if (!vks_graph_check (g, error))
    return NULL;
  if (n_outputs < 1 || !vks_graph_ok (g, outputs, n_outputs)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "a plan needs existing output nodes");
    return NULL;
  }
  g_autoptr (VksPlan) plan = g_new0 (VksPlan, 1);
  plan->ctx = ctx;
  plan->g = g;
  plan->n_nodes = vks_graph_n_nodes (g);
  plan->measuring = measuring;
  int n = plan->n_nodes;
  plan->live = g_new0 (gboolean, MAX (n, 1));
  plan->root = g_new (VksNode, MAX (n, 1));
  plan->offset = g_new0 (VkDeviceSize, MAX (n, 1));
  plan->bytes = g_new0 (VkDeviceSize, MAX (n, 1));
  plan->data = g_new0 (gpointer, MAX (n, 1));
  vks_arena_init (&plan->packed, ctx);

  /* Dead-node elimination: only what the outputs read. */
  for (int i = 0; i < n_outputs; i++)
    plan->live[outputs[i]] = TRUE;
  for (int v = n - 1; v >= 0; v--) {
    if (!plan->live[v])
      continue;
    const VksNodeInfo *info = vks_node_info (g, v);
    for (int i = 0; i < info->n_in; i++)
      plan->live[info->in[i]] = TRUE;
  }
  for (int v = 0; v < n; v++)
    plan->root[v] = v;
  plan->store = options ? options->params : NULL;
  plan->params_change_on_device = options != NULL && options->params_change_on_device;
  plan->conv_gemm = options != NULL && options->conv_gemm;
  if (plan->store != NULL && !bind_store (plan, error))
    return NULL;
  assign_storage (plan, outputs, n_outputs);
  if (!check_limits (plan, error))
    return NULL;
  for (int v = 0; v < n; v++) {
    if (!plan->live[v])
      continue;
    plan->n_computed++;
    const VksOpClass *klass = vks_op_class (vks_node_info (g, v)->op);
    if (klass->prepare != NULL && !klass->prepare (plan, v, error))
      return NULL;
  }
  if (!check_buffers (plan, error))
    return NULL;
  return g_steal_pointer (&plan);
}





VksPlan *
vks_plan_new (VksContext *ctx, const VksGraph *g, const VksNode *outputs, int n_outputs,
              const VksPlanOptions *options, GError **error)
{
  g_autoptr (VksPlan) plan = plan_layout (ctx, g, outputs, n_outputs, options, FALSE, error);
  if (plan == NULL || (plan->store != NULL && !vks_param_store_ready (plan->store, error)))
    return NULL;
  VkDeviceSize total = plan->scratch_offset + plan->scratch_bytes;
  plan->arena = vks_buffer_new (ctx, MAX (total, 16), VKS_MEMORY_DEVICE, "graph arena", error);
  if (plan->arena == NULL)
    return NULL;
  VkDeviceSize packed = MAX (plan->packed.size, 16);
  plan->packed_buf = vks_buffer_new (ctx, packed, VKS_MEMORY_DEVICE, "packed weights", error);
  plan->index_buf = plan->packed_buf ? vks_buffer_new (ctx, packed, VKS_MEMORY_DEVICE,
                                                       "repack map", error) : NULL;
  if (plan->index_buf == NULL)
    return NULL;
  grow_map (plan, plan->packed.size / sizeof (float));   /* every packed float has an entry */
  if (!vks_plan_init_buffers (plan, error))
    return NULL;
  if (!vks_plan_create_staging (plan, options, error))
    return NULL;
  plan->rec = vks_recorder_new (ctx, error);
  if (plan->rec == NULL)
    return NULL;
  vks_plan_record_staging (plan, TRUE);
  double unsplit = 0;
  for (int v = 0; v < plan->n_nodes; v++) {
    if (!plan->live[v])
      continue;
    const VksOpClass *klass = vks_op_class (vks_node_info (g, v)->op);
    if (unsplit >= SEGMENT_FLOPS) {
      if (!vks_recorder_split (plan->rec, error))
        return NULL;
      unsplit = 0;
    }
    if (klass->record != NULL && !klass->record (plan, v, error))
      return NULL;
    unsplit += vks_node_flops (g, v);
  }
  if (options != NULL && options->tail != NULL &&
      !options->tail (plan, plan->rec, options->tail_data, error))
    return NULL;
  vks_plan_record_staging (plan, FALSE);
  if (!vks_recorder_finish (plan->rec, error) ||
      (plan->prologue != NULL && !vks_recorder_finish (plan->prologue, error)))
    return NULL;
  plan->prologue_due = plan->prologue != NULL;
  plan->store_version = plan->store ? vks_param_store_version (plan->store) : 0;
  return g_steal_pointer (&plan);
}

gboolean
vks_plan_measure (VksContext *ctx, const VksGraph *g, const VksNode *outputs, int n_outputs,
                  const VksPlanOptions *options, VksPlanStats *stats, GError **error)
{
  g_autoptr (VksPlan) plan = plan_layout (ctx, g, outputs, n_outputs, options, TRUE, error);
  if (plan == NULL)
    return FALSE;
  vks_plan_stats (plan, stats);
  return TRUE;
}







