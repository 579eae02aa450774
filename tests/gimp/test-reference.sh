#!/bin/bash
# gimp-reference: Filters › Artistic › Style from Reference from a script (no dialog), with the
# random-weight StarGAN v2 model of tests/fixtures/make_stargan2_fixture.py (MODEL; domains cat,
# dog, wild). Checks: with a layer of another image as the reference, the result is PyTorch's
# (the CLI test's fixture, within 2/255: GIMP's PNG round trip adds one rounding); random styles
# are the CLI's for the same seed, domain by name or index alike; 3 variations are 3 new layers
# above the drawable, the first on top and equal to the single result of the seed, the others
# different, the drawable untouched; a domain the model lacks, variations with a reference, and
# a style model instead fail with a message and leave the image as it was.
source "$(dirname "$0")/common.sh"
fixtures=$(cd "$here/../fixtures" && pwd)
style=$fixtures/gen_ngf8_nb2.safetensors
in=$fixtures/stargan2_cli_in.png
ref=$fixtures/stargan2_cli_ref.png
have_cli || { echo "SKIP: the vkstyle CLI is needed for the reference results"; exit 77; }
"$cli" apply --model "$model" --domain cat --seed 9 "$in" "$work/cli-seed9.png" ||
  fail "the CLI failed"

scheme reference.scm <<SCM
(let* ((image (vks-load "$in"))
       (reference (vks-load "$ref")))
  (vks-reference image "$model" "wild" (vks-layer reference) 0 0 1)
  (vks-save image "$work/from-layer.png"))
(let* ((image (vks-load "$in")))
  (vks-reference image "$model" "cat" -1 9 0 1)
  (vks-save image "$work/seed9.png"))
(let* ((image (vks-load "$in")))
  (vks-reference image "$model" "0" -1 9 0 1)
  (vks-save image "$work/seed9-index.png"))
(let* ((image (vks-load "$in"))
       (original (vks-layer image)))
  (vks-reference image "$model" "cat" -1 9 0 3)
  (vks-assert (= (vks-n-layers image) 4) "3 variations must add 3 layers")
  (vks-assert (= (car (gimp-image-get-item-position image original)) 3)
              "the variations must be above the drawable")
  (let* ((layers (vks-layers image)))
    (vks-assert (= (vks-selected-layer image) (car layers)) "the first variation is not active")
    (vks-save-drawable image (car layers) "$work/variation-1.png")
    (vks-save-drawable image (cadr layers) "$work/variation-2.png")
    (vks-save-drawable image (caddr layers) "$work/variation-3.png")
    (vks-save-drawable image original "$work/variations-original.png")))
SCM
run_gimp "$work/reference.scm"

expect_close "$work/from-layer.png" "$fixtures/stargan2_cli_ref_out.png" 0.0079 \
  "the reference's style is not PyTorch's"
expect_close "$work/seed9.png" "$work/cli-seed9.png" 0.0040 "seed 9 is not the CLI's"
expect_identical "$work/seed9.png" "$work/seed9-index.png" "domain 0 is not cat"
expect_identical "$work/seed9.png" "$work/variation-1.png" "variation 1 is not the seed's result"
expect_different "$work/variation-1.png" "$work/variation-2.png" "variations 1 and 2 are equal"
expect_different "$work/variation-2.png" "$work/variation-3.png" "variations 2 and 3 are equal"
expect_identical "$in" "$work/variations-original.png" "the variations changed the drawable"

if [ "$gimp_flavour" = 3 ]; then
  # a failed Script-Fu call ends GIMP 3's batch: Python-Fu sees each failure and goes on
  cat >"$work/calls.py" <<PY
exec(open("$flavour_dir/helpers.py").read())
reference = vks_load("$ref")
calls = (("domain", "$model", "horse", None, 1), ("layer", "$model", "cat", reference, 2),
         ("style", "$style", "cat", None, 1))
for name, model, domain, ref, variations in calls:
    image = vks_load("$in")
    image.clean_all()
    ref_layer = ref.get_layers()[0] if ref is not None else None
    status, message = vks_reference(image, model, domain, ref_layer, variations=variations)
    print("vkstyle-test %s: status %s: %s" % (name, status.value_nick, message))
    assert status != Gimp.PDBStatusType.SUCCESS, name + ": the call succeeded"
    vks_check_untouched(image, "$work/after-%s.png" % name)
print("vkstyle-test: checks done")
PY
  EXPECT_ERROR="error for procedure 'plug-in-vkstyle-reference'" EXPECT_STATUS=0 \
    run_gimp "$work/calls.py"
  log=$work/gimp.log
  grep -q "vkstyle-test: checks done" "$log" || fail "the checks did not run (log: $log)"
  messages=("domain: .*no domain .horse.*cat, dog, wild"
            "layer: status calling-error: Variations are random styles"
            "style: .*Could not use this StarGAN v2 model")
else
  # each failing call is a batch command of its own: an error ends the command it is in
  calls=()
  for call in "\"$model\" \"horse\" -1 1 0 1" "\"$model\" \"cat\" (vks-layer image) 1 0 2" \
              "\"$style\" \"cat\" -1 1 0 1" "\"$model\" \"cat\" -1 1 0 17"; do
    n=${#calls[@]}
    scheme "call-$n.scm" <<SCM
(let* ((image (vks-load "$in")))
  (gimp-image-clean-all image)
  (vks-reference image $call))
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
  EXPECT_ERROR="execution error" run_gimp "${calls[@]}" "$work/check.scm"
  log=$work/gimp.log
  messages=("no domain .horse.*cat, dog, wild" "Variations are random styles"
            "Could not use this StarGAN v2 model"
            "Variations must be a whole number from 1 to 16, not 17")
fi
for message in "${messages[@]}"; do
  grep -Eiq "$message" "$log" || fail "no message /$message/ (log: $log)"
done
grep -q "assertion failed" "$log" && fail "an image was changed: $(grep 'assertion failed' "$log")"
echo "PASS"
