#!/usr/bin/env python3
"""A minimal wepipe engine: the worker protocol of ENGINES.md §2 in Python.

    we-init --system lj-pair --exec "/usr/bin/python3 $PWD/scripts/engines/example_engine.py"
    we-step --steps 1000 HASH

It reads wepipe's messages on stdin and answers on stdout, each message a
4-byte big-endian length and one CBOR item (python3-cbor2). It integrates
the system's Lennard-Jones terms (type "lj" without cutoff, as the built-in
lj-pair has) with BAOAB Langevin dynamics at the system's temperature,
friction and time step, drawing its noise from random.Random(seed), the
walker's seed: the same walker gives the same state whichever worker runs
it. With --noop it returns every state unchanged (to measure the protocol's
overhead). Anything else a real engine needs to do per walker goes where
propagate() is.
"""

import math
import os
import random
import struct
import sys

import cbor2

KB = 0.008314462618  # kJ/mol/K, as OpenMM and wepipe


def read_message(f):
    head = f.read(4)
    if not head:
        return None  # wepipe closed stdin: no more walkers
    (n,) = struct.unpack(">I", head)
    return cbor2.loads(f.read(n))


def write_message(f, msg):
    body = cbor2.dumps(msg, canonical=True)
    f.write(struct.pack(">I", len(body)) + body)
    f.flush()


def floats(a):
    """A typed array (FORMAT.md §3: tag 86, float64 little endian) as a list."""
    data = a["data"].value
    return list(struct.unpack("<%dd" % (len(data) // 8), data))


def typed(xs, shape):
    return {"data": cbor2.CBORTag(86, struct.pack("<%dd" % len(xs), *xs)), "shape": shape}


class LJ:
    """U = Σ 4ε[(σ/r)¹² − (σ/r)⁶] over the pairs of the system's lj terms."""

    def __init__(self, system):
        n = len(floats(system["particles"]["masses"]))
        self.pairs = []
        for t in system.get("potential", []):
            p = t.get("params", {})
            if t["type"] != "lj" or p.get("cutoff", 0):
                raise ValueError("this example knows only lj terms without cutoff, not %s" % t["type"])
            atoms = t.get("atoms", [])
            pairs = zip(atoms[::2], atoms[1::2]) if atoms else \
                ((i, j) for i in range(n) for j in range(i + 1, n))
            self.pairs += [(i, j, p["sigma"], p["epsilon"]) for i, j in pairs]

    def compute(self, x, f):
        for k in range(len(f)):
            f[k] = 0.0
        e = 0.0
        for i, j, s, eps in self.pairs:
            d = [x[3 * j + k] - x[3 * i + k] for k in range(3)]
            r2 = d[0] ** 2 + d[1] ** 2 + d[2] ** 2
            s6 = (s * s / r2) ** 3
            e += 4 * eps * (s6 * s6 - s6)
            g = 24 * eps * (2 * s6 * s6 - s6) / r2  # F_j = g·d
            for k in range(3):
                f[3 * j + k] += g * d[k]
                f[3 * i + k] -= g * d[k]
        return e


def propagate(system, lj, state, steps, seed):
    """BAOAB (the built-in engine's scheme) for steps steps."""
    m = floats(system["particles"]["masses"])
    x, v = floats(state["positions"]), floats(state["velocities"])
    g = system["integrator"]
    dt, gamma, kt = g["timestep"], g["friction"], KB * g["temperature"]
    c1 = math.exp(-gamma * dt)
    c2 = [math.sqrt((1 - c1 * c1) * kt / m[k // 3]) for k in range(len(x))]
    rnd = random.Random(seed)
    f = [0.0] * len(x)
    e = lj.compute(x, f)
    for _ in range(steps):
        for k in range(len(x)):
            v[k] += 0.5 * dt * f[k] / m[k // 3]
            x[k] += 0.5 * dt * v[k]
            v[k] = c1 * v[k] + c2[k] * rnd.gauss(0.0, 1.0)
            x[k] += 0.5 * dt * v[k]
        e = lj.compute(x, f)
        for k in range(len(x)):
            v[k] += 0.5 * dt * f[k] / m[k // 3]
    ekin = 0.5 * sum(m[k // 3] * v[k] * v[k] for k in range(len(v)))
    n = len(m)
    return {"positions": typed(x, [n, 3]), "velocities": typed(v, [n, 3]), "epot": e, "ekin": ekin}


def main():
    noop = sys.argv[1:] == ["--noop"]
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stdout carries messages only
    hello = read_message(stdin)
    if hello["protocol"] != 1:
        write_message(stdout, {"type": "error", "message": "this engine speaks protocol 1"})
        return 1
    system = hello["system"]
    try:
        lj = None if noop else LJ(system)
    except ValueError as e:
        write_message(stdout, {"type": "error", "message": str(e)})
        return 1
    write_message(stdout, {"type": "ready", "protocol": 1, "engine": "example_engine.py"})
    while True:
        req = read_message(stdin)
        if req is None:
            return 0
        st = req["state"]
        if req["frames"]:
            reply = {"type": "error", "message": "this example returns no frames (run we-step without --frames)"}
        elif noop:
            reply = {"type": "result", "state": st}
        else:
            reply = {"type": "result", "state": propagate(system, lj, st, req["steps"], req["seed"])}
        write_message(stdout, reply)


if __name__ == "__main__":
    sys.exit(main())
