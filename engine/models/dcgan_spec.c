/* DCGAN / InfoGAN metadata and tensor lists, and the layer table both they and the builders
 * read (dcgan_layers.h). The table follows PyTorch examples/dcgan/main.py: a Sequential `main`
 * of (ConvTranspose2d, BatchNorm2d, ReLU) stages for the generator, (Conv2d, norm, LeakyReLU)
 * for the discriminator, every convolution without a bias. At image_size 64 the indices are the
 * example's; 32 and 128 drop or add one stage at the wide end (docs/checkpoints.md). */
#include "engine/models/dcgan_layers.h"

#include <string.h>

#include "engine/error.h"

#define KEY_ARCH "vkstyle.arch"
#define KEY_NZ "vkstyle.nz"
#define KEY_NGF "vkstyle.ngf"
#define KEY_NDF "vkstyle.ndf"
#define KEY_NC "vkstyle.nc"
#define KEY_IMAGE_SIZE "vkstyle.image_size"
#define KEY_D_NORM "vkstyle.d_norm"
#define KEY_N_CATEGORIES "vkstyle.n_categories"
#define KEY_N_CONTINUOUS "vkstyle.n_continuous"
#define KEY_CATEGORY_NAME "vkstyle.category_name"
#define KEY_CONTINUOUS_NAMES "vkstyle.continuous_names"

#define MAX_WIDTH 1024           /* nz, ngf, ndf */
#define MAX_CATEGORIES 1024

static const char *const norm_names[] = { "batch", "none", "layer" };

void
vks_gan_config_default (VksGanConfig *cfg, VksGanArch arch)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->arch = arch;
  cfg->nz = 100;
  cfg->ngf = cfg->ndf = 64;
  cfg->nc = 3;
  cfg->image_size = 64;
  cfg->d_norm = VKS_CRITIC_NORM_BATCH;
  if (arch == VKS_GAN_INFOGAN) {
    cfg->n_categories = 10;
    cfg->n_continuous = 2;
  }
}

int
vks_gan_latent_size (const VksGanConfig *cfg)
{
  return cfg->nz + cfg->n_categories + cfg->n_continuous;
}

int
vks_gan_stages (int image_size)
{
  switch (image_size) {
  case 32: return 3;
  case 64: return 4;
  case 128: return 5;
  default: return 0;
  }
}

static VksGanLayer *
add_layer (VksGanLayer *layers, int *n, const char *conv, int cin, int cout, int kernel,
           int stride, int pad, int out_size, VksGanAct act, VksGanRole role)
{
  VksGanLayer *l = &layers[(*n)++];
  memset (l, 0, sizeof *l);
  g_strlcpy (l->conv, conv, sizeof l->conv);
  l->cin = cin;
  l->cout = cout;
  l->kernel = kernel;
  l->stride = stride;
  l->pad = pad;
  l->out_h = l->out_w = out_size;
  l->act = act;
  l->role = role;
  return l;
}

static void
set_norm (VksGanLayer *l, const char *module, VksCriticNorm kind)
{
  if (kind == VKS_CRITIC_NORM_NONE)
    return;
  g_strlcpy (l->norm, module, sizeof l->norm);
  l->norm_kind = kind;
}

int
vks_gan_generator_layers (const VksGanConfig *cfg, VksGanLayer *layers)
{
  int stages = vks_gan_stages (cfg->image_size), n = 0;
  if (stages == 0)
    return 0;
  char conv[24], norm[24];
  for (int i = 0; i < stages; i++) {
    g_snprintf (conv, sizeof conv, "main.%d", 3 * i);
    g_snprintf (norm, sizeof norm, "main.%d", 3 * i + 1);
    /* the first stage turns each latent into a 4x4 patch (stride 1, no padding), the others
     * double the size */
    VksGanLayer *l = add_layer (layers, &n, conv, i == 0 ? vks_gan_latent_size (cfg)
                                                         : cfg->ngf << (stages - i),
                                cfg->ngf << (stages - 1 - i), 4, i == 0 ? 1 : 2, i == 0 ? 0 : 1,
                                4 << i, VKS_GAN_ACT_RELU, VKS_GAN_ROLE_CHAIN);
    l->transposed = TRUE;
    set_norm (l, norm, VKS_CRITIC_NORM_BATCH);
  }
  g_snprintf (conv, sizeof conv, "main.%d", 3 * stages);
  add_layer (layers, &n, conv, cfg->ngf, cfg->nc, 4, 2, 1, cfg->image_size, VKS_GAN_ACT_TANH,
             VKS_GAN_ROLE_CHAIN)->transposed = TRUE;
  return n;
}

