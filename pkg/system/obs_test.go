package system

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/observable"
	"github.com/wepipe/wepipe/pkg/record"
)

// pentapeptide builds a 25-atom system of five residues ALA 1 … ALA 5
// (N, H, CA, C, O each; chain A) in a compact random arrangement, run by
// an exec engine (no potential), with one observable of its own.
func pentapeptide(t testing.TB) *Built {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	sp := &Spec{
		Name:        "penta",
		Engine:      "exec",
		Exec:        &record.Exec{Command: []string{"true"}},
		Integrator:  Integrator{Temperature: 300, Friction: 1, Timestep: 0.002},
		Observables: []ObservableSpec{{Name: "r", Type: "distance", Atoms: []int{0, 24}}},
	}
	var pos [][]float64
	for res := 0; res < 5; res++ {
		for _, a := range []string{"N", "H", "CA", "C", "O"} {
			el := a[:1]
			sp.Particles = append(sp.Particles, Particle{Name: a, Element: el, Mass: map[string]float64{"N": 14.007, "H": 1.008, "C": 12.011, "O": 15.999}[el]})
			pos = append(pos, []float64{r.Float64(), r.Float64(), r.Float64()})
		}
	}
	sp.Initial = []InitialSpec{{Positions: pos}}
	b, err := sp.Build()
	if err != nil {
		t.Fatal(err)
	}
	p := &b.System.Particles
	for res := 0; res < 5; res++ {
		p.Residues = append(p.Residues, record.Residue{Name: "ALA", ID: res + 1, Chain: "A"})
		for k := 0; k < 5; k++ {
			p.Residue = append(p.Residue, res)
		}
	}
	if err := b.System.Validate(); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseObservable(t *testing.T) {
	b := pentapeptide(t)
	ref := b.States[0].Positions.Data
	for _, c := range []struct {
		def    string
		typ    string
		atoms  []int
		atoms2 []int
		axis   int
		ref    bool
	}{
		{"d=distance:index 0;index 1", "distance", []int{0, 1}, nil, 0, false},
		{"d=distance:name CA and resid 1 2", "distance", []int{2, 7}, nil, 0, false},
		{"m=mindist:resid 1;resid 5", "mindist", []int{0, 1, 2, 3, 4}, []int{20, 21, 22, 23, 24}, 0, false},
		{"c=comdist: resid 1 ; resid 5 ", "comdist", []int{0, 1, 2, 3, 4}, []int{20, 21, 22, 23, 24}, 0, false},
		{"z=coord:index 3;z", "coord", []int{3}, nil, 2, false},
		{"y=coord:index 3;1", "coord", []int{3}, nil, 1, false},
		{"t=dihedral:index 3;index 5;index 7;index 8", "dihedral", []int{3, 5, 7, 8}, nil, 0, false},
		{"t=dihedral:index 8;index 7;index 5;index 3", "dihedral", []int{8, 7, 5, 3}, nil, 0, false},
		{"t=dihedral:index 3 5 7 8", "dihedral", []int{3, 5, 7, 8}, nil, 0, false},
		{"phi2=phi:2", "dihedral", []int{3, 5, 7, 8}, nil, 0, false},
		{"psi2=psi:2", "dihedral", []int{5, 7, 8, 10}, nil, 0, false},
		{"w2=omega:resid 2 and chain A", "dihedral", []int{7, 8, 10, 12}, nil, 0, false},
		{"phi5=phi:resname ALA and resid 5", "dihedral", []int{18, 20, 22, 23}, nil, 0, false},
		{"rg=rg:all", "rg", span(0, 24), nil, 0, false},
		{"rmsd=rmsd:name CA", "rmsd", []int{2, 7, 12, 17, 22}, nil, 0, true},
		{"q=q:heavy", "q", []int{0, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20, 22, 23, 24}, nil, 0, true},
		{"a.b-c_1=rg:backbone", "rg", []int{0, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20, 22, 23, 24}, nil, 0, false},
	} {
		o, err := ParseObservable(c.def, b.System, ref)
		if err != nil {
			t.Errorf("%q: %v", c.def, err)
			continue
		}
		name, _, _ := strings.Cut(c.def, "=")
		if o.Name != name || o.Type != c.typ || !slices.Equal(o.Atoms, c.atoms) || !slices.Equal(o.Atoms2, c.atoms2) || o.Axis != c.axis || (o.Ref != nil) != c.ref {
			t.Errorf("%q = %+v", c.def, o)
			continue
		}
		if c.ref {
			for k, a := range o.Atoms {
				if !slices.Equal(o.Ref.Data[3*k:3*k+3], ref[3*a:3*a+3]) || !slices.Equal(o.Ref.Shape, []int{len(o.Atoms), 3}) {
					t.Errorf("%q: ref row %d = %v, want atom %d's %v", c.def, k, o.Ref.Data[3*k:3*k+3], a, ref[3*a:3*a+3])
				}
			}
		}
	}
}

func span(lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

func TestParseObservableErrors(t *testing.T) {
	b := pentapeptide(t)
	ref := b.States[0].Positions.Data
	for _, c := range []struct{ def, want string }{
		{"rmsd", "want NAME=TYPE:ARGS"},
		{"r=rmsd", "want NAME=TYPE:ARGS"},
		{"=rg:all", "empty name"},
		{"a b=rg:all", `name "a b": use letters, digits, _, - and . only`},
		{"a:b=rg:all", "use letters, digits"},
		{"x=angle:all", `unknown type "angle" (known: distance, mindist, comdist, coord, dihedral, phi, psi, omega, rg, rmsd, q)`},
		{"x=rmsd:name XX", `selection "name XX" selects no atoms`},
		{"x=rmsd:resid 2-", `selection "resid 2-": resid: "2-" is not a number or range`},
		{"x=rmsd:all;all", "rmsd takes one selection; got 2 part(s) separated by semicolons"},
		{"x=distance:all", `selection "all" selects 25 atoms, want 2 (or give two selections of one atom each)`},
		{"x=distance:index 0;name CA", `selection "name CA" selects 5 atoms, want one`},
		{"x=distance:index 0;index 1;index 2", "distance takes two selections of one atom each"},
		{"x=mindist:all", "mindist takes two selections"},
		{"x=coord:index 0;w", `axis "w": want x, y or z`},
		{"x=coord:index 0", "coord takes a selection of one atom and an axis"},
		{"x=dihedral:index 0;index 1;index 2", "dihedral takes four selections of one atom each; got 3 part(s)"},
		{"x=phi:1", "phi of ALA 1 (chain A): no residue before it in its chain (the angle needs its C)"},
		{"x=psi:5", "psi of ALA 5 (chain A): no residue after it in its chain (the angle needs its N)"},
		{"x=phi:9", `phi: "resid 9" matches no residue`},
		{"x=phi:resname ALA", `phi: "resname ALA" matches 5 residues (ALA 1 (chain A), ALA 2 (chain A), ALA 3 (chain A), …); select one, e.g. phi:resid 1 and chain A`},
		{"x=phi:2;3", "phi takes one residue"},
		{"x=phi:resid 2-", `"2-" is not a number or range`},
	} {
		_, err := ParseObservable(c.def, b.System, ref)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.def, err, c.want)
		}
	}
	if _, err := ParseObservable("x=rg:all", b.System, ref[:3]); err == nil {
		t.Error("a reference of the wrong length: no error")
	}
	// Without residues, residue keywords say so.
	pair, _ := Builtins["lj-pair"].Build(nil)
	if _, err := ParseObservable("x=phi:1", pair.System, pair.States[0].Positions.Data); err == nil || !strings.Contains(err.Error(), "the system has no residues") {
		t.Errorf("phi on lj-pair: %v", err)
	}
}

