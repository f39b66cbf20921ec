// Package observable computes named progress coordinates of a
// configuration: the values wepipe stores with each state and that
// resamplers, binning and warping conditions read (ARCHITECTURE.md §3: observables
// such as r = the distance between atoms 0 and 1).
//
// Types (Spec fields used in brackets):
//
//	distance  |x_j − x_i| between two atoms [Atoms = {i, j}]; minimum image
//	          when the system has a box
//	mindist   min over i ∈ Atoms, j ∈ Atoms2 of |x_j − x_i| (minimum image)
//	comdist   distance between the centres of mass of Atoms and Atoms2
//	          [Masses: the system's masses, by atom; nil = equal masses]
//	coord     coordinate Axis (0 = x, 1 = y, 2 = z) of Atoms[0], unwrapped
//	rmsd      RMSD of Atoms to Ref after optimal superposition (geom.RMSD)
//	          [Ref: len(Atoms)×3 coordinates]; no periodic imaging, so the
//	          group must be whole in the given coordinates
//	dihedral  the dihedral angle of Atoms = {i, j, k, l} in radians, in
//	          [−π, π], IUPAC sign (Dihedral); minimum image with a box.
//	          φ and ψ of a residue are dihedrals of its backbone atoms
//	          (selection.BackboneDihedral)
//	rg        mass-weighted radius of gyration of Atoms (Rg) [Masses];
//	          with a box the group is made whole along its atom order
//	q         fraction of native contacts of Best, Hummer & Eaton (Q)
//	          among Atoms, the native contacts found in Ref (len(Atoms)×3
//	          reference coordinates) by NativeContacts [Residue: the
//	          system's residue index of each atom; nil = one residue per
//	          atom]; minimum image with a box
//
// Units are nm and radians. Products that feed sums are written
// float64(x*y) so that no build fuses them into FMA instructions (see
// geom.Dot), and exp and atan2 come from package fmath: observables are
// stored in hashed state records and must not depend on the machine.
package observable

import (
	"fmt"
	"math"

	"github.com/wepipe/wepipe/pkg/geom"
)

// Spec describes one observable, as stored in the system record.
type Spec struct {
	Name   string
	Type   string
	Atoms  []int
	Atoms2 []int
	Axis   int
	Ref    []float64
	// Masses are the system's atom masses, indexed by atom (length n);
	// comdist and rg read them, and nil means equal masses.
	Masses []float64
	// Residue is the system's residue index of each atom (length n), as
	// record.Particles.Residue; only q reads it, and nil counts each atom
	// as a residue of its own.
	Residue []int
}

// Set is a compiled list of observables. It holds no mutable state: Eval
// is safe for concurrent use.
type Set struct {
	names []string
	obs   []compiled
	box   []float64
	n     int
}

type compiled struct {
	typ    string
	a, b   []int
	axis   int
	ref    []float64
	wa, wb []float64 // comdist weights m/M per group; rg's in wa
	pairs  []int     // q: native contacts, interleaved
	r0     []float64 // q: their reference distances
}

// Compile validates specs against a system of n atoms with periodic box
// box ([Lx, Ly, Lz] nm, or nil) and returns the set. Errors name the
// observable: empty or duplicate names, unknown types, atoms out of range,
// empty groups, wrong reference lengths, bad axes or masses.
func Compile(specs []Spec, n int, box []float64) (*Set, error) {
	if len(box) != 0 && len(box) != 3 {
		return nil, fmt.Errorf("observable: box has %d edges, want 3", len(box))
	}
	s := &Set{box: append([]float64(nil), box...), n: n}
	seen := make(map[string]bool, len(specs))
	for i, sp := range specs {
		if sp.Name == "" {
			return nil, fmt.Errorf("observable %d: empty name", i)
		}
		if seen[sp.Name] {
			return nil, fmt.Errorf("observable %q: duplicate name", sp.Name)
		}
		seen[sp.Name] = true
		c, err := compile(sp, n, s.box)
		if err != nil {
			return nil, fmt.Errorf("observable %q (%s): %w", sp.Name, sp.Type, err)
		}
		s.names = append(s.names, sp.Name)
		s.obs = append(s.obs, c)
	}
	return s, nil
}

