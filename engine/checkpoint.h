/* Safetensors checkpoint files: strict reader and atomic writer.
 *
 * Layout of a safetensors file: 8-byte little-endian header length N, N bytes of JSON
 * { "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *   "__metadata__": {"key": "string value", ...} }, then the data area; offsets are relative to
 * the start of the data area. We accept dtypes F32 and F16 (converted to F32 on load) and write
 * F32 (or F16 on request). Metadata keys of ours start with "vkstyle." (see docs/checkpoints.md).
 */
#pragma once
#include <glib.h>
#include <stdint.h>

#define VKS_CHECKPOINT_MAX_DIMS 8

typedef enum { VKS_DTYPE_F32, VKS_DTYPE_F16 } VksDtype;

typedef struct {
  char *name;
  int ndim;
  int64_t shape[VKS_CHECKPOINT_MAX_DIMS];
  int64_t n_elements;
  float *data;          /* n_elements floats, owned by the checkpoint */
} VksCheckpointTensor;

typedef struct VksCheckpoint VksCheckpoint;

/* Reads and validates a whole file. Every tensor is converted to F32 host memory. Rejects with a
 * VKS_ERROR_CHECKPOINT GError that names the problem: truncated file, header length past the end,
 * header not JSON / not an object, bad entry, unknown dtype, shape/offset mismatch, offsets out of
 * range or overlapping, duplicate names, non-finite values, metadata values that are not strings.
 * Never reads out of bounds, never allocates more than the file size implies. */
VksCheckpoint *vks_checkpoint_load (const char *path, GError **error);
VksCheckpoint *vks_checkpoint_load_from_data (const guint8 *data, gsize size, GError **error);
/* Reads only the header (metadata and tensor shapes, data == NULL): cheap, for model lists. */
VksCheckpoint *vks_checkpoint_load_header (const char *path, GError **error);

VksCheckpoint *vks_checkpoint_new (void);
void vks_checkpoint_free (VksCheckpoint *ckpt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksCheckpoint, vks_checkpoint_free)

/* NULL when absent. */
const char *vks_checkpoint_get_metadata (const VksCheckpoint *ckpt, const char *key);
/* NULL-terminated array of keys, sorted; free with g_free (strings are owned by ckpt). */
const char **vks_checkpoint_metadata_keys (const VksCheckpoint *ckpt);
void vks_checkpoint_set_metadata (VksCheckpoint *ckpt, const char *key, const char *value);

guint vks_checkpoint_n_tensors (const VksCheckpoint *ckpt);
/* Tensors in name order. */
const VksCheckpointTensor *vks_checkpoint_tensor_at (const VksCheckpoint *ckpt, guint i);
const VksCheckpointTensor *vks_checkpoint_get_tensor (const VksCheckpoint *ckpt, const char *name);
/* Copies data (may be NULL for zeros). Replaces a tensor of the same name. */
VksCheckpointTensor *vks_checkpoint_add_tensor (VksCheckpoint *ckpt, const char *name, int ndim,
                                                const int64_t *shape, const float *data);

/* Writes atomically (temp file in the same folder + fsync + rename): an interrupted save leaves
 * any previous file intact and no partial file under `path`. */
gboolean vks_checkpoint_save (const VksCheckpoint *ckpt, const char *path, VksDtype dtype,
                              GError **error);
/* "[64, 3, 7, 7]", for messages; g_free the result. */
char *vks_format_shape (int ndim, const int64_t *shape);

/* The same bytes as a buffer (for tests and fuzzing). */
GBytes *vks_checkpoint_serialize (const VksCheckpoint *ckpt, VksDtype dtype);
