#!/bin/sh
# End-to-end test of vkstyle-train (issues #5 and #7): it learns, a resumed run is bit-identical
# to an uninterrupted one, kill -9 and SIGINT leave a loadable, resumable output folder, its
# generator loads in `vkstyle apply`, and hostile inputs fail with one clear line and no files.
# Usage: test_trainer.sh VKSTYLE_TRAIN VKSTYLE IMAGE_HELPER
#   VKSTYLE_TRAIN  the built vkstyle-train
#   VKSTYLE        the built vkstyle command line (loads the trained generator)
#   IMAGE_HELPER   the built tests/image_helper (makes and inspects test images with GEGL)
# A python3 on PATH (no torch needed) reads the safetensors headers; without one those checks
# are skipped. Output is TAP; exits 1 if anything failed.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE_TRAIN VKSTYLE IMAGE_HELPER" >&2
  exit 2
fi
train=$1
vkstyle=$2
helper=$3
for program in "$train" "$vkstyle" "$helper"; do
  [ -x "$program" ] || { echo "Bail out! $program is not an executable"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-trainer-test.XXXXXX") || exit 1
mnt=$work/tmpfs
pid=
cleanup () {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null   # a trainer still running in the background
  umount "$mnt" 2>/dev/null
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0
failed=0
started=$(date +%s)

count=0
pass () { passed=$((passed + 1)); count=$((count + 1)); echo "ok $count - $1"; }
fail () {
  failed=$((failed + 1)); count=$((count + 1)); echo "not ok $count - $1"; shift
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
skip () { count=$((count + 1)); echo "ok $count - $1 # SKIP $2"; }
check () {   # check NAME CONDITION-STATUS DETAIL...
  name=$1; ok=$2; shift 2
  if [ "$ok" -eq 0 ]; then pass "$name"; else fail "$name" "$@"; fi
}

# run CMD...: runs it with stdout/stderr captured in $work/stdout and $work/stderr; sets $status.
run () {
  "$@" >"$work/stdout" 2>"$work/stderr"
  status=$?
}
stderr_text () { cat "$work/stderr"; }

# expect_success NAME: exit 0 and nothing on stderr (so also no validation-layer message).
expect_success () {
  if [ "$status" -ne 0 ]; then
    fail "$1" "exit status $status" "stderr: $(stderr_text)"
  elif [ -s "$work/stderr" ]; then
    fail "$1" "unexpected stderr: $(stderr_text)"
  else
    pass "$1"
  fi
}

# expect_error NAME CODE PATTERN: exit status CODE (no crash), and stderr is exactly one line
# "vkstyle-train: ..." matching PATTERN (grep -Ei), besides "skipping FILE: reason" notes.
expect_error () {
  message=$(grep -v '^skipping ' "$work/stderr")
  lines=$(printf '%s\n' "$message" | grep -c .)
  if [ "$status" -ne "$2" ]; then
    fail "$1" "exit status $status, expected $2" "stderr: $(stderr_text)"
  elif [ "$lines" -ne 1 ]; then
    fail "$1" "expected one line of error, got $lines" "stderr: $(stderr_text)"
  elif ! printf '%s\n' "$message" | grep -Eq "^vkstyle-train: "; then
    fail "$1" "the message does not start with 'vkstyle-train: '" "stderr: $(stderr_text)"
  elif ! printf '%s\n' "$message" | grep -Eiq -- "$3"; then
    fail "$1" "stderr does not match /$3/" "stderr: $(stderr_text)"
  else
    pass "$1"
  fi
}

# expect_absent NAME PATH: a failed run created nothing there.
expect_absent () {
  if [ ! -e "$2" ]; then pass "$1"; else fail "$1" "created: $(ls -AR "$2" | tr '\n' ' ')"; fi
}

# Files the trainer writes in --out; anything else there is a stray (temporary) file.
strays () {
  ls -A "$1" | grep -Ev '^(index\.html|losses\.csv|losses\.png|samples|latest_(G_A|G_B|D_A|D_B|state)\.safetensors)$'
  ls -A "$1/samples" 2>/dev/null | grep -Ev '^(latest|step_[0-9]+)\.png$' | sed 's|^|samples/|'
}

# safetensors FILE [KEY]: checks that FILE is whole (header and tensor sizes agree with the file
# size); prints the metadata value of KEY. Exits non-zero with a reason if not.
have_python=no
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json, struct' 2>/dev/null; then
  have_python=yes
fi
cat >"$work/safetensors.py" <<'EOF'
import json, struct, sys
def read(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError('shorter than its 8-byte header length')
    n = struct.unpack('<Q', data[:8])[0]
    if 8 + n > len(data):
        raise ValueError('header of %d bytes runs past the end (%d bytes)' % (n, len(data)))
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    sizes = {'F32': 4, 'F16': 2, 'BF16': 2, 'F64': 8}
    spans = []
    for name, t in header.items():
        a, b = t['data_offsets']
        count = 1
        for d in t['shape']:
            count *= d
        if b - a != count * sizes[t['dtype']]:
            raise ValueError('%s: %d bytes for shape %s' % (name, b - a, t['shape']))
        spans.append((a, b))
    pos = 0
    for a, b in sorted(spans):
        if a != pos:
            raise ValueError('tensor data not contiguous at offset %d' % a)
        pos = b
    if 8 + n + pos != len(data):
        raise ValueError('%d bytes of tensor data, the header names %d' % (len(data) - 8 - n, pos))
    return meta
try:
    meta = read(sys.argv[1])
except Exception as e:
    sys.exit('%s: %s' % (sys.argv[1], e))
if len(sys.argv) > 2:
    print(meta.get(sys.argv[2], ''))
EOF
safetensors () { python3 "$work/safetensors.py" "$@"; }

# csv_losses FILE: losses.csv without its timing column, the last (it/s differs from run to run).
csv_losses () { sed 's/,[^,]*$//' "$1"; }
# csv_last_step FILE
csv_last_step () { tail -n 1 "$1" | cut -d, -f1; }

make_image () {
  "$helper" make "$@" || { echo "Bail out! image_helper make $* failed"; exit 1; }
}

# Three small pictures per side, of different sizes (the helper's picture depends on the size).
mkdir "$work/a" "$work/b"
make_image "$work/a/0.png" 40 40 "R'G'B' u8"
make_image "$work/a/1.png" 48 36 "R'G'B' u8"
make_image "$work/a/2.png" 37 45 "R'G'B'A u8"
make_image "$work/b/0.png" 36 50 "R'G'B' u8"
make_image "$work/b/1.jpg" 60 44 "R'G'B' u8"
make_image "$work/b/2.png" 41 39 "R'G'B' u16"
make_image "$work/small.png" 23 17 "R'G'B' u8"
data="--data-a $work/a --data-b $work/b"
tiny="--load-size 36 --crop-size 32 --ngf 8 --ndf 8 --n-blocks 2 --n-layers-d 3"

# --- 1. it learns: the cycle losses of an overfit run fall ---
# lr 1e-3 (5x the default) so that 40 steps are enough (2e-3 learns faster but spikes); without
# the identity loss the cycle losses are what the generators are pushed on most. With seed 1 the
# mean cycle loss of steps 1-10 is 4.55 (A) / 4.51 (B), one step's spread about them 0.16, and of
# steps 31-40 2.81 / 2.91: drops of 38% and 36%, the 20% threshold (3.64 / 3.61) over 4 single-
# step spreads (14 of a 10-step mean's) above where they end.
ov=$work/overfit/run
run "$train" $data $tiny --out "$ov" --max-steps 40 --print-every 1 --lambda-identity 0 \
  --lr 1e-3 --seed 1 --sample-every 1000 --save-every 1000 --name "Test style" \
  --description "Made by test_trainer.sh."
expect_success "overfit run: 40 steps"
grep -Eq '^steps 39, median step time [0-9.]+ ms$' "$work/stdout"
check "prints the median step time" $? "stdout tail: $(tail -n 2 "$work/stdout")"
rows=$(($(wc -l <"$ov/losses.csv") - 1))
[ "$rows" -eq 40 ]
check "losses.csv has a row per step with --print-every 1" $? "$rows rows"
# columns: step,epoch,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B,lr,it_per_s
means=$(awk -F, 'NR > 1 && NR <= 11 { a0 += $5; b0 += $9 } NR > 31 { a1 += $5; b1 += $9 }
                END { printf "%.4f %.4f %.4f %.4f", a0 / 10, b0 / 10, a1 / 10, b1 / 10 }' \
        "$ov/losses.csv")
set -- $means
awk -v s="$1" -v e="$3" 'BEGIN { exit !(e < 0.8 * s) }'
check "cycle_A falls by more than 20% (mean of the first 10 steps $1, last 10 $3)" $? \
  "$(head -n 3 "$ov/losses.csv")" "$(tail -n 3 "$ov/losses.csv")"
awk -v s="$2" -v e="$4" 'BEGIN { exit !(e < 0.8 * s) }'
check "cycle_B falls by more than 20% (mean of the first 10 steps $2, last 10 $4)" $? \
  "$(head -n 3 "$ov/losses.csv")" "$(tail -n 3 "$ov/losses.csv")"
missing=
for f in latest_G_A.safetensors latest_G_B.safetensors latest_D_A.safetensors \
         latest_D_B.safetensors latest_state.safetensors losses.csv losses.png index.html \
         samples/latest.png samples/step_000040.png; do
  [ -s "$ov/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]
check "the output folder has checkpoints, losses, plot, samples and index" $? "missing:$missing"
leftovers=$(strays "$ov")
[ -z "$leftovers" ]
check "no temporary files after a finished run" $? "$leftovers"

echo "# $(($(date +%s) - started)) s"
# --- 5. the generator it writes is what `vkstyle apply` loads ---
run "$vkstyle" apply --model "$ov/latest_G_A.safetensors" "$work/small.png" "$work/styled.png"
expect_success "vkstyle apply loads latest_G_A.safetensors"
got=$("$helper" info "$work/styled.png" 2>&1)
[ "$got" = "23x17 R'G'B' u8" ]
check "the stylized image keeps size and format" $? "got '$got'"
run "$vkstyle" apply --model "$ov/latest_G_B.safetensors" "$work/small.png" "$work/styled_b.png"
expect_success "vkstyle apply loads latest_G_B.safetensors"
if [ $have_python = yes ]; then
  name=$(safetensors "$ov/latest_G_A.safetensors" vkstyle.name 2>&1)
  [ "$name" = "Test style (A to B)" ]
  check "G_A metadata vkstyle.name is --name plus the direction" $? "got '$name'"
  name=$(safetensors "$ov/latest_G_B.safetensors" vkstyle.name 2>&1)
  [ "$name" = "Test style (B to A)" ]
  check "G_B metadata vkstyle.name names B to A" $? "got '$name'"
  desc=$(safetensors "$ov/latest_G_A.safetensors" vkstyle.description 2>&1)
  case $desc in
    "Made by test_trainer.sh."*40*) pass "vkstyle.description holds --description and the steps" ;;
    *) fail "vkstyle.description holds --description and the steps" "got '$desc'" ;;
  esac
  bad=
  for f in G_A G_B D_A D_B state; do
    step=$(safetensors "$ov/latest_$f.safetensors" vkstyle.step 2>&1)
    [ "$step" = 40 ] || bad="$bad $f:'$step'"
  done
  [ -z "$bad" ]
  check "vkstyle.step is 40 in all five files" $? "got$bad"
else
  skip "checkpoint metadata" "no python3 on PATH"
fi

echo "# $(($(date +%s) - started)) s"
# --- 2. resume: 3 + 3 steps are bit-identical to 6 in one go ---
# Random crops and flips on, pool of 2 (full after 2 steps, then random), a save at step 3. The
# two folders share their base name, which the generator's vkstyle.name records.
resume_opts="$tiny --seed 5 --pool-size 2 --save-every 3 --print-every 1 --sample-every 2"
one=$work/one/run
two=$work/two/run
run "$train" $data $resume_opts --out "$one" --max-steps 6
expect_success "6 steps in one run"
run "$train" $data $resume_opts --out "$two" --max-steps 3
expect_success "3 steps"
run "$train" $data $resume_opts --out "$two" --max-steps 6 --resume
expect_success "--resume to step 6"
first_resumed=$(grep -m 1 '^epoch' "$work/stdout" | sed 's/.* step \([0-9]*\)\/.*/\1/')
[ "$first_resumed" = 4 ]
check "the resumed run continues at step 4" $? "first progress line: $(grep -m 1 '^epoch' "$work/stdout")"
for f in G_A G_B D_A D_B state; do
  cmp "$one/latest_$f.safetensors" "$two/latest_$f.safetensors" >"$work/cmp" 2>&1
  check "resumed latest_$f.safetensors is byte-identical" $? "$(cat "$work/cmp")"
done
csv_losses "$one/losses.csv" >"$work/one.csv"
csv_losses "$two/losses.csv" >"$work/two.csv"
diff "$work/one.csv" "$work/two.csv" >"$work/diff" 2>&1
check "resumed losses.csv rows are identical (but for it/s)" $? "$(cat "$work/diff")"

echo "# $(($(date +%s) - started)) s"
# --- 4. SIGINT finishes the step, saves, exits 130, and the run resumes ---
# wait_rows CSV N PID: waits until CSV has N data rows or PID has ended.
wait_rows () {
  while kill -0 "$3" 2>/dev/null; do
    [ -f "$1" ] && [ $(($(wc -l <"$1") - 1)) -ge "$2" ] && return 0
    sleep 0.05
  done
  return 1
}
int=$work/int/run
"$train" $data $tiny --out "$int" --max-steps 100000 --print-every 1 --save-every 1000 \
  >"$work/int.out" 2>"$work/int.err" &
pid=$!
if wait_rows "$int/losses.csv" 2 "$pid"; then
  kill -INT "$pid"
  wait "$pid"
  status=$?
  [ "$status" -eq 130 ]
  check "SIGINT: exit status 130" $? "exit status $status" "stderr: $(cat "$work/int.err")"
  [ ! -s "$work/int.err" ]
  check "SIGINT: nothing on stderr" $? "$(cat "$work/int.err")"
  line=$(grep '^interrupted' "$work/int.out")
  saved=$(echo "$line" | sed -n 's/^interrupted: saved the state at step \([0-9]*\) in .*/\1/p')
  [ -n "$saved" ]
  check "SIGINT: prints 'interrupted: saved the state at step N'" $? "stdout tail: $(tail -n 2 "$work/int.out")"
  if [ $have_python = yes ] && [ -n "$saved" ]; then
    step=$(safetensors "$int/latest_state.safetensors" vkstyle.step 2>&1)
    [ "$step" = "$saved" ] && [ "$(csv_last_step "$int/losses.csv")" = "$saved" ]
    check "SIGINT: the saved state and losses.csv are at step $saved" $? \
      "state: '$step', csv: $(csv_last_step "$int/losses.csv")"
  fi
  target=$((${saved:-0} + 2))
  run "$train" $data $tiny --out "$int" --max-steps "$target" --print-every 1 --resume
  expect_success "after SIGINT, --resume runs to step $target"
  last=$(csv_last_step "$int/losses.csv")
  steps=$(tail -n +2 "$int/losses.csv" | cut -d, -f1 | tr '\n' ' ')
  expected=$(seq 1 "$target" | tr '\n' ' ')
  [ "$steps" = "$expected" ]
  check "after SIGINT and resume, losses.csv has steps 1..$target once each" $? "steps: $steps"
else
  wait "$pid"
  fail "SIGINT run" "the run ended before its second step: $(cat "$work/int.err")"
fi

# SIGTERM does the same.
term=$work/term/run
"$train" $data $tiny --out "$term" --max-steps 100000 --print-every 1 --save-every 1000 \
  >"$work/term.out" 2>"$work/term.err" &
pid=$!
if wait_rows "$term/losses.csv" 1 "$pid"; then
  kill -TERM "$pid"
  wait "$pid"
  status=$?
  [ "$status" -eq 130 ] && [ -s "$term/latest_state.safetensors" ] && grep -q '^interrupted' "$work/term.out"
  check "SIGTERM: exit status 130, state saved, 'interrupted' printed" $? "exit status $status" \
    "stdout tail: $(tail -n 2 "$work/term.out")" "stderr: $(cat "$work/term.err")"
else
  wait "$pid"
  fail "SIGTERM run" "the run ended before its first step: $(cat "$work/term.err")"
fi

# --- 3. kill -9 in the middle of saves ---
# A slightly larger net than the others use, for a longer save (5 MB of state).
# A save writes latest_state first, then G_A, G_B, D_A, D_B, each as a mkstemp file renamed over
# the old one. Each round kills the run the moment a given temporary file shows up (so inside
# that file's write), or some time after a step's losses.csv row (which is written just before
# the samples and the save), and then checks what a user or a resumed run would find. One round
# of each kind: inside the first file of a save (every file still the old step's), at a time
# that may fall anywhere, and inside G_A's write, last, so that the final check finds the state
# a step ahead of latest_G_A. The triggers wait for files, not for time, so a loaded machine
# (tests run in parallel) only moves where the timed round lands.
kill_opts="$data --load-size 44 --crop-size 40 --ngf 12 --ndf 12 --n-blocks 2 --n-layers-d 3
           --save-every 1 --print-every 1 --sample-every 1"
kd=$work/kill/run
round=0
stray_total=
hits=0
# wait_for_temp PATTERN PID: busy-waits (shell built-ins only) until a file matching PATTERN,
# other than the strays of earlier rounds, exists in $kd or PID has ended; succeeds in the first
# case.
wait_for_temp () {
  while kill -0 "$2" 2>/dev/null; do
    for f in "$kd"/$1; do
      case " $stray_total " in
        *" ${f#"$kd/"} "*) ;;
        *) [ -e "$f" ] && return 0 ;;
      esac
    done
  done
  return 1
}
for trigger in 'latest_state.safetensors.??????' 'row+0.05' 'latest_G_A.safetensors.??????'; do
  round=$((round + 1))
  resume=
  [ -f "$kd/latest_state.safetensors" ] && resume=--resume
  rows=0
  [ -f "$kd/losses.csv" ] && rows=$(($(wc -l <"$kd/losses.csv") - 1))
  "$train" $kill_opts --max-steps 100000 --out "$kd" $resume >"$work/kill.out" 2>"$work/kill.err" &
  pid=$!
  case $trigger in
    row+*) wait_rows "$kd/losses.csv" $((rows + 1)) "$pid" && sleep "${trigger#row+}" ;;
    # the save starts a little after the step's row: busy-wait only from there
    *) wait_rows "$kd/losses.csv" $((rows + 1)) "$pid" && wait_for_temp "$trigger" "$pid" ;;
  esac
  found=$?
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ "$found" -ne 0 ]; then
    fail "kill round $round ($trigger): the run trains" "stderr: $(cat "$work/kill.err")"
    continue
  fi
  problems=
  if [ -f "$kd/latest_G_A.safetensors" ]; then
    run "$vkstyle" apply --model "$kd/latest_G_A.safetensors" "$work/small.png" "$work/k.png"
    [ "$status" -eq 0 ] || problems="$problems; vkstyle apply: $(stderr_text)"
  fi
  if [ $have_python = yes ]; then
    for f in "$kd"/latest_*.safetensors; do
      [ -f "$f" ] || continue
      safetensors "$f" >/dev/null 2>"$work/st.err" || problems="$problems; $(cat "$work/st.err")"
    done
  fi
  [ -z "$problems" ]
  check "kill -9 at $trigger: the files present load" $? "$problems"
  leftovers=$(strays "$kd" | tr '\n' ' ')
  [ "$leftovers" != "$stray_total" ] && hits=$((hits + 1))
  stray_total=$leftovers
  # Every stray must be a mkstemp name (TARGET.XXXXXX), which no later run opens.
  odd=$(strays "$kd" | grep -Ev '\.[A-Za-z0-9]{6}$')
  [ -z "$odd" ]
  check "kill -9 at $trigger: no file a later run could mistake for its own" $? "$odd"
