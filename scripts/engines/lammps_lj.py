#!/usr/bin/env python3
"""A per-segment engine (ENGINES.md §3): the Lennard-Jones fluid in LAMMPS.

    we-init --system lj-fluid --set n=108 --exec-mode segment \
        --exec "/usr/bin/python3 $PWD/scripts/engines/lammps_lj.py"
    we-step --steps 1000 HASH

we-step runs this once per walker in a scratch directory, with the system
record in $WE_SYSTEM, the input state in $WE_STATE_IN (CBOR) and the
walker's steps, seed and frames in $WE_STEPS, $WE_SEED and $WE_FRAMES. It
writes a LAMMPS data file, runs lmp (Debian's lammps; $WE_LMP names another
binary) and converts what LAMMPS leaves back: the state to $WE_STATE_OUT and
the frames to $WE_FRAMES_OUT.

The system must be one lj-cut term over all atoms of equal mass in a
periodic box (the built-in lj-fluid). Units: LAMMPS "real" (Å, fs, kcal/mol,
g/mol), converted exactly from wepipe's (nm, ps, kJ/mol, amu): 1 kcal =
4.184 kJ, 1 nm/ps = 0.01 Å/fs.

Dynamics: LAMMPS integrates with fix nve (velocity Verlet) under fix
langevin with the Grønbech-Jensen–Farago discretisation (gjf vhalf), damp =
1/γ. wepipe's built-in engine is BAOAB (OpenMM's LangevinMiddleIntegrator).
The two split the same Langevin equation differently: GJF folds the friction
and the noise into one Verlet-like update of positions and returns 2GJ
half-step velocities; BAOAB applies the exact Ornstein–Uhlenbeck solution
between two half drifts and returns full-step velocities. Neither trajectory
is the other's, and their velocities differ at O(Δt), but both are built so
that configurations are sampled from exp(−U/kT) with small error that
vanishes for harmonic forces at any stable Δt (Grønbech-Jensen & Farago,
Mol. Phys. 111, 983 (2013); Leimkuhler & Matthews, Appl. Math. Res. Express
2013, 34), so configurational averages such as the potential energy
distribution agree to well within statistical error at Δt = 2 fs for argon.
The noise comes from LAMMPS's own generator seeded with the walker's seed,
so a walker gives the same state whichever worker runs it.
"""

import math
import os
import shutil
import struct
import subprocess
import sys

import cbor2

KCAL = 4.184  # kJ per kcal