func checkGroup(name string, g []int, n int) error {
	if len(g) == 0 {
		return fmt.Errorf("%s: empty group", name)
	}
	for k, a := range g {
		if a < 0 || a >= n {
			return fmt.Errorf("%s[%d] = %d out of range [0, %d)", name, k, a, n)
		}
	}
	return nil
}

func compile(sp Spec, n int, box []float64) (compiled, error) {
	c := compiled{typ: sp.Type, a: append([]int(nil), sp.Atoms...), b: append([]int(nil), sp.Atoms2...)}
	switch sp.Type {
	case "distance":
		if len(sp.Atoms) != 2 {
			return c, fmt.Errorf("atoms: %d indices, want 2", len(sp.Atoms))
		}
		if err := checkGroup("atoms", sp.Atoms, n); err != nil {
			return c, err
		}
	case "mindist", "comdist":
		if err := checkGroup("atoms", sp.Atoms, n); err != nil {
			return c, err
		}
		if err := checkGroup("atoms2", sp.Atoms2, n); err != nil {
			return c, err
		}
		if sp.Type == "comdist" {
			if sp.Masses != nil && len(sp.Masses) != n {
				return c, fmt.Errorf("masses: %d values for %d atoms", len(sp.Masses), n)
			}
			var err error
			if c.wa, err = weights(sp.Atoms, sp.Masses); err != nil {
				return c, err
			}
			if c.wb, err = weights(sp.Atoms2, sp.Masses); err != nil {
				return c, err
			}
		}
	case "coord":
		if len(sp.Atoms) != 1 {
			return c, fmt.Errorf("atoms: %d indices, want 1", len(sp.Atoms))
		}
		if err := checkGroup("atoms", sp.Atoms, n); err != nil {
			return c, err
		}
		if sp.Axis < 0 || sp.Axis > 2 {
			return c, fmt.Errorf("axis %d, want 0, 1 or 2", sp.Axis)
		}
		c.axis = sp.Axis
	case "rmsd", "q":
		if err := checkGroup("atoms", sp.Atoms, n); err != nil {
			return c, err
		}
		if len(sp.Ref) != 3*len(sp.Atoms) {
			return c, fmt.Errorf("ref: %d coordinates for %d atoms, want %d", len(sp.Ref), len(sp.Atoms), 3*len(sp.Atoms))
		}
		for _, v := range sp.Ref {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return c, fmt.Errorf("ref: non-finite coordinate %v", v)
			}
		}
		c.ref = append([]float64(nil), sp.Ref...)
		if sp.Type == "q" {
			return c, compileQ(&c, sp, n, box)
		}
	case "dihedral":
		if len(sp.Atoms) != 4 {
			return c, fmt.Errorf("atoms: %d indices, want 4", len(sp.Atoms))
		}
		if err := checkGroup("atoms", sp.Atoms, n); err != nil {
			return c, err
		}
	case "rg":
		if err := checkGroup("atoms", sp.Atoms, n); err != nil {
			return c, err
		}
		if err := distinct(sp.Atoms); err != nil {
			return c, err
		}
		if sp.Masses != nil && len(sp.Masses) != n {
			return c, fmt.Errorf("masses: %d values for %d atoms", len(sp.Masses), n)
		}
		var err error
		if c.wa, err = weights(sp.Atoms, sp.Masses); err != nil {
			return c, err
		}
	default:
		return c, fmt.Errorf("unknown type %q (known: distance, mindist, comdist, coord, rmsd, dihedral, rg, q)", sp.Type)
	}
	return c, nil
}

// compileQ finds q's native contacts in its reference.
func compileQ(c *compiled, sp Spec, n int, box []float64) error {
	if err := distinct(sp.Atoms); err != nil {
		return err
	}
	if sp.Residue != nil {
		if len(sp.Residue) != n {
			return fmt.Errorf("residue: %d indices for %d atoms", len(sp.Residue), n)
		}
	}
	c.pairs, c.r0 = NativeContacts(sp.Ref, sp.Atoms, sp.Residue, box)
	if len(c.r0) == 0 {
		return fmt.Errorf("no native contacts: no two of its %d atoms more than %d residues apart are within %g nm of each other in the reference", len(sp.Atoms), QSeparated, QCutoff)
	}
	return nil
}

