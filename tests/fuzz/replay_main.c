/* Without libFuzzer (gcc builds, or -Dfuzz=false): feeds each file named on the command line, or
 * each file in a folder named there, to the harness once. A regression test for the corpus. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
replay_file (const char *path, guint *count)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return FALSE;
    }
  /* An exact-size copy, so that a sanitizer build sees any read past the end. */
  uint8_t *exact = g_memdup2 (contents, length);
  LLVMFuzzerTestOneInput (exact, length);
  g_free (exact);
  (*count)++;
  return TRUE;
}

int
main (int argc, char **argv)
{
  guint count = 0;
  gboolean ok = argc > 1;
  for (int i = 1; i < argc; i++)
    {
      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          ok = replay_file (argv[i], &count) && ok;
          continue;
        }
      g_autoptr (GError) error = NULL;
      GDir *dir = g_dir_open (argv[i], 0, &error);
      if (dir == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          ok = FALSE;
          continue;
        }
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          ok = replay_file (path, &count) && ok;
        }
      g_dir_close (dir);
    }
  printf ("replayed %u input(s)\n", count);
  return ok && count > 0 ? 0 : 1;
}
