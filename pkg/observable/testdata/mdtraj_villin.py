# Prints, as JSON, villin's protein (OpenMM's test.pdb without water and
# ions) as MDTraj reads it, nine frames made from it, and what MDTraj
# computes on them: φ/ψ, Rg, Best–Hummer–Eaton Q against frame 0 and
# RMSD to frame 0, for observable's cross-check test. No box: the frames
# are a protein in implicit solvent.
import itertools
import json
import sys

import mdtraj
import numpy as np

t = mdtraj.load(sys.argv[1])
t = t.atom_slice(t.topology.select("protein"))
t.unitcell_vectors = None
top = t.topology
x0 = t.xyz[0].astype(np.float64)

rng = np.random.default_rng(16)
frames = [x0]
# A rigid motion of the native structure: RMSD 0, Q, Rg and angles unchanged.
a = 0.7
rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
frames.append(x0 @ rot.T + np.array([1.5, -2.0, 0.25]))
# Thermal-like noise of growing amplitude, then the protein stretched
# about its centre: Q falls from 1 towards 0.
for sigma in (0.01, 0.05, 0.1, 0.2, 0.4):
    frames.append(x0 + rng.normal(0, sigma, x0.shape))
c = x0.mean(axis=0)
for f in (1.5, 3.0):
    frames.append(c + f * (x0 - c))
t = mdtraj.Trajectory(np.array(frames, dtype=np.float32), top)
xyz = t.xyz.astype(np.float64)

phi_idx, phi = mdtraj.compute_phi(t, periodic=False)
psi_idx, psi = mdtraj.compute_psi(t, periodic=False)

masses = np.array([a.element.mass for a in top.atoms])
rg_equal = mdtraj.compute_rg(t)
rg_mass = mdtraj.compute_rg(t, masses=masses)
com = mdtraj.compute_center_of_mass(t)

# best_hummer_q as MDTraj's documentation gives it (examples/native-contact).
BETA_CONST, LAMBDA_CONST, NATIVE_CUTOFF = 50, 1.8, 0.45
heavy = top.select_atom_indices("heavy")
heavy_pairs = np.array([(i, j) for (i, j) in itertools.combinations(heavy, 2)
                        if abs(top.atom(i).residue.index - top.atom(j).residue.index) > 3])
d0 = mdtraj.compute_distances(t[0], heavy_pairs, periodic=False)[0]
native = heavy_pairs[d0 < NATIVE_CUTOFF]
r = mdtraj.compute_distances(t, native, periodic=False)
r0 = mdtraj.compute_distances(t[0], native, periodic=False)
q = np.mean(1.0 / (1 + np.exp(BETA_CONST * (r - LAMBDA_CONST * r0))), axis=1)
# Distances of heavy pairs nearest the cut-off, to show that float32 and
# float64 classify every pair alike.
near = float(np.min(np.abs(d0 - NATIVE_CUTOFF)))

ca = top.select("name CA")
rmsd_ca = mdtraj.rmsd(t, t, 0, atom_indices=ca)
rmsd_heavy = mdtraj.rmsd(t, t, 0, atom_indices=heavy)

json.dump({
    "names": [a.name for a in top.atoms],
    "elements": [a.element.symbol for a in top.atoms],
    "masses": masses.tolist(),
    "residues": [{"name": r.name, "id": r.resSeq} for r in top.residues],
    "residue": [a.residue.index for a in top.atoms],
    "frames": [f.ravel().tolist() for f in xyz],
    "phi_atoms": phi_idx.tolist(), "phi": phi.astype(np.float64).tolist(),
    "psi_atoms": psi_idx.tolist(), "psi": psi.astype(np.float64).tolist(),
    "rg_equal": rg_equal.astype(np.float64).tolist(),
    "rg_mass": rg_mass.astype(np.float64).tolist(),
    "com": com.astype(np.float64).tolist(),
    "centroid": xyz.mean(axis=1).tolist(),
    "native": native.tolist(),
    "near_cutoff": near,
    "q": q.astype(np.float64).tolist(),
    "rmsd_ca": rmsd_ca.astype(np.float64).tolist(),
    "rmsd_heavy": rmsd_heavy.astype(np.float64).tolist(),
}, sys.stdout)
