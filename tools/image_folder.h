/* The image files of a folder, chosen as the reference CycleGAN's make_dataset does
 * (data/image_folder.py): the one rule shared by the trainer's datasets and `vkstyle metrics`. */
#pragma once
#include <glib.h>

/* Every file under folder, recursively (hidden files and folders included, links to folders not
 * followed, links to files taken), whose name ends in .jpg .jpeg .png .ppm .bmp .tif .tiff (all
 * lower or all upper case, as str.endswith does), sorted by path in byte order. A folder that is
 * missing, not a folder, unlistable (VKS_ERROR_IO) or holds no such file (VKS_ERROR_IMAGE) is an
 * error naming it. Returns owned paths (free with g_ptr_array_unref). */
GPtrArray *vks_image_folder_list (const char *folder, GError **error);
