/* The process frame every vkstyle-train architecture shares: GEGL without OpenCL (image
 * loading), SIGINT / SIGTERM asking the training loop to stop and save, and the exit status. */
#pragma once
#include <glib.h>

void vks_train_begin (void);
/* TRUE once SIGINT or SIGTERM arrived: the loop stops after its step and saves. */
gboolean vks_train_interrupted (void);
/* Ends GEGL; prints "vkstyle-train: MESSAGE" when !ok. Returns the exit status: 1 on error,
 * 130 when interrupted (the state was saved), else 0. */
int vks_train_end (gboolean ok, const GError *error);

/* Parses the options of `vkstyle-train --arch ARCH` (entries end with a NULL entry; --arch
 * itself is accepted here), as one GOptionContext with that summary. */
gboolean vks_train_parse_options (const GOptionEntry *entries, const char *arch,
                                  const char *summary, int *argc, char ***argv, GError **error);
/* bad: NULL when the options agree, else the message (G_OPTION_ERROR_BAD_VALUE). */
gboolean vks_train_check_option (const char *bad, GError **error);
