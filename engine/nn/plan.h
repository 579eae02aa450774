/* A graph lowered onto the device for one set of output nodes: only the nodes those outputs need
 * are computed, each node's values get a place in one arena by liveness (a place is reused once
 * its last reader has run), and the whole computation is recorded once. Running it is a submit
 * and a wait. The graph must outlive the plan and not change while it exists. */
#pragma once
#include "engine/nn/graph.h"
#include "engine/nn/param_store.h"
#include "engine/recorder.h"

typedef struct VksPlan VksPlan;

/* Work recorded after the graph's nodes in the same submission (an optimiser step reading the
 * gradients the plan computed): the device never waits for the host in between. */
typedef gboolean (*VksPlanTail) (VksPlan *plan, VksRecorder *rec, gpointer data, GError **error);

typedef struct {
  VksPlanTail tail;        /* NULL: none */
  gpointer tail_data;
  /* Parameters change on the device between runs (a tail updates them): weights are re-packed
   * in every run. Otherwise they change only through vks_plan_set, and re-packing runs once
   * after that, before the next run (inference). */
  gboolean params_change_on_device;
  /* 3x3 convolutions take im2col + GEMM where Winograd would apply (always so when parameters
   * change on the device): GEMM computes the whole batch in one dispatch per layer, Winograd
   * image by image, so a large batch of small images runs faster this way. */
  gboolean conv_gemm;
  /* Where parameter nodes live, by name (NULL: in the plan's own arena). It must outlive the
   * plan and hold every parameter the plan computes with. */
  VksParamStore *params;
  /* Outputs the host reads after every run: copied into host-visible memory at the end of the
   * recording, so vks_plan_get is a memcpy (others are a blocking copy each). */
  const VksNode *readback;
  int n_readback;
} VksPlanOptions;

typedef struct {
  guint64 arena_bytes;     /* activations, inputs, parameters, scratch */
  guint64 leaf_bytes;      /* of which inputs and parameters */
  guint64 packed_bytes;    /* weights in the layouts the convolution kernels read */
  guint64 naive_bytes;     /* what the arena would take if nothing were reused */
  int n_nodes;             /* nodes computed (after dead-node elimination) */
  int n_dispatches;
} VksPlanStats;

/* options may be NULL. */
VksPlan *vks_plan_new (VksContext *ctx, const VksGraph *g, const VksNode *outputs, int n_outputs,
                       const VksPlanOptions *options, GError **error);
void vks_plan_free (VksPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksPlan, vks_plan_free)

/* The same layout without allocating anything (the limit checks and the tiler ask this). */
gboolean vks_plan_measure (VksContext *ctx, const VksGraph *g, const VksNode *outputs,
                           int n_outputs, const VksPlanOptions *options, VksPlanStats *stats,
                           GError **error);
void vks_plan_stats (const VksPlan *plan, VksPlanStats *stats);

/* Values of an input or parameter in PyTorch's contiguous order (vks_shape_elements floats);
 * they stay until set again. An input is written to host-visible memory the recording copies
 * from at the start of each run; a parameter (in the plan, or its store) by a blocking copy. */
gboolean vks_plan_set (VksPlan *plan, VksNode node, const float *values, GError **error);
gboolean vks_plan_run (VksPlan *plan, GError **error);
/* The same, asking keep_going (may be NULL) between segments of the recorded work (about 4
 * GFLOP each, split between nodes): FALSE stops the run within about two segments, with
 * VKS_ERROR_CANCELLED. */
gboolean vks_plan_run_until (VksPlan *plan, VksKeepGoing keep_going, gpointer user_data,
                             GError **error);
/* Values of an output (or of an input / parameter) after a run, PyTorch's order. */
gboolean vks_plan_get (VksPlan *plan, VksNode node, float *values, GError **error);

/* Where a node of the plan keeps its values on the device (for work recorded in a tail: an
 * optimiser updates parameters in place from their gradients). The layout is the node's
 * (DENSE for parameters: PyTorch's order, `bytes` rounded up to whole texels). */
void vks_plan_storage (VksPlan *plan, VksNode node, const VksBuffer **buf, VkDeviceSize *offset,
                       VkDeviceSize *bytes);
