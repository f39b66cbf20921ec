package system

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/selection"
)

// Topology returns the topology that atom selections see in a system's
// particles.
func Topology(p *record.Particles) *selection.Topology {
	t := &selection.Topology{Names: p.Names, Elements: p.Elements, Residue: p.Residue}
	for _, r := range p.Residues {
		t.Residues = append(t.Residues, selection.Residue{Name: r.Name, ID: r.ID, Chain: r.Chain})
	}
	return t
}

// ParseObservable parses an observable definition NAME=TYPE:ARGS
// (we-init's --obs) into an observable record of the system sys. SEL is
// an atom selection (package selection); parts of ARGS are separated by
// semicolons:
//
//	distance:SEL;SEL          two atoms (or one selection of two)
//	mindist:SEL;SEL           two groups
//	comdist:SEL;SEL           two groups
//	coord:SEL;AXIS            one atom; AXIS x, y or z
//	dihedral:SEL;SEL;SEL;SEL  four atoms in this order (or one selection
//	                          of four, taken in index order)
//	phi:RES, psi:RES, omega:RES
//	                          a dihedral of one residue's backbone atoms
//	                          (selection.BackboneDihedral); RES is a
//	                          residue number (resid) or a selection that
//	                          covers one residue
//	rg:SEL, rmsd:SEL, q:SEL   a group
//
// ref holds the positions of all n atoms (n×3) of the reference
// structure, the initial state: rmsd and q keep the group's coordinates
// in it as their reference. NAME may hold letters, digits, _, - and .,
// so that --warp, --bins and --image can name it. Errors say what is
// wrong with the definition without repeating it.
func ParseObservable(def string, sys *record.System, ref []float64) (record.Observable, error) {
	var o record.Observable
	name, rest, ok := strings.Cut(def, "=")
	typ, args, ok2 := strings.Cut(rest, ":")
	name, typ = strings.TrimSpace(name), strings.TrimSpace(typ)
	if !ok || !ok2 {
		return o, fmt.Errorf("want NAME=TYPE:ARGS, e.g. rmsd=rmsd:name CA")
	}
	if err := checkObsName(name); err != nil {
		return o, err
	}
	n := sys.NAtoms()
	if len(ref) != 3*n {
		return o, fmt.Errorf("reference: %d coordinates for %d atoms", len(ref), n)
	}
	top := Topology(&sys.Particles)
	parts := strings.Split(args, ";")
	want := func(k int, what string) error {
		if len(parts) != k {
			return fmt.Errorf("%s takes %s; got %d part(s) separated by semicolons", typ, what, len(parts))
		}
		return nil
	}
	// group selects the atoms of part k; one requires exactly one atom.
	group := func(k int) ([]int, error) {
		s := strings.TrimSpace(parts[k])
		atoms, err := selection.Select(s, top)
		if err != nil {
			return nil, err
		}
		if len(atoms) == 0 {
			return nil, fmt.Errorf("selection %q selects no atoms", s)
		}
		return atoms, nil
	}
	one := func(k int) (int, error) {
		atoms, err := group(k)
		if err != nil {
			return 0, err
		}
		if len(atoms) != 1 {
			return 0, fmt.Errorf("selection %q selects %d atoms, want one", strings.TrimSpace(parts[k]), len(atoms))
		}
		return atoms[0], nil
	}
	// ones reads k parts of one atom each, or one part of exactly k atoms.
	ones := func(k int, what string) ([]int, error) {
		if len(parts) == 1 {
			atoms, err := group(0)
			if err != nil {
				return nil, err
			}
			if len(atoms) != k {
				return nil, fmt.Errorf("selection %q selects %d atoms, want %d (or give %s)", strings.TrimSpace(parts[0]), len(atoms), k, what)
			}
			return atoms, nil
		}
		if err := want(k, what); err != nil {
			return nil, err
		}
		out := make([]int, k)
		for i := range out {
			a, err := one(i)
			if err != nil {
				return nil, err
			}
			out[i] = a
		}
		return out, nil
	}
	reference := func(atoms []int) *codec.Array {
		x := make([]float64, 0, 3*len(atoms))
		for _, a := range atoms {
			x = append(x, ref[3*a:3*a+3]...)
		}
		arr := codec.NewArray(x, len(atoms), 3)
		return &arr
	}
	o = record.Observable{Name: name, Type: typ}
	var err error
	switch typ {
	case "distance":
		o.Atoms, err = ones(2, "two selections of one atom each")
	case "mindist", "comdist":
		if err = want(2, "two selections"); err == nil {
			if o.Atoms, err = group(0); err == nil {
				o.Atoms2, err = group(1)
			}
		}
	case "coord":
		if err = want(2, "a selection of one atom and an axis (x, y or z)"); err != nil {
			break
		}
		var a int
		if a, err = one(0); err != nil {
			break
		}
		o.Atoms = []int{a}
		axis := strings.TrimSpace(parts[1])
		switch axis {
		case "x", "0":
			o.Axis = 0
		case "y", "1":
			o.Axis = 1
		case "z", "2":
			o.Axis = 2
		default:
			err = fmt.Errorf("axis %q: want x, y or z", axis)
		}
	case "dihedral":
		o.Atoms, err = ones(4, "four selections of one atom each")
	case "phi", "psi", "omega":
		if err = want(1, "one residue"); err != nil {
			break
		}
		var atoms [4]int
		if atoms, err = backbone(typ, strings.TrimSpace(parts[0]), top); err == nil {
			o.Type = "dihedral"
			o.Atoms = atoms[:]
		}
	case "rg":
		if err = want(1, "one selection"); err == nil {
			o.Atoms, err = group(0)
		}
	case "rmsd", "q":
		if err = want(1, "one selection"); err == nil {
			if o.Atoms, err = group(0); err == nil {
				o.Ref = reference(o.Atoms)
			}
		}
	default:
		err = fmt.Errorf("unknown type %q (known: distance, mindist, comdist, coord, dihedral, phi, psi, omega, rg, rmsd, q)", typ)
	}
	if err != nil {
		return record.Observable{}, err
	}
	return o, nil
}

