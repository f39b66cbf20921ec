#!/usr/bin/python3
"""Checks a we-gexf family tree independently of wepipe.

    check_gexf.py FILE.gexf WALKERS

Parses FILE with the standard library (any GEXF version) and checks that
every attribute value parses as its declared type; that each cycle has
WALKERS nodes whose weights sum to 1 (to 1e-9); that every node after the
first cycle has exactly one incoming edge, from the node its "parent"
attribute names in the previous cycle, and the first cycle's none; that a
node's outgoing edges agree with its resampling decision (NOTHING and
KEEP_MERGE one, CLONE two or more, SQUASH and not yet resampled none) and a
squashed node's merged_into names a KEEP_MERGE survivor's child. For GEXF
1.2draft it also reads the file with networkx and checks that networkx
returns every attribute typed (int, float, bool, str) as declared, with the
same values. Prints a summary; exits 1 on the first failure.
"""
import collections
import math
import sys
import xml.etree.ElementTree as ET

TYPES = {"integer": int, "long": int, "double": float, "float": float, "boolean": bool, "string": str}


def fail(msg):
    print("check_gexf: " + msg, file=sys.stderr)
    sys.exit(1)


def parse(kind, text):
    if kind == "boolean":
        if text not in ("true", "false"):
            fail("boolean value %r" % text)
        return text == "true"
    return TYPES[kind](text)


def main(path, walkers):
    root = ET.parse(path).getroot()
    ns = root.tag[1:].split("}")[0]
    q = lambda t: "{%s}%s" % (ns, t)
    version = root.get("version")
    graph = root.find(q("graph"))
    decl = {}
    for attrs in graph.findall(q("attributes")):
        decl[attrs.get("class")] = {a.get("id"): (a.get("title"), a.get("type")) for a in attrs.findall(q("attribute"))}
    nodes = {}
    for n in graph.find(q("nodes")).findall(q("node")):
        vals = {}
        for av in n.find(q("attvalues")).findall(q("attvalue")):
            title, kind = decl["node"][av.get("for")]
            vals[title] = parse(kind, av.get("value"))
        nodes[n.get("id")] = vals
    ins, outs = collections.Counter(), collections.defaultdict(list)
    for e in graph.find(q("edges")).findall(q("edge")):
        s, t = e.get("source"), e.get("target")
        if s not in nodes or t not in nodes:
            fail("edge %s: unknown node" % e.get("id"))
        ins[t] += 1
        outs[s].append(t)
    cycles = collections.defaultdict(list)
    for i, v in nodes.items():
        cycles[v["cycle"]].append(i)
        if i != "%d:%d" % (v["cycle"], v["slot"]):
            fail("node %s: cycle %d slot %d" % (i, v["cycle"], v["slot"]))
        if abs(v["free_energy"] + math.log(v["weight"])) > 1e-12 * max(1, v["free_energy"]):
            fail("node %s: free energy %r for weight %r" % (i, v["free_energy"], v["weight"]))
    first = min(cycles)
    for c, ids in sorted(cycles.items()):
        if len(ids) != walkers:
            fail("cycle %d: %d nodes, want %d" % (c, len(ids), walkers))
        s = math.fsum(nodes[i]["weight"] for i in ids)
        if abs(s - 1) > 1e-9:
            fail("cycle %d: weights sum to %r" % (c, s))
        for i in ids:
            v = nodes[i]
            want_in = 0 if c == first else 1
            if ins[i] != want_in:
                fail("node %s: %d parents, want %d" % (i, ins[i], want_in))
            if c != first:
                p = "%d:%d" % (c - 1, v["parent"])
                if i not in outs[p]:
                    fail("node %s: its edge does not come from its parent %s" % (i, p))
            d, k = v["decision"], len(outs[i])
            ok = {0: k == 0, 1: k == 1, 2: k >= 2, 3: k == 0, 4: k == 1}[d]
            if not ok:
                fail("node %s: decision %d (%s) with %d children" % (i, d, v["decision_name"], k))
            if d == 3:
                t = "%d:%d" % (c + 1, v["merged_into"])
                if t not in nodes or nodes[t]["weight"] < v["weight"]:
                    fail("node %s: squashed into %s, which is not heavier" % (i, t))
    print("%s: GEXF %s, %d cycles of %d walkers, %d edges, weights and parents consistent" % (path, version, len(cycles), walkers, sum(ins.values())))
    if version == "1.2":
        import networkx

        g = networkx.read_gexf(path)
        if g.number_of_nodes() != len(nodes) or g.number_of_edges() != sum(ins.values()):
            fail("networkx reads %d nodes, %d edges" % (g.number_of_nodes(), g.number_of_edges()))
        types = {title: TYPES[kind] for title, kind in decl["node"].values()}
        for i, v in nodes.items():
            got = g.nodes[i]
            for title, want in v.items():
                if type(got[title]) is not types[title] or got[title] != want:
                    fail("networkx: node %s: %s = %r (%s), want %r (%s)" % (i, title, got[title], type(got[title]).__name__, want, types[title].__name__))
        for s, t, d in g.edges(data=True):
            for title, kind in decl["edge"].values():
                if type(d[title]) is not TYPES[kind]:
                    fail("networkx: edge %s→%s: %s is a %s" % (s, t, title, type(d[title]).__name__))
        print("%s: networkx %s reads every attribute typed" % (path, networkx.__version__))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
