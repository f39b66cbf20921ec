package observable

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/wepipe/wepipe/internal/needs"
	"github.com/wepipe/wepipe/pkg/selection"
)

// villinPDB is OpenMM's test system (Debian's python3-simtk): villin
// headpiece HP35 N68H; without water and ions, 582 atoms in 35 residues.
const villinPDB = "/usr/lib/python3/dist-packages/openmm/app/data/test.pdb"

// needMDTraj requires MDTraj and the villin PDB file Debian's OpenMM
// ships (internal/needs: a failure in CI, a skip elsewhere).
func needMDTraj(t testing.TB) {
	t.Helper()
	needs.Modules(t, "python3-mdtraj", "mdtraj")
	needs.File(t, villinPDB, "python3-simtk")
}

// villinRef is what testdata/mdtraj_villin.py prints.
type villinRef struct {
	Names    []string
	Elements []string
	Masses   []float64
	Residues []struct {
		Name string
		ID   int
	}
	Residue    []int
	Frames     [][]float64
	PhiAtoms   [][4]int `json:"phi_atoms"`
	Phi        [][]float64
	PsiAtoms   [][4]int `json:"psi_atoms"`
	Psi        [][]float64
	RgEqual    []float64 `json:"rg_equal"`
	RgMass     []float64 `json:"rg_mass"`
	COM        [][3]float64
	Centroid   [][3]float64
	Native     [][2]int
	NearCutoff float64 `json:"near_cutoff"`
	Q          []float64
	RMSDCA     []float64 `json:"rmsd_ca"`
	RMSDHeavy  []float64 `json:"rmsd_heavy"`
}

func loadVillin(t testing.TB) (*villinRef, *selection.Topology) {
	needMDTraj(t)
	cmd := exec.Command("/usr/bin/python3", "testdata/mdtraj_villin.py", villinPDB)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("mdtraj_villin.py: %v", err)
	}
	var ref villinRef
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	top := &selection.Topology{Names: ref.Names, Elements: ref.Elements, Residue: ref.Residue}
	for _, r := range ref.Residues {
		top.Residues = append(top.Residues, selection.Residue{Name: r.Name, ID: r.ID})
	}
	if top.NumAtoms() != 582 || len(top.Residues) != 35 || len(ref.Frames) != 9 {
		t.Fatalf("villin: %d atoms, %d residues, %d frames; want 582, 35, 9", top.NumAtoms(), len(top.Residues), len(ref.Frames))
	}
	return &ref, top
}

func mustSelect(t testing.TB, sel string, top *selection.Topology) []int {
	t.Helper()
	atoms, err := selection.Select(sel, top)
	if err != nil || len(atoms) == 0 {
		t.Fatalf("%q: %v, %v", sel, atoms, err)
	}
	return atoms
}

func coords(pos []float64, atoms []int) []float64 {
	var out []float64
	for _, a := range atoms {
		out = append(out, pos[3*a:3*a+3]...)
	}
	return out
}

