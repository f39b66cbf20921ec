#!/usr/bin/python3
"""Test vectors for wepipe's MAB from WESTPA's own mab.py.

Runs map_mab of a WESTPA checkout's src/westpa/core/binning/mab.py on
random ensembles and prints them with the bins WESTPA assigns, as JSON,
for pkg/resample's TestMABWESTPAVectors:

    scripts/vectors/mab_westpa.py WESTPA_CHECKOUT > pkg/resample/testdata/mab_westpa.json

Only numpy is needed (Debian's python3-numpy); WESTPA's own package is
stubbed, since map_mab uses it only for logging. The coordinates are
passed as float64 (WESTPA's FuncBinMapper.assign would first cast them to
float32; wepipe stays in float64, see MAB's deviations), as final
coordinates with their weights, as MABDriver passes them. Ensembles with
tied coordinates are kept to 16 walkers, where numpy's argsort (an
insertion sort there) is stable, as wepipe's is.
"""
import json
import subprocess
import sys
import types

import numpy as np


def load_mab(checkout):
    westpa = types.ModuleType("westpa")
    westpa.rc = None
    core = types.ModuleType("westpa.core")
    binning = types.ModuleType("westpa.core.binning")

    class FuncBinMapper:
        def __init__(self, func, nbins, args=None, kwargs=None):
            self.func, self.nbins, self.kwargs = func, nbins, kwargs or {}

    binning.FuncBinMapper = FuncBinMapper
    sys.modules.update({"westpa": westpa, "westpa.core": core, "westpa.core.binning": binning})
    path = checkout + "/src/westpa/core/binning/mab.py"
    mod = types.ModuleType("mab")
    exec(compile(open(path).read(), path, "exec"), mod.__dict__)
    rev = subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    return mod, rev


def main():
    mab, rev = load_mab(sys.argv[1])
    rng = np.random.default_rng(20261202)
    cases = []
    for k in range(300):
        ndim = int(rng.integers(1, 4))
        nbins = [int(rng.integers(1, 7)) for _ in range(ndim)]
        direction = [int(rng.choice([0, 1, -1, 86])) for _ in range(ndim)]
        skip = [int(rng.random() < 0.25) for _ in range(ndim)]
        bottleneck = bool(rng.random() < 0.85)
        grid = bool(rng.random() < 0.4)
        n = int(rng.choice([1, 2, 3, 4, 5, 8, 16] if grid else [1, 2, 3, 5, 10, 20, 48]))
        if grid:
            x = rng.integers(0, 4, size=(n, ndim)) / 4.0
        else:
            x = rng.uniform(-2, 2, size=(n, ndim))
        w = rng.random(n) ** 6 + 1e-12
        w /= w.sum()
        mapper = mab.MABBinMapper(nbins, direction=direction, skip=skip, bottleneck=bottleneck)
        coords = np.column_stack([x, w, np.ones(n)])
        output = [0] * n
        mab.map_mab(coords, np.ones(n, dtype=bool), output, **mapper.kwargs)
        cases.append({
            "nbins": nbins, "direction": direction, "skip": [bool(s) for s in skip],
            "bottleneck": bottleneck, "x": x.tolist(), "w": w.tolist(),
            "bins": [int(b) for b in output], "total": int(mapper.nbins),
        })
    json.dump({"westpa": rev, "numpy": np.__version__, "cases": cases}, sys.stdout, separators=(",", ":"))
    print()


if __name__ == "__main__":
    main()
