/* What engine/nn/optimizer.c and engine/nn/ema.c share: their device state buffers and the
 * checkpoint names of what they keep there. */
#pragma once
#include "engine/nn/optimizer.h"
#include "engine/memory.h"

/* A device buffer of `bytes` zeros (a fresh optimiser's moments, an EMA before its reset). */
VksBuffer *vks_state_buffer_new (VksContext *ctx, VkDeviceSize bytes, const char *what,
                                 GError **error);
/* FALSE (`who` in the message) unless the tail of `plan` may be recorded by an object of graph
 * g that is bound to *bound (NULL: none yet): one plan per optimiser or EMA, of its graph. */
gboolean vks_state_check_plan (VksPlan *plan, const VksGraph *g, VksPlan *bound, const char *who,
                               GError **error);
/* "<scope><kind>.<name>"; g_free it. */
char *vks_state_name (const char *scope, const char *kind, const char *name);
/* Adds to ckpt a tensor of zeros with the parameter's checkpoint shape; its data to fill. */
float *vks_state_add (VksCheckpoint *ckpt, const char *name, const VksGraph *g, VksNode param);
/* Adds the parameter-sized array at buf + offset to ckpt as tensor `name`. */
gboolean vks_state_save (VksContext *ctx, const VksBuffer *buf, VkDeviceSize offset,
                         const VksGraph *g, VksNode param, VksCheckpoint *ckpt, const char *name,
                         GError **error);
/* The parameters an EMA averages (for vks_optimizer_plan_outputs). */
const VksNode *vks_ema_params (const VksEma *ema, int *n_params);