done
echo "# $hits of $round kills left a temporary file behind (so they hit a save)"
# The killed runs, resumed once more to completion.
if [ -f "$kd/latest_state.safetensors" ]; then
  state_step=0
  [ $have_python = yes ] && state_step=$(safetensors "$kd/latest_state.safetensors" vkstyle.step)
  if [ $have_python = yes ] && [ -f "$kd/latest_G_A.safetensors" ]; then
    g_step=$(safetensors "$kd/latest_G_A.safetensors" vkstyle.step)
    [ "$g_step" -le "$state_step" ] && [ "$g_step" -ge $((state_step - 1)) ]
    check "after the kills, latest_G_A (step $g_step) is at most one step behind the state ($state_step)" $?
  fi
  target=$((state_step + 1))
  [ $have_python = yes ] || target=1000000
  run "$train" $kill_opts --max-steps "$target" --out "$kd" --resume
  expect_success "after the kills, --resume finishes (to step $target)"
  steps=$(tail -n +2 "$kd/losses.csv" | cut -d, -f1 | tr '\n' ' ')
  expected=$(seq 1 "$(csv_last_step "$kd/losses.csv")" | tr '\n' ' ')
  [ "$steps" = "$expected" ]
  check "after kills and resumes, losses.csv has every step once, in order" $? "steps: $steps"
