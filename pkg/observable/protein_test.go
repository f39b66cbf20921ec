package observable

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// torsion places i, j, k, l with the central bond j→k along z and the far
// bond k–l at angle phi from the near bond j–i, counterclockwise about z.
func torsion(phi float64) []float64 {
	return []float64{
		1, 0, 0, // i
		0, 0, 0, // j
		0, 0, 1.5, // k
		0.8 * math.Cos(phi), 0.8 * math.Sin(phi), 1.5, // l
	}
}

func TestDihedral(t *testing.T) {
	for _, deg := range []float64{0, 30, 60, 90, 120, 179, -179, -120, -60, -1e-6} {
		phi := deg * math.Pi / 180
		got := Dihedral(torsion(phi), 0, 1, 2, 3, nil)
		// The inputs' sines and cosines carry 1 ulp; atan2 adds 1.
		if math.Abs(got-phi) > 1e-15 {
			t.Errorf("dihedral of %v° = %.17g rad, want %.17g", deg, got, phi)
		}
	}
	// Trans is ±π (here +π: l at (−0.8, +0·…, 1.5) rounds sin π to +1e-16).
	if got := Dihedral(torsion(math.Pi), 0, 1, 2, 3, nil); math.Abs(math.Abs(got)-math.Pi) > 1e-15 {
		t.Errorf("trans = %v, want ±π", got)
	}
	// IUPAC sign: looking along j→k (here along +z), the far bond at
	// +60° counterclockwise in the x-y plane appears turned clockwise
	// from the near bond, hence positive; its mirror image is negative.
	pos := torsion(math.Pi / 3)
	mirror := append([]float64(nil), pos...)
	for a := 0; a < 4; a++ {
		mirror[3*a+1] = -mirror[3*a+1]
	}
	if d, m := Dihedral(pos, 0, 1, 2, 3, nil), Dihedral(mirror, 0, 1, 2, 3, nil); !(d > 0) || math.Abs(d+m) > 1e-15 {
		t.Errorf("dihedral %v and its mirror image %v: want +π/3 and −π/3", d, m)
	}
	// Reversing the order of the atoms keeps the angle.
	if d, r := Dihedral(pos, 0, 1, 2, 3, nil), Dihedral(pos, 3, 2, 1, 0, nil); math.Abs(d-r) > 1e-15 {
		t.Errorf("dihedral %v, reversed %v", d, r)
	}
	// Collinear atoms: 0.
	if got := Dihedral([]float64{0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0}, 0, 1, 2, 3, nil); got != 0 {
		t.Errorf("collinear: %v", got)
	}
	// Minimum image: moving atoms by whole boxes changes nothing.
	box := []float64{2, 2.5, 3}
	moved := append([]float64(nil), pos...)
	moved[0] += 2
	moved[3*3+2] -= 6
	if d, m := Dihedral(pos, 0, 1, 2, 3, box), Dihedral(moved, 0, 1, 2, 3, box); math.Abs(d-m) > 1e-15 {
		t.Errorf("dihedral %v, after moving atoms by whole boxes %v", d, m)
	}
}

