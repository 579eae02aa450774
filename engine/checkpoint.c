/* Safetensors reader (strict, bounds-checked) and atomic writer. Format notes and the validation
 * rules are in docs/checkpoints.md. */
#include "engine/checkpoint.h"
#include "engine/error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The limit the reference implementation uses; real headers are kilobytes. */
#define MAX_HEADER_BYTES ((guint64) 100 * 1024 * 1024)
/* Our headers nest 3 deep (root, entry, shape); json-glib 1.6 recurses without a limit. */
#define MAX_JSON_DEPTH 16
#define METADATA_KEY "__metadata__"
#define HALF_MAX_BITS 0x7bffu

struct VksCheckpoint {
  GPtrArray *tensors;         /* VksCheckpointTensor *, sorted by strcmp of name */
  GHashTable *tensor_by_name; /* borrowed tensor->name -> tensor */
  GHashTable *metadata;       /* owned key -> owned value */
};

/* One header entry after validation, before its data is converted. */
typedef struct {
  const char *name; /* borrowed from the JSON tree */
  VksDtype dtype;
  int ndim;
  int64_t shape[VKS_CHECKPOINT_MAX_DIMS];
  int64_t n_elements;
  guint64 begin, end;
} HeaderEntry;

static void
set_error (GError **error, int code, const char *source, const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Prefixes the file name when there is one, so every message says which file is bad. */
static void
set_error (GError **error, int code, const char *source, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  if (source != NULL)
    g_set_error (error, VKS_ERROR, code, "%s: %s", source, message);
  else
    g_set_error_literal (error, VKS_ERROR, code, message);
}

char *
vks_format_shape (int ndim, const int64_t *shape)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* ---- half precision ---- */

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exponent = (h >> 10) & 0x1fu;
  guint32 mantissa = h & 0x3ffu;
  guint32 bits;

  if (exponent == 0x1f)
    bits = sign | 0x7f800000u | (mantissa << 13); /* infinity or NaN */
  else if (exponent != 0)
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  else if (mantissa == 0)
    bits = sign;
  else
    {
      /* Every half subnormal is a float normal: shift the leading 1 into the implicit bit. */
      guint32 shift = 0;
      while ((mantissa & 0x400u) == 0)
        {
          mantissa <<= 1;
          shift++;
        }
      bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
    }
  float f;
  memcpy (&f, &bits, sizeof f);
  return f;
}

/* Round to nearest even. Finite values beyond the half range are clamped to +-65504 rather than
 * turned into infinities, so a saved file always loads again. */
static guint16
float_to_half (float f)
{
  guint32 x;
  memcpy (&x, &f, sizeof x);
  guint16 sign = (guint16) ((x >> 16) & 0x8000u);
  guint32 a = x & 0x7fffffffu;

  if (a > 0x7f800000u)
    return sign | 0x7e00u;
  if (a == 0x7f800000u)
    return sign | 0x7c00u;
  if (a >= 0x477ff000u) /* 65520: the first value that rounds to infinity */
    return sign | HALF_MAX_BITS;
  if (a >= 0x38800000u) /* 2^-14: half normal range */
    {
      guint32 h = (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3ffu);
      guint32 rest = a & 0x1fffu;
      if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        h++; /* a carry into the exponent is still the correctly rounded value */
      return sign | (guint16) h;
    }
  guint32 exponent = a >> 23;
  if (exponent < 102) /* below 2^-25, half of the smallest subnormal */
    return sign;
  guint32 mantissa = (a & 0x7fffffu) | 0x800000u;
  guint32 shift = 126 - exponent; /* 14 .. 24 */
  guint32 h = mantissa >> shift;
  guint32 rest = mantissa & ((1u << shift) - 1);
  guint32 halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (h & 1u)))
    h++;
  return sign | (guint16) h;
}

static gsize
dtype_size (VksDtype dtype)
{
  return dtype == VKS_DTYPE_F16 ? 2 : 4;
}

static const char *
dtype_name (VksDtype dtype)
{
  return dtype == VKS_DTYPE_F16 ? "F16" : "F32";
}

/* ---- the checkpoint object ---- */

