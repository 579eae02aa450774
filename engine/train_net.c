#include "engine/train_net.h"

#include "engine/error.h"
#include "engine/optim.h"
#include "engine/transfer.h"
#include "engine/winograd.h"

#include <string.h>

/* Column-matrix chunk cap of one convolution, as in generator.c. */
#define SCRATCH_BUDGET (64u << 20)
#define NORM_EPS 1e-5f
/* The index map stores master-parameter indices as floats while packing (below): exact up to
 * 2^24. */
#define MAX_INDEXED_FLOATS (1 << 24)

typedef struct {
  VkDeviceSize offset;
  gsize floats;
} GatherRange;

typedef struct {
  VksConv conv;
  VksConvBackward bw;
  VksNorm norm;
  VkDeviceSize w_off, b_off;  /* floats into a state region */
  gsize w_floats;
  int in_h, in_w, out_h, out_w;
} NetLayer;

struct VksTrainNet {
  VksContext *ctx;
  VksNetLayer *spec;
  NetLayer *layer;
  int n_layers, n, h, w;
  gsize region_floats;
  VksBuffer *state;        /* params | grads | m | v */
  VksBuffer *packed;       /* what the convolutions read */
  VksBuffer *index;        /* int32 per packed float: 1 + master index, 0 for a zero */
  VksBuffer *consts;       /* norm parameters (constant: the norms have no affine part) */
  gsize packed_floats;
  /* The parts of `packed` the gather writes: all but the Winograd weights, which it would only
   * zero (they are 4x the direct weights: the gather took twice as long). Byte offset, floats. */
  GArray *gather_ranges;   /* of GatherRange */
  /* in the caller's arena */
  VksTensor *grad;         /* per layer output */
  VksTensor tmp;           /* the largest gradient, for contributions that must be added */
  VkDeviceSize scratch_offset, scratch_bytes;
  VksBuffer *arena;
};

void
vks_net_layers_free (VksNetLayer *layers, int n_layers)
{
  if (layers == NULL)
    return;
  for (int i = 0; i < n_layers; i++) {
    g_free (layers[i].weight_key);
    g_free (layers[i].bias_key);
  }
  g_free (layers);
}

void
vks_train_net_free (VksTrainNet *net)
{
  if (net == NULL)
    return;
  vks_buffer_free (net->ctx, net->state);
  vks_buffer_free (net->ctx, net->packed);
  vks_buffer_free (net->ctx, net->index);
  vks_buffer_free (net->ctx, net->consts);
  vks_net_layers_free (net->spec, net->n_layers);
  if (net->gather_ranges != NULL)
    g_array_free (net->gather_ranges, TRUE);
  g_free (net->layer);
  g_free (net->grad);
  g_free (net);
}

static gsize
align4 (gsize floats)
{
  return (floats + 3) / 4 * 4;
}

static gsize
weight_floats (const VksConvDesc *d)
{
  return (gsize) d->cin * d->cout * d->kh * d->kw;
}

/* Winograd weights are a linear transform, not a permutation, of the master weights: the gather
 * skips them (their part of the map is 0) and vks_train_net_record_repack transforms them on the
 * device after it. The backward-data convolution of a plain forward reads the kernel flipped
 * (backward.c). */
static gboolean
bw_data_flipped (const NetLayer *l)
{
  return !l->bw.fwd.transposed;
}

static void
clear_winograd_weights (const VksConv *conv, guint8 *host)
{
  if (conv->algo == VKS_CONV_WINOGRAD)
    memset (host + conv->pass[0].a_offset, 0, vks_winograd_weight_floats (conv) * sizeof (float));
}

static void
skip_winograd_weights (GArray *ranges, const VksConv *conv, VkDeviceSize align)
{
  if (conv->algo != VKS_CONV_WINOGRAD)
    return;
  /* Reservations are made in increasing order and each starts aligned (so the next one starts
   * at the end rounded up): cut the last range. */
  GatherRange *last = &g_array_index (ranges, GatherRange, ranges->len - 1);
  VkDeviceSize last_end = last->offset + last->floats * sizeof (float);
  VkDeviceSize begin = conv->pass[0].a_offset;
  VkDeviceSize end = begin + vks_winograd_weight_floats (conv) * sizeof (float);
  g_return_if_fail (begin >= last->offset && end <= last_end);
  end = MIN ((end + align - 1) / align * align, last_end);
  GatherRange after = { end, (gsize) ((last_end - end) / sizeof (float)) };
  last->floats = (gsize) ((begin - last->offset) / sizeof (float));
  if (last->floats == 0)
    g_array_set_size (ranges, ranges->len - 1);
  if (after.floats > 0)
    g_array_append_val (ranges, after);
}