int
vks_gan_discriminator_layers (const VksGanConfig *cfg, VksGanLayer *layers)
{
  int stages = vks_gan_stages (cfg->image_size), n = 0;
  if (stages == 0)
    return 0;
  /* Without a norm the Sequential simply has no norm modules: (Conv2d, LeakyReLU) pairs. */
  gboolean normed = cfg->d_norm != VKS_CRITIC_NORM_NONE;
  int per_stage = normed ? 3 : 2;
  char conv[24], norm[24];
  add_layer (layers, &n, "main.0", cfg->nc, cfg->ndf, 4, 2, 1, cfg->image_size / 2,
             VKS_GAN_ACT_LEAKY, VKS_GAN_ROLE_CHAIN);
  for (int j = 1; j < stages; j++) {
    int index = 2 + per_stage * (j - 1);
    g_snprintf (conv, sizeof conv, "main.%d", index);
    g_snprintf (norm, sizeof norm, "main.%d", index + 1);
    VksGanLayer *l = add_layer (layers, &n, conv, cfg->ndf << (j - 1), cfg->ndf << j, 4, 2, 1,
                                cfg->image_size >> (j + 1), VKS_GAN_ACT_LEAKY,
                                VKS_GAN_ROLE_CHAIN);
    set_norm (l, norm, cfg->d_norm);
  }
  int body = cfg->ndf << (stages - 1);
  gboolean info = cfg->arch == VKS_GAN_INFOGAN;
  g_snprintf (conv, sizeof conv, "main.%d", 2 + per_stage * (stages - 1));
  add_layer (layers, &n, info ? "head_d" : conv, body, 1, 4, 1, 0, 1, VKS_GAN_ACT_NONE,
             VKS_GAN_ROLE_HEAD_D);
  if (!info)
    return n;
  VksGanLayer *q = add_layer (layers, &n, "head_q.0", body, VKS_INFOGAN_Q_HIDDEN, 4, 1, 0, 1,
                              VKS_GAN_ACT_LEAKY, VKS_GAN_ROLE_Q_HIDDEN);
  set_norm (q, "head_q.1", cfg->d_norm);
  const struct { const char *name; int n; VksGanRole role; } outs[] = {
    { "q_logits", cfg->n_categories, VKS_GAN_ROLE_Q_LOGITS },
    { "q_mean", cfg->n_continuous, VKS_GAN_ROLE_Q_MEAN },
    { "q_logvar", cfg->n_continuous, VKS_GAN_ROLE_Q_LOGVAR },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (outs); i++)
    if (outs[i].n > 0)
      add_layer (layers, &n, outs[i].name, VKS_INFOGAN_Q_HIDDEN, outs[i].n, 1, 1, 0, 1,
                 VKS_GAN_ACT_NONE, outs[i].role)->bias = TRUE;
  return n;
}

static GPtrArray *
layer_tensors (const VksGanLayer *layers, int n)
{
  GPtrArray *specs = vks_tensor_specs_new ();
  for (int i = 0; i < n; i++) {
    const VksGanLayer *l = &layers[i];
    /* ConvTranspose2d weights are [in, out, k, k] */
    vks_tensor_specs_add (specs, g_strdup_printf ("%s.weight", l->conv), 4,
                          l->transposed ? l->cin : l->cout, l->transposed ? l->cout : l->cin,
                          l->kernel, l->kernel);
    if (l->bias)
      vks_tensor_specs_add (specs, g_strdup_printf ("%s.bias", l->conv), 1, l->cout, 0, 0, 0);
    if (l->norm[0] == '\0')
      continue;
    if (l->norm_kind == VKS_CRITIC_NORM_LAYER) {
      for (int k = 0; k < 2; k++)
        vks_tensor_specs_add (specs, g_strdup_printf ("%s.%s", l->norm, k ? "bias" : "weight"),
                              3, l->cout, l->out_h, l->out_w, 0);
      continue;
    }
    static const char *const bn[] = { "weight", "bias", "running_mean", "running_var" };
    for (gsize k = 0; k < G_N_ELEMENTS (bn); k++)
      vks_tensor_specs_add (specs, g_strdup_printf ("%s.%s", l->norm, bn[k]), 1, l->cout, 0, 0,
                            0);
  }
  return specs;
}

