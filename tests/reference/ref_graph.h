/* A naive double-precision interpreter of the graph engine's graphs, written from each op's
 * definition (convolutions as sums over their (input, tap, output) triples, products as loops):
 * independent of the kernels and of the lowering, it is what the device results and the
 * gradient rules (by finite differences) are checked against. Values are PyTorch-ordered. */
#pragma once
#include "engine/nn/graph.h"

/* Evaluates every node; leaves[v] holds the values of each input and parameter v (others NULL).
 * Returns one array per node (free with ref_graph_free). */
double **ref_graph_eval (const VksGraph *g, double *const *leaves);
void ref_graph_free (const VksGraph *g, double **values);
