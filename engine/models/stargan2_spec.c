/* StarGAN v2 checkpoints: metadata read strictly, the domain names, and the exact tensor list
 * taken from the builders themselves (so the list cannot drift from the graphs). */
#include "engine/models/stargan2.h"

#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"

#define KEY_IMG_SIZE "vkstyle.img_size"
#define KEY_STYLE_DIM "vkstyle.style_dim"
#define KEY_LATENT_DIM "vkstyle.latent_dim"
#define KEY_NUM_DOMAINS "vkstyle.num_domains"
#define KEY_MAX_CONV_DIM "vkstyle.max_conv_dim"
#define KEY_DIM_IN "vkstyle.dim_in"
#define KEY_MAPPING_DIM "vkstyle.mapping_dim"
#define KEY_W_HPF "vkstyle.w_hpf"
#define KEY_DOMAINS "vkstyle.domains"

#define MAX_WIDTH 4096
#define DISCRIMINATOR_PROBE "discriminator.main.0.weight"

void
vks_stargan2_config_default (VksStarGan2Config *cfg, int img_size, int num_domains)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->img_size = img_size;
  cfg->style_dim = 64;
  cfg->latent_dim = 16;
  cfg->num_domains = num_domains;
  cfg->max_conv_dim = 512;
  cfg->dim_in = img_size > 0 ? (1 << 14) / img_size : 0;
  cfg->mapping_dim = 512;
}

static gboolean
in_range (const char *what, int value, int lo, int hi, GError **error)
{
  if (value >= lo && value <= hi)
    return TRUE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
               "StarGAN v2 %s is %d, it must be between %d and %d", what, value, lo, hi);
  return FALSE;
}

gboolean
vks_stargan2_config_check (const VksStarGan2Config *cfg, GError **error)
{
  if (!in_range ("img_size", cfg->img_size, 32, VKS_STARGAN2_MAX_IMG_SIZE, error))
    return FALSE;
  if ((cfg->img_size & (cfg->img_size - 1)) != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "StarGAN v2 img_size is %d, it must be a power of two", cfg->img_size);
    return FALSE;
  }
  return in_range ("style_dim", cfg->style_dim, 1, MAX_WIDTH, error) &&
         in_range ("latent_dim", cfg->latent_dim, 1, MAX_WIDTH, error) &&
         in_range ("num_domains", cfg->num_domains, 1, VKS_STARGAN2_MAX_DOMAINS, error) &&
         in_range ("max_conv_dim", cfg->max_conv_dim, 1, MAX_WIDTH, error) &&
         in_range ("dim_in", cfg->dim_in, 1, MAX_WIDTH, error) &&
         in_range ("mapping_dim", cfg->mapping_dim, 1, MAX_WIDTH, error);
}

gboolean
vks_stargan2_config_from_checkpoint (const VksCheckpoint *ckpt, VksStarGan2Config *cfg,
                                     GError **error)
{
  if (!vks_metadata_check_arch (ckpt, VKS_ARCH_STARGAN2, "StarGAN v2 model", "StarGAN v2 model",
                                error))
    return FALSE;
  int w_hpf = 0;
  if (!vks_metadata_read_int (ckpt, KEY_W_HPF, 0, 0, 1000, &w_hpf, error))
    return FALSE;
  if (w_hpf != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "this StarGAN v2 model has w_hpf = %d (a face model): its high-pass path needs "
                 "the face-alignment network (FAN), which vkstyle does not include", w_hpf);
    return FALSE;
  }
  int img_size, num_domains;
  if (!vks_metadata_read_int (ckpt, KEY_IMG_SIZE, -1, 32, VKS_STARGAN2_MAX_IMG_SIZE, &img_size,
                              error) ||
      !vks_metadata_read_int (ckpt, KEY_NUM_DOMAINS, -1, 1, VKS_STARGAN2_MAX_DOMAINS,
                              &num_domains, error))
    return FALSE;
  vks_stargan2_config_default (cfg, img_size, num_domains);
  if (!vks_metadata_read_int (ckpt, KEY_STYLE_DIM, -1, 1, MAX_WIDTH, &cfg->style_dim, error) ||
      !vks_metadata_read_int (ckpt, KEY_LATENT_DIM, -1, 1, MAX_WIDTH, &cfg->latent_dim, error) ||
      !vks_metadata_read_int (ckpt, KEY_MAX_CONV_DIM, -1, 1, MAX_WIDTH, &cfg->max_conv_dim,
                              error) ||
      !vks_metadata_read_int (ckpt, KEY_DIM_IN, cfg->dim_in, 1, MAX_WIDTH, &cfg->dim_in, error) ||
      !vks_metadata_read_int (ckpt, KEY_MAPPING_DIM, cfg->mapping_dim, 1, MAX_WIDTH,
                              &cfg->mapping_dim, error))
    return FALSE;
  cfg->has_discriminator = vks_checkpoint_get_tensor (ckpt, DISCRIMINATOR_PROBE) != NULL;
  return vks_stargan2_config_check (cfg, error);
}