GPtrArray *
vks_gan_generator_tensors (const VksGanConfig *cfg)
{
  VksGanLayer layers[VKS_GAN_MAX_LAYERS];
  return layer_tensors (layers, vks_gan_generator_layers (cfg, layers));
}

GPtrArray *
vks_gan_discriminator_tensors (const VksGanConfig *cfg)
{
  VksGanLayer layers[VKS_GAN_MAX_LAYERS];
  return layer_tensors (layers, vks_gan_discriminator_layers (cfg, layers));
}

static gboolean
read_arch (const VksCheckpoint *ckpt, VksGanArch *arch, GError **error)
{
  const char *found = vks_checkpoint_get_metadata (ckpt, KEY_ARCH);
  if (found != NULL && strcmp (found, VKS_ARCH_INFOGAN) == 0) {
    *arch = VKS_GAN_INFOGAN;
    return TRUE;
  }
  *arch = VKS_GAN_DCGAN;
  return vks_metadata_check_arch (ckpt, VKS_ARCH_DCGAN, "GAN model", "DCGAN or InfoGAN model",
                                  error);
}

static gboolean
read_d_norm (const VksCheckpoint *ckpt, VksCriticNorm *norm, GError **error)
{
  const char *s = vks_checkpoint_get_metadata (ckpt, KEY_D_NORM);
  *norm = VKS_CRITIC_NORM_BATCH;
  if (s == NULL)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (norm_names); i++)
    if (strcmp (s, norm_names[i]) == 0) {
      *norm = (VksCriticNorm) i;
      return TRUE;
    }
  g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
               "metadata " KEY_D_NORM " is \"%s\", expected \"batch\", \"none\" or \"layer\"", s);
  return FALSE;
}

static gboolean
read_name (const char *key, const char *s, char *out, gsize size, GError **error)
{
  if (strlen (s) >= size) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata %s: the name \"%s\" is longer than %u bytes", key, s,
                 (unsigned) size - 1);
    return FALSE;
  }
  g_strlcpy (out, s, size);
  return TRUE;
}

/* "" names nothing; otherwise exactly one (possibly empty) name per continuous code. */
static gboolean
read_code_names (const VksCheckpoint *ckpt, VksGanConfig *cfg, GError **error)
{
  const char *cat = vks_checkpoint_get_metadata (ckpt, KEY_CATEGORY_NAME);
  if (cat != NULL && !read_name (KEY_CATEGORY_NAME, cat, cfg->category_name,
                                 sizeof cfg->category_name, error))
    return FALSE;
  const char *list = vks_checkpoint_get_metadata (ckpt, KEY_CONTINUOUS_NAMES);
  if (list == NULL || *list == '\0')
    return TRUE;
  g_auto (GStrv) names = g_strsplit (list, ",", -1);
  guint n = g_strv_length (names);
  if ((int) n != cfg->n_continuous) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata " KEY_CONTINUOUS_NAMES " names %u codes, the model has %d continuous "
                 "codes", n, cfg->n_continuous);
    return FALSE;
  }
  for (guint i = 0; i < n; i++)
    if (!read_name (KEY_CONTINUOUS_NAMES, names[i], cfg->continuous_names[i],
                    sizeof cfg->continuous_names[i], error))
      return FALSE;
  return TRUE;
}

