/* The JSON front end of the checkpoint reader: the header is hostile input, so before json-glib
 * sees it, it must be plain RFC 8259 JSON within our limits, and after, it must name no member
 * twice. */
#include "engine/checkpoint-private.h"
#include "engine/error.h"

#include <string.h>

/* Our headers nest 3 deep (root, entry, shape); json-glib 1.6 recurses without a limit. */
#define MAX_JSON_DEPTH 16

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
          vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                    "header is not valid JSON: control character inside a string (byte %"
                                    G_GSIZE_FORMAT ")", i);
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
          vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                    "header is not valid JSON: bad escape sequence in a string (byte %"
                                    G_GSIZE_FORMAT ")", start);
          return FALSE;
        }
      i += 4;
      int low = -1;
      if (unit >= 0xd800 && unit <= 0xdbff && i + 2 < length && text[i + 1] == '\\' && text[i + 2] == 'u')
        low = read_hex4 (text, length, i + 3);
      if ((unit >= 0xd800 && unit <= 0xdbff && (low < 0xdc00 || low > 0xdfff))
          || (unit >= 0xdc00 && unit <= 0xdfff))
        {
          vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                    "header is not valid JSON: unpaired UTF-16 surrogate \\u%04x in a string (byte %"
                                    G_GSIZE_FORMAT ")", (unsigned) unit, start);
          return FALSE;
        }
      if (low >= 0)
        i += 6;
    }
  if (i >= length)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "header is not valid JSON: unterminated string");
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
  vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
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
          vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                    "header is not valid JSON: extra text after the top-level object (byte %"
                                    G_GSIZE_FORMAT ")", i);
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
              vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
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
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source,
                                "header is not valid JSON: unexpected character 0x%02x at byte %" G_GSIZE_FORMAT, c, i);
      return FALSE;
    }
  if (bare_value)
    {
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "header is not a JSON object");
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

JsonParser *
vks_checkpoint_parse_json (const char *text, gsize length, const char *source, GError **error)
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
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "header is not valid JSON: %s", valid);
    }
  else if (watch.repeated_name != NULL)
    vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "header lists \"%s\" twice", watch.repeated_name);
  else
    {
      JsonNode *root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        {
          g_free (watch.repeated_name);
          g_clear_error (&json_error);
          return parser;
        }
      vks_checkpoint_set_error (error, VKS_ERROR_CHECKPOINT, source, "header is not a JSON object");
    }
  g_free (watch.repeated_name);
  g_clear_error (&json_error);
  g_object_unref (parser);
  return NULL;
}
