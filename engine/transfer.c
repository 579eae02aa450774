#include "engine/transfer.h"

#include "engine/recorder.h"

#include <string.h>

static gboolean
staged_copy (VksContext *ctx, const VksBuffer *device, VkDeviceSize offset, void *host,
             VkDeviceSize size, gboolean to_device, GError **error)
{
  if (size == 0)
    return TRUE;
  VksBuffer *staging = vks_buffer_new (ctx, size, to_device ? VKS_MEMORY_UPLOAD : VKS_MEMORY_READBACK,
                                       to_device ? "upload" : "download", error);
  if (staging == NULL)
    return FALSE;
  if (to_device)
    memcpy (staging->mapped, host, size);
  g_autoptr (VksRecorder) rec = vks_recorder_new (ctx, error);
  gboolean ok = rec != NULL;
  if (ok) {
    if (to_device)
      vks_recorder_copy (rec, staging, 0, device, offset, size);
    else
      vks_recorder_copy (rec, device, offset, staging, 0, size);
    ok = vks_recorder_finish (rec, error) && vks_recorder_run (rec, error);
  }
  if (ok && !to_device)
    memcpy (host, staging->mapped, size);
  vks_buffer_free (ctx, staging);
  return ok;
}

gboolean
vks_buffer_upload (VksContext *ctx, const VksBuffer *dst, VkDeviceSize offset, const void *data,
                   VkDeviceSize size, GError **error)
{
  return staged_copy (ctx, dst, offset, (void *) data, size, TRUE, error);
}

gboolean
vks_buffer_download (VksContext *ctx, const VksBuffer *src, VkDeviceSize offset, void *data,
                     VkDeviceSize size, GError **error)
{
  return staged_copy (ctx, src, offset, data, size, FALSE, error);
}
