/* vkstyle-train --arch vqgan (trainer/vqgan_main.c) and --arch vqgan-transformer
 * (trainer/vqgan_prior_main.c): taming-transformers' two stages on a folder of images. */
#pragma once

/* The whole program for that architecture; returns the exit status. */
int vks_vqgan_train_main (int argc, char **argv);
int vks_vqgan_prior_train_main (int argc, char **argv);
