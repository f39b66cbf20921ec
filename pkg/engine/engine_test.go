package engine

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/wepipe/wepipe/pkg/potential"
)

func TestRegistry(t *testing.T) {
	e, err := Lookup("langevin")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.(Langevin); !ok {
		t.Errorf("Lookup(langevin) = %T", e)
	}
	if _, err := Lookup("gromacs"); err == nil || !strings.Contains(err.Error(), `unknown engine "gromacs"`) {
		t.Errorf("Lookup(gromacs) error = %v", err)
	}
	Register("test-langevin-copy", Langevin{})
	if _, err := Lookup("test-langevin-copy"); err != nil {
		t.Error(err)
	}
	names := Names()
	if len(names) < 2 || names[0] != "langevin" {
		t.Errorf("Names() = %v", names)
	}
	for _, c := range []struct {
		name string
		e    Engine
	}{{"langevin", Langevin{}}, {"", Langevin{}}, {"x", nil}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q, %v) did not panic", c.name, c.e)
				}
			}()
			Register(c.name, c.e)
		}()
	}
}

func TestValidate(t *testing.T) {
	ctx := context.Background()
	base, st := ljPair(t)
	r := stream("validate", 0)
	for _, c := range []struct {
		name string
		mod  func(*System, *State, *Request)
		want string
	}{
		{"mass", func(s *System, _ *State, _ *Request) { s.Masses = []float64{39.9, 0} }, "mass of atom 1 is 0"},
		{"no atoms", func(s *System, _ *State, _ *Request) { s.Masses = nil }, "no atoms"},
		{"timestep", func(s *System, _ *State, _ *Request) { s.Timestep = 0 }, "time step 0 ps"},
		{"temperature", func(s *System, _ *State, _ *Request) { s.Temperature = -1 }, "temperature -1 K"},
		{"friction", func(s *System, _ *State, _ *Request) { s.Friction = math.NaN() }, "friction NaN"},
		{"potential", func(s *System, _ *State, _ *Request) { s.NewPotential = nil }, "no potential"},
		{"positions", func(_ *System, st *State, _ *Request) { st.Positions = st.Positions[:3] }, "3 coordinates for 2 atoms"},
		{"velocities", func(_ *System, st *State, _ *Request) { st.Velocities = []float64{1} }, "1 velocity components"},
		{"steps", func(_ *System, _ *State, q *Request) { q.Steps = -1 }, "-1 steps"},
		{"frames", func(_ *System, _ *State, q *Request) { q.Frames = 11 }, "11 frames for 10 steps"},
		{"rand", func(_ *System, _ *State, q *Request) { q.Rand = nil }, "no random stream"},
		{"observables", func(s *System, _ *State, _ *Request) { dw, _ := doubleWell(t); s.Observables = dw.Observables }, "observables compiled for 1 atoms, system has 2"},
		{"factory error", func(s *System, _ *State, _ *Request) {
			s.NewPotential = factory([]potential.Term{{Type: "nope"}}, 2, nil)
		}, `unknown type "nope"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			sys := *base
			in := st
			in.Positions = append([]float64(nil), st.Positions...)
			req := Request{Walker: 5, Steps: 10, Rand: r}
			c.mod(&sys, &in, &req)
			_, _, err := Langevin{}.Propagate(ctx, &sys, in, req)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "walker 5: ") {
				t.Errorf("error %v, want \"walker 5: …%s…\"", err, c.want)
			}
		})
	}
}

func TestNonFinite(t *testing.T) {
	ctx := context.Background()
	want := "non-finite coordinates (time step too large?)"
	// A 0.2 ps step far up the quartic wall (U'' = 12h x²/a⁴ = 1920
	// kJ/mol/nm² at x = 2, ω²Δt² = 7.7 > 4) is unstable and explodes.
	dw, st := doubleWell(t)
	sys := *dw
	sys.Timestep = 0.2
	st.Positions = []float64{2, 0, 0}
	_, _, err := Langevin{}.Propagate(ctx, &sys, st, Request{Walker: 3, Steps: 1000, Rand: stream("nf", 0)})
	if err == nil || !strings.HasPrefix(err.Error(), "walker 3: step ") || !strings.Contains(err.Error(), want) {
		t.Errorf("exploding double well: error %v", err)
	}
	// Overlapping LJ atoms: infinite energy at the start (step = in.Step).
	lp, st2 := ljPair(t)
	st2.Positions = []float64{0, 0, 0, 0, 0, 0}
	st2.Step = 77
	_, _, err = Langevin{}.Propagate(ctx, lp, st2, Request{Walker: 4, Steps: 10, Rand: stream("nf", 1)})
	if err == nil || err.Error() != "walker 4: step 77: "+want {
		t.Errorf("overlap: error %v", err)
	}
	// A NaN coordinate in the input.
	_, st3 := ljPair(t)
	st3.Positions[4] = math.NaN()
	if _, _, err = (Langevin{}).Propagate(ctx, lp, st3, Request{Steps: 10, Rand: stream("nf", 2)}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("NaN input: error %v", err)
	}
	// lj-cut with an exploded atom.
	fl, st4 := ljFluid(t, 200)
	st4.Positions[10] = 1e300
	if _, _, err = (Langevin{}).Propagate(ctx, fl, st4, Request{Steps: 10, Rand: stream("nf", 3)}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("lj-cut exploded atom: error %v", err)
	}
}

func TestCancel(t *testing.T) {
	sys, st := doubleWell(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Langevin{}.Propagate(ctx, sys, st, Request{Walker: 2, Steps: 5000, Rand: stream("cancel", 0)})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "walker 2: step 1000: ") {
		t.Errorf("error %v, want context.Canceled at step 1000", err)
	}
}

func TestFrames(t *testing.T) {
	sys, st := ljPair(t)
	st.Step, st.Time = 100, 0.2
	out, frames, err := Langevin{}.Propagate(context.Background(), sys, st, Request{Steps: 10, Frames: 3, Rand: stream("frames", 0)})
	if err != nil {
		t.Fatal(err)
	}
	wantSteps := []uint64{103, 106, 110}
	if len(frames) != 3 {
		t.Fatalf("%d frames, want 3", len(frames))
	}
	for k, fr := range frames {
		if fr.Step != wantSteps[k] {
			t.Errorf("frame %d at step %d, want %d", k, fr.Step, wantSteps[k])
		}
		if want := 0.2 + float64(fr.Step-100)*0.002; math.Abs(fr.Time-want) > 1e-15 {
			t.Errorf("frame %d time %v, want %v", k, fr.Time, want)
		}
		if len(fr.Obs) != 1 || len(fr.Positions) != 6 {
			t.Errorf("frame %d: %d observables, %d coordinates", k, len(fr.Obs), len(fr.Positions))
		}
	}
	last := frames[2]
	for i := range last.Positions {
		if last.Positions[i] != out.Positions[i] {
			t.Fatalf("last frame differs from the final state")
		}
	}
	if out.Step != 110 || math.Abs(out.Time-0.22) > 1e-15 || out.Obs[0] != last.Obs[0] {
		t.Errorf("final state step %d time %v obs %v", out.Step, out.Time, out.Obs)
	}
	r := math.Sqrt(sq(out.Positions[3]-out.Positions[0]) + sq(out.Positions[4]-out.Positions[1]) + sq(out.Positions[5]-out.Positions[2]))
	if out.Obs[0] != r {
		t.Errorf("observable r = %v, distance %v", out.Obs[0], r)
	}
	if out.Kinetic != Kinetic(sys.Masses, out.Velocities) {
		t.Errorf("kinetic energy %v not that of the velocities", out.Kinetic)
	}
	f := make([]float64, 6)
	p, _ := sys.NewPotential()
	if e := p.Compute(out.Positions, f); e != out.Potential {
		t.Errorf("potential energy %v, recomputed %v", out.Potential, e)
	}
	// The input is untouched.
	if st.Positions[3] != math.Pow(2, 1.0/6)*ljSigma || st.Velocities != nil {
		t.Error("input state modified")
	}
	// Zero steps return the input state with its energies.
	z, fz, err := Langevin{}.Propagate(context.Background(), sys, st, Request{Steps: 0, Rand: stream("frames", 1)})
	if err != nil || len(fz) != 0 || z.Step != 100 || math.Abs(z.Potential+ljEps) > 1e-12 || z.Kinetic != 0 {
		t.Errorf("zero steps: %+v, %v, %v", z, fz, err)
	}
}

func sq(x float64) float64 { return x * x }

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func sameState(a, b State) bool {
	return equalBits(a.Positions, b.Positions) && equalBits(a.Velocities, b.Velocities) &&
		equalBits([]float64{a.Potential, a.Kinetic, a.Time}, []float64{b.Potential, b.Kinetic, b.Time}) &&
		equalBits(a.Obs, b.Obs) && a.Step == b.Step
}

// TestDeterminism: the same input and stream give bit-identical states,
// whether the walkers run one after another or concurrently, and (for
// potentials without internal state) whether a run is split or not.
func TestDeterminism(t *testing.T) {
	ctx := context.Background()
	type sysFn func(testing.TB) (*System, State)
	for _, c := range []struct {
		name  string
		mk    sysFn
		steps int
		split bool
	}{
		{"lj-pair", ljPair, 3000, true},
		{"double-well", doubleWell, 3000, true},
		{"lj-fluid", func(tb testing.TB) (*System, State) { return ljFluid(tb, 300) }, 300, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sys, st := c.mk(t)
			run := func(i uint64, steps int, in State) State {
				out, _, err := Langevin{}.Propagate(ctx, sys, in, Request{Walker: int(i), Steps: steps, Rand: stream("det", i)})
				if err != nil {
					t.Error(err)
				}
				return out
			}
			const walkers = 6
			serial := make([]State, walkers)
			for i := range serial {
				serial[i] = run(uint64(i%3), c.steps, st)
			}
			conc := make([]State, walkers)
			var wg sync.WaitGroup
			for i := range conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					conc[i] = run(uint64(i%3), c.steps, st)
				}()
			}
			wg.Wait()
			for i := range serial {
				if !sameState(serial[i], conc[i]) || !sameState(serial[i], serial[i%3]) {
					t.Fatalf("walker %d: states differ", i)
				}
			}
			if sameState(serial[0], serial[1]) {
				t.Fatal("different streams gave the same state")
			}
			if !c.split {
				return
			}
			r := stream("split", 0)
			a, _, err := Langevin{}.Propagate(ctx, sys, st, Request{Steps: 1234, Rand: r})
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := Langevin{}.Propagate(ctx, sys, a, Request{Steps: c.steps - 1234, Rand: r})
			if err != nil {
				t.Fatal(err)
			}
			whole, _, err := Langevin{}.Propagate(ctx, sys, st, Request{Steps: c.steps, Rand: stream("split", 0)})
			if err != nil {
				t.Fatal(err)
			}
			if !sameState(b, whole) {
				t.Error("split run differs from the whole run")
			}
		})
	}
}
