/* A trainable network on the device: a chain of convolution layers (each optionally followed by
 * a parameter-free instance norm, an activation, and a residual add), the shape both CycleGAN
 * networks have. It owns:
 * - the master parameters in PyTorch layout (each layer's weight then bias, at aligned offsets)
 *   with their gradients and Adam moments: four equal regions of one `state` buffer, so one
 *   Adam dispatch updates a whole network;
 * - the packed weights the forward and backward convolutions read, re-derived from the master
 *   parameters on the device (vks_train_net_record_repack) by one gather dispatch through an
 *   index map built once on the host — packing is a permutation (with zeros) of the master
 *   weights for every convolution algorithm but Winograd — then one weight-transform dispatch
 *   per Winograd convolution (3x3 stride 1: the forward and its input gradient);
 * - per-size backward convolutions and a gradient set (one tensor per layer output), reserved in
 *   the caller's activation arena.
 * Each application of the net to an input is a VksNetRun holding that application's activations,
 * so a network used several times in one step (CycleGAN's generators are used three times) keeps
 * every application for its backward pass. Nothing here waits for the device. */
#pragma once
#include "engine/backward.h"
#include "engine/checkpoint.h"

typedef struct {
  char *weight_key;        /* state_dict name, e.g. "model.1.weight" */
  char *bias_key;          /* NULL: no bias */
  VksConvDesc conv;        /* conv.act is fused into the convolution (layers without norm) */
  gboolean norm;           /* instance norm without affine parameters after the convolution */
  VksActivation act;       /* after the norm (layers with norm) */
  float slope;
  int residual_from;       /* >= 0: the input of that layer is added after the norm */
} VksNetLayer;

typedef enum {
  VKS_REGION_PARAMS = 0,
  VKS_REGION_GRADS = 1,
  VKS_REGION_ADAM_M = 2,
  VKS_REGION_ADAM_V = 3,
} VksNetRegion;

typedef struct VksTrainNet VksTrainNet;

typedef struct {
  VksTensor input;         /* the tensor the run read (not owned) */
  VksTensor *conv_out;     /* per layer; the same as out[i] for layers without norm */
  VksTensor *out;          /* per layer; out[n_layers - 1] is the net's output */
  int n_layers;
} VksNetRun;

/* Layers are copied. Batch n, input n x layers[0].conv.cin x h x w. Allocates the parameter
 * state, packed-weight, index and constant buffers (the activation side is the caller's arena). */
VksTrainNet *vks_train_net_new (VksContext *ctx, const VksNetLayer *layers, int n_layers, int n,
                                int h, int w, GError **error);
void vks_train_net_free (VksTrainNet *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksTrainNet, vks_train_net_free)

void vks_net_layers_free (VksNetLayer *layers, int n_layers);

/* Output shape of one run (buf unset). */
VksTensor vks_train_net_output_shape (const VksTrainNet *net);
/* Floats in each state region (a multiple of 4). */
gsize vks_train_net_region_floats (const VksTrainNet *net);
const VksBuffer *vks_train_net_state (const VksTrainNet *net);
VkDeviceSize vks_train_net_region_offset (const VksTrainNet *net, VksNetRegion region);

/* Arena side: the gradient set and the scratch (once per net), and each run's activations. Call
 * vks_train_net_bind / vks_net_run_bind once the arena's buffer exists. */
void vks_train_net_reserve (VksTrainNet *net, VksArena *arena);
void vks_train_net_bind (VksTrainNet *net, VksBuffer *arena_buffer);
void vks_net_run_reserve (const VksTrainNet *net, VksNetRun *run, VksArena *arena);
void vks_net_run_bind (VksNetRun *run, VksBuffer *arena_buffer);
void vks_net_run_clear (VksNetRun *run);
static inline const VksTensor *
vks_net_run_output (const VksNetRun *run)
{
  return &run->out[run->n_layers - 1];
}

/* packed weights <- master parameters (after every optimiser step, before the next forward). */
gboolean vks_train_net_record_repack (VksRecorder *rec, VksTrainNet *net, GError **error);
/* Forward of one run from x (shape n x cin x h x w, kept in run->input for the backward). */
gboolean vks_train_net_forward (VksRecorder *rec, VksTrainNet *net, VksNetRun *run,
                                const VksTensor *x, GError **error);
/* Backward of one run from dy (gradient of its output). With weight_grads the parameter
 * gradients are added to the GRADS region (clear it at the start of a step); dx (may be NULL)
 * receives the input gradient, added to what it holds when dx_accumulate. */
gboolean vks_train_net_backward (VksRecorder *rec, VksTrainNet *net, const VksNetRun *run,
                                 const VksTensor *dy, const VksTensor *dx, gboolean dx_accumulate,
                                 gboolean weight_grads, GError **error);

/* Host side of the parameters (PyTorch layouts, keys as in the layers). These wait for the
 * device. `region` chooses master weights or a moment. */
gboolean vks_train_net_upload (VksTrainNet *net, VksNetRegion region, const VksCheckpoint *src,
                               const char *key_prefix, GError **error);
/* Adds every parameter of `region` to dst as "<key_prefix><key>". */
gboolean vks_train_net_download (VksTrainNet *net, VksNetRegion region, VksCheckpoint *dst,
                                 const char *key_prefix, GError **error);
/* Fills the master weights: conv weights N(0, std) from `normal` (called once per weight, in
 * layer order), biases 0, moments 0 — pytorch-CycleGAN-and-pix2pix's init_weights('normal').
 * normal NULL: everything 0 (before uploading weights from a file). */
gboolean vks_train_net_init_normal (VksTrainNet *net, float (*normal) (gpointer), gpointer rng,
                                    float std, GError **error);
