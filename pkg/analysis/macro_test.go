package analysis

import (
	"math"
	"strings"
	"testing"
)

func TestParseState(t *testing.T) {
	s, err := ParseState("bound:r<0.45")
	if err != nil || s.Name != "bound" || len(s.Conds) != 1 || s.Conds[0].Obs != "r" || s.Conds[0].Op != "<" || s.Conds[0].Value != 0.45 {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = ParseState(" A : x < -0.3 , y>=1.2 ")
	if err != nil || s.Name != "A" || len(s.Conds) != 2 || s.String() != "A:x<-0.3,y>=1.2" {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"", "bound", ":r<1", "bound:", "bound:r", "bound:r<x", "bound:r<1,", "b:r<NaN", "b:<1"} {
		if _, err := ParseState(bad); err == nil || !strings.Contains(err.Error(), "state") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzParseState: any input is parsed or refused, and a parsed state
// prints as a definition that parses to the same state.
func FuzzParseState(f *testing.F) {
	for _, s := range []string{"bound:r<0.45", "A:x<-0.3,y>1.2", "u:r>=1e3", "::", "a:b<c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseState(s)
		if err != nil {
			return
		}
		again, err := ParseState(st.String())
		if err != nil || again.String() != st.String() {
			t.Fatalf("%q → %q → %v %v", s, st.String(), again, err)
		}
	})
}

func TestAssign(t *testing.T) {
	a, _ := ParseState("A:x<0")
	b, _ := ParseState("B:x>1")
	both, _ := ParseState("C:x>-5,x<5")
	states := []State{a, b, both}
	for _, c := range []struct {
		x    float64
		want int
	}{{-1, 0}, {2, 1}, {0.5, 2}, {7, 1}, {-9, 0}} {
		if got := Assign(states, map[string]float64{"x": c.x}); got != c.want {
			t.Errorf("x = %v: state %d, want %d (the first that holds)", c.x, got, c.want)
		}
	}
	if got := Assign(states[:2], map[string]float64{"x": 0.5}); got != -1 {
		t.Errorf("between states: %d", got)
	}
	if got := Assign(states, map[string]float64{"y": 0.5}); got != -1 {
		t.Errorf("missing observable: %d", got)
	}
	if obs := StatesObs(states); len(obs) != 1 || obs[0] != "x" {
		t.Errorf("observables %v", obs)
	}
}

// TestKinetics follows three walkers through warping and resampling and
// checks every label, population and flux by hand.
func TestKinetics(t *testing.T) {
	a, _ := ParseState("A:x<0")
	b, _ := ParseState("B:x>1")
	states := []State{a, b}
	var h history
	h.init(-0.5, -0.5, 0.5) // labels A, A, none
	h.step(1, 0.5, 1.5, -0.2)
	// cycle 0: walker 0 leaves A but stays labelled A; walker 1 A→B;
	// walker 2 enters A (its first label: no transition).
	h.resample(-0.5, 1) // walker 1 warped back into A: labelled A
	h.step(1, 1.2, -0.1, 1.1)
	// cycle 1: walker 0 A→B, walker 1 stays A, walker 2 A→B.
	h.resample(-0.5)
	h.step(1, -0.3, 0.5, 0.5)
	// cycle 2: walker 0 B→A, walker 2 stays B (between states).
	h.resample(-0.5)
	r, err := NewRun(h.entries, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	m := Kinetics(r, states)
	w := 1.0 / 3
	check := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-15 {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	check("pop A, cycle 0", m.Pop[0][0], 2*w)
	check("pop none, cycle 0", m.Pop[0][2], w)
	check("flux A→B, cycle 0", m.Flux[0][0][1], w)
	check("flux none→A, cycle 0", m.Flux[0][2][0], 0)
	check("pop A, cycle 1", m.Pop[1][0], 3*w)
	check("flux A→B, cycle 1", m.Flux[1][0][1], 2*w)
	check("pop B, cycle 2", m.Pop[2][1], 2*w)
	check("flux B→A, cycle 2", m.Flux[2][1][0], w)
	check("flux A→B, cycle 2", m.Flux[2][0][1], 0)
	if m.Count[0][0] != 1 || m.Count[0][1] != 1 || m.Count[0][2] != 1 || m.Arrivals[1][0][1] != 2 {
		t.Errorf("counts %v, arrivals %v", m.Count[0], m.Arrivals[1])
	}
	check("in B, cycle 1", m.In[1][1], 2*w)
	// The rate A→B over the three cycles, WESTPA's pairwise normalisation:
	// p̃_A = 2/3 / (2/3 + 0) = 1, 1, 1/3 / (1/3 + 2/3) = 1/3.
	flux, pop := m.RateSeries(0, 1, 0, 3)
	check("k_AB", RatioEstimator([][]float64{flux, pop}), (w+2*w)/(1+1+1.0/3))
	if len(m.Cycles) != 3 || m.Cycles[2] != 2 {
		t.Errorf("cycles %v", m.Cycles)
	}
}
