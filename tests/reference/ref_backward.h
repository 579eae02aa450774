/* Double-precision forwards of the ops that have a backward pass, for finite-difference gradient
 * checks (tests/test_backward.c): the gradient the device computes is compared with central
 * differences of these, so the reference needs no hand-derived backward formulas at all. Same
 * conventions as ref_ops.h (NCHW, PyTorch weight layouts), in double throughout. */
#pragma once

#include "reference/ref_ops.h"

typedef enum { REF_ACT_NONE, REF_ACT_RELU, REF_ACT_LEAKY_RELU, REF_ACT_TANH } RefActivation;

double ref_activate_d (RefActivation act, double slope, double v);

/* weight [cout][cin][kh][kw], bias [cout] or NULL. */
void ref_conv2d_d (const double *x, int n, int cin, int h, int w, const double *weight,
                   const double *bias, int cout, int kh, int kw, int stride, int pad,
                   RefPadMode mode, double *y);
/* weight [cin][cout][kh][kw]. */
void ref_conv_transpose2d_d (const double *x, int n, int cin, int h, int w, const double *weight,
                             const double *bias, int cout, int kh, int kw, int stride, int pad,
                             int output_pad, double *y);
/* y = act(instance_norm(x) * gamma + beta); gamma/beta NULL for no affine. */
void ref_instance_norm_d (const double *x, int n, int c, int h, int w, const double *gamma,
                          const double *beta, double eps, RefActivation act, double slope,
                          double *y);

/* Central differences of f at v[0..count): grad[i] = (f(v + h e_i) - f(v - h e_i)) / 2h. f reads
 * v (through data) and returns a scalar loss. */
typedef double (*RefLossFunc) (void *data);
void ref_finite_differences (RefLossFunc f, void *data, double *v, long count, double h,
                             double *grad);
