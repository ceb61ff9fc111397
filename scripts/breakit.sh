#!/usr/bin/env bash
# A break-it pass over natmo's reliability (issue 20): malformed input,
# signals at random moments, two writers on one folder, damaged folders,
# --force on folders natmo did not write, a full disk. Each trial is
# classified: a clear error (a non-zero exit with a "natmo: " message, or the
# success the trial expects), a panic, a hang (no exit within 60 s), or data
# lost (a user's file gone or changed, or resumed tables that differ from an
# uninterrupted run). Prints the totals; exits 1 if any trial panicked, hung
# or lost data.
#
#   scripts/breakit.sh [TRIALS_PER_SIGNAL]    (default 12; about three minutes)
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
per=${1:-12}

work=$(mktemp -d /tmp/natmo-breakit.XXXXXX)
fs="$work/full"
cleanup() {
  mountpoint -q "$fs" 2>/dev/null && umount "$fs"
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/natmo" ./cmd/natmo || exit 1
natmo="$work/natmo"
tiny="$repo/cmd/natmo/testdata/tiny.yaml"

trials=0 clear=0 panics=0 hangs=0 lost=0 stopped=0
declare -A bycat
note() { # note CATEGORY OUTCOME DETAIL
  trials=$((trials + 1))
  case $2 in
    clear) clear=$((clear + 1)) ;;
    panic) panics=$((panics + 1)); echo "PANIC  [$1] $3" ;;
    hang) hangs=$((hangs + 1)); echo "HANG   [$1] $3" ;;
    lost) lost=$((lost + 1)); echo "LOST   [$1] $3" ;;
    *) echo "UNCLEAR [$1] $3" ;;
  esac
  bycat[$1]=$((${bycat[$1]:-0} + 1))
}

# judge CATEGORY WANT(ok|fail) DETAIL -- CMD...: runs CMD with a 60 s limit
# and classifies it by its exit code and stderr.
judge() {
  local cat=$1 want=$2 detail=$3; shift 4
  local err="$work/stderr" code
  timeout -s KILL 60 "$@" >/dev/null 2>"$err"; code=$?
  if grep -q -e '^panic:' -e 'goroutine [0-9]* \[running\]' -e 'fatal error:' "$err"; then
    note "$cat" panic "$detail: $(head -c 300 "$err")"
  elif [ $code -eq 137 ]; then
    note "$cat" hang "$detail"
  elif [ "$want" = ok ] && [ $code -eq 0 ]; then
    note "$cat" clear "$detail"
  elif [ "$want" = fail ] && [ $code -ne 0 ] && grep -q '^natmo: .\{12,\}' "$err"; then
    note "$cat" clear "$detail"
  else
    note "$cat" unclear "$detail: exit $code: $(head -c 300 "$err")"
  fi
}

# 1. Malformed input: each must exit non-zero with a located message.
bad=(
  "--set seeds=1e9" "--set world.hidden=1e6" "--set world.eval_examples=1e9"
  "--set baseline.0.pretrain.examples=1e12" "--set arms.insecure.0.narrow-finetune.steps=1e15"
  "--set world.cue_noise=1e200" "--set baseline.0.pretrain.batch=1e9" "--set measure.every=1e15"
  "--set 'title=\"a\\u0007b\"'" "--set name=$(printf 'n%.0s' {1..80})" "--set figures.0.name=$(printf 'f%.0s' {1..70})"
  "--set baseline.0.pretrain.epochs=100000 --set baseline.0.pretrain.examples=10000000"
  "--set world.hidden=4096 --seeds 1000 --workers 1000"
  "--out" "--out --force" "--out=--" "--format jpg" "--workers 0" "--seeds -1"
)
for b in "${bad[@]}"; do
  # shellcheck disable=SC2086 # the cases are word lists
  eval "set -- $b"
  judge input fail "run tiny $b" -- "$natmo" run "$tiny" -q --format svg --out "$work/in-$trials" "$@"
done
for b in "--over =1,2" "--over world.coupling=" "--shard 3/2" "--shard x" "--over world.coupling=$(seq -s, 1 20000)"; do
  eval "set -- $b"
  judge input fail "sweep tiny $b" -- "$natmo" sweep "$tiny" -q --format svg --out "$work/in-$trials" "$@"
