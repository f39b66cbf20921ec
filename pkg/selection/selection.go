// Package selection chooses atoms of a system by a small selection
// language, the part of VMD's, MDTraj's and MDAnalysis's languages that
// users of those programs write every day:
//
//	name CA                       atoms named CA
//	resid 2-35 and backbone       N, CA, C, O of residues 2 to 35
//	protein and not element H     the protein's heavy atoms
//	index 0-9,12                  atoms 0 to 9 and 12 (0-based)
//	(resname LYS ARG) and name N* the N atoms of lysines and arginines
//
// Grammar (keywords and operators in any letter case; values exact):
//
//	selection = or
//	or        = and { "or" and }
//	and       = unary { "and" unary }
//	unary     = "not" unary | "(" or ")" | term
//	term      = flag | keyword value { [","] value } | numbers
//
// "not" binds tighter than "and", and "and" tighter than "or", as in VMD
// and MDTraj. A value list ends at "and", "or", "not", a parenthesis or
// the end; values are separated by spaces or commas, and a value in
// double quotes may hold spaces, commas and parentheses.
//
// Flags (no values):
//
//	all, none   every atom, no atom
//	protein     atoms of amino-acid residues, by residue name: the 20
//	            standard ones, their protonation and disulfide variants of
//	            Amber and CHARMM (HID HIE HIP HSD HSE HSP CYX CYM ASH GLH
//	            LYN), MSE, the caps ACE and NME, and Amber's terminal names
//	            (NALA, CALA …); MDTraj takes every amino acid of the PDB's
//	            chemical component dictionary
//	backbone    atoms named N, CA, C or O of protein residues (MDTraj's and
//	            MDAnalysis's definition; OXT and hydrogens are not backbone)
//	hydrogen    atoms whose element is H (or D); where the element is
//	            unknown, atoms whose name matches [0-9]?H* (VMD's rule)
//	heavy       not hydrogen
//	water       atoms of water residues (HOH WAT SOL H2O TIP3 …, MDTraj's
//	            list with TIP5, SPC, T3P, T4P)
//
// Keywords, each followed by one or more values:
//
//	index N…    atom index from 0 (VMD, MDTraj, MDAnalysis)
//	name P…     atom name
//	resname P…  residue name
//	resid N…    residue number as the file gives it (PDB resSeq): VMD's
//	            and MDAnalysis's resid. MDTraj's resid is the 0-based
//	            residue index instead: that is resindex here
//	resindex N… residue index from 0, in file order (MDTraj's resid,
//	            VMD's residue, MDAnalysis's resindex)
//	element P…  element symbol, in any letter case
//	chain P…    chain identifier (VMD's chain, MDAnalysis's chainID)
//
// A number value N is a whole number (resid may be negative), a range
// N-M or N:M, or N to M, all inclusive. A pattern P is matched exactly,
// with * for any run of characters and ? for one (MDAnalysis's globs).
// A selection that starts with a number list is an index selection
// ("0-9,12" is "index 0-9,12"), the form we-resample's --image rmsd:ATOMS
// always took.
//
// An index beyond the system's atoms is an error, not an empty match; so
// is a residue keyword on a system without residues. A selection that
// matches no atom is not an error here: the caller says whether that is
// wrong. Atoms come back in increasing index order without repeats.
package selection

import (
	"fmt"
	"strings"
)

// Residue is one residue of a topology.
type Residue struct {
	Name  string // residue name (ALA, HOH)
	ID    int    // residue number as the file gives it (PDB resSeq)
	Chain string // chain identifier
}

// Topology is what selections are evaluated against: record.Particles
// without the masses and bonds.
type Topology struct {
	Names    []string  // n atom names
	Elements []string  // n element symbols ("" where unknown), or nil
	Residues []Residue // residues, in file order, or nil
	Residue  []int     // for each atom the index of its residue, or nil
}

// NumAtoms is the number of atoms.
func (t *Topology) NumAtoms() int { return len(t.Names) }

func (t *Topology) check() error {
	n := len(t.Names)
	if len(t.Elements) != 0 && len(t.Elements) != n {
		return fmt.Errorf("topology: %d elements for %d atoms", len(t.Elements), n)
	}
	if len(t.Residue) != 0 || len(t.Residues) != 0 {
		if len(t.Residue) != n {
			return fmt.Errorf("topology: %d residue indices for %d atoms", len(t.Residue), n)
		}
		for i, r := range t.Residue {
			if r < 0 || r >= len(t.Residues) {
				return fmt.Errorf("topology: atom %d in residue %d of %d", i, r, len(t.Residues))
			}
		}
	}
	return nil
}

// Error is a selection that does not parse or cannot be evaluated: Msg
// says why, Sel is the selection as given.
type Error struct {
	Sel string
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("selection %q: %s", e.Sel, e.Msg) }

// Selection is a parsed selection.
type Selection struct {
	src  string
	root node
}

// String returns the selection in canonical form: keywords in lower case,
// values quoted where needed, parentheses only where precedence needs
// them. Parsing it gives the same selection.
func (s *Selection) String() string { return s.root.String() }

// Source returns the selection as it was given to Parse.
func (s *Selection) Source() string { return s.src }

// Select parses sel and evaluates it against t.
func Select(sel string, t *Topology) ([]int, error) {
	s, err := Parse(sel)
	if err != nil {
		return nil, err
	}
	return s.Atoms(t)
}

