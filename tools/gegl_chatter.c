/* Capturing GEGL's messages during file I/O (see gegl_chatter.h). */
#include "tools/gegl_chatter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

struct VksGeglChatter {
  GMutex lock;          /* GEGL may log from its worker threads */
  GString *messages;
  GLogFunc previous_handler;
  GLogLevelFlags previous_fatal_mask;
  int saved_stderr;
  FILE *captured_stderr;
  char *failure;
  char *temp_path;
};

/* The capture in progress, for the exit handler. */
static VksGeglChatter *active;

static void
chatter_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  VksGeglChatter *chatter = data;

  if ((domain && strcmp (domain, G_LOG_DOMAIN) == 0) || (level & G_LOG_LEVEL_ERROR)) {
    g_log_default_handler (domain, level, message, NULL);
    return;
  }
  if (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
    return;
  g_mutex_lock (&chatter->lock);
  g_string_append_printf (chatter->messages, "%s\n", message);
  g_mutex_unlock (&chatter->lock);
}

static void
restore_stderr (VksGeglChatter *chatter)
{
  fflush (stderr);
  if (chatter->saved_stderr >= 0) {
    dup2 (chatter->saved_stderr, STDERR_FILENO);
    close (chatter->saved_stderr);
    chatter->saved_stderr = -1;
  }
}

static void
report_exit_during_capture (void)
{
  VksGeglChatter *chatter = active;
  if (!chatter)
    return;
  g_autofree char *failure = g_strdup (chatter->failure);
  g_autofree char *temp_path = g_strdup (chatter->temp_path);
  g_autofree char *text = vks_gegl_chatter_end (chatter);
  g_autofree char *reason = vks_gegl_chatter_reason (text);
  fprintf (stderr, "vkstyle: %s: %s\n", failure, reason ? reason : "the image library gave up");
  if (temp_path)
    g_unlink (temp_path);
}

VksGeglChatter *
vks_gegl_chatter_begin (const char *failure, const char *temp_path)
{
  static gsize exit_handler_installed = 0;
  if (g_once_init_enter (&exit_handler_installed)) {
    atexit (report_exit_during_capture);
    g_once_init_leave (&exit_handler_installed, 1);
  }
  g_return_val_if_fail (active == NULL, NULL);

  VksGeglChatter *chatter = g_new0 (VksGeglChatter, 1);
  g_mutex_init (&chatter->lock);
  chatter->messages = g_string_new (NULL);
  chatter->failure = g_strdup (failure);
  chatter->temp_path = g_strdup (temp_path);
  chatter->previous_handler = g_log_set_default_handler (chatter_log, chatter);
  /* Under G_DEBUG=fatal-warnings (as in the test suite) GEGL's expected complaints about a bad
   * file would abort us before we could report it. */
  chatter->previous_fatal_mask = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  chatter->saved_stderr = -1;
  fflush (stderr);
  chatter->captured_stderr = tmpfile ();
  if (chatter->captured_stderr) {
    chatter->saved_stderr = dup (STDERR_FILENO);
    if (chatter->saved_stderr >= 0)
      dup2 (fileno (chatter->captured_stderr), STDERR_FILENO);
  }
  active = chatter;
  return chatter;
}

char *
vks_gegl_chatter_end (VksGeglChatter *chatter)
{
  active = NULL;
  restore_stderr (chatter);
  g_log_set_default_handler (chatter->previous_handler, NULL);
  g_log_set_always_fatal (chatter->previous_fatal_mask);
  if (chatter->captured_stderr) {
    char text[4096];
    rewind (chatter->captured_stderr);
    size_t n = fread (text, 1, sizeof text - 1, chatter->captured_stderr);
    text[n] = '\0';
    g_string_append (chatter->messages, text);
    fclose (chatter->captured_stderr);
  }
  g_mutex_clear (&chatter->lock);
  g_free (chatter->failure);
  g_free (chatter->temp_path);
  char *messages = g_string_free (chatter->messages, FALSE);
  g_free (chatter);
  return messages;
}

char *
vks_gegl_chatter_reason (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *kept = g_ptr_array_new ();

  for (int i = 0; lines[i] && kept->len < 2; i++) {
    char *line = g_strstrip (lines[i]);
    /* GEGL's libpng handler prints "LIBPNG ERROR: x" and libpng adds "libpng error: x". */
    g_autofree char *lower = g_ascii_strdown (line, -1);
    const char *libpng = g_strrstr (lower, "libpng error: ");
    if (libpng)
      line += (libpng - lower) + strlen ("libpng error: ");
    gsize len = strlen (line);
    while (len > 0 && line[len - 1] == '.')
      line[--len] = '\0';
    /* GEGL's complaint about the empty result of a failed load says nothing to a user. */
    if (len == 0 || strstr (line, "Eeek") || strstr (line, "0px rectangle"))
      continue;
    gboolean seen = FALSE;
    for (guint k = 0; k < kept->len; k++)
      seen = seen || strcmp (kept->pdata[k], line) == 0;
    if (!seen)
      g_ptr_array_add (kept, line);
  }
  char *reason = NULL;
  if (kept->len > 0) {
    g_ptr_array_add (kept, NULL);
    reason = g_strjoinv ("; ", (char **) kept->pdata);
  }
  g_ptr_array_free (kept, TRUE);
  return reason;
}

gboolean
vks_gegl_chatter_reports_failure (const char *text)
{
  g_autofree char *lower = g_ascii_strdown (text, -1);
  static const char *const words[] = { "error", "fail", "unable", "cannot", "can't", "could not" };
  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    if (strstr (lower, words[i]))
      return TRUE;
  return FALSE;
}
