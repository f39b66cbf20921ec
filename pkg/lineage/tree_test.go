package lineage

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// run is a synthetic history written by fakeRun: the snapshots of each
// cycle and, as ground truth, the parent of every walker of every cycle
// and which walkers were warped.
type run struct {
	chain   []record.Hash
	parents [][]int  // parents[c][j]: slot in cycle c−1 of walker j of cycle c
	decided [][]int  // decided[c][i]: decision of walker i at the end of cycle c
	warps   [][]bool // warps[c][i]: walker i was warped at the end of cycle c
	weights [][]float64
}

var initialState = func() *record.State {
	s := record.NewState()
	s.Positions = codec.NewArray([]float64{0, 0, 0, 0.4, 0, 0}, 2, 3)
	s.Velocities = codec.NewArray(make([]float64, 6), 2, 3)
	s.Obs = map[string]float64{"r": 0.4}
	return s
}()

// fakeRun writes a history of cycles cycles of n walkers: we-init, then per
// cycle a we-step (every walker a new state; every other cycle with a
// segment) and a resampling drawn by t: random pairs merge (the first
// survives), as many walkers clone into the freed slots, and random
// walkers are warped to the initial state first.
func fakeRun(t *rapid.T, st *store.Store, cycles, n int) run {
	ini, err := st.Put(initialState)
	if err != nil {
		t.Fatal(err)
	}
	sys := record.NewSystem()
	sys.Name, sys.Engine = "fake", "langevin"
	sys.Particles = record.Particles{Masses: codec.NewArray([]float64{1, 1}, 2), Names: []string{"A", "B"}}
	sys.Integrator = record.Integrator{Name: "baoab", Temperature: 300, Friction: 1, Timestep: 0.002}
	sys.Obs = []record.Observable{{Name: "r", Type: "distance", Atoms: []int{0, 1}}}
	sys.Initial = []record.Initial{{State: ini, Weight: 1}}
	sh, err := st.Put(sys)
	if err != nil {
		t.Fatal(err)
	}
	var r run
	snap := record.NewSnapshot()
	snap.System = sh
	snap.Op = record.Op{Tool: "we-init", Version: "1"}
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
		snap.Walkers = append(snap.Walkers, record.Walker{State: ini, Weight: w[i], Parent: -1, Obs: initialState.Obs})
	}
	put := func(s *record.Snapshot) record.Hash {
		h, err := st.Put(s)
		if err != nil {
			t.Fatal(err)
		}
		r.chain = append(r.chain, h)
		return h
	}
	h := put(snap)
	r.parents = append(r.parents, make([]int, n))
	r.weights = append(r.weights, append([]float64(nil), w...))
	for i := range r.parents[0] {
		r.parents[0][i] = -1
	}
	for c := 0; c < cycles; c++ {
		// we-step: a new state per walker.
		step := record.NewSnapshot()
		step.Cycle, step.System, step.Parents = uint64(c), sh, []record.Hash{h}
		step.Op = record.Op{Tool: "we-step", Version: "1"}
		for i, wk := range snap.Walkers {
			s := record.NewState()
			x := float64(c*n+i+1) * 1e-3
			s.Positions = codec.NewArray([]float64{0, 0, 0, x, 0, 0}, 2, 3)
			s.Velocities = codec.NewArray(make([]float64, 6), 2, 3)
			s.Step, s.Time = uint64(c+1)*10, float64(c+1)*0.02
			s.Obs = map[string]float64{"r": x}
			sth, err := st.Put(s)
			if err != nil {
				t.Fatal(err)
			}
			nw := record.Walker{State: sth, Weight: wk.Weight, Parent: i, Obs: s.Obs}
			if c%2 == 1 {
				seg := record.NewSegment()
				seg.Positions = codec.NewArray([]float64{0, 0, 0, x / 2, 0, 0, 0, 0, 0, x, 0, 0}, 2, 2, 3)
				seg.Steps, seg.Times = []uint64{s.Step - 5, s.Step}, []float64{s.Time - 0.01, s.Time}
				seg.Obs = map[string][]float64{"r": {x / 2, x}}
				gh, err := st.Put(seg)
				if err != nil {
					t.Fatal(err)
				}
				nw.Segment = &gh
			}
			step.Walkers = append(step.Walkers, nw)
		}
		h = put(step)
		// Warps, then merges and clones.
		res := record.NewSnapshot()
		res.Cycle, res.System, res.Parents = uint64(c+1), sh, []record.Hash{h}
		res.Op = record.Op{Tool: "we-resample", Version: "1"}
		states := make([]record.Hash, n)
		obs := make([]map[string]float64, n)
		warped := make([]bool, n)
		for i, wk := range step.Walkers {
			states[i], obs[i] = wk.State, wk.Obs
			if rapid.IntRange(0, 9).Draw(t, "warp") == 0 {
				warped[i] = true
				states[i], obs[i] = ini, initialState.Obs
				res.Warps = append(res.Warps, record.Warp{Cycle: uint64(c), Walker: i, Weight: w[i], Target: 0, Cond: "r>=1"})
			}
		}
		perm := rapid.Permutation(seq(n)).Draw(t, "perm")
		pairs := rapid.IntRange(0, n/3).Draw(t, "pairs")
		dec := make([]record.Decision, n)
		parent := make([]int, n)
		nw := make([]float64, n)
		for i := range dec {
			dec[i] = record.Decision{Decision: 1, Targets: []int{i}}
			parent[i], nw[i] = i, w[i]
		}
		for k := 0; k < pairs; k++ {
			a, b, cl := perm[3*k], perm[3*k+1], perm[3*k+2]
			dec[a] = record.Decision{Decision: 4, Targets: []int{a}}
			dec[b] = record.Decision{Decision: 3, Targets: []int{a}}
			nw[a] = w[a] + w[b]
			dec[cl] = record.Decision{Decision: 2, Targets: []int{cl, b}}
			parent[b] = cl
			nw[cl], nw[b] = w[cl]/2, w[cl]/2
		}
		r.decided = append(r.decided, make([]int, n))
		for i, d := range dec {
			r.decided[c][i] = int(d.Decision)
		}
		r.warps = append(r.warps, warped)
		res.Decisions = dec
		for j := 0; j < n; j++ {
			res.Walkers = append(res.Walkers, record.Walker{State: states[parent[j]], Weight: nw[j], Parent: parent[j], Obs: obs[parent[j]], Region: []int{j % 2}})
		}
		h = put(res)
		snap = res
		w = nw
		r.parents = append(r.parents, parent)
		r.weights = append(r.weights, append([]float64(nil), w...))
	}
	return r
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// fastDir is a directory for the tests' stores: on a tmpfs where there
// is one, since every object written is fsynced.
func fastDir(t *testing.T) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "wepipe-lineage-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func tempStore(t *rapid.T, dir string) *store.Store {
	st, err := store.Create(filepath.Join(dir, rapid.StringMatching(`[a-z]{12}`).Draw(t, "dir")))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The tree of a history: one row per cycle, the row's weights sum to 1,
