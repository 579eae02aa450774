/* The R1 gradient penalty of a small critic and its gradient with respect to the critic's
 * weights, by two vks_grad calls, against PyTorch's double backward in float64
 * (tests/fixtures/make_r1_fixture.py: torch.autograd.grad(create_graph=True)). */
#include <math.h>
#include <string.h>

#include "engine/error.h"

#include "engine/nn/params.h"
#include "tests/nn/graph_check.h"
#include "tests/rig.h"

/* float32 arithmetic against a float64 reference: per tensor max |a - b| / max |b| */
#define R1_TOL 2e-5

typedef struct {
  VksGraph *g;
  VksNode x, out, grad_x, r1;
} Critic;

static VksNode
param (VksGraph *g, const VksCheckpoint *ck, const char *name)
{
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ck, name);
  g_assert_nonnull (t);
  VksShape s;
  g_assert_true (vks_shape_from_dims (t->ndim, t->shape, &s));
  return vks_param_rank (g, name, s, t->ndim);
}

/* The fixture's critic: Conv(3,8,3,1,1) LReLU AvgPool, Conv(8,16,3,1,1) LReLU,
 * Conv(16,16,4,2,1) LReLU, flatten, Linear(64,1). */
static void
build (Critic *c, const VksCheckpoint *ck)
{
  VksGraph *g = c->g = vks_graph_new ();
  c->x = vks_input (g, "x", vks_shape (2, 3, 8, 8));
  VksConvAttrs s1 = { .stride = 1, .pad = 1 }, s2 = { .stride = 2, .pad = 1 };
  VksNode h = vks_conv2d (g, c->x, param (g, ck, "main.0.weight"), param (g, ck, "main.0.bias"),
                          &s1);
  h = vks_avg_pool2 (g, vks_leaky_relu (g, h, 0.2f));
  h = vks_leaky_relu (g, vks_conv2d (g, h, param (g, ck, "main.3.weight"),
                                     param (g, ck, "main.3.bias"), &s1), 0.2f);
  h = vks_leaky_relu (g, vks_conv2d (g, h, param (g, ck, "main.5.weight"),
                                     param (g, ck, "main.5.bias"), &s2), 0.2f);
  h = vks_reshape (g, h, vks_shape (1, 1, 2, 64));
  c->out = vks_linear (g, h, param (g, ck, "fc.weight"), param (g, ck, "fc.bias"));
  /* StarGAN v2's r1_reg: 0.5 * sum(grad^2) / batch */
  vks_grad (g, vks_sum (g, c->out), &c->x, 1, &c->grad_x);
  c->r1 = vks_scale (g, vks_sum (g, vks_square (g, c->grad_x)), 0.5f / 2);
}

static void
test_r1_vs_pytorch (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ck = graph_check_load_fixture ("r1_critic.safetensors");
  Critic c;
  build (&c, ck);
  int n_params = 0;
  g_autofree VksNode *params = vks_graph_params (c.g, &n_params);
  g_autofree VksNode *grads = g_new (VksNode, n_params);
  vks_grad (c.g, c.r1, params, n_params, grads);
  g_assert_true (vks_graph_check (c.g, &error));

  VksNode outputs[16] = { c.out, c.grad_x, c.r1 };
  int n_out = 3;
  for (int i = 0; i < n_params; i++)
    if (grads[i] != VKS_NONE)
      outputs[n_out++] = grads[i];
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), c.g, outputs, n_out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vks_plan_load_params (plan, c.g, ck, &error));
  const VksCheckpointTensor *x = vks_checkpoint_get_tensor (ck, "x");
  g_assert_true (vks_plan_set (plan, c.x, x->data, &error));
  g_assert_true (vks_plan_run (plan, &error));

  g_assert_cmpfloat (graph_check_against (plan, c.out, ck, "expected.out"), <=, R1_TOL);
  g_assert_cmpfloat (graph_check_against (plan, c.grad_x, ck, "expected.grad_x"), <=, R1_TOL);
  g_assert_cmpfloat (graph_check_against (plan, c.r1, ck, "expected.r1"), <=, R1_TOL);
  for (int i = 0; i < n_params; i++) {
    g_autofree char *name = g_strconcat ("expected.grad.", vks_graph_name (c.g, params[i]), NULL);
    /* fc.bias does not reach grad_x: no gradient node, and PyTorch's is zero */
    g_assert_cmpfloat (graph_check_against (plan, grads[i], ck, name), <=, R1_TOL);
  }
  VksPlanStats st;
  vks_plan_stats (plan, &st);
  g_test_message ("%d nodes computed, %d dispatches, arena %" G_GUINT64_FORMAT " bytes (%"
                  G_GUINT64_FORMAT " without reuse)", st.n_nodes, st.n_dispatches,
                  st.arena_bytes, st.naive_bytes);
  vks_graph_free (c.g);
}

static void
test_load_params_errors (void)
{
  GError *error = NULL;
  g_autoptr (VksCheckpoint) ck = graph_check_load_fixture ("r1_critic.safetensors");
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, 3, 8, 8));
  VksConvAttrs s1 = { .stride = 1, .pad = 1 };
  VksNode w = vks_param (g, "main.0.weight", vks_shape (8, 3, 1, 1));   /* wrong shape */
  VksNode y = vks_conv2d (g, x, w, VKS_NONE, &s1);
  g_autoptr (VksPlan) plan = vks_plan_new (test_context (), g, &y, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (vks_plan_load_params (plan, g, ck, &error));
  g_assert_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "main.0.weight"));
  g_clear_error (&error);

  g_autoptr (VksGraph) g2 = vks_graph_new ();
  VksNode x2 = vks_input (g2, "x", vks_shape (1, 3, 8, 8));
  VksNode y2 = vks_scale (g2, vks_add (g2, x2, vks_param (g2, "missing.bias",
                                                          vks_shape (1, 3, 1, 1))), 1.0f);
  g_autoptr (VksPlan) plan2 = vks_plan_new (test_context (), g2, &y2, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (vks_plan_load_params (plan2, g2, ck, &error));
  g_assert_nonnull (strstr (error->message, "no tensor \"missing.bias\""));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/graph/r1/vs-pytorch", test_r1_vs_pytorch);
  g_test_add_func ("/graph/r1/load-params-errors", test_load_params_errors);
  int status = g_test_run ();
  test_context_release ();
  return status;
}