static void
tensor_free (gpointer p)
{
  VksCheckpointTensor *t = p;
  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

VksCheckpoint *
vks_checkpoint_new (void)
{
  VksCheckpoint *ckpt = g_new0 (VksCheckpoint, 1);
  ckpt->tensors = g_ptr_array_new_with_free_func (tensor_free);
  ckpt->tensor_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  ckpt->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return ckpt;
}

void
vks_checkpoint_free (VksCheckpoint *ckpt)
{
  if (ckpt == NULL)
    return;
  g_hash_table_unref (ckpt->tensor_by_name);
  g_ptr_array_unref (ckpt->tensors);
  g_hash_table_unref (ckpt->metadata);
  g_free (ckpt);
}

/* Index of the first tensor whose name is >= name. */
static guint
lower_bound (const VksCheckpoint *ckpt, const char *name)
{
  guint lo = 0, hi = ckpt->tensors->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, mid);
      if (strcmp (t->name, name) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Takes ownership of t; a tensor of the same name is freed. */
static void
insert_tensor (VksCheckpoint *ckpt, VksCheckpointTensor *t)
{
  guint i = lower_bound (ckpt, t->name);
  if (i < ckpt->tensors->len)
    {
      VksCheckpointTensor *old = g_ptr_array_index (ckpt->tensors, i);
      if (strcmp (old->name, t->name) == 0)
        {
          g_hash_table_remove (ckpt->tensor_by_name, old->name);
          tensor_free (old);
          ckpt->tensors->pdata[i] = t;
          g_hash_table_insert (ckpt->tensor_by_name, t->name, t);
          return;
        }
    }
  g_ptr_array_insert (ckpt->tensors, (gint) i, t);
  g_hash_table_insert (ckpt->tensor_by_name, t->name, t);
}

const char *
vks_checkpoint_get_metadata (const VksCheckpoint *ckpt, const char *key)
{
  g_return_val_if_fail (ckpt != NULL && key != NULL, NULL);
  return g_hash_table_lookup (ckpt->metadata, key);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

const char **
vks_checkpoint_metadata_keys (const VksCheckpoint *ckpt)
{
  g_return_val_if_fail (ckpt != NULL, NULL);
  guint n = 0;
  const char **keys = (const char **) g_hash_table_get_keys_as_array (ckpt->metadata, &n);
  qsort (keys, n, sizeof *keys, compare_strings);
  return keys;
}

void
vks_checkpoint_set_metadata (VksCheckpoint *ckpt, const char *key, const char *value)
{
  g_return_if_fail (ckpt != NULL && key != NULL && value != NULL);
  g_return_if_fail (g_utf8_validate (key, -1, NULL) && g_utf8_validate (value, -1, NULL));
  g_hash_table_insert (ckpt->metadata, g_strdup (key), g_strdup (value));
}

guint
vks_checkpoint_n_tensors (const VksCheckpoint *ckpt)
{
  g_return_val_if_fail (ckpt != NULL, 0);
  return ckpt->tensors->len;
}

const VksCheckpointTensor *
vks_checkpoint_tensor_at (const VksCheckpoint *ckpt, guint i)
{
  g_return_val_if_fail (ckpt != NULL && i < ckpt->tensors->len, NULL);
  return g_ptr_array_index (ckpt->tensors, i);
}

const VksCheckpointTensor *
vks_checkpoint_get_tensor (const VksCheckpoint *ckpt, const char *name)
{
  g_return_val_if_fail (ckpt != NULL && name != NULL, NULL);
  return g_hash_table_lookup (ckpt->tensor_by_name, name);
}

/* FALSE on overflow. A zero anywhere makes the product zero however large the other sizes are. */
static gboolean
count_elements (int ndim, const int64_t *shape, int64_t *n_elements)
{
  for (int i = 0; i < ndim; i++)
    if (shape[i] == 0)
      {
        *n_elements = 0;
        return TRUE;
      }
  guint64 n = 1;
  for (int i = 0; i < ndim; i++)
    if (!g_uint64_checked_mul (&n, n, (guint64) shape[i]) || n > (guint64) G_MAXINT64)
      return FALSE;
  *n_elements = (int64_t) n;
  return TRUE;
}

VksCheckpointTensor *
vks_checkpoint_add_tensor (VksCheckpoint *ckpt, const char *name, int ndim, const int64_t *shape,
                           const float *data)
{
  g_return_val_if_fail (ckpt != NULL && name != NULL, NULL);
  g_return_val_if_fail (g_utf8_validate (name, -1, NULL) && strcmp (name, METADATA_KEY) != 0, NULL);
  g_return_val_if_fail (ndim >= 0 && ndim <= VKS_CHECKPOINT_MAX_DIMS, NULL);
  g_return_val_if_fail (ndim == 0 || shape != NULL, NULL);
  for (int i = 0; i < ndim; i++)
    g_return_val_if_fail (shape[i] >= 0, NULL);
  int64_t n = 0;
  gboolean countable = count_elements (ndim, shape, &n);
  g_return_val_if_fail (countable && (guint64) n <= G_MAXSIZE / sizeof (float), NULL);

  VksCheckpointTensor *t = g_new0 (VksCheckpointTensor, 1);
  t->name = g_strdup (name);
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    t->shape[i] = shape[i];
  t->n_elements = n;
  if (n > 0)
    {
      t->data = g_new0 (float, (gsize) n);
      if (data != NULL)
        memcpy (t->data, data, (gsize) n * sizeof (float));
    }
  insert_tensor (ckpt, t);
  return t;
}

/* ---- reading ---- */

/* The 4 hex digits of a \u escape starting at text[at], or -1. */
static int
read_hex4 (const char *text, gsize length, gsize at)
{
  if (at > length || length - at < 4)
    return -1;
  int value = 0;
  for (gsize k = 0; k < 4; k++)
    {
      int digit = g_ascii_xdigit_value (text[at + k]);
      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* Moves *pos from a string's opening quote to its closing quote. Escapes must be RFC 8259 ones:
 * json-glib 1.6 leaks memory on a malformed \u surrogate pair, and decodes an unpaired surrogate
 * (\ud83d alone) into bytes that are not UTF-8, which would reach names, metadata and messages
 * shown in GTK (both found by tests/fuzz). Raw bytes that are not UTF-8 json-glib refuses itself. */
static gboolean
scan_string (const char *text, gsize length, gsize *pos, const char *source, GError **error)
{
  gsize i = *pos + 1;
  for (; i < length && text[i] != '"'; i++)
    {
      gsize start = i;
      if ((unsigned char) text[i] < 0x20)
        {
          set_error (error, VKS_ERROR_CHECKPOINT, source,
                     "header is not valid JSON: control character inside a string (byte %" G_GSIZE_FORMAT ")", i);
          return FALSE;
        }
      if (text[i] != '\\')
        continue;
      if (++i >= length)
        break;
      if (text[i] != '\0' && strchr ("\"\\/bfnrt", text[i]) != NULL)
        continue;
      int unit = text[i] == 'u' ? read_hex4 (text, length, i + 1) : -1;
      if (unit < 0)
        {
          set_error (error, VKS_ERROR_CHECKPOINT, source,
                     "header is not valid JSON: bad escape sequence in a string (byte %" G_GSIZE_FORMAT ")", start);
          return FALSE;
        }
      i += 4;
      int low = -1;
      if (unit >= 0xd800 && unit <= 0xdbff && i + 2 < length && text[i + 1] == '\\' && text[i + 2] == 'u')
        low = read_hex4 (text, length, i + 3);
      if ((unit >= 0xd800 && unit <= 0xdbff && (low < 0xdc00 || low > 0xdfff))
          || (unit >= 0xdc00 && unit <= 0xdfff))
        {
          set_error (error, VKS_ERROR_CHECKPOINT, source,
                     "header is not valid JSON: unpaired UTF-16 surrogate \\u%04x in a string (byte %" G_GSIZE_FORMAT ")",
                     (unsigned) unit, start);
          return FALSE;
        }
      if (low >= 0)
        i += 6;
    }
  if (i >= length)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "header is not valid JSON: unterminated string");
      return FALSE;
    }
  *pos = i;
  return TRUE;
}

/* An integer's text must fit in int64. json-glib does not agree with itself on one that does
 * not: 1.6 (Debian 12) turns it into a double, which the reader refuses as "not a whole number",
 * while 1.10 (Debian 13) silently clamps 2^64 to INT64_MAX, which would pass as a (huge) size. So
 * the text decides, the same on both. *pos is at the number's first character and is left at its
 * last; a malformed number is left for the JSON parser to report. */
static gboolean
scan_number (const char *text, gsize length, gsize *pos, const char *source, GError **error)
{
  gsize begin = *pos, end = begin;
  gboolean integer = TRUE;
  while (end < length && (g_ascii_isdigit (text[end]) || strchr ("+-.eE", text[end]) != NULL))
    {
      if (text[end] != '-' && !g_ascii_isdigit (text[end]))
        integer = FALSE;
      end++;
    }
  *pos = end - 1;
  if (!integer)
    return TRUE;
  g_autofree char *number = g_strndup (text + begin, end - begin);
  gint64 value;
  GError *range_error = NULL;
  if (g_ascii_string_to_signed (number, 10, G_MININT64, G_MAXINT64, &value, &range_error))
    return TRUE;
  gboolean out_of_range = g_error_matches (range_error, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS);
  g_error_free (range_error);
  if (!out_of_range)
    return TRUE; /* e.g. "--1": the parser's to report */
  /* The number may be a hostile megabyte of digits: quote its start only. */
  set_error (error, VKS_ERROR_CHECKPOINT, source,
             "header is not a safetensors header: the integer %.24s%s at byte %" G_GSIZE_FORMAT
             " is beyond the 64-bit range", number, strlen (number) > 24 ? "..." : "", begin);
  return FALSE;
}

/* json-glib 1.6 has no nesting limit (a header of 100 000 '[' overflows the stack) and accepts
 * comments and single-quoted strings, which would let brackets hide from any depth count. So the
 * header must first be plain RFC 8259 JSON at the lexical level: outside double-quoted strings only
 * whitespace, punctuation, number characters and letters (true/false/null); nesting at most
 * MAX_JSON_DEPTH; nothing but whitespace after the top-level value. This also refuses json-glib's
 * "var name = {...}" extension, since '=' is not JSON. A string, number or word outside any
 * object or array is refused here rather than by json-glib: json-glib 1.6 goes on to parse what
 * follows such a value and leaks it (found by tests/fuzz: "\"a\" {...}" lost the object). */
static gboolean
prescan_json (const char *text, gsize length, const char *source, GError **error)
{
  int depth = 0;
  gboolean closed = FALSE, bare_value = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      unsigned char c = (unsigned char) text[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        continue;
      if (closed)
        {
          set_error (error, VKS_ERROR_CHECKPOINT, source,
                     "header is not valid JSON: extra text after the top-level object (byte %" G_GSIZE_FORMAT ")",
                     i);
          return FALSE;
        }
      if (c == '"')
        {
          if (!scan_string (text, length, &i, source, error))
            return FALSE;
          bare_value = bare_value || depth == 0;
          continue;
        }
      if (c == '{' || c == '[')
        {
          if (++depth > MAX_JSON_DEPTH)
            {
              set_error (error, VKS_ERROR_CHECKPOINT, source,
                         "header is not a safetensors header: JSON nested more than %d levels deep",
                         MAX_JSON_DEPTH);
              return FALSE;
            }
          continue;
        }
      if (c == '}' || c == ']')
        {
          /* Unbalanced closers are left for the JSON parser to report. */
          if (depth > 0 && --depth == 0)
            closed = TRUE;
          continue;
        }
      if (c == ':' || c == ',')
        continue;
      if (c == '-' || g_ascii_isdigit (c))
        {
          if (!scan_number (text, length, &i, source, error))
            return FALSE;
          bare_value = bare_value || depth == 0;
          continue;
        }
      if (c == '-' || c == '+' || c == '.' || g_ascii_isalnum (c))
        {
          bare_value = bare_value || depth == 0;
          continue;
        }
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "header is not valid JSON: unexpected character 0x%02x at byte %" G_GSIZE_FORMAT, c, i);
      return FALSE;
    }
  if (bare_value)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "header is not a JSON object");
      return FALSE;
    }
  return TRUE;
}

