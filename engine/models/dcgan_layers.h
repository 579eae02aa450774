/* The one description of the DCGAN / InfoGAN layer layout (which module index holds which
 * convolution and norm, their shapes), read by the graph builders (dcgan.c) and the tensor lists
 * (dcgan_spec.c) so the two cannot disagree. docs/checkpoints.md shows the same tables. */
#pragma once
#include "engine/models/dcgan.h"

/* 32 -> 3, 64 -> 4, 128 -> 5 (transposed) convolutions before the last one; 0 if invalid. */
int vks_gan_stages (int image_size);

typedef enum { VKS_GAN_ACT_NONE, VKS_GAN_ACT_RELU, VKS_GAN_ACT_LEAKY, VKS_GAN_ACT_TANH }
VksGanAct;

/* Where a discriminator layer's input comes from and where its output goes. */
typedef enum {
  VKS_GAN_ROLE_CHAIN,      /* the previous layer's output (the body, the generator) */
  VKS_GAN_ROLE_HEAD_D,     /* the body's output -> the logit */
  VKS_GAN_ROLE_Q_HIDDEN,   /* the body's output -> the Q head's hidden layer */
  VKS_GAN_ROLE_Q_LOGITS,   /* the hidden layer -> the category's logits */
  VKS_GAN_ROLE_Q_MEAN,     /* the hidden layer -> the continuous codes' means */
  VKS_GAN_ROLE_Q_LOGVAR,   /* the hidden layer -> log variances (exp gives the variances) */
} VksGanRole;

typedef struct {
  char conv[24];           /* the convolution's module, "main.3" */
  char norm[24];           /* its norm's module, "main.4"; "" without a norm */
  VksCriticNorm norm_kind; /* batch: BatchNorm2d; layer: LayerNorm([cout, h, w]) */
  int cin, cout, kernel, stride, pad;
  gboolean transposed, bias;
  int out_h, out_w;        /* at the native size (a LayerNorm's weight shape) */
  VksGanAct act;
  VksGanRole role;
} VksGanLayer;

#define VKS_GAN_MAX_LAYERS 12

/* The layers in forward (state_dict) order; returns their number (0: invalid config). */
int vks_gan_generator_layers (const VksGanConfig *cfg, VksGanLayer *layers);
int vks_gan_discriminator_layers (const VksGanConfig *cfg, VksGanLayer *layers);

/* The InfoGAN Q head's hidden width (InfoGAN's paper: 128 for MNIST's Q). */
#define VKS_INFOGAN_Q_HIDDEN 128
