/* `vkstyle`: the command-line front end of the engine. This file only dispatches to the
 * subcommands (cmd_*.c, bench.c). */
#include "config.h"
#include "tools/cli.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  const char *summary;
  int (*run) (GStrv *args);
} VksCommand;

static const VksCommand commands[] = {
  { "apply", "Stylize an image file with a style model", vks_cmd_apply },
  { "generate", "Images or textures from a GAN generator", vks_cmd_generate },
  { "vary", "A variation of an image by a diffusion model", vks_cmd_vary },
  { "metrics", "FID / KID / Inception Score of image folders", vks_cmd_metrics },
  { "vq", "VQGAN codes: encode, decode, reconstruct, sample", vks_cmd_vq },
  { "devices", "List the Vulkan devices and show which one is used", vks_cmd_devices },
  { "bench", "Time a style model on a random image", vks_cmd_bench },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage:\n  vkstyle COMMAND [OPTION...]\n\n"
                "Neural style transfer on any Vulkan device, CPU (lavapipe) included.\n\n"
                "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nOptions:\n"
                "  -h, --help     Show this help\n"
                "  --version      Show the version\n\n"
                "Run 'vkstyle COMMAND --help' for the options of a command.\n"
                "Environment: VKSTYLE_DEVICE chooses the device (index or part of its name),\n"
                "VKSTYLE_VALIDATE=1 enables the Vulkan validation layer.\n");
}

static const VksCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static int
run_command (const VksCommand *command, int argc, char **argv)
{
  /* The subcommand's parser sees "COMMAND ARGS...", as if it were a program of its own. */
  GStrv args = g_new0 (char *, argc + 2);
  args[0] = g_strdup (command->name);
  for (int i = 0; i < argc; i++)
    args[i + 1] = g_strdup (argv[i]);
  int status = command->run (&args);
  g_strfreev (args);
  return status;
}

int
main (int argc, char **argv)
{
  /* The user's language and charset for GLib's messages, but '.' decimals always: bench output
   * is read by scripts. */
  setlocale (LC_ALL, "");
  setlocale (LC_NUMERIC, "C");
  g_set_prgname ("vkstyle");
  if (argc < 2) {
    print_usage (stderr);
    return VKS_EXIT_USAGE;
  }
  const char *word = argv[1];
  if (strcmp (word, "--help") == 0 || strcmp (word, "-h") == 0 || strcmp (word, "help") == 0) {
    /* "vkstyle help apply" is "vkstyle apply --help". */
    const VksCommand *command = argc > 2 ? find_command (argv[2]) : NULL;
    if (command) {
      char *help[] = { "--help" };
      return run_command (command, 1, help);
    }
    print_usage (stdout);
    return VKS_EXIT_OK;
  }
  if (strcmp (word, "--version") == 0 || strcmp (word, "-V") == 0) {
    printf ("vkstyle %s\n", VKSTYLE_VERSION);
    return VKS_EXIT_OK;
  }
  const VksCommand *command = find_command (word);
  if (!command) {
    fprintf (stderr, "vkstyle: unknown command \"%s\"\nRun 'vkstyle --help' for the commands.\n",
             word);
    return VKS_EXIT_USAGE;
  }
  return run_command (command, argc - 2, argv + 2);
}
