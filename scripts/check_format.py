#!/usr/bin/python3
"""Check wepipe's FORMAT.md from a second implementation.

Usage:
    python3 scripts/check_format.py --vectors pkg/record/testdata/vectors.json [--store DIR] [--bundle FILE]
    python3 scripts/check_format.py --index pkg/store/testdata/snapindex-v2.bin

--vectors FILE  every valid vector must decode (cbor2), re-encode to the same
                bytes with this script's own deterministic encoder (FORMAT.md
                "Deterministic CBOR"), hash to its sha256 and satisfy the
                record schema and invariants; every invalid vector must be
                refused.
--store DIR     every object file under DIR/objects/<kind>/<hash> must be one
                zstd frame whose content hashes to the file name and is a
                valid record of that kind; every reference must exist with the
                right kind (the parents of a snapshot marked in DIR/shallow/
                may be absent); the tool semantics of FORMAT.md (cycles, parent
                indices, decisions, warps) must hold between snapshots. A
                snapshot index (DIR/index/snapshots, FORMAT.md §1.5), if
                present, must decode, and each of its entries must say what
                its snapshot says; entries it lacks or that name absent
                snapshots (a stale cache) are a note.
--index FILE    a snapshot index file alone (the test vector of FORMAT.md
                §1.5): layout, offsets, order and checksum; its entries are
                printed.
--bundle FILE   a bundle (FORMAT.md "Bundles"): the magic, the frames and their
                limits, the header, every object as in --store, references to
                earlier objects only (but a shallow snapshot's parents), the
                count and the checksum of the end frame.

Needs only Debian's python3-cbor2 (5.4 or newer) and python3-zstandard.
cbor2 is used for decoding only: its canonical=True encoder sorts map keys
length-first (RFC 7049) rather than bytewise (RFC 8949 §4.2.1; the same for
text keys, not for mixed key types) and its C extension writes 65504.0 as a
binary32, so this script carries its own encoder. The divergence between
cbor2's canonical output and the vectors is reported as a note, never as a
failure.

Exit status: 0 when every check passes, 1 otherwise, 2 on usage errors.
"""

import argparse
import datetime
import fractions
import hashlib
import io
import json
import math
import os
import re
import struct
import sys
import zlib

try:
    import cbor2
except ImportError:  # pragma: no cover
    sys.exit("check_format: python3-cbor2 is required (apt-get install python3-cbor2)")

VERSION = 1
KINDS = ("system", "snapshot", "state", "segment", "run")
LATER_KINDS = ("run",)  # kinds whose directory a store gains with their first object
MARKER = b"wepipe store\nlayout 1\n"
MAX_OBJECT_SIZE = 1 << 30
MAX_NESTED_LEVELS = 24
MAX_ARRAY_ELEMENTS = 1 << 26
MAX_MAP_PAIRS = 1 << 20
MAX_SHARD_COUNT = (1 << 31) - 1
WEIGHT_TOLERANCE = 1e-8
TAG_FLOAT64_LE = 86
INT64 = (-(1 << 63), (1 << 63) - 1)
UINT64 = (0, (1 << 64) - 1)


class Invalid(Exception):
    """A rule of FORMAT.md is broken; the message names the field."""


# --- deterministic encoding (FORMAT.md "Deterministic CBOR") ---------------


def _head(major, arg):
    m = major << 5
    if arg < 24:
        return bytes([m | arg])
    if arg <= 0xFF:
        return bytes([m | 24, arg])
    if arg <= 0xFFFF:
        return bytes([m | 25]) + struct.pack(">H", arg)
    if arg <= 0xFFFFFFFF:
        return bytes([m | 26]) + struct.pack(">I", arg)
    return bytes([m | 27]) + struct.pack(">Q", arg)


def _float(x):
    """The shortest of binary16, binary32, binary64 that holds x exactly."""
    if math.isnan(x):
        return b"\xf9\x7e\x00"
    if math.isinf(x):
        return b"\xf9\x7c\x00" if x > 0 else b"\xf9\xfc\x00"
    for fmt, ib in ((">e", 0xF9), (">f", 0xFA)):
        try:
            packed = struct.pack(fmt, x)
        except (OverflowError, struct.error):
            continue
        if struct.unpack(fmt, packed)[0] == x:
            return bytes([ib]) + packed
    return b"\xfb" + struct.pack(">d", x)