done
judge input fail "cot rl lr 1e6" -- "$natmo" run cot-monitor-pressure --seeds 1 --set baseline.1.rl.lr=1e6 --set baseline.1.rl.steps=100 -q --format svg --out "$work/cot-div"
judge input fail "cot monitor fit of hours" -- "$natmo" validate cot-monitor-pressure --set world.monitor.steps=100000 --set world.monitor.examples=1000000

# 2. Signals at random moments, then --resume: the tables must be the bytes
# of an uninterrupted sweep.
sweep=(sweep "$tiny" --over arms.insecure.0.narrow-finetune.steps=20,40,60 --seeds 12 --format svg -q)
"$natmo" "${sweep[@]}" --out "$work/whole" >/dev/null 2>&1 || { echo "reference sweep failed"; exit 1; }
for sig in INT TERM KILL; do
  for i in $(seq 1 "$per"); do
    out="$work/sig-$sig-$i"
    "$natmo" "${sweep[@]}" --workers 1 --out "$out" >/dev/null 2>"$work/sig-err" &
    pid=$!
    sleep "0.$(printf '%03d' $(( (RANDOM % 400) + 1 )))"
    kill -s "$sig" "$pid" 2>/dev/null
    wait "$pid"; code=$?
    if grep -q '^panic:' "$work/sig-err"; then note signal panic "$sig $i"; continue; fi
    [ $code -ne 0 ] && stopped=$((stopped + 1))
    case $sig/$code in
      INT/130|TERM/143|KILL/137|*/0) ;;
      *) note signal unclear "$sig $i: exit $code: $(head -c 200 "$work/sig-err")"; continue ;;
    esac
    timeout -s KILL 60 "$natmo" "${sweep[@]}" --out "$out" --resume >/dev/null 2>"$work/sig-err"; code=$?
    if [ $code -eq 137 ]; then note signal hang "$sig $i resume"; continue; fi
    if [ $code -ne 0 ]; then note signal lost "$sig $i: resume exit $code: $(head -c 200 "$work/sig-err")"; continue; fi
    if cmp -s "$work/whole/metrics.csv" "$out/metrics.csv" && cmp -s "$work/whole/summary.csv" "$out/summary.csv"; then
      note signal clear "$sig $i"
    else
      note signal lost "$sig $i: resumed tables differ"
    fi
  done
done

# 3. Two writers on one folder at once: exactly one proceeds, the other
# exits 2 naming the holder; the folder is the winner's alone.
for i in $(seq 1 "$per"); do
  out="$work/two-$i"
  "$natmo" run "$tiny" --seeds 2 -q --format svg --out "$out" >/dev/null 2>"$work/a-err" &
  a=$!
  "$natmo" run "$tiny" --seeds 3 --set world.coupling=0.5 -q --format svg --out "$out" >/dev/null 2>"$work/b-err" &
  b=$!
  wait $a; ca=$?; wait $b; cb=$?
  ids=$(head -qn1 "$out"/runs/seed-*.csv 2>/dev/null | sed 's/.*scenario \([0-9a-f]*\).*/\1/' | sort -u | wc -l)
  if grep -q '^panic:' "$work/a-err" "$work/b-err"; then note writers panic "$i"
  elif [ $((ca + cb)) -ne 2 ] || { [ $ca -ne 0 ] && [ $cb -ne 0 ]; }; then
    note writers lost "$i: exits $ca and $cb ($(cat "$work/a-err" "$work/b-err" | head -c 200))"
  elif [ "$ids" -ne 1 ]; then note writers lost "$i: seed files of $ids scenarios"
  else note writers clear "$i"
  fi
done

# 4. Damaged folders: a seed file cut at a random byte, a foreign seed file,
# a corrupt sweep.json; resume and merge refuse them, naming the file.
"$natmo" run "$tiny" --seeds 2 -q --format svg --out "$work/ref" >/dev/null 2>&1
for i in $(seq 1 "$per"); do
  out="$work/cut-$i"
  cp -r "$work/ref" "$out"
  f="$out/runs/seed-0001.csv"
  size=$(stat -c %s "$f")
  truncate -s $((RANDOM % (size - 1) + 1)) "$f"
  judge damaged fail "seed file cut at a random byte ($i)" -- "$natmo" run "$tiny" --seeds 2 -q --format svg --out "$out" --resume
