package lineage

import (
	"bytes"
	"sort"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Summary is every snapshot of a store as the snapshot index describes
// it (store.Snapshots, FORMAT.md §1.5): cycle, parents, tool, walkers and
// shard, without decoding a snapshot the index already holds. Listings
// and run discovery use it; walks that use the snapshots themselves read
// them (History).
type Summary struct {
	// Infos are sorted by hash.
	Infos []store.SnapInfo
}

// LoadSummary lists every snapshot of the store through the snapshot
// index (rebuilt as needed). The snapshots that cannot be read are left
// out and returned as errors, as LoadSound does.
func LoadSummary(s *store.Store) (*Summary, []error, error) {
	infos, bad, err := s.Snapshots()
	if err != nil {
		return nil, nil, err
	}
	return &Summary{infos}, bad, nil
}

// Find returns the entry of snapshot h.
func (x *Summary) Find(h record.Hash) (*store.SnapInfo, bool) { return store.FindInfo(x.Infos, h) }

// Runs lists the runs as Graph.Runs does.
func (x *Summary) Runs() []Run {
	n := len(x.Infos)
	index := func(h record.Hash) int { return store.IndexOf(x.Infos, h) }
	fullChild := make([]bool, n)
	for i := range x.Infos {
		if x.Infos[i].Shard != nil {
			continue
		}
		for _, p := range x.Infos[i].Parents {
			if j := index(p); j >= 0 {
				fullChild[j] = true
			}
		}
	}
	var runs []Run
	for i := range x.Infos {
		leaf := &x.Infos[i]
		if leaf.Shard != nil || fullChild[i] {
			continue
		}
		cur, steps := i, 1
		// The bound stops a cycle of first parents, which hashes make
		// impossible among real snapshots but a damaged index could claim.
		for steps <= n {
			ps := x.Infos[cur].Parents
			if len(ps) == 0 {
				break
			}
			j := index(ps[0])
			if j < 0 {
				break
			}
			cur = j
			steps++
		}
		runs = append(runs, Run{Start: x.Infos[cur].Hash, End: leaf.Hash, Cycles: leaf.Cycle - x.Infos[cur].Cycle, Snapshots: steps})
	}
	sort.Slice(runs, func(i, j int) bool {
		if c := bytes.Compare(runs[i].Start[:], runs[j].Start[:]); c != 0 {
			return c < 0
		}
		return bytes.Compare(runs[i].End[:], runs[j].End[:]) < 0
	})
	return runs
}

// ChainLength is Graph.ChainLength.
func (x *Summary) ChainLength(start, end record.Hash) int {
	return chainLength(start, end, len(x.Infos), func(h record.Hash) ([]record.Hash, bool) {
		s, ok := x.Find(h)
		if !ok {
			return nil, false
		}
		return s.Parents, true
	})
}

// summaryOf is the summary of a decoded graph.
func summaryOf(g *Graph) *Summary {
	infos := make([]store.SnapInfo, 0, len(g.Snaps))
	for h, s := range g.Snaps {
		infos = append(infos, store.InfoOf(h, s))
	}
	sort.Slice(infos, func(i, j int) bool { return bytes.Compare(infos[i].Hash[:], infos[j].Hash[:]) < 0 })
	return &Summary{infos}
}
