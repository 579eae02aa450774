#include "engine/nn/op.h"

#include <stdarg.h>
#include <string.h>

#include "engine/error.h"

static void
node_info_clear (gpointer data)
{
  VksNodeInfo *info = data;
  g_free (info->name);
}

VksGraph *
vks_graph_new (void)
{
  VksGraph *g = g_new0 (VksGraph, 1);
  g->nodes = g_array_new (FALSE, TRUE, sizeof (VksNodeInfo));
  g_array_set_clear_func (g->nodes, node_info_clear);
  return g;
}

void
vks_graph_free (VksGraph *g)
{
  if (g == NULL)
    return;
  g_array_free (g->nodes, TRUE);
  g_clear_error (&g->error);
  g_free (g);
}

gboolean
vks_graph_check (const VksGraph *g, GError **error)
{
  if (g->error == NULL)
    return TRUE;
  g_propagate_error (error, g_error_copy (g->error));
  return FALSE;
}

int
vks_graph_n_nodes (const VksGraph *g)
{
  return (int) g->nodes->len;
}

static gboolean
node_exists (const VksGraph *g, VksNode node)
{
  return node >= 0 && node < (int) g->nodes->len;
}

VksShape
vks_graph_shape (const VksGraph *g, VksNode node)
{
  g_return_val_if_fail (node_exists (g, node), vks_shape (0, 0, 0, 0));
  return vks_node_info (g, node)->shape;
}

const char *
vks_graph_name (const VksGraph *g, VksNode node)
{
  g_return_val_if_fail (node_exists (g, node), NULL);
  return vks_node_info (g, node)->name;
}

VksNode
vks_graph_find (const VksGraph *g, const char *name)
{
  for (guint i = 0; i < g->nodes->len; i++) {
    const char *n = vks_node_info (g, (VksNode) i)->name;
    if (n != NULL && strcmp (n, name) == 0)
      return (VksNode) i;
  }
  return VKS_NONE;
}

VksNode *
vks_graph_params (const VksGraph *g, int *n_params)
{
  VksNode *params = g_new (VksNode, g->nodes->len + 1);
  int n = 0;
  for (guint i = 0; i < g->nodes->len; i++)
    if (vks_node_info (g, (VksNode) i)->op == VKS_OP_PARAM)
      params[n++] = (VksNode) i;
  *n_params = n;
  return params;
}

static void
fail_va (VksGraph *g, VksErrorCode code, const char *format, va_list args)
{
  if (g->error == NULL) {
    g_autofree char *msg = g_strdup_vprintf (format, args);
    g->error = g_error_new_literal (VKS_ERROR, code, msg);
  }
}

VksNode
vks_graph_fail (VksGraph *g, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  fail_va (g, VKS_ERROR_SHAPE, format, args);
  va_end (args);
  return VKS_NONE;
}

VksNode
vks_graph_fail_code (VksGraph *g, VksErrorCode code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  fail_va (g, code, format, args);
  va_end (args);
  return VKS_NONE;
}

gboolean
vks_graph_ok (const VksGraph *g, const VksNode *nodes, int n)
{
  if (g->error != NULL)
    return FALSE;
  for (int i = 0; i < n; i++)
    if (!node_exists (g, nodes[i]))
      return FALSE;
  return TRUE;
}

VksNode
vks_graph_add (VksGraph *g, const VksNodeInfo *info)
{
  if (!vks_graph_ok (g, info->in, info->n_in))
    return g->error ? VKS_NONE : vks_graph_fail (g, "%s: an input node is missing",
                                                 vks_op_class (info->op)->name);
  if (info->shape.n < 1 || info->shape.c < 1 || info->shape.h < 1 || info->shape.w < 1)
    return vks_graph_fail (g, "%s: empty output shape [%d, %d, %d, %d]",
                           vks_op_class (info->op)->name, info->shape.n, info->shape.c,
                           info->shape.h, info->shape.w);
  g_array_append_vals (g->nodes, info, 1);
  return (VksNode) (g->nodes->len - 1);
}

static VksNode
leaf (VksGraph *g, VksOpKind op, const char *name, VksShape shape)
{
  if (g->error != NULL)
    return VKS_NONE;
  VksNode same = name != NULL ? vks_graph_find (g, name) : VKS_NONE;
  /* A network applied several times asks for its parameters each time: the same node. */
  if (same != VKS_NONE && op == VKS_OP_PARAM && vks_node_info (g, same)->op == VKS_OP_PARAM &&
      vks_shape_equal (vks_node_info (g, same)->shape, shape))
    return same;
  if (name == NULL || same != VKS_NONE)
    return vks_graph_fail (g, "a graph input needs a unique name (\"%s\")", name ? name : "");
  /* Parameters are stored as the checkpoint has them; inputs as convolutions read images. */
  VksNodeInfo info = {
    .op = op,
    .shape = shape,
    .layout = op == VKS_OP_PARAM ? VKS_LAYOUT_DENSE : VKS_LAYOUT_PLANES,
    .name = g_strdup (name),
  };
  VksNode node = vks_graph_add (g, &info);
  if (node == VKS_NONE)
    g_free (info.name);
  return node;
}

VksNode
vks_input (VksGraph *g, const char *name, VksShape shape)
{
  return leaf (g, VKS_OP_INPUT, name, shape);
}

VksNode
vks_param_rank (VksGraph *g, const char *name, VksShape shape, int rank)
{
  int dims[4] = { shape.n, shape.c, shape.h, shape.w };
  for (int i = 0; i < 4 - rank; i++)
    if (rank < 1 || rank > 4 || dims[i] != 1)
      return vks_graph_fail (g, "parameter \"%s\": [%d, %d, %d, %d] is not of rank %d",
                             name ? name : "", shape.n, shape.c, shape.h, shape.w, rank);
  VksNode node = leaf (g, VKS_OP_PARAM, name, shape);
  if (node != VKS_NONE && vks_node_info (g, node)->rank != 0 &&
      vks_node_info (g, node)->rank != rank)
    return vks_graph_fail (g, "parameter \"%s\" asked for with rank %d and %d", name,
                           vks_node_info (g, node)->rank, rank);
  if (node != VKS_NONE)
    vks_node_info (g, node)->rank = rank;
  return node;
}

VksNode
vks_param_vprintf (VksGraph *g, const char *prefix, VksShape shape, int rank, const char *format,
                   va_list args)
{
  g_autofree char *key = g_strdup_vprintf (format, args);
  g_autofree char *name = g_strconcat (prefix ? prefix : "", key, NULL);
  return vks_param_rank (g, name, shape, rank);
}

VksNode
vks_param_printf (VksGraph *g, const char *prefix, VksShape shape, int rank, const char *format,
                  ...)
{
  va_list args;
  va_start (args, format);
  VksNode node = vks_param_vprintf (g, prefix, shape, rank, format, args);
  va_end (args);
  return node;
}


VksNode
vks_param (VksGraph *g, const char *name, VksShape shape)
{
  int rank = shape.n != 1 ? 4 : shape.c != 1 ? 3 : shape.h != 1 ? 2 : 1;
  return vks_param_rank (g, name, shape, rank);
}

int
vks_graph_param_rank (const VksGraph *g, VksNode param)
{
  g_return_val_if_fail (node_exists (g, param), 0);
  return vks_node_info (g, param)->rank;
}