/* json-glib keeps only the last of repeated object members, silently. It emits ::object-member
 * right after storing each member, so a member that did not grow its object was a repeat. */
typedef struct {
  GHashTable *members_seen; /* JsonObject * -> number of members parsed so far */
  char *repeated_name;
} DuplicateWatch;

static void
on_object_member (JsonParser *parser, JsonObject *object, const char *name, gpointer user_data)
{
  (void) parser;
  DuplicateWatch *watch = user_data;
  guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (watch->members_seen, object)) + 1;
  g_hash_table_insert (watch->members_seen, object, GUINT_TO_POINTER (seen));
  if (seen != json_object_get_size (object) && watch->repeated_name == NULL)
    watch->repeated_name = g_strdup (name);
}

static JsonParser *
parse_json (const char *text, gsize length, const char *source, GError **error)
{
  if (!prescan_json (text, length, source, error))
    return NULL;

  DuplicateWatch watch = { g_hash_table_new (NULL, NULL), NULL };
  JsonParser *parser = json_parser_new_immutable ();
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &watch);
  GError *json_error = NULL;
  gboolean ok = json_parser_load_from_data (parser, text, (gssize) length, &json_error);
  g_signal_handlers_disconnect_by_data (parser, &watch);
  g_hash_table_unref (watch.members_seen);

  if (!ok)
    {
      /* json-glib says "<data>:line:col: Parse error: ..."; the file name is ours to give. It
       * quotes the offending text, and the message ends up in a GTK dialog, which needs UTF-8:
       * belt and braces over scan_string (this is how tests/fuzz first found unpaired
       * surrogates). */
      const char *detail = json_error->message;
      if (g_str_has_prefix (detail, "<data>:"))
        detail += strlen ("<data>:");
      g_autofree char *valid = g_utf8_make_valid (detail, -1);
      set_error (error, VKS_ERROR_CHECKPOINT, source, "header is not valid JSON: %s", valid);
    }
  else if (watch.repeated_name != NULL)
    set_error (error, VKS_ERROR_CHECKPOINT, source, "header lists \"%s\" twice", watch.repeated_name);
  else
    {
      JsonNode *root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        {
          g_free (watch.repeated_name);
          g_clear_error (&json_error);
          return parser;
        }
      set_error (error, VKS_ERROR_CHECKPOINT, source, "header is not a JSON object");
    }
  g_free (watch.repeated_name);
  g_clear_error (&json_error);
  g_object_unref (parser);
  return NULL;
}

