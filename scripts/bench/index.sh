#!/usr/bin/env bash
# The snapshot index (FORMAT.md §1.5): `we-ls snapshots` and `we-ls runs`
# on a store of 20,000 snapshots of 48 walkers (issue 20's target: at most
# 20 ms), before the index (we-ls of BASE, which decodes every snapshot),
# on the first run (decodes them and writes the index), warm (reads the
# complete index alone, FORMAT.md §1.5) and just after a change (reads
# the index and lists the directory), beside the floor of a process
# start (/bin/true, `we-ls -h`); then the in-process Go benchmarks (BenchmarkSnapshotIndex, BenchmarkLs).
#
#   scripts/bench/index.sh
#   SNAPSHOTS=2000 RUNS=10 scripts/bench/index.sh          # quick look
#   KEEP=/dev/shm/index scripts/bench/index.sh             # keep (and reuse) the store
#   BASE=<commit> scripts/bench/index.sh                   # the "before" we-ls (default: merge-base with main)
#
# The store is built by BenchmarkSnapshotIndex (pkg/store) in process:
# a we-init snapshot, then alternately we-step and we-resample snapshots
# of 48 walkers, without fsync (about 10 s). It goes to /var/tmp (a disk)
# unless KEEP names a directory. Wall times are taken with hyperfine when
# it is installed, else by a loop of RUNS runs (min and median, ms).
set -euo pipefail
cd "$(dirname "$0")/../.."
SNAPSHOTS=${SNAPSHOTS:-20000}
RUNS=${RUNS:-30}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/we-index-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
base=${KEEP:-}
if [ -z "$base" ]; then
  base=$(mktemp -d /var/tmp/we-index-bench.XXXXXX)
  trap 'rm -rf "$tmp" "$base"' EXIT
fi
mkdir -p "$base"
st=$base/s$SNAPSHOTS.store

echo "index: building the tools" >&2
go build -o "$tmp/bin/" ./cmd/we-ls ./cmd/we-fsck
BASE=${BASE:-$(git merge-base HEAD main 2>/dev/null || true)}
if [ -n "$BASE" ]; then
  mkdir -p "$tmp/base"
  git archive "$BASE" | tar -x -C "$tmp/base"
  (cd "$tmp/base" && go build -o "$tmp/basebin/" ./cmd/we-ls)
fi
unset WE_STORE

echo "index: $SNAPSHOTS snapshots into $st (BenchmarkSnapshotIndex builds it)" >&2
WE_BENCH_SNAPSHOTS=$SNAPSHOTS WE_BENCH_INDEX_STORE=$st go test -run '^$' -bench 'BenchmarkSnapshotIndex/list' -benchtime 1x ./pkg/store/ >/dev/null

# ms N CMD...: min and median wall time of N runs of CMD, in ms. PREPARE,
# if set, is a command run (untimed) before each run.
ms() {
  local n=$1
  shift
  if command -v hyperfine >/dev/null; then
    local prep=()
    if [ -n "${PREPARE:-}" ]; then prep=(--prepare "$PREPARE"); fi
    hyperfine -N -w 3 -r "$n" "${prep[@]}" --export-json "$tmp/h.json" "$*" >/dev/null 2>&1
    /usr/bin/python3 -c 'import json,sys,statistics as s; t=json.load(open(sys.argv[1]))["results"][0]["times"]; print("min %.1f ms  median %.1f ms" % (1e3*min(t), 1e3*s.median(t)))' "$tmp/h.json"
    return
  fi
  for _ in $(seq "$n"); do
    local t0 t1
    if [ -n "${PREPARE:-}" ]; then $PREPARE; fi
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
  done | sort -n | awk '{a[NR]=$1} END {printf "min %.1f ms  median %.1f ms\n", a[1]/1000, a[int((NR+1)/2)]/1000}'
}

ls=$tmp/bin/we-ls
echo "machine: $(nproc) CPUs, $(uname -sr), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "store: $SNAPSHOTS snapshots of 48 walkers, $(du -sh "$st" | cut -f1) on $(df -T "$st" | awk 'NR==2{print $2}')"
printf '%-44s %s\n' "/bin/true" "$(ms "$RUNS" /bin/true)"
printf '%-44s %s\n' "we-ls -h (process floor)" "$(ms "$RUNS" "$ls" -h)"
if [ -n "$BASE" ]; then
  printf '%-44s %s\n' "we-ls snapshots before the index (${BASE:0:8})" "$(ms 3 "$tmp/basebin/we-ls" snapshots --store "$st")"
fi
printf '%-44s %s\n' "we-ls snapshots, first run (writes index)" "$(PREPARE="rm -f $st/index/snapshots" ms 3 "$ls" snapshots --store "$st")"
"$ls" snapshots --store "$st" >/dev/null
printf '%-44s %s\n' "we-ls snapshots, warm" "$(ms "$RUNS" "$ls" snapshots --store "$st")"
# During a run the directory keeps changing: the index is current but
# cannot be complete, so the listing reads the directory beside it.
printf '#!/bin/sh\n: >"$1/bench-bump" && rm -f "$1/bench-bump"\n' >"$tmp/bump"
chmod +x "$tmp/bump"
printf '%-44s %s\n' "we-ls snapshots, the directory just changed" "$(PREPARE="$tmp/bump $st/objects/snapshot" ms "$RUNS" "$ls" snapshots --store "$st")"
"$ls" snapshots --store "$st" >/dev/null
sleep 2.1 # settled: the next listing marks the index complete again
"$ls" snapshots --store "$st" >/dev/null
printf '%-44s %s\n' "we-ls snapshots -q, warm" "$(ms "$RUNS" "$ls" snapshots -q --store "$st")"
printf '%-44s %s\n' "we-ls runs, warm" "$(ms "$RUNS" "$ls" runs --store "$st")"
echo "index file: $(stat -c %s "$st/index/snapshots") bytes; load now $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v perf >/dev/null && perf stat -r 1 true >/dev/null 2>&1; then
  # CPU time and page faults depend less on the machine's load than wall time.
  for c in "-h" "snapshots --store $st" "runs --store $st"; do
    # shellcheck disable=SC2086
    perf stat -r "$RUNS" "$ls" $c 2>&1 >/dev/null | awk -v c="we-ls ${c%% --store*}" '
      /task-clock/ {t=$1} /page-faults/ {f=$1} /elapsed/ {e=$1*1000}
      END {printf "%-44s %.1f ms CPU, %s page faults, %.1f ms wall (mean, perf stat)\n", c, t, f, e}'
  done
fi
echo
echo "in process (go test -bench):"
WE_BENCH_SNAPSHOTS=$SNAPSHOTS WE_BENCH_INDEX_STORE=$st go test -run '^$' -bench 'BenchmarkSnapshotIndex/(warm|complete|decode|list)' -benchtime 30x -count 3 ./pkg/store/ | grep '^Benchmark'
WE_BENCH_INDEX_STORE=$st go test -run '^$' -bench 'BenchmarkLs' -benchtime 30x -count 3 ./internal/ls/ | grep '^Benchmark'
