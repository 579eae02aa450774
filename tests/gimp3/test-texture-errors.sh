#!/bin/bash
# gimp-texture-errors (GIMP 3): as tests/gimp/test-texture-errors.sh, from Python-Fu, which sees
# each failed call and goes on to check the image (a failed Script-Fu call ends GIMP 3's batch):
# a corrupt model file, an unknown model name, a style model instead of a texture model, and
# codes the model does not have each fail with a message a person understands, and leave the
# image bit-identical (same pixels, one layer, clean). The seed's range is GIMP's own check.
source "$(dirname "$0")/../gimp/common.sh"
infogan=$(dirname "$model")/texture_infogan32.safetensors
style=$(cd "$here/../fixtures" && pwd)/gen_ngf8_nb2.safetensors

printf '\377\377\377\0\0\0\0\0{"junk' >"$work/corrupt.safetensors"

scheme make.scm <<SCM
(let* ((image (vks-new-image 67 45 RGB)))
  (vks-save image "$work/in.png")
  (gimp-image-delete image))
SCM
run_gimp "$work/make.scm"

cat >"$work/calls.py" <<PY
exec(open("$flavour_dir/helpers.py").read())
calls = (("corrupt", "$work/corrupt.safetensors", ""), ("unknown", "no-such-texture", ""),
         ("style", "$style", ""), ("name", "$infogan", "pattern=1,size=2"),
         ("category", "$infogan", "pattern=3"), ("dcgan", "$model", "category=1"))
for name, model, codes in calls:
    image = vks_load("$work/in.png")
    image.clean_all()
    status, message = vks_texture(image, model, codes=codes)
    print("vkstyle-test %s: status %s: %s" % (name, status.value_nick, message))
    assert status != Gimp.PDBStatusType.SUCCESS, name + ": the call succeeded"
    vks_check_untouched(image, "$work/after-%s.png" % name)
print("vkstyle-test: checks done")
PY
EXPECT_ERROR="error for procedure 'plug-in-vkstyle-texture'" EXPECT_STATUS=0 \
  run_gimp "$work/calls.py"
log=$work/gimp.log
grep -q "vkstyle-test: checks done" "$log" || fail "the checks did not run (log: $log)"
for expected in "corrupt: status execution-error: Could not use this texture model" \
                "unknown: status execution-error: No texture model named .no-such-texture." \
                "style: status execution-error: Could not use this texture model" \
                "name: status execution-error: The model has no code named .size." \
                "category: status execution-error: The category must be a whole number" \
                "dcgan: status execution-error: This model \(a DCGAN\) has no codes"; do
  grep -Eq "vkstyle-test $expected" "$log" || fail "no message /$expected/ (log: $log)"
done
grep -q "not a DCGAN or InfoGAN model" "$log" || fail "the style model's problem is not named"
for name in corrupt unknown style name category dcgan; do
  expect_identical "$work/in.png" "$work/after-$name.png" "$name: a failed call changed the pixels"
done

scheme range.scm <<SCM
(let* ((image (vks-load "$work/in.png")))
  (vks-texture image "$model" -1 0 ""))
SCM
EXPECT_ERROR="value -1 out of range" run_gimp "$work/range.scm"
echo "PASS"
