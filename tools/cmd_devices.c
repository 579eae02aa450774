/* `vkstyle devices`: which Vulkan devices exist and which one vkstyle would compute on. */
#include "engine/context.h"
#include "engine/error.h"
#include "tools/cli.h"

#include <stdio.h>

int
vks_cmd_devices (GStrv *args)
{
  g_autofree char *device = NULL;
  const GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
      "Show which device this selector (index or part of a name) picks", "DEVICE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (!vks_cli_parse ("devices", "", "List the Vulkan devices; '*' marks the one vkstyle uses.",
                      "The choice: --device, else $VKSTYLE_DEVICE, else the first discrete GPU, "
                      "else the first\nintegrated GPU, else any other device (lavapipe included).",
                      entries, args))
    return VKS_EXIT_USAGE;
  if (g_strv_length (*args) > 1)
    return vks_cli_usage_error ("devices", "unexpected argument \"%s\"", (*args)[1]);

  GError *error = NULL;
  int chosen = -1;
  g_auto (GStrv) list = vks_list_devices (device, &chosen, &error);
  if (!list)
    return vks_cli_fail (error);
  for (int i = 0; list[i]; i++)
    printf ("%s %s\n", i == chosen ? "*" : " ", list[i]);

  const char *from_env = g_getenv ("VKSTYLE_DEVICE");
  const char *selector = device && *device ? device : from_env && *from_env ? from_env : NULL;
  const char *origin = device && *device ? "--device" : "VKSTYLE_DEVICE";
  if (!list[0])
    return vks_cli_fail (g_error_new (VKS_ERROR, VKS_ERROR_NO_DEVICE,
                                      "no Vulkan device found (on Debian, mesa-vulkan-drivers "
                                      "provides the CPU device lavapipe)"));
  if (chosen < 0)
    return vks_cli_fail (g_error_new (VKS_ERROR, VKS_ERROR_NO_DEVICE,
                                      "no device matches \"%s\" (%s)", selector ? selector : "",
                                      origin));
  if (selector)
    printf ("(chosen by %s=%s)\n", origin, selector);
  return VKS_EXIT_OK;
}