gboolean
vks_gan_config_from_checkpoint (const VksCheckpoint *ckpt, VksGanConfig *cfg, GError **error)
{
  g_return_val_if_fail (ckpt != NULL && cfg != NULL, FALSE);
  VksGanConfig c;
  VksGanArch arch;
  if (!read_arch (ckpt, &arch, error))
    return FALSE;
  vks_gan_config_default (&c, arch);
  gboolean info = arch == VKS_GAN_INFOGAN;
  if (!(vks_metadata_read_int (ckpt, KEY_NZ, -1, 1, MAX_WIDTH, &c.nz, error) &&
        vks_metadata_read_int (ckpt, KEY_NGF, -1, 1, MAX_WIDTH, &c.ngf, error) &&
        vks_metadata_read_int (ckpt, KEY_NDF, 64, 1, MAX_WIDTH, &c.ndf, error) &&
        vks_metadata_read_int (ckpt, KEY_NC, -1, 1, 4, &c.nc, error) &&
        vks_metadata_read_int (ckpt, KEY_IMAGE_SIZE, -1, 32, 128, &c.image_size, error) &&
        read_d_norm (ckpt, &c.d_norm, error) &&
        vks_metadata_read_int (ckpt, KEY_N_CATEGORIES, info ? -1 : 0, 0, MAX_CATEGORIES,
                               &c.n_categories, error) &&
        vks_metadata_read_int (ckpt, KEY_N_CONTINUOUS, info ? -1 : 0, 0, VKS_GAN_MAX_CODES,
                               &c.n_continuous, error)))
    return FALSE;
  /* the keys may be in a DCGAN's metadata, but only as 0 */
  if (!info && c.n_categories + c.n_continuous > 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "a DCGAN has no latent codes, but its metadata gives %d categories and %d "
                 "continuous codes (an InfoGAN's " KEY_ARCH " is \"" VKS_ARCH_INFOGAN "\")",
                 c.n_categories, c.n_continuous);
    return FALSE;
  }
  if (vks_gan_stages (c.image_size) == 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata " KEY_IMAGE_SIZE " is %d, expected 32, 64 or 128", c.image_size);
    return FALSE;
  }
  if (!read_code_names (ckpt, &c, error))
    return FALSE;
  *cfg = c;
  return TRUE;
}

void
vks_gan_config_to_metadata (const VksGanConfig *cfg, VksCheckpoint *ckpt)
{
  g_return_if_fail (cfg != NULL && ckpt != NULL);
  vks_checkpoint_set_metadata (ckpt, KEY_ARCH, cfg->arch == VKS_GAN_INFOGAN ? VKS_ARCH_INFOGAN
                                                                             : VKS_ARCH_DCGAN);
  vks_metadata_set_int (ckpt, KEY_NZ, cfg->nz);
  vks_metadata_set_int (ckpt, KEY_NGF, cfg->ngf);
  vks_metadata_set_int (ckpt, KEY_NDF, cfg->ndf);
  vks_metadata_set_int (ckpt, KEY_NC, cfg->nc);
  vks_metadata_set_int (ckpt, KEY_IMAGE_SIZE, cfg->image_size);
  vks_checkpoint_set_metadata (ckpt, KEY_D_NORM, norm_names[cfg->d_norm]);
  vks_metadata_set_int (ckpt, KEY_N_CATEGORIES, cfg->n_categories);
  vks_metadata_set_int (ckpt, KEY_N_CONTINUOUS, cfg->n_continuous);
  vks_checkpoint_set_metadata (ckpt, KEY_CATEGORY_NAME, cfg->category_name);
  g_autoptr (GString) names = g_string_new ("");
  gboolean any = FALSE;
  for (int i = 0; i < cfg->n_continuous; i++) {
    g_string_append_printf (names, "%s%s", i ? "," : "", cfg->continuous_names[i]);
    any = any || cfg->continuous_names[i][0] != '\0';
  }
  vks_checkpoint_set_metadata (ckpt, KEY_CONTINUOUS_NAMES, any ? names->str : "");
}

gboolean
vks_gan_check_tensors (const VksCheckpoint *ckpt, const VksGanConfig *cfg, gboolean generator,
                       GError **error)
{
  g_autoptr (GPtrArray) specs = generator ? vks_gan_generator_tensors (cfg)
                                          : vks_gan_discriminator_tensors (cfg);
  static const char *const norm_words[] = { "batch norm", "no norm", "layer norm" };
  g_autofree char *model = generator
    ? g_strdup_printf ("a %s generator with latent size %d, ngf=%d, nc=%d at %dx%d",
                       cfg->arch == VKS_GAN_INFOGAN ? "InfoGAN" : "DCGAN",
                       vks_gan_latent_size (cfg), cfg->ngf, cfg->nc, cfg->image_size,
                       cfg->image_size)
    : g_strdup_printf ("a %s discriminator with ndf=%d, nc=%d, %s at %dx%d",
                       cfg->arch == VKS_GAN_INFOGAN ? "InfoGAN" : "DCGAN", cfg->ndf, cfg->nc,
                       norm_words[cfg->d_norm], cfg->image_size, cfg->image_size);
  return vks_check_tensors (ckpt, specs, "model", model, error);
}
