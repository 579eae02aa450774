/* `vkstyle metrics`: FID, KID or the Inception Score of image folders, from the FID Inception-v3
 * (engine/models/inception.h) and the statistics of engine/metrics.h; and the checkerboard measure
 * of one stylized image against its input (engine/checkerboard.h), which needs no network. */
#include <stdio.h>
#include <string.h>

#include "engine/checkerboard.h"
#include "engine/error.h"
#include "engine/metrics.h"
#include "engine/models/inception.h"
#include "tools/cli.h"
#include "tools/image_folder.h"
#include "tools/image_io.h"

#define DEFAULT_BATCH 8
#define MAX_BATCH 256

static const char description[] =
  "fid REAL FAKE   the Frechet Inception Distance (pytorch-fid's), printed as fid=F\n"
  "kid REAL FAKE   the Kernel Inception Distance (torch-fidelity's), kid_mean=M kid_std=S;\n"
  "                the subset size is capped at both image counts\n"
  "is FOLDER       the Inception Score (torch-fidelity's), is_mean=M is_std=S\n"
  "checkerboard IN STYLED\n"
  "                two images of one size: the power STYLED's luma has at the periods of 2 and\n"
  "                4 px (the frequencies 1/2 and 1/4 cycles/px in x and y and their\n"
  "                combinations, Hann-windowed) over IN's, in dB: period2_db=A period4_db=B;\n"
  "                0 for an unchanged image, a few dB for sharpening (unsharp mask, radius 2,\n"
  "                150 %: +6 to +10), tens of dB for a grid; needs no --inception\n"
  "\n"
  "The images of a folder are chosen as the trainer chooses its training images: recursively,\n"
  "names ending in .jpg .jpeg .png .ppm .bmp .tif .tiff, sorted. Any size, grey or colour, 8 or\n"
  "16 bits; alpha is dropped. --inception is the converted pytorch-fid network\n"
  "(tools/convert_pytorch.py --inception pt_inception-2015-12-05-6726825d.pth).";

typedef enum { METRIC_FID, METRIC_KID, METRIC_IS, METRIC_CHECKERBOARD } Metric;

typedef struct {
  const char *name;
  int folders;           /* arguments: folders, or image files for the checkerboard */
  const char *argument;  /* "folder" or "image" */
} MetricInfo;

static const MetricInfo metric_info[] = {
  [METRIC_FID] = { "fid", 2, "folder" },
  [METRIC_KID] = { "kid", 2, "folder" },
  [METRIC_IS] = { "is", 1, "folder" },
  [METRIC_CHECKERBOARD] = { "checkerboard", 2, "image" },
};

typedef struct {
  int batch, splits, subsets, subset_size;
} Options;

/* Features of every image of a folder, one batch at a time. */
typedef struct {
  VksInception *net;
  float *images;          /* batch x [3][299][299] */
  int done, total;        /* images so far, over every folder, for the progress line */
} Extractor;

static gboolean
load_prepared (const char *path, float *out, GError **error)
{
  g_autoptr (VksImage) image = vks_image_load (path, error);
  if (!image)
    return FALSE;
  /* The packed R'G'B' floats as they are (alpha dropped, grey already expanded): pytorch-fid's
   * ToTensor of PIL's convert("RGB"), for 8-bit files to the bit. */
  vks_inception_prepare_image (image->rgb, image->width, image->height, out);
  return TRUE;
}

/* pool3 [n][2048] and logits_unbiased [n][1008] (either may be NULL) of the n files. */
static gboolean
extract (Extractor *ex, GPtrArray *files, float *pool3, float *logits, GError **error)
{
  const size_t image_floats = 3 * VKS_INCEPTION_SIZE * VKS_INCEPTION_SIZE;
  const int batch = vks_inception_batch (ex->net), n = (int) files->len;
  for (int start = 0; start < n; start += batch) {
    int count = MIN (batch, n - start);
    for (int i = 0; i < count; i++)
      if (!load_prepared (g_ptr_array_index (files, start + i), ex->images + i * image_floats,
                          error))
        return FALSE;
    if (!vks_inception_run (ex->net, ex->images, count,
                            pool3 ? pool3 + (size_t) start * VKS_INCEPTION_FEATURES : NULL,
                            logits ? logits + (size_t) start * VKS_INCEPTION_CLASSES : NULL,
                            error))
      return FALSE;
    ex->done += count;
    g_autofree char *message = g_strdup_printf ("Features %d/%d", ex->done, ex->total);
    vks_cli_progress ((double) ex->done / ex->total, message, NULL);
  }
  return TRUE;
}

static float *
features_new (GPtrArray *files, int width)
{
  return g_try_new (float, (size_t) files->len * width);
}

