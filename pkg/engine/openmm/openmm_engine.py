"""wepipe's OpenMM engine (ENGINES.md §4).

wepipe embeds this file in its binaries and runs it with Debian's Python 3
(python3-simtk, libopenmm-plugins, python3-cbor2); nothing here depends on
where it is installed. Two modes:

    python3 openmm_engine.py           a worker of the worker protocol
                                       (ENGINES.md §2) on stdin and stdout
    python3 openmm_engine.py prepare   one request on stdin, one answer on
                                       stdout: builds a serialized OpenMM
                                       System for we-init (ENGINES.md §4.2)

The worker builds the System from the system record once, with one
LangevinMiddleIntegrator (OpenMM's BAOAB: the scheme of wepipe's built-in
engine) at the record's temperature, friction and time step, and one
Context, kept for every walker. Per walker it sets the integrator's seed
from the request, reinitialises the Context (OpenMM reads the seed only
when it builds its kernels), sets positions, velocities and box, and steps.

Environment: WE_OPENMM_PLATFORM (Reference, CPU, CUDA, OpenCL; default the
fastest available), WE_OPENMM_THREADS (CPU threads per worker, default 1:
we-step runs one worker per core), WE_OPENMM_DEVICES (GPU device indices,
comma separated; worker w takes entry w mod their number; default: device
w, or the default device when there is no device w), WE_OPENMM_PRECISION
(GPU precision, default mixed). WE_WORKER is the worker's index.
"""

import math
import os
import struct
import sys
import traceback

import cbor2
import numpy as np
import openmm as mm
import openmm.unit as unit

PROTOCOL = 1
MAX_MESSAGE = 1 << 30
TYPED_ARRAY_TAG = 86  # RFC 8746: float64, little endian (FORMAT.md §3)


# --- messages (ENGINES.md §2.1) ------------------------------------------

def read_message(f):
    """One message from f, or None at a clean end of input."""
    head = f.read(4)
    if not head:
        return None
    if len(head) < 4:
        raise EOFError("input ends inside a message length")
    (n,) = struct.unpack(">I", head)
    if n == 0 or n > MAX_MESSAGE:
        raise ValueError("message of %d bytes" % n)
    body = f.read(n)
    if len(body) < n:
        raise EOFError("input ends inside a message")
    return cbor2.loads(body)


def write_message(f, msg):
    body = cbor2.dumps(msg, canonical=True)
    f.write(struct.pack(">I", len(body)) + body)
    f.flush()


def array(a, what):
    """A typed array (FORMAT.md §3) as a numpy array."""
    try:
        tag, shape = a["data"], a["shape"]
        if not isinstance(tag, cbor2.CBORTag) or tag.tag != TYPED_ARRAY_TAG:
            raise ValueError("not a tag-86 typed array")
        return np.frombuffer(tag.value, dtype="<f8").reshape(shape)
    except Exception as e:
        raise ValueError("%s: %s" % (what, e))


def typed(x):
    x = np.ascontiguousarray(x, dtype="<f8")
    return {"data": cbor2.CBORTag(TYPED_ARRAY_TAG, x.tobytes()), "shape": list(x.shape)}


def error_message(e):
    return "%s: %s" % (type(e).__name__, e)


# --- the worker ----------------------------------------------------------

def openmm_seed(seed):
    """OpenMM's seeds are positive 32-bit ints (0 means "pick one"): the
    walker's 64-bit seed mapped onto 1 .. 2^31−1."""
    return seed % (2**31 - 1) + 1


