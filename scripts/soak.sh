#!/usr/bin/env bash
# soak.sh: crash-safety soak test (not part of CI; it runs for an hour or
# more). It runs a weighted-ensemble simulation of many cycles twice:
# once uninterrupted (the reference) and once while SIGKILLing a stage at a
# random moment every few cycles, then resuming it by running the same
# command again. Every few hundred cycles a union of the store into a
# mirror store is killed and rerun too. It checks that
#
#   - every resumed stage prints what the uninterrupted run printed, so the
#     end hash equals the reference (FORMAT.md §1.2: a crash leaves whole
#     objects plus temp files; memo and progress entries resume a stage);
#   - we-fsck finds no problem in the killed store or in the mirror, at
#     regular intervals and at the end;
#
# and prints its figures (cycles, kills that landed per stage, resumes,
# times, store size).
#
# Usage:
#
#   scripts/soak.sh [--cycles N] [--walkers W] [--steps S] [--kill-every K]
#                   [--merge-every M] [--fsck-every F] [--seed N]
#                   [--dir DIR] [--ref HASH]
#
#   --cycles N       cycles (one we-step and one we-resample each; 10000)
#   --walkers W      walkers (8)
#   --steps S        dynamics steps per cycle (200)
#   --long-every L   every L-th cycle runs --long-steps instead (50), long
#                    enough for we-step to record its progress while it
#                    runs, so that kills land between progress commits
#   --long-steps S   dynamics steps of a long cycle (2000000)
#   --kill-every K   a kill every 1 to K cycles, uniformly (4)
#   --merge-every M  a killed union into the mirror store every M cycles (500)
#   --fsck-every F   we-fsck of the killed store every F cycles (1000)
#   --seed N         the script's random seed, for the kill schedule (1)
#   --dir DIR        where the stores go (default: a new directory under
#                    /dev/shm when it exists, else $TMPDIR): SIGKILL loses
#                    nothing the page cache holds, so tmpfs tests the same
#                    and spares the disk
#   --ref HASH       the reference end hash, when known: skip that run
#   --ref-only       run the reference only and print its end hash
#
# Exit status 0 when every check passed, 1 otherwise.
set -euo pipefail
me=soak
cd "$(dirname "$0")/.."

cycles=10000 walkers=8 steps=200 long_every=50 long_steps=2000000 kill_every=4 merge_every=500 fsck_every=1000 seed=1 dir="" ref="" ref_only=0
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed -e 's/^# \{0,1\}//'; exit 0 ;;
    --cycles) cycles=$2; shift 2 ;;
    --walkers) walkers=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --long-every) long_every=$2; shift 2 ;;
    --long-steps) long_steps=$2; shift 2 ;;
    --kill-every) kill_every=$2; shift 2 ;;
    --merge-every) merge_every=$2; shift 2 ;;
    --fsck-every) fsck_every=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --ref) ref=$2; shift 2 ;;
    --ref-only) ref_only=1; shift ;;
    *) echo "$me: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$dir" ]; then
  base=${TMPDIR:-/tmp}
  [ -d /dev/shm ] && base=/dev/shm
  dir=$(mktemp -d "$base/wepipe-soak.XXXXXX")
fi
mkdir -p "$dir"
bin=$dir/bin
go build -o "$bin/" ./cmd/...
export PATH=$bin:$PATH
RANDOM=$seed

init=(--system lj-pair --walkers "$walkers")
# step_args I sets step to the we-step flags of cycle I.
step=()
step_args() {
  local n=$steps
  ((long_every == 0 || $1 % long_every != 0)) || n=$long_steps
  step=(--steps "$n" --frames 2 --workers 2)
}
resample=(--resampler wexplore --region-sizes 1,0.5 --warp 'r>=1.0')