static gboolean
compute (Metric metric, GPtrArray **files, int n_folders, Extractor *ex, const Options *o,
         GError **error)
{
  if (metric == METRIC_IS) {
    g_autofree float *logits = features_new (files[0], VKS_INCEPTION_CLASSES);
    double mean, std;
    if (!logits) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "not enough memory for %u images' "
                   "logits", files[0]->len);
      return FALSE;
    }
    if (!extract (ex, files[0], NULL, logits, error) ||
        !vks_inception_score (logits, (int) files[0]->len, VKS_INCEPTION_CLASSES, o->splits,
                              2020, &mean, &std, error))
      return FALSE;
    vks_cli_progress_end ();
    printf ("is_mean=%.9g is_std=%.9g\n", mean, std);
    return TRUE;
  }
  g_assert (n_folders == 2);
  g_autofree float *f1 = features_new (files[0], VKS_INCEPTION_FEATURES);
  g_autofree float *f2 = features_new (files[1], VKS_INCEPTION_FEATURES);
  if (!f1 || !f2) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "not enough memory for %u images' "
                 "features", files[0]->len + files[1]->len);
    return FALSE;
  }
  int n1 = (int) files[0]->len, n2 = (int) files[1]->len;
  if (!extract (ex, files[0], f1, NULL, error) || !extract (ex, files[1], f2, NULL, error))
    return FALSE;
  if (metric == METRIC_FID) {
    double fid;
    if (!vks_fid (f1, n1, f2, n2, VKS_INCEPTION_FEATURES, &fid, error))
      return FALSE;
    vks_cli_progress_end ();
    printf ("fid=%.6f\n", fid);
    return TRUE;
  }
  VksKidOptions kid;
  vks_kid_options_default (&kid);
  kid.subsets = o->subsets;
  kid.subset_size = o->subset_size;
  double mean, std;
  if (!vks_kid (f1, n1, f2, n2, VKS_INCEPTION_FEATURES, &kid, &mean, &std, error))
    return FALSE;
  vks_cli_progress_end ();
  /* KID is small (1e-3 for close sets): significant digits, not decimals */
  printf ("kid_mean=%.9g kid_std=%.9g\n", mean, std);
  return TRUE;
}

/* Cheap checks first (folders, the checkpoint's kind, sample counts) so that a mistake costs no
 * network run. */
static gboolean
check_counts (Metric metric, GPtrArray **files, const Options *o, GError **error)
{
  if (metric == METRIC_IS && (int) files[0]->len < o->splits) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "the Inception Score in %d splits needs at "
                 "least %d images, the folder has %u (see --splits)", o->splits, o->splits,
                 files[0]->len);
    return FALSE;
  }
  if (metric != METRIC_IS && (files[0]->len < 2 || files[1]->len < 2)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "%s needs at least 2 images in each folder, "
                 "not %u and %u", metric == METRIC_FID ? "FID" : "KID", files[0]->len,
                 files[1]->len);
    return FALSE;
  }
  return TRUE;
}

static gboolean
run (Metric metric, char **folders, const char *inception, const char *device, const Options *o,
     GError **error)
{
  const int n_folders = metric_info[metric].folders;
  GPtrArray *files[2] = { NULL, NULL };
  VksCheckpoint *ckpt = NULL;
  VksContext *ctx = NULL;
  Extractor ex = { NULL, NULL, 0, 0 };
  gboolean ok = TRUE;
  for (int i = 0; ok && i < n_folders; i++)
    ok = (files[i] = vks_image_folder_list (folders[i], error)) != NULL;
  ok = ok && check_counts (metric, files, o, error) &&
       (ckpt = vks_checkpoint_load (inception, error)) != NULL;
  if (ok && !vks_inception_check_checkpoint (ckpt, error)) {
    g_prefix_error (error, "%s: ", inception);
    ok = FALSE;
  }
  int largest = 0;
  for (int i = 0; i < n_folders && ok; i++) {
    ex.total += (int) files[i]->len;
    largest = MAX (largest, (int) files[i]->len);
  }
  ok = ok && (ctx = vks_context_new (device, error)) != NULL &&
       (ex.net = vks_inception_new (ctx, ckpt, MIN (o->batch, largest), error)) != NULL;
  if (ok) {
    ex.images = g_try_new (float, (size_t) vks_inception_batch (ex.net) * 3 * VKS_INCEPTION_SIZE *
                                  VKS_INCEPTION_SIZE);
    if (!ex.images) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "not enough memory for a batch of "
                   "%d images (see --batch)", vks_inception_batch (ex.net));
      ok = FALSE;
    }
  }
  ok = ok && compute (metric, files, n_folders, &ex, o, error);
  vks_cli_progress_end ();
  g_free (ex.images);
  g_clear_pointer (&ex.net, vks_inception_free);
  g_clear_pointer (&ctx, vks_context_free);
  g_clear_pointer (&ckpt, vks_checkpoint_free);
  for (int i = 0; i < n_folders; i++)
    g_clear_pointer (&files[i], g_ptr_array_unref);
  return ok;
}