def choose_platform(worker):
    """The platform and its properties for worker number worker."""
    name = os.environ.get("WE_OPENMM_PLATFORM", "")
    if name:
        platform = mm.Platform.getPlatformByName(name)
    else:
        platforms = [mm.Platform.getPlatform(i) for i in range(mm.Platform.getNumPlatforms())]
        platform = max(platforms, key=lambda p: p.getSpeed())
    props, explicit_device = {}, False
    name = platform.getName()
    if name == "CPU":
        props["Threads"] = os.environ.get("WE_OPENMM_THREADS", "1")
    elif name in ("CUDA", "OpenCL", "HIP"):
        devices = [d for d in os.environ.get("WE_OPENMM_DEVICES", "").split(",") if d.strip()]
        if devices:
            props["DeviceIndex"] = devices[worker % len(devices)].strip()
            explicit_device = True
        else:
            props["DeviceIndex"] = str(worker)
        props["Precision"] = os.environ.get("WE_OPENMM_PRECISION", "mixed")
    return platform, props, explicit_device


class Worker:
    def __init__(self, record, worker):
        om = record.get("openmm")
        if not om or not om.get("system"):
            raise ValueError("the system record has no openmm.system")
        self.system = mm.XmlSerializer.deserialize(om["system"])
        masses = array(record["particles"]["masses"], "particles.masses")
        self.n = self.system.getNumParticles()
        if self.n != len(masses):
            raise ValueError("the OpenMM System has %d particles, the system record %d" % (self.n, len(masses)))
        g = record["integrator"]
        self.integrator = mm.LangevinMiddleIntegrator(
            float(g["temperature"]), float(g["friction"]), float(g["timestep"]))
        self.box = record.get("box")
        self.platform, props, explicit = choose_platform(worker)
        try:
            self.context = mm.Context(self.system, self.integrator, self.platform, props)
        except Exception:
            if explicit or "DeviceIndex" not in props:
                raise
            # No device of this worker's index: share the default device.
            del props["DeviceIndex"]
            print("openmm engine: worker %d: no device %d, using the default device" % (worker, worker), file=sys.stderr)
            self.context = mm.Context(self.system, self.integrator, self.platform, props)
        self.name = "openmm %s %s %s" % (mm.__version__, self.platform.getName(),
                                         " ".join("%s=%s" % kv for kv in sorted(props.items())))

    def walker(self, req):
        st = req["state"]
        pos = array(st["positions"], "state.positions")
        vel = array(st["velocities"], "state.velocities")
        if pos.shape != (self.n, 3) or vel.shape != (self.n, 3):
            raise ValueError("state has shape %s, the system %d atoms" % (pos.shape, self.n))
        steps, nframes = int(req["steps"]), int(req["frames"])
        self.integrator.setRandomNumberSeed(openmm_seed(req["seed"]))
        # The seed takes effect when the kernels are built: rebuild them
        # (ENGINES.md §4.3 on what this costs).
        self.context.reinitialize(preserveState=False)
        box = st.get("box") or self.box
        if box:
            self.context.setPeriodicBoxVectors(
                mm.Vec3(box[0], 0, 0), mm.Vec3(0, box[1], 0), mm.Vec3(0, 0, box[2]))
        self.context.setPositions(pos)
        self.context.setVelocities(vel)
        frames, done = [], 0
        for k in range(1, nframes + 1):
            target = k * steps // nframes
            self.integrator.step(target - done)
            done = target
            if k < nframes:
                s = self.context.getState(getPositions=True)
                frames.append(s.getPositions(asNumpy=True)._value)
        if steps > done:
            self.integrator.step(steps - done)
        s = self.context.getState(getPositions=True, getVelocities=True, getEnergy=True)
        x = s.getPositions(asNumpy=True)._value
        out = {
            "positions": typed(x),
            "velocities": typed(s.getVelocities(asNumpy=True)._value),
            "epot": float(s.getPotentialEnergy()._value),
            "ekin": float(s.getKineticEnergy()._value),
        }
        if self.system.usesPeriodicBoundaryConditions():
            a, b, c = s.getPeriodicBoxVectors(asNumpy=True)._value
            out["box"] = [float(a[0]), float(b[1]), float(c[2])]
        reply = {"type": "result", "state": out}
        if nframes:
            frames.append(x)
            reply["frames"] = typed(np.stack(frames))
        return reply


