/* Checks shared by the graph-engine tests: a graph's leaves filled with seeded random values,
 * its nodes evaluated by the reference interpreter and on the device, gradients by finite
 * differences of the reference. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/nn/plan.h"
#include "tests/reference/ref_graph.h"

typedef struct {
  VksGraph *g;
  double **leaves;         /* per node: values of inputs and parameters */
  int n_checked;           /* leaves below this node index are differentiated */
} GraphCase;

/* Random values in [-1, 1] for every input and parameter of g (takes g). */
void graph_case_init (GraphCase *gc, VksGraph *g, guint32 seed);
void graph_case_clear (GraphCase *gc);

/* Runs nodes[0..n) on the device and returns the largest error against the reference, in the
 * tests' tolerance form max |a - b| / (1 + max |b|) over each node. */
double graph_case_device_error (GraphCase *gc, const VksNode *nodes, int n);

/* Adds loss = sum(out * r) for a random input r, its gradients with respect to every leaf
 * (stored in grads, sized vks_graph_n_nodes before the call; VKS_NONE for non-leaves) and
 * returns the loss node. */
VksNode graph_case_add_loss_grads (GraphCase *gc, VksNode out, VksNode *grads);

#define GRAPH_CASE_UNCHECKED (-2)

/* Largest error of the reference-evaluated gradient d loss / d leaf against central finite
 * differences of the reference loss, for each leaf below gc->n_checked (grads[leaf]: its
 * gradient node; VKS_NONE: the derivative must be zero; GRAPH_CASE_UNCHECKED: skipped), over up to ~40 elements of each.
 * Form: |fd - g| / (1 + max |g|). */
double graph_case_fd_error (GraphCase *gc, VksNode loss, const VksNode *grads);

/* tests/fixtures/<file> (G_TEST_SRCDIR), asserted to load. */
VksCheckpoint *graph_check_load_fixture (const char *file);

/* A plan's values of `node` (VKS_NONE: zeros, an absent gradient) against the fixture tensor
 * `name` of ck, logged: max |a - b| / max |b| (the absolute error where b is all zeros). */
double graph_check_against (VksPlan *plan, VksNode node, const VksCheckpoint *ck,
                            const char *name);

/* The tolerances of the op checks: float32 device results against the double reference, and
 * central differences (h = 1e-6, double) against the gradient rules. */
#define GRAPH_CHECK_DEVICE_TOL 2e-5
#define GRAPH_CHECK_FD_TOL 1e-6

/* Adjusts a case's leaves after they were filled (a domain: indices that must be integers). */
typedef void (*GraphCaseFix) (GraphCase *gc);

/* One op's whole check (takes g): `out` on the device against the reference; the gradient of
 * sum(out * r) for a random r with respect to every leaf against finite differences; that
 * gradient graph on the device. With second_order, also the gradient of 0.5 * the squared norm
 * of those gradients (a gradient penalty), against finite differences and on the device. */
void graph_check_op (VksGraph *g, VksNode out, GraphCaseFix fix, gboolean second_order);
