package openmm_test

import (
	"context"
	"math"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/wepipe/wepipe/internal/needs"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/engine/openmm"
	"github.com/wepipe/wepipe/pkg/potential"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/step"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

var (
	haveOnce sync.Once
	haveErr  error
)

// needOpenMM requires a Python that imports OpenMM and cbor2 (checked
// once; internal/needs: a failure in CI, a skip elsewhere).
func needOpenMM(t *testing.T) {
	t.Helper()
	haveOnce.Do(func() {
		out, err := osexec.Command(openmm.Python(), "-c", "import openmm, cbor2, numpy").CombinedOutput()
		if err != nil {
			haveErr = err
			if len(out) > 0 {
				haveErr = &exitErr{err, strings.TrimSpace(string(out))}
			}
		}
	})
	if haveErr != nil {
		needs.Missing(t, openmm.Python()+" with OpenMM, cbor2 and numpy", "python3-simtk libopenmm-plugins python3-cbor2", haveErr)
	}
	// The Reference platform: double precision throughout, deterministic,
	// and for a few atoms the fastest.
	t.Setenv("WE_OPENMM_PLATFORM", "Reference")
}

type exitErr struct {
	err error
	out string
}

func (e *exitErr) Error() string { return e.err.Error() + ": " + e.out }

// build returns built-in system name with --set settings, run by OpenMM
// when mm is true.
func build(t *testing.T, name string, sets []string, mm bool) *system.Built {
	t.Helper()
	b, err := system.Builtins[name].Build(sets)
	if err != nil {
		t.Fatal(err)
	}
	if mm {
		if err := openmm.Translate(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// initStore stores built and an initial snapshot of n walkers.
func initStore(t *testing.T, built *system.Built, n int) (*store.Store, record.Hash) {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	s0, err := st.Put(built.States[0])
	if err != nil {
		t.Fatal(err)
	}
	sh, err := st.Put(built.System)
	if err != nil {
		t.Fatal(err)
	}
	snap := record.NewSnapshot()
	snap.System = sh
	snap.Op = record.Op{Tool: "test", Version: "1"}
	for range n {
		snap.Walkers = append(snap.Walkers, record.Walker{State: s0, Weight: 1 / float64(n), Parent: -1, Obs: built.States[0].Obs})
	}
	in, err := st.Put(snap)
	if err != nil {
		t.Fatal(err)
	}
	return st, in
}

// TestEnergies: each translated potential term gives OpenMM the energy
// the built-in potential gives, at the initial state and at displaced
// positions (Reference platform, double precision: agreement to 1e-9
// relative, which leaves room for the different order of the sums).
func TestEnergies(t *testing.T) {
	needOpenMM(t)
	for _, c := range []struct {
		name string
		sets []string
	}{
		{"lj-pair", nil},
		{"double-well", nil},
		{"muller-brown", nil},
		{"lj-fluid", []string{"n=108", "density=0.7", "cutoff=2.2"}},
	} {
		b := build(t, c.name, c.sets, true)
		comp, err := system.Compile(b.System)
		if err != nil {
			t.Fatal(err)
		}
		terms := make([]potential.Term, len(b.System.Potential))
		for i, x := range b.System.Potential {
			terms[i] = potential.Term{Type: x.Type, Params: x.Params, Atoms: x.Atoms}
		}
		pot, err := potential.New(terms, b.System.NAtoms(), b.System.Box)
		if err != nil {
			t.Fatal(err)
		}
		w, err := openmm.Engine{}.Start(context.Background(), comp.Engine, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := rng.New([32]byte{9})
		in := comp.EngineState(b.States[0])
		for k := range 3 {
			x := append([]float64(nil), in.Positions...)
			if k > 0 {
				for i := range x {
					x[i] += 0.01 * r.Normal()
				}
			}
			want := pot.Compute(x, make([]float64, len(x)))
			out, _, err := w.Propagate(context.Background(), engine.State{Positions: x, Box: in.Box}, engine.Request{Rand: r})
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Potential; math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%s %v, positions %d: OpenMM %v, built-in %v kJ/mol", c.name, c.sets, k, got, want)
			}
		}
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	}
}

// TestDeterministic: OpenMM reseeded per walker from the walker's stream
// gives the same hashes for any number of workers.
func TestDeterministic(t *testing.T) {
	needOpenMM(t)
	b := build(t, "lj-pair", nil, true)
	var want record.Hash
	for _, workers := range []int{1, 2} {
		st, in := initStore(t, b, 4)
		h, err := step.Snapshot(context.Background(), st, in, step.Options{Steps: 200, Frames: 2, Workers: workers, Shards: 1})
		if err != nil {
			t.Fatal(err)
		}
		if workers == 1 {
			want = h
		} else if h != want {
			t.Fatalf("%d workers: %s, one worker %s", workers, h.Short(), want.Short())
		}
	}
}

// sampleR runs walkers walkers of b for cycles steps of steps each, with
// frames frames each, and returns the distance r at every frame but those
// of the first discard steps (equilibration). Frames 2 ps (1000 steps)
// apart are farther apart than r's correlation time in the well, so the
// samples are nearly independent.
func sampleR(t *testing.T, b *system.Built, walkers, cycles, discard, steps, frames int) []float64 {
	st, h := initStore(t, b, walkers)
	var rs []float64
	for c := range cycles {
		var err error
		h, err = step.Snapshot(context.Background(), st, h, step.Options{Steps: steps, Frames: frames, Workers: 2, Shards: 1})
		if err != nil {
			t.Fatal(err)
		}
		if c < discard {
			continue
		}
		snap, err := store.LoadAs[*record.Snapshot](st, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range snap.Walkers {
			seg, err := store.LoadAs[*record.Segment](st, *w.Segment)
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, seg.Obs["r"]...)
		}
	}
	sort.Float64s(rs)
	return rs
}

// pairCDF is the exact distribution of r in the bound well of the
// lj-pair, density ∝ r² exp(−U(r)/kT) on [lo, hi] (the pair never leaves
// the 16.8 kT well in these runs), integrated by the trapezoid rule on a
// fine grid.
func pairCDF(sigma, eps, kT, lo, hi float64) func(float64) float64 {
	const m = 20000
	h := (hi - lo) / m
	cum := make([]float64, m+1)
	f := func(r float64) float64 {
		s6 := math.Pow(sigma/r, 6)
		return r * r * math.Exp(-4*eps*(s6*s6-s6)/kT)
	}
	for i := 1; i <= m; i++ {
		cum[i] = cum[i-1] + h*(f(lo+float64(i-1)*h)+f(lo+float64(i)*h))/2
	}
	return func(r float64) float64 {
		if r <= lo {
			return 0
		}
		if r >= hi {
			return 1
		}
		x := (r - lo) / h
		i := int(x)
		return (cum[i] + (x-float64(i))*(cum[i+1]-cum[i])) / cum[m]
	}
}

// ksOne is the one-sample Kolmogorov–Smirnov statistic of sorted x against
// cdf.
func ksOne(x []float64, cdf func(float64) float64) float64 {
	var d float64
	n := float64(len(x))
	for i, v := range x {
		c := cdf(v)
		d = math.Max(d, math.Max(float64(i+1)/n-c, c-float64(i)/n))
	}
	return d
}

// TestPairDistribution: the LJ pair through OpenMM (LangevinMiddleIntegrator)
// and through the built-in BAOAB engine sample the same distance
// distribution in the bound well, r² exp(−U(r)/kT).
//
// n = 64 walkers × 2 steps of 20 ps × 5 frames 4 ps apart, after one step
// of equilibration, = 640 samples per engine. Two-sample KS: the critical
// D at α = 0.001 is 1.949·sqrt(2/640) = 0.109. One-sample KS of each
// against the exact distribution: 1.949/sqrt(640) = 0.077. Variance ratio:
// for normal-ish samples ln(s₁²/s₂²) has standard deviation sqrt(2/639) =
// 0.056, so the ratio lies within exp(±3.29·0.056) = [0.83, 1.20] with
// 99.9 % probability. Both engines are deterministic (the built-in
// everywhere, OpenMM's Reference platform here), so the outcome is fixed.
func TestPairDistribution(t *testing.T) {
	needOpenMM(t)
	const walkers, cycles, discard, steps, frames = 64, 3, 1, 10000, 5
	builtin := sampleR(t, build(t, "lj-pair", nil, false), walkers, cycles, discard, steps, frames)
	mm := sampleR(t, build(t, "lj-pair", nil, true), walkers, cycles, discard, steps, frames)
	n := float64(len(mm))
	if len(builtin) != len(mm) || len(mm) != walkers*(cycles-discard)*frames {
		t.Fatalf("%d and %d samples", len(builtin), len(mm))
	}
	d2 := stat.KolmogorovSmirnov(builtin, nil, mm, nil)
	if crit := 1.949 * math.Sqrt(2/n); d2 > crit {
		t.Errorf("two-sample KS D = %.4f > %.4f (α = 0.001)", d2, crit)
	}
	cdf := pairCDF(0.335, 41.84, engine.Boltzmann*300, 0.25, 0.6)
	for _, s := range []struct {
		name string
		x    []float64
	}{{"built-in", builtin}, {"openmm", mm}} {
		if s.x[len(s.x)-1] >= 0.6 {
			t.Fatalf("%s: r = %v left the well", s.name, s.x[len(s.x)-1])
		}
		if d, crit := ksOne(s.x, cdf), 1.949/math.Sqrt(n); d > crit {
			t.Errorf("%s against r² exp(−U/kT): KS D = %.4f > %.4f", s.name, d, crit)
		}
	}
	vb, vm := stat.Variance(builtin, nil), stat.Variance(mm, nil)
	if ratio := vm / vb; ratio < 0.83 || ratio > 1.20 {
		t.Errorf("variance ratio openmm/built-in %.3f outside [0.83, 1.20]", ratio)
	}
	t.Logf("n = %d per engine: mean r %.5f / %.5f nm, variance ratio %.3f, KS D %.4f", len(mm), stat.Mean(builtin, nil), stat.Mean(mm, nil), vm/vb, d2)
}
