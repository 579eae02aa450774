#include "trainer/train_frame.h"

#include <gegl.h>
#include <signal.h>

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  (void) sig;
  interrupted = 1;
}

void
vks_train_begin (void)
{
  g_setenv ("GEGL_USE_OPENCL", "no", FALSE);
  gegl_init (NULL, NULL);
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

gboolean
vks_train_interrupted (void)
{
  return interrupted != 0;
}

int
vks_train_end (gboolean ok, const GError *error)
{
  gegl_exit ();
  if (!ok) {
    g_printerr ("vkstyle-train: %s\n", error != NULL ? error->message : "failed");
    return 1;
  }
  return interrupted ? 130 : 0;
}

gboolean
vks_train_parse_options (const GOptionEntry *entries, const char *arch, const char *summary,
                         int *argc, char ***argv, GError **error)
{
  char *arch_value = NULL;
  const GOptionEntry arch_entry[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch_value, arch, "ARCH" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) oc = g_option_context_new (summary);
  g_option_context_add_main_entries (oc, arch_entry, NULL);
  g_option_context_add_main_entries (oc, entries, NULL);
  gboolean ok = g_option_context_parse (oc, argc, argv, error);
  g_free (arch_value);
  return ok;
}

gboolean
vks_train_check_option (const char *bad, GError **error)
{
  if (bad == NULL)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s", bad);
  return FALSE;
}
