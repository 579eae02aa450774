/* What the checkpoint files share: checkpoint.c (the object), checkpoint_load.c (buffers and
 * files in), checkpoint_header.c (header entries to tensors), checkpoint_json.c (the hostile-JSON
 * front end), checkpoint_save.c (bytes and files out) and checkpoint_half.c (F16). */
#pragma once
#include "engine/checkpoint.h"

#include <json-glib/json-glib.h>

#define VKS_CHECKPOINT_METADATA_KEY "__metadata__"

struct VksCheckpoint {
  GPtrArray *tensors;         /* VksCheckpointTensor *, sorted by strcmp of name */
  GHashTable *tensor_by_name; /* borrowed tensor->name -> tensor */
  GHashTable *metadata;       /* owned key -> owned value */
};

/* Prefixes the file name when there is one (source, may be NULL), so every message says which
 * file is bad. */
void vks_checkpoint_set_error (GError **error, int code, const char *source, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

/* Takes ownership of t; a tensor of the same name is freed. */
void vks_checkpoint_insert_tensor (VksCheckpoint *ckpt, VksCheckpointTensor *t);
/* FALSE on overflow. A zero anywhere makes the product zero however large the other sizes are. */
gboolean vks_checkpoint_count_elements (int ndim, const int64_t *shape, int64_t *n_elements);

/* The header's JSON, checked lexically first (checkpoint_json.c): a parser whose root is an
 * object, or NULL and a VKS_ERROR_CHECKPOINT error. */
JsonParser *vks_checkpoint_parse_json (const char *text, gsize length, const char *source, GError **error);
/* The header's JSON and the data area after it. data == NULL: header only (tensor data stays
 * NULL), offsets still checked against data_size. */
VksCheckpoint *vks_checkpoint_parse (const char *json, gsize json_length, const guint8 *data, guint64 data_size,
                                     const char *source, GError **error);

float vks_half_to_float (guint16 h);
/* Round to nearest even. Finite values beyond the half range are clamped to +-65504 rather than
 * turned into infinities, so a saved file always loads again. */
guint16 vks_float_to_half (float f);

static inline gsize
vks_dtype_size (VksDtype dtype)
{
  return dtype == VKS_DTYPE_F16 ? 2 : 4;
}

static inline const char *
vks_dtype_name (VksDtype dtype)
{
  return dtype == VKS_DTYPE_F16 ? "F16" : "F32";
}
