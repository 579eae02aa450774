/* A graph's parameters and checkpoints: the parameter nodes' names are the checkpoint's tensor
 * names (the reference state_dict keys) and their shapes its shapes, padded on the left to 4-D. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/model_spec.h"
#include "engine/nn/plan.h"

/* The 4-D shape of a checkpoint tensor (FALSE for more than 4 dimensions or empty ones). */
gboolean vks_shape_from_dims (int ndim, const int64_t *dims, VksShape *shape);

/* The tensor `name` of the checkpoint if it has exactly that 4-D shape (padded on the left with
 * 1s); else NULL and VKS_ERROR_CHECKPOINT naming it and what is wrong. */
const VksCheckpointTensor *vks_checkpoint_get_shaped (const VksCheckpoint *ckpt, const char *name,
                                                      VksShape want, GError **error);

/* Sets every parameter of the plan's graph from the tensor of the same name. The checkpoint must
 * hold each one with its exact shape (VKS_ERROR_CHECKPOINT naming the first that is missing or
 * differs); tensors the graph does not use are ignored. */
gboolean vks_plan_load_params (VksPlan *plan, const VksGraph *g, const VksCheckpoint *ckpt,
                               GError **error);

/* The graph's parameters as an exact tensor list (VksTensorSpec*, creation order, each with its
 * checkpoint rank): a model whose builder is the definition of its checkpoint. */
GPtrArray *vks_graph_tensor_specs (const VksGraph *g);
