/* Parameters kept on the device apart from any one plan, so that several plans (a GAN's
 * generator and discriminator steps, one inference plan per tile size) read and update the same
 * values: one buffer, an entry per parameter name, PyTorch's order (DENSE). A plan given a store
 * (VksPlanOptions.params) binds its parameter nodes to the entries of their names. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/nn/graph.h"
#include "engine/memory.h"

typedef struct VksParamStore VksParamStore;

/* An entry for every parameter of every graph (a name used by several graphs must have one
 * shape), zero-filled. */
VksParamStore *vks_param_store_new (VksContext *ctx, VksGraph *const *graphs, int n_graphs,
                                    GError **error);
void vks_param_store_free (VksParamStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksParamStore, vks_param_store_free)

int vks_param_store_n (const VksParamStore *store);
/* Entry i (in name order): its name, shape, where it lies. */
const char *vks_param_store_name (const VksParamStore *store, int i);
VksShape vks_param_store_shape (const VksParamStore *store, int i);
/* -1 if absent. */
int vks_param_store_find (const VksParamStore *store, const char *name);
const VksBuffer *vks_param_store_buffer (const VksParamStore *store);
VkDeviceSize vks_param_store_offset (const VksParamStore *store, int i);

/* Host access (blocking copies). Each write changes the version, so plans re-pack weights. */
gboolean vks_param_store_set (VksParamStore *store, int i, const float *values, GError **error);
gboolean vks_param_store_get (VksParamStore *store, int i, float *values, GError **error);
guint64 vks_param_store_version (const VksParamStore *store);

/* The entries whose names start with `prefix` (NULL: all), each from the checkpoint tensor
 * named like it without the prefix (one network of several: "G_A." + its state_dict), exact
 * shape; VKS_ERROR_CHECKPOINT names the first missing or misshapen one. Other tensors are
 * ignored. */
gboolean vks_param_store_load (VksParamStore *store, const VksCheckpoint *ckpt,
                               const char *prefix, GError **error);
/* The same entries into ckpt, named without the prefix, with their checkpoint shapes
 * (vks_graph_param_rank). */
gboolean vks_param_store_save (VksParamStore *store, VksCheckpoint *ckpt, const char *prefix,
                               GError **error);