static GArray *
build_gather_ranges (const VksTrainNet *net)
{
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (GatherRange));
  GatherRange all = { 0, net->packed_floats };
  g_array_append_val (ranges, all);
  VkDeviceSize align = vks_buffer_alignment (net->ctx);
  for (int i = 0; i < net->n_layers && ranges->len > 0; i++) {
    skip_winograd_weights (ranges, &net->layer[i].conv, align);
    if (ranges->len > 0)
      skip_winograd_weights (ranges, &net->layer[i].bw.data, align);
  }
  return ranges;
}

/* Packs every convolution's master-parameter indices (as floats, + 1 so that 0 means "zero")
 * through the ordinary packing code, so the map follows whatever layout the algorithms use
 * (except Winograd's, above). */
static gint32 *
build_index_map (VksTrainNet *net, gsize packed_bytes)
{
  float *host = g_malloc0 (packed_bytes);
  for (int i = 0; i < net->n_layers; i++) {
    NetLayer *l = &net->layer[i];
    float *w = g_new (float, l->w_floats);
    float *b = g_new (float, l->conv.d.cout);
    for (gsize k = 0; k < l->w_floats; k++)
      w[k] = (float) (l->w_off + k + 1);
    for (int k = 0; k < l->conv.d.cout; k++)
      b[k] = (float) (l->b_off + k + 1);
    vks_conv_pack (&l->conv, w, net->spec[i].bias_key ? b : NULL, (guint8 *) host);
    vks_conv_backward_pack (&l->bw, w, (guint8 *) host);
    clear_winograd_weights (&l->conv, (guint8 *) host);
    clear_winograd_weights (&l->bw.data, (guint8 *) host);
    g_free (w);
    g_free (b);
  }
  gsize n = packed_bytes / sizeof (float);
  gint32 *map = g_new (gint32, n);
  for (gsize k = 0; k < n; k++)
    map[k] = (gint32) host[k];
  g_free (host);
  return map;
}

