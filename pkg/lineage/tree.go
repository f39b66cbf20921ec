package lineage

import (
	"fmt"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Back visits the history that ends at h newest first: h, its first
// parent, and so on to a snapshot without parents or a shallow snapshot
// whose parent is not in the store (History's rule). Snapshots the
// snapshot index predicts are loaded a window ahead, in parallel, and
// verified as they are reached (walkBack); memory holds one window, so it
// does not grow with the history.
func Back(s *store.Store, h record.Hash, visit func(record.Hash, *record.Snapshot) error) error {
	return walkBack(s, h, func(h record.Hash, snap *record.Snapshot) error {
		if err := visit(h, snap); err != nil {
			return err
		}
		if len(snap.Parents) > 0 && snap.Parents[0] == h {
			return fmt.Errorf("snapshot %s is its own parent", h.Short())
		}
		return nil
	})
}

// Chain returns the hashes of the history that ends at h, oldest first:
// 32 bytes per snapshot, each snapshot decoded once and dropped.
func Chain(s *store.Store, h record.Hash) ([]record.Hash, error) {
	var out []record.Hash
	err := Back(s, h, func(x record.Hash, _ *record.Snapshot) error {
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Node is one walker of one cycle of a run's family tree: the walker that
// ran the cycle's dynamics in slot Slot.
type Node struct {
	Slot int
	// Parent is the slot, in the previous row, of the walker this one
	// continues (clones share it); -1 for a root: a walker of the first
	// row, or one that joined in a pooling merge from another ensemble.
	Parent int
	// Weight is the walker's weight during the cycle.
	Weight float64
	// Start is the state the walker started the cycle from; State the
	// state after the cycle's dynamics (Start itself while the cycle has
	// not been stepped), and Obs and Segment those of State.
	Start, State record.Hash
	Obs          map[string]float64
	Segment      *record.Hash
	// Region is where the resampler placed the walker at the end of the
	// cycle: the region (WExplore) or bin (binned, mab) of the walker that
	// took its place in the next cycle — for a squashed walker its
	// survivor, which shares its region or bin, since both methods merge
	// only within one. For a cycle not yet resampled, where it was placed
	// at the start of the cycle.
	Region []int
	// Decision is what the resampling at the end of the cycle did to the
	// walker (wepy's codes: 1 NOTHING, 2 CLONE, 3 SQUASH, 4 KEEP_MERGE);
	// 0 for a cycle not (yet) resampled. Targets are the slots of the next
	// row it fills (a SQUASH: the survivor that took its weight).
	Decision uint8
	Targets  []int
	// Warp is set when the walker met a boundary condition at the end of
	// the cycle and was returned to an initial state before resampling.
	Warp *record.Warp
}

// Row is one cycle of the tree.
type Row struct {
	Cycle uint64
	Nodes []Node
	// Stepped reports whether the cycle's dynamics is in the history;
	// Resampled whether its resampling is.
	Stepped, Resampled bool
}

// Tree builds the family tree of the history chain (oldest first, as
// Chain returns it) and calls emit with each row, oldest first, once the
// row is complete: after the resampling that ends its cycle, or at the
// end of the chain. Rows are built from the snapshots in turn (FORMAT.md
// §5.3–5.4):
//
//   - a snapshot of the same cycle as the row (we-step, shards assembled
//     by we-merge, a pooling we-merge) gives each walker its new state,
//     weight and observables; walker j continues the row's walker
//     walkers[j].parent (a pooled walker from another ensemble becomes a
//     root);
//   - a snapshot of a later cycle (we-resample) ends the row — its
//     decisions and warps are the fate of the row's walkers — and starts
//     the next, whose walker j continues the row's walker walkers[j].parent.
//
// Two rows are held at a time, so memory does not grow with the history.
// The row passed to emit is reused afterwards.
func Tree(s *store.Store, chain []record.Hash, emit func(*Row) error) error {
	return TreeFrom(func(i int) (*record.Snapshot, error) {
		snap, err := store.LoadAs[*record.Snapshot](s, chain[i])
		if err != nil {
			return nil, fmt.Errorf("load snapshot %s: %w", chain[i].Short(), err)
		}
		return snap, nil
	}, len(chain), emit)
}

// TreeFrom is Tree over n snapshots given by load (called with 0 … n−1 in
// order), so that a caller can load ahead.
func TreeFrom(load func(i int) (*record.Snapshot, error), n int, emit func(*Row) error) error {
	var row, next Row
	for i := 0; i < n; i++ {
		snap, err := load(i)
		if err != nil {
			return err
		}
		if snap.Shard != nil {
			return fmt.Errorf("snapshot %d of the history is shard %d/%d of a step; assemble the shards with we-merge first", i, snap.Shard.Index, snap.Shard.Count)
		}
		if i == 0 {
			row.Cycle = snap.Cycle
			row.Nodes = row.Nodes[:0]
			for j, w := range snap.Walkers {
				row.Nodes = append(row.Nodes, Node{Slot: j, Parent: -1, Weight: w.Weight, Start: w.State, State: w.State, Obs: w.Obs, Segment: w.Segment, Region: w.Region})
			}
			row.Stepped = snap.Op.Tool == "we-step"
			continue
		}
		switch {
		case snap.Cycle < row.Cycle:
			return fmt.Errorf("snapshot %d of the history is of cycle %d, after cycle %d", i, snap.Cycle, row.Cycle)
		case snap.Cycle == row.Cycle:
			next.Nodes = next.Nodes[:0]
			for j, w := range snap.Walkers {
				n := Node{Slot: j, Parent: -1, Weight: w.Weight, Start: w.State, State: w.State, Obs: w.Obs, Segment: w.Segment, Region: w.Region}
				if p := w.Parent; p >= 0 && p < len(row.Nodes) {
					n.Parent, n.Start = row.Nodes[p].Parent, row.Nodes[p].Start
					if n.Region == nil {
						n.Region = row.Nodes[p].Region
					}
				}
				next.Nodes = append(next.Nodes, n)
			}
			row.Nodes, next.Nodes = next.Nodes, row.Nodes
			if snap.Op.Tool == "we-step" {
				row.Stepped = true
			}
		default:
			if len(snap.Decisions) == len(row.Nodes) {
				for j, d := range snap.Decisions {
					row.Nodes[j].Decision, row.Nodes[j].Targets = d.Decision, d.Targets
					if len(d.Targets) > 0 {
						row.Nodes[j].Region = snap.Walkers[d.Targets[0]].Region
					}
				}
				row.Resampled = true
			}
			for k := range snap.Warps {
				if w := snap.Warps[k].Walker; w < len(row.Nodes) {
					row.Nodes[w].Warp = &snap.Warps[k]
				}
			}
			next.Cycle = snap.Cycle
			next.Nodes = next.Nodes[:0]
			next.Stepped, next.Resampled = false, false
			for j, w := range snap.Walkers {
				p := w.Parent
				if p < 0 || p >= len(row.Nodes) {
					p = -1
				}
				next.Nodes = append(next.Nodes, Node{Slot: j, Parent: p, Weight: w.Weight, Start: w.State, State: w.State, Obs: w.Obs, Segment: w.Segment, Region: w.Region})
			}
			if err := emit(&row); err != nil {
				return err
			}
			row, next = next, row
		}
	}
	if n == 0 {
		return nil
	}
	return emit(&row)
}
