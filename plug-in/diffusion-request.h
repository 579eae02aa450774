/* The diffusion filters' part of a JobRequest (job.h): plain values and fixed arrays, so a
 * request copies and clears as the others' fields do. */
#pragma once
#include <glib.h>

typedef struct {
  gboolean sprites;      /* Diffusion Sprites (no region); else a variation of the region */
  char context[1024];    /* the class mix, as the PDB takes it */
  int steps;
  int sampler;           /* sprites: SpritesSampler */
  int count;             /* sprites */
  double guidance;       /* sprites */
  double strength;       /* variation: 0..1 */
} DiffusionRequest;

static inline gboolean
diffusion_request_equal (const DiffusionRequest *a, const DiffusionRequest *b)
{
  return a->sprites == b->sprites && g_strcmp0 (a->context, b->context) == 0
         && a->steps == b->steps && a->sampler == b->sampler && a->count == b->count
         && a->guidance == b->guidance && a->strength == b->strength;
}