static gboolean
node_get_int (JsonNode *node, gint64 *value)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_dtype (JsonObject *entry, const char *name, VksDtype *dtype, const char *source, GError **error)
{
  /* Known safetensors dtypes we cannot load, named as such so the message is helpful. */
  static const char *const unsupported[] = { "F64", "BF16", "F8_E4M3", "F8_E5M2", "I64", "I32",
                                             "I16", "I8", "U64", "U32", "U16", "U8", "BOOL" };
  JsonNode *node = json_object_get_member (entry, "dtype");
  if (node == NULL)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: no dtype", name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: dtype is not a string", name);
      return FALSE;
    }
  const char *s = json_node_get_string (node);
  if (strcmp (s, "F32") == 0)
    *dtype = VKS_DTYPE_F32;
  else if (strcmp (s, "F16") == 0)
    *dtype = VKS_DTYPE_F16;
  else
    {
      for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++)
        if (strcmp (s, unsupported[i]) == 0)
          {
            set_error (error, VKS_ERROR_CHECKPOINT, source,
                       "tensor %s: unsupported dtype %s (only F32 and F16 can be loaded)", name, s);
            return FALSE;
          }
      set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: unknown dtype \"%s\"", name, s);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_shape (JsonObject *entry, HeaderEntry *e, const char *source, GError **error)
{
  JsonNode *node = json_object_get_member (entry, "shape");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: shape is missing or not an array", e->name);
      return FALSE;
    }
  JsonArray *array = json_node_get_array (node);
  guint ndim = json_array_get_length (array);
  if (ndim > VKS_CHECKPOINT_MAX_DIMS)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "tensor %s: shape has %u dimensions, at most %d are supported", e->name, ndim,
                 VKS_CHECKPOINT_MAX_DIMS);
      return FALSE;
    }
  e->ndim = (int) ndim;
  for (guint i = 0; i < ndim; i++)
    {
      gint64 v;
      if (!node_get_int (json_array_get_element (array, i), &v) || v < 0)
        {
          set_error (error, VKS_ERROR_CHECKPOINT, source,
                     "tensor %s: shape must be a list of non-negative whole numbers", e->name);
          return FALSE;
        }
      e->shape[i] = v;
    }
  if (!count_elements (e->ndim, e->shape, &e->n_elements))
    {
      g_autofree char *shape = vks_format_shape (e->ndim, e->shape);
      set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: shape %s has too many elements",
                 e->name, shape);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_offsets (JsonObject *entry, HeaderEntry *e, guint64 data_size, const char *source, GError **error)
{
  JsonNode *node = json_object_get_member (entry, "data_offsets");
  gint64 begin = -1, end = -1;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (json_node_get_array (node)) != 2
      || !node_get_int (json_array_get_element (json_node_get_array (node), 0), &begin)
      || !node_get_int (json_array_get_element (json_node_get_array (node), 1), &end)
      || begin < 0 || end < 0)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "tensor %s: data_offsets must be two non-negative whole numbers [begin, end]", e->name);
      return FALSE;
    }
  e->begin = (guint64) begin;
  e->end = (guint64) end;
  if (e->begin > e->end)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "tensor %s: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] end before they begin",
                 e->name, e->begin, e->end);
      return FALSE;
    }
  if (e->end > data_size)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "tensor %s: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] go past the end of "
                 "the data (%" G_GUINT64_FORMAT " bytes); the file is truncated or damaged",
                 e->name, e->begin, e->end, data_size);
      return FALSE;
    }
  g_autofree char *shape = vks_format_shape (e->ndim, e->shape);
  guint64 needed;
  if (!g_uint64_checked_mul (&needed, (guint64) e->n_elements, dtype_size (e->dtype)))
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "tensor %s: shape %s has too many elements", e->name, shape);
      return FALSE;
    }
  if (needed != e->end - e->begin)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "tensor %s: shape %s of %s needs %" G_GUINT64_FORMAT " bytes but data_offsets give %" G_GUINT64_FORMAT,
                 e->name, shape, dtype_name (e->dtype), needed, e->end - e->begin);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_entry (const char *name, JsonNode *node, guint64 data_size, HeaderEntry *e, const char *source,
             GError **error)
{
  memset (e, 0, sizeof *e);
  e->name = name;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "header entry \"%s\" is not an object", name);
      return FALSE;
    }
  JsonObject *entry = json_node_get_object (node);
  return parse_dtype (entry, name, &e->dtype, source, error)
         && parse_shape (entry, e, source, error)
         && parse_offsets (entry, e, data_size, source, error);
}

