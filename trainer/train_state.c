#include "trainer/train_state.h"

#include "engine/discriminator_spec.h"
#include "engine/error.h"

#include <stdlib.h>
#include <string.h>

#define STATE_ARCH "cyclegan_training_state"

static const char *const net_names[VKS_N_NETS] = { "G_A", "G_B", "D_A", "D_B" };

static VksGeneratorConfig
generator_config (const VksTrainOptions *o)
{
  return (VksGeneratorConfig) { .input_nc = 3, .output_nc = 3, .ngf = o->ngf,
                                .n_blocks = o->n_blocks, .norm = VKS_NORM_INSTANCE,
                                .upsample = o->upsample };
}

static VksDiscriminatorConfig
discriminator_config (const VksTrainOptions *o)
{
  return (VksDiscriminatorConfig) { .input_nc = 3, .ndf = o->ndf, .n_layers = o->n_layers_d,
                                    .norm = VKS_NORM_INSTANCE };
}

/* What must not change between a run and its resume. */
static char *
architecture (const VksTrainOptions *o)
{
  /* the up-sampling only when not the default, so states saved before it existed still match */
  return g_strdup_printf ("ngf=%d n_blocks=%d ndf=%d n_layers_d=%d crop_size=%d batch_size=%d "
                          "pool_size=%d%s%s", o->ngf, o->n_blocks, o->ndf, o->n_layers_d,
                          o->crop_size, o->batch_size, o->pool_size,
                          o->upsample != VKS_UPSAMPLE_TRANSPOSED ? " upsample=" : "",
                          o->upsample != VKS_UPSAMPLE_TRANSPOSED ?
                          vks_upsample_name (o->upsample) : "");
}

static float
normal_draw (gpointer rng)
{
  return (float) vks_rng_normal (rng, 0.0, 1.0);
}

static gboolean
check_init_file (const VksCheckpoint *ckpt, int which, const VksTrainOptions *o, GError **error)
{
  if (which <= VKS_NET_G_B) {
    VksGeneratorConfig got, want = generator_config (o);
    if (!vks_generator_config_from_checkpoint (ckpt, &got, error))
      return FALSE;
    if (got.ngf != want.ngf || got.n_blocks != want.n_blocks || got.norm != want.norm
        || got.input_nc != 3 || got.output_nc != 3 || got.upsample != want.upsample) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "it is a generator with ngf %d, %d blocks and %s up-sampling, this run trains "
                   "ngf %d with %d and %s (instance norm, RGB)", got.ngf, got.n_blocks,
                   vks_upsample_name (got.upsample), want.ngf, want.n_blocks,
                   vks_upsample_name (want.upsample));
      return FALSE;
    }
    return TRUE;
  }
  VksDiscriminatorConfig got, want = discriminator_config (o);
  if (!vks_discriminator_config_from_checkpoint (ckpt, &got, error))
    return FALSE;
  if (got.ndf != want.ndf || got.n_layers != want.n_layers || got.norm != want.norm
      || got.input_nc != 3) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "it is a discriminator with ndf %d and %d layers, this run trains ndf %d with %d",
                 got.ndf, got.n_layers, want.ndf, want.n_layers);
    return FALSE;
  }
  return TRUE;
}

static void
prefix_error (GError **error, const char *path)
{
  if (error != NULL && *error != NULL)
    g_prefix_error (error, "%s: ", path);
}

gboolean
vks_train_state_init_weights (VksTrainState *st, const VksTrainOptions *o, GError **error)
{
  if (o->init == NULL) {
    VksRng init_rng;
    vks_rng_init_stream (&init_rng, (guint64) o->seed, 3);
    return vks_cyclegan_init_normal (st->cg, normal_draw, &init_rng, 0.02f, error);
  }
  for (int i = 0; i < VKS_N_NETS; i++) {
    g_autofree char *file = g_strconcat (net_names[i], ".safetensors", NULL);
    g_autofree char *path = g_build_filename (o->init, file, NULL);
    g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, error);
    if (ckpt == NULL)
      return FALSE;   /* the reader's message names the file */
    if (!check_init_file (ckpt, i, o, error) || !vks_cyclegan_load_net (st->cg, i, ckpt, error)) {
      prefix_error (error, path);
      return FALSE;
    }
  }
  return TRUE;
}

