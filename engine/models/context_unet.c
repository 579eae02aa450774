/* The sprites course's ContextUnet as a graph builder, its metadata and tensor list
 * (context_unet.h). Layer by layer as the course's modules, with their state_dict names. */
#include "engine/models/context_unet.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "engine/error.h"
#include "engine/nn/op.h"
#include "engine/nn/params.h"

#define NORM_EPS 1e-5f
#define BN_MOMENTUM 0.1f
#define GROUPS 8
/* The course divides a residual block's sum by 1.414, not sqrt(2). */
#define RESIDUAL_DIVISOR 1.414f

#define KEY_IN "vkstyle.in_channels"
#define KEY_NFEAT "vkstyle.n_feat"
#define KEY_NCFEAT "vkstyle.n_cfeat"
#define KEY_HEIGHT "vkstyle.height"
#define KEY_T "vkstyle.timesteps"
#define KEY_BETA1 "vkstyle.beta1"
#define KEY_BETA2 "vkstyle.beta2"
#define KEY_CLASSES "vkstyle.classes"

typedef struct {
  VksGraph *g;
  const char *prefix;
  gboolean training;
  GArray *updates;
} Builder;

/* The parameter named b->prefix + printf (format, ...): a state_dict key. */
#define param(b, shape, rank, ...) vks_param_printf ((b)->g, (b)->prefix, shape, rank, __VA_ARGS__)

static VksNode
vec_param (Builder *b, int n, const char *module, const char *what)
{
  return param (b, vks_shape (1, 1, 1, n), 1, "%s.%s", module, what);
}

/* nn.Conv2d / nn.ConvTranspose2d with bias, named module.weight / module.bias. */
static VksNode
conv (Builder *b, VksNode x, const char *module, int cin, int cout, int k, int stride, int pad,
      gboolean transposed)
{
  VksShape ws = transposed ? vks_shape (cin, cout, k, k) : vks_shape (cout, cin, k, k);
  VksNode w = param (b, ws, 4, "%s.weight", module);
  VksConvAttrs a = { .stride = stride, .pad = pad, .transposed = transposed };
  return vks_conv2d (b->g, x, w, vec_param (b, cout, module, "bias"), &a);
}

static VksNode
batch_norm (Builder *b, VksNode x, const char *module, int c)
{
  static const char *const names[] = { "weight", "bias", "running_mean", "running_var" };
  VksNode p[4];
  for (int i = 0; i < 4; i++)
    p[i] = vec_param (b, c, module, names[i]);
  if (b->training) {
    VksBatchNorm bn = vks_batch_norm_train (b->g, x, p[0], p[1], p[2], p[3], BN_MOMENTUM,
                                            NORM_EPS);
    if (b->updates != NULL) {
      VksUnetRunningUpdate u[2] = { { p[2], bn.running_mean }, { p[3], bn.running_var } };
      g_array_append_vals (b->updates, u, 2);
    }
    return bn.y;
  }
  /* the fused inference kernel (one dispatch) */
  VksNormAttrs a = { .act = VKS_ACT_NONE, .eps = NORM_EPS };
  return vks_norm (b->g, x, &a, p, VKS_NONE);
}

static VksNode
group_norm (Builder *b, VksNode x, const char *module, int c)
{
  return vks_group_norm (b->g, x, GROUPS, vec_param (b, c, module, "weight"),
                         vec_param (b, c, module, "bias"), NORM_EPS);
}

/* ResidualConvBlock: (Conv2d 3x3, BatchNorm2d, GELU) twice; with is_res the input (or, when
 * the channels differ, its 1x1 "shortcut" convolution, a parameter here) is added and the sum
 * divided by 1.414. */