def serve(stdin, stdout):
    hello = read_message(stdin)
    if hello is None or hello.get("type") != "hello":
        raise ValueError("the first message is not a hello")
    if hello.get("protocol") != PROTOCOL:
        write_message(stdout, {"type": "error", "message": "protocol %r, this engine speaks %d" % (hello.get("protocol"), PROTOCOL)})
        return 1
    worker_index = int(hello["worker"])
    try:
        w = Worker(hello["system"], worker_index)
    except Exception as e:
        traceback.print_exc()
        write_message(stdout, {"type": "error", "message": error_message(e)})
        return 1
    write_message(stdout, {"type": "ready", "protocol": PROTOCOL, "engine": w.name})
    while True:
        req = read_message(stdin)
        if req is None:
            return 0
        try:
            if req.get("type") != "walker":
                raise ValueError("message type %r where a walker belongs" % req.get("type"))
            reply = w.walker(req)
        except Exception as e:
            traceback.print_exc()
            reply = {"type": "error", "message": error_message(e)}
        write_message(stdout, reply)


# --- prepare: systems for we-init (ENGINES.md §4.2) ----------------------

# Residues kept by "--keep protein": the standard amino acids with their
# protonation variants and the usual caps.
PROTEIN = set("""ALA ARG ASN ASP CYS GLN GLU GLY HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL
HID HIE HIP HSD HSE HSP CYX CYM ASH GLH LYN ACE NME NMA NH2""".split())


def create_options(options):
    """createSystem keyword arguments from text options, in OpenMM's units
    (nm, amu, mol/L)."""
    import openmm.app as app
    import openmm.unit as u
    truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def boolean(v):
        if v.lower() not in truth:
            raise ValueError("want true or false, have %r" % v)
        return truth[v.lower()]

    methods = ("NoCutoff", "CutoffNonPeriodic", "CutoffPeriodic", "Ewald", "PME", "LJPME")
    constraints = {"None": None, "HBonds": app.HBonds, "AllBonds": app.AllBonds, "HAngles": app.HAngles}
    known = {
        "nonbondedMethod": lambda v: getattr(app, v) if v in methods else bad(v, methods),
        "nonbondedCutoff": lambda v: float(v) * u.nanometer,
        "switchDistance": lambda v: float(v) * u.nanometer,
        "constraints": lambda v: constraints[v] if v in constraints else bad(v, constraints),
        "rigidWater": boolean,
        "removeCMMotion": boolean,
        "useDispersionCorrection": boolean,
        "hydrogenMass": lambda v: float(v) * u.amu,
        "ewaldErrorTolerance": float,
        "implicitSolventSaltConc": lambda v: float(v) * u.moles / u.liter,
        "implicitSolventKappa": lambda v: float(v) / u.nanometer,
        "soluteDielectric": float,
        "solventDielectric": float,
    }

    def bad(v, valid):
        raise ValueError("%r is not one of %s" % (v, ", ".join(valid)))

    out = {"constraints": app.HBonds}
    for k, v in options.items():
        if k not in known:
            raise ValueError("createSystem option %r is not known (known: %s)" % (k, ", ".join(sorted(known))))
        try:
            out[k] = known[k](v)
        except ValueError as e:
            raise ValueError("option %s=%s: %s" % (k, v, e))
    return out


