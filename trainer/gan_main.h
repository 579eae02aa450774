/* vkstyle-train --arch dcgan: PyTorch examples/dcgan's training loop (engine/gan_train.h) on one
 * folder of images. Files in --out, each written atomically:
 *   latest_G.safetensors      the generator (complete metadata: `vkstyle generate --model`)
 *   latest_D.safetensors      the discriminator (with latest_G: a start for --init)
 *   latest_state.safetensors  everything a bit-identical resume needs, in one file
 *   losses.csv, losses.png, samples/, index.html (trainer/report.h) */
#pragma once

/* The whole program for that architecture; returns the exit status. */
int vks_gan_train_main (int argc, char **argv);