static VksNode
residual_block (Builder *b, VksNode x, const char *module, int cin, int cout, gboolean is_res)
{
  VksNode h = x;
  for (int i = 1; i <= 2; i++) {
    g_autofree char *c = g_strdup_printf ("%s.conv%d.0", module, i);
    g_autofree char *n = g_strdup_printf ("%s.conv%d.1", module, i);
    h = conv (b, h, c, i == 1 ? cin : cout, cout, 3, 1, 1, FALSE);
    h = vks_gelu (b->g, batch_norm (b, h, n, cout));
  }
  if (!is_res)
    return h;
  VksNode skip = x;
  if (cin != cout) {
    g_autofree char *s = g_strdup_printf ("%s.shortcut", module);
    skip = conv (b, x, s, cin, cout, 1, 1, 0, FALSE);
  }
  return vks_scale (b->g, vks_add (b->g, skip, h), 1.0f / RESIDUAL_DIVISOR);
}

/* UnetDown: two residual blocks and MaxPool2d(2). */
static VksNode
unet_down (Builder *b, VksNode x, const char *module, int cin, int cout)
{
  g_autofree char *m0 = g_strdup_printf ("%s.model.0", module);
  g_autofree char *m1 = g_strdup_printf ("%s.model.1", module);
  VksNode h = residual_block (b, x, m0, cin, cout, FALSE);
  h = residual_block (b, h, m1, cout, cout, FALSE);
  return vks_max_pool2 (b->g, h);
}

/* UnetUp: cat(x, skip), ConvTranspose2d(in, out, 2, 2) and two residual blocks. */
static VksNode
unet_up (Builder *b, VksNode x, VksNode skip, const char *module, int cin, int cout)
{
  VksNode xs[2] = { x, skip };
  g_autofree char *m0 = g_strdup_printf ("%s.model.0", module);
  g_autofree char *m1 = g_strdup_printf ("%s.model.1", module);
  g_autofree char *m2 = g_strdup_printf ("%s.model.2", module);
  VksNode h = conv (b, vks_concat (b->g, xs, 2), m0, cin, cout, 2, 2, 0, TRUE);
  h = residual_block (b, h, m1, cout, cout, FALSE);
  return residual_block (b, h, m2, cout, cout, FALSE);
}

/* EmbedFC: Linear(in, emb), GELU, Linear(emb, emb) on rows [1][1][n][in], as [n][emb][1][1].
 * v = VKS_NONE is a zero input: the first layer is its bias, one row that broadcasts. */
static VksNode
embed_fc (Builder *b, VksNode v, const char *module, int in, int emb, int n)
{
  VksNode w0 = param (b, vks_shape (1, 1, emb, in), 2, "%s.model.0.weight", module);
  VksNode b0 = vec_param (b, emb, module, "model.0.bias");
  VksNode w2 = param (b, vks_shape (1, 1, emb, emb), 2, "%s.model.2.weight", module);
  VksNode b2 = vec_param (b, emb, module, "model.2.bias");
  VksNode h = v != VKS_NONE ? vks_linear (b->g, v, w0, b0) : b0;
  h = vks_linear (b->g, vks_gelu (b->g, h), w2, b2);
  if (v == VKS_NONE)
    h = vks_broadcast_to (b->g, h, vks_shape (1, 1, n, emb));
  return vks_reshape (b->g, h, vks_shape (n, emb, 1, 1));
}

/* up0's ConvTranspose2d(c, c, k, stride k) on the pooled [n][c][1][1]: each output pixel is one
 * tap, so it is a matrix product, [n][c] x weight [c][c k k], plus the bias (the engine's
 * transposed convolution takes strides up to 2). */
static VksNode
up0_conv (Builder *b, VksNode x, int c, int k, int n)
{
  VksNode w = param (b, vks_shape (c, c, k, k), 4, "up0.0.weight");
  VksNode bias = vec_param (b, c, "up0.0", "bias");
  VksNode rows = vks_reshape (b->g, x, vks_shape (1, 1, n, c));
  VksNode y = vks_matmul (b->g, rows, vks_reshape (b->g, w, vks_shape (1, 1, c, c * k * k)),
                          FALSE, FALSE);
  y = vks_reshape (b->g, y, vks_shape (n, c, k, k));
  return vks_add (b->g, y, vks_reshape (b->g, bias, vks_shape (1, c, 1, 1)));
}

