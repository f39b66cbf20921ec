#!/usr/bin/python3
"""Reads trajectories back with MDTraj and compares them with what was written.

    mdtraj_check.py EXPECTED.json...

EXPECTED.json: {"top": "t.pdb", "files": ["t.pdb", "t.xyz", "t.dcd"],
"positions": [[[x, y, z], ...], ...] (nm, per frame and atom),
"box": [a, b, c] or null (nm), "elements": ["Ar", ...] ("" unknown),
"names": [...], "bonds": [[i, j], ...], "tol": 1e-3}

Every file must hold the same frames, to tol nm; the PDB's topology the
atoms' names, elements and bonds; a file of a system with a box (PDB, DCD)
its unit cell, and a DCD without one none. Prints one line per file; exits 1
on the first difference.
"""
import json
import sys

import mdtraj
import numpy as np


def fail(msg):
    print("mdtraj_check: " + msg, file=sys.stderr)
    sys.exit(1)


def main(path):
    exp = json.load(open(path))
    want = np.array(exp["positions"], dtype=float)
    tol = exp["tol"]
    top = mdtraj.load_topology(exp["top"])
    if top.n_atoms != want.shape[1]:
        fail("topology of %d atoms, want %d" % (top.n_atoms, want.shape[1]))
    for i, a in enumerate(top.atoms):
        if a.name != exp["names"][i]:
            fail("atom %d named %r, want %r" % (i, a.name, exp["names"][i]))
        el = exp["elements"][i]
        if el and (a.element is None or a.element.symbol.lower() != el.lower()):
            fail("atom %d element %r, want %r" % (i, a.element, el))
    bonds = sorted(tuple(sorted((b[0].index, b[1].index))) for b in top.bonds)
    wantb = sorted(tuple(sorted(b)) for b in exp["bonds"])
    if bonds != wantb:
        fail("bonds %s, want %s" % (bonds, wantb))
    for f in exp["files"]:
        t = mdtraj.load(f, top=exp["top"]) if not f.endswith(".pdb") else mdtraj.load(f)
        if t.xyz.shape != want.shape:
            fail("%s: shape %s, want %s" % (f, t.xyz.shape, want.shape))
        d = float(np.max(np.abs(t.xyz - want))) if want.size else 0.0
        if d > tol:
            fail("%s: positions differ by up to %.3g nm (tolerance %g)" % (f, d, tol))
        box = exp["box"]
        if f.endswith(".xyz"):
            pass  # XYZ holds no unit cell
        elif box is None:
            if t.unitcell_lengths is not None:
                fail("%s: a unit cell %s for a system without a box" % (f, t.unitcell_lengths[0]))
        else:
            if t.unitcell_lengths is None:
                fail("%s: no unit cell" % f)
            if np.max(np.abs(t.unitcell_lengths - np.array(box))) > tol:
                fail("%s: unit cell %s, want %s" % (f, t.unitcell_lengths[0], box))
            if np.max(np.abs(t.unitcell_angles - 90)) > 1e-3:
                fail("%s: unit cell angles %s" % (f, t.unitcell_angles[0]))
        print("%s: %d frames of %d atoms, max |Δ| %.2g nm" % (f, t.n_frames, t.n_atoms, d))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        main(arg)
