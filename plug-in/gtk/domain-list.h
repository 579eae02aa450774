/* Style from Reference's domain list: a combo box of the chosen StarGAN v2 model's domain names
 * (its metadata, models.h), refilled when the model changes. Plain GTK that GTK 2 and GTK 3
 * share, compiled into each front end like style-list.c. */
#pragma once
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <gtk/gtk.h>
#pragma GCC diagnostic pop

GtkWidget *domain_list_new (void);
/* Shows `domains` (NULL: none) and selects `wanted` (a name, case-insensitive, or an index as
 * the PDB argument allows), else the first. Emits "changed" like any selection. */
void domain_list_set (GtkWidget *combo, char **domains, const char *wanted);
/* The selected domain's name, NULL when there is none. g_free. */
char *domain_list_get (GtkWidget *combo);
