#!/usr/bin/python3
"""OpenMM's own time for villin headpiece in implicit solvent: the system
`we-init --pdb test.pdb --keep protein --forcefield amber99sbildn.xml,amber99_obc.xml`
builds (582 atoms, NoCutoff, HBonds), LangevinMiddleIntegrator at 300 K,
1/ps, 2 fs, on the CPU platform, one Context, STEPS steps in one call after
10 steps of warm-up. Prints: threads steps wall-seconds cpu-seconds
wall-ms/step (CPU time: this process's, all threads; a busy machine
inflates it less than wall time).

Usage: villin_openmm.py THREADS STEPS
"""

import sys
import time

import openmm as mm
import openmm.app as app

PROTEIN = set("""ALA ARG ASN ASP CYS GLN GLU GLY HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL
HID HIE HIP HSD HSE HSP CYX CYM ASH GLH LYN ACE NME NMA NH2""".split())

threads, steps = sys.argv[1], int(sys.argv[2])
pdb = app.PDBFile("/usr/lib/python3/dist-packages/openmm/app/data/test.pdb")
m = app.Modeller(pdb.topology, pdb.positions)
m.delete([r for r in m.topology.residues() if r.name not in PROTEIN])
system = app.ForceField("amber99sbildn.xml", "amber99_obc.xml").createSystem(m.topology, constraints=app.HBonds)
integrator = mm.LangevinMiddleIntegrator(300, 1, 0.002)
integrator.setRandomNumberSeed(1)
ctx = mm.Context(system, integrator, mm.Platform.getPlatformByName("CPU"), {"Threads": threads})
ctx.setPositions(m.positions)
integrator.step(10)
t, c = time.perf_counter(), time.process_time()
integrator.step(steps)
ctx.getState(getPositions=True)
dt, dc = time.perf_counter() - t, time.process_time() - c
print("%s %d %.3f %.3f %.3f" % (threads, steps, dt, dc, 1000 * dt / steps))
