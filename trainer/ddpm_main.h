/* vkstyle-train --arch ddpm: the sprites course's diffusion training loop on a folder of
 * images, one subfolder per class (trainer/ddpm_main.c says what it writes). */
#pragma once

/* The whole program for that architecture; returns the exit status. */
int vks_ddpm_train_main (int argc, char **argv);