def encode(v, depth=0):
    """Deterministic CBOR of a value as cbor2 decodes it. depth counts the
    arrays and maps around v (tags do not count, as in fxamacker/cbor)."""
    if isinstance(v, (list, tuple, dict)) and depth >= MAX_NESTED_LEVELS:
        raise Invalid("arrays and maps nested deeper than %d levels" % MAX_NESTED_LEVELS)
    if v is False:
        return b"\xf4"
    if v is True:
        return b"\xf5"
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        if v >= 0:
            if v > UINT64[1]:
                raise Invalid("integer %d needs a bignum" % v)
            return _head(0, v)
        if -1 - v > UINT64[1]:
            raise Invalid("integer %d needs a bignum" % v)
        return _head(1, -1 - v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return _head(3, len(b)) + b
    if isinstance(v, (list, tuple)):
        return _head(4, len(v)) + b"".join(encode(x, depth + 1) for x in v)
    if isinstance(v, dict):
        pairs = sorted((encode(k, depth + 1), encode(x, depth + 1)) for k, x in v.items())
        for a, b in zip(pairs, pairs[1:]):
            if a[0] == b[0]:
                raise Invalid("duplicate map key")
        return _head(5, len(v)) + b"".join(k + x for k, x in pairs)
    if isinstance(v, cbor2.CBORTag):
        return _head(6, v.tag) + encode(v.value, depth)
    raise Invalid("%s is not a value of the format" % type(v).__name__)


def _keep_tag(decoder, tag):
    return tag


def decode(data):
    """Decode one data item strictly: it must be the deterministic encoding."""
    try:
        v = cbor2.loads(data, tag_hook=_keep_tag)
    except Exception as e:  # cbor2 raises several error types across versions
        raise Invalid("not CBOR: %s" % e)
    again = encode(v)
    if again != data:
        raise Invalid("not the deterministic encoding of its value (%d bytes, re-encoded %d bytes, first difference at byte %d)"
                      % (len(data), len(again), next((i for i, (a, b) in enumerate(zip(data, again)) if a != b), min(len(data), len(again)))))
    return v


def cbor2_divergence(data, value):
    """Whether cbor2's own canonical encoder writes other bytes (a note)."""
    try:
        return cbor2.dumps(value, canonical=True) != data
    except Exception:
        return True


# --- schema (FORMAT.md "Records") -------------------------------------------
#
# A field spec is (type, required). Optional fields are omitted when empty
# or zero; "pointer" optional fields (struct, hash, array) may be present
# with any value. Types: "uint", "int", "uint8", "float", "text", "hash",
# "bytes", "array", ("list", T), ("map", T), or a nested schema dict.

TERM = {"type": ("text", True), "params": (("map", "float"), False), "atoms": (("list", "int"), False)}
OBSERVABLE = {
    "name": ("text", True), "type": ("text", True),
    "atoms": (("list", "int"), False), "atoms2": (("list", "int"), False),
    "axis": ("int", False), "ref": ("array", "pointer"),
}
SCHEMAS = {
    "system": {
        "kind": ("text", True), "v": ("uint", True),
        "name": ("text", True), "engine": ("text", True),
        "particles": ({
            "masses": ("array", True), "names": (("list", "text"), True),
            "elements": (("list", "text"), False), "bonds": (("list", "int"), False),
            "residues": (("list", {"name": ("text", True), "id": ("int", True), "chain": ("text", False)}), False),
            "residue": (("list", "int"), False),
        }, True),
        "potential": (("list", TERM), False),
        "integrator": ({"name": ("text", True), "temperature": ("float", True),
                        "friction": ("float", True), "timestep": ("float", True)}, True),
        "box": (("list", "float"), False),
        "observables": (("list", OBSERVABLE), True),
        "initial": (("list", {"state": ("hash", True), "weight": ("float", True)}), True),
        "params": (("map", "float"), False),
        "exec": ({"command": (("list", "text"), True), "mode": ("text", False),
                  "timeout": ("float", False)}, "pointer"),
        "openmm": ({"system": ("text", True), "version": ("text", False),
                    "forcefield": (("list", "text"), False), "options": (("map", "text"), False)}, "pointer"),
    },
    "state": {
        "kind": ("text", True), "v": ("uint", True),
        "positions": ("array", True), "velocities": ("array", True),
        "box": (("list", "float"), False),
        "time": ("float", True), "step": ("uint", True),
        "epot": ("float", True), "ekin": ("float", True),
        "obs": (("map", "float"), False),
    },
    "snapshot": {
        "kind": ("text", True), "v": ("uint", True),
        "cycle": ("uint", True), "system": ("hash", True),
        "walkers": (("list", {
            "state": ("hash", True), "weight": ("float", True), "parent": ("int", True),
            "obs": (("map", "float"), False), "region": (("list", "int"), False),
            "segment": ("hash", "pointer"),
        }), True),
        "parents": (("list", "hash"), False),
        "op": ({"tool": ("text", True), "version": ("text", True), "params": (("map", "text"), False)}, True),
        "decisions": (("list", {"decision": ("uint8", True), "targets": (("list", "int"), True)}), False),
        "warps": (("list", {"cycle": ("uint", True), "walker": ("int", True), "weight": ("float", True),
                            "target": ("int", True), "cond": ("text", True)}), False),
        "summary": (("map", "float"), False),
        "resampler": ({"name": ("text", True), "state": ("bytes", False)}, "pointer"),
        "shard": ({"index": ("int", True), "count": ("int", True), "total": ("int", True)}, "pointer"),
    },
    "segment": {
        "kind": ("text", True), "v": ("uint", True),
        "positions": ("array", True), "steps": (("list", "uint"), True),
        "times": (("list", "float"), True), "obs": (("map", ("list", "float")), False),
    },
    "run": {
        "kind": ("text", True), "v": ("uint", True),
        "start": ("hash", True), "end": ("hash", True), "cycles": ("uint", True),
        "config": ({
            "step": (("map", "text"), True), "resample": (("map", "text"), True),
            "engine": ("text", True), "shards": ("uint", True), "version": ("text", True),
        }, True),
        "max_cycles": ("uint", False), "budget": ("float", False),
        "status": ("text", True), "began": ("text", True), "ended": ("text", True),
        "wall": ("float", True), "build": ("text", True),
    },
}


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _empty(x):
    return x == 0 or x == "" or x == b"" or (isinstance(x, (list, tuple, dict)) and len(x) == 0)


def typed_array(v, path):
    """Check a typed array and return (shape, values)."""
    if not isinstance(v, dict) or set(v) != {"data", "shape"}:
        raise Invalid("%s: a typed array is a map of exactly data and shape" % path)
    tag, shape = v["data"], v["shape"]
    if not isinstance(tag, cbor2.CBORTag) or tag.tag != TAG_FLOAT64_LE:
        raise Invalid("%s.data: not tag 86 (float64 little endian)" % path)
    raw = tag.value
    if not isinstance(raw, (bytes, bytearray)) or len(raw) % 8:
        raise Invalid("%s.data: not a byte string of 8-byte floats" % path)
    if not isinstance(shape, (list, tuple)) or not 1 <= len(shape) <= 8:
        raise Invalid("%s.shape: not an array of 1 to 8 dimensions" % path)
    n = 1
    for d in shape:
        if not _is_int(d) or not 0 <= d <= 0x7FFFFFFF:
            raise Invalid("%s.shape: %r is not a dimension" % (path, d))
        n *= d
    if n > 0x7FFFFFFF:
        raise Invalid("%s.shape %s is too large" % (path, list(shape)))
    if n * 8 != len(raw):
        raise Invalid("%s: shape %s holds %d values, data has %d" % (path, list(shape), n, len(raw) // 8))
    return list(shape), list(struct.unpack("<%dd" % n, raw))


def check_type(t, v, path):
    if isinstance(t, dict):
        check_struct(t, v, path)
    elif isinstance(t, tuple) and t[0] == "list":
        if not isinstance(v, (list, tuple)):
            raise Invalid("%s: not an array" % path)
        if len(v) > MAX_ARRAY_ELEMENTS:
            raise Invalid("%s: more than %d elements" % (path, MAX_ARRAY_ELEMENTS))
        for i, x in enumerate(v):
            check_type(t[1], x, "%s[%d]" % (path, i))
    elif isinstance(t, tuple) and t[0] == "map":
        if not isinstance(v, dict):
            raise Invalid("%s: not a map" % path)
        if len(v) > MAX_MAP_PAIRS:
            raise Invalid("%s: more than %d pairs" % (path, MAX_MAP_PAIRS))
        for k, x in v.items():
            if not isinstance(k, str):
                raise Invalid("%s: key %r is not text" % (path, k))
            check_type(t[1], x, "%s.%s" % (path, k))
    elif t == "uint":
        if not _is_int(v) or not UINT64[0] <= v <= UINT64[1]:
            raise Invalid("%s: %r is not an unsigned integer" % (path, v))
    elif t == "uint8":
        if not _is_int(v) or not 0 <= v <= 255:
            raise Invalid("%s: %r is not an integer 0..255" % (path, v))
    elif t == "int":
        if not _is_int(v) or not INT64[0] <= v <= INT64[1]:
            raise Invalid("%s: %r is not a 64-bit integer" % (path, v))
    elif t == "float":
        if not isinstance(v, float):
            raise Invalid("%s: %r is not a float" % (path, v))
    elif t == "text":
        if not isinstance(v, str):
            raise Invalid("%s: %r is not text" % (path, v))
    elif t == "bytes":
        if not isinstance(v, (bytes, bytearray)):
            raise Invalid("%s: not a byte string" % path)
    elif t == "hash":
        if not isinstance(v, (bytes, bytearray)) or len(v) != 32:
            raise Invalid("%s: not a 32-byte hash" % path)
    elif t == "array":
        typed_array(v, path)
    else:  # pragma: no cover
        raise AssertionError(t)


def check_struct(schema, v, path):
    if not isinstance(v, dict):
        raise Invalid("%s: not a map" % path)
    for k in v:
        if not isinstance(k, str):
            raise Invalid("%s: key %r is not text" % (path, k))
        if k not in schema:
            raise Invalid("%s: unknown field %r" % (path or "record", k))
    for k, (t, req) in schema.items():
        p = "%s.%s" % (path, k) if path else k
        if k not in v:
            if req is True:
                raise Invalid("%s: required field missing" % p)
            continue
        if req is False and _empty(v[k]):
            raise Invalid("%s: an optional field holding an empty or zero value must be omitted" % p)
        check_type(t, v[k], p)


# --- invariants (FORMAT.md "Invariants") ------------------------------------


def finite(x):
    return not (math.isnan(x) or math.isinf(x))


def positive(x):
    return x > 0 and not math.isinf(x)


def validate_system(r):
    masses_shape, masses = typed_array(r["particles"]["masses"], "particles.masses")
    if len(masses_shape) != 1:
        raise Invalid("particles.masses: want shape [n]")
    n = len(masses)
    if n == 0:
        raise Invalid("particles: none")
    if r["name"] == "" or r["engine"] == "":
        raise Invalid("name and engine must not be empty")
    for i, m in enumerate(masses):
        if not positive(m):
            raise Invalid("particles.masses[%d]: %r is not a positive mass" % (i, m))
    p = r["particles"]
    if len(p["names"]) != n:
        raise Invalid("particles.names: %d names for %d particles" % (len(p["names"]), n))
    if "elements" in p and len(p["elements"]) != n:
        raise Invalid("particles.elements: %d elements for %d particles" % (len(p["elements"]), n))
    bonds = p.get("bonds", [])
    if len(bonds) % 2:
        raise Invalid("particles.bonds: odd number of indices")
    if any(not 0 <= a < n for a in bonds):
        raise Invalid("particles.bonds: atom out of range")
    if "residue" in p or "residues" in p:
        res = p.get("residue", [])
        if len(res) != n or any(not 0 <= k < len(p.get("residues", [])) for k in res):
            raise Invalid("particles.residue: want one residue index per particle, each in range")
    for i, t in enumerate(r.get("potential", [])):
        if t["type"] == "":
            raise Invalid("potential[%d].type: empty" % i)
        if any(not 0 <= a < n for a in t.get("atoms", [])):
            raise Invalid("potential[%d].atoms: atom out of range" % i)
        if any(math.isnan(x) for x in t.get("params", {}).values()):
            raise Invalid("potential[%d].params: NaN" % i)
    g = r["integrator"]
    if not finite(g["temperature"]) or g["temperature"] < 0:
        raise Invalid("integrator.temperature: %r" % g["temperature"])
    if not finite(g["friction"]) or g["friction"] < 0:
        raise Invalid("integrator.friction: %r" % g["friction"])
    if not finite(g["timestep"]) or g["timestep"] <= 0:
        raise Invalid("integrator.timestep: %r" % g["timestep"])
    if "box" in r and (len(r["box"]) != 3 or not all(positive(x) for x in r["box"])):
        raise Invalid("box: want 3 positive edges")
    seen = set()
    for i, o in enumerate(r["observables"]):
        if o["name"] == "" or o["name"] in seen:
            raise Invalid("observables[%d].name: %r is empty or repeated" % (i, o["name"]))
        seen.add(o["name"])
        if any(not 0 <= a < n for a in o.get("atoms", []) + o.get("atoms2", [])):
            raise Invalid("observables[%d]: atom out of range" % i)
    if not r["initial"]:
        raise Invalid("initial: no initial states")
    for i, s in enumerate(r["initial"]):
        if not positive(s["weight"]):
            raise Invalid("initial[%d].weight: %r is not positive" % (i, s["weight"]))
    if r["engine"] == "exec" and ("exec" not in r or not r["exec"]["command"]):
        raise Invalid("exec.command: the exec engine needs a command")
    if "exec" in r:
        e = r["exec"]
        if e.get("mode", "segment") != "segment":
            raise Invalid("exec.mode: %r, want 'segment' or none" % e["mode"])
        if not finite(e.get("timeout", 0.0)) or e.get("timeout", 0.0) < 0:
            raise Invalid("exec.timeout: %r" % e["timeout"])
    if r["engine"] == "openmm" and ("openmm" not in r or not r["openmm"]["system"]):
        raise Invalid("openmm.system: the openmm engine needs a serialized OpenMM System")


def validate_state(r):
    shapes = {}
    for name in ("positions", "velocities"):
        shape, xs = typed_array(r[name], name)
        if len(shape) != 2 or shape[1] != 3:
            raise Invalid("%s: shape %s, want [n, 3]" % (name, shape))
        if not all(finite(x) for x in xs):
            raise Invalid("%s: non-finite value" % name)
        shapes[name] = shape
    if shapes["positions"][0] != shapes["velocities"][0]:
        raise Invalid("velocities: atom count differs from positions")
    if "box" in r and len(r["box"]) != 3:
        raise Invalid("box: want 3 edges")
    if not all(finite(r[k]) for k in ("time", "epot", "ekin")):
        raise Invalid("time or energies: non-finite")
    if not all(finite(x) for x in r.get("obs", {}).values()):
        raise Invalid("obs: non-finite value")


def shard_range(i, n, total):
    return i * total // n, (i + 1) * total // n


def validate_snapshot(r):
    if r["op"]["tool"] == "":
        raise Invalid("op.tool: empty")
    walkers, shard = r["walkers"], r.get("shard")
    if not walkers and shard is None:
        raise Invalid("walkers: none")
    total = 0.0
    for i, w in enumerate(walkers):
        if not positive(w["weight"]):
            raise Invalid("walkers[%d].weight: %r is not positive" % (i, w["weight"]))
        if w["parent"] < -1:
            raise Invalid("walkers[%d].parent: %d" % (i, w["parent"]))
        if w["parent"] >= 0 and not r.get("parents"):
            raise Invalid("walkers[%d].parent: %d but the snapshot has no parents" % (i, w["parent"]))
        if not all(finite(x) for x in w.get("obs", {}).values()):
            raise Invalid("walkers[%d].obs: non-finite value" % i)
        total += w["weight"]  # in walker order, as the Go reader sums
    if shard is None and abs(total - 1) > WEIGHT_TOLERANCE:
        raise Invalid("walkers: weights sum to %.17g, want 1 (±%g)" % (total, WEIGHT_TOLERANCE))
    if shard is not None:
        i, n, t = shard["index"], shard["count"], shard["total"]
        if n < 1 or i < 0 or i >= n or t < 0 or n > MAX_SHARD_COUNT or t > MAX_SHARD_COUNT:
            raise Invalid("shard: %d/%d of %d is not a shard" % (i, n, t))
        lo, hi = shard_range(i, n, t)
        if len(walkers) != hi - lo:
            raise Invalid("shard %d/%d: %d walkers, want %d" % (i, n, len(walkers), hi - lo))
    for i, d in enumerate(r.get("decisions", [])):
        if not 1 <= d["decision"] <= 4:
            raise Invalid("decisions[%d]: unknown decision %d" % (i, d["decision"]))
        if any(not 0 <= t < len(walkers) for t in d["targets"]):
            raise Invalid("decisions[%d]: target slot out of range" % i)
    for i, w in enumerate(r.get("warps", [])):
        if not positive(w["weight"]) or w["walker"] < 0 or w["target"] < 0:
            raise Invalid("warps[%d]: invalid record" % i)


def validate_segment(r):
    shape, _ = typed_array(r["positions"], "positions")
    if len(shape) != 3 or shape[2] != 3:
        raise Invalid("positions: shape %s, want [frames, n, 3]" % shape)
    k = shape[0]
    if len(r["steps"]) != k or len(r["times"]) != k:
        raise Invalid("steps, times: %d and %d entries for %d frames" % (len(r["steps"]), len(r["times"]), k))
    for name, xs in r.get("obs", {}).items():
        if len(xs) != k:
            raise Invalid("obs.%s: %d values for %d frames" % (name, len(xs), k))


RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def rfc3339(t):
    """Seconds since the epoch, exactly (a Fraction), or None."""
    m = RFC3339.match(t)
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    try:
        tz = datetime.timezone.utc if m.group(8) == "Z" else datetime.timezone(
            datetime.timedelta(hours=int(m.group(8)[:3]), minutes=int(m.group(8)[0] + m.group(8)[4:])))
        base = datetime.datetime(y, mo, d, h, mi, sec, tzinfo=tz)
    except ValueError:
        return None
    return fractions.Fraction(int(base.timestamp())) + fractions.Fraction(m.group(7) or "0")


def validate_run(r):
    if r["status"] not in ("done", "interrupted", "failed"):
        raise Invalid("status: %r, want done, interrupted or failed" % r["status"])
    began, ended = rfc3339(r["began"]), rfc3339(r["ended"])
    if began is None or ended is None:
        raise Invalid("began, ended: %r, %r are not RFC 3339 times" % (r["began"], r["ended"]))
    if ended < began:
        raise Invalid("began, ended: not in order")
    if not finite(r["wall"]) or r["wall"] < 0:
        raise Invalid("wall: %r is not a duration" % r["wall"])
    if r["config"]["shards"] < 1:
        raise Invalid("config.shards: want at least 1")
    if not finite(r.get("budget", 0)) or r.get("budget", 0) < 0:
        raise Invalid("budget: not a duration")


VALIDATE = {"system": validate_system, "state": validate_state,
            "snapshot": validate_snapshot, "segment": validate_segment, "run": validate_run}


def check_record(v):
    """Check a decoded value as a record; return its kind."""
    if not isinstance(v, dict):
        raise Invalid("a record is a map")
    kind, ver = v.get("kind"), v.get("v")
    if kind not in KINDS:
        raise Invalid("unknown object kind %r" % (kind,))
    if not _is_int(ver) or ver < 1:
        raise Invalid("%s record: version %r is not a format version" % (kind, ver))
    if ver > VERSION:
        raise Invalid("%s record version %d: this checker reads versions 1 to %d" % (kind, ver, VERSION))
    check_struct(SCHEMAS[kind], v, "")
    VALIDATE[kind](v)
    return kind


def refs(kind, r):
    """(kind, hash, field) of every reference of a record."""
    out = []
    if kind == "system":
        out += [("state", s["state"], "initial[%d]" % i) for i, s in enumerate(r["initial"])]
    elif kind == "snapshot":
        out.append(("system", r["system"], "system"))
        out += [("snapshot", p, "parents[%d]" % i) for i, p in enumerate(r.get("parents", []))]
        for i, w in enumerate(r["walkers"]):
            out.append(("state", w["state"], "walkers[%d].state" % i))
            if "segment" in w:
                out.append(("segment", w["segment"], "walkers[%d].segment" % i))
    elif kind == "run":
        out.append(("snapshot", r["start"], "start"))
        out.append(("snapshot", r["end"], "end"))
    return out


# --- vectors ----------------------------------------------------------------


class Report:
    def __init__(self):
        self.failures = []
        self.notes = []

    def fail(self, where, what):
        self.failures.append("%s: %s" % (where, what))

    def note(self, what):
        self.notes.append(what)


def check_vectors(path, rep):
    with open(path, encoding="utf-8") as f:
        vs = json.load(f)
    if vs.get("format_version") != VERSION:
        rep.fail(path, "format_version %r, this checker implements %d" % (vs.get("format_version"), VERSION))
    valid = invalid = 0
    diverge = []
    for x in vs["valid"]:
        where = "vector %s" % x["name"]
        data = bytes.fromhex(x["hex"])
        if hashlib.sha256(data).hexdigest() != x["sha256"]:
            rep.fail(where, "sha256 %s, file says %s" % (hashlib.sha256(data).hexdigest(), x["sha256"]))
            continue
        try:
            v = decode(data)
            if x["kind"] == "array":
                typed_array(v, "array")
            elif check_record(v) != x["kind"]:
                raise Invalid("kind %r, file says %r" % (v.get("kind"), x["kind"]))
        except Invalid as e:
            rep.fail(where, str(e))
            continue
        if cbor2_divergence(data, v):
            diverge.append(x["name"])
        valid += 1
    for x in vs["invalid"]:
        data = bytes.fromhex(x["hex"])
        try:
            v = decode(data)
            check_record(v)
        except Invalid:
            invalid += 1
            continue
        rep.fail("invalid vector %s" % x["name"], "accepted, but FORMAT.md says: %s" % x["reason"])
    if diverge:
        rep.note("cbor2 %s canonical=True encodes %d valid vector(s) differently from FORMAT.md: %s"
                 % (getattr(cbor2, "__version__", "?"), len(diverge), ", ".join(diverge)))
    print("vectors: %d of %d valid vectors check, %d of %d invalid vectors refused"
          % (valid, len(vs["valid"]), invalid, len(vs["invalid"])))


# --- snapshot index (FORMAT.md §1.5) ---------------------------------------

INDEX_MAGIC = b"wepipeix"
INDEX_VERSION = 2
INDEX_HEADER = 96
INDEX_ENTRY = 112
INDEX_SUM = 4
INDEX_COMPLETE = 1
MAX_INDEX_SIZE = 1 << 30


def decode_index(b):
    """The header (flags, stamps) and entries of a snapshot index file, in
    file order; Invalid if any rule of FORMAT.md §1.5 is broken."""
    if len(b) > MAX_INDEX_SIZE:
        raise Invalid("%d bytes exceeds the limit of %d" % (len(b), MAX_INDEX_SIZE))
    if len(b) < 12 or b[:8] != INDEX_MAGIC:
        raise Invalid("not a snapshot index (magic)")
    (version,) = struct.unpack_from("<I", b, 8)
    if version != INDEX_VERSION:
        raise Invalid("version %d, this checker reads %d" % (version, INDEX_VERSION))
    if len(b) < INDEX_HEADER + INDEX_SUM:
        raise Invalid("%d bytes, shorter than a header" % len(b))
    n, np_, ns, flags, zero = struct.unpack_from("<IIIII", b, 12)
    want = INDEX_HEADER + n * INDEX_ENTRY + np_ * 32 + ns + INDEX_SUM
    if want != len(b):
        raise Invalid("%d bytes, the header implies %d" % (len(b), want))
    if zlib.crc32(b[:-INDEX_SUM]) != struct.unpack_from("<I", b, len(b) - INDEX_SUM)[0]:
        raise Invalid("checksum mismatch")
    if flags & ~INDEX_COMPLETE or zero:
        raise Invalid("unknown flags %#x" % (flags & ~INDEX_COMPLETE))
    stamps = [struct.unpack_from("<QQqq", b, 32 + 32 * d) for d in range(2)]
    if not flags & INDEX_COMPLETE and any(any(st) for st in stamps):
        raise Invalid("stamps in an index that is not complete")
    parea = INDEX_HEADER + n * INDEX_ENTRY
    sarea = parea + np_ * 32
    out = []
    prev = None
    tools = set()
    tool_bytes = 0
    for i in range(n):
        off = INDEX_HEADER + i * INDEX_ENTRY
        h, system = b[off:off + 32], b[off + 32:off + 64]
        cycle, weight = struct.unpack_from("<Qd", b, off + 64)
        walkers, poff, pn, toff, tlen, si, sc, st = struct.unpack_from("<8I", b, off + 80)
        if prev is not None and h <= prev:
            raise Invalid("entry %d: not in hash order" % i)
        prev = h
        if poff + pn > np_:
            raise Invalid("entry %d: parents %d+%d beyond %d" % (i, poff, pn, np_))
        if toff + tlen > ns:
            raise Invalid("entry %d: tool %d+%d beyond %d" % (i, toff, tlen, ns))
        if (toff, tlen) not in tools:
            tools.add((toff, tlen))
            tool_bytes += tlen
            if tool_bytes > ns:
                raise Invalid("entry %d: the distinct tools' lengths exceed the strings area" % i)
        if sc == 0 and (si or st) or sc > MAX_SHARD_COUNT or st > MAX_SHARD_COUNT or sc and si >= sc:
            raise Invalid("entry %d: shard %d/%d of %d" % (i, si, sc, st))
        parents = [b[parea + 32 * (poff + k):parea + 32 * (poff + k + 1)].hex() for k in range(pn)]
        out.append({
            "hash": h.hex(), "system": system.hex(), "cycle": cycle, "weight": weight, "walkers": walkers,
            "tool": b[sarea + toff:sarea + toff + tlen].decode("utf-8", "replace"), "parents": parents,
            "shard": (si, sc, st) if sc else None,
        })
    header = {"complete": bool(flags & INDEX_COMPLETE), "stamps": stamps}
    return header, out


def dir_stamp(p):
    """The stamp of directory p (FORMAT.md §1.5): inode, size, modification
    and change times in nanoseconds; zeros if it does not exist."""
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return (0, 0, 0, 0)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def index_entry_of(h, r):
    """What the index says of snapshot h whose record is r."""
    weight = 0.0
    for w in r["walkers"]:
        weight += w["weight"]
    sh = r.get("shard")
    return {
        "hash": h, "system": r["system"].hex(), "cycle": r["cycle"], "weight": weight, "walkers": len(r["walkers"]),
        "tool": r["op"]["tool"], "parents": [p.hex() for p in r.get("parents", [])],
        "shard": (sh["index"], sh["count"], sh["total"]) if sh else None,
    }


def check_index_file(path, rep):
    with open(path, "rb") as f:
        b = f.read(MAX_INDEX_SIZE + 1)
    try:
        header, entries = decode_index(b)
    except Invalid as e:
        rep.fail(path, str(e))
        return
    if header["complete"]:
        for name, st in zip(("objects/snapshot", "packs"), header["stamps"]):
            print("index: complete; %s inode %d size %d mtime %d ctime %d" % ((name,) + st))
    for e in entries:
        shard = "%d/%d of %d" % e["shard"] if e["shard"] else "-"
        print("index: %s cycle %d walkers %d weight %r tool %s shard %s parents %s"
              % (e["hash"][:12], e["cycle"], e["walkers"], e["weight"], e["tool"], shard,
                 ",".join(p[:12] for p in e["parents"]) or "-"))
    print("index %s: %d entries, checksum ok" % (path, len(entries)))


def check_store_index(root, objects, rep):
    p = os.path.join(root, "index", "snapshots")
    if os.path.islink(p) or not os.path.exists(p):
        if os.path.islink(p):
            rep.note("%s is a symbolic link: readers ignore it (and rewrite it)" % p)
        return
    if not os.path.isfile(p):
        rep.fail(p, "not a regular file")
        return
    with open(p, "rb") as f:
        b = f.read(MAX_INDEX_SIZE + 1)
    try:
        header, entries = decode_index(b)
    except Invalid as e:
        rep.note("%s: %s (a damaged cache: readers rebuild it, we-fsck repairs it)" % (p, e))
        return
    snaps = {h: r for h, (kind, r) in objects.items() if kind == "snapshot"}
    absent = 0
    for e in entries:
        r = snaps.get(e["hash"])
        if r is None:
            absent += 1
            continue
        want = index_entry_of(e["hash"], r)
        for field in ("system", "cycle", "weight", "walkers", "tool", "parents", "shard"):
            if e[field] != want[field]:
                rep.fail(p, "entry %s: %s %r, the snapshot says %r" % (e["hash"][:12], field, e[field], want[field]))
    lacking = len(set(snaps) - {e["hash"] for e in entries})
    current = header["complete"] and header["stamps"] == [
        dir_stamp(os.path.join(root, "objects", "snapshot")), dir_stamp(os.path.join(root, "packs"))]
    if current and (absent or lacking):
        rep.fail(p, "claims to list every snapshot, its directories unchanged, but names %d not in the store (or not intact) and lacks %d" % (absent, lacking))
    elif absent or lacking:
        rep.note("%s is stale: %d entr(y/ies) for snapshots not in the store (or not intact), %d snapshot(s) not in it (readers bring it up to date)" % (p, absent, lacking))
    print("index %s: %d entries checked against their snapshots%s" % (
        p, len(entries) - absent, ", complete and current: every snapshot of the store" if current else ""))


# --- store ------------------------------------------------------------------


def decompress(z):
    """The content of a store file: exactly one zstd frame, at most 1 GiB."""
    import zstandard

    dctx = zstandard.ZstdDecompressor()
    try:
        size = zstandard.frame_content_size(z)
    except zstandard.ZstdError as e:
        raise Invalid("not a zstd frame: %s" % e)
    if size > MAX_OBJECT_SIZE:
        raise Invalid("decompressed size %d exceeds the limit of %d bytes" % (size, MAX_OBJECT_SIZE))
    if size < 0:
        # No declared size: read at most the limit before decoding for real.
        reader = dctx.stream_reader(io.BytesIO(z))
        got = 0
        while True:
            chunk = reader.read(1 << 20)
            if not chunk:
                break
            got += len(chunk)
            if got > MAX_OBJECT_SIZE:
                raise Invalid("decompressed size exceeds the limit of %d bytes" % MAX_OBJECT_SIZE)
    obj = dctx.decompressobj()
    try:
        out = obj.decompress(z)
    except zstandard.ZstdError as e:
        raise Invalid("zstd: %s" % e)
    if not obj.eof:
        raise Invalid("zstd: truncated frame")
    if obj.unused_data:
        raise Invalid("zstd: %d bytes after the frame" % len(obj.unused_data))
    if size >= 0 and len(out) != size:
        raise Invalid("zstd: frame declares %d bytes, holds %d" % (size, len(out)))
    return out, size >= 0


def check_store(root, rep):
    try:
        with open(os.path.join(root, "wepipe-store"), "rb") as f:
            marker = f.read()
    except OSError as e:
        rep.fail(root, "not a store: %s" % e)
        return
    if marker != MARKER:
        rep.fail(os.path.join(root, "wepipe-store"), "marker %r, want %r" % (marker, MARKER))
        return
    objects = {}  # hash hex -> (kind, record)
    counts = {k: 0 for k in KINDS}
    nbytes = raw = no_size = 0
    for kind in KINDS:
        d = os.path.join(root, "objects", kind)
        if not os.path.isdir(d):
            if kind not in LATER_KINDS:  # made by the first object of its kind
                rep.fail(d, "missing directory")
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if len(name) != 64 or name.strip("0123456789abcdef") != "":
                rep.fail(p, "file name is not a lowercase 64-digit hash")
                continue
            try:
                with open(p, "rb") as f:
                    z = f.read(MAX_OBJECT_SIZE + 1)
                if len(z) > MAX_OBJECT_SIZE:
                    raise Invalid("file exceeds the object size limit")
                data, sized = decompress(z)
                if hashlib.sha256(data).hexdigest() != name:
                    raise Invalid("content does not hash to the file name")
                v = decode(data)
                k = check_record(v)
                if k != kind:
                    raise Invalid("a %s record in the %s directory" % (k, kind))
            except Invalid as e:
                rep.fail(p, str(e))
                continue
            if not sized:
                no_size += 1
            objects[name] = (kind, v)
            counts[kind] += 1
            nbytes += len(z)
            raw += len(data)
    # Pack files (FORMAT.md §1.6): every packed object re-hashed and
    # checked; a loose copy is read first, so a packed one only fills in.
    pdir = os.path.join(root, "packs")
    npacks = packed_memos = 0
    if os.path.isdir(pdir) and not os.path.islink(pdir):
        for name in sorted(os.listdir(pdir)):
            p = os.path.join(pdir, name)
            if not PACK_NAME.match(name):
                continue
            npacks += 1
            got = check_pack(p, rep)
            if got is None:
                continue
            for code, h, data, v, k in got:
                if code == 0:
                    packed_memos += 1
                    continue
                if h in objects:
                    continue  # shadowed by a loose copy, or in another pack too
                objects[h] = (k, v)
                counts[k] += 1
                raw += len(data)
            nbytes += os.path.getsize(p)
    elif os.path.islink(pdir):
        rep.fail(pdir, "packs/ is a symbolic link")
    sdir = os.path.join(root, "shallow")
    shallow = set(os.listdir(sdir)) if os.path.isdir(sdir) else set()
    dangling = 0
    for h, (kind, r) in sorted(objects.items()):
        for want, ref, field in refs(kind, r):
            got = objects.get(ref.hex())
            if got is None and want == "snapshot" and h in shallow:
                continue  # the history of a shallow snapshot is elsewhere
            if got is None or got[0] != want:
                where = os.path.join(root, "objects", kind, h)
                if os.path.exists(os.path.join(root, "objects", want, ref.hex())):
                    rep.fail(where, "%s: %s %s is not intact" % (field, want, ref.hex()[:12]))
                else:
                    rep.fail(where, "%s: dangling reference to %s %s" % (field, want, ref.hex()[:12]))
                dangling += 1
    check_history(root, objects, rep)
    check_store_index(root, objects, rep)
    tmp = os.path.join(root, "tmp")
    temps = len(os.listdir(tmp)) if os.path.isdir(tmp) else 0
    memo = os.path.join(root, "memo")
    memos = bad_memos = 0
    if os.path.isdir(memo):
        for name in os.listdir(memo):
            memos += 1
            with open(os.path.join(memo, name), "rb") as f:
                fields = f.read().split()
            if len(name) != 64 or not fields or any(len(x) != 64 or x.decode("ascii", "replace") not in objects for x in fields):
                bad_memos += 1
    if no_size:
        rep.note("%d object(s) in zstd frames without a content size (readers accept them; writers write the size)" % no_size)
    if bad_memos:
        rep.note("%d memo entr(y/ies) malformed or naming missing objects (a cache miss, not an error)" % bad_memos)
    print("store %s: %s; %d bytes on disk, %d uncompressed; %d temp file(s) ignored, %d memo entr(y/ies); %d pack(s), %d packed memo entr(y/ies)"
          % (root, ", ".join("%d %s" % (counts[k], k) for k in KINDS), nbytes, raw, temps, memos, npacks, packed_memos))


def check_history(root, objects, rep):
    """Relations between a snapshot and its parents (FORMAT.md "Snapshots")."""
    for h, (kind, s) in sorted(objects.items()):
        if kind != "snapshot":
            continue
        where = os.path.join(root, "objects", "snapshot", h)
        parents = [objects.get(p.hex()) for p in s.get("parents", [])]
        if any(p is None or p[0] != "snapshot" for p in parents):
            continue  # reported as dangling
        parents = [p[1] for p in parents]
        nparent = sum(len(p["walkers"]) for p in parents)
        tool = s["op"]["tool"]
        try:
            for i, w in enumerate(s["walkers"]):
                if w["parent"] >= nparent and parents:
                    raise Invalid("walkers[%d].parent %d: the parents hold %d walkers" % (i, w["parent"], nparent))
            if s.get("decisions") and len(s["decisions"]) != nparent:
                raise Invalid("%d decisions for %d parent walkers" % (len(s["decisions"]), nparent))
            for i, w in enumerate(s.get("warps", [])):
                if w["walker"] >= nparent:
                    raise Invalid("warps[%d].walker %d: the parents hold %d walkers" % (i, w["walker"], nparent))
                if len(parents) == 1 and w["cycle"] != parents[0]["cycle"]:
                    raise Invalid("warps[%d].cycle %d, the parent's cycle is %d" % (i, w["cycle"], parents[0]["cycle"]))
            if tool == "we-init" and (parents or s["cycle"] != 0):
                raise Invalid("a we-init snapshot has cycle 0 and no parents")
            if tool == "we-step" and (len(parents) != 1 or s["cycle"] != parents[0]["cycle"]):
                raise Invalid("a we-step snapshot has one parent and keeps its cycle")
            if tool == "we-resample" and (len(parents) != 1 or s["cycle"] != parents[0]["cycle"] + 1):
                raise Invalid("a we-resample snapshot has one parent and the next cycle")
            if tool == "we-merge" and parents and s["cycle"] != max(p["cycle"] for p in parents):
                raise Invalid("a we-merge snapshot has the largest cycle of its parents")
        except Invalid as e:
            rep.fail(where, str(e))


# --- pack files (FORMAT.md §1.6) ---------------------------------------------

PACK_MAGIC = b"wepack\x00\x01"
PACK_ENTRY = 56
PACK_TRAILER = 56
PACK_KINDS = {1: "system", 2: "snapshot", 3: "state", 4: "segment", 5: "run"}
PACK_NAME = re.compile(r"^[0-9a-f]{64}\.pack$")


def check_pack(path, rep):
    """A pack file: header, trailer, index, then every entry read and
    verified. Returns [(code, hash hex, content, record, kind)] of the
    entries that verify, or None if the pack cannot be read at all."""
    if os.path.islink(path) or not os.path.isfile(path):
        rep.fail(path, "not a regular file")
        return None
    with open(path, "rb") as f:
        b = f.read()
    name = os.path.basename(path)
    if PACK_NAME.match(name) and hashlib.sha256(b).hexdigest() != name[:64]:
        rep.fail(path, "the file does not hash to its name")
    try:
        if len(b) < 8 + PACK_TRAILER:
            raise Invalid("truncated: %d bytes" % len(b))
        if b[:8] != PACK_MAGIC:
            raise Invalid("bad header %r" % b[:8])
        tr = b[-PACK_TRAILER:]
        if tr[48:] != PACK_MAGIC:
            raise Invalid("no trailer magic")
        ix_off, count = struct.unpack_from("<QQ", tr, 0)
        if ix_off < 8 or ix_off + count * PACK_ENTRY != len(b) - PACK_TRAILER:
            raise Invalid("trailer: %d entries at %d do not fit %d bytes" % (count, ix_off, len(b)))
        ix = b[ix_off:ix_off + count * PACK_ENTRY]
        if hashlib.sha256(ix).digest() != tr[16:48]:
            raise Invalid("index checksum mismatch")
        entries = []
        for i in range(count):
            e = ix[i * PACK_ENTRY:(i + 1) * PACK_ENTRY]
            h, code = e[:32], e[32]
            if e[33:36] != b"\0\0\0":
                raise Invalid("index entry %d: reserved bytes not zero" % i)
            flen, foff, off, n = struct.unpack_from("<IQII", e, 36)
            if i and ix[(i - 1) * PACK_ENTRY:(i - 1) * PACK_ENTRY + 33] >= e[:33]:
                raise Invalid("index entry %d out of order" % i)
            if code != 0 and code not in PACK_KINDS:
                raise Invalid("index entry %d: unknown kind code %d" % (i, code))
            if foff < 8 or flen == 0 or foff + flen > ix_off or n == 0:
                raise Invalid("index entry %d: frame at %d of %d bytes outside the frames" % (i, foff, flen))
            entries.append((h.hex(), code, foff, flen, off, n))
    except Invalid as e:
        rep.fail(path, str(e))
        return None
    out = []
    frames = {}
    for h, code, foff, flen, off, n in entries:
        where = "%s(%s/%s)" % (path, PACK_KINDS.get(code, "memo"), h)
        try:
            if foff not in frames:
                try:
                    frames[foff] = decompress(b[foff:foff + flen])
                except Invalid as e:
                    frames[foff] = e
            fr = frames[foff]
            if isinstance(fr, Invalid):
                raise fr
            content, sized = fr
            if not sized:
                raise Invalid("a pack frame without a declared content size")
            if off + n > len(content):
                raise Invalid("object beyond its frame's content")
            data = content[off:off + n]
            if code == 0:
                out.append((0, h, data, None, None))
                continue
            if hashlib.sha256(data).hexdigest() != h:
                raise Invalid("content does not hash to the object's name")
            v = decode(data)
            k = check_record(v)
            if k != PACK_KINDS[code]:
                raise Invalid("a %s record indexed as a %s" % (k, PACK_KINDS[code]))
            out.append((code, h, data, v, k))
        except Invalid as e:
            rep.fail(where, str(e))
    return out


def check_pack_file(path, rep):
    got = check_pack(path, rep)
    if got is not None:
        kinds = {}
        for code, *_ in got:
            kinds[code] = kinds.get(code, 0) + 1
        print("pack %s: %d entries verify (%s)" % (path, len(got), ", ".join(
            "%d %s" % (kinds[c], PACK_KINDS.get(c, "memo")) for c in sorted(kinds))))


# --- bundles ----------------------------------------------------------------

BUNDLE_MAGIC = b"wepipe bundle 1\n"
BUNDLE_KINDS = {1: "system", 2: "snapshot", 3: "state", 4: "segment"}


def check_bundle(path, rep):
    """A bundle, frame by frame (FORMAT.md "Bundles")."""
    with open(path, "rb") as f:
        b = f.read()
    try:
        if b[:16] != BUNDLE_MAGIC:
            raise Invalid("not a wepipe bundle")
        p = 16

        def frame(limits):
            nonlocal p
            if len(b) - p < 9:
                raise Invalid("truncated at byte %d" % p)
            t, n = b[p:p + 1], int.from_bytes(b[p + 1:p + 9], "big")
            if t not in limits:
                raise Invalid("byte %d: frame type %r" % (p, t))
            if n > limits[t]:
                raise Invalid("byte %d: length %d over the limit %d" % (p, n, limits[t]))
            if len(b) - p - 9 < n:
                raise Invalid("byte %d: truncated frame of %d bytes" % (p, n))
            start = p
            p += 9 + n
            return t, b[start + 9:p], start

        _, hb, _ = frame({b"H": 1 << 20})
        head = decode(hb)
        if encode(head) != hb:
            raise Invalid("header: not in deterministic encoding")
        if set(head) - {"v", "mode", "root", "shallow"} or head.get("v") != 1 or head.get("mode") not in ("snapshot", "history"):
            raise Invalid("header %r" % (head,))
        root = head["root"].hex()
        shallow = {x.hex() for x in head.get("shallow", [])}
        have = {}
        counts = {k: 0 for k in KINDS}
        while True:
            t, body, at = frame({b"O": 33 + MAX_OBJECT_SIZE, b"E": 40})
            if t == b"E":
                if len(body) != 40:
                    raise Invalid("end frame of %d bytes" % len(body))
                if int.from_bytes(body[:8], "big") != len(have):
                    raise Invalid("end frame counts %d objects, the bundle holds %d" % (int.from_bytes(body[:8], "big"), len(have)))
                if body[8:] != hashlib.sha256(b[:at]).digest():
                    raise Invalid("end frame: checksum mismatch")
                if p != len(b):
                    raise Invalid("%d bytes after the end frame" % (len(b) - p))
                break
            if len(body) < 33 or body[0] not in BUNDLE_KINDS:
                raise Invalid("byte %d: object frame" % at)
            kind, h = BUNDLE_KINDS[body[0]], body[1:33].hex()
            data, _ = decompress(body[33:])
            if hashlib.sha256(data).hexdigest() != h:
                raise Invalid("byte %d: %s %s: content does not hash to its name" % (at, kind, h[:12]))
            v = decode(data)
            if check_record(v) != kind:
                raise Invalid("byte %d: %s %s: a %s record" % (at, kind, h[:12], v.get("kind")))
            if h in have:
                raise Invalid("byte %d: %s %s twice" % (at, kind, h[:12]))
            for want, ref, field in refs(kind, v):
                if want == "snapshot" and h in shallow:
                    continue
                if have.get(ref.hex()) != want:
                    raise Invalid("byte %d: %s %s: %s references %s %s, no earlier frame holds it" % (at, kind, h[:12], field, want, ref.hex()[:12]))
            have[h] = kind
            counts[kind] += 1
        if have.get(root) != "snapshot" or any(have.get(x) != "snapshot" for x in shallow):
            raise Invalid("header: the root or a shallow snapshot is not in the bundle")
    except Invalid as e:
        rep.fail(path, str(e))
        return
    print("bundle %s: %s bundle of %s, %s; checksum ok" % (path, head["mode"], root[:12], ", ".join("%d %s" % (counts[k], k) for k in KINDS)))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectors", help="test vectors (pkg/record/testdata/vectors.json)")
    ap.add_argument("--store", action="append", default=[], help="a store directory to check (repeatable)")
    ap.add_argument("--bundle", action="append", default=[], help="a bundle file to check (repeatable)")
    ap.add_argument("--pack", action="append", default=[], help="a pack file to check (repeatable; FORMAT.md §1.6)")
    ap.add_argument("--index", action="append", default=[], help="a snapshot index file to check (repeatable)")
    args = ap.parse_args(argv)
    if not args.vectors and not args.store and not args.bundle and not args.pack and not args.index:
        ap.print_usage(sys.stderr)
        print("check_format: give --vectors FILE, --store DIR, --bundle FILE, --pack FILE and/or --index FILE", file=sys.stderr)
        return 2
    rep = Report()
    if args.vectors:
        check_vectors(args.vectors, rep)
    for d in args.store:
        check_store(d, rep)
    for b in args.bundle:
        check_bundle(b, rep)
    for p in args.pack:
        check_pack_file(p, rep)
    for x in args.index:
        check_index_file(x, rep)
    for n in rep.notes:
        print("note: " + n)
    for f in rep.failures:
        print("FAIL " + f)
    if rep.failures:
        print("check_format: %d failure(s)" % len(rep.failures))
        return 1
    print("check_format: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
