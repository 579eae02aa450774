#!/bin/bash
# gimp-diffusion-variation: Filters › Artistic › Diffusion Variation from a script (no dialog),
# with the random-weight context U-Net of tests/fixtures/make_diffusion_fixture.py (MODEL:
# 16x16, classes hero ... side-facing). Checks: a 40x28 layer (tiles of 16, overlapping) varied
# toward a class mix equals `vkstyle vary` on the same pixels, bit for bit; with a rectangle
# selected only its box changes, and it equals the CLI's variation of that box cut out; a new
# layer leaves the drawable as it was; a selection smaller than the model, a strength above 1
# and a style model fail with a message and leave the image as it was.
source "$(dirname "$0")/common.sh"
fixtures=$(cd "$here/../fixtures" && pwd)
style=$fixtures/gen_ngf8_nb2.safetensors
have_cli || { echo "SKIP: the vkstyle CLI is needed for the reference results"; exit 77; }

scheme variation.scm <<SCM
(let* ((image (vks-new-image 40 28 RGB)))
  (vks-save image "$work/in.png")
  (vks-variation image "$model" 0.6 5 3 "spell=1,hero=0.25" 0)
  (vks-save image "$work/whole.png"))
(let* ((image (vks-new-image 40 28 RGB)))
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 4 6 20 18)
  (vks-variation image "$model" 0.5 4 8 "" 0)
  (vks-save image "$work/selection.png"))
(let* ((image (vks-new-image 40 28 RGB))
       (original (vks-layer image)))
  (vks-variation image "$model" 0.6 5 3 "spell=1,hero=0.25" 1)
  (vks-assert (= (vks-n-layers image) 2) "new layer: 2 layers")
  (vks-save-drawable image (car (vks-layers image)) "$work/new-layer.png")
  (vks-save-drawable image original "$work/new-layer-original.png"))
SCM
run_gimp "$work/variation.scm"

"$cli" vary --model "$model" --strength 0.6 --steps 5 --seed 3 --context "spell=1,hero=0.25" \
  "$work/in.png" "$work/cli-whole.png" || fail "the CLI failed"
convert "$work/in.png" -crop 20x18+4+6 +repage "$work/in-box.png" || fail "convert failed"
"$cli" vary --model "$model" --strength 0.5 --steps 4 --seed 8 "$work/in-box.png" \
  "$work/cli-box.png" || fail "the CLI failed"
convert "$work/selection.png" -crop 20x18+4+6 +repage "$work/selection-box.png"
convert "$work/in.png" -fill black -draw "rectangle 4,6 23,23" "$work/in-outside.png"
convert "$work/selection.png" -fill black -draw "rectangle 4,6 23,23" "$work/selection-outside.png"

expect_identical "$work/whole.png" "$work/cli-whole.png" "the layer's variation is not the CLI's"
expect_different "$work/whole.png" "$work/in.png" "the variation changed nothing"
expect_identical "$work/selection-box.png" "$work/cli-box.png" \
  "the selection's variation is not the CLI's of the box"
expect_identical "$work/selection-outside.png" "$work/in-outside.png" \
  "pixels outside the selection changed"
expect_identical "$work/new-layer.png" "$work/cli-whole.png" "the new layer is not the variation"
expect_identical "$work/new-layer-original.png" "$work/in.png" "the new layer changed the drawable"

if [ "$gimp_flavour" = 3 ]; then
  cat >"$work/calls.py" <<PY
exec(open("$flavour_dir/helpers.py").read())
calls = (("small", "$model", 0.5, True), ("strength", "$model", 1.5, False),
         ("style", "$style", 0.5, False))
for name, model, strength, small in calls:
    image = vks_load("$work/in.png")
    if small:
        image.select_rectangle(Gimp.ChannelOps.REPLACE, 2, 2, 10, 10)
    image.clean_all()
    status, message = vks_variation(image, model, strength=strength)
    print("vkstyle-test %s: status %s: %s" % (name, status.value_nick, message))
    assert status != Gimp.PDBStatusType.SUCCESS, name + ": the call succeeded"
    vks_check_untouched(image, "$work/after-%s.png" % name)
print("vkstyle-test: checks done")
PY
  EXPECT_ERROR="error for procedure 'plug-in-vkstyle-variation'" EXPECT_STATUS=0 \
    run_gimp "$work/calls.py"
  log=$work/gimp.log
  grep -q "vkstyle-test: checks done" "$log" || fail "the checks did not run (log: $log)"
  messages=("small: .*needs at least 16x16" "strength: .*between 0 and 1"
            "style: .*not a diffusion model|style: .*Could not use this diffusion model")
else
  calls=()
  for call in "small|\"$model\" 0.5 4 1 \"\" 0" "big|\"$model\" 1.5 4 1 \"\" 0" \
              "big|\"$style\" 0.5 4 1 \"\" 0"; do
    n=${#calls[@]}
    select=""
    [ "${call%%|*}" = small ] && select="(gimp-image-select-rectangle image CHANNEL-OP-REPLACE 2 2 10 10)"
    scheme "call-$n.scm" <<SCM
(let* ((image (vks-load "$work/in.png")))
  $select
  (gimp-image-clean-all image)
  (vks-variation image ${call#*|}))
SCM
    calls+=("$work/call-$n.scm")
  done
  scheme check.scm <<SCM
(for-each
  (lambda (image)
    (vks-assert (= (vks-n-layers image) 1) "a layer was added")
    (vks-assert (= (car (gimp-image-is-dirty image)) FALSE) "the image was modified"))
  (vks-images))
SCM
  EXPECT_ERROR="execution error|calling error" run_gimp "${calls[@]}" "$work/check.scm"
  log=$work/gimp.log
  messages=("needs at least 16x16" "between 0 and 1"
            "not a diffusion model|Could not use this diffusion model")
fi
for message in "${messages[@]}"; do
  grep -Eiq "$message" "$log" || fail "no message /$message/ (log: $log)"
done
grep -q "assertion failed" "$log" && fail "an image was changed: $(grep 'assertion failed' "$log")"
echo "PASS"