// every walker after the first row has exactly one parent, the one the
// resampling records name, and each walker's decision, warp and number of
// children agree with the records (a squashed walker has none).
func TestTree(t *testing.T) {
	dir := fastDir(t)
	rapid.Check(t, func(t *rapid.T) {
		st := tempStore(t, dir)
		cycles, n := rapid.IntRange(0, 6).Draw(t, "cycles"), rapid.IntRange(1, 9).Draw(t, "walkers")
		r := fakeRun(t, st, cycles, n)
		chain, err := Chain(st, r.chain[len(r.chain)-1])
		if err != nil {
			t.Fatal(err)
		}
		if len(chain) != len(r.chain) || chain[0] != r.chain[0] {
			t.Fatalf("chain of %d snapshots, want %d", len(chain), len(r.chain))
		}
		var rows []Row
		err = Tree(st, chain, func(row *Row) error {
			cp := *row
			cp.Nodes = append([]Node(nil), row.Nodes...)
			rows = append(rows, cp)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != cycles+1 {
			t.Fatalf("%d rows for %d cycles", len(rows), cycles)
		}
		for c, row := range rows {
			if row.Cycle != uint64(c) || len(row.Nodes) != n {
				t.Fatalf("row %d: cycle %d, %d nodes", c, row.Cycle, len(row.Nodes))
			}
			var sum float64
			children := make([]int, n)
			for j, nd := range row.Nodes {
				sum += nd.Weight
				if nd.Slot != j || nd.Parent != r.parents[c][j] || nd.Weight != r.weights[c][j] {
					t.Fatalf("cycle %d walker %d: %+v, want parent %d weight %v", c, j, nd, r.parents[c][j], r.weights[c][j])
				}
				if c < len(rows)-1 {
					if int(nd.Decision) != r.decided[c][j] || (nd.Warp != nil) != r.warps[c][j] || !row.Resampled {
						t.Fatalf("cycle %d walker %d: decision %d warp %v, want %d %v", c, j, nd.Decision, nd.Warp, r.decided[c][j], r.warps[c][j])
					}
					if nd.State == nd.Start {
						t.Fatalf("cycle %d walker %d: not stepped", c, j)
					}
				} else if nd.Decision != 0 || row.Resampled {
					t.Fatalf("last row resampled")
				}
				if c > 0 {
					if nd.Parent < 0 || nd.Parent >= n {
						t.Fatalf("cycle %d walker %d: parent %d", c, j, nd.Parent)
					}
				}
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Fatalf("cycle %d: weights sum to %v", c, sum)
			}
			if c+1 < len(rows) {
				for _, nd := range rows[c+1].Nodes {
					children[nd.Parent]++
				}
				for j, nd := range row.Nodes {
					want := map[uint8]int{1: 1, 2: len(nd.Targets), 3: 0, 4: 1}[nd.Decision]
					if children[j] != want {
						t.Fatalf("cycle %d walker %d (decision %d): %d children, want %d", c, j, nd.Decision, children[j], want)
					}
				}
			}
		}
	})
}

// Trace follows each walker of the last snapshot back to cycle 0 or to the
// warp that began its lineage, exactly as the ground truth's parents say;
// its points are the origin then one per cycle's dynamics, shared with
// every other lineage through the same walkers.
func TestTrace(t *testing.T) {
	dir := fastDir(t)
	rapid.Check(t, func(t *rapid.T) {
		st := tempStore(t, dir)
		cycles, n := rapid.IntRange(0, 6).Draw(t, "cycles"), rapid.IntRange(1, 6).Draw(t, "walkers")
		r := fakeRun(t, st, cycles, n)
		last := len(r.chain) - 1
		var starts []Start
		for j := 0; j < n; j++ {
			starts = append(starts, Start{last, j})
		}
		// And the walker of every warp, from the step snapshot before it.
		for c := range r.warps {
			for i, wp := range r.warps[c] {
				if wp {
					starts = append(starts, Start{1 + 2*c, i})
				}
			}
		}
		lins, err := Trace(st, r.chain, starts)
		if err != nil {
			t.Fatal(err)
		}
		// Lineages that meet share their points from there back.
		seen := map[[2]int]*Point{}
		for _, lin := range lins {
			for _, p := range lin.Points {
				if q, ok := seen[[2]int{p.Index, p.Slot}]; ok && q != p {
					t.Fatalf("two copies of the point of snapshot %d slot %d", p.Index, p.Slot)
				}
				seen[[2]int{p.Index, p.Slot}] = p
			}
		}
		for k, lin := range lins {
			// Ground truth: walk the parents back from the start.
			var want []int // slots, newest first, of the stepped cycles
			from, sc, slot := "init", -1, starts[k].Slot
			switch idx := starts[k].Index; {
			case idx%2 == 1:
				sc = (idx - 1) / 2
			case idx > 0:
				c := idx / 2
				p := r.parents[c][slot]
				if r.warps[c-1][p] {
					from = "warp"
				} else {
					sc, slot = c-1, p
				}
			}
			for cc := sc; cc >= 0; cc-- {
				want = append(want, slot)
				if cc == 0 {
					break
				}
				p := r.parents[cc][slot]
				if r.warps[cc-1][p] {
					from = "warp"
					break
				}
				slot = p
			}
			if lin.From != from {
				t.Fatalf("lineage %d from %q, want %q", k, lin.From, from)
			}
			pts := lin.Points
			if len(pts) != len(want)+1 || !pts[0].Origin {
				t.Fatalf("lineage %d: %d points, want origin + %d", k, len(pts), len(want))
			}
			for i, p := range pts[1:] {
				if p.Origin || p.Slot != want[len(want)-1-i] {
					t.Fatalf("lineage %d point %d: %+v, want slot %d", k, i, p, want[len(want)-1-i])
				}
				if i > 0 && p.Cycle != pts[i].Cycle+1 || (p.Segment != nil) != (p.Cycle%2 == 1) {
					t.Fatalf("lineage %d point %d: cycle %d after %d, segment %v", k, i, p.Cycle, pts[i].Cycle, p.Segment)
				}
			}
		}
	})
}
