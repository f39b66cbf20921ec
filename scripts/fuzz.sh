#!/usr/bin/env bash
# fuzz.sh: runs every fuzz target of the decoders and of the store reader
# for a bounded number of executions each (scripts/test.sh calls it; in CI
# the whole takes about a minute). Each package's fuzzing test binary is
# built once and runs its targets in turn. A failure leaves the input that
# found it in the package's testdata/fuzz/ directory, which `go test` then
# replays.
#
#   scripts/fuzz.sh              # about 3 s of executions per target
#   FUZZTIME=1m scripts/fuzz.sh  # a duration per target instead, by hand
#
# The budgets are counts of executions, not durations: with a duration, Go
# 1.26's fuzzing coordinator may report "context deadline exceeded" as a
# failure when the time runs out while a worker is busy (golang/go#75804,
# fixed in Go 1.27), which a loaded CI machine makes likely.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# package: target=executions ... (what each decodes)
targets=(
  "pkg/codec FuzzUnmarshal=30000 FuzzArray=30000"   # deterministic CBOR into structs; typed arrays
  "pkg/record FuzzDecode=12000"                     # records of every kind
  "pkg/store FuzzDecompress=9000 FuzzStoreRead=6000 FuzzMemo=6000 FuzzRawContent=20000 FuzzPackRead=6000 FuzzSnapIndex=20000" # frames; every reader, fsck, union; memo entries; pack files; the snapshot index
  "pkg/system FuzzFromJSON=10000"                   # system files (JSON)
  "pkg/resample FuzzDecodeWExploreTree=20000"       # WExplore's region tree carried in snapshots
  "pkg/warp FuzzParse=30000"                        # --warp conditions
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
n=0
for t in "${targets[@]}"; do
  read -r pkg budgets <<<"$t"
  bin=$tmp/$(basename "$pkg").test
  go test -c -fuzz=. -o "$bin" "./$pkg"
  for b in $budgets; do
    name=${b%%=*}
    fuzztime=${FUZZTIME:-${b#*=}x}
    echo "fuzz: $pkg $name ($fuzztime)" >&2
    (cd "$root/$pkg" && "$bin" -test.run='^$' -test.fuzz="^$name\$" -test.fuzztime="$fuzztime" \
      -test.fuzzcachedir="$tmp/cache" >"$tmp/out" 2>&1) || {
      cat "$tmp/out" >&2
      echo "fuzz: $pkg $name failed; the input is in $pkg/testdata/fuzz/$name/" >&2
      exit 1
    }
    n=$((n + 1))
  done
done
echo "fuzz: $n targets in $((SECONDS - start)) s" >&2
