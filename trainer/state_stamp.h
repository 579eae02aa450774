/* The marks a graph-engine trainer's latest_state.safetensors carries, so that --resume refuses
 * a file of another architecture or of another run: vkstyle.arch (the state's kind),
 * vkstyle.run (the options that must not change, as one string) and vkstyle.step. */
#pragma once
#include "engine/checkpoint.h"

void vks_state_stamp (VksCheckpoint *state, const char *arch, const char *run, guint64 step);
/* The step of a state read from `path` (its header is enough), FALSE with VKS_ERROR_CHECKPOINT
 * unless it is a state of `arch` (what: its trainer, "vkstyle-train --arch ddpm") with a step
 * of at most max_step, saved by a run of signature `run` (both signatures in the message). */
gboolean vks_state_check_stamp (const VksCheckpoint *state, const char *path, const char *arch,
                                const char *what, const char *run, guint64 max_step,
                                guint64 *step, GError **error);
