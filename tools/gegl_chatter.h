/* Keeping GEGL's own messages off the terminal while it reads or writes a file.
 *
 * GEGL's loaders and savers report problems with g_warning in their own log domains and, through
 * libpng/libjpeg/libtiff, by printing straight to stderr, often twice and with internal details
 * ("Eeek: processing 0px rectangle"). Between begin and end all of that is collected (stderr is
 * redirected to a temporary file) so the caller can use it as the reason in one error message of
 * its own. Messages of our own log domain and fatal errors still go through.
 *
 * Some of those libraries call exit() on a bad file (libjpeg's default error handler, which
 * gegl:jpg-load uses). If that happens between begin and end, an exit handler restores stderr,
 * prints "vkstyle: <failure>: <reason>" and deletes temp_path, so the user still gets a message
 * and no stray file. Not reentrant: one capture at a time. */
#pragma once
#include <glib.h>

typedef struct VksGeglChatter VksGeglChatter;

/* failure: what to report if the process exits during the capture ("x.jpg: cannot read image").
 * temp_path: a file to delete in that case, or NULL. Both are copied. */
VksGeglChatter *vks_gegl_chatter_begin (const char *failure, const char *temp_path);
/* Stops capturing and returns everything collected (g_free). */
char *vks_gegl_chatter_end (VksGeglChatter *chatter);

/* The one or two lines of collected text that say what went wrong, or NULL (g_free). */
char *vks_gegl_chatter_reason (const char *text);
/* Whether the collected text says something failed: a saver that fails often still leaves a
 * file behind, and its messages are the only sign. */
gboolean vks_gegl_chatter_reports_failure (const char *text);