VksTrainNet *
vks_train_net_new (VksContext *ctx, const VksNetLayer *layers, int n_layers, int n, int h, int w,
                   GError **error)
{
  g_return_val_if_fail (n_layers > 0 && n >= 1, NULL);
  g_autoptr (VksTrainNet) net = g_new0 (VksTrainNet, 1);
  net->ctx = ctx;
  net->n_layers = n_layers;
  net->n = n;
  net->h = h;
  net->w = w;
  net->spec = g_new0 (VksNetLayer, n_layers);
  net->layer = g_new0 (NetLayer, n_layers);
  for (int i = 0; i < n_layers; i++) {
    net->spec[i] = layers[i];
    net->spec[i].weight_key = g_strdup (layers[i].weight_key);
    net->spec[i].bias_key = g_strdup (layers[i].bias_key);
  }

  VksArena packed, consts;
  vks_arena_init (&packed, ctx);
  vks_arena_init (&consts, ctx);
  gsize region = 0;
  int lh = h, lw = w;
  for (int i = 0; i < n_layers; i++) {
    const VksNetLayer *s = &net->spec[i];
    NetLayer *l = &net->layer[i];
    VksConvDesc d = s->conv;
    if (s->residual_from >= 0 && (s->residual_from > i || !s->norm)) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                   "layer %d: a residual add needs a norm and an earlier layer", i);
      return NULL;
    }
    if (!vks_conv_init (&l->conv, &d, &packed, error))
      return NULL;
    l->in_h = lh;
    l->in_w = lw;
    if (!vks_conv_output_size (&l->conv, lh, lw, &l->out_h, &l->out_w, error) ||
        !vks_conv_backward_init (&l->bw, &l->conv, lh, lw, &packed, error))
      return NULL;
    if (i > 0 && d.cin != net->spec[i - 1].conv.cout) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "layer %d takes %d channels, gets %d", i,
                   d.cin, net->spec[i - 1].conv.cout);
      return NULL;
    }
    if (s->residual_from >= 0) {
      const NetLayer *from = &net->layer[s->residual_from];
      if (from->in_h != l->out_h || from->in_w != l->out_w
          || net->spec[s->residual_from].conv.cin != d.cout) {
        g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                     "layer %d: the residual from layer %d has another shape", i, s->residual_from);
        return NULL;
      }
    }
    if (s->norm)
      vks_norm_init (&l->norm, d.cout, TRUE, FALSE, s->act, s->slope, NORM_EPS, &consts);
    lh = l->out_h;
    lw = l->out_w;
    l->w_floats = weight_floats (&d);
    l->w_off = region;
    region = align4 (region + l->w_floats);
    l->b_off = region;
    if (s->bias_key != NULL)
      region = align4 (region + d.cout);
  }
  net->region_floats = MAX (region, 4);
  net->packed_floats = packed.size / sizeof (float);
  if (net->region_floats >= MAX_INDEXED_FLOATS) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a network of %" G_GSIZE_FORMAT " parameters is too large to train here",
                 net->region_floats);
    return NULL;
  }

  VkDeviceSize region_bytes = (VkDeviceSize) net->region_floats * sizeof (float);
  net->state = vks_buffer_new (ctx, 4 * region_bytes, VKS_MEMORY_DEVICE, "training state", error);
  net->packed = net->state ? vks_buffer_new (ctx, packed.size, VKS_MEMORY_DEVICE, "packed weights",
                                             error) : NULL;
  net->index = net->packed ? vks_buffer_new (ctx, packed.size, VKS_MEMORY_DEVICE, "repack map",
                                             error) : NULL;
  net->consts = net->index ? vks_buffer_new (ctx, MAX (consts.size, 16), VKS_MEMORY_DEVICE,
                                             "norm constants", error) : NULL;
  if (net->consts == NULL)
    return NULL;
  g_autofree gint32 *map = build_index_map (net, packed.size);
  net->gather_ranges = build_gather_ranges (net);
  g_autofree guint8 *norm_host = g_malloc0 (MAX (consts.size, 16));
  for (int i = 0; i < n_layers; i++) {
    NetLayer *l = &net->layer[i];
    l->conv.weights = net->packed;
    l->bw.data.weights = net->packed;
    if (net->spec[i].norm) {
      vks_norm_pack (&l->norm, NULL, NULL, NULL, NULL, norm_host);
      l->norm.params = net->consts;
    }
  }
  if (!vks_buffer_upload (ctx, net->index, 0, map, packed.size, error) ||
      !vks_buffer_upload (ctx, net->consts, 0, norm_host, MAX (consts.size, 16), error))
    return NULL;
  return g_steal_pointer (&net);
}

VksTensor
vks_train_net_output_shape (const VksTrainNet *net)
{
  const NetLayer *l = &net->layer[net->n_layers - 1];
  return vks_tensor_shape (net->n, l->conv.d.cout, l->out_h, l->out_w);
}

gsize
vks_train_net_region_floats (const VksTrainNet *net)
{
  return net->region_floats;
}

const VksBuffer *
vks_train_net_state (const VksTrainNet *net)
{
  return net->state;
}

VkDeviceSize
vks_train_net_region_offset (const VksTrainNet *net, VksNetRegion region)
{
  return (VkDeviceSize) region * net->region_floats * sizeof (float);
}

static VksTensor
layer_out_shape (const VksTrainNet *net, int i)
{
  const NetLayer *l = &net->layer[i];
  return vks_tensor_shape (net->n, l->conv.d.cout, l->out_h, l->out_w);
}

