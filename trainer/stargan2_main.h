/* vkstyle-train --arch stargan2: clovaai/stargan-v2's training loop (engine/models/
 * stargan2_train.h) on a folder with one subfolder of images per domain (the domains are named
 * after them, sorted). Files in --out, each written atomically:
 *   latest.safetensors        the averaged networks as an inference model (`vkstyle apply
 *                             --domain`, the plug-in), with the domain names
 *   latest_state.safetensors  parameters, the four optimisers, the average and the step: what
 *                             --resume continues, to the bit
 *   losses.csv, losses.png, samples/ (sources x references), index.html (trainer/report.h)
 * Ctrl+C saves and stops. */
#pragma once

/* The whole program for that architecture; returns the exit status. */
int vks_stargan2_train_main (int argc, char **argv);
