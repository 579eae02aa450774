#include "trainer/state_stamp.h"

#include "engine/error.h"

void
vks_state_stamp (VksCheckpoint *state, const char *arch, const char *run, guint64 step)
{
  g_autofree char *steps = g_strdup_printf ("%" G_GUINT64_FORMAT, step);
  vks_checkpoint_set_metadata (state, "vkstyle.arch", arch);
  vks_checkpoint_set_metadata (state, "vkstyle.run", run);
  vks_checkpoint_set_metadata (state, "vkstyle.step", steps);
}

gboolean
vks_state_check_stamp (const VksCheckpoint *state, const char *path, const char *arch,
                       const char *what, const char *run, guint64 max_step, guint64 *step,
                       GError **error)
{
  if (g_strcmp0 (vks_checkpoint_get_metadata (state, "vkstyle.arch"), arch) != 0 ||
      !g_ascii_string_to_unsigned (vks_checkpoint_get_metadata (state, "vkstyle.step"), 10, 0,
                                   max_step, step, NULL)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "%s is not a %s state of at most %" G_GUINT64_FORMAT " steps",
                 path, what, max_step);
    return FALSE;
  }
  const char *saved = vks_checkpoint_get_metadata (state, "vkstyle.run");
  if (g_strcmp0 (saved, run) != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "%s was saved by another run (%s); this one is %s", path, saved, run);
    return FALSE;
  }
  return TRUE;
}
