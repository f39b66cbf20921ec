#!/usr/bin/env bash
# Pack files at scale (FORMAT.md §1.6): a run of 48 lj-pair walkers, REVO,
# 10 steps a cycle, every state kept (the store keeps each walker's full
# state every cycle), measured before and after we-pack:
#
#   - files on disk (target: at most 50 per 1,000 cycles),
#   - bytes per cycle, as the sum of file sizes and as the disk space
#     allocated (`du -s`, 1 KiB blocks; target: at most 12.9 KB each,
#     WESTPA's west.h5 without states),
#   - we-pack's own time,
#   - we-merge --from of a packed store of about 100,000 objects (the same
#     run with --frames 1, so that each walker has a segment too) in
#     objects per second, against the same store loose,
#   - BenchmarkReadState (pkg/store): one state read loose, packed (its
#     frame cached) and packed cold (its frame read and decompressed),
#   - BenchmarkPackedFirstRead (pkg/store): what a short-lived stage pays
#     for a pack's index before its first packed read.
#
#   scripts/bench/pack.sh                          # 1,000 cycles
#   CYCLES=200 MERGE_CYCLES=200 scripts/bench/pack.sh   # quick look
#   STORE_DIR=/scratch scripts/bench/pack.sh       # another file system
#
# The stores go under STORE_DIR (default /var/tmp: a disk, where `du`
# counts blocks as a cluster file system would; a tmpfs allocates pages).
set -euo pipefail
cd "$(dirname "$0")/../.."
CYCLES=${CYCLES:-1000}
MERGE_CYCLES=${MERGE_CYCLES:-1000}
WALKERS=${WALKERS:-48}
STORE_DIR=${STORE_DIR:-/var/tmp}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/we-pack-bench.XXXXXX")
base=$(mktemp -d "$STORE_DIR/we-pack-bench.XXXXXX")
trap 'rm -rf "$tmp" "$base"' EXIT
echo "pack: building the tools" >&2
go build -o "$tmp/bin/" ./cmd/...
export PATH="$tmp/bin:$PATH"
unset WE_STORE

revo=(--resampler revo -q --init "--system lj-pair --walkers $WALKERS" -- --merge-dist 0.0005 --char-dist 0.001)

# files DIR; bytes DIR (sum of sizes); blocks DIR (du -s, KiB)
files() { find "$1" -type f | wc -l; }
bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
blocks() { du -s "$1" | cut -f1; }
secs() { awk "BEGIN{printf \"%.2f\", $2 - $1}"; }

report() { # LABEL DIR
  local f b k
  f=$(files "$2")
  b=$(bytes "$2")
  k=$(blocks "$2")
  printf '%-14s %8d files (%6.1f per 1,000 cycles)  %8.2f KB/cycle in files  %8.2f KB/cycle allocated (du -s)\n' \
    "$1" "$f" "$(awk "BEGIN{print $f * 1000 / $CYCLES}")" "$(awk "BEGIN{print $b / $CYCLES / 1000}")" \
    "$(awk "BEGIN{print $k * 1024 / $CYCLES / 1000}")"
}

echo "machine: $(nproc) CPUs, $(uname -sr), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "stores under $STORE_DIR ($(df -T "$STORE_DIR" | awk 'NR==2{print $2}'))"
st=$base/run.store
echo "pack: $CYCLES cycles of $WALKERS walkers into $st" >&2
t0=$(date +%s.%N)
we-run --cycles "$CYCLES" --steps 10 --store "$st" "${revo[@]}" >/dev/null
t1=$(date +%s.%N)
echo
echo "== $CYCLES cycles x $WALKERS walkers, REVO, 10 steps a cycle (run: $(secs "$t0" "$t1") s)"
report "before we-pack" "$st"
t0=$(date +%s.%N)
we-pack "$st" 2>"$tmp/pack.txt"
t1=$(date +%s.%N)
report "after we-pack" "$st"
echo "we-pack: $(secs "$t0" "$t1") s; $(sed 's/^we-pack: //' "$tmp/pack.txt")"
echo "targets: at most 50 files per 1,000 cycles; at most 12.9 KB a cycle, in files and allocated"
we-fsck --store "$st" 2>&1 | sed 's/^/  /'

# we-merge --from: a packed source of ~100,000 objects against the same
# store loose, each into a fresh destination on the same file system.
m=$base/merge.store
echo "pack: $MERGE_CYCLES cycles with --frames 1 into $m" >&2
we-run --cycles "$MERGE_CYCLES" --steps 10 --frames 1 --store "$m" "${revo[@]}" >/dev/null
cp -a "$m" "$base/merge-packed.store"
we-pack "$base/merge-packed.store" 2>/dev/null
n=$(we-fsck --store "$m" 2>&1 | sed -n 's/^we-fsck: \([0-9]*\) objects.*/\1/p')
echo
echo "== we-merge --from a store of $n objects into a fresh store"
for src in merge merge-packed; do
  sync
  t0=$(date +%s.%N)
  we-merge -q --from "$base/$src.store" --store "$base/dst-$src.store"
  t1=$(date +%s.%N)
  printf '%-22s %7.2f s  %8.0f objects/s\n' "from $src" "$(secs "$t0" "$t1")" "$(awk "BEGIN{print $n / ($t1 - $t0)}")"
  rm -rf "$base/dst-$src.store"
done

echo
echo "== reading one state (BenchmarkReadState, pkg/store)"
go test -run '^$' -bench 'BenchmarkReadState' -benchtime 3000x ./pkg/store/ | grep '^Benchmark'
echo
echo "== a short-lived stage's first packed read: the index, then a frame (BenchmarkPackedFirstRead, pkg/store)"
go test -run '^$' -bench 'BenchmarkPackedFirstRead' -benchtime 50x ./pkg/store/ | grep '^Benchmark'