def prepare_pdb(req):
    import openmm.app as app
    path = req["pdb"]
    if path.lower().endswith((".cif", ".pdbx")):
        f = app.PDBxFile(path)
    else:
        f = app.PDBFile(path)
    model = app.Modeller(f.topology, f.positions)
    keep = req.get("keep", "all")
    if keep == "protein":
        model.delete([r for r in model.topology.residues() if r.name not in PROTEIN])
    elif keep == "nowater":
        model.deleteWater()
    elif keep != "all":
        raise ValueError("keep %r: want all, protein or nowater" % keep)
    top, pos = model.topology, model.positions
    if top.getNumAtoms() == 0:
        raise ValueError("no atoms left (keep %s)" % keep)
    if req.get("xml"):
        with open(req["xml"]) as x:
            system = mm.XmlSerializer.deserialize(x.read())
        if system.getNumParticles() != top.getNumAtoms():
            raise ValueError("the System in %s has %d particles, the PDB (keep %s) %d atoms" % (
                req["xml"], system.getNumParticles(), keep, top.getNumAtoms()))
    else:
        ff = app.ForceField(*req["forcefield"])
        system = ff.createSystem(top, **create_options(req.get("options", {})))
    return system, top, pos


def prepare_terms(req):
    """A System for wepipe's potential terms (package potential), so that a
    built-in system runs through OpenMM for cross-checks."""
    masses = req["masses"]
    n = len(masses)
    system = mm.System()
    for m in masses:
        system.addParticle(m)
    box = req.get("box")
    if box:
        system.setDefaultPeriodicBoxVectors(mm.Vec3(box[0], 0, 0), mm.Vec3(0, box[1], 0), mm.Vec3(0, 0, box[2]))
    lj = "4*epsilon*((sigma/r)^12-(sigma/r)^6)"
    for i, t in enumerate(req["terms"]):
        typ, p, atoms = t["type"], t.get("params", {}), t.get("atoms", [])
        group = atoms or list(range(n))
        if typ == "lj":
            pairs = [(atoms[k], atoms[k + 1]) for k in range(0, len(atoms), 2)] if atoms else \
                [(a, b) for a in range(n) for b in range(a + 1, n)]
            rc, shift = p.get("cutoff", 0.0), p.get("shift", 0.0)
            expr = lj
            if rc > 0:
                es = 4 * p["epsilon"] * ((p["sigma"] / rc) ** 12 - (p["sigma"] / rc) ** 6) if shift else 0.0
                expr = "step(%r-r)*(%s-%r)" % (rc, lj, es)
            f = mm.CustomBondForce(expr)
            f.addPerBondParameter("sigma")
            f.addPerBondParameter("epsilon")
            for a, b in pairs:
                f.addBond(a, b, [p["sigma"], p["epsilon"]])
        elif typ == "lj-cut":
            if not box:
                raise ValueError("potential[%d] (lj-cut) needs a box" % i)
            rc = p.get("cutoff", 0.0) or 2.5 * p["sigma"]
            es = 4 * p["epsilon"] * ((p["sigma"] / rc) ** 12 - (p["sigma"] / rc) ** 6) if p.get("shift", 0.0) else 0.0
            f = mm.CustomNonbondedForce("%s-%r; sigma=%r; epsilon=%r" % (lj, es, p["sigma"], p["epsilon"]))
            f.setNonbondedMethod(mm.CustomNonbondedForce.CutoffPeriodic)
            f.setCutoffDistance(rc)
            for _ in range(n):
                f.addParticle([])
            if atoms:
                f.addInteractionGroup(atoms, atoms)
        elif typ == "double-well":
            f = mm.CustomExternalForce("%r*((x/%r)^2-1)^2+0.5*%r*(y^2+z^2)" % (p["h"], p["a"], p["k"]))
            for a in group:
                f.addParticle(a, [])
        elif typ == "muller-brown":
            # V(x, y) = Σ A exp(a(x−x0)² + b(x−x0)(y−y0) + c(y−y0)²), as package potential.
            A, a, b, c = (-200, -100, -170, 15), (-1, -1, -6.5, 0.7), (0, 0, 11, 0.6), (-10, -10, -6.5, 0.7)
            x0, y0 = (1, 0, -0.5, -1), (0, 0.5, 1.5, 1)
            v = "+".join("%r*exp(%r*(x-%r)^2+%r*(x-%r)*(y-%r)+%r*(y-%r)^2)" % (
                A[k], a[k], x0[k], b[k], x0[k], y0[k], c[k], y0[k]) for k in range(4))
            f = mm.CustomExternalForce("%r*(%s)+0.5*%r*z^2" % (p["scale"], v, p["kz"]))
            for q in group:
                f.addParticle(q, [])
        elif typ == "harmonic-bond":
            f = mm.HarmonicBondForce()
            for k in range(0, len(atoms), 2):
                f.addBond(atoms[k], atoms[k + 1], p["r0"], p["k"])
        elif typ == "harmonic-position":
            f = mm.CustomExternalForce("0.5*%r*((x-%r)^2+(y-%r)^2+(z-%r)^2)" % (p["k"], p["x0"], p["y0"], p["z0"]))
            for q in group:
                f.addParticle(q, [])
        else:
            raise ValueError("potential[%d]: the openmm engine has no translation of type %r" % (i, typ))
        system.addForce(f)
    return system


