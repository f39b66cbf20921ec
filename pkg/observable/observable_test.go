package observable

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestEval(t *testing.T) {
	// Four atoms; the box case puts atoms 0 and 1 across the boundary.
	pos := []float64{
		0.1, 0.2, 0.3,
		1.9, 0.2, 0.3,
		0.5, 0.5, 0.5,
		1.0, 1.5, 0.5,
	}
	box := []float64{2, 2, 2}
	for _, c := range []struct {
		name string
		spec Spec
		box  []float64
		want float64
	}{
		{"distance", Spec{Type: "distance", Atoms: []int{0, 1}}, nil, 1.8},
		{"distance-image", Spec{Type: "distance", Atoms: []int{0, 1}}, box, 0.2},
		{"mindist", Spec{Type: "mindist", Atoms: []int{0, 1}, Atoms2: []int{2, 3}}, nil, math.Sqrt(0.16 + 0.09 + 0.04)},
		{"mindist-image", Spec{Type: "mindist", Atoms: []int{0}, Atoms2: []int{1, 3}}, box, 0.2},
		// Centres: (1, 0.2, 0.3) and (0.75, 1, 0.5).
		{"comdist", Spec{Type: "comdist", Atoms: []int{0, 1}, Atoms2: []int{2, 3}}, nil, math.Sqrt(0.0625 + 0.64 + 0.04)},
		// Masses 3 and 1 put the first centre at (0.55, 0.2, 0.3).
		{"comdist-masses", Spec{Type: "comdist", Atoms: []int{0, 1}, Atoms2: []int{2}, Masses: []float64{3, 1, 1, 1}}, nil, math.Sqrt(0.0025 + 0.09 + 0.04)},
		// With the box, atom 1 is imaged next to atom 0: centre (0, 0.2, 0.3).
		{"comdist-image", Spec{Type: "comdist", Atoms: []int{0, 1}, Atoms2: []int{2}}, box, math.Sqrt(0.25 + 0.09 + 0.04)},
		{"coord-x", Spec{Type: "coord", Atoms: []int{1}, Axis: 0}, nil, 1.9},
		{"coord-z", Spec{Type: "coord", Atoms: []int{3}, Axis: 2}, box, 0.5},
		// A translated copy of atoms 2, 3 has RMSD 0; segments of lengths
		// |(0.5,1,0)| and 2·that (same direction) deviate by half the
		// length: RMSD = |(0.5,1,0)|/2.
		{"rmsd-zero", Spec{Type: "rmsd", Atoms: []int{2, 3}, Ref: []float64{5.5, 5.5, 5.5, 6, 6.5, 5.5}}, nil, 0},
		{"rmsd", Spec{Type: "rmsd", Atoms: []int{2, 3}, Ref: []float64{0, 0, 0, 1, 2, 0}}, nil, math.Sqrt(1.25) / 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Name = "o"
			s, err := Compile([]Spec{c.spec}, 4, c.box)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float64, 1)
			s.Eval(pos, out)
			// Inputs are exact decimals; 1e-12 covers their binary rounding.
			if math.Abs(out[0]-c.want) > 1e-12 {
				t.Errorf("%s = %.15g, want %.15g", c.name, out[0], c.want)
			}
		})
	}
}

