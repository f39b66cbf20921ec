// we-trace writes walkers' lineages as trajectories: the path a walker
// took through the run, cycle by cycle, back through the resamplings that
// cloned it, to where it began.
//
// Usage:
//
//	we-trace --walker SLOT|CYCLE:SLOT [--format F] [-o FILE] [--store DIR] [HASH]
//	we-trace --warp N                 [--format F] [-o FILE] [HASH]
//	we-trace --all    --format F -o DIR [HASH]
//	we-trace --warped --format F -o DIR [HASH]
//
// HASH is the snapshot whose history is traced (read from stdin when not
// given).
//
//	--walker SLOT        the walker in SLOT of HASH
//	--walker CYCLE:SLOT  the walker in SLOT during cycle CYCLE of HASH's
//	                     history: we-gexf's node "CYCLE:SLOT"
//	--all                every walker of HASH, one file each: DIR/walker-0007.pdb
//	--warped             every walker that reached a warp target, one file
//	                     each, numbered in the order of we-ls warps:
//	                     DIR/warp-0001-cycle12-walker7.pdb (the walker in slot
//	                     7 of cycle 12, whose dynamics ended in the target)
//	--warp N             the N-th of those alone: a reactive pathway
//
// A lineage follows the parent of each walker back, as wepy's ancestors()
// and WESTPA's w_trace do: through the resamplings (a clone's lineage is
// its parent's), to cycle 0, or to the warp that returned an ancestor to
// an initial state (a lineage is continuous dynamics: the path before the
// warp is another lineage, one that ends in the target). It starts with the
// state the lineage began from (an initial state), then holds, for each
// cycle, the intermediate frames that we-step --frames recorded, or else
// the state at the end of the cycle's dynamics: one frame per cycle. A
// lineage of a walker of a resampled snapshot ends with the state it
// starts its cycle from (its parent's last frame).
//
// Formats (--format, or -o's extension):
//
//	pdb    multi-model PDB: one MODEL per frame, Å, atom names, elements and
//	       residues from the system (each molecule a residue where the
//	       system has none), bonds as CONECT, CRYST1 when the system has a
//	       box. Coordinates must lie within −99.9 … 999.9 nm.
//	xyz    XYZ: element (or name) and x y z in Å per atom; the comment line
//	       gives cycle, slot, step, time and weight
//	dcd    DCD, CHARMM/NAMD layout (VMD, MDTraj, MDAnalysis): float32 Å, a
//	       unit cell per frame when the system has a box; needs -o FILE
//	csv    the observables along the lineage, one row per frame: frame,
//	       cycle, slot, step, time_ps, weight, then each observable
//	jsonl  the same as JSON lines: {"frame", "cycle", "slot", "step",
//	       "time_ps", "weight", "obs": {…}}
//
// For xyz and dcd, the topology (the system's atoms at its first initial
// state) is written beside the trajectory as FILE.top.pdb (DIR/topology.pdb
// for several lineages), so that they open as
//
//	vmd lineage.top.pdb lineage.dcd
//	pymol lineage.pdb                       (multi-model: one state per frame)
//	python3 -c 'import mdtraj; t = mdtraj.load("lineage.dcd", top="lineage.top.pdb")'
//
// Files are written under a temporary name and renamed when complete. The
// paths written are printed on stdout, one per line (nothing when the
// trajectory goes to stdout, -o -, the default for one lineage).
// Lineages that share ancestors are written together, each shared state
// loaded once.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
