#!/usr/bin/env bash
# The run's history at scale: we-gexf (the walker family tree) and we-trace
# --all (the lineage of every walker of the last snapshot, as DCD and as
# PDB) on runs of 48 lj-pair walkers of 2,000 and 10,000 cycles, with wall
# time and peak RSS from /usr/bin/time -v. we-gexf streams: its peak RSS
# should not grow with the number of cycles.
#
#   scripts/bench/history.sh                    # 2,000 and 10,000 cycles
#   CYCLES="500 2000" scripts/bench/history.sh
#   KEEP=/dev/shm/history scripts/bench/history.sh   # keep (and reuse) the stores
#
# Each store is built by BenchmarkHistory (internal/tools), in process for
# speed: per cycle we-step --steps 1 and we-resample --resampler revo, so
# that walkers are cloned and merged every cycle. Building takes about
# 10 ms a cycle on the reference machine; a kept store is reused at once
# (every stage is memoised). The stores go to /dev/shm when it exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
CYCLES=${CYCLES:-"2000 10000"}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/we-history-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
base=${KEEP:-}
if [ -z "$base" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    base=$(mktemp -d /dev/shm/we-history-bench.XXXXXX)
    trap 'rm -rf "$tmp" "$base"' EXIT
  else
    base=$tmp/stores
  fi
fi
mkdir -p "$base"

echo "history: building the tools" >&2
go build -o "$tmp/bin/" ./cmd/...
export PATH="$tmp/bin:$PATH"
unset WE_STORE

# measure LABEL CMD...: wall time and peak RSS of one run of CMD.
measure() {
  local label=$1
  shift
  /usr/bin/time -v "$@" >/dev/null 2>"$tmp/time.txt" || { cat "$tmp/time.txt" >&2; exit 1; }
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
  printf '%-34s %10s s wall %8.1f MB peak RSS\n' "$label" "$wall" "$(awk "BEGIN{print $rss/1024}")"
}

echo "machine: $(nproc) CPUs, $(uname -sr), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $CYCLES; do
  st=$base/h$n.store
  echo "history: $n cycles of 48 walkers into $st (BenchmarkHistory builds it)" >&2
  t0=$(date +%s.%N)
  WE_BENCH_CYCLES=$n WE_BENCH_HISTORY_STORE=$st go test -run '^$' -bench 'BenchmarkHistory/gexf' -benchtime 1x ./internal/tools/ >"$tmp/bench.txt"
  t1=$(date +%s.%N)
  end=$(we-ls runs --json --store "$st" | sed -n 's/.*"end":"\([0-9a-f]*\)","cycles":'"$n"',.*/\1/p')
  [ -n "$end" ] || { echo "history: no run of $n cycles in $st" >&2; exit 1; }
  echo
  echo "== $n cycles x 48 walkers (store: $(du -sh "$st" | cut -f1), built or found in $(awk "BEGIN{printf \"%.0f\", $t1 - $t0}") s)"
  measure "we-gexf" we-gexf --store "$st" "$end" -o "$tmp/tree.gexf"
  echo "  tree.gexf: $(du -h "$tmp/tree.gexf" | cut -f1), $(grep -c '<node id=' "$tmp/tree.gexf") nodes"
  measure "we-gexf --gexf-version 1.3" we-gexf --store "$st" --gexf-version 1.3 "$end" -o "$tmp/tree13.gexf"
  rm -f "$tmp/tree.gexf" "$tmp/tree13.gexf"
  rm -rf "$tmp/dcd" "$tmp/pdb"
  measure "we-trace --all --format dcd" we-trace --store "$st" "$end" --all --format dcd -o "$tmp/dcd"
  echo "  $(ls "$tmp/dcd" | wc -l) files, $(du -sh "$tmp/dcd" | cut -f1)"
  measure "we-trace --all --format pdb" we-trace --store "$st" "$end" --all --format pdb -o "$tmp/pdb"
  echo "  $(ls "$tmp/pdb" | wc -l) files, $(du -sh "$tmp/pdb" | cut -f1)"
  rm -rf "$tmp/dcd" "$tmp/pdb"
done