else
  fail "kill -9: a state was saved" "no latest_state.safetensors after $round rounds"
fi
leftovers=$(strays "$kd" | tr '\n' ' ')
# A kill leaves its save's temporary file; the next run removes it.
if [ -z "$leftovers" ]; then
  pass "the run after the kills removed their temporary files"
else
  fail "the run after the kills removed their temporary files" \
    "after the final run: $leftovers"
fi

echo "# $(($(date +%s) - started)) s"
# --- 6. hostile inputs (#7): exit non-zero, one clear line, nothing written ---
bad=$work/bad
mkdir -p "$bad/notimages" "$bad/empty"
printf 'not an image\n' >"$bad/notimages/photo.png"
printf 'not an image\n' >"$bad/notimages/photo.JPG"
printf 'notes\n' >"$bad/notimages/readme.txt"   # not an image name: not even tried

run "$train" --data-a "$bad/notimages" --data-b "$work/b" --out "$bad/out1" $tiny --max-steps 1
expect_error "data folder of non-images" 1 "notimages: none of its 2 image files can be loaded"
expect_absent "non-images: no output folder" "$bad/out1"
run "$train" --data-a "$work/a" --data-b "$bad/empty" --out "$bad/out2" $tiny --max-steps 1
expect_error "empty data folder" 1 "empty: the folder holds no image files"
expect_absent "empty folder: no output folder" "$bad/out2"
run "$train" --data-a "$bad/missing" --data-b "$work/b" --out "$bad/out3" $tiny --max-steps 1
expect_error "missing data folder" 1 "missing: no such folder"
expect_absent "missing folder: no output folder" "$bad/out3"
run "$train" --data-a "$work/a/0.png" --data-b "$work/b" --out "$bad/out4" $tiny --max-steps 1
expect_error "a file as the data folder" 1 "0\.png: not a folder"