static gboolean
parse_metadata (JsonNode *node, VksCheckpoint *ckpt, const char *source, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "__metadata__ is not an object");
      return FALSE;
    }
  JsonObject *object = json_node_get_object (node);
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          set_error (error, VKS_ERROR_CHECKPOINT, source, "metadata value of \"%s\" is not a string", key);
          return FALSE;
        }
      g_hash_table_insert (ckpt->metadata, g_strdup (key), g_strdup (json_node_get_string (value)));
    }
  return TRUE;
}

static gint
compare_by_begin (gconstpointer a, gconstpointer b)
{
  const HeaderEntry *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* entries must be sorted by begin. Empty ranges hold no bytes and overlap nothing. */
static gboolean
check_overlaps (GArray *entries, const char *source, GError **error)
{
  const HeaderEntry *reach = NULL; /* the non-empty entry that extends furthest so far */
  for (guint i = 0; i < entries->len; i++)
    {
      const HeaderEntry *e = &g_array_index (entries, HeaderEntry, i);
      if (e->begin == e->end)
        continue;
      if (reach != NULL && e->begin < reach->end)
        {
          set_error (error, VKS_ERROR_CHECKPOINT, source,
                     "tensors %s and %s overlap in the file (data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                     "] and [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "])",
                     reach->name, e->name, reach->begin, reach->end, e->begin, e->end);
          return FALSE;
        }
      if (reach == NULL || e->end > reach->end)
        reach = e;
    }
  return TRUE;
}

static gboolean
convert_data (const HeaderEntry *e, const guint8 *bytes, float *out, const char *source, GError **error)
{
  gsize n = (gsize) e->n_elements;
  if (e->dtype == VKS_DTYPE_F32)
    {
      memcpy (out, bytes, n * sizeof (float));
#if G_BYTE_ORDER == G_BIG_ENDIAN
      guint32 *words = (guint32 *) out;
      for (gsize i = 0; i < n; i++)
        words[i] = GUINT32_SWAP_LE_BE (words[i]);
#endif
    }
  else
    for (gsize i = 0; i < n; i++)
      out[i] = half_to_float ((guint16) (bytes[2 * i] | (bytes[2 * i + 1] << 8)));

  for (gsize i = 0; i < n; i++)
    if (!isfinite (out[i]))
      {
        set_error (error, VKS_ERROR_CHECKPOINT, source,
                   "tensor %s holds a non-finite value (%s) at element %" G_GSIZE_FORMAT
                   "; the checkpoint is damaged (training may have diverged)",
                   e->name, isnan (out[i]) ? "NaN" : out[i] > 0 ? "+inf" : "-inf", i);
        return FALSE;
      }
  return TRUE;
}

/* data == NULL: header only (tensor data stays NULL), offsets still checked against data_size. */
static VksCheckpoint *
parse_checkpoint (const char *json, gsize json_length, const guint8 *data, guint64 data_size,
                  const char *source, GError **error)
{
  JsonParser *parser = parse_json (json, json_length, source, error);
  if (parser == NULL)
    return NULL;

  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  VksCheckpoint *ckpt = vks_checkpoint_new ();
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (HeaderEntry));
  gboolean ok = TRUE;

  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  json_object_iter_init (&iter, root);
  while (ok && json_object_iter_next (&iter, &name, &node))
    {
      if (strcmp (name, METADATA_KEY) == 0)
        ok = parse_metadata (node, ckpt, source, error);
      else
        {
          HeaderEntry e;
          ok = parse_entry (name, node, data_size, &e, source, error);
          if (ok)
            g_array_append_val (entries, e);
        }
    }
  if (ok)
    {
      g_array_sort (entries, compare_by_begin);
      ok = check_overlaps (entries, source, error);
    }

  for (guint i = 0; ok && i < entries->len; i++)
    {
      const HeaderEntry *e = &g_array_index (entries, HeaderEntry, i);
      VksCheckpointTensor *t = g_new0 (VksCheckpointTensor, 1);
      t->name = g_strdup (e->name);
      t->ndim = e->ndim;
      memcpy (t->shape, e->shape, sizeof t->shape);
      t->n_elements = e->n_elements;
      insert_tensor (ckpt, t);
      if (data == NULL || e->n_elements == 0)
        continue;
      /* n_elements * dtype size fits the data area, so n_elements * 4 fits a gsize too */
      t->data = g_try_new (float, (gsize) e->n_elements);
      if (t->data == NULL)
        {
          set_error (error, VKS_ERROR_OUT_OF_MEMORY, source, "not enough memory to load tensor %s (%" G_GINT64_FORMAT " MiB)",
                     e->name, e->n_elements * 4 / (1024 * 1024));
          ok = FALSE;
        }
      else
        ok = convert_data (e, data + e->begin, t->data, source, error);
    }

  g_array_unref (entries);
  g_object_unref (parser);
  if (!ok)
    {
      vks_checkpoint_free (ckpt);
      return NULL;
    }
  return ckpt;
}

