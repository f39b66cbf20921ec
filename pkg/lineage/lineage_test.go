package lineage

import (
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

func h(b byte) record.Hash { return record.Hash{b} }

func snap(cycle uint64, parents ...record.Hash) *record.Snapshot {
	s := record.NewSnapshot()
	s.Cycle = cycle
	s.Parents = parents
	return s
}

// A root with a chain that branches, a pooled snapshot with two parents,
// and a pair of shard snapshots: runs go from each leaf back along first
// parents; shards are never leaves.
func TestRuns(t *testing.T) {
	g := &Graph{Children: map[record.Hash][]record.Hash{}, Snaps: map[record.Hash]*record.Snapshot{
		h(1): snap(0),
		h(2): snap(0, h(1)),
		h(3): snap(1, h(2)),
		h(4): snap(1, h(2)), // branch: another resampling of h(2)
		h(5): snap(1, h(3)), // step of h(3) …
		h(6): snap(1, h(3)), // … whose shards are h(6), h(7)
		h(7): snap(1, h(3)),
		h(8): snap(0),
		h(9): snap(1, h(4), h(8)), // pools h(4) with another root
	}}
	g.Snaps[h(6)].Shard = &record.Shard{Index: 0, Count: 2, Total: 4}
	g.Snaps[h(7)].Shard = &record.Shard{Index: 1, Count: 2, Total: 4}
	for hh, s := range g.Snaps {
		for _, p := range s.Parents {
			g.Children[p] = append(g.Children[p], hh)
		}
	}
	runs := g.Runs()
	want := map[record.Hash]Run{
		h(5): {Start: h(1), End: h(5), Cycles: 1, Snapshots: 4},
		h(9): {Start: h(1), End: h(9), Cycles: 1, Snapshots: 4},
	}
	if len(runs) != len(want) {
		t.Fatalf("runs %+v, want %d", runs, len(want))
	}
	for _, r := range runs {
		if w, ok := want[r.End]; !ok || r != w {
			t.Errorf("run %+v, want %+v", r, w)
		}
	}
	// Chains follow first parents: the pooled h(9) reaches h(1) through
	// h(4), never its second parent's root h(8); a snapshot off the chain
	// gives 0.
	sum := summaryOf(g)
	for _, c := range []struct {
		start, end record.Hash
		n          int
	}{
		{h(1), h(9), 4}, {h(8), h(9), 0}, {h(4), h(9), 2}, {h(2), h(5), 3}, {h(4), h(5), 0}, {h(5), h(5), 1},
	} {
		if got := g.ChainLength(c.start, c.end); got != c.n {
			t.Errorf("graph: chain from %x to %x: %d snapshots, want %d", c.start[0], c.end[0], got, c.n)
		}
		if got := sum.ChainLength(c.start, c.end); got != c.n {
			t.Errorf("summary: chain from %x to %x: %d snapshots, want %d", c.start[0], c.end[0], got, c.n)
		}
	}
}

func TestWarps(t *testing.T) {
	a, b := snap(0), snap(1)
	a.Warps = []record.Warp{{Cycle: 0, Walker: 1, Weight: 0.5}}
	b.Warps = []record.Warp{{Cycle: 1, Walker: 0, Weight: 0.25}, {Cycle: 1, Walker: 3, Weight: 0.125}}
	got := Warps([]Entry{{h(1), a}, {h(2), b}})
	if len(got) != 3 || got[0].Cycle != 0 || got[2].Walker != 3 {
		t.Errorf("Warps = %+v", got)
	}
}