printf 'precious' >"$bad/outfile"
run "$train" $data --out "$bad/outfile" $tiny --max-steps 1
expect_error "a file where the output folder should be" 1 "cannot create the output folder .*outfile"
[ "$(cat "$bad/outfile")" = precious ]
check "the file in the way is left as it was" $?
run "$train" $data --out "$bad/outfile/sub" $tiny --max-steps 1
expect_error "output folder under a file" 1 "cannot create the output folder"

if [ "$(id -u)" -ne 0 ]; then
  mkdir "$bad/readonly"
  chmod 0500 "$bad/readonly"
  run "$train" $data --out "$bad/readonly/out" $tiny --max-steps 1
  expect_error "output in a read-only folder" 1 "cannot create the output folder.*denied"
  run "$train" $data --out "$bad/readonly" $tiny --max-steps 1
  expect_error "a read-only output folder" 1 "denied"
  leftovers=$(ls -A "$bad/readonly")
  [ -z "$leftovers" ]
  check "the read-only folder stays empty" $? "$leftovers"
else
  skip "read-only output folder" "running as root, permissions are not enforced"
fi

# Full disk: the 6-step run of the resume check, copied onto a small tmpfs (a run of its own
# there would only cost another trainer start), then the free space is filled but for ~600 KB:
# the report files fit, the state (2.5 MB) does not. The previous checkpoint must survive whole.
# expect_kept NAME OUT COPY: every latest_* file in OUT is identical to COPY's.
expect_kept () {
  differ=
  for f in "$3"/latest_*.safetensors; do
    cmp -s "$f" "$2/$(basename "$f")" || differ="$differ $(basename "$f")"
  done
  [ -z "$differ" ]
  check "$1" $? "changed or lost:$differ"
}
mkdir -p "$mnt"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=8m tmpfs "$mnt" 2>"$work/mount.err"; then
  full=$mnt/run
  cp -R "$one" "$full" 2>"$work/cp.err"
  check "tmpfs: the 6-step run fits" $? "$(cat "$work/cp.err")"
  mkdir "$work/full-copy"
  cp "$full"/latest_*.safetensors "$work/full-copy/"
  avail=$(df -Pk "$mnt" | awk 'NR == 2 { print $4 }')
  dd if=/dev/zero of="$mnt/filler" bs=1k count=$((avail - 600)) 2>/dev/null
  run "$train" $data $resume_opts --out "$full" --max-steps 7 --resume
  expect_error "full disk: a clear message" 1 "no space left on device"
  expect_kept "full disk: the previous checkpoint is intact" "$full" "$work/full-copy"
  leftovers=$(strays "$full")
  [ -z "$leftovers" ]
  check "full disk: no temporary file left" $? "$leftovers"
  rm -f "$mnt/filler"
  run "$train" $data $resume_opts --out "$full" --max-steps 7 --resume
  expect_success "full disk: with space again, --resume continues"
  umount "$mnt"