def floats(a):
    data = a["data"].value
    return list(struct.unpack("<%dd" % (len(data) // 8), data))


def typed(xs, shape):
    return {"data": cbor2.CBORTag(86, struct.pack("<%dd" % len(xs), *xs)), "shape": shape}


def load(path):
    with open(path, "rb") as f:
        return cbor2.loads(f.read())


def fail(msg):
    print("lammps_lj.py: " + msg, file=sys.stderr)
    sys.exit(1)


def lj_term(system):
    terms = system.get("potential", [])
    if len(terms) != 1 or terms[0]["type"] != "lj-cut" or terms[0].get("atoms"):
        fail("the system must be one lj-cut term over all atoms (the built-in lj-fluid)")
    p = terms[0]["params"]
    sigma = p["sigma"]
    return sigma, p["epsilon"], p.get("cutoff", 0.0) or 2.5 * sigma, p.get("shift", 0.0)


def write_data(path, system, state):
    masses = floats(system["particles"]["masses"])
    if len(set(masses)) != 1:
        fail("all atoms must have one mass (one LAMMPS atom type)")
    box = state.get("box") or system.get("box")
    if not box:
        fail("the system has no periodic box")
    x, v = floats(state["positions"]), floats(state["velocities"])
    n = len(masses)
    lines = ["LAMMPS data file written by lammps_lj.py for wepipe", "",
             "%d atoms" % n, "1 atom types", ""]
    for k, axis in enumerate("xyz"):
        lines.append("0 %.17g %slo %shi" % (10 * box[k], axis, axis))
    lines += ["", "Masses", "", "1 %.17g" % masses[0], "", "Atoms # atomic", ""]
    for i in range(n):
        # Inside the box, with image flags: LAMMPS's unwrapped coordinates
        # (xu) are then the input's, and come back unwrapped.
        row = ["%d 1" % (i + 1)]
        images = []
        for k in range(3):
            L = 10 * box[k]
            q = 10 * x[3 * i + k]
            img = math.floor(q / L)
            row.append("%.17g" % (q - img * L))
            images.append("%d" % img)
        lines.append(" ".join(row + images))
    lines += ["", "Velocities", ""]
    for i in range(n):
        lines.append("%d %.17g %.17g %.17g" % (i + 1, 0.01 * v[3 * i], 0.01 * v[3 * i + 1], 0.01 * v[3 * i + 2]))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return masses


def read_dump(path, n, velocities):
    """Positions (nm) and, when asked, velocities (nm/ps) of a write_dump
    file sorted by id."""
    with open(path) as f:
        lines = f.read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("ITEM: ATOMS")) + 1
    x, v = [], []
    for l in lines[start:start + n]:
        w = l.split()
        x += [float(w[1]) / 10, float(w[2]) / 10, float(w[3]) / 10]
        if velocities:
            v += [float(w[4]) * 100, float(w[5]) * 100, float(w[6]) * 100]
    if len(x) != 3 * n:
        fail("%s: %d atoms, want %d" % (path, len(x) // 3, n))
    return x, v


def main():
    system, state = load(os.environ["WE_SYSTEM"]), load(os.environ["WE_STATE_IN"])
    steps, frames = int(os.environ["WE_STEPS"]), int(os.environ["WE_FRAMES"])
    seed = int(os.environ["WE_SEED"]) % 900000000 + 1  # LAMMPS: 1 .. 9e8
    g = system["integrator"]
    if g["friction"] <= 0:
        fail("fix langevin needs a friction > 0")
    sigma, eps, rc, shift = lj_term(system)
    masses = write_data("data.lmp", system, state)
    n = len(masses)
    dt = 1000 * g["timestep"]  # fs
    script = [
        "units real", "atom_style atomic", "boundary p p p", "atom_modify map array",
        "read_data data.lmp",
        "pair_style lj/cut %.17g" % (10 * rc),
        "pair_coeff 1 1 %.17g %.17g" % (eps / KCAL, 10 * sigma),
        "pair_modify shift %s" % ("yes" if shift else "no"),
        "neighbor 2.0 bin", "neigh_modify every 1 delay 0 check yes",
        "timestep %.17g" % dt,
        # GJF must come before nve (LAMMPS requires it).
        "fix thermostat all langevin %.17g %.17g %.17g %d gjf vhalf" % (g["temperature"], g["temperature"], 1000 / g["friction"], seed),
        "fix integrate all nve",
        "thermo_style custom step pe ke", "thermo %d" % max(steps, 1),
    ]
    done = 0
    for k in range(1, frames + 1):
        target = k * steps // frames
        script.append("run %d" % (target - done))
        script.append("write_dump all custom frame%d.txt id xu yu zu modify sort id format float %%.17g" % k)
        done = target
    if steps > done:
        script.append("run %d" % (steps - done))
    script += [
        "write_dump all custom final.txt id xu yu zu vx vy vz modify sort id format float %.17g",
        'print "$(pe:%.17g)" file pe.txt screen no',
    ]
    with open("in.lmp", "w") as f:
        f.write("\n".join(script) + "\n")
    lmp = os.environ.get("WE_LMP") or shutil.which("lmp") or "lmp"
    # Debian's lmp is an Open MPI program. Started alone (a singleton), it
    # forks an orted daemon unless told not to, and that start fails now
    # and then on a busy machine ("Unable to start a daemon on the local
    # node"); one process needs no daemon.
    env = dict(os.environ, OMPI_MCA_ess_singleton_isolated="1")
    r = subprocess.run([lmp, "-in", "in.lmp", "-log", "none", "-nocite", "-echo", "none"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-4000:])
        fail("%s exited with status %d" % (lmp, r.returncode))
    x, v = read_dump("final.txt", n, True)
    with open("pe.txt") as f:
        pe = float(f.read().split()[0]) * KCAL
    ekin = 0.5 * sum(masses[i // 3] * v[i] * v[i] for i in range(3 * n))
    out = {"positions": typed(x, [n, 3]), "velocities": typed(v, [n, 3]), "epot": pe, "ekin": ekin}
    with open(os.environ["WE_STATE_OUT"], "wb") as f:
        f.write(cbor2.dumps(out, canonical=True))
    if frames:
        xs = []
        for k in range(1, frames + 1):
            xs += read_dump("frame%d.txt" % k, n, False)[0]
        with open(os.environ["WE_FRAMES_OUT"], "wb") as f:
            f.write(cbor2.dumps(typed(xs, [frames, n, 3]), canonical=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