// distinct refuses a group that names an atom twice.
func distinct(g []int) error {
	seen := make(map[int]bool, len(g))
	for _, a := range g {
		if seen[a] {
			return fmt.Errorf("atoms: atom %d given twice", a)
		}
		seen[a] = true
	}
	return nil
}

// weights returns mᵢ/M for the group, equal weights when masses is nil.
func weights(g []int, masses []float64) ([]float64, error) {
	w := make([]float64, len(g))
	var total float64
	for k, a := range g {
		m := 1.0
		if masses != nil {
			m = masses[a]
			if !(m > 0) || math.IsInf(m, 0) {
				return nil, fmt.Errorf("masses[%d] = %v, want finite > 0", a, m)
			}
		}
		w[k] = m
		total += m
	}
	for k := range w {
		w[k] /= total
	}
	return w, nil
}

// Names returns the observables' names in order.
func (s *Set) Names() []string { return append([]string(nil), s.names...) }

// NumAtoms returns the number of atoms the set was compiled for.
func (s *Set) NumAtoms() int { return s.n }

// Len returns the number of observables.
func (s *Set) Len() int { return len(s.names) }

// Eval writes the observables of the configuration pos (n×3 flat, nm) into
// out, which must have length Len().
func (s *Set) Eval(pos []float64, out []float64) {
	if len(out) != len(s.obs) {
		panic(fmt.Sprintf("observable: Eval with %d outputs for %d observables", len(out), len(s.obs)))
	}
	if len(pos) != 3*s.n {
		panic(fmt.Sprintf("observable: Eval with %d coordinates for %d atoms", len(pos), s.n))
	}
	for i, c := range s.obs {
		out[i] = c.eval(pos, s.box)
	}
}

func (c *compiled) eval(pos, box []float64) float64 {
	switch c.typ {
	case "distance":
		return geom.Norm(geom.Delta(pos, c.a[0], c.a[1], box))
	case "mindist":
		best := math.Inf(1)
		for _, i := range c.a {
			for _, j := range c.b {
				d := geom.Delta(pos, i, j, box)
				r2 := geom.Dot(d, d)
				if math.IsNaN(r2) {
					return r2 // a NaN distance must not be hidden by the min
				}
				if r2 < best {
					best = r2
				}
			}
		}
		return math.Sqrt(best)
	case "comdist":
		ca := com(pos, c.a, c.wa, box)
		cb := com(pos, c.b, c.wb, box)
		var r2 float64
		for k := 0; k < 3; k++ {
			d := cb[k] - ca[k]
			if len(box) == 3 {
				d = geom.MinImage(d, box[k])
			}
			r2 += float64(d * d)
		}
		return math.Sqrt(r2)
	case "coord":
		return pos[3*c.a[0]+c.axis]
	case "rmsd":
		x := make([]float64, 0, 3*len(c.a))
		for _, a := range c.a {
			x = append(x, pos[3*a:3*a+3]...)
		}
		return geom.RMSD(x, c.ref)
	case "dihedral":
		return Dihedral(pos, c.a[0], c.a[1], c.a[2], c.a[3], box)
	case "rg":
		return Rg(pos, c.a, c.wa, box)
	case "q":
		return Q(pos, c.pairs, c.r0, box)
	}
	panic("observable: unreachable type " + c.typ)
}

// com returns the weighted centre of group g. With a box, each atom is
// first brought to its minimum image relative to the group's first atom,
// so that a group split by the boundary has a meaningful centre.
func com(pos []float64, g []int, w []float64, box []float64) (c [3]float64) {
	o := g[0]
	for k, a := range g {
		d := geom.Delta(pos, o, a, box)
		for q := 0; q < 3; q++ {
			c[q] += float64(w[k] * (pos[3*o+q] + d[q]))
		}
	}
	return c
}
