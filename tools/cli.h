/* What the `vkstyle` subcommands share: exit codes, option parsing, error and progress output. */
#pragma once
#include <glib.h>

enum {
  VKS_EXIT_OK = 0,
  VKS_EXIT_FAILURE = 1,   /* the command ran and something went wrong (message on stderr) */
  VKS_EXIT_USAGE = 2,     /* the command line itself is wrong */
};

/* Parses the options of one subcommand. *args is an owned strv whose first element is the
 * command name; options are removed from it. --help prints and exits 0. On a usage error prints
 * the problem and a pointer to --help, and returns FALSE (exit with VKS_EXIT_USAGE). */
gboolean vks_cli_parse (const char *command, const char *parameters, const char *summary,
                        const char *description, const GOptionEntry *entries, GStrv *args);

/* "vkstyle COMMAND: message" plus the --help hint, on stderr; returns VKS_EXIT_USAGE. */
int vks_cli_usage_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* "vkstyle: message" on stderr; frees error; returns VKS_EXIT_FAILURE. */
int vks_cli_fail (GError *error);

/* A VksProgressFunc: one self-overwriting line on stderr when stderr is a terminal, silent
 * otherwise. Never cancels. Call vks_cli_progress_end when the work is over. */
gboolean vks_cli_progress (double fraction, const char *message, gpointer user_data);
void vks_cli_progress_end (void);
gboolean vks_cli_stderr_is_terminal (void);

/* OUT.png -> OUT-3.png: the name of image i of several (generate, apply --count). */
char *vks_cli_numbered_path (const char *path, int i);

/* GEGL set up quietly for one command (no OpenCL probing: we never use it for plain I/O). */
void vks_cli_gegl_init (void);

int vks_cmd_apply (GStrv *args);
int vks_cmd_generate (GStrv *args);
int vks_cmd_metrics (GStrv *args);
int vks_cmd_devices (GStrv *args);
int vks_cmd_bench (GStrv *args);
int vks_cmd_vq (GStrv *args);
int vks_cmd_vary (GStrv *args);
