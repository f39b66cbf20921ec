package exec

import (
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
)

// TestFiles: the XYZ and PDB files of the per-segment mode, in Å, with
// the PDB's fixed columns (ATOM records: name 13–16, residue 18–20, chain
// 22, number 23–26, x y z 31–54, element 77–78).
func TestFiles(t *testing.T) {
	sys := record.NewSystem()
	sys.Name = "tiny"
	sys.Particles = record.Particles{
		Masses: codec.NewArray([]float64{14, 12}, 2), Names: []string{"N", "CA"}, Elements: []string{"N", ""},
		Residues: []record.Residue{{Name: "ALA", ID: 7, Chain: "B"}}, Residue: []int{0, 0},
	}
	pos := []float64{0.1, -0.25, 1.5, 1.2345678, 0, 0.0001}
	var b strings.Builder
	if err := WriteXYZ(&b, sys, pos, 40, 0.08); err != nil {
		t.Fatal(err)
	}
	want := "2\nwepipe tiny: step 40, time 0.08 ps; positions in angstrom\nN 1 -2.5 15\nCA 12.345678 0 0.001\n"
	if b.String() != want {
		t.Errorf("XYZ:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := WritePDB(&b, sys, pos, []float64{3, 3, 4}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	wantLines := []string{
		"CRYST1   30.000   30.000   40.000  90.00  90.00  90.00 P 1           1",
		"ATOM      1  N   ALA B   7       1.000  -2.500  15.000  1.00  0.00           N",
		"ATOM      2  CA  ALA B   7      12.346   0.000   0.001  1.00  0.00            ",
		"END",
	}
	for i, w := range wantLines {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("PDB line %d:\n%q\nwant\n%q", i, lines[min(i, len(lines)-1)], w)
		}
	}
	if got := lines[1][30:38]; got != "   1.000" {
		t.Errorf("x in columns 31–38: %q", got)
	}
	if got := lines[1][76:78]; got != " N" {
		t.Errorf("element in columns 77–78: %q", got)
	}
	// Without residues: UNK 1.
	sys.Particles.Residues, sys.Particles.Residue = nil, nil
	b.Reset()
	WritePDB(&b, sys, pos[:3], nil)
	if !strings.HasPrefix(b.String(), "ATOM      1  N   UNK     1") {
		t.Errorf("PDB without residues: %q", b.String())
	}
}
