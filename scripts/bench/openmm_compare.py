#!/usr/bin/python3
"""Times OpenMM 7.7 (Debian's python3-simtk) on wepipe's benchmark systems.

Systems (OpenMM units: nm, ps, amu, kJ/mol, K), identical to the Go benchmarks
in pkg/engine (BenchmarkLangevinLJPair, BenchmarkLJFluid):

  lj-pair   two particles of 39.9 amu, LJ sigma 0.3350 nm, epsilon 41.84 kJ/mol,
            no cutoff; 300 K, friction 1/ps, 2 fs; 10,000 steps.
  lj-fluid  N reduced-unit argon atoms (sigma 0.3405 nm, epsilon 0.996 kJ/mol,
            39.948 amu) at reduced density 0.8 on a perturbed cubic lattice,
            NonbondedForce CutoffPeriodic with rc = 2.5 sigma, no dispersion
            correction, no switching; 120 K, friction 1/ps, 2 fs.

The integrator is LangevinMiddleIntegrator (BAOAB, present in 7.7) or
LangevinIntegrator when absent. Prints one line per case:

  case  platform  threads  steps  seconds  us/step  ns/day  cpu-us/step

us/step is wall-clock time; cpu-us/step is the process's CPU time (all
threads), which a busy machine inflates less.

Usage: openmm_compare.py [--quick] [--sizes 1000,10000]
"""

import argparse
import math
import sys
import time

try:
    import openmm as mm  # OpenMM >= 7.6 spelling
    from openmm import unit
except ImportError:  # Debian 12's python3-simtk
    import simtk.openmm as mm
    from simtk import unit

KB = 0.008314462618  # kJ/mol/K, as pkg/engine


def integrator(temperature, friction, dt):
    cls = getattr(mm, "LangevinMiddleIntegrator", None) or mm.LangevinIntegrator
    return cls(temperature, friction, dt)


def platform(name, threads):
    p = mm.Platform.getPlatformByName(name)
    props = {}
    if name == "CPU" and threads:
        props["Threads"] = str(threads)
    return p, props


def lj_pair():
    sigma, eps, mass = 0.3350, 41.84, 39.9
    s = mm.System()
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.NoCutoff)
    for _ in range(2):
        s.addParticle(mass)
        nb.addParticle(0.0, sigma, eps)
    s.addForce(nb)
    pos = [(0.0, 0.0, 0.0), (2 ** (1 / 6) * sigma, 0.0, 0.0)]
    return s, pos, None, 300.0


def lattice_fluid(n, density, sigma):
    """Cubic lattice of m^3 >= n sites filled in order, box (n/rho)^(1/3).

    The Go LatticeFluid adds a tiny deterministic perturbation; timing does not
    depend on it, so a simple one is used here.
    """
    box = (n / (density / sigma ** 3)) ** (1 / 3)
    m = math.ceil(round(n ** (1 / 3), 9))
    a = box / m
    pos = []
    for i in range(m):
        for j in range(m):
            for k in range(m):
                if len(pos) == n:
                    return pos, box
                h = (i * 7919 + j * 104729 + k * 1299709) % 1000 / 1000.0 - 0.5
                pos.append(((i + 0.5) * a + 0.02 * a * h, (j + 0.5) * a, (k + 0.5) * a))
    return pos, box


def lj_fluid(n):
    sigma, eps, mass = 0.3405, 0.996, 39.948
    pos, box = lattice_fluid(n, 0.8, sigma)
    s = mm.System()
    s.setDefaultPeriodicBoxVectors(mm.Vec3(box, 0, 0), mm.Vec3(0, box, 0), mm.Vec3(0, 0, box))
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.CutoffPeriodic)
    nb.setCutoffDistance(2.5 * sigma)
    nb.setUseDispersionCorrection(False)
    nb.setUseSwitchingFunction(False)
    for _ in range(n):
        s.addParticle(mass)
        nb.addParticle(0.0, sigma, eps)
    s.addForce(nb)
    return s, pos, box, 120.0


def run(label, system, pos, temperature, plat, threads, steps, warm):
    p, props = platform(plat, threads)
    integ = integrator(temperature, 1.0, 0.002)
    ctx = mm.Context(system, integ, p, props)
    ctx.setPositions(pos)
    ctx.setVelocitiesToTemperature(temperature, 1)
    integ.step(warm)
    ctx.getState(getEnergy=True)  # flush
    t0, c0 = time.perf_counter(), time.process_time()
    integ.step(steps)
    ctx.getState(getEnergy=True)  # the CPU platform is synchronous, but be safe
    sec = time.perf_counter() - t0
    cpu = time.process_time() - c0
    per = sec / steps
    nsday = 0.002e-3 * 86400 / per
    th = threads if plat == "CPU" else 1
    print(f"{label:16s} {plat:9s} {th:7d} {steps:7d} {sec:9.3f} {per * 1e6:11.3f} {nsday:10.1f} {cpu / steps * 1e6:11.3f}")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer steps")
    ap.add_argument("--sizes", default="1000,10000")
    a = ap.parse_args()
    print("# OpenMM", mm.Platform.getOpenMMVersion(),
          "integrator", "LangevinMiddleIntegrator" if hasattr(mm, "LangevinMiddleIntegrator") else "LangevinIntegrator")
    print(f"{'case':16s} {'platform':9s} {'threads':>7s} {'steps':>7s} {'seconds':>9s} {'us/step':>11s} {'ns/day':>10s} {'cpu-us/step':>11s}")
    s, pos, _, T = lj_pair()
    for plat in ("Reference", "CPU"):
        run("lj-pair", s, pos, T, plat, 1, 10000, 1000)
    for n in [int(x) for x in a.sizes.split(",") if x]:
        s, pos, _, T = lj_fluid(n)
        steps = max(100, (2000000 if not a.quick else 200000) // n)
        for th in (1, 2):
            run(f"lj-fluid/n={n}", s, pos, T, "CPU", th, steps, 20)


if __name__ == "__main__":
    main()