done
cp -r "$work/ref" "$work/foreign"
sed -i '2,$s/^secure,/sekure,/' "$work/foreign/runs/seed-0000.csv"
judge damaged fail "renamed arm" -- "$natmo" run "$tiny" --seeds 2 -q --format svg --out "$work/foreign" --resume
"$natmo" "${sweep[@]}" --out "$work/sw" >/dev/null 2>&1
for edit in 's/"seeds": [0-9]*/"seeds": -1/' 's/"values": \[[^]]*\]/"values": []/' 's/"id": "[0-9a-f]*"/"id": "..\/..\/x"/' '1s/^/x/'; do
  rm -rf "$work/sw2"; cp -r "$work/sw" "$work/sw2"
  sed -z -i "$edit" "$work/sw2/sweep.json"
  cmp -s "$work/sw/sweep.json" "$work/sw2/sweep.json" && { echo "(edit $edit did not apply)"; continue; }
  judge damaged fail "sweep.json: $edit" -- "$natmo" merge "$work/sw2" --out "$work/sw2-merged"
done

# 5. --force on folders natmo did not write: refused, every file kept.
mkproject() { mkdir -p "$1/src" && echo 'package main' >"$1/src/main.go" && echo notes >"$1/notes.txt"; }
for i in 1 2 3 4; do
  p="$work/proj-$i"; mkproject "$p"
  case $i in
    2) cp "$work/ref/manifest.json" "$p/" ;; # natmo's manifest beside the user's files
    3) mkdir -p "$p/runs" && cp "$work/ref/runs/seed-0000.csv" "$p/runs/" && echo x >"$p/runs/mine.txt" ;;
  esac
  before=$(cd "$p" && find . -type f -exec md5sum {} + | sort)
  judge force fail "--force on a project folder ($i)" -- "$natmo" run "$tiny" --seeds 1 -q --format svg --out "$p" --force
  after=$(cd "$p" && find . -type f -exec md5sum {} + | sort)
  [ "$before" = "$after" ] || note force lost "project $i changed"
done
home="$work/home"; mkdir -p "$home/.ssh"; echo key >"$home/.ssh/id_ed25519"
judge force fail "--force on \$HOME" -- env HOME="$home" "$natmo" run "$tiny" --seeds 1 -q --format svg --out "$home" --force
[ -f "$home/.ssh/id_ed25519" ] || note force lost "the key in HOME"
pushd "$work/proj-1" >/dev/null
judge force fail "--force on the working directory" -- "$natmo" run "$tiny" --seeds 1 -q --format svg --out . --force
popd >/dev/null
[ -f "$work/proj-1/notes.txt" ] || note force lost "the working directory"
judge force ok "--force on natmo's own folder" -- "$natmo" run "$tiny" --seeds 2 -q --format svg --out "$work/ref" --force

# 6. A full disk: the run fails with a message, leaves no partial file, and
# finishes with --resume once there is room.
mkdir -p "$fs"
if mount -t tmpfs -o size=32k tmpfs "$fs" 2>/dev/null; then
  judge disk fail "run into a 32 KiB file system" -- "$natmo" run "$tiny" --seeds 3 -q --format svg --out "$fs/out"
  if find "$fs" -name '*.tmp-*' | grep -q .; then note disk lost "temporary files left"; fi
  mkdir -p "$work/moved" && cp -r "$fs/out" "$work/moved/" && umount "$fs"
  judge disk ok "resume after the disk is freed" -- "$natmo" run "$tiny" --seeds 3 -q --format svg --out "$work/moved/out" --resume
else
  echo "(no tmpfs: the full-disk trials are skipped)"
fi

echo
echo "signal trials that stopped a sweep part-way (the rest had finished): $stopped"
printf '%-10s %s\n' category trials
for c in "${!bycat[@]}"; do printf '%-10s %d\n' "$c" "${bycat[$c]}"; done | sort
echo
printf '| trials | clear errors | panics | hangs | data lost |\n|---|---|---|---|---|\n| %d | %d | %d | %d | %d |\n' \
  "$trials" "$clear" "$panics" "$hangs" "$lost"
[ $((panics + hangs + lost)) -eq 0 ]