func TestRg(t *testing.T) {
	for _, c := range []struct {
		name   string
		pos    []float64
		masses []float64
		want   float64
	}{
		// Two masses m1, m2 a distance d apart: Rg = d·√(m1·m2)/(m1 + m2).
		{"pair", []float64{0, 0, 0, 2, 0, 0}, []float64{1, 3}, 2 * math.Sqrt(3) / 4},
		{"pair-equal", []float64{0, 0, 0, 0, 1, 0}, nil, 0.5},
		// A square of side a: every corner a/√2 from the centre.
		{"square", []float64{0, 0, 5, 1, 0, 5, 1, 1, 5, 0, 1, 5}, nil, 1 / math.Sqrt2},
		// A regular tetrahedron of edge a: a·√(3/8).
		{"tetrahedron", []float64{1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1}, nil, math.Sqrt(8) * math.Sqrt(3.0/8)},
		{"one atom", []float64{3, 4, 5}, nil, 0},
	} {
		g := make([]int, len(c.pos)/3)
		for i := range g {
			g[i] = i
		}
		w, err := weights(g, c.masses)
		if err != nil {
			t.Fatal(err)
		}
		// Exact decimals and square roots: a few ulps.
		if got := Rg(c.pos, g, w, nil); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: Rg = %.17g, want %.17g", c.name, got, c.want)
		}
	}
	// A chain that crosses the box boundary has the Rg of the whole chain.
	box := []float64{2, 2, 2}
	whole := []float64{1.6, 1, 1, 1.9, 1, 1, 2.2, 1, 1, 2.5, 1.3, 1}
	wrapped := append([]float64(nil), whole...)
	wrapped[6] -= 2
	wrapped[9] -= 2
	g := []int{0, 1, 2, 3}
	w, _ := weights(g, []float64{12, 14, 12, 16})
	if a, b := Rg(whole, g, w, nil), Rg(wrapped, g, w, box); math.Abs(a-b) > 1e-15 {
		t.Errorf("Rg of the whole chain %v, of the wrapped one with a box %v", a, b)
	}
	if a, b := Rg(whole, g, w, nil), Rg(wrapped, g, w, nil); math.Abs(a-b) < 0.1 {
		t.Errorf("without a box the wrapped chain should be torn apart: %v, %v", a, b)
	}
}

// hairpin is ten atoms, one residue each, folded so that the ends touch:
// atoms 0–4 along x at y = 0, atoms 5–9 back along x at y = 0.4.
func hairpin() []float64 {
	var pos []float64
	for i := 0; i < 5; i++ {
		pos = append(pos, 0.38*float64(i), 0, 0)
	}
	for i := 4; i >= 0; i-- {
		pos = append(pos, 0.38*float64(i), 0.4, 0)
	}
	return pos
}

func TestQ(t *testing.T) {
	pos := hairpin()
	g := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	pairs, r0 := NativeContacts(pos, g, nil, nil)
	// Contacts: i and 9−i across the hairpin (0.4 nm) when 9−2i > 3, i.e.
	// (0,9), (1,8), (2,7); the diagonal neighbours (i, 8−i) are
	// √(0.38² + 0.4²) = 0.552 nm apart, beyond the cut-off.
	want := []int{0, 9, 1, 8, 2, 7}
	if len(pairs) != len(want) {
		t.Fatalf("contacts %v, want %v", pairs, want)
	}
	for k := range want {
		if pairs[k] != want[k] {
			t.Fatalf("contacts %v, want %v", pairs, want)
		}
	}
	for _, r := range r0 {
		if math.Abs(r-0.4) > 1e-15 {
			t.Errorf("r0 = %v, want 0.4", r0)
		}
	}
	// At the reference every term is 1/(1 + e^(−0.8·β·0.4)) = 1/(1 + e^−16).
	if got, want := Q(pos, pairs, r0, nil), 1/(1+math.Exp(-16)); math.Abs(got-want) > 1e-15 {
		t.Errorf("Q at the reference = %.17g, want %.17g", got, want)
	}
	// A contact at exactly λ·r0 counts one half.
	lambda, d0 := QLambda, 0.4 // rounded as Q rounds λ·r0
	if got := Q([]float64{0, 0, 0, lambda * d0, 0, 0}, []int{0, 1}, []float64{d0}, nil); got != 0.5 {
		t.Errorf("Q at r = λ·r0: %v, want 0.5", got)
	}
	// Unfolded (the two strands 2 nm apart): Q → 0.
	open := append([]float64(nil), pos...)
	for a := 5; a < 10; a++ {
		open[3*a+1] = 2
	}
	// Every term is 1/(1 + e^(β(2 − 1.8·0.4))) = 1/(1 + e^64) ≈ 1.6e-28;
	// fmath.Exp is within 3 ulp.
	if got, want := Q(open, pairs, r0, nil), 1/(1+math.Exp(64)); math.Abs(got-want) > 1e-14*want {
		t.Errorf("Q unfolded = %v, want %v", got, want)
	}
	// Residues: atoms 0–9 in residues 0,0,1,1,2,2,3,3,4,4 leave only (0,9)
	// and (1,8) more than 3 residues apart… (0,9): residues 0 and 4; (1,8):
	// 0 and 4; (2,7): 1 and 3, too close.
	residue := []int{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}
	pairs, _ = NativeContacts(pos, g, residue, nil)
	if len(pairs) != 4 || pairs[0] != 0 || pairs[1] != 9 || pairs[2] != 1 || pairs[3] != 8 {
		t.Errorf("contacts with residues %v, want [0 9 1 8]", pairs)
	}
	// Through Compile: same value, and the periodic box changes nothing
	// for a molecule far smaller than the box.
	for _, box := range [][]float64{nil, {5, 5, 5}} {
		s, err := Compile([]Spec{{Name: "q", Type: "q", Atoms: g, Ref: pos}}, 10, box)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, 1)
		s.Eval(pos, out)
		if math.Abs(out[0]-1/(1+math.Exp(-16))) > 1e-15 {
			t.Errorf("box %v: compiled Q = %v", box, out[0])
		}
	}
}