/* --- saving ----------------------------------------------------------------------------- */

static char *
words_to_string (const guint64 *w, int n)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; i < n; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? "," : "", w[i]);
  return g_string_free (s, FALSE);
}

static gboolean
string_to_words (const char *s, guint64 *w, int n)
{
  if (s == NULL)
    return FALSE;
  g_auto (GStrv) parts = g_strsplit (s, ",", -1);
  if ((int) g_strv_length (parts) != n)
    return FALSE;
  for (int i = 0; i < n; i++)
    if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT64, &w[i], NULL))
      return FALSE;
  return TRUE;
}

static void
set_u64 (VksCheckpoint *ckpt, const char *key, guint64 v)
{
  g_autofree char *s = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
  vks_checkpoint_set_metadata (ckpt, key, s);
}

static gboolean
save_net_file (const VksTrainState *st, const VksTrainOptions *o, int which, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_new ();
  if (!vks_cyclegan_save_net (st->cg, which, ckpt, error))
    return FALSE;
  if (which <= VKS_NET_G_B) {
    VksGeneratorConfig cfg = generator_config (o);
    vks_generator_config_to_metadata (&cfg, ckpt);
    g_autofree char *base = g_path_get_basename (o->out);
    const char *dir = which == VKS_NET_G_A ? "A to B" : "B to A";
    g_autofree char *name = o->name ? g_strdup_printf ("%s (%s)", o->name, dir)
                                    : g_strdup_printf ("%s (%s)", base, dir);
    vks_checkpoint_set_metadata (ckpt, "vkstyle.name", name);
    g_autofree char *desc = g_strdup_printf ("%s%sTrained by vkstyle-train for %" G_GUINT64_FORMAT
                                             " steps.", o->description ? o->description : "",
                                             o->description ? " " : "", st->step);
    vks_checkpoint_set_metadata (ckpt, "vkstyle.description", desc);
  } else {
    VksDiscriminatorConfig cfg = discriminator_config (o);
    vks_discriminator_config_to_metadata (&cfg, ckpt);
  }
  g_autofree char *training = vks_train_options_describe (o);
  vks_checkpoint_set_metadata (ckpt, "vkstyle.training", training);
  set_u64 (ckpt, "vkstyle.step", st->step);
  g_autofree char *file = g_strdup_printf ("latest_%s.safetensors", net_names[which]);
  g_autofree char *path = g_build_filename (o->out, file, NULL);
  return vks_checkpoint_save (ckpt, path, VKS_DTYPE_F32, error);
}

static void
add_pool (VksCheckpoint *ckpt, const char *name, const VksImagePool *pool, const VksTrainOptions *o)
{
  guint count = vks_image_pool_count (pool);
  if (count == 0)
    return;   /* a tensor of zero elements is refused by the reader (hostile-file rules) */
  int64_t shape[4] = { count, 3, o->crop_size, o->crop_size };
  vks_checkpoint_add_tensor (ckpt, name, 4, shape, vks_image_pool_data (pool));
}

