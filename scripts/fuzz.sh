#!/usr/bin/env bash
# fuzz.sh: runs every fuzz target of the decoders and of the store reader
# for a bounded time each (scripts/test.sh calls it; in CI the whole takes
# under two minutes). Each package's fuzzing test binary is built once and
# runs its targets in turn. A failure leaves the input that found it in
# the package's testdata/fuzz/ directory, which `go test` then replays.
#
#   scripts/fuzz.sh              # FUZZTIME per target (default 3s)
#   FUZZTIME=1m scripts/fuzz.sh  # longer, by hand
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzztime=${FUZZTIME:-3s}

# package: targets (what each decodes)
targets=(
  "pkg/codec FuzzUnmarshal FuzzArray"          # deterministic CBOR into structs; typed arrays
  "pkg/record FuzzDecode"                      # records of every kind
  "pkg/store FuzzDecompress FuzzStoreRead FuzzMemo FuzzRawContent" # frames; every reader, fsck, union; memo entries
  "pkg/system FuzzFromJSON"                    # system files (JSON)
  "pkg/resample FuzzDecodeWExploreTree"        # WExplore's region tree carried in snapshots
  "pkg/warp FuzzParse"                         # --warp conditions
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
n=0
for t in "${targets[@]}"; do
  read -r pkg names <<<"$t"
  bin=$tmp/$(basename "$pkg").test
  go test -c -fuzz=. -o "$bin" "./$pkg"
  for name in $names; do
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
