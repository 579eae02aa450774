/* taming-transformers' VQModel (CompVis/taming-transformers, taming/models/vqgan.py with
 * taming/modules/diffusionmodules/model.py's Encoder / Decoder and quantize.py's
 * VectorQuantizer2) as graph builders. Parameter names are its state_dict keys
 * ("encoder.down.0.block.0.norm1.weight", "quant_conv.weight", "quantize.embedding.weight",
 * "decoder.up.1.attn.0.proj_out.bias", ...), so a converted last.ckpt loads by name
 * (tools/convert_taming.py). Images are [n][3][h][w] in [-1, 1]. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/context.h"
#include "engine/nn/graph.h"

#define VKS_ARCH_VQGAN "vqgan"
#define VKS_VQGAN_MAX_LEVELS 8

/* The ddconfig and the quantiser's sizes; metadata keys vkstyle.<field> (ch_mult and
 * attn_resolutions as comma-separated lists, double_z "false"). */
typedef struct {
  int in_channels, out_ch, ch, resolution, z_channels, num_res_blocks;
  int n_levels, ch_mult[VKS_VQGAN_MAX_LEVELS];
  int n_attn, attn_resolutions[VKS_VQGAN_MAX_LEVELS];
  int n_embed, embed_dim;
} VksVqganConfig;

/* The config of a checkpoint's metadata: vkstyle.arch "vqgan", every size in range, channel
 * counts divisible by GroupNorm's 32 groups; VKS_ERROR_CHECKPOINT naming the key otherwise. */
gboolean vks_vqgan_config_read (const VksCheckpoint *ckpt, VksVqganConfig *cfg, GError **error);
void vks_vqgan_config_write (const VksVqganConfig *cfg, VksCheckpoint *ckpt);
/* The spatial down-sampling factor, 2^(levels - 1). */
int vks_vqgan_factor (const VksVqganConfig *cfg);

typedef struct {
  VksNode z;               /* quant_conv(encoder(x)): [n][embed_dim][h/f][w/f] */
  VksNode indices;         /* [n][1][h/f][w/f], as floats */
  VksNode quantized;       /* the codes, straight-through */
  VksNode loss;            /* the codebook + commitment loss (taming's legacy beta placement) */
} VksVqganEncoded;

/* VQModel.encode on x [n][in_channels][h][w], h and w multiples of the factor. */
VksVqganEncoded vks_vqgan_encode (VksGraph *g, const VksVqganConfig *cfg, VksNode x);
/* VQModel.decode: decoder(post_quant_conv(quant)) for quant [n][embed_dim][zh][zw]. */
VksNode vks_vqgan_decode (VksGraph *g, const VksVqganConfig *cfg, VksNode quant);
/* VQModel.decode_code: the codes at indices [n][1][zh][zw], decoded. */
VksNode vks_vqgan_decode_indices (VksGraph *g, const VksVqganConfig *cfg, VksNode indices);

/* The exact tensor list (VksTensorSpec*, creation order), from the builders' parameters. */
GPtrArray *vks_vqgan_tensors (const VksVqganConfig *cfg);
/* The config, and exactly the tensors the config needs. */
gboolean vks_vqgan_check_checkpoint (const VksCheckpoint *ckpt, VksVqganConfig *cfg,
                                     GError **error);

/* Whole images through a loaded checkpoint (one plan per call): planes [c][h][w] in [-1, 1].
 * encode: indices [h/f][w/f]; decode: image [out_ch][zh*f][zw*f]; reconstruct: both ways. */
gboolean vks_vqgan_run_encode (VksContext *ctx, const VksCheckpoint *ckpt,
                               const VksVqganConfig *cfg, const float *image, int h, int w,
                               float *indices, GError **error);
gboolean vks_vqgan_run_decode (VksContext *ctx, const VksCheckpoint *ckpt,
                               const VksVqganConfig *cfg, const float *indices, int zh, int zw,
                               float *image, GError **error);
gboolean vks_vqgan_run_reconstruct (VksContext *ctx, const VksCheckpoint *ckpt,
                                    const VksVqganConfig *cfg, const float *image, int h, int w,
                                    float *out, GError **error);
