package exec_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/wepipe/wepipe/internal/needs"
	"github.com/wepipe/wepipe/pkg/potential"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/step"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

// repoFile is a file of the repository, from this package's directory.
func repoFile(t *testing.T, rel string) string {
	p, err := filepath.Abs(filepath.Join("..", "..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLAMMPSFluid: the LJ fluid run by LAMMPS in per-segment mode
// (scripts/engines/lammps_lj.py: GJF Langevin, velocity Verlet) samples
// the potential-energy distribution of the built-in engine (BAOAB).
//
// 108 argon atoms at ρσ³ = 0.8, 120 K (T* = 1.0, a liquid), 16 walkers
// equilibrated from the lattice for 10 ps by the built-in engine; then each
// engine runs the same 16 states for 2 × 10 ps with a frame every 1 ps, and
// the potential energy of every frame is computed by the built-in lj-cut
// (so both are measured by one function, and LAMMPS's unit conversions are
// tested by the configurations it produces): n = 320 per engine. Frames
// 1 ps apart are nearly independent: the energy's autocorrelation is
// 0.5 at 0.1 ps, 0.25 at 0.5 ps and 0.0–0.25 at 1 ps, an integrated
// correlation time of 0.25–0.55 ps (measured on 4 built-in walkers × 40 ps).
// Two-sample KS at α = 0.001: D ≤ 1.949·sqrt(2/320) = 0.154; variance
// ratio within exp(±3.29·sqrt(2/319)) = [0.77, 1.30]. LAMMPS's own epot of
// each final state must equal the built-in energy of its positions to
// 1e-6 relative (its dump has 17 digits; only the order of sums differs).
func TestLAMMPSFluid(t *testing.T) {
	needs.Program(t, "lmp", "lammps")
	needs.Modules(t, "python3-cbor2", "cbor2")
	t.Setenv("WE_SCRATCH", t.TempDir())
	script := repoFile(t, "scripts/engines/lammps_lj.py")
	const walkers, cycles, steps, frames = 16, 2, 5000, 10
	sets := []string{"n=108"}

	builtin, err := system.Builtins["lj-fluid"].Build(sets)
	if err != nil {
		t.Fatal(err)
	}
	st, in := initSystem(t, builtin, walkers)
	eq, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 5000, Workers: 2, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := walkerStates(t, st, eq)

	lmp, err := system.Builtins["lj-fluid"].Build(sets)
	if err != nil {
		t.Fatal(err)
	}
	lmp.System.Engine = "exec"
	lmp.System.Exec = &record.Exec{Command: []string{"/usr/bin/python3", script}, Mode: record.ModeSegment, Timeout: 120}
	term := builtin.System.Potential[0]
	pot, err := potential.New([]potential.Term{{Type: term.Type, Params: term.Params}}, builtin.System.NAtoms(), builtin.System.Box)
	if err != nil {
		t.Fatal(err)
	}
	energy := func(x []float64) float64 { return pot.Compute(x, make([]float64, len(x))) }

	sample := func(sys *record.System) []float64 {
		sh, err := st.Put(sys)
		if err != nil {
			t.Fatal(err)
		}
		snap := record.NewSnapshot()
		snap.System = sh
		snap.Op = record.Op{Tool: "test", Version: "1"}
		for _, s := range start {
			snap.Walkers = append(snap.Walkers, record.Walker{State: s, Weight: 1.0 / walkers, Parent: -1})
		}
		h, err := st.Put(snap)
		if err != nil {
			t.Fatal(err)
		}
		var us []float64
		for range cycles {
			if h, err = step.Snapshot(context.Background(), st, h, step.Options{Steps: steps, Frames: frames, Workers: 2, Shards: 1}); err != nil {
				t.Fatal(err)
			}
			for _, w := range load[*record.Snapshot](t, st, h).Walkers {
				seg := load[*record.Segment](t, st, *w.Segment)
				n := seg.Positions.Shape[1]
				for k := range seg.Steps {
					us = append(us, energy(seg.Positions.Data[3*n*k:3*n*(k+1)]))
				}
				s := load[*record.State](t, st, w.State)
				if u := energy(s.Positions.Data); math.Abs(s.Potential-u) > 1e-6*math.Abs(u) {
					t.Errorf("walker state %s: the engine's epot %v, the built-in energy of its positions %v", w.State.Short(), s.Potential, u)
				}
			}
		}
		sort.Float64s(us)
		return us
	}
	ub := sample(builtin.System)
	ul := sample(lmp.System)
	n := float64(len(ul))
	if len(ub) != len(ul) || len(ul) != walkers*cycles*frames {
		t.Fatalf("%d and %d samples", len(ub), len(ul))
	}
	d := stat.KolmogorovSmirnov(ub, nil, ul, nil)
	if crit := 1.949 * math.Sqrt(2/n); d > crit {
		t.Errorf("two-sample KS D = %.4f > %.4f (α = 0.001)", d, crit)
	}
	vb, vl := stat.Variance(ub, nil), stat.Variance(ul, nil)
	if r := vl / vb; r < 0.77 || r > 1.30 {
		t.Errorf("variance ratio LAMMPS/built-in %.3f outside [0.77, 1.30]", r)
	}
	t.Logf("n = %d per engine: mean epot %.2f / %.2f kJ/mol, sd %.2f / %.2f, KS D %.4f", len(ul),
		stat.Mean(ub, nil), stat.Mean(ul, nil), math.Sqrt(vb), math.Sqrt(vl), d)
	checkStore(t, st)
}

// TestPythonExample: scripts/engines/example_engine.py speaks the worker
// protocol: the same walkers give the same states on one worker and on
// two (its noise comes from the walkers' seeds), the pair stays in its
// well, its energies are the built-in potential's, and what it refuses
// (frames) is an error naming the walker.
func TestPythonExample(t *testing.T) {
	needs.Modules(t, "python3-cbor2", "cbor2")
	cmd := []string{"/usr/bin/python3", repoFile(t, "scripts/engines/example_engine.py")}
	var want []record.Hash
	for _, workers := range []int{1, 2} {
		st, in := initExec(t, "lj-pair", 4, cmd, "", 60)
		h, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 500, Workers: workers, Shards: 1})
		if err != nil {
			t.Fatal(err)
		}
		got := walkerStates(t, st, h)
		if want == nil {
			want = got
			for i, sh := range got {
				s := load[*record.State](t, st, sh)
				r := s.Obs["r"]
				x := s.Positions.Data
				u := potentialOf(t, st, h).Compute(x, make([]float64, len(x)))
				if r < 0.3 || r > 0.5 || math.Abs(s.Potential-u) > 1e-9*math.Abs(u) || s.Step != 500 {
					t.Errorf("walker %d: r %v, epot %v (built-in %v), step %d", i, r, s.Potential, u, s.Step)
				}
			}
			if got[0] == got[1] {
				t.Error("two walkers have the same state")
			}
		} else if !slices.Equal(got, want) {
			t.Errorf("%d workers: states %v, one worker %v", workers, got, want)
		}
	}
	st, in := initExec(t, "lj-pair", 2, cmd, "", 60)
	_, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 10, Frames: 2, Workers: 1, Shards: 1})
	if err == nil || !strings.Contains(err.Error(), "walker 0: the engine failed: this example returns no frames") {
		t.Errorf("error %v", err)
	}
}

// potentialOf is the built-in potential of snapshot h's system.
func potentialOf(t *testing.T, st *store.Store, h record.Hash) potential.Potential {
	sys := load[*record.System](t, st, load[*record.Snapshot](t, st, h).System)
	var terms []potential.Term
	for _, x := range sys.Potential {
		terms = append(terms, potential.Term{Type: x.Type, Params: x.Params, Atoms: x.Atoms})
	}
	p, err := potential.New(terms, sys.NAtoms(), sys.Box)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