else
  skip "full disk on a small tmpfs" "cannot mount a tmpfs: $(cat "$work/mount.err" 2>/dev/null)"
fi

# The same through the file size limit (EFBIG instead of ENOSPC), for any user: 1 MB fits the
# generators and report files, not the 2.5 MB state. Where the Vulkan driver keeps device memory
# in a file (lavapipe in Mesa 25, Debian 13: one memfd), the limit caps device memory too, and
# the engine refuses the first allocation past it with a clear message instead of letting Mesa's
# unchecked ftruncate end in SIGBUS; then no save is reached and the full-disk case above is
# what tests a failing save.
fsz=$work/fsize/run
mkdir "$work/fsize"
cp -R "$one" "$fsz" 2>"$work/cp.err"
check "file size limit: the 6-step run copied (made without the limit)" $? "$(cat "$work/cp.err")"
mkdir "$work/fsize-copy"
cp "$fsz"/latest_*.safetensors "$work/fsize-copy/"
run sh -c 'trap "" XFSZ; ulimit -f 2048 && exec "$@"' sh \
  "$train" $data $resume_opts --out "$fsz" --max-steps 7 --resume
if grep -q "keeps device memory in a file" "$work/stderr"; then
  expect_error "file size limit: a clear message" 1 \
    "file size limit \\(ulimit -f\\) of 1\\.0 MiB is too small"