VksNode
vks_context_unet (VksGraph *g, VksNode x, VksNode t, VksNode c, const VksUnetConfig *cfg,
                  gboolean training, const char *prefix, GArray *updates)
{
  int nf = cfg->n_feat, h = cfg->height;
  if (h < 4 || h % 4 != 0 || nf < GROUPS || nf % GROUPS != 0 || cfg->n_cfeat < 1 ||
      cfg->in_channels < 1)
    return vks_graph_fail (g, "context_unet: needs a height divisible by 4, n_feat divisible by "
                           "8 and n_cfeat >= 1 (got height %d, n_feat %d, n_cfeat %d)", h, nf,
                           cfg->n_cfeat);
  VksShape xs = vks_graph_shape (g, x);
  if (xs.c != cfg->in_channels || xs.h != h || xs.w != h)
    return vks_graph_fail_code (g, VKS_ERROR_SHAPE, "context_unet: the input is [%d, %d, %d, %d], "
                                "the model takes [n, %d, %d, %d]", xs.n, xs.c, xs.h, xs.w,
                                cfg->in_channels, h, h);
  int n = xs.n;
  Builder b = { g, prefix, training, updates };

  VksNode x0 = residual_block (&b, x, "init_conv", cfg->in_channels, nf, TRUE);
  VksNode down1 = unet_down (&b, x0, "down1", nf, nf);
  VksNode down2 = unet_down (&b, down1, "down2", nf, 2 * nf);
  /* AvgPool2d(h / 4) over the h / 4 square map: the mean of each plane (differentiable) */
  VksNode hidden = vks_gelu (g, vks_mean_to (g, down2, vks_shape (n, 2 * nf, 1, 1)));

  VksNode cemb1 = embed_fc (&b, c, "contextembed1", cfg->n_cfeat, 2 * nf, n);
  VksNode temb1 = embed_fc (&b, t, "timeembed1", 1, 2 * nf, n);
  VksNode cemb2 = embed_fc (&b, c, "contextembed2", cfg->n_cfeat, nf, n);
  VksNode temb2 = embed_fc (&b, t, "timeembed2", 1, nf, n);

  VksNode up1 = up0_conv (&b, hidden, 2 * nf, h / 4, n);
  up1 = vks_relu (g, group_norm (&b, up1, "up0.1", 2 * nf));
  VksNode up2 = unet_up (&b, vks_add (g, vks_mul (g, cemb1, up1), temb1), down2, "up1", 4 * nf,
                         nf);
  VksNode up3 = unet_up (&b, vks_add (g, vks_mul (g, cemb2, up2), temb2), down1, "up2", 2 * nf,
                         nf);
  VksNode cat[2] = { up3, x0 };
  VksNode o = conv (&b, vks_concat (g, cat, 2), "out.0", 2 * nf, nf, 3, 1, 1, FALSE);
  o = vks_relu (g, group_norm (&b, o, "out.1", nf));
  return conv (&b, o, "out.3", nf, cfg->in_channels, 3, 1, 1, FALSE);
}

/* ---- metadata ---- */

void
vks_unet_config_default (VksUnetConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->in_channels = 3;
  cfg->n_feat = 64;
  cfg->n_cfeat = 5;
  cfg->height = 16;
  cfg->timesteps = 500;
  cfg->beta1 = 1e-4;
  cfg->beta2 = 0.02;
}

