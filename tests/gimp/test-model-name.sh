#!/bin/bash
# gimp-model-name: a script may name a style instead of giving a path: the file stem of a model
# in <gimp_directory>/vkstyle/models (case-insensitive) finds it, with the same result as the
# path.
source "$(dirname "$0")/common.sh"

scheme make.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (vks-apply image "$model" 100 1.0 0)
  (vks-save image "$work/by-path.png"))
SCM
run_gimp "$work/make.scm"

# the first run created the profile; now install the model into it as a user would
mkdir -p "$work/profile/vkstyle/models"
cp "$model" "$work/profile/vkstyle/models/Test-Style.safetensors"

scheme by-name.scm <<SCM
(let* ((image (vks-load "$work/in.png")))
  (vks-apply image "test-style" 100 1.0 0)
  (vks-save image "$work/by-name.png"))
SCM
run_gimp "$work/by-name.scm"

expect_identical "$work/by-path.png" "$work/by-name.png" \
  "style name and path give different results"
echo "PASS"
