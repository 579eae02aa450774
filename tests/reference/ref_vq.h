/* Naive double-precision references of the vector-quantisation and attention-mask ops
 * (engine/nn/ops/vq.c, attention.c), written from their definitions; PyTorch-ordered arrays. */
#pragma once

/* idx[n][p] = the first k minimising sum_c (z[n][c][p] - code[k][c])^2, p over hw positions */
void ref_vq_nearest (int n, int dim, long hw, int codes, const double *z, const double *code,
                     double *idx);
/* out[n][c][p] = code[idx[n][p]][c] (0 outside the codebook) */
void ref_vq_lookup (int n, int dim, long hw, int codes, const double *code, const double *idx,
                    double *out);
/* dcode[k][c] += dy[n][c][p] for idx[n][p] == k (dcode zeroed by the caller) */
void ref_vq_scatter (int n, int dim, long hw, int codes, const double *dy, const double *idx,
                     double *dcode);
/* out[b][i][j] = x[b][i][j] if j <= i + keys - queries, else fill; batch b over `batch` matrices */
void ref_causal_mask (long batch, int queries, int keys, double fill, const double *x,
                      double *out);
