package selection

import (
	"fmt"
	"strconv"
	"strings"
)

// node is one term of a parsed selection. eval returns a mask of the
// topology's atoms; String the canonical text.
type node interface {
	eval(t *Topology) ([]bool, error)
	String() string
}

type binNode struct {
	op   string // "and" or "or"
	a, b node
}

type notNode struct{ x node }

type flagNode struct{ kw string }

type listNode struct {
	kw   string
	nums []span   // numeric keywords
	pats []string // the others
}

func (n *binNode) eval(t *Topology) ([]bool, error) {
	a, err := n.a.eval(t)
	if err != nil {
		return nil, err
	}
	b, err := n.b.eval(t)
	if err != nil {
		return nil, err
	}
	for i := range a {
		if n.op == "and" {
			a[i] = a[i] && b[i]
		} else {
			a[i] = a[i] || b[i]
		}
	}
	return a, nil
}

func (n *notNode) eval(t *Topology) ([]bool, error) {
	m, err := n.x.eval(t)
	if err != nil {
		return nil, err
	}
	for i := range m {
		m[i] = !m[i]
	}
	return m, nil
}

func needResidues(t *Topology, kw string) error {
	if len(t.Residues) == 0 {
		return fmt.Errorf("%s: the system has no residues (its topology names none)", kw)
	}
	return nil
}

// byResidue marks the atoms whose residue satisfies f.
func byResidue(t *Topology, kw string, f func(r Residue, index int) bool) ([]bool, error) {
	if err := needResidues(t, kw); err != nil {
		return nil, err
	}
	ok := make([]bool, len(t.Residues))
	for k, r := range t.Residues {
		ok[k] = f(r, k)
	}
	m := make([]bool, len(t.Names))
	for i, r := range t.Residue {
		m[i] = ok[r]
	}
	return m, nil
}

func (n *flagNode) eval(t *Topology) ([]bool, error) {
	m := make([]bool, len(t.Names))
	switch n.kw {
	case "all":
		for i := range m {
			m[i] = true
		}
	case "none":
	case "hydrogen", "heavy":
		for i := range m {
			m[i] = isHydrogen(t, i) == (n.kw == "hydrogen")
		}
	case "protein":
		return byResidue(t, n.kw, func(r Residue, _ int) bool { return proteinResidues[r.Name] })
	case "water":
		return byResidue(t, n.kw, func(r Residue, _ int) bool { return waterResidues[r.Name] })
	case "backbone":
		p, err := byResidue(t, n.kw, func(r Residue, _ int) bool { return proteinResidues[r.Name] })
		if err != nil {
			return nil, err
		}
		for i := range m {
			m[i] = p[i] && backboneNames[t.Names[i]]
		}
	default:
		panic("selection: unknown flag " + n.kw)
	}
	return m, nil
}

func (n *listNode) eval(t *Topology) ([]bool, error) {
	switch n.kw {
	case "index":
		m := make([]bool, len(t.Names))
		for _, s := range n.nums {
			if s.hi >= len(t.Names) {
				return nil, fmt.Errorf("atom %d does not exist (the system has %d atoms)", s.hi, len(t.Names))
			}
			for i := s.lo; i <= s.hi; i++ {
				m[i] = true
			}
		}
		return m, nil
	case "name":
		m := make([]bool, len(t.Names))
		for i, name := range t.Names {
			m[i] = n.match(name, false)
		}
		return m, nil
	case "element":
		m := make([]bool, len(t.Names))
		if len(t.Elements) == 0 {
			return m, nil // no element known: nothing matches
		}
		for i, e := range t.Elements {
			m[i] = e != "" && n.match(e, true)
		}
		return m, nil
	case "resname":
		return byResidue(t, n.kw, func(r Residue, _ int) bool { return n.match(r.Name, false) })
	case "chain":
		return byResidue(t, n.kw, func(r Residue, _ int) bool { return n.match(r.Chain, false) })
	case "resid":
		return byResidue(t, n.kw, func(r Residue, _ int) bool { return n.in(r.ID) })
	case "resindex":
		return byResidue(t, n.kw, func(_ Residue, k int) bool { return n.in(k) })
	}
	panic("selection: unknown keyword " + n.kw)
}

func (n *listNode) in(v int) bool {
	for _, s := range n.nums {
		if v >= s.lo && v <= s.hi {
			return true
		}
	}
	return false
}

func (n *listNode) match(s string, fold bool) bool {
	for _, p := range n.pats {
		if fold {
			if glob(strings.ToUpper(p), strings.ToUpper(s)) {
				return true
			}
		} else if glob(p, s) {
			return true
		}
	}
	return false
}

// glob reports whether s matches pattern p, where * matches any run of
// bytes and ? one byte (names are ASCII). Iterative, with one backtrack
// point: linear in practice and never exponential.
func glob(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// Canonical text.

func (n *binNode) String() string {
	return paren(n.a, n.op) + " " + n.op + " " + paren(n.b, n.op)
}

// paren writes child c of an operator op, in parentheses where the
// grammar's precedence needs them (an "or" inside an "and" or a "not"),
// and also around an "and" inside an "or" for the reader.
func paren(c node, op string) string {
	if b, ok := c.(*binNode); ok && (op == "not" || b.op != op) {
		return "(" + b.String() + ")"
	}
	return c.String()
}

func (n *notNode) String() string  { return "not " + paren(n.x, "not") }
func (n *flagNode) String() string { return n.kw }

func (n *listNode) String() string {
	parts := []string{n.kw}
	for _, s := range n.nums {
		if s.lo == s.hi {
			parts = append(parts, strconv.Itoa(s.lo))
		} else {
			parts = append(parts, strconv.Itoa(s.lo)+" to "+strconv.Itoa(s.hi))
		}
	}
	for _, p := range n.pats {
		parts = append(parts, quote(p))
	}
	return strings.Join(parts, " ")
}

// quote returns v as a value token: bare when it lexes back as itself and
// is not a reserved word, else in double quotes (values never hold one).
func quote(v string) string {
	if v == "" || reserved(v) || strings.ContainsAny(v, " \t\n\r(),\"") {
		return `"` + v + `"`
	}
	return v
}
