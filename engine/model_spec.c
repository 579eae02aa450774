#include "engine/model_spec.h"

#include "engine/error.h"

#include <string.h>

#define KEY_ARCH "vkstyle.arch"
#define KEY_NORM "vkstyle.norm"

static void
spec_free (gpointer p)
{
  VksTensorSpec *spec = p;
  g_free ((char *) spec->name);
  g_free (spec);
}

GPtrArray *
vks_tensor_specs_new (void)
{
  return g_ptr_array_new_with_free_func (spec_free);
}

void
vks_tensor_specs_add (GPtrArray *specs, char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                      int64_t d3)
{
  VksTensorSpec *spec = g_new0 (VksTensorSpec, 1);
  spec->name = name;
  spec->ndim = ndim;
  spec->shape[0] = d0;
  spec->shape[1] = d1;
  spec->shape[2] = d2;
  spec->shape[3] = d3;
  g_ptr_array_add (specs, spec);
}

gboolean
vks_metadata_check_arch (const VksCheckpoint *ckpt, const char *arch, const char *noun,
                         const char *what, GError **error)
{
  const char *found = vks_checkpoint_get_metadata (ckpt, KEY_ARCH);
  if (found == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "not a vkstyle %s: metadata lacks " KEY_ARCH, noun);
    return FALSE;
  }
  if (strcmp (found, arch) != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "not a %s: " KEY_ARCH " is \"%s\", expected \"%s\"", what, found, arch);
    return FALSE;
  }
  return TRUE;
}

gboolean
vks_metadata_read_int (const VksCheckpoint *ckpt, const char *key, int fallback, int min, int max,
                       int *out, GError **error)
{
  const char *s = vks_checkpoint_get_metadata (ckpt, key);
  if (s == NULL) {
    if (fallback >= 0) {
      *out = fallback;
      return TRUE;
    }
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "metadata lacks %s", key);
    return FALSE;
  }
  gsize len = strlen (s);
  gboolean digits = len > 0 && len <= 9 && (s[0] != '0' || len == 1);
  for (gsize i = 0; digits && i < len; i++)
    digits = g_ascii_isdigit (s[i]);
  if (!digits) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata %s is \"%s\", not a whole number", key, s);
    return FALSE;
  }
  int value = (int) g_ascii_strtoll (s, NULL, 10);
  if (value < min || value > max) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata %s is %d, it must be between %d and %d", key, value, min, max);
    return FALSE;
  }
  *out = value;
  return TRUE;
}

void
vks_metadata_set_int (VksCheckpoint *ckpt, const char *key, int value)
{
  char text[16];
  g_snprintf (text, sizeof text, "%d", value);
  vks_checkpoint_set_metadata (ckpt, key, text);
}

const char *
vks_norm_name (VksNormKind norm)
{
  return norm == VKS_NORM_BATCH ? "batch" : "instance";
}

gboolean
vks_metadata_read_norm (const VksCheckpoint *ckpt, VksNormKind *norm, GError **error)
{
  const char *s = vks_checkpoint_get_metadata (ckpt, KEY_NORM);
  if (s == NULL || strcmp (s, "instance") == 0) {
    *norm = VKS_NORM_INSTANCE;
  } else if (strcmp (s, "batch") == 0) {
    *norm = VKS_NORM_BATCH;
  } else {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata " KEY_NORM " is \"%s\", expected \"instance\" or \"batch\"", s);
    return FALSE;
  }
  return TRUE;
}

void
vks_metadata_set_norm (VksCheckpoint *ckpt, VksNormKind norm)
{
  vks_checkpoint_set_metadata (ckpt, KEY_NORM, vks_norm_name (norm));
}

static gboolean
same_shape (const VksTensorSpec *spec, const VksCheckpointTensor *t)
{
  if (spec->ndim != t->ndim)
    return FALSE;
  for (int i = 0; i < spec->ndim; i++)
    if (spec->shape[i] != t->shape[i])
      return FALSE;
  return TRUE;
}

gboolean
vks_check_tensors (const VksCheckpoint *ckpt, const GPtrArray *specs, const char *noun,
                   const char *model, GError **error)
{
  g_autoptr (GHashTable) expected = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < specs->len; i++) {
    const VksTensorSpec *spec = g_ptr_array_index (specs, i);
    g_hash_table_add (expected, (gpointer) spec->name);
    const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, spec->name);
    g_autofree char *want = vks_format_shape (spec->ndim, spec->shape);
    if (t == NULL) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "tensor %s is missing; this %s needs it with shape %s", spec->name, noun, want);
      return FALSE;
    }
    if (!same_shape (spec, t)) {
      g_autofree char *have = vks_format_shape (t->ndim, t->shape);
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "tensor %s has shape %s, this %s needs %s", spec->name, have, noun, want);
      return FALSE;
    }
  }
  for (guint i = 0; i < vks_checkpoint_n_tensors (ckpt); i++) {
    const VksCheckpointTensor *t = vks_checkpoint_tensor_at (ckpt, i);
    if (!g_hash_table_contains (expected, t->name)) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "unexpected tensor %s: %s has no such tensor", t->name, model);
      return FALSE;
    }
  }
  return TRUE;
}