def energy(system, positions):
    """The potential energy (kJ/mol) at positions, on the CPU platform
    where there is one."""
    names = [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())]
    platform = mm.Platform.getPlatformByName("CPU" if "CPU" in names else "Reference")
    props = {"Threads": "1"} if platform.getName() == "CPU" else {}
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), platform, props)
    ctx.setPositions(positions)
    return float(ctx.getState(getEnergy=True).getPotentialEnergy()._value)


def prepare(req):
    out = {"type": "prepared", "version": mm.__version__}
    if "terms" in req:
        system = prepare_terms(req)
        out["system"] = mm.XmlSerializer.serialize(system)
        return out
    system, top, pos = prepare_pdb(req)
    n = top.getNumAtoms()
    masses = [float(system.getParticleMass(i)._value) for i in range(n)]
    atoms = list(top.atoms())
    for i, m in enumerate(masses):
        if not m > 0:
            a = atoms[i]
            raise ValueError("atom %d (%s of %s %s) has no mass (a virtual site?); wepipe needs every particle to have one" % (
                i, a.name, a.residue.name, a.residue.id))
    residues = list(top.residues())
    index = {r.index: k for k, r in enumerate(residues)}

    def resid(r, k):
        try:
            return int(r.id)
        except ValueError:
            return k + 1

    out.update({
        "system": mm.XmlSerializer.serialize(system),
        "names": [a.name for a in atoms],
        "elements": [a.element.symbol if a.element is not None else "" for a in atoms],
        "masses": masses,
        "residues": [{"name": r.name, "id": resid(r, k), "chain": (r.chain.id or "").strip()} for k, r in enumerate(residues)],
        "residue": [index[a.residue.index] for a in atoms],
        "bonds": [i for b in top.bonds() for i in (b[0].index, b[1].index)],
        "positions": typed(np.array([[v.x, v.y, v.z] for v in pos.value_in_unit(unit.nanometer)])),
        "epot": energy(system, pos),
    })
    if system.usesPeriodicBoundaryConditions():
        a, b, c = system.getDefaultPeriodicBoxVectors()
        a, b, c = a._value, b._value, c._value
        if any(abs(v) > 1e-12 for v in (a[1], a[2], b[0], b[2], c[0], c[1])):
            raise ValueError("the periodic box is not rectangular; wepipe's box is three edges")
        out["box"] = [a[0], b[1], c[2]]
    return out


def main(argv):
    stdin = sys.stdin.buffer
    # Messages alone go to stdout: whatever Python or OpenMM prints goes to
    # stderr (file descriptor 1 becomes a copy of 2).
    stdout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if argv[1:] == ["prepare"]:
        try:
            req = read_message(stdin)
            write_message(stdout, prepare(req))
            return 0
        except Exception as e:
            traceback.print_exc()
            write_message(stdout, {"type": "error", "message": error_message(e)})
            return 1
    if argv[1:]:
        print("usage: openmm_engine.py [prepare]", file=sys.stderr)
        return 2
    return serve(stdin, stdout)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
