#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/gimp3/procedure.h"

static void
add_argument (GimpProcedure *procedure, const FilterArg *arg)
{
  switch (arg->type)
    {
    case FILTER_ARG_STRING:
      gimp_procedure_add_string_argument (procedure, arg->name, _(arg->nick), arg->blurb,
                                          arg->default_string, G_PARAM_READWRITE);
      break;
    case FILTER_ARG_DOUBLE:
      gimp_procedure_add_double_argument (procedure, arg->name, _(arg->nick), arg->blurb,
                                          arg->min, arg->max, arg->default_value,
                                          G_PARAM_READWRITE);
      break;
    case FILTER_ARG_INT:
      gimp_procedure_add_int_argument (procedure, arg->name, _(arg->nick), arg->blurb,
                                       (int) arg->min, (int) arg->max, (int) arg->default_value,
                                       G_PARAM_READWRITE);
      break;
    case FILTER_ARG_BOOLEAN:
      gimp_procedure_add_boolean_argument (procedure, arg->name, _(arg->nick), arg->blurb,
                                           arg->default_value != 0.0, G_PARAM_READWRITE);
      break;
    case FILTER_ARG_DRAWABLE:
      gimp_procedure_add_drawable_argument (procedure, arg->name, _(arg->nick), arg->blurb,
                                            TRUE, G_PARAM_READWRITE);
      break;
    }
}

GimpProcedure *
filter_procedure_new (GimpPlugIn *plug_in, const FilterInfo *filter, GimpRunImageFunc run)
{
  GimpProcedure *procedure = gimp_image_procedure_new (plug_in, filter->procedure,
                                                       GIMP_PDB_PROC_TYPE_PLUGIN, run,
                                                       (gpointer) filter, NULL);

  gimp_procedure_set_image_types (procedure, filter->image_types);
  /* one drawable: the network sees one layer, and a new layer goes above it */
  gimp_procedure_set_sensitivity_mask (procedure, GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
  gimp_procedure_set_menu_label (procedure, _(filter->menu_label));
  gimp_procedure_add_menu_path (procedure, filter->menu_path);
  /* no help pages are installed: no help id, so no Help button leading nowhere */
  gimp_procedure_set_documentation (procedure, _(filter->blurb), filter->help, NULL);
  gimp_procedure_set_attribution (procedure, filter->author, filter->copyright, filter->date);
  for (int i = 0; i < filter->n_args; i++)
    add_argument (procedure, &filter->args[i]);
  return procedure;
}

void
filter_values_from_config (const FilterInfo *filter, GimpProcedureConfig *config,
                           FilterValue *values, char ***strings)
{
  GPtrArray *owned = g_ptr_array_new ();

  for (int i = 0; i < filter->n_args; i++)
    {
      const FilterArg *arg = &filter->args[i];
      char *string = NULL;
      gboolean flag = FALSE;
      int integer = 0;
      GimpDrawable *drawable = NULL;

      values[i].string = NULL;
      values[i].number = 0.0;
      switch (arg->type)
        {
        case FILTER_ARG_STRING:
          g_object_get (config, arg->name, &string, NULL);
          /* a NULL in the middle would end the GStrv early and leak what follows */
          if (string == NULL)
            string = g_strdup ("");
          values[i].string = string;
          g_ptr_array_add (owned, string);
          break;
        case FILTER_ARG_DOUBLE:
          g_object_get (config, arg->name, &values[i].number, NULL);
          break;
        case FILTER_ARG_INT:
          g_object_get (config, arg->name, &integer, NULL);
          values[i].number = integer;
          break;
        case FILTER_ARG_BOOLEAN:
          g_object_get (config, arg->name, &flag, NULL);
          values[i].number = flag ? 1.0 : 0.0;
          break;
        case FILTER_ARG_DRAWABLE:
          /* by ID, as in GIMP 2.10: the front end takes the drawable back when it reads it */
          g_object_get (config, arg->name, &drawable, NULL);
          values[i].number = drawable ? gimp_item_get_id (GIMP_ITEM (drawable)) : -1;
          g_clear_object (&drawable);
          break;
        }
    }
  g_ptr_array_add (owned, NULL);
  *strings = (char **) g_ptr_array_free (owned, FALSE);
}