// TestRigidInvariance: a rigid rotation and translation of a random
// configuration leaves RMSD to the original at 0 and dihedral, Rg and Q
// unchanged; a mirror image flips every dihedral.
func TestRigidInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(8, 30).Draw(t, "n")
		pos := make([]float64, 3*n)
		for i := range pos {
			// A compact cluster (Q needs contacts): 0.15 nm per atom.
			pos[i] = rapid.Float64Range(0, 0.15*float64(n)/3).Draw(t, "x")
		}
		q := [4]float64{}
		for k := range q {
			q[k] = rapid.Float64Range(-1, 1).Draw(t, "q")
		}
		norm := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
		if norm < 0.1 {
			t.Skip("degenerate quaternion")
		}
		for k := range q {
			q[k] /= norm
		}
		a, b, c, d := q[0], q[1], q[2], q[3]
		r := [9]float64{
			a*a + b*b - c*c - d*d, 2 * (b*c - a*d), 2 * (b*d + a*c),
			2 * (b*c + a*d), a*a - b*b + c*c - d*d, 2 * (c*d - a*b),
			2 * (b*d - a*c), 2 * (c*d + a*b), a*a - b*b - c*c + d*d,
		}
		shift := [3]float64{rapid.Float64Range(-10, 10).Draw(t, "dx"), rapid.Float64Range(-10, 10).Draw(t, "dy"), rapid.Float64Range(-10, 10).Draw(t, "dz")}
		moved := make([]float64, 3*n)
		for i := 0; i < n; i++ {
			for k := 0; k < 3; k++ {
				moved[3*i+k] = r[3*k]*pos[3*i] + r[3*k+1]*pos[3*i+1] + r[3*k+2]*pos[3*i+2] + shift[k]
			}
		}
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		specs := []Spec{
			{Name: "rmsd", Type: "rmsd", Atoms: all, Ref: pos},
			{Name: "phi", Type: "dihedral", Atoms: []int{0, 1, 2, 3}},
			{Name: "rg", Type: "rg", Atoms: all},
		}
		if p, _ := NativeContacts(pos, all, nil, nil); len(p) > 0 {
			specs = append(specs, Spec{Name: "q", Type: "q", Atoms: all, Ref: pos})
		}
		s, err := Compile(specs, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		o1, o2 := make([]float64, s.Len()), make([]float64, s.Len())
		s.Eval(pos, o1)
		s.Eval(moved, o2)
		// Coordinates up to ~12 nm after the shift, rotated with rounding
		// of a few ulps: 1e-12 covers the recomputed lengths and angles
		// (a dihedral of nearly collinear atoms may swing more: skip it).
		if o2[0] > 1e-12 {
			t.Fatalf("RMSD after a rigid motion = %v", o2[0])
		}
		for i := 1; i < len(o1); i++ {
			if i == 1 && nearlyCollinear(pos) {
				continue
			}
			if d := math.Abs(math.Remainder(o1[i]-o2[i], 2*math.Pi)); d > 1e-9 {
				t.Fatalf("%s: %v before, %v after a rigid motion", s.Names()[i], o1[i], o2[i])
			}
		}
	})
}

