/* StarGAN v2 (clovaai/stargan-v2, core/model.py) as graph builders: Generator (ResBlk encoder
 * with instance norms and average-pool down-sampling, AdainResBlk decoder with nearest
 * up-sampling, every block's sum scaled by 1/sqrt(2)), MappingNetwork (latent -> shared MLP ->
 * one head per domain), StyleEncoder and Discriminator (ResBlk stacks, one output per domain).
 *
 * One checkpoint holds the networks side by side: each parameter is `<network>.<state_dict key>`
 * with <network> the key of the official checkpoint's nested dict ("generator", "mapping_network",
 * "style_encoder", "discriminator"): generator.encode.0.conv1.weight,
 * mapping_network.unshared.2.6.bias, style_encoder.shared.3.conv1x1.weight, ... The
 * discriminator is optional (inference needs only the EMA networks). */
#pragma once
#include "engine/checkpoint.h"
#include "engine/models/cyclegan.h"   /* VksInstanceNormHook */
#include "engine/nn/graph.h"

#define VKS_ARCH_STARGAN2 "stargan_v2"
#define VKS_STARGAN2_MAX_DOMAINS 256
#define VKS_STARGAN2_MAX_IMG_SIZE 1024
/* The generator's encoder blocks at the largest img_size: log2(1024) - 4 + 2. */
#define VKS_STARGAN2_MAX_BLOCKS 8

typedef struct {
  int img_size;       /* power of two >= 32: the style encoder's and discriminator's input side */
  int style_dim;      /* 64 in the reference */
  int latent_dim;     /* 16 */
  int num_domains;
  int max_conv_dim;   /* 512 */
  /* The reference fixes these two; they are hyper-parameters here only so that test models
   * stay small. dim_in: the first convolutions' width, 2^14 / img_size; mapping_dim: the mapping
   * network's hidden width, 512. */
  int dim_in;
  int mapping_dim;
  gboolean has_discriminator;
} VksStarGan2Config;

/* The reference's defaults for img_size and num_domains (style 64, latent 16, max 512). */
void vks_stargan2_config_default (VksStarGan2Config *cfg, int img_size, int num_domains);
/* FALSE with VKS_ERROR_CHECKPOINT when a value is outside what the builders take. */
gboolean vks_stargan2_config_check (const VksStarGan2Config *cfg, GError **error);
/* The generator's down-sampling blocks, log2(img_size) - 4: inputs must be multiples of
 * 2^blocks. */
int vks_stargan2_generator_downsamplings (const VksStarGan2Config *cfg);

/* Generator(x, s): x [n][3][h][w] in [-1, 1], h and w multiples of 2^downsamplings (any size:
 * the network is fully convolutional); s the style codes [1][1][n][style_dim]. Returns
 * [n][3][h][w] (no tanh, as the reference). Parameter names are prefix + the state_dict key. */
VksNode vks_stargan2_generator (VksGraph *g, VksNode x, VksNode s, const VksStarGan2Config *cfg,
                                const char *prefix);
/* The same with every instance norm (the affine ones' and AdaIN's normalisation, act NONE and
 * no residual) made by `hook`, as vks_cyclegan_generator_hooked: the tiler's statistics modes
 * (engine/generator.c) measure, replace or correct the statistics there. */
VksNode vks_stargan2_generator_hooked (VksGraph *g, VksNode x, VksNode s,
                                       const VksStarGan2Config *cfg, const char *prefix,
                                       VksInstanceNormHook hook, gpointer hook_data);

/* The per-domain outputs of the networks below are selected by `rows`, [1][1][1][n] holding
 * i * num_domains + y_i for sample i of domain y_i (vks_stargan2_domain_rows fills it): the
 * reference's out[idx, y]. */
void vks_stargan2_domain_rows (const int *domains, int n, int num_domains, float *rows);

/* MappingNetwork(z, y): z [1][1][n][latent_dim] -> [1][1][n][style_dim]. */
VksNode vks_stargan2_mapping (VksGraph *g, VksNode z, VksNode rows, const VksStarGan2Config *cfg,
                              const char *prefix);
/* StyleEncoder(x, y): x [n][3][img_size][img_size] -> [1][1][n][style_dim]. */
VksNode vks_stargan2_style_encoder (VksGraph *g, VksNode x, VksNode rows,
                                    const VksStarGan2Config *cfg, const char *prefix);
/* Discriminator(x, y): x [n][3][img_size][img_size] -> the logits [1][1][n][1]. */
VksNode vks_stargan2_discriminator (VksGraph *g, VksNode x, VksNode rows,
                                    const VksStarGan2Config *cfg, const char *prefix);

/* ---- checkpoints (engine/models/stargan2_spec.c) ---- */

/* vkstyle.arch "stargan_v2"; vkstyle.img_size, style_dim, latent_dim, num_domains, max_conv_dim,
 * dim_in and mapping_dim (the last two default to the reference's), vkstyle.w_hpf (absent or 0:
 * the face models' high-pass path needs the reference's face-alignment network, which is not
 * ported), vkstyle.domains (comma-separated names, as many as num_domains; absent: "0", "1", ...).
 * has_discriminator: whether the file holds the discriminator's tensors. */
gboolean vks_stargan2_config_from_checkpoint (const VksCheckpoint *ckpt, VksStarGan2Config *cfg,
                                              GError **error);
void vks_stargan2_config_to_checkpoint (const VksStarGan2Config *cfg, VksCheckpoint *ckpt);
/* The domain names (num_domains of them), g_strfreev. */
char **vks_stargan2_domains (const VksCheckpoint *ckpt, const VksStarGan2Config *cfg,
                             GError **error);
/* The exact tensor list (VksTensorSpec*, names with the network prefixes), from the builders. */
GPtrArray *vks_stargan2_tensors (const VksStarGan2Config *cfg);
/* Metadata as above and exactly the tensors above. */
gboolean vks_stargan2_check_checkpoint (const VksCheckpoint *ckpt, VksStarGan2Config *cfg,
                                        GError **error);