void
vks_train_net_reserve (VksTrainNet *net, VksArena *arena)
{
  VkDeviceSize budget = MIN ((VkDeviceSize) SCRATCH_BUDGET,
                             (VkDeviceSize) net->ctx->props.limits.maxTexelBufferElements * 16);
  VkDeviceSize scratch = 16, biggest = 0;
  g_free (net->grad);
  net->grad = g_new (VksTensor, net->n_layers);
  for (int i = 0; i < net->n_layers; i++) {
    NetLayer *l = &net->layer[i];
    scratch = MAX (scratch, vks_conv_scratch_bytes (&l->conv, l->in_h, l->in_w, budget));
    scratch = MAX (scratch, vks_conv_backward_scratch_bytes (&l->bw, net->n, budget));
    net->grad[i] = layer_out_shape (net, i);
    net->grad[i].offset = vks_arena_reserve (arena, vks_tensor_bytes (&net->grad[i]));
    VksTensor in = vks_tensor_shape (net->n, l->conv.d.cin, l->in_h, l->in_w);
    biggest = MAX (biggest, MAX (vks_tensor_bytes (&in), vks_tensor_bytes (&net->grad[i])));
  }
  net->scratch_bytes = scratch;
  net->scratch_offset = vks_arena_reserve (arena, scratch);
  /* Reserved as bytes; each use reshapes it (same or fewer floats). */
  net->tmp = vks_tensor_shape (1, 1, 1, (int) (biggest / sizeof (float)));
  net->tmp.offset = vks_arena_reserve (arena, biggest);
}

void
vks_train_net_bind (VksTrainNet *net, VksBuffer *arena_buffer)
{
  net->arena = arena_buffer;
  for (int i = 0; i < net->n_layers; i++)
    net->grad[i].buf = arena_buffer;
  net->tmp.buf = arena_buffer;
}

void
vks_net_run_reserve (const VksTrainNet *net, VksNetRun *run, VksArena *arena)
{
  run->n_layers = net->n_layers;
  run->out = g_new0 (VksTensor, net->n_layers);
  run->conv_out = g_new0 (VksTensor, net->n_layers);
  for (int i = 0; i < net->n_layers; i++) {
    run->out[i] = layer_out_shape (net, i);
    run->out[i].offset = vks_arena_reserve (arena, vks_tensor_bytes (&run->out[i]));
    run->conv_out[i] = run->out[i];
    if (net->spec[i].norm)
      run->conv_out[i].offset = vks_arena_reserve (arena, vks_tensor_bytes (&run->out[i]));
  }
}

void
vks_net_run_bind (VksNetRun *run, VksBuffer *arena_buffer)
{
  for (int i = 0; i < run->n_layers; i++) {
    run->out[i].buf = arena_buffer;
    run->conv_out[i].buf = arena_buffer;
  }
}

void
vks_net_run_clear (VksNetRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->conv_out, g_free);
}

gboolean
vks_train_net_record_repack (VksRecorder *rec, VksTrainNet *net, GError **error)
{
  VkDeviceSize params = vks_train_net_region_offset (net, VKS_REGION_PARAMS);
  for (guint r = 0; r < net->gather_ranges->len; r++) {
    const GatherRange *g = &g_array_index (net->gather_ranges, GatherRange, r);
    if (!vks_gather_record (rec, net->state, params, net->region_floats, net->index, g->offset,
                            net->packed, g->offset, (long) g->floats, error))
      return FALSE;
  }
  for (int i = 0; i < net->n_layers; i++) {
    const NetLayer *l = &net->layer[i];
    if (l->conv.algo == VKS_CONV_WINOGRAD &&
        !vks_winograd_record_weights (rec, &l->conv, net->state, params, net->region_floats,
                                      l->w_off, FALSE, error))
      return FALSE;
    if (l->bw.data.algo == VKS_CONV_WINOGRAD &&
        !vks_winograd_record_weights (rec, &l->bw.data, net->state, params, net->region_floats,
                                      l->w_off, bw_data_flipped (l), error))
      return FALSE;
  }
  return TRUE;
}

static const VksTensor *
layer_input (const VksNetRun *run, int i)
{
  return i == 0 ? &run->input : &run->out[i - 1];
}

gboolean
vks_train_net_forward (VksRecorder *rec, VksTrainNet *net, VksNetRun *run, const VksTensor *x,
                       GError **error)
{
  g_return_val_if_fail (x->n == net->n && x->h == net->h && x->w == net->w
                        && x->c == net->spec[0].conv.cin, FALSE);
  run->input = *x;
  for (int i = 0; i < net->n_layers; i++) {
    const VksNetLayer *s = &net->spec[i];
    NetLayer *l = &net->layer[i];
    if (!vks_conv_forward (rec, &l->conv, layer_input (run, i), &run->conv_out[i], net->arena,
                           net->scratch_offset, net->scratch_bytes, error))
      return FALSE;
    if (s->norm) {
      const VksTensor *residual = s->residual_from >= 0 ? layer_input (run, s->residual_from) : NULL;
      if (!vks_norm_forward (rec, &l->norm, &run->conv_out[i], residual, &run->out[i], error))
        return FALSE;
    }
  }
  return TRUE;
}

