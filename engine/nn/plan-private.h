/* What an op's lowering (op.h `prepare` / `record`) sees of a plan. */
#pragma once
#include "engine/nn/op.h"
#include "engine/kernels.h"
#include "engine/nn/plan.h"
#include "engine/tensor.h"

VksContext *vks_plan_context (VksPlan *plan);
const VksGraph *vks_plan_graph (VksPlan *plan);
VksRecorder *vks_plan_recorder (VksPlan *plan);
/* TRUE while vks_plan_measure lays a plan out: `prepare` reserves, but need not build maps. */
gboolean vks_plan_measuring (VksPlan *plan);
/* VksPlanOptions.params_change_on_device (a tail that updates parameters needs it). */
gboolean vks_plan_params_change_on_device (VksPlan *plan);
/* VksPlanOptions.conv_gemm, or parameters change on the device. */
gboolean vks_plan_conv_gemm (VksPlan *plan);

/* A node's values as the one tensor type (buf is the arena; set only once it exists). DENSE
 * nodes have plane = h * w: only element-wise access through R32F views is meaningful. */
VksTensor vks_plan_tensor (VksPlan *plan, VksNode node);
/* TRUE if the node shares its input's storage (a reshape that moves nothing). */
gboolean vks_plan_is_view (VksPlan *plan, VksNode node);
/* A texel view of a node's values (R32F: every float; RGBA32F: PLANES nodes' texels). */
VksView vks_plan_view (VksPlan *plan, VksNode node, VkFormat format);

/* ---- prepare time ---- */
/* Per-node lowering data (g_free'd with the plan). */
void vks_plan_set_data (VksPlan *plan, VksNode node, gpointer data);
gpointer vks_plan_data (VksPlan *plan, VksNode node);
/* The arena packed weights are reserved in, and its gather map (uploaded to the index buffer):
 * after a node reserved its region it says for each packed float which element of which node
 * goes there (unmapped floats are 0). */
VksArena *vks_plan_packed_arena (VksPlan *plan);
void vks_plan_map_element (VksPlan *plan, VkDeviceSize packed_float, VksNode node, gint64 k);
const VksBuffer *vks_plan_packed_buffer (VksPlan *plan);
/* Records a gather of packed[offset, offset + bytes) through the map. */
gboolean vks_plan_record_gather (VksPlan *plan, VksRecorder *rec, VkDeviceSize offset,
                                 VkDeviceSize bytes, GError **error);
/* Where a node records the re-packing of the weights it reads from `sources`: a prologue that
 * runs once after the host changes parameters when every source is a parameter and the plan's
 * parameters change only from the host (inference), else the main recording, right before the
 * node (weights computed in the plan, or updated by an optimiser). */
VksRecorder *vks_plan_repack_recorder (VksPlan *plan, const VksNode *sources, int n_sources,
                                       GError **error);
/* Scratch every node may use while it runs (one region, the largest request). */
void vks_plan_need_scratch (VksPlan *plan, VkDeviceSize bytes);
void vks_plan_scratch (VksPlan *plan, const VksBuffer **buf, VkDeviceSize *offset,
                       VkDeviceSize *bytes);
/* The buffer a node's values are in (the arena, or a parameter store), its size in floats, and
 * the index of the node's first float in it. */
const VksBuffer *vks_plan_node_buffer (VksPlan *plan, VksNode node, VkDeviceSize *buffer_floats,
                                       VkDeviceSize *first_float);

/* Records `items` invocations of `kernel` (the 1-D kernels: workgroups folded into two
 * dimensions) with views[i] bound to binding i; spec[0] is filled with the workgroup size. */
gboolean vks_plan_dispatch (VksPlan *plan, VksKernel kernel, int32_t *spec, guint n_spec,
                            const VksView *views, const void *push, size_t push_size, long items,
                            GError **error);

/* Element shape and layout descriptor as the new kernels' push blocks take it (std430 ints):
 * n, c, h, w, plane (floats per (n, c) plane: the padded plane, or h * w for DENSE). */
typedef struct {
  int32_t n, c, h, w, plane;
} VksPushShape;

VksPushShape vks_plan_push_shape (VksPlan *plan, VksNode node);