func TestNamesOrder(t *testing.T) {
	s, err := Compile([]Spec{
		{Name: "r", Type: "distance", Atoms: []int{0, 1}},
		{Name: "x", Type: "coord", Atoms: []int{0}},
	}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Names(); len(got) != 2 || got[0] != "r" || got[1] != "x" || s.Len() != 2 {
		t.Fatalf("Names() = %v", got)
	}
	out := make([]float64, 2)
	s.Eval([]float64{-0.5, 0, 0, 0.5, 0, 0}, out)
	if out[0] != 1 || out[1] != -0.5 {
		t.Errorf("Eval = %v, want [1 -0.5]", out)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		specs []Spec
		want  string
	}{
		{[]Spec{{Name: "", Type: "distance", Atoms: []int{0, 1}}}, "observable 0: empty name"},
		{[]Spec{{Name: "r", Type: "distance", Atoms: []int{0, 1}}, {Name: "r", Type: "coord", Atoms: []int{0}}}, `observable "r": duplicate name`},
		{[]Spec{{Name: "q", Type: "angle", Atoms: []int{0, 1}}}, `observable "q" (angle): unknown type "angle"`},
		{[]Spec{{Name: "r", Type: "distance", Atoms: []int{0, 3}}}, `observable "r" (distance): atoms[1] = 3 out of range [0, 3)`},
		{[]Spec{{Name: "r", Type: "distance", Atoms: []int{0}}}, "atoms: 1 indices, want 2"},
		{[]Spec{{Name: "m", Type: "mindist", Atoms: []int{0}}}, `observable "m" (mindist): atoms2: empty group`},
		{[]Spec{{Name: "m", Type: "comdist", Atoms2: []int{0}}}, `observable "m" (comdist): atoms: empty group`},
		{[]Spec{{Name: "m", Type: "comdist", Atoms: []int{0}, Atoms2: []int{1}, Masses: []float64{1, 1}}}, "masses: 2 values for 3 atoms"},
		{[]Spec{{Name: "m", Type: "comdist", Atoms: []int{0}, Atoms2: []int{1}, Masses: []float64{1, 0, 1}}}, "masses[1] = 0"},
		{[]Spec{{Name: "x", Type: "coord", Atoms: []int{0}, Axis: 3}}, `observable "x" (coord): axis 3`},
		{[]Spec{{Name: "x", Type: "coord", Atoms: []int{-1}}}, "atoms[0] = -1 out of range"},
		{[]Spec{{Name: "d", Type: "rmsd", Atoms: []int{0, 1}, Ref: []float64{0, 0, 0}}}, `observable "d" (rmsd): ref: 3 coordinates for 2 atoms, want 6`},
		{[]Spec{{Name: "d", Type: "rmsd", Atoms: []int{0}, Ref: []float64{0, math.NaN(), 0}}}, "non-finite"},
	} {
		_, err := Compile(c.specs, 3, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
	if _, err := Compile(nil, 3, []float64{1, 1}); err == nil {
		t.Error("box of 2 edges: no error")
	}
}

// TestPeriodicInvariance: with a box, moving any atom by whole box vectors
// changes no observable except coord (which reports unwrapped
// coordinates) and rmsd (which does not image).
func TestPeriodicInvariance(t *testing.T) {
	box := []float64{1.5, 2, 2.5}
	s, err := Compile([]Spec{
		{Name: "d", Type: "distance", Atoms: []int{0, 1}},
		{Name: "m", Type: "mindist", Atoms: []int{0, 1}, Atoms2: []int{2, 3}},
		{Name: "c", Type: "comdist", Atoms: []int{0}, Atoms2: []int{2, 3}, Masses: []float64{1, 2, 3, 4}},
	}, 4, box)
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		pos := rapid.SliceOfN(rapid.Float64Range(0, 1.4), 12, 12).Draw(t, "pos")
		// comdist of a group imaged about its first atom is invariant as
		// long as the group spans less than half the box; keep 2, 3 close.
		for k := 0; k < 3; k++ {
			pos[9+k] = pos[6+k] + 0.3*(pos[9+k]/1.4-0.5)
		}
		a := rapid.IntRange(0, 3).Draw(t, "atom")
		shift := [3]int{rapid.IntRange(-3, 3).Draw(t, "sx"), rapid.IntRange(-3, 3).Draw(t, "sy"), rapid.IntRange(-3, 3).Draw(t, "sz")}
		moved := append([]float64(nil), pos...)
		for k := 0; k < 3; k++ {
			moved[3*a+k] += float64(shift[k]) * box[k]
		}
		o1, o2 := make([]float64, 3), make([]float64, 3)
		s.Eval(pos, o1)
		s.Eval(moved, o2)
		for i := range o1 {
			// Rounding of x + 3L − 3L on coordinates ≤ 10 nm.
			if math.Abs(o1[i]-o2[i]) > 1e-12 {
				t.Fatalf("observable %d: %v before, %v after moving atom %d by %v boxes", i, o1[i], o2[i], a, shift)
			}
		}
	})
}

func TestEvalNaN(t *testing.T) {
	s, err := Compile([]Spec{{Name: "m", Type: "mindist", Atoms: []int{0}, Atoms2: []int{1, 2}}}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 1)
	s.Eval([]float64{0, 0, 0, math.NaN(), 0, 0, 5, 0, 0}, out)
	if !math.IsNaN(out[0]) {
		t.Errorf("mindist with a NaN coordinate = %v, want NaN", out[0])
	}
}