else
  expect_error "file size limit: a clear message" 1 "file too large"
fi
expect_kept "file size limit: the previous checkpoint is intact" "$fsz" "$work/fsize-copy"
leftovers=$(strays "$fsz")
[ -z "$leftovers" ]
check "file size limit: no temporary file left" $? "$leftovers"

mkdir "$bad/emptyout"
run "$train" $data $tiny --out "$bad/emptyout" --resume --max-steps 1
expect_error "--resume in an empty output folder" 1 "latest_state\.safetensors"
leftovers=$(find "$bad/emptyout" -type f)
[ -z "$leftovers" ]
check "--resume in an empty folder writes no file" $? "$leftovers"
if [ -z "$(ls -A "$bad/emptyout")" ]; then
  pass "--resume in an empty folder leaves it empty"
else
  fail "--resume in an empty folder leaves it empty" "created: $(ls -A "$bad/emptyout")"
fi
run "$train" $data $tiny --out "$bad/newout" --resume --max-steps 1
expect_error "--resume with a missing output folder" 1 "latest_state\.safetensors"
expect_absent "--resume with a missing output folder: nothing written" "$bad/newout"

mkdir "$work/overfit-copy"
cp "$ov"/latest_*.safetensors "$work/overfit-copy/"
run "$train" $data --load-size 36 --crop-size 32 --ngf 16 --ndf 8 --n-blocks 2 --n-layers-d 3 \
  --out "$ov" --resume --max-steps 50
