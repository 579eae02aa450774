/* minGPT's key/value cache (see mingpt_cache.h). */
#include "engine/models/mingpt_cache.h"

#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/nn/param_store.h"
#include "engine/nn/plan.h"

#define PRIOR "gpt."
#define CACHE "kv."

/* One-token passes that cost about as much as one whole-window pass. A step reads every weight
 * for one row, the window pass for all rows at once, so on lavapipe both are mostly dispatch
 * overhead at the window sizes of the priors here (measured, docs/architecture.md "VQGAN"):
 * more than this many positions to compute and the whole window is cheaper. */
#define STEPS_PER_WINDOW_PASS 4

/* A plan and the nodes its tail copies into the cache. */
typedef struct {
  VksGraph *g;
  VksPlan *plan;
  VksNode *keys, *values;   /* n_layer each */
  VksNode logits;
  struct VksMinGptCache *cache;
} Pass;

struct VksMinGptCache {
  VksMinGptConfig cfg;
  int tokens;
  VksParamStore *store;
  VkDeviceSize *key_at, *value_at;   /* the cache rows' places in the store, per layer */
  Pass whole, step;
  VksNode window_in;
  VksMinGptStep st;
  float *keep, *at, *bias, *whole_logits;
  float *cached;            /* the tokens whose keys and values the cache holds ... */
  int valid;                /* ... at positions [0, valid) */
  int n_whole, n_steps;
};

static void
pass_clear (Pass *p)
{
  g_clear_pointer (&p->plan, vks_plan_free);
  g_clear_pointer (&p->g, vks_graph_free);
  g_clear_pointer (&p->keys, g_free);
  g_clear_pointer (&p->values, g_free);
}

void
vks_mingpt_cache_free (VksMinGptCache *cache)
{
  if (cache == NULL)
    return;
  pass_clear (&cache->whole);
  pass_clear (&cache->step);
  vks_param_store_free (cache->store);
  g_free (cache->key_at);
  g_free (cache->value_at);
  g_free (cache->keep);
  g_free (cache->at);
  g_free (cache->bias);
  g_free (cache->whole_logits);
  g_free (cache->cached);
  g_free (cache);
}

/* After the pass's nodes, in the same submission: its keys and values into the cache. */
static gboolean
copy_to_cache (VksPlan *plan, VksRecorder *rec, gpointer data, GError **error)
{
  (void) error;
  Pass *p = data;
  VksMinGptCache *c = p->cache;
  VkDeviceSize rows = (VkDeviceSize) c->tokens * c->cfg.n_embd * sizeof (float);
  const VksBuffer *store = vks_param_store_buffer (c->store);
  for (int l = 0; l < c->cfg.n_layer; l++) {
    const VksBuffer *buf;
    VkDeviceSize offset, bytes;
    vks_plan_storage (plan, p->keys[l], &buf, &offset, &bytes);
    vks_recorder_copy (rec, buf, offset, store, c->key_at[l], rows);
    vks_plan_storage (plan, p->values[l], &buf, &offset, &bytes);
    vks_recorder_copy (rec, buf, offset, store, c->value_at[l], rows);
  }
  return TRUE;
}

static gboolean
plan_pass (VksContext *ctx, VksMinGptCache *c, Pass *p, GError **error)
{
  int n_layer = c->cfg.n_layer;
  g_autofree VksNode *outs = g_new (VksNode, 1 + 2 * (gsize) n_layer);
  outs[0] = p->logits;
  memcpy (outs + 1, p->keys, n_layer * sizeof *outs);
  memcpy (outs + 1 + n_layer, p->values, n_layer * sizeof *outs);
  VksPlanOptions o = { .params = c->store, .readback = &p->logits, .n_readback = 1,
                       .tail = copy_to_cache, .tail_data = p };
  p->cache = c;
  p->plan = vks_plan_new (ctx, p->g, outs, 1 + 2 * n_layer, &o, error);
  return p->plan != NULL;
}

static VksNode
input (VksGraph *g, const char *name, int h, int w)
{
  return vks_input (g, name, vks_shape (1, 1, h, w));
}

/* The two graphs; FALSE with the builder's error. */
static gboolean
build (VksMinGptCache *c, GError **error)
{
  int n_layer = c->cfg.n_layer, t = c->tokens;
  Pass *w = &c->whole, *s = &c->step;
  w->g = vks_graph_new ();
  w->keys = g_new (VksNode, n_layer);
  w->values = g_new (VksNode, n_layer);
  c->window_in = input (w->g, "idx", 1, t);
  w->logits = vks_mingpt_logits_kv (w->g, &c->cfg, PRIOR, c->window_in, w->keys, w->values);
  s->g = vks_graph_new ();
  s->keys = g_new (VksNode, n_layer);
  s->values = g_new (VksNode, n_layer);
  c->st = (VksMinGptStep) {
    .tokens = t, .token = input (s->g, "token", 1, 1), .position = input (s->g, "position", 1, 1),
    .keep = input (s->g, "keep", t, 1), .at = input (s->g, "at", t, 1),
    .bias = input (s->g, "bias", 1, t), .cache_prefix = CACHE,
  };
  s->logits = vks_mingpt_step_logits (s->g, &c->cfg, PRIOR, &c->st, s->keys, s->values);
  return vks_graph_check (w->g, error) && vks_graph_check (s->g, error);
}

