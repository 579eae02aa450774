#!/bin/bash
# gimp-diffusion-sprites: Filters › Render › Diffusion Sprites from a script (no dialog), with
# the random-weight context U-Net of tests/fixtures/make_diffusion_fixture.py (MODEL: 16x16,
# classes hero, non-hero, food, spell, side-facing, T 50). Checks: the new image holds one layer
# per sprite on a grid of ceil(sqrt(n)) columns, sprite 1 on top at (0, 0); each layer equals
# the CLI's `vkstyle generate` image of the same index (DDIM with a class mix; DDPM with
# guidance), bit for bit; upscale 3 is the CLI's image enlarged by pixel replication; a bad
# sampler, an unknown class, too many sprites and a style model fail with a message and make
# no image.
source "$(dirname "$0")/common.sh"
fixtures=$(cd "$here/../fixtures" && pwd)
style=$fixtures/gen_ngf8_nb2.safetensors
have_cli || { echo "SKIP: the vkstyle CLI is needed for the reference results"; exit 77; }
"$cli" generate --model "$model" --seed 5 --steps 4 --count 3 --context "hero=1,food=0.5" \
  "$work/cli-ddim.png" || fail "the CLI failed"
"$cli" generate --model "$model" --seed 2 --sampler ddpm --guidance 2 --count 2 \
  --context spell "$work/cli-ddpm.png" || fail "the CLI failed"
convert "$work/cli-ddim-1.png" -scale 300% "$work/cli-ddim-1-x3.png" || fail "convert failed"

scheme sprites.scm <<SCM
(let* ((image (vks-sprites "$model" "hero=1,food=0.5" 5 "ddim" 4 3 1 0))
       (layers (vks-layers image)))
  (vks-assert (= (vks-n-layers image) 3) "3 sprites must be 3 layers")
  (vks-assert (= (car (gimp-image-width image)) 32) "the grid must be 2 columns of 16")
  (vks-assert (= (car (gimp-image-height image)) 32) "the grid must be 2 rows of 16")
  (vks-assert (equal? (vks-offsets (car layers)) '(0 0)) "sprite 1 must be at 0,0")
  (vks-assert (equal? (vks-offsets (cadr layers)) '(16 0)) "sprite 2 must be at 16,0")
  (vks-assert (equal? (vks-offsets (caddr layers)) '(0 16)) "sprite 3 must be at 0,16")
  (vks-save-drawable image (car layers) "$work/ddim-0.png")
  (vks-save-drawable image (cadr layers) "$work/ddim-1.png")
  (vks-save-drawable image (caddr layers) "$work/ddim-2.png"))
(let* ((image (vks-sprites "$model" "spell" 2 "ddpm" 25 2 1 2.0))
       (layers (vks-layers image)))
  (vks-save-drawable image (car layers) "$work/ddpm-0.png")
  (vks-save-drawable image (cadr layers) "$work/ddpm-1.png"))
(let* ((image (vks-sprites "$model" "hero=1,food=0.5" 5 "ddim" 4 2 3 0))
       (layers (vks-layers image)))
  (vks-assert (= (car (gimp-image-width image)) 96) "upscale 3: 2 sprites of 48 in a row")
  (vks-assert (= (car (gimp-image-height image)) 48) "upscale 3: one row of 48")
  (vks-save-drawable image (cadr layers) "$work/x3-1.png"))
SCM
run_gimp "$work/sprites.scm"

for i in 0 1 2; do
  expect_identical "$work/ddim-$i.png" "$work/cli-ddim-$i.png" "DDIM sprite $i is not the CLI's"
done
for i in 0 1; do
  expect_identical "$work/ddpm-$i.png" "$work/cli-ddpm-$i.png" "DDPM sprite $i is not the CLI's"
done
expect_identical "$work/x3-1.png" "$work/cli-ddim-1-x3.png" "upscale 3 is not pixel replication"

if [ "$gimp_flavour" = 3 ]; then
  # a failed Script-Fu call ends GIMP 3's batch: Python-Fu sees each failure and goes on
  cat >"$work/calls.py" <<PY
exec(open("$flavour_dir/helpers.py").read())
calls = (("sampler", "$model", "", "euler"), ("class", "$model", "dragon=1", "ddim"),
         ("style", "$style", "", "ddim"))
for name, model, context, sampler in calls:
    before = len(Gimp.get_images())
    status, message = vks_sprites(model, context=context, sampler=sampler)
    print("vkstyle-test %s: status %s: %s" % (name, status.value_nick, message))
    assert status != Gimp.PDBStatusType.SUCCESS, name + ": the call succeeded"
    assert len(Gimp.get_images()) == before, name + ": an image was made"
print("vkstyle-test: checks done")
PY
  EXPECT_ERROR="error for procedure 'plug-in-vkstyle-sprites'" EXPECT_STATUS=0 \
    run_gimp "$work/calls.py"
  log=$work/gimp.log
  grep -q "vkstyle-test: checks done" "$log" || fail "the checks did not run (log: $log)"
  messages=("sampler: .*ddim. or .ddpm., not .euler."
            "class: .*no class .dragon.*hero"
            "style: .*not a diffusion model|style: .*Could not use this diffusion model")
else
  calls=()
  for call in "\"$model\" \"\" 1 \"euler\" 4 1 1 0" "\"$model\" \"dragon=1\" 1 \"ddim\" 4 1 1 0" \
              "\"$style\" \"\" 1 \"ddim\" 4 1 1 0" "\"$model\" \"\" 1 \"ddim\" 4 65 1 0"; do
    n=${#calls[@]}
    scheme "call-$n.scm" <<SCM
(vks-sprites $call)
SCM
    calls+=("$work/call-$n.scm")
  done
  scheme check.scm <<SCM
(vks-assert (null? (vks-images)) "a failed call made an image")
SCM
  EXPECT_ERROR="execution error|calling error" run_gimp "${calls[@]}" "$work/check.scm"
  log=$work/gimp.log
  messages=("ddim. or .ddpm., not .euler." "no class .dragon.*hero"
            "not a diffusion model|Could not use this diffusion model"
            "number of sprites must be a whole number from 1 to 64, not 65")
fi
for message in "${messages[@]}"; do
  grep -Eiq "$message" "$log" || fail "no message /$message/ (log: $log)"
done
grep -q "assertion failed" "$log" && fail "a check failed: $(grep 'assertion failed' "$log")"
echo "PASS"
