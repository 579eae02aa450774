/* One error type for the whole engine: GError in the VKS_ERROR domain. */
#pragma once
#include <glib.h>

#define VKS_ERROR (vks_error_quark ())

typedef enum {
  VKS_ERROR_NO_DEVICE,      /* no Vulkan driver/device, or VKSTYLE_DEVICE matched none */
  VKS_ERROR_VULKAN,         /* a Vulkan call failed for another reason */
  VKS_ERROR_OUT_OF_MEMORY,  /* host or device allocation failed */
  VKS_ERROR_DEVICE_LOST,
  VKS_ERROR_CHECKPOINT,     /* malformed, hostile or incompatible checkpoint file */
  VKS_ERROR_SHAPE,          /* tensor/image shape the operation cannot take */
  VKS_ERROR_TOO_LARGE,      /* does not fit the device limits */
  VKS_ERROR_IMAGE,          /* image cannot be read/written or has an unsupported format */
  VKS_ERROR_IO,             /* file system error */
  VKS_ERROR_CANCELLED,
} VksErrorCode;

GQuark vks_error_quark (void);