/* The backward pass adds gradients into the tensor of each layer's input; the first
 * contribution is written in place, later ones go through `tmp` and an add. */
typedef struct {
  VksRecorder *rec;
  VksTrainNet *net;
  gboolean *pending;       /* per gradient tensor: holds a contribution already */
} Backward;

static VksTensor
tmp_like (const VksTrainNet *net, const VksTensor *t)
{
  VksTensor tmp = *t;
  tmp.buf = net->tmp.buf;
  tmp.offset = net->tmp.offset;
  return tmp;
}

/* Where layer i's input gradient goes (i > 0: grad[i - 1]). */
static gboolean
copy_contribution (Backward *b, const VksTensor *src, const VksTensor *dst, gboolean *pending,
                   GError **error)
{
  if (*pending)
    return vks_add_accumulate (b->rec, src, dst, error);
  vks_recorder_copy (b->rec, src->buf, src->offset, dst->buf, dst->offset, vks_tensor_bytes (src));
  *pending = TRUE;
  return TRUE;
}

gboolean
vks_train_net_backward (VksRecorder *rec, VksTrainNet *net, const VksNetRun *run,
                        const VksTensor *dy, const VksTensor *dx, gboolean dx_accumulate,
                        gboolean weight_grads, GError **error)
{
  const int L = net->n_layers;
  g_autofree gboolean *pending = g_new0 (gboolean, L + 1);   /* [i + 1] for grad[i]; [0]: dx */
  Backward b = { rec, net, pending };
  pending[0] = dx_accumulate;
  /* The output gradient comes from outside: copy it into grad[L-1], which is then modified in
   * place like every other. */
  vks_recorder_copy (rec, dy->buf, dy->offset, net->grad[L - 1].buf, net->grad[L - 1].offset,
                     vks_tensor_bytes (dy));
  for (int i = L - 1; i >= 0; i--) {
    const VksNetLayer *s = &net->spec[i];
    NetLayer *l = &net->layer[i];
    VksTensor *g = &net->grad[i];
    const VksTensor *x = layer_input (run, i);
    /* grad of the tensor layer i read: grad[i-1], or the caller's dx */
    const VksTensor *gin = i > 0 ? &net->grad[i - 1] : dx;
    if (s->residual_from >= 0) {
      int j = s->residual_from;
      const VksTensor *skip_dst = j > 0 ? &net->grad[j - 1] : dx;
      if (skip_dst != NULL && !copy_contribution (&b, g, skip_dst, &pending[j], error))
        return FALSE;
    }
    if (s->norm) {
      if (!vks_norm_backward (rec, &l->norm, &run->conv_out[i], g, g, NULL, 0, FALSE, error))
        return FALSE;
    } else if (s->conv.act != VKS_ACT_NONE) {
      if (!vks_activation_backward (rec, s->conv.act, s->conv.slope, &run->out[i], g, g, error))
        return FALSE;
    }
    if (weight_grads) {
      VkDeviceSize grads = vks_train_net_region_offset (net, VKS_REGION_GRADS);
      if (!vks_conv_backward_weight (rec, &l->bw, x, g, net->state,
                                     grads + l->w_off * sizeof (float), TRUE, net->arena,
                                     net->scratch_offset, net->scratch_bytes, error))
        return FALSE;
      if (s->bias_key != NULL &&
          !vks_conv_backward_bias (rec, g, net->state, grads + l->b_off * sizeof (float), TRUE,
                                   error))
        return FALSE;
    }
    if (gin == NULL)
      continue;
    if (!pending[i]) {
      if (!vks_conv_backward_data (rec, &l->bw, g, gin, net->arena, net->scratch_offset,
                                   net->scratch_bytes, error))
        return FALSE;
      pending[i] = TRUE;
    } else {
      VksTensor tmp = tmp_like (net, gin);
      if (!vks_conv_backward_data (rec, &l->bw, g, &tmp, net->arena, net->scratch_offset,
                                   net->scratch_bytes, error) ||
          !vks_add_accumulate (rec, &tmp, gin, error))
        return FALSE;
    }
  }
  return TRUE;
}