/* Checks the 8-byte prefix of a file of file_size bytes; first8 may be NULL if file_size < 8. */
static gboolean
check_prefix (const guint8 *first8, guint64 file_size, const char *source, guint64 *header_length,
              GError **error)
{
  if (file_size == 0)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source, "empty file, not a safetensors checkpoint");
      return FALSE;
    }
  if (file_size < 8)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "truncated file: %" G_GUINT64_FORMAT " bytes, too short for the 8-byte header length",
                 file_size);
      return FALSE;
    }
  guint64 n = 0;
  for (int i = 7; i >= 0; i--)
    n = (n << 8) | first8[i];
  if (n > MAX_HEADER_BYTES)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "header length %" G_GUINT64_FORMAT " is over the 100 MiB limit: not a safetensors file, or a damaged one",
                 n);
      return FALSE;
    }
  if (n > file_size - 8)
    {
      set_error (error, VKS_ERROR_CHECKPOINT, source,
                 "truncated file: header says %" G_GUINT64_FORMAT " bytes of JSON but only %" G_GUINT64_FORMAT " follow",
                 n, file_size - 8);
      return FALSE;
    }
  *header_length = n;
  return TRUE;
}

static VksCheckpoint *
load_from_data_named (const guint8 *data, gsize size, const char *source, GError **error)
{
  guint64 n;
  if (!check_prefix (data, size, source, &n, error))
    return NULL;
  return parse_checkpoint ((const char *) data + 8, (gsize) n, data + 8 + n, size - 8 - n, source, error);
}

VksCheckpoint *
vks_checkpoint_load_from_data (const guint8 *data, gsize size, GError **error)
{
  g_return_val_if_fail (data != NULL || size == 0, NULL);
  return load_from_data_named (data, size, NULL, error);
}

/* Opens a regular file for reading; O_NONBLOCK so that a FIFO does not hang us before fstat. */
static int
open_regular_file (const char *path, const char *source, guint64 *size, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int err = errno;
      set_error (error, VKS_ERROR_IO, source, "cannot open: %s", g_strerror (err));
      return -1;
    }
  struct stat st;
  if (fstat (fd, &st) != 0)
    {
      int err = errno;
      set_error (error, VKS_ERROR_IO, source, "cannot read: %s", g_strerror (err));
      close (fd);
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      set_error (error, VKS_ERROR_IO, source, "%s",
                 S_ISDIR (st.st_mode) ? "is a folder, not a checkpoint file" : "is not a regular file");
      close (fd);
      return -1;
    }
  *size = (guint64) st.st_size;
  return fd;
}