// nearlyCollinear reports whether atoms 0–3 leave the dihedral
// ill-conditioned: a bond angle within 0.01 rad of 0 or π, or a bond
// shorter than 0.001 nm.
func nearlyCollinear(pos []float64) bool {
	for _, tri := range [][3]int{{0, 1, 2}, {1, 2, 3}} {
		a, b := [3]float64{}, [3]float64{}
		for k := 0; k < 3; k++ {
			a[k] = pos[3*tri[0]+k] - pos[3*tri[1]+k]
			b[k] = pos[3*tri[2]+k] - pos[3*tri[1]+k]
		}
		c := cross(a, b)
		la := math.Sqrt(a[0]*a[0] + a[1]*a[1] + a[2]*a[2])
		lb := math.Sqrt(b[0]*b[0] + b[1]*b[1] + b[2]*b[2])
		if !(math.Sqrt(c[0]*c[0]+c[1]*c[1]+c[2]*c[2]) > 0.01*la*lb) || la < 1e-3 || lb < 1e-3 {
			return true
		}
	}
	return false
}

func TestProteinCompileErrors(t *testing.T) {
	pos := hairpin()
	g := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Type: "dihedral", Atoms: []int{0, 1, 2}}, "atoms: 3 indices, want 4"},
		{Spec{Type: "dihedral", Atoms: []int{0, 1, 2, 10}}, "atoms[3] = 10 out of range [0, 10)"},
		{Spec{Type: "rg"}, "atoms: empty group"},
		{Spec{Type: "rg", Atoms: []int{0, 1, 0}}, "atoms: atom 0 given twice"},
		{Spec{Type: "rg", Atoms: []int{0, 1}, Masses: []float64{1}}, "masses: 1 values for 10 atoms"},
		{Spec{Type: "rg", Atoms: []int{0, 1}, Masses: make([]float64, 10)}, "masses[0] = 0"},
		{Spec{Type: "q", Atoms: g, Ref: pos[:27]}, "ref: 27 coordinates for 10 atoms, want 30"},
		{Spec{Type: "q", Atoms: []int{0, 1, 1}, Ref: pos[:9]}, "atoms: atom 1 given twice"},
		{Spec{Type: "q", Atoms: g, Ref: pos, Residue: []int{0}}, "residue: 1 indices for 10 atoms"},
		{Spec{Type: "q", Atoms: []int{0, 1, 2, 3}, Ref: pos[:12]}, "no native contacts: no two of its 4 atoms more than 3 residues apart are within 0.45 nm of each other in the reference"},
	} {
		c.spec.Name = "o"
		_, err := Compile([]Spec{c.spec}, 10, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want %q", c.spec.Type, c.spec.Atoms, err, c.want)
		}
	}
}

// TestProteinNaN: a NaN coordinate gives NaN, never a plausible value.
func TestProteinNaN(t *testing.T) {
	pos := hairpin()
	g := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	s, err := Compile([]Spec{
		{Name: "d", Type: "dihedral", Atoms: []int{0, 1, 8, 9}},
		{Name: "rg", Type: "rg", Atoms: g},
		{Name: "q", Type: "q", Atoms: g, Ref: pos},
	}, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]float64(nil), pos...)
	bad[3*9] = math.NaN()
	out := make([]float64, 3)
	s.Eval(bad, out)
	for i, v := range out {
		if !math.IsNaN(v) {
			t.Errorf("%s with a NaN coordinate = %v", s.Names()[i], v)
		}
	}
}
