/* Shared plumbing of the vkstyle subcommands (see cli.h). */
#include "tools/cli.h"

#include <gegl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

gboolean
vks_cli_parse (const char *command, const char *parameters, const char *summary,
               const char *description, const GOptionEntry *entries, GStrv *args)
{
  /* GOption prints "Usage: <prgname> [OPTION…] <parameters>". */
  g_autofree char *prgname = g_strdup_printf ("vkstyle %s", command);
  g_set_prgname (prgname);

  GOptionContext *context = g_option_context_new (parameters);
  g_option_context_set_summary (context, summary);
  if (description)
    g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  GError *error = NULL;
  gboolean ok = g_option_context_parse_strv (context, args, &error);
  g_option_context_free (context);
  if (!ok) {
    vks_cli_usage_error (command, "%s", error->message);
    g_error_free (error);
  }
  return ok;
}

int
vks_cli_usage_error (const char *command, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *message = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* fprintf, not g_printerr: messages may hold UTF-8 that g_printerr would mangle in a C locale. */
  fprintf (stderr, "vkstyle %s: %s\nRun 'vkstyle %s --help' for usage.\n", command, message,
           command);
  return VKS_EXIT_USAGE;
}

int
vks_cli_fail (GError *error)
{
  vks_cli_progress_end ();
  fprintf (stderr, "vkstyle: %s\n", error ? error->message : "unknown error");
  g_clear_error (&error);
  return VKS_EXIT_FAILURE;
}

gboolean
vks_cli_stderr_is_terminal (void)
{
  return isatty (STDERR_FILENO);
}

static struct {
  gboolean shown;       /* a progress line is on screen and needs erasing */
  int percent;
  char *message;
} progress_line = { FALSE, -1, NULL };

gboolean
vks_cli_progress (double fraction, const char *message, gpointer user_data)
{
  (void) user_data;
  if (!vks_cli_stderr_is_terminal ())
    return TRUE;
  int percent = (int) (CLAMP (fraction, 0.0, 1.0) * 100.0 + 0.5);
  if (!message)
    message = "";
  /* Redraw only on change: the engine may report far more often than a terminal needs. */
  if (progress_line.shown && percent == progress_line.percent &&
      g_strcmp0 (message, progress_line.message) == 0)
    return TRUE;
  progress_line.percent = percent;
  g_free (progress_line.message);
  progress_line.message = g_strdup (message);
  progress_line.shown = TRUE;
  fprintf (stderr, "\r\033[K%3d%%  %s", percent, message);
  fflush (stderr);
  return TRUE;
}

void
vks_cli_progress_end (void)
{
  if (progress_line.shown) {
    fputs ("\r\033[K", stderr);
    fflush (stderr);
  }
  progress_line.shown = FALSE;
  progress_line.percent = -1;
  g_clear_pointer (&progress_line.message, g_free);
}

void
vks_cli_gegl_init (void)
{
  g_setenv ("GEGL_USE_OPENCL", "no", FALSE);
  gegl_init (NULL, NULL);
}

char *
vks_cli_numbered_path (const char *path, int i)
{
  const char *dot = strrchr (path, '.'), *slash = strrchr (path, '/');
  if (dot == NULL || (slash != NULL && dot < slash))
    dot = path + strlen (path);
  return g_strdup_printf ("%.*s-%d%s", (int) (dot - path), path, i, dot);
}
