#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine
# (Go modules; python3-cbor2 and python3-zstandard for the format check;
# snakemake for the workflow test; OpenMM and LAMMPS for the external
# engines' tests, ENGINES.md), then runs the whole suite.
#
#   scripts/test.sh            # everything CI runs
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
/usr/bin/python3 -c 'import cbor2, zstandard' 2>/dev/null || need+=(python3-cbor2 python3-zstandard)
command -v snakemake >/dev/null 2>&1 || need+=(snakemake)
command -v make >/dev/null 2>&1 || need+=(make)
/usr/bin/python3 -c 'import openmm' 2>/dev/null || need+=(python3-simtk libopenmm-plugins)
command -v lmp >/dev/null 2>&1 || need+=(lammps)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "test: missing ${need[*]} (run as root or install them) — the tests that need them will fail" >&2
  fi
fi

go mod download
echo "== go vet" >&2
go vet ./...
echo "== go test" >&2
go test -count=1 -timeout 25m ./...
echo "== format check with Python (cbor2, zstandard)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bin/" ./cmd/...
WE_STORE="$tmp/py.store" "$tmp/bin/we-init" --system lj-pair --walkers 8 >/dev/null
h=$(WE_STORE="$tmp/py.store" "$tmp/bin/we-init" --system lj-pair --walkers 8)
WE_STORE="$tmp/py.store" "$tmp/bin/we-step" --steps 10 --frames 2 "$h" |
  WE_STORE="$tmp/py.store" "$tmp/bin/we-resample" --resampler wexplore --region-sizes 1,0.5 --warp 'r>=1.0' >/dev/null
/usr/bin/python3 scripts/check_format.py --vectors pkg/record/testdata/vectors.json --store "$tmp/py.store"
