/* The Vulkan instance and the one device we compute on. */
#pragma once
#include <glib.h>
#include <vulkan/vulkan.h>

typedef struct VksContext VksContext;

/* selector: a device index ("0"), or a case-insensitive substring of the device name
 * ("llvmpipe", "nvidia"); NULL or "" means: $VKSTYLE_DEVICE if set, else the first discrete GPU,
 * else the first integrated GPU, else any other device (lavapipe included). With
 * VKSTYLE_VALIDATE=1 in the environment the Khronos validation layer is enabled and every message
 * it sends is logged with g_warning (so GLib tests fail on it). */
VksContext *vks_context_new (const char *selector, GError **error);
void vks_context_free (VksContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksContext, vks_context_free)

const char *vks_context_device_name (const VksContext *ctx);

/* Human-readable list of the devices, "index: name (type)", NULL-terminated, g_strfreev. Sets
 * *chosen to the index vks_context_new (selector) would pick (or -1). */
char **vks_list_devices (const char *selector, int *chosen, GError **error);