// Atoms returns the indices of the atoms of t that the selection matches,
// in increasing order.
func (s *Selection) Atoms(t *Topology) ([]int, error) {
	m, err := s.mask(t)
	if err != nil {
		return nil, err
	}
	out := []int{}
	for i, ok := range m {
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}

// Residues returns the indices (into t.Residues) of the residues that
// hold at least one matched atom, in increasing order. It is an error if
// t has no residues.
func (s *Selection) Residues(t *Topology) ([]int, error) {
	m, err := s.mask(t)
	if err != nil {
		return nil, err
	}
	if len(t.Residues) == 0 {
		return nil, &Error{s.src, "the system has no residues"}
	}
	seen := make([]bool, len(t.Residues))
	for i, ok := range m {
		if ok {
			seen[t.Residue[i]] = true
		}
	}
	out := []int{}
	for r, ok := range seen {
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Selection) mask(t *Topology) ([]bool, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	m, err := s.root.eval(t)
	if err != nil {
		return nil, &Error{s.src, err.Error()}
	}
	return m, nil
}

// ResidueLabel names residue r of t for messages: "LYS 24" or "LYS 24
// (chain A)".
func ResidueLabel(t *Topology, r int) string {
	res := t.Residues[r]
	if res.Chain != "" {
		return fmt.Sprintf("%s %d (chain %s)", res.Name, res.ID, res.Chain)
	}
	return fmt.Sprintf("%s %d", res.Name, res.ID)
}

// backboneDihedrals are the atoms of the backbone dihedral angles as
// MDTraj's compute_phi, compute_psi and compute_omega define them, with
// the offset of each atom's residue from the angle's residue.
var backboneDihedrals = map[string]struct {
	names   [4]string
	offsets [4]int
}{
	"phi":   {[4]string{"C", "N", "CA", "C"}, [4]int{-1, 0, 0, 0}},
	"psi":   {[4]string{"N", "CA", "C", "N"}, [4]int{0, 0, 0, 1}},
	"omega": {[4]string{"CA", "C", "N", "CA"}, [4]int{0, 0, 1, 1}},
}

// BackboneDihedral returns the four atoms of the backbone dihedral angle
// kind ("phi", "psi" or "omega") of residue r (an index into t.Residues):
//
//	φ(i) = C(i−1) N(i) CA(i) C(i)
//	ψ(i) = N(i) CA(i) C(i) N(i+1)
//	ω(i) = CA(i) C(i) N(i+1) CA(i+1)
//
// as MDTraj's compute_phi, compute_psi and compute_omega take them: the
// neighbouring residue is the previous or next one in file order, and it
// must be in the same chain. Atoms are found by name (the first atom of
// that name in the residue).
func BackboneDihedral(t *Topology, kind string, r int) ([4]int, error) {
	var atoms [4]int
	d, ok := backboneDihedrals[kind]
	if !ok {
		return atoms, fmt.Errorf("unknown backbone dihedral %q (want phi, psi or omega)", kind)
	}
	if err := t.check(); err != nil {
		return atoms, err
	}
	if len(t.Residues) == 0 {
		return atoms, fmt.Errorf("%s: the system has no residues", kind)
	}
	if r < 0 || r >= len(t.Residues) {
		return atoms, fmt.Errorf("%s: residue index %d out of range 0..%d", kind, r, len(t.Residues)-1)
	}
	for k := range atoms {
		rr := r + d.offsets[k]
		if rr < 0 || rr >= len(t.Residues) || t.Residues[rr].Chain != t.Residues[r].Chain {
			where := "before"
			if d.offsets[k] > 0 {
				where = "after"
			}
			return atoms, fmt.Errorf("%s of %s: no residue %s it in its chain (the angle needs its %s)", kind, ResidueLabel(t, r), where, d.names[k])
		}
		a := -1
		for i, ri := range t.Residue {
			if ri == rr && t.Names[i] == d.names[k] {
				a = i
				break
			}
		}
		if a < 0 {
			return atoms, fmt.Errorf("%s of %s: %s has no atom named %s", kind, ResidueLabel(t, r), ResidueLabel(t, rr), d.names[k])
		}
		atoms[k] = a
	}
	return atoms, nil
}

// proteinResidues are the residue names of the protein flag.
var proteinResidues = func() map[string]bool {
	m := map[string]bool{}
	std := strings.Fields("ALA ARG ASN ASP CYS GLN GLU GLY HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL")
	for _, r := range std {
		m[r] = true
		m["N"+r] = true // Amber's N- and C-terminal residue names
		m["C"+r] = true
	}
	for _, r := range strings.Fields("HID HIE HIP HSD HSE HSP CYX CYM ASH GLH LYN MSE ACE NME") {
		m[r] = true
	}
	for _, r := range strings.Fields("HID HIE HIP CYX CYM ASH GLH LYN") {
		m["N"+r] = true
		m["C"+r] = true
	}
	return m
}()

// waterResidues are the residue names of the water flag.
var waterResidues = map[string]bool{
	"H2O": true, "HHO": true, "OHH": true, "HOH": true, "OH2": true, "SOL": true, "WAT": true,
	"TIP": true, "TIP2": true, "TIP3": true, "TIP4": true, "TIP5": true, "SPC": true,
	"T3P": true, "T4P": true, "T5P": true,
}

var backboneNames = map[string]bool{"N": true, "CA": true, "C": true, "O": true}

// isHydrogen applies the hydrogen flag's rule to atom i.
func isHydrogen(t *Topology, i int) bool {
	if len(t.Elements) != 0 && t.Elements[i] != "" {
		e := t.Elements[i]
		return strings.EqualFold(e, "H") || strings.EqualFold(e, "D")
	}
	n := t.Names[i]
	if len(n) > 0 && n[0] >= '0' && n[0] <= '9' {
		n = n[1:]
	}
	return strings.HasPrefix(n, "H")
}