// TestMDTraj: on villin's protein (582 atoms) and nine frames — native,
// rigidly moved, Gaussian noise of 0.01 to 0.4 nm, stretched 1.5 and 3
// times about the centre — φ, ψ, Rg, Q and RMSD agree with MDTraj's.
// The frames are MDTraj's float32 coordinates, exactly; MDTraj then
// computes in float32 (relative rounding 6e-8), which the tolerances
// below allow for, at ten or more times the largest difference measured
// (φ/ψ 3.3e-7 rad, Rg 2.4e-8 nm, Q 1.0e-7, RMSD 3.5e-6 nm).
func TestMDTraj(t *testing.T) {
	ref, top := loadVillin(t)
	heavy := mustSelect(t, "protein and heavy", top)
	ca := mustSelect(t, "name CA", top)

	// φ and ψ: the same atoms, residue by residue, and the same angles.
	maxAngle := 0.0
	for _, kind := range []struct {
		name  string
		atoms [][4]int
		vals  [][]float64
	}{{"phi", ref.PhiAtoms, ref.Phi}, {"psi", ref.PsiAtoms, ref.Psi}} {
		var got [][4]int
		for r := range top.Residues {
			if a, err := selection.BackboneDihedral(top, kind.name, r); err == nil {
				got = append(got, a)
			}
		}
		if len(got) != len(kind.atoms) {
			t.Fatalf("%s: %d angles, MDTraj %d", kind.name, len(got), len(kind.atoms))
		}
		for k, a := range got {
			if a != kind.atoms[k] {
				t.Errorf("%s %d: atoms %v, MDTraj %v", kind.name, k, a, kind.atoms[k])
			}
			for f, pos := range ref.Frames {
				d := Dihedral(pos, a[0], a[1], a[2], a[3], nil) - kind.vals[f][k]
				d = math.Abs(math.Remainder(d, 2*math.Pi)) // ±π are one angle
				maxAngle = math.Max(maxAngle, d)
			}
		}
	}
	t.Logf("φ/ψ: largest difference %.2g rad", maxAngle)
	if maxAngle > 1e-5 {
		t.Errorf("φ/ψ differ from MDTraj's by up to %.3g rad", maxAngle)
	}

	// Rg of all atoms: equal masses against compute_rg(); element masses
	// against compute_rg(masses), which centres on the unweighted mean
	// (Rg's doc comment): Rg_MDTraj² = Rg² + |c − x̄|².
	all := mustSelect(t, "all", top)
	equal, _ := weights(all, nil)
	mass, _ := weights(all, ref.Masses)
	maxRg := 0.0
	for f, pos := range ref.Frames {
		maxRg = math.Max(maxRg, math.Abs(Rg(pos, all, equal, nil)-ref.RgEqual[f]))
		var shift float64
		for k := 0; k < 3; k++ {
			shift += (ref.COM[f][k] - ref.Centroid[f][k]) * (ref.COM[f][k] - ref.Centroid[f][k])
		}
		rg := Rg(pos, all, mass, nil)
		maxRg = math.Max(maxRg, math.Abs(math.Sqrt(rg*rg+shift)-ref.RgMass[f]))
		if f == 0 && !(rg < ref.RgMass[f]) {
			t.Errorf("mass-weighted Rg %v is not below MDTraj's off-centre %v", rg, ref.RgMass[f])
		}
	}
	t.Logf("Rg: largest difference %.2g nm", maxRg)
	if maxRg > 1e-6 {
		t.Errorf("Rg differs from MDTraj's by up to %.3g nm", maxRg)
	}

	// Q: the same native contacts (no heavy pair lies within float32's
	// reach of the cut-off), then the same Q in every frame.
	if ref.NearCutoff < 1e-6 {
		t.Fatalf("a heavy pair lies %.2g nm from the cut-off: float32 and float64 may disagree", ref.NearCutoff)
	}
	pairs, r0 := NativeContacts(coords(ref.Frames[0], heavy), heavy, ref.Residue, nil)
	if len(r0) != len(ref.Native) {
		t.Fatalf("%d native contacts, MDTraj %d", len(r0), len(ref.Native))
	}
	for k, p := range ref.Native {
		if pairs[2*k] != p[0] || pairs[2*k+1] != p[1] {
			t.Fatalf("contact %d: atoms %d, %d; MDTraj %v", k, pairs[2*k], pairs[2*k+1], p)
		}
	}
	maxQ := 0.0
	for f, pos := range ref.Frames {
		maxQ = math.Max(maxQ, math.Abs(Q(pos, pairs, r0, nil)-ref.Q[f]))
	}
	t.Logf("Q: %d native contacts, largest difference %.2g", len(r0), maxQ)
	if maxQ > 1e-6 {
		t.Errorf("Q differs from MDTraj's by up to %.3g", maxQ)
	}

	// RMSD to frame 0 of the CA atoms and of the heavy atoms, through the
	// compiled observable as we-init --obs makes it.
	maxRMSD := 0.0
	for _, c := range []struct {
		atoms []int
		want  []float64
	}{{ca, ref.RMSDCA}, {heavy, ref.RMSDHeavy}} {
		s, err := Compile([]Spec{{Name: "rmsd", Type: "rmsd", Atoms: c.atoms, Ref: coords(ref.Frames[0], c.atoms)}}, 582, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, 1)
		for f, pos := range ref.Frames {
			s.Eval(pos, out)
			maxRMSD = math.Max(maxRMSD, math.Abs(out[0]-c.want[f]))
		}
	}
	t.Logf("RMSD: largest difference %.2g nm", maxRMSD)
	if maxRMSD > 5e-5 {
		t.Errorf("RMSD differs from MDTraj's by up to %.3g nm", maxRMSD)
	}
}
