// Package potential evaluates the potential energy and forces of wepipe's
// built-in systems and of users' simple systems, from a generic description
// that the system record stores: a list of terms, each a type name, named
// float64 parameters and an atom list.
//
// Units are OpenMM's: positions in nm, energies in kJ/mol, forces in
// kJ/mol/nm. Coordinates and forces are flat slices of n×3 float64
// (x0, y0, z0, x1, …).
//
// Term types (parameter names in brackets; "=v" marks an optional parameter
// and its default; every other parameter is required):
//
//	lj                 Lennard-Jones between all pairs or listed pairs, no box
//	                   [sigma, epsilon, cutoff=0 (none), shift=0]
//	lj-cut             periodic Lennard-Jones fluid with cell-list Verlet
//	                   neighbour list [sigma, epsilon, cutoff=2.5σ, shift=0,
//	                   skin=0.3σ]
//	double-well        h((x/a)² − 1)² + ½k(y² + z²) [h, a, k]
//	muller-brown       Müller–Brown surface in x, y plus ½kz·z² [scale, kz]
//	harmonic-bond      ½k(r − r0)² on listed pairs [k, r0]
//	harmonic-position  ½k|x − x₀|² [k, x0, y0, z0]
//
// Each type's formula is documented on its constructor below. Terms add up.
// Unknown types, unknown parameter names, missing or invalid parameters and
// atoms out of range are errors naming the term's index and the parameter.
package potential

import (
	"fmt"
	"math"
	"sort"
	"sync"
)

// Term is one additive contribution to the potential, as stored in the
// system record.
type Term struct {
	// Type is one of the types listed in the package documentation.
	Type string
	// Params holds the type's parameters by name.
	Params map[string]float64
	// Atoms lists the atoms the term acts on (indices into the system's
	// atoms). Its meaning depends on the type: a group (empty = all atoms)
	// or flattened pairs (i0, j0, i1, j1, …).
	Atoms []int
}

// Potential evaluates energy and forces.
//
// Compute overwrites force (length len(pos)) with −∇U at pos and returns
// U. Implementations with internal state (neighbour lists) are not safe for
// concurrent use: build one Potential per goroutine with New. Non-finite
// positions give a non-finite energy, never a panic.
type Potential interface {
	Compute(pos, force []float64) (energy float64)
}

// term is the internal form of a Term: add accumulates its forces into
// force and returns its energy.
type term interface {
	add(pos, force []float64) float64
}

// ParamInfo describes one parameter of a term type.
type ParamInfo struct {
	Name     string
	Optional bool
	Default  float64 // used when Optional and absent
	Doc      string
}

type typeInfo struct {
	params []ParamInfo
	atoms  string // "group" or "pairs"
	build  func(p map[string]float64, atoms []int, n int, box []float64) (term, error)
}

// types is the table of potential types, built once.
var types = sync.OnceValue(func() map[string]typeInfo {
	return map[string]typeInfo{
		"lj": {
			params: []ParamInfo{
				{Name: "sigma", Doc: "LJ diameter σ (nm), > 0"},
				{Name: "epsilon", Doc: "LJ well depth ε (kJ/mol), ≥ 0"},
				{Name: "cutoff", Optional: true, Doc: "pairs beyond it do not interact (nm); 0 = no cutoff"},
				{Name: "shift", Optional: true, Doc: "1 = shift the energy to 0 at the cutoff, 0 = plain truncation"},
			},
			atoms: "pairs",
			build: newLJ,
		},
		"lj-cut": {
			params: []ParamInfo{
				{Name: "sigma", Doc: "LJ diameter σ (nm), > 0"},
				{Name: "epsilon", Doc: "LJ well depth ε (kJ/mol), ≥ 0"},
				{Name: "cutoff", Optional: true, Doc: "cutoff radius rc (nm); 0 = 2.5σ"},
				{Name: "shift", Optional: true, Doc: "1 = shift the energy to 0 at rc, 0 = plain truncation (as OpenMM's NonbondedForce)"},
				{Name: "skin", Optional: true, Doc: "Verlet list skin (nm); 0 = 0.3σ"},
			},
			atoms: "group",
			build: newLJCut,
		},
		"double-well": {
			params: []ParamInfo{
				{Name: "h", Doc: "barrier height (kJ/mol), ≥ 0"},
				{Name: "a", Doc: "minima at x = ±a (nm), > 0"},
				{Name: "k", Doc: "transverse spring constant (kJ/mol/nm²), ≥ 0"},
			},
			atoms: "group",
			build: newDoubleWell,
		},
		"muller-brown": {
			params: []ParamInfo{
				{Name: "scale", Doc: "energy factor: U = scale·V_MB(x, y) kJ/mol with x, y in nm, > 0"},
				{Name: "kz", Doc: "spring constant of the z restraint (kJ/mol/nm²), ≥ 0"},
			},
			atoms: "group",
			build: newMullerBrown,
		},
		"harmonic-bond": {
			params: []ParamInfo{
				{Name: "k", Doc: "spring constant (kJ/mol/nm²), ≥ 0"},
				{Name: "r0", Doc: "rest length (nm), ≥ 0"},
			},
			atoms: "pairs",
			build: newHarmonicBond,
		},
		"harmonic-position": {
			params: []ParamInfo{
				{Name: "k", Doc: "spring constant (kJ/mol/nm²), ≥ 0"},
				{Name: "x0", Doc: "anchor x (nm)"},
				{Name: "y0", Doc: "anchor y (nm)"},
				{Name: "z0", Doc: "anchor z (nm)"},
			},
			atoms: "group",
			build: newHarmonicPosition,
		},
	}
})