expect_error "--resume with another --ngf" 1 "saved by a run with ngf=8.*this run has ngf=16"
expect_kept "--resume with another --ngf leaves the run as it was" "$ov" "$work/overfit-copy"
run "$train" $data $tiny --crop-size 24 --out "$ov" --resume --max-steps 50
expect_error "--resume with another --crop-size" 1 "crop_size=32.*crop_size=24"
[ "$(csv_last_step "$ov/losses.csv")" = 40 ] && [ "$(($(wc -l <"$ov/losses.csv") - 1))" -eq 40 ]
check "refused resumes leave losses.csv as it was" $?

# --init: a folder of G_A/G_B/D_A/D_B.safetensors.
init=$work/init
mkdir "$init"
for f in G_A G_B D_A D_B; do cp "$ov/latest_$f.safetensors" "$init/$f.safetensors"; done
run "$train" $data $tiny --init "$work/no-init" --out "$bad/out5" --max-steps 1
expect_error "--init with a missing folder" 1 "no-init/G_A\.safetensors"
if [ "$(grep -o 'G_A\.safetensors' "$work/stderr" | wc -l)" -eq 1 ]; then
  pass "--init missing: the message names the file once"
else
  fail "--init missing: the message names the file once" \
    "stderr: $(stderr_text)"