/* Reads exactly length bytes from offset; a short read means the file shrank meanwhile. */
static gboolean
read_exactly (int fd, guint8 *buffer, gsize length, const char *source, GError **error)
{
  gsize done = 0;
  while (done < length)
    {
      gssize got = read (fd, buffer + done, length - done);
      if (got < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (got < 0)
        {
          int err = errno;
          set_error (error, VKS_ERROR_IO, source, "cannot read: %s", g_strerror (err));
          return FALSE;
        }
      if (got == 0)
        {
          set_error (error, VKS_ERROR_CHECKPOINT, source, "truncated file: it changed while being read");
          return FALSE;
        }
      done += (gsize) got;
    }
  return TRUE;
}

VksCheckpoint *
vks_checkpoint_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *source = g_filename_display_name (path);
  guint64 size;
  int fd = open_regular_file (path, source, &size, error);
  if (fd < 0)
    return NULL;

  /* Read, not mmap: a file truncated by someone else while mapped would kill us with SIGBUS. */
  VksCheckpoint *ckpt = NULL;
  guint8 *bytes = size > G_MAXSIZE ? NULL : g_try_malloc (size ? (gsize) size : 1);
  if (bytes == NULL)
    set_error (error, VKS_ERROR_OUT_OF_MEMORY, source, "not enough memory to read the file (%" G_GUINT64_FORMAT " MiB)",
               size / (1024 * 1024));
  else if (read_exactly (fd, bytes, (gsize) size, source, error))
    ckpt = load_from_data_named (bytes, (gsize) size, source, error);
  g_free (bytes);
  close (fd);
  return ckpt;
}

VksCheckpoint *
vks_checkpoint_load_header (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *source = g_filename_display_name (path);
  guint64 size, n = 0;
  guint8 first8[8];
  int fd = open_regular_file (path, source, &size, error);
  if (fd < 0)
    return NULL;

  VksCheckpoint *ckpt = NULL;
  if ((size < 8 || read_exactly (fd, first8, 8, source, error))
      && check_prefix (first8, size, source, &n, error))
    {
      char *json = g_try_malloc (n ? (gsize) n : 1);
      if (json == NULL)
        set_error (error, VKS_ERROR_OUT_OF_MEMORY, source, "not enough memory to read the header");
      else if (read_exactly (fd, (guint8 *) json, (gsize) n, source, error))
        ckpt = parse_checkpoint (json, (gsize) n, NULL, size - 8 - n, source, error);
      g_free (json);
    }
  close (fd);
  return ckpt;
}

/* ---- writing ---- */

static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) *p);
        }
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p); /* UTF-8 passes through as is */
    }
  g_string_append_c (out, '"');
}

/* The whole prefix: 8-byte length, then the JSON padded with spaces to a multiple of 8, so the
 * data area starts 8-aligned. Tensors follow in name order, back to back: the reference reader
 * rejects any gap between tensors, so each tensor is aligned to its element size only. */
static GString *
build_prefix (const VksCheckpoint *ckpt, VksDtype dtype)
{
  GString *json = g_string_new ("{");
  const char **keys = vks_checkpoint_metadata_keys (ckpt);
  if (keys[0] != NULL)
    {
      g_string_append (json, "\"" METADATA_KEY "\":{");
      for (guint i = 0; keys[i] != NULL; i++)
        {
          if (i > 0)
            g_string_append_c (json, ',');
          append_json_string (json, keys[i]);
          g_string_append_c (json, ':');
          append_json_string (json, g_hash_table_lookup (ckpt->metadata, keys[i]));
        }
      g_string_append_c (json, '}');
    }
  g_free (keys);

  guint64 offset = 0;
  for (guint i = 0; i < ckpt->tensors->len; i++)
    {
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, i);
      guint64 bytes = (guint64) t->n_elements * dtype_size (dtype);
      if (json->len > 1)
        g_string_append_c (json, ',');
      append_json_string (json, t->name);
      g_string_append_printf (json, ":{\"dtype\":\"%s\",\"shape\":[", dtype_name (dtype));
      for (int d = 0; d < t->ndim; d++)
        g_string_append_printf (json, "%s%" G_GINT64_FORMAT, d ? "," : "", t->shape[d]);
      g_string_append_printf (json, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                              offset, offset + bytes);
      offset += bytes;
    }
  g_string_append_c (json, '}');
  while (json->len % 8 != 0)
    g_string_append_c (json, ' ');

  guint8 length_le[8];
  guint64 n = json->len;
  for (int i = 0; i < 8; i++)
    length_le[i] = (guint8) (n >> (8 * i));
  g_string_prepend_len (json, (const char *) length_le, 8);
  return json;
}

/* Where serialized bytes go: a memory buffer or a file. */
typedef gboolean (*SinkFunc) (const void *bytes, gsize length, gpointer sink, GError **error);

