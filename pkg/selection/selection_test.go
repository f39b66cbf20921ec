package selection

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// peptide is a small topology: ALA 1, GLY 2, LYS 3 of chain A (with an
// OXT), a water and a sodium ion in chain W.
func peptide() *Topology {
	t := &Topology{
		Residues: []Residue{{"ALA", 1, "A"}, {"GLY", 2, "A"}, {"LYS", 3, "A"}, {"HOH", 101, "W"}, {"NA", 102, "W"}},
	}
	add := func(res int, atoms ...string) {
		for _, a := range atoms {
			name, el, _ := strings.Cut(a, "/")
			t.Names = append(t.Names, name)
			t.Elements = append(t.Elements, el)
			t.Residue = append(t.Residue, res)
		}
	}
	add(0, "N/N", "H/H", "CA/C", "HA/H", "CB/C", "HB1/H", "C/C", "O/O") // 0-7
	add(1, "N/N", "H/H", "CA/C", "HA2/H", "HA3/H", "C/C", "O/O")        // 8-14
	add(2, "N/N", "CA/C", "C/C", "O/O", "CB/C", "NZ/N", "OXT/O")        // 15-21
	add(3, "O/O", "H1/H", "H2/H")                                       // 22-24
	add(4, "NA/Na")                                                     // 25
	return t
}

