/* Finding models (checkpoints, *.safetensors) on disk and naming them: style models for Style
 * Transfer, texture models (DCGAN / InfoGAN generators) for Neural Texture, StarGAN v2 models
 * for Style from Reference. All live in the same folders; their metadata's vkstyle.arch tells
 * them apart. */
#pragma once
#include <glib.h>
#include "engine/models/dcgan.h"
#include "engine/models/context_unet.h"

typedef enum {
  MODEL_KIND_STYLE,      /* any other vkstyle.arch (CycleGAN generators), or none */
  MODEL_KIND_TEXTURE,    /* vkstyle.arch "dcgan" or "infogan" */
  MODEL_KIND_REFERENCE,  /* vkstyle.arch "stargan_v2" */
  MODEL_KIND_DIFFUSION,  /* vkstyle.arch "context_unet": Diffusion Sprites and Variation */
} ModelKind;

/* What the plug-in tells people about models of one kind: whole sentences (N_), so that each
 * translates as a sentence; the %s are in the order the comments give. */
typedef struct {
  const char *none_given;       /* no model argument */
  const char *file_missing;     /* %s: the path */
  const char *name_missing;     /* %s: the name, %s: the folders searched */
  const char *none_found;       /* %s: the user's model folder */
  const char *wrong_kind;       /* %s: a file of another kind */
  const char *unusable;         /* %s: the engine's message about the checkpoint */
  const char *failed;           /* a run failed without a message */
  const char *too_large;        /* %s: the engine's message; advice follows */
  const char *chooser_title;
  const char *chooser_filter;
  const char *file_tip;         /* Choose File…'s tooltip */
  const char *device_tip;
  const char *model_label;      /* the list's label, with its mnemonic */
} ModelKindTexts;

const ModelKindTexts *model_kind_texts (ModelKind kind);

typedef struct {
  char *path;
  char *name;         /* vkstyle.name from the metadata, else the file name without extension */
  char *description;  /* vkstyle.description, may be "" */
  ModelKind kind;
  VksGanConfig gan;   /* MODEL_KIND_TEXTURE: the generator's configuration, codes' names */
  char **domains;     /* MODEL_KIND_REFERENCE: the domain names, in index order; else NULL */
  VksUnetConfig unet; /* MODEL_KIND_DIFFUSION: size, classes (the dialogs' sliders) */
} ModelInfo;

void model_info_free (ModelInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ModelInfo, model_info_free)

/* Reads only the checkpoint header; a texture model's metadata is checked (its codes name the
 * dialog's sliders). */
ModelInfo *model_info_from_file (const char *path, GError **error);

/* Folders searched, most personal first: <profile_dir>/vkstyle/models (profile_dir is GIMP's
 * gimp_directory()), <plugin_dir>/weights (the per-user install puts weights beside the binary),
 * then the installed VKSTYLE_WEIGHTS_DIR. plugin_dir may be NULL. g_strfreev. */
char **models_search_dirs (const char *profile_dir, const char *plugin_dir);

/* <profile_dir>/vkstyle/models, the folder where users put their own models. g_free. */
char *models_user_dir (const char *profile_dir);

/* Every readable model of `kind` in the search folders, sorted by name; a file found twice
 * (through a symlink or the same folder listed twice) appears once. Unreadable files are skipped
 * with a g_message, so one broken download does not hide the others. GPtrArray of ModelInfo*. */
GPtrArray *models_find_all (ModelKind kind, const char *profile_dir, const char *plugin_dir);

/* What the PDB "model" argument means: an existing file path is taken as is (the engine checks
 * what it holds); otherwise the first model of `kind` (in search order) whose vkstyle.name or
 * file stem equals `model` (case-insensitive). Returns a newly allocated path, or NULL with an
 * error listing what was looked for. */
char *models_resolve (ModelKind kind, const char *model, const char *profile_dir,
                      const char *plugin_dir, GError **error);