static gboolean
checkerboard (const char *in_path, const char *styled_path, GError **error)
{
  g_autoptr (VksImage) in = vks_image_load (in_path, error);
  if (!in)
    return FALSE;
  g_autoptr (VksImage) styled = vks_image_load (styled_path, error);
  if (!styled)
    return FALSE;
  if (in->width != styled->width || in->height != styled->height) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "%s is %dx%d but %s is %dx%d: the "
                 "checkerboard measure compares an image with its own stylized copy",
                 styled_path, styled->width, styled->height, in_path, in->width, in->height);
    return FALSE;
  }
  double db[VKS_CHECKERBOARD_GROUPS];
  if (!vks_checkerboard_db (in->rgb, styled->rgb, in->width, in->height, db, error))
    return FALSE;
  printf ("period2_db=%.2f period4_db=%.2f\n", db[VKS_CHECKERBOARD_PERIOD2],
          db[VKS_CHECKERBOARD_PERIOD4]);
  return TRUE;
}

int
vks_cmd_metrics (GStrv *args)
{
  g_autofree char *inception = NULL;
  g_autofree char *device = NULL;
  g_auto (GStrv) words = NULL;
  Options o = { DEFAULT_BATCH, 10, 100, 1000 };
  const GOptionEntry entries[] = {
    { "inception", 'i', 0, G_OPTION_ARG_FILENAME, &inception,
      "The FID Inception-v3 (.safetensors)", "FILE" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &o.batch, "Images per network run (default 8)", "N" },
    { "splits", 0, 0, G_OPTION_ARG_INT, &o.splits, "IS: splits (default 10)", "N" },
    { "subsets", 0, 0, G_OPTION_ARG_INT, &o.subsets, "KID: subsets (default 100)", "N" },
    { "subset-size", 0, 0, G_OPTION_ARG_INT, &o.subset_size,
      "KID: images per subset (default 1000, capped at both image counts)", "N" },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
      "Vulkan device: index or part of its name (default: $VKSTYLE_DEVICE, else the first GPU, "
      "else the CPU)", "DEVICE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &words, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (!vks_cli_parse ("metrics", "fid|kid|is REAL [FAKE] | checkerboard IN STYLED",
                      "Compare image folders with FID or KID, or score one with IS; or measure "
                      "a stylized image's checkerboard.",
                      description, entries, args))
    return VKS_EXIT_USAGE;
  guint n_words = words ? g_strv_length (words) : 0;
  if (n_words == 0)
    return vks_cli_usage_error ("metrics", "expected a metric: fid, kid, is or checkerboard");
  int metric = -1;
  for (int i = 0; i < (int) G_N_ELEMENTS (metric_info); i++)
    if (strcmp (words[0], metric_info[i].name) == 0)
      metric = i;
  if (metric < 0)
    return vks_cli_usage_error ("metrics", "unknown metric \"%s\" (fid, kid, is or "
                                "checkerboard)", words[0]);
  int folders = metric_info[metric].folders;
  if ((int) n_words - 1 != folders)
    return vks_cli_usage_error ("metrics", "%s takes %d %s%s, got %u", words[0], folders,
                                metric_info[metric].argument, folders == 1 ? "" : "s",
                                n_words - 1);
  if (metric == METRIC_CHECKERBOARD) {
    vks_cli_gegl_init ();
    GError *error = NULL;
    gboolean ok = checkerboard (words[1], words[2], &error);
    gegl_exit ();
    return ok ? VKS_EXIT_OK : vks_cli_fail (error);
  }
  if (!inception)
    return vks_cli_usage_error ("metrics", "--inception is required");
  if (o.batch < 1 || o.batch > MAX_BATCH)
    return vks_cli_usage_error ("metrics", "--batch must be from 1 to %d", MAX_BATCH);
  if (o.splits < 1 || o.subsets < 1 || o.subset_size < 2)
    return vks_cli_usage_error ("metrics", "--splits and --subsets must be at least 1, "
                                "--subset-size at least 2");

  vks_cli_gegl_init ();
  GError *error = NULL;
  gboolean ok = run ((Metric) metric, words + 1, inception, device, &o, &error);
  gegl_exit ();
  return ok ? VKS_EXIT_OK : vks_cli_fail (error);
}
