#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/codes.h"

#define CATEGORY -1

char *
texture_code_name (const VksGanConfig *cfg, int index)
{
  if (index == CATEGORY)
    return g_strdup (cfg->category_name[0] ? cfg->category_name : "category");
  if (cfg->continuous_names[index][0])
    return g_strdup (cfg->continuous_names[index]);
  return g_strdup_printf ("code%d", index + 1);
}

static gboolean
name_matches (const char *key, const char *name)
{
  return g_ascii_strcasecmp (key, name) == 0;
}

/* Which code `key` names: CATEGORY, a continuous index, or n_continuous when none. Both the
 * model's name and the generic one are accepted, so scripts need not know the model's names. */
static int
find_code (const VksGanConfig *cfg, const char *key)
{
  g_autofree char *generic = NULL;

  if (cfg->n_categories > 0
      && (name_matches (key, "category") || (cfg->category_name[0]
                                             && name_matches (key, cfg->category_name))))
    return CATEGORY;
  for (int i = 0; i < cfg->n_continuous; i++)
    {
      g_autofree char *numbered = g_strdup_printf ("code%d", i + 1);

      if (name_matches (key, numbered)
          || (cfg->continuous_names[i][0] && name_matches (key, cfg->continuous_names[i])))
        return i;
    }
  return cfg->n_continuous;
}

/* "pattern (0 to 2), scale, tilt" for the messages. */
static char *
list_codes (const VksGanConfig *cfg)
{
  GString *list = g_string_new (NULL);

  if (cfg->n_categories > 0)
    {
      g_autofree char *name = texture_code_name (cfg, CATEGORY);

      g_string_append_printf (list, "%s (0–%d)", name, cfg->n_categories - 1);
    }
  for (int i = 0; i < cfg->n_continuous; i++)
    {
      g_autofree char *name = texture_code_name (cfg, i);

      g_string_append_printf (list, "%s%s", list->len ? ", " : "", name);
    }
  return g_string_free (list, FALSE);
}

static gboolean
code_error (const VksGanConfig *cfg, GError **error, const char *problem)
{
  g_autofree char *known = list_codes (cfg);

  g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("%s This model's codes are: %s."), problem,
               known);
  return FALSE;
}

static gboolean
parse_one (const VksGanConfig *cfg, const char *item, VksGanCodes *codes, guint32 *seen,
           GError **error)
{
  g_auto (GStrv) parts = g_strsplit (item, "=", 2);
  g_autofree char *problem = NULL;
  char *key, *end;
  double value;
  int code;

  if (parts[0] == NULL || parts[1] == NULL)
    {
      problem = g_strdup_printf (_("“%s” in the codes is not NAME=VALUE."), item);
      return code_error (cfg, error, problem);
    }
  key = g_strstrip (parts[0]);
  code = find_code (cfg, key);
  if (code == cfg->n_continuous)
    {
      problem = g_strdup_printf (_("The model has no code named “%s”."), key);
      return code_error (cfg, error, problem);
    }
  if (*seen & (1u << (code + 1)))
    {
      problem = g_strdup_printf (_("The code “%s” is given twice."), key);
      return code_error (cfg, error, problem);
    }
  *seen |= 1u << (code + 1);
  value = g_ascii_strtod (g_strstrip (parts[1]), &end);
  if (end == parts[1] || *end != '\0' || !isfinite (value))
    {
      problem = g_strdup_printf (_("The value of the code “%s” is not a number."), key);
      return code_error (cfg, error, problem);
    }
  if (code == CATEGORY)
    {
      if (value != floor (value) || value < 0 || value >= cfg->n_categories)
        {
          problem = g_strdup_printf (_("The category must be a whole number from 0 to %d, "
                                       "not %s."), cfg->n_categories - 1, parts[1]);
          return code_error (cfg, error, problem);
        }
      codes->category = (int) value;
      return TRUE;
    }
  if (fabs (value) > TEXTURE_CODE_LIMIT)
    {
      problem = g_strdup_printf (_("The code “%s” must be between %g and %g, not %s."), key,
                                 -TEXTURE_CODE_LIMIT, TEXTURE_CODE_LIMIT, parts[1]);
      return code_error (cfg, error, problem);
    }
  codes->continuous[code] = value;
  return TRUE;
}

gboolean
texture_codes_parse (const VksGanConfig *cfg, const char *text, VksGanCodes *codes,
                     GError **error)
{
  g_auto (GStrv) items = NULL;
  guint32 seen = 0;

  memset (codes, 0, sizeof *codes);
  if (text == NULL || text[strspn (text, " \t")] == '\0')
    return TRUE;
  if (cfg->n_categories + cfg->n_continuous == 0)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("This model (a DCGAN) has no codes, but the codes “%s” were given."), text);
      return FALSE;
    }
  items = g_strsplit (text, ",", -1);
  for (char **item = items; *item; item++)
    if (!parse_one (cfg, *item, codes, &seen, error))
      return FALSE;
  return TRUE;
}

char *
texture_codes_format (const VksGanConfig *cfg, const VksGanCodes *codes)
{
  GString *text = g_string_new (NULL);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  if (cfg->n_categories > 0)
    {
      g_autofree char *name = texture_code_name (cfg, CATEGORY);

      g_string_append_printf (text, "%s=%d", name, codes->category);
    }
  for (int i = 0; i < cfg->n_continuous; i++)
    {
      g_autofree char *name = texture_code_name (cfg, i);

      /* shortest exact form, C locale: reads back bit for bit */
      g_string_append_printf (text, "%s%s=%s", text->len ? "," : "", name,
                              g_ascii_dtostr (number, sizeof number, codes->continuous[i]));
    }
  return g_string_free (text, FALSE);
}