gboolean
vks_train_state_save (const VksTrainState *st, const VksTrainOptions *o, GError **error)
{
  g_autoptr (VksCheckpoint) state = vks_checkpoint_new ();
  if (!vks_cyclegan_save_state (st->cg, state, error))
    return FALSE;
  add_pool (state, "pool_A", st->pool_a, o);
  add_pool (state, "pool_B", st->pool_b, o);
  vks_checkpoint_set_metadata (state, "vkstyle.arch", STATE_ARCH);
  g_autofree char *arch = architecture (o);
  vks_checkpoint_set_metadata (state, "vkstyle.architecture", arch);
  g_autofree char *training = vks_train_options_describe (o);
  vks_checkpoint_set_metadata (state, "vkstyle.training", training);
  set_u64 (state, "vkstyle.step", st->step);
  guint64 w[MAX (VKS_RNG_STATE_WORDS, VKS_EPOCH_STATE_WORDS)];
  vks_rng_get_state (&st->data_rng, w);
  g_autofree char *data_rng = words_to_string (w, VKS_RNG_STATE_WORDS);
  vks_rng_get_state (&st->pool_rng, w);
  g_autofree char *pool_rng = words_to_string (w, VKS_RNG_STATE_WORDS);
  vks_epoch_iterator_get_state (st->epochs, w);
  g_autofree char *epochs = words_to_string (w, VKS_EPOCH_STATE_WORDS);
  vks_checkpoint_set_metadata (state, "vkstyle.rng.data", data_rng);
  vks_checkpoint_set_metadata (state, "vkstyle.rng.pool", pool_rng);
  vks_checkpoint_set_metadata (state, "vkstyle.epoch_state", epochs);

  /* The resume file first: if the process dies after it, the latest_* files of the previous
   * save are merely one step behind it. */
  g_autofree char *path = g_build_filename (o->out, "latest_state.safetensors", NULL);
  if (!vks_checkpoint_save (state, path, VKS_DTYPE_F32, error))
    return FALSE;
  for (int i = 0; i < VKS_N_NETS; i++)
    if (!save_net_file (st, o, i, error))
      return FALSE;
  return TRUE;
}

/* --- resuming ---------------------------------------------------------------------------- */

static gboolean
restore_pool (VksImagePool *pool, const VksCheckpoint *ckpt, const char *name, GError **error)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, name);
  if (t == NULL)
    return TRUE;
  gsize per = vks_image_pool_image_floats (pool);
  if (t->ndim != 4 || t->shape[0] < 1 || (gsize) (t->n_elements / t->shape[0]) != per) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "%s has the wrong image size", name);
    return FALSE;
  }
  return vks_image_pool_restore (pool, t->data, (guint) t->shape[0], error);
}

gboolean
vks_train_state_resume (VksTrainState *st, const VksTrainOptions *o, GError **error)
{
  g_autofree char *path = g_build_filename (o->out, "latest_state.safetensors", NULL);
  g_autoptr (VksCheckpoint) state = vks_checkpoint_load (path, error);
  if (state == NULL)
    return FALSE;
  g_autofree char *arch = architecture (o);
  const char *saved_arch = vks_checkpoint_get_metadata (state, "vkstyle.architecture");
  if (g_strcmp0 (vks_checkpoint_get_metadata (state, "vkstyle.arch"), STATE_ARCH) != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "%s is not a vkstyle-train state", path);
    return FALSE;
  }
  if (g_strcmp0 (saved_arch, arch) != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "%s was saved by a run with %s; this run has %s", path, saved_arch, arch);
    return FALSE;
  }
  if (!vks_cyclegan_load_state (st->cg, state, error)) {
    prefix_error (error, path);
    return FALSE;
  }
  guint64 data_rng[VKS_RNG_STATE_WORDS], pool_rng[VKS_RNG_STATE_WORDS];
  guint64 epochs[VKS_EPOCH_STATE_WORDS];
  const char *step = vks_checkpoint_get_metadata (state, "vkstyle.step");
  if (!string_to_words (vks_checkpoint_get_metadata (state, "vkstyle.rng.data"), data_rng,
                        VKS_RNG_STATE_WORDS) ||
      !string_to_words (vks_checkpoint_get_metadata (state, "vkstyle.rng.pool"), pool_rng,
                        VKS_RNG_STATE_WORDS) ||
      !string_to_words (vks_checkpoint_get_metadata (state, "vkstyle.epoch_state"), epochs,
                        VKS_EPOCH_STATE_WORDS) ||
      step == NULL || !g_ascii_string_to_unsigned (step, 10, 0, G_MAXUINT64, &st->step, NULL)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "%s: bad step or random state", path);
    return FALSE;
  }
  if (!vks_rng_set_state (&st->data_rng, data_rng, error) ||
      !vks_rng_set_state (&st->pool_rng, pool_rng, error) ||
      !vks_epoch_iterator_set_state (st->epochs, epochs, error) ||
      !restore_pool (st->pool_a, state, "pool_A", error) ||
      !restore_pool (st->pool_b, state, "pool_B", error)) {
    prefix_error (error, path);
    return FALSE;
  }
  return TRUE;
}
