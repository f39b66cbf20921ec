package lineage

import (
	"fmt"
	"sort"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Point is one state of a walker's lineage: where the lineage starts, or
// the end of one cycle's dynamics.
type Point struct {
	// Index is the snapshot's position in the chain; Slot the walker's
	// slot in it.
	Index, Slot int
	Cycle       uint64
	// Origin marks the state a lineage starts from (an initial state, the
	// state a warp returned the walker to, or the first state the history
	// holds); otherwise the point is the state after a we-step, with the
	// step's intermediate frames in Segment when it recorded them.
	Origin  bool
	State   record.Hash
	Segment *record.Hash
	Weight  float64
}

// Start names a walker to trace back: slot Slot of the chain's snapshot
// Index.
type Start struct{ Index, Slot int }

// Lineage is one walker's ancestry, oldest point first. Lineages that
// share ancestors share those points (the same *Point).
type Lineage struct {
	Start  Start
	Points []*Point
	// From says where the lineage begins: "init" (a snapshot without
	// parents: the run's first walkers), "warp" (a warp returned an
	// ancestor to an initial state: the lineage begins there, the
	// ancestor's path is another lineage), "pool" (the ancestor joined
	// from another ensemble in a pooling merge) or "history" (the first
	// snapshot of a history imported without its ancestors).
	From string
}

// Trace follows walkers back through the history chain (oldest first, as
// Chain returns it) to where each lineage begins (see Lineage.From), the
// way wepy's ancestors() and WESTPA's w_trace follow parent indices
// (FORMAT.md §5.3): walker j of a snapshot continues walker
// walkers[j].parent of its first parent, and a resampling whose warps
// include that parent walker ends the lineage at the initial state the
// warp gave it. Every snapshot from the latest start back to the oldest
// point needed is loaded once, whatever the number of lineages. Lineages
// that meet in a common ancestor go on as one from there: memory grows
// with the distinct walkers visited (and a pointer per lineage and
// point), not with the lineages times the cycles.
func Trace(s *store.Store, chain []record.Hash, starts []Start) ([]Lineage, error) {
	out := make([]Lineage, len(starts))
	// A cursor is a walker being followed back, with every lineage that
	// passes through it.
	type cursor struct {
		slot int
		lins []int
		// fallback is the state the walker had in the later snapshot,
		// the origin when its parent index leaves the first parent's
		// ensemble (a pooled walker).
		fallback record.Hash
		weight   float64
		cycle    uint64
		moved    bool // followed a parent index from a later snapshot
	}
	type key struct {
		slot     int
		fallback record.Hash
	}
	order := make([]int, len(starts))
	for i := range order {
		out[i].Start = starts[i]
		order[i] = i
		if starts[i].Index < 0 || starts[i].Index >= len(chain) {
			return nil, fmt.Errorf("trace: start %d is not in the history of %d snapshots", starts[i].Index, len(chain))
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return starts[order[a]].Index > starts[order[b]].Index })
	var active []*cursor
	byKey := map[key]*cursor{}
	add := func(lins []int, p *Point) {
		for _, l := range lins {
			out[l].Points = append(out[l].Points, p)
		}
	}
	end := func(lins []int, from string) {
		for _, l := range lins {
			out[l].From = from
		}
	}
	next := 0
	for i := len(chain) - 1; i >= 0 && (len(active) > 0 || next < len(order)); i-- {
		// Cursors that reached the same walker are one from here on.
		clear(byKey)
		merged := active[:0]
		for _, c := range active {
			if d, ok := byKey[key{c.slot, c.fallback}]; ok {
				d.lins = append(d.lins, c.lins...)
				continue
			}
			byKey[key{c.slot, c.fallback}] = c
			merged = append(merged, c)
		}
		active = merged
		for next < len(order) && starts[order[next]].Index == i {
			l := order[next]
			next++
			// A start on a walker already followed joins it (the
			// callers' starts name existing slots).
			joined := false
			for _, c := range active {
				if c.slot == starts[l].Slot {
					c.lins, joined = append(c.lins, l), true
					break
				}
			}
			if !joined {
				active = append(active, &cursor{slot: starts[l].Slot, lins: []int{l}})
			}
		}
		if len(active) == 0 {
			continue
		}
		snap, err := store.LoadAs[*record.Snapshot](s, chain[i])
		if err != nil {
			return nil, fmt.Errorf("load snapshot %s: %w", chain[i].Short(), err)
		}
		stepped := snap.Op.Tool == "we-step"
		first := i == 0
		keep := active[:0]
		for _, c := range active {
			if c.slot < 0 || c.slot >= len(snap.Walkers) {
				if !c.moved {
					return nil, fmt.Errorf("trace: snapshot %s has %d walkers, no slot %d", chain[i].Short(), len(snap.Walkers), c.slot)
				}
				// A walker pooled in from another ensemble: its lineage
				// begins with the state it joined with.
				add(c.lins, &Point{Index: i + 1, Slot: -1, Cycle: c.cycle, Origin: true, State: c.fallback, Weight: c.weight})
				end(c.lins, "pool")
				continue
			}
			w := snap.Walkers[c.slot]
			if stepped {
				add(c.lins, &Point{Index: i, Slot: c.slot, Cycle: snap.Cycle, State: w.State, Segment: w.Segment, Weight: w.Weight})
			}
			origin := func(from string) {
				add(c.lins, &Point{Index: i, Slot: c.slot, Cycle: snap.Cycle, Origin: true, State: w.State, Weight: w.Weight})
				end(c.lins, from)
			}
			p := w.Parent
			switch {
			case len(snap.Parents) == 0:
				origin("init")
			case first && stepped:
				end(c.lins, "history") // the step's start is not in the history
			case first:
				origin("history")
			case p < 0:
				origin("pool")
			case warped(snap, p):
				origin("warp")
			default:
				c.slot, c.fallback, c.weight, c.cycle, c.moved = p, w.State, w.Weight, snap.Cycle, true
				keep = append(keep, c)
			}
		}
		active = keep
	}
	for i := range out {
		p := out[i].Points
		for a, b := 0, len(p)-1; a < b; a, b = a+1, b-1 {
			p[a], p[b] = p[b], p[a]
		}
	}
	return out, nil
}

// warped reports whether parent walker p was warped before snap's
// resampling (snap.Warps is sorted by walker).
func warped(snap *record.Snapshot, p int) bool {
	k := sort.Search(len(snap.Warps), func(k int) bool { return snap.Warps[k].Walker >= p })
	return k < len(snap.Warps) && snap.Warps[k].Walker == p
}
