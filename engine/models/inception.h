/* The FID Inception-v3 (mseitzer/pytorch-fid, src/pytorch_fid/inception.py: fid_inception_v3 with
 * its FIDInceptionA / C / E_1 / E_2 blocks, the network of TensorFlow's FID) as a graph builder.
 * Parameter names are its state_dict keys ("Conv2d_1a_3x3.conv.weight", "Mixed_5b.branch1x1.
 * bn.running_mean", ..., "fc.weight"), so pt_inception-2015-12-05-6726825d.pth converts by name
 * (tools/convert_pytorch.py inception). Inference only: batch norms use running statistics. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/context.h"
#include "engine/nn/graph.h"

#define VKS_ARCH_INCEPTION_FID "inception_v3_fid"
/* pytorch-fid's resize_input: every image goes to this size first. */
#define VKS_INCEPTION_SIZE 299
/* The smallest input the network's strides and valid convolutions take. */
#define VKS_INCEPTION_MIN_SIZE 75
#define VKS_INCEPTION_FEATURES 2048
#define VKS_INCEPTION_CLASSES 1008

typedef struct {
  VksNode pool3;            /* [1][1][n][2048]: the final average pooling, pytorch-fid's features */
  VksNode logits_unbiased;  /* [1][1][n][1008]: pool3 fc.weight^T, torch-fidelity's IS input */
  VksNode logits;           /* [1][1][n][1008]: fc(pool3) */
} VksInceptionOutputs;

/* The network on x [n][3][h][w], already in [-1, 1] (pytorch-fid's normalize_input), h and w at
 * least VKS_INCEPTION_MIN_SIZE. Builder errors are the graph's (sticky). */
VksInceptionOutputs vks_inception_fid (VksGraph *g, VksNode x);

/* The exact tensor list (VksTensorSpec*, creation order), taken from the builder's parameters. */
GPtrArray *vks_inception_tensors (void);
/* vkstyle.arch "inception_v3_fid" and exactly the tensors above. */
gboolean vks_inception_check_checkpoint (const VksCheckpoint *ckpt, GError **error);

/* pytorch-fid's input path for one image: R'G'B' floats in [0, 1] (packed, width x height)
 * resized to 299 x 299 as F.interpolate(mode="bilinear", align_corners=False) does (no
 * antialiasing), then 2x - 1; written to out as planes [3][299][299]. */
void vks_inception_prepare_image (const float *rgb, int width, int height, float *out);

/* A loaded network with one plan for batches of `batch` images. */
typedef struct VksInception VksInception;

VksInception *vks_inception_new (VksContext *ctx, const VksCheckpoint *ckpt, int batch,
                                 GError **error);
void vks_inception_free (VksInception *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksInception, vks_inception_free)
int vks_inception_batch (const VksInception *net);
/* Runs n <= batch prepared images (n x [3][299][299]) and writes pool3 [n][2048] and the
 * unbiased logits [n][1008] (either may be NULL). */
gboolean vks_inception_run (VksInception *net, const float *images, int n, float *pool3,
                            float *logits_unbiased, GError **error);
