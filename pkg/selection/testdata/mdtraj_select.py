# Prints, as JSON, the topology of OpenMM's test.pdb (villin in water) as
# MDTraj reads it and the atoms MDTraj selects for each selection given on
# stdin (one per line), for selection's cross-check test.
import json
import sys

import mdtraj

top = mdtraj.load(sys.argv[1]).topology
out = {
    "names": [a.name for a in top.atoms],
    "elements": [a.element.symbol if a.element is not None else "" for a in top.atoms],
    "residues": [{"name": r.name, "id": r.resSeq, "chain": ""} for r in top.residues],
    "residue": [a.residue.index for a in top.atoms],
    "heavy": [int(i) for i in top.select_atom_indices("heavy")],
    "selected": {},
}
for line in sys.stdin:
    sel = line.strip()
    if sel:
        out["selected"][sel] = [int(i) for i in top.select(sel)]
json.dump(out, sys.stdout)
