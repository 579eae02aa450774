/* What the generator and discriminator specs (generator_spec.c, discriminator_spec.c) share:
 * reading our metadata strictly, and checking that a checkpoint holds exactly the tensors a
 * model needs, with errors that name the first offender. Pure host code. */
#pragma once
#include "engine/checkpoint.h"

typedef enum { VKS_NORM_INSTANCE, VKS_NORM_BATCH } VksNormKind;

typedef struct {
  const char *name;   /* e.g. "model.10.conv_block.1.weight" (owned by the array) */
  int ndim;
  int64_t shape[4];
} VksTensorSpec;

/* An array of VksTensorSpec* that frees them; add takes ownership of name. */
GPtrArray *vks_tensor_specs_new (void);
void vks_tensor_specs_add (GPtrArray *specs, char *name, int ndim, int64_t d0, int64_t d1,
                           int64_t d2, int64_t d3);

/* vkstyle.arch must be `arch`; `noun` ("generator") and `what` ("CycleGAN ResNet generator")
 * word the errors. */
gboolean vks_metadata_check_arch (const VksCheckpoint *ckpt, const char *arch, const char *noun,
                                  const char *what, GError **error);
/* Plain decimal only ("64"): no sign, spaces, leading zeros or hex, so that a value means one
 * thing to every tool that reads the file. A missing key takes `fallback` (< 0: required). */
gboolean vks_metadata_read_int (const VksCheckpoint *ckpt, const char *key, int fallback, int min,
                                int max, int *out, GError **error);
void vks_metadata_set_int (VksCheckpoint *ckpt, const char *key, int value);
/* vkstyle.norm: "instance" (the default) or "batch". */
gboolean vks_metadata_read_norm (const VksCheckpoint *ckpt, VksNormKind *norm, GError **error);
void vks_metadata_set_norm (VksCheckpoint *ckpt, VksNormKind norm);
const char *vks_norm_name (VksNormKind norm);

/* Every spec present with its shape and nothing else: "tensor X is missing; this <noun> needs it
 * with shape [..]", "tensor X has shape [..], this <noun> needs [..]", "unexpected tensor X:
 * <model> has no such tensor". */
gboolean vks_check_tensors (const VksCheckpoint *ckpt, const GPtrArray *specs, const char *noun,
                            const char *model, GError **error);