// checkObsName refuses names that other flags could not name: --warp
// 'NAME>=V', --bins NAME:EDGES, --image NAME,NAME.
func checkObsName(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("name %q: use letters, digits, _, - and . only", name)
		}
	}
	return nil
}

// backbone resolves phi/psi/omega's residue: a residue number (resid) or
// a selection that covers exactly one residue.
func backbone(kind, res string, top *selection.Topology) ([4]int, error) {
	sel := res
	if _, err := strconv.Atoi(res); err == nil {
		sel = "resid " + res
	}
	s, err := selection.Parse(sel)
	if err != nil {
		return [4]int{}, err
	}
	rs, err := s.Residues(top)
	if err != nil {
		return [4]int{}, err
	}
	switch len(rs) {
	case 1:
		return selection.BackboneDihedral(top, kind, rs[0])
	case 0:
		return [4]int{}, fmt.Errorf("%s: %q matches no residue", kind, sel)
	}
	labels := make([]string, 0, 3)
	for _, r := range rs[:min(3, len(rs))] {
		labels = append(labels, selection.ResidueLabel(top, r))
	}
	if len(rs) > 3 {
		labels = append(labels, "…")
	}
	return [4]int{}, fmt.Errorf("%s: %q matches %d residues (%s); select one, e.g. %s:resid %d and chain %s",
		kind, sel, len(rs), strings.Join(labels, ", "), kind, top.Residues[rs[0]].ID, orQuoted(top.Residues[rs[0]].Chain))
}

func orQuoted(chain string) string {
	if chain == "" {
		return `""`
	}
	return chain
}

// AddObservables appends observables to a built system and evaluates
// them, with the system's own, on its initial states, whose hashes (and
// the system's references to them) change accordingly. Errors name the
// observable.
func (b *Built) AddObservables(obs []record.Observable) error {
	if len(obs) == 0 {
		return nil
	}
	sys := *b.System
	sys.Obs = append(append([]record.Observable(nil), b.System.Obs...), obs...)
	sys.Initial = append([]record.Initial(nil), b.System.Initial...)
	if err := sys.Validate(); err != nil {
		return err
	}
	c, err := Compile(&sys)
	if err != nil {
		return err
	}
	if len(b.States) != len(sys.Initial) {
		return fmt.Errorf("%d initial states for %d initial entries", len(b.States), len(sys.Initial))
	}
	states := make([]*record.State, len(b.States))
	vals := make([]float64, len(sys.Obs))
	for i, st := range b.States {
		cp := *st
		c.Engine.Observables.Eval(st.Positions.Data, vals)
		cp.Obs = make(map[string]float64, len(vals))
		for k, o := range sys.Obs {
			cp.Obs[o.Name] = vals[k]
		}
		_, h, err := record.Encode(&cp)
		if err != nil {
			return fmt.Errorf("initial[%d]: %w", i, err)
		}
		states[i] = &cp
		sys.Initial[i].State = h
	}
	b.System, b.States = &sys, states
	return nil
}