static gboolean
emit_checkpoint (const VksCheckpoint *ckpt, VksDtype dtype, SinkFunc write_fn, gpointer sink, GError **error)
{
  GString *prefix = build_prefix (ckpt, dtype);
  gboolean ok = write_fn (prefix->str, prefix->len, sink, error);
  g_string_free (prefix, TRUE);

  /* Converted in chunks so that saving never holds a second copy of the weights. */
  enum { CHUNK = 16384 };
  guint8 *buffer = g_malloc (CHUNK * 4);
  for (guint i = 0; ok && i < ckpt->tensors->len; i++)
    {
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, i);
      for (gsize start = 0; ok && start < (gsize) t->n_elements; start += CHUNK)
        {
          gsize count = MIN ((gsize) CHUNK, (gsize) t->n_elements - start);
          const float *src = t->data + start;
          for (gsize k = 0; k < count; k++)
            {
              if (dtype == VKS_DTYPE_F16)
                {
                  guint16 h = float_to_half (src[k]);
                  buffer[2 * k] = (guint8) h;
                  buffer[2 * k + 1] = (guint8) (h >> 8);
                }
              else
                {
                  guint32 w;
                  memcpy (&w, &src[k], 4);
                  for (int b = 0; b < 4; b++)
                    buffer[4 * k + b] = (guint8) (w >> (8 * b));
                }
            }
          ok = write_fn (buffer, count * dtype_size (dtype), sink, error);
        }
    }
  g_free (buffer);
  return ok;
}

static gboolean
has_all_data (const VksCheckpoint *ckpt)
{
  for (guint i = 0; i < ckpt->tensors->len; i++)
    {
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, i);
      if (t->n_elements > 0 && t->data == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
sink_to_bytes (const void *bytes, gsize length, gpointer sink, GError **error)
{
  (void) error;
  g_byte_array_append (sink, bytes, (guint) length);
  return TRUE;
}

GBytes *
vks_checkpoint_serialize (const VksCheckpoint *ckpt, VksDtype dtype)
{
  g_return_val_if_fail (ckpt != NULL, NULL);
  /* A checkpoint from vks_checkpoint_load_header has shapes but no data to write. */
  g_return_val_if_fail (has_all_data (ckpt), NULL);
  GByteArray *out = g_byte_array_new ();
  emit_checkpoint (ckpt, dtype, sink_to_bytes, out, NULL);
  return g_byte_array_free_to_bytes (out);
}

typedef struct {
  int fd;
  const char *source;
} FileSink;

static gboolean
sink_to_file (const void *bytes, gsize length, gpointer sink, GError **error)
{
  FileSink *file = sink;
  const guint8 *p = bytes;
  while (length > 0)
    {
      gssize written = write (file->fd, p, length);
      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        {
          int err = errno;
          set_error (error, VKS_ERROR_IO, file->source, "cannot save: %s", g_strerror (err));
          return FALSE;
        }
      p += written;
      length -= (gsize) written;
    }
  return TRUE;
}

static gboolean
check_finite_for_save (const VksCheckpoint *ckpt, const char *source, GError **error)
{
  for (guint i = 0; i < ckpt->tensors->len; i++)
    {
      const VksCheckpointTensor *t = g_ptr_array_index (ckpt->tensors, i);
      for (int64_t k = 0; k < t->n_elements; k++)
        if (!isfinite (t->data[k]))
          {
            set_error (error, VKS_ERROR_IO, source,
                       "not saved: tensor %s holds a non-finite value (NaN or infinity); such a file could not be loaded again",
                       t->name);
            return FALSE;
          }
    }
  return TRUE;
}

/* Makes the rename itself durable; failure here does not undo a completed save. */
static void
sync_parent_folder (const char *path)
{
  g_autofree char *folder = g_path_get_dirname (path);
  int fd = g_open (folder, O_RDONLY | O_CLOEXEC | O_DIRECTORY, 0);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

gboolean
vks_checkpoint_save (const VksCheckpoint *ckpt, const char *path, VksDtype dtype, GError **error)
{
  g_return_val_if_fail (ckpt != NULL && path != NULL, FALSE);
  g_autofree char *source = g_filename_display_name (path);
  if (!has_all_data (ckpt))
    {
      set_error (error, VKS_ERROR_IO, source, "not saved: the checkpoint holds shapes only, no tensor data");
      return FALSE;
    }
  if (!check_finite_for_save (ckpt, source, error))
    return FALSE;

  /* Same folder as the target, so that rename() is atomic (same file system). */
  g_autofree char *temp_path = g_strconcat (path, ".XXXXXX", NULL);
  int fd = g_mkstemp_full (temp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int err = errno;
      g_autofree char *folder = g_path_get_dirname (path);
      g_autofree char *folder_name = g_filename_display_name (folder);
      set_error (error, VKS_ERROR_IO, source, "cannot save: cannot create a file in %s: %s", folder_name,
                 g_strerror (err));
      return FALSE;
    }

  FileSink sink = { fd, source };
  gboolean ok = emit_checkpoint (ckpt, dtype, sink_to_file, &sink, error);
  if (ok && fsync (fd) != 0)
    {
      int err = errno;
      set_error (error, VKS_ERROR_IO, source, "cannot save: %s", g_strerror (err));
      ok = FALSE;
    }
  if (close (fd) != 0 && ok)
    {
      int err = errno;
      set_error (error, VKS_ERROR_IO, source, "cannot save: %s", g_strerror (err));
      ok = FALSE;
    }
  if (ok && g_rename (temp_path, path) != 0)
    {
      int err = errno;
      set_error (error, VKS_ERROR_IO, source, "cannot save: %s", g_strerror (err));
      ok = FALSE;
    }
  if (!ok)
    {
      g_unlink (temp_path);
      return FALSE;
    }
  sync_parent_folder (path);
  return TRUE;
}