func span2(lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

func cat(xs ...[]int) []int {
	var out []int
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

func TestSelect(t *testing.T) {
	top := peptide()
	for _, c := range []struct {
		sel  string
		want []int
	}{
		{"all", span2(0, 25)},
		{"none", []int{}},
		{"everything", nil}, // an error: not a keyword here
		{"index 0-9,12", cat(span2(0, 9), []int{12})},
		{"index 0 to 2 5", []int{0, 1, 2, 5}},
		{"index 3:4", []int{3, 4}},
		{"0-9,12", cat(span2(0, 9), []int{12})},
		{"0, 1", []int{0, 1}},
		{"0-2 and name CA", []int{2}},
		{"name CA", []int{2, 10, 16}},
		{"name CA CB", []int{2, 4, 10, 16, 19}},
		{"name CA,CB", []int{2, 4, 10, 16, 19}},
		{"name H*", []int{1, 3, 5, 9, 11, 12, 23, 24}},
		{"name HA?", []int{11, 12}},
		{"name *A*", []int{2, 3, 10, 11, 12, 16, 25}},
		{"name ca", []int{}}, // names are exact
		{"resname ALA", span2(0, 7)},
		{"resname GLY LYS", span2(8, 21)},
		{"resid 2", span2(8, 14)},
		{"resid 2-3", span2(8, 21)},
		{"resid 2 to 3", span2(8, 21)},
		{"resid 101", []int{22, 23, 24}},
		{"resindex 3", []int{22, 23, 24}},
		{"resindex 0:1", span2(0, 14)},
		{"element C", []int{2, 4, 6, 10, 13, 16, 17, 19}},
		{"element c", []int{2, 4, 6, 10, 13, 16, 17, 19}}, // symbols in any case
		{"element NA", []int{25}},
		{"element N", []int{0, 8, 15, 20}},
		{"chain W", span2(22, 25)},
		{"chain A and name O*", []int{7, 14, 18, 21}},
		{"protein", span2(0, 21)},
		{"backbone", []int{0, 2, 6, 7, 8, 10, 13, 14, 15, 16, 17, 18}},
		{"hydrogen", []int{1, 3, 5, 9, 11, 12, 23, 24}},
		{"heavy", []int{0, 2, 4, 6, 7, 8, 10, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 25}},
		{"not element H", []int{0, 2, 4, 6, 7, 8, 10, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 25}},
		{"water", []int{22, 23, 24}},
		{"protein and heavy and resid 3", span2(15, 21)},
		{"not protein", span2(22, 25)},
		{"not not water", []int{22, 23, 24}},
		{"name CA or name N and resid 1", []int{0, 2, 10, 16}},           // and binds tighter
		{"(name CA or name N) and resid 1", []int{0, 2}},                 // parentheses
		{"not name CA and resid 1", []int{0, 1, 3, 4, 5, 6, 7}},          // not binds tighter
		{"NOT (Name CA OR name N) AND RESID 1", []int{1, 3, 4, 5, 6, 7}}, // keywords in any case
		{`name "CA"`, []int{2, 10, 16}},
		{`resname "HOH"`, []int{22, 23, 24}},
		{"resid -5 to 1", span2(0, 7)},
		{"index 25", []int{25}},
	} {
		got, err := Select(c.sel, top)
		if c.want == nil {
			if err == nil {
				t.Errorf("%q: %v, want an error", c.sel, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.sel, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q = %v, want %v", c.sel, got, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	top := peptide()
	bare := &Topology{Names: []string{"A", "B"}} // lj-pair: no elements, no residues
	for _, c := range []struct {
		sel  string
		top  *Topology
		want string
	}{
		{"", top, `selection "": empty`},
		{"   ", top, `selection "   ": empty`},
		{"resid 2-", top, `selection "resid 2-": resid: "2-" is not a number or range (want N, N-M, N:M or N to M)`},
		{"resid", top, `selection "resid": resid: no value (want one or more residue numbers)`},
		{"name", top, "name: no value (want one or more atom names)"},
		{"name CA and", top, `ends after "and" (want a selection there)`},
		{"and name CA", top, `unexpected "and" (want a selection before it)`},
		{"(name CA", top, "missing )"},
		{"name CA)", top, `unexpected ")" after a complete selection`},
		{"()", top, "unexpected )"},
		{"name CA name CB", top, `name "name": "name" is a keyword; join two selections with and/or`},
		{"name CA resname ALA", top, `"resname" is a keyword`},
		{"foo", top, `unknown keyword "foo" (known: all, backbone, chain, element, heavy, hydrogen, index, name, none, protein, resid, resindex, resname, water)`},
		{"name CA and 5", top, `"5": a number without a keyword`},
		{`"CA"`, top, "a quoted value without a keyword"},
		{`name "CA`, top, "unterminated quote at byte 5"},
		{"index -1", top, "index: -1 is negative (index counts from 0)"},
		{"index 5-2", top, `index: "5-2" is an empty range`},
		{"index 5 to 2", top, "index: 5 to 2 is an empty range"},
		{"index 1-3 to 5", top, "a range cannot start a range"},
		{"index 3 to", top, "want a number after \"to\""},
		{"name CA to CB", top, `name: "to" makes ranges of numbers only`},
		{"index 26", top, `selection "index 26": atom 26 does not exist (the system has 26 atoms)`},
		{"0-5", bare, "atom 5 does not exist (the system has 2 atoms)"},
		{"index 99999999999", top, `"99999999999" is not a number or range`},
		{"index 1,", top, "a comma without a value after it"},
		{"index ,1", top, "a comma before the first value"},
		{", name CA", top, "unexpected ,"},
		{"resname ALA", bare, "resname: the system has no residues"},
		{"protein", bare, "protein: the system has no residues"},
		{"backbone", bare, "backbone: the system has no residues"},
		{strings.Repeat("(", 200) + "all" + strings.Repeat(")", 200), top, "nested more than 100 deep"},
		{strings.Repeat("not ", 200) + "all", top, "nested more than 100 deep"},
		{strings.Repeat("x", maxLength+1), top, "longer than 65536 bytes"},
	} {
		_, err := Select(c.sel, c.top)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.40q: error %v, want one containing %q", c.sel, err, c.want)
			continue
		}
		var se *Error
		if !errors.As(err, &se) || se.Sel != c.sel {
			t.Errorf("%.40q: error %#v is not a *Error naming the selection", c.sel, err)
		}
	}
	// A bare topology still answers names, indices and hydrogen by name.
	for sel, want := range map[string][]int{"name B": {1}, "all": {0, 1}, "heavy": {0, 1}, "element C": {}} {
		got, err := Select(sel, bare)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%q on a bare topology = %v, %v; want %v", sel, got, err, want)
		}
	}
	bad := &Topology{Names: []string{"A", "B"}, Elements: []string{"C"}}
	if _, err := Select("all", bad); err == nil || !strings.Contains(err.Error(), "1 elements for 2 atoms") {
		t.Errorf("inconsistent topology: %v", err)
	}
}

// TestHydrogenByName: without elements, VMD's rule [0-9]?H* decides.
func TestHydrogenByName(t *testing.T) {
	top := &Topology{Names: []string{"N", "H", "1HB", "HG12", "CA", "OH", "2C"}, Elements: []string{"", "", "", "", "", "", ""}}
	got, err := Select("hydrogen", top)
	if want := []int{1, 2, 3}; err != nil || !slices.Equal(got, want) {
		t.Errorf("hydrogen = %v, %v; want %v", got, err, want)
	}
	top.Elements[1] = "C" // a known element wins over the name
	got, _ = Select("hydrogen", top)
	if want := []int{2, 3}; !slices.Equal(got, want) {
		t.Errorf("hydrogen = %v, want %v", got, want)
	}
}

func TestCanonical(t *testing.T) {
	for sel, want := range map[string]string{
		"NAME CA  CB":                     "name CA CB",
		"name CA or name N and resid 1":   "name CA or (name N and resid 1)",
		"(name CA or name N) and resid 1": "(name CA or name N) and resid 1",
		"not (a or b)":                    "",
		"not (name A or name B)":          "not (name A or name B)",
		"resid 2-35, 40":                  "resid 2 to 35 40",
		"0-9,12":                          "index 0 to 9 12",
		`name "C A" "and" ""`:             `name "C A" "and" ""`,
		"a":                               "",
		"protein and not element H":       "protein and not element H",
		"resid -5--2":                     "resid -5 to -2",
	} {
		s, err := Parse(sel)
		if want == "" {
			if err == nil {
				t.Errorf("%q parsed as %q", sel, s)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", sel, err)
			continue
		}
		if s.String() != want {
			t.Errorf("%q: canonical %q, want %q", sel, s, want)
		}
		if s.Source() != sel {
			t.Errorf("Source() = %q", s.Source())
		}
	}
}

func TestBackboneDihedral(t *testing.T) {
	top := peptide()
	for _, c := range []struct {
		kind string
		res  int
		want [4]int
		err  string
	}{
		{"phi", 1, [4]int{6, 8, 10, 13}, ""},
		{"phi", 2, [4]int{13, 15, 16, 17}, ""},
		{"psi", 0, [4]int{0, 2, 6, 8}, ""},
		{"psi", 1, [4]int{8, 10, 13, 15}, ""},
		{"omega", 0, [4]int{2, 6, 8, 10}, ""},
		{"phi", 0, [4]int{}, "phi of ALA 1 (chain A): no residue before it in its chain (the angle needs its C)"},
		{"psi", 2, [4]int{}, "psi of LYS 3 (chain A): no residue after it in its chain (the angle needs its N)"},
		{"phi", 3, [4]int{}, "phi of HOH 101 (chain W): no residue before it in its chain"},
		{"phi", 4, [4]int{}, "phi of NA 102 (chain W): HOH 101 (chain W) has no atom named C"},
		{"chi", 1, [4]int{}, `unknown backbone dihedral "chi"`},
		{"phi", 9, [4]int{}, "phi: residue index 9 out of range 0..4"},
	} {
		got, err := BackboneDihedral(top, c.kind, c.res)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %d: error %v, want %q", c.kind, c.res, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s %d = %v, %v; want %v", c.kind, c.res, got, err, c.want)
		}
	}
	if _, err := BackboneDihedral(&Topology{Names: []string{"A"}}, "phi", 0); err == nil || !strings.Contains(err.Error(), "no residues") {
		t.Errorf("no residues: %v", err)
	}
}

func TestResidues(t *testing.T) {
	top := peptide()
	s, _ := Parse("name CA or resid 101")
	got, err := s.Residues(top)
	if want := []int{0, 1, 2, 3}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Residues = %v, %v; want %v", got, err, want)
	}
	s, _ = Parse("all")
	if _, err := s.Residues(&Topology{Names: []string{"A"}}); err == nil {
		t.Error("Residues without residues: no error")
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"*", "abc", true},
		{"a*", "abc", true}, {"*c", "abc", true}, {"a*c", "abxc", true}, {"a*c", "abxcd", false},
		{"?", "a", true}, {"?", "", false}, {"a?c", "abc", true}, {"**a", "ba", true},
		{"*a*a*a*b", strings.Repeat("a", 50), false}, {"C*", "CA", true}, {"C*", "NC", false},
	} {
		if got := glob(c.p, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

// randomSelection draws a syntactically valid selection over peptide().
func randomSelection(t *rapid.T, depth int) string {
	leaves := []string{"all", "none", "protein", "backbone", "heavy", "hydrogen", "water",
		"name CA", "name C* O", "resname ALA LYS", "resid 2", "resid 1-2", "resindex 0 to 3",
		"element C", "element h", "chain W", "index 0-5,9", "index 25"}
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, "leaf") == 0 {
		return rapid.SampledFrom(leaves).Draw(t, "term")
	}
	switch rapid.IntRange(0, 3).Draw(t, "op") {
	case 0:
		return "not " + randomSelection(t, depth-1)
	case 1:
		return "(" + randomSelection(t, depth-1) + ")"
	case 2:
		return randomSelection(t, depth-1) + " and " + randomSelection(t, depth-1)
	default:
		return randomSelection(t, depth-1) + " or " + randomSelection(t, depth-1)
	}
}

// TestProperties: the canonical form parses to the same atoms and is a
// fixed point; "not S" is the complement of S; "S and T" and "S or T" are
// intersection and union.
func TestProperties(t *testing.T) {
	top := peptide()
	rapid.Check(t, func(t *rapid.T) {
		a := randomSelection(t, 3)
		b := randomSelection(t, 3)
		sa, err := Parse(a)
		if err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		xa, err := sa.Atoms(top)
		if err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		c, err := Parse(sa.String())
		if err != nil {
			t.Fatalf("canonical %q of %q: %v", sa, a, err)
		}
		if c.String() != sa.String() {
			t.Fatalf("canonical form of %q is not a fixed point: %q then %q", a, sa, c)
		}
		if xc, _ := c.Atoms(top); !slices.Equal(xa, xc) {
			t.Fatalf("%q selects %v, its canonical form %q %v", a, xa, sa, xc)
		}
		xb, _ := Select(b, top)
		not, _ := Select("not ("+a+")", top)
		and, _ := Select("("+a+") and ("+b+")", top)
		or, _ := Select("("+a+") or ("+b+")", top)
		in := func(xs []int, i int) bool { _, ok := slices.BinarySearch(xs, i); return ok }
		for i := 0; i < top.NumAtoms(); i++ {
			if in(not, i) == in(xa, i) || in(and, i) != (in(xa, i) && in(xb, i)) || in(or, i) != (in(xa, i) || in(xb, i)) {
				t.Fatalf("atom %d: %q %v, %q %v, not %v, and %v, or %v", i, a, xa, b, xb, not, and, or)
			}
		}
	})
}

// FuzzParse: no input crashes the parser or the evaluator; whatever
// parses has a canonical form that parses to the same atoms.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"all", "name CA CB", "resid 2-35 and backbone", "not (element H or water)",
		"index 0-9,12", "0-5", `name "C A"`, "resid -5--2", "resname ALA and (name N* or name ?A)", "((", "index 1 to", ""} {
		f.Add(s)
	}
	top := peptide()
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := Parse(s)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Sel != s || se.Msg == "" {
				t.Fatalf("%q: error %#v", s, err)
			}
			return
		}
		x, err1 := sel.Atoms(top)
		c, err := Parse(sel.String())
		if err != nil {
			t.Fatalf("%q: canonical %q does not parse: %v", s, sel, err)
		}
		y, err2 := c.Atoms(top)
		if (err1 == nil) != (err2 == nil) || !slices.Equal(x, y) {
			t.Fatalf("%q: %v, %v; canonical %q: %v, %v", s, x, err1, sel, y, err2)
		}
	})
}

func ExampleSelect() {
	top := &Topology{
		Names:    []string{"N", "CA", "C", "O", "N", "CA", "C", "O"},
		Elements: []string{"N", "C", "C", "O", "N", "C", "C", "O"},
		Residues: []Residue{{"GLY", 1, "A"}, {"ALA", 2, "A"}},
		Residue:  []int{0, 0, 0, 0, 1, 1, 1, 1},
	}
	atoms, err := Select("resid 2 and element C", top)
	fmt.Println(atoms, err)
	_, err = Select("resid 2-", top)
	fmt.Println(err)
	// Output:
	// [5 6] <nil>
	// selection "resid 2-": resid: "2-" is not a number or range (want N, N-M, N:M or N to M)
}
