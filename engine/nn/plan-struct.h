/* The plan record, for engine/nn/plan.c (layout, recording) and plan_io.c (staging, host
 * access, runs) only. */
#pragma once
#include "engine/nn/plan-private.h"

#define NO_HOST G_MAXUINT64

struct VksPlan {
  VksContext *ctx;
  const VksGraph *g;
  int n_nodes;
  gboolean *live;          /* computed for the outputs */
  VksNode *root;           /* the node whose storage a node uses (itself, or a view's source) */
  VkDeviceSize *offset, *bytes;
  gpointer *data;
  VkDeviceSize arena_bytes, naive_bytes, leaf_bytes, scratch_offset, scratch_bytes;
  VksArena packed;
  gint32 *map;             /* the gather map, packed.size / 4 entries */
  guint8 *map_store;       /* per entry: its value is in the parameter store (else the arena) */
  gsize map_len, map_cap;  /* entries, and room for them */
  VksParamStore *store;    /* not owned; NULL: parameters in the arena */
  int *store_index;        /* per node: its store entry, or -1 */
  guint64 store_version;   /* of the store when the prologue last ran */
  VksBuffer *arena, *packed_buf, *index_buf;
  VksBuffer *upload, *readback;  /* host-visible copies of the inputs and the read outputs */
  VkDeviceSize *host_at;   /* per node: its place in upload (inputs) or readback, or NO_HOST */
  VksRecorder *rec;
  VksRecorder *prologue;   /* re-packing of parameters, run after they change (or NULL) */
  gboolean params_change_on_device, conv_gemm, prologue_due;
  gboolean measuring;      /* vks_plan_measure: sizes only, no gather maps */
  int n_computed;
};

static inline int
node_plane (const VksNodeInfo *info)
{
  return info->layout == VKS_LAYOUT_PLANES ? vks_plane_floats (info->shape.h, info->shape.w)
                                           : info->shape.h * info->shape.w;
}

static inline VkDeviceSize
node_bytes (const VksNodeInfo *info)
{
  VkDeviceSize floats = (VkDeviceSize) info->shape.n * info->shape.c * node_plane (info);
  return (floats + 3) / 4 * 4 * sizeof (float);
}

static inline gboolean
in_store (const VksPlan *plan, VksNode node)
{
  return plan->store_index != NULL && plan->store_index[plan->root[node]] >= 0;
}

static inline const VksBuffer *
buffer_of (const VksPlan *plan, VksNode node)
{
  return in_store (plan, node) ? vks_param_store_buffer (plan->store) : plan->arena;
}

static inline VkDeviceSize
arena_total (const VksPlan *plan)
{
  return plan->scratch_offset + plan->scratch_bytes;
}

/* plan_io.c, for vks_plan_new */
gboolean vks_plan_init_buffers (VksPlan *plan, GError **error);
gboolean vks_plan_create_staging (VksPlan *plan, const VksPlanOptions *options, GError **error);
void vks_plan_record_staging (VksPlan *plan, gboolean inputs);
