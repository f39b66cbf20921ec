// we-gexf writes the walker family tree of a run in GEXF, for Gephi: one
// node per walker per cycle, one edge from each walker to every walker of
// the next cycle that continues it.
//
// Usage:
//
//	we-gexf [--from CYCLE] [--color OBS|none] [--color-range LO,HI]
//	        [--gexf-version 1.2draft|1.3] [-o FILE] [--store DIR] [HASH]
//
// The tree covers the history that ends at snapshot HASH (read from stdin
// when not given), from cycle 0 — or from cycle --from, whose walkers are
// then the roots — to HASH's cycle.
//
// Nodes. Node "C:S" is the walker in slot S during cycle C: the walker that
// started cycle C there and ran its dynamics. Its attributes, every one
// typed (networkx's read_gexf returns int, float, bool and str):
//
//	cycle          long     C
//	slot           integer  S
//	parent         integer  the slot in cycle C−1 of the walker it continues
//	                        (−1 for a root)
//	weight         double   its weight during the cycle
//	free_energy    double   −ln(weight)
//	decision       integer  what the resampling at the end of the cycle did to
//	                        it, wepy's codes: 1 NOTHING, 2 CLONE, 3 SQUASH,
//	                        4 KEEP_MERGE; 0 when the cycle is not resampled
//	                        (yet: the last cycle)
//	decision_name  string   the same as a name (none, NOTHING, CLONE …)
//	merged_into    integer  for a SQUASH, the slot in cycle C+1 of the walker
//	                        that took its weight; else −1
//	warped         boolean  it met a boundary condition at the end of the
//	                        cycle and was returned to an initial state
//	warp_target    integer  that initial state's index (−1: not warped)
//	region         string   where the resampler placed it at the end of the
//	                        cycle: WExplore's region path ("0,2,1"), the bin of
//	                        binned or mab ("" for none); for the last cycle,
//	                        where it was placed at the start
//	OBS…           double   each of the system's observables after the
//	                        cycle's dynamics (what warping and the resampler
//	                        judged; before any dynamics for a cycle not yet
//	                        stepped); named obs_OBS if OBS is one of the names
//	                        above
//
// Edges. Edge "eC:S" goes from the walker C−1:P that walker C:S continues
// (P = its parent) to C:S, so every walker after the first cycle has
// exactly one incoming edge and a clone's copies share a source. Edge
// attributes: clone (boolean: the source was cloned) and discontinuous
// (boolean: the source was warped, so C:S starts from an initial state, not
// from where its parent ended; wepy's discontinuity).
//
// Squashed walkers. A merge keeps one walker of a group (KEEP_MERGE) and
// squashes the others (SQUASH): a squashed walker's state ends, its weight
// goes to the survivor. Its node is therefore a leaf — no edge leaves it —
// drawn as a translucent diamond (opacity 0.4); its merged_into attribute
// names the survivor's slot in the next cycle, whose node carries the
// summed weight. No edge is drawn from a squashed walker to the survivor:
// the tree keeps exactly one parent per walker, as wepy's parent table
// does. Warped walkers are drawn as squares (wepy's restree draws them as
// black squares; here they keep their colour).
//
// Drawing. Gephi shows the tree as written (Layout: none needed): cycle C is
// the row y = −60·C (cycle 0 at the top), the walkers of a cycle are ordered
// by their parent's place in the row above, then by slot, 40 apart, so that
// clones sit side by side and no edges cross. Node size is
// max(1, 28 − free_energy): heavier walkers are larger (wepy draws the
// size as the free energy, which makes the lightest walkers the largest).
// Colour: --color OBS (default the system's first observable; none for no
// colour) on the viridis scale from the lowest value in the tree (purple) to
// the highest (yellow), or over --color-range LO,HI to compare files.
// The visualisation elements are written in the GEXF namespace, as the
// official schemas require; Gephi reads them, networkx ignores them (it
// looks for them in a separate viz namespace).
//
// Formats. --gexf-version 1.2draft (the default; what networkx and wepy
// write and every Gephi reads) or 1.3. Both validate against the official
// GEXF schemas (xmllint --schema gexf.xsd). networkx 2.8 reads 1.2draft.
//
// Size and memory. The file is written as the history is read: memory does
// not grow with the number of cycles (the edges wait in a temporary file
// beside the output until the last node is written). A node takes about
// 1 KB of GEXF; 100 cycles of 48 walkers make 5 MB. Gephi is comfortable
// with up to a few hundred thousand nodes; use --from for the recent
// history of a long run.
//
// Flags:
//
//	--from CYCLE         first cycle of the tree (default 0)
//	--color OBS|none     observable that colours the nodes
//	--color-range LO,HI  values at the ends of the colour scale
//	--gexf-version V     1.2draft (default) or 1.3
//	-o FILE              output file (default -: stdout); written under a
//	                     temporary name and renamed when complete
//	--store DIR          the store (default $WE_STORE, else ./we.store)
//
// Example:
//
//	we-gexf $h -o tree.gexf      # then File > Open in Gephi
//	python3 -c 'import networkx as nx; g = nx.read_gexf("tree.gexf"); print(g.nodes["3:7"])'
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