fi
expect_absent "--init missing: nothing written" "$bad/out5"
run "$train" $data --load-size 36 --crop-size 32 --ngf 12 --ndf 8 --n-blocks 2 --n-layers-d 3 \
  --init "$init" --out "$bad/out6" --max-steps 1
expect_error "--init with another generator size" 1 "G_A\.safetensors: .*generator with ngf 8"
expect_absent "--init mismatched: nothing written" "$bad/out6"
cp "$init/D_A.safetensors" "$work/G_A.safetensors.d"
mv "$work/G_A.safetensors.d" "$init/G_A.safetensors"
run "$train" $data $tiny --init "$init" --out "$bad/out7" --max-steps 1
expect_error "--init with a discriminator as G_A" 1 "G_A\.safetensors"
expect_absent "--init with a discriminator: nothing written" "$bad/out7"
cp "$ov/latest_G_A.safetensors" "$init/G_A.safetensors"
run "$train" $data $tiny --init "$init" --out "$work/init-run" --max-steps 1
expect_success "--init with the right files trains"
run "$train" $data $tiny --init "$init" --resume --out "$bad/out8" --max-steps 1
expect_error "--init with --resume" 2 "exclude each other"

# Bad option values: usage errors, exit 2.
run "$train" $data $tiny --crop-size 3 --out "$bad/out9"
expect_error "--crop-size 3" 2 "--crop-size must be in \[8, 4096\], not 3"
run "$train" $data --load-size 2064 --crop-size 2064 --ngf 8 --ndf 8 --n-blocks 2 --n-layers-d 3 \
  --out "$bad/out10" --max-steps 1
expect_error "crops too large for the device's loops" 1 "too large to train on this device"
expect_absent "crops too large: nothing written" "$bad/out10"
run "$train" $data $tiny --gan-mode foo --out "$bad/out9"
expect_error "--gan-mode foo" 2 "--gan-mode must be lsgan, vanilla or hinge, not foo"
run "$train" $data $tiny --load-size 30 --out "$bad/out9"
expect_error "--load-size smaller than --crop-size" 2 "--load-size must be in \[32, .*not 30"
run "$train" $data $tiny --ngf 0 --out "$bad/out9"
expect_error "--ngf 0" 2 "--ngf must be in"
run "$train" $data $tiny --lr -1 --out "$bad/out9"
expect_error "--lr -1" 2 "--lr must be in"
run "$train" $data $tiny --save-every 0 --out "$bad/out9"
expect_error "--save-every 0" 2 "--save-every must be in"
run "$train" $data $tiny --batch-size two --out "$bad/out9"
expect_error "--batch-size two" 2 "batch-size"
run "$train" --data-a "$work/a" $tiny --out "$bad/out9"
expect_error "missing --data-b" 2 "--data-a, --data-b and --out are required"
run "$train" $data $tiny --no-such-option --out "$bad/out9"
expect_error "unknown option" 2 "no-such-option"
expect_absent "usage errors write nothing" "$bad/out9"
run "$train" --help
expect_success "--help"
grep -q -- "--resume" "$work/stdout"
check "--help lists --resume" $?

echo "1..$count"
echo "# $passed passed, $failed failed, $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]