/* A plain decimal number ("0.0001", "1e-4"), finite, in (0, 1). */
static gboolean
read_beta (const VksCheckpoint *ckpt, const char *key, double fallback, double *out,
           GError **error)
{
  const char *s = vks_checkpoint_get_metadata (ckpt, key);
  if (s == NULL) {
    *out = fallback;
    return TRUE;
  }
  char *end = NULL;
  double v = g_ascii_strtod (s, &end);
  if (*s == '\0' || g_ascii_isspace (*s) || end == NULL || *end != '\0' || !isfinite (v) ||
      !(v > 0.0 && v < 1.0)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata %s is \"%s\", expected a number between 0 and 1", key, s);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

static gboolean
read_classes (const VksCheckpoint *ckpt, VksUnetConfig *cfg, GError **error)
{
  const char *list = vks_checkpoint_get_metadata (ckpt, KEY_CLASSES);
  if (list == NULL || *list == '\0')
    return TRUE;
  g_auto (GStrv) names = g_strsplit (list, ",", -1);
  guint n = g_strv_length (names);
  if ((int) n != cfg->n_cfeat) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata " KEY_CLASSES " names %u classes, the model's context has %d", n,
                 cfg->n_cfeat);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    gsize len = strlen (names[i]);
    if (len == 0 || len >= VKS_UNET_CLASS_NAME || !g_utf8_validate (names[i], -1, NULL) ||
        strchr (names[i], '=') != NULL) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "metadata " KEY_CLASSES ": class %u's name \"%s\" must be 1 to %d bytes of "
                   "UTF-8 without '='", i, names[i], VKS_UNET_CLASS_NAME - 1);
      return FALSE;
    }
    for (guint j = 0; j < i; j++)
      if (strcmp (names[i], names[j]) == 0) {
        g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                     "metadata " KEY_CLASSES " names \"%s\" twice", names[i]);
        return FALSE;
      }
    memcpy (cfg->class_names[i], names[i], len + 1);
  }
  return TRUE;
}

gboolean
vks_unet_config_from_checkpoint (const VksCheckpoint *ckpt, VksUnetConfig *cfg, GError **error)
{
  g_return_val_if_fail (ckpt != NULL && cfg != NULL, FALSE);
  VksUnetConfig c;
  vks_unet_config_default (&c);
  if (!(vks_metadata_check_arch (ckpt, VKS_ARCH_CONTEXT_UNET, "diffusion model",
                                 "diffusion context U-Net", error) &&
        vks_metadata_read_int (ckpt, KEY_IN, -1, 1, 4, &c.in_channels, error) &&
        vks_metadata_read_int (ckpt, KEY_NFEAT, -1, GROUPS, 1024, &c.n_feat, error) &&
        vks_metadata_read_int (ckpt, KEY_NCFEAT, -1, 1, VKS_UNET_MAX_CLASSES, &c.n_cfeat,
                               error) &&
        vks_metadata_read_int (ckpt, KEY_HEIGHT, -1, 4, 256, &c.height, error) &&
        vks_metadata_read_int (ckpt, KEY_T, 500, 1, 10000, &c.timesteps, error) &&
        read_beta (ckpt, KEY_BETA1, 1e-4, &c.beta1, error) &&
        read_beta (ckpt, KEY_BETA2, 0.02, &c.beta2, error)))
    return FALSE;
  if (c.n_feat % GROUPS != 0 || c.height % 4 != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata: n_feat (%d) must be a multiple of %d and height (%d) of 4", c.n_feat,
                 GROUPS, c.height);
    return FALSE;
  }
  if (c.beta1 > c.beta2) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata " KEY_BETA1 " (%g) is above " KEY_BETA2 " (%g)", c.beta1, c.beta2);
    return FALSE;
  }
  if (!read_classes (ckpt, &c, error))
    return FALSE;
  *cfg = c;
  return TRUE;
}