func TestAddObservables(t *testing.T) {
	b := pentapeptide(t)
	before := b.System
	ref := b.States[0].Positions.Data
	var obs []record.Observable
	for _, def := range []string{"rmsd=rmsd:name CA", "q=q:heavy", "rg=rg:all", "phi2=phi:2", "d=distance:index 0;index 24"} {
		o, err := ParseObservable(def, b.System, ref)
		if err != nil {
			t.Fatal(err)
		}
		obs = append(obs, o)
	}
	if err := b.AddObservables(obs); err != nil {
		t.Fatal(err)
	}
	if len(before.Obs) != 1 {
		t.Errorf("the original system record was changed: %d observables", len(before.Obs))
	}
	if got := b.System.ObsNames(); !slices.Equal(got, []string{"r", "rmsd", "q", "rg", "phi2", "d"}) {
		t.Errorf("observables %v", got)
	}
	st := b.States[0]
	if st.Obs["rmsd"] != 0 || st.Obs["d"] != st.Obs["r"] || !(st.Obs["q"] > 0.97 && st.Obs["q"] <= 1) || !(st.Obs["rg"] > 0) {
		t.Errorf("initial observables %v", st.Obs)
	}
	if want := observable.Dihedral(ref, 3, 5, 7, 8, nil); st.Obs["phi2"] != want || want == 0 {
		t.Errorf("phi2 = %v, want C(1) N(2) CA(2) C(2)'s dihedral %v", st.Obs["phi2"], want)
	}
	_, h, err := record.Encode(st)
	if err != nil || h != b.System.Initial[0].State {
		t.Errorf("initial state hash %v, the system references %v (%v)", h, b.System.Initial[0].State, err)
	}
	if err := b.System.Validate(); err != nil {
		t.Error(err)
	}
	if _, err := Compile(b.System); err != nil {
		t.Error(err)
	}
	// A name already taken; a q without contacts.
	if err := b.AddObservables(obs[:1]); err == nil || !strings.Contains(err.Error(), `"rmsd" is empty or repeated`) {
		t.Errorf("duplicate: %v", err)
	}
	far, _ := ParseObservable("q2=q:index 0 24", b.System, ref)
	far.Ref.Data[3] += 10 // atoms 0 and 24 far apart in the reference
	if err := b.AddObservables([]record.Observable{far}); err == nil || !strings.Contains(err.Error(), `observable "q2" (q): no native contacts`) {
		t.Errorf("q without contacts: %v", err)
	}
	// Nothing to add: nothing changes.
	h0 := b.System.Initial[0].State
	if err := b.AddObservables(nil); err != nil || b.System.Initial[0].State != h0 {
		t.Errorf("AddObservables(nil): %v", err)
	}
	// A built-in system: the added distance equals its own r.
	pair, _ := Builtins["lj-pair"].Build(nil)
	o, err := ParseObservable("d=distance:index 0;index 1", pair.System, pair.States[0].Positions.Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := pair.AddObservables([]record.Observable{o}); err != nil || pair.States[0].Obs["d"] != pair.States[0].Obs["r"] {
		t.Errorf("lj-pair with d: %v, %v", err, pair.States[0].Obs)
	}
}

// TestJSONProteinObservables: a system file declares the new types
// directly (atoms by index, ref one row per atom), as FORMAT.md §8 says.
func TestJSONProteinObservables(t *testing.T) {
	js := `{"name": "hairpin",
	 "particles": [{"name": "A", "mass": 12}, {"name": "B", "mass": 12}, {"name": "C", "mass": 12}, {"name": "D", "mass": 12}, {"name": "E", "mass": 12}],
	 "potential": [{"type": "lj", "params": {"sigma": 0.335, "epsilon": 1}}],
	 "integrator": {"temperature": 300, "friction": 1, "timestep": 0.002},
	 "observables": [
	   {"name": "t", "type": "dihedral", "atoms": [0, 1, 3, 4]},
	   {"name": "rg", "type": "rg", "atoms": [0, 4]},
	   {"name": "q", "type": "q", "atoms": [0, 4], "ref": [[0, 0, 0], [0, 0.4, 0]]}],
	 "initial": [{"positions": [[0, 0, 0], [0.38, 0, 0], [0.76, 0.2, 0], [0.38, 0.4, 0], [0, 0.4, 0]]}]}`
	b, err := FromJSON(strings.NewReader(js), nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := b.States[0].Obs
	// Cis (0), half the 0.4 nm distance, and one contact at its reference.
	// Decimal inputs: a few ulps.
	if obs["t"] != 0 || math.Abs(obs["rg"]-0.2) > 1e-15 || math.Abs(obs["q"]-1/(1+math.Exp(-16))) > 1e-15 {
		t.Errorf("observables %v", obs)
	}
	bad := strings.Replace(js, `"atoms": [0, 1, 3, 4]`, `"atoms": [0, 1, 3]`, 1)
	if _, err := FromJSON(strings.NewReader(bad), nil); err == nil || !strings.Contains(err.Error(), `observable "t" (dihedral): atoms: 3 indices, want 4`) {
		t.Errorf("a dihedral of three atoms: %v", err)
	}
}

// FuzzParseObservable: no definition crashes the parser or AddObservables,
// and whatever parses either adds cleanly or is refused with an error.
func FuzzParseObservable(f *testing.F) {
	for _, s := range []string{"rmsd=rmsd:name CA", "q=q:heavy", "rg=rg:protein", "phi5=phi:5", "d=distance:index 0;index 1",
		"x=coord:index 0;z", "t=dihedral:index 0 1 2 3", "w=omega:resid 2 and chain A", "m=mindist:resid 1;resid 5", "=", "a=b:", "a=rmsd:("} {
		f.Add(s)
	}
	b := pentapeptide(f)
	ref := b.States[0].Positions.Data
	f.Fuzz(func(t *testing.T, def string) {
		o, err := ParseObservable(def, b.System, ref)
		if err != nil {
			return
		}
		c := *b
		if err := c.AddObservables([]record.Observable{o}); err == nil {
			if err := c.System.Validate(); err != nil {
				t.Fatalf("%q: AddObservables made an invalid system: %v", def, err)
			}
		}
	})
}
