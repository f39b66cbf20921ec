// Package lineage walks the snapshot graph of a store: the chain of
// parents that is a run's history (ARCHITECTURE.md §3), the runs in a store, the
// warp records along a history, the walker family tree of a history (Tree,
// one row per cycle at a time) and walkers' ancestries (Trace).
package lineage

import (
	"fmt"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Graph is every snapshot of a store, decoded.
type Graph struct {
	Snaps    map[record.Hash]*record.Snapshot
	Children map[record.Hash][]record.Hash
}

// Load decodes every snapshot in the store; it fails on the first one
// that cannot be read. Listings use LoadSound.
func Load(s *store.Store) (*Graph, error) {
	g, bad, err := LoadSound(s)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, bad[0]
	}
	return g, nil
}

// LoadSound decodes every snapshot of the store that can be read. The
// others (corrupt files) are left out of the graph and returned as
// errors, one per snapshot in hash order, so that one damaged object does
// not hide the rest of the store; err is for the store as a whole (its
// snapshot directory cannot be listed).
func LoadSound(s *store.Store) (g *Graph, bad []error, err error) {
	hs, err := s.List(record.KindSnapshot)
	if err != nil {
		return nil, nil, err
	}
	g = &Graph{Snaps: map[record.Hash]*record.Snapshot{}, Children: map[record.Hash][]record.Hash{}}
	for _, h := range hs {
		snap, err := store.LoadAs[*record.Snapshot](s, h)
		if err != nil {
			bad = append(bad, fmt.Errorf("load snapshot %s: %w", h.Short(), err))
			continue
		}
		g.Snaps[h] = snap
	}
	for h, snap := range g.Snaps {
		for _, p := range snap.Parents {
			g.Children[p] = append(g.Children[p], h)
		}
	}
	return g, bad, nil
}

// Run is a chain of snapshots from a start (a snapshot with no parent in
// the store) to an end (a snapshot no complete snapshot descends from).
type Run struct {
	Start, End record.Hash
	// Cycles is the end's cycle minus the start's.
	Cycles uint64
	// Snapshots counts the snapshots on the chain, both ends included.
	Snapshots int
}

// Runs lists the runs of the graph: one per leaf, following first parents
// back to a root, sorted by start then end. Partial snapshots of sharded
// steps are not leaves.
func (g *Graph) Runs() []Run { return summaryOf(g).Runs() }

// ChainLength counts the snapshots on the chain of first parents from end
// back to start, both included; 0 if start is not on end's chain.
func (g *Graph) ChainLength(start, end record.Hash) int {
	return chainLength(start, end, len(g.Snaps), func(h record.Hash) ([]record.Hash, bool) {
		s, ok := g.Snaps[h]
		if !ok {
			return nil, false
		}
		return s.Parents, true
	})
}

// chainLength is ChainLength over parents, which gives a known
// snapshot's parents; a chain longer than n snapshots (a cycle in a
// hostile store) counts as none.
func chainLength(start, end record.Hash, n int, parents func(record.Hash) ([]record.Hash, bool)) int {
	count := 0
	for h := end; ; {
		ps, known := parents(h)
		if !known || count > n {
			return 0
		}
		count++
		if h == start {
			return count
		}
		if len(ps) == 0 {
			return 0
		}
		h = ps[0]
	}
}

// Entry is one snapshot of a history.
type Entry struct {
	Hash record.Hash
	Snap *record.Snapshot
}

// History returns the chain from the first snapshot to h, oldest first,
// following first parents. The chain starts at a snapshot without parents
// or at a shallow snapshot whose parent is not in the store (a history
// imported without its ancestors, store.MarkShallow); any other missing
// parent is an error.
func History(s *store.Store, h record.Hash) ([]Entry, error) {
	var out []Entry
	seen := map[record.Hash]bool{}
	err := walkBack(s, h, func(h record.Hash, snap *record.Snapshot) error {
		if seen[h] {
			return fmt.Errorf("snapshot %s: its parents form a cycle", h.Short())
		}
		seen[h] = true
		out = append(out, Entry{h, snap})
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

// Warps returns every warp record in the history ending at h, oldest first.
func Warps(hist []Entry) []record.Warp {
	var out []record.Warp
	for _, e := range hist {
		out = append(out, e.Snap.Warps...)
	}
	return out
}