void
vks_unet_config_to_metadata (const VksUnetConfig *cfg, VksCheckpoint *ckpt)
{
  vks_checkpoint_set_metadata (ckpt, "vkstyle.arch", VKS_ARCH_CONTEXT_UNET);
  vks_metadata_set_int (ckpt, KEY_IN, cfg->in_channels);
  vks_metadata_set_int (ckpt, KEY_NFEAT, cfg->n_feat);
  vks_metadata_set_int (ckpt, KEY_NCFEAT, cfg->n_cfeat);
  vks_metadata_set_int (ckpt, KEY_HEIGHT, cfg->height);
  vks_metadata_set_int (ckpt, KEY_T, cfg->timesteps);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  vks_checkpoint_set_metadata (ckpt, KEY_BETA1, g_ascii_dtostr (buf, sizeof buf, cfg->beta1));
  vks_checkpoint_set_metadata (ckpt, KEY_BETA2, g_ascii_dtostr (buf, sizeof buf, cfg->beta2));
  g_autoptr (GString) names = g_string_new ("");
  gboolean any = FALSE;
  for (int i = 0; i < cfg->n_cfeat && i < VKS_UNET_MAX_CLASSES; i++) {
    g_string_append_printf (names, "%s%s", i ? "," : "", cfg->class_names[i]);
    any = any || cfg->class_names[i][0] != '\0';
  }
  vks_checkpoint_set_metadata (ckpt, KEY_CLASSES, any ? names->str : "");
}

GPtrArray *
vks_unet_tensors (const VksUnetConfig *cfg)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  int h = cfg->height;
  VksNode x = vks_input (g, "x", vks_shape (1, cfg->in_channels, h, h));
  VksNode t = vks_input (g, "t", vks_shape (1, 1, 1, 1));
  VksNode c = vks_input (g, "c", vks_shape (1, 1, 1, cfg->n_cfeat));
  vks_context_unet (g, x, t, c, cfg, FALSE, NULL, NULL);
  /* a configuration the builder refuses has no tensors (its metadata was refused first) */
  return vks_graph_check (g, NULL) ? vks_graph_tensor_specs (g) : vks_tensor_specs_new ();
}

gboolean
vks_unet_check_tensors (const VksCheckpoint *ckpt, const VksUnetConfig *cfg, GError **error)
{
  g_autoptr (GPtrArray) specs = vks_unet_tensors (cfg);
  return vks_check_tensors (ckpt, specs, "diffusion model", "the context U-Net", error);
}

int
vks_unet_class_index (const VksUnetConfig *cfg, const char *name)
{
  for (int i = 0; i < cfg->n_cfeat; i++)
    if (cfg->class_names[i][0] != '\0' && strcmp (cfg->class_names[i], name) == 0)
      return i;
  return -1;
}

static char *
class_list (const VksUnetConfig *cfg)
{
  GString *s = g_string_new ("");
  for (int i = 0; i < cfg->n_cfeat; i++)
    g_string_append_printf (s, "%s%d%s%s", i ? ", " : "", i, cfg->class_names[i][0] ? " " : "",
                            cfg->class_names[i]);
  return g_string_free (s, FALSE);
}

gboolean
vks_unet_parse_context (const VksUnetConfig *cfg, const char *text, float *c, GError **error)
{
  memset (c, 0, sizeof (float) * cfg->n_cfeat);
  if (text == NULL || *text == '\0')
    return TRUE;
  g_auto (GStrv) items = g_strsplit (text, ",", -1);
  for (int i = 0; items[i] != NULL; i++) {
    char *item = g_strstrip (items[i]);
    char *eq = strchr (item, '=');
    g_autofree char *name = g_strstrip (eq ? g_strndup (item, eq - item) : g_strdup (item));
    const char *value = eq ? eq + 1 : "1";
    int index = vks_unet_class_index (cfg, name);
    guint64 u;
    if (index < 0 && g_ascii_string_to_unsigned (name, 10, 0, cfg->n_cfeat - 1, &u, NULL))
      index = (int) u;
    char *end;
    double v = g_ascii_strtod (value, &end);
    if (index < 0) {
      g_autofree char *list = class_list (cfg);
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                   "context \"%s\": no class \"%s\"; the model's classes are %s", item, name,
                   list);
      return FALSE;
    }
    if (*value == '\0' || *end != '\0' || !isfinite (v) || v < -10.0 || v > 10.0) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                   "context \"%s\": the weight must be a number from -10 to 10", item);
      return FALSE;
    }
    c[index] = (float) v;
  }
  return TRUE;
}