// Types returns the names of the term types, sorted.
func Types() []string {
	var names []string
	for k := range types() {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Params describes the parameters of a term type.
func Params(typ string) ([]ParamInfo, error) {
	ti, ok := types()[typ]
	if !ok {
		return nil, fmt.Errorf("potential: unknown term type %q (known: %v)", typ, Types())
	}
	return append([]ParamInfo(nil), ti.params...), nil
}

// New builds the potential of n atoms made of terms. box is the periodic
// box [Lx, Ly, Lz] in nm, or nil; only lj-cut (which requires it) and
// harmonic-bond (minimum image) use it.
func New(terms []Term, n int, box []float64) (Potential, error) {
	if n <= 0 {
		return nil, fmt.Errorf("potential: %d atoms", n)
	}
	if len(box) != 0 {
		if len(box) != 3 {
			return nil, fmt.Errorf("potential: box has %d edges, want 3", len(box))
		}
		for k, l := range box {
			if !(l > 0) || math.IsInf(l, 0) {
				return nil, fmt.Errorf("potential: box edge %d is %v, want finite > 0", k, l)
			}
		}
	}
	if len(terms) == 0 {
		return nil, fmt.Errorf("potential: no terms")
	}
	all := types()
	built := make([]term, 0, len(terms))
	for i, t := range terms {
		ti, ok := all[t.Type]
		if !ok {
			return nil, fmt.Errorf("potential: term %d: unknown type %q (known: %v)", i, t.Type, Types())
		}
		p, err := resolve(ti.params, t.Params)
		if err != nil {
			return nil, fmt.Errorf("potential: term %d (%s): %w", i, t.Type, err)
		}
		if err := checkAtoms(t.Atoms, n, ti.atoms); err != nil {
			return nil, fmt.Errorf("potential: term %d (%s): %w", i, t.Type, err)
		}
		tt, err := ti.build(p, t.Atoms, n, box)
		if err != nil {
			return nil, fmt.Errorf("potential: term %d (%s): %w", i, t.Type, err)
		}
		built = append(built, tt)
	}
	if len(built) == 1 {
		if p, ok := built[0].(Potential); ok {
			return p, nil
		}
		return single{built[0]}, nil
	}
	return sum(built), nil
}

// resolve checks given against the parameter table and fills defaults.
func resolve(info []ParamInfo, given map[string]float64) (map[string]float64, error) {
	known := make(map[string]bool, len(info))
	for _, pi := range info {
		known[pi.Name] = true
	}
	var names []string
	for name := range given {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !known[name] {
			var list []string
			for _, pi := range info {
				list = append(list, pi.Name)
			}
			return nil, fmt.Errorf("parameter %q: unknown (known: %v)", name, list)
		}
		if v := given[name]; math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("parameter %q: %v is not finite", name, v)
		}
	}
	p := make(map[string]float64, len(info))
	for _, pi := range info {
		v, ok := given[pi.Name]
		if !ok {
			if !pi.Optional {
				return nil, fmt.Errorf("parameter %q: missing (%s)", pi.Name, pi.Doc)
			}
			v = pi.Default
		}
		p[pi.Name] = v
	}
	return p, nil
}

// need returns an error naming the parameter when ok is false.
func need(ok bool, name string, v float64, what string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("parameter %q: %v, want %s", name, v, what)
}

func checkAtoms(atoms []int, n int, kind string) error {
	for k, a := range atoms {
		if a < 0 || a >= n {
			return fmt.Errorf("atoms[%d] = %d out of range [0, %d)", k, a, n)
		}
	}
	switch kind {
	case "pairs":
		if len(atoms)%2 != 0 {
			return fmt.Errorf("atoms: %d indices, want pairs (an even number)", len(atoms))
		}
		for k := 0; k < len(atoms); k += 2 {
			if atoms[k] == atoms[k+1] {
				return fmt.Errorf("atoms: pair %d joins atom %d to itself", k/2, atoms[k])
			}
		}
	case "group":
		seen := make(map[int]bool, len(atoms))
		for _, a := range atoms {
			if seen[a] {
				return fmt.Errorf("atoms: atom %d listed twice", a)
			}
			seen[a] = true
		}
	}
	return nil
}

// group returns atoms, or 0..n-1 when atoms is empty.
func group(atoms []int, n int) []int {
	if len(atoms) > 0 {
		return append([]int(nil), atoms...)
	}
	g := make([]int, n)
	for i := range g {
		g[i] = i
	}
	return g
}

type single struct{ t term }

func (s single) Compute(pos, force []float64) float64 {
	clear(force)
	return s.t.add(pos, force)
}

type sum []term

func (s sum) Compute(pos, force []float64) float64 {
	clear(force)
	var e float64
	for _, t := range s {
		e += t.add(pos, force)
	}
	return e
}