/* --- host side of the parameters ------------------------------------------------------- */

static void
weight_shape (const VksConvDesc *d, int64_t shape[4])
{
  shape[0] = d->transposed ? d->cin : d->cout;
  shape[1] = d->transposed ? d->cout : d->cin;
  shape[2] = d->kh;
  shape[3] = d->kw;
}

gboolean
vks_train_net_upload (VksTrainNet *net, VksNetRegion region, const VksCheckpoint *src,
                      const char *key_prefix, GError **error)
{
  g_autofree float *host = g_new0 (float, net->region_floats);
  for (int i = 0; i < net->n_layers; i++) {
    const VksNetLayer *s = &net->spec[i];
    const NetLayer *l = &net->layer[i];
    const char *keys[2] = { s->weight_key, s->bias_key };
    int64_t wshape[4];
    weight_shape (&s->conv, wshape);
    for (int k = 0; k < 2 && keys[k] != NULL; k++) {
      g_autofree char *name = g_strconcat (key_prefix ? key_prefix : "", keys[k], NULL);
      const VksCheckpointTensor *t = vks_checkpoint_get_tensor (src, name);
      gsize want = k == 0 ? l->w_floats : (gsize) s->conv.cout;
      gboolean shape_ok = t != NULL && t->n_elements == (int64_t) want
        && (k == 1 ? t->ndim == 1 : t->ndim == 4 && memcmp (t->shape, wshape, sizeof wshape) == 0);
      if (!shape_ok) {
        g_autofree char *ws = k == 0 ? vks_format_shape (4, wshape) : g_strdup_printf ("[%d]", s->conv.cout);
        g_autofree char *got = t ? vks_format_shape (t->ndim, t->shape) : NULL;
        g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "tensor %s %s%s, this network needs %s",
                     name, t ? "has shape " : "is missing", t ? got : "", ws);
        return FALSE;
      }
      memcpy (host + (k == 0 ? l->w_off : l->b_off), t->data, want * sizeof (float));
    }
  }
  return vks_buffer_upload (net->ctx, net->state, vks_train_net_region_offset (net, region), host,
                            net->region_floats * sizeof (float), error);
}

gboolean
vks_train_net_download (VksTrainNet *net, VksNetRegion region, VksCheckpoint *dst,
                        const char *key_prefix, GError **error)
{
  g_autofree float *host = g_try_new (float, net->region_floats);
  if (host == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "out of memory for the parameters");
    return FALSE;
  }
  if (!vks_buffer_download (net->ctx, net->state, vks_train_net_region_offset (net, region), host,
                            net->region_floats * sizeof (float), error))
    return FALSE;
  for (int i = 0; i < net->n_layers; i++) {
    const VksNetLayer *s = &net->spec[i];
    const NetLayer *l = &net->layer[i];
    int64_t wshape[4], bshape[1] = { s->conv.cout };
    weight_shape (&s->conv, wshape);
    g_autofree char *wname = g_strconcat (key_prefix ? key_prefix : "", s->weight_key, NULL);
    vks_checkpoint_add_tensor (dst, wname, 4, wshape, host + l->w_off);
    if (s->bias_key != NULL) {
      g_autofree char *bname = g_strconcat (key_prefix ? key_prefix : "", s->bias_key, NULL);
      vks_checkpoint_add_tensor (dst, bname, 1, bshape, host + l->b_off);
    }
  }
  return TRUE;
}

gboolean
vks_train_net_init_normal (VksTrainNet *net, float (*normal) (gpointer), gpointer rng, float std,
                           GError **error)
{
  g_autofree float *host = g_new0 (float, 4 * net->region_floats);
  for (int i = 0; i < net->n_layers && normal != NULL; i++) {
    const NetLayer *l = &net->layer[i];
    for (gsize k = 0; k < l->w_floats; k++)
      host[l->w_off + k] = normal (rng) * std;
  }
  return vks_buffer_upload (net->ctx, net->state, 0, host,
                            4 * net->region_floats * sizeof (float), error);
}
