/* What a graph tells about a model without running it: its arithmetic and how far an output
 * pixel sees into the input (the tiler's context). Both come from the graph itself, so a
 * builder is the only description of a model. */
#pragma once
#include "engine/nn/graph.h"

/* Multiply-adds x 2 of computing node (0 for ops without multiply-adds worth counting:
 * element-wise work is counted as one operation per output element). */
double vks_node_flops (const VksGraph *g, VksNode node);
/* The same summed over every node `output` depends on. */
double vks_graph_flops (const VksGraph *g, VksNode output);
/* The receptive-field radius of `output` in pixels of `input` (per side, rounded up): how many
 * input pixels beyond a region an output pixel of that region can depend on. -1 if a node on
 * the way mixes all pixels (a norm's statistics are global and are not counted: the tiler
 * handles them separately; matrix products, sums over h or w, reshapes that move pixels,
 * slices and concatenations are). */
int vks_graph_receptive_radius (const VksGraph *g, VksNode input, VksNode output);
