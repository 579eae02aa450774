#!/bin/sh
# vkstyle-train --arch dcgan --eval-real --inception: a tiny DCGAN logs FID / KID every 2 steps
# to metrics.csv, the FID the one `vkstyle metrics fid` computes for the same
# generated images (--eval-fakes), metrics.png on index.html, a resume drops the rows logged after
# its checkpoint and logs on, and bad evaluation inputs stop the run before it trains. The
# random-weight Inception is made in the run (tests/fixtures/make_eval_fixture.py).
# An Inception run is ~2 s of CPU per image (lavapipe), so the test runs as few as show each
# property: 2 real images, 2 fakes per evaluation (which also sizes the network's batch: with the
# default --eval-count 1000 it would compute a batch of 8 for 2 images), one run to step 2 and a
# resume to step 4 rather than a run to 4 and a resume after it.
# Usage: test_gan_eval.sh VKSTYLE_TRAIN VKSTYLE FIXTURE_SCRIPT. Output is TAP.
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE_TRAIN VKSTYLE FIXTURE_SCRIPT" >&2
  exit 2
fi
train=$1
vkstyle=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-gan-eval-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
/usr/bin/python3 "$3" "$work" >&2 || { echo "Bail out! fixture script failed"; exit 1; }
net=$work/inception.safetensors
mkdir "$work/images" "$work/empty"
i=0
while [ $i -lt 6 ]; do
  # a 12x10 P6 image of arbitrary bytes
  { printf 'P6\n12 10\n255\n'; head -c 360 /dev/urandom; } > "$work/images/im$i.ppm"
  i=$((i + 1))
done
count=0
failed=0
check () {   # check NAME COMMAND...: ok when COMMAND succeeds
  name=$1; shift
  count=$((count + 1))
  start=$(date +%s)
  if "$@" >"$work/log" 2>&1; then
    echo "ok $count - $name"; sed 's/^/# /' "$work/log"; echo "# $(( $(date +%s) - start )) s"
  else
    failed=$((failed + 1)); echo "not ok $count - $name"; sed 's/^/#   /' "$work/log"
  fi
}
gan () {   # gan OUT ARGS...: the tiny DCGAN
  gan_out=$1; shift
  "$train" --arch dcgan --data "$work/images" --out "$gan_out" --image-size 32 --batch-size 4 \
    --ngf 8 --ndf 8 --nz 8 --print-every 100 --sample-every 100 "$@"
}
# same A B: |A - B| <= 1e-9 |B| (the same features and double arithmetic; text rounding only)
same () {
  awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; s = b < 0 ? -b : b; if (d < 0) d = -d;
                                   exit !(d <= 1e-9 * s + 1e-6) }'
}
field () {   # field CSV STEP COLUMN
  awk -F, -v s="$2" -v c="$3" '$1 == s { print $c }' "$1"
}

out=$work/run
evaluated () {   # evaluated ARGS...: the tiny DCGAN evaluated every 2 steps on 2 fakes
  gan "$out" --eval-real "$work/real" --inception "$net" --eval-every 2 --eval-count 2 \
    --eval-fakes "$work/fakes" "$@"
}
trained () {
  evaluated --max-steps 2 || return 1
  cat "$out/metrics.csv"
  [ "$(head -1 "$out/metrics.csv")" = "step,fid,kid,kid_std" ] &&
    [ "$(tail -n +2 "$out/metrics.csv" | cut -d, -f1 | tr '\n' ' ')" = "2 " ] &&
    [ "$(ls "$work/fakes/step_000002" | wc -l)" -eq 2 ]
}
check "2 steps with --eval-every 2 log FID and KID at step 2" trained

resumed () {
  cp "$out/metrics.csv" "$work/before.csv"
  # a row an evaluation after the last checkpoint (step 2) would have left
  echo "4,1,2,3" >> "$out/metrics.csv"
  evaluated --max-steps 4 --resume || return 1
  cat "$out/metrics.csv"
  head -n 2 "$out/metrics.csv" | cmp "$work/before.csv" - &&
    [ "$(tail -n +2 "$out/metrics.csv" | cut -d, -f1 | tr '\n' ' ')" = "2 4 " ] &&
    [ "$(field "$out/metrics.csv" 4 2)" != 1 ] &&
    [ "$(ls "$work/fakes/step_000004" | wc -l)" -eq 2 ]
}
check "a resume drops the rows after its checkpoint and logs on at step 4" resumed

# The CLI for the last evaluation, the resumed run's (an Inception run more per step checked);
# the first one is a different, finite FID of different fakes, so it was not copied.
fid_agrees () {
  want=$("$vkstyle" metrics fid "$work/real" "$work/fakes/step_000004" --inception "$net" |
         sed 's/^fid=//') || return 1
  got=$(field "$out/metrics.csv" 4 2)
  first=$(field "$out/metrics.csv" 2 2)
  echo "step 4: trainer fid $got, vkstyle metrics fid $want; step 2: trainer fid $first"
  same "$got" "$want" || return 1
  awk -v a="$first" -v b="$got" 'BEGIN { exit !(a == a + 0 && a != "nan" && a != b) }' || return 1
  for f in "$work/fakes/step_000002"/*; do
    if cmp -s "$f" "$work/fakes/step_000004/$(basename "$f")"; then
      echo "$(basename "$f"): the same at steps 2 and 4"; return 1
    fi
  done
}
check "the FID is what vkstyle metrics fid gives for the saved fakes" fid_agrees

# KID: finite, from the same features (vks_kid on them, as `vkstyle metrics kid`; a CLI run
# more would cost the test another Inception load). Its spread over subsets is finite and not
# negative; with 2 images there is one subset, so it is 0 but for rounding.
kid_logged () {
  for step in 2 4; do
    awk -v m="$(field "$out/metrics.csv" $step 3)" -v s="$(field "$out/metrics.csv" $step 4)" \
      'BEGIN { exit !(m == m + 0 && m != "nan" && s == s + 0 && s + 0 >= 0 && s != "inf") }' || return 1
  done
}
check "KID and its spread are logged" kid_logged

reported () {
  [ -s "$out/metrics.png" ] && grep -q 'metrics.png' "$out/index.html" &&
    grep -q 'metrics.csv' "$out/index.html"
}
check "metrics.png is written and shown in index.html" reported

# expect PATTERN ARGS...: the run fails with exit 1 or 2, stderr matches, nothing was trained
expect () {
  pattern=$1; shift
  rm -rf "$work/bad"
  gan "$work/bad" --max-steps 2 "$@" >/dev/null 2>"$work/err"
  got=$?
  cat "$work/err"
  [ "$got" -ne 0 ] && grep -q -- "$pattern" "$work/err" && [ ! -e "$work/bad" ]
}
echo "not a checkpoint" > "$work/garbage.safetensors"
check "a missing Inception file is named" \
  expect "nowhere.safetensors" --eval-real "$work/real" --inception "$work/nowhere.safetensors"
check "a file that is no safetensors" \
  expect "garbage.safetensors" --eval-real "$work/real" --inception "$work/garbage.safetensors"
check "a checkpoint that is not an Inception" \
  expect "not a FID Inception-v3" --eval-real "$work/real" --inception "$out/latest_G.safetensors"
check "a folder without images" \
  expect "empty: the folder holds no image files" --eval-real "$work/empty" --inception "$net"
check "--eval-real needs --inception" expect "go together" --eval-real "$work/real"
check "--eval-count below 2" expect "eval-count" --eval-real "$work/real" --inception "$net" \
  --eval-count 1

echo "1..$count"
[ "$failed" -eq 0 ]