void
vks_stargan2_config_to_checkpoint (const VksStarGan2Config *cfg, VksCheckpoint *ckpt)
{
  vks_checkpoint_set_metadata (ckpt, "vkstyle.arch", VKS_ARCH_STARGAN2);
  vks_metadata_set_int (ckpt, KEY_IMG_SIZE, cfg->img_size);
  vks_metadata_set_int (ckpt, KEY_STYLE_DIM, cfg->style_dim);
  vks_metadata_set_int (ckpt, KEY_LATENT_DIM, cfg->latent_dim);
  vks_metadata_set_int (ckpt, KEY_NUM_DOMAINS, cfg->num_domains);
  vks_metadata_set_int (ckpt, KEY_MAX_CONV_DIM, cfg->max_conv_dim);
  vks_metadata_set_int (ckpt, KEY_DIM_IN, cfg->dim_in);
  vks_metadata_set_int (ckpt, KEY_MAPPING_DIM, cfg->mapping_dim);
  vks_metadata_set_int (ckpt, KEY_W_HPF, 0);
}

char **
vks_stargan2_domains (const VksCheckpoint *ckpt, const VksStarGan2Config *cfg, GError **error)
{
  const char *text = vks_checkpoint_get_metadata (ckpt, KEY_DOMAINS);
  if (text == NULL) {
    char **names = g_new0 (char *, cfg->num_domains + 1);
    for (int d = 0; d < cfg->num_domains; d++)
      names[d] = g_strdup_printf ("%d", d);
    return names;
  }
  g_auto (GStrv) names = g_strsplit (text, ",", -1);
  guint n = g_strv_length (names);
  if (n != (guint) cfg->num_domains) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata " KEY_DOMAINS " names %u domain%s, the model has %d", n,
                 n == 1 ? "" : "s", cfg->num_domains);
    return NULL;
  }
  for (guint i = 0; i < n; i++) {
    if (names[i][0] == '\0' || strlen (names[i]) > 256 || !g_utf8_validate (names[i], -1, NULL)) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "metadata " KEY_DOMAINS ": domain %u has an empty or invalid name", i);
      return NULL;
    }
    for (guint j = 0; j < i; j++)
      if (strcmp (names[i], names[j]) == 0) {
        g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                     "metadata " KEY_DOMAINS ": domain \"%s\" is named twice", names[i]);
        return NULL;
      }
  }
  return g_steal_pointer (&names);
}

static void
add_params (GPtrArray *specs, VksGraph *g)
{
  int n = 0;
  g_autofree VksNode *params = vks_graph_params (g, &n);
  for (int i = 0; i < n; i++) {
    VksShape s = vks_graph_shape (g, params[i]);
    int rank = vks_graph_param_rank (g, params[i]);
    int64_t d[4] = { s.n, s.c, s.h, s.w };
    vks_tensor_specs_add (specs, g_strdup (vks_graph_name (g, params[i])), rank,
                          rank > 0 ? d[4 - rank] : 0, rank > 1 ? d[5 - rank] : 0,
                          rank > 2 ? d[6 - rank] : 0, rank > 3 ? d[3] : 0);
  }
}

GPtrArray *
vks_stargan2_tensors (const VksStarGan2Config *cfg)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  int size = cfg->img_size;
  VksNode x = vks_input (g, "x", vks_shape (1, 3, size, size));
  VksNode z = vks_input (g, "z", vks_shape (1, 1, 1, cfg->latent_dim));
  VksNode rows = vks_input (g, "rows", vks_shape (1, 1, 1, 1));
  VksNode s = vks_stargan2_style_encoder (g, x, rows, cfg, "style_encoder.");
  vks_stargan2_mapping (g, z, rows, cfg, "mapping_network.");
  vks_stargan2_generator (g, x, s, cfg, "generator.");
  if (cfg->has_discriminator)
    vks_stargan2_discriminator (g, x, rows, cfg, "discriminator.");
  g_assert (vks_graph_check (g, NULL));
  GPtrArray *specs = vks_tensor_specs_new ();
  add_params (specs, g);
  return specs;
}

gboolean
vks_stargan2_check_checkpoint (const VksCheckpoint *ckpt, VksStarGan2Config *cfg, GError **error)
{
  if (!vks_stargan2_config_from_checkpoint (ckpt, cfg, error))
    return FALSE;
  g_auto (GStrv) domains = vks_stargan2_domains (ckpt, cfg, error);
  if (domains == NULL)
    return FALSE;
  g_autoptr (GPtrArray) specs = vks_stargan2_tensors (cfg);
  return vks_check_tensors (ckpt, specs, "StarGAN v2 model", "this StarGAN v2 model", error);
}