now_us() {
  local t=${EPOCHREALTIME/[.,]/}
  echo $((10#$t))
}
fail() {
  echo "$me: FAIL: $*" >&2
  echo "$me: the stores are kept in $dir" >&2
  exit 1
}

# The reference: the same cycles without interruption.
ref_s=""
if [ -z "$ref" ]; then
  t0=$(now_us)
  h=$(we-init --store "$dir/ref" "${init[@]}")
  for ((i = 1; i <= cycles; i++)); do
    step_args "$i"
    h=$(we-step --store "$dir/ref" "${step[@]}" "$h")
    h=$(we-resample --store "$dir/ref" "${resample[@]}" "$h")
  done
  ref=$h
  ref_s=$((($(now_us) - t0) / 1000000))
  echo "$me: reference: $cycles cycles in ${ref_s} s, end $ref" >&2
  rm -rf "$dir/ref"
  if [ "$ref_only" = 1 ]; then
    rm -rf "$dir"
    echo "$ref"
    exit 0
  fi
fi

# stage_us is the mean duration of the last stages (µs), from which the
# kill moments are drawn; "long" is that of the long cycles' we-step, so
# that their kills land as late as between two progress commits.
declare -A stage_us=([step]=20000 [long]=600000 [resample]=10000 [merge]=200000)
declare -A stale=([step]=0 [resample]=0 [merge]=0)
declare -A tried=([step]=0 [resample]=0 [merge]=0) landed=([step]=0 [resample]=0 [merge]=0)
resumed=0

# A descriptor nobody writes to: `read -t` on it sleeps without starting
# a process (sleep(1) costs milliseconds, as long as a short stage).
exec {idle}<> <(:)
pause_us() {
  read -r -t "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))" -u "$idle" _ || true
}

# killed STAGE OUTFILE CMD...: runs CMD in the background, kills it with
# SIGKILL after a random delay of 0 to 1 times the stage's mean
# duration, and counts whether the kill landed before it finished.
# clock STAGE sets key to the key of the stage's duration in stage_us
# (no subshell: a fork costs as much as a short stage's kill moment).
key=""
clock() {
  key=$1
  if [ "$1" = step ] && [ "${step[1]}" != "$steps" ]; then key=long; fi
}

killed() {
  local stage=$1 out=$2
  shift 2
  clock "$stage"
  local max=$((stage_us[$key] + 1))
  local delay_us=$(((RANDOM * 32768 + RANDOM) % max))
  "$@" >"$out" 2>>"$dir/killed.log" &
  local pid=$!
  pause_us "$delay_us"
  kill -KILL "$pid" 2>/dev/null || true
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  [ -z "${SOAK_DEBUG:-}" ] || echo "$me: $stage delay ${delay_us}us of max ${max}us: status $rc" >&2
  tried[$stage]=$((tried[$stage] + 1))
  # The rerun that follows resumes or hits the memo: its duration says
  # nothing about the stage's.
  stale[$stage]=1
  if [ "$rc" = 137 ]; then
    landed[$stage]=$((landed[$stage] + 1))
  elif [ "$rc" = 0 ]; then
    # Too late: the stage is shorter than thought.
    stage_us[$key]=$((stage_us[$key] * 3 / 4 + 1))
  else
    fail "$stage failed while being killed (status $rc): $(tail -n 3 "$dir/killed.log")"
  fi
}

# timed STAGE CMD...: runs CMD (in this shell, not a subshell, so that
# the counters below change), leaves its stdout's first word in $out and
# updates the stage's mean duration.
out=""
timed() {
  local stage=$1
  shift
  local t0
  t0=$(now_us)
  "$@" >"$dir/stage.out" 2>"$dir/stage.err" || fail "$stage: $* failed: $(cat "$dir/stage.err")"
  local us=$(($(now_us) - t0))
  clock "$stage"
  if [ "${stale[$stage]}" = 0 ]; then
    stage_us[$key]=$(((stage_us[$key] * 7 + us) / 8))
  fi
  stale[$stage]=0
  if grep -q resuming "$dir/stage.err"; then resumed=$((resumed + 1)); fi
  out=""
  read -r out _ <"$dir/stage.out" || true
}

fsck() {
  we-fsck --store "$1" >"$dir/fsck.out" 2>"$dir/fsck.err" || fail "we-fsck --store $1 after cycle $2: $(cat "$dir/fsck.out" "$dir/fsck.err")"
}

t0=$(now_us)
s=$dir/soak
h=$(we-init --store "$s" "${init[@]}")
next_kill=$((1 + RANDOM % kill_every))
for ((i = 1; i <= cycles; i++)); do
  step_args "$i"
  victim=""
  if [ "$i" -ge "$next_kill" ]; then
    if ((RANDOM % 2)); then victim=step; else victim=resample; fi
    next_kill=$((i + 1 + RANDOM % kill_every))
  fi
  [ "$victim" != step ] || killed step "$dir/out" we-step --store "$s" "${step[@]}" "$h"
  timed step we-step --store "$s" "${step[@]}" "$h"
  h=$out
  [ "$victim" != resample ] || killed resample "$dir/out" we-resample --store "$s" "${resample[@]}" "$h"
  timed resample we-resample --store "$s" "${resample[@]}" "$h"
  h=$out
  if ((i % merge_every == 0)); then
    killed merge /dev/null we-merge --store "$dir/mirror" --from "$s"
    timed merge we-merge --store "$dir/mirror" --from "$s"
    fsck "$dir/mirror" "$i"
  fi
  if ((i % fsck_every == 0)); then
    fsck "$s" "$i"
    echo "$me: cycle $i: $h; kills landed: step ${landed[step]}/${tried[step]}, resample ${landed[resample]}/${tried[resample]}, merge ${landed[merge]}/${tried[merge]}" >&2
  fi
done
soak_s=$((($(now_us) - t0) / 1000000))

fsck "$s" end
fsck_line=$(cat "$dir/fsck.err")
we-fsck --store "$s" --tmp-age 1ns >/dev/null 2>"$dir/fsck.err" || fail "we-fsck --tmp-age 1ns: $(cat "$dir/fsck.err")"
clean_line=$(cat "$dir/fsck.err")
we-merge --store "$dir/mirror" --from "$s" 2>/dev/null
fsck "$dir/mirror" end
mirror_line=$(cat "$dir/fsck.err")
size=$(du -sh "$s" | cut -f1)

cat <<EOF
soak: $cycles cycles of lj-pair, $walkers walkers, we-step --steps $steps (every ${long_every}th cycle $long_steps) --frames 2 --workers 2, we-resample ${resample[*]}
soak: machine: $(nproc) CPUs, $(uname -sr), $(go version | cut -d' ' -f3), store in $(df -T "$dir" | awk 'NR == 2 { print $2 }')
soak: reference end ${ref}${ref_s:+ (uninterrupted: $ref_s s)}
soak: killed end    $h ($soak_s s)
soak: kills that landed before the stage finished: we-step ${landed[step]} of ${tried[step]}, we-resample ${landed[resample]} of ${tried[resample]}, we-merge ${landed[merge]} of ${tried[merge]}
soak: stages that resumed finished walkers: $resumed
soak: store: $size; $fsck_line
soak: after removing the dead writers' temp files: $clean_line
soak: mirror: $mirror_line
EOF
[ "$h" = "$ref" ] || fail "end hash $h differs from the reference $ref"
rm -rf "$dir"
echo "soak: PASS"
