package selection

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/internal/needs"
)

// villinPDB is OpenMM's test system (Debian's python3-simtk): villin
// headpiece HP35 N68H, 582 protein atoms, 2 Cl⁻ and 2761 waters.
const villinPDB = "/usr/lib/python3/dist-packages/openmm/app/data/test.pdb"

// needMDTraj requires MDTraj and the villin PDB file Debian's OpenMM
// ships (internal/needs: a failure in CI, a skip elsewhere).
func needMDTraj(t testing.TB) {
	t.Helper()
	needs.Modules(t, "python3-mdtraj", "mdtraj")
	needs.File(t, villinPDB, "python3-simtk")
}

// TestMDTraj: on villin in water, each selection selects what MDTraj's
// equivalent selects. The two languages differ in resid: ours is the
// PDB residue number (MDTraj's resSeq), MDTraj's the 0-based index (our
// resindex); and MDTraj has no heavy keyword, only
// select_atom_indices("heavy"), the protein's heavy atoms.
func TestMDTraj(t *testing.T) {
	needMDTraj(t)
	pairs := [][2]string{
		{"all", "all"},
		{"name CA", "name CA"},
		{"name CA CB", "name CA CB"},
		{"backbone", "backbone"},
		{"protein", "protein"},
		{"water", "water"},
		{"not water", "not water"},
		{"element C", "element C"},
		{"element H", "element H"},
		{"resname Cl", "resname Cl"},
		{"resname LYS ARG", "resname LYS ARG"},
		{"resid 2-35", "resSeq 2 to 35"},
		{"resid 5 and backbone", "resSeq 5 and backbone"},
		{"resindex 0 to 4", "resid 0 to 4"},
		{"index 10 to 20 or resname GLY", "index 10 to 20 or resname GLY"},
		{"protein and not element H", "protein and not element H"},
		{"resname LYS and (name NZ or name CA)", "resname LYS and (name NZ or name CA)"},
		{"not protein and not water", "not protein and not water"},
	}
	var in strings.Builder
	for _, p := range pairs {
		in.WriteString(p[1] + "\n")
	}
	cmd := exec.Command("/usr/bin/python3", "testdata/mdtraj_select.py", villinPDB)
	cmd.Stdin = strings.NewReader(in.String())
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("mdtraj_select.py: %v", err)
	}
	var ref struct {
		Names    []string
		Elements []string
		Residues []struct {
			Name  string
			ID    int
			Chain string
		}
		Residue  []int
		Heavy    []int
		Selected map[string][]int
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	top := &Topology{Names: ref.Names, Elements: ref.Elements, Residue: ref.Residue}
	for _, r := range ref.Residues {
		top.Residues = append(top.Residues, Residue{r.Name, r.ID, r.Chain})
	}
	if top.NumAtoms() != 8867 || len(top.Residues) != 2798 {
		t.Fatalf("MDTraj read %d atoms in %d residues, want 8867 in 2798", top.NumAtoms(), len(top.Residues))
	}
	pairs = append(pairs, [2]string{"protein and heavy", "heavy"})
	ref.Selected["heavy"] = ref.Heavy
	for _, p := range pairs {
		got, err := Select(p[0], top)
		if err != nil {
			t.Errorf("%q: %v", p[0], err)
			continue
		}
		want := ref.Selected[p[1]]
		if len(want) == 0 && p[0] != "not protein and not water" {
			t.Errorf("MDTraj's %q selects nothing: the comparison would prove little", p[1])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q selects %d atoms, MDTraj's %q %d", p[0], len(got), p[1], len(want))
		}
	}
	// Every backbone dihedral MDTraj finds, we find, on the same atoms.
	for _, kind := range []string{"phi", "psi"} {
		n := 0
		for r := range top.Residues {
			if _, err := BackboneDihedral(top, kind, r); err == nil {
				n++
			}
		}
		// 35 residues in one chain: φ of all but the first, ψ of all but
		// the last; waters and ions have no backbone atoms.
		if n != 34 {
			t.Errorf("%s found for %d residues, want 34", kind, n)
		}
	}
}