static gboolean
find_rows (VksMinGptCache *c, GError **error)
{
  c->key_at = g_new (VkDeviceSize, c->cfg.n_layer);
  c->value_at = g_new (VkDeviceSize, c->cfg.n_layer);
  for (int l = 0; l < c->cfg.n_layer; l++) {
    g_autofree char *kn = g_strdup_printf (CACHE "%d.key", l);
    g_autofree char *vn = g_strdup_printf (CACHE "%d.value", l);
    int ki = vks_param_store_find (c->store, kn), vi = vks_param_store_find (c->store, vn);
    if (ki < 0 || vi < 0) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "mingpt cache: no %s in the store", kn);
      return FALSE;
    }
    c->key_at[l] = vks_param_store_offset (c->store, ki);
    c->value_at[l] = vks_param_store_offset (c->store, vi);
  }
  return TRUE;
}

VksMinGptCache *
vks_mingpt_cache_new (VksContext *ctx, const VksCheckpoint *ckpt, const VksMinGptConfig *cfg,
                      int tokens, GError **error)
{
  if (tokens < 1 || tokens > cfg->block_size) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "mingpt cache: a window of %d tokens "
                 "(1 to the block size %d)", tokens, cfg->block_size);
    return NULL;
  }
  g_autoptr (VksMinGptCache) c = g_new0 (VksMinGptCache, 1);
  c->cfg = *cfg;
  c->tokens = tokens;
  if (!build (c, error))
    return NULL;
  VksGraph *graphs[] = { c->whole.g, c->step.g };
  c->store = vks_param_store_new (ctx, graphs, 2, error);
  /* zero-filled: rows not yet written are finite, so keep's 0 * row is 0 */
  if (c->store == NULL || !vks_param_store_ready (c->store, error) ||
      !vks_param_store_load (c->store, ckpt, PRIOR, error) || !find_rows (c, error) ||
      !plan_pass (ctx, c, &c->whole, error) || !plan_pass (ctx, c, &c->step, error))
    return NULL;
  c->keep = g_new (float, tokens);
  c->at = g_new (float, tokens);
  c->bias = g_new (float, tokens);
  c->whole_logits = g_new (float, (gsize) tokens * cfg->vocab_size);
  c->cached = g_new0 (float, tokens);
  return g_steal_pointer (&c);
}

int
vks_mingpt_cache_tokens (const VksMinGptCache *cache)
{
  return cache->tokens;
}

void
vks_mingpt_cache_counts (const VksMinGptCache *cache, int *whole, int *steps)
{
  *whole = cache->n_whole;
  *steps = cache->n_steps;
}

static gboolean
run_whole (VksMinGptCache *c, const float *window, int at, float *logits, GError **error)
{
  Pass *w = &c->whole;
  int vocab = c->cfg.vocab_size;
  if (!vks_plan_set (w->plan, c->window_in, window, error) || !vks_plan_run (w->plan, error) ||
      !vks_plan_get (w->plan, w->logits, c->whole_logits, error))
    return FALSE;
  memcpy (logits, c->whole_logits + (gsize) at * vocab, vocab * sizeof *logits);
  memcpy (c->cached, window, c->tokens * sizeof *window);
  c->valid = c->tokens;
  c->n_whole++;
  return TRUE;
}

static gboolean
run_step (VksMinGptCache *c, const float *window, int p, float *logits, GError **error)
{
  Pass *s = &c->step;
  for (int j = 0; j < c->tokens; j++) {
    c->keep[j] = j < p ? 1.0f : 0.0f;
    c->at[j] = j == p ? 1.0f : 0.0f;
    c->bias[j] = j <= p ? 0.0f : -INFINITY;
  }
  float position = (float) p;
  if (!vks_plan_set (s->plan, c->st.token, window + p, error) ||
      !vks_plan_set (s->plan, c->st.position, &position, error) ||
      !vks_plan_set (s->plan, c->st.keep, c->keep, error) ||
      !vks_plan_set (s->plan, c->st.at, c->at, error) ||
      !vks_plan_set (s->plan, c->st.bias, c->bias, error) || !vks_plan_run (s->plan, error) ||
      !vks_plan_get (s->plan, s->logits, logits, error))
    return FALSE;
  c->cached[p] = window[p];
  c->valid = p + 1;
  c->n_steps++;
  return TRUE;
}

gboolean
vks_mingpt_cache_logits (VksMinGptCache *c, const float *window, int at, float *logits,
                         GError **error)
{
  if (at < 0 || at >= c->tokens) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "mingpt cache: position %d of a window of "
                 "%d", at, c->tokens);
    return FALSE;
  }
  /* the positions whose tokens, and so keys and values, are those of the cache */
  int same = 0;
  while (same < MIN (c->valid, at) && c->cached[same] == window[same])
    same++;
  /* a run that fails may have written some rows: only those before it stay known */
  if (at + 1 - same > STEPS_PER_WINDOW_PASS) {
    c->valid = 0;
    return run_whole (c, window, at, logits, error);
  }
  c->valid = same;
  for (int p = same; p <= at; p++)
    if (!run_step (c, window, p, p == at ? logits : c->whole_logits, error))
      return FALSE;
  return TRUE;
}
